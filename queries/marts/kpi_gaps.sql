-- kpi_gaps: each city's gap to target, to its peer median and to its peers' leaders' level
--     (positive = shortfall), with its percentile in the same peer group, city and KPI names.
--     Confidential values are withheld (METHODOLOGY section 10): value, every gap (each would give
--     the value back from its published reference) and the percentile are NULL when `confidential`
--     is true. The medians and leaders' levels are published statistics (no confidential value).
-- grain: one row per (analysis_year, city_id, data_point_id, grouping)
-- depends on: stg_gaps, stg_attainment, stg_percentiles, stg_cities, stg_catalog
WITH gaps AS (
    SELECT
        g.analysis_year,
        g.city_id,
        g.data_point_id,
        g."grouping",
        g.peer_group,
        a.direction,
        a.value,
        a.target,
        a.gap_target,
        a.gap_target_pct,
        g.median,
        g.gap_median,
        g.gap_median_pct,
        g.leaders,
        g.gap_leaders,
        g.gap_leaders_pct,
        g.suppressed,
        COALESCE(a.confidential, FALSE) AS confidential
    FROM stg_gaps AS g
    INNER JOIN stg_attainment AS a
        ON a.analysis_year = g.analysis_year
        AND a.city_id = g.city_id
        AND a.data_point_id = g.data_point_id
)

SELECT
    g.analysis_year,
    g.city_id,
    c.city_name,
    c.country_iso3,
    g.data_point_id,
    k.kpi_name,
    k.unit,
    g.direction,
    g."grouping",
    g.peer_group,
    g.confidential,
    CASE WHEN g.confidential THEN NULL ELSE g.value END AS value,
    g.target,
    CASE WHEN g.confidential THEN NULL ELSE g.gap_target END AS gap_target,
    CASE WHEN g.confidential THEN NULL ELSE g.gap_target_pct END AS gap_target_pct,
    g.median,
    CASE WHEN g.confidential THEN NULL ELSE g.gap_median END AS gap_median,
    CASE WHEN g.confidential THEN NULL ELSE g.gap_median_pct END AS gap_median_pct,
    g.leaders,
    CASE WHEN g.confidential THEN NULL ELSE g.gap_leaders END AS gap_leaders,
    CASE WHEN g.confidential THEN NULL ELSE g.gap_leaders_pct END AS gap_leaders_pct,
    CASE WHEN g.confidential THEN NULL ELSE p.percentile END AS percentile,
    p.n,
    g.suppressed
FROM gaps AS g
LEFT JOIN stg_cities AS c
    ON c.city_id = g.city_id
LEFT JOIN stg_catalog AS k
    ON k.data_point_id = g.data_point_id
LEFT JOIN stg_percentiles AS p
    ON p.analysis_year = g.analysis_year
    AND p.city_id = g.city_id
    AND p.data_point_id = g.data_point_id
    AND p."grouping" = g."grouping"
    AND p.peer_group = g.peer_group
