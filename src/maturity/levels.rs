//! Stage `maturity` (METHODOLOGY section 8, ITU-T Y.4904): each non-neutral data point's
//! level 0..5, the next milestone, and the roll-up per dimension.
//!
//! Which levels apply to a (city, data point), in this order ([`resolve`]):
//!
//! 1. `city`: the city's own row of the workspace `maturity_matrix.csv` (with `city_id`);
//! 2. `workspace`: the workspace file's row without `city_id`;
//! 3. `attainment` (the default): the reference the U4SSC state uses, the city's target or
//!    the run's benchmark, with its method (METHODOLOGY section 6). The level is the
//!    attainment band: 5 at the 95 %+ band (4 points), 4 at 66-95 % (3), 3 at 33-66 % (2),
//!    2 below 33 % (1), 1 a value without a reference (or whose attainment is undefined),
//!    0 no value. The level comes from the points themselves, so it never disagrees with
//!    the U4SSC state, at a band edge included. The interim targets of levels 3, 4, 5 are
//!    the band edges in the value's units ([`edge`]); level 2 has none (any value scored
//!    against the reference is at least level 2); a target band has none (two-sided).
//!
//! With a matrix row: level 0 = no value; else the highest level whose target the value
//! meets (`-` cells skipped; "meets" is `value >= target` for higher_better, `value <=
//! target` for lower_better, with a tolerance of 1e-9 x max(|target|, 1)); else 1.
//!
//! Next milestone (every scope): the lowest level above the current one that has a target
//! (1 when there is no value), with its target and the signed gap to it (positive =
//! shortfall). In the attainment scope that is the next band edge: the level comes from the
//! points (bands on `a` with the 1e-9 tolerance), so a value within the tolerance of an
//! edge is already at the level above, and the gap shown is always > 0.
//!
//! Per dimension and overall ("KPI performance"): the `min` (staircase) and `median`
//! roll-ups and the distribution of levels; `maturity_level` follows the configured rule
//! (`min`, or the median rounded down to a whole level).
//!
//! The roll-ups come in two variants (METHODOLOGY section 10): `maturity_dimensions`, a
//! city's own, with its confidential data points' levels, and
//! `maturity_dimensions_published`, with those levels withheld ([`withhold_confidential`]:
//! left out of the minimum, the median and the counts), so no published level rests on a
//! confidential value. `confidential_items` counts them in both.

use polars::prelude::*;

use crate::config::MaturityRollup;
use crate::schema::derived::{self as d, METHOD_BOUNDED, METHOD_RATIO};

/// Scope of a city's own matrix row.
pub const SCOPE_CITY: &str = "city";
/// Scope of a workspace matrix row (for every city).
pub const SCOPE_WORKSPACE: &str = "workspace";
/// Scope of the default: the attainment reference's bands.
pub const SCOPE_ATTAINMENT: &str = "attainment";
/// The overall roll-up's name in the dimension column (the Y.4904 achievements table's
/// "KPIs performance").
pub const KPI_PERFORMANCE: &str = "KPI performance";
/// `matrix_source` of the attainment scope: this, then the reference's `target_source`.
pub const ATTAINMENT_SOURCE: &str = "U4SSC attainment bands against ";
/// `matrix_source` of the attainment scope without a reference.
pub const NO_REFERENCE_SOURCE: &str =
    "U4SSC attainment: no target or benchmark (level 1 with a value, 0 without)";

/// The attainment at which levels 3, 4 and 5 start (the U4SSC band cut-offs of 2, 3 and 4
/// points, METHODOLOGY section 6), in per cent (for exact arithmetic:
/// `66 x 60 / 100` is 39.6, `0.66 x 60` is 39.600000000000001).
const EDGES_PCT: [f64; 3] = [33.0, 66.0, 95.0];

/// The attainment scope's `matrix_source` per distinct reference source, in [`resolve`].
const ATTAINMENT_SOURCE_COLUMN: &str = "__attainment_source";

/// Flag columns [`edge`] reads: the reference's method in the row's direction.
const RATIO_HIGHER: &str = "__ratio_higher";
const RATIO_LOWER: &str = "__ratio_lower";
const BOUNDED: &str = "__bounded";

/// The flags of [`edge`] (computed once, read by the three edges).
fn edge_flags() -> [Expr; 3] {
    let ratio = col(d::METHOD).eq(lit(METHOD_RATIO));
    let t = col(d::TARGET);
    let w = col(d::WORST);
    [
        ratio
            .clone()
            .and(col(d::DIRECTION).eq(lit("higher_better")))
            .alias(RATIO_HIGHER),
        ratio
            .and(col(d::DIRECTION).eq(lit("lower_better")))
            .alias(RATIO_LOWER),
        col(d::METHOD)
            .eq(lit(METHOD_BOUNDED))
            .and(w.clone().is_not_null())
            .and(w.neq(t))
            .alias(BOUNDED),
    ]
}

/// The value at which attainment reaches `pct` % (a band edge), in the value's units:
/// ratio method `pct x target / 100` (higher is better) or `100 x target / pct` (lower is
/// better); bounded method `worst + pct x (target - worst) / 100`; null for a target band,
/// without a reference, or where the attainment is undefined (bounded without a worst
/// value or with worst = target). Needs TARGET, WORST and [`edge_flags`].
fn edge(pct: f64) -> Expr {
    let t = || col(d::TARGET);
    let w = || col(d::WORST);
    when(col(RATIO_HIGHER))
        .then(t() * lit(pct) / lit(100.0))
        .when(col(RATIO_LOWER))
        .then(t() * lit(100.0) / lit(pct))
        .when(col(BOUNDED))
        .then(w() + (t() - w()) * lit(pct) / lit(100.0))
        .otherwise(lit(NULL).cast(DataType::Float64))
}

/// A matrix frame's columns renamed with `prefix` (all but the join keys).
fn prefixed(m: DataFrame, prefix: &str) -> LazyFrame {
    let mut sel = Vec::new();
    if m.column(d::CITY_ID).is_ok() {
        sel.push(col(d::CITY_ID));
    }
    sel.push(col(d::DATA_POINT_ID));
    for c in super::matrix::LEVEL_COLUMNS
        .iter()
        .chain([&d::MATRIX_SOURCE])
    {
        sel.push(col(*c).alias(format!("{prefix}{c}")));
    }
    m.lazy().select(sel)
}

/// The levels' inputs for every non-neutral (city, data point) of `attained` (the
/// attainment rows: CITY_ID, DATA_POINT_ID, hierarchy, DIRECTION, VALUE, SOURCE_YEAR,
/// CONFIDENTIAL, TARGET, WORST, METHOD, POINTS, TARGET_SOURCE): the matrix row that applies
/// (`city`: [`super::matrix::Matrix::city_frame`], `workspace`: its
/// `workspace_frame`, keys encoded like `attained`), else the attainment reference's band
/// edges; with MATRIX_SCOPE and MATRIX_SOURCE.
pub fn resolve(attained: LazyFrame, workspace: DataFrame, city: DataFrame) -> LazyFrame {
    let mut lf = attained.filter(col(d::DIRECTION).neq(lit("neutral")));
    let (has_city, has_ws) = (city.height() > 0, workspace.height() > 0);
    let keys = |with_city: bool| {
        let mut k = vec![col(d::DATA_POINT_ID)];
        if with_city {
            k.insert(0, col(d::CITY_ID));
        }
        k
    };
    if has_city {
        lf = lf.join(
            prefixed(city, "__city_"),
            keys(true),
            keys(true),
            crate::frames::ordered(JoinType::Left),
        );
    }
    if has_ws {
        lf = lf.join(
            prefixed(workspace, "__ws_"),
            keys(false),
            keys(false),
            crate::frames::ordered(JoinType::Left),
        );
    }
    let present = |prefix: &str, on: bool| {
        if on {
            col(format!("{prefix}{}", d::MATRIX_SOURCE)).is_not_null()
        } else {
            lit(false)
        }
    };
    let scope = when(present("__city_", has_city))
        .then(lit(SCOPE_CITY))
        .when(present("__ws_", has_ws))
        .then(lit(SCOPE_WORKSPACE))
        .otherwise(lit(SCOPE_ATTAINMENT));
    let is = |s: &str| col(d::MATRIX_SCOPE).eq(lit(s));
    // a column of the matrix row that applies, else the attainment scope's `default`
    let pick = |c: &str, default: Expr| {
        let mut e = default;
        for (prefix, scope, on) in [
            ("__ws_", SCOPE_WORKSPACE, has_ws),
            ("__city_", SCOPE_CITY, has_city),
        ] {
            if on {
                let theirs = col(format!("{prefix}{c}"));
                e = if c == d::MATRIX_SOURCE {
                    // a long text: chosen without copying it
                    crate::frames::choose_text(is(scope), theirs, e)
                } else {
                    when(is(scope)).then(theirs).otherwise(e)
                };
            }
        }
        e.alias(c)
    };
    // the attainment scope's source text, built once per distinct reference source (a few
    // hundred) and gathered by a join: per row it allocated a long string for every city
    // and data point
    let sources = lf
        .clone()
        .select([col(d::TARGET_SOURCE)])
        .filter(col(d::TARGET_SOURCE).is_not_null())
        .unique(None, UniqueKeepStrategy::Any)
        .with_column(
            concat_str([lit(ATTAINMENT_SOURCE), col(d::TARGET_SOURCE)], "", false)
                .alias(ATTAINMENT_SOURCE_COLUMN),
        );
    lf = lf.join(
        sources,
        [col(d::TARGET_SOURCE)],
        [col(d::TARGET_SOURCE)],
        crate::frames::ordered(JoinType::Left),
    );
    // chosen without copying the texts (`when` copied 100 MB at 5 000 cities)
    let source = crate::frames::choose_text(
        col(d::TARGET).is_not_null(),
        col(ATTAINMENT_SOURCE_COLUMN),
        lit(NO_REFERENCE_SOURCE),
    );
    let mut cols = vec![
        col(d::CITY_ID),
        col(d::DATA_POINT_ID),
        col(d::DIMENSION),
        col(d::SUB_DIMENSION),
        col(d::CATEGORY),
        col(d::DIRECTION),
        col(d::VALUE),
        col(d::SOURCE_YEAR),
        col(d::CONFIDENTIAL),
        col(d::POINTS),
        col(d::MATRIX_SCOPE),
        pick(d::LEVEL_2, lit(NULL).cast(DataType::Float64)),
    ];
    for (c, f) in super::matrix::LEVEL_COLUMNS[1..].iter().zip(EDGES_PCT) {
        cols.push(pick(c, edge(f)));
    }
    cols.push(pick(d::MATRIX_SOURCE, source));
    lf.with_columns(edge_flags())
        .with_column(scope.alias(d::MATRIX_SCOPE))
        .select(cols)
}

/// `value` meets `target` in the row's direction (false when the target is null).
fn meets(target: Expr) -> Expr {
    let eps = when(target.clone().abs().gt(lit(1.0)))
        .then(target.clone().abs())
        .otherwise(lit(1.0))
        * lit(1e-9);
    let higher = col(d::DIRECTION).eq(lit("higher_better"));
    target.clone().is_not_null().and(
        when(higher)
            .then(col(d::VALUE).gt_eq(target.clone() - eps.clone()))
            .otherwise(col(d::VALUE).lt_eq(target + eps)),
    )
}

/// The level expression (Int32): 0 without a value; in the attainment scope the points + 1
/// (1 without points); with a matrix row the highest level met, else 1.
pub fn level_expr() -> Expr {
    when(col(d::VALUE).is_null())
        .then(lit(0))
        .when(col(d::MATRIX_SCOPE).eq(lit(SCOPE_ATTAINMENT)))
        .then(col(d::POINTS).cast(DataType::Int32).fill_null(lit(0)) + lit(1))
        .when(meets(col(d::LEVEL_5)))
        .then(lit(5))
        .when(meets(col(d::LEVEL_4)))
        .then(lit(4))
        .when(meets(col(d::LEVEL_3)))
        .then(lit(3))
        .when(meets(col(d::LEVEL_2)))
        .then(lit(2))
        .otherwise(lit(1))
        .cast(DataType::Int32)
}

/// Levels per (city, data point) from `resolved` ([`resolve`]), with the catalogue's
/// POSITION (`catalog`: DATA_POINT_ID, POSITION).
pub fn levels(resolved: LazyFrame, catalog: LazyFrame, year: i32) -> LazyFrame {
    let lv = |l: i32| col(d::MATURITY_LEVEL).lt(lit(l));
    let target = |c: &str| col(c).is_not_null();
    let next_level = when(col(d::VALUE).is_null())
        .then(lit(1))
        .when(lv(2).and(target(d::LEVEL_2)))
        .then(lit(2))
        .when(lv(3).and(target(d::LEVEL_3)))
        .then(lit(3))
        .when(lv(4).and(target(d::LEVEL_4)))
        .then(lit(4))
        .when(lv(5).and(target(d::LEVEL_5)))
        .then(lit(5))
        .otherwise(lit(NULL))
        .cast(DataType::Int32);
    let next_target = when(col(d::VALUE).is_null())
        .then(lit(NULL).cast(DataType::Float64))
        .when(lv(2).and(target(d::LEVEL_2)))
        .then(col(d::LEVEL_2))
        .when(lv(3).and(target(d::LEVEL_3)))
        .then(col(d::LEVEL_3))
        .when(lv(4).and(target(d::LEVEL_4)))
        .then(col(d::LEVEL_4))
        .when(lv(5).and(target(d::LEVEL_5)))
        .then(col(d::LEVEL_5))
        .otherwise(lit(NULL).cast(DataType::Float64));
    let gap = when(col(d::DIRECTION).eq(lit("higher_better")))
        .then(col(d::NEXT_TARGET) - col(d::VALUE))
        .otherwise(col(d::VALUE) - col(d::NEXT_TARGET));
    resolved
        .join(
            catalog.select([col(d::DATA_POINT_ID), col(d::POSITION)]),
            [col(d::DATA_POINT_ID)],
            [col(d::DATA_POINT_ID)],
            crate::frames::ordered(JoinType::Inner),
        )
        .with_column(level_expr().alias(d::MATURITY_LEVEL))
        .with_columns([
            next_level.alias(d::NEXT_LEVEL),
            next_target.alias(d::NEXT_TARGET),
        ])
        .with_column(gap.alias(d::GAP_NEXT))
        .select([
            lit(year).alias(d::ANALYSIS_YEAR),
            col(d::CITY_ID),
            col(d::DATA_POINT_ID),
            col(d::DIMENSION),
            col(d::SUB_DIMENSION),
            col(d::CATEGORY),
            col(d::DIRECTION),
            col(d::POSITION),
            col(d::VALUE),
            col(d::SOURCE_YEAR),
            col(d::CONFIDENTIAL),
            col(d::LEVEL_2),
            col(d::LEVEL_3),
            col(d::LEVEL_4),
            col(d::LEVEL_5),
            col(d::MATRIX_SCOPE),
            col(d::MATRIX_SOURCE),
            col(d::MATURITY_LEVEL),
            col(d::NEXT_LEVEL),
            col(d::NEXT_TARGET),
            col(d::GAP_NEXT),
        ])
}

/// The levels with those of confidential values withheld (null), for the published
/// roll-ups.
pub fn withhold_confidential(levels: LazyFrame) -> LazyFrame {
    levels.with_column(
        when(col(d::CONFIDENTIAL).fill_null(lit(false)))
            .then(lit(NULL).cast(DataType::Int32))
            .otherwise(col(d::MATURITY_LEVEL))
            .alias(d::MATURITY_LEVEL),
    )
}

/// Roll the levels up per (city, dimension) and overall ([`KPI_PERFORMANCE`]): data points
/// (with a level), `level_min`, `level_median`, the count at each level, the confidential
/// data points, and `maturity_level` by `rule`. A null level (withheld) is left out of all
/// but `confidential_items`.
pub fn dimensions(levels: LazyFrame, rule: MaturityRollup, year: i32) -> LazyFrame {
    finish_dimensions(aggregate_dimensions(levels, &[""]), "", rule, year)
}

/// The prefix of the published variant's columns in [`aggregate_dimensions`].
const PUB: &str = "__pub_";

/// Both dimension tables, (own, published: [`withhold_confidential`]), from one
/// aggregation over the levels.
pub fn dimensions_both(
    levels: LazyFrame,
    rule: MaturityRollup,
    year: i32,
) -> PolarsResult<(DataFrame, DataFrame)> {
    let published = when(col(d::CONFIDENTIAL).fill_null(lit(false)))
        .then(lit(NULL).cast(DataType::Int32))
        .otherwise(col(d::MATURITY_LEVEL))
        .alias(format!("{PUB}{}", d::MATURITY_LEVEL));
    let agg = aggregate_dimensions(levels.with_column(published), &["", PUB])
        .collect()?
        .lazy();
    Ok((
        finish_dimensions(agg.clone(), "", rule, year).collect()?,
        finish_dimensions(agg, PUB, rule, year).collect()?,
    ))
}

/// Per (city, dimension) and per city: the confidential items, and for each prefix the
/// count, minimum, median and per-level counts of the column `<prefix>maturity_level`
/// (named `<prefix><column>`).
fn aggregate_dimensions(levels: LazyFrame, prefixes: &[&str]) -> LazyFrame {
    let aggs = || {
        let mut a = vec![
            col(d::CONFIDENTIAL)
                .fill_null(lit(false))
                .sum()
                .cast(DataType::UInt32)
                .alias(d::CONFIDENTIAL_ITEMS),
        ];
        for p in prefixes {
            let level = || col(format!("{p}{}", d::MATURITY_LEVEL));
            a.extend([
                level()
                    .count()
                    .cast(DataType::UInt32)
                    .alias(format!("{p}{}", d::DATA_POINTS)),
                level().min().alias(format!("{p}{}", d::LEVEL_MIN)),
                level()
                    .cast(DataType::Float64)
                    .median()
                    .alias(format!("{p}{}", d::LEVEL_MEDIAN)),
            ]);
            a.extend(d::AT_LEVEL.iter().enumerate().map(|(l, name)| {
                level()
                    .eq(lit(l as i32))
                    .sum()
                    .cast(DataType::UInt32)
                    .alias(format!("{p}{name}"))
            }));
        }
        a
    };
    let per_dimension = levels
        .clone()
        .group_by_stable([col(d::CITY_ID), col(d::DIMENSION)])
        .agg(aggs());
    let overall = levels
        .group_by_stable([col(d::CITY_ID)])
        .agg(aggs())
        .with_column(lit(KPI_PERFORMANCE).alias(d::DIMENSION));
    let order: Vec<Expr> = per_dimension
        .clone()
        .collect_schema()
        .map(|s| s.iter_names().map(|n| col(n.clone())).collect())
        .unwrap_or_default();
    concat([per_dimension, overall.select(order)], UnionArgs::default()).expect("same columns")
}

/// One variant (`prefix`) of [`aggregate_dimensions`] as the dimension table, with the
/// level by `rule`.
fn finish_dimensions(agg: LazyFrame, prefix: &str, rule: MaturityRollup, year: i32) -> LazyFrame {
    let p = |c: &str| col(format!("{prefix}{c}")).alias(c.to_string());
    let level = match rule {
        MaturityRollup::Min => col(format!("{prefix}{}", d::LEVEL_MIN)),
        MaturityRollup::Median => col(format!("{prefix}{}", d::LEVEL_MEDIAN))
            .floor()
            .cast(DataType::Int32),
    };
    let mut cols = vec![
        lit(year).alias(d::ANALYSIS_YEAR),
        col(d::CITY_ID),
        col(d::DIMENSION),
        p(d::DATA_POINTS),
        p(d::LEVEL_MIN),
        p(d::LEVEL_MEDIAN),
    ];
    cols.extend(d::AT_LEVEL.iter().map(|c| p(c)));
    cols.push(col(d::CONFIDENTIAL_ITEMS));
    cols.push(level.alias(d::MATURITY_LEVEL));
    cols.push(lit(rule.as_str()).alias(d::ROLLUP_RULE));
    agg.select(cols)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::attainment as att;

    /// One data point's reference for [`attained`].
    #[derive(Clone, Copy)]
    struct Reference<'a> {
        direction: &'a str,
        target: Option<f64>,
        worst: Option<f64>,
        tolerance: Option<f64>,
        source: &'a str,
        bounded: bool,
    }

    fn reference(direction: &str, target: Option<f64>) -> Reference<'_> {
        Reference {
            direction,
            target,
            worst: None,
            tolerance: None,
            source: "test target",
            bounded: false,
        }
    }

    /// Attainment rows of data point `dp` for cities c0, c1, ... with `values`, computed by
    /// the attainment stage's own expressions (method, attainment, points), as in `run`.
    fn attained(r: Reference<'_>, values: &[Option<f64>]) -> DataFrame {
        let n = values.len();
        df!(
            d::CITY_ID => (0..n).map(|i| format!("c{i}")).collect::<Vec<_>>(),
            d::DATA_POINT_ID => vec!["dp"; n],
            d::DIMENSION => vec!["Economy"; n],
            d::SUB_DIMENSION => vec!["ICT"; n],
            d::CATEGORY => vec!["ICT Infrastructure"; n],
            d::DIRECTION => vec![r.direction; n],
            d::VALUE => values.to_vec(),
            d::SOURCE_YEAR => values.iter().map(|v| v.map(|_| 2024)).collect::<Vec<_>>(),
            d::CONFIDENTIAL => values.iter().map(|v| v.map(|_| false)).collect::<Vec<_>>(),
            d::TARGET => vec![r.target; n],
            d::WORST => vec![r.worst; n],
            d::TOLERANCE => vec![r.tolerance; n],
            d::TARGET_SOURCE => vec![r.target.map(|_| r.source); n],
        )
        .unwrap()
        .lazy()
        .with_column(att::method_expr(r.bounded).alias(d::METHOD))
        .with_column(att::attainment_expr(col(d::VALUE)).alias(d::ATTAINMENT))
        .with_column(att::points_expr(col(d::ATTAINMENT)).alias(d::POINTS))
        .collect()
        .unwrap()
    }

    fn catalog() -> LazyFrame {
        df!(d::DATA_POINT_ID => ["dp", "x", "y"], d::POSITION => [1u32, 2, 3])
            .unwrap()
            .lazy()
    }

    fn no_rows(with_city: bool) -> DataFrame {
        let mut cols = Vec::new();
        if with_city {
            cols.push(Column::new(d::CITY_ID.into(), Vec::<String>::new()));
        }
        cols.push(Column::new(d::DATA_POINT_ID.into(), Vec::<String>::new()));
        for c in super::super::matrix::LEVEL_COLUMNS {
            cols.push(Column::new(c.into(), Vec::<f64>::new()));
        }
        cols.push(Column::new(d::MATRIX_SOURCE.into(), Vec::<String>::new()));
        DataFrame::new(0, cols).unwrap()
    }

    /// Levels of `attained` with the given workspace and city matrix rows, sorted by city.
    fn levels_with(attained: DataFrame, workspace: DataFrame, city: DataFrame) -> DataFrame {
        levels(resolve(attained.lazy(), workspace, city), catalog(), 2024)
            .collect()
            .unwrap()
            .sort([d::CITY_ID, d::DATA_POINT_ID], Default::default())
            .unwrap()
    }

    /// Levels by default (no matrix file): the attainment scope.
    fn default_levels(r: Reference<'_>, values: &[Option<f64>]) -> DataFrame {
        let out = levels_with(attained(r, values), no_rows(false), no_rows(true));
        assert!(
            strs(&out, d::MATRIX_SCOPE)
                .iter()
                .all(|s| s == SCOPE_ATTAINMENT)
        );
        out
    }

    fn ints(df: &DataFrame, c: &str) -> Vec<Option<i32>> {
        df.column(c).unwrap().i32().unwrap().iter().collect()
    }
    fn floats(df: &DataFrame, c: &str) -> Vec<Option<f64>> {
        df.column(c).unwrap().f64().unwrap().iter().collect()
    }
    fn strs(df: &DataFrame, c: &str) -> Vec<String> {
        df.column(c)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|s| s.unwrap_or("").to_string())
            .collect()
    }
    /// `got` equal to `want` within 1e-9 (null where null).
    fn near(got: &[Option<f64>], want: &[Option<f64>]) {
        assert_eq!(got.len(), want.len(), "{got:?} != {want:?}");
        for (g, w) in got.iter().zip(want) {
            match (g, w) {
                (Some(g), Some(w)) => assert!((g - w).abs() < 1e-9, "{got:?} != {want:?}"),
                (None, None) => {}
                _ => panic!("{got:?} != {want:?}"),
            }
        }
    }

    /// Target 60 %, higher is better (ratio): band edges 0.33 x 60 = 19.8, 0.66 x 60 = 39.6,
    /// 0.95 x 60 = 57 (METHODOLOGY section 6's check) are the targets of levels 3, 4, 5.
    #[test]
    fn default_levels_are_the_bands_at_each_edge() {
        let v = [
            None,              // no value: level 0, next level 1
            Some(10.0),        // a = 0.1667 < 0.33: 1 point -> level 2, 9.8 short of 19.8
            Some(19.79),       // just below the edge: level 2, 0.01 short
            Some(19.8),        // a = 0.33 (up to float error): 2 points -> level 3
            Some(39.6),        // a = 0.66: 3 points -> level 4, 17.4 short of 57
            Some(56.9999999),  // a = 0.949999998 < 0.95 - 1e-9: level 4, 1e-7 short
            Some(56.99999997), // a = 0.9499999995 >= 0.95 - 1e-9: level 5 (tolerance)
            Some(57.0),        // a = 0.95: level 5, no next level
            Some(75.0),        // a = 1.25 (min(a, 1) = 1): level 5
        ];
        let df = default_levels(reference("higher_better", Some(60.0)), &v);
        assert_eq!(
            ints(&df, d::MATURITY_LEVEL),
            [0, 2, 2, 3, 4, 4, 5, 5, 5].map(Some)
        );
        // the level is the points + 1 wherever there are points
        let points: Vec<Option<i32>> = attained(reference("higher_better", Some(60.0)), &v)
            .column(d::POINTS)
            .unwrap()
            .i32()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(
            points,
            [
                None,
                Some(1),
                Some(1),
                Some(2),
                Some(3),
                Some(3),
                Some(4),
                Some(4),
                Some(4)
            ]
        );
        assert_eq!(
            ints(&df, d::NEXT_LEVEL),
            [
                Some(1),
                Some(3),
                Some(3),
                Some(4),
                Some(5),
                Some(5),
                None,
                None,
                None
            ]
        );
        near(
            &floats(&df, d::NEXT_TARGET),
            &[
                None,
                Some(19.8),
                Some(19.8),
                Some(39.6),
                Some(57.0),
                Some(57.0),
                None,
                None,
                None,
            ],
        );
        near(
            &floats(&df, d::GAP_NEXT),
            &[
                None,
                Some(9.8),
                Some(0.01),
                Some(19.8),
                Some(17.4),
                Some(1e-7),
                None,
                None,
                None,
            ],
        );
        // the interim targets in the value's units: level 2 has none (any scored value is
        // at least level 2); rounded to 12 significant digits (0.66 x 60 = 39.6 exactly)
        assert_eq!(floats(&df, d::LEVEL_2)[1], None);
        assert_eq!(floats(&df, d::LEVEL_3)[1], Some(19.8));
        assert_eq!(floats(&df, d::LEVEL_4)[1], Some(39.6));
        assert_eq!(floats(&df, d::LEVEL_5)[1], Some(57.0));
        assert_eq!(
            strs(&df, d::MATRIX_SOURCE)[1],
            "U4SSC attainment bands against test target"
        );
    }

    /// Target 15 (e.g. PM10 in ug/m3), lower is better (ratio a = target / value): the
    /// edges are 15 / 0.33 = 45.4545..., 15 / 0.66 = 22.7272..., 15 / 0.95 = 15.7894...
    #[test]
    fn default_levels_lower_is_better() {
        let v = [Some(50.0), Some(45.0), Some(20.0), Some(15.5), Some(0.0)];
        // 50: a = 0.3 -> level 2; 45: a = 0.333 -> 3; 20: a = 0.75 -> 4; 15.5: a = 0.968
        // -> 5; 0: a = 1 (value 0) -> 5
        let df = default_levels(reference("lower_better", Some(15.0)), &v);
        assert_eq!(ints(&df, d::MATURITY_LEVEL), [2, 3, 4, 5, 5].map(Some));
        assert_eq!(
            ints(&df, d::NEXT_LEVEL),
            [Some(3), Some(4), Some(5), None, None]
        );
        near(
            &floats(&df, d::NEXT_TARGET),
            &[
                Some(45.4545454545),
                Some(22.7272727273),
                Some(15.7894736842),
                None,
                None,
            ],
        );
        // positive = shortfall: the value is above the edge it has to come down to
        near(
            &floats(&df, d::GAP_NEXT),
            &[
                Some(4.5454545455),
                Some(22.2727272727),
                Some(4.2105263158),
                None,
                None,
            ],
        );
    }

    /// Bounded method: a target of 0 with worst 100 (e.g. the share of waste burnt in the
    /// open, lower is better): a = (value - 100) / (0 - 100), edges 100 + f x (0 - 100) =
    /// 67, 34, 5; and a configured bounded method, higher is better, target 100, worst 20:
    /// edges 20 + f x 80 = 46.4, 72.8, 96.
    #[test]
    fn default_levels_bounded_with_the_worst_value() {
        let zero = Reference {
            worst: Some(100.0),
            ..reference("lower_better", Some(0.0))
        };
        // 80: a = 0.2 -> 2; 67: a = 0.33 -> 3; 34: a = 0.66 -> 4; 5: a = 0.95 -> 5
        let df = default_levels(zero, &[Some(80.0), Some(67.0), Some(34.0), Some(5.0)]);
        assert_eq!(ints(&df, d::MATURITY_LEVEL), [2, 3, 4, 5].map(Some));
        near(
            &floats(&df, d::NEXT_TARGET),
            &[Some(67.0), Some(34.0), Some(5.0), None],
        );
        near(
            &floats(&df, d::GAP_NEXT),
            &[Some(13.0), Some(33.0), Some(29.0), None],
        );
        near(&floats(&df, d::LEVEL_3)[..1], &[Some(67.0)]);
        let higher = Reference {
            worst: Some(20.0),
            bounded: true,
            ..reference("higher_better", Some(100.0))
        };
        // 50: a = 30 / 80 = 0.375 -> level 3, 22.8 short of 72.8; 96: a = 0.95 -> 5
        let df = default_levels(higher, &[Some(50.0), Some(96.0)]);
        assert_eq!(ints(&df, d::MATURITY_LEVEL), [3, 5].map(Some));
        near(&floats(&df, d::NEXT_TARGET), &[Some(72.8), None]);
        near(&floats(&df, d::GAP_NEXT), &[Some(22.8), None]);
        near(
            &[
                floats(&df, d::LEVEL_3)[0],
                floats(&df, d::LEVEL_4)[0],
                floats(&df, d::LEVEL_5)[0],
            ],
            &[Some(46.4), Some(72.8), Some(96.0)],
        );
        // worst = target: the attainment is undefined, as without a reference: level 1,
        // no milestone
        let flat = Reference {
            worst: Some(100.0),
            bounded: true,
            ..reference("higher_better", Some(100.0))
        };
        let df = default_levels(flat, &[Some(50.0)]);
        assert_eq!(ints(&df, d::MATURITY_LEVEL), [Some(1)]);
        assert_eq!(ints(&df, d::NEXT_LEVEL), [None]);
        assert_eq!(floats(&df, d::LEVEL_5), [None]);
    }

    /// Target band (gender income ratio: target 1, tolerance 0.5, a = 1 - |v - 1| / 0.5):
    /// the level of its points, no milestone (the band is two-sided).
    #[test]
    fn default_levels_of_a_target_band() {
        let band = Reference {
            tolerance: Some(0.5),
            ..reference("target_band", Some(1.0))
        };
        // 1.1: a = 0.8 -> 3 points -> 4; 0.5: a = 0 -> 2; 1: a = 1 -> 5; 0.8: a = 0.6 -> 3
        let df = default_levels(band, &[Some(1.1), Some(0.5), Some(1.0), Some(0.8), None]);
        assert_eq!(ints(&df, d::MATURITY_LEVEL), [4, 2, 5, 3, 0].map(Some));
        assert_eq!(ints(&df, d::NEXT_LEVEL), [None, None, None, None, Some(1)]);
        assert!(floats(&df, d::NEXT_TARGET).iter().all(Option::is_none));
        for c in super::super::matrix::LEVEL_COLUMNS {
            assert!(floats(&df, c).iter().all(Option::is_none), "{c}");
        }
    }

    /// A benchmark is a reference like a target (its source says how it was computed);
    /// without any reference a value is level 1 (a baseline) with no milestone.
    #[test]
    fn default_levels_against_a_benchmark_and_without_a_reference() {
        let bench = Reference {
            source: "benchmark: the mean of the 5 best performers of 7 cities",
            ..reference("higher_better", Some(80.0))
        };
        // 60: a = 0.75 -> level 4, next 5 at 0.95 x 80 = 76, 16 short
        let df = default_levels(bench, &[Some(60.0)]);
        assert_eq!(ints(&df, d::MATURITY_LEVEL), [Some(4)]);
        near(&floats(&df, d::NEXT_TARGET), &[Some(76.0)]);
        near(&floats(&df, d::GAP_NEXT), &[Some(16.0)]);
        assert_eq!(
            strs(&df, d::MATRIX_SOURCE),
            [
                "U4SSC attainment bands against benchmark: the mean of the 5 best performers of 7 cities"
            ]
        );
        let df = default_levels(reference("higher_better", None), &[Some(12.0), None]);
        assert_eq!(ints(&df, d::MATURITY_LEVEL), [Some(1), Some(0)]);
        assert_eq!(ints(&df, d::NEXT_LEVEL), [None, Some(1)]);
        assert_eq!(floats(&df, d::NEXT_TARGET), [None, None]);
        assert_eq!(strs(&df, d::MATRIX_SOURCE), [NO_REFERENCE_SOURCE; 2]);
        // neutral data points are not mapped
        let df = default_levels(reference("neutral", None), &[Some(12.0)]);
        assert_eq!(df.height(), 0);
    }

    /// A matrix row (here: a workspace row with Y.4904's example, household Internet access
    /// 30 / 40 / 60 / 80 %) replaces the attainment reference: the highest level met.
    #[test]
    fn a_workspace_row_sets_interim_targets_for_every_city() {
        let v = [
            None,
            Some(10.0),
            Some(30.0),
            Some(45.0),
            Some(59.99999999999),
            Some(80.0),
            Some(95.0),
        ];
        let ws = df!(
            d::DATA_POINT_ID => ["dp"],
            d::LEVEL_2 => [30.0],
            d::LEVEL_3 => [40.0],
            d::LEVEL_4 => [60.0],
            d::LEVEL_5 => [80.0],
            d::MATRIX_SOURCE => ["maturity_matrix.csv: Y.4904 example"],
        )
        .unwrap();
        // the target (100) would give 45 % level 3 (33-66 %): the row says otherwise
        let df = levels_with(
            attained(reference("higher_better", Some(100.0)), &v),
            ws,
            no_rows(true),
        );
        assert_eq!(
            ints(&df, d::MATURITY_LEVEL),
            [0, 1, 2, 3, 4, 5, 5].map(Some)
        );
        assert!(
            strs(&df, d::MATRIX_SCOPE)
                .iter()
                .all(|s| s == SCOPE_WORKSPACE)
        );
        assert_eq!(
            ints(&df, d::NEXT_LEVEL),
            [Some(1), Some(2), Some(3), Some(4), Some(5), None, None]
        );
        assert_eq!(
            floats(&df, d::NEXT_TARGET),
            [
                None,
                Some(30.0),
                Some(40.0),
                Some(60.0),
                Some(80.0),
                None,
                None
            ]
        );
        let gaps = floats(&df, d::GAP_NEXT);
        assert_eq!(gaps[1], Some(20.0));
        assert_eq!(gaps[3], Some(15.0));
        assert_eq!(gaps[5], None);
    }

    /// Y.4904's example row: outage time - / 30 / 25 / 15 minutes (no level-2 target).
    #[test]
    fn levels_of_a_lower_better_matrix_row_skip_missing_targets() {
        let v = [Some(45.0), Some(30.0), Some(26.0), Some(25.0), Some(10.0)];
        let ws = df!(
            d::DATA_POINT_ID => ["dp"],
            d::LEVEL_2 => [None::<f64>],
            d::LEVEL_3 => [Some(30.0)],
            d::LEVEL_4 => [Some(25.0)],
            d::LEVEL_5 => [Some(15.0)],
            d::MATRIX_SOURCE => ["plan"],
        )
        .unwrap();
        let df = levels_with(
            attained(reference("lower_better", None), &v),
            ws,
            no_rows(true),
        );
        // 45 min meets no target: level 1 (a baseline); 30 meets level 3 (level 2 is skipped)
        assert_eq!(ints(&df, d::MATURITY_LEVEL), [1, 3, 3, 4, 5].map(Some));
        assert_eq!(
            ints(&df, d::NEXT_LEVEL),
            [Some(3), Some(4), Some(4), Some(5), None]
        );
        // positive = shortfall: 45 min is 15 min above the level-3 target of 30
        assert_eq!(
            floats(&df, d::GAP_NEXT),
            [Some(15.0), Some(5.0), Some(1.0), Some(10.0), None]
        );
    }

    #[test]
    fn dimension_rollups_min_median_and_distribution() {
        let levels = df!(
            d::CITY_ID => ["a", "a", "a", "a", "b"],
            d::DIMENSION => ["Economy", "Economy", "Economy", "Environment", "Economy"],
            d::MATURITY_LEVEL => [1i32, 2, 4, 3, 0],
            d::CONFIDENTIAL => [Some(false), Some(false), Some(false), Some(false), None],
        )
        .unwrap();
        let out = dimensions(levels.clone().lazy(), MaturityRollup::Min, 2024)
            .collect()
            .unwrap()
            .sort([d::CITY_ID, d::DIMENSION], Default::default())
            .unwrap();
        let dims: Vec<&str> = out
            .column(d::DIMENSION)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .flatten()
            .collect();
        assert_eq!(
            dims,
            [
                "Economy",
                "Environment",
                KPI_PERFORMANCE,
                "Economy",
                KPI_PERFORMANCE
            ]
        );
        assert_eq!(ints(&out, d::LEVEL_MIN), [1, 3, 1, 0, 0].map(Some));
        assert_eq!(
            floats(&out, d::LEVEL_MEDIAN),
            [2.0, 3.0, 2.5, 0.0, 0.0].map(Some)
        );
        assert_eq!(ints(&out, d::MATURITY_LEVEL), [1, 3, 1, 0, 0].map(Some));
        let at = |l: usize| -> Vec<Option<u32>> {
            out.column(d::AT_LEVEL[l])
                .unwrap()
                .u32()
                .unwrap()
                .iter()
                .collect()
        };
        assert_eq!(at(1), [1, 0, 1, 0, 0].map(Some));
        assert_eq!(at(4), [1, 0, 1, 0, 0].map(Some));
        let median = dimensions(levels.lazy(), MaturityRollup::Median, 2024)
            .collect()
            .unwrap()
            .sort([d::CITY_ID, d::DIMENSION], Default::default())
            .unwrap();
        // the median rule rounds the median level down: 2.5 -> 2
        assert_eq!(ints(&median, d::MATURITY_LEVEL), [2, 3, 2, 0, 0].map(Some));
    }

    #[test]
    fn published_rollups_leave_confidential_levels_out() {
        // a's level-1 data point is confidential: its own Economy level is 1 (the
        // staircase), the published one rests on the levels 2 and 4 only
        let levels = df!(
            d::CITY_ID => ["a", "a", "a", "a"],
            d::DIMENSION => ["Economy", "Economy", "Economy", "Environment"],
            d::MATURITY_LEVEL => [1i32, 2, 4, 3],
            d::CONFIDENTIAL => [true, false, false, true],
        )
        .unwrap();
        let roll = |lf: LazyFrame| {
            dimensions(lf, MaturityRollup::Min, 2024)
                .collect()
                .unwrap()
                .sort([d::DIMENSION], Default::default())
                .unwrap()
        };
        let own = roll(levels.clone().lazy());
        let published = roll(withhold_confidential(levels.clone().lazy()));
        // run's single aggregation gives both tables exactly
        let (own_both, published_both) =
            dimensions_both(levels.lazy(), MaturityRollup::Min, 2024).unwrap();
        let sorted = |df: DataFrame| df.sort([d::DIMENSION], Default::default()).unwrap();
        assert!(sorted(own_both).equals_missing(&own));
        assert!(sorted(published_both).equals_missing(&published));
        let u32s = |df: &DataFrame, c: &str| -> Vec<Option<u32>> {
            df.column(c).unwrap().u32().unwrap().iter().collect()
        };
        // Economy, Environment, KPI performance
        assert_eq!(ints(&own, d::MATURITY_LEVEL), [1, 3, 1].map(Some));
        assert_eq!(
            ints(&published, d::MATURITY_LEVEL),
            [Some(2), None, Some(2)]
        );
        assert_eq!(u32s(&published, d::DATA_POINTS), [2, 0, 2].map(Some));
        assert_eq!(u32s(&own, d::CONFIDENTIAL_ITEMS), [1, 1, 2].map(Some));
        assert_eq!(u32s(&published, d::CONFIDENTIAL_ITEMS), [1, 1, 2].map(Some));
        assert_eq!(floats(&published, d::LEVEL_MEDIAN)[2], Some(3.0));
        assert_eq!(u32s(&published, d::AT_LEVEL[1]), [0, 0, 0].map(Some));
    }

    /// City c1's own row wins over the workspace row; c0 gets the workspace row; data point
    /// y (no row) follows its reference; a row of a city without data changes nothing.
    #[test]
    fn a_city_row_overrides_the_workspace_row_and_the_default() {
        let mut rows = attained(
            reference("higher_better", Some(100.0)),
            &[Some(45.0), Some(45.0)],
        );
        let y = attained(
            reference("higher_better", Some(100.0)),
            &[Some(45.0), Some(45.0)],
        )
        .lazy()
        .with_column(lit("y").alias(d::DATA_POINT_ID))
        .collect()
        .unwrap();
        rows.vstack_mut(&y).unwrap();
        let ws = df!(
            d::DATA_POINT_ID => ["dp"],
            d::LEVEL_2 => [Some(10.0)],
            d::LEVEL_3 => [Some(20.0)],
            d::LEVEL_4 => [Some(30.0)],
            d::LEVEL_5 => [Some(40.0)],
            d::MATRIX_SOURCE => ["maturity_matrix.csv: plan"],
        )
        .unwrap();
        let own = df!(
            d::CITY_ID => ["c1", "zz"],
            d::DATA_POINT_ID => ["dp", "dp"],
            d::LEVEL_2 => [Some(50.0), Some(50.0)],
            d::LEVEL_3 => [None::<f64>, None],
            d::LEVEL_4 => [Some(60.0), Some(60.0)],
            d::LEVEL_5 => [Some(90.0), Some(90.0)],
            d::MATRIX_SOURCE => ["maturity_matrix.csv: city plan", "maturity_matrix.csv: city plan"],
        )
        .unwrap();
        let out = levels_with(rows, ws, own);
        assert_eq!(out.height(), 4);
        // c0 dp, c0 y, c1 dp, c1 y
        assert_eq!(
            strs(&out, d::MATRIX_SCOPE),
            [
                SCOPE_WORKSPACE,
                SCOPE_ATTAINMENT,
                SCOPE_CITY,
                SCOPE_ATTAINMENT
            ]
        );
        // workspace 10/20/30/40: 45 meets 40 -> 5; city 50/-/60/90: 45 meets none -> 1
        // (the city's "-" at level 3 is not filled from the workspace row); 45 % of the
        // target 100 is in the 33-66 % band -> 3
        assert_eq!(ints(&out, d::MATURITY_LEVEL), [5, 3, 1, 3].map(Some));
        assert_eq!(
            floats(&out, d::LEVEL_3),
            [Some(20.0), Some(33.0), None, Some(33.0)]
        );
        assert_eq!(
            floats(&out, d::NEXT_TARGET),
            [None, Some(66.0), Some(50.0), Some(66.0)]
        );
        assert_eq!(
            strs(&out, d::MATRIX_SOURCE),
            [
                "maturity_matrix.csv: plan",
                "U4SSC attainment bands against test target",
                "maturity_matrix.csv: city plan",
                "U4SSC attainment bands against test target"
            ]
        );
    }
}
