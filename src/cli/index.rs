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
use crate::index::{self, Spec, data::IndexData, diagnostics, sensitivity, tables, uncertainty};
use crate::output::{OutputArgs, OutputFormat, Rows};
use crate::registry::Registry;
use crate::store::Workspace;

/// The composite index: denomination, screening, imputation, outlier treatment,
/// normalisation, aggregation, ranks and group ranks, diagnostics, uncertainty.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  citybench run && citybench index                    the U4SSC index of the last run's cities\n  citybench index --uncertainty 1000 --seed 7         rank intervals (Monte Carlo)\n  citybench index --uncertainty 1000 --sensitivity    + first-order and total effect of each choice\n  citybench index --panel --years 2018..2024 --name yearly   an index per year, one scale\n  citybench index --data idata.csv --framework imeta.csv --name coinr   any data and framework (COINr shapes), kept in index/coinr/\n  citybench sql \"FROM index_ranks WHERE grouping = 'continent' AND rank <= 3\"\n\nEvery step is chosen in citybench.toml [index] and recorded in derived/index_manifest.json;\nthe same inputs, configuration and seed give byte-identical outputs. A run on --data or\n--framework never replaces the workspace's index: it is printed, and with --name NAME its\ntables and manifest go to index/NAME/ (read them with read_parquet in `citybench sql`)."
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
    #[arg(long, conflicts_with = "panel")]
    pub year: Option<i32>,
    /// One index per year (of the --data file's year or Time column, else of the
    /// workspace's observations, each year aligned as `run` aligns its analysis year),
    /// normalised over all years stacked ([index] panel_normalisation = "global", COINr's
    /// global = TRUE) and ranked within each year; every table gets a year column. Never
    /// replaces the workspace's published index: printed, and kept with --name NAME.
    #[arg(long)]
    pub panel: bool,
    /// The years of a --panel, FROM..TO (both included; default: every year).
    #[arg(long, value_name = "FROM..TO", requires = "panel")]
    pub years: Option<String>,
    /// Monte Carlo samples of the uncertainty analysis (0 = none).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub uncertainty: usize,
    /// Seed of the uncertainty analysis.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Variance-based sensitivity indices (first-order and total effect of each uncertain
    /// choice of [index.uncertainty] on each unit's rank and on the mean absolute rank
    /// change; Saltelli design, Saltelli/Jansen estimators). --uncertainty N is then the
    /// number of samples per factor: N x (factors + 2) builds.
    #[arg(long, requires = "uncertainty")]
    pub sensitivity: bool,
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

/// The most memory the samples of `--uncertainty` may keep (their weights and ranks).
pub const MAX_SAMPLE_BYTES: f64 = 4e9;

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
    // a panel is never the workspace's published index (its marts hold one year)
    let target = Target::of(
        args.name.as_deref(),
        args.data.is_some() || args.framework.is_some() || args.panel,
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
    if args.panel {
        return execute_panel(
            ws,
            args,
            Panel {
                fw: &fw,
                fw_sha,
                spec: &spec,
                config: &config,
                registry: &registry,
                target,
                clock,
            },
        );
    }
    let data = match &args.data {
        Some(p) => IndexData::from_file(p, &fw.data_codes(), args.year, &registry)?,
        None => {
            if args.year.is_some() {
                return Err(Error::Usage("--year applies to a --data panel; the workspace index uses the analysis year of the last `citybench run` (run it with --year)".into()));
            }
            IndexData::from_workspace(
                ws,
                &registry,
                config.index.include_confidential,
                spec.imputation == crate::config::Imputation::Latest
                    || (args.uncertainty > 0
                        && config
                            .index
                            .uncertainty
                            .imputations
                            .contains(&crate::config::Imputation::Latest)),
            )?
        }
    };
    let mut data = data;
    if spec.denominate
        && let Some(table) = &config.index.denominators
    {
        let wanted: Vec<(&str, &str)> = fw.nodes[..fw.indicators]
            .iter()
            .filter_map(|n| Some((n.denominator.as_deref()?, n.code.as_str())))
            .collect();
        data.add_denominators(&ws.root().join(table), table, &wanted)?;
    }
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
    let extended = config
        .index
        .diagnostics
        .extended
        .then(|| diagnostics::extended(&fw, &data, &built, &config.index.diagnostics));
    let t_diag = clock.elapsed() - t_build;
    let ucfg = &config.index.uncertainty;
    let factors = sensitivity::factors(ucfg);
    if args.sensitivity {
        if args.uncertainty < 3 {
            return Err(Error::Usage(format!(
                "--sensitivity needs --uncertainty N with N >= 3 samples per factor (got {})",
                args.uncertainty
            )));
        }
        if factors.len() < 2 {
            return Err(Error::Usage(format!(
                "--sensitivity needs at least two uncertain factors; [index.uncertainty] varies {} (weights vary when weight_noise > 0; normalisations, aggregations, imputations, treatments and weight_sets when they list two or more); use --uncertainty without --sensitivity for rank intervals",
                if factors.is_empty() {
                    "none".to_string()
                } else {
                    factors
                        .iter()
                        .map(|f| f.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            )));
        }
    }
    let mut rank_stats = None;
    let mut sens = None;
    if args.uncertainty > 0 {
        // every build keeps its weights and its ranks until the statistics are taken
        let builds = if args.sensitivity {
            args.uncertainty.saturating_mul(factors.len() + 2)
        } else {
            args.uncertainty
        };
        let bytes = builds as f64 * (fw.nodes.len() + p.units.len()) as f64 * 8.0;
        if bytes > MAX_SAMPLE_BYTES {
            return Err(Error::Usage(format!(
                "--uncertainty {}: {builds} builds of {} units would keep about {:.1} GB of weights and ranks in memory, more than the {:.0} GB allowed; use fewer samples",
                args.uncertainty,
                p.units.len(),
                bytes / 1e9,
                MAX_SAMPLE_BYTES / 1e9
            )));
        }
        let samples = if args.sensitivity {
            sensitivity::design(&fw, ucfg, &factors, args.uncertainty, args.seed)
        } else {
            uncertainty::samples(&fw, ucfg, args.uncertainty, args.seed)
        };
        let variants = uncertainty::Variants::new(
            &fw,
            &data,
            &spec,
            &registry,
            p,
            &samples,
            ucfg.minmax_range,
        )?;
        let bar = crate::progress::count_bar(
            samples.len() as u64,
            if args.sensitivity {
                "index: sensitivity builds"
            } else {
                "index: uncertainty samples"
            },
            global.quiet,
        );
        let ranks =
            uncertainty::run_with_progress(&fw, &variants, &samples, &codes, &|| bar.inc(1));
        bar.finish_and_clear();
        let ranks = ranks?;
        let nominal = &built.ranks[fw.root];
        if args.sensitivity {
            // the rank statistics of the 2N independent rows of matrices A and B (COINr's)
            rank_stats = Some(uncertainty::rank_stats(
                nominal,
                &ranks[..2 * args.uncertainty],
            ));
            sens = Some(sensitivity::analyse(
                &factors,
                args.uncertainty,
                nominal,
                &ranks,
                ucfg.bootstrap as usize,
                args.seed,
            ));
        } else {
            rank_stats = Some(uncertainty::rank_stats(nominal, &ranks));
        }
    }
    let mc_samples = if args.sensitivity {
        2 * args.uncertainty
    } else {
        args.uncertainty
    };
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
            extended.as_ref(),
            rank_stats
                .as_deref()
                .map(|rs: &[uncertainty::RankStats]| (rs, mc_samples, sens.as_ref())),
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
        (args.uncertainty > 0).then_some((mc_samples, args.seed)),
    )?;
    if let (Some(s), Some(u)) = (&sens, manifest.uncertainty.as_mut()) {
        u.sensitivity = Some(index::manifest::SensitivityRecord {
            factors: s.factors.iter().map(|f| f.as_str()).collect(),
            samples_per_factor: s.n,
            builds: s.n * (s.factors.len() + 2),
            estimators: "Saltelli 2010 (first order), Jansen 1999 (total effect)",
            bootstrap: ucfg.bootstrap,
        });
    }
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
        .filter(|t| !matches!(t.treatment, "winsorised" | "untouched" | "exempt"))
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
        if let Some(sn) = &sens {
            format!(
                "; sensitivity: {} samples per factor x ({} factors + 2) = {} builds, seed {}",
                sn.n,
                sn.factors.len(),
                sn.n * (sn.factors.len() + 2),
                args.seed
            )
        } else if args.uncertainty > 0 {
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
    let mut cols = ranking_columns(&fw);
    if rank_stats.is_some() {
        cols.extend(["median_rank", "rank_p05", "rank_p95"].map(String::from));
    }
    let order = ranking_order(&fw, &data, &built);
    let shown = shown(args);
    let mut rows = Rows::new(cols);
    for &u in order.iter().take(shown) {
        let mut row = ranking_row(&fw, &data, &built, u);
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
        let list = |v: Vec<&str>| v.join("/");
        let mut varied = format!(
            "weights x U({}, {}), normalisation {}, aggregation {}",
            1.0 - ucfg.weight_noise,
            1.0 + ucfg.weight_noise,
            list(ucfg.normalisations.iter().map(|n| n.as_str()).collect()),
            list(ucfg.aggregations.iter().map(|a| a.as_str()).collect()),
        );
        if !ucfg.imputations.is_empty() {
            varied += &format!(
                ", imputation {}",
                list(ucfg.imputations.iter().map(|m| m.as_str()).collect())
            );
        }
        if !ucfg.treatments.is_empty() {
            varied += &format!(
                ", treatment {}",
                list(ucfg.treatments.iter().map(|m| m.as_str()).collect())
            );
        }
        if !ucfg.weight_sets.is_empty() {
            varied += &format!(
                ", weight set {}",
                list(ucfg.weight_sets.iter().map(String::as_str).collect())
            );
        }
        println!(
            "\nLeast stable ranks over {mc_samples} samples (widest 5th-95th percentile rank interval; {varied}):"
        );
        o.emit(&t)?;
    }
    if let Some(sn) = &sens
        && o.out.is_none()
        && matches!(o.format, OutputFormat::Table | OutputFormat::Markdown)
    {
        let mut t = Rows::new([
            "factor",
            "first_order",
            "total_effect",
            "interactions",
            "first_order_p05",
            "first_order_p95",
            "total_effect_p05",
            "total_effect_p95",
        ]);
        for (f, ix) in sn.factors.iter().zip(&sn.overall.1) {
            t.push(vec![
                Value::from(f.as_str()),
                num(ix.first_order),
                num(ix.total_effect),
                num(ix.total_effect - ix.first_order),
                num(ix.first_order_interval[0]),
                num(ix.first_order_interval[1]),
                num(ix.total_effect_interval[0]),
                num(ix.total_effect_interval[1]),
            ]);
        }
        println!(
            "\nSensitivity of the mean absolute rank change (variance {}) over {} builds ({} per factor; first order: Saltelli 2010, total effect: Jansen 1999; 5th-95th percentiles of {} bootstrap resamples; per unit in index_sensitivity):",
            fmt6(sn.overall.0),
            sn.n * (sn.factors.len() + 2),
            sn.n,
            ucfg.bootstrap
        );
        o.emit(&t)?;
    }
    Ok(Outcome::Ok)
}

/// The ranking's columns: rank, unit, the index and its children.
fn ranking_columns(fw: &index::framework::Framework) -> Vec<String> {
    let mut cols: Vec<String> = vec![
        "rank".into(),
        "unit_id".into(),
        "unit_name".into(),
        fw.nodes[fw.root].code.clone(),
    ];
    cols.extend(
        fw.children[fw.root]
            .iter()
            .map(|&k| fw.nodes[k].name.clone()),
    );
    cols
}

/// The included units by index rank, ties by unit id.
fn ranking_order(
    fw: &index::framework::Framework,
    data: &IndexData,
    built: &index::Built,
) -> Vec<usize> {
    let p = &built.prepared;
    let r = &built.ranks[fw.root];
    let mut order: Vec<usize> = (0..p.units.len()).collect();
    order.sort_by(|&a, &b| {
        r[a].total_cmp(&r[b])
            .then_with(|| data.units[p.units[a]].cmp(&data.units[p.units[b]]))
    });
    order
}

/// How many units the ranking prints: `--top`, else [`TOP_DEFAULT`] in the terminal and
/// all in a file or a machine format.
fn shown(args: &Args) -> usize {
    let human = args.output.out.is_none()
        && matches!(
            args.output.format,
            OutputFormat::Table | OutputFormat::Markdown
        );
    match args.top {
        Some(0) => usize::MAX,
        Some(n) => n,
        None if human => TOP_DEFAULT,
        None => usize::MAX,
    }
}

/// The ranking's row of included unit `u` ([`ranking_columns`]).
fn ranking_row(
    fw: &index::framework::Framework,
    data: &IndexData,
    built: &index::Built,
    u: usize,
) -> Vec<Value> {
    let p = &built.prepared;
    let r = built.ranks[fw.root][u];
    let mut row = vec![
        if r.is_nan() {
            Value::Null
        } else {
            Value::from(r as u64)
        },
        Value::from(data.units[p.units[u]].as_str()),
        Value::from(data.names[p.units[u]].as_str()),
        num(built.scores[fw.root][u]),
    ];
    row.extend(
        fw.children[fw.root]
            .iter()
            .map(|&k| num(built.scores[k][u])),
    );
    row
}

/// The years of `--years FROM..TO`.
fn parse_years(t: &str) -> Result<(i32, i32)> {
    let bad = || {
        Error::Usage(format!(
            "--years '{t}': write FROM..TO with FROM <= TO, e.g. 2018..2024"
        ))
    };
    let (a, b) = t.split_once("..").ok_or_else(bad)?;
    let (a, b): (i32, i32) = (
        a.trim().parse().map_err(|_| bad())?,
        b.trim().parse().map_err(|_| bad())?,
    );
    if a > b {
        return Err(bad());
    }
    Ok((a, b))
}

/// What `execute` has loaded when it hands a panel build over.
struct Panel<'a> {
    fw: &'a index::framework::Framework,
    fw_sha: Option<String>,
    spec: &'a Spec,
    config: &'a crate::config::Config,
    registry: &'a Registry,
    target: Target,
    clock: Instant,
}

/// `--panel`: one index per year of the --data file ([`index::panel`]).
fn execute_panel(ws: &Workspace, args: &Args, c: Panel) -> Result<Outcome> {
    let Panel {
        fw,
        fw_sha,
        spec,
        config,
        registry,
        target,
        clock,
    } = c;
    let range = match &args.years {
        None => None,
        Some(t) => Some(parse_years(t)?),
    };
    if args.uncertainty > 0 {
        return Err(Error::Usage(
            "--panel with --uncertainty: the uncertainty analysis runs on one year; use --year YEAR instead of --panel for it".into(),
        ));
    }
    if config.index.optimise_weights.is_some() {
        return Err(Error::Usage(
            "--panel with [index.optimise_weights]: weights are optimised on one year's index; run that with --year YEAR, then give the optimised weights (the manifest's weights.optimised) as a Weight_<name> column of the framework and select it with [index] weights".into(),
        ));
    }
    let history = spec.imputation == crate::config::Imputation::Latest;
    let years = match args.data.as_deref() {
        None => IndexData::from_workspace_panel(
            ws,
            registry,
            config.index.include_confidential,
            history,
            config.analysis.lookback,
            range,
        )?,
        Some(path) => {
            let file = index::data::ParsedFile::read(path, &fw.data_codes())?;
            let latest = file.data(None, registry)?;
            if latest.years.is_empty() {
                return Err(Error::Usage(format!(
                    "--panel: {} has no year (or Time) column; a panel has one row per unit and year (wide) or per unit, indicator and year (long)",
                    path.display()
                )));
            }
            let chosen: Vec<i32> = latest
                .years
                .iter()
                .copied()
                .filter(|y| range.is_none_or(|(a, b)| (a..=b).contains(y)))
                .collect();
            if chosen.is_empty() {
                return Err(Error::Usage(format!(
                    "--years {}: {} has no year in that range; its years are {}..{}",
                    args.years.as_deref().unwrap_or_default(),
                    path.display(),
                    latest.years[0],
                    latest.years[latest.years.len() - 1]
                )));
            }
            let last = *latest.years.last().expect("not empty");
            let mut years = Vec::with_capacity(chosen.len());
            for &y in &chosen {
                if y != last {
                    years.push((y, file.data(Some(y), registry)?));
                }
            }
            if chosen.last() == Some(&last) {
                years.push((last, latest));
            }
            years
        }
    };
    let normalisation = config.index.panel_normalisation;
    let builds = index::panel::build(fw, years, spec, registry, normalisation)?;
    let t_build = clock.elapsed();
    let mut per_year = Vec::with_capacity(builds.len());
    let mut group_names = Vec::new();
    for b in &builds {
        let p = &b.built.prepared;
        let unit_codes = |u: usize| b.data.units[p.units[u]].clone();
        let diags = diagnostics::diagnose(fw, &b.built, spec.aggregation, &unit_codes)?;
        let groupings = index::groupings(&config.index, spec, &b.data, registry)?;
        group_names = groupings.iter().map(|(g, _)| g.clone()).collect();
        if target != Target::Nowhere {
            let extended =
                config.index.diagnostics.extended.then(|| {
                    diagnostics::extended(fw, &b.data, &b.built, &config.index.diagnostics)
                });
            per_year.push((
                b.year,
                tables::all(
                    fw,
                    &b.data,
                    &b.built,
                    spec.availability_min,
                    &groupings,
                    &diags,
                    extended.as_ref(),
                    None,
                )?,
            ));
        }
    }
    let computed = index::panel::stack(per_year)?;
    let last = builds.last().expect("a panel has a year");
    let mut manifest = Manifest::new(
        &config.index,
        fw,
        fw_sha,
        &last.data,
        spec,
        &last.built,
        group_names,
        None,
    )?;
    manifest.panel = Some(index::manifest::PanelRecord {
        normalisation: normalisation.as_str(),
        years: builds
            .iter()
            .map(|b| index::manifest::PanelYearRecord {
                year: b.year,
                units: b.data.units.len(),
                included: b.built.prepared.units.len(),
                cells_imputed: b
                    .built
                    .prepared
                    .imputed
                    .iter()
                    .flatten()
                    .filter(|x| **x)
                    .count(),
            })
            .collect(),
    });
    store::keep(ws, &target, computed, manifest)?;
    let ranked: usize = builds.iter().map(|b| b.built.prepared.units.len()).sum();
    eprintln!(
        "index: panel of {} years ({}..{}), {ranked} unit-years ranked within their year, {} indicators; {} normalisation over {}, {} aggregation -> {} (build {:.3}s)",
        builds.len(),
        builds[0].year,
        last.year,
        fw.indicators,
        spec.normalisation.as_str(),
        match normalisation {
            crate::config::PanelNormalisation::Global => "all years stacked",
            crate::config::PanelNormalisation::PerYear => "each year",
        },
        spec.aggregation.as_str(),
        match &target {
            Target::Nowhere => "not stored (an external framework or data; --name NAME keeps its tables in index/NAME/)".to_string(),
            t => format!("{0}/index_*.parquet, {0}/index_manifest.json", t.label()),
        },
        t_build.as_secs_f64(),
    );
    // the ranking of every year
    let mut cols = vec!["year".to_string()];
    cols.extend(ranking_columns(fw));
    let mut rows = Rows::new(cols);
    let shown = shown(args);
    let mut hidden = 0;
    for b in &builds {
        let order = ranking_order(fw, &b.data, &b.built);
        hidden += order.len().saturating_sub(shown);
        for &u in order.iter().take(shown) {
            let mut row = vec![Value::from(b.year)];
            row.extend(ranking_row(fw, &b.data, &b.built, u));
            rows.push(row);
        }
    }
    args.output.emit(&rows)?;
    if args.top.is_none() && hidden > 0 {
        eprintln!(
            "... and {hidden} more unit-years (--top N per year; --top 0 prints all; --format csv or --out FILE writes all)"
        );
    }
    Ok(Outcome::Ok)
}

/// A number rounded to 6 decimals as the tables print it.
fn fmt6(v: f64) -> String {
    match num(v) {
        Value::Number(n) => n.to_string(),
        _ => "n/a".into(),
    }
}
