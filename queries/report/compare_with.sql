-- compare_with: one city against cities it chose, per data point, with the same columns as
--     compare_grouping. The group is the city and the chosen cities; a chosen city's confidential
--     value is left out (never used, named or shown; METHODOLOGY section 10), so every statistic
--     here is computed from values published anyway and no k threshold applies. Quantiles are
--     type 7 (quantile_cont); the percentile is the direction-adjusted mid-rank of METHODOLOGY
--     section 5 (target_band: closer to each city's own target is better).
-- grain: one row per data_point_id (for a city with any value in the run)
-- parameters: $1 city_id, $2 the chosen cities' ids joined by ','
-- depends on: stg_attainment, stg_catalog, stg_cities
WITH chosen AS (
    SELECT DISTINCT TRIM(id) AS city_id
    FROM (SELECT UNNEST(string_split($2, ',')) AS id)
    WHERE TRIM(id) <> ''
        AND TRIM(id) <> $1
),

members AS (
    SELECT
        a.analysis_year,
        a.city_id,
        a.data_point_id,
        a.value,
        CASE a.direction
            WHEN 'higher_better' THEN a.value
            WHEN 'lower_better' THEN -a.value
            WHEN 'target_band' THEN -ABS(a.value - a.target)
        END AS score
    FROM stg_attainment AS a
    WHERE a.value IS NOT NULL
        AND (
            a.city_id = $1
            OR (
                a.city_id IN (SELECT city_id FROM chosen)
                AND NOT COALESCE(a.confidential, FALSE)
            )
        )
),

stats AS (
    SELECT
        data_point_id,
        COUNT(*)                     AS n,
        quantile_cont(value, 0.25)   AS p25,
        quantile_cont(value, 0.5)    AS median,
        quantile_cont(value, 0.75)   AS p75
    FROM members
    GROUP BY data_point_id
),

standing AS (
    SELECT
        m.data_point_id,
        100.0 * (
            COUNT(*) FILTER (WHERE o.score < m.score)
            + COUNT(*) FILTER (WHERE o.score = m.score) / 2.0
        ) / COUNT(o.score) AS percentile
    FROM members AS m
    INNER JOIN members AS o
        ON o.data_point_id = m.data_point_id
    WHERE m.city_id = $1
        AND m.score IS NOT NULL
    GROUP BY m.data_point_id, m.score
),

best AS (
    SELECT
        data_point_id,
        city_id,
        value
    FROM members
    WHERE city_id <> $1
        AND score IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY data_point_id ORDER BY score DESC, city_id) = 1
),

me AS (
    SELECT
        a.analysis_year,
        a.data_point_id,
        a.dimension,
        a.direction,
        a.value,
        a.source_year,
        COALESCE(a.confidential, FALSE) AS confidential,
        CASE a.direction
            WHEN 'higher_better' THEN s.median - a.value
            WHEN 'lower_better' THEN a.value - s.median
        END AS gap_median,
        CASE a.direction
            WHEN 'higher_better' THEN s.p75
            WHEN 'lower_better' THEN s.p25
        END AS leaders,
        s.n,
        s.p25,
        s.median,
        s.p75
    FROM stg_attainment AS a
    LEFT JOIN stats AS s
        ON s.data_point_id = a.data_point_id
    WHERE a.city_id = $1
),

gaps AS (
    SELECT
        *,
        CASE a.direction
            WHEN 'higher_better' THEN a.leaders - a.value
            WHEN 'lower_better' THEN a.value - a.leaders
        END AS gap_leaders
    FROM me AS a
)

SELECT
    g.data_point_id,
    k.kpi_name,
    g.dimension,
    k.unit,
    g.direction,
    g.value,
    g.source_year,
    g.confidential,
    'chosen cities' AS peer_group,
    g.n AS peer_n,
    FALSE AS suppressed,
    g.p25,
    g.median,
    g.p75,
    st.percentile,
    g.gap_median,
    CASE WHEN g.median = 0 THEN NULL ELSE g.gap_median / ABS(g.median) * 100 END AS gap_median_pct,
    g.leaders,
    g.gap_leaders,
    CASE WHEN g.leaders = 0 THEN NULL ELSE g.gap_leaders / ABS(g.leaders) * 100 END AS gap_leaders_pct,
    b.city_id AS best_peer_id,
    c.city_name AS best_peer_name,
    b.value AS best_peer_value,
    k.catalog_position
FROM gaps AS g
LEFT JOIN stg_catalog AS k
    ON k.data_point_id = g.data_point_id
LEFT JOIN standing AS st
    ON st.data_point_id = g.data_point_id
LEFT JOIN best AS b
    ON b.data_point_id = g.data_point_id
LEFT JOIN stg_cities AS c
    ON c.city_id = b.city_id
ORDER BY gap_median_pct DESC NULLS LAST, k.catalog_position
