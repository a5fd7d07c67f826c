//! `citybench snapshot --city ID`: where one city stands, U4SSC City Snapshot style.

use super::{GlobalArgs, Outcome};
use crate::error::Result;
use crate::output::{OutputArgs, OutputFormat};
use crate::report::{self, Results, html, snapshot};

/// One city's snapshot: value, target, % of target, U4SSC state and points, peer percentile
/// and trend per data point, with roll-ups and coverage.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  citybench snapshot --city 2660646\n  citybench snapshot --city 2660646 --format markdown --out geneva.md\n  citybench snapshot --city 2660646 --format json | jq '.dimensions[].score'\n  citybench snapshot --city 2660646 --format html --out geneva.html\n\nThe JSON document is described in docs/snapshot.md. Colour only on a terminal; NO_COLOR turns it off."
)]
pub struct Args {
    /// City id (`citybench cities --search NAME` finds it).
    #[arg(long)]
    pub city: String,
    /// Analysis year (must be the year of the last run; default: that year).
    #[arg(long)]
    pub year: Option<i32>,
    /// Grouping the percentiles are taken in (default: the first configured grouping
    /// other than `all`, i.e. population_band with the default configuration).
    #[arg(long, value_name = "GROUPING")]
    pub peers: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Replace the --out file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Run `snapshot`.
pub fn run(args: &Args, global: &GlobalArgs) -> Result<Outcome> {
    crate::store::refuse_existing_out(args.output.out.as_deref(), args.force)?;
    let res = Results::open(global.workspace(), args.year)?;
    let grouping = res.grouping(args.peers.as_deref())?;
    let city = res.city(&args.city)?;
    let s = report::load_snapshot(&res, city, &grouping)?;
    let o = &args.output;
    match o.format {
        OutputFormat::Table => o.emit_text(&snapshot::table(
            &s,
            snapshot::use_colour(o.to_terminal(), std::env::var_os("NO_COLOR").as_deref()),
        ))?,
        OutputFormat::Markdown => o.emit_text(&snapshot::markdown(&s))?,
        OutputFormat::Json => o.emit_text(&snapshot::json(&s))?,
        OutputFormat::Html => {
            let charts = html::chart_data(&res, &s)?;
            o.emit_text(&html::render(&s, &charts))?
        }
        OutputFormat::Csv | OutputFormat::Ndjson | OutputFormat::Parquet => {
            if !s.has_data {
                eprintln!("{}", snapshot::no_data_line(&s));
            }
            o.emit(&snapshot::flat(&s))?
        }
    }
    Ok(Outcome::Ok)
}
