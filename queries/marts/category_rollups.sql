-- category_rollups: each city's U4SSC roll-up score (points / (4 x scored items)) at category,
--     sub-dimension, dimension and overall level, with coverage (scored / non-neutral items)
--     beside every score, the band and the low-coverage flag (coverage < 50 %). scored_target and
--     scored_benchmark split the scored items by the kind of reference they were scored against;
--     reported counts the items with a value (a band of 'data reported, no target yet' has some).
--     rollup_score_pct and coverage_pct are the same ratios x 100 (NULL stays NULL). These are the
--     published roll-ups (METHODOLOGY section 10): a confidential item is left unscored (it would
--     otherwise be recoverable by differencing the score against the published items' points);
--     confidential_items counts them. A city's own roll-ups with them are in its snapshot.
-- grain: one row per (analysis_year, city_id, level, path)
-- depends on: stg_rollups_published, stg_cities
SELECT
    r.analysis_year,
    r.city_id,
    c.city_name,
    c.country_iso3,
    c.continent,
    r.level,
    r.path,
    r.dimension,
    r.sub_dimension,
    r.category,
    r.items,
    r.reported,
    r.scored,
    r.scored_target,
    r.scored_benchmark,
    r.points,
    r.confidential_items,
    r.rollup_score,
    r.rollup_score * 100 AS rollup_score_pct,
    r.coverage,
    r.coverage * 100 AS coverage_pct,
    r.band,
    r.low_coverage
FROM stg_rollups_published AS r
LEFT JOIN stg_cities AS c
    ON c.city_id = r.city_id
