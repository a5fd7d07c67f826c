//! `citybench maturity --city ID [--baseline YEAR]`: a city's ITU-T Y.4904 maturity: the
//! level of each mapped data point, the roll-up per dimension, the next milestone, its
//! self-assessments with the staircase checks; and `citybench maturity --distribution`:
//! the share of cities per level per characteristic and group (EU-China Figure 3).

use polars::prelude::*;
use serde_json::{Map, Value, json};

use super::{GlobalArgs, Outcome};
use crate::assessments::{self, Framework};
use crate::error::{Error, Result};
use crate::numfmt::fmt_num;
use crate::output::{OutputArgs, OutputFormat, Rows};
use crate::pipeline::{self, matrix::LEVEL_NAMES, matrix::Matrix, maturity, targets::Targets};
use crate::registry::Registry;
use crate::report::Results;
use crate::schema::derived as d;

/// Maturity per ITU-T Y.4904 (levels 0-5 per data point and dimension, next milestones,
/// self-assessments, staircase checks) or the distribution of cities by level.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  citybench maturity --city 2660646\n  citybench maturity --city 2660646 --baseline 2020        what moved since 2020\n  citybench maturity --city 2660646 --format json\n  citybench maturity --distribution --framework eu_china --by region\n  citybench maturity --distribution --framework y4904 --by continent --format markdown\n\nLevels: 0 pre-maturity (no baseline), 1 Planning (baseline), 2 Alignment, 3 Development,\n4 Integration, 5 Optimization. By default a data point's level is its U4SSC attainment band\n(5 at 95%+ of the target or benchmark, 4 at 66-95%, 3 at 33-66%, 2 below 33%, 1 a value\nwithout a reference), so maturity and the U4SSC state agree; a workspace maturity_matrix.csv\nsets interim targets per data point (per city with city_id): the level is then the highest\none whose target the value meets (sample: datasets/catalog/maturity_matrix_y4904_sample.csv).\nSelf-assessments are ingested with `citybench ingest FILE.csv` (columns\ncity_id,framework,characteristic,level,assessment_date[,evidence])."
)]
pub struct Args {
    /// City id, or a city name unique in the registry (`citybench cities --search NAME` finds
    /// ids).
    #[arg(long, value_name = "CITY", required_unless_present = "distribution")]
    pub city: Option<String>,
    /// Analysis year (must be the year of the last run; default: that year).
    #[arg(long)]
    pub year: Option<i32>,
    /// Compare with the assessment of this year (Y.4904 steps 4-5: what moved).
    #[arg(long, value_name = "YEAR")]
    pub baseline: Option<i32>,
    /// The share of cities at each level per characteristic and group.
    #[arg(long, conflicts_with_all = ["city", "baseline"])]
    pub distribution: bool,
    /// Framework of the distribution: y4904 or eu_china.
    #[arg(long, default_value = "eu_china", value_parser = parse_framework)]
    pub framework: Framework,
    /// Group cities of the distribution by this attribute (all, continent, un_region,
    /// economy, population_band, country_iso2, or a workspace attribute such as region).
    #[arg(long, default_value = "all", value_name = "ATTRIBUTE")]
    pub by: String,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Replace the --out file if it exists.
    #[arg(long)]
    pub force: bool,
}

fn parse_framework(s: &str) -> std::result::Result<Framework, String> {
    Framework::parse(s).ok_or_else(|| format!("'{s}' is not a framework; use y4904 or eu_china"))
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
    order.sort_by_key(|&i| (dim[i].as_deref() == Some(maturity::KPI_PERFORMANCE), i));
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
    let targets: Vec<Vec<Option<f64>>> = pipeline::matrix::LEVEL_COLUMNS
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
        scope_of(maturity::SCOPE_ATTAINMENT)
    );
    for scope in [maturity::SCOPE_WORKSPACE, maturity::SCOPE_CITY] {
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

fn city_report(args: &Args, global: &GlobalArgs, id: &str) -> Result<()> {
    let res = Results::open(global.workspace(), args.year)?;
    let city = res.city(id)?;
    let (units_reg, catalog) = global.load_catalog()?;
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
        pipeline::References::Run(run_refs)
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
        pipeline::References::Resolve {
            targets: &targets,
            registry: &registry,
            aligned: Box::new(aligned.lazy()),
            year,
        }
    };
    let assess = |y: i32| -> Result<Assessed> {
        let (levels, dims) = pipeline::city_maturity(
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
    let base = args.baseline.map(assess).transpose()?;
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
        .find(|r| r.str(d::DIMENSION).as_deref() == Some(maturity::KPI_PERFORMANCE));
    let overall_level = overall.and_then(|r| r.i64(d::MATURITY_LEVEL));
    let overall_median = overall.and_then(|r| r.f64(d::LEVEL_MEDIAN));
    let mapped = points.rows.len();
    let with_data = points
        .records()
        .filter(|r| r.i64(d::MATURITY_LEVEL).unwrap_or(0) > 0)
        .count();
    let o = &args.output;
    let window = format!("values {}..{year}", year - lookback as i32);
    match o.format {
        OutputFormat::Json => {
            let doc = json!({
                "city_id": city.city_id,
                "city_name": city.name,
                "analysis_year": year,
                "lookback": lookback,
                "baseline_year": args.baseline,
                "rollup_rule": rule.as_str(),
                "kpi_performance_level": overall_level,
                "kpi_performance_median": overall_median,
                "data_points_mapped": mapped,
                "data_points_with_baseline": with_data,
                "dimensions": rows_json(&dims),
                "data_points": rows_json(&points),
                "self_assessments": rows_json(&achieved),
                "staircase_findings": stairs,
                "achievements": achievements_json(&latest_y4904, overall_level),
            });
            o.emit_text(&format!(
                "{}\n",
                serde_json::to_string_pretty(&doc).expect("serialises")
            ))?;
        }
        OutputFormat::Table | OutputFormat::Markdown => {
            let md = o.format == OutputFormat::Markdown;
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
                city.name,
                city.city_id,
                if rule.as_str() == "min" {
                    "min (staircase)"
                } else {
                    "median"
                }
            ));
            if with_data == 0 {
                t.push_str(&format!(
                    "\nno data for {year} ({window}): every mapped data point is at level 0 (pre-maturity, no baseline)\n"
                ));
            }
            t.push_str(&format!(
                "\nKPI performance: level {} {} (median level {}); {with_data} of {mapped} mapped data points have a baseline\n",
                overall_level.map(|l| l.to_string()).unwrap_or_else(|| "-".into()),
                level_name(overall_level.map(|l| l as i32)).as_str().unwrap_or(""),
                overall_median.map(|m| fmt_num(m, 3)).unwrap_or_else(|| "-".into())
            ));
            if let Some(b) = args.baseline {
                let moved = |f: &dyn Fn(i64) -> bool| {
                    points
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
            let (dv, pv) = compact(&dims, &points, args.baseline.is_some());
            t.push_str(&h("Per dimension"));
            t.push_str(&render(&dv, fmt)?);
            t.push_str(&h(
                "Per data point (next: the next level with a target; gap > 0 = shortfall)",
            ));
            t.push_str(&render(&pv, fmt)?);
            t.push_str(&matrix_legend(&points, md));
            t.push_str(&h("Self-assessments"));
            if achieved.rows.is_empty() {
                t.push_str("none ingested for this city (citybench ingest FILE.csv with city_id,framework,characteristic,level,assessment_date[,evidence])\n");
            } else {
                let view = pick(
                    &achieved,
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
            if !latest_y4904.is_empty() {
                t.push_str(&h(
                    "Y.4904 achievements table (latest self-assessment per dimension)",
                ));
                t.push_str(&achievements_line(&latest_y4904, overall_level));
            }
            if !stairs.is_empty() {
                t.push_str(&h("Staircase checks"));
                for s in &stairs {
                    t.push_str(&format!("{}{s}\n", if md { "- " } else { "! " }));
                }
            }
            // the city's name comes from a workspace file: no control character as is
            o.emit_text(&crate::text::printable_lines(&t))?;
        }
        // one row per data point (html: a plain table; `report` has the maturity section)
        OutputFormat::Csv
        | OutputFormat::Ndjson
        | OutputFormat::Parquet
        | OutputFormat::Html
        | OutputFormat::Duckdb => o.emit(&points)?,
    }
    Ok(())
}

fn distribution(args: &Args, global: &GlobalArgs) -> Result<()> {
    let ws = crate::store::Workspace::open(global.workspace())?;
    let registry = Registry::for_workspace(ws.root())?;
    let by = args.by.trim();
    let valid = pipeline::groups::valid_names(&registry);
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
    let rows = assessments::distribution(&current, args.framework, &group_of);
    if rows.rows.is_empty() {
        eprintln!(
            "no {} self-assessments in {}; ingest a file with city_id,framework,characteristic,level,assessment_date[,evidence]",
            args.framework.as_str(),
            ws.root().display()
        );
    }
    args.output.emit(&rows)
}

/// Run `maturity`.
pub fn run(args: &Args, global: &GlobalArgs) -> Result<Outcome> {
    crate::store::refuse_existing_out(args.output.out.as_deref(), args.force)?;
    match (&args.city, args.distribution) {
        (_, true) => distribution(args, global)?,
        (Some(id), false) => city_report(args, global, id)?,
        (None, false) => {
            return Err(Error::Usage(
                "give --city ID (a city's levels) or --distribution (cities per level)".into(),
            ));
        }
    }
    Ok(Outcome::Ok)
}
