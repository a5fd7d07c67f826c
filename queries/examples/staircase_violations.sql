-- staircase_violations: which self-assessments break the EU-China white paper's staircase principles? "No
--     leapfrogging" (a characteristic rising more than one level between two assessments) and "no isolated
--     advances" (highest minus lowest level of a city's assessment more than one level apart).
-- grain: one row per flagged (city_id, framework, characteristic, assessment_date)
-- depends on: stg_assessments, stg_cities
SELECT
    a.city_id,
    c.city_name,
    a.framework,
    a.characteristic,
    a.assessment_date,
    a.previous_level,
    a.maturity_level,
    a.level_name,
    a.leapfrog,
    a.spread,
    a.isolated_advance
FROM stg_assessments AS a
LEFT JOIN stg_cities AS c
    ON c.city_id = a.city_id
WHERE a.leapfrog OR a.isolated_advance
ORDER BY a.city_id, a.framework, a.assessment_date, a.characteristic
