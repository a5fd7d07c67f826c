-- stg_maturity_dimensions_published: the roll-ups of stg_maturity_dimensions with the levels of confidential
--     data points left out of the minimum, the median and the counts (the published roll-ups;
--     confidential_items counts those left out; maturity_level is NULL when every data point is), renamed and typed.
-- grain: one row per (analysis_year, city_id, dimension)
-- depends on: src_maturity_dimensions_published
SELECT
    CAST(analysis_year AS INTEGER)   AS analysis_year,
    CAST(city_id AS VARCHAR)         AS city_id,
    CAST(dimension AS VARCHAR)       AS dimension,
    CAST(data_points AS INTEGER)     AS data_points,
    CAST(level_min AS INTEGER)       AS level_min,
    CAST(level_median AS DOUBLE)     AS level_median,
    CAST(at_level_0 AS INTEGER)      AS at_level_0,
    CAST(at_level_1 AS INTEGER)      AS at_level_1,
    CAST(at_level_2 AS INTEGER)      AS at_level_2,
    CAST(at_level_3 AS INTEGER)      AS at_level_3,
    CAST(at_level_4 AS INTEGER)      AS at_level_4,
    CAST(at_level_5 AS INTEGER)      AS at_level_5,
    CAST(confidential_items AS INTEGER) AS confidential_items,
    CAST(maturity_level AS INTEGER)  AS maturity_level,
    CAST(rollup_rule AS VARCHAR)     AS rollup_rule
FROM src_maturity_dimensions_published
