-- worsening_trends_by_continent: per continent, what share of the KPI trends that can be
--     judged against a target are moving away from it (status 'worsening')? Trends without a
--     target ('no_target') or with too few points ('insufficient_data') are counted but left
--     out of the share's denominator.
--     EDIT: replace continent with un_region or country_iso3 ... in the two marked lines (join
--     stg_cities for other attributes).
-- grain: one row per continent
-- depends on: kpi_trends
WITH trends AS (
    SELECT
        COALESCE(continent, '(unknown)') AS continent,  -- <- edit (grouping attribute)
        status
    FROM kpi_trends
)

SELECT
    continent,  -- <- edit (grouping attribute)
    COUNT(*) AS n_series,
    COUNT(*) FILTER (WHERE status IN ('achieved', 'on_track', 'moderately_improving', 'stagnating', 'worsening')) AS n_judged,
    COUNT(*) FILTER (WHERE status = 'worsening') AS n_worsening,
    COUNT(*) FILTER (WHERE status IN ('no_target', 'insufficient_data')) AS n_not_judged,
    CASE
        WHEN COUNT(*) FILTER (WHERE status IN ('achieved', 'on_track', 'moderately_improving', 'stagnating', 'worsening')) = 0 THEN NULL
        ELSE 100.0 * COUNT(*) FILTER (WHERE status = 'worsening')
            / COUNT(*) FILTER (WHERE status IN ('achieved', 'on_track', 'moderately_improving', 'stagnating', 'worsening'))
    END AS worsening_pct_of_judged
FROM trends
GROUP BY continent
ORDER BY worsening_pct_of_judged DESC NULLS LAST, continent
