-- index_screening: every unit of the index input with its data availability and whether screening kept it
--     (METHODOLOGY section 9 step 4; measured on the data as reported, before imputation), excluded units first.
--     Empty when confidential observations entered the index (a custodian index: METHODOLOGY section 10).
-- grain: one row per unit_id
-- depends on: stg_index_units
SELECT
    unit_id,
    unit_name,
    indicators_present,
    availability,
    included,
    reason
FROM stg_index_units
WHERE NOT EXISTS (SELECT 1 FROM stg_index_units AS u WHERE u.confidential_entered)
ORDER BY included, unit_id
