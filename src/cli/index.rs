//! `citybench index [--data FILE] [--framework FILE] [--uncertainty N --seed S] [--name
//! NAME]`: the composite index (METHODOLOGY section 9) with diagnostics and, on request,
//! the uncertainty analysis. The workspace's own index is published with the other results
//! (`derived/index_*.parquet`, `derived/index_manifest.json`, the SQL views); a run on an
//! external framework or data never replaces it: it is printed, and kept in
//! `index/NAME/` with `--name NAME`. Prints the ranking.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;
use sha2::Digest;

use super::{GlobalArgs, Outcome};
use crate::config::{Aggregation, Normalisation};
use crate::error::{Error, Result};
use crate::index::framework::Framework;
use crate::index::{self, Spec, data::IndexData, diagnostics, tables, uncertainty};
use crate::output::{OutputArgs, OutputFormat, Rows};
use crate::pipeline::{OutputFile, targets::Targets};
use crate::registry::Registry;
use crate::store::Workspace;

/// The composite index: denomination, screening, imputation, outlier treatment,
/// normalisation, aggregation, ranks and group ranks, diagnostics, uncertainty.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  citybench run && citybench index                    the U4SSC index of the last run's cities\n  citybench index --uncertainty 1000 --seed 7         rank intervals (Monte Carlo)\n  citybench index --data idata.csv --framework imeta.csv --name coinr   any data and framework (COINr shapes), kept in index/coinr/\n  citybench sql \"FROM index_ranks WHERE grouping = 'continent' AND rank <= 3\"\n\nEvery step is chosen in citybench.toml [index] and recorded in derived/index_manifest.json;\nthe same inputs, configuration and seed give byte-identical outputs. A run on --data or\n--framework never replaces the workspace's index: it is printed, and with --name NAME its\ntables and manifest go to index/NAME/ (read them with read_parquet in `citybench sql`)."
)]
pub struct Args {
    /// A long (uCode, iCode, value[, year]) or wide (uCode + one column per indicator)
    /// CSV or Parquet table instead of the workspace's aligned values.
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// A framework CSV in COINr's iMeta shape (overrides [index] framework).
    #[arg(long, value_name = "FILE")]
    pub framework: Option<PathBuf>,
    /// Analysis year of a --data panel (default: its latest year).
    #[arg(long)]
    pub year: Option<i32>,
    /// Monte Carlo samples of the uncertainty analysis (0 = none).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub uncertainty: usize,
    /// Seed of the uncertainty analysis.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print only the N best-ranked units (0 = all). Default: the 25 best in the terminal
    /// table, all in a file (--out) or a machine format (csv, json, ...).
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// Keep this run's tables apart in index/NAME/ (replacing an earlier run of that name),
    /// never as the workspace's index. Without it, a run on --data or --framework is printed
    /// (and written to --out) only, and the workspace's own index is published.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Replace the --out file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Where an index run's tables go (docs/methodology.md, "Files citybench writes").
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// The workspace's own index (its data, the framework of citybench.toml): published
    /// with the other results, `derived/index_*` and the SQL views.
    Workspace,
    /// `--name NAME`: `index/NAME/`, apart from the published results.
    Named(String),
    /// An external framework or data without `--name`: printed only.
    Nowhere,
}

impl Target {
    fn of(args: &Args) -> Result<Self> {
        match &args.name {
            Some(n) => {
                let ok = !n.is_empty()
                    && n.len() <= 64
                    && !n.starts_with('.')
                    && n.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
                if !ok {
                    return Err(Error::Usage(format!(
                        "--name '{n}': use up to 64 letters, digits, '-', '_' and '.' (not first); it names the directory index/{n}/"
                    )));
                }
                Ok(Target::Named(n.clone()))
            }
            None if args.data.is_some() || args.framework.is_some() => Ok(Target::Nowhere),
            None => Ok(Target::Workspace),
        }
    }

    /// Where the tables are, as the message and the manifest name them.
    fn label(&self) -> String {
        match self {
            Target::Workspace => "derived".into(),
            Target::Named(n) => format!("index/{n}"),
            Target::Nowhere => String::new(),
        }
    }
}

/// `derived/index_manifest.json`: every choice and input, no timestamps (it is part of
/// the byte-identical output).
#[derive(Debug, Serialize)]
struct Manifest {
    engine_version: &'static str,
    config: crate::config::Index,
    config_sha256: String,
    framework: FrameworkRecord,
    data: DataRecord,
    screening: ScreeningRecord,
    imputation: ImputationRecord,
    treatment: Vec<TreatmentRecord>,
    normalisation: &'static str,
    aggregation: &'static str,
    group_ranks: Vec<String>,
    uncertainty: Option<UncertaintyRecord>,
    outputs: Vec<OutputFile>,
}

#[derive(Debug, Serialize)]
struct FrameworkRecord {
    origin: String,
    sha256: Option<String>,
    indicators: usize,
    aggregates: usize,
    levels: Vec<String>,
}

#[derive(Debug, Serialize)]
struct DataRecord {
    source: String,
    sha256: String,
    year: Option<i32>,
    units: usize,
    panel: bool,
    confidential_left_out: u64,
}

#[derive(Debug, Serialize)]
struct ScreeningRecord {
    availability_min: f64,
    included: usize,
    excluded: Vec<ExcludedUnit>,
}

#[derive(Debug, Serialize)]
struct ExcludedUnit {
    unit_id: String,
    availability: f64,
}

#[derive(Debug, Serialize)]
struct ImputationRecord {
    method: crate::config::Imputation,
    cells_imputed: usize,
    cells_missing_after: usize,
}

#[derive(Debug, Serialize)]
struct TreatmentRecord {
    code: String,
    treatment: &'static str,
    clipped_high: usize,
    clipped_low: usize,
}

#[derive(Debug, Serialize)]
struct UncertaintyRecord {
    samples: usize,
    seed: u64,
    weight_noise: f64,
    normalisations: Vec<Normalisation>,
    aggregations: Vec<Aggregation>,
}

/// The framework of the configuration or of `--framework`.
fn load_framework(
    args: &Args,
    global: &GlobalArgs,
    ws: &Workspace,
    registry: &Registry,
    config: &crate::config::Config,
) -> Result<(Framework, Option<String>)> {
    let file = match (&args.framework, config.index.framework.as_str()) {
        (Some(p), _) => Some(p.clone()),
        (None, "u4ssc") => None,
        (None, p) => Some(ws.root().join(p)),
    };
    match file {
        Some(p) => {
            let fw = Framework::from_path(&p)?;
            let sha = crate::digest::sha256_file(&p)?.0;
            Ok((fw, Some(sha)))
        }
        None => {
            let (_, catalog) = global.load_catalog()?;
            let targets =
                Targets::load(Some(ws.root()), &catalog, registry, &config.peers.groupings)?;
            Ok((Framework::u4ssc(&catalog, &targets)?, None))
        }
    }
}

/// Choices that cannot work with this framework, refused before any work.
fn check_choices(
    fw: &Framework,
    spec: &Spec,
    args: &Args,
    config: &crate::config::Config,
    cfg_path: &Path,
) -> Result<()> {
    let bad = |m: String| {
        Err(Error::Config {
            path: cfg_path.to_path_buf(),
            message: m,
        })
    };
    let mut norms = vec![spec.normalisation];
    if args.uncertainty > 0 {
        norms.extend(&config.index.uncertainty.normalisations);
        let u = &config.index.uncertainty;
        if let Some(m) = u
            .normalisations
            .iter()
            .find(|n| !n.positive(u.minmax_range))
            && let Some(a) = u
                .aggregations
                .iter()
                .find(|a| **a != Aggregation::Arithmetic)
        {
            return bad(format!(
                "index.uncertainty: {} normalisation gives values of 0 or below, which the {} mean cannot take in every sample; pair it with the arithmetic mean only, or use rank or minmax with minmax_range starting above 0",
                m.as_str(),
                a.as_str()
            ));
        }
    }
    if spec.normalisation == Normalisation::Zscore && spec.aggregation != Aggregation::Arithmetic {
        return bad(format!(
            "index: zscore normalisation gives negative values, which the {} mean cannot take; use minmax, percentile or rank",
            spec.aggregation.as_str()
        ));
    }
    for m in norms {
        let lacking: Vec<&str> = fw.nodes[..fw.indicators]
            .iter()
            .filter(|n| match m {
                Normalisation::Goalposts => n.worst.is_none() || n.target.is_none(),
                Normalisation::Target => n.target.is_none(),
                _ => false,
            })
            .map(|n| n.code.as_str())
            .collect();
        if !lacking.is_empty() {
            return bad(format!(
                "index: {} normalisation needs {} for every indicator; {} of {} have none (first: {}); give them in targets.csv or the framework's Worst/Target columns, or choose another normalisation",
                m.as_str(),
                if m == Normalisation::Goalposts {
                    "a worst value and a target"
                } else {
                    "a target"
                },
                lacking.len(),
                fw.indicators,
                lacking
                    .iter()
                    .take(3)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    if spec.aggregation != Aggregation::Arithmetic
        && !spec.normalisation.positive(spec.minmax_range)
    {
        eprintln!(
            "note: {} aggregation after {} normalisation: a unit scoring 0 on a child scores 0 on the parent; COINr refuses zeros, and its users map min-max onto [1, 100] (set [index] minmax_range = [1.0, 100.0])",
            spec.aggregation.as_str(),
            spec.normalisation.as_str()
        );
    }
    if spec.denominate && fw.nodes.iter().all(|n| n.denominator.is_none()) {
        return bad(
            "index.denominate = true, but the framework names no Denominator for any indicator"
                .into(),
        );
    }
    Ok(())
}

/// The file of the index manifest.
const MANIFEST_FILE: &str = "index_manifest.json";

/// Write the tables and the manifest where `target` keeps them; returns the manifest with
/// its outputs. The workspace's index is published as a new generation (the other
/// published tables carried over); a named run's directory is built under a temporary name
/// and swapped in whole.
fn store(
    ws: &Workspace,
    target: &Target,
    tables: Vec<(&'static str, polars::prelude::DataFrame)>,
    mut manifest: Manifest,
) -> Result<Manifest> {
    let write = |dir: &Path, manifest: &mut Manifest| -> Result<()> {
        let label = target.label();
        for (name, df) in tables {
            manifest
                .outputs
                .push(crate::pipeline::write_table_as(dir, &label, name, df)?);
        }
        let mut json =
            serde_json::to_vec_pretty(&*manifest).map_err(|e| Error::Usage(e.to_string()))?;
        json.push(b'\n');
        crate::store::atomic_write(&dir.join(MANIFEST_FILE), &json)?;
        crate::store::publish::step(MANIFEST_FILE)
    };
    match target {
        Target::Nowhere => {}
        Target::Workspace => {
            let publication = crate::warehouse::begin_publication(ws, "index")?;
            // every index table is replaced: an earlier run's intervals do not belong to
            // this index
            publication.seed(|name| name.starts_with("index_"))?;
            write(publication.dir(), &mut manifest)?;
            if publication.previous_has_database() {
                crate::warehouse::build_in(publication.dir())?;
                crate::store::publish::step(crate::store::DB_FILE)?;
            }
            publication.commit()?;
        }
        Target::Named(name) => {
            let runs = ws.index_runs_dir();
            let path = runs.join(name);
            let tmp = crate::store::temp_path(&path);
            let _ = std::fs::remove_dir_all(&tmp);
            std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
            if let Err(e) = write(&tmp, &mut manifest) {
                let _ = std::fs::remove_dir_all(&tmp);
                return Err(e);
            }
            if let Some(old) = crate::store::publish::swap(&tmp, &path)? {
                std::fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
            }
        }
    }
    Ok(manifest)
}

fn num(v: f64) -> Value {
    if v.is_nan() {
        return Value::Null;
    }
    let r = (v * 1e6).round() / 1e6;
    serde_json::Number::from_f64(r)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// Units the terminal table shows without `--top`.
pub const TOP_DEFAULT: usize = 25;

/// Run `index`.
pub fn run(args: &Args, global: &GlobalArgs) -> Result<Outcome> {
    let ws = Workspace::open(global.workspace())?;
    let _lock = ws.lock()?;
    execute(&ws, args, global)
}

/// Build the index in `ws` (the caller holds the workspace lock).
pub fn execute(ws: &Workspace, args: &Args, global: &GlobalArgs) -> Result<Outcome> {
    let clock = Instant::now();
    let target = Target::of(args)?;
    crate::store::refuse_existing_out(args.output.out.as_deref(), args.force)?;
    let config = ws.config()?;
    let registry = Registry::for_workspace(ws.root())?;
    let (fw, fw_sha) = load_framework(args, global, ws, &registry, &config)?;
    let spec = Spec::from_config(&config);
    check_choices(&fw, &spec, args, &config, &ws.config_path())?;
    let data = match &args.data {
        Some(p) => {
            let mut codes: Vec<&str> = fw.nodes[..fw.indicators]
                .iter()
                .map(|n| n.code.as_str())
                .collect();
            codes.extend(fw.nodes.iter().filter_map(|n| n.denominator.as_deref()));
            IndexData::from_file(p, &codes, args.year, &registry)?
        }
        None => {
            if args.year.is_some() {
                return Err(Error::Usage("--year applies to a --data panel; the workspace index uses the analysis year of the last `citybench run` (run it with --year)".into()));
            }
            IndexData::from_workspace(
                ws,
                &registry,
                config.index.include_confidential,
                spec.imputation == crate::config::Imputation::Latest,
            )?
        }
    };
    let group_names: Vec<String> = match (&config.index.group_ranks, data.strict_columns) {
        (Some(g), _) => g.iter().filter(|g| *g != "all").cloned().collect(),
        (None, true) => data.attributes.keys().cloned().collect(),
        (None, false) => spec.group_ranks.clone(),
    };
    let groupings: Vec<(String, Vec<Option<String>>)> = group_names
        .iter()
        .map(|g| Ok((g.clone(), data.groups(g, &registry)?)))
        .collect::<Result<_>>()?;
    let built = index::build(&fw, &data, &spec, &registry)?;
    let t_build = clock.elapsed();
    let p = &built.prepared;
    let codes = |u: usize| data.units[p.units[u]].clone();
    let diags = diagnostics::diagnose(&fw, &built, spec.aggregation, &codes)?;
    let t_diag = clock.elapsed() - t_build;
    let mut rank_stats = None;
    if args.uncertainty > 0 {
        let samples =
            uncertainty::samples(&fw, &config.index.uncertainty, args.uncertainty, args.seed);
        let bar = crate::progress::count_bar(
            samples.len() as u64,
            "index: uncertainty samples",
            global.quiet,
        );
        let ranks = uncertainty::run_with_progress(
            &fw,
            p,
            &samples,
            config.index.uncertainty.minmax_range,
            &codes,
            &|| bar.inc(1),
        );
        bar.finish_and_clear();
        let ranks = ranks?;
        rank_stats = Some(uncertainty::rank_stats(&built.ranks[fw.root], &ranks));
    }
    let t_unc = clock.elapsed() - t_build - t_diag;
    // the tables, where the run's target keeps them
    let computed: Vec<(&'static str, polars::prelude::DataFrame)> = if target == Target::Nowhere {
        Vec::new()
    } else {
        let mut t = vec![
            ("index_scores", tables::scores(&fw, &data, &built)?),
            (
                "index_ranks",
                tables::ranks(&fw, &data, &built, &groupings)?,
            ),
            (
                "index_units",
                tables::units(&data, p, spec.availability_min, fw.indicators)?,
            ),
            ("index_diagnostics", tables::diagnostics(&fw, &diags)?),
        ];
        if let Some(rs) = &rank_stats {
            t.push((
                "index_uncertainty",
                tables::uncertainty(&fw, &data, &built, rs, args.uncertainty)?,
            ));
        }
        t
    };
    let config_json = serde_json::to_vec(&config.index).map_err(|e| Error::Usage(e.to_string()))?;
    let missing_after: usize = p
        .treated
        .iter()
        .map(|c| c.iter().filter(|v| v.is_nan()).count())
        .sum();
    let manifest = Manifest {
        engine_version: env!("CARGO_PKG_VERSION"),
        config: config.index.clone(),
        config_sha256: format!("{:x}", sha2::Sha256::digest(&config_json)),
        framework: FrameworkRecord {
            origin: fw.origin.clone(),
            sha256: fw_sha,
            indicators: fw.indicators,
            aggregates: fw.nodes.len() - fw.indicators,
            levels: fw.level_names.clone(),
        },
        data: DataRecord {
            source: data.source.clone(),
            sha256: data.sha256.clone(),
            year: data.year,
            units: data.units.len(),
            panel: data.panel,
            confidential_left_out: data.confidential_left_out,
        },
        screening: ScreeningRecord {
            availability_min: spec.availability_min,
            included: p.units.len(),
            excluded: p
                .screening
                .iter()
                .enumerate()
                .filter(|(_, s)| !s.included)
                .map(|(u, s)| ExcludedUnit {
                    unit_id: data.units[u].clone(),
                    availability: s.availability,
                })
                .collect(),
        },
        imputation: ImputationRecord {
            method: spec.imputation,
            cells_imputed: p.imputed.iter().flatten().filter(|b| **b).count(),
            cells_missing_after: missing_after,
        },
        treatment: fw.nodes[..fw.indicators]
            .iter()
            .zip(&p.treatments)
            .filter(|(_, t)| **t != index::treat::Treatment::None)
            .map(|(n, t)| {
                let (h, l) = match t {
                    index::treat::Treatment::Winsorised { high, low } => (*high, *low),
                    _ => (0, 0),
                };
                TreatmentRecord {
                    code: n.code.clone(),
                    treatment: t.as_str(),
                    clipped_high: h,
                    clipped_low: l,
                }
            })
            .collect(),
        normalisation: spec.normalisation.as_str(),
        aggregation: spec.aggregation.as_str(),
        group_ranks: group_names.clone(),
        uncertainty: (args.uncertainty > 0).then(|| UncertaintyRecord {
            samples: args.uncertainty,
            seed: args.seed,
            weight_noise: config.index.uncertainty.weight_noise,
            normalisations: config.index.uncertainty.normalisations.clone(),
            aggregations: config.index.uncertainty.aggregations.clone(),
        }),
        outputs: Vec::new(),
    };
    let stored = store(ws, &target, computed, manifest)?;
    let manifest = &stored;
    let treated = manifest
        .treatment
        .iter()
        .filter(|t| t.treatment == "winsorised")
        .count();
    let logged = manifest
        .treatment
        .iter()
        .filter(|t| t.treatment == "log")
        .count();
    eprintln!(
        "index: {} of {} units ranked ({} screened out below {:.1} % availability), {} indicators, {} aggregates; imputed {} cells ({}); outliers: {} winsorised, {} log-transformed; {} normalisation, {} aggregation{} -> {} (build {:.3}s, diagnostics {:.3}s{})",
        p.units.len(),
        data.units.len(),
        manifest.screening.excluded.len(),
        spec.availability_min * 100.0,
        fw.indicators,
        fw.nodes.len() - fw.indicators,
        manifest.imputation.cells_imputed,
        serde_json::to_value(spec.imputation)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default(),
        treated,
        logged,
        spec.normalisation.as_str(),
        spec.aggregation.as_str(),
        if args.uncertainty > 0 {
            format!(
                "; uncertainty: {} samples, seed {}",
                args.uncertainty, args.seed
            )
        } else {
            String::new()
        },
        match &target {
            Target::Nowhere => "not stored (an external framework or data; --name NAME keeps its tables in index/NAME/)".to_string(),
            t => format!("{0}/index_*.parquet, {0}/index_manifest.json", t.label()),
        },
        t_build.as_secs_f64(),
        t_diag.as_secs_f64(),
        if args.uncertainty > 0 {
            format!(", uncertainty {:.3}s", t_unc.as_secs_f64())
        } else {
            String::new()
        },
    );
    // the ranking
    let kids = &fw.children[fw.root];
    let mut cols: Vec<String> = vec![
        "rank".into(),
        "unit_id".into(),
        "unit_name".into(),
        fw.nodes[fw.root].code.clone(),
    ];
    cols.extend(kids.iter().map(|&k| fw.nodes[k].name.clone()));
    if rank_stats.is_some() {
        cols.extend(["median_rank", "rank_p05", "rank_p95"].map(String::from));
    }
    let mut order: Vec<usize> = (0..p.units.len()).collect();
    let r = &built.ranks[fw.root];
    order.sort_by(|&a, &b| {
        r[a].total_cmp(&r[b])
            .then_with(|| data.units[p.units[a]].cmp(&data.units[p.units[b]]))
    });
    let mut rows = Rows::new(cols);
    let human = args.output.out.is_none()
        && matches!(
            args.output.format,
            OutputFormat::Table | OutputFormat::Markdown
        );
    let shown = match args.top {
        Some(0) => usize::MAX,
        Some(n) => n,
        None if human => TOP_DEFAULT,
        None => usize::MAX,
    };
    for &u in order.iter().take(shown) {
        let mut row = vec![
            if r[u].is_nan() {
                Value::Null
            } else {
                Value::from(r[u] as u64)
            },
            Value::from(data.units[p.units[u]].as_str()),
            Value::from(data.names[p.units[u]].as_str()),
            num(built.scores[fw.root][u]),
        ];
        row.extend(kids.iter().map(|&k| num(built.scores[k][u])));
        if let Some(rs) = &rank_stats {
            row.extend([num(rs[u].median_rank), num(rs[u].p05), num(rs[u].p95)]);
        }
        rows.push(row);
    }
    let o = &args.output;
    o.emit(&rows)?;
    if args.top.is_none() && order.len() > shown {
        eprintln!(
            "... and {} more units (--top 0 prints all; --format csv or --out FILE writes all)",
            order.len() - shown
        );
    }
    if let Some(rs) = &rank_stats
        && o.out.is_none()
        && matches!(o.format, OutputFormat::Table | OutputFormat::Markdown)
    {
        let mut least: Vec<usize> = (0..rs.len()).filter(|&u| !rs[u].p05.is_nan()).collect();
        least.sort_by(|&a, &b| {
            (rs[b].p95 - rs[b].p05)
                .total_cmp(&(rs[a].p95 - rs[a].p05))
                .then(rs[a].nominal_rank.total_cmp(&rs[b].nominal_rank))
                .then_with(|| data.units[p.units[a]].cmp(&data.units[p.units[b]]))
        });
        let mut t = Rows::new([
            "unit_id",
            "unit_name",
            "nominal_rank",
            "median_rank",
            "rank_p05",
            "rank_p95",
            "interval",
        ]);
        for &u in least.iter().take(10) {
            let s = &rs[u];
            t.push(vec![
                Value::from(data.units[p.units[u]].as_str()),
                Value::from(data.names[p.units[u]].as_str()),
                num(s.nominal_rank),
                num(s.median_rank),
                num(s.p05),
                num(s.p95),
                num(s.p95 - s.p05),
            ]);
        }
        println!(
            "\nLeast stable ranks over {} samples (widest 5th-95th percentile rank interval; weights x U({}, {}), normalisation {}, aggregation {}):",
            args.uncertainty,
            1.0 - config.index.uncertainty.weight_noise,
            1.0 + config.index.uncertainty.weight_noise,
            config
                .index
                .uncertainty
                .normalisations
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join("/"),
            config
                .index
                .uncertainty
                .aggregations
                .iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join("/"),
        );
        o.emit(&t)?;
    }
    Ok(Outcome::Ok)
}
