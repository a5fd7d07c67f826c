-- benchmarks: the benchmark of each data point in the published run, the reference level where no
--     normative target applies (METHODOLOGY section 6): computed each run from the published values
--     of every city, the same for every city scored against it. One row per data point at least one
--     city was scored against; benchmark_max differs from benchmark only if the run were inconsistent.
--     Read by `citybench targets`. No value of a city is read: target is the benchmark itself.
-- grain: one row per data_point_id
-- depends on: stg_attainment
SELECT
    data_point_id,
    min(analysis_year)  AS analysis_year,
    min(target)         AS benchmark,
    max(target)         AS benchmark_max,
    min(benchmark_n)    AS benchmark_n,
    min(target_year)    AS target_year,
    min(target_source)  AS target_source
FROM stg_attainment
WHERE reference_kind = 'benchmark'
GROUP BY data_point_id
ORDER BY data_point_id
