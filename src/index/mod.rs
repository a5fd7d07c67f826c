//! The composite index (METHODOLOGY section 9): JRC/OECD Handbook steps with COINr's
//! conventions, on a dense units x indicators matrix.
//!
//! ```text
//!  data ─denominate─▶ raw ─screen(availability)─▶ ─impute─▶ ─treat(JRC)─▶ treated
//!                                                                          │
//!      (cached per method)  normalise(direction, method) ◀─────────────────┘
//!                                │
//!                aggregate level by level (weights, method) ─▶ scores ─▶ ranks
//! ```
//!
//! Steps 1-5 ([`prepare`]) do not depend on weights, normalisation or aggregation, so the
//! uncertainty analysis ([`uncertainty`]) prepares once, normalises once per method and
//! only re-aggregates per sample.
//!
//! A run of `citybench index` loads its framework and refuses choices that cannot work
//! with it ([`choices`]), builds ([`build`]), writes its tables ([`tables`]) and records
//! every choice and input ([`manifest`]) where its target keeps them ([`store`]).

pub mod aggregate;
pub mod choices;
pub mod data;
pub mod diagnostics;
pub mod framework;
pub mod manifest;
pub mod normalise;
pub mod panel;
pub mod sensitivity;
pub mod stats;
pub mod store;
pub mod tables;
pub mod treat;
pub mod uncertainty;

use crate::config::{self, Aggregation, Imputation, Normalisation, Outliers};
use crate::error::{Error, Result};
use crate::registry::Registry;
use data::IndexData;
use framework::Framework;
use treat::Treatment;

/// The groupings ranked within, each with every unit's group: `[index] group_ranks` of
/// the configuration `ix`, else every attribute column of a strict `--data` table, else
/// the peer groupings ([`Spec::group_ranks`]).
pub fn groupings(
    ix: &config::Index,
    spec: &Spec,
    data: &IndexData,
    registry: &Registry,
) -> Result<Vec<(String, Vec<Option<String>>)>> {
    let group_names: Vec<String> = match (&ix.group_ranks, data.strict_columns) {
        (Some(g), _) => g.iter().filter(|g| *g != "all").cloned().collect(),
        (None, true) => data.attributes.keys().cloned().collect(),
        (None, false) => spec.group_ranks.clone(),
    };
    group_names
        .iter()
        .map(|g| Ok((g.clone(), data.groups(g, registry)?)))
        .collect()
}

/// Every choice of the build (from `[index]` of `citybench.toml`).
#[derive(Debug, Clone)]
pub struct Spec {
    pub denominate: bool,
    pub availability_min: f64,
    pub imputation: Imputation,
    pub imputation_grouping: String,
    pub outliers: Outliers,
    pub rule: treat::Rule,
    pub normalisation: Normalisation,
    /// The range min-max maps onto.
    pub minmax_range: [f64; 2],
    /// The other normalisation parameters and the per-indicator methods.
    pub normalise: normalise::Settings,
    pub aggregation: Aggregation,
    /// Groupings for group ranks (besides the overall rank).
    pub group_ranks: Vec<String>,
}

impl Spec {
    /// The choices of a configuration; group ranks default to the peer groupings.
    pub fn from_config(c: &config::Config) -> Self {
        let ix = &c.index;
        Spec {
            denominate: ix.denominate,
            availability_min: ix.availability_min,
            imputation: ix.imputation,
            imputation_grouping: ix.imputation_grouping.clone(),
            outliers: ix.outliers,
            rule: treat::Rule {
                skew_max: ix.skew_max,
                kurtosis_max: ix.kurtosis_max,
                winsorise_max: ix.winsorise_max as usize,
            },
            normalisation: ix.normalisation,
            minmax_range: ix.minmax_range,
            normalise: normalise::Settings::from_config(ix),
            aggregation: ix.aggregation,
            group_ranks: ix
                .group_ranks
                .clone()
                .unwrap_or_else(|| c.peers.groupings.clone())
                .into_iter()
                .filter(|g| g != "all")
                .collect(),
        }
    }
}

/// One unit's data availability (screening, step 4).
#[derive(Debug, Clone, PartialEq)]
pub struct Screen {
    pub present: usize,
    pub availability: f64,
    pub included: bool,
}

/// Steps 1-5: the indicators of the included units, ready to normalise.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Positions (in the data) of the included units, in data order.
    pub units: Vec<usize>,
    /// Availability of every unit of the data.
    pub screening: Vec<Screen>,
    /// [indicator][included unit]: after denomination, before imputation.
    pub raw: Vec<Vec<f64>>,
    /// [indicator][included unit]: whether the value was imputed.
    pub imputed: Vec<Vec<bool>>,
    /// [indicator][included unit]: after imputation and outlier treatment.
    pub treated: Vec<Vec<f64>>,
    pub treatments: Vec<Treatment>,
    /// How each indicator is normalised besides the run's method (its own method and
    /// parameters, reference units resolved among the included units).
    pub normalise: normalise::Plan,
}

/// A built index.
#[derive(Debug, Clone)]
pub struct Built {
    pub prepared: Prepared,
    /// [node][included unit]: normalised indicators, then aggregate scores.
    pub scores: Vec<Vec<f64>>,
    /// [node][included unit]: 1 = highest score, ties share the smallest rank.
    pub ranks: Vec<Vec<f64>>,
}

/// Steps 1-5: denominate, screen, impute, treat.
pub fn prepare(
    fw: &Framework,
    data: &IndexData,
    spec: &Spec,
    registry: &Registry,
) -> Result<Prepared> {
    let n_units = data.units.len();
    let nind = fw.indicators;
    // 1-2. the indicator columns, denominated
    let mut raw_all: Vec<Vec<f64>> = Vec::with_capacity(nind);
    let mut earlier_all: Vec<Vec<f64>> = Vec::with_capacity(nind);
    for node in &fw.nodes[..nind] {
        let (mut col, mut earlier) = match (data.column(&node.code), data.earlier(&node.code)) {
            (Some(c), Some(e)) => (c.to_vec(), e.to_vec()),
            _ if data.strict_columns => {
                return Err(Error::Usage(format!(
                    "indicator '{}' of the framework has no values in {}; its columns/indicators are: {}",
                    node.code,
                    data.source,
                    data.column_names().join(", ")
                )));
            }
            _ => (vec![f64::NAN; n_units], vec![f64::NAN; n_units]),
        };
        if spec.denominate
            && let Some(den) = &node.denominator
        {
            let (Some(dv), Some(de)) = (data.column(den), data.earlier(den)) else {
                return Err(Error::Usage(format!(
                    "denominator '{den}' of indicator '{}' has no values in {}; add it to the data or give a denominator table ([index] denominators = \"FILE.csv\": uCode and one column per denominator)",
                    node.code, data.source
                )));
            };
            for u in 0..n_units {
                col[u] = ratio(col[u], dv[u], node.scale);
                earlier[u] = ratio(earlier[u], de[u], node.scale);
            }
        }
        if let Some(t) = node.band {
            for v in col.iter_mut().chain(earlier.iter_mut()) {
                *v = (*v - t).abs();
            }
        }
        raw_all.push(col);
        earlier_all.push(earlier);
    }
    // 4. screening on the data as reported (before imputation)
    let screening: Vec<Screen> = (0..n_units)
        .map(|u| {
            let present = raw_all.iter().filter(|c| !c[u].is_nan()).count();
            let availability = present as f64 / nind as f64;
            Screen {
                present,
                availability,
                included: availability >= spec.availability_min,
            }
        })
        .collect();
    let units: Vec<usize> = (0..n_units).filter(|&u| screening[u].included).collect();
    if units.is_empty() {
        return Err(Error::Usage(format!(
            "no unit has data for at least {:.1} % of the {nind} indicators ([index] availability_min); lower it or add data",
            spec.availability_min * 100.0
        )));
    }
    let pick = |c: &Vec<f64>| -> Vec<f64> { units.iter().map(|&u| c[u]).collect() };
    let raw: Vec<Vec<f64>> = raw_all.iter().map(pick).collect();
    // 3. imputation
    let groups = match spec.imputation {
        Imputation::GroupMean | Imputation::GroupMedian => {
            let g = data.groups(&spec.imputation_grouping, registry)?;
            Some(units.iter().map(|&u| g[u].clone()).collect::<Vec<_>>())
        }
        _ => None,
    };
    let mut treated = raw.clone();
    let mut imputed = vec![vec![false; units.len()]; nind];
    for (i, col) in treated.iter_mut().enumerate() {
        let fill: Vec<f64> = match spec.imputation {
            Imputation::None => continue,
            Imputation::Mean => vec![stats::mean(col); col.len()],
            Imputation::Median => vec![stats::median(col); col.len()],
            Imputation::Latest => pick(&earlier_all[i]),
            Imputation::GroupMean | Imputation::GroupMedian => {
                let g = groups.as_ref().expect("groups were read");
                let mut by: std::collections::HashMap<&str, Vec<f64>> = Default::default();
                for (u, v) in col.iter().enumerate() {
                    if let Some(k) = &g[u] {
                        by.entry(k.as_str()).or_default().push(*v);
                    }
                }
                let stat: std::collections::HashMap<&str, f64> = by
                    .into_iter()
                    .map(|(k, v)| {
                        let s = if spec.imputation == Imputation::GroupMean {
                            stats::mean(&v)
                        } else {
                            stats::median(&v)
                        };
                        (k, s)
                    })
                    .collect();
                g.iter()
                    .map(|k| {
                        k.as_deref()
                            .and_then(|k| stat.get(k))
                            .copied()
                            .unwrap_or(f64::NAN)
                    })
                    .collect()
            }
        };
        for (u, (v, f)) in col.iter_mut().zip(&fill).enumerate() {
            if v.is_nan() && !f.is_nan() {
                *v = *f;
                imputed[i][u] = true;
            }
        }
    }
    // 5. outlier treatment
    let treatments = treated
        .iter_mut()
        .map(|col| match spec.outliers {
            Outliers::None => Treatment::None,
            Outliers::Jrc => treat::treat(col, &spec.rule),
        })
        .collect();
    let codes: Vec<&str> = fw.nodes[..nind].iter().map(|n| n.code.as_str()).collect();
    let position = |code: &str| match data.units.iter().position(|u| u == code) {
        None => Err(format!("is not a unit of {}", data.source)),
        Some(u) => units.iter().position(|&k| k == u).ok_or_else(|| {
            format!(
                "was screened out (availability {:.1} % < {:.1} %)",
                screening[u].availability * 100.0,
                spec.availability_min * 100.0
            )
        }),
    };
    let normalise = spec
        .normalise
        .plan(&codes, &position)
        .map_err(Error::Usage)?;
    Ok(Prepared {
        units,
        screening,
        raw,
        imputed,
        treated,
        treatments,
        normalise,
    })
}

fn ratio(x: f64, den: f64, scale: f64) -> f64 {
    if den == 0.0 {
        f64::NAN
    } else {
        x / den * scale
    }
}

/// Step 6 for every indicator: [indicator][included unit]. `method` and `range` are the
/// run's (or an uncertainty sample's); an indicator with a method of its own
/// ([`Prepared::normalise`]) keeps it.
pub fn normalise_all(
    fw: &Framework,
    p: &Prepared,
    method: Normalisation,
    range: [f64; 2],
) -> Vec<Vec<f64>> {
    p.treated
        .iter()
        .zip(&fw.nodes)
        .enumerate()
        .map(|(i, (col, node))| {
            let (method, params) = p.normalise.of(i, method, range);
            normalise::normalise_with(
                col,
                node.direction,
                method,
                normalise::Posts {
                    worst: node.worst,
                    target: node.target,
                },
                &params,
            )
        })
        .collect()
}

/// Step 7: the scores of the aggregates (in [`Framework::aggregates`] order, so aggregate
/// `k` is at `k - fw.indicators`), given the normalised indicators (borrowed: the
/// uncertainty analysis and the diagnostics re-aggregate the same indicators many times).
pub fn aggregate_all(
    fw: &Framework,
    indicators: &[Vec<f64>],
    weights: &[f64],
    method: Aggregation,
    unit_codes: &dyn Fn(usize) -> String,
) -> Result<Vec<Vec<f64>>> {
    let n = indicators.first().map(Vec::len).unwrap_or(0);
    let mut aggs: Vec<Vec<f64>> = Vec::with_capacity(fw.nodes.len() - fw.indicators);
    for a in fw.aggregates() {
        let kids = &fw.children[a];
        let mut out = Vec::with_capacity(n);
        for u in 0..n {
            let score = |c: usize| match c.checked_sub(fw.indicators) {
                None => indicators[c][u],
                Some(k) => aggs[k][u],
            };
            let pairs = kids.iter().map(|&c| (score(c), weights[c]));
            out.push(aggregate::aggregate(method, pairs).map_err(|aggregate::Negative(v)| {
                Error::Usage(format!(
                    "{} aggregation of '{}' for unit '{}': a child's value is {v}; the geometric and harmonic means need values >= 0 (use minmax, percentile or rank normalisation)",
                    method.as_str(),
                    fw.nodes[a].code,
                    unit_codes(u)
                ))
            })?);
        }
        aggs.push(out);
    }
    Ok(aggs)
}

/// The root's scores after changing the weights at node `changed` only: the aggregates
/// above it are recomputed bottom-up, every other node keeps its score in `scores` (all
/// nodes, computed with the framework weights, e.g. [`Built::scores`]). Equal to the root
/// of [`aggregate_all`] with `weights`, at the cost of the path's depth instead of every
/// aggregate (the diagnostics remove each of the 226 nodes in turn).
pub fn reaggregate_above(
    fw: &Framework,
    scores: &[Vec<f64>],
    weights: &[f64],
    method: Aggregation,
    unit_codes: &dyn Fn(usize) -> String,
    changed: usize,
) -> Result<Vec<f64>> {
    let mut below: Option<(usize, Vec<f64>)> = None;
    let mut node = changed;
    while let Some(p) = fw.parent[node] {
        let kids = &fw.children[p];
        let n = scores[p].len();
        let mut out = Vec::with_capacity(n);
        for u in 0..n {
            let score = |c: usize| match &below {
                Some((k, v)) if *k == c => v[u],
                _ => scores[c][u],
            };
            let pairs = kids.iter().map(|&c| (score(c), weights[c]));
            out.push(aggregate::aggregate(method, pairs).map_err(|aggregate::Negative(v)| {
                Error::Usage(format!(
                    "{} aggregation of '{}' for unit '{}': a child's value is {v}; the geometric and harmonic means need values >= 0 (use minmax, percentile or rank normalisation)",
                    method.as_str(),
                    fw.nodes[p].code,
                    unit_codes(u)
                ))
            })?);
        }
        below = Some((p, out));
        node = p;
    }
    Ok(match below {
        Some((_, v)) => v,
        None => scores[fw.root].clone(),
    })
}

/// Steps 1-8.
pub fn build(fw: &Framework, data: &IndexData, spec: &Spec, registry: &Registry) -> Result<Built> {
    let prepared = prepare(fw, data, spec, registry)?;
    build_prepared(
        fw,
        data,
        prepared,
        (spec.normalisation, spec.minmax_range),
        spec.aggregation,
        &fw.weights(),
    )
}

/// Steps 6-8 on prepared data.
pub fn build_prepared(
    fw: &Framework,
    data: &IndexData,
    prepared: Prepared,
    (normalisation, range): (Normalisation, [f64; 2]),
    aggregation: Aggregation,
    weights: &[f64],
) -> Result<Built> {
    let normalised = normalise_all(fw, &prepared, normalisation, range);
    let codes = |u: usize| data.units[prepared.units[u]].clone();
    let aggs = aggregate_all(fw, &normalised, weights, aggregation, &codes)?;
    let mut scores = normalised;
    scores.extend(aggs);
    let ranks = scores.iter().map(|s| stats::rank_desc(s)).collect();
    Ok(Built {
        prepared,
        scores,
        ranks,
    })
}

#[cfg(test)]
mod tests;
