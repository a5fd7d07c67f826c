-- stg_percentiles: each city's direction-adjusted mid-rank percentile (0..100) within each of its peer groups, renamed and typed.
-- grain: one row per (analysis_year, city_id, data_point_id, grouping)
-- depends on: src_percentiles
SELECT
    CAST(analysis_year AS INTEGER) AS analysis_year,
    CAST("grouping" AS VARCHAR)    AS "grouping",
    CAST("group" AS VARCHAR)       AS peer_group,
    CAST(city_id AS VARCHAR)       AS city_id,
    CAST(data_point_id AS VARCHAR) AS data_point_id,
    CAST(value AS DOUBLE)          AS value,
    CAST(n AS INTEGER)             AS n,
    CAST(percentile AS DOUBLE)     AS percentile,
    CAST(suppressed AS BOOLEAN)    AS suppressed,
    CAST(confidential AS BOOLEAN)  AS confidential
FROM src_percentiles
