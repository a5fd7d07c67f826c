-- The three best-ranked cities of each continent on the composite index, with their overall rank.
SELECT
    r."group"          AS continent,
    r.rank             AS rank_in_continent,
    r.unit_name,
    round(r.score, 2)  AS index_score,
    o.rank             AS overall_rank,
    r.units_in_group
FROM index_ranks AS r
JOIN index_ranks AS o
    ON o.unit_id = r.unit_id
   AND o.code = r.code
   AND o.grouping = 'all'
WHERE r.grouping = 'continent'
  AND r.level = (SELECT max(level) FROM index_ranks)
  AND r.rank <= 3
ORDER BY continent, rank_in_continent, r.unit_id
