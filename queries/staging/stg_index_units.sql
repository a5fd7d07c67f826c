-- stg_index_units: every unit of the index input with its data availability and whether screening kept it, and
--     whether confidential observations entered the index (then it is the custodian's and the index marts are
--     empty: METHODOLOGY section 10). Renamed and typed; empty until `citybench index` has run.
-- grain: one row per unit_id
-- depends on: src_index_units
SELECT
    CAST(unit_id AS VARCHAR)            AS unit_id,
    CAST(unit_name AS VARCHAR)          AS unit_name,
    CAST(indicators_present AS INTEGER) AS indicators_present,
    CAST(availability AS DOUBLE)        AS availability,
    CAST(included AS BOOLEAN)           AS included,
    CAST(reason AS VARCHAR)             AS reason,
    CAST(confidential_entered AS BOOLEAN) AS confidential_entered
FROM src_index_units
