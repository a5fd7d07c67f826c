-- assert_points_range: points are 1..4, present exactly when the state is a band label, and
--     the label matches the points (4 = '95%+ of target', 3 = '66-95%', 2 = '33-66%', 1 = '< 33%').
-- grain: one row per offending (analysis_year, city_id, data_point_id); zero rows = pass
-- depends on: stg_attainment
WITH labelled AS (
    SELECT
        analysis_year,
        city_id,
        data_point_id,
        points,
        state,
        CASE state
            WHEN '95%+ of target' THEN 4
            WHEN '66-95%' THEN 3
            WHEN '33-66%' THEN 2
            WHEN '< 33%' THEN 1
            ELSE NULL
        END AS band_points
    FROM stg_attainment
)

SELECT
    CASE
        WHEN points IS NOT NULL AND points NOT BETWEEN 1 AND 4 THEN 'points outside 1..4'
        WHEN points IS NULL AND band_points IS NOT NULL THEN 'points NULL while state is a band label'
        WHEN points IS NOT NULL AND band_points IS NULL THEN 'points set while state is not a band label'
        ELSE 'points do not match the state''s band'
    END AS problem,
    analysis_year,
    city_id,
    data_point_id,
    points,
    state
FROM labelled
WHERE (points IS NOT NULL AND points NOT BETWEEN 1 AND 4)
    OR (points IS NULL AND band_points IS NOT NULL)
    OR (points IS NOT NULL AND band_points IS NULL)
    OR points <> band_points
ORDER BY city_id, data_point_id
