-- index_sensitivity: how much of the variance of each unit's index rank, and of the mean absolute rank change of
--     all units (target = 'mean_abs_rank_change', COINr's target), each uncertain choice of [index.uncertainty]
--     explains alone (first_order, Saltelli 2010) and with its interactions (total_effect, Jansen 1999), from
--     `citybench index --uncertainty N --sensitivity`; interactions = total_effect - first_order. Bootstrap
--     intervals for the overall target only. Null indices: the output did not vary.
--     Empty when confidential observations entered the index (a custodian index: METHODOLOGY section 10).
-- grain: one row per (target, unit_id, factor)
-- depends on: stg_index_sensitivity, stg_index_units
SELECT
    target,
    unit_id,
    unit_name,
    factor,
    first_order,
    total_effect,
    total_effect - first_order AS interactions,
    first_order_p05,
    first_order_p95,
    total_effect_p05,
    total_effect_p95,
    variance,
    samples_per_factor
FROM stg_index_sensitivity
WHERE NOT EXISTS (SELECT 1 FROM stg_index_units WHERE confidential_entered)
