-- assert_maturity_levels: maturity levels are 0..5, 0 exactly when there is no value, the next level is above the
--     current one, every dimension roll-up's min is at most its median and its counts add up to its data points,
--     and where no matrix row applies (matrix_scope 'attainment') the level is the U4SSC state's: points + 1, or 1
--     for a value without points (METHODOLOGY section 8: maturity and attainment never disagree by default).
-- grain: one row per offending row; zero rows = pass
-- depends on: stg_maturity_levels, stg_maturity_dimensions, stg_attainment
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
    'level disagrees with the U4SSC state' AS problem,
    m.city_id,
    m.data_point_id AS item
FROM stg_maturity_levels AS m
INNER JOIN stg_attainment AS a
    ON a.analysis_year = m.analysis_year
    AND a.city_id = m.city_id
    AND a.data_point_id = m.data_point_id
WHERE m.matrix_scope = 'attainment'
    AND m.value IS NOT NULL
    AND m.maturity_level <> COALESCE(a.points, 0) + 1
UNION ALL
SELECT
    'dimension roll-up' AS problem,
    city_id,
    dimension AS item
FROM stg_maturity_dimensions
WHERE level_min > level_median
    OR at_level_0 + at_level_1 + at_level_2 + at_level_3 + at_level_4 + at_level_5 <> data_points
ORDER BY city_id, item
