-- assert_rollup_score: rollup_score = points / (4 x scored) within 1e-12, NULL exactly when
--     nothing is scored, and within [0.25, 1] when present (every scored item has 1..4 points).
-- grain: one row per offending (analysis_year, city_id, level, path); zero rows = pass
-- depends on: stg_rollups
WITH expected AS (
    SELECT
        analysis_year,
        city_id,
        level,
        path,
        scored,
        points,
        rollup_score,
        CASE
            WHEN scored > 0 THEN CAST(points AS DOUBLE) / (4.0 * scored)
            ELSE NULL
        END AS expected_score
    FROM stg_rollups
)

SELECT
    CASE
        WHEN rollup_score IS NULL AND expected_score IS NOT NULL THEN 'rollup_score NULL although items are scored'
        WHEN rollup_score IS NOT NULL AND expected_score IS NULL THEN 'rollup_score set although nothing is scored'
        WHEN abs(rollup_score - expected_score) > 1e-12 THEN 'rollup_score differs from points / (4 x scored)'
        ELSE 'rollup_score outside [0.25, 1]'
    END AS problem,
    analysis_year,
    city_id,
    level,
    path,
    scored,
    points,
    rollup_score,
    expected_score
FROM expected
WHERE (rollup_score IS NULL) <> (expected_score IS NULL)
    OR abs(rollup_score - expected_score) > 1e-12
    OR isnan(rollup_score)
    OR rollup_score < 0.25
    OR rollup_score > 1
ORDER BY city_id, level, path
