-- assert_finite_values: every published number is finite. One infinite or NaN value (a typo
--     of 1.7976931348623157e308 made every mean and sd of its data point infinite) spreads
--     into means, sds, percentiles and gaps; ingest rejects such values and bounds every unit
--     (METHODOLOGY section 3), and this check fails the run if one gets through anyway.
--     Covers every DOUBLE column of the staging views of the run's tables (the test suite
--     checks that none is left out).
--     In DuckDB NaN compares greater than every number, so `x > 1.7976931348623157e308` (the
--     largest finite double) holds exactly for +inf and NaN, and `x < -1.7976931348623157e308`
--     for -inf. Unlike isfinite(), these comparisons let DuckDB skip every Parquet row group
--     whose min/max statistics are finite (Polars writes a NaN into them, DuckDB's own writer
--     records a NaN count), so the check reads the footers instead of the 40 M values of a
--     5 000-city run; a file without statistics is read in full, still correctly.
-- grain: one row per (staging view, column) holding a non-finite value; zero rows = pass
-- depends on: stg_observations, stg_aligned, stg_attainment, stg_peer_stats, stg_percentiles,
--     stg_gaps, stg_rollups, stg_rollups_published, stg_trends, stg_maturity_levels,
--     stg_maturity_dimensions, stg_maturity_dimensions_published
--     (stg_catalog, stg_cities and stg_assessments have no DOUBLE column)
WITH counts AS (
    SELECT 'stg_observations' AS model, 'value' AS "column", count(*) AS non_finite
    FROM stg_observations
    WHERE "value" > 1.7976931348623157e308 OR "value" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_aligned' AS model, 'value' AS "column", count(*) AS non_finite
    FROM stg_aligned
    WHERE "value" > 1.7976931348623157e308 OR "value" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_attainment' AS model, 'value' AS "column", count(*) AS non_finite
    FROM stg_attainment
    WHERE "value" > 1.7976931348623157e308 OR "value" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_attainment' AS model, 'target' AS "column", count(*) AS non_finite
    FROM stg_attainment
    WHERE "target" > 1.7976931348623157e308 OR "target" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_attainment' AS model, 'worst' AS "column", count(*) AS non_finite
    FROM stg_attainment
    WHERE "worst" > 1.7976931348623157e308 OR "worst" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_attainment' AS model, 'tolerance' AS "column", count(*) AS non_finite
    FROM stg_attainment
    WHERE "tolerance" > 1.7976931348623157e308 OR "tolerance" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_attainment' AS model, 'attainment' AS "column", count(*) AS non_finite
    FROM stg_attainment
    WHERE "attainment" > 1.7976931348623157e308 OR "attainment" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_attainment' AS model, 'gap_target' AS "column", count(*) AS non_finite
    FROM stg_attainment
    WHERE "gap_target" > 1.7976931348623157e308 OR "gap_target" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_attainment' AS model, 'gap_target_pct' AS "column", count(*) AS non_finite
    FROM stg_attainment
    WHERE "gap_target_pct" > 1.7976931348623157e308 OR "gap_target_pct" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_peer_stats' AS model, 'min' AS "column", count(*) AS non_finite
    FROM stg_peer_stats
    WHERE "min" > 1.7976931348623157e308 OR "min" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_peer_stats' AS model, 'p10' AS "column", count(*) AS non_finite
    FROM stg_peer_stats
    WHERE "p10" > 1.7976931348623157e308 OR "p10" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_peer_stats' AS model, 'p25' AS "column", count(*) AS non_finite
    FROM stg_peer_stats
    WHERE "p25" > 1.7976931348623157e308 OR "p25" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_peer_stats' AS model, 'median' AS "column", count(*) AS non_finite
    FROM stg_peer_stats
    WHERE "median" > 1.7976931348623157e308 OR "median" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_peer_stats' AS model, 'p75' AS "column", count(*) AS non_finite
    FROM stg_peer_stats
    WHERE "p75" > 1.7976931348623157e308 OR "p75" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_peer_stats' AS model, 'p90' AS "column", count(*) AS non_finite
    FROM stg_peer_stats
    WHERE "p90" > 1.7976931348623157e308 OR "p90" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_peer_stats' AS model, 'max' AS "column", count(*) AS non_finite
    FROM stg_peer_stats
    WHERE "max" > 1.7976931348623157e308 OR "max" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_peer_stats' AS model, 'mean' AS "column", count(*) AS non_finite
    FROM stg_peer_stats
    WHERE "mean" > 1.7976931348623157e308 OR "mean" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_peer_stats' AS model, 'sd' AS "column", count(*) AS non_finite
    FROM stg_peer_stats
    WHERE "sd" > 1.7976931348623157e308 OR "sd" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_percentiles' AS model, 'value' AS "column", count(*) AS non_finite
    FROM stg_percentiles
    WHERE "value" > 1.7976931348623157e308 OR "value" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_percentiles' AS model, 'percentile' AS "column", count(*) AS non_finite
    FROM stg_percentiles
    WHERE "percentile" > 1.7976931348623157e308 OR "percentile" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_gaps' AS model, 'median' AS "column", count(*) AS non_finite
    FROM stg_gaps
    WHERE "median" > 1.7976931348623157e308 OR "median" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_gaps' AS model, 'gap_median' AS "column", count(*) AS non_finite
    FROM stg_gaps
    WHERE "gap_median" > 1.7976931348623157e308 OR "gap_median" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_gaps' AS model, 'gap_median_pct' AS "column", count(*) AS non_finite
    FROM stg_gaps
    WHERE "gap_median_pct" > 1.7976931348623157e308 OR "gap_median_pct" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_gaps' AS model, 'leaders' AS "column", count(*) AS non_finite
    FROM stg_gaps
    WHERE "leaders" > 1.7976931348623157e308 OR "leaders" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_gaps' AS model, 'gap_leaders' AS "column", count(*) AS non_finite
    FROM stg_gaps
    WHERE "gap_leaders" > 1.7976931348623157e308 OR "gap_leaders" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_gaps' AS model, 'gap_leaders_pct' AS "column", count(*) AS non_finite
    FROM stg_gaps
    WHERE "gap_leaders_pct" > 1.7976931348623157e308 OR "gap_leaders_pct" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_rollups' AS model, 'rollup_score' AS "column", count(*) AS non_finite
    FROM stg_rollups
    WHERE "rollup_score" > 1.7976931348623157e308 OR "rollup_score" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_rollups' AS model, 'coverage' AS "column", count(*) AS non_finite
    FROM stg_rollups
    WHERE "coverage" > 1.7976931348623157e308 OR "coverage" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_trends' AS model, 'latest_value' AS "column", count(*) AS non_finite
    FROM stg_trends
    WHERE "latest_value" > 1.7976931348623157e308 OR "latest_value" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_trends' AS model, 'slope' AS "column", count(*) AS non_finite
    FROM stg_trends
    WHERE "slope" > 1.7976931348623157e308 OR "slope" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_trends' AS model, 'slope_ci_low' AS "column", count(*) AS non_finite
    FROM stg_trends
    WHERE "slope_ci_low" > 1.7976931348623157e308 OR "slope_ci_low" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_trends' AS model, 'slope_ci_high' AS "column", count(*) AS non_finite
    FROM stg_trends
    WHERE "slope_ci_high" > 1.7976931348623157e308 OR "slope_ci_high" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_trends' AS model, 'cagr_pct' AS "column", count(*) AS non_finite
    FROM stg_trends
    WHERE "cagr_pct" > 1.7976931348623157e308 OR "cagr_pct" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_trends' AS model, 'target' AS "column", count(*) AS non_finite
    FROM stg_trends
    WHERE "target" > 1.7976931348623157e308 OR "target" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_trends' AS model, 'required_slope' AS "column", count(*) AS non_finite
    FROM stg_trends
    WHERE "required_slope" > 1.7976931348623157e308 OR "required_slope" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_trends' AS model, 'ratio' AS "column", count(*) AS non_finite
    FROM stg_trends
    WHERE "ratio" > 1.7976931348623157e308 OR "ratio" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_trends' AS model, 'years_to_target' AS "column", count(*) AS non_finite
    FROM stg_trends
    WHERE "years_to_target" > 1.7976931348623157e308 OR "years_to_target" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_trends' AS model, 'projected_value' AS "column", count(*) AS non_finite
    FROM stg_trends
    WHERE "projected_value" > 1.7976931348623157e308 OR "projected_value" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_trends' AS model, 'fitted_value' AS "column", count(*) AS non_finite
    FROM stg_trends
    WHERE "fitted_value" > 1.7976931348623157e308 OR "fitted_value" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_maturity_levels' AS model, 'value' AS "column", count(*) AS non_finite
    FROM stg_maturity_levels
    WHERE "value" > 1.7976931348623157e308 OR "value" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_maturity_levels' AS model, 'level_2_target' AS "column", count(*) AS non_finite
    FROM stg_maturity_levels
    WHERE "level_2_target" > 1.7976931348623157e308 OR "level_2_target" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_maturity_levels' AS model, 'level_3_target' AS "column", count(*) AS non_finite
    FROM stg_maturity_levels
    WHERE "level_3_target" > 1.7976931348623157e308 OR "level_3_target" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_maturity_levels' AS model, 'level_4_target' AS "column", count(*) AS non_finite
    FROM stg_maturity_levels
    WHERE "level_4_target" > 1.7976931348623157e308 OR "level_4_target" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_maturity_levels' AS model, 'level_5_target' AS "column", count(*) AS non_finite
    FROM stg_maturity_levels
    WHERE "level_5_target" > 1.7976931348623157e308 OR "level_5_target" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_maturity_levels' AS model, 'next_target' AS "column", count(*) AS non_finite
    FROM stg_maturity_levels
    WHERE "next_target" > 1.7976931348623157e308 OR "next_target" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_maturity_levels' AS model, 'gap_next' AS "column", count(*) AS non_finite
    FROM stg_maturity_levels
    WHERE "gap_next" > 1.7976931348623157e308 OR "gap_next" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_maturity_dimensions' AS model, 'level_median' AS "column", count(*) AS non_finite
    FROM stg_maturity_dimensions
    WHERE "level_median" > 1.7976931348623157e308 OR "level_median" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_rollups_published' AS model, 'rollup_score' AS "column", count(*) AS non_finite
    FROM stg_rollups_published
    WHERE "rollup_score" > 1.7976931348623157e308 OR "rollup_score" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_rollups_published' AS model, 'coverage' AS "column", count(*) AS non_finite
    FROM stg_rollups_published
    WHERE "coverage" > 1.7976931348623157e308 OR "coverage" < -1.7976931348623157e308

    UNION ALL

    SELECT 'stg_maturity_dimensions_published' AS model, 'level_median' AS "column", count(*) AS non_finite
    FROM stg_maturity_dimensions_published
    WHERE "level_median" > 1.7976931348623157e308 OR "level_median" < -1.7976931348623157e308
)

SELECT
    'non-finite values in ' || model || '.' || "column" AS problem,
    model,
    "column",
    CAST(non_finite AS BIGINT) AS non_finite
FROM counts
WHERE non_finite > 0
ORDER BY model, "column"
