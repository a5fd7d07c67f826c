-- stg_gaps: gaps to the peer median and the leaders' level (positive = shortfall), renamed and
--     typed; the value, target and gap to target are per (city, data point), in stg_attainment.
-- grain: one row per (analysis_year, city_id, data_point_id, grouping)
-- depends on: src_gaps
SELECT
    CAST(analysis_year AS INTEGER)   AS analysis_year,
    CAST(city_id AS VARCHAR)         AS city_id,
    CAST(data_point_id AS VARCHAR)   AS data_point_id,
    CAST("grouping" AS VARCHAR)      AS "grouping",
    CAST("group" AS VARCHAR)         AS peer_group,
    CAST(median AS DOUBLE)           AS median,
    CAST(gap_median AS DOUBLE)       AS gap_median,
    CAST(gap_median_pct AS DOUBLE)   AS gap_median_pct,
    CAST(leaders AS DOUBLE)          AS leaders,
    CAST(gap_leaders AS DOUBLE)      AS gap_leaders,
    CAST(gap_leaders_pct AS DOUBLE)  AS gap_leaders_pct,
    CAST(suppressed AS BOOLEAN)      AS suppressed
FROM src_gaps
