-- verification_worklist: which cities should a verifier look at first? Flags per city by severity and rule, most
--     warnings first (run `citybench verify` to refresh the flags). A verifier works for the custodian, so this
--     counts every flag from the staging view, those on confidential values included (the published
--     verification_flags mart leaves them out).
--     EDIT: the minimum number of warnings in `params`.
-- grain: one row per city with at least that many warnings
-- depends on: stg_verification_flags, stg_cities
WITH params AS (
    SELECT 1 AS min_warnings  -- <- edit this line
)

SELECT
    f.city_id,
    c.city_name,
    c.country_iso3,
    count(*) FILTER (WHERE f.severity = 'warning') AS warnings,
    count(*) FILTER (WHERE f.severity = 'notice') AS notices,
    count(*) FILTER (WHERE f.rule = 'plausible_range') AS plausible_range,
    count(*) FILTER (WHERE f.rule IN ('consistency', 'wastewater_order')) AS consistency,
    count(*) FILTER (WHERE f.rule = 'sum_group') AS sum_group,
    count(*) FILTER (WHERE f.rule = 'yoy_change') AS yoy_change,
    count(*) FILTER (WHERE f.rule = 'peer_outlier') AS peer_outlier,
    count(*) FILTER (WHERE f.rule = 'core_coverage') AS core_coverage
FROM stg_verification_flags AS f
LEFT JOIN stg_cities AS c
    ON c.city_id = f.city_id
CROSS JOIN params AS p
GROUP BY f.city_id, c.city_name, c.country_iso3, p.min_warnings
HAVING count(*) FILTER (WHERE f.severity = 'warning') >= p.min_warnings
ORDER BY warnings DESC, notices DESC, f.city_id
