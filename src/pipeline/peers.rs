//! Stage `peers` (METHODOLOGY section 5): peer statistics per (grouping, group, data
//! point) and each city's direction-adjusted mid-rank percentile, suppressed below k.

use polars::prelude::*;

use crate::schema::derived as d;

/// The direction-adjusted score (higher = better): value for higher_better, -value for
/// lower_better, -|value - target| for target_band (null without a target), null for
/// neutral.
pub fn score_expr() -> Expr {
    let dir = col(d::DIRECTION);
    when(dir.clone().eq(lit("higher_better")))
        .then(col(d::VALUE))
        .when(dir.clone().eq(lit("lower_better")))
        .then(-col(d::VALUE))
        .when(dir.eq(lit("target_band")))
        .then(-(col(d::VALUE) - col(d::TARGET)).abs())
        .otherwise(lit(NULL).cast(DataType::Float64))
}

/// Aligned rows (with DIRECTION and TARGET) repeated once per group the city is in.
pub fn in_groups(aligned: LazyFrame, memberships: LazyFrame) -> LazyFrame {
    aligned.join(
        memberships,
        [col(d::CITY_ID)],
        [col(d::CITY_ID)],
        super::ordered(JoinType::Inner),
    )
}

fn group_keys() -> [Expr; 3] {
    [col(d::GROUPING), col(d::GROUP), col(d::DATA_POINT_ID)]
}

/// n, min, p10, p25, median, p75, p90, max, mean, sd (sample, n - 1) per (grouping, group,
/// data point); quantiles type 7 (linear). Below `k` every statistic is null and
/// `suppressed` is true; the row and its n stay.
pub fn peer_stats(grouped: LazyFrame, k: u32, year: i32) -> LazyFrame {
    let v = || col(d::VALUE);
    let q = |p: f64, name: &str| v().quantile(lit(p), QuantileMethod::Linear).alias(name);
    let stats = [
        d::MIN,
        d::P10,
        d::P25,
        d::MEDIAN,
        d::P75,
        d::P90,
        d::MAX,
        d::MEAN,
        d::SD,
    ];
    let suppressed = col(d::N).lt(lit(k));
    let mut masked: Vec<Expr> = stats
        .iter()
        .map(|s| {
            when(suppressed.clone())
                .then(lit(NULL).cast(DataType::Float64))
                .otherwise(col(*s))
                .alias(*s)
        })
        .collect();
    masked.push(suppressed.alias(d::SUPPRESSED));
    grouped
        .group_by_stable(group_keys())
        .agg([
            v().count().cast(DataType::UInt32).alias(d::N),
            v().min().alias(d::MIN),
            q(0.10, d::P10),
            q(0.25, d::P25),
            q(0.50, d::MEDIAN),
            q(0.75, d::P75),
            q(0.90, d::P90),
            v().max().alias(d::MAX),
            // parallel partial sums can differ in the last bit between runs; 12
            // significant digits (as for converted values) keep the bytes identical
            v().mean().round_sig_figs(12).alias(d::MEAN),
            v().std(1).round_sig_figs(12).alias(d::SD),
        ])
        .with_columns(masked)
        .select([
            lit(year).alias(d::ANALYSIS_YEAR),
            col(d::GROUPING),
            col(d::GROUP),
            col(d::DATA_POINT_ID),
            col(d::N),
            col(d::SUPPRESSED),
            col(d::MIN),
            col(d::P10),
            col(d::P25),
            col(d::MEDIAN),
            col(d::P75),
            col(d::P90),
            col(d::MAX),
            col(d::MEAN),
            col(d::SD),
        ])
}

/// Each city's percentile in each of its groups: with N peers having a score, B strictly
/// worse and T tied (the city included), `100 * (B + T/2) / N`, computed as
/// `100 * (average rank - 1/2) / N`. Null for neutral data points, for target_band without
/// a target, and when the group has fewer than `k` values (`suppressed`).
pub fn percentiles(grouped: LazyFrame, k: u32, year: i32) -> LazyFrame {
    let g = group_keys();
    let rank = super::over(
        col(d::SCORE).rank(
            RankOptions {
                method: RankMethod::Average,
                descending: false,
            },
            None,
        ),
        g.clone(),
    );
    let big_n = super::over(col(d::SCORE).count(), g.clone());
    let n = super::over(col(d::VALUE).count(), g);
    grouped
        .with_column(score_expr().alias(d::SCORE))
        .with_columns([
            n.cast(DataType::UInt32).alias(d::N),
            big_n.alias("n_scored"),
            rank.cast(DataType::Float64).alias("rank"),
        ])
        .with_columns([
            when(
                col("n_scored")
                    .gt_eq(lit(k))
                    .and(col(d::SCORE).is_not_null()),
            )
            .then(lit(100.0) * (col("rank") - lit(0.5)) / col("n_scored").cast(DataType::Float64))
            .otherwise(lit(NULL).cast(DataType::Float64))
            .alias(d::PERCENTILE),
            col(d::N).lt(lit(k)).alias(d::SUPPRESSED),
        ])
        .select([
            lit(year).alias(d::ANALYSIS_YEAR),
            col(d::GROUPING),
            col(d::GROUP),
            col(d::CITY_ID),
            col(d::DATA_POINT_ID),
            col(d::VALUE),
            col(d::N),
            col(d::PERCENTILE),
            col(d::SUPPRESSED),
            col(d::CONFIDENTIAL),
        ])
}
