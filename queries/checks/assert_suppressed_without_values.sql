-- assert_suppressed_without_values: a suppressed peer group (n < k) publishes no statistic and
--     no percentile (disclosure control, METHODOLOGY sections 5 and 10). (A published row with
--     n < k cannot be detected here: k is configuration, not data.)
-- grain: one row per offending peer_stats (grouping, peer_group, data point) or percentiles
--     (city, data point, grouping) row; zero rows = pass
-- depends on: stg_peer_stats, stg_percentiles
WITH stats_problems AS (
    SELECT
        'suppressed peer_stats row with a non-NULL statistic' AS problem,
        'stg_peer_stats' AS model,
        analysis_year,
        "grouping",
        peer_group,
        data_point_id,
        CAST(NULL AS VARCHAR) AS city_id,
        n
    FROM stg_peer_stats
    WHERE suppressed
        AND (
            "min" IS NOT NULL
            OR p10 IS NOT NULL
            OR p25 IS NOT NULL
            OR median IS NOT NULL
            OR p75 IS NOT NULL
            OR p90 IS NOT NULL
            OR "max" IS NOT NULL
            OR mean IS NOT NULL
            OR sd IS NOT NULL
        )
),

percentile_problems AS (
    SELECT
        'suppressed percentiles row with a non-NULL percentile' AS problem,
        'stg_percentiles' AS model,
        analysis_year,
        "grouping",
        peer_group,
        data_point_id,
        city_id,
        n
    FROM stg_percentiles
    WHERE suppressed
        AND percentile IS NOT NULL
)

SELECT problem, model, analysis_year, "grouping", peer_group, data_point_id, city_id, n
FROM stats_problems
UNION ALL
SELECT problem, model, analysis_year, "grouping", peer_group, data_point_id, city_id, n
FROM percentile_problems
ORDER BY model, "grouping", peer_group, data_point_id, city_id
