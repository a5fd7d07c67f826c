-- stg_index_sensitivity: variance-based sensitivity indices of the last `citybench index --uncertainty N --sensitivity`.
--     Renamed and typed; empty until `citybench index --sensitivity` has run.
-- grain: one row per (target, unit_id, factor); unit_id is null for the mean_abs_rank_change target
-- depends on: src_index_sensitivity
SELECT
    CAST(target AS VARCHAR)              AS target,
    CAST(unit_id AS VARCHAR)             AS unit_id,
    CAST(unit_name AS VARCHAR)           AS unit_name,
    CAST(factor AS VARCHAR)              AS factor,
    CAST(first_order AS DOUBLE)          AS first_order,
    CAST(total_effect AS DOUBLE)         AS total_effect,
    CAST(first_order_p05 AS DOUBLE)      AS first_order_p05,
    CAST(first_order_p95 AS DOUBLE)      AS first_order_p95,
    CAST(total_effect_p05 AS DOUBLE)     AS total_effect_p05,
    CAST(total_effect_p95 AS DOUBLE)     AS total_effect_p95,
    CAST(variance AS DOUBLE)             AS variance,
    CAST(samples_per_factor AS INTEGER)  AS samples_per_factor
FROM src_index_sensitivity
