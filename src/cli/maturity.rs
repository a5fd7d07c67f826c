//! `citybench maturity --city ID [--baseline YEAR]`: a city's ITU-T Y.4904 maturity: the
//! level of each mapped data point, the roll-up per dimension, the next milestone, its
//! self-assessments with the staircase checks; and `citybench maturity --distribution`:
//! the share of cities per level per characteristic and group (EU-China Figure 3).

use super::{GlobalArgs, Outcome};
use crate::error::{Error, Result};
use crate::maturity::assessments::Framework;
use crate::output::{OutputArgs, OutputFormat};
use crate::report::maturity;

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

fn city_report(args: &Args, global: &GlobalArgs, id: &str) -> Result<()> {
    let report = maturity::city_report(global.workspace(), args.year, args.baseline, id, || {
        global.load_catalog()
    })?;
    let o = &args.output;
    match o.format {
        OutputFormat::Json => o.emit_text(&report.json())?,
        // the city's name comes from a workspace file: no control character as is
        OutputFormat::Table | OutputFormat::Markdown => o.emit_text(
            &crate::text::printable_lines(&report.text(o.format == OutputFormat::Markdown)?),
        )?,
        // one row per data point (html: a plain table; `report` has the maturity section)
        OutputFormat::Csv
        | OutputFormat::Ndjson
        | OutputFormat::Parquet
        | OutputFormat::Html
        | OutputFormat::Duckdb => o.emit(&report.points)?,
    }
    Ok(())
}

fn distribution(args: &Args, global: &GlobalArgs) -> Result<()> {
    let (rows, root) = maturity::distribution(global.workspace(), args.framework, &args.by)?;
    if rows.rows.is_empty() {
        eprintln!(
            "no {} self-assessments in {}; ingest a file with city_id,framework,characteristic,level,assessment_date[,evidence]",
            args.framework.as_str(),
            root.display()
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
