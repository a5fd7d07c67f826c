-- top_cities_overall: the 20 best cities by overall U4SSC roll-up score, among cities whose
--     overall coverage (scored / non-neutral items) reaches a minimum; ties by city name.
--     EDIT: min_coverage in `params`. The intended bar is 0.5 (the low-coverage flag), but with
--     the embedded default targets only 29 of the 108 scorable data points have a target, so
--     overall coverage cannot exceed 29 / 108 = 0.27 and a 0.5 bar returns no city; 0.25 is
--     used until targets cover more of the catalogue.
-- grain: one row per city (at most 20)
-- depends on: category_rollups
WITH params AS (
    SELECT 0.25 AS min_coverage  -- <- edit this line (0.5 = the low-coverage flag's bar)
),

overall AS (
    SELECT
        r.analysis_year,
        r.city_id,
        r.city_name,
        r.country_iso3,
        r.continent,
        r.items,
        r.scored,
        r.points,
        r.rollup_score,
        r.rollup_score_pct,
        r.coverage,
        r.coverage_pct,
        r.band,
        r.low_coverage
    FROM category_rollups AS r
    CROSS JOIN params AS p
    WHERE r.level = 'overall'
        AND r.rollup_score IS NOT NULL
        AND r.coverage IS NOT NULL
        AND r.coverage >= p.min_coverage
)

SELECT
    RANK() OVER (ORDER BY rollup_score DESC) AS overall_rank,
    analysis_year,
    city_id,
    city_name,
    country_iso3,
    continent,
    rollup_score_pct,
    band,
    scored,
    items,
    coverage_pct,
    low_coverage
FROM overall
ORDER BY rollup_score DESC, city_name, city_id
LIMIT 20
