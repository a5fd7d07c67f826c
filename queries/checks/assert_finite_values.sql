-- assert_finite_values: every published number is finite. One value that is infinite or NaN
--     (a typo of 1.7976931348623157e308 made every mean and sd of its data point infinite)
--     would spread into means, sds, percentiles and gaps; ingest rejects such values and
--     bounds every unit (METHODOLOGY section 3), and this check fails the run if one gets
--     through anyway. Covers every DOUBLE column of the staging views of the run's tables
--     (the test suite checks that none is left out); each view is read once.
-- grain: one row per (staging view, column) holding a non-finite value; zero rows = pass
-- depends on: stg_observations, stg_aligned, stg_attainment, stg_peer_stats, stg_percentiles,
--     stg_gaps, stg_rollups, stg_trends, stg_maturity_levels, stg_maturity_dimensions
--     (stg_catalog, stg_cities and stg_assessments have no DOUBLE column)
WITH counts AS (
    SELECT model, "column", non_finite FROM (
        UNPIVOT (
            SELECT
                'stg_observations' AS model,
                count_if(NOT isfinite("value")) AS "value"
            FROM stg_observations
        ) ON COLUMNS(* EXCLUDE (model)) INTO NAME "column" VALUE non_finite
    )

    UNION ALL

    SELECT model, "column", non_finite FROM (
        UNPIVOT (
            SELECT
                'stg_aligned' AS model,
                count_if(NOT isfinite("value")) AS "value"
            FROM stg_aligned
        ) ON COLUMNS(* EXCLUDE (model)) INTO NAME "column" VALUE non_finite
    )

    UNION ALL

    SELECT model, "column", non_finite FROM (
        UNPIVOT (
            SELECT
                'stg_attainment' AS model,
                count_if(NOT isfinite("value")) AS "value",
                count_if(NOT isfinite("target")) AS "target",
                count_if(NOT isfinite("worst")) AS "worst",
                count_if(NOT isfinite("tolerance")) AS "tolerance",
                count_if(NOT isfinite("attainment")) AS "attainment",
                count_if(NOT isfinite("gap_target")) AS "gap_target",
                count_if(NOT isfinite("gap_target_pct")) AS "gap_target_pct"
            FROM stg_attainment
        ) ON COLUMNS(* EXCLUDE (model)) INTO NAME "column" VALUE non_finite
    )

    UNION ALL

    SELECT model, "column", non_finite FROM (
        UNPIVOT (
            SELECT
                'stg_peer_stats' AS model,
                count_if(NOT isfinite("min")) AS "min",
                count_if(NOT isfinite("p10")) AS "p10",
                count_if(NOT isfinite("p25")) AS "p25",
                count_if(NOT isfinite("median")) AS "median",
                count_if(NOT isfinite("p75")) AS "p75",
                count_if(NOT isfinite("p90")) AS "p90",
                count_if(NOT isfinite("max")) AS "max",
                count_if(NOT isfinite("mean")) AS "mean",
                count_if(NOT isfinite("sd")) AS "sd"
            FROM stg_peer_stats
        ) ON COLUMNS(* EXCLUDE (model)) INTO NAME "column" VALUE non_finite
    )

    UNION ALL

    SELECT model, "column", non_finite FROM (
        UNPIVOT (
            SELECT
                'stg_percentiles' AS model,
                count_if(NOT isfinite("value")) AS "value",
                count_if(NOT isfinite("percentile")) AS "percentile"
            FROM stg_percentiles
        ) ON COLUMNS(* EXCLUDE (model)) INTO NAME "column" VALUE non_finite
    )

    UNION ALL

    SELECT model, "column", non_finite FROM (
        UNPIVOT (
            SELECT
                'stg_gaps' AS model,
                count_if(NOT isfinite("median")) AS "median",
                count_if(NOT isfinite("gap_median")) AS "gap_median",
                count_if(NOT isfinite("gap_median_pct")) AS "gap_median_pct",
                count_if(NOT isfinite("leaders")) AS "leaders",
                count_if(NOT isfinite("gap_leaders")) AS "gap_leaders",
                count_if(NOT isfinite("gap_leaders_pct")) AS "gap_leaders_pct"
            FROM stg_gaps
        ) ON COLUMNS(* EXCLUDE (model)) INTO NAME "column" VALUE non_finite
    )

    UNION ALL

    SELECT model, "column", non_finite FROM (
        UNPIVOT (
            SELECT
                'stg_rollups' AS model,
                count_if(NOT isfinite("rollup_score")) AS "rollup_score",
                count_if(NOT isfinite("coverage")) AS "coverage"
            FROM stg_rollups
        ) ON COLUMNS(* EXCLUDE (model)) INTO NAME "column" VALUE non_finite
    )

    UNION ALL

    SELECT model, "column", non_finite FROM (
        UNPIVOT (
            SELECT
                'stg_trends' AS model,
                count_if(NOT isfinite("latest_value")) AS "latest_value",
                count_if(NOT isfinite("slope")) AS "slope",
                count_if(NOT isfinite("slope_ci_low")) AS "slope_ci_low",
                count_if(NOT isfinite("slope_ci_high")) AS "slope_ci_high",
                count_if(NOT isfinite("cagr_pct")) AS "cagr_pct",
                count_if(NOT isfinite("target")) AS "target",
                count_if(NOT isfinite("required_slope")) AS "required_slope",
                count_if(NOT isfinite("ratio")) AS "ratio",
                count_if(NOT isfinite("years_to_target")) AS "years_to_target",
                count_if(NOT isfinite("projected_value")) AS "projected_value",
                count_if(NOT isfinite("fitted_value")) AS "fitted_value"
            FROM stg_trends
        ) ON COLUMNS(* EXCLUDE (model)) INTO NAME "column" VALUE non_finite
    )

    UNION ALL

    SELECT model, "column", non_finite FROM (
        UNPIVOT (
            SELECT
                'stg_maturity_levels' AS model,
                count_if(NOT isfinite("value")) AS "value",
                count_if(NOT isfinite("level_2_target")) AS "level_2_target",
                count_if(NOT isfinite("level_3_target")) AS "level_3_target",
                count_if(NOT isfinite("level_4_target")) AS "level_4_target",
                count_if(NOT isfinite("level_5_target")) AS "level_5_target",
                count_if(NOT isfinite("next_target")) AS "next_target",
                count_if(NOT isfinite("gap_next")) AS "gap_next"
            FROM stg_maturity_levels
        ) ON COLUMNS(* EXCLUDE (model)) INTO NAME "column" VALUE non_finite
    )

    UNION ALL

    SELECT model, "column", non_finite FROM (
        UNPIVOT (
            SELECT
                'stg_maturity_dimensions' AS model,
                count_if(NOT isfinite("level_median")) AS "level_median"
            FROM stg_maturity_dimensions
        ) ON COLUMNS(* EXCLUDE (model)) INTO NAME "column" VALUE non_finite
    )
)

SELECT
    'non-finite values in ' || model || '.' || "column" AS problem,
    model,
    "column",
    CAST(non_finite AS BIGINT) AS non_finite
FROM counts
WHERE non_finite > 0
ORDER BY model, "column"
