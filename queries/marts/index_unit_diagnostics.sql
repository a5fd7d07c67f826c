-- index_unit_diagnostics: per ranked unit, missing values, zeros and imputed cells over the index's indicators.
--     Empty when confidential observations entered the index (a custodian index: METHODOLOGY section 10).
-- grain: one row per unit_id
-- depends on: stg_index_unit_diagnostics, stg_index_units
SELECT
    unit_id,
    unit_name,
    n_missing,
    n_zero,
    non_zero_share,
    n_imputed
FROM stg_index_unit_diagnostics
WHERE NOT EXISTS (SELECT 1 FROM stg_index_units WHERE confidential_entered)
