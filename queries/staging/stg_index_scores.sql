-- stg_index_scores: the composite index of the last `citybench index` (METHODOLOGY section 9): every node (indicator,
--     aggregate, index) of every ranked unit with its raw, treated and normalised/aggregated score and its rank.
--     Renamed and typed; empty until `citybench index` has run.
-- grain: one row per (unit_id, code)
-- depends on: src_index_scores
SELECT
    CAST(unit_id AS VARCHAR)    AS unit_id,
    CAST(unit_name AS VARCHAR)  AS unit_name,
    CAST(code AS VARCHAR)       AS code,
    CAST(name AS VARCHAR)       AS name,
    CAST(level AS INTEGER)      AS level,
    CAST(level_name AS VARCHAR) AS level_name,
    CAST(parent AS VARCHAR)     AS parent,
    CAST(weight AS DOUBLE)      AS weight,
    CAST(raw AS DOUBLE)         AS raw,
    CAST(imputed AS BOOLEAN)    AS imputed,
    CAST(treated AS DOUBLE)     AS treated,
    CAST(score AS DOUBLE)       AS score,
    CAST(rank AS INTEGER)       AS rank
FROM src_index_scores
