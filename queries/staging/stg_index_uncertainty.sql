-- stg_index_uncertainty: Monte Carlo rank statistics of the last `citybench index --uncertainty N`, per unit.
--     Renamed and typed; empty until `citybench index --uncertainty` has run.
-- grain: one row per unit_id
-- depends on: src_index_uncertainty
SELECT
    CAST(unit_id AS VARCHAR)      AS unit_id,
    CAST(unit_name AS VARCHAR)    AS unit_name,
    CAST(nominal_score AS DOUBLE) AS nominal_score,
    CAST(nominal_rank AS INTEGER) AS nominal_rank,
    CAST(median_rank AS DOUBLE)   AS median_rank,
    CAST(mean_rank AS DOUBLE)     AS mean_rank,
    CAST(rank_p05 AS DOUBLE)      AS rank_p05,
    CAST(rank_p95 AS DOUBLE)      AS rank_p95,
    CAST(rank_interval AS DOUBLE) AS rank_interval,
    CAST(samples AS INTEGER)      AS samples
FROM src_index_uncertainty
