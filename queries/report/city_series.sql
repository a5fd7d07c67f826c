-- city_series: one city's observations per data point and year up to the analysis year (the
--     trend sparklines of the report; after the latest-batch-wins rule).
-- grain: one row per (data_point_id, year)
-- parameters: $1 city_id, $2 analysis year
-- depends on: stg_observations
SELECT
    data_point_id,
    year,
    value
FROM stg_observations
WHERE city_id = $1
    AND year <= $2
ORDER BY data_point_id, year
