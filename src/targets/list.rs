//! The reference levels in force (`citybench targets`): per data point the target from the
//! targets files (the embedded defaults, the workspace `targets.csv` overrides) or, where
//! none applies, the benchmark of the published run (computed each run, so it comes from
//! the last one), or none.
//!
//! Without a city, each data point has one row for its default (a default target, else the
//! benchmark, else none) and one per group and city override. For a city, one row per data
//! point: the reference that applies to that city, resolved as the pipeline resolves it
//! (its own override, else its group's, the earliest in the file when several of its groups
//! have one, else the default, else the benchmark).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::catalog::{Catalog, DataPoint, Direction, UnitRegistry};
use crate::config::{BenchmarkMethod, Benchmarks as BenchmarkConfig};
use crate::error::{Error, IoContext, Result};
use crate::output::Rows;
use crate::pipeline::targets::{Scope, TargetRow, Targets, WORKSPACE_FILE};
use crate::pipeline::{attainment, groups};
use crate::registry::Registry;
use crate::schema::derived as d;
use crate::store::Workspace;
use crate::store::publish::{self, Published};
use crate::warehouse::Warehouse;

/// Width the terminal table is laid out for.
pub const TABLE_WIDTH: usize = 100;

/// The kind of reference level (METHODOLOGY section 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// A normative target from a cited source.
    Target,
    /// A benchmark computed each run from the published values.
    Benchmark,
    /// Nothing to score against.
    None,
}

impl Kind {
    /// `target`, `benchmark`, `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Target => "target",
            Kind::Benchmark => "benchmark",
            Kind::None => "none",
        }
    }
}

/// One reference level in force.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    pub data_point_id: String,
    pub name: String,
    pub dimension: String,
    pub direction: &'static str,
    /// The canonical unit code.
    pub unit: String,
    pub kind: Kind,
    /// `default`, `group`, `city`, `benchmark`; `None` without a reference.
    pub scope: Option<&'static str>,
    /// Who it applies to: `all cities`, `continent = Europe`, `2660646 (Geneva, CH)`.
    pub applies_to: String,
    pub target: Option<f64>,
    pub worst: Option<f64>,
    pub tolerance: Option<f64>,
    pub target_year: Option<i32>,
    /// The source; for a benchmark how it was computed; without a reference, why.
    pub source: String,
    /// The published values a benchmark rests on.
    pub benchmark_n: Option<i64>,
    /// `embedded`, `targets.csv:<line>`, or `run <run-id>` for a benchmark.
    pub defined_in: String,
}

/// The benchmark of one data point in the published run.
#[derive(Debug, Clone, PartialEq)]
pub struct Benchmark {
    pub value: f64,
    pub n: i64,
    pub year: i32,
    pub source: String,
}

/// What the published run says about reference levels.
#[derive(Debug, Clone, Default)]
pub struct LastRun {
    pub run_id: String,
    pub analysis_year: i32,
    /// The run's `[benchmarks]` configuration (the current one when its record has none).
    pub config: BenchmarkConfig,
    /// By data point: every benchmark of the run, whether or not a city was scored against
    /// it (a city override may cover every city with a value).
    pub benchmarks: BTreeMap<String, Benchmark>,
    /// SHA-256 of the workspace `targets.csv` the run read: `Some(None)` when it read none,
    /// `None` when its record predates the field.
    pub targets_sha256: Option<Option<String>>,
    /// Why the run's benchmarks could not be computed (an older workspace).
    pub problem: Option<String>,
}

/// The record of the run whose tables `w` reads.
fn run_record(ws: &Workspace, w: &Warehouse) -> Result<Option<PathBuf>> {
    if let Some(p) = w.run_record() {
        return Ok(p.is_file().then_some(p));
    }
    // a workspace from before generations: its newest `runs/` record
    let dir = ws.root().join(publish::RUNS_DIR);
    let mut names: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect(),
        Err(_) => return Ok(None),
    };
    names.sort();
    Ok(names.pop())
}

/// The benchmarks of a run, computed as the run computed them: the pipeline's own
/// [`attainment::benchmarks`] over the run's aligned values (`dir/aligned.parquet`) with the
/// run's configuration; the source text is the one `run` gives its attainment rows.
pub fn benchmarks_of(
    dir: &Path,
    catalog: &Catalog,
    config: &BenchmarkConfig,
    year: i32,
) -> Result<BTreeMap<String, Benchmark>> {
    use polars::prelude::*;
    let path = dir.join("aligned.parquet");
    let pe = |e: PolarsError| Error::polars(&path, e);
    let aligned = LazyFrame::scan_parquet(
        PlRefPath::new(path.to_string_lossy().as_ref()),
        ScanArgsParquet::default(),
    )
    .map_err(pe)?
    .select([
        col(d::DATA_POINT_ID).cast(DataType::String),
        col(d::VALUE),
        col(d::CONFIDENTIAL),
    ]);
    let cat = crate::pipeline::catalog_frame(catalog)?.lazy();
    let df = attainment::benchmarks(aligned, cat, config)
        .collect()
        .map_err(pe)?;
    let ids = df.column(d::DATA_POINT_ID).map_err(pe)?.str().map_err(pe)?;
    let values = df.column(d::BENCHMARK).map_err(pe)?.f64().map_err(pe)?;
    let ns = df
        .column(d::BENCHMARK_N)
        .map_err(pe)?
        .cast(&DataType::Int64)
        .map_err(pe)?;
    let ns = ns.i64().map_err(pe)?;
    let labels = df
        .column(crate::pipeline::attainment::BENCHMARK_LABEL)
        .map_err(pe)?
        .str()
        .map_err(pe)?;
    let mut out = BTreeMap::new();
    for i in 0..df.height() {
        let (Some(id), Some(value), Some(n), Some(label)) =
            (ids.get(i), values.get(i), ns.get(i), labels.get(i))
        else {
            continue;
        };
        out.insert(
            id.to_string(),
            Benchmark {
                value,
                n,
                year,
                source: attainment::benchmark_source(label, n, year),
            },
        );
    }
    Ok(out)
}

/// The published run's record and benchmarks; `None` when nothing has run yet. `current`
/// is the workspace's `[benchmarks]` configuration, used when the run's record has none.
pub fn last_run(
    ws: &Workspace,
    catalog: &Catalog,
    current: &BenchmarkConfig,
) -> Result<Option<LastRun>> {
    if publish::published(ws)? == Published::Nothing {
        return Ok(None);
    }
    // the published generation, held while its tables are read
    let w = Warehouse::open_read_only(ws)?;
    let Some(path) = run_record(ws, &w)? else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&path).at(&path)?;
    let v: Value = serde_json::from_str(&text).map_err(|e| Error::input(&path, e.to_string()))?;
    let mut run = LastRun {
        run_id: v["run_id"].as_str().unwrap_or_default().to_string(),
        analysis_year: v["analysis_year"].as_i64().unwrap_or_default() as i32,
        config: v
            .pointer("/config/benchmarks")
            .and_then(|b| serde_json::from_value(b.clone()).ok())
            .unwrap_or_else(|| current.clone()),
        targets_sha256: v
            .get("targets_sha256")
            .map(|x| x.as_str().map(str::to_string)),
        ..LastRun::default()
    };
    match benchmarks_of(w.dir(), catalog, &run.config, run.analysis_year) {
        Ok(b) => run.benchmarks = b,
        Err(e) => run.problem = Some(e.to_string().lines().next().unwrap_or_default().to_string()),
    }
    Ok(Some(run))
}

/// Everything a listing rests on.
#[derive(Clone, Copy)]
pub struct Sources<'a> {
    pub catalog: &'a Catalog,
    pub registry: &'a Registry,
    pub targets: &'a Targets,
    pub groupings: &'a [String],
    pub benchmarks: &'a BenchmarkConfig,
    pub last_run: Option<&'a LastRun>,
}

/// Which rows to keep.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter<'a> {
    pub data_point: Option<&'a str>,
    /// Case-insensitive.
    pub dimension: Option<&'a str>,
    pub kind: Option<Kind>,
}

impl Filter<'_> {
    fn keeps_data_point(&self, dp: &DataPoint) -> bool {
        self.data_point.is_none_or(|id| dp.data_point_id == id)
            && self
                .dimension
                .is_none_or(|d| d.trim().eq_ignore_ascii_case(&dp.dimension))
    }
}

fn base(dp: &DataPoint) -> Reference {
    Reference {
        data_point_id: dp.data_point_id.clone(),
        name: dp.full_name(),
        dimension: dp.dimension.clone(),
        direction: dp.direction.as_str(),
        unit: dp.canonical_unit.clone(),
        kind: Kind::None,
        scope: None,
        applies_to: String::new(),
        target: None,
        worst: None,
        tolerance: None,
        target_year: None,
        source: String::new(),
        benchmark_n: None,
        defined_in: String::new(),
    }
}

fn from_row(s: &Sources<'_>, dp: &DataPoint, r: &TargetRow) -> Reference {
    let (scope, applies_to) = match r.scope() {
        Scope::Default => ("default", "all cities".to_string()),
        Scope::Group { grouping, group } => ("group", format!("{grouping} = {group}")),
        Scope::City(c) => ("city", super::edit::city_label(s.registry, &c)),
    };
    Reference {
        kind: Kind::Target,
        scope: Some(scope),
        applies_to,
        target: Some(r.target),
        worst: r.worst,
        tolerance: r.tolerance,
        target_year: r.target_year,
        source: r.source.clone(),
        defined_in: if r.from_workspace {
            format!("{WORKSPACE_FILE}:{}", r.line)
        } else {
            "embedded".into()
        },
        ..base(dp)
    }
}

/// Where no target applies: the benchmark of the last run, or none (with the reason).
fn fallback(s: &Sources<'_>, dp: &DataPoint) -> Reference {
    let none = |why: String| Reference {
        source: why,
        ..base(dp)
    };
    match dp.direction {
        Direction::Neutral => return none("neutral: not scored".into()),
        Direction::TargetBand => {
            return none(
                "no target; a target band is scored only against a target and its tolerance".into(),
            );
        }
        _ => {}
    }
    if s.benchmarks.method == BenchmarkMethod::Off {
        return none(
            "no target; benchmarks are off ([benchmarks] method = \"off\" in citybench.toml)"
                .into(),
        );
    }
    let bench = |applies: &str| Reference {
        kind: Kind::Benchmark,
        scope: Some("benchmark"),
        applies_to: applies.to_string(),
        ..base(dp)
    };
    let Some(run) = s.last_run else {
        return Reference {
            source: "benchmark: computed by `citybench run` from the published values; nothing has run yet".into(),
            ..bench("all cities without a target")
        };
    };
    match run.benchmarks.get(&dp.data_point_id) {
        Some(b) => Reference {
            target: Some(b.value),
            target_year: Some(b.year),
            source: b.source.clone(),
            benchmark_n: Some(b.n),
            defined_in: format!("run {}", run.run_id),
            ..bench("all cities without a target")
        },
        None => none(format!(
            "no target, and no benchmark in the last run (one needs published values of at least {} cities in {})",
            s.benchmarks.min_cities, run.analysis_year
        )),
    }
}

/// The reference levels in force: for every data point of the catalogue (filtered), its
/// default and its overrides, or with `city` the one that applies to that city. `city`
/// must be a registry id.
pub fn list(s: &Sources<'_>, city: Option<&str>, filter: &Filter<'_>) -> Vec<Reference> {
    let memberships: Vec<(String, String)> = match city.and_then(|c| s.registry.position(c)) {
        Some(idx) => s
            .groupings
            .iter()
            .filter_map(|g| groups::group_of(s.registry, idx, g).map(|v| (g.clone(), v)))
            .collect(),
        None => Vec::new(),
    };
    let mut out = Vec::new();
    for dp in s.catalog.data_points() {
        if !filter.keeps_data_point(dp) {
            continue;
        }
        let id = &dp.data_point_id;
        let default = s.targets.defaults.iter().find(|r| &r.data_point_id == id);
        let groups = s.targets.group.iter().filter(|r| &r.data_point_id == id);
        let cities = s.targets.city.iter().filter(|r| &r.data_point_id == id);
        match city {
            Some(c) => {
                let own = cities.clone().find(|r| r.city_id.as_deref() == Some(c));
                let group = groups
                    .clone()
                    .filter(|r| {
                        memberships.iter().any(|(g, v)| {
                            r.grouping.as_deref() == Some(g) && r.group.as_deref() == Some(v)
                        })
                    })
                    .min_by_key(|r| r.line);
                out.push(match own.or(group).or(default) {
                    Some(r) => from_row(s, dp, r),
                    None => fallback(s, dp),
                });
            }
            None => {
                out.push(match default {
                    Some(r) => from_row(s, dp, r),
                    None => fallback(s, dp),
                });
                let mut over: Vec<&TargetRow> = groups.chain(cities).collect();
                over.sort_by_key(|r| r.line);
                out.extend(over.into_iter().map(|r| from_row(s, dp, r)));
            }
        }
    }
    out.retain(|r| filter.kind.is_none_or(|k| r.kind == k));
    out
}

/// The rows for CSV, JSON, NDJSON, Markdown, HTML and Parquet: every field, named as in the
/// attainment tables (`reference_kind`, `target_scope`, `target`, `target_year`,
/// `target_source`, `benchmark_n`).
pub fn rows(refs: &[Reference]) -> Rows {
    let mut rows = Rows::new([
        "data_point_id",
        "name",
        "dimension",
        "direction",
        "unit",
        "reference_kind",
        "target_scope",
        "applies_to",
        "target",
        "worst",
        "tolerance",
        "target_year",
        "target_source",
        "benchmark_n",
        "defined_in",
    ]);
    let opt = |x: Option<f64>| x.map_or(Value::Null, |v| json!(v));
    let text = |s: &str| {
        if s.is_empty() { Value::Null } else { json!(s) }
    };
    for r in refs {
        rows.push(vec![
            json!(r.data_point_id),
            json!(r.name),
            json!(r.dimension),
            json!(r.direction),
            json!(r.unit),
            json!(r.kind.as_str()),
            r.scope.map_or(Value::Null, |s| json!(s)),
            text(&r.applies_to),
            opt(r.target),
            opt(r.worst),
            opt(r.tolerance),
            r.target_year.map_or(Value::Null, |y| json!(y)),
            text(&r.source),
            r.benchmark_n.map_or(Value::Null, |n| json!(n)),
            text(&r.defined_in),
        ]);
    }
    rows
}

fn cut(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        return s.to_string();
    }
    let mut c: String = s.chars().take(w.saturating_sub(1)).collect();
    c.push('…');
    c
}

/// Wrap `text` to `width` columns, later lines indented by `indent`.
fn wrap(text: &str, first: &str, indent: usize, width: usize) -> String {
    let mut out = String::new();
    let mut line = first.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        let len = line.chars().count();
        if !empty && len + 1 + word.chars().count() > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = " ".repeat(indent);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}

/// A benchmark's source without its number of cities (that is a column), so that one
/// footnote serves every benchmark.
fn footnote_text(r: &Reference) -> String {
    match (r.kind, r.benchmark_n) {
        (Kind::Benchmark, Some(n)) => {
            r.source
                .replacen(&format!(" of {n} cities "), " of the n cities ", 1)
        }
        _ => r.source.clone(),
    }
}

/// The terminal table: what matters never cut (id, kind and scope, value, worst goalpost or
/// tolerance, year), the name cut to what is left of 100 columns, the sources as numbered
/// notes below the table, each in full, an override's prefixed with whom it is for. Without
/// `city` (the listing of every override), an override row names whom it is for in place of
/// the data point's name, which its default row just above gives. `title` lines come first.
pub fn table(refs: &[Reference], units: &UnitRegistry, title: &[String], city: bool) -> String {
    let p = |s: &str| crate::text::printable(s).into_owned();
    let f = crate::ingest::validate::fmt_num;
    let mut notes: Vec<String> = Vec::new();
    let mut cells: Vec<[String; 7]> = Vec::new();
    let mut prev: Option<&str> = None;
    for r in refs {
        let reference = match (r.kind, r.scope) {
            (Kind::Target, Some(scope)) => format!("{scope} target"),
            (Kind::Target, None) => "target".into(),
            (Kind::Benchmark, _) => match r.benchmark_n {
                Some(n) => format!("benchmark n={n}"),
                None => "benchmark".into(),
            },
            (Kind::None, _) => "none".into(),
        };
        let overrides = matches!(r.scope, Some("group" | "city"));
        // an override row follows its data point's default row: the name would repeat,
        // so the cell says whom it is for (in full in its note)
        let follows_its_default = prev == Some(r.data_point_id.as_str());
        prev = Some(r.data_point_id.as_str());
        let name = if overrides && !city && follows_its_default {
            format!("↳ {}", r.applies_to)
        } else {
            r.name.clone()
        };
        let value = match r.target {
            Some(v) if r.unit == "bool" => {
                format!("{} ({})", f(v), if v == 1.0 { "yes" } else { "no" })
            }
            Some(v) => {
                let n = if r.kind == Kind::Benchmark {
                    crate::numfmt::fmt_num(v, 4)
                } else {
                    f(v)
                };
                format!("{n} {}", units.symbol(&r.unit))
            }
            None => String::new(),
        };
        let goalpost = match (r.worst, r.tolerance) {
            (Some(w), _) => f(w),
            (None, Some(t)) => format!("±{}", f(t)),
            _ => String::new(),
        };
        let note = match footnote_text(r) {
            n if overrides && !n.is_empty() => format!("{}: {n}", r.applies_to),
            n => n,
        };
        let key = if note.is_empty() {
            String::new()
        } else {
            let i = match notes.iter().position(|n| n == &note) {
                Some(i) => i,
                None => {
                    notes.push(note);
                    notes.len() - 1
                }
            };
            format!("[{}]", i + 1)
        };
        cells.push([
            p(&r.data_point_id),
            p(&name),
            p(&reference),
            value,
            goalpost,
            r.target_year.map(|y| y.to_string()).unwrap_or_default(),
            key,
        ]);
    }
    const HEAD: [&str; 7] = [
        "data point",
        "name",
        "reference",
        "value",
        "worst/±",
        "year",
        "src",
    ];
    const RIGHT: [bool; 7] = [false, false, false, true, true, false, false];
    let mut w: Vec<usize> = HEAD.iter().map(|h| h.chars().count()).collect();
    for c in &cells {
        for (i, x) in c.iter().enumerate() {
            w[i] = w[i].max(x.chars().count());
        }
    }
    let others: usize = w
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, x)| x)
        .sum::<usize>()
        + 2 * (HEAD.len() - 1);
    w[1] = w[1].min(TABLE_WIDTH.saturating_sub(others).max(10));
    let line = |r: &[String]| {
        let mut l = String::new();
        for (i, c) in r.iter().enumerate() {
            if i > 0 {
                l.push_str("  ");
            }
            let c = cut(c, w[i]);
            let pad = " ".repeat(w[i] - c.chars().count());
            if RIGHT[i] {
                l.push_str(&pad);
                l.push_str(&c);
            } else {
                l.push_str(&c);
                l.push_str(&pad);
            }
        }
        l.trim_end().to_string()
    };
    let mut out = String::new();
    for t in title {
        let _ = writeln!(out, "{}", p(t));
    }
    if !title.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(out, "{}", line(&HEAD.map(String::from)));
    let _ = writeln!(
        out,
        "{}",
        line(&w.iter().map(|n| "-".repeat(*n)).collect::<Vec<_>>())
    );
    for c in &cells {
        let _ = writeln!(out, "{}", line(c));
    }
    if !notes.is_empty() {
        let _ = writeln!(out, "\nsources:");
        let width = notes.len().to_string().len() + 3;
        for (i, n) in notes.iter().enumerate() {
            let key = format!("{:<width$}", format!("[{}]", i + 1));
            out.push_str(&wrap(&p(n), &key, width, TABLE_WIDTH));
        }
    }
    out
}

/// One reference in a line: "city target 80 pct (2030; City plan 2030)", "benchmark 87.3
/// pct (n = 40, run <id>)", "none: neutral: not scored".
pub fn summary(r: &Reference) -> String {
    let f = crate::ingest::validate::fmt_num;
    match r.kind {
        Kind::Target => {
            let mut extra = Vec::new();
            if let Some(w) = r.worst {
                extra.push(format!("worst {}", f(w)));
            }
            if let Some(t) = r.tolerance {
                extra.push(format!("tolerance {}", f(t)));
            }
            if let Some(y) = r.target_year {
                extra.push(y.to_string());
            }
            extra.push(r.source.clone());
            format!(
                "{} target {} {} ({})",
                r.scope.unwrap_or_default(),
                f(r.target.unwrap_or_default()),
                r.unit,
                extra.join("; ")
            )
        }
        Kind::Benchmark => match (r.target, r.benchmark_n) {
            (Some(v), Some(n)) => {
                format!("benchmark {} {} (n = {n}, {})", f(v), r.unit, r.defined_in)
            }
            _ => format!("benchmark ({})", r.source),
        },
        Kind::None => format!("none ({})", r.source),
    }
}

/// Whether the workspace `targets.csv` differs from the one the last run read (`None`
/// when the run's record does not say).
pub fn changed_since(targets: &Targets, run: &LastRun) -> Option<bool> {
    run.targets_sha256
        .as_ref()
        .map(|recorded| recorded != &targets.override_sha256)
}

/// `root/targets.csv`, for messages.
pub fn workspace_file(root: &Path) -> PathBuf {
    root.join(WORKSPACE_FILE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_and_cut() {
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
        assert_eq!(
            wrap("one two three four", "[1] ", 4, 13),
            "[1] one two\n    three\n    four\n"
        );
    }
}
