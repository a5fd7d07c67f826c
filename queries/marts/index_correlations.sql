-- index_correlations: pairs of siblings of the index framework (indicators within their aggregate, aggregates within
--     theirs) with their Pearson and Spearman correlation and the flag collinear or negative (COINr's get_corr_flags).
--     Empty when confidential observations entered the index (a custodian index: METHODOLOGY section 10).
-- grain: one row per (parent, code_1, code_2)
-- depends on: stg_index_correlations, stg_index_units
SELECT
    parent,
    level,
    code_1,
    code_2,
    n,
    pearson,
    spearman,
    flag
FROM stg_index_correlations
WHERE NOT EXISTS (SELECT 1 FROM stg_index_units WHERE confidential_entered)
