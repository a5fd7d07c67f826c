-- europe_median_misses_target: on which KPIs does the median European city miss the default
--     (U4SSC) target? Compares the continent-level peer median with the default target by
--     direction: higher_better misses when median < target, lower_better when median > target,
--     target_band when |median - target| > 5 % of the tolerance (outside the 95 %+ band);
--     comparisons use the 1e-9 tolerance of METHODOLOGY section 6.
--     EDIT: the grouping and group in `peers` (e.g. 'economy' / 'developing').
-- grain: one row per data point whose peer median misses its target
-- depends on: peer_benchmarks
WITH peers AS (
    SELECT 'continent' AS grouping_name, 'Europe' AS peer_group  -- <- edit this line
),

benchmarks AS (
    SELECT
        b.analysis_year,
        b."grouping",
        b.peer_group,
        b.data_point_id,
        b.kpi_name,
        b.dimension,
        b.unit,
        b.direction,
        b.n,
        b.median,
        b.default_target,
        b.default_tolerance,
        b.default_target_source
    FROM peer_benchmarks AS b
    INNER JOIN peers AS p
        ON p.grouping_name = b."grouping"
        AND p.peer_group = b.peer_group
    WHERE NOT b.suppressed
        AND b.median IS NOT NULL
        AND b.default_target IS NOT NULL
),

judged AS (
    SELECT
        analysis_year,
        "grouping",
        peer_group,
        data_point_id,
        kpi_name,
        dimension,
        unit,
        direction,
        n,
        median,
        default_target,
        default_target_source,
        CASE direction
            WHEN 'higher_better' THEN default_target - median
            WHEN 'lower_better' THEN median - default_target
            WHEN 'target_band' THEN abs(median - default_target)
            ELSE NULL
        END AS shortfall,
        CASE direction
            WHEN 'higher_better' THEN median < default_target - 1e-9
            WHEN 'lower_better' THEN median > default_target + 1e-9
            WHEN 'target_band' THEN default_tolerance IS NOT NULL
                AND abs(median - default_target) > 0.05 * default_tolerance + 1e-9
            ELSE FALSE
        END AS misses
    FROM benchmarks
)

SELECT
    analysis_year,
    "grouping",
    peer_group,
    data_point_id,
    kpi_name,
    dimension,
    unit,
    direction,
    n,
    median,
    default_target,
    shortfall,
    CASE
        WHEN default_target = 0 THEN NULL
        ELSE shortfall / abs(default_target) * 100
    END AS shortfall_pct,
    default_target_source
FROM judged
WHERE misses
ORDER BY dimension, kpi_name
