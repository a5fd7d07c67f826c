-- stg_index_denominator_correlations: every indicator (as reported, before denomination) against every denominator
--     the framework names, Pearson over the ranked units, flagged above [index.diagnostics] denominator_corr in
--     absolute value (COINr's get_denom_corr). Renamed and typed; empty until `citybench index` has run with
--     [index.diagnostics] extended.
-- grain: one row per (code, denominator)
-- depends on: src_index_denominator_correlations
SELECT
    CAST(code AS VARCHAR)         AS code,
    CAST(denominator AS VARCHAR)  AS denominator,
    CAST(n AS INTEGER)            AS n,
    CAST(pearson AS DOUBLE)       AS pearson,
    CAST(flagged AS BOOLEAN)      AS flagged
FROM src_index_denominator_correlations
