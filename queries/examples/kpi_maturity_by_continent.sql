-- kpi_maturity_by_continent: how mature are cities' KPI performances (ITU-T Y.4904) on each continent? The share of
--     cities at each overall KPI-performance level (the staircase: every mapped data point at that level or above),
--     from the published roll-ups (confidential data points left out: a share over cities is a published statistic).
--     EDIT: the dimension in `params` ('KPI performance' = overall; or 'Economy', 'Environment', 'Society and Culture').
-- grain: one row per (continent, maturity_level)
-- depends on: stg_maturity_dimensions_published, stg_cities
WITH params AS (
    SELECT 'KPI performance' AS dimension  -- <- edit this line
)

SELECT
    c.continent,
    d.maturity_level,
    count(*) AS cities,
    round(100.0 * count(*) / sum(count(*)) OVER (PARTITION BY c.continent), 1) AS share_pct
FROM stg_maturity_dimensions_published AS d
CROSS JOIN params AS p
INNER JOIN stg_cities AS c
    ON c.city_id = d.city_id
WHERE d.dimension = p.dimension
    AND d.maturity_level IS NOT NULL
GROUP BY c.continent, d.maturity_level
ORDER BY c.continent, d.maturity_level
