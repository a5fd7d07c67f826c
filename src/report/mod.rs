//! What a city sees: the snapshot, the peer comparison and the static HTML report.
//!
//! Everything here reads the results of the last `citybench run` through the workspace's
//! DuckDB views (a read-only, locked-down connection) with the parameterised queries of
//! `queries/report/`; nothing is recomputed. [`load_snapshot`] gathers one city's rows into
//! a [`Snapshot`] (dimension -> sub-dimension -> category -> data point, with roll-ups),
//! which [`snapshot`] renders as a terminal table, Markdown or JSON and [`html`] as the
//! report page. [`compare`] builds the peer table.

pub mod compare;
pub mod html;
pub mod maturity;
pub mod snapshot;
pub mod svg;

use std::path::Path;

use serde::Serialize;

use crate::catalog::UnitRegistry;
use crate::error::{Error, IoContext, Result};
use crate::numfmt::fmt_num;
use crate::output::Record;
use crate::pipeline::attainment as st;
use crate::pipeline::rollups::LEVEL_OVERALL;
use crate::registry::Registry;
use crate::store::Workspace;
use crate::warehouse::Warehouse;

macro_rules! report_sql {
    ($name:literal) => {
        (
            concat!("queries/report/", $name, ".sql"),
            include_str!(concat!("../../queries/report/", $name, ".sql")),
        )
    };
}

/// `queries/report/*.sql`: (file, SQL), each parameterised with `$1`, `$2`, ...
pub const CITY: (&str, &str) = report_sql!("city");
pub const CITY_SNAPSHOT: (&str, &str) = report_sql!("city_snapshot");
pub const CITY_ROLLUPS: (&str, &str) = report_sql!("city_rollups");
pub const CITY_SERIES: (&str, &str) = report_sql!("city_series");
pub const CITY_MATURITY: (&str, &str) = report_sql!("city_maturity");
pub const CITY_MATURITY_LEVELS: (&str, &str) = report_sql!("city_maturity_levels");
pub const PEER_DISTRIBUTION: (&str, &str) = report_sql!("peer_distribution");
pub const COMPARE_GROUPING: (&str, &str) = report_sql!("compare_grouping");
pub const COMPARE_WITH: (&str, &str) = report_sql!("compare_with");

/// Version of the snapshot JSON document (`docs/snapshot.md`); bumped on any change that
/// is not adding a field.
pub const SNAPSHOT_SCHEMA: &str = "citybench.snapshot/1";

/// The six U4SSC states of the City Snapshot, with the colour each is drawn in.
///
/// A neutral data point has no target by definition: it is drawn as "no data or no target"
/// and labelled "neutral: not scored".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Target95,
    Target66,
    Target33,
    Below33,
    NoData,
    NoTarget,
}

impl Band {
    /// All six, in legend order.
    pub const ALL: [Band; 6] = [
        Band::Target95,
        Band::Target66,
        Band::Target33,
        Band::Below33,
        Band::NoData,
        Band::NoTarget,
    ];

    /// From a state or roll-up band label of the pipeline.
    pub fn from_state(state: &str) -> Band {
        match state {
            st::STATE_95 => Band::Target95,
            st::STATE_66 => Band::Target66,
            st::STATE_33 => Band::Target33,
            st::STATE_LOW => Band::Below33,
            st::STATE_NO_TARGET => Band::NoTarget,
            _ => Band::NoData,
        }
    }

    /// The legend text (the U4SSC City Snapshot's wording).
    pub fn legend(self) -> &'static str {
        match self {
            Band::Target95 => "95%+ of target",
            Band::Target66 => "66-95% of target",
            Band::Target33 => "33-66% of target",
            Band::Below33 => "less than 33% of target",
            Band::NoData => "no data or no target",
            Band::NoTarget => "data reported, no target yet",
        }
    }

    /// A short label for tables.
    pub fn short(self) -> &'static str {
        match self {
            Band::Target95 => "95%+",
            Band::Target66 => "66-95%",
            Band::Target33 => "33-66%",
            Band::Below33 => "<33%",
            Band::NoData => "no data",
            Band::NoTarget => "no target",
        }
    }

    /// Fill colour (sRGB hex). Each carries white text at 4.5:1 or more (WCAG 2.1 AA) and
    /// stands apart from every other band for the three kinds of colour-blindness: under the
    /// Machado et al. (2009) simulation of protanopia, deuteranopia and tritanopia (severity
    /// 1), every pair differs by at least 15 CIELAB units (tested; the green/red pair they
    /// replaced differed by 3.4 for deuteranopes). Blues for the upper bands, orange and
    /// crimson for the lower, grey for no data, plum for no target yet.
    pub fn colour(self) -> &'static str {
        match self {
            Band::Target95 => "#31409c",
            Band::Target66 => "#247bad",
            Band::Target33 => "#ab6400",
            Band::Below33 => "#b40f2c",
            Band::NoData => "#767676",
            Band::NoTarget => "#763a72",
        }
    }

    /// ANSI SGR colour for a terminal.
    pub fn ansi(self) -> &'static str {
        match self {
            Band::Target95 => "1;32",
            Band::Target66 => "32",
            Band::Target33 => "33",
            Band::Below33 => "31",
            Band::NoData => "2",
            Band::NoTarget => "34",
        }
    }
}

/// The city a snapshot is about (from `stg_cities`).
#[derive(Debug, Clone, Serialize)]
pub struct CityInfo {
    pub city_id: String,
    pub name: String,
    pub country_iso3: Option<String>,
    pub continent: Option<String>,
    pub un_region: Option<String>,
    pub economy: Option<String>,
    pub population: Option<i64>,
    pub population_band: Option<String>,
}

/// The run whose results are shown (`runs/<run-id>.json`).
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    pub run_id: String,
    pub engine_version: String,
    pub config_sha256: String,
    pub analysis_year: i32,
    pub lookback: u32,
    pub horizon_year: i32,
    pub k: u32,
    pub groupings: Vec<String>,
    pub attainment_method: String,
}

/// One data point of the snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct DataPointRow {
    pub data_point_id: String,
    pub kpi_id: Option<String>,
    pub name: String,
    /// Canonical unit code and its short symbol.
    pub unit: String,
    pub unit_symbol: String,
    pub direction: String,
    pub value: Option<f64>,
    pub source_year: Option<i32>,
    pub quality: Option<String>,
    pub confidential: bool,
    pub target: Option<f64>,
    pub target_year: Option<i32>,
    pub target_source: Option<String>,
    pub target_scope: Option<String>,
    /// `target` (normative) or `benchmark` (computed each run where no target exists).
    pub reference_kind: Option<String>,
    /// Published values a benchmark rests on.
    pub benchmark_n: Option<i64>,
    pub method: Option<String>,
    /// value / target (or the bounded/band measure), unclipped, as a fraction.
    pub attainment: Option<f64>,
    /// min(attainment, 1) x 100: the "% of target" the bands use.
    pub pct_of_target: Option<f64>,
    pub points: Option<i64>,
    /// The pipeline's state label (six U4SSC states plus "neutral: not scored").
    pub state: String,
    pub band: Band,
    pub peer_n: Option<i64>,
    pub percentile: Option<f64>,
    pub suppressed: bool,
    pub trend_status: Option<String>,
    pub trend_points: Option<i64>,
    pub slope: Option<f64>,
}

/// A roll-up (category, sub-dimension, dimension or overall).
#[derive(Debug, Clone, Serialize)]
pub struct Rollup {
    pub name: String,
    pub path: String,
    pub items: i64,
    /// Items with a value (scored or not).
    pub reported: i64,
    pub scored: i64,
    /// Scored items by the kind of reference: normative targets and benchmarks.
    pub scored_target: i64,
    pub scored_benchmark: i64,
    pub points: i64,
    /// points / (4 x scored), as a fraction; null when nothing is scored.
    pub score: Option<f64>,
    pub band: Band,
    pub band_label: String,
    pub coverage: f64,
    pub low_coverage: bool,
}

/// A category with its data points.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryNode {
    #[serde(flatten)]
    pub rollup: Rollup,
    pub data_points: Vec<DataPointRow>,
}

/// A sub-dimension with its categories.
#[derive(Debug, Clone, Serialize)]
pub struct SubDimensionNode {
    #[serde(flatten)]
    pub rollup: Rollup,
    pub categories: Vec<CategoryNode>,
}

/// A dimension with its sub-dimensions.
#[derive(Debug, Clone, Serialize)]
pub struct DimensionNode {
    #[serde(flatten)]
    pub rollup: Rollup,
    pub sub_dimensions: Vec<SubDimensionNode>,
}

/// The peer grouping a snapshot ranks the city in.
#[derive(Debug, Clone, Serialize)]
pub struct PeerInfo {
    pub grouping: String,
    /// The city's group in that grouping (null when the city has no values).
    pub group: Option<String>,
    pub k: u32,
}

/// One city's snapshot for the run's analysis year (the JSON document of `docs/snapshot.md`).
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    pub schema: &'static str,
    pub city: CityInfo,
    pub analysis_year: i32,
    /// Values come from [analysis_year - lookback, analysis_year].
    pub lookback: u32,
    pub run: RunInfo,
    pub peers: PeerInfo,
    /// False when the city has no value in the window: every other field is then empty.
    pub has_data: bool,
    pub overall: Option<Rollup>,
    pub dimensions: Vec<DimensionNode>,
}

impl Snapshot {
    /// Every data point, in catalogue order.
    pub fn data_points(&self) -> impl Iterator<Item = &DataPointRow> {
        self.dimensions.iter().flat_map(|d| {
            d.sub_dimensions
                .iter()
                .flat_map(|s| s.categories.iter().flat_map(|c| c.data_points.iter()))
        })
    }

    /// Every category with its dimension.
    pub fn categories(&self) -> impl Iterator<Item = (&DimensionNode, &CategoryNode)> {
        self.dimensions.iter().flat_map(|d| {
            d.sub_dimensions
                .iter()
                .flat_map(move |s| s.categories.iter().map(move |c| (d, c)))
        })
    }
}

fn never_run(ws: &Workspace) -> Error {
    Error::Usage(format!(
        "{} has no results yet; run `citybench -w {} run` first",
        ws.root().display(),
        ws.root().display()
    ))
}

/// The newest `runs/<run-id>.json` of a workspace (run ids start with their UTC time).
pub fn latest_run(ws: &Workspace) -> Result<RunInfo> {
    let dir = ws.root().join("runs");
    let never_run = || never_run(ws);
    let mut names: Vec<String> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".json"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(never_run()),
        Err(e) => return Err(Error::io(&dir, e)),
    };
    names.sort();
    let Some(last) = names.last() else {
        return Err(never_run());
    };
    read_run(&dir.join(last))
}

/// A run record (`runs/<run-id>.json`, or a generation's `run.json`).
pub fn read_run(path: &Path) -> Result<RunInfo> {
    let path = path.to_path_buf();
    let text = std::fs::read_to_string(&path).at(&path)?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| Error::input(&path, e.to_string()))?;
    let s = |p: &str| v.pointer(p).and_then(|x| x.as_str()).map(str::to_string);
    let n = |p: &str| v.pointer(p).and_then(|x| x.as_i64());
    let bad = |what: &str| Error::input(&path, format!("not a citybench run record: no {what}"));
    Ok(RunInfo {
        run_id: s("/run_id").ok_or_else(|| bad("run_id"))?,
        engine_version: s("/engine_version").unwrap_or_default(),
        config_sha256: s("/config_sha256").ok_or_else(|| bad("config_sha256"))?,
        analysis_year: n("/analysis_year").ok_or_else(|| bad("analysis_year"))? as i32,
        lookback: n("/lookback").unwrap_or(0) as u32,
        horizon_year: n("/config/analysis/horizon_year").unwrap_or(2030) as i32,
        k: n("/config/peers/k").unwrap_or(5) as u32,
        groupings: v
            .pointer("/config/peers/groupings")
            .and_then(|g| g.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        attainment_method: s("/config/attainment/method").unwrap_or_default(),
    })
}

/// The open results of a workspace: its read-only warehouse and the run they came from.
pub struct Results {
    pub ws: Workspace,
    pub warehouse: Warehouse,
    pub run: RunInfo,
}

impl Results {
    /// Open the results of the last run; `year`, when given, must be the run's year.
    pub fn open(root: &Path, year: Option<i32>) -> Result<Self> {
        let ws = Workspace::open(root)?;
        let warehouse = Warehouse::open_read_only(&ws)?;
        // the record of the run this database holds (published with it)
        let run = match warehouse.run_record() {
            Some(p) if p.is_file() => read_run(&p)?,
            Some(_) => return Err(never_run(&ws)),
            None => latest_run(&ws)?,
        };
        if let Some(y) = year
            && y != run.analysis_year
        {
            return Err(Error::Usage(format!(
                "the results in {} are for analysis year {}; run `citybench -w {} run --year {y}` first",
                ws.root().display(),
                run.analysis_year,
                ws.root().display()
            )));
        }
        Ok(Results { ws, warehouse, run })
    }

    /// The grouping to rank in: `asked`, which must be one the run computed, or by
    /// default the first configured grouping other than `all` (`all` when it is the only
    /// one).
    pub fn grouping(&self, asked: Option<&str>) -> Result<String> {
        let gs = &self.run.groupings;
        match asked {
            Some(g) if gs.iter().any(|x| x == g) => Ok(g.to_string()),
            Some(g) => Err(Error::Usage(format!(
                "unknown grouping '{g}': the last run computed {}{} (set [peers] groupings in citybench.toml and re-run)",
                gs.join(", "),
                crate::suggest::did_you_mean(g, gs.iter().map(String::as_str))
                    .map(|s| format!("; did you mean '{s}'?"))
                    .unwrap_or_default()
            ))),
            None => Ok(gs
                .iter()
                .find(|g| g.as_str() != "all")
                .or(gs.first())
                .cloned()
                .unwrap_or_else(|| "all".to_string())),
        }
    }

    /// The city `arg` names: an id, or a name unique in the registry
    /// ([`Registry::resolve_city`]); else an error with a "did you mean".
    pub fn city(&self, arg: &str) -> Result<CityInfo> {
        if let Some(c) = self.city_by_id(arg.trim())? {
            return Ok(c);
        }
        // not an id of the results: a city name, or a typo; the registry is read only now,
        // to resolve a name or suggest an id
        let id = arg.trim();
        let reg = match Registry::for_workspace(self.ws.root()) {
            Ok(reg) => reg,
            Err(_) => {
                return Err(Error::Usage(format!(
                    "unknown city id '{id}' (`citybench cities --search NAME` finds ids)"
                )));
            }
        };
        let resolved = reg.resolve_city(id)?;
        self.city_by_id(&resolved)?
            .ok_or_else(|| reg.unknown_city(id))
    }

    /// The city of this id in the results, `None` for an id they do not hold.
    fn city_by_id(&self, id: &str) -> Result<Option<CityInfo>> {
        let (file, sql) = CITY;
        let rows = self.warehouse.query_params(file, sql, &[id])?;
        if let Some(r) = rows.records().next() {
            return Ok(Some(CityInfo {
                city_id: r.str("city_id").unwrap_or_default(),
                name: r.str("city_name").unwrap_or_default(),
                country_iso3: r.str("country_iso3"),
                continent: r.str("continent"),
                un_region: r.str("un_region"),
                economy: r.str("economy"),
                population: r.i64("population"),
                population_band: r.str("population_band"),
            }));
        }
        Ok(None)
    }
}

fn rollup(r: &Record, name: String) -> Rollup {
    let band_label = r.str("band").unwrap_or_else(|| st::STATE_NO_DATA.into());
    Rollup {
        name,
        path: r.str("path").unwrap_or_default(),
        items: r.i64("items").unwrap_or(0),
        reported: r.i64("reported").unwrap_or(0),
        scored: r.i64("scored").unwrap_or(0),
        scored_target: r.i64("scored_target").unwrap_or(0),
        scored_benchmark: r.i64("scored_benchmark").unwrap_or(0),
        points: r.i64("points").unwrap_or(0),
        score: r.f64("rollup_score"),
        band: Band::from_state(&band_label),
        band_label,
        coverage: r.f64("coverage").unwrap_or(0.0),
        low_coverage: r.flag("low_coverage"),
    }
}

/// The roll-up of `path`, or an empty one (nothing scored) when the run has none.
fn rollup_or_empty(
    rollups: &std::collections::HashMap<String, Rollup>,
    path: &str,
    name: &str,
) -> Rollup {
    rollups.get(path).cloned().unwrap_or_else(|| Rollup {
        name: name.to_string(),
        path: path.to_string(),
        items: 0,
        reported: 0,
        scored: 0,
        scored_target: 0,
        scored_benchmark: 0,
        points: 0,
        score: None,
        band: Band::NoData,
        band_label: st::STATE_NO_DATA.into(),
        coverage: 0.0,
        low_coverage: true,
    })
}

/// One city's snapshot from the last run, ranked in `grouping`.
pub fn load_snapshot(res: &Results, city: CityInfo, grouping: &str) -> Result<Snapshot> {
    let units = UnitRegistry::embedded()?;
    let (file, sql) = CITY_SNAPSHOT;
    let rows = res
        .warehouse
        .query_params(file, sql, &[&city.city_id, grouping])?;
    let (rfile, rsql) = CITY_ROLLUPS;
    let rollup_rows = res.warehouse.query_params(rfile, rsql, &[&city.city_id])?;
    let sep = crate::pipeline::rollups::PATH_SEP;
    let mut rollups = std::collections::HashMap::new();
    for r in rollup_rows.records() {
        let path = r.str("path").unwrap_or_default();
        let name = path.rsplit(sep).next().unwrap_or_default().to_string();
        rollups.insert(path, rollup(&r, name));
    }
    let has_data = rows.records().any(|r| r.f64("value").is_some());
    let mut group = None;
    let mut dimensions: Vec<DimensionNode> = Vec::new();
    for r in rows.records() {
        if group.is_none() {
            group = r.str("peer_group");
        }
        let (dim, sub, cat) = (
            r.str("dimension").unwrap_or_default(),
            r.str("sub_dimension").unwrap_or_default(),
            r.str("category").unwrap_or_default(),
        );
        let unit = r.str("unit").unwrap_or_default();
        let state = r.str("state").unwrap_or_else(|| st::STATE_NO_DATA.into());
        let attainment = r.f64("attainment");
        let row = DataPointRow {
            data_point_id: r.str("data_point_id").unwrap_or_default(),
            kpi_id: r.str("kpi_id"),
            name: r.str("kpi_name").unwrap_or_default(),
            unit_symbol: units.symbol(&unit),
            unit,
            direction: r.str("direction").unwrap_or_default(),
            value: r.f64("value"),
            source_year: r.i64("source_year").map(|y| y as i32),
            quality: r.str("quality"),
            confidential: r.flag("confidential"),
            target: r.f64("target"),
            target_year: r.i64("target_year").map(|y| y as i32),
            target_source: r.str("target_source"),
            target_scope: r.str("target_scope"),
            reference_kind: r.str("reference_kind"),
            benchmark_n: r.i64("benchmark_n"),
            method: r.str("method"),
            attainment,
            pct_of_target: attainment.map(|a| a.min(1.0) * 100.0),
            points: r.i64("points"),
            band: Band::from_state(&state),
            state,
            peer_n: r.i64("peer_n"),
            percentile: r.f64("percentile"),
            suppressed: r.flag("suppressed"),
            trend_status: r.str("trend_status"),
            trend_points: r.i64("trend_points"),
            slope: r.f64("slope"),
        };
        if dimensions.last().is_none_or(|d| d.rollup.name != dim) {
            dimensions.push(DimensionNode {
                rollup: rollup_or_empty(&rollups, &dim, &dim),
                sub_dimensions: Vec::new(),
            });
        }
        let d = dimensions.last_mut().expect("pushed");
        if d.sub_dimensions.last().is_none_or(|s| s.rollup.name != sub) {
            let path = format!("{dim}{sep}{sub}");
            d.sub_dimensions.push(SubDimensionNode {
                rollup: rollup_or_empty(&rollups, &path, &sub),
                categories: Vec::new(),
            });
        }
        let s = d.sub_dimensions.last_mut().expect("pushed");
        if s.categories.last().is_none_or(|c| c.rollup.name != cat) {
            let path = format!("{dim}{sep}{sub}{sep}{cat}");
            s.categories.push(CategoryNode {
                rollup: rollup_or_empty(&rollups, &path, &cat),
                data_points: Vec::new(),
            });
        }
        s.categories
            .last_mut()
            .expect("pushed")
            .data_points
            .push(row);
    }
    let overall = rollups.get(LEVEL_OVERALL).cloned();
    Ok(Snapshot {
        schema: SNAPSHOT_SCHEMA,
        city,
        analysis_year: res.run.analysis_year,
        lookback: res.run.lookback,
        run: res.run.clone(),
        peers: PeerInfo {
            grouping: grouping.to_string(),
            group,
            k: res.run.k,
        },
        has_data,
        overall: if has_data { overall } else { None },
        dimensions: if has_data { dimensions } else { Vec::new() },
    })
}

/// The trend status for people ("on_track" -> "on track").
pub fn status_text(s: &str) -> String {
    match s {
        // the latest value is in the 95 %+ band (a value at 95 % of its target reads as
        // "achieved" next to a band that says it is not the target itself)
        "achieved" => "at 95%+".into(),
        "insufficient_data" => "< 3 years".into(),
        "moderately_improving" => "improving".into(),
        "no_target" => "no target".into(),
        other => other.replace('_', " "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// WCAG 2.1 relative luminance of an sRGB hex colour.
    fn luminance(hex: &str) -> f64 {
        let c = |i: usize| {
            let v = u8::from_str_radix(&hex[i..i + 2], 16).unwrap() as f64 / 255.0;
            if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * c(1) + 0.7152 * c(3) + 0.0722 * c(5)
    }

    fn contrast(a: &str, b: &str) -> f64 {
        let (x, y) = (luminance(a), luminance(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    #[test]
    fn band_colours_have_contrast_on_white_and_differ() {
        assert!((contrast("#ffffff", "#000000") - 21.0).abs() < 1e-9);
        assert!((contrast("#767676", "#ffffff") - 4.54).abs() < 0.01);
        for b in Band::ALL {
            let c = contrast(b.colour(), "#ffffff");
            assert!(c >= 3.0, "{b:?} {} has contrast {c:.2}", b.colour());
            // white text on the segment is readable too (labels inside segments)
            assert!(c >= 4.5, "{b:?} {} white text contrast {c:.2}", b.colour());
        }
        // the two blues and the orange/crimson pair are told apart by lightness too
        let d = |a: Band, b: Band| (luminance(a.colour()) - luminance(b.colour())).abs();
        assert!(d(Band::Target95, Band::Target66) > 0.04);
        assert!(d(Band::Target33, Band::Below33) > 0.02);
    }

    /// Linear sRGB of a hex colour.
    fn linear(hex: &str) -> [f64; 3] {
        let c = |i: usize| {
            let v = u8::from_str_radix(&hex[i..i + 2], 16).unwrap() as f64 / 255.0;
            if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        [c(1), c(3), c(5)]
    }

    /// CIELAB (D65) of linear sRGB.
    fn lab(rgb: [f64; 3]) -> [f64; 3] {
        let [r, g, b] = rgb;
        let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
        let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
        let f = |t: f64| {
            if t > 0.008856 {
                t.cbrt()
            } else {
                7.787 * t + 16.0 / 116.0
            }
        };
        [
            116.0 * f(y) - 16.0,
            500.0 * (f(x) - f(y)),
            200.0 * (f(y) - f(z)),
        ]
    }

    #[test]
    fn band_colours_stay_apart_for_colour_blind_readers() {
        // Machado, Oliveira and Fernandes (2009), severity 1.0, on linear sRGB
        let sims: [(&str, [[f64; 3]; 3]); 4] = [
            (
                "normal",
                [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
            ),
            (
                "protanopia",
                [
                    [0.152286, 1.052583, -0.204868],
                    [0.114503, 0.786281, 0.099216],
                    [-0.003882, -0.048116, 1.051998],
                ],
            ),
            (
                "deuteranopia",
                [
                    [0.367322, 0.860646, -0.227968],
                    [0.280085, 0.672501, 0.047413],
                    [-0.011820, 0.042940, 0.968881],
                ],
            ),
            (
                "tritanopia",
                [
                    [1.255528, -0.076749, -0.178779],
                    [-0.078411, 0.930809, 0.147602],
                    [0.004733, 0.691367, 0.303900],
                ],
            ),
        ];
        let seen = |hex: &str, m: &[[f64; 3]; 3]| {
            let l = linear(hex);
            lab(std::array::from_fn(|i| {
                (m[i][0] * l[0] + m[i][1] * l[1] + m[i][2] * l[2]).clamp(0.0, 1.0)
            }))
        };
        let mut worst = f64::INFINITY;
        for (name, m) in &sims {
            for (i, a) in Band::ALL.iter().enumerate() {
                for b in &Band::ALL[i + 1..] {
                    let (p, q) = (seen(a.colour(), m), seen(b.colour(), m));
                    let de =
                        ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2))
                            .sqrt();
                    assert!(de >= 15.0, "{name}: {a:?} vs {b:?} differ by {de:.1}");
                    worst = worst.min(de);
                }
            }
        }
        // the palette's measured margin (documented above)
        assert!(worst > 20.0, "{worst}");
        // the palette it replaced fails for deuteranopes: 66-95 % green against red
        let d = (seen("#4d7c0f", &sims[2].1), seen("#c0272d", &sims[2].1));
        let de =
            ((d.0[0] - d.1[0]).powi(2) + (d.0[1] - d.1[1]).powi(2) + (d.0[2] - d.1[2]).powi(2))
                .sqrt();
        assert!(de < 5.0, "{de}");
    }

    #[test]
    fn states_map_to_the_six_bands() {
        assert_eq!(Band::from_state(st::STATE_95), Band::Target95);
        assert_eq!(Band::from_state(st::STATE_66), Band::Target66);
        assert_eq!(Band::from_state(st::STATE_33), Band::Target33);
        assert_eq!(Band::from_state(st::STATE_LOW), Band::Below33);
        assert_eq!(Band::from_state(st::STATE_NO_DATA), Band::NoData);
        assert_eq!(Band::from_state(st::STATE_NEUTRAL), Band::NoData);
        assert_eq!(Band::from_state(st::STATE_NO_TARGET), Band::NoTarget);
    }

    #[test]
    fn numbers_for_people() {
        assert_eq!(fmt_num(87.346, 4), "87.35");
        // 87.345 is 87.34499.. in binary: rounded as stored, not as written
        assert_eq!(fmt_num(87.345, 4), "87.34");
        assert_eq!(fmt_num(100.0, 4), "100");
        assert_eq!(fmt_num(0.012345, 3), "0.0123");
        assert_eq!(fmt_num(123456.7, 4), "123457");
        assert_eq!(fmt_num(-2.5, 4), "-2.5");
        assert_eq!(fmt_num(-0.00001, 2), "-0.00001");
        assert_eq!(fmt_num(0.0, 4), "0");
        assert_eq!(status_text("on_track"), "on track");
        assert_eq!(status_text("insufficient_data"), "< 3 years");
    }
}
