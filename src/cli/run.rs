//! `citybench run [--year Y] [--lookback L]`: the pipeline over every raw batch, the
//! derived Parquet files, the run's provenance and the DuckDB views, the checks; all of it
//! a new generation, published in one step ([`crate::store::publish`]).

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{GlobalArgs, Outcome};
use crate::error::{Error, Result};
use crate::pipeline::{self, Inputs, OutputFile, groups, targets::Targets};
use crate::registry::Registry;
use crate::store::Workspace;
use crate::store::publish;
use crate::warehouse;

/// Run the benchmarking pipeline.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  citybench run\n  citybench run --year 2022 --lookback 3\n\nWrites a new generation (generations/<id>/: the tables, citybench.duckdb, the run record), runs queries/checks/assert_*.sql on it (exit 1 if one returns rows), then publishes it in one step: derived and citybench.duckdb switch to it together, and runs/<run-id>.json records it. A run that is stopped leaves the previous one in force; the next command that writes cleans up."
)]
pub struct Args {
    /// Analysis year (default: citybench.toml, else the latest year with any observation).
    #[arg(long)]
    pub year: Option<i32>,
    /// Years to look back for a city's latest value (default: citybench.toml, 2).
    #[arg(long)]
    pub lookback: Option<u32>,
}

/// Provenance of one run (`runs/<run-id>.json`).
#[derive(Debug, Serialize)]
pub struct RunRecord {
    pub run_id: String,
    /// The generation that published the run (`generations/<id>/`, `derived` while it is
    /// the published one); `outputs` name its files as `derived/<table>.parquet`.
    pub generation: String,
    pub engine_version: String,
    pub started_at: String,
    pub analysis_year: i32,
    pub lookback: u32,
    pub config: crate::config::Config,
    pub config_sha256: String,
    pub catalog: String,
    pub targets_override_file: Option<String>,
    /// SHA-256 of the workspace `targets.csv` the run read (null without one).
    pub targets_sha256: Option<String>,
    pub maturity_matrix_override_file: Option<String>,
    pub batches: Vec<RunBatch>,
    pub outputs: Vec<OutputFile>,
    /// Wall time per stage, in order (they add up to the run's time).
    pub stage_seconds: Vec<(String, f64)>,
    /// Time the two background writers spent writing derived/*.parquet (summed), alongside
    /// the stages.
    pub writer_busy_seconds: f64,
}

/// An input batch of a run.
#[derive(Debug, Serialize)]
pub struct RunBatch {
    pub id: String,
    pub sha256: String,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
}

/// The outcome of [`execute`].
pub struct RunSummary {
    pub record: RunRecord,
    pub failed_checks: Vec<(&'static str, crate::output::Rows)>,
    /// Time spent publishing: the seeded links, then everything from the generation's
    /// record to the removal of the oldest generation (not in the run record, which is
    /// written before the switch).
    pub publish_seconds: f64,
}

/// Run the pipeline on a workspace whose lock the caller holds.
pub fn execute(ws: &Workspace, global: &GlobalArgs, args: &Args) -> Result<RunSummary> {
    let started = chrono::Utc::now();
    let (_units, catalog) = global.load_catalog()?;
    let registry = Registry::for_workspace(ws.root())?;
    let mut config = ws.config()?;
    if let Some(l) = args.lookback {
        config.analysis.lookback = l;
    }
    if let Some(y) = args.year {
        config.analysis.year = Some(y);
    }
    let cfg_path = ws.config_path().display().to_string();
    groups::check(&config.peers.groupings, &registry, &cfg_path)?;
    let targets = Targets::load(
        Some(ws.root()),
        &catalog,
        &registry,
        &config.peers.groupings,
    )?;
    let matrix = crate::maturity::matrix::Matrix::load(Some(ws.root()), &catalog, &registry)?;
    let assessments =
        crate::maturity::assessments::checked_frame(&crate::maturity::assessments::checks(
            &crate::maturity::assessments::current(&crate::maturity::assessments::load(ws)?),
        ))?;
    let keys = pipeline::keys::Keys::for_inputs(&registry, &catalog)?;
    let t_read = std::time::Instant::now();
    // read, normalised and ordered at once
    let observations = pipeline::raw::read_observations(ws, &keys)?;
    let read = t_read.elapsed();
    let inputs = Inputs {
        catalog: &catalog,
        registry: &registry,
        config: &config,
        targets: &targets,
        matrix: &matrix,
        assessments,
        keys: &keys,
        statements: pipeline::load_statements(ws, &keys)?,
    };
    // a new generation beside the published one; the tables of `verify` and `index` are
    // carried over as they are
    let t_publish = std::time::Instant::now();
    let publication = crate::warehouse::begin_publication(ws, "run")?;
    publication.seed(|name| {
        name == publish::RUN_FILE
            || crate::schema::derived::TABLES
                .iter()
                .any(|(t, _)| name.strip_suffix(".parquet") == Some(t))
    })?;
    let mut publish_seconds = t_publish.elapsed().as_secs_f64();
    let dir = publication.dir().to_path_buf();
    let spinner = crate::progress::stage("run: computing the pipeline", global.quiet);
    let computed = pipeline::with_background_writer(&dir, |sink| {
        pipeline::compute_observed(observations, &inputs, None, None, sink)
    });
    spinner.finish_and_clear();
    let (mut out, mut files, writer_busy, tail) = computed?;
    out.timings.insert(0, ("read", read));
    out.timings.push(("last writes", tail));
    files.sort_by_key(|f| {
        crate::schema::derived::TABLES
            .iter()
            .position(|(n, _)| f.path == format!("derived/{n}.parquet"))
    });
    let t = std::time::Instant::now();
    warehouse::build_in(&dir)?;
    publish::step(crate::store::DB_FILE)?;
    let views_s = t.elapsed().as_secs_f64();
    let w = warehouse::Warehouse::open_unpublished(&dir, &publish::absolute_root(ws)?)?;
    let failed_checks = warehouse::run_checks(&w)?;
    drop(w);

    config.analysis.year = Some(out.year);
    config.analysis.lookback = out.lookback;
    let config_toml = toml::to_string(&config).map_err(|e| Error::Usage(e.to_string()))?;
    let config_sha256 = format!("{:x}", Sha256::digest(config_toml.as_bytes()));
    let manifest = ws.manifest()?;
    let mut stage_seconds: Vec<(String, f64)> = out
        .timings
        .iter()
        .map(|(n, d)| (n.to_string(), d.as_secs_f64()))
        .collect();
    stage_seconds.push(("views".into(), views_s));
    let record = RunRecord {
        run_id: format!(
            "{}-{}",
            started.format("%Y%m%dT%H%M%S%.3fZ"),
            &config_sha256[..8]
        ),
        generation: publication.id().to_string(),
        engine_version: env!("CARGO_PKG_VERSION").to_string(),
        started_at: started.to_rfc3339(),
        analysis_year: out.year,
        lookback: out.lookback,
        config,
        config_sha256,
        catalog: catalog.origin.clone(),
        targets_override_file: targets.override_file.clone(),
        targets_sha256: targets.override_sha256.clone(),
        maturity_matrix_override_file: matrix.override_file.clone(),
        batches: manifest
            .batches
            .iter()
            .map(|b| RunBatch {
                id: b.id.clone(),
                sha256: b.sha256.clone(),
                rows_read: b.rows_read,
                rows_accepted: b.rows_accepted,
                rows_rejected: b.rows_rejected,
            })
            .collect(),
        outputs: files,
        stage_seconds,
        writer_busy_seconds: writer_busy.as_secs_f64(),
    };
    // the record is part of the publication; the commit copies it to runs/<run-id>.json
    let json = serde_json::to_vec_pretty(&record).map_err(|e| Error::Usage(e.to_string()))?;
    crate::store::atomic_write(&dir.join(publish::RUN_FILE), &json)?;
    publish::step(publish::RUN_FILE)?;
    let t_commit = std::time::Instant::now();
    publication.commit()?;
    publish_seconds += t_commit.elapsed().as_secs_f64();
    Ok(RunSummary {
        record,
        failed_checks,
        publish_seconds,
    })
}

/// Print what a run did and where to look.
pub fn print_summary(ws: &Workspace, s: &RunSummary) {
    let r = &s.record;
    println!(
        "run {}: analysis year {} (values from {}..{}), {} batch(es)",
        r.run_id,
        r.analysis_year,
        r.analysis_year - r.lookback as i32,
        r.analysis_year,
        r.batches.len()
    );
    for f in &r.outputs {
        println!("  {:<32} {:>10} rows", f.path, f.rows);
    }
    let total: f64 = r.stage_seconds.iter().map(|(_, s)| s).sum();
    let stages: Vec<String> = r
        .stage_seconds
        .iter()
        .map(|(n, s)| format!("{n} {s:.2}s"))
        .collect();
    println!("  time {total:.2}s: {}", stages.join(", "));
    println!(
        "  derived/*.parquet written alongside the stages ({:.2}s of writing)",
        r.writer_busy_seconds
    );
    println!(
        "  {}  views: {} models from queries/",
        crate::store::DB_FILE,
        warehouse::MODELS.len()
    );
    println!(
        "  provenance: {}/runs/{}.json",
        ws.root().display(),
        r.run_id
    );
    println!(
        "  published: derived -> {}/{} ({:.2}s: links, switch, cleanup)",
        publish::GENERATIONS_DIR,
        r.generation,
        s.publish_seconds
    );
    if s.failed_checks.is_empty() {
        println!("  checks: {} passed", warehouse::CHECKS.len());
    } else {
        for (name, rows) in &s.failed_checks {
            println!(
                "  check FAILED: {name} returned {} row(s); see queries/checks/{name}.sql",
                rows.rows.len()
            );
        }
    }
}

/// Run `run`.
pub fn run(args: &Args, global: &GlobalArgs) -> Result<Outcome> {
    let ws = Workspace::open(global.workspace())?;
    let _lock = ws.lock()?;
    let s = execute(&ws, global, args)?;
    print_summary(&ws, &s);
    Ok(if s.failed_checks.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Rejected
    })
}
