//! A city's ITU-T Y.4904 maturity report (`citybench maturity --city ID [--baseline
//! YEAR]`): the level of each mapped data point, the roll-up per dimension, the next
//! milestone, its self-assessments with the staircase checks ([`city_report`]), as JSON or
//! as text for a terminal or Markdown ([`CityMaturity`]). The levels come from the stages
//! of [`crate::maturity`], computed for one city against the run's references
//! ([`city_maturity`]), also for a baseline year. And the distribution of cities by
//! self-assessed level (`--distribution`, [`distribution`]).

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;
use serde_json::{Map, Value, json};

use super::Results;
use crate::catalog::{Catalog, UnitRegistry};
use crate::config::{Config, MaturityRollup};
use crate::error::{Error, Result};
use crate::maturity::assessments::{self, Framework};
use crate::maturity::levels;
use crate::maturity::matrix::{self, LEVEL_NAMES, Matrix};
use crate::numfmt::fmt_num;
use crate::output::{OutputFormat, Rows};
use crate::pipeline::{self, align, attainment, groups, targets::Targets};
use crate::registry::Registry;
use crate::schema::derived as d;

fn pipeline_err(e: PolarsError) -> Error {
    Error::polars("pipeline", e)
}

/// A city's maturity report: what `citybench maturity --city` prints.
pub struct CityMaturity {
    pub city_id: String,
    pub city_name: String,
    /// The run's analysis year and look-back.
    pub year: i32,
    pub lookback: u32,
    /// The year compared with (`--baseline`).
    pub baseline: Option<i32>,
    pub rule: MaturityRollup,
    /// One row per dimension and KPI performance.
    pub dimensions: Rows,
    /// One row per mapped data point (csv, ndjson, parquet, html: these rows).
    pub points: Rows,
    /// The city's self-assessments with their staircase columns.
    pub self_assessments: Rows,
    /// The staircase checks' findings, one line each.
    pub staircase: Vec<String>,
    /// The Y.4904 achievements table: the latest self-assessed level per dimension.
    pub achievements: BTreeMap<String, Option<i32>>,
    pub overall_level: Option<i64>,
    pub overall_median: Option<f64>,
    /// Mapped data points, and those of them with a value (level above 0).
    pub mapped: usize,
    pub with_data: usize,
}

/// The share of cities at each level of `framework` per characteristic and group, the
/// cities grouped by attribute `by` (`all`, a registry column or a workspace attribute),
/// from the workspace's self-assessments; and the workspace root they were read from.
pub fn distribution(
    workspace: &Path,
    framework: Framework,
    by: &str,
) -> Result<(Rows, std::path::PathBuf)> {
    let ws = crate::store::Workspace::open(workspace)?;
    let registry = Registry::for_workspace(ws.root())?;
    let by = by.trim();
    let valid = groups::valid_names(&registry);
    if !valid.iter().any(|v| v == by) {
        let hint = crate::suggest::did_you_mean(by, valid.iter().map(String::as_str))
            .map(|s| format!(" (did you mean '{s}'?)"))
            .unwrap_or_default();
        return Err(Error::Usage(format!(
            "--by: unknown attribute '{by}'{hint}; valid: {} (a workspace attributes.csv adds more, e.g. region)",
            valid.join(", ")
        )));
    }
    let current = assessments::current(&assessments::load(&ws)?);
    let group_of = |city: &str| -> Option<String> {
        if by == "all" {
            return Some("all".into());
        }
        registry
            .position(city)
            .and_then(|i| registry.attribute(i, by))
    };
    let rows = assessments::distribution(&current, framework, &group_of);
    Ok((rows, ws.root().to_path_buf()))
}

/// The maturity report of city `id` (an id, or a name unique in the registry) from the
/// results of the workspace's last run (`year`: must be its year when given), compared
/// with `baseline`. `load_catalog` gives the units and the catalogue, called once the
/// city is known.
pub fn city_report(
    workspace: &Path,
    year: Option<i32>,
    baseline: Option<i32>,
    id: &str,
    load_catalog: impl FnOnce() -> Result<(UnitRegistry, Catalog)>,
) -> Result<CityMaturity> {
    let res = Results::open(workspace, year)?;
    let city = res.city(id)?;
    let (units_reg, catalog) = load_catalog()?;
    let registry = Registry::for_workspace(res.ws.root())?;
    let config = res.ws.config()?;
    let matrix = Matrix::load(Some(res.ws.root()), &catalog, &registry)?;
    // the tables of the run the database reads (the generation it holds)
    let path = res.warehouse.dir().join("observations.parquet");
    let obs = LazyFrame::scan_parquet(
        PlRefPath::new(path.to_string_lossy().as_ref()),
        ScanArgsParquet::default(),
    )
    .map_err(|e| Error::polars(&path, e))?
    // filter first: the file is sorted by city, so row-group statistics skip the rest
    .filter(col(d::CITY_ID).eq(lit(city.city_id.as_str())))
    .select([
        col(d::CITY_ID).cast(DataType::String),
        col(d::DATA_POINT_ID).cast(DataType::String),
        col(d::YEAR),
        col(d::VALUE),
        col(d::CONFIDENTIAL),
    ])
    .collect()
    .map_err(|e| Error::polars(&path, e))?;
    let year = res.run.analysis_year;
    let lookback = res.run.lookback;
    let rule = config.maturity.rollup;
    // the references of the run: the city's rows of its attainment table (the file is
    // sorted by city: row-group statistics skip the others)
    let scan = |name: &str| {
        let path = res.warehouse.dir().join(format!("{name}.parquet"));
        LazyFrame::scan_parquet(
            PlRefPath::new(path.to_string_lossy().as_ref()),
            ScanArgsParquet::default(),
        )
        .map_err(|e| Error::polars(&path, e))
        .map(|lf| (lf, path))
    };
    let (att, path) = scan("attainment")?;
    let run_refs = att
        .filter(col(d::CITY_ID).eq(lit(city.city_id.as_str())))
        .select([
            col(d::CITY_ID).cast(DataType::String),
            col(d::DATA_POINT_ID).cast(DataType::String),
            col(d::DIMENSION),
            col(d::SUB_DIMENSION),
            col(d::CATEGORY),
            col(d::DIRECTION),
            col(d::TARGET),
            col(d::WORST),
            col(d::TOLERANCE),
            col(d::METHOD),
            col(d::TARGET_SOURCE),
        ])
        .collect()
        .map_err(|e| Error::polars(&path, e))?;
    let targets;
    let refs = if run_refs.height() > 0 {
        References::Run(run_refs)
    } else {
        // a city without a value in the run's window has no rows: resolve its references
        // as the run does (they matter for a baseline year with values)
        targets = Targets::load(
            Some(res.ws.root()),
            &catalog,
            &registry,
            &config.peers.groupings,
        )?;
        let (aligned, path) = scan("aligned")?;
        let aligned = aligned
            .select([
                col(d::DATA_POINT_ID).cast(DataType::String),
                col(d::VALUE),
                col(d::CONFIDENTIAL),
            ])
            .collect()
            .map_err(|e| Error::polars(&path, e))?;
        References::Resolve {
            targets: &targets,
            registry: &registry,
            aligned: Box::new(aligned.lazy()),
            year,
        }
    };
    let assess = |y: i32| -> Result<Assessed> {
        let (levels, dims) = city_maturity(
            obs.clone(),
            &catalog,
            &config,
            &refs,
            &matrix,
            &city.city_id,
            y,
            lookback,
        )?;
        Ok(Assessed { levels, dims })
    };
    let now = assess(year)?;
    let base = baseline.map(assess).transpose()?;
    let unit = |dp: &str| -> String {
        catalog
            .get(dp)
            .map(|p| units_reg.symbol(&p.canonical_unit))
            .unwrap_or_default()
    };
    let dims = dimension_rows(&now, base.as_ref())?;
    let points = data_point_rows(&now, base.as_ref(), &unit)?;
    let all = assessments::current(&assessments::load(&res.ws)?);
    let mine: Vec<_> = all
        .into_iter()
        .filter(|a| a.city_id == city.city_id)
        .collect();
    let checked = assessments::checks(&mine);
    // the Y.4904 achievements table: the latest self-assessed level per dimension, beside
    // the KPI performance from the matrix
    let latest_y4904 = assessments::latest_per_characteristic(&mine, Framework::Y4904)
        .remove(&city.city_id)
        .unwrap_or_default();
    let achieved = assessment_rows(&checked);
    let stairs = staircase_lines(&checked);
    let overall = dims
        .records()
        .find(|r| r.str(d::DIMENSION).as_deref() == Some(levels::KPI_PERFORMANCE));
    let overall_level = overall.and_then(|r| r.i64(d::MATURITY_LEVEL));
    let overall_median = overall.and_then(|r| r.f64(d::LEVEL_MEDIAN));
    let mapped = points.rows.len();
    let with_data = points
        .records()
        .filter(|r| r.i64(d::MATURITY_LEVEL).unwrap_or(0) > 0)
        .count();
    Ok(CityMaturity {
        city_id: city.city_id.clone(),
        city_name: city.name.clone(),
        year,
        lookback,
        baseline,
        rule,
        dimensions: dims,
        points,
        self_assessments: achieved,
        staircase: stairs,
        achievements: latest_y4904,
        overall_level,
        overall_median,
        mapped,
        with_data,
    })
}

impl CityMaturity {
    /// The report as one JSON document, with a final newline.
    pub fn json(&self) -> String {
        let doc = json!({
            "city_id": self.city_id,
            "city_name": self.city_name,
            "analysis_year": self.year,
            "lookback": self.lookback,
            "baseline_year": self.baseline,
            "rollup_rule": self.rule.as_str(),
            "kpi_performance_level": self.overall_level,
            "kpi_performance_median": self.overall_median,
            "data_points_mapped": self.mapped,
            "data_points_with_baseline": self.with_data,
            "dimensions": rows_json(&self.dimensions),
            "data_points": rows_json(&self.points),
            "self_assessments": rows_json(&self.self_assessments),
            "staircase_findings": self.staircase,
            "achievements": achievements_json(&self.achievements, self.overall_level),
        });
        format!(
            "{}\n",
            serde_json::to_string_pretty(&doc).expect("serialises")
        )
    }

    /// The report for a terminal, or as Markdown. The city's name is as the workspace
    /// gives it: print it through [`crate::text::printable_lines`].
    pub fn text(&self, markdown: bool) -> Result<String> {
        let (year, lookback) = (self.year, self.lookback);
        let (with_data, mapped) = (self.with_data, self.mapped);
        let window = format!("values {}..{year}", year - lookback as i32);
        let md = markdown;
        let fmt = if md {
            OutputFormat::Markdown
        } else {
            OutputFormat::Table
        };
        let h = |t: &str| {
            if md {
                format!("\n## {t}\n\n")
            } else {
                format!("\n{t}\n")
            }
        };
        let mut t = String::new();
        t.push_str(&format!(
            "{}{} ({}): ITU-T Y.4904 maturity, analysis year {year} ({window}), roll-up: {}\n",
            if md { "# " } else { "" },
            self.city_name,
            self.city_id,
            if self.rule.as_str() == "min" {
                "min (staircase)"
            } else {
                "median"
            }
        ));
        if self.with_data == 0 {
            t.push_str(&format!(
            "\nno data for {year} ({window}): every mapped data point is at level 0 (pre-maturity, no baseline)\n"
        ));
        }
        t.push_str(&format!(
        "\nKPI performance: level {} {} (median level {}); {with_data} of {mapped} mapped data points have a baseline\n",
        self.overall_level.map(|l| l.to_string()).unwrap_or_else(|| "-".into()),
        level_name(self.overall_level.map(|l| l as i32)).as_str().unwrap_or(""),
        self.overall_median.map(|m| fmt_num(m, 3)).unwrap_or_else(|| "-".into())
    ));
        if let Some(b) = self.baseline {
            let moved = |f: &dyn Fn(i64) -> bool| {
                self.points
                    .records()
                    .filter(|r| r.i64("change").is_some_and(f))
                    .count()
            };
            t.push_str(&format!(
                "since {b}: {} data point(s) up, {} down, {} unchanged\n",
                moved(&|c| c > 0),
                moved(&|c| c < 0),
                moved(&|c| c == 0)
            ));
        }
        let (dv, pv) = compact(&self.dimensions, &self.points, self.baseline.is_some());
        t.push_str(&h("Per dimension"));
        t.push_str(&render(&dv, fmt)?);
        t.push_str(&h(
            "Per data point (next: the next level with a target; gap > 0 = shortfall)",
        ));
        t.push_str(&render(&pv, fmt)?);
        t.push_str(&matrix_legend(&self.points, md));
        t.push_str(&h("Self-assessments"));
        if self.self_assessments.rows.is_empty() {
            t.push_str("none ingested for this city (citybench ingest FILE.csv with city_id,framework,characteristic,level,assessment_date[,evidence])\n");
        } else {
            let view = pick(
                &self.self_assessments,
                &[
                    ("framework", d::FRAMEWORK),
                    ("characteristic", d::CHARACTERISTIC),
                    ("date", d::ASSESSMENT_DATE),
                    ("level", d::MATURITY_LEVEL),
                    ("name", d::LEVEL_NAME),
                    ("previous", d::PREVIOUS_LEVEL),
                    ("leapfrog", d::LEAPFROG),
                    ("spread", d::SPREAD),
                ],
            );
            t.push_str(&render(&view, fmt)?);
        }
        if !self.achievements.is_empty() {
            t.push_str(&h(
                "Y.4904 achievements table (latest self-assessment per dimension)",
            ));
            t.push_str(&achievements_line(&self.achievements, self.overall_level));
        }
        if !self.staircase.is_empty() {
            t.push_str(&h("Staircase checks"));
            for s in &self.staircase {
                t.push_str(&format!("{}{s}\n", if md { "- " } else { "! " }));
            }
        }
        Ok(t)
    }
}

/// The attainment references of one city for [`city_maturity`].
pub enum References<'a> {
    /// The city's rows of the run's attainment table (CITY_ID and DATA_POINT_ID as text,
    /// DIMENSION, SUB_DIMENSION, CATEGORY, DIRECTION, TARGET, WORST, TOLERANCE, METHOD,
    /// TARGET_SOURCE): the references the run used, one row per catalogue data point.
    Run(DataFrame),
    /// Resolve them as `run` does: for a city without rows (no value in the run's window).
    Resolve {
        targets: &'a Targets,
        registry: &'a Registry,
        /// The run's aligned values of every city (DATA_POINT_ID as text, VALUE,
        /// CONFIDENTIAL): the benchmarks and the bounded method's fallback worst value
        /// rest on them.
        aligned: Box<LazyFrame>,
        /// The run's analysis year (the year of its benchmarks).
        year: i32,
    },
}

/// One city's maturity for year `year` from its observations (`observations`: CITY_ID,
/// DATA_POINT_ID, YEAR, VALUE, CONFIDENTIAL as text ids, any order): the data point levels
/// and the roll-ups, by the same stages as `run`, against the references of the run's
/// analysis year ([`References`]), also when `year` is a baseline year: a baseline year's
/// values are placed against the run's targets and benchmarks.
#[allow(clippy::too_many_arguments)]
pub fn city_maturity(
    observations: DataFrame,
    catalog: &Catalog,
    cfg: &Config,
    refs: &References<'_>,
    matrix: &Matrix,
    city_id: &str,
    year: i32,
    lookback: u32,
) -> Result<(DataFrame, DataFrame)> {
    let cat = pipeline::catalog_frame(catalog)?;
    let series = observations
        .lazy()
        .join(
            cat.clone()
                .lazy()
                .select([col(d::DATA_POINT_ID), col(d::POSITION)]),
            [col(d::DATA_POINT_ID)],
            [col(d::DATA_POINT_ID)],
            JoinArgs::new(JoinType::Inner),
        )
        .with_columns([
            col(d::POSITION).cast(DataType::UInt64).alias(d::SERIES),
            lit(NULL).cast(DataType::String).alias(d::QUALITY),
            lit(NULL).cast(DataType::Boolean).alias(d::VERIFIED),
        ])
        .sort([d::SERIES, d::YEAR], SortMultipleOptions::default());
    let aligned = align::align(series, year, lookback);
    let attained = match refs {
        References::Run(rows) => rows
            .clone()
            .lazy()
            .select([
                col(d::CITY_ID),
                col(d::DATA_POINT_ID),
                col(d::DIMENSION),
                col(d::SUB_DIMENSION),
                col(d::CATEGORY),
                col(d::DIRECTION),
                col(d::TARGET),
                col(d::WORST),
                col(d::TOLERANCE),
                col(d::METHOD),
                col(d::TARGET_SOURCE),
            ])
            .join(
                aligned.select([
                    col(d::CITY_ID),
                    col(d::DATA_POINT_ID),
                    col(d::VALUE),
                    col(d::SOURCE_YEAR),
                    col(d::CONFIDENTIAL),
                ]),
                [col(d::CITY_ID), col(d::DATA_POINT_ID)],
                [col(d::CITY_ID), col(d::DATA_POINT_ID)],
                JoinArgs::new(JoinType::Left),
            )
            .with_column(attainment::attainment_expr(col(d::VALUE)).alias(d::ATTAINMENT))
            .with_column(attainment::points_expr(col(d::ATTAINMENT)).alias(d::POINTS)),
        References::Resolve {
            targets,
            registry,
            aligned: all,
            year: run_year,
        } => {
            let grid = attainment::grid(
                df!(d::CITY_ID => [city_id]).map_err(pipeline_err)?.lazy(),
                cat.clone().lazy(),
            );
            let memberships = groups::memberships(&cfg.peers.groupings, registry)?
                .lazy()
                .filter(col(d::CITY_ID).eq(lit(city_id)));
            let frames = attainment::TargetFrames {
                defaults: targets.defaults_frame()?.lazy(),
                city: targets.city_frame()?.lazy(),
                group: targets.group_frame()?.lazy(),
            };
            attainment::against_references(
                grid,
                memberships,
                frames,
                all.as_ref().clone(),
                aligned,
                cat.clone().lazy(),
                cfg,
                *run_year,
            )
            .map_err(pipeline_err)?
        }
    };
    let city_rows = matrix
        .city_frame()?
        .lazy()
        .filter(col(d::CITY_ID).eq(lit(city_id)))
        .collect()
        .map_err(pipeline_err)?;
    let resolved = levels::resolve(attained, matrix.workspace_frame()?, city_rows);
    let point_levels = levels::levels(resolved, cat.lazy(), year)
        .sort([d::POSITION], SortMultipleOptions::default())
        .collect()
        .map_err(pipeline_err)?;
    let dims = levels::dimensions(point_levels.clone().lazy(), cfg.maturity.rollup, year)
        .collect()
        .map_err(pipeline_err)?;
    Ok((point_levels, dims))
}

fn pe(e: PolarsError) -> Error {
    Error::polars("maturity", e)
}

/// A number rounded to 12 significant digits (float noise such as 4.200000000000003 is not
/// part of the data: values are stored at 12 significant digits).
fn num(v: Option<f64>) -> Value {
    v.map(|v| {
        if v == 0.0 || !v.is_finite() {
            v
        } else {
            format!("{v:.11e}").parse().unwrap_or(v)
        }
    })
    .and_then(serde_json::Number::from_f64)
    .map(Value::Number)
    .unwrap_or(Value::Null)
}

fn level_name(l: Option<i32>) -> Value {
    l.and_then(|l| LEVEL_NAMES.get(l as usize))
        .map(|n| Value::from(*n))
        .unwrap_or(Value::Null)
}

/// Column accessors of a collected frame.
struct Cols<'a>(&'a DataFrame);

impl Cols<'_> {
    fn s(&self, c: &str) -> Result<Vec<Option<String>>> {
        Ok(self
            .0
            .column(c)
            .map_err(pe)?
            .cast(&DataType::String)
            .map_err(pe)?
            .str()
            .map_err(pe)?
            .iter()
            .map(|v| v.map(str::to_string))
            .collect())
    }
    fn i(&self, c: &str) -> Result<Vec<Option<i32>>> {
        Ok(self
            .0
            .column(c)
            .map_err(pe)?
            .cast(&DataType::Int32)
            .map_err(pe)?
            .i32()
            .map_err(pe)?
            .iter()
            .collect())
    }
    fn f(&self, c: &str) -> Result<Vec<Option<f64>>> {
        Ok(self
            .0
            .column(c)
            .map_err(pe)?
            .cast(&DataType::Float64)
            .map_err(pe)?
            .f64()
            .map_err(pe)?
            .iter()
            .collect())
    }
}

/// A city's assessment for one year: data point rows and dimension rows.
struct Assessed {
    levels: DataFrame,
    dims: DataFrame,
}

fn dimension_rows(now: &Assessed, base: Option<&Assessed>) -> Result<Rows> {
    let mut cols = vec![
        d::DIMENSION.to_string(),
        d::MATURITY_LEVEL.to_string(),
        d::LEVEL_NAME.to_string(),
        d::LEVEL_MIN.to_string(),
        d::LEVEL_MEDIAN.to_string(),
        d::DATA_POINTS.to_string(),
    ];
    cols.extend(d::AT_LEVEL.iter().map(|c| c.to_string()));
    if base.is_some() {
        cols.push("baseline_level".into());
        cols.push("change".into());
    }
    let mut rows = Rows::new(cols);
    let c = Cols(&now.dims);
    let (dim, lvl, min, med, n) = (
        c.s(d::DIMENSION)?,
        c.i(d::MATURITY_LEVEL)?,
        c.i(d::LEVEL_MIN)?,
        c.f(d::LEVEL_MEDIAN)?,
        c.i(d::DATA_POINTS)?,
    );
    let at: Vec<Vec<Option<i32>>> = d::AT_LEVEL.iter().map(|a| c.i(a)).collect::<Result<_>>()?;
    let base_levels = match base {
        Some(b) => {
            let bc = Cols(&b.dims);
            Some((bc.s(d::DIMENSION)?, bc.i(d::MATURITY_LEVEL)?))
        }
        None => None,
    };
    // dimensions in catalogue order, the overall row last
    let mut order: Vec<usize> = (0..dim.len()).collect();
    order.sort_by_key(|&i| (dim[i].as_deref() == Some(levels::KPI_PERFORMANCE), i));
    for i in order {
        let mut row = vec![
            Value::from(dim[i].clone()),
            Value::from(lvl[i]),
            level_name(lvl[i]),
            Value::from(min[i]),
            num(med[i]),
            Value::from(n[i]),
        ];
        row.extend(at.iter().map(|a| Value::from(a[i])));
        if let Some((bd, bl)) = &base_levels {
            let b = bd.iter().position(|x| *x == dim[i]).and_then(|j| bl[j]);
            row.push(Value::from(b));
            row.push(match (lvl[i], b) {
                (Some(x), Some(y)) => Value::from(x - y),
                _ => Value::Null,
            });
        }
        rows.push(row);
    }
    Ok(rows)
}

fn data_point_rows(
    now: &Assessed,
    base: Option<&Assessed>,
    units: &dyn Fn(&str) -> String,
) -> Result<Rows> {
    let mut cols: Vec<String> = [
        d::DIMENSION,
        d::DATA_POINT_ID,
        d::VALUE,
        d::UNIT,
        d::SOURCE_YEAR,
        d::MATURITY_LEVEL,
        d::LEVEL_NAME,
        d::LEVEL_2,
        d::LEVEL_3,
        d::LEVEL_4,
        d::LEVEL_5,
        d::NEXT_LEVEL,
        d::NEXT_TARGET,
        d::GAP_NEXT,
        d::MATRIX_SCOPE,
        d::MATRIX_SOURCE,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if base.is_some() {
        cols.push("baseline_value".into());
        cols.push("baseline_level".into());
        cols.push("change".into());
    }
    let mut rows = Rows::new(cols);
    let c = Cols(&now.levels);
    let (dim, dp, value, sy, lvl, nl, nt, gap, scope, source) = (
        c.s(d::DIMENSION)?,
        c.s(d::DATA_POINT_ID)?,
        c.f(d::VALUE)?,
        c.i(d::SOURCE_YEAR)?,
        c.i(d::MATURITY_LEVEL)?,
        c.i(d::NEXT_LEVEL)?,
        c.f(d::NEXT_TARGET)?,
        c.f(d::GAP_NEXT)?,
        c.s(d::MATRIX_SCOPE)?,
        c.s(d::MATRIX_SOURCE)?,
    );
    let targets: Vec<Vec<Option<f64>>> = matrix::LEVEL_COLUMNS
        .iter()
        .map(|t| c.f(t))
        .collect::<Result<_>>()?;
    let base_cols = match base {
        Some(b) => {
            let bc = Cols(&b.levels);
            Some((
                bc.s(d::DATA_POINT_ID)?,
                bc.f(d::VALUE)?,
                bc.i(d::MATURITY_LEVEL)?,
            ))
        }
        None => None,
    };
    for i in 0..dp.len() {
        let id = dp[i].clone().unwrap_or_default();
        let mut row = vec![
            Value::from(dim[i].clone()),
            Value::from(id.as_str()),
            num(value[i]),
            Value::from(units(&id)),
            Value::from(sy[i]),
            Value::from(lvl[i]),
            level_name(lvl[i]),
        ];
        row.extend(targets.iter().map(|t| num(t[i])));
        row.extend([
            Value::from(nl[i]),
            num(nt[i]),
            num(gap[i]),
            Value::from(scope[i].clone()),
            Value::from(source[i].clone()),
        ]);
        if let Some((bdp, bv, bl)) = &base_cols {
            let j = bdp.iter().position(|x| x.as_deref() == Some(id.as_str()));
            let (v, l) = j.map(|j| (bv[j], bl[j])).unwrap_or((None, None));
            row.push(num(v));
            row.push(Value::from(l));
            row.push(match (lvl[i], l) {
                (Some(x), Some(y)) => Value::from(x - y),
                _ => Value::Null,
            });
        }
        rows.push(row);
    }
    Ok(rows)
}

fn assessment_rows(checked: &[assessments::Checked]) -> Rows {
    let mut rows = Rows::new([
        d::FRAMEWORK,
        d::CHARACTERISTIC,
        d::ASSESSMENT_DATE,
        d::MATURITY_LEVEL,
        d::LEVEL_NAME,
        d::PREVIOUS_LEVEL,
        d::LEAPFROG,
        d::SPREAD,
        d::ISOLATED_ADVANCE,
        d::EVIDENCE,
    ]);
    for c in checked {
        rows.push(vec![
            Value::from(c.a.framework.as_str()),
            Value::from(c.a.characteristic.as_str()),
            Value::from(c.a.date.as_str()),
            Value::from(c.a.level),
            Value::from(c.a.framework.level_name(c.a.level)),
            Value::from(c.previous.as_ref().map(|p| p.0)),
            Value::Bool(c.leapfrog),
            Value::from(c.spread),
            Value::Bool(c.isolated_advance),
            Value::from(c.a.evidence.as_str()),
        ]);
    }
    rows
}

/// The staircase findings in words.
fn staircase_lines(checked: &[assessments::Checked]) -> Vec<String> {
    let mut out = Vec::new();
    for c in checked {
        if c.leapfrog
            && let Some((p, pd)) = &c.previous
        {
            out.push(format!(
                "leapfrogging ({}): {} rose from {} ({pd}) to {} ({}), more than one level",
                c.a.framework.as_str(),
                c.a.characteristic,
                c.a.framework.level_name(Some(*p)),
                c.a.framework.level_name(c.a.level),
                c.a.date
            ));
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for c in checked.iter().filter(|c| c.isolated_advance) {
        if seen.insert((c.a.framework, c.a.date.clone())) {
            out.push(format!(
                "isolated advance ({}): as of {} the highest and lowest {}s are {} levels apart (more than one)",
                c.a.framework.as_str(),
                c.a.date,
                c.a.framework.noun(),
                c.spread.unwrap_or(0)
            ));
        }
    }
    out
}

/// The achievements table in words: each Y.4904 dimension's level, then KPI performance.
fn achievements_line(
    latest: &std::collections::BTreeMap<String, Option<i32>>,
    kpi: Option<i64>,
) -> String {
    let mut parts: Vec<String> = assessments::Y4904_DIMENSIONS
        .iter()
        .map(|dim| {
            let l = latest.get(*dim).copied().flatten();
            format!(
                "{} {}",
                dim.replace('_', " "),
                l.map(|l| format!("{l} ({})", Framework::Y4904.level_name(Some(l))))
                    .unwrap_or_else(|| "not assessed".into())
            )
        })
        .collect();
    parts.push(format!(
        "KPI performance {} (from the performance matrix)",
        kpi.map(|l| format!("{l} ({})", Framework::Y4904.level_name(Some(l as i32))))
            .unwrap_or_else(|| "-".into())
    ));
    format!("{}\n", parts.join("; "))
}

fn achievements_json(
    latest: &std::collections::BTreeMap<String, Option<i32>>,
    kpi: Option<i64>,
) -> Value {
    let mut m = Map::new();
    for dim in assessments::Y4904_DIMENSIONS {
        m.insert(
            dim.to_string(),
            Value::from(latest.get(dim).copied().flatten()),
        );
    }
    m.insert("kpi_performance".into(), Value::from(kpi));
    Value::Object(m)
}

fn rows_json(rows: &Rows) -> Value {
    Value::Array(
        rows.rows
            .iter()
            .map(|r| {
                let mut m = Map::new();
                for (c, v) in rows.columns.iter().zip(r) {
                    m.insert(c.clone(), v.clone());
                }
                Value::Object(m)
            })
            .collect(),
    )
}

/// Some columns of `rows`, renamed: (new name, column).
fn pick(rows: &Rows, cols: &[(&str, &str)]) -> Rows {
    let idx: Vec<Option<usize>> = cols
        .iter()
        .map(|(_, c)| rows.columns.iter().position(|x| x == c))
        .collect();
    let mut out = Rows::new(cols.iter().map(|(n, _)| *n));
    for r in &rows.rows {
        out.push(
            idx.iter()
                .map(|i| i.map(|i| r[i].clone()).unwrap_or(Value::Null))
                .collect(),
        );
    }
    out
}

/// The terminal/Markdown views: fewer, shorter columns (every column is in csv/json).
fn compact(dims: &Rows, points: &Rows, baseline: bool) -> (Rows, Rows) {
    let mut dcols = vec![
        (d::DIMENSION, d::DIMENSION),
        ("level", d::MATURITY_LEVEL),
        ("name", d::LEVEL_NAME),
        ("min", d::LEVEL_MIN),
        ("median", d::LEVEL_MEDIAN),
        ("points", d::DATA_POINTS),
    ];
    let mut pcols = vec![
        ("data point", d::DATA_POINT_ID),
        ("value", d::VALUE),
        ("unit", d::UNIT),
        ("year", d::SOURCE_YEAR),
        ("level", d::MATURITY_LEVEL),
        ("name", d::LEVEL_NAME),
        ("next", d::NEXT_LEVEL),
        ("target", d::NEXT_TARGET),
        ("gap", d::GAP_NEXT),
        ("matrix", d::MATRIX_SCOPE),
    ];
    if baseline {
        dcols.push(("baseline", "baseline_level"));
        dcols.push(("change", "change"));
        pcols.push(("baseline", "baseline_level"));
        pcols.push(("change", "change"));
    }
    let mut dv = pick(dims, &dcols);
    // the distribution as one cell: data points at levels 0/1/2/3/4/5
    dv.columns.push("at levels 0/1/2/3/4/5".into());
    for (row, full) in dv.rows.iter_mut().zip(dims.records()) {
        let counts: Vec<String> = d::AT_LEVEL
            .iter()
            .map(|c| full.i64(c).unwrap_or(0).to_string())
            .collect();
        row.push(Value::from(counts.join("/")));
    }
    (dv, pick(points, &pcols))
}

/// Which matrices applied, under the per-data-point table: how many data points follow
/// the attainment reference, and the sources of the workspace's and the city's own rows.
fn matrix_legend(points: &Rows, md: bool) -> String {
    let line = if md { "\n- " } else { "" };
    let scope_of = |s: &str| {
        points
            .records()
            .filter(|r| r.str(d::MATRIX_SCOPE).as_deref() == Some(s))
            .count()
    };
    let mut out = format!(
        "{line}matrix: {} data point(s) at their U4SSC attainment band (attainment: 5 at 95%+, 4 at 66-95%, 3 at 33-66%, 2 below 33% of the target or benchmark, 1 a value without one; next target = the next band edge)\n",
        scope_of(levels::SCOPE_ATTAINMENT)
    );
    for scope in [levels::SCOPE_WORKSPACE, levels::SCOPE_CITY] {
        let mut sources: Vec<String> = points
            .records()
            .filter(|r| r.str(d::MATRIX_SCOPE).as_deref() == Some(scope))
            .filter_map(|r| r.str(d::MATRIX_SOURCE))
            .collect();
        sources.sort();
        sources.dedup();
        if !sources.is_empty() {
            out.push_str(&format!(
                "{line}matrix: {} data point(s) with {scope} interim targets ({})\n",
                scope_of(scope),
                sources.join("; ")
            ));
        }
    }
    out
}

fn render(rows: &Rows, format: OutputFormat) -> Result<String> {
    let mut buf = Vec::new();
    rows.render(format, &mut buf, None)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}
