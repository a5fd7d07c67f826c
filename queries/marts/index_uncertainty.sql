-- index_uncertainty: how stable each unit's index rank is under the Monte Carlo of `citybench index --uncertainty N`
--     (weights x U(1 - noise, 1 + noise), normalisation and aggregation drawn from the configured alternatives):
--     nominal rank, median and mean rank, 5th-95th percentile interval and the shift of the median from the nominal.
--     Empty when confidential observations entered the index (a custodian index: METHODOLOGY section 10).
-- grain: one row per unit_id
-- depends on: stg_index_uncertainty, stg_index_units
SELECT
    unit_id,
    unit_name,
    nominal_score,
    nominal_rank,
    median_rank,
    mean_rank,
    rank_p05,
    rank_p95,
    rank_interval,
    median_rank - nominal_rank AS median_shift,
    samples
FROM stg_index_uncertainty
WHERE NOT EXISTS (SELECT 1 FROM stg_index_units WHERE confidential_entered)
