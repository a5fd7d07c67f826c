-- stg_maturity_dimensions: each city's own Y.4904 KPI-performance maturity per dimension and overall
--     ('KPI performance'; its confidential data points included: shown only in that city's outputs): the min
--     (staircase) and median roll-ups, the count of data points at each level, and maturity_level by the
--     configured rule, renamed and typed.
-- grain: one row per (analysis_year, city_id, dimension)
-- depends on: src_maturity_dimensions
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
FROM src_maturity_dimensions
