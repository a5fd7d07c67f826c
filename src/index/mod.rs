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
pub mod stats;
pub mod store;
pub mod tables;
pub mod treat;
pub mod uncertainty;
pub mod weights;

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
    pub aggregation: Aggregation,
    /// One aggregation method per level from level 2 upwards (empty: `aggregation`).
    pub aggregation_by_level: Vec<Aggregation>,
    /// The aggregation method of single aggregates by code (before the level's).
    pub aggregation_by_aggregate: std::collections::BTreeMap<String, Aggregation>,
    /// The exponent of the generalised mean.
    pub genmean_p: f64,
    /// The minimum share of an aggregate's children a unit needs for a score.
    pub aggregate_availability_min: f64,
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
            aggregation: ix.aggregation,
            aggregation_by_level: ix.aggregation_by_level.clone().unwrap_or_default(),
            aggregation_by_aggregate: ix.aggregation_by_aggregate.clone(),
            genmean_p: ix.genmean_p,
            aggregate_availability_min: ix.aggregate_availability_min,
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

impl Spec {
    /// How every aggregate is computed (step 7).
    pub fn plan(&self) -> aggregate::Plan {
        aggregate::Plan {
            default: self.aggregation,
            by_level: self.aggregation_by_level.clone(),
            by_aggregate: self.aggregation_by_aggregate.clone(),
            p: self.genmean_p,
            threshold: self.aggregate_availability_min,
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
                    "denominator '{den}' of indicator '{}' has no values in {}",
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
    Ok(Prepared {
        units,
        screening,
        raw,
        imputed,
        treated,
        treatments,
    })
}

fn ratio(x: f64, den: f64, scale: f64) -> f64 {
    if den == 0.0 {
        f64::NAN
    } else {
        x / den * scale
    }
}

/// Step 6 for every indicator: [indicator][included unit].
pub fn normalise_all(
    fw: &Framework,
    p: &Prepared,
    method: Normalisation,
    range: [f64; 2],
) -> Vec<Vec<f64>> {
    p.treated
        .iter()
        .zip(&fw.nodes)
        .map(|(col, node)| {
            normalise::normalise(
                col,
                node.direction,
                method,
                normalise::Posts {
                    worst: node.worst,
                    target: node.target,
                },
                range,
            )
        })
        .collect()
}

/// Step 7: the scores of the aggregates (in [`Framework::aggregates`] order, so aggregate
/// `k` is at `k - fw.indicators`), given the normalised indicators (borrowed: the
/// uncertainty analysis and the diagnostics re-aggregate the same indicators many times).
/// `plan` is one [`Aggregation`] for every level or an [`aggregate::Plan`].
pub fn aggregate_all(
    fw: &Framework,
    indicators: &[Vec<f64>],
    weights: &[f64],
    plan: impl Into<aggregate::Plan>,
    unit_codes: &dyn Fn(usize) -> String,
) -> Result<Vec<Vec<f64>>> {
    let plan = plan.into();
    let mut aggs: Vec<Vec<f64>> = Vec::with_capacity(fw.nodes.len() - fw.indicators);
    for a in fw.aggregates() {
        let kids: Vec<&[f64]> = fw.children[a]
            .iter()
            .map(|&c| match c.checked_sub(fw.indicators) {
                None => indicators[c].as_slice(),
                Some(k) => aggs[k].as_slice(),
            })
            .collect();
        let out = aggregate_node(fw, a, &kids, weights, &plan, unit_codes)?;
        aggs.push(out);
    }
    Ok(aggs)
}

/// The scores of aggregate `a` from its children's scores `kids` (in `fw.children[a]`
/// order), or the error naming the aggregate, the unit and what to do.
fn aggregate_node(
    fw: &Framework,
    a: usize,
    kids: &[&[f64]],
    weights: &[f64],
    plan: &aggregate::Plan,
    unit_codes: &dyn Fn(usize) -> String,
) -> Result<Vec<f64>> {
    let node = &fw.nodes[a];
    let method = plan.method(&node.code, node.level);
    let w: Vec<f64> = fw.children[a].iter().map(|&c| weights[c]).collect();
    aggregate::aggregate(method, plan.p, plan.threshold, kids, &w).map_err(|r| {
        let m = method.as_str();
        Error::Usage(match r {
            aggregate::Refusal::Negative { unit, value } => format!(
                "{m} aggregation of '{}' for unit '{}': a child's value is {value}; {}",
                node.code,
                unit_codes(unit),
                match method {
                    Aggregation::Geometric | Aggregation::Harmonic => format!(
                        "the {m} mean needs values above 0 (use rank normalisation, or minmax with minmax_range starting above 0)"
                    ),
                    Aggregation::Bod => "the benefit of the doubt needs values >= 0 (use minmax, percentile or rank normalisation)".into(),
                    _ => format!("the {m} mean needs values >= 0 (use minmax, percentile or rank normalisation)"),
                }
            ),
            aggregate::Refusal::Zero { unit } => format!(
                "{m} aggregation of '{}' for unit '{}': a child's value is 0, which the {m} mean cannot take (COINr refuses zeros too); normalise onto a range starting above 0 ([index] minmax_range = [1.0, 100.0]) or with rank, or aggregate with the arithmetic mean",
                node.code,
                unit_codes(unit)
            ),
        })
    })
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
    plan: impl Into<aggregate::Plan>,
    unit_codes: &dyn Fn(usize) -> String,
    changed: usize,
) -> Result<Vec<f64>> {
    let plan = plan.into();
    let mut below: Option<(usize, Vec<f64>)> = None;
    let mut node = changed;
    while let Some(p) = fw.parent[node] {
        let kids: Vec<&[f64]> = fw.children[p]
            .iter()
            .map(|&c| match &below {
                Some((k, v)) if *k == c => v.as_slice(),
                _ => scores[c].as_slice(),
            })
            .collect();
        let out = aggregate_node(fw, p, &kids, weights, &plan, unit_codes)?;
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
        spec.plan(),
        &fw.weights(),
    )
}

/// Steps 6-8 on prepared data.
pub fn build_prepared(
    fw: &Framework,
    data: &IndexData,
    prepared: Prepared,
    (normalisation, range): (Normalisation, [f64; 2]),
    aggregation: impl Into<aggregate::Plan>,
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
