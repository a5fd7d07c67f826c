-- verification_flags: the automated pre-verification flags a verifier works through (METHODOLOGY section 3), with
--     the city's name. A flag that involves a confidential value (its own, the other data point of a consistency
--     rule, a member of a sum group, the previous year's value) is not published at all (METHODOLOGY section 10:
--     even its existence says where the value lies); the custodian sees it with `citybench verify --city ID`.
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
    f.value,
    f.reference,
    f.reference_2,
    f.reference_id,
    f.message
FROM stg_verification_flags AS f
LEFT JOIN stg_cities AS c
    ON c.city_id = f.city_id
WHERE NOT COALESCE(f.confidential, FALSE)
