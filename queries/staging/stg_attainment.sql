-- stg_attainment: each city's value against its resolved reference level (a normative target, or where none
--     applies a benchmark computed each run: reference_kind says which, benchmark_n on how many published values),
--     with attainment ratio, U4SSC points and state, renamed and typed.
-- grain: one row per (analysis_year, city_id, data_point_id) for every city with data x every catalogue data point
-- depends on: src_attainment
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
    CAST(quality AS VARCHAR)         AS quality,
    CAST(confidential AS BOOLEAN)    AS confidential,
    CAST(target AS DOUBLE)           AS target,
    CAST(worst AS DOUBLE)            AS worst,
    CAST(tolerance AS DOUBLE)        AS tolerance,
    CAST(target_year AS INTEGER)     AS target_year,
    CAST(target_source AS VARCHAR)   AS target_source,
    CAST(target_scope AS VARCHAR)    AS target_scope,
    CAST(reference_kind AS VARCHAR)  AS reference_kind,
    CAST(benchmark_n AS INTEGER)     AS benchmark_n,
    CAST(method AS VARCHAR)          AS method,
    CAST(attainment AS DOUBLE)       AS attainment,
    CAST(points AS INTEGER)          AS points,
    CAST(state AS VARCHAR)           AS state,
    CAST(gap_target AS DOUBLE)       AS gap_target,
    CAST(gap_target_pct AS DOUBLE)   AS gap_target_pct
FROM src_attainment
