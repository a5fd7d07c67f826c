-- stg_catalog: the KPI catalogue (data points with their hierarchy, unit and direction), renamed and typed.
-- grain: one row per data_point_id
-- depends on: src_catalog
SELECT
    CAST(data_point_id AS VARCHAR) AS data_point_id,
    CAST(kpi_id AS VARCHAR)        AS kpi_id,
    CAST(name AS VARCHAR)          AS kpi_name,
    CAST(dimension AS VARCHAR)     AS dimension,
    CAST(sub_dimension AS VARCHAR) AS sub_dimension,
    CAST(category AS VARCHAR)      AS category,
    CAST(tier AS VARCHAR)          AS tier,
    CAST(unit AS VARCHAR)          AS unit,
    CAST(direction AS VARCHAR)     AS direction,
    CAST(position AS INTEGER)      AS catalog_position
FROM src_catalog
