-- city_maturity: one city's ITU-T Y.4904 KPI-performance maturity per dimension and overall (the report's
--     maturity section): level by the configured rule, min and median, data points at each level.
-- grain: one row per dimension (the overall 'KPI performance' row last)
-- parameters: $1 city_id
-- depends on: stg_maturity_dimensions
SELECT
    dimension,
    maturity_level,
    level_min,
    level_median,
    data_points,
    at_level_0,
    at_level_1,
    at_level_2,
    at_level_3,
    at_level_4,
    at_level_5,
    rollup_rule
FROM stg_maturity_dimensions
WHERE city_id = $1
ORDER BY dimension = 'KPI performance', dimension
