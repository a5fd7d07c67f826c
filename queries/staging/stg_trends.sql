-- stg_trends: OLS trend per series up to the analysis year, slope needed to meet the target by the horizon, and status, renamed and typed.
-- grain: one row per (analysis_year, city_id, data_point_id)
-- depends on: src_trends
SELECT
    CAST(analysis_year AS INTEGER)    AS analysis_year,
    CAST(city_id AS VARCHAR)          AS city_id,
    CAST(data_point_id AS VARCHAR)    AS data_point_id,
    CAST(direction AS VARCHAR)        AS direction,
    CAST(n_points AS INTEGER)         AS n_points,
    CAST(first_year AS INTEGER)       AS first_year,
    CAST(latest_year AS INTEGER)      AS latest_year,
    CAST(latest_value AS DOUBLE)      AS latest_value,
    CAST(slope AS DOUBLE)             AS slope,
    CAST(slope_ci_low AS DOUBLE)      AS slope_ci_low,
    CAST(slope_ci_high AS DOUBLE)     AS slope_ci_high,
    CAST(cagr_pct AS DOUBLE)          AS cagr_pct,
    CAST(target AS DOUBLE)            AS target,
    CAST(reference_kind AS VARCHAR)   AS reference_kind,
    CAST(horizon_year AS INTEGER)     AS horizon_year,
    CAST(required_slope AS DOUBLE)    AS required_slope,
    CAST(ratio AS DOUBLE)             AS ratio,
    CAST(status AS VARCHAR)           AS status,
    CAST(years_to_target AS DOUBLE)   AS years_to_target,
    CAST(years_to_target_note AS VARCHAR) AS years_to_target_note,
    CAST(projected_value AS DOUBLE)   AS projected_value,
    CAST(fitted_value AS DOUBLE)      AS fitted_value
FROM src_trends
