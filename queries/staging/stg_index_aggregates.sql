-- stg_index_aggregates: per aggregate of the index framework, the internal consistency of its children: Cronbach's
--     alpha (COINr's get_cronbach) and the first principal component of their correlation matrix on the units with
--     every child (COINr's get_PCA): its eigenvalue and share of the variance.
--     Renamed and typed; empty until `citybench index` has run with [index.diagnostics] extended.
-- grain: one row per code
-- depends on: src_index_aggregates
SELECT
    CAST(code AS VARCHAR)                AS code,
    CAST(name AS VARCHAR)                AS name,
    CAST(level AS INTEGER)               AS level,
    CAST(children AS INTEGER)            AS children,
    CAST(cronbach_alpha AS DOUBLE)       AS cronbach_alpha,
    CAST(pca_units AS INTEGER)           AS pca_units,
    CAST(pc1_eigenvalue AS DOUBLE)       AS pc1_eigenvalue,
    CAST(pc1_variance_share AS DOUBLE)   AS pc1_variance_share
FROM src_index_aggregates
