//! `citybench targets`: the targets and benchmarks in force; `targets set` and `targets
//! unset` edit the workspace `targets.csv` ([`crate::targets`]).

use std::path::Path;

use clap::Subcommand;

use super::{GlobalArgs, Outcome};
use crate::config::{BenchmarkMethod, Config};
use crate::error::{Error, Result};
use crate::output::{OutputArgs, OutputFormat};
use crate::pipeline::groups;
use crate::pipeline::targets::{RowFields, Scope, Targets};
use crate::registry::Registry;
use crate::store::Workspace;
use crate::targets::edit::{self, Checks};
use crate::targets::list::{self, Filter, Kind, Sources};
use crate::text::printable;

/// List the targets and benchmarks in force, or set and unset workspace targets.
#[derive(Debug, clap::Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  citybench targets\n  citybench targets --city 2660646 --dimension Economy\n  citybench targets --kind benchmark --format csv\n  citybench targets set --data-point EC-ICT-ICT-2C --value 80 --year 2030 --source \"City plan 2030\" --city 2660646\n  citybench targets set --data-point EN-EN-AQ-1C-pm25 --value 10 --source \"EU AAQD 2030\" --grouping continent --group Europe\n  citybench targets unset --data-point EC-ICT-ICT-2C --city 2660646\n\nTargets come from the embedded defaults (datasets/catalog/targets.csv) and the workspace\ntargets.csv; a city's own target wins over its group's, a group's over the default. Where\nno target applies, the data point is scored against a benchmark computed by each run from\nthe published values (SDSN style); benchmarks shown here are the last run's. `set` and\n`unset` change the workspace targets.csv; `citybench run` applies the change."
)]
pub struct Args {
    #[command(subcommand)]
    pub action: Option<Action>,
    /// The reference that applies to this city for every data point (its own target, else
    /// its group's, else the default, else the benchmark): an id, or a name unique in the
    /// registry.
    #[arg(long, value_name = "CITY")]
    pub city: Option<String>,
    /// Only this data point.
    #[arg(long, value_name = "ID")]
    pub data_point: Option<String>,
    /// Only this dimension (case-insensitive): Economy, Environment, Society and Culture.
    #[arg(long)]
    pub dimension: Option<String>,
    /// Only references of this kind.
    #[arg(long, value_enum)]
    pub kind: Option<Kind>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Replace the --out file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Edit the workspace targets.csv.
#[derive(Debug, Subcommand)]
pub enum Action {
    /// Set a target in the workspace targets.csv: for a city (--city), a peer group
    /// (--grouping and --group) or, with neither, every city (replacing the default).
    Set(SetArgs),
    /// Remove a target from the workspace targets.csv (the same key as `set`).
    Unset(KeyArgs),
}

/// The key of a workspace target: a data point and a city, a group, or neither.
#[derive(Debug, Clone, clap::Args)]
pub struct KeyArgs {
    /// The data point.
    #[arg(long, value_name = "ID")]
    pub data_point: String,
    /// A target for this city only: an id, or a name unique in the registry (the file
    /// keeps the id).
    #[arg(long, value_name = "CITY", conflicts_with_all = ["grouping", "group"])]
    pub city: Option<String>,
    /// A target for a peer group: the grouping (one of [peers] groupings in citybench.toml),
    /// with --group.
    #[arg(long, value_name = "GROUPING", requires = "group")]
    pub grouping: Option<String>,
    /// The group within --grouping (e.g. --grouping continent --group Europe).
    #[arg(long, value_name = "NAME", requires = "grouping")]
    pub group: Option<String>,
}

/// `targets set`.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Examples:\n  citybench targets set --data-point EC-ICT-ICT-2C --value 80 --year 2030 --source \"City plan 2030\" --city 2660646\n  citybench targets set --data-point SC-SH-SI-1C --value 1 --tolerance 0.3 --source \"Gender equality strategy\" --grouping continent --group Europe\n  citybench targets set --data-point EC-ICT-ICT-1C --value 95 --worst 0 --source \"National broadband plan\" --replace\n\nValues are in the data point's canonical unit (`citybench catalog --long`). The row is\nchecked as `citybench run` checks the file; the file's other rows are kept as they are."
)]
pub struct SetArgs {
    #[command(flatten)]
    pub key: KeyArgs,
    /// The target value, in the data point's canonical unit.
    #[arg(long, value_name = "V", allow_hyphen_values = true)]
    pub value: String,
    /// Where the target comes from (document, article or table); required.
    #[arg(long, value_name = "TEXT")]
    pub source: Option<String>,
    /// The year the source sets the target for.
    #[arg(long, value_name = "YEAR", allow_hyphen_values = true)]
    pub year: Option<String>,
    /// The lower goalpost of the bounded method (below the target for higher-is-better,
    /// above it for lower-is-better).
    #[arg(long, value_name = "W", allow_hyphen_values = true)]
    pub worst: Option<String>,
    /// The tolerance of a target band (> 0).
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub tolerance: Option<String>,
    /// Replace a target of the same key.
    #[arg(long)]
    pub replace: bool,
}

/// Run `targets`.
pub fn run(args: &Args, global: &GlobalArgs) -> Result<Outcome> {
    match &args.action {
        Some(Action::Set(a)) => set(a, global),
        Some(Action::Unset(a)) => unset(a, global),
        None => show(args, global),
    }
}

/// The workspace's registry and configuration; without a workspace, the embedded registry
/// and the configuration `init` writes.
fn context(root: &Path, ws: Option<&Workspace>) -> Result<(Registry, Config)> {
    let (registry, config) = match ws {
        Some(ws) => (Registry::for_workspace(ws.root())?, ws.config()?),
        None => (
            Registry::embedded()?,
            Config::parse(
                crate::config::DEFAULT_TOML,
                Path::new("citybench.toml (default)"),
            )?,
        ),
    };
    let cfg_path = root.join(crate::store::CONFIG_FILE).display().to_string();
    groups::check(&config.peers.groupings, &registry, &cfg_path)?;
    Ok((registry, config))
}

fn show(args: &Args, global: &GlobalArgs) -> Result<Outcome> {
    crate::store::refuse_existing_out(args.output.out.as_deref(), args.force)?;
    let (units, catalog) = global.load_catalog()?;
    let root = global.workspace();
    let ws = Workspace::open(root).ok();
    let (registry, config) = context(root, ws.as_ref())?;
    if let Some(id) = &args.data_point
        && catalog.get(id).is_none()
    {
        return Err(Error::Usage(match catalog.suggest(id) {
            Some(s) => format!("unknown data point '{id}'; did you mean '{s}'?"),
            None => format!("unknown data point '{id}'; citybench catalog lists them"),
        }));
    }
    let city = args
        .city
        .as_deref()
        .map(|c| registry.resolve_city(c))
        .transpose()?;
    let targets = Targets::load(
        ws.as_ref().map(|w| w.root()),
        &catalog,
        &registry,
        &config.peers.groupings,
    )?;
    let last = match &ws {
        Some(ws) => list::last_run(ws, &catalog, &config.benchmarks)?,
        None => None,
    };
    // benchmarks as the last run computed them; without a run, as the next one will
    let bench_config = last.as_ref().map_or(&config.benchmarks, |r| &r.config);
    let bench_on = bench_config.method != BenchmarkMethod::Off;
    match (&ws, &last) {
        (None, _) => eprintln!(
            "note: {} is not a workspace (no citybench.toml): the embedded default targets; benchmarks appear after `citybench run` in a workspace",
            root.display()
        ),
        (Some(_), None) if bench_on => eprintln!(
            "note: nothing has run in {} yet: benchmarks appear after `citybench run`",
            root.display()
        ),
        (Some(_), Some(run)) => {
            if let Some(p) = &run.problem {
                eprintln!(
                    "note: the benchmarks of the last run could not be read ({p}); `citybench run` publishes them again"
                );
            }
            if run.config != config.benchmarks {
                eprintln!(
                    "note: [benchmarks] in {} changed after the last run ({}); the benchmarks shown are that run's, `citybench run` applies the change",
                    root.join(crate::store::CONFIG_FILE).display(),
                    run.run_id
                );
            }
            if list::changed_since(&targets, run) == Some(true) {
                eprintln!(
                    "note: {} changed after the last run ({}); `citybench run` applies it (the published results use the targets of that run)",
                    list::workspace_file(root).display(),
                    run.run_id
                );
            }
        }
        _ => {}
    }
    let sources = Sources {
        catalog: &catalog,
        registry: &registry,
        targets: &targets,
        groupings: &config.peers.groupings,
        benchmarks: bench_config,
        last_run: last.as_ref(),
    };
    let filter = Filter {
        data_point: args.data_point.as_deref(),
        dimension: args.dimension.as_deref(),
        kind: args.kind,
    };
    let refs = list::list(&sources, city.as_deref(), &filter);
    if refs.is_empty() {
        let dims: std::collections::BTreeSet<&str> = catalog
            .data_points()
            .iter()
            .map(|d| d.dimension.as_str())
            .collect();
        eprintln!(
            "no reference matches the filters (dimensions: {})",
            dims.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    match args.output.format {
        OutputFormat::Table => {
            let count = |k: Kind| refs.iter().filter(|r| r.kind == k).count();
            let who = city
                .as_deref()
                .map(|c| format!(" for {}", edit::city_label(&registry, c)))
                .unwrap_or_default();
            let from = match &targets.override_file {
                Some(_) => "the embedded defaults and the workspace targets.csv",
                None => "the embedded defaults",
            };
            let bench = match (&last, bench_on) {
                (_, false) => "none (benchmarks are off)".to_string(),
                (Some(r), true) => format!("run {} (analysis year {})", r.run_id, r.analysis_year),
                (None, true) => "the next `citybench run`".into(),
            };
            let title = vec![
                format!(
                    "Targets and benchmarks in force{who}: {} target, {} benchmark, {} none",
                    count(Kind::Target),
                    count(Kind::Benchmark),
                    count(Kind::None)
                ),
                format!("targets: {from}"),
                format!("benchmarks: {bench}"),
            ];
            args.output
                .emit_text(&list::table(&refs, &units, &title, city.is_some()))?;
        }
        _ => args.output.emit(&list::rows(&refs))?,
    }
    Ok(Outcome::Ok)
}

/// The key with its city argument resolved to the registry id (a unique name allowed); an
/// unknown city is left as given, for the row checks to name.
fn resolved(key: &KeyArgs, registry: &Registry) -> Result<KeyArgs> {
    let city = match key.city.as_deref() {
        Some(c) => Some(registry.resolve_name(c)?.unwrap_or_else(|| c.to_string())),
        None => None,
    };
    Ok(KeyArgs {
        city,
        ..key.clone()
    })
}

fn fields<'a>(key: &'a KeyArgs) -> RowFields<'a> {
    RowFields {
        data_point_id: &key.data_point,
        city_id: key.city.as_deref().unwrap_or(""),
        grouping: key.grouping.as_deref().unwrap_or(""),
        group: key.group.as_deref().unwrap_or(""),
        ..RowFields::default()
    }
}

/// The message every edit ends with.
fn applies(root: &Path) -> String {
    format!(
        "`citybench -w {} run` applies it; until then the published results use the previous targets.",
        root.display()
    )
}

fn set(a: &SetArgs, global: &GlobalArgs) -> Result<Outcome> {
    let ws = Workspace::open(global.workspace())?;
    let (_units, catalog) = global.load_catalog()?;
    let (registry, config) = context(ws.root(), Some(&ws))?;
    let checks = Checks {
        catalog: &catalog,
        registry: &registry,
        groupings: &config.peers.groupings,
    };
    let key = resolved(&a.key, &registry)?;
    let f = RowFields {
        target: &a.value,
        worst: a.worst.as_deref().unwrap_or(""),
        tolerance: a.tolerance.as_deref().unwrap_or(""),
        target_year: a.year.as_deref().unwrap_or(""),
        source: a.source.as_deref().unwrap_or(""),
        ..fields(&key)
    };
    let change = edit::set(&ws, checks, &f, a.replace)?;
    if let (Some(g), Some(n)) = (&a.key.grouping, &a.key.group)
        && let Some(note) = edit::empty_group_note(&registry, g.trim(), n.trim())
    {
        eprintln!("{}", printable(&note));
    }
    let path = change.path.display();
    if change.created {
        println!("created {path}");
    }
    if !change.added_columns.is_empty() {
        println!(
            "added the column(s) {} to {path}, empty on its other rows",
            change.added_columns.join(", ")
        );
    }
    let row = change.after.as_ref().expect("the row written");
    let what = edit::describe(&row.data_point_id, &row.scope(), &registry);
    println!(
        "{path}:{}: {what} is now {}",
        row.line,
        printable(&edit::row_text(row))
    );
    if let Some(b) = &change.before {
        println!("  (it was {})", printable(&edit::row_text(b)));
    }
    println!("{}", applies(ws.root()));
    Ok(Outcome::Ok)
}

fn unset(a: &KeyArgs, global: &GlobalArgs) -> Result<Outcome> {
    let ws = Workspace::open(global.workspace())?;
    let (_units, catalog) = global.load_catalog()?;
    let (registry, config) = context(ws.root(), Some(&ws))?;
    let checks = Checks {
        catalog: &catalog,
        registry: &registry,
        groupings: &config.peers.groupings,
    };
    let key = resolved(a, &registry)?;
    let change = edit::unset(&ws, checks, &fields(&key))?;
    let row = change.before.as_ref().expect("the row removed");
    let scope = row.scope();
    println!(
        "{}: removed {} (line {}: {})",
        change.path.display(),
        edit::describe(&row.data_point_id, &scope, &registry),
        row.line,
        printable(&edit::row_text(row))
    );
    // what applies now, from the file as it is now
    let targets = Targets::load(
        Some(ws.root()),
        &catalog,
        &registry,
        &config.peers.groupings,
    )?;
    let last = list::last_run(&ws, &catalog, &config.benchmarks)?;
    let sources = Sources {
        catalog: &catalog,
        registry: &registry,
        targets: &targets,
        groupings: &config.peers.groupings,
        benchmarks: last.as_ref().map_or(&config.benchmarks, |r| &r.config),
        last_run: last.as_ref(),
    };
    let filter = Filter {
        data_point: Some(&row.data_point_id),
        ..Filter::default()
    };
    let (city, who) = match &scope {
        Scope::City(c) => (Some(c.as_str()), edit::city_label(&registry, c)),
        Scope::Group { grouping, group } => (None, format!("{grouping} = {group}")),
        Scope::Default => (None, "all cities".into()),
    };
    if let Some(now) = list::list(&sources, city, &filter).first() {
        println!("now in force for {who}: {}", printable(&list::summary(now)));
    }
    println!("{}", applies(ws.root()));
    Ok(Outcome::Ok)
}
