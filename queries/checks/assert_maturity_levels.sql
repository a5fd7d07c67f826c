-- assert_maturity_levels: maturity levels are 0..5, 0 exactly when there is no value, the next level is above the
--     current one, and every dimension roll-up's min is at most its median and its counts add up to its data points.
-- grain: one row per offending row; zero rows = pass
-- depends on: stg_maturity_levels, stg_maturity_dimensions
SELECT
    'level' AS problem,
    city_id,
    data_point_id AS item
FROM stg_maturity_levels
WHERE maturity_level NOT BETWEEN 0 AND 5
    OR (maturity_level = 0) <> (value IS NULL)
    OR next_level <= maturity_level
UNION ALL
SELECT
    'dimension roll-up' AS problem,
    city_id,
    dimension AS item
FROM stg_maturity_dimensions
WHERE level_min > level_median
    OR at_level_0 + at_level_1 + at_level_2 + at_level_3 + at_level_4 + at_level_5 <> data_points
ORDER BY city_id, item
