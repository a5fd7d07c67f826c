-- stg_assessments: qualitative maturity self-assessments (ITU-T Y.4904 achievements, EU-China framework), the latest
--     ingest winning per key, with the staircase checks (leapfrog: > 1 level up since the previous assessment;
--     isolated_advance: highest minus lowest level of the city's assessment as of that date > 1), renamed and typed.
--     maturity_level is NULL for 'not assessed'.
-- grain: one row per (city_id, framework, characteristic, assessment_date)
-- depends on: src_assessments
SELECT
    CAST(city_id AS VARCHAR)          AS city_id,
    CAST(framework AS VARCHAR)        AS framework,
    CAST(characteristic AS VARCHAR)   AS characteristic,
    CAST(assessment_date AS DATE)     AS assessment_date,
    CAST(maturity_level AS INTEGER)   AS maturity_level,
    CAST(level_name AS VARCHAR)       AS level_name,
    CAST(evidence AS VARCHAR)         AS evidence,
    CAST(previous_level AS INTEGER)   AS previous_level,
    CAST(previous_date AS DATE)       AS previous_date,
    CAST(leapfrog AS BOOLEAN)         AS leapfrog,
    CAST(spread AS INTEGER)           AS spread,
    CAST(isolated_advance AS BOOLEAN) AS isolated_advance,
    CAST(source_file AS VARCHAR)      AS source_file,
    CAST(source_line AS BIGINT)       AS source_line
FROM src_assessments
