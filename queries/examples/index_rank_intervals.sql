-- The top 20 of the composite index with their rank intervals: which places are solid and which hinge on the
-- weights and methods (run `citybench index --uncertainty 1000` first; without it the interval columns are empty).
SELECT
    s.rank,
    s.unit_id,
    s.unit_name,
    round(s.score, 2)  AS index_score,
    u.median_rank,
    u.rank_p05,
    u.rank_p95
FROM index_scores AS s
LEFT JOIN index_uncertainty AS u
    ON u.unit_id = s.unit_id
WHERE s.parent IS NULL
ORDER BY s.rank, s.unit_id
LIMIT 20
