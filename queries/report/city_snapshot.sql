-- city_snapshot: one city's snapshot rows (citybench snapshot / report): per data point its value in
--     canonical units with the source year, reference level (target or benchmark, with its kind), attainment,
--     U4SSC state and points, its peer
--     percentile in one grouping and its trend status. The city sees its own values, confidential
--     ones included (METHODOLOGY section 10 hides them from other cities only).
-- grain: one row per data_point_id of the catalogue (for a city with any data in the run)
-- parameters: $1 city_id, $2 grouping (e.g. 'population_band')
-- depends on: stg_attainment, stg_catalog, stg_percentiles, stg_trends
SELECT
    a.analysis_year,
    a.data_point_id,
    k.catalog_position,
    k.kpi_id,
    k.kpi_name,
    a.dimension,
    a.sub_dimension,
    a.category,
    k.unit,
    a.direction,
    a.value,
    a.source_year,
    a.quality,
    COALESCE(a.confidential, FALSE) AS confidential,
    a.target,
    a.target_year,
    a.target_source,
    a.target_scope,
    a.reference_kind,
    a.benchmark_n,
    a.method,
    a.attainment,
    a.points,
    a.state,
    p.peer_group,
    p.n AS peer_n,
    p.percentile,
    COALESCE(p.suppressed, FALSE) AS suppressed,
    t.status AS trend_status,
    t.n_points AS trend_points,
    t.slope,
    t.projected_value,
    t.horizon_year
FROM stg_attainment AS a
LEFT JOIN stg_catalog AS k
    ON k.data_point_id = a.data_point_id
LEFT JOIN stg_percentiles AS p
    ON p.analysis_year = a.analysis_year
    AND p.city_id = a.city_id
    AND p.data_point_id = a.data_point_id
    AND p."grouping" = $2
LEFT JOIN stg_trends AS t
    ON t.analysis_year = a.analysis_year
    AND t.city_id = a.city_id
    AND t.data_point_id = a.data_point_id
WHERE a.city_id = $1
ORDER BY k.catalog_position
