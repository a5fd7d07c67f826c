//! Stage `gaps` (METHODOLOGY section 7): gap to target, to the peer median and to the
//! leaders' level (p75 for higher_better, p25 for lower_better), signed so that positive
//! = shortfall, absolute and relative (% of the reference). Peer gaps are not defined for
//! target_band (closeness to the target is the measure; the gap to target covers it) and
//! neutral data points.

use polars::prelude::*;

use crate::schema::derived as d;

fn dir_is(s: &str) -> Expr {
    col(d::DIRECTION).eq(lit(s))
}

/// Signed shortfall of VALUE against `reference`.
fn shortfall(reference: Expr) -> Expr {
    when(dir_is("higher_better"))
        .then(reference.clone() - col(d::VALUE))
        .when(dir_is("lower_better"))
        .then(col(d::VALUE) - reference)
        .otherwise(lit(NULL).cast(DataType::Float64))
}

/// `gap / |reference| x 100`, null when the reference is 0 or null.
fn relative(gap: Expr, reference: Expr) -> Expr {
    when(
        reference
            .clone()
            .eq(lit(0.0))
            .or(reference.clone().is_null()),
    )
    .then(lit(NULL).cast(DataType::Float64))
    .otherwise(gap / reference.abs() * lit(100.0))
}

/// Gap to target for each row with VALUE, TARGET, DIRECTION: target_band's gap is
/// |value - target|.
pub fn target_gap_exprs() -> [Expr; 2] {
    let gap = when(dir_is("target_band"))
        .then((col(d::VALUE) - col(d::TARGET)).abs())
        .otherwise(shortfall(col(d::TARGET)));
    [
        gap.clone().alias(d::GAP_TARGET),
        relative(gap, col(d::TARGET)).alias(d::GAP_TARGET_PCT),
    ]
}

/// One row per (city, data point, grouping, group): peer median and leaders' level with the
/// gaps to them. `grouped` is the aligned rows with DIRECTION per group; `stats` the peer
/// statistics. The value, target and gap to target are per (city, data point) and live in
/// `attainment` (the `kpi_gaps` mart joins them back); repeating them for every grouping
/// made this, the largest table, a third bigger.
pub fn gaps(grouped: LazyFrame, stats: LazyFrame) -> LazyFrame {
    with_statistics(grouped.join(
        stats.select(STATISTICS.map(col)),
        [col(d::GROUPING), col(d::GROUP), col(d::DATA_POINT_ID)],
        [col(d::GROUPING), col(d::GROUP), col(d::DATA_POINT_ID)],
        crate::frames::ordered(JoinType::Left),
    ))
}

/// The statistics the gaps read: the group's keys, then what [`with_statistics`] uses.
const STATISTICS: [&str; 7] = [
    d::GROUPING,
    d::GROUP,
    d::DATA_POINT_ID,
    d::MEDIAN,
    d::P25,
    d::P75,
    d::SUPPRESSED,
];

/// [`gaps`] with each grouped row's statistics gathered from `stats` at `stats_row` (as
/// [`super::peers::stats_and_percentiles`] gives them) instead of joined on the three
/// keys: Polars encodes a row's three keys as bytes to join on them, 7.3 M rows at 13 000
/// cities.
pub fn gaps_by_group(
    grouped: &DataFrame,
    stats: &DataFrame,
    stats_row: &IdxCa,
) -> PolarsResult<LazyFrame> {
    let picked = stats
        .select(STATISTICS[3..].iter().copied())?
        .take(stats_row)?;
    Ok(with_statistics(grouped.hstack(picked.columns())?.lazy()))
}

/// The gaps of grouped rows joined with their group's MEDIAN, P25, P75 and SUPPRESSED.
fn with_statistics(joined: LazyFrame) -> LazyFrame {
    let leaders = when(dir_is("higher_better"))
        .then(col(d::P75))
        .when(dir_is("lower_better"))
        .then(col(d::P25))
        .otherwise(lit(NULL).cast(DataType::Float64));
    joined
        .with_columns([
            leaders.alias(d::LEADERS),
            shortfall(col(d::MEDIAN)).alias(d::GAP_MEDIAN),
        ])
        .with_columns([
            relative(col(d::GAP_MEDIAN), col(d::MEDIAN)).alias(d::GAP_MEDIAN_PCT),
            shortfall(col(d::LEADERS)).alias(d::GAP_LEADERS),
            // the median is only a peer reference where gaps are defined
            when(dir_is("higher_better").or(dir_is("lower_better")))
                .then(col(d::MEDIAN))
                .otherwise(lit(NULL).cast(DataType::Float64))
                .alias(d::MEDIAN),
        ])
        .with_column(relative(col(d::GAP_LEADERS), col(d::LEADERS)).alias(d::GAP_LEADERS_PCT))
        .select([
            col(d::ANALYSIS_YEAR),
            col(d::CITY_ID),
            col(d::DATA_POINT_ID),
            col(d::GROUPING),
            col(d::GROUP),
            col(d::MEDIAN),
            col(d::GAP_MEDIAN),
            col(d::GAP_MEDIAN_PCT),
            col(d::LEADERS),
            col(d::GAP_LEADERS),
            col(d::GAP_LEADERS_PCT),
            col(d::SUPPRESSED),
        ])
}
