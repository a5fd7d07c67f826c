//! Stage `rollups` (METHODOLOGY section 6): category, sub-dimension, dimension and
//! overall scores = points / (4 x scored items), with coverage = scored / non-neutral
//! items beside every score and a flag below 50 % coverage. Categories are identified by
//! their full path (dimension / sub-dimension / category).
//!
//! Two variants (METHODOLOGY section 10): `rollups`, a city's own roll-ups with its
//! confidential items scored (shown only in that city's outputs), and `rollups_published`,
//! computed with the confidential items left unscored ([`withhold_confidential`]), so a
//! published score never rests on a confidential value (the points of a yes/no data point
//! would give its value back). `confidential_items` counts them in both.

use polars::prelude::*;

use super::attainment::{KIND_BENCHMARK, KIND_TARGET, band_label, points_expr};
use crate::schema::derived as d;

pub const LEVEL_CATEGORY: &str = "category";
pub const LEVEL_SUB_DIMENSION: &str = "sub_dimension";
pub const LEVEL_DIMENSION: &str = "dimension";
pub const LEVEL_OVERALL: &str = "overall";
/// Separator of path elements.
pub const PATH_SEP: &str = " / ";

/// The attainment rows with the points of confidential values withheld (null), for the
/// published roll-ups.
pub fn withhold_confidential(attainment: LazyFrame) -> LazyFrame {
    attainment.with_column(
        when(col(d::CONFIDENTIAL).fill_null(lit(false)))
            .then(lit(NULL).cast(DataType::Int32))
            .otherwise(col(d::POINTS))
            .alias(d::POINTS),
    )
}

/// Prefix of the published variant's aggregates while both are computed in one pass.
const PUB: &str = "published_";

/// The points of an item in the published roll-ups: withheld (null) when confidential.
fn published_points() -> Expr {
    when(col(d::CONFIDENTIAL).fill_null(lit(false)))
        .then(lit(NULL).cast(DataType::Int32))
        .otherwise(col(d::POINTS))
}

/// The aggregates that depend on the points (`points`: the own or the published ones),
/// named with `prefix`: scored, scored against targets and against benchmarks, points.
fn scored_aggregates(points: Expr, prefix: &str) -> [Expr; 4] {
    let by = |kind: &str| {
        points
            .clone()
            .is_not_null()
            .and(col(d::REFERENCE_KIND).eq(lit(kind)).fill_null(lit(false)))
            .sum()
            .cast(DataType::UInt32)
    };
    [
        points
            .clone()
            .count()
            .cast(DataType::UInt32)
            .alias(format!("{prefix}{}", d::SCORED)),
        by(KIND_TARGET).alias(format!("{prefix}{}", d::SCORED_TARGET)),
        by(KIND_BENCHMARK).alias(format!("{prefix}{}", d::SCORED_BENCHMARK)),
        points
            .sum()
            .cast(DataType::Int64)
            .alias(format!("{prefix}{}", d::POINTS)),
    ]
}

/// The columns that depend on the points, in output order.
const SCORED_COLUMNS: [&str; 4] = [d::SCORED, d::SCORED_TARGET, d::SCORED_BENCHMARK, d::POINTS];

/// Every level's aggregates for both variants in one group-by per level: items, reported,
/// confidential items, and the scored aggregates of the own points and (prefixed
/// [`PUB`]) of the published points.
fn aggregate(attainment: LazyFrame, year: i32) -> LazyFrame {
    let null_s = || lit(NULL).cast(DataType::String);
    let level = |keys: Vec<Expr>, name: &str, path: Expr, dim: Expr, sub: Expr, cat: Expr| {
        let mut by = vec![col(d::CITY_ID)];
        by.extend(keys);
        let non_neutral = || col(d::DIRECTION).neq(lit("neutral"));
        let mut aggs = vec![
            non_neutral().sum().cast(DataType::UInt32).alias(d::ITEMS),
            non_neutral()
                .and(col(d::VALUE).is_not_null())
                .sum()
                .cast(DataType::UInt32)
                .alias(d::REPORTED),
            non_neutral()
                .and(col(d::CONFIDENTIAL).fill_null(lit(false)))
                .sum()
                .cast(DataType::UInt32)
                .alias(d::CONFIDENTIAL_ITEMS),
        ];
        aggs.extend(scored_aggregates(col(d::POINTS), ""));
        aggs.extend(scored_aggregates(col("__published_points"), PUB));
        let mut out = vec![
            lit(year).alias(d::ANALYSIS_YEAR),
            col(d::CITY_ID),
            lit(name).alias(d::LEVEL),
            path.alias(d::PATH),
            dim.alias(d::DIMENSION),
            sub.alias(d::SUB_DIMENSION),
            cat.alias(d::CATEGORY),
            col(d::ITEMS),
            col(d::REPORTED),
            col(d::CONFIDENTIAL_ITEMS),
        ];
        for c in SCORED_COLUMNS {
            out.push(col(c));
            out.push(col(format!("{PUB}{c}")));
        }
        attainment
            .clone()
            .with_column(published_points().alias("__published_points"))
            .group_by_stable(by)
            .agg(aggs)
            .select(out)
    };
    let (dm, sd, ct) = (
        || col(d::DIMENSION),
        || col(d::SUB_DIMENSION),
        || col(d::CATEGORY),
    );
    let parts = [
        level(
            vec![dm(), sd(), ct()],
            LEVEL_CATEGORY,
            concat_str([dm(), sd(), ct()], PATH_SEP, false),
            dm(),
            sd(),
            ct(),
        ),
        level(
            vec![dm(), sd()],
            LEVEL_SUB_DIMENSION,
            concat_str([dm(), sd()], PATH_SEP, false),
            dm(),
            sd(),
            null_s(),
        ),
        level(vec![dm()], LEVEL_DIMENSION, dm(), dm(), null_s(), null_s()),
        level(
            vec![],
            LEVEL_OVERALL,
            lit(LEVEL_OVERALL),
            null_s(),
            null_s(),
            null_s(),
        ),
    ];
    concat(parts, UnionArgs::default()).expect("same schema")
}

/// One variant of [`aggregate`] (`prefix` "" for the own, [`PUB`] for the published) as the
/// roll-up table: score, coverage, band and the low-coverage flag.
fn finish(aggregated: LazyFrame, prefix: &str) -> LazyFrame {
    let mut cols = vec![
        col(d::ANALYSIS_YEAR),
        col(d::CITY_ID),
        col(d::LEVEL),
        col(d::PATH),
        col(d::DIMENSION),
        col(d::SUB_DIMENSION),
        col(d::CATEGORY),
        col(d::ITEMS),
        col(d::REPORTED),
    ];
    cols.extend(
        SCORED_COLUMNS
            .iter()
            .map(|c| col(format!("{prefix}{c}")).alias(*c)),
    );
    cols.push(col(d::CONFIDENTIAL_ITEMS));
    // the same cut-offs as a data point's points (scores lie in [0.25, 1])
    let band_points = points_expr(col(d::ROLLUP_SCORE));
    aggregated
        .select(cols)
        .with_columns([
            when(col(d::SCORED).gt(lit(0u32)))
                .then(
                    col(d::POINTS).cast(DataType::Float64)
                        / (lit(4.0) * col(d::SCORED).cast(DataType::Float64)),
                )
                .otherwise(lit(NULL).cast(DataType::Float64))
                .alias(d::ROLLUP_SCORE),
            when(col(d::ITEMS).gt(lit(0u32)))
                .then(
                    col(d::SCORED).cast(DataType::Float64) / col(d::ITEMS).cast(DataType::Float64),
                )
                .otherwise(lit(NULL).cast(DataType::Float64))
                .alias(d::COVERAGE),
        ])
        .with_columns([
            // nothing scored: "no data" only where nothing was reported
            when(
                col(d::SCORED)
                    .eq(lit(0u32))
                    .and(col(d::REPORTED).eq(lit(0u32))),
            )
            .then(lit(super::attainment::STATE_NO_DATA))
            .when(col(d::SCORED).eq(lit(0u32)))
            .then(lit(super::attainment::STATE_NO_TARGET))
            .otherwise(band_label(band_points))
            .alias(d::BAND),
            col(d::COVERAGE)
                .lt(lit(0.5))
                .fill_null(lit(false))
                .alias(d::LOW_COVERAGE),
        ])
}

/// Roll the attainment rows (one per city and catalogue data point, with DIMENSION,
/// SUB_DIMENSION, CATEGORY, DIRECTION, VALUE, CONFIDENTIAL, REFERENCE_KIND and POINTS) up
/// the hierarchy: items (non-neutral), reported (with a value), scored (with points, and
/// of those against targets and against benchmarks), points and confidential items. A
/// city's own roll-ups (its confidential items scored).
pub fn rollups(attainment: LazyFrame, year: i32) -> LazyFrame {
    finish(aggregate(attainment, year), "")
}

/// The published roll-ups: as [`rollups`] with the confidential items left unscored.
pub fn rollups_published(attainment: LazyFrame, year: i32) -> LazyFrame {
    finish(aggregate(attainment, year), PUB)
}

/// Both roll-up tables, (own, published), from one aggregation, in key order (CITY_ID by
/// its code, which is the ids' lexical order, then LEVEL and PATH): sorted once for both.
pub fn both(attainment: LazyFrame, year: i32) -> PolarsResult<(DataFrame, DataFrame)> {
    let agg = aggregate(attainment, year)
        .sort_by_exprs(
            [col(d::CITY_ID).to_physical(), col(d::LEVEL), col(d::PATH)],
            SortMultipleOptions::default().with_multithreaded(true),
        )
        .collect()?
        .lazy();
    Ok((
        finish(agg.clone(), "").collect()?,
        finish(agg, PUB).collect()?,
    ))
}
