-- peer_distribution: the published statistics of one peer group per data point (the report's strip charts):
--     computed without confidential values (n counts the values used, n_confidential those left out).
--     Suppressed groups (n < k) have NULL statistics, so nothing is drawn for them.
-- grain: one row per data_point_id
-- parameters: $1 grouping, $2 peer group
-- depends on: stg_peer_stats
SELECT
    data_point_id,
    n,
    n_confidential,
    suppressed,
    "min",
    p10,
    p25,
    median,
    p75,
    p90,
    "max"
FROM stg_peer_stats
WHERE "grouping" = $1
    AND peer_group = $2
ORDER BY data_point_id
