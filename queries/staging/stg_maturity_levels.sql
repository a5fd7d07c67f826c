-- stg_maturity_levels: each non-neutral data point's ITU-T Y.4904 maturity level (0 = no value; matrix_scope
--     'attainment', the default: the U4SSC band against the target or benchmark, 5 at 95%+, 4 at 66-95%, 3 at 33-66%,
--     2 below 33%, 1 a value without a reference; 'workspace' or 'city': the highest level of the workspace's
--     maturity_matrix.csv whose target the value meets, else 1), the targets of levels 2..5 (the band edges in the
--     attainment scope), which matrix applied and the next milestone, renamed and typed.
-- grain: one row per (analysis_year, city_id, data_point_id) for every city with data x every non-neutral data point
-- depends on: src_maturity_levels
SELECT
    CAST(analysis_year AS INTEGER)   AS analysis_year,
    CAST(city_id AS VARCHAR)         AS city_id,
    CAST(data_point_id AS VARCHAR)   AS data_point_id,
    CAST(dimension AS VARCHAR)       AS dimension,
    CAST(sub_dimension AS VARCHAR)   AS sub_dimension,
    CAST(category AS VARCHAR)        AS category,
    CAST(direction AS VARCHAR)       AS direction,
    CAST(value AS DOUBLE)            AS value,
    CAST(source_year AS INTEGER)     AS source_year,
    CAST(confidential AS BOOLEAN)    AS confidential,
    CAST(level_2 AS DOUBLE)          AS level_2_target,
    CAST(level_3 AS DOUBLE)          AS level_3_target,
    CAST(level_4 AS DOUBLE)          AS level_4_target,
    CAST(level_5 AS DOUBLE)          AS level_5_target,
    CAST(matrix_scope AS VARCHAR)    AS matrix_scope,
    CAST(matrix_source AS VARCHAR)   AS matrix_source,
    CAST(maturity_level AS INTEGER)  AS maturity_level,
    CAST(next_level AS INTEGER)      AS next_level,
    CAST(next_target AS DOUBLE)      AS next_target,
    CAST(gap_next AS DOUBLE)         AS gap_next
FROM src_maturity_levels
