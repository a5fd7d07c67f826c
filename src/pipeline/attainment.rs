//! Stage `attainment` (METHODOLOGY section 6): each city's value against its target, the
//! U4SSC bands and points. Also resolves which target applies to each (city, data point):
//! a city override, else a group override (first in file order), else the default.

use polars::prelude::*;

use crate::schema::derived::{self as d, METHOD_BAND, METHOD_BOUNDED, METHOD_RATIO};

/// Tolerance of band and status comparisons (METHODOLOGY section 6).
pub const TOL: f64 = 1e-9;

/// Band labels, best first, and the "no data" / "no target" / neutral states.
pub const STATE_95: &str = "95%+ of target";
pub const STATE_66: &str = "66-95%";
pub const STATE_33: &str = "33-66%";
pub const STATE_LOW: &str = "< 33%";
pub const STATE_NO_DATA: &str = "no data";
pub const STATE_NO_TARGET: &str = "data reported, no target yet";
/// Neutral data points are not scored (outside the six U4SSC states).
pub const STATE_NEUTRAL: &str = "neutral: not scored";

/// Kinds of reference level (METHODOLOGY section 6), in `reference_kind`.
pub const KIND_TARGET: &str = "target";
pub const KIND_BENCHMARK: &str = "benchmark";
/// `target_scope` of a benchmark.
pub const SCOPE_BENCHMARK: &str = "benchmark";

fn dir_is(s: &str) -> Expr {
    col(d::DIRECTION).eq(lit(s))
}

/// Resolve targets for every (city, data point) of `base`: city override, else group
/// override (the one earliest in the file when several groups of a city have one), else
/// the default. Adds target, worst, tolerance, target_year, target_source, target_scope.
pub fn resolve_targets(
    base: LazyFrame,
    memberships: LazyFrame,
    defaults: LazyFrame,
    city_overrides: LazyFrame,
    group_overrides: LazyFrame,
) -> LazyFrame {
    let fields = [
        d::TARGET,
        d::WORST,
        d::TOLERANCE,
        d::TARGET_YEAR,
        d::TARGET_SOURCE,
    ];
    let pick = |lf: LazyFrame, scope: &str, prio: Expr| {
        let mut sel = vec![col(d::CITY_ID), col(d::DATA_POINT_ID)];
        sel.extend(fields.iter().map(|f| col(*f)));
        sel.push(lit(scope).alias(d::TARGET_SCOPE));
        sel.push(prio.alias("prio"));
        lf.select(sel)
    };
    let city = pick(city_overrides, "city", lit(0i64).cast(DataType::Int64));
    let group = pick(
        memberships.join(
            group_overrides,
            [col(d::GROUPING), col(d::GROUP)],
            [col(d::GROUPING), col(d::GROUP)],
            crate::frames::ordered(JoinType::Inner),
        ),
        "group",
        (col("line") + lit(1i64)).cast(DataType::Int64),
    );
    let overrides = concat([city, group], UnionArgs::default())
        .expect("same schema")
        .sort(["prio"], SortMultipleOptions::default())
        .unique_stable_generic(
            Some(vec![col(d::CITY_ID), col(d::DATA_POINT_ID)]),
            UniqueKeepStrategy::First,
        )
        .drop(cols(["prio"]));
    let mut dsel = vec![col(d::DATA_POINT_ID)];
    dsel.extend(fields.iter().map(|f| col(*f).alias(format!("{f}_default"))));
    let defaults = defaults.select(dsel);
    let has_override = col(d::TARGET_SCOPE).is_not_null();
    let mut out = Vec::new();
    for f in fields {
        let default = col(format!("{f}_default"));
        out.push(if f == d::TARGET_SOURCE {
            // a long text (150 bytes a row on average): chosen without copying it
            crate::frames::choose_text(has_override.clone(), col(f), default).alias(f)
        } else {
            when(has_override.clone())
                .then(col(f))
                .otherwise(default)
                .alias(f)
        });
    }
    out.push(
        when(has_override)
            .then(col(d::TARGET_SCOPE))
            .when(col(format!("{}_default", d::TARGET)).is_not_null())
            .then(lit("default"))
            .otherwise(lit(NULL).cast(DataType::String))
            .alias(d::TARGET_SCOPE),
    );
    base.join(
        overrides,
        [col(d::CITY_ID), col(d::DATA_POINT_ID)],
        [col(d::CITY_ID), col(d::DATA_POINT_ID)],
        crate::frames::ordered(JoinType::Left),
    )
    .join(
        defaults,
        [col(d::DATA_POINT_ID)],
        [col(d::DATA_POINT_ID)],
        crate::frames::ordered(JoinType::Left),
    )
    .with_columns(out)
    .drop(cols(
        fields
            .iter()
            .map(|f| format!("{f}_default"))
            .collect::<Vec<_>>(),
    ))
}

/// The benchmark of every higher- or lower-is-better data point (METHODOLOGY section 6):
/// over the aligned values that are not confidential, the mean of the `top` best
/// performers (direction-adjusted) or the direction-adjusted `quantile` of performance
/// (type 7), when at least `min_cities` values are published. Returns data_point_id,
/// `benchmark`, `benchmark_n` (the published values), `benchmark_label` (how it was
/// computed, for the source column); empty when benchmarks are off.
pub fn benchmarks(
    aligned: LazyFrame,
    catalog: LazyFrame,
    cfg: &crate::config::Benchmarks,
) -> LazyFrame {
    use crate::config::BenchmarkMethod;
    let lower = || col(d::DIRECTION).first().eq(lit("lower_better"));
    let v = || col(d::VALUE);
    let top = cfg.top;
    let value = match cfg.method {
        BenchmarkMethod::TopMean | BenchmarkMethod::Off => when(lower())
            .then(
                v().sort(SortOptions::default())
                    .head(Some(top as usize))
                    .mean(),
            )
            .otherwise(
                v().sort(SortOptions::default().with_order_descending(true))
                    .head(Some(top as usize))
                    .mean(),
            ),
        BenchmarkMethod::Quantile => when(lower())
            .then(v().quantile(lit(1.0 - cfg.quantile), QuantileMethod::Linear))
            .otherwise(v().quantile(lit(cfg.quantile), QuantileMethod::Linear)),
    };
    let label = match cfg.method {
        BenchmarkMethod::Quantile => format!(
            "the {} % quantile of performance (better than {} % of cities)",
            fmt_share(cfg.quantile),
            fmt_share(cfg.quantile)
        ),
        _ => format!("the mean of the {top} best performers"),
    };
    let on = cfg.method != BenchmarkMethod::Off;
    aligned
        .filter(
            col(d::CONFIDENTIAL)
                .fill_null(lit(false))
                .not()
                .and(col(d::VALUE).is_not_null())
                .and(lit(on)),
        )
        .join(
            catalog.select([col(d::DATA_POINT_ID), col(d::DIRECTION)]),
            [col(d::DATA_POINT_ID)],
            [col(d::DATA_POINT_ID)],
            crate::frames::ordered(JoinType::Inner),
        )
        .filter(dir_is("higher_better").or(dir_is("lower_better")))
        .group_by_stable([col(d::DATA_POINT_ID)])
        .agg([
            value.alias(d::BENCHMARK),
            v().count().cast(DataType::UInt32).alias(d::BENCHMARK_N),
        ])
        .filter(col(d::BENCHMARK_N).gt_eq(lit(cfg.min_cities)))
        .with_columns([
            // 12 significant digits: a mean of parallel partial sums is byte-stable
            col(d::BENCHMARK).round_sig_figs(12),
            lit(label).alias(BENCHMARK_LABEL),
        ])
}

/// The column of [`benchmarks`] holding how the benchmark was computed.
pub const BENCHMARK_LABEL: &str = "benchmark_label";
/// The text of [`benchmark_source`], once per data point in the benchmarks frame.
const BENCHMARK_SOURCE: &str = "__benchmark_source";

/// `0.9` -> `90`.
fn fmt_share(q: f64) -> String {
    crate::ingest::validate::fmt_num(q * 100.0)
}

fn benchmark_source_tail(year: i32) -> String {
    format!(
        " cities with a published value in {year} (computed each run; confidential values left out; not a normative target)"
    )
}

/// The `target_source` of a benchmark: how it was computed (`label`, the
/// `benchmark_label` of [`benchmarks`]), on how many published values, in which year.
pub fn benchmark_source(label: &str, n: i64, year: i32) -> String {
    format!("benchmark: {label} of {n}{}", benchmark_source_tail(year))
}

/// Where `resolved` (from [`resolve_targets`], with DIRECTION) has no target for a
/// higher- or lower-is-better data point, the benchmark of [`benchmarks`]: TARGET is the
/// benchmark, TARGET_SCOPE `benchmark`, TARGET_SOURCE says how it was computed and on how
/// many cities, TARGET_YEAR is the analysis year. Adds REFERENCE_KIND (`target`,
/// `benchmark` or null) and BENCHMARK_N.
pub fn with_benchmarks(resolved: LazyFrame, benchmarks: LazyFrame, year: i32) -> LazyFrame {
    let use_benchmark = col(d::TARGET)
        .is_null()
        .and(col(d::BENCHMARK).is_not_null())
        .and(dir_is("higher_better").or(dir_is("lower_better")));
    // the text of [`benchmark_source`], built once per data point (a few dozen rows) and
    // gathered by the join: per row it allocated a long string for every city
    let source = concat_str(
        [
            lit("benchmark: "),
            col(BENCHMARK_LABEL),
            lit(" of "),
            col(d::BENCHMARK_N).cast(DataType::String),
            lit(benchmark_source_tail(year)),
        ],
        "",
        false,
    );
    resolved
        .join(
            benchmarks.with_column(source.alias(BENCHMARK_SOURCE)),
            [col(d::DATA_POINT_ID)],
            [col(d::DATA_POINT_ID)],
            crate::frames::ordered(JoinType::Left),
        )
        .with_column(use_benchmark.alias("__benchmark"))
        .with_columns([
            when(col("__benchmark"))
                .then(col(d::BENCHMARK))
                .otherwise(col(d::TARGET))
                .alias(d::TARGET),
            when(col("__benchmark"))
                .then(lit(SCOPE_BENCHMARK))
                .otherwise(col(d::TARGET_SCOPE))
                .alias(d::TARGET_SCOPE),
            // the long texts chosen without copying them ([`crate::frames::choose_text`])
            crate::frames::choose_text(
                col("__benchmark"),
                col(BENCHMARK_SOURCE),
                col(d::TARGET_SOURCE),
            )
            .alias(d::TARGET_SOURCE),
            when(col("__benchmark"))
                .then(lit(year))
                .otherwise(col(d::TARGET_YEAR).cast(DataType::Int32))
                .alias(d::TARGET_YEAR),
            when(col("__benchmark"))
                .then(lit(KIND_BENCHMARK))
                .when(col(d::TARGET).is_not_null())
                .then(lit(KIND_TARGET))
                .otherwise(lit(NULL).cast(DataType::String))
                .alias(d::REFERENCE_KIND),
            when(col("__benchmark"))
                .then(col(d::BENCHMARK_N))
                .otherwise(lit(NULL).cast(DataType::UInt32))
                .alias(d::BENCHMARK_N),
        ])
        .drop(cols([
            "__benchmark",
            d::BENCHMARK,
            BENCHMARK_LABEL,
            BENCHMARK_SOURCE,
        ]))
}

/// The target frames of [`resolve_targets`]: workspace or embedded defaults, per-city and
/// per-group overrides.
pub struct TargetFrames {
    pub defaults: LazyFrame,
    pub city: LazyFrame,
    pub group: LazyFrame,
}

/// Every (city, data point) to score: each city of `cities` (a CITY_ID column) with each
/// data point of `catalog` and its dimension, sub-dimension, category and direction.
pub fn grid(cities: LazyFrame, catalog: LazyFrame) -> LazyFrame {
    // a cross join that keeps the order asked: `cross_join` (no `maintain_order`), fed
    // `run`'s lazy distinct cities, gave its rows in a different order from run to run at
    // 5 000 cities, and `percentiles` and `gaps` with them. City by city, each city's
    // data points in the order of `catalog` (`run` passes them in code order).
    cities.select([col(d::CITY_ID)]).join(
        catalog.select([
            col(d::DATA_POINT_ID),
            col(d::DIMENSION),
            col(d::SUB_DIMENSION),
            col(d::CATEGORY),
            col(d::DIRECTION),
        ]),
        vec![],
        vec![],
        crate::frames::ordered(JoinType::Cross),
    )
}

/// Attainment of `values` (aligned rows to score) on `grid` (CITY_ID x the catalogue's
/// DATA_POINT_ID, hierarchy and DIRECTION), as `run` computes it: the targets that apply
/// ([`resolve_targets`] over `memberships`), a benchmark where none does
/// ([`benchmarks`] and the fallback worst value over `population`, the aligned values of
/// every city in analysis year `year`), then [`attainment`].
#[allow(clippy::too_many_arguments)]
pub fn against_references(
    grid: LazyFrame,
    memberships: LazyFrame,
    targets: TargetFrames,
    population: LazyFrame,
    values: LazyFrame,
    catalog: LazyFrame,
    cfg: &crate::config::Config,
    year: i32,
) -> PolarsResult<LazyFrame> {
    let resolved = resolve_targets(
        grid,
        memberships,
        targets.defaults,
        targets.city,
        targets.group,
    );
    let bench = benchmarks(population.clone(), catalog.clone(), &cfg.benchmarks);
    let resolved = with_benchmarks(resolved, bench, year);
    let fallback = worst_fallback(population, catalog);
    let bounded = cfg.attainment.method == crate::config::AttainmentMethod::Bounded;
    attainment(resolved, values, fallback, bounded)
}

/// The lower goalpost when the targets table gives none: the 2.5th percentile
/// (higher_better) or 97.5th percentile (lower_better) of all cities' aligned values of
/// the data point that are not confidential (it is published in every city's `worst`, so
/// it is a published statistic: METHODOLOGY section 10). Returns data_point_id,
/// `worst_fallback`.
pub fn worst_fallback(aligned: LazyFrame, catalog: LazyFrame) -> LazyFrame {
    aligned
        .filter(col(d::CONFIDENTIAL).fill_null(lit(false)).not())
        .join(
            catalog.select([col(d::DATA_POINT_ID), col(d::DIRECTION)]),
            [col(d::DATA_POINT_ID)],
            [col(d::DATA_POINT_ID)],
            crate::frames::ordered(JoinType::Inner),
        )
        .group_by_stable([col(d::DATA_POINT_ID)])
        .agg([when(col(d::DIRECTION).first().eq(lit("lower_better")))
            .then(col(d::VALUE).quantile(lit(0.975), QuantileMethod::Linear))
            .otherwise(col(d::VALUE).quantile(lit(0.025), QuantileMethod::Linear))
            .alias("worst_fallback")])
}

/// The method that applies: `band` for target_band, `bounded` when configured or when
/// the target is 0 or below (a ratio is undefined), else `ratio`; null without a target or
/// for neutral data points.
pub fn method_expr(bounded: bool) -> Expr {
    when(dir_is("neutral").or(col(d::TARGET).is_null()))
        .then(lit(NULL).cast(DataType::String))
        .when(dir_is("target_band"))
        .then(lit(METHOD_BAND))
        .when(lit(bounded).or(col(d::TARGET).lt_eq(lit(0.0))))
        .then(lit(METHOD_BOUNDED))
        .otherwise(lit(METHOD_RATIO))
}

/// Attainment `a` of `value` given the METHOD, TARGET, WORST, TOLERANCE and DIRECTION
/// columns (unclipped for the ratio method; bands use min(a, 1)).
pub fn attainment_expr(value: Expr) -> Expr {
    let m = col(d::METHOD);
    let t = col(d::TARGET);
    let w = col(d::WORST);
    when(value.clone().is_null().or(m.clone().is_null()))
        .then(lit(NULL).cast(DataType::Float64))
        .when(m.clone().eq(lit(METHOD_BAND)))
        .then((lit(1.0) - (value.clone() - t.clone()).abs() / col(d::TOLERANCE)).clip_min(lit(0.0)))
        .when(m.eq(lit(METHOD_BOUNDED)))
        .then(
            when(w.clone().is_null().or(w.clone().eq(t.clone())))
                .then(lit(NULL).cast(DataType::Float64))
                .otherwise(
                    ((value.clone() - w.clone()) / (t.clone() - w)).clip(lit(0.0), lit(1.0)),
                ),
        )
        .when(dir_is("lower_better"))
        .then(
            when(value.clone().eq(lit(0.0)))
                .then(lit(1.0))
                .otherwise(t.clone() / value.clone()),
        )
        .otherwise(value / t)
}

/// Points 1..4 from attainment (bands on min(a, 1), tolerance 1e-9); null without `a`.
pub fn points_expr(a: Expr) -> Expr {
    let c = a.clone().clip_max(lit(1.0));
    when(a.is_null())
        .then(lit(NULL).cast(DataType::Int32))
        .when(c.clone().gt_eq(lit(0.95 - TOL)))
        .then(lit(4i32))
        .when(c.clone().gt_eq(lit(0.66 - TOL)))
        .then(lit(3i32))
        .when(c.gt_eq(lit(0.33 - TOL)))
        .then(lit(2i32))
        .otherwise(lit(1i32))
}

/// The band label of 1..4 points.
pub fn band_label(points: Expr) -> Expr {
    when(points.clone().eq(lit(4i32)))
        .then(lit(STATE_95))
        .when(points.clone().eq(lit(3i32)))
        .then(lit(STATE_66))
        .when(points.clone().eq(lit(2i32)))
        .then(lit(STATE_33))
        .when(points.eq(lit(1i32)))
        .then(lit(STATE_LOW))
        .otherwise(lit(NULL).cast(DataType::String))
}

/// Attainment rows: every (city with data in the window) x (catalogue data point), with
/// value, source_year, the resolved target, method, attainment, points and state.
/// `targets` is the output of [`resolve_targets`] over the same grid with the catalogue
/// columns joined; `fallback` is [`worst_fallback`].
pub fn attainment(
    targets: LazyFrame,
    aligned: LazyFrame,
    fallback: LazyFrame,
    bounded: bool,
) -> PolarsResult<LazyFrame> {
    let values = aligned
        .select([
            col(d::CITY_ID),
            col(d::DATA_POINT_ID),
            col(d::VALUE),
            col(d::SOURCE_YEAR),
            col(d::QUALITY),
            col(d::CONFIDENTIAL),
        ])
        .collect()?;
    // the grid and the aligned values both come in (city, data point) order: merged
    let joined = crate::frames::left_join_in_order(
        targets.collect()?,
        values,
        [d::CITY_ID, d::DATA_POINT_ID],
    )?;
    Ok(joined
        .lazy()
        .join(
            fallback,
            [col(d::DATA_POINT_ID)],
            [col(d::DATA_POINT_ID)],
            crate::frames::ordered(JoinType::Left),
        )
        .with_column(method_expr(bounded).alias(d::METHOD))
        .with_column(
            when(col(d::METHOD).eq(lit(METHOD_BOUNDED)))
                .then(col(d::WORST).fill_null(col("worst_fallback")))
                .otherwise(col(d::WORST))
                .alias(d::WORST),
        )
        .drop(cols(["worst_fallback"]))
        .with_column(attainment_expr(col(d::VALUE)).alias(d::ATTAINMENT))
        .with_column(points_expr(col(d::ATTAINMENT)).alias(d::POINTS))
        .with_column(
            when(dir_is("neutral"))
                .then(lit(STATE_NEUTRAL))
                .when(col(d::VALUE).is_null())
                .then(lit(STATE_NO_DATA))
                .when(col(d::POINTS).is_null())
                .then(lit(STATE_NO_TARGET))
                .otherwise(band_label(col(d::POINTS)))
                .alias(d::STATE),
        ))
}
