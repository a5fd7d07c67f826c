//! Stage `peers` (METHODOLOGY sections 5 and 10): peer statistics per (grouping, group,
//! data point) and each city's direction-adjusted mid-rank percentile, suppressed below k.
//!
//! Peer statistics are published, so they are computed from the values that are not
//! confidential only (`n` counts those; `n_confidential` says how many were left out, and
//! suppression looks at `n`). A city's percentile is its mid-rank among the same published
//! scores: a city whose value is confidential is placed against the published distribution
//! as if it were added to it alone (`B` published scores worse, `T` published ties plus
//! itself, `N` published scores plus itself), so no other city's percentile moves because of
//! a confidential value, and its own percentile is shown only in its own outputs.

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
        crate::frames::ordered(JoinType::Inner),
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
        col(d::N_CONFIDENTIAL),
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

/// True for a confidential row (a missing flag is not confidential).
fn confidential() -> Expr {
    col(d::CONFIDENTIAL).fill_null(lit(false))
}

/// n, min, p10, p25, median, p75, p90, max, mean, sd (sample, n - 1) per (grouping, group,
/// data point) over the values that are not confidential; quantiles type 7 (linear);
/// `n_confidential` counts the confidential values left out. Below `k` published values
/// every statistic is null and `suppressed` is true; the row and its n stay.
pub fn peer_stats(grouped: LazyFrame, k: u32, year: i32) -> LazyFrame {
    let v = || col(d::VALUE).filter(confidential().not());
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
            col(d::VALUE)
                .filter(confidential())
                .count()
                .cast(DataType::UInt32)
                .alias(d::N_CONFIDENTIAL),
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

/// Each city's percentile in each of its groups among the published (not confidential)
/// scores: with B published scores strictly worse, T published scores tied (plus the city
/// itself when its value is confidential) and N published scores (plus the city itself when
/// confidential), `100 * (B + T/2) / N`. For a city whose value is published this is the
/// mid-rank among the published scores. Null for neutral data points, for target_band
/// without a target, and when the group has fewer than `k` published values
/// (`suppressed`). This is the reference plan (a self-join per group) the one-pass
/// [`stats_and_percentiles`] is tested against.
pub fn percentiles(grouped: LazyFrame, k: u32, year: i32) -> LazyFrame {
    let g = group_keys();
    let scored = grouped
        .with_column(score_expr().alias(d::SCORE))
        .with_row_index(ROW, None);
    let public = scored
        .clone()
        .filter(confidential().not().and(col(d::SCORE).is_not_null()))
        .select([
            col(d::GROUPING),
            col(d::GROUP),
            col(d::DATA_POINT_ID),
            col(d::SCORE).alias("public_score"),
        ]);
    let standing = scored
        .clone()
        .select([
            col(ROW),
            col(d::GROUPING),
            col(d::GROUP),
            col(d::DATA_POINT_ID),
            col(d::SCORE),
        ])
        .join(public, g.clone(), g.clone(), JoinArgs::new(JoinType::Left))
        .group_by([col(ROW)])
        .agg([
            col("public_score")
                .lt(col(d::SCORE))
                .sum()
                .cast(DataType::Float64)
                .alias("worse"),
            col("public_score")
                .eq(col(d::SCORE))
                .sum()
                .cast(DataType::Float64)
                .alias("tied"),
        ]);
    let own = confidential().cast(DataType::Float64);
    let published_value = col(d::VALUE).is_not_null().and(confidential().not());
    let published_score = col(d::SCORE).is_not_null().and(confidential().not());
    scored
        .join(
            standing,
            [col(ROW)],
            [col(ROW)],
            JoinArgs::new(JoinType::Left),
        )
        .sort([ROW], SortMultipleOptions::default())
        .with_columns([
            crate::frames::over(published_value.sum(), g.clone())
                .cast(DataType::UInt32)
                .alias(d::N),
            crate::frames::over(published_score.sum(), g)
                .cast(DataType::Float64)
                .alias("n_scored"),
        ])
        .with_columns([
            when(
                col("n_scored")
                    .gt_eq(lit(k as f64))
                    .and(col("n_scored").gt(lit(0.0)))
                    .and(col(d::SCORE).is_not_null()),
            )
            .then(
                lit(100.0) * (col("worse") + (col("tied") + own.clone()) / lit(2.0))
                    / (col("n_scored") + own),
            )
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
/// The groups are split over the cores ([`stats_and_percentiles_in`]). Output: the same two
/// tables, in the same row orders, and for each grouped row the row of its group's
/// statistics (which [`super::gaps::gaps_by_group`] gathers instead of joining them).
pub fn stats_and_percentiles(
    grouped: &DataFrame,
    k: u32,
    year: i32,
) -> PolarsResult<(DataFrame, DataFrame, IdxCa)> {
    let parts = std::thread::available_parallelism()
        .map_or(1, |p| p.get())
        .clamp(1, 8);
    stats_and_percentiles_in(grouped, k, year, parts)
}

/// [`stats_and_percentiles`] with the groups split over `parts` threads.
pub(super) fn stats_and_percentiles_in(
    grouped: &DataFrame,
    k: u32,
    year: i32,
    parts: usize,
) -> PolarsResult<(DataFrame, DataFrame, IdxCa)> {
    let scored = grouped
        .clone()
        .lazy()
        .with_column(score_expr().alias(d::SCORE))
        .collect()?;
    let Groups {
        keys: groups,
        lens,
        rows,
        stats_row,
    } = match groups_by_codes(&scored)? {
        Some(g) => g,
        None => groups_by_polars(&scored)?,
    };
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
    let confidential: Vec<bool> = scored
        .column(d::CONFIDENTIAL)?
        .bool()?
        .iter()
        .map(|c| c.unwrap_or(false))
        .collect();
    let columns = Columns {
        values: &values,
        scores: &scores,
        confidential: &confidential,
    };

    // the groups split over the threads at group boundaries, about equal rows each; each
    // part writes n and the percentile of its members by their place in `rows`
    let mut bounds = vec![0usize];
    let mut done = 0usize;
    for (g, &len) in lens.iter().enumerate() {
        done += len;
        if done * parts >= rows.len() * bounds.len() && bounds.len() < parts {
            bounds.push(g + 1);
        }
    }
    if *bounds.last().expect("one bound") != lens.len() {
        bounds.push(lens.len());
    }
    let mut n_at = vec![0u32; rows.len()];
    let mut pct_at: Vec<Option<f64>> = vec![None; rows.len()];
    let outs: Vec<GroupStats> =
        std::thread::scope(|scope| {
            let (mut n_rest, mut pct_rest) = (&mut n_at[..], &mut pct_at[..]);
            let mut first = 0usize;
            let mut handles = Vec::new();
            for w in bounds.windows(2) {
                let part_lens = &lens[w[0]..w[1]];
                let len: usize = part_lens.iter().sum();
                let (n_out, n_next) = n_rest.split_at_mut(len);
                let (pct_out, pct_next) = pct_rest.split_at_mut(len);
                (n_rest, pct_rest) = (n_next, pct_next);
                let members = &rows[first..first + len];
                first += len;
                let columns = &columns;
                handles.push(scope.spawn(move || {
                    group_statistics(part_lens, members, columns, k, n_out, pct_out)
                }));
            }
            handles
                .into_iter()
                .map(|h| h.join().expect("a peer statistics thread does not panic"))
                .collect()
        });
    let height = scored.height();
    let mut n_col = vec![0u32; height];
    let mut pct_col: Vec<Option<f64>> = vec![None; height];
    for ((&r, n), p) in rows.iter().zip(n_at).zip(pct_at) {
        n_col[r as usize] = n;
        pct_col[r as usize] = p;
    }
    let mut stats: [Vec<Option<f64>>; 9] = Default::default();
    let mut n_stat = Vec::with_capacity(lens.len());
    let mut n_conf_stat = Vec::with_capacity(lens.len());
    for out in outs {
        n_stat.extend(out.n);
        n_conf_stat.extend(out.n_confidential);
        for (all, part) in stats.iter_mut().zip(out.stats) {
            all.extend(part);
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
        Series::new(d::N_CONFIDENTIAL.into(), n_conf_stat).lit(),
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
    Ok((stats, pct, IdxCa::from_vec("stats_row".into(), stats_row)))
}

/// The groups of the grouped rows by (grouping, group, data point), in the order each first
/// appears, as a stable group-by gives them.
struct Groups {
    /// One row per group: its three keys.
    keys: DataFrame,
    /// Each group's number of rows.
    lens: Vec<usize>,
    /// The rows, group after group, ascending within each.
    rows: Vec<IdxSize>,
    /// Each row's group.
    stats_row: Vec<IdxSize>,
}

/// The largest table of key codes [`groups_by_codes`] indexes (64 MB).
const MAX_KEY_TABLE: usize = 1 << 24;

/// [`Groups`] by a table indexed by the three keys' codes, when all three are categorical
/// without nulls and the table is at most [`MAX_KEY_TABLE`] slots: a group-by on three
/// keys encodes every row's keys as bytes and hashes them (7.3 M rows at 13 000 cities,
/// 0.2 s). None otherwise.
fn groups_by_codes(scored: &DataFrame) -> PolarsResult<Option<Groups>> {
    let mut codes: Vec<Vec<u32>> = Vec::with_capacity(3);
    for k in [d::GROUPING, d::GROUP, d::DATA_POINT_ID] {
        let c = scored.column(k)?;
        if !matches!(c.dtype(), DataType::Categorical(..)) || c.null_count() > 0 {
            return Ok(None);
        }
        let p = c.to_physical_repr();
        codes.push(p.u32()?.into_no_null_iter().collect());
    }
    let dims: Vec<usize> = codes
        .iter()
        .map(|c| c.iter().max().map_or(1, |&m| m as usize + 1))
        .collect();
    let Some(size) = dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&s| s <= MAX_KEY_TABLE)
    else {
        return Ok(None);
    };
    const UNSET: u32 = u32::MAX;
    let n = scored.height();
    let mut table = vec![UNSET; size];
    let mut first: Vec<IdxSize> = Vec::new();
    let mut stats_row: Vec<IdxSize> = Vec::with_capacity(n);
    for (i, ((&a, &b), &c)) in codes[0].iter().zip(&codes[1]).zip(&codes[2]).enumerate() {
        let slot = &mut table[(a as usize * dims[1] + b as usize) * dims[2] + c as usize];
        if *slot == UNSET {
            *slot = first.len() as u32;
            first.push(i as IdxSize);
        }
        stats_row.push(*slot as IdxSize);
    }
    // the rows group after group, ascending within each (a counting sort)
    let mut lens = vec![0usize; first.len()];
    for &g in &stats_row {
        lens[g as usize] += 1;
    }
    let mut at: Vec<usize> = lens
        .iter()
        .scan(0usize, |sum, &len| {
            let start = *sum;
            *sum += len;
            Some(start)
        })
        .collect();
    let mut rows = vec![0 as IdxSize; n];
    for (i, &g) in stats_row.iter().enumerate() {
        rows[at[g as usize]] = i as IdxSize;
        at[g as usize] += 1;
    }
    let keys = scored
        .select([d::GROUPING, d::GROUP, d::DATA_POINT_ID])?
        .take(&IdxCa::from_vec("first".into(), first))?;
    Ok(Some(Groups {
        keys,
        lens,
        rows,
        stats_row,
    }))
}

/// [`Groups`] by Polars' stable group-by, for keys of other types.
fn groups_by_polars(scored: &DataFrame) -> PolarsResult<Groups> {
    let groups = scored
        .clone()
        .lazy()
        .with_row_index(ROW, None)
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
    let mut stats_row = vec![0 as IdxSize; scored.height()];
    let mut at = 0usize;
    for (g, &len) in lens.iter().enumerate() {
        for &r in &rows[at..at + len] {
            stats_row[r as usize] = g as IdxSize;
        }
        at += len;
    }
    Ok(Groups {
        keys: groups.select([d::GROUPING, d::GROUP, d::DATA_POINT_ID])?,
        lens,
        rows,
        stats_row,
    })
}

/// Every grouped row's value, score (NaN for none) and confidential flag.
struct Columns<'a> {
    values: &'a [f64],
    scores: &'a [f64],
    confidential: &'a [bool],
}

/// The statistics of consecutive groups, in group order.
#[derive(Default)]
struct GroupStats {
    n: Vec<u32>,
    n_confidential: Vec<u32>,
    stats: [Vec<Option<f64>>; 9],
}

/// The statistics of the groups of sizes `lens` whose rows are `members`, one group after
/// the other; each member's n and percentile go to `n_out` and `pct_out` at its place in
/// `members`.
fn group_statistics(
    lens: &[usize],
    members: &[IdxSize],
    c: &Columns<'_>,
    k: u32,
    n_out: &mut [u32],
    pct_out: &mut [Option<f64>],
) -> GroupStats {
    let mut out = GroupStats::default();
    let mut buf: Vec<f64> = Vec::new();
    // (value, place in the group) of the published values, by value
    let mut sorted: Vec<(f64, IdxSize)> = Vec::new();
    // (score, place in the group)
    let mut ranked: Vec<(f64, IdxSize)> = Vec::new();
    let mut start = 0usize;
    for &len in lens {
        let group = &members[start..start + len];
        let n_group = &mut n_out[start..start + len];
        let pct_group = &mut pct_out[start..start + len];
        start += len;
        // the published values: confidential ones are left out of every statistic
        published_in_order(&mut sorted, group, c.values, c.confidential);
        buf.clear();
        buf.extend(sorted.iter().map(|p| p.0));
        let n = buf.len();
        out.n.push(n as u32);
        out.n_confidential.push(
            group
                .iter()
                .filter(|&&r| c.confidential[r as usize] && !c.values[r as usize].is_nan())
                .count() as u32,
        );
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
        for (col, v) in out.stats.iter_mut().zip(row_stats) {
            col.push(v);
        }
        // average ranks of the published scores (ties share the mean of their positions).
        // A group's rows share a data point, so its scores are all its values (higher is
        // better), all their negations (lower is better) or neither (target bands): the
        // values' order then serves, forwards or backwards, instead of a second sort.
        ranked.clear();
        match score_order(group, c) {
            ScoreOrder::Values => ranked.extend_from_slice(&sorted),
            ScoreOrder::Negated => ranked.extend(sorted.iter().rev().map(|&(v, i)| (-v, i))),
            ScoreOrder::Own => published_in_order(&mut ranked, group, c.scores, c.confidential),
        }
        let n_scored = ranked.len();
        n_group.fill(n as u32);
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
                for &(_, at) in &ranked[i..j] {
                    pct_group[at as usize] = Some(p);
                }
                i = j;
            }
            // a confidential value placed against the published scores, alone
            for (at, &r) in group.iter().enumerate() {
                let s = c.scores[r as usize];
                if c.confidential[r as usize] && !s.is_nan() {
                    pct_group[at] = Some(placed_against(&ranked, s));
                }
            }
        }
    }
    out
}

/// `out` := (`column`'s value, place in the group) of the group's rows `group` that are
/// published (not confidential) and not NaN, in ascending order of the value.
fn published_in_order(
    out: &mut Vec<(f64, IdxSize)>,
    group: &[IdxSize],
    column: &[f64],
    confidential: &[bool],
) {
    out.clear();
    out.extend(
        group
            .iter()
            .enumerate()
            .filter(|(_, r)| !confidential[**r as usize])
            .map(|(i, &r)| (column[r as usize], i as IdxSize))
            .filter(|(v, _)| !v.is_nan()),
    );
    out.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
}

/// How a group's scores relate to its values.
enum ScoreOrder {
    /// Every score is its value (NaN where the value is): ranked in the values' order.
    Values,
    /// Every score is its value negated: ranked in the values' order reversed.
    Negated,
    /// Neither: the scores are sorted on their own.
    Own,
}

/// The [`ScoreOrder`] of the rows `group`.
fn score_order(group: &[IdxSize], c: &Columns<'_>) -> ScoreOrder {
    let pairs = || {
        group
            .iter()
            .map(|&r| (c.values[r as usize], c.scores[r as usize]))
    };
    let both_nan = |v: f64, s: f64| v.is_nan() && s.is_nan();
    if pairs().all(|(v, s)| both_nan(v, s) || s.to_bits() == v.to_bits()) {
        ScoreOrder::Values
    } else if pairs().all(|(v, s)| both_nan(v, s) || s.to_bits() == (-v).to_bits()) {
        ScoreOrder::Negated
    } else {
        ScoreOrder::Own
    }
}

/// The percentile of a score `s` added alone to the published scores `ranked` (sorted
/// ascending, non-empty): `100 * (B + (T + 1)/2) / (N + 1)` with B published scores below
/// `s` and T equal to it.
fn placed_against(ranked: &[(f64, IdxSize)], s: f64) -> f64 {
    let worse = ranked.partition_point(|x| x.0 < s);
    let tied = ranked[worse..].iter().take_while(|x| x.0 == s).count();
    100.0 * (worse as f64 + (tied + 1) as f64 / 2.0) / (ranked.len() + 1) as f64
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
