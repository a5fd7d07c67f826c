-- index_diagnostics: what an index researcher defends, per framework node: statistics of its values, the outlier
--     treatment applied, the Pearson and Spearman correlation with its parent, and the effect of removing it on the
--     index ranks. fails_outlier_test repeats the JRC rule on the reported values (|skew| >= skew_max and
--     kurtosis >= kurtosis_max with the default thresholds 2 and 3.5, as COINr's get_stats flags);
--     winsorise_attempted, skew_winsorised and kurtosis_winsorised describe a winsorisation that did not pass
--     (the column was then transformed, or kept untouched where it left skewness undefined). When
--     confidential observations entered the index ([index] include_confidential = true), the index is the custodian's
--     and this mart is empty (its normalisation bounds, aggregates and ranks rest on them; METHODOLOGY section 10).
-- grain: one row per code
-- depends on: stg_index_diagnostics, stg_index_units
SELECT
    code,
    name,
    level,
    level_name,
    parent,
    weight,
    direction,
    n,
    availability,
    min,
    max,
    mean,
    median,
    sd,
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
    removal_max_rank_change,
    winsorise_attempted,
    skew_winsorised,
    kurtosis_winsorised
FROM stg_index_diagnostics
WHERE NOT EXISTS (SELECT 1 FROM stg_index_units WHERE confidential_entered)
