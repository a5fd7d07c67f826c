//! `citybench report --city ID --out DIR`: a static, self-contained HTML report.

use super::{GlobalArgs, Outcome};
use crate::error::{IoContext, Result};
use crate::report::{self, Results, html};

/// Write a city's report: the snapshot wheel, its position among peers per category, trend
/// sparklines and every data point, as one HTML file that works offline and prints on A4.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  citybench report --city 2660646 --out reports/\n  citybench report --city 2660646 --peers continent --out reports/\n\nWrites DIR/report-<city>-<year>.html (no scripts, no network fetches); an earlier report of\nthat name is replaced, any other file only with --force."
)]
pub struct Args {
    /// City id, or a city name unique in the registry (`citybench cities --search NAME` finds
    /// ids).
    #[arg(long, value_name = "CITY")]
    pub city: String,
    /// Directory to write the report into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: std::path::PathBuf,
    /// Analysis year (must be the year of the last run).
    #[arg(long)]
    pub year: Option<i32>,
    /// Grouping for percentiles and the peer strips (default: the first configured
    /// grouping other than `all`).
    #[arg(long, value_name = "GROUPING")]
    pub peers: Option<String>,
    /// Replace a file of the report's name that is not a citybench report (an earlier
    /// report is replaced without it).
    #[arg(long)]
    pub force: bool,
}

/// Whether `bytes` is a report page citybench wrote (its head and its footer).
fn is_report(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    text.starts_with("<!DOCTYPE html>\n<html lang=\"en\"><head>")
        && text.contains("</code> · configuration SHA-256 <code>")
        && text.trim_end().ends_with("</html>")
}

/// Run `report`.
pub fn run(args: &Args, global: &GlobalArgs) -> Result<Outcome> {
    let res = Results::open(global.workspace(), args.year)?;
    let grouping = res.grouping(args.peers.as_deref())?;
    let city = res.city(&args.city)?;
    let path = args.out.join(format!(
        "report-{}-{}.html",
        city.city_id, res.run.analysis_year
    ));
    crate::store::refuse_foreign(&path, args.force, "a report", is_report)?;
    let s = report::load_snapshot(&res, city, &grouping)?;
    let charts = html::chart_data(&res, &s)?;
    let page = html::render(&s, &charts);
    std::fs::create_dir_all(&args.out).at(&args.out)?;
    crate::store::atomic_write(&path, page.as_bytes())?;
    println!("{}", path.display());
    Ok(Outcome::Ok)
}
