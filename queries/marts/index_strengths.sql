-- index_strengths: each ranked unit's strengths and weaknesses: its best and worst indicators by rank (COINr's
--     get_str_weak).
--     Empty when confidential observations entered the index (a custodian index: METHODOLOGY section 10).
-- grain: one row per (unit_id, kind, position)
-- depends on: stg_index_strengths, stg_index_units
SELECT
    unit_id,
    unit_name,
    kind,
    position,
    code,
    name,
    parent,
    rank,
    value
FROM stg_index_strengths
WHERE NOT EXISTS (SELECT 1 FROM stg_index_units WHERE confidential_entered)
