//! Inline SVG charts for the report: the snapshot wheel, peer-position strips and trend
//! sparklines. Pure functions from data to markup; every chart carries a text alternative
//! (`role="img"`, `<title>`, `<desc>`, a `<title>` per mark).

use std::fmt::Write as _;

use super::{Band, DataPointRow, Snapshot, fmt_num};
use crate::text::esc;

/// A band as a CSS-safe token (`data-band`).
pub fn band_token(b: Band) -> &'static str {
    match b {
        Band::Target95 => "target95",
        Band::Target66 => "target66",
        Band::Target33 => "target33",
        Band::Below33 => "below33",
        Band::NoData => "no_data",
        Band::NoTarget => "no_target",
    }
}

fn polar(cx: f64, cy: f64, r: f64, deg: f64) -> (f64, f64) {
    let a = (deg - 90.0).to_radians();
    (cx + r * a.cos(), cy + r * a.sin())
}

/// The path of an annulus sector between angles `a0` and `a1` (degrees clockwise from the
/// top) and radii `r0` < `r1`. A full circle is drawn as 359.99 degrees.
pub fn sector(cx: f64, cy: f64, r0: f64, r1: f64, a0: f64, a1: f64) -> String {
    let a1 = if a1 - a0 >= 360.0 { a0 + 359.99 } else { a1 };
    let large = i32::from(a1 - a0 > 180.0);
    let (x0, y0) = polar(cx, cy, r1, a0);
    let (x1, y1) = polar(cx, cy, r1, a1);
    let (x2, y2) = polar(cx, cy, r0, a1);
    let (x3, y3) = polar(cx, cy, r0, a0);
    format!(
        "M{x0:.2} {y0:.2}A{r1} {r1} 0 {large} 1 {x1:.2} {y1:.2}L{x2:.2} {y2:.2}A{r0} {r0} 0 {large} 0 {x3:.2} {y3:.2}Z"
    )
}

fn score_text(score: Option<f64>) -> String {
    score
        .map(|s| format!("{} % of points", fmt_num(s * 100.0, 3)))
        .unwrap_or_else(|| "not scored".into())
}

/// The snapshot wheel: dimensions (inner ring) -> categories -> data points (outer ring),
/// each segment coloured by its band; every data point of the catalogue gets the same
/// angle. Categories without any value are drawn as "no data".
pub fn wheel(s: &Snapshot) -> String {
    let (cx, cy) = (270.0, 270.0);
    let n = s.data_points().count().max(1) as f64;
    let step = 360.0 / n;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="wheel" viewBox="0 0 540 540" width="540" height="540" role="img" aria-labelledby="wheel-title wheel-desc" xmlns="http://www.w3.org/2000/svg"><title id="wheel-title">Snapshot wheel of {name}</title><desc id="wheel-desc">Inner ring: the {nd} dimensions; middle ring: the {nc} categories; outer ring: the {np} data points. Each segment is coloured by its share of target reached; the table below lists the same figures.</desc>"#,
        name = esc(&s.city.name),
        nd = s.dimensions.len(),
        nc = s.categories().count(),
        np = s.data_points().count(),
    );
    out.push_str(&hatch_defs(BENCHMARK_HATCH));
    let mut at = 0.0;
    let mut labels = String::new();
    // categories are numbered in wheel order; the roll-up table beside it uses the same
    // numbers as its key
    let mut key = 0;
    for d in &s.dimensions {
        let d0 = at;
        for sd in &d.sub_dimensions {
            for c in &sd.categories {
                let c0 = at;
                for p in &c.data_points {
                    let _ = write!(
                        out,
                        r#"<path class="segment data-point" data-band="{b}" fill="{f}" d="{path}"><title>{t}</title></path>"#,
                        b = band_token(p.band),
                        f = p.band.colour(),
                        path = sector(cx, cy, 185.0, 250.0, at, at + step),
                        t = esc(&format!(
                            "{} ({}): {}{}",
                            p.name,
                            p.data_point_id,
                            p.state,
                            if is_benchmark(p) {
                                " (against a benchmark)"
                            } else {
                                ""
                            }
                        )),
                    );
                    if is_benchmark(p) {
                        let _ = write!(
                            out,
                            r#"<path class="benchmark-mark" fill="url(#{BENCHMARK_HATCH})" d="{path}" aria-hidden="true"/>"#,
                            path = sector(cx, cy, 185.0, 250.0, at, at + step),
                        );
                    }
                    at += step;
                }
                let has_data = c.data_points.iter().any(|p| p.value.is_some());
                let band = if has_data {
                    c.rollup.band
                } else {
                    Band::NoData
                };
                let _ = write!(
                    out,
                    r#"<path class="segment category" data-band="{b}" data-has-data="{has_data}" fill="{f}" d="{path}"><title>{t}</title></path>"#,
                    b = band_token(band),
                    f = band.colour(),
                    path = sector(cx, cy, 120.0, 183.0, c0, at),
                    t = esc(&format!(
                        "{key1} {} / {}: {}, coverage {}/{}",
                        sd.rollup.name,
                        c.rollup.name,
                        score_text(c.rollup.score),
                        c.rollup.scored,
                        c.rollup.items,
                        key1 = key + 1,
                    )),
                );
                key += 1;
                // the key number in the middle of the segment, where it fits (about 7 degrees)
                if at - c0 >= 7.0 {
                    let (kx, ky) = polar(cx, cy, 151.0, (c0 + at) / 2.0);
                    let _ = write!(
                        labels,
                        r#"<text x="{kx:.1}" y="{ky:.1}" class="ring-key" text-anchor="middle" dominant-baseline="middle" aria-hidden="true">{key}</text>"#
                    );
                }
            }
        }
        let _ = write!(
            out,
            r#"<path class="segment dimension" data-band="{b}" fill="{f}" d="{path}"><title>{t}</title></path>"#,
            b = band_token(d.rollup.band),
            f = d.rollup.band.colour(),
            path = sector(cx, cy, 62.0, 118.0, d0, at),
            t = esc(&format!(
                "{}: {}, coverage {}/{}",
                d.rollup.name,
                score_text(d.rollup.score),
                d.rollup.scored,
                d.rollup.items
            )),
        );
        let (lx, ly) = polar(cx, cy, 90.0, (d0 + at) / 2.0);
        let short: String = d
            .rollup
            .name
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        let _ = write!(
            labels,
            r#"<text x="{lx:.1}" y="{ly:.1}" class="ring-label" text-anchor="middle" dominant-baseline="middle" aria-hidden="true">{}</text>"#,
            esc(&short)
        );
    }
    out.push_str(&labels);
    let overall = s
        .overall
        .as_ref()
        .and_then(|o| o.score)
        .map(|x| format!("{} %", fmt_num(x * 100.0, 3)))
        .unwrap_or_else(|| "–".into());
    let _ = write!(
        out,
        r#"<text x="{cx}" y="{y1}" class="centre-value" text-anchor="middle" aria-hidden="true">{overall}</text><text x="{cx}" y="{y2}" class="centre-label" text-anchor="middle" aria-hidden="true">overall</text></svg>"#,
        y1 = cy + 2.0,
        y2 = cy + 20.0,
    );
    out
}

/// The id of the hatch pattern marking data points scored against a benchmark.
const BENCHMARK_HATCH: &str = "benchmark-hatch";

/// Whether a data point was scored against a benchmark (not a normative target).
fn is_benchmark(p: &DataPointRow) -> bool {
    p.reference_kind.as_deref() == Some(crate::pipeline::attainment::KIND_BENCHMARK)
        && p.points.is_some()
}

/// A white diagonal hatch drawn over a segment's colour (the colour stays readable).
fn hatch_defs(id: &str) -> String {
    format!(
        r##"<defs><pattern id="{id}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="2.2" height="6" fill="#ffffff" fill-opacity="0.6"/></pattern></defs>"##
    )
}

/// The legend: all six states with their colours, and the hatch of a benchmark.
pub fn legend() -> String {
    let mut out = String::from(r#"<ul class="legend" aria-label="Legend">"#);
    for b in Band::ALL {
        let _ = write!(
            out,
            r#"<li><svg width="14" height="14" aria-hidden="true"><rect width="14" height="14" fill="{}"/></svg> {}</li>"#,
            b.colour(),
            esc(b.legend())
        );
    }
    let _ = write!(
        out,
        r#"<li><svg width="14" height="14" aria-hidden="true">{}<rect width="14" height="14" fill="{}"/><rect width="14" height="14" fill="url(#legend-hatch)"/></svg> hatched: scored against a benchmark (the best cities' level, computed each run), where no normative target exists</li>"#,
        hatch_defs("legend-hatch"),
        Band::Target66.colour()
    );
    out.push_str("</ul>");
    out
}

/// A peer group's published distribution for one data point.
#[derive(Debug, Clone, Default)]
pub struct Distribution {
    /// Values the statistics use (not confidential).
    pub n: i64,
    /// Confidential values left out of the statistics.
    pub n_confidential: i64,
    pub suppressed: bool,
    pub min: Option<f64>,
    pub p25: Option<f64>,
    pub median: Option<f64>,
    pub p75: Option<f64>,
    pub max: Option<f64>,
}

/// ", 2 confidential left out" (nothing when none was).
fn left_out(n_confidential: i64) -> String {
    if n_confidential > 0 {
        format!(", {n_confidential} confidential left out")
    } else {
        String::new()
    }
}

/// Strip chart of one category: per data point a line from the peers' minimum to maximum,
/// a box over the middle half (p25-p75), the median, the target and the city. The axis of
/// each strip runs from worse (left) to better (right), so lower-is-better strips are
/// reversed. `None` when no data point of the category can be drawn.
pub fn strips(
    city: &str,
    title: &str,
    rows: &[(&DataPointRow, Option<&Distribution>)],
) -> Option<String> {
    // label, chart, and the figures beside each strip (the city's value and the median)
    let (label_w, chart_w, figs_w, row_h) = (250.0, 300.0, 150.0, 30.0);
    let drawable: Vec<_> = rows
        .iter()
        .filter(|(p, dist)| {
            p.value.is_some()
                && matches!(p.direction.as_str(), "higher_better" | "lower_better")
                && dist.is_some_and(|d| !d.suppressed && d.min.is_some() && d.max.is_some())
        })
        .collect();
    let skipped: Vec<_> = rows
        .iter()
        .filter(|(p, d)| {
            p.value.is_some()
                && matches!(p.direction.as_str(), "higher_better" | "lower_better")
                && d.is_some_and(|d| d.suppressed)
        })
        .collect();
    if drawable.is_empty() && skipped.is_empty() {
        return None;
    }
    let h = (drawable.len() + skipped.len()) as f64 * row_h + 24.0;
    let w = label_w + chart_w + figs_w;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="strip" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{al}" xmlns="http://www.w3.org/2000/svg">"#,
        al = esc(&format!(
            "{title}: where {city} stands among its peers, one strip per data point"
        )),
    );
    let _ = write!(
        out,
        r#"<text x="0" y="14" class="axis-note">worse ← → better · line: peers' range · box: middle half · bar: median · ● {c} · ┆ target</text>"#,
        c = esc(city)
    );
    let mut y = 24.0;
    for (p, dist) in drawable {
        let d = dist.expect("filtered");
        let (lo, hi) = (d.min.expect("filtered"), d.max.expect("filtered"));
        let v = p.value.expect("filtered");
        let mut a = lo.min(v);
        let mut b = hi.max(v);
        if let Some(t) = p.target {
            a = a.min(t);
            b = b.max(t);
        }
        if b - a <= 0.0 {
            a -= 1.0;
            b += 1.0;
        }
        let reversed = p.direction == "lower_better";
        let x = |val: f64| {
            let f = (val - a) / (b - a);
            let f = if reversed { 1.0 - f } else { f };
            label_w + 10.0 + f * (chart_w - 20.0)
        };
        let mid = y + row_h / 2.0;
        let desc = format!(
            "{}: {} {} {}; peers (n = {}{}) median {}, middle half {}–{}, range {}–{}{}{}",
            p.name,
            city,
            fmt_num(v, 4),
            p.unit_symbol,
            d.n,
            left_out(d.n_confidential),
            d.median.map(|m| fmt_num(m, 4)).unwrap_or_default(),
            d.p25.map(|m| fmt_num(m, 4)).unwrap_or_default(),
            d.p75.map(|m| fmt_num(m, 4)).unwrap_or_default(),
            fmt_num(lo, 4),
            fmt_num(hi, 4),
            p.target
                .map(|t| format!("; target {}", fmt_num(t, 4)))
                .unwrap_or_default(),
            p.percentile
                .map(|q| format!("; percentile {q:.0}"))
                .unwrap_or_default(),
        );
        let _ = write!(
            out,
            r#"<g class="strip-row" data-data-point="{dp}"><title>{t}</title>{label}<line x1="{x0:.1}" x2="{x1:.1}" y1="{mid:.1}" y2="{mid:.1}" class="range"/>"#,
            dp = esc(&p.data_point_id),
            t = esc(&desc),
            label = strip_label(&p.name, mid),
            x0 = x(lo),
            x1 = x(hi),
        );
        // the figures: the city's value with its unit, and the peers' median
        let _ = write!(
            out,
            r#"<text x="{fx:.1}" y="{ty:.1}" class="axis-note"><tspan class="strip-value">{v} {u}</tspan>{m}</text>"#,
            fx = label_w + chart_w + 4.0,
            ty = if d.median.is_some() {
                mid - 2.0
            } else {
                mid + 4.0
            },
            v = esc(&fmt_num(v, 4)),
            u = esc(&p.unit_symbol),
            m = d
                .median
                .map(|m| format!(
                    r#"<tspan x="{:.1}" dy="12">median {}</tspan>"#,
                    label_w + chart_w + 4.0,
                    esc(&fmt_num(m, 4))
                ))
                .unwrap_or_default(),
        );
        if let (Some(q1), Some(q3)) = (d.p25, d.p75) {
            let (l, r) = (x(q1).min(x(q3)), x(q1).max(x(q3)));
            let _ = write!(
                out,
                r#"<rect x="{l:.1}" y="{yy:.1}" width="{ww:.1}" height="10" class="iqr"/>"#,
                yy = mid - 5.0,
                ww = (r - l).max(1.0)
            );
        }
        if let Some(m) = d.median {
            let _ = write!(
                out,
                r#"<line x1="{xm:.1}" x2="{xm:.1}" y1="{a:.1}" y2="{b:.1}" class="median"/>"#,
                xm = x(m),
                a = mid - 7.0,
                b = mid + 7.0
            );
        }
        if let Some(t) = p.target {
            let _ = write!(
                out,
                r#"<line x1="{xt:.1}" x2="{xt:.1}" y1="{a:.1}" y2="{b:.1}" class="target"/>"#,
                xt = x(t),
                a = mid - 10.0,
                b = mid + 10.0
            );
        }
        let _ = write!(
            out,
            r#"<circle cx="{xv:.1}" cy="{mid:.1}" r="5" class="city" fill="{f}"/></g>"#,
            xv = x(v),
            f = p.band.colour()
        );
        y += row_h;
    }
    for (p, dist) in skipped {
        let n = dist.map(|d| d.n).unwrap_or(0);
        let hidden = match dist.map(|d| d.n_confidential).unwrap_or(0) {
            0 => String::new(),
            1 => " (1 confidential value left out)".to_string(),
            c => format!(" ({c} confidential values left out)"),
        };
        let _ = write!(
            out,
            r#"<g class="strip-row suppressed">{label}<text x="{x}" y="{ty:.1}" class="axis-note">peer group of {n} below k: not shown{hidden}</text></g>"#,
            ty = y + row_h / 2.0 + 4.0,
            label = strip_label(&p.name, y + row_h / 2.0),
            x = label_w + 10.0,
        );
        y += row_h;
    }
    out.push_str("</svg>");
    Some(out)
}

/// Characters of a strip label line (12 px text in the 250 px label column).
const LABEL_LINE: usize = 38;

/// The lines of a strip label: the whole name, wrapped at spaces into at most two lines of
/// [`LABEL_LINE`] characters (a longer rest is cut with an ellipsis; the row's tooltip has
/// the whole name).
fn label_lines(name: &str) -> Vec<String> {
    let mut lines: Vec<String> = vec![String::new()];
    for word in name.split_whitespace() {
        let cur = lines.last_mut().expect("one line");
        if cur.is_empty() || cur.chars().count() + 1 + word.chars().count() <= LABEL_LINE {
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(word);
        } else {
            lines.push(word.to_string());
        }
    }
    if lines.len() > 2 {
        let rest = lines[1..].join(" ");
        lines.truncate(1);
        lines.push(rest);
    }
    for l in &mut lines {
        if l.chars().count() > LABEL_LINE {
            let cut: String = l.chars().take(LABEL_LINE - 1).collect();
            *l = format!("{}…", cut.trim_end());
        }
    }
    lines
}

/// A strip label centred on `mid`, on one or two lines.
fn strip_label(name: &str, mid: f64) -> String {
    let lines = label_lines(name);
    let first = if lines.len() == 1 {
        mid + 4.0
    } else {
        mid - 2.0
    };
    let mut out = format!(r#"<text x="0" y="{first:.1}" class="strip-label">"#);
    for (i, l) in lines.iter().enumerate() {
        if i == 0 {
            let _ = write!(out, "<tspan>{}</tspan>", esc(l));
        } else {
            let _ = write!(out, r#"<tspan x="0" dy="13">{}</tspan>"#, esc(l));
        }
    }
    out.push_str("</text>");
    out
}

/// A trend sparkline with the target as a dashed line; `None` below 3 years.
pub fn sparkline(p: &DataPointRow, series: &[(i32, f64)]) -> Option<String> {
    if series.len() < 3 {
        return None;
    }
    let (w, h, pad) = (180.0, 48.0, 6.0);
    let (y0, y1) = (series[0].0, series[series.len() - 1].0);
    let mut lo = series.iter().map(|s| s.1).fold(f64::INFINITY, f64::min);
    let mut hi = series.iter().map(|s| s.1).fold(f64::NEG_INFINITY, f64::max);
    if let Some(t) = p.target {
        lo = lo.min(t);
        hi = hi.max(t);
    }
    if hi - lo <= 0.0 {
        lo -= 1.0;
        hi += 1.0;
    }
    let span = (y1 - y0).max(1) as f64;
    let x = |yr: i32| pad + (yr - y0) as f64 / span * (w - 2.0 * pad);
    let y = |v: f64| h - pad - (v - lo) / (hi - lo) * (h - 2.0 * pad);
    let points: Vec<String> = series
        .iter()
        .map(|(yr, v)| format!("{:.1},{:.1}", x(*yr), y(*v)))
        .collect();
    let first = series[0].1;
    let last = series[series.len() - 1].1;
    let alt = format!(
        "{}: {y0}–{y1}, from {} to {} {}{}",
        p.name,
        fmt_num(first, 4),
        fmt_num(last, 4),
        p.unit_symbol,
        p.target
            .map(|t| format!("; target {}", fmt_num(t, 4)))
            .unwrap_or_default()
    );
    let mut out = format!(
        r#"<svg class="spark" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{a}" xmlns="http://www.w3.org/2000/svg">"#,
        a = esc(&alt)
    );
    if let Some(t) = p.target {
        let _ = write!(
            out,
            r#"<line x1="{pad}" x2="{x2}" y1="{ty:.1}" y2="{ty:.1}" class="target"/>"#,
            x2 = w - pad,
            ty = y(t)
        );
    }
    let _ = write!(
        out,
        r#"<polyline points="{}" class="series"/><circle cx="{cx:.1}" cy="{cy:.1}" r="3" class="last" fill="{f}"/></svg>"#,
        points.join(" "),
        cx = x(y1),
        cy = y(last),
        f = p.band.colour()
    );
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_labels_wrap_whole_names_onto_two_lines() {
        assert_eq!(
            label_lines("Household Internet Access"),
            ["Household Internet Access"]
        );
        assert_eq!(
            label_lines("Drainage / Storm Water System ICT Monitoring"),
            ["Drainage / Storm Water System ICT", "Monitoring"]
        );
        // a third line joins the second, cut with an ellipsis
        let l = label_lines(
            "Transportation Mode Share: Para Transport, with a very long qualifier that goes on and on",
        );
        assert_eq!(l.len(), 2);
        assert_eq!(l[0], "Transportation Mode Share: Para");
        assert!(
            l[1].ends_with('…') && l[1].chars().count() == LABEL_LINE,
            "{l:?}"
        );
        assert_eq!(
            strip_label("A b", 10.0),
            r#"<text x="0" y="14.0" class="strip-label"><tspan>A b</tspan></text>"#
        );
    }

    #[test]
    fn sectors_start_at_the_top_and_go_clockwise() {
        // a quarter from 12 to 3 o'clock, radii 10..20 around (0, 0)
        assert_eq!(
            sector(0.0, 0.0, 10.0, 20.0, 0.0, 90.0),
            "M0.00 -20.00A20 20 0 0 1 20.00 0.00L10.00 0.00A10 10 0 0 0 0.00 -10.00Z"
        );
        // more than half a turn sets the large-arc flag; a full turn stays drawable
        assert!(sector(0.0, 0.0, 10.0, 20.0, 0.0, 270.0).contains(" 0 1 1 "));
        assert!(sector(0.0, 0.0, 10.0, 20.0, 0.0, 360.0).contains(" 0 1 1 "));
    }

    #[test]
    fn escaping() {
        assert_eq!(esc(r#"a<b>&"c"'"#), "a&lt;b&gt;&amp;&quot;c&quot;&#39;");
    }
}
