//! Stage `peers` (METHODOLOGY section 5): peer statistics per (grouping, group, data
//! point) and each city's direction-adjusted mid-rank percentile, suppressed below k.

use polars::prelude::*;

use crate::catalog::units::round_sig12;
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

/// The statistics of a group, in output order after N and SUPPRESSED.
const STAT_COLUMNS: [&str; 9] = [
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

/// The columns of `peer_stats`, in order.
fn stats_output(year: i32) -> Vec<Expr> {
    let mut out = vec![
        lit(year).alias(d::ANALYSIS_YEAR),
        col(d::GROUPING),
        col(d::GROUP),
        col(d::DATA_POINT_ID),
        col(d::N),
        col(d::SUPPRESSED),
    ];
    out.extend(STAT_COLUMNS.iter().map(|n| col(*n)));
    out
}

/// The columns of `percentiles`, in order.
fn percentile_output(year: i32) -> [Expr; 10] {
    [
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
    ]
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
    let suppressed = col(d::N).lt(lit(k));
    let mut masked: Vec<Expr> = STAT_COLUMNS
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
        .select(stats_output(year))
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
        .select(percentile_output(year))
}

/// Row index column used while grouping.
const ROW: &str = "__row";

/// [`peer_stats`] and [`percentiles`] in one pass over each group: the rows are grouped
/// once, each group's values are sorted once for n, min, the five type-7 quantiles, max,
/// mean and sd, and its scores once for the average ranks. The two expression plans sorted
/// every group six times (five quantiles and the rank window) and materialised the window
/// columns over every row; they stay as the reference a property test compares this with.
/// Output: the same two tables, in the same row orders.
pub fn stats_and_percentiles(
    grouped: &DataFrame,
    k: u32,
    year: i32,
) -> PolarsResult<(DataFrame, DataFrame)> {
    let scored = grouped
        .clone()
        .lazy()
        .with_column(score_expr().alias(d::SCORE))
        .with_row_index(ROW, None)
        .collect()?;
    let groups = scored
        .clone()
        .lazy()
        .group_by_stable(group_keys())
        .agg([col(ROW)])
        .collect()?;
    let lists = groups.column(ROW)?.list()?.clone();
    let lens: Vec<usize> = lists
        .lst_lengths()
        .into_no_null_iter()
        .map(|l| l as usize)
        .collect();
    let rows = lists.explode(ExplodeOptions {
        empty_as_null: false,
        keep_nulls: false,
    })?;
    let rows: Vec<IdxSize> = rows.idx()?.into_no_null_iter().collect();
    // nulls as NaN: ingest never stores a non-finite value
    let dense = |name: &str| -> PolarsResult<Vec<f64>> {
        Ok(scored
            .column(name)?
            .f64()?
            .iter()
            .map(|x| x.unwrap_or(f64::NAN))
            .collect())
    };
    let (values, scores) = (dense(d::VALUE)?, dense(d::SCORE)?);
    let height = scored.height();
    let mut n_col = vec![0u32; height];
    let mut pct_col: Vec<Option<f64>> = vec![None; height];
    let mut stats: [Vec<Option<f64>>; 9] = Default::default();
    let mut n_stat = Vec::with_capacity(lens.len());
    let mut buf: Vec<f64> = Vec::new();
    let mut ranked: Vec<(f64, IdxSize)> = Vec::new();
    let mut start = 0usize;
    for &len in &lens {
        let members = &rows[start..start + len];
        start += len;
        buf.clear();
        buf.extend(
            members
                .iter()
                .map(|&r| values[r as usize])
                .filter(|v| !v.is_nan()),
        );
        buf.sort_unstable_by(f64::total_cmp);
        let n = buf.len();
        n_stat.push(n as u32);
        let row_stats = if n < k as usize || n == 0 {
            [None; 9]
        } else {
            let mean = buf.iter().sum::<f64>() / n as f64;
            let sd = (n > 1).then(|| {
                let ss: f64 = buf.iter().map(|v| (v - mean) * (v - mean)).sum();
                round_sig12((ss / (n - 1) as f64).sqrt())
            });
            [
                Some(buf[0]),
                Some(quantile7(&buf, 0.10)),
                Some(quantile7(&buf, 0.25)),
                Some(quantile7(&buf, 0.50)),
                Some(quantile7(&buf, 0.75)),
                Some(quantile7(&buf, 0.90)),
                Some(buf[n - 1]),
                Some(round_sig12(mean)),
                sd,
            ]
        };
        for (col, v) in stats.iter_mut().zip(row_stats) {
            col.push(v);
        }
        // average ranks of the scores (ties share the mean of their positions)
        ranked.clear();
        ranked.extend(
            members
                .iter()
                .map(|&r| (scores[r as usize], r))
                .filter(|(s, _)| !s.is_nan()),
        );
        ranked.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        let n_scored = ranked.len();
        for &r in members {
            n_col[r as usize] = n as u32;
        }
        if n_scored >= k as usize && n_scored > 0 {
            let mut i = 0;
            while i < n_scored {
                let mut j = i + 1;
                while j < n_scored && ranked[j].0 == ranked[i].0 {
                    j += 1;
                }
                // positions i+1 ..= j, average (i + 1 + j) / 2
                let rank = (i + 1 + j) as f64 / 2.0;
                let p = 100.0 * (rank - 0.5) / n_scored as f64;
                for &(_, r) in &ranked[i..j] {
                    pct_col[r as usize] = Some(p);
                }
                i = j;
            }
        }
    }
    let suppressed_rows: BooleanChunked = n_col.iter().map(|&n| n < k).collect();
    let pct = scored
        .lazy()
        .with_columns([
            Series::new(d::N.into(), n_col).lit(),
            Series::new(d::PERCENTILE.into(), pct_col).lit(),
            suppressed_rows
                .with_name(d::SUPPRESSED.into())
                .into_series()
                .lit(),
        ])
        .select(percentile_output(year))
        .collect()?;
    let suppressed: BooleanChunked = n_stat.iter().map(|&n| n < k).collect();
    let mut cols = vec![
        Series::new(d::N.into(), n_stat).lit(),
        suppressed
            .with_name(d::SUPPRESSED.into())
            .into_series()
            .lit(),
    ];
    for (name, v) in STAT_COLUMNS.iter().zip(stats) {
        cols.push(Series::new((*name).into(), v).lit());
    }
    let stats = groups
        .lazy()
        .select(group_keys())
        .with_columns(cols)
        .select(stats_output(year))
        .collect()?;
    Ok((stats, pct))
}

/// Quantile type 7 (linear) of sorted, non-empty `v`, as Polars' `QuantileMethod::Linear`.
fn quantile7(v: &[f64], q: f64) -> f64 {
    let float_idx = (v.len() as f64 - 1.0) * q;
    let idx = (float_idx as usize).min(v.len() - 1);
    let top = float_idx.ceil() as usize;
    if idx == top {
        return v[idx];
    }
    let (lower, upper) = (v[idx], v[idx + 1]);
    if lower == upper {
        lower
    } else {
        (float_idx - idx as f64) * (upper - lower) + lower
    }
}
