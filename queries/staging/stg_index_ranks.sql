-- stg_index_ranks: ranks of every ranked unit on every aggregate, overall (grouping 'all') and within each group of
--     the configured groupings (1 = highest score, ties share the smallest rank).
--     Renamed and typed; empty until `citybench index` has run.
-- grain: one row per (unit_id, code, grouping)
-- depends on: src_index_ranks
SELECT
    CAST(unit_id AS VARCHAR)   AS unit_id,
    CAST(unit_name AS VARCHAR) AS unit_name,
    CAST(code AS VARCHAR)      AS code,
    CAST(grouping AS VARCHAR)  AS grouping,
    CAST("group" AS VARCHAR)   AS "group",
    CAST(score AS DOUBLE)      AS score,
    CAST(rank AS INTEGER)      AS rank,
    CAST(n AS INTEGER)         AS n
FROM src_index_ranks
