//! The peer comparison: one row per data point with the city's value, its peers' median
//! and quartiles, its percentile, its gaps to the median and to the leaders' level
//! (METHODOLOGY section 7, canonical units, positive = shortfall) and the best peer,
//! sorted by the largest relative shortfall to the median first (units differ between data
//! points, so only the relative gap orders them).

use serde_json::{Value, json};

use super::{CityInfo, Results, fmt_num};
use crate::error::{Error, Result};
use crate::output::Rows;

/// Whom to compare with.
#[derive(Debug, Clone)]
pub enum Peers {
    /// The city's group in a grouping of the run.
    Grouping(String),
    /// Cities chosen by id (validated against the registry).
    Chosen(Vec<String>),
}

/// The columns of the comparison (every format but the terminal table).
pub const COLUMNS: [&str; 21] = [
    "data_point_id",
    "kpi_name",
    "dimension",
    "unit",
    "direction",
    "value",
    "source_year",
    "peer_group",
    "peer_n",
    "suppressed",
    "p25",
    "median",
    "p75",
    "percentile",
    "gap_median",
    "gap_median_pct",
    "leaders",
    "gap_leaders",
    "gap_leaders_pct",
    "best_peer",
    "best_peer_value",
];

/// The comparison of `city` with `peers`, optionally for one dimension (matched
/// case-insensitively).
pub fn compare(
    res: &Results,
    city: &CityInfo,
    peers: &Peers,
    dimension: Option<&str>,
) -> Result<Rows> {
    let rows = match peers {
        Peers::Grouping(g) => {
            let (file, sql) = super::COMPARE_GROUPING;
            res.warehouse.query_params(file, sql, &[&city.city_id, g])?
        }
        Peers::Chosen(ids) => {
            for id in ids {
                res.city(id)?;
            }
            let (file, sql) = super::COMPARE_WITH;
            res.warehouse
                .query_params(file, sql, &[&city.city_id, &ids.join(",")])?
        }
    };
    if let Some(want) = dimension {
        let dims: std::collections::BTreeSet<String> =
            rows.records().filter_map(|r| r.str("dimension")).collect();
        if !dims.is_empty() && !dims.iter().any(|d| d.eq_ignore_ascii_case(want.trim())) {
            let all: Vec<&str> = dims.iter().map(String::as_str).collect();
            return Err(Error::Usage(format!(
                "unknown dimension '{want}': expected one of {}",
                all.join(", ")
            )));
        }
    }
    let mut out = Rows::new(COLUMNS);
    for r in rows.records() {
        if let Some(want) = dimension
            && !r
                .str("dimension")
                .is_some_and(|d| d.eq_ignore_ascii_case(want.trim()))
        {
            continue;
        }
        let best = match (r.str("best_peer_id"), r.str("best_peer_name")) {
            (Some(id), Some(name)) => json!(format!("{name} ({id})")),
            (Some(id), None) => json!(id),
            _ => Value::Null,
        };
        let mut row: Vec<Value> = COLUMNS[..19].iter().map(|c| r.get(c).clone()).collect();
        row.push(best);
        row.push(r.get("best_peer_value").clone());
        out.push(row);
    }
    Ok(out)
}

/// Whether the city has any value in the comparison.
pub fn has_data(rows: &Rows) -> bool {
    rows.records().any(|r| r.f64("value").is_some())
}

/// How the terminal view names each row's data point: its name (the catalogue's full name,
/// "Air Pollution: PM10"); the id too, "Name (ID)", where the name is shared with another
/// row (a framework may repeat one) or, alone, where there is no name.
fn data_point_labels(rows: &Rows) -> Vec<String> {
    let names: Vec<Option<String>> = rows
        .records()
        .map(|r| r.str("kpi_name").filter(|n| !n.trim().is_empty()))
        .collect();
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for n in names.iter().flatten() {
        *seen.entry(n.as_str()).or_default() += 1;
    }
    rows.records()
        .zip(&names)
        .map(|(r, name)| {
            let id = r.str("data_point_id").unwrap_or_default();
            match name {
                Some(n) if seen[n.as_str()] == 1 => n.clone(),
                Some(n) => format!("{n} ({id})"),
                None => id,
            }
        })
        .collect()
}

/// A narrower view for people (the terminal table, Markdown): data points by name, numbers
/// rounded for reading, gaps with their relative size, the quartiles as one range.
pub fn terminal_view(rows: &Rows, units: &crate::catalog::UnitRegistry) -> Rows {
    let mut out = Rows::new([
        "data point",
        "value",
        "unit",
        "median",
        "p25-p75",
        "pctl",
        "gap to median",
        "gap to leaders",
        "n",
        "best peer",
    ]);
    let num = |v: Option<f64>| v.map(|x| fmt_num(x, 4)).unwrap_or_default();
    let gap = |g: Option<f64>, p: Option<f64>| match (g, p) {
        (Some(g), Some(p)) => format!("{} ({}%)", signed(g), fmt_num(p, 3)),
        (Some(g), None) => signed(g),
        _ => String::new(),
    };
    for (r, label) in rows.records().zip(data_point_labels(rows)) {
        let suppressed = r.flag("suppressed");
        let range = match (r.f64("p25"), r.f64("p75")) {
            (Some(a), Some(b)) => format!("{}–{}", fmt_num(a, 4), fmt_num(b, 4)),
            _ if suppressed => "suppressed".into(),
            _ => String::new(),
        };
        out.push(vec![
            json!(label),
            json!(num(r.f64("value"))),
            json!(r.str("unit").map(|u| units.symbol(&u))),
            json!(num(r.f64("median"))),
            json!(range),
            json!(if suppressed {
                "sup".into()
            } else {
                r.f64("percentile")
                    .map(|p| format!("{p:.0}"))
                    .unwrap_or_default()
            }),
            json!(gap(r.f64("gap_median"), r.f64("gap_median_pct"))),
            json!(gap(r.f64("gap_leaders"), r.f64("gap_leaders_pct"))),
            r.get("peer_n").clone(),
            r.get("best_peer").clone(),
        ]);
    }
    out
}

/// "+3.2" / "-1.5": a gap with its sign (positive = shortfall).
fn signed(x: f64) -> String {
    let t = fmt_num(x, 4);
    if x > 0.0 { format!("+{t}") } else { t }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_points_are_named_with_their_id_only_where_needed() {
        let mut rows = Rows::new(["data_point_id", "kpi_name"]);
        rows.push(vec![
            json!("EN-EN-AQ-1C-pm10"),
            json!("Air Pollution: PM10"),
        ]);
        rows.push(vec![json!("X-1"), json!("Water Loss")]);
        rows.push(vec![json!("X-2"), json!("Water Loss")]);
        rows.push(vec![json!("X-3"), Value::Null]);
        rows.push(vec![json!("X-4"), json!(" ")]);
        assert_eq!(
            data_point_labels(&rows),
            [
                "Air Pollution: PM10",
                "Water Loss (X-1)",
                "Water Loss (X-2)",
                "X-3",
                "X-4"
            ]
        );
    }
}
