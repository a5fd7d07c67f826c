-- compare_grouping: one city against its peer group in one grouping, per data point: the city's
--     value, the group's n, p25, median and p75, the city's percentile, its gaps to the median and
--     to the leaders' level (positive = shortfall; METHODOLOGY section 7), and the best other city
--     of the group. The best peer is the highest percentile among peers whose value is not
--     confidential (a confidential peer is never named or shown, METHODOLOGY section 10); none is
--     named for a suppressed group (n < k) or a neutral data point.
-- grain: one row per data_point_id (for a city with any value in the run)
-- parameters: $1 city_id, $2 grouping
-- depends on: stg_attainment, stg_catalog, stg_percentiles, stg_peer_stats, stg_gaps, stg_cities
WITH my_group AS (
    SELECT DISTINCT
        analysis_year,
        peer_group
    FROM stg_percentiles
    WHERE city_id = $1
        AND "grouping" = $2
),

me AS (
    SELECT
        a.analysis_year,
        a.data_point_id,
        a.dimension,
        a.direction,
        a.value,
        a.source_year,
        COALESCE(a.confidential, FALSE) AS confidential
    FROM stg_attainment AS a
    WHERE a.city_id = $1
),

best AS (
    SELECT
        p.data_point_id,
        p.city_id,
        p.value
    FROM stg_percentiles AS p
    INNER JOIN my_group AS g
        ON g.analysis_year = p.analysis_year
        AND g.peer_group = p.peer_group
    WHERE p."grouping" = $2
        AND p.city_id <> $1
        AND NOT COALESCE(p.confidential, FALSE)
        AND NOT p.suppressed
        AND p.percentile IS NOT NULL
    QUALIFY row_number() OVER (
        PARTITION BY p.data_point_id ORDER BY p.percentile DESC, p.city_id
    ) = 1
)

SELECT
    m.data_point_id,
    k.kpi_name,
    m.dimension,
    k.unit,
    m.direction,
    m.value,
    m.source_year,
    m.confidential,
    g.peer_group,
    s.n AS peer_n,
    COALESCE(s.suppressed, FALSE) AS suppressed,
    s.p25,
    s.median,
    s.p75,
    pc.percentile,
    gp.gap_median,
    gp.gap_median_pct,
    gp.leaders,
    gp.gap_leaders,
    gp.gap_leaders_pct,
    b.city_id AS best_peer_id,
    c.city_name AS best_peer_name,
    b.value AS best_peer_value,
    k.catalog_position
FROM me AS m
CROSS JOIN my_group AS g
LEFT JOIN stg_catalog AS k
    ON k.data_point_id = m.data_point_id
LEFT JOIN stg_peer_stats AS s
    ON s.analysis_year = m.analysis_year
    AND s."grouping" = $2
    AND s.peer_group = g.peer_group
    AND s.data_point_id = m.data_point_id
LEFT JOIN stg_percentiles AS pc
    ON pc.analysis_year = m.analysis_year
    AND pc.city_id = $1
    AND pc."grouping" = $2
    AND pc.data_point_id = m.data_point_id
LEFT JOIN stg_gaps AS gp
    ON gp.analysis_year = m.analysis_year
    AND gp.city_id = $1
    AND gp."grouping" = $2
    AND gp.data_point_id = m.data_point_id
LEFT JOIN best AS b
    ON b.data_point_id = m.data_point_id
LEFT JOIN stg_cities AS c
    ON c.city_id = b.city_id
ORDER BY gp.gap_median_pct DESC NULLS LAST, k.catalog_position
