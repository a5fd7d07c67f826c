//! `citybench compare --city ID [--peers GROUPING | --with ID,ID,...]`: the city against its
//! peers, data point by data point, largest shortfall first.

use super::{GlobalArgs, Outcome};
use crate::error::Result;
use crate::output::OutputArgs;
use crate::output::OutputFormat;
use crate::report::Results;
use crate::report::compare::{self, Peers};

/// Compare a city with its peer group or with chosen cities: value, peer median and
/// quartiles, percentile, gaps to the median and to the leaders' level, best peer.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  citybench compare --city 2660646\n  citybench compare --city 2660646 --peers continent --dimension Environment\n  citybench compare --city 2660646 --with 2988507,2950159,3169070 --format csv\n\nGaps are in canonical units, positive = shortfall; rows are sorted by the gap to the median\nrelative to the median (largest shortfall first). The table and Markdown name each data\npoint (\"Air Pollution: PM10\"; with its id where two share a name); CSV, JSON, NDJSON and\nParquet carry data_point_id and kpi_name (the same full name) in full precision. A\nconfidential peer value is never used for --with and never named or shown."
)]
pub struct Args {
    /// City id, or a city name unique in the registry (`citybench cities --search NAME` finds
    /// ids).
    #[arg(long, value_name = "CITY")]
    pub city: String,
    /// Grouping whose group the city is compared with (default: the first configured
    /// grouping other than `all`).
    #[arg(long, value_name = "GROUPING", conflicts_with = "with")]
    pub peers: Option<String>,
    /// Compare with these cities instead (ids, comma-separated).
    #[arg(long, value_name = "ID,ID,...", value_delimiter = ',')]
    pub with: Vec<String>,
    /// Only this dimension (Economy, Environment, Society and Culture).
    #[arg(long)]
    pub dimension: Option<String>,
    /// Analysis year (must be the year of the last run).
    #[arg(long)]
    pub year: Option<i32>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Replace the --out file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Run `compare`.
pub fn run(args: &Args, global: &GlobalArgs) -> Result<Outcome> {
    crate::store::refuse_existing_out(args.output.out.as_deref(), args.force)?;
    let res = Results::open(global.workspace(), args.year)?;
    let city = res.city(&args.city)?;
    let peers = if args.with.is_empty() {
        Peers::Grouping(res.grouping(args.peers.as_deref())?)
    } else {
        Peers::Chosen(
            args.with
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        )
    };
    let rows = compare::compare(&res, &city, &peers, args.dimension.as_deref())?;
    if !compare::has_data(&rows) {
        eprintln!(
            "{} ({}) has no data for analysis year {}: nothing to compare.",
            crate::text::printable(&city.name),
            crate::text::printable(&city.city_id),
            res.run.analysis_year
        );
    }
    match args.output.format {
        OutputFormat::Markdown => {
            let units = crate::catalog::UnitRegistry::embedded()?;
            args.output.emit(&compare::terminal_view(&rows, &units))?
        }
        OutputFormat::Table if args.output.out.is_none() => {
            let units = crate::catalog::UnitRegistry::embedded()?;
            args.output.emit(&compare::terminal_view(&rows, &units))?
        }
        _ => args.output.emit(&rows)?,
    }
    Ok(Outcome::Ok)
}
