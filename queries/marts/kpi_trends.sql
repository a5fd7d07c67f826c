-- kpi_trends: each series' trend up to the analysis year (OLS slope and 95 % interval, CAGR),
--     the slope needed to meet the target (or, where reference_kind = 'benchmark', the benchmark)
--     by the horizon year, and the status, with city and
--     KPI names. Confidential values are withheld (METHODOLOGY section 10): when any observation
--     in the trend window is confidential (`confidential`), everything computed from the values
--     (latest value, slope, interval, CAGR, required slope, ratio, status, years to target,
--     projected and fitted values) is NULL; years, number of points and target stay.
-- grain: one row per (analysis_year, city_id, data_point_id)
-- depends on: stg_trends, stg_observations, stg_cities, stg_catalog
WITH confidential_series AS (
    SELECT
        t.analysis_year,
        t.city_id,
        t.data_point_id,
        BOOL_OR(COALESCE(o.confidential, FALSE)) AS confidential
    FROM stg_trends AS t
    INNER JOIN stg_observations AS o
        ON o.city_id = t.city_id
        AND o.data_point_id = t.data_point_id
        AND o.year <= t.analysis_year
    GROUP BY t.analysis_year, t.city_id, t.data_point_id
),

trends AS (
    SELECT
        t.analysis_year,
        t.city_id,
        t.data_point_id,
        t.direction,
        t.n_points,
        t.first_year,
        t.latest_year,
        t.latest_value,
        t.slope,
        t.slope_ci_low,
        t.slope_ci_high,
        t.cagr_pct,
        t.target,
        t.reference_kind,
        t.horizon_year,
        t.required_slope,
        t.ratio,
        t.status,
        t.years_to_target,
        t.years_to_target_note,
        t.projected_value,
        t.fitted_value,
        COALESCE(cs.confidential, FALSE) AS confidential
    FROM stg_trends AS t
    LEFT JOIN confidential_series AS cs
        ON cs.analysis_year = t.analysis_year
        AND cs.city_id = t.city_id
        AND cs.data_point_id = t.data_point_id
)

SELECT
    t.analysis_year,
    t.city_id,
    c.city_name,
    c.country_iso3,
    c.continent,
    t.data_point_id,
    k.kpi_name,
    k.unit,
    t.direction,
    t.n_points,
    t.first_year,
    t.latest_year,
    t.confidential,
    CASE WHEN t.confidential THEN NULL ELSE t.latest_value END AS latest_value,
    CASE WHEN t.confidential THEN NULL ELSE t.slope END AS slope,
    CASE WHEN t.confidential THEN NULL ELSE t.slope_ci_low END AS slope_ci_low,
    CASE WHEN t.confidential THEN NULL ELSE t.slope_ci_high END AS slope_ci_high,
    CASE WHEN t.confidential THEN NULL ELSE t.cagr_pct END AS cagr_pct,
    t.target,
    t.reference_kind,
    t.horizon_year,
    CASE WHEN t.confidential THEN NULL ELSE t.required_slope END AS required_slope,
    CASE WHEN t.confidential THEN NULL ELSE t.ratio END AS ratio,
    CASE WHEN t.confidential THEN NULL ELSE t.status END AS status,
    CASE WHEN t.confidential THEN NULL ELSE t.years_to_target END AS years_to_target,
    CASE WHEN t.confidential THEN NULL ELSE t.years_to_target_note END AS years_to_target_note,
    CASE WHEN t.confidential THEN NULL ELSE t.projected_value END AS projected_value,
    CASE WHEN t.confidential THEN NULL ELSE t.fitted_value END AS fitted_value
FROM trends AS t
LEFT JOIN stg_cities AS c
    ON c.city_id = t.city_id
LEFT JOIN stg_catalog AS k
    ON k.data_point_id = t.data_point_id
