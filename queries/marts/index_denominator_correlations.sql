-- index_denominator_correlations: each indicator's correlation with each denominator of the framework, flagged when strong
--     (COINr's get_denom_corr): a hint of what to denominate by.
--     Empty when confidential observations entered the index (a custodian index: METHODOLOGY section 10).
-- grain: one row per (code, denominator)
-- depends on: stg_index_denominator_correlations, stg_index_units
SELECT
    code,
    denominator,
    n,
    pearson,
    flagged
FROM stg_index_denominator_correlations
WHERE NOT EXISTS (SELECT 1 FROM stg_index_units WHERE confidential_entered)
