-- assert_percentile_range: a percentile must lie in 0..100 (direction-adjusted mid-rank).
-- grain: one row per offending (analysis_year, city_id, data_point_id, grouping); zero rows = pass
-- depends on: stg_percentiles
SELECT
    'percentile outside 0..100' AS problem,
    analysis_year,
    city_id,
    data_point_id,
    "grouping",
    peer_group,
    n,
    percentile
FROM stg_percentiles
WHERE percentile IS NOT NULL
    AND (percentile < 0 OR percentile > 100 OR isnan(percentile))
ORDER BY city_id, data_point_id, "grouping"
