-- index_ranks: the rank of every ranked unit on every aggregate of the index, overall (grouping 'all') and within
--     each group of the configured groupings ([index] group_ranks), with the node's name and level.
--     Empty when confidential observations entered the index (a custodian index: METHODOLOGY section 10).
-- grain: one row per (unit_id, code, grouping)
-- depends on: stg_index_ranks, stg_index_diagnostics, stg_index_units
SELECT
    r.unit_id,
    r.unit_name,
    r.code,
    d.name,
    d.level,
    d.level_name,
    r.grouping,
    r."group",
    r.score,
    r.rank,
    r.n AS units_in_group
FROM stg_index_ranks AS r
LEFT JOIN stg_index_diagnostics AS d
    ON d.code = r.code
WHERE NOT EXISTS (SELECT 1 FROM stg_index_units WHERE confidential_entered)
