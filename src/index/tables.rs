//! The index outputs as Polars frames (written to `derived/index_*.parquet`); missing
//! values (`NaN`) become nulls.

use polars::prelude::*;

use super::data::IndexData;
use super::diagnostics::{Extended, NodeDiagnostics};
use super::framework::{Framework, Kind};
use super::sensitivity::Sensitivity;
use super::stats;
use super::uncertainty::RankStats;
use super::{Built, Prepared};
use crate::error::{Error, Result};
use crate::schema::index as x;

fn opt(v: f64) -> Option<f64> {
    (!v.is_nan()).then_some(v)
}

fn rank(v: f64) -> Option<u32> {
    (!v.is_nan()).then_some(v as u32)
}

fn frame(name: &str, cols: Vec<Column>) -> Result<DataFrame> {
    let h = cols.first().map(|c| c.len()).unwrap_or(0);
    DataFrame::new(h, cols).map_err(|e| Error::polars(name, e))
}

/// `index_scores`: one row per included unit and node.
pub fn scores(fw: &Framework, data: &IndexData, built: &Built) -> Result<DataFrame> {
    let p = &built.prepared;
    let n = p.units.len() * fw.nodes.len();
    let (mut unit, mut uname, mut code, mut name) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut level, mut level_name, mut parent, mut weight) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut raw, mut imputed, mut treated, mut score, mut rnk) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for (ui, &u) in p.units.iter().enumerate() {
        for (k, node) in fw.nodes.iter().enumerate() {
            unit.push(data.units[u].as_str());
            uname.push(data.names[u].as_str());
            code.push(node.code.as_str());
            name.push(node.name.as_str());
            level.push(node.level);
            level_name.push(fw.level_name(node.level));
            parent.push(node.parent.as_deref());
            weight.push(node.weight);
            let ind = node.kind == Kind::Indicator;
            raw.push(if ind { opt(p.raw[k][ui]) } else { None });
            imputed.push(ind.then(|| p.imputed[k][ui]));
            treated.push(if ind { opt(p.treated[k][ui]) } else { None });
            score.push(opt(built.scores[k][ui]));
            rnk.push(rank(built.ranks[k][ui]));
        }
    }
    frame(
        "index_scores",
        vec![
            Column::new(x::UNIT_ID.into(), unit),
            Column::new(x::UNIT_NAME.into(), uname),
            Column::new(x::CODE.into(), code),
            Column::new(x::NAME.into(), name),
            Column::new(x::LEVEL.into(), level),
            Column::new(x::LEVEL_NAME.into(), level_name),
            Column::new(x::PARENT.into(), parent),
            Column::new(x::WEIGHT.into(), weight),
            Column::new(x::RAW.into(), raw),
            Column::new(x::IMPUTED.into(), imputed),
            Column::new(x::TREATED.into(), treated),
            Column::new(x::SCORE.into(), score),
            Column::new(x::RANK.into(), rnk),
        ],
    )
}

/// `index_ranks`: the rank of every included unit on every aggregate, overall
/// (grouping `all`) and within each group of each grouping (1 = highest, ties share the
/// smallest rank); `n` is the number of units ranked in the group.
pub fn ranks(
    fw: &Framework,
    data: &IndexData,
    built: &Built,
    groupings: &[(String, Vec<Option<String>>)],
) -> Result<DataFrame> {
    let p = &built.prepared;
    let (mut unit, mut uname, mut code, mut grouping, mut group) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut score, mut rnk, mut count) = (Vec::new(), Vec::new(), Vec::new());
    let all: Vec<Option<String>> = vec![Some("all".to_string()); data.units.len()];
    let mut sets: Vec<(&str, &Vec<Option<String>>)> = vec![("all", &all)];
    sets.extend(groupings.iter().map(|(g, v)| (g.as_str(), v)));
    for k in fw.aggregates().rev() {
        let s = &built.scores[k];
        for (gname, members) in &sets {
            // units of each group, in data order
            let mut by: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
            for (ui, &u) in p.units.iter().enumerate() {
                if let Some(gv) = &members[u] {
                    by.entry(gv.as_str()).or_default().push(ui);
                }
            }
            for (gv, uis) in by {
                let vals: Vec<f64> = uis.iter().map(|&ui| s[ui]).collect();
                let r = stats::rank_desc(&vals);
                let ranked = vals.iter().filter(|v| !v.is_nan()).count() as u32;
                for (j, &ui) in uis.iter().enumerate() {
                    let u = p.units[ui];
                    unit.push(data.units[u].clone());
                    uname.push(data.names[u].clone());
                    code.push(fw.nodes[k].code.clone());
                    grouping.push(gname.to_string());
                    group.push(gv.to_string());
                    score.push(opt(vals[j]));
                    rnk.push(rank(r[j]));
                    count.push(ranked);
                }
            }
        }
    }
    frame(
        "index_ranks",
        vec![
            Column::new(x::UNIT_ID.into(), unit),
            Column::new(x::UNIT_NAME.into(), uname),
            Column::new(x::CODE.into(), code),
            Column::new(x::GROUPING.into(), grouping),
            Column::new(x::GROUP.into(), group),
            Column::new(x::SCORE.into(), score),
            Column::new(x::RANK.into(), rnk),
            Column::new(x::N.into(), count),
        ],
    )
}

/// `index_units`: every unit of the data with its availability and whether screening
/// kept it.
pub fn units(
    data: &IndexData,
    p: &Prepared,
    threshold: f64,
    indicators: usize,
) -> Result<DataFrame> {
    let reason: Vec<Option<String>> = p
        .screening
        .iter()
        .map(|s| {
            let mut why = Vec::new();
            if s.low_data {
                why.push(format!(
                    "data for {} of {indicators} indicators ({:.1} %), below the availability threshold of {:.1} %",
                    s.present,
                    s.availability * 100.0,
                    threshold * 100.0
                ));
            }
            if s.low_non_zero {
                why.push(if s.present == 0 {
                    "no value, so no share of non-zero values ([index] nonzero_min)".to_string()
                } else {
                    format!(
                        "{} of its {} values are zero ({:.1} % non-zero), below [index] nonzero_min",
                        s.zeros,
                        s.present,
                        s.non_zero * 100.0
                    )
                });
            }
            (!s.included).then(|| why.join("; "))
        })
        .collect();
    frame(
        "index_units",
        vec![
            Column::new(x::UNIT_ID.into(), data.units.clone()),
            Column::new(x::UNIT_NAME.into(), data.names.clone()),
            Column::new(
                x::INDICATORS_PRESENT.into(),
                p.screening
                    .iter()
                    .map(|s| s.present as u32)
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                x::AVAILABILITY.into(),
                p.screening
                    .iter()
                    .map(|s| s.availability)
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                x::INCLUDED.into(),
                p.screening.iter().map(|s| s.included).collect::<Vec<_>>(),
            ),
            Column::new(x::REASON.into(), reason),
            Column::new(
                x::CONFIDENTIAL_ENTERED.into(),
                vec![data.confidential_entered > 0; data.units.len()],
            ),
        ],
    )
}

/// `index_diagnostics`: one row per node.
pub fn diagnostics(fw: &Framework, diags: &[NodeDiagnostics]) -> Result<DataFrame> {
    let node = |d: &NodeDiagnostics| &fw.nodes[d.node];
    let f = |g: fn(&NodeDiagnostics) -> f64| diags.iter().map(|d| opt(g(d))).collect::<Vec<_>>();
    let clipped = |high: bool| -> Vec<Option<u32>> {
        diags
            .iter()
            .map(|d| match node(d).kind {
                Kind::Aggregate => None,
                Kind::Indicator => {
                    let (h, l) = d.treatment.clipped_tails();
                    Some(if high { h } else { l } as u32)
                }
            })
            .collect()
    };
    frame(
        "index_diagnostics",
        vec![
            Column::new(
                x::CODE.into(),
                diags
                    .iter()
                    .map(|d| node(d).code.clone())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                x::NAME.into(),
                diags
                    .iter()
                    .map(|d| node(d).name.clone())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                x::LEVEL.into(),
                diags.iter().map(|d| node(d).level).collect::<Vec<_>>(),
            ),
            Column::new(
                x::LEVEL_NAME.into(),
                diags
                    .iter()
                    .map(|d| fw.level_name(node(d).level).to_string())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                x::PARENT.into(),
                diags
                    .iter()
                    .map(|d| node(d).parent.clone())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                x::WEIGHT.into(),
                diags.iter().map(|d| node(d).weight).collect::<Vec<_>>(),
            ),
            Column::new(
                x::DIRECTION.into(),
                diags
                    .iter()
                    .map(|d| (node(d).kind == Kind::Indicator).then_some(node(d).direction as i32))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                x::N.into(),
                diags.iter().map(|d| d.n as u32).collect::<Vec<_>>(),
            ),
            Column::new(x::AVAILABILITY.into(), f(|d| d.availability)),
            Column::new(x::MIN.into(), f(|d| d.min)),
            Column::new(x::MAX.into(), f(|d| d.max)),
            Column::new(x::MEAN.into(), f(|d| d.mean)),
            Column::new(x::MEDIAN.into(), f(|d| d.median)),
            Column::new(x::SD.into(), f(|d| d.sd)),
            Column::new(x::SKEW.into(), f(|d| d.skew)),
            Column::new(x::KURTOSIS.into(), f(|d| d.kurtosis)),
            Column::new(
                x::TREATMENT.into(),
                diags
                    .iter()
                    .map(|d| (node(d).kind == Kind::Indicator).then(|| d.treatment.as_str()))
                    .collect::<Vec<_>>(),
            ),
            Column::new(x::CLIPPED_HIGH.into(), clipped(true)),
            Column::new(x::CLIPPED_LOW.into(), clipped(false)),
            Column::new(x::SKEW_TREATED.into(), f(|d| d.skew_treated)),
            Column::new(x::KURTOSIS_TREATED.into(), f(|d| d.kurtosis_treated)),
            Column::new(x::PEARSON_PARENT.into(), f(|d| d.pearson_parent)),
            Column::new(x::SPEARMAN_PARENT.into(), f(|d| d.spearman_parent)),
            Column::new(
                x::REMOVAL_MEAN_RANK_CHANGE.into(),
                f(|d| d.removal_mean_rank_change),
            ),
            Column::new(
                x::REMOVAL_MAX_RANK_CHANGE.into(),
                f(|d| d.removal_max_rank_change),
            ),
            Column::new(
                x::WINSORISE_ATTEMPTED.into(),
                diags
                    .iter()
                    .map(|d| d.attempt.map(|a| (a.high + a.low) as u32))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                x::SKEW_WINSORISED.into(),
                diags
                    .iter()
                    .map(|d| d.attempt.and_then(|a| opt(a.skew)))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                x::KURTOSIS_WINSORISED.into(),
                diags
                    .iter()
                    .map(|d| d.attempt.and_then(|a| opt(a.kurtosis)))
                    .collect::<Vec<_>>(),
            ),
        ],
    )
}

/// `index_uncertainty`: one row per included unit.
pub fn uncertainty(
    fw: &Framework,
    data: &IndexData,
    built: &Built,
    rs: &[RankStats],
    samples: usize,
) -> Result<DataFrame> {
    let p = &built.prepared;
    let f = |g: fn(&RankStats) -> f64| rs.iter().map(|r| opt(g(r))).collect::<Vec<_>>();
    frame(
        "index_uncertainty",
        vec![
            Column::new(
                x::UNIT_ID.into(),
                p.units
                    .iter()
                    .map(|&u| data.units[u].clone())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                x::UNIT_NAME.into(),
                p.units
                    .iter()
                    .map(|&u| data.names[u].clone())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                x::NOMINAL_SCORE.into(),
                built.scores[fw.root]
                    .iter()
                    .map(|v| opt(*v))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                x::NOMINAL_RANK.into(),
                rs.iter().map(|r| rank(r.nominal_rank)).collect::<Vec<_>>(),
            ),
            Column::new(x::MEDIAN_RANK.into(), f(|r| r.median_rank)),
            Column::new(x::MEAN_RANK.into(), f(|r| r.mean_rank)),
            Column::new(x::RANK_P05.into(), f(|r| r.p05)),
            Column::new(x::RANK_P95.into(), f(|r| r.p95)),
            Column::new(x::RANK_INTERVAL.into(), f(|r| r.p95 - r.p05)),
            Column::new(x::SAMPLES.into(), vec![samples as u32; rs.len()]),
        ],
    )
}

/// `index_correlations`: every pair of siblings with its correlation and flag.
pub fn correlations(fw: &Framework, e: &Extended) -> Result<DataFrame> {
    let code = |k: usize| fw.nodes[k].code.clone();
    let r = &e.pairs;
    frame(
        "index_correlations",
        vec![
            Column::new(
                x::PARENT.into(),
                r.iter().map(|c| code(c.parent)).collect::<Vec<_>>(),
            ),
            Column::new(
                x::LEVEL.into(),
                r.iter().map(|c| fw.nodes[c.a].level).collect::<Vec<_>>(),
            ),
            Column::new(
                x::CODE_1.into(),
                r.iter().map(|c| code(c.a)).collect::<Vec<_>>(),
            ),
            Column::new(
                x::CODE_2.into(),
                r.iter().map(|c| code(c.b)).collect::<Vec<_>>(),
            ),
            Column::new(
                x::N.into(),
                r.iter().map(|c| c.n as u32).collect::<Vec<_>>(),
            ),
            Column::new(
                x::PEARSON.into(),
                r.iter().map(|c| opt(c.pearson)).collect::<Vec<_>>(),
            ),
            Column::new(
                x::SPEARMAN.into(),
                r.iter().map(|c| opt(c.spearman)).collect::<Vec<_>>(),
            ),
            Column::new(x::FLAG.into(), r.iter().map(|c| c.flag).collect::<Vec<_>>()),
        ],
    )
}

/// `index_aggregates`: Cronbach's alpha and the first principal component per aggregate.
pub fn aggregates(fw: &Framework, e: &Extended) -> Result<DataFrame> {
    let r = &e.aggregates;
    frame(
        "index_aggregates",
        vec![
            Column::new(
                x::CODE.into(),
                r.iter()
                    .map(|a| fw.nodes[a.node].code.clone())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                x::NAME.into(),
                r.iter()
                    .map(|a| fw.nodes[a.node].name.clone())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                x::LEVEL.into(),
                r.iter().map(|a| fw.nodes[a.node].level).collect::<Vec<_>>(),
            ),
            Column::new(
                x::CHILDREN.into(),
                r.iter().map(|a| a.children as u32).collect::<Vec<_>>(),
            ),
            Column::new(
                x::CRONBACH_ALPHA.into(),
                r.iter().map(|a| opt(a.cronbach_alpha)).collect::<Vec<_>>(),
            ),
            Column::new(
                x::PCA_UNITS.into(),
                r.iter().map(|a| a.pca_units as u32).collect::<Vec<_>>(),
            ),
            Column::new(
                x::PC1_EIGENVALUE.into(),
                r.iter().map(|a| opt(a.pc1_eigenvalue)).collect::<Vec<_>>(),
            ),
            Column::new(
                x::PC1_VARIANCE_SHARE.into(),
                r.iter()
                    .map(|a| opt(a.pc1_variance_share))
                    .collect::<Vec<_>>(),
            ),
        ],
    )
}

/// `index_denominator_correlations`: every indicator against every denominator.
pub fn denominator_correlations(fw: &Framework, e: &Extended) -> Result<DataFrame> {
    let r = &e.denominators;
    frame(
        "index_denominator_correlations",
        vec![
            Column::new(
                x::CODE.into(),
                r.iter()
                    .map(|d| fw.nodes[d.indicator].code.clone())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                x::DENOMINATOR.into(),
                r.iter().map(|d| d.denominator.clone()).collect::<Vec<_>>(),
            ),
            Column::new(
                x::N.into(),
                r.iter().map(|d| d.n as u32).collect::<Vec<_>>(),
            ),
            Column::new(
                x::PEARSON.into(),
                r.iter().map(|d| opt(d.pearson)).collect::<Vec<_>>(),
            ),
            Column::new(
                x::FLAGGED.into(),
                r.iter().map(|d| d.flagged).collect::<Vec<_>>(),
            ),
        ],
    )
}

/// `index_unit_diagnostics`: missing values, zeros and imputed cells per ranked unit.
pub fn unit_diagnostics(data: &IndexData, p: &Prepared, e: &Extended) -> Result<DataFrame> {
    let r = &e.units;
    let unit = |u: usize| p.units[u];
    frame(
        "index_unit_diagnostics",
        vec![
            Column::new(
                x::UNIT_ID.into(),
                r.iter()
                    .map(|d| data.units[unit(d.unit)].clone())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                x::UNIT_NAME.into(),
                r.iter()
                    .map(|d| data.names[unit(d.unit)].clone())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                x::N_MISSING.into(),
                r.iter().map(|d| d.missing as u32).collect::<Vec<_>>(),
            ),
            Column::new(
                x::N_ZERO.into(),
                r.iter().map(|d| d.zeros as u32).collect::<Vec<_>>(),
            ),
            Column::new(
                x::NON_ZERO_SHARE.into(),
                r.iter().map(|d| opt(d.non_zero_share)).collect::<Vec<_>>(),
            ),
            Column::new(
                x::N_IMPUTED.into(),
                r.iter().map(|d| d.imputed as u32).collect::<Vec<_>>(),
            ),
        ],
    )
}

/// `index_strengths`: each ranked unit's best and worst indicators.
pub fn strengths(
    fw: &Framework,
    data: &IndexData,
    p: &Prepared,
    e: &Extended,
) -> Result<DataFrame> {
    let r = &e.strengths;
    let unit = |u: usize| p.units[u];
    let node = |i: usize| &fw.nodes[i];
    frame(
        "index_strengths",
        vec![
            Column::new(
                x::UNIT_ID.into(),
                r.iter()
                    .map(|s| data.units[unit(s.unit)].clone())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                x::UNIT_NAME.into(),
                r.iter()
                    .map(|s| data.names[unit(s.unit)].clone())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                x::KIND.into(),
                r.iter()
                    .map(|s| if s.strength { "strength" } else { "weakness" })
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                x::POSITION.into(),
                r.iter().map(|s| s.position as u32).collect::<Vec<_>>(),
            ),
            Column::new(
                x::CODE.into(),
                r.iter()
                    .map(|s| node(s.indicator).code.clone())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                x::NAME.into(),
                r.iter()
                    .map(|s| node(s.indicator).name.clone())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                x::PARENT.into(),
                r.iter()
                    .map(|s| node(s.indicator).parent.clone())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                x::RANK.into(),
                r.iter().map(|s| rank(s.rank)).collect::<Vec<_>>(),
            ),
            Column::new(
                x::VALUE.into(),
                r.iter().map(|s| opt(s.value)).collect::<Vec<_>>(),
            ),
        ],
    )
}

/// `index_sensitivity`: per factor, the indices of the mean absolute rank change of all
/// units (`target` = `mean_abs_rank_change`, no unit, with bootstrap intervals), then of
/// each included unit's rank (`target` = `rank`).
pub fn sensitivity(data: &IndexData, built: &Built, s: &Sensitivity) -> Result<DataFrame> {
    let p = &built.prepared;
    let rows = s.factors.len() * (1 + s.units.len());
    let mut target = Vec::with_capacity(rows);
    let mut unit_id: Vec<Option<String>> = Vec::with_capacity(rows);
    let mut unit_name: Vec<Option<String>> = Vec::with_capacity(rows);
    let mut factor = Vec::with_capacity(rows);
    let mut vals: [Vec<Option<f64>>; 7] = Default::default();
    let mut push =
        |t: &'static str, u: Option<usize>, var: f64, ix: &[super::sensitivity::Indices]| {
            for (f, i) in s.factors.iter().zip(ix) {
                target.push(t);
                unit_id.push(u.map(|u| data.units[p.units[u]].clone()));
                unit_name.push(u.map(|u| data.names[p.units[u]].clone()));
                factor.push(f.as_str());
                for (col, v) in vals.iter_mut().zip([
                    i.first_order,
                    i.total_effect,
                    i.first_order_interval[0],
                    i.first_order_interval[1],
                    i.total_effect_interval[0],
                    i.total_effect_interval[1],
                    var,
                ]) {
                    col.push(opt(v));
                }
            }
        };
    push("mean_abs_rank_change", None, s.overall.0, &s.overall.1);
    for (u, (var, ix)) in s.units.iter().enumerate() {
        push("rank", Some(u), *var, ix);
    }
    let [fo, te, fo5, fo95, te5, te95, var] = vals;
    frame(
        "index_sensitivity",
        vec![
            Column::new(x::TARGET.into(), target),
            Column::new(x::UNIT_ID.into(), unit_id),
            Column::new(x::UNIT_NAME.into(), unit_name),
            Column::new(x::FACTOR.into(), factor),
            Column::new(x::FIRST_ORDER.into(), fo),
            Column::new(x::TOTAL_EFFECT.into(), te),
            Column::new(x::FIRST_ORDER_P05.into(), fo5),
            Column::new(x::FIRST_ORDER_P95.into(), fo95),
            Column::new(x::TOTAL_EFFECT_P05.into(), te5),
            Column::new(x::TOTAL_EFFECT_P95.into(), te95),
            Column::new(x::VARIANCE.into(), var),
            Column::new(x::SAMPLES_PER_FACTOR.into(), vec![s.n as u32; rows]),
        ],
    )
}

/// Every table of an index run, named as published: `index_scores`, `index_ranks` (overall
/// and within each of `groupings`), `index_units`, `index_diagnostics`, the extended
/// diagnostics when computed (`index_correlations`, `index_aggregates`,
/// `index_denominator_correlations`, `index_unit_diagnostics`, `index_strengths`) and,
/// when the uncertainty analysis ran (its rank statistics over `samples` samples),
/// `index_uncertainty`.
#[allow(clippy::too_many_arguments)]
pub fn all(
    fw: &Framework,
    data: &IndexData,
    built: &Built,
    availability_min: f64,
    groupings: &[(String, Vec<Option<String>>)],
    diags: &[NodeDiagnostics],
    extended: Option<&Extended>,
    uncertainty: Option<(&[RankStats], usize, Option<&Sensitivity>)>,
) -> Result<Vec<(&'static str, DataFrame)>> {
    let p = &built.prepared;
    let mut t = vec![
        ("index_scores", scores(fw, data, built)?),
        ("index_ranks", ranks(fw, data, built, groupings)?),
        (
            "index_units",
            units(data, p, availability_min, fw.indicators)?,
        ),
        ("index_diagnostics", diagnostics(fw, diags)?),
    ];
    if let Some(e) = extended {
        t.push(("index_correlations", correlations(fw, e)?));
        t.push(("index_aggregates", aggregates(fw, e)?));
        t.push((
            "index_denominator_correlations",
            denominator_correlations(fw, e)?,
        ));
        t.push(("index_unit_diagnostics", unit_diagnostics(data, p, e)?));
        t.push(("index_strengths", strengths(fw, data, p, e)?));
    }
    if let Some((rs, samples, sens)) = uncertainty {
        t.push((
            "index_uncertainty",
            self::uncertainty(fw, data, built, rs, samples)?,
        ));
        if let Some(s) = sens {
            t.push(("index_sensitivity", self::sensitivity(data, built, s)?));
        }
    }
    Ok(t)
}
