-- index_diagnostics: what an index researcher defends, per framework node: statistics of its values, the outlier
--     treatment applied, the Pearson and Spearman correlation with its parent, and the effect of removing it on the
--     index ranks. fails_outlier_test repeats the JRC rule on the reported values (|skew| >= skew_max and
--     kurtosis >= kurtosis_max with the default thresholds 2 and 3.5, as COINr's get_stats flags). When a confidential
--     observation entered an indicator ([index] include_confidential = true), its min, max, mean, median and sd are
--     withheld (they could reveal the value; METHODOLOGY section 10).
-- grain: one row per code
-- depends on: stg_index_diagnostics, stg_index_scores, stg_aligned
SELECT
    d.code,
    name,
    level,
    level_name,
    parent,
    weight,
    direction,
    n,
    availability,
    CASE WHEN c.code IS NULL THEN min END    AS min,
    CASE WHEN c.code IS NULL THEN max END    AS max,
    CASE WHEN c.code IS NULL THEN mean END   AS mean,
    CASE WHEN c.code IS NULL THEN median END AS median,
    CASE WHEN c.code IS NULL THEN sd END     AS sd,
    skew,
    kurtosis,
    COALESCE(abs(skew) >= 2 AND kurtosis >= 3.5, false) AS fails_outlier_test,
    treatment,
    clipped_high,
    clipped_low,
    skew_treated,
    kurtosis_treated,
    pearson_parent,
    spearman_parent,
    removal_mean_rank_change,
    removal_max_rank_change
FROM stg_index_diagnostics AS d
LEFT JOIN (
    SELECT DISTINCT s.code
    FROM stg_index_scores AS s
    JOIN stg_aligned AS a
        ON a.city_id = s.unit_id
       AND a.data_point_id = s.code
    WHERE a.confidential AND s.raw IS NOT NULL AND NOT s.imputed
) AS c
    ON c.code = d.code
