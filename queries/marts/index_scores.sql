-- index_scores: the composite index (METHODOLOGY section 9) of every ranked unit at every level of the framework:
--     indicators (raw value as reported, treated value, normalised score), aggregates and the index (aggregated
--     score), each with its rank among the units (1 = highest). When confidential observations entered the index ([index] include_confidential = true), the index is the custodian's
--     and this mart is empty (its normalisation bounds, aggregates and ranks rest on them; METHODOLOGY section 10).
-- grain: one row per (unit_id, code)
-- depends on: stg_index_scores, stg_index_units
SELECT
    s.unit_id,
    s.unit_name,
    s.code,
    s.name,
    s.level,
    s.level_name,
    s.parent,
    s.weight,
    s.raw,
    s.imputed,
    s.treated,
    s.score,
    s.rank
FROM stg_index_scores AS s
WHERE NOT EXISTS (SELECT 1 FROM stg_index_units WHERE confidential_entered)
