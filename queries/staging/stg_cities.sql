-- stg_cities: the city registry (with workspace overrides) and its peer-group attributes, renamed and typed.
-- grain: one row per city_id
-- depends on: src_cities
SELECT
    CAST(city_id AS VARCHAR)         AS city_id,
    CAST(name AS VARCHAR)            AS city_name,
    CAST(country_iso2 AS VARCHAR)    AS country_iso2,
    CAST(country_iso3 AS VARCHAR)    AS country_iso3,
    CAST(continent AS VARCHAR)       AS continent,
    CAST(un_region AS VARCHAR)       AS un_region,
    CAST(economy AS VARCHAR)         AS economy,
    CAST(population AS BIGINT)       AS population,
    CAST(population_band AS VARCHAR) AS population_band
FROM src_cities
