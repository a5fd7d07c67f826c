//! The command line: one file per subcommand (an `Args` struct and a `run`); this module
//! only declares the commands and dispatches.

pub mod catalog;
pub mod cities;
pub mod compare;
pub mod completions;
pub mod demo;
pub mod export;
pub mod generate;
pub mod index;
pub mod ingest;
pub mod init;
pub mod man;
pub mod maturity;
pub mod report;
pub mod run;
pub mod snapshot;
pub mod sql;
pub mod targets;
pub mod template;
pub mod units;
pub mod verify;

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::catalog::{Catalog, UnitRegistry};
use crate::error::Result;

/// `citybench --version`: the engine version and the embedded catalogue's version.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (catalogue ",
    crate::catalog_version!(),
    ": U4SSC KPIs, ITU-T Y.4903, 113 data points)"
);

/// How a command finished (the binary maps this to the exit code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Ok,
    /// Exit 1: finished, but rows were rejected or checks failed.
    Rejected,
}

/// Benchmark cities on the U4SSC smart sustainable city KPIs (ITU-T Y.4903 / Y.4904).
#[derive(Debug, Parser)]
#[command(
    name = "citybench",
    version = VERSION,
    about,
    after_help = "Examples:\n  citybench demo\n  citybench init my-ws && citybench -w my-ws ingest submissions.csv\n  citybench catalog --dimension Environment --format markdown\n\nExit codes: 0 ok; 1 finished with rejected rows or failed checks; 2 usage or fatal error."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// The workspace directory when neither `-w` nor `CITYBENCH_WORKSPACE` is given.
pub const DEFAULT_WORKSPACE: &str = "citybench-data";

/// Options every command accepts.
#[derive(Debug, clap::Args)]
pub struct GlobalArgs {
    /// Workspace directory [default: citybench-data]. Given explicitly (this option or
    /// CITYBENCH_WORKSPACE), `demo` builds its workspace there.
    #[arg(
        short = 'w',
        long,
        global = true,
        env = "CITYBENCH_WORKSPACE",
        value_name = "WORKSPACE"
    )]
    pub workspace: Option<PathBuf>,
    /// A framework file in the catalogue's shape, replacing the embedded U4SSC catalogue.
    #[arg(long, global = true, value_name = "FILE")]
    pub catalog: Option<PathBuf>,
    /// No progress bars.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

impl GlobalArgs {
    /// The unit registry and the catalogue (embedded or `--catalog`).
    pub fn load_catalog(&self) -> Result<(UnitRegistry, Catalog)> {
        let units = UnitRegistry::embedded()?;
        let catalog = Catalog::load(self.catalog.as_deref(), &units)?;
        Ok((units, catalog))
    }

    /// The workspace path: the one given (`-w` or `CITYBENCH_WORKSPACE`), else
    /// [`DEFAULT_WORKSPACE`].
    pub fn workspace(&self) -> &Path {
        self.workspace
            .as_deref()
            .unwrap_or(Path::new(DEFAULT_WORKSPACE))
    }

    /// The workspace path when given explicitly (`-w`/`--workspace` or the
    /// `CITYBENCH_WORKSPACE` environment variable), `None` when it is the default.
    pub fn explicit_workspace(&self) -> Option<&Path> {
        self.workspace.as_deref()
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run everything on the embedded sample and print where to look.
    Demo(demo::Args),
    /// Create a workspace with a commented citybench.toml.
    Init(init::Args),
    /// List the KPI catalogue (data points with units, directions, ranges).
    Catalog(catalog::Args),
    /// Find cities in the registry and see their peer-group attributes.
    Cities(cities::Args),
    /// List the unit registry: accepted spellings and their conversions.
    Units(units::Args),
    /// The targets and benchmarks in force per data point (or for a city); set and unset
    /// workspace targets.
    Targets(targets::Args),
    /// Write the Excel data collection template (one row per data point, drop-downs).
    Template(template::Args),
    /// Validate submission files (CSV, JSON, NDJSON, Parquet, the .xlsx template) into an
    /// immutable raw batch.
    Ingest(ingest::Args),
    /// Write deterministic synthetic submissions for real registry cities.
    Generate(generate::Args),
    /// Run the pipeline: peer statistics, percentiles, attainment, rollups, gaps, trends.
    Run(run::Args),
    /// Query the results with read-only SQL (DuckDB views); interactive without a query.
    Sql(sql::Args),
    /// One city's snapshot: targets, U4SSC states, peer percentiles, trends, roll-ups.
    Snapshot(snapshot::Args),
    /// A city against its peer group (or chosen cities), largest shortfall first.
    Compare(compare::Args),
    /// A static HTML report for a city: snapshot wheel, peer strips, trend sparklines.
    Report(report::Args),
    /// ITU-T Y.4904 maturity: levels per data point and dimension, milestones, self-assessments.
    Maturity(maturity::Args),
    /// The composite index (COINr conventions): ranks, group ranks, diagnostics, uncertainty.
    Index(index::Args),
    /// Automated pre-verification flags (plausibility, consistency, sum groups, jumps, outliers).
    Verify(verify::Args),
    /// Export the result marts as a hive-partitioned Parquet or CSV dataset with a schema.
    Export(export::Args),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(completions::Args),
    /// Man pages generated from the command line definitions.
    Man(man::Args),
}

/// Run a parsed command line.
pub fn run(cli: Cli) -> Result<Outcome> {
    match &cli.command {
        Command::Demo(a) => demo::run(a, &cli.global),
        Command::Init(a) => init::run(a, &cli.global),
        Command::Catalog(a) => catalog::run(a, &cli.global),
        Command::Units(a) => units::run(a, &cli.global),
        Command::Targets(a) => targets::run(a, &cli.global),
        Command::Cities(a) => cities::run(a, &cli.global),
        Command::Ingest(a) => ingest::run(a, &cli.global),
        Command::Generate(a) => generate::run(a, &cli.global),
        Command::Run(a) => run::run(a, &cli.global),
        Command::Sql(a) => sql::run(a, &cli.global),
        Command::Snapshot(a) => snapshot::run(a, &cli.global),
        Command::Compare(a) => compare::run(a, &cli.global),
        Command::Report(a) => report::run(a, &cli.global),
        Command::Maturity(a) => maturity::run(a, &cli.global),
        Command::Verify(a) => verify::run(a, &cli.global),
        Command::Index(a) => index::run(a, &cli.global),
        Command::Template(a) => template::run(a, &cli.global),
        Command::Export(a) => export::run(a, &cli.global),
        Command::Completions(a) => completions::run(a, &cli.global),
        Command::Man(a) => man::run(a, &cli.global),
    }
}
