-- stg_verification_flags: the automated pre-verification flags of the last `citybench verify` (METHODOLOGY
--     section 3): rule, severity, the numbers the rule compared and the message, renamed and typed.
--     Empty until `citybench verify` has run.
-- grain: one row per (city_id, year, data_point_id, rule, reference_id)
-- depends on: src_verification_flags
SELECT
    CAST(city_id AS VARCHAR)        AS city_id,
    CAST(data_point_id AS VARCHAR)  AS data_point_id,
    CAST(year AS INTEGER)           AS year,
    CAST(rule AS VARCHAR)           AS rule,
    CAST(severity AS VARCHAR)       AS severity,
    CAST(value AS DOUBLE)           AS value,
    CAST(reference AS DOUBLE)       AS reference,
    CAST(reference_2 AS DOUBLE)     AS reference_2,
    CAST(reference_id AS VARCHAR)   AS reference_id,
    CAST(confidential AS BOOLEAN)   AS confidential,
    CAST(message AS VARCHAR)        AS message,
    CAST(public_message AS VARCHAR) AS public_message
FROM src_verification_flags
