//! `citybench index [--data FILE] [--framework FILE] [--uncertainty N --seed S] [--name
//! NAME]`: the composite index (METHODOLOGY section 9) with diagnostics and, on request,
//! the uncertainty analysis. The workspace's own index is published with the other results
//! (`derived/index_*.parquet`, `derived/index_manifest.json`, the SQL views); a run on an
//! external framework or data never replaces it: it is printed, and kept in
//! `index/NAME/` with `--name NAME`. Prints the ranking. The work is the library's
//! ([`crate::index`]: the framework and the checks of the choices in `index::choices`, the
//! tables, the manifest in `index::manifest`, where they are kept in `index::store`).

use std::path::PathBuf;
use std::time::Instant;

use serde_json::Value;

use super::{GlobalArgs, Outcome};
use crate::error::{Error, Result};
use crate::index::choices::{check_choices, load_framework};
use crate::index::manifest::Manifest;
use crate::index::store::{self, Target};
use crate::index::{self, Spec, data::IndexData, diagnostics, tables, uncertainty};
use crate::output::{OutputArgs, OutputFormat, Rows};
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
    let target = Target::of(
        args.name.as_deref(),
        args.data.is_some() || args.framework.is_some(),
    )?;
    crate::store::refuse_existing_out(args.output.out.as_deref(), args.force)?;
    let config = ws.config()?;
    let registry = Registry::for_workspace(ws.root())?;
    let (mut fw, fw_sha) = load_framework(
        args.framework.as_deref(),
        || Ok(global.load_catalog()?.1),
        ws,
        &registry,
        &config,
    )?;
    let spec = Spec::from_config(&config);
    check_choices(
        &fw,
        &spec,
        args.uncertainty,
        &config,
        &ws.config_path(),
        |note| eprintln!("{note}"),
    )?;
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
    let groupings = index::groupings(&config.index, &spec, &data, &registry)?;
    let built = index::build(&fw, &data, &spec, &registry)?;
    // optimised weights (COINr's get_opt_weights): the level's weights replace the
    // framework's, and the index is re-aggregated with them
    let (built, optimised) = match &config.index.optimise_weights {
        None => (built, None),
        Some(opt) => {
            let units = built.prepared.units.clone();
            let codes = |u: usize| data.units[units[u]].clone();
            let before = fw.weights();
            let o = index::weights::optimise(
                &fw,
                &built.scores[..fw.indicators],
                &before,
                &spec.plan(),
                opt,
                &codes,
            )?;
            for (node, &w) in fw.nodes.iter_mut().zip(&o.weights) {
                node.weight = w;
            }
            let built = index::weights::rebuild(&fw, built, &o.weights, &spec.plan(), &codes)?;
            let record = index::manifest::OptimisedRecord::new(&fw, opt, &before, &o);
            (built, Some(record))
        }
    };
    let t_build = clock.elapsed();
    let p = &built.prepared;
    let codes = |u: usize| data.units[p.units[u]].clone();
    let diags = diagnostics::diagnose(&fw, &built, spec.plan(), &codes)?;
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
    let computed = if target == Target::Nowhere {
        Vec::new()
    } else {
        tables::all(
            &fw,
            &data,
            &built,
            spec.availability_min,
            &groupings,
            &diags,
            rank_stats
                .as_deref()
                .map(|rs: &[uncertainty::RankStats]| (rs, args.uncertainty)),
        )?
    };
    let mut manifest = Manifest::new(
        &config.index,
        &fw,
        fw_sha,
        &data,
        &spec,
        &built,
        groupings.iter().map(|(g, _)| g.clone()).collect(),
        (args.uncertainty > 0).then_some((args.uncertainty, args.seed)),
    )?;
    manifest.weights.optimised = optimised;
    let stored = store::keep(ws, &target, computed, manifest)?;
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
        if spec.aggregation_by_level.is_empty() {
            spec.aggregation.as_str().to_string()
        } else {
            spec.aggregation_by_level
                .iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join("/")
                + " (by level)"
        },
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
