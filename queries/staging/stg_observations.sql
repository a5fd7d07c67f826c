-- stg_observations: normalised observations in canonical units (latest batch wins), renamed and typed.
-- grain: one row per (city_id, data_point_id, year)
-- depends on: src_observations
-- the canonical unit is stg_catalog.unit; batch_seq is the batch's position in manifest.json
SELECT
    CAST(city_id AS VARCHAR)       AS city_id,
    CAST(data_point_id AS VARCHAR) AS data_point_id,
    CAST(year AS INTEGER)          AS year,
    CAST(value AS DOUBLE)          AS value,
    CAST(quality AS VARCHAR)       AS quality,
    CAST(verified AS BOOLEAN)      AS verified,
    CAST(confidential AS BOOLEAN)  AS confidential,
    CAST(batch_seq AS INTEGER)     AS batch_seq
FROM src_observations
