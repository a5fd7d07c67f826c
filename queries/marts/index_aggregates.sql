-- index_aggregates: per aggregate, Cronbach's alpha of its children and the share of their variance the first principal
--     component explains (COINr's get_cronbach and get_PCA).
--     Empty when confidential observations entered the index (a custodian index: METHODOLOGY section 10).
-- grain: one row per code
-- depends on: stg_index_aggregates, stg_index_units
SELECT
    code,
    name,
    level,
    children,
    cronbach_alpha,
    pca_units,
    pc1_eigenvalue,
    pc1_variance_share
FROM stg_index_aggregates
WHERE NOT EXISTS (SELECT 1 FROM stg_index_units WHERE confidential_entered)
