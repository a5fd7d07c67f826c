-- stg_peer_stats: peer-group statistics per data point over the values that are not confidential (n counts them,
--     n_confidential the confidential values left out; all NULL when suppressed, n < k), renamed and typed.
-- grain: one row per (analysis_year, grouping, peer_group, data_point_id)
-- depends on: src_peer_stats
SELECT
    CAST(analysis_year AS INTEGER) AS analysis_year,
    CAST("grouping" AS VARCHAR)    AS "grouping",
    CAST("group" AS VARCHAR)       AS peer_group,
    CAST(data_point_id AS VARCHAR) AS data_point_id,
    CAST(n AS INTEGER)             AS n,
    CAST(n_confidential AS INTEGER) AS n_confidential,
    CAST(suppressed AS BOOLEAN)    AS suppressed,
    CAST("min" AS DOUBLE)          AS "min",
    CAST(p10 AS DOUBLE)            AS p10,
    CAST(p25 AS DOUBLE)            AS p25,
    CAST(median AS DOUBLE)         AS median,
    CAST(p75 AS DOUBLE)            AS p75,
    CAST(p90 AS DOUBLE)            AS p90,
    CAST("max" AS DOUBLE)          AS "max",
    CAST(mean AS DOUBLE)           AS mean,
    CAST(sd AS DOUBLE)             AS sd
FROM src_peer_stats
