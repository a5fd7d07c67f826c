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
//! (`[index] screen_on = "imputed"` swaps screening and imputation: every unit is
//! imputed, then screened on the imputed data.)
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
pub mod weights;

use crate::config::{self, Aggregation, Imputation, Normalisation, Outliers, ScreenBy, ScreenOn};
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
    /// Applied where winsorisation does not pass (COINr's `f2`).
    pub transform: treat::Transform,
    /// Transform the winsorised column, not the original (COINr's `combine_treat`).
    pub combine_treat: bool,
    /// Box-Cox lambda of `[index]` (for indicators whose own table picks Box-Cox).
    pub boxcox_lambda: Option<f64>,
    /// Per-indicator treatment settings (`[index.treat.<code>]`).
    pub treat: std::collections::BTreeMap<String, config::TreatIndicator>,
    /// Whether screening measures the data as reported or after imputation.
    pub screen_on: ScreenOn,
    /// What screens a unit out: missing values, zeros or either.
    pub screen_by: ScreenBy,
    /// The least share of non-zero values (of those present) screening by zeros keeps.
    pub nonzero_min: f64,
    pub normalisation: Normalisation,
    /// The range min-max maps onto.
    pub minmax_range: [f64; 2],
    /// The other normalisation parameters and the per-indicator methods.
    pub normalise: normalise::Settings,
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
            transform: treat::Transform::of(ix.outlier_transform, ix.boxcox_lambda),
            combine_treat: ix.combine_treat,
            boxcox_lambda: ix.boxcox_lambda,
            treat: ix.treat.clone(),
            screen_on: ix.screen_on,
            screen_by: ix.screen_by,
            nonzero_min: ix.nonzero_min,
            normalisation: ix.normalisation,
            minmax_range: ix.minmax_range,
            normalise: normalise::Settings::from_config(ix),
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

/// How one indicator is treated (step 5).
#[derive(Debug, Clone, Copy)]
pub enum Plan {
    /// No treatment (`[index] outliers = "none"`).
    Off,
    /// Exempt by `[index.treat.<code>] outliers = "none"`.
    Exempt,
    /// Treated with these options.
    Treat(treat::Options),
}

impl Spec {
    /// The treatment of indicator `code`: `[index.treat.<code>]` over `[index]`.
    pub fn treatment_of(&self, code: &str) -> Plan {
        let own = self.treat.get(code);
        match own.and_then(|t| t.outliers) {
            Some(Outliers::None) => return Plan::Exempt,
            None if self.outliers == Outliers::None => return Plan::Off,
            _ => {}
        }
        let Some(t) = own else {
            return Plan::Treat(treat::Options {
                rule: self.rule,
                transform: self.transform,
                combine: self.combine_treat,
            });
        };
        let lambda = t.boxcox_lambda.or(self.boxcox_lambda);
        Plan::Treat(treat::Options {
            rule: treat::Rule {
                skew_max: t.skew_max.unwrap_or(self.rule.skew_max),
                kurtosis_max: t.kurtosis_max.unwrap_or(self.rule.kurtosis_max),
                winsorise_max: t
                    .winsorise_max
                    .map_or(self.rule.winsorise_max, |w| w as usize),
            },
            transform: match t.transform {
                Some(tr) => treat::Transform::of(tr, lambda),
                None => match (self.transform, lambda) {
                    (treat::Transform::BoxCox(_), Some(l)) => treat::Transform::BoxCox(l),
                    (tr, _) => tr,
                },
            },
            combine: t.combine_treat.unwrap_or(self.combine_treat),
        })
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
    /// Zeros among the values present.
    pub zeros: usize,
    /// `1 - zeros / present` (COINr's `Non_Zero`; `NaN` with no value).
    pub non_zero: f64,
    /// Whether availability is below the threshold, and whether (screening by zeros) the
    /// share of non-zero values is below `nonzero_min`: the reasons of an exclusion.
    pub low_data: bool,
    pub low_non_zero: bool,
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
    /// [indicator]: the winsorisation tried and not passing (reported beside the
    /// treatment that replaced or followed it).
    pub attempts: Vec<Option<treat::Attempt>>,
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
    // 3-4. screening on the data as reported, then imputation of the kept units; or
    // imputation of every unit, then screening on the imputed data
    let all: Vec<usize> = (0..n_units).collect();
    let pick =
        |c: &Vec<f64>, units: &[usize]| -> Vec<f64> { units.iter().map(|&u| c[u]).collect() };
    let (screening, units, raw, mut treated, imputed) = match spec.screen_on {
        ScreenOn::Reported => {
            let screening = screen(&raw_all, spec);
            let units = kept(&screening, spec, nind)?;
            let raw: Vec<Vec<f64>> = raw_all.iter().map(|c| pick(c, &units)).collect();
            let earlier: Vec<Vec<f64>> = earlier_all.iter().map(|c| pick(c, &units)).collect();
            let mut treated = raw.clone();
            let imputed = impute(spec, data, registry, &mut treated, &earlier, &units)?;
            (screening, units, raw, treated, imputed)
        }
        ScreenOn::Imputed => {
            let mut filled = raw_all.clone();
            let flags = impute(spec, data, registry, &mut filled, &earlier_all, &all)?;
            let screening = screen(&filled, spec);
            let units = kept(&screening, spec, nind)?;
            let pick_flags = |f: &Vec<bool>| -> Vec<bool> { units.iter().map(|&u| f[u]).collect() };
            let raw = raw_all.iter().map(|c| pick(c, &units)).collect();
            let treated = filled.iter().map(|c| pick(c, &units)).collect();
            let imputed = flags.iter().map(pick_flags).collect();
            (screening, units, raw, treated, imputed)
        }
    };
    // 5. outlier treatment
    let outcomes: Vec<treat::Outcome> = treated
        .iter_mut()
        .zip(&fw.nodes[..nind])
        .map(|(col, node)| match spec.treatment_of(&node.code) {
            Plan::Off => treat::Outcome {
                treatment: Treatment::None,
                attempt: None,
            },
            Plan::Exempt => treat::Outcome {
                treatment: Treatment::Exempt,
                attempt: None,
            },
            Plan::Treat(opts) => treat::treat_with(col, &opts),
        })
        .collect();
    let (treatments, attempts) = outcomes
        .into_iter()
        .map(|o| (o.treatment, o.attempt))
        .unzip();
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
        attempts,
    })
}

/// Every unit's availability and zeros in `cols` ([indicator][unit]), and whether
/// screening keeps it (`spec.screen_by`). A unit with no value has no share of non-zero
/// values and fails screening by zeros.
fn screen(cols: &[Vec<f64>], spec: &Spec) -> Vec<Screen> {
    let nind = cols.len();
    let n_units = cols.first().map(Vec::len).unwrap_or(0);
    (0..n_units)
        .map(|u| {
            let present = cols.iter().filter(|c| !c[u].is_nan()).count();
            let zeros = cols.iter().filter(|c| c[u] == 0.0).count();
            let availability = present as f64 / nind as f64;
            let non_zero = if present == 0 {
                f64::NAN
            } else {
                1.0 - zeros as f64 / present as f64
            };
            let low_data = availability < spec.availability_min;
            let low_non_zero = non_zero.is_nan() || non_zero < spec.nonzero_min;
            let included = match spec.screen_by {
                ScreenBy::Missing => !low_data,
                ScreenBy::Zeros => !low_non_zero,
                ScreenBy::MissingAndZeros => !low_data && !low_non_zero,
            };
            Screen {
                present,
                availability,
                included,
                zeros,
                non_zero,
                low_data: low_data && spec.screen_by != ScreenBy::Zeros,
                low_non_zero: low_non_zero && spec.screen_by != ScreenBy::Missing,
            }
        })
        .collect()
}

/// The positions of the units screening kept; an error when none is.
fn kept(screening: &[Screen], spec: &Spec, nind: usize) -> Result<Vec<usize>> {
    let units: Vec<usize> = (0..screening.len())
        .filter(|&u| screening[u].included)
        .collect();
    if units.is_empty() {
        let after = match spec.screen_on {
            ScreenOn::Reported => "",
            ScreenOn::Imputed => " after imputation",
        };
        let (a, nz) = (spec.availability_min * 100.0, spec.nonzero_min * 100.0);
        return Err(Error::Usage(match spec.screen_by {
            ScreenBy::Missing => format!(
                "no unit has data for at least {a:.1} % of the {nind} indicators ([index] availability_min){after}; lower it or add data"
            ),
            ScreenBy::Zeros => format!(
                "no unit has at least {nz:.1} % non-zero values among those it has ([index] nonzero_min, screen_by = \"zeros\"){after}; lower it or add data"
            ),
            ScreenBy::MissingAndZeros => format!(
                "no unit has data for at least {a:.1} % of the {nind} indicators ([index] availability_min) and at least {nz:.1} % non-zero values among those ([index] nonzero_min){after}; lower them or add data"
            ),
        }));
    }
    Ok(units)
}

/// Step 3: fill the missing values of `cols` ([indicator][unit], the units at positions
/// `units` of the data; `earlier` likewise) with `spec.imputation`; returns which cells
/// were imputed.
fn impute(
    spec: &Spec,
    data: &IndexData,
    registry: &Registry,
    cols: &mut [Vec<f64>],
    earlier: &[Vec<f64>],
    units: &[usize],
) -> Result<Vec<Vec<bool>>> {
    let groups = match spec.imputation {
        Imputation::GroupMean | Imputation::GroupMedian => {
            let g = data.groups(&spec.imputation_grouping, registry)?;
            Some(units.iter().map(|&u| g[u].clone()).collect::<Vec<_>>())
        }
        _ => None,
    };
    let mut imputed = vec![vec![false; units.len()]; cols.len()];
    for (i, col) in cols.iter_mut().enumerate() {
        let fill: Vec<f64> = match spec.imputation {
            Imputation::None => continue,
            Imputation::Mean => vec![stats::mean(col); col.len()],
            Imputation::Median => vec![stats::median(col); col.len()],
            Imputation::Latest => earlier[i].clone(),
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
    Ok(imputed)
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
