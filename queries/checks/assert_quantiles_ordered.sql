-- assert_quantiles_ordered: in every published peer group, min <= p10 <= p25 <= median <= p75
--     <= p90 <= max and min <= mean <= max, each within 1e-9 (relative to the magnitude above 1),
--     and no quantile is NULL.
-- grain: one row per offending (analysis_year, grouping, peer_group, data_point_id); zero rows = pass
-- depends on: stg_peer_stats
WITH published AS (
    SELECT
        analysis_year,
        "grouping",
        peer_group,
        data_point_id,
        n,
        "min",
        p10,
        p25,
        median,
        p75,
        p90,
        "max",
        mean,
        -- tolerance: 1e-9, scaled up for values whose magnitude exceeds 1
        1e-9 * (1 + abs("min") + abs("max")) AS tol
    FROM stg_peer_stats
    WHERE NOT suppressed
),

problems AS (
    SELECT
        CASE
            WHEN "min" IS NULL OR p10 IS NULL OR p25 IS NULL OR median IS NULL
                OR p75 IS NULL OR p90 IS NULL OR "max" IS NULL OR mean IS NULL
                THEN 'published peer group with a NULL statistic'
            WHEN "min" > p10 + tol THEN 'min > p10'
            WHEN p10 > p25 + tol THEN 'p10 > p25'
            WHEN p25 > median + tol THEN 'p25 > median'
            WHEN median > p75 + tol THEN 'median > p75'
            WHEN p75 > p90 + tol THEN 'p75 > p90'
            WHEN p90 > "max" + tol THEN 'p90 > max'
            WHEN mean < "min" - tol OR mean > "max" + tol THEN 'mean outside [min, max]'
            ELSE NULL
        END AS problem,
        analysis_year,
        "grouping",
        peer_group,
        data_point_id,
        n,
        "min",
        p10,
        p25,
        median,
        p75,
        p90,
        "max",
        mean
    FROM published
)

SELECT
    problem,
    analysis_year,
    "grouping",
    peer_group,
    data_point_id,
    n,
    "min",
    p10,
    p25,
    median,
    p75,
    p90,
    "max",
    mean
FROM problems
WHERE problem IS NOT NULL
ORDER BY "grouping", peer_group, data_point_id
