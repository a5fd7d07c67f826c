-- city_rollups: one city's roll-ups (category, sub-dimension, dimension, overall): score =
--     points / (4 x scored), its band, and coverage (scored / non-neutral items) beside it.
-- grain: one row per (level, path)
-- parameters: $1 city_id
-- depends on: stg_rollups
SELECT
    level,
    path,
    dimension,
    sub_dimension,
    category,
    items,
    reported,
    scored,
    scored_target,
    scored_benchmark,
    points,
    rollup_score,
    coverage,
    band,
    low_coverage
FROM stg_rollups
WHERE city_id = $1
ORDER BY path
