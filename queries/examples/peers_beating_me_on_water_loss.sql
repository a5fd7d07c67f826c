-- peers_beating_me_on_water_loss: which cities of my peer group (same population band) do
--     better than me on water supply loss (EC-I-WS-3C, lower is better)?
--     "Better" = a higher direction-adjusted percentile in the population_band grouping; where
--     percentiles are suppressed (group smaller than k), a lower value. A confidential value
--     shows as NULL with no percentile, and no percentile ranks it.
--     EDIT: the city id in `me` (find ids with `citybench cities --search NAME`); to compare on
--     another KPI, change the data point id in `kpi`.
-- grain: one row per peer city that beats me
-- depends on: kpi_gaps
WITH me AS (
    SELECT '745044' AS city_id  -- Istanbul; <- edit this line
),

kpi AS (
    SELECT 'EC-I-WS-3C' AS data_point_id  -- Water Supply Loss (% of water supplied)
),

band AS (
    SELECT
        g.analysis_year,
        g.city_id,
        g.city_name,
        g.country_iso3,
        g.data_point_id,
        g.kpi_name,
        g.unit,
        g.direction,
        g.peer_group,
        g.value,
        g.percentile
    FROM kpi_gaps AS g
    INNER JOIN kpi
        ON kpi.data_point_id = g.data_point_id
    WHERE g."grouping" = 'population_band'
),

mine AS (
    SELECT
        b.analysis_year,
        b.city_id,
        b.city_name,
        b.peer_group,
        b.direction,
        b.value,
        b.percentile
    FROM band AS b
    INNER JOIN me
        ON me.city_id = b.city_id
)

SELECT
    p.city_id,
    p.city_name,
    p.country_iso3,
    p.peer_group AS population_band,
    p.kpi_name,
    p.unit,
    p.value,
    p.percentile,
    m.city_name AS my_city,
    m.value AS my_value,
    m.percentile AS my_percentile,
    p.percentile - m.percentile AS percentile_points_ahead
FROM band AS p
INNER JOIN mine AS m
    ON m.analysis_year = p.analysis_year
    AND m.peer_group = p.peer_group
WHERE p.city_id <> m.city_id
    AND CASE
        WHEN p.percentile IS NOT NULL AND m.percentile IS NOT NULL
            THEN p.percentile > m.percentile
        WHEN p.value IS NULL OR m.value IS NULL
            THEN FALSE
        WHEN m.direction = 'lower_better'
            THEN p.value < m.value
        WHEN m.direction = 'higher_better'
            THEN p.value > m.value
        ELSE FALSE
    END
ORDER BY p.percentile DESC NULLS LAST, p.value, p.city_name
