-- peer_benchmarks: peer-group statistics per data point with the KPI's name, unit and direction,
--     the leaders' level (p75 for higher_better, p25 for lower_better, else NULL) and the
--     catalogue's default target. Every statistic is computed from the values that are not confidential
--     (METHODOLOGY section 10): n counts them and n_confidential says how many confidential values were left
--     out. Suppressed groups (n < k) keep n and have NULL statistics.
-- grain: one row per (analysis_year, grouping, peer_group, data_point_id)
-- depends on: stg_peer_stats, stg_catalog, stg_attainment
WITH default_targets AS (
    -- the default target of a data point, as resolved for any city not overriding it
    SELECT
        analysis_year,
        data_point_id,
        MIN(target)        AS default_target,
        MIN(tolerance)     AS default_tolerance,
        MIN(target_year)   AS default_target_year,
        MIN(target_source) AS default_target_source
    FROM stg_attainment
    WHERE target_scope = 'default'
    GROUP BY analysis_year, data_point_id
)

SELECT
    s.analysis_year,
    s."grouping",
    s.peer_group,
    s.data_point_id,
    k.kpi_name,
    k.dimension,
    k.sub_dimension,
    k.category,
    k.unit,
    k.direction,
    s.n,
    s.n_confidential,
    s.suppressed,
    s."min",
    s.p10,
    s.p25,
    s.median,
    s.p75,
    s.p90,
    s."max",
    s.mean,
    s.sd,
    s.p75 - s.p25 AS iqr,
    CASE k.direction
        WHEN 'higher_better' THEN s.p75
        WHEN 'lower_better' THEN s.p25
        ELSE NULL
    END AS leaders,
    t.default_target,
    t.default_tolerance,
    t.default_target_year,
    t.default_target_source
FROM stg_peer_stats AS s
LEFT JOIN stg_catalog AS k
    ON k.data_point_id = s.data_point_id
LEFT JOIN default_targets AS t
    ON t.analysis_year = s.analysis_year
    AND t.data_point_id = s.data_point_id
