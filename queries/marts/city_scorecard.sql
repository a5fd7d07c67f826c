-- city_scorecard: each city's value, reference level, U4SSC attainment band and gap per data point, with its
--     standing among all cities (the 'all' grouping: percentile, n, median, suppressed).
--     Confidential values are withheld (METHODOLOGY section 10): when `confidential` is true, the
--     value and everything computed from it alone (attainment, points, state, gaps to target, the
--     percentile) are NULL; target, source year and quality stay. median_all and n_all are the
--     published statistics, from values that are not confidential.
--     target is the reference level: a normative target, or a benchmark computed each run where none
--     applies (reference_kind 'target' or 'benchmark'; target_source says how a benchmark was computed).
--     attainment_pct is the unclipped ratio x 100; attainment_capped_pct is min(a, 1) x 100, the
--     figure the bands use, NULL when there is no attainment (never least(): it skips NULLs).
-- grain: one row per (analysis_year, city_id, data_point_id)
-- depends on: stg_attainment, stg_cities, stg_catalog, stg_percentiles, stg_peer_stats
WITH attainment AS (
    SELECT
        analysis_year,
        city_id,
        data_point_id,
        dimension,
        sub_dimension,
        category,
        direction,
        value,
        source_year,
        quality,
        COALESCE(confidential, FALSE) AS confidential,
        target,
        target_source,
        target_scope,
        reference_kind,
        method,
        attainment,
        points,
        state,
        gap_target,
        gap_target_pct
    FROM stg_attainment
),

standing_all AS (
    SELECT
        analysis_year,
        city_id,
        data_point_id,
        peer_group,
        n,
        percentile,
        suppressed
    FROM stg_percentiles
    WHERE "grouping" = 'all'
),

stats_all AS (
    SELECT
        analysis_year,
        peer_group,
        data_point_id,
        median
    FROM stg_peer_stats
    WHERE "grouping" = 'all'
)

SELECT
    a.analysis_year,
    a.city_id,
    c.city_name,
    c.country_iso3,
    c.continent,
    a.dimension,
    a.sub_dimension,
    a.category,
    a.data_point_id,
    k.kpi_name,
    k.unit,
    a.direction,
    a.confidential,
    CASE WHEN a.confidential THEN NULL ELSE a.value END AS value,
    a.source_year,
    a.quality,
    a.target,
    a.target_source,
    a.target_scope,
    a.reference_kind,
    a.method,
    CASE WHEN a.confidential THEN NULL ELSE a.attainment * 100 END AS attainment_pct,
    CASE
        WHEN a.confidential THEN NULL
        WHEN a.attainment IS NULL THEN NULL
        WHEN a.attainment > 1 THEN 100.0
        ELSE a.attainment * 100
    END AS attainment_capped_pct,
    CASE WHEN a.confidential THEN NULL ELSE a.points END AS points,
    CASE WHEN a.confidential THEN NULL ELSE a.state END AS state,
    CASE WHEN a.confidential THEN NULL ELSE a.gap_target END AS gap_target,
    CASE WHEN a.confidential THEN NULL ELSE a.gap_target_pct END AS gap_target_pct,
    CASE WHEN a.confidential THEN NULL ELSE p.percentile END AS percentile_all,
    p.n AS n_all,
    s.median AS median_all,
    p.suppressed AS suppressed_all
FROM attainment AS a
LEFT JOIN stg_cities AS c
    ON c.city_id = a.city_id
LEFT JOIN stg_catalog AS k
    ON k.data_point_id = a.data_point_id
LEFT JOIN standing_all AS p
    ON p.analysis_year = a.analysis_year
    AND p.city_id = a.city_id
    AND p.data_point_id = a.data_point_id
LEFT JOIN stats_all AS s
    ON s.analysis_year = p.analysis_year
    AND s.peer_group = p.peer_group
    AND s.data_point_id = p.data_point_id
