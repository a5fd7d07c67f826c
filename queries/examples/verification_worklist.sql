-- verification_worklist: which cities should a verifier look at first? Flags per city by severity and rule, most
--     warnings first (run `citybench verify` to refresh the flags).
--     EDIT: the minimum number of warnings in `params`.
-- grain: one row per city with at least that many warnings
-- depends on: verification_flags
WITH params AS (
    SELECT 1 AS min_warnings  -- <- edit this line
)

SELECT
    f.city_id,
    f.city_name,
    f.country_iso3,
    count(*) FILTER (WHERE f.severity = 'warning') AS warnings,
    count(*) FILTER (WHERE f.severity = 'notice') AS notices,
    count(*) FILTER (WHERE f.rule = 'plausible_range') AS plausible_range,
    count(*) FILTER (WHERE f.rule IN ('consistency', 'wastewater_order')) AS consistency,
    count(*) FILTER (WHERE f.rule = 'sum_group') AS sum_group,
    count(*) FILTER (WHERE f.rule = 'yoy_change') AS yoy_change,
    count(*) FILTER (WHERE f.rule = 'peer_outlier') AS peer_outlier,
    count(*) FILTER (WHERE f.rule = 'core_coverage') AS core_coverage
FROM verification_flags AS f
CROSS JOIN params AS p
GROUP BY f.city_id, f.city_name, f.country_iso3, p.min_warnings
HAVING count(*) FILTER (WHERE f.severity = 'warning') >= p.min_warnings
ORDER BY warnings DESC, notices DESC, f.city_id
