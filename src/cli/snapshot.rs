//! `citybench snapshot --city ID`: where one city stands, U4SSC City Snapshot style.

use super::{GlobalArgs, Outcome};
use crate::error::Result;
use crate::output::{OutputArgs, OutputFormat};
use crate::report::{self, Results, Rollup, Snapshot, html, snapshot};

/// One city's snapshot: value, target, % of target, U4SSC state and points, peer percentile
/// and trend per data point, with roll-ups and coverage.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  citybench snapshot --city 2660646\n  citybench snapshot --city 2660646 --format markdown --out geneva.md\n  citybench snapshot --city 2660646 --format json | jq '.dimensions[].score'\n  citybench snapshot --city 2660646 --format html --out geneva.html\n\nThe JSON document is described in docs/snapshot.md. Colour only on a terminal; NO_COLOR turns it off."
)]
pub struct Args {
    /// City id, or a city name unique in the registry (`citybench cities --search NAME` finds
    /// ids).
    #[arg(long, value_name = "CITY")]
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
            &printable(&s),
            snapshot::use_colour(o.to_terminal(), std::env::var_os("NO_COLOR").as_deref()),
        ))?,
        OutputFormat::Markdown => o.emit_text(&snapshot::markdown(&printable(&s)))?,
        OutputFormat::Json => o.emit_text(&snapshot::json(&s))?,
        OutputFormat::Html => {
            let charts = html::chart_data(&res, &s)?;
            o.emit_text(&html::render(&s, &charts))?
        }
        OutputFormat::Csv | OutputFormat::Ndjson | OutputFormat::Parquet | OutputFormat::Duckdb => {
            if !s.has_data {
                eprintln!("{}", snapshot::no_data_line(&printable(&s)));
            }
            o.emit(&snapshot::flat(&s))?
        }
    }
    Ok(Outcome::Ok)
}

/// The snapshot with the text that comes from workspace files (the city's and its peer
/// group's names from `cities.csv`/`attributes.csv`, a user catalogue's names, target
/// sources) shown with control characters as visible escapes: the terminal table adds its
/// own colour codes, so the text is made safe before it is laid out, not after.
fn printable(s: &Snapshot) -> Snapshot {
    fn fix(t: &mut String) {
        if let std::borrow::Cow::Owned(e) = crate::text::printable(t) {
            *t = e;
        }
    }
    fn fix_opt(t: &mut Option<String>) {
        if let Some(t) = t {
            fix(t);
        }
    }
    fn fix_rollup(r: &mut Rollup) {
        fix(&mut r.name);
        fix(&mut r.path);
    }
    let mut s = s.clone();
    let c = &mut s.city;
    fix(&mut c.city_id);
    fix(&mut c.name);
    for t in [
        &mut c.country_iso3,
        &mut c.continent,
        &mut c.un_region,
        &mut c.economy,
    ] {
        fix_opt(t);
    }
    fix(&mut s.peers.grouping);
    fix_opt(&mut s.peers.group);
    if let Some(o) = &mut s.overall {
        fix_rollup(o);
    }
    for d in &mut s.dimensions {
        fix_rollup(&mut d.rollup);
        for sd in &mut d.sub_dimensions {
            fix_rollup(&mut sd.rollup);
            for cat in &mut sd.categories {
                fix_rollup(&mut cat.rollup);
                for p in &mut cat.data_points {
                    fix(&mut p.data_point_id);
                    fix(&mut p.name);
                    fix(&mut p.unit_symbol);
                    fix_opt(&mut p.kpi_id);
                    fix_opt(&mut p.target_source);
                    fix_opt(&mut p.target_scope);
                }
            }
        }
    }
    s
}
