-- assert_index_ranges: ranks are 1..n within their group, rank intervals are ordered, and availability lies in
--     0..1. Returns the offending rows (none on a valid workspace; empty tables pass).
-- grain: one row per violation
-- depends on: index_ranks, index_uncertainty, index_screening
SELECT 'index_ranks' AS table_name, unit_id, code AS detail
FROM index_ranks
WHERE rank IS NOT NULL AND (rank < 1 OR rank > units_in_group)
UNION ALL
SELECT 'index_uncertainty', unit_id, 'rank interval out of order'
FROM index_uncertainty
WHERE NOT (rank_p05 <= median_rank AND median_rank <= rank_p95)
UNION ALL
SELECT 'index_screening', unit_id, 'availability out of 0..1'
FROM index_screening
WHERE availability < 0 OR availability > 1
