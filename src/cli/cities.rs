//! `citybench cities`: find cities in the registry (plus workspace additions) and see the
//! attributes peer groups are built from; `--match FILE` matches the city names of any table
//! to registry ids (src/registry/matching.rs).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::{GlobalArgs, Outcome};
use crate::error::Result;
use crate::output::{OutputArgs, OutputFormat, Rows};
use crate::registry::{Registry, population_band};

/// List or search cities.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  citybench cities --search geneva\n  citybench cities --country NO --limit 20\n  citybench -w ws cities --attributes --format csv > cities.csv\n  citybench cities --match my_cities.csv --format csv > matched.csv\n  citybench cities --match t.csv --country-column iso3c --name-column city_name"
)]
pub struct Args {
    /// Case-insensitive substring of the name or ASCII name, or an exact city id. Nothing
    /// found: the empty table, exit 0, and on standard error what the registry holds, how
    /// to add a place and the nearest names.
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
    /// Match the cities of a CSV file (a header row, one city per row) to registry ids:
    /// one output row per input row with the city id, the method, matched / ambiguous /
    /// unmatched and candidates.
    #[arg(long = "match", id = "match", value_name = "FILE", conflicts_with_all = ["search", "country", "attributes"])]
    pub match_file: Option<PathBuf>,
    /// With --match: the column holding the country (ISO alpha-2 or alpha-3 code, or
    /// country name); default: the first of country_iso2, country_iso3, iso2, iso3, iso3c,
    /// country_code, country, country_name.
    #[arg(long, requires = "match", value_name = "COLUMN")]
    pub country_column: Option<String>,
    /// With --match: the column holding the city name; default: the first of city_name,
    /// city, name, municipality.
    #[arg(long, requires = "match", value_name = "COLUMN")]
    pub name_column: Option<String>,
    /// With --match: a name that fits several cities of its country goes to the most
    /// populous when it has at least FACTOR times the population of every other (reported:
    /// method "..., most populous", the others as candidates). Off by default: such a name
    /// is ambiguous.
    #[arg(long, requires = "match", value_name = "FACTOR", value_parser = clap::value_parser!(u64).range(2..))]
    pub most_populous: Option<u64>,
}

/// What `cities --match` reads, for messages.
pub const MATCH_INPUT: &str =
    "a CSV file with a header row and one city per row (a country column and a city name column)";

/// Country columns `--match` looks for, in order, when --country-column is not given.
pub const COUNTRY_COLUMNS: [&str; 8] = [
    "country_iso2",
    "country_iso3",
    "iso2",
    "iso3",
    "iso3c",
    "country_code",
    "country",
    "country_name",
];

/// City name columns `--match` looks for, in order, when --name-column is not given.
pub const NAME_COLUMNS: [&str; 4] = ["city_name", "city", "name", "municipality"];

/// Output columns of `cities --match`.
pub mod match_col {
    pub const LINE: &str = "line";
    pub const COUNTRY: &str = "country";
    pub const NAME: &str = "name";
    pub const CITY_ID: &str = "city_id";
    pub const REGISTRY_NAME: &str = "registry_name";
    pub const COUNTRY_ISO2: &str = "country_iso2";
    pub const METHOD: &str = "method";
    pub const STATUS: &str = "status";
    pub const CANDIDATES: &str = "candidates";
    pub const REASON: &str = "reason";
    /// In output order.
    pub const ALL: [&str; 10] = [
        LINE,
        COUNTRY,
        NAME,
        CITY_ID,
        REGISTRY_NAME,
        COUNTRY_ISO2,
        METHOD,
        STATUS,
        CANDIDATES,
        REASON,
    ];
}

/// The position of the column `given` (by its name, case-insensitively), else of the first
/// of `auto` present in `headers` (already lower-cased); `flag` and `what` name it in the
/// error.
pub fn pick_column(
    headers: &[String],
    given: Option<&str>,
    auto: &[&str],
    flag: &str,
    what: &str,
    path: &Path,
) -> Result<usize> {
    let list = || {
        headers
            .iter()
            .map(|h| crate::suggest::shorten(h).into_owned())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match given {
        Some(g) => {
            let want = g.trim().to_lowercase();
            headers.iter().position(|h| *h == want).ok_or_else(|| {
                crate::error::Error::input(
                    path,
                    format!(
                        "no column '{}' ({flag}); the header has: {}",
                        crate::suggest::shorten(g.trim()),
                        list()
                    ),
                )
            })
        }
        None => auto
            .iter()
            .find_map(|a| headers.iter().position(|h| h == a))
            .ok_or_else(|| {
                crate::error::Error::input(
                    path,
                    format!(
                        "no {what} column (looked for {}); name it with {flag}; the header has: {}",
                        auto.join(", "),
                        list()
                    ),
                )
            }),
    }
}

/// Counts of a `--match` run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MatchCounts {
    pub rows: usize,
    pub matched: usize,
    pub ambiguous: usize,
    pub unmatched: usize,
}

/// Match every row of CSV `text` (read from `path`) to `reg`: the output rows and counts.
pub fn match_table(
    text: &str,
    path: &Path,
    country_column: Option<&str>,
    name_column: Option<&str>,
    most_populous: Option<u64>,
    reg: &Registry,
) -> Result<(Rows, MatchCounts)> {
    use crate::registry::matching::{Matcher, Status};
    let (mut rdr, headers) = crate::csv_lines::reader(text, path)?;
    let ci = pick_column(
        &headers,
        country_column,
        &COUNTRY_COLUMNS,
        "--country-column",
        "country",
        path,
    )?;
    let ni = pick_column(
        &headers,
        name_column,
        &NAME_COLUMNS,
        "--name-column",
        "city name",
        path,
    )?;
    if ci == ni {
        return Err(crate::error::Error::input(
            path,
            format!(
                "the country and the city name are both read from column '{}'; give --country-column and --name-column",
                headers[ci]
            ),
        ));
    }
    let matcher = match most_populous {
        Some(f) => Matcher::new(reg).with_most_populous(f),
        None => Matcher::new(reg),
    };
    let mut rows = Rows::new(match_col::ALL);
    let mut n = MatchCounts::default();
    for (line, rec) in crate::csv_lines::records(text, &mut rdr) {
        n.rows += 1;
        let r = match rec {
            Ok(r) => r,
            Err(e) => {
                n.unmatched += 1;
                rows.push(vec![
                    json!(line),
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    json!(Status::Unmatched.as_str()),
                    Value::Null,
                    json!(format!("unreadable row: {e}")),
                ]);
                continue;
            }
        };
        let (country, name) = (
            r.get(ci).unwrap_or("").trim(),
            r.get(ni).unwrap_or("").trim(),
        );
        let m = matcher.match_name(country, name);
        match m.status {
            Status::Matched => n.matched += 1,
            Status::Ambiguous => n.ambiguous += 1,
            Status::Unmatched => n.unmatched += 1,
        }
        let opt = |v: Option<String>| v.map(Value::String).unwrap_or(Value::Null);
        let text_or_null = |s: String| {
            if s.is_empty() {
                Value::Null
            } else {
                Value::String(s)
            }
        };
        rows.push(vec![
            json!(line),
            json!(country),
            json!(name),
            opt(m.city_id.clone()),
            opt(m.registry_name.clone()),
            opt(m.country_iso2.clone()),
            opt(m.method.map(|x| x.label(m.by_population))),
            json!(m.status.as_str()),
            text_or_null(m.candidates_text()),
            text_or_null(m.reason.clone()),
        ]);
    }
    Ok((rows, n))
}

/// `cities --match FILE`.
fn run_match(args: &Args, file: &Path, reg: &Registry, quiet: bool) -> Result<Outcome> {
    let text = crate::input::read_text(file, MATCH_INPUT)?;
    let (rows, n) = match_table(
        &text,
        file,
        args.country_column.as_deref(),
        args.name_column.as_deref(),
        args.most_populous,
        reg,
    )?;
    args.output.emit(&rows)?;
    if !quiet {
        eprintln!(
            "{}: {} rows, {} matched, {} ambiguous, {} unmatched",
            crate::text::printable(&file.display().to_string()),
            n.rows,
            n.matched,
            n.ambiguous,
            n.unmatched
        );
    }
    Ok(if n.ambiguous + n.unmatched > 0 {
        Outcome::Rejected
    } else {
        Outcome::Ok
    })
}

/// At most this many nearest names in the hint of a search that found nothing.
const NEAREST_NAMES: usize = 5;

/// The hint (standard error) when `cities --search`/`--country` finds nothing: what the
/// registry holds, how to add a place, and the nearest names of the registry (within the
/// country when one is given). `in_workspace`: the registry includes a workspace's
/// `cities.csv` (when it has one).
pub fn no_match_hint(
    reg: &Registry,
    search: Option<&str>,
    country: Option<&str>,
    in_workspace: bool,
) -> String {
    use std::fmt::Write as _;
    let search = search.map(str::trim);
    let country = country.map(str::trim);
    let what = match (search, country) {
        (Some(s), Some(c)) => format!("--search '{s}' in country {c}"),
        (Some(s), None) => format!("--search '{s}'"),
        (None, Some(c)) => format!("--country {c}"),
        (None, None) => "the filters".to_string(),
    };
    let workspace = if in_workspace {
        format!(", plus {} added by the workspace's cities.csv", reg.added)
    } else {
        ", plus a workspace's cities.csv (-w DIR)".to_string()
    };
    let mut t = format!(
        "no city matches {what}\n  \
         the registry is the GeoNames places of 15 000+ inhabitants ({} cities){workspace}\n  \
         a smaller place or a municipality: add it to the workspace's cities.csv, in the registry's columns (datasets/registry/README.md, \"Cities not in this file\")\n",
        reg.len() - reg.added
    );
    let Some(s) = search else { return t };
    let in_country =
        |c: &crate::registry::City| country.is_none_or(|k| c.country_iso2.eq_ignore_ascii_case(k));
    // most populous first, so a name many places share shows its largest
    let mut order: Vec<&crate::registry::City> =
        reg.cities().iter().filter(|c| in_country(c)).collect();
    order.sort_by(|a, b| {
        b.population
            .cmp(&a.population)
            .then_with(|| a.city_id.cmp(&b.city_id))
    });
    let names = order
        .iter()
        .flat_map(|c| [c.name.as_str(), c.ascii_name.as_str()]);
    let mut shown: Vec<&str> = Vec::new();
    let near: Vec<String> = crate::suggest::nearest(s, names, 2 * NEAREST_NAMES)
        .into_iter()
        .filter_map(|n| order.iter().find(|c| c.name == n || c.ascii_name == n))
        .filter(|c| {
            let new = !shown.contains(&c.city_id.as_str());
            shown.push(&c.city_id);
            new
        })
        .take(NEAREST_NAMES)
        .map(|c| format!("{} ({}, {})", c.name, c.city_id, c.country_iso2))
        .collect();
    if !near.is_empty() {
        let _ = writeln!(t, "  nearest names: {}", near.join("; "));
    }
    t
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
    if let Some(file) = &args.match_file {
        return run_match(args, file, &reg, global.quiet);
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
    if total == 0 && (args.search.is_some() || args.country.is_some()) {
        let in_ws = ws.join(crate::store::CONFIG_FILE).is_file();
        let hint = no_match_hint(&reg, args.search.as_deref(), args.country.as_deref(), in_ws);
        // the search text is the user's: no control character reaches the terminal
        eprintln!("{}", crate::text::printable_lines(hint.trim_end()));
    }
    if total > args.limit && args.output.format == OutputFormat::Table {
        eprintln!("{} of {total} matching cities shown (--limit)", args.limit);
    }
    Ok(Outcome::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_table_counts_rows_and_reports_an_unreadable_row() {
        let reg = Registry::embedded().unwrap();
        let text = "iso3c,city_name\nNOR,Stavanger\nNOR,Bergen,extra\n\nPH,Talisay\n";
        let (rows, n) = match_table(text, Path::new("t.csv"), None, None, Some(10), &reg).unwrap();
        assert_eq!(
            n,
            MatchCounts {
                rows: 3,
                matched: 1,
                ambiguous: 1,
                unmatched: 1
            }
        );
        let r: Vec<_> = rows.records().collect();
        assert_eq!(r[0].str(match_col::CITY_ID).as_deref(), Some("3137115"));
        assert_eq!(r[1].i64(match_col::LINE), Some(3));
        assert_eq!(
            r[1].str(match_col::REASON).as_deref(),
            Some(
                "unreadable row: CSV error: record 2 (line: 3, byte: 30): found record with 3 fields, but the previous record has 2 fields"
            )
        );
        // the blank line counts: Talisay is on line 5; 133 148 < 10 x 109 204, so the
        // most-populous rule leaves it ambiguous
        assert_eq!(r[2].i64(match_col::LINE), Some(5));
        assert_eq!(r[2].str(match_col::STATUS).as_deref(), Some("ambiguous"));
        assert_eq!(r[2].str(match_col::METHOD).as_deref(), Some("exact"));
    }
}
