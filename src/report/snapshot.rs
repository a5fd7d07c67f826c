//! The snapshot as text: a terminal table that fits 100 columns (colour only on a terminal,
//! `NO_COLOR` respected), Markdown, the JSON document, and one flat row per data point for
//! CSV, NDJSON and Parquet.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::{Band, DataPointRow, Rollup, Snapshot, fmt_num, status_text};
use crate::output::Rows;
use crate::pipeline::attainment::KIND_BENCHMARK as BENCHMARK;

/// Width the terminal table is laid out for.
pub const TABLE_WIDTH: usize = 100;

/// Whether to colour: standard output is a terminal and `NO_COLOR` (its value, from the
/// environment) is unset or empty (<https://no-color.org>).
pub fn use_colour(stdout_is_tty: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    stdout_is_tty && no_color.is_none_or(|v| v.is_empty())
}

fn pct(x: f64) -> String {
    format!("{} %", fmt_num(x * 100.0, 3))
}

/// "62.5 % · 66-95% · coverage 12/20 (60 %: 4 on targets, 8 on benchmarks)" for a
/// roll-up; "low coverage" when below half; a roll-up with nothing scored says whether
/// data was reported ("data reported, no target yet") or not ("no data").
pub fn rollup_line(r: &Rollup) -> String {
    let score = r
        .score
        .map(|s| format!("{} · {}", pct(s), r.band.short()))
        .unwrap_or_else(|| {
            if r.reported > 0 {
                format!("not scored: {} reported, no target yet", r.reported)
            } else {
                "no data".into()
            }
        });
    let low = if r.low_coverage {
        " · low coverage"
    } else {
        ""
    };
    let kinds = match (r.scored_target, r.scored_benchmark) {
        (_, 0) => String::new(),
        (0, b) => format!(": {b} on benchmarks"),
        (t, b) => format!(": {t} on targets, {b} on benchmarks"),
    };
    format!(
        "{score} · coverage {}/{} ({}{kinds}){low}",
        r.scored,
        r.items,
        pct(r.coverage)
    )
}

/// The share of the reference reached, for reading: one decimal, rounded down, so a value
/// just below a band edge (94.83 %) never shows as the edge (95) next to the band below it.
/// Within the bands' 1e-9 tolerance of a whole tenth it is that tenth.
pub fn pct_text(x: f64) -> String {
    let tenths = (x * 10.0 + 1e-7).floor() / 10.0;
    if tenths.fract() == 0.0 {
        format!("{tenths:.0}")
    } else {
        format!("{tenths:.1}")
    }
}

/// A reference level for reading, marked "(b)" when it is a benchmark.
pub fn reference_text(p: &DataPointRow) -> String {
    match p.target {
        None => String::new(),
        Some(t) if p.reference_kind.as_deref() == Some(BENCHMARK) => {
            format!("{} (b)", fmt_num(t, 4))
        }
        Some(t) => fmt_num(t, 4),
    }
}

fn header_lines(s: &Snapshot) -> Vec<String> {
    let c = &s.city;
    let mut place: Vec<String> = vec![format!("{} ({})", c.name, c.city_id)];
    place.extend(c.country_iso3.clone());
    place.extend(c.continent.clone());
    if let Some(b) = &c.population_band {
        place.push(format!("population {b}"));
    }
    let peers = match &s.peers.group {
        Some(g) => format!("{} = {g}", s.peers.grouping),
        None => s.peers.grouping.clone(),
    };
    vec![
        place.join(" · "),
        format!(
            "analysis year {} (values from {}..{}) · peers: {peers} (k = {})",
            s.analysis_year,
            s.analysis_year - s.lookback as i32,
            s.analysis_year,
            s.peers.k,
        ),
        format!("run {}", s.run.run_id),
    ]
}

/// The message for a city without data in the window.
pub fn no_data_line(s: &Snapshot) -> String {
    format!(
        "{} ({}) has no data for analysis year {} (values from {}..{}): nothing to score. Ingest its submissions (`citybench ingest FILE`), then `citybench run`.",
        s.city.name,
        s.city.city_id,
        s.analysis_year,
        s.analysis_year - s.lookback as i32,
        s.analysis_year
    )
}

/// The cells of one data point: name, value, unit, year, target, % of target, band,
/// points, percentile, trend.
fn cells(p: &DataPointRow) -> [String; 10] {
    let value = p
        .value
        .map(|v| {
            let t = if p.unit == "bool" {
                if v >= 0.5 { "yes" } else { "no" }.to_string()
            } else {
                fmt_num(v, 4)
            };
            if p.confidential { format!("{t}*") } else { t }
        })
        .unwrap_or_default();
    let pctl = if p.suppressed {
        "sup".to_string()
    } else {
        p.percentile
            .map(|x| format!("{:.0}", x))
            .unwrap_or_default()
    };
    let band = if p.state == crate::pipeline::attainment::STATE_NEUTRAL {
        "neutral".to_string()
    } else if crate::ingest::validate::is_statement_status(&p.state) {
        // the city's own "not reported" / "not verified", not a silent gap
        p.state.clone()
    } else {
        p.band.short().to_string()
    };
    [
        p.name.clone(),
        value,
        p.unit_symbol.clone(),
        p.source_year.map(|y| y.to_string()).unwrap_or_default(),
        reference_text(p),
        p.pct_of_target.map(pct_text).unwrap_or_default(),
        band,
        p.points.map(|x| x.to_string()).unwrap_or_default(),
        pctl,
        // "no target" is already in the band column
        p.trend_status
            .as_deref()
            .filter(|t| *t != crate::pipeline::trends::STATUS_NO_TARGET)
            .map(status_text)
            .unwrap_or_default(),
    ]
}

const HEAD: [&str; 10] = [
    "KPI", "value", "unit", "year", "target", "%tgt", "band", "pt", "pctl", "trend",
];
/// Right-aligned columns (numbers).
const RIGHT: [bool; 10] = [
    false, true, false, false, true, true, false, true, true, false,
];

fn cut(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        s.to_string()
    } else {
        let t: String = s.chars().take(w.saturating_sub(1)).collect();
        format!("{}…", t.trim_end())
    }
}

/// A data point's name cut to `w` characters so that names sharing a beginning stay apart
/// when the column is narrow: the qualifier after the KPI name is kept whole when the KPI
/// name keeps at least a few letters ("Solid Waste T…: Landfill", "Tra…: Public Transport"),
/// else the qualifier alone is shown, cut by [`cut_tail`] ("…: Open data sets… share");
/// a name without a qualifier is cut by [`cut_tail`] ("Electricity S… Frequency").
fn cut_name(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        return s.to_string();
    }
    if let Some((kpi, qual)) = s.split_once(": ") {
        let room = w.saturating_sub(qual.chars().count() + 2);
        if room >= 3 {
            return format!("{}: {qual}", cut(kpi, room));
        }
        if w > 8 {
            return format!("…: {}", cut_tail(qual, w - 3));
        }
    }
    cut_tail(s, w)
}

/// `s` cut to `w` characters keeping its last word when that is short enough
/// ("Electricity System Outage Frequency" -> "Electricity S… Frequency").
fn cut_tail(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        return s.to_string();
    }
    if let Some((head, last)) = s.rsplit_once(' ') {
        let room = w.saturating_sub(last.chars().count() + 1);
        if room >= 6 && last.chars().count() <= w / 2 {
            return format!("{} {last}", cut(head, room));
        }
    }
    cut(s, w)
}

/// The terminal table.
pub fn table(s: &Snapshot, colour: bool) -> String {
    let mut out = String::new();
    for l in header_lines(s) {
        let _ = writeln!(out, "{l}");
    }
    if !s.has_data {
        let _ = writeln!(out, "\n{}", no_data_line(s));
        return out;
    }
    let paint = |text: String, band: Band| {
        if colour {
            format!("\x1b[{}m{text}\x1b[0m", band.ansi())
        } else {
            text
        }
    };
    if let Some(o) = &s.overall {
        let _ = writeln!(out, "overall: {}", paint(rollup_line(o), o.band));
    }
    // column widths from the content; the KPI name takes what is left of 100 columns
    let all: Vec<[String; 10]> = s.data_points().map(cells).collect();
    let mut w: Vec<usize> = HEAD.iter().map(|h| h.chars().count()).collect();
    for r in &all {
        for (i, c) in r.iter().enumerate().skip(1) {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let indent = 4;
    let others: usize = w[1..].iter().sum::<usize>() + 2 * (HEAD.len() - 1);
    w[0] = TABLE_WIDTH.saturating_sub(indent + others).max(12);
    let line = |r: &[String; 10], band: Option<Band>| {
        let mut l = " ".repeat(indent);
        for (i, c) in r.iter().enumerate() {
            if i > 0 {
                l.push_str("  ");
            }
            let c = if i == 0 {
                cut_name(c, w[i])
            } else {
                cut(c, w[i])
            };
            let pad = " ".repeat(w[i] - c.chars().count());
            let cell = if RIGHT[i] {
                format!("{pad}{c}")
            } else {
                format!("{c}{pad}")
            };
            match band {
                Some(b) if i == 6 => l.push_str(&paint(cell, b)),
                _ => l.push_str(&cell),
            }
        }
        l.trim_end().to_string()
    };
    let head: [String; 10] = HEAD.map(String::from);
    let mut any_confidential = false;
    for d in &s.dimensions {
        let _ = writeln!(
            out,
            "\n{}: {}",
            d.rollup.name.to_uppercase(),
            paint(rollup_line(&d.rollup), d.rollup.band)
        );
        for sd in &d.sub_dimensions {
            for c in &sd.categories {
                let name = format!("  {} / {}: ", sd.rollup.name, c.rollup.name);
                let score = rollup_line(&c.rollup);
                // the roll-up moves to its own line when both do not fit
                let sep = if name.chars().count() + score.chars().count() > TABLE_WIDTH {
                    "\n    "
                } else {
                    ""
                };
                let _ = writeln!(out, "{name}{sep}{}", paint(score, c.rollup.band));
                let _ = writeln!(out, "{}", line(&head, None));
                for p in &c.data_points {
                    any_confidential |= p.confidential && p.value.is_some();
                    let _ = writeln!(out, "{}", line(&cells(p), Some(p.band)));
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "\n%tgt = share of the target reached (capped at 100, rounded down); (b) = a benchmark,\ncomputed each run from the best cities where no normative target exists;\npt = U4SSC points 1-4; pctl = percentile among peers (sup = group below k);\ntrend = status towards {}.",
        s.run.horizon_year
    );
    if any_confidential {
        let _ = writeln!(
            out,
            "* confidential: shown to this city only, never in other cities' views."
        );
    }
    out
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Markdown: a heading per dimension and category, a table per category.
pub fn markdown(s: &Snapshot) -> String {
    let mut out = String::new();
    let lines = header_lines(s);
    let _ = writeln!(
        out,
        "# Snapshot: {}\n\n{}\n",
        md_escape(&lines[0]),
        lines[1]
    );
    if !s.has_data {
        let _ = writeln!(out, "{}", no_data_line(s));
        return out;
    }
    if let Some(o) = &s.overall {
        let _ = writeln!(out, "**Overall:** {}\n", rollup_line(o));
    }
    for d in &s.dimensions {
        let _ = writeln!(
            out,
            "## {}\n\n{}\n",
            md_escape(&d.rollup.name),
            rollup_line(&d.rollup)
        );
        for sd in &d.sub_dimensions {
            for c in &sd.categories {
                let _ = writeln!(
                    out,
                    "### {} / {}\n\n{}\n",
                    md_escape(&sd.rollup.name),
                    md_escape(&c.rollup.name),
                    rollup_line(&c.rollup)
                );
                let _ = writeln!(
                    out,
                    "| data point | KPI | value | unit | year | target | % of target | state | points | percentile | trend |\n|---|---|---:|---|---|---:|---:|---|---:|---:|---|"
                );
                for p in &c.data_points {
                    let r = cells(p);
                    let _ = writeln!(
                        out,
                        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                        p.data_point_id,
                        md_escape(&r[0]),
                        r[1],
                        md_escape(&r[2]),
                        r[3],
                        r[4],
                        r[5],
                        md_escape(&p.state),
                        r[7],
                        r[8],
                        r[9]
                    );
                }
                let _ = writeln!(out);
            }
        }
    }
    out
}

/// The JSON document (`docs/snapshot.md`).
pub fn json(s: &Snapshot) -> String {
    let mut t = serde_json::to_string_pretty(s).expect("a snapshot serialises");
    t.push('\n');
    t
}

/// One flat row per data point (CSV, NDJSON, Parquet, an HTML table).
pub fn flat(s: &Snapshot) -> Rows {
    let mut rows = Rows::new([
        "city_id",
        "analysis_year",
        "dimension",
        "sub_dimension",
        "category",
        "data_point_id",
        "kpi_name",
        "unit",
        "direction",
        "value",
        "source_year",
        "confidential",
        "target",
        "reference_kind",
        "target_source",
        "attainment_pct",
        "pct_of_target",
        "state",
        "points",
        "peer_grouping",
        "peer_group",
        "peer_n",
        "percentile",
        "suppressed",
        "trend_status",
    ]);
    let opt = |v: Option<f64>| v.map_or(Value::Null, |x| json!(x));
    for d in &s.dimensions {
        for sd in &d.sub_dimensions {
            for c in &sd.categories {
                for p in &c.data_points {
                    rows.push(vec![
                        json!(s.city.city_id),
                        json!(s.analysis_year),
                        json!(d.rollup.name),
                        json!(sd.rollup.name),
                        json!(c.rollup.name),
                        json!(p.data_point_id),
                        json!(p.name),
                        json!(p.unit),
                        json!(p.direction),
                        opt(p.value),
                        p.source_year.map_or(Value::Null, |y| json!(y)),
                        json!(p.confidential),
                        opt(p.target),
                        p.reference_kind.as_ref().map_or(Value::Null, |k| json!(k)),
                        p.target_source.as_ref().map_or(Value::Null, |t| json!(t)),
                        opt(p.attainment.map(|a| a * 100.0)),
                        opt(p.pct_of_target),
                        json!(p.state),
                        p.points.map_or(Value::Null, |x| json!(x)),
                        json!(s.peers.grouping),
                        s.peers.group.as_ref().map_or(Value::Null, |g| json!(g)),
                        p.peer_n.map_or(Value::Null, |x| json!(x)),
                        opt(p.percentile),
                        json!(p.suppressed),
                        p.trend_status.as_ref().map_or(Value::Null, |t| json!(t)),
                    ]);
                }
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(use_colour(true, None));
        assert!(use_colour(true, Some(OsStr::new(""))));
        assert!(!use_colour(true, Some(OsStr::new("1"))));
        assert!(!use_colour(false, None));
    }

    #[test]
    fn shares_never_round_up_to_a_band_edge() {
        assert_eq!(pct_text(94.83), "94.8");
        assert_eq!(pct_text(94.99), "94.9");
        assert_eq!(pct_text(95.0), "95");
        // 0.95 of a target up to float error is in the 95 %+ band: shown as 95
        assert_eq!(pct_text(94.999_999_999_9), "95");
        assert_eq!(pct_text(100.0), "100");
        assert_eq!(pct_text(33.0), "33");
        assert_eq!(pct_text(65.99), "65.9");
    }

    #[test]
    fn cells_are_cut_with_an_ellipsis() {
        assert_eq!(cut("Household Internet Access", 10), "Household…");
        assert_eq!(cut("short", 10), "short");
    }

    #[test]
    fn a_cut_name_keeps_its_qualifier() {
        assert_eq!(
            cut_name("Solid Waste Treatment: Landfill", 24),
            "Solid Waste T…: Landfill"
        );
        assert_eq!(
            cut_name("Wireless Broadband Coverage: 4G", 24),
            "Wireless Broadband…: 4G"
        );
        // no room for the KPI name: the qualifier alone, its last word kept
        assert_eq!(
            cut_name("Open Data: Open data sets published as a share", 24),
            "…: Open data sets… share"
        );
        // the mode shares stay apart in a 22-character column
        assert_eq!(
            cut_name("Transportation Mode Share: Public Transport", 22),
            "Tra…: Public Transport"
        );
        assert_eq!(
            cut_name("Transportation Mode Share: Para Transport", 22),
            "Trans…: Para Transport"
        );
        assert_eq!(cut_name("Unemployment Rate", 24), "Unemployment Rate");
        assert_eq!(
            cut_name("Electricity System Outage Frequency", 24),
            "Electricity S… Frequency"
        );
        assert_eq!(
            cut_name("Electricity System Outage Time", 24),
            "Electricity System… Time"
        );
        // a long last word: cut at the end
        assert_eq!(cut_name("Abcdefghij Klmnopqrstuvwxyz", 12), "Abcdefghij…");
    }
}
