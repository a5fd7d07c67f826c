-- stg_aligned: each city's value per data point for the analysis year (latest in the lookback window), renamed and typed.
-- grain: one row per (analysis_year, city_id, data_point_id) with a value in the window
-- depends on: src_aligned
SELECT
    CAST(analysis_year AS INTEGER) AS analysis_year,
    CAST(city_id AS VARCHAR)       AS city_id,
    CAST(data_point_id AS VARCHAR) AS data_point_id,
    CAST(value AS DOUBLE)          AS value,
    CAST(source_year AS INTEGER)   AS source_year,
    CAST(quality AS VARCHAR)       AS quality,
    CAST(verified AS BOOLEAN)      AS verified,
    CAST(confidential AS BOOLEAN)  AS confidential
FROM src_aligned
