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

/// Scored items whose reference is of `kind` (`target` or `benchmark`).
fn scored_by(kind: &str) -> Expr {
    col(d::POINTS)
        .is_not_null()
        .and(col(d::REFERENCE_KIND).eq(lit(kind)).fill_null(lit(false)))
        .sum()
        .cast(DataType::UInt32)
}

/// Roll the attainment rows (one per city and catalogue data point, with DIMENSION,
/// SUB_DIMENSION, CATEGORY, DIRECTION, VALUE, CONFIDENTIAL, REFERENCE_KIND and POINTS) up
/// the hierarchy: items (non-neutral), reported (with a value), scored (with points, and
/// of those against targets and against benchmarks), points and confidential items.
pub fn rollups(attainment: LazyFrame, year: i32) -> LazyFrame {
    let null_s = || lit(NULL).cast(DataType::String);
    let level = |keys: Vec<Expr>, name: &str, path: Expr, dim: Expr, sub: Expr, cat: Expr| {
        let mut by = vec![col(d::CITY_ID)];
        by.extend(keys);
        attainment
            .clone()
            .group_by_stable(by)
            .agg([
                col(d::DIRECTION)
                    .neq(lit("neutral"))
                    .sum()
                    .cast(DataType::UInt32)
                    .alias(d::ITEMS),
                col(d::POINTS)
                    .count()
                    .cast(DataType::UInt32)
                    .alias(d::SCORED),
                col(d::POINTS).sum().cast(DataType::Int64).alias(d::POINTS),
                scored_by(KIND_TARGET).alias(d::SCORED_TARGET),
                scored_by(KIND_BENCHMARK).alias(d::SCORED_BENCHMARK),
                col(d::DIRECTION)
                    .neq(lit("neutral"))
                    .and(col(d::VALUE).is_not_null())
                    .sum()
                    .cast(DataType::UInt32)
                    .alias(d::REPORTED),
                col(d::DIRECTION)
                    .neq(lit("neutral"))
                    .and(col(d::CONFIDENTIAL).fill_null(lit(false)))
                    .sum()
                    .cast(DataType::UInt32)
                    .alias(d::CONFIDENTIAL_ITEMS),
            ])
            .select([
                lit(year).alias(d::ANALYSIS_YEAR),
                col(d::CITY_ID),
                lit(name).alias(d::LEVEL),
                path.alias(d::PATH),
                dim.alias(d::DIMENSION),
                sub.alias(d::SUB_DIMENSION),
                cat.alias(d::CATEGORY),
                col(d::ITEMS),
                col(d::REPORTED),
                col(d::SCORED),
                col(d::SCORED_TARGET),
                col(d::SCORED_BENCHMARK),
                col(d::POINTS),
                col(d::CONFIDENTIAL_ITEMS),
            ])
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
    // the same cut-offs as a data point's points (scores lie in [0.25, 1])
    let band_points = points_expr(col(d::ROLLUP_SCORE));
    concat(parts, UnionArgs::default())
        .expect("same schema")
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
