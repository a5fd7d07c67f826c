//! `citybench verify [--city ID]`: automated pre-verification (METHODOLOGY section 3) of
//! every observation in the workspace, straight from the raw batches (no `run` needed).
//! The flags go to `derived/verification_flags.parquet` (the `verification_flags` SQL view);
//! the command prints a summary a verifier can work through.

use super::{GlobalArgs, Outcome};
use crate::error::Result;
use crate::output::{OutputArgs, OutputFormat};
use crate::pipeline;
use crate::registry::Registry;
use crate::store::Workspace;
use crate::verify::{self, summary};

/// The flags' file in a generation.
const FLAGS_FILE: &str = "verification_flags.parquet";

/// Automated pre-verification flags: plausible ranges, consistency rules, sum groups,
/// wastewater treatment order, year-on-year jumps, robust peer outliers, core coverage.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  citybench verify                      one row per city, most warnings first\n  citybench verify --city 2660646       the city's summary and every flag\n  citybench verify --city 2660646 --format csv --out flags.csv\n  citybench sql \"FROM verification_flags WHERE severity = 'warning'\"\n\nFlags are warnings that keep the row (hard errors were rejected at ingest). Thresholds are in citybench.toml [validation]; the rules are in docs/methodology.md."
)]
pub struct Args {
    /// Show one city (an id, or a name unique in the registry): its summary and its flags
    /// (csv/json/...: the flags).
    #[arg(long, value_name = "CITY")]
    pub city: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Replace the --out file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Run `verify`.
pub fn run(args: &Args, global: &GlobalArgs) -> Result<Outcome> {
    crate::store::refuse_existing_out(args.output.out.as_deref(), args.force)?;
    let ws = Workspace::open(global.workspace())?;
    let _lock = ws.lock()?;
    let (units, catalog) = global.load_catalog()?;
    let registry = Registry::for_workspace(ws.root())?;
    let config = ws.config()?;
    let cfg_path = ws.config_path().display().to_string();
    pipeline::groups::check(&config.peers.groupings, &registry, &cfg_path)?;
    let city = args
        .city
        .as_deref()
        .map(|c| registry.resolve_city(c))
        .transpose()?;
    let keys = pipeline::keys::Keys::for_inputs(&registry, &catalog)?;
    let observations = pipeline::raw::read_observations(&ws, &keys)?;
    let clock = std::time::Instant::now();
    let rules = verify::Rules::of(&catalog)?;
    let (flags, obs) = verify::verification(
        observations,
        &catalog,
        &units,
        &rules,
        &registry,
        &config,
        &keys,
    )?;
    let t_rules = clock.elapsed();
    // a new generation: the published tables with these flags, published in one step
    let publication = crate::warehouse::begin_publication(&ws, "verify")?;
    publication.seed(|name| name == FLAGS_FILE)?;
    let file = pipeline::write_table(publication.dir(), "verification_flags", flags.clone())?;
    if publication.previous_has_database() {
        // the view over the new file (it was empty if verify had not run before)
        crate::warehouse::build_in(publication.dir())?;
        crate::store::publish::step(crate::store::DB_FILE)?;
    }
    publication.commit()?;
    let t_write = clock.elapsed() - t_rules;
    let sums = summary::summaries(&obs, &flags, &rules.core)?;
    let stated = summary::statements_by_city(pipeline::read_statements(&ws)?, &obs)?;
    let t_summary = clock.elapsed() - t_rules - t_write;
    let warnings = summary::warning_count(&flags)?;
    eprintln!(
        "verify: {} flag(s) ({warnings} warning(s), {} notice(s)) over {} observations of {} cities -> {} (rules {:.2}s, write {:.2}s, summary {:.2}s)",
        flags.height(),
        flags.height() - warnings,
        obs.height(),
        sums.len(),
        file.path,
        t_rules.as_secs_f64(),
        t_write.as_secs_f64(),
        t_summary.as_secs_f64()
    );
    let o = &args.output;
    match city {
        None => o.emit(&summary::city_rows(
            &sums,
            &stated,
            &registry,
            rules.core_kpis,
        ))?,
        Some(c) => {
            let rows = summary::city_flag_rows(&flags, &c)?;
            if o.format == OutputFormat::Table {
                let name = registry.get(&c).map(|x| x.name.clone()).unwrap_or_default();
                // a name from a workspace cities.csv could hold terminal escapes
                let core_of = summary::core_kpi_of(&rules.core)?;
                let mine = stated.get(&c).map(Vec::as_slice).unwrap_or_default();
                let text = summary::city_text(
                    &c,
                    &name,
                    sums.get(&c),
                    mine,
                    &core_of,
                    &rows,
                    rules.core_kpis,
                );
                o.emit_text(&crate::text::printable_lines(&text))?;
            } else {
                o.emit(&rows)?;
            }
        }
    }
    Ok(Outcome::Ok)
}
