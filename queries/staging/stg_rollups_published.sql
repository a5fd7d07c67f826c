-- stg_rollups_published: points rolled up as in stg_rollups with confidential items left unscored (the published
--     roll-ups: no score rests on a confidential value; confidential_items counts those left out), renamed and typed.
-- grain: one row per (analysis_year, city_id, level, path)
-- depends on: src_rollups_published
SELECT
    CAST(analysis_year AS INTEGER)  AS analysis_year,
    CAST(city_id AS VARCHAR)        AS city_id,
    CAST(level AS VARCHAR)          AS level,
    CAST(path AS VARCHAR)           AS path,
    CAST(dimension AS VARCHAR)      AS dimension,
    CAST(sub_dimension AS VARCHAR)  AS sub_dimension,
    CAST(category AS VARCHAR)       AS category,
    CAST(items AS INTEGER)          AS items,
    CAST(reported AS INTEGER)       AS reported,
    CAST(scored AS INTEGER)         AS scored,
    CAST(scored_target AS INTEGER)  AS scored_target,
    CAST(scored_benchmark AS INTEGER) AS scored_benchmark,
    CAST(points AS BIGINT)          AS points,
    CAST(confidential_items AS INTEGER) AS confidential_items,
    CAST(rollup_score AS DOUBLE)    AS rollup_score,
    CAST(coverage AS DOUBLE)        AS coverage,
    CAST(band AS VARCHAR)           AS band,
    CAST(low_coverage AS BOOLEAN)   AS low_coverage
FROM src_rollups_published
