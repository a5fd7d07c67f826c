-- assert_unique_keys: the declared grain of each table holds (no duplicate keys): attainment
--     (city, data point), peer_stats (grouping, peer group, data point), rollups (city, level,
--     path), trends (city, data point). percentiles and gaps (city, data point, grouping; the
--     largest tables) are aligned rows x peer-group memberships, both unique: `run` checks the
--     memberships and the test suite checks those two grains on its workspaces. The
--     city_scorecard mart (city, data point) joins attainment with the 'all' grouping's
--     percentiles and statistics, so its grain follows from these; the test suite checks it
--     too (it was half of this check's time at 13 000 cities).
--     Keys are first grouped by their 64-bit hash (cheap); only rows whose hash repeats are
--     grouped by the key itself, so the result is exact.
-- grain: one row per duplicated key; zero rows = pass
-- depends on: stg_attainment, stg_peer_stats, stg_rollups, stg_trends
WITH duplicates AS (
    SELECT
        'stg_attainment' AS model,
        concat_ws(' | ', CAST(analysis_year AS VARCHAR), city_id, data_point_id) AS key,
        COUNT(*) AS n_rows
    FROM stg_attainment
    WHERE hash(analysis_year, city_id, data_point_id) IN (
        SELECT hash(analysis_year, city_id, data_point_id) FROM stg_attainment GROUP BY 1 HAVING COUNT(*) > 1
    )
    GROUP BY analysis_year, city_id, data_point_id
    HAVING COUNT(*) > 1

    UNION ALL

    SELECT
        'stg_peer_stats' AS model,
        concat_ws(' | ', CAST(analysis_year AS VARCHAR), "grouping", peer_group, data_point_id) AS key,
        COUNT(*) AS n_rows
    FROM stg_peer_stats
    WHERE hash(analysis_year, "grouping", peer_group, data_point_id) IN (
        SELECT hash(analysis_year, "grouping", peer_group, data_point_id) FROM stg_peer_stats GROUP BY 1 HAVING COUNT(*) > 1
    )
    GROUP BY analysis_year, "grouping", peer_group, data_point_id
    HAVING COUNT(*) > 1

    UNION ALL

    SELECT
        'stg_rollups' AS model,
        concat_ws(' | ', CAST(analysis_year AS VARCHAR), city_id, level, path) AS key,
        COUNT(*) AS n_rows
    FROM stg_rollups
    WHERE hash(analysis_year, city_id, level, path) IN (
        SELECT hash(analysis_year, city_id, level, path) FROM stg_rollups GROUP BY 1 HAVING COUNT(*) > 1
    )
    GROUP BY analysis_year, city_id, level, path
    HAVING COUNT(*) > 1

    UNION ALL

    SELECT
        'stg_trends' AS model,
        concat_ws(' | ', CAST(analysis_year AS VARCHAR), city_id, data_point_id) AS key,
        COUNT(*) AS n_rows
    FROM stg_trends
    WHERE hash(analysis_year, city_id, data_point_id) IN (
        SELECT hash(analysis_year, city_id, data_point_id) FROM stg_trends GROUP BY 1 HAVING COUNT(*) > 1
    )
    GROUP BY analysis_year, city_id, data_point_id
    HAVING COUNT(*) > 1
)

SELECT
    'duplicate key in ' || model AS problem,
    model,
    key,
    n_rows
FROM duplicates
ORDER BY model, key
