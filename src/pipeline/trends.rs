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
/// Years to target are published up to this many years (METHODOLOGY section 7).
pub const MAX_YEARS_TO_TARGET: f64 = 100.0;
/// Why years to target is null: the trend moves towards the target too slowly.
pub const NOTE_BEYOND: &str = "beyond 100 years";
/// Why years to target is null: the trend is flat or moves away from the target.
pub const NOTE_NOT_AT_TREND: &str = "not at current trend";

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

/// A slope below this share of the series' scale (its largest absolute value) per year is
/// rounding noise and is 0 (METHODOLOGY section 7); so is every slope of a series whose
/// values are constant to this share of their magnitude.
pub const FLAT: f64 = 1e-12;

/// The least-squares fit of one series: x = year - Y, y = value.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesFit {
    pub n: u32,
    pub first_year: i32,
    pub latest_year: i32,
    pub latest: f64,
    pub vmin: f64,
    pub xbar: f64,
    pub ybar: f64,
    /// Sum of squares of x about its mean.
    pub sxx: f64,
    /// The slope per year (None with fewer than 2 points); 0 for a flat series and for a
    /// slope below [`FLAT`] of the series' scale.
    pub slope: Option<f64>,
    /// The residual sum of squares about the fitted line (with that slope).
    pub sse: Option<f64>,
    /// The slope of ln(value) (values all > 0), with the same rules.
    pub log_slope: Option<f64>,
}

/// The mean of `v` about its first value, as (first value, mean offset): `v - v0` is exact
/// for values within a factor 2 of each other, and small, so neither a large raw sum nor
/// the rounding of a large mean enters a deviation `(v - v0) - offset`: a series at 1e11
/// with differences of 1 keeps its residuals to 1e-12 relative (METHODOLOGY section 7).
fn centre(v: &[f64]) -> (f64, f64) {
    let v0 = v[0];
    (v0, v.iter().map(|x| x - v0).sum::<f64>() / v.len() as f64)
}

/// The slope rule: `sxy / sxx` unless the series is flat or the slope is noise.
fn slope_rule(sxy: f64, sxx: f64, flat: bool, scale: f64) -> f64 {
    if flat {
        return 0.0;
    }
    let b = sxy / sxx;
    if b.abs() <= FLAT * scale { 0.0 } else { b }
}

/// Fit one series (`years` ascending and `ys`: at least one point; x = year - `year`), in
/// passes over the slices without allocating (but for a series of more than 64 years):
/// centres, sums of deviation products, residuals.
pub fn fit_series(years: &[i32], ys: &[f64], year: i32) -> SeriesFit {
    let n = ys.len();
    let (vmin, vmax, vabs) = ys.iter().fold(
        (f64::INFINITY, f64::NEG_INFINITY, 0.0f64),
        |(lo, hi, ab), &y| (lo.min(y), hi.max(y), ab.max(y.abs())),
    );
    // x = year - Y is a small integer: its mean about the first year is exact enough
    let x0 = (years[0] - year) as f64;
    let mx = years.iter().map(|y| (y - years[0]) as f64).sum::<f64>() / n as f64;
    let (y0, my) = centre(ys);
    let dx = |i: usize| (years[i] - years[0]) as f64 - mx;
    let dy = |i: usize| (ys[i] - y0) - my;
    let sxx: f64 = (0..n).map(|i| dx(i) * dx(i)).sum();
    let flat = vmax - vmin <= FLAT * vabs;
    let fitted = n >= 2 && sxx > 0.0;
    let (slope, sse) = if fitted {
        let sxy: f64 = (0..n).map(|i| dx(i) * dy(i)).sum();
        let b = slope_rule(sxy, sxx, flat, vabs);
        // a constant series has no residual at all (its interval is exactly 0)
        let sse = if flat {
            0.0
        } else {
            (0..n)
                .map(|i| {
                    let r = dy(i) - b * dx(i);
                    r * r
                })
                .sum()
        };
        (Some(b), Some(sse))
    } else {
        (None, None)
    };
    let log_slope = (fitted && vmin > 0.0).then(|| {
        // each logarithm once (ln is the costliest step of the fit: 10 M of them per
        // 5 000-city run), on the stack for any series of up to 64 years
        let mut small = [0.0f64; 64];
        let mut large = Vec::new();
        let ls: &mut [f64] = if n <= small.len() {
            &mut small[..n]
        } else {
            large.resize(n, 0.0);
            &mut large
        };
        for (l, y) in ls.iter_mut().zip(ys) {
            *l = y.ln();
        }
        let l0 = ls[0];
        let (mut lsum, mut labs) = (0.0, 0.0f64);
        for &l in ls.iter() {
            lsum += l - l0;
            labs = labs.max(l.abs());
        }
        let ml = lsum / n as f64;
        let sxly: f64 = (0..n).map(|i| dx(i) * ((ls[i] - l0) - ml)).sum();
        slope_rule(sxly, sxx, flat, labs)
    });
    SeriesFit {
        n: n as u32,
        first_year: years[0],
        latest_year: years[n - 1],
        latest: ys[n - 1],
        vmin,
        xbar: x0 + mx,
        ybar: y0 + my,
        sxx,
        slope,
        sse,
        log_slope,
    }
}

/// The least-squares fit per (city, data point) over observations with year <= `year`.
/// `observations` are sorted by (city, data point, year) with [`d::SERIES`] (see
/// [`super::observations`]): each series is a run of rows, fitted in cache by
/// [`fit_series`] (sums about the means, then the residuals about the line). Rows with a
/// null value (ingest never stores one) are left out.
pub fn fit(observations: &DataFrame, year: i32) -> PolarsResult<DataFrame> {
    let values = observations.column(d::VALUE)?.f64()?.rechunk();
    let series = observations.column(d::SERIES)?.u64()?.rechunk();
    let years = observations.column(d::YEAR)?.i32()?.rechunk();
    let series = series.cont_slice()?;
    let years = years.cont_slice()?;
    // the values as a slice (ingest never stores a null); a null, should one occur, is NaN
    // here and left out below
    let filled;
    let values: &[f64] = match values.cont_slice() {
        Ok(v) => v,
        Err(_) => {
            filled = values.fill_null_with_values(f64::NAN)?;
            filled.cont_slice()?
        }
    };
    // the series split over the cores at series boundaries, each part fitted in turn and
    // the parts appended in order (the same rows as one pass)
    let parts = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let mut bounds = vec![0usize];
    for p in 1..parts {
        let mut at = (series.len() * p / parts).max(*bounds.last().expect("one bound"));
        while at > 0 && at < series.len() && series[at] == series[at - 1] {
            at += 1;
        }
        bounds.push(at);
    }
    bounds.push(series.len());
    let fits: Vec<Fits> = std::thread::scope(|scope| {
        let handles: Vec<_> = bounds
            .windows(2)
            .map(|w| {
                let (lo, hi) = (w[0], w[1]);
                scope.spawn(move || fit_rows(series, years, values, lo, hi, year))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a fit thread does not panic"))
            .collect()
    });
    let mut out = Fits::default();
    for f in fits {
        out.append(f);
    }
    out.into_frame(observations)
}

/// [`fit`] over the rows `lo..hi` (whole series).
fn fit_rows(
    series: &[u64],
    years: &[i32],
    values: &[f64],
    lo: usize,
    hi: usize,
    year: i32,
) -> Fits {
    let mut out = Fits::default();
    let (mut ys, mut yrs) = (Vec::new(), Vec::new());
    let mut i = lo;
    while i < hi {
        let key = series[i];
        let start = i;
        while i < hi && series[i] == key {
            i += 1;
        }
        // the years up to Y are a prefix of the run (years ascending)
        let end = start + years[start..i].partition_point(|y| *y <= year);
        if end == start {
            continue;
        }
        let (yr, vs) = (&years[start..end], &values[start..end]);
        let fit = if vs.iter().any(|v| v.is_nan()) {
            ys.clear();
            yrs.clear();
            for (y, v) in yr.iter().zip(vs).filter(|(_, v)| !v.is_nan()) {
                yrs.push(*y);
                ys.push(*v);
            }
            if ys.is_empty() {
                continue;
            }
            fit_series(&yrs, &ys, year)
        } else {
            fit_series(yr, vs, year)
        };
        out.push(start as IdxSize, fit);
    }
    out
}

/// The fits of [`fit`] as columns, with the first row of each series.
#[derive(Default)]
struct Fits {
    first_row: Vec<IdxSize>,
    n: Vec<u32>,
    first_year: Vec<i32>,
    latest_year: Vec<i32>,
    latest: Vec<f64>,
    vmin: Vec<f64>,
    xbar: Vec<f64>,
    ybar: Vec<f64>,
    sxx: Vec<f64>,
    slope: Vec<Option<f64>>,
    sse: Vec<Option<f64>>,
    log_slope: Vec<Option<f64>>,
}

impl Fits {
    /// `other`'s fits after these.
    fn append(&mut self, mut other: Fits) {
        self.first_row.append(&mut other.first_row);
        self.n.append(&mut other.n);
        self.first_year.append(&mut other.first_year);
        self.latest_year.append(&mut other.latest_year);
        self.latest.append(&mut other.latest);
        self.vmin.append(&mut other.vmin);
        self.xbar.append(&mut other.xbar);
        self.ybar.append(&mut other.ybar);
        self.sxx.append(&mut other.sxx);
        self.slope.append(&mut other.slope);
        self.sse.append(&mut other.sse);
        self.log_slope.append(&mut other.log_slope);
    }

    fn push(&mut self, row: IdxSize, f: SeriesFit) {
        self.first_row.push(row);
        self.n.push(f.n);
        self.first_year.push(f.first_year);
        self.latest_year.push(f.latest_year);
        self.latest.push(f.latest);
        self.vmin.push(f.vmin);
        self.xbar.push(f.xbar);
        self.ybar.push(f.ybar);
        self.sxx.push(f.sxx);
        self.slope.push(f.slope);
        self.sse.push(f.sse);
        self.log_slope.push(f.log_slope);
    }

    fn into_frame(self, observations: &DataFrame) -> PolarsResult<DataFrame> {
        let idx = IdxCa::from_vec("".into(), self.first_row);
        let keys = observations
            .select([d::CITY_ID, d::DATA_POINT_ID])?
            .take(&idx)?;
        let mut cols: Vec<Column> = keys.columns().to_vec();
        cols.extend([
            Column::new(d::N_POINTS.into(), self.n),
            Column::new(d::FIRST_YEAR.into(), self.first_year),
            Column::new(d::LATEST_YEAR.into(), self.latest_year),
            Column::new(d::LATEST_VALUE.into(), self.latest),
            Column::new("vmin".into(), self.vmin),
            Column::new("xbar".into(), self.xbar),
            Column::new("ybar".into(), self.ybar),
            Column::new("sxx".into(), self.sxx),
            Column::new(d::SLOPE.into(), self.slope),
            Column::new("sse".into(), self.sse),
            Column::new("log_slope".into(), self.log_slope),
        ]);
        DataFrame::new(keys.height(), cols)
    }
}

/// Slopes, intervals, CAGR, required slope, ratio, status, years to target and
/// projections. `fitted` is [`fit`]; `targets` has CITY_ID, DATA_POINT_ID, DIRECTION and
/// the resolved TARGET (a target or a benchmark), REFERENCE_KIND, WORST, TOLERANCE; `t` is
/// [`t_table`]. The fitted series and the targets are merged when both come in (city, data
/// point) order ([`crate::frames::left_join_in_order`]).
pub fn trends(
    fitted: DataFrame,
    targets: DataFrame,
    t: LazyFrame,
    year: i32,
    horizon: i32,
    min_points: u32,
    bounded: bool,
) -> PolarsResult<LazyFrame> {
    let n = || col(d::N_POINTS).cast(DataType::Float64);
    let null_f = || lit(NULL).cast(DataType::Float64);
    // the standard error of the slope from the residuals about the fitted line
    let se = when(col(d::N_POINTS).lt(lit(3u32)).or(col(d::SLOPE).is_null()))
        .then(null_f())
        .otherwise((col("sse") / (n() - lit(2.0)) / col("sxx")).sqrt());
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
        .when(r().gt_eq(lit(-TOL)))
        .then(lit(STATUS_STAGNATING))
        .otherwise(lit(STATUS_WORSENING));
    // met: at or beyond the target (attainment >= 1)
    let met = col("a_latest").gt_eq(lit(1.0 - TOL)).fill_null(lit(false));
    let towards = col(d::SLOPE)
        .neq(lit(0.0))
        .and((gap() * col(d::SLOPE)).gt(lit(0.0)))
        .fill_null(lit(false));
    let no_target = col(d::TARGET).is_null().or(col(d::METHOD).is_null());
    let years = || gap() / col(d::SLOPE);
    // a straight line projected past a century says nothing
    let within = years().lt_eq(lit(MAX_YEARS_TO_TARGET * (1.0 + TOL)));
    let years_to_target = when(no_target.clone())
        .then(null_f())
        .when(met.clone())
        .then(lit(0.0))
        .when(towards.clone().and(within.clone()))
        .then(years())
        .otherwise(null_f());
    let null_s = || lit(NULL).cast(DataType::String);
    let years_note = when(no_target.or(met).or(col(d::SLOPE).is_null()))
        .then(null_s())
        .when(towards.clone().and(within))
        .then(null_s())
        .when(towards)
        .then(lit(NOTE_BEYOND))
        .otherwise(lit(NOTE_NOT_AT_TREND));
    let h_minus_latest = lit(horizon as f64) - latest_year();
    let joined =
        crate::frames::left_join_in_order(fitted, targets, [d::CITY_ID, d::DATA_POINT_ID])?;
    Ok(joined
        .lazy()
        .with_column(
            (col(d::N_POINTS).cast(DataType::Int64) - lit(2i64))
                .cast(DataType::UInt32)
                .alias("df"),
        )
        .join(
            t,
            [col("df")],
            [col("df")],
            crate::frames::ordered(JoinType::Left),
        )
        .with_columns([se.alias("se"), method_expr(bounded).alias(d::METHOD)])
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
            years_note.alias(d::YEARS_TO_TARGET_NOTE),
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
            col(d::REFERENCE_KIND),
            lit(horizon).alias(d::HORIZON_YEAR),
            col(d::REQUIRED_SLOPE),
            col(d::RATIO),
            col(d::STATUS),
            col(d::YEARS_TO_TARGET),
            col(d::YEARS_TO_TARGET_NOTE),
            col(d::PROJECTED_VALUE),
            col(d::FITTED_VALUE),
        ]))
}
