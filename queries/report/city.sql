-- city: one city of the registry with its peer-group attributes (who a report is about).
-- grain: one row per city_id (zero rows for an unknown id)
-- parameters: $1 city_id
-- depends on: stg_cities
SELECT
    city_id,
    city_name,
    country_iso3,
    continent,
    un_region,
    economy,
    population,
    population_band
FROM stg_cities
WHERE city_id = $1
