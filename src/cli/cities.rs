//! `citybench cities`: find cities in the registry (plus workspace additions) and see the
//! attributes peer groups are built from.

use serde_json::{Value, json};

use super::{GlobalArgs, Outcome};
use crate::error::Result;
use crate::output::{OutputArgs, OutputFormat, Rows};
use crate::registry::{Registry, population_band};

/// List or search cities.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  citybench cities --search geneva\n  citybench cities --country NO --limit 20\n  citybench -w ws cities --attributes --format csv > cities.csv"
)]
pub struct Args {
    /// Case-insensitive substring of the name or ASCII name, or an exact city id.
    #[arg(long)]
    pub search: Option<String>,
    /// ISO 3166 alpha-2 country code.
    #[arg(long)]
    pub country: Option<String>,
    /// At most this many cities, most populous first.
    #[arg(long, default_value_t = 25)]
    pub limit: usize,
    /// Add the workspace attribute columns (attributes.csv).
    #[arg(long)]
    pub attributes: bool,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Replace the --out file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Run `cities`.
pub fn run(args: &Args, global: &GlobalArgs) -> Result<Outcome> {
    crate::store::refuse_existing_out(args.output.out.as_deref(), args.force)?;
    let ws = global.workspace();
    let reg = if ws.join(crate::store::CONFIG_FILE).is_file() {
        Registry::for_workspace(ws)?
    } else {
        Registry::embedded()?
    };
    for r in &reg.attribute_rejections {
        eprintln!("rejected: {}", crate::text::printable_lines(r));
    }
    let needle = args.search.as_ref().map(|s| s.trim().to_lowercase());
    let mut hits: Vec<usize> = (0..reg.len())
        .filter(|&i| {
            let c = &reg.cities()[i];
            args.country
                .as_ref()
                .is_none_or(|k| c.country_iso2.eq_ignore_ascii_case(k.trim()))
                && needle.as_ref().is_none_or(|n| {
                    c.city_id.to_lowercase() == *n
                        || c.name.to_lowercase().contains(n.as_str())
                        || c.ascii_name.to_lowercase().contains(n.as_str())
                })
        })
        .collect();
    hits.sort_by(|&a, &b| {
        let (ca, cb) = (&reg.cities()[a], &reg.cities()[b]);
        cb.population
            .unwrap_or(0)
            .cmp(&ca.population.unwrap_or(0))
            .then_with(|| ca.city_id.cmp(&cb.city_id))
    });
    let total = hits.len();
    hits.truncate(args.limit);
    let extra: Vec<String> = if args.attributes {
        reg.attribute_names().into_iter().skip(5).collect()
    } else {
        vec![]
    };
    let mut cols: Vec<String> = [
        "city_id",
        "name",
        "country_iso2",
        "continent",
        "un_region",
        "economy",
        "population",
        "population_year",
        "population_band",
    ]
    .map(String::from)
    .to_vec();
    cols.extend(extra.iter().cloned());
    let mut rows = Rows::new(cols);
    for i in hits {
        let c = &reg.cities()[i];
        let mut r = vec![
            json!(c.city_id),
            json!(c.name),
            json!(c.country_iso2),
            json!(c.continent),
            json!(c.un_region),
            json!(c.economy),
            c.population.map(|p| json!(p)).unwrap_or(Value::Null),
            c.population_year.map(|p| json!(p)).unwrap_or(Value::Null),
            json!(population_band(c.population)),
        ];
        for a in &extra {
            r.push(
                reg.attribute(i, a)
                    .map(Value::String)
                    .unwrap_or(Value::Null),
            );
        }
        rows.push(r);
    }
    args.output.emit(&rows)?;
    if total > args.limit && args.output.format == OutputFormat::Table {
        eprintln!("{} of {total} matching cities shown (--limit)", args.limit);
    }
    Ok(Outcome::Ok)
}
