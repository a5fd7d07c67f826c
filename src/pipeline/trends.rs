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

/// Least-squares sums per (city, data point) over observations with year <= `year`, in one
/// pass over the rows. `observations` are sorted by (city, data point, year) with
/// [`d::SERIES`] (see [`super::observations`]): each series is a run of rows, its first
/// and last rows are its first and latest years.
///
/// The same sums as [`fit_lazy`] (which is kept as the reference: a property test compares
/// the two), accumulated row by row instead of through a group-by of expression columns: at
/// 13 000 cities the group-by materialised eight 27 M-row float columns (1.7 GB touched)
/// for sums that fit in registers. Rows with a null value (ingest never stores one) make it
/// fall back to [`fit_lazy`].
pub fn fit(observations: &DataFrame, year: i32) -> PolarsResult<DataFrame> {
    let values = observations.column(d::VALUE)?.f64()?;
    if values.null_count() > 0 {
        return fit_lazy(observations.clone().lazy(), year).collect();
    }
    let values = values.rechunk();
    let series = observations.column(d::SERIES)?.u64()?.rechunk();
    let years = observations.column(d::YEAR)?.i32()?.rechunk();
    let (series, years, values) = (
        series.cont_slice()?,
        years.cont_slice()?,
        values.cont_slice()?,
    );
    let mut out = Sums::default();
    let mut i = 0usize;
    let n_rows = series.len();
    while i < n_rows {
        let key = series[i];
        let start = i;
        let mut acc = Acc::new(years[i]);
        while i < n_rows && series[i] == key {
            if years[i] <= year {
                acc.push((years[i] - year) as f64, years[i], values[i]);
            }
            i += 1;
        }
        if acc.n > 0 {
            out.push(start as IdxSize, &acc);
        }
    }
    out.into_frame(observations)
}

/// Running sums of one series.
struct Acc {
    n: u32,
    first_year: i32,
    latest_year: i32,
    latest: f64,
    sx: f64,
    sx2: f64,
    sy: f64,
    sy2: f64,
    sxy: f64,
    sly: f64,
    sxly: f64,
    vmin: f64,
    vmax: f64,
    vabs: f64,
}

impl Acc {
    fn new(first_year: i32) -> Self {
        Acc {
            n: 0,
            first_year,
            latest_year: first_year,
            latest: 0.0,
            sx: 0.0,
            sx2: 0.0,
            sy: 0.0,
            sy2: 0.0,
            sxy: 0.0,
            sly: 0.0,
            sxly: 0.0,
            vmin: f64::INFINITY,
            vmax: f64::NEG_INFINITY,
            vabs: f64::NEG_INFINITY,
        }
    }

    #[inline]
    fn push(&mut self, x: f64, year: i32, y: f64) {
        let ly = y.ln();
        self.n += 1;
        self.latest_year = year;
        self.latest = y;
        self.sx += x;
        self.sx2 += x * x;
        self.sy += y;
        self.sy2 += y * y;
        self.sxy += x * y;
        self.sly += ly;
        self.sxly += x * ly;
        self.vmin = self.vmin.min(y);
        self.vmax = self.vmax.max(y);
        self.vabs = self.vabs.max(y.abs());
    }
}

/// The output columns of [`fit`], one entry per series.
#[derive(Default)]
struct Sums {
    first_row: Vec<IdxSize>,
    n: Vec<u32>,
    first_year: Vec<i32>,
    latest_year: Vec<i32>,
    latest: Vec<f64>,
    f: [Vec<f64>; 13],
}

/// Names of [`Sums::f`], in order.
const SUM_COLUMNS: [&str; 13] = [
    "sx", "sx2", "sy", "sy2", "sxy_raw", "sly", "sxly_raw", "vmin", "vmax", "vabs", "xbar", "ybar",
    "sxx",
];

impl Sums {
    fn push(&mut self, row: IdxSize, a: &Acc) {
        let n = a.n as f64;
        self.first_row.push(row);
        self.n.push(a.n);
        self.first_year.push(a.first_year);
        self.latest_year.push(a.latest_year);
        self.latest.push(a.latest);
        let v = [
            a.sx,
            a.sx2,
            a.sy,
            a.sy2,
            a.sxy,
            a.sly,
            a.sxly,
            a.vmin,
            a.vmax,
            a.vabs,
            a.sx / n,
            a.sy / n,
            a.sx2 - a.sx * a.sx / n,
        ];
        for (col, x) in self.f.iter_mut().zip(v) {
            col.push(x);
        }
    }

    fn into_frame(self, observations: &DataFrame) -> PolarsResult<DataFrame> {
        let idx = IdxCa::from_vec("".into(), self.first_row);
        let keys = observations
            .select([d::CITY_ID, d::DATA_POINT_ID])?
            .take(&idx)?;
        let mut cols: Vec<Column> = keys.columns().to_vec();
        cols.push(Column::new(d::N_POINTS.into(), self.n));
        cols.push(Column::new(d::FIRST_YEAR.into(), self.first_year));
        cols.push(Column::new(d::LATEST_YEAR.into(), self.latest_year));
        cols.push(Column::new(d::LATEST_VALUE.into(), self.latest));
        for (name, v) in SUM_COLUMNS.iter().zip(self.f) {
            cols.push(Column::new((*name).into(), v));
        }
        let height = keys.height();
        let df = DataFrame::new(height, cols)?;
        // the centred cross sums, formed as in fit_lazy
        let n = || col(d::N_POINTS).cast(DataType::Float64);
        df.lazy()
            .with_columns([
                (col("sxy_raw") - col("sx") * col("sy") / n()).alias("sxy"),
                (col("sy2") - col("sy") * col("sy") / n()).alias("syy"),
                (col("sxly_raw") - col("sx") * col("sly") / n()).alias("sxly"),
            ])
            .collect()
    }
}

/// [`fit`] as a group-by over expression columns: the reference implementation.
pub fn fit_lazy(observations: LazyFrame, year: i32) -> LazyFrame {
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
