-- city_maturity_levels: one city's maturity level per mapped data point with the next milestone and the matrix
--     that applied (the report's maturity section; the city's own values, confidential ones included).
-- grain: one row per non-neutral data point, in catalogue order
-- parameters: $1 city_id
-- depends on: stg_maturity_levels, stg_catalog
SELECT
    m.data_point_id,
    k.kpi_name,
    m.dimension,
    m.value,
    m.maturity_level,
    m.next_level,
    m.next_target,
    m.gap_next,
    m.matrix_scope,
    m.matrix_source
FROM stg_maturity_levels AS m
LEFT JOIN stg_catalog AS k
    ON k.data_point_id = m.data_point_id
WHERE m.city_id = $1
ORDER BY k.catalog_position
