-- distribution_by_population_band: how is one KPI distributed in each U4SSC population band
--     (< 100k, 100k-500k, 500k-1M, >= 1M)? Bands with fewer than k cities are shown with their
--     n and suppressed = true, and no statistics.
--     EDIT: the data point id in `kpi` (default: PM2.5 concentration, EN-EN-AQ-1C-pm25).
-- grain: one row per population band
-- depends on: peer_benchmarks
WITH kpi AS (
    SELECT 'EN-EN-AQ-1C-pm25' AS data_point_id  -- <- edit this line
)

SELECT
    b.analysis_year,
    b.data_point_id,
    b.kpi_name,
    b.unit,
    b.direction,
    b.peer_group AS population_band,
    b.n,
    b.suppressed,
    b."min",
    b.p10,
    b.p25,
    b.median,
    b.p75,
    b.p90,
    b."max",
    b.mean,
    b.sd,
    b.default_target
FROM peer_benchmarks AS b
INNER JOIN kpi
    ON kpi.data_point_id = b.data_point_id
WHERE b."grouping" = 'population_band'
ORDER BY
    CASE b.peer_group
        WHEN '<100k' THEN 1
        WHEN '100k-500k' THEN 2
        WHEN '500k-1M' THEN 3
        WHEN '>=1M' THEN 4
        ELSE 5
    END,
    b.peer_group
