-- index_scores: the composite index (METHODOLOGY section 9) of every ranked unit at every level of the framework:
--     indicators (raw value as reported, treated value, normalised score), aggregates and the index (aggregated
--     score), each with its rank among the units (1 = highest). Values of confidential observations (when
--     [index] include_confidential = true) are withheld: raw and treated are NULL for them (METHODOLOGY section 10).
-- grain: one row per (unit_id, code)
-- depends on: stg_index_scores, stg_aligned
SELECT
    s.unit_id,
    s.unit_name,
    s.code,
    s.name,
    s.level,
    s.level_name,
    s.parent,
    s.weight,
    CASE WHEN a.confidential THEN NULL ELSE s.raw END     AS raw,
    s.imputed,
    CASE WHEN a.confidential THEN NULL ELSE s.treated END AS treated,
    CASE WHEN a.confidential THEN NULL ELSE s.score END   AS score,
    CASE WHEN a.confidential THEN NULL ELSE s.rank END    AS rank
FROM stg_index_scores AS s
LEFT JOIN stg_aligned AS a
    ON a.city_id = s.unit_id
   AND a.data_point_id = s.code
