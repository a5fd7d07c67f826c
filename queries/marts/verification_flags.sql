-- verification_flags: the automated pre-verification flags a verifier works through (METHODOLOGY section 3), with
--     the city's name. Confidential values are withheld (METHODOLOGY section 10): value, reference and reference_2
--     are NULL and the message is the public one when `confidential` is true.
-- grain: one row per (city_id, year, data_point_id, rule, reference_id)
-- depends on: stg_verification_flags, stg_cities
SELECT
    f.city_id,
    c.city_name,
    c.country_iso3,
    f.year,
    f.data_point_id,
    f.rule,
    f.severity,
    f.confidential,
    CASE WHEN f.confidential THEN NULL ELSE f.value END AS value,
    CASE WHEN f.confidential THEN NULL ELSE f.reference END AS reference,
    CASE WHEN f.confidential THEN NULL ELSE f.reference_2 END AS reference_2,
    f.reference_id,
    f.public_message AS message
FROM stg_verification_flags AS f
LEFT JOIN stg_cities AS c
    ON c.city_id = f.city_id
