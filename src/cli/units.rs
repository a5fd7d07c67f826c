//! `citybench units`: the unit registry, whole or for one data point.

use serde_json::json;

use super::{GlobalArgs, Outcome};
use crate::error::{Error, Result};
use crate::output::{OutputArgs, Rows};

/// List accepted unit spellings.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  citybench units --data-point EN-EN-AQ-1C-no2\n  citybench units --canonical per_100k_pop --format csv"
)]
pub struct Args {
    /// Spellings accepted for this data point.
    #[arg(long)]
    pub data_point: Option<String>,
    /// Spellings of this canonical unit.
    #[arg(long)]
    pub canonical: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Replace the --out file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Run `units`.
pub fn run(args: &Args, global: &GlobalArgs) -> Result<Outcome> {
    crate::store::refuse_existing_out(args.output.out.as_deref(), args.force)?;
    let (units, catalog) = global.load_catalog()?;
    let mut rows = Rows::new([
        "canonical_unit",
        "spelling",
        "factor",
        "per_denominator",
        "applies_to",
        "conversion",
    ]);
    let list: Vec<&crate::catalog::Spelling> = match (&args.data_point, &args.canonical) {
        (Some(id), _) => {
            let dp = catalog.get(id).ok_or_else(|| {
                Error::Usage(match catalog.suggest(id) {
                    Some(s) => format!("unknown data point '{id}'; did you mean '{s}'?"),
                    None => format!("unknown data point '{id}'; citybench catalog lists them"),
                })
            })?;
            units.accepted_for(dp).collect()
        }
        (None, Some(c)) => {
            if units.canonical(c).is_none() {
                return Err(Error::Usage(format!(
                    "unknown canonical unit '{c}'; known: {}",
                    units.canonical_codes().join(", ")
                )));
            }
            units
                .spellings()
                .iter()
                .filter(|s| s.listed && &s.canonical_unit == c)
                .collect()
        }
        (None, None) => units.spellings().iter().filter(|s| s.listed).collect(),
    };
    for s in list {
        rows.push(vec![
            json!(s.canonical_unit),
            json!(s.spelling),
            json!(s.factor),
            json!(s.per_denominator),
            json!(s.applies_to.join(";")),
            json!(s.conversion),
        ]);
    }
    args.output.emit(&rows)?;
    Ok(Outcome::Ok)
}
