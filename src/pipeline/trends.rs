//! Stage `trends` (METHODOLOGY section 7): per (city, data point), over every observation
//! up to the analysis year: OLS slope per year with its 95 % confidence interval (Student
//! t, n - 2 degrees of freedom), CAGR from a log-linear fit when every value is > 0, the
//! slope required to meet the target by the horizon year, their ratio, the status, years to
//! target and the projected and fitted values at the horizon.

use polars::prelude::*;
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::attainment::{TOL, attainment_expr, method_expr};
use crate::schema::derived as d;

pub const STATUS_ACHIEVED: &str = "achieved";
pub const STATUS_INSUFFICIENT: &str = "insufficient_data";
pub const STATUS_ON_TRACK: &str = "on_track";
pub const STATUS_MODERATE: &str = "moderately_improving";
pub const STATUS_STAGNATING: &str = "stagnating";
pub const STATUS_WORSENING: &str = "worsening";
/// No target (or a neutral data point): no status can be judged.
pub const STATUS_NO_TARGET: &str = "no_target";

/// The two-sided 95 % Student t quantile (0.975) for 1..=`max_df` degrees of freedom.
pub fn t_table(max_df: u32) -> DataFrame {
    let dfs: Vec<u32> = (1..=max_df.max(1)).collect();
    let t: Vec<f64> = dfs
        .iter()
        .map(|&df| {
            StudentsT::new(0.0, 1.0, df as f64)
                .expect("df > 0")
                .inverse_cdf(0.975)
        })
        .collect();
    DataFrame::new(
        dfs.len(),
        vec![Column::new("df".into(), dfs), Column::new("t975".into(), t)],
    )
    .expect("equal lengths")
}

/// Least-squares sums per (city, data point) over observations with year <= `year`.
/// `observations` are sorted by (city, data point, year) with [`d::SERIES`] (see
/// [`super::observations`]): each series is a run of rows, its first and last rows are its
/// first and latest years.
///
/// Only plain sums are aggregated (the fast path of a group-by); x is the year minus the
/// analysis year (small exact integers), and the centred sums are formed afterwards:
/// `Sxx = sum(x^2) - sum(x)^2 / n`, `Sxy = sum(xy) - sum(x) sum(y) / n`, and likewise
/// for `Syy` and the log-linear fit.
pub fn fit(observations: LazyFrame, year: i32) -> LazyFrame {
    let x = || (col(d::YEAR) - lit(year)).cast(DataType::Float64);
    let y = || col(d::VALUE);
    let ly = || col(d::VALUE).log(lit(std::f64::consts::E));
    let n = || col(d::N_POINTS).cast(DataType::Float64);
    observations
        .filter(col(d::YEAR).lt_eq(lit(year)))
        .with_column(col(d::SERIES).set_sorted_flag(super::keys::ascending()))
        .group_by_stable([col(d::SERIES)])
        .agg([
            col(d::CITY_ID).first(),
            col(d::DATA_POINT_ID).first(),
            len().cast(DataType::UInt32).alias(d::N_POINTS),
            col(d::YEAR).first().alias(d::FIRST_YEAR),
            col(d::YEAR).last().alias(d::LATEST_YEAR),
            y().last().alias(d::LATEST_VALUE),
            x().sum().alias("sx"),
            (x() * x()).sum().alias("sx2"),
            y().sum().alias("sy"),
            (y() * y()).sum().alias("sy2"),
            (x() * y()).sum().alias("sxy_raw"),
            ly().sum().alias("sly"),
            (x() * ly()).sum().alias("sxly_raw"),
            y().min().alias("vmin"),
            y().max().alias("vmax"),
            y().abs().max().alias("vabs"),
        ])
        .with_columns([
            (col("sx") / n()).alias("xbar"),
            (col("sy") / n()).alias("ybar"),
            (col("sx2") - col("sx") * col("sx") / n()).alias("sxx"),
            (col("sxy_raw") - col("sx") * col("sy") / n()).alias("sxy"),
            (col("sy2") - col("sy") * col("sy") / n()).alias("syy"),
            (col("sxly_raw") - col("sx") * col("sly") / n()).alias("sxly"),
        ])
}

/// Slopes, intervals, CAGR, required slope, ratio, status, years to target and
/// projections. `fitted` is [`fit`]; `targets` has CITY_ID, DATA_POINT_ID, DIRECTION and
/// the resolved TARGET, WORST, TOLERANCE; `t` is [`t_table`].
pub fn trends(
    fitted: LazyFrame,
    targets: LazyFrame,
    t: LazyFrame,
    year: i32,
    horizon: i32,
    min_points: u32,
    bounded: bool,
) -> LazyFrame {
    let n = || col(d::N_POINTS).cast(DataType::Float64);
    let null_f = || lit(NULL).cast(DataType::Float64);
    // constant to 1e-12 relative to magnitude: exactly flat
    let flat = (col("vmax") - col("vmin")).lt_eq(lit(1e-12) * col("vabs"));
    let slope = when(
        col(d::N_POINTS)
            .lt(lit(2u32))
            .or(col("sxx").lt_eq(lit(0.0))),
    )
    .then(null_f())
    .when(flat.clone())
    .then(lit(0.0))
    .otherwise(col("sxy") / col("sxx"));
    let log_slope = when(col(d::SLOPE).is_null().or(col("vmin").lt_eq(lit(0.0))))
        .then(null_f())
        .when(flat)
        .then(lit(0.0))
        .otherwise(col("sxly") / col("sxx"));
    let se = when(col(d::N_POINTS).lt(lit(3u32)).or(col(d::SLOPE).is_null()))
        .then(null_f())
        .otherwise(
            ((col("syy") - col(d::SLOPE) * col("sxy")).clip_min(lit(0.0))
                / (n() - lit(2.0))
                / col("sxx"))
            .sqrt(),
        );
    let latest_year = || col(d::LATEST_YEAR).cast(DataType::Float64);
    let gap = || col(d::TARGET) - col(d::LATEST_VALUE);
    let required = when(
        col(d::TARGET)
            .is_null()
            .or(lit(horizon).lt_eq(col(d::LATEST_YEAR))),
    )
    .then(null_f())
    .otherwise(gap() / (lit(horizon as f64) - latest_year()));
    let ratio = when(
        col(d::REQUIRED_SLOPE)
            .is_null()
            .or(col(d::REQUIRED_SLOPE).eq(lit(0.0)))
            .or(col(d::SLOPE).is_null()),
    )
    .then(null_f())
    .otherwise(col(d::SLOPE) / col(d::REQUIRED_SLOPE));
    let r = || col(d::RATIO);
    let status = when(col(d::METHOD).is_null())
        .then(lit(STATUS_NO_TARGET))
        .when(
            col("a_latest")
                .clip_max(lit(1.0))
                .gt_eq(lit(0.95 - TOL))
                .fill_null(lit(false)),
        )
        .then(lit(STATUS_ACHIEVED))
        .when(col(d::N_POINTS).lt(lit(min_points)).or(r().is_null()))
        .then(lit(STATUS_INSUFFICIENT))
        .when(r().gt_eq(lit(1.0 - TOL)))
        .then(lit(STATUS_ON_TRACK))
        .when(r().gt_eq(lit(0.5 - TOL)))
        .then(lit(STATUS_MODERATE))
        .when(r().gt_eq(lit(0.0)))
        .then(lit(STATUS_STAGNATING))
        .otherwise(lit(STATUS_WORSENING));
    // met: at or beyond the target (attainment >= 1)
    let met = col("a_latest").gt_eq(lit(1.0 - TOL)).fill_null(lit(false));
    let towards = col(d::SLOPE)
        .neq(lit(0.0))
        .and((gap() * col(d::SLOPE)).gt(lit(0.0)))
        .fill_null(lit(false));
    let years_to_target = when(col(d::TARGET).is_null().or(col(d::METHOD).is_null()))
        .then(null_f())
        .when(met)
        .then(lit(0.0))
        .when(towards)
        .then(gap() / col(d::SLOPE))
        .otherwise(null_f());
    let h_minus_latest = lit(horizon as f64) - latest_year();
    fitted
        .join(
            targets,
            [col(d::CITY_ID), col(d::DATA_POINT_ID)],
            [col(d::CITY_ID), col(d::DATA_POINT_ID)],
            super::ordered(JoinType::Left),
        )
        .with_column(
            (col(d::N_POINTS).cast(DataType::Int64) - lit(2i64))
                .cast(DataType::UInt32)
                .alias("df"),
        )
        .join(t, [col("df")], [col("df")], super::ordered(JoinType::Left))
        .with_column(slope.alias(d::SLOPE))
        .with_columns([
            se.alias("se"),
            log_slope.alias("log_slope"),
            method_expr(bounded).alias(d::METHOD),
        ])
        .with_columns([
            (col(d::SLOPE) - col("t975") * col("se")).alias(d::SLOPE_CI_LOW),
            (col(d::SLOPE) + col("t975") * col("se")).alias(d::SLOPE_CI_HIGH),
            ((col("log_slope").exp() - lit(1.0)) * lit(100.0)).alias(d::CAGR_PCT),
            required.alias(d::REQUIRED_SLOPE),
            attainment_expr(col(d::LATEST_VALUE)).alias("a_latest"),
            (col(d::LATEST_VALUE) + col(d::SLOPE) * h_minus_latest).alias(d::PROJECTED_VALUE),
            (col("ybar") + col(d::SLOPE) * (lit((horizon - year) as f64) - col("xbar")))
                .alias(d::FITTED_VALUE),
        ])
        .with_column(ratio.alias(d::RATIO))
        .with_columns([
            status.alias(d::STATUS),
            years_to_target.alias(d::YEARS_TO_TARGET),
        ])
        .select([
            lit(year).alias(d::ANALYSIS_YEAR),
            col(d::CITY_ID),
            col(d::DATA_POINT_ID),
            col(d::DIRECTION),
            col(d::N_POINTS),
            col(d::FIRST_YEAR),
            col(d::LATEST_YEAR),
            col(d::LATEST_VALUE),
            col(d::SLOPE),
            col(d::SLOPE_CI_LOW),
            col(d::SLOPE_CI_HIGH),
            col(d::CAGR_PCT),
            col(d::TARGET),
            lit(horizon).alias(d::HORIZON_YEAR),
            col(d::REQUIRED_SLOPE),
            col(d::RATIO),
            col(d::STATUS),
            col(d::YEARS_TO_TARGET),
            col(d::PROJECTED_VALUE),
            col(d::FITTED_VALUE),
        ])
}
