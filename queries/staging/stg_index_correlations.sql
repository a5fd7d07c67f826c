-- stg_index_correlations: every pair of siblings (children of one aggregate) of the index framework with their
--     Pearson and Spearman correlation over the ranked units (normalised indicators, aggregate scores) and the flag
--     "collinear" (Pearson above [index.diagnostics] corr_high) or "negative" (below corr_low), as COINr's
--     get_corr_flags. Renamed and typed; empty until `citybench index` has run with [index.diagnostics] extended.
-- grain: one row per (parent, code_1, code_2)
-- depends on: src_index_correlations
SELECT
    CAST(parent AS VARCHAR)   AS parent,
    CAST(level AS INTEGER)    AS level,
    CAST(code_1 AS VARCHAR)   AS code_1,
    CAST(code_2 AS VARCHAR)   AS code_2,
    CAST(n AS INTEGER)        AS n,
    CAST(pearson AS DOUBLE)   AS pearson,
    CAST(spearman AS DOUBLE)  AS spearman,
    CAST(flag AS VARCHAR)     AS flag
FROM src_index_correlations
