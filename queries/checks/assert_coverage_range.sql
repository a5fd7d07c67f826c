-- assert_coverage_range: roll-up coverage lies in 0..1, scored never exceeds items, and the
--     low-coverage flag agrees with coverage < 0.5.
-- grain: one row per offending (analysis_year, city_id, level, path); zero rows = pass
-- depends on: stg_rollups
SELECT
    CASE
        WHEN coverage < 0 OR coverage > 1 OR isnan(coverage) THEN 'coverage outside 0..1'
        WHEN scored > items THEN 'scored > items'
        ELSE 'low_coverage flag disagrees with coverage < 0.5'
    END AS problem,
    analysis_year,
    city_id,
    level,
    path,
    items,
    scored,
    coverage,
    low_coverage
FROM stg_rollups
WHERE coverage < 0
    OR coverage > 1
    OR isnan(coverage)
    OR scored > items
    OR low_coverage IS NULL
    OR low_coverage <> COALESCE(coverage < 0.5, FALSE)
ORDER BY city_id, level, path
