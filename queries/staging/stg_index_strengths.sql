-- stg_index_strengths: each ranked unit's best and worst indicators by rank among the ranked units (COINr's
--     get_str_weak: directions applied, indicators where the unit ranks last left out).
--     Renamed and typed; empty until `citybench index` has run with [index.diagnostics] extended.
-- grain: one row per (unit_id, kind, position)
-- depends on: src_index_strengths
SELECT
    CAST(unit_id AS VARCHAR)    AS unit_id,
    CAST(unit_name AS VARCHAR)  AS unit_name,
    CAST(kind AS VARCHAR)       AS kind,
    CAST(position AS INTEGER)   AS position,
    CAST(code AS VARCHAR)       AS code,
    CAST(name AS VARCHAR)       AS name,
    CAST(parent AS VARCHAR)     AS parent,
    CAST(rank AS INTEGER)       AS rank,
    CAST(value AS DOUBLE)       AS value
FROM src_index_strengths
