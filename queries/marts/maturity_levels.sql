-- maturity_levels: each city's ITU-T Y.4904 maturity level per non-neutral data point, with the level's name, the
--     targets of levels 2..5, which matrix applied (matrix_scope: 'attainment' = the U4SSC band against the target or
--     benchmark of city_scorecard, the default; 'workspace' or 'city' = the workspace's maturity_matrix.csv; and
--     matrix_source), the next milestone (next level, its target, the signed gap: positive = shortfall) and the
--     city's KPI-performance level per dimension. Confidential values are withheld (METHODOLOGY section 10):
--     value, level, level name, next milestone and gap_next are NULL when `confidential` is true (a level is a
--     band of the value), and dimension_level is the published roll-up, which leaves those data points out.
-- grain: one row per (analysis_year, city_id, data_point_id)
-- depends on: stg_maturity_levels, stg_maturity_dimensions_published, stg_cities, stg_catalog
SELECT
    m.analysis_year,
    m.city_id,
    c.city_name,
    c.country_iso3,
    c.continent,
    m.dimension,
    m.sub_dimension,
    m.category,
    m.data_point_id,
    k.kpi_name,
    k.unit,
    m.direction,
    m.confidential,
    CASE WHEN m.confidential THEN NULL ELSE m.value END AS value,
    m.source_year,
    m.level_2_target,
    m.level_3_target,
    m.level_4_target,
    m.level_5_target,
    m.matrix_scope,
    m.matrix_source,
    CASE WHEN m.confidential THEN NULL ELSE m.maturity_level END AS maturity_level,
    CASE WHEN m.confidential THEN NULL ELSE CASE m.maturity_level
        WHEN 0 THEN 'pre-maturity'
        WHEN 1 THEN 'Planning'
        WHEN 2 THEN 'Alignment'
        WHEN 3 THEN 'Development'
        WHEN 4 THEN 'Integration'
        WHEN 5 THEN 'Optimization'
    END END AS level_name,
    CASE WHEN m.confidential THEN NULL ELSE m.next_level END AS next_level,
    CASE WHEN m.confidential THEN NULL ELSE m.next_target END AS next_target,
    CASE WHEN m.confidential THEN NULL ELSE m.gap_next END AS gap_next,
    dm.maturity_level AS dimension_level,
    dm.rollup_rule
FROM stg_maturity_levels AS m
LEFT JOIN stg_cities AS c
    ON c.city_id = m.city_id
LEFT JOIN stg_catalog AS k
    ON k.data_point_id = m.data_point_id
LEFT JOIN stg_maturity_dimensions_published AS dm
    ON dm.analysis_year = m.analysis_year
    AND dm.city_id = m.city_id
    AND dm.dimension = m.dimension
