-- stg_index_diagnostics: per framework node: statistics, outlier treatment, correlation with the parent, and the
--     effect on index ranks of removing the node.
--     Renamed and typed; empty until `citybench index` has run.
-- grain: one row per code
-- depends on: src_index_diagnostics
SELECT
    CAST(code AS VARCHAR)                    AS code,
    CAST(name AS VARCHAR)                    AS name,
    CAST(level AS INTEGER)                   AS level,
    CAST(level_name AS VARCHAR)              AS level_name,
    CAST(parent AS VARCHAR)                  AS parent,
    CAST(weight AS DOUBLE)                   AS weight,
    CAST(direction AS INTEGER)               AS direction,
    CAST(n AS INTEGER)                       AS n,
    CAST(availability AS DOUBLE)             AS availability,
    CAST(min AS DOUBLE)                      AS min,
    CAST(max AS DOUBLE)                      AS max,
    CAST(mean AS DOUBLE)                     AS mean,
    CAST(median AS DOUBLE)                   AS median,
    CAST(sd AS DOUBLE)                       AS sd,
    CAST(skew AS DOUBLE)                     AS skew,
    CAST(kurtosis AS DOUBLE)                 AS kurtosis,
    CAST(treatment AS VARCHAR)               AS treatment,
    CAST(clipped_high AS INTEGER)            AS clipped_high,
    CAST(clipped_low AS INTEGER)             AS clipped_low,
    CAST(skew_treated AS DOUBLE)             AS skew_treated,
    CAST(kurtosis_treated AS DOUBLE)         AS kurtosis_treated,
    CAST(pearson_parent AS DOUBLE)           AS pearson_parent,
    CAST(spearman_parent AS DOUBLE)          AS spearman_parent,
    CAST(removal_mean_rank_change AS DOUBLE) AS removal_mean_rank_change,
    CAST(removal_max_rank_change AS DOUBLE)  AS removal_max_rank_change,
    CAST(winsorise_attempted AS INTEGER)     AS winsorise_attempted,
    CAST(skew_winsorised AS DOUBLE)          AS skew_winsorised,
    CAST(kurtosis_winsorised AS DOUBLE)      AS kurtosis_winsorised
FROM src_index_diagnostics
