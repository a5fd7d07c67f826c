-- stg_index_unit_diagnostics: per ranked unit of the index, its missing values, zeros (of the values present) and
--     imputed cells over the framework's indicators as reported (COINr's get_data_avail).
--     Renamed and typed; empty until `citybench index` has run with [index.diagnostics] extended.
-- grain: one row per unit_id
-- depends on: src_index_unit_diagnostics
SELECT
    CAST(unit_id AS VARCHAR)         AS unit_id,
    CAST(unit_name AS VARCHAR)       AS unit_name,
    CAST(n_missing AS INTEGER)       AS n_missing,
    CAST(n_zero AS INTEGER)          AS n_zero,
    CAST(non_zero_share AS DOUBLE)   AS non_zero_share,
    CAST(n_imputed AS INTEGER)       AS n_imputed
FROM src_index_unit_diagnostics
