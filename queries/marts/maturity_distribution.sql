-- maturity_distribution: how many cities are at each maturity level, per framework and characteristic (the
--     EU-China white paper's Figure 3, over all cities): the qualitative self-assessments (each city's latest answer
--     per characteristic; a characteristic a city that assessed the framework left out counts as 'not assessed') and
--     the Y.4904 KPI-performance levels per dimension (framework 'y4904_kpi', from the performance matrix).
--     share is cities / cities of that framework and characteristic. The KPI-performance levels are the published
--     roll-ups (confidential data points left out; a city whose every data point of a dimension is confidential
--     is not counted there: METHODOLOGY section 10).
-- grain: one row per (framework, characteristic, level_name)
-- depends on: stg_assessments, stg_maturity_dimensions_published
WITH latest AS (
    SELECT
        city_id,
        framework,
        characteristic,
        maturity_level,
        level_name
    FROM stg_assessments
    QUALIFY row_number() OVER (
        PARTITION BY city_id, framework, characteristic
        ORDER BY assessment_date DESC
    ) = 1
),

frames AS (
    SELECT DISTINCT framework, characteristic FROM latest
),

assessed_cities AS (
    SELECT DISTINCT framework, city_id FROM latest
),

answers AS (
    SELECT
        f.framework,
        f.characteristic,
        a.city_id,
        l.maturity_level,
        COALESCE(l.level_name, 'not assessed') AS level_name
    FROM frames AS f
    INNER JOIN assessed_cities AS a
        ON a.framework = f.framework
    LEFT JOIN latest AS l
        ON l.framework = f.framework
        AND l.characteristic = f.characteristic
        AND l.city_id = a.city_id
),

kpi AS (
    SELECT
        'y4904_kpi' AS framework,
        dimension AS characteristic,
        city_id,
        maturity_level,
        CASE maturity_level
            WHEN 0 THEN 'pre-maturity'
            WHEN 1 THEN 'Planning'
            WHEN 2 THEN 'Alignment'
            WHEN 3 THEN 'Development'
            WHEN 4 THEN 'Integration'
            WHEN 5 THEN 'Optimization'
        END AS level_name
    FROM stg_maturity_dimensions_published
    WHERE maturity_level IS NOT NULL
),

all_answers AS (
    SELECT * FROM answers
    UNION ALL
    SELECT * FROM kpi
)

SELECT
    framework,
    characteristic,
    maturity_level,
    level_name,
    count(*) AS cities,
    count(*) / sum(count(*)) OVER (PARTITION BY framework, characteristic) AS share
FROM all_answers
GROUP BY framework, characteristic, maturity_level, level_name
ORDER BY framework, characteristic, maturity_level NULLS LAST
