-- low_coverage_dimensions: which cities have a dimension (Economy, Environment, Society and
--     Culture) whose roll-up covers less than half of its scorable items? Their dimension
--     scores rest on few KPIs (METHODOLOGY section 6 flags coverage below 50 %).
--     EDIT: max_coverage in `params` (0.5 = the low-coverage flag).
-- grain: one row per (city, dimension) below the bar
-- depends on: category_rollups
WITH params AS (
    SELECT 0.5 AS max_coverage  -- <- edit this line
)

SELECT
    r.analysis_year,
    r.city_id,
    r.city_name,
    r.country_iso3,
    r.dimension,
    r.items,
    r.scored,
    r.coverage_pct,
    r.rollup_score_pct,
    r.band,
    r.low_coverage
FROM category_rollups AS r
CROSS JOIN params AS p
WHERE r.level = 'dimension'
    AND r.coverage IS NOT NULL
    AND r.coverage < p.max_coverage
ORDER BY r.coverage, r.city_name, r.city_id, r.dimension
