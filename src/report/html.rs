//! The static report: one self-contained HTML page (inline CSS and SVG, no script, no
//! network fetch; works from a file:// URL) that prints on A4.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::svg::{self, Distribution};
use super::{Results, Snapshot, fmt_num, snapshot::rollup_line, status_text};
use crate::error::Result;
use crate::text::esc;

/// What the charts need beyond the snapshot: each data point's yearly values and its peer
/// group's distribution.
#[derive(Debug, Default)]
pub struct ChartData {
    pub series: HashMap<String, Vec<(i32, f64)>>,
    pub distributions: HashMap<String, Distribution>,
    /// The maturity section: per dimension (dimension, level, min, median, data points,
    /// counts at levels 0..5) and per data point.
    pub maturity: Vec<MaturityRow>,
    pub maturity_points: Vec<MaturityPoint>,
}

/// One dimension's Y.4904 KPI-performance maturity.
#[derive(Debug, Clone)]
pub struct MaturityRow {
    pub dimension: String,
    pub level: Option<i64>,
    pub median: Option<f64>,
    pub data_points: i64,
    pub at_level: [i64; 6],
    pub rule: String,
}

/// One data point's maturity level and next milestone.
#[derive(Debug, Clone)]
pub struct MaturityPoint {
    pub data_point_id: String,
    pub name: String,
    pub value: Option<f64>,
    pub level: i64,
    pub next_level: Option<i64>,
    pub next_target: Option<f64>,
    pub gap: Option<f64>,
    /// Which matrix applied (`attainment`, `workspace`, `city`) and its source.
    pub scope: String,
    pub source: String,
}

/// Load the chart data for a snapshot.
pub fn chart_data(res: &Results, s: &Snapshot) -> Result<ChartData> {
    let mut out = ChartData::default();
    let (file, sql) = super::CITY_SERIES;
    let year = s.analysis_year.to_string();
    for r in res
        .warehouse
        .query_params(file, sql, &[&s.city.city_id, &year])?
        .records()
    {
        if let (Some(dp), Some(y), Some(v)) =
            (r.str("data_point_id"), r.i64("year"), r.f64("value"))
        {
            out.series.entry(dp).or_default().push((y as i32, v));
        }
    }
    let (file, sql) = super::CITY_MATURITY;
    for r in res
        .warehouse
        .query_params(file, sql, &[&s.city.city_id])?
        .records()
    {
        let at = |l: usize| r.i64(crate::schema::derived::AT_LEVEL[l]).unwrap_or(0);
        out.maturity.push(MaturityRow {
            dimension: r.str("dimension").unwrap_or_default(),
            level: r.i64("maturity_level"),
            median: r.f64("level_median"),
            data_points: r.i64("data_points").unwrap_or(0),
            at_level: [at(0), at(1), at(2), at(3), at(4), at(5)],
            rule: r.str("rollup_rule").unwrap_or_default(),
        });
    }
    let (file, sql) = super::CITY_MATURITY_LEVELS;
    for r in res
        .warehouse
        .query_params(file, sql, &[&s.city.city_id])?
        .records()
    {
        out.maturity_points.push(MaturityPoint {
            data_point_id: r.str("data_point_id").unwrap_or_default(),
            name: r.str("kpi_name").unwrap_or_default(),
            value: r.f64("value"),
            level: r.i64("maturity_level").unwrap_or(0),
            next_level: r.i64("next_level"),
            next_target: r.f64("next_target"),
            gap: r.f64("gap_next"),
            scope: r.str("matrix_scope").unwrap_or_default(),
            source: r.str("matrix_source").unwrap_or_default(),
        });
    }
    if let Some(group) = &s.peers.group {
        let (file, sql) = super::PEER_DISTRIBUTION;
        for r in res
            .warehouse
            .query_params(file, sql, &[&s.peers.grouping, group])?
            .records()
        {
            out.distributions.insert(
                r.str("data_point_id").unwrap_or_default(),
                Distribution {
                    n: r.i64("n").unwrap_or(0),
                    n_confidential: r.i64("n_confidential").unwrap_or(0),
                    suppressed: r.flag("suppressed"),
                    min: r.f64("min"),
                    p25: r.f64("p25"),
                    median: r.f64("median"),
                    p75: r.f64("p75"),
                    max: r.f64("max"),
                },
            );
        }
    }
    Ok(out)
}

const CSS: &str = r#"
:root { color: #1a1a1a; background: #fff; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 14px; line-height: 1.4; }
body { max-width: 190mm; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.25em; border-bottom: 2px solid #1a1a1a; padding-bottom: 2px; margin-top: 28px; }
h3 { font-size: 1.05em; margin: 16px 0 4px; }
.meta { color: #444; margin: 0; }
.overall { font-size: 1.1em; margin: 8px 0; }
.snapshot { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
svg { max-width: 100%; height: auto; }
svg .ring-label { font-size: 10px; fill: #fff; font-weight: 600; }
svg .ring-key { font-size: 9px; fill: #fff; font-weight: 600; }
svg .centre-value { font-size: 28px; font-weight: 700; fill: #1a1a1a; }
svg .centre-label { font-size: 12px; fill: #444; }
svg path.segment { stroke: #fff; stroke-width: 0.6; }
.legend { list-style: none; padding: 0; margin: 0; }
.legend li { margin: 4px 0; display: flex; align-items: center; gap: 6px; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 12px; font-size: 0.92em; }
th, td { border-bottom: 1px solid #ccc; padding: 3px 6px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.band { display: inline-block; padding: 0 6px; border-radius: 3px; color: #fff; white-space: nowrap; }
svg .strip-label { font-size: 12px; fill: #1a1a1a; }
svg .axis-note { font-size: 11px; fill: #444; }
svg .strip-value { font-weight: 600; fill: #1a1a1a; }
svg .range { stroke: #767676; stroke-width: 1.5; }
svg .iqr { fill: #c8c8c8; stroke: #767676; }
svg .median { stroke: #1a1a1a; stroke-width: 2; }
svg .target, .spark .target { stroke: #1a1a1a; stroke-width: 1.2; stroke-dasharray: 3 2; }
svg .city { stroke: #1a1a1a; stroke-width: 1; }
.spark .series { fill: none; stroke: #1a1a1a; stroke-width: 1.5; }
.sparks { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 10px 16px; }
.sparks figure { margin: 0; }
.sparks figcaption { font-size: 0.85em; }
footer { margin-top: 28px; border-top: 1px solid #999; padding-top: 8px; font-size: 0.85em; color: #333; }
@page { size: A4; margin: 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  h2 { break-after: avoid; }
  figure, .strip, .snapshot, tr { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"#;

fn band_badge(colour: &str, text: &str) -> String {
    format!(
        r#"<span class="band" style="background:{colour}">{}</span>"#,
        esc(text)
    )
}

/// The report page.
pub fn render(s: &Snapshot, charts: &ChartData) -> String {
    let mut o = String::new();
    let c = &s.city;
    let title = format!("{} — city snapshot {}", c.name, s.analysis_year);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{CSS}</style></head><body>",
        esc(&title)
    );
    let mut place: Vec<String> = Vec::new();
    place.extend(c.country_iso3.clone());
    place.extend(c.continent.clone());
    place.extend(c.population.map(|p| format!("population {p}")));
    let peers = match &s.peers.group {
        Some(g) => format!("{} = {g}", s.peers.grouping),
        None => s.peers.grouping.clone(),
    };
    let _ = write!(
        o,
        "<header><h1>{}</h1><p class=\"meta\">{} · city id {}</p><p class=\"meta\">Analysis year {} (latest value from {}–{}) · peers: {} (statistics shown only for groups of at least {})</p>",
        esc(&c.name),
        esc(&place.join(" · ")),
        esc(&c.city_id),
        s.analysis_year,
        s.analysis_year - s.lookback as i32,
        s.analysis_year,
        esc(&peers),
        s.peers.k
    );
    if !s.has_data {
        let _ = write!(
            o,
            "</header><main><p>{}</p></main>",
            esc(&super::snapshot::no_data_line(s))
        );
        footer(&mut o, s);
        o.push_str("</body></html>\n");
        return o;
    }
    if let Some(ov) = &s.overall {
        let _ = write!(
            o,
            "<p class=\"overall\">Overall: {} {}</p>",
            band_badge(ov.band.colour(), ov.band.short()),
            esc(&rollup_line(ov))
        );
    }
    o.push_str("</header><main>");

    // 1. the wheel, its legend and the roll-ups as a table (the wheel's text alternative)
    let _ = write!(
        o,
        "<section aria-labelledby=\"h-snapshot\"><h2 id=\"h-snapshot\">Snapshot</h2><div class=\"snapshot\">{}{}</div>",
        svg::wheel(s),
        svg::legend()
    );
    o.push_str("<table><caption class=\"meta\">Scores are points / (4 × scored KPIs); coverage = scored / KPIs with a direction; # is the category's number on the wheel's middle ring.</caption><thead><tr><th scope=\"col\">#</th><th scope=\"col\">dimension / category</th><th scope=\"col\">score</th><th scope=\"col\">state</th><th scope=\"col\">coverage</th></tr></thead><tbody>");
    let mut key = 0;
    for d in &s.dimensions {
        rollup_row(&mut o, &d.rollup, None);
        for sd in &d.sub_dimensions {
            for cat in &sd.categories {
                key += 1;
                rollup_row(&mut o, &cat.rollup, Some(key));
            }
        }
    }
    o.push_str("</tbody></table></section>");

    // 2. peer position per category
    let _ = write!(
        o,
        "<section aria-labelledby=\"h-peers\"><h2 id=\"h-peers\">Among its peers ({})</h2><p class=\"meta\">Each strip runs from worse (left) to better (right): the line is the peers' range, the grey box their middle half, the bar their median, the dashed tick the target and the dot {}.</p>",
        esc(&peers),
        esc(&c.name)
    );
    let mut any_strip = false;
    for (d, cat) in s.categories() {
        let rows: Vec<_> = cat
            .data_points
            .iter()
            .map(|p| (p, charts.distributions.get(&p.data_point_id)))
            .collect();
        // the whole path: category names repeat across sub-dimensions ("Water and
        // Sanitation" under ICT and under Infrastructure)
        let label = if cat.rollup.path.is_empty() {
            format!("{} / {}", d.rollup.name, cat.rollup.name)
        } else {
            cat.rollup.path.clone()
        };
        if let Some(chart) = svg::strips(&c.name, &label, &rows) {
            any_strip = true;
            let _ = write!(o, "<h3>{}</h3>{chart}", esc(&label));
        }
    }
    if !any_strip {
        o.push_str(
            "<p>No peer distribution to draw: the city has no value in a group of at least k.</p>",
        );
    }
    o.push_str("</section>");

    // 3. trends
    let _ = write!(
        o,
        "<section aria-labelledby=\"h-trends\"><h2 id=\"h-trends\">Trends</h2><p class=\"meta\">KPIs with at least 3 years of data; the dashed line is the target. Status towards {}.</p><div class=\"sparks\">",
        s.run.horizon_year
    );
    let mut any_spark = false;
    for p in s.data_points() {
        let Some(series) = charts.series.get(&p.data_point_id) else {
            continue;
        };
        if let Some(chart) = svg::sparkline(p, series) {
            any_spark = true;
            let (first, last) = (series[0], series[series.len() - 1]);
            let _ = write!(
                o,
                "<figure>{chart}<figcaption>{}<br>{}–{}: {} → {} {}<br>{}</figcaption></figure>",
                esc(&p.name),
                first.0,
                last.0,
                fmt_num(first.1, 4),
                fmt_num(last.1, 4),
                esc(&p.unit_symbol),
                esc(&p
                    .trend_status
                    .as_deref()
                    .map(status_text)
                    .unwrap_or_default())
            );
        }
    }
    o.push_str("</div>");
    if !any_spark {
        o.push_str("<p>No KPI has 3 or more years of data yet.</p>");
    }
    o.push_str("</section>");

    maturity_section(&mut o, charts);

    // 5. every data point
    o.push_str("<section aria-labelledby=\"h-all\"><h2 id=\"h-all\">All data points</h2>");
    for d in &s.dimensions {
        let _ = write!(o, "<h3>{}</h3>", esc(&d.rollup.name));
        o.push_str("<table><thead><tr><th scope=\"col\">KPI</th><th scope=\"col\">value</th><th scope=\"col\">unit</th><th scope=\"col\">year</th><th scope=\"col\">target (b = benchmark)</th><th scope=\"col\">% of target</th><th scope=\"col\">state</th><th scope=\"col\">percentile</th><th scope=\"col\">trend</th></tr></thead><tbody>");
        for sd in &d.sub_dimensions {
            for cat in &sd.categories {
                for p in &cat.data_points {
                    let num = |v: Option<f64>| v.map(|x| fmt_num(x, 4)).unwrap_or_default();
                    let pctl = if p.suppressed {
                        "suppressed (n < k)".to_string()
                    } else {
                        p.percentile.map(|x| format!("{x:.0}")).unwrap_or_default()
                    };
                    let _ = write!(
                        o,
                        "<tr><td>{}<br><small>{}</small></td><td class=\"num\">{}{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                        esc(&p.name),
                        esc(&p.data_point_id),
                        num(p.value),
                        if p.confidential && p.value.is_some() {
                            " (confidential)"
                        } else {
                            ""
                        },
                        esc(&p.unit_symbol),
                        p.source_year.map(|y| y.to_string()).unwrap_or_default(),
                        esc(&super::snapshot::reference_text(p)),
                        p.pct_of_target
                            .map(super::snapshot::pct_text)
                            .unwrap_or_default(),
                        state_badge(p),
                        pctl,
                        esc(&p
                            .trend_status
                            .as_deref()
                            .map(status_text)
                            .unwrap_or_default()),
                    );
                }
            }
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("</section></main>");
    footer(&mut o, s);
    o.push_str("</body></html>\n");
    o
}

/// Section 4: ITU-T Y.4904 maturity per dimension and per data point (as tables: they
/// are their own text alternative).
fn maturity_section(o: &mut String, charts: &ChartData) {
    if charts.maturity.is_empty() {
        return;
    }
    let names = crate::maturity::matrix::LEVEL_NAMES;
    let name = |l: Option<i64>| l.and_then(|l| names.get(l as usize)).copied().unwrap_or("");
    let rule = charts
        .maturity
        .first()
        .map(|m| m.rule.as_str())
        .unwrap_or("min");
    let _ = write!(
        o,
        "<section aria-labelledby=\"h-maturity\"><h2 id=\"h-maturity\">Maturity (ITU-T Y.4904)</h2><p class=\"meta\">Level of each data point: 0 no baseline, 1 Planning (a value without a target or benchmark), 2 Alignment, 3 Development, 4 Integration, 5 Optimization. Matrix <q>attainment</q>: the level is the U4SSC band against the data point's target or benchmark (<q>(b)</q>: a benchmark, not a normative target; 5 at 95%+, 4 at 66-95%, 3 at 33-66%, 2 below 33%; the next target is the next band edge); <q>workspace</q> or <q>city</q>: the highest interim target of the workspace's maturity_matrix.csv that the value meets. Per dimension the {} of its data points' levels.</p>",
        if rule == "min" {
            "lowest (the staircase)"
        } else {
            "median (rounded down)"
        }
    );
    o.push_str("<table><thead><tr><th scope=\"col\">dimension</th><th scope=\"col\">level</th><th scope=\"col\">median level</th><th scope=\"col\">data points</th><th scope=\"col\">at levels 0 / 1 / 2 / 3 / 4 / 5</th></tr></thead><tbody>");
    for m in &charts.maturity {
        let counts: Vec<String> = m.at_level.iter().map(|c| c.to_string()).collect();
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{} {}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&m.dimension),
            m.level.map(|l| l.to_string()).unwrap_or_default(),
            name(m.level),
            m.median.map(|x| fmt_num(x, 3)).unwrap_or_default(),
            m.data_points,
            counts.join(" / ")
        );
    }
    o.push_str("</tbody></table>");
    o.push_str("<table><thead><tr><th scope=\"col\">KPI</th><th scope=\"col\">value</th><th scope=\"col\">level</th><th scope=\"col\">next level</th><th scope=\"col\">its target</th><th scope=\"col\">gap (&gt; 0 = shortfall)</th><th scope=\"col\">matrix</th></tr></thead><tbody>");
    for p in &charts.maturity_points {
        let num = |v: Option<f64>| v.map(|x| fmt_num(x, 4)).unwrap_or_default();
        let _ = write!(
            o,
            "<tr><td>{}<br><small>{}</small></td><td class=\"num\">{}</td><td>{} {}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td title=\"{}\">{}</td></tr>",
            esc(&p.name),
            esc(&p.data_point_id),
            num(p.value),
            p.level,
            name(Some(p.level)),
            p.next_level
                .map(|l| format!("{l} {}", name(Some(l))))
                .unwrap_or_default(),
            num(p.next_target),
            num(p.gap),
            esc(&p.source),
            esc(&matrix_label(p))
        );
    }
    o.push_str("</tbody></table></section>");
}

/// The matrix cell of a data point: its scope, and in the attainment scope whether the
/// reference is a benchmark (`(b)`, as in the snapshot); the source is the tooltip.
fn matrix_label(p: &MaturityPoint) -> String {
    let benchmark = format!("{}benchmark:", crate::maturity::levels::ATTAINMENT_SOURCE);
    if p.source.starts_with(&benchmark) {
        format!("{} (b)", p.scope)
    } else {
        p.scope.clone()
    }
}

/// A data point's state as a short badge; the full label is its tooltip.
fn state_badge(p: &super::DataPointRow) -> String {
    let short = if p.state == crate::pipeline::attainment::STATE_NEUTRAL {
        "neutral"
    } else if crate::ingest::validate::is_statement_status(&p.state) {
        p.state.as_str()
    } else {
        p.band.short()
    };
    format!(
        r#"<span class="band" style="background:{}" title="{}">{}</span>"#,
        p.band.colour(),
        esc(&p.state),
        esc(short)
    )
}

/// A roll-up row: a dimension (`key` None) or a category with its wheel number.
fn rollup_row(o: &mut String, r: &super::Rollup, key: Option<usize>) {
    let (num, name) = match key {
        None => (String::new(), format!("<strong>{}</strong>", esc(&r.name))),
        Some(k) => (k.to_string(), format!("&emsp;{}", esc(&r.path))),
    };
    let _ = write!(
        o,
        "<tr><td class=\"num\">{num}</td><td>{name}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}/{}{}</td></tr>",
        r.score
            .map(|x| format!("{} %", fmt_num(x * 100.0, 3)))
            .unwrap_or_else(|| "–".into()),
        band_badge(r.band.colour(), r.band.short()),
        r.scored,
        r.items,
        if r.low_coverage { " (low)" } else { "" }
    );
}

fn footer(o: &mut String, s: &Snapshot) {
    let _ = write!(
        o,
        "<footer><p><strong>Methodology.</strong> Values are in canonical units, the latest within the look-back window; % of target is value / target (target / value when lower is better), capped at 100 % for the state: 95 %+ (4 points), 66–95 % (3), 33–66 % (2), below 33 % (1). Percentiles are direction-adjusted mid-ranks within the peer group; groups below k = {k} are suppressed. Trend status compares the observed least-squares slope with the slope needed to reach the target by {h}. Confidential values of other cities are never shown.</p><p>citybench {v} · run <code>{run}</code> · configuration SHA-256 <code>{cfg}</code> · attainment method {m}.</p></footer>",
        k = s.peers.k,
        h = s.run.horizon_year,
        v = esc(&s.run.engine_version),
        run = esc(&s.run.run_id),
        cfg = esc(&s.run.config_sha256),
        m = esc(&s.run.attainment_method),
    );
}
