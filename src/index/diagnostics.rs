//! Diagnostics (issue: index researchers must defend every choice): per node, the
//! statistics of its values (indicators: as reported, after denomination; aggregates:
//! their scores), what the outlier treatment did, the Pearson and Spearman correlation
//! with its parent's score (pairwise complete, as COINr's `get_corr`), and the effect on
//! the index ranks of removing it (its weight set to 0, as COINr's `remove_elements`):
//! the mean and the largest absolute rank change over the units ranked both ways.
//!
//! The extended diagnostics ([`extended`], `[index.diagnostics] extended = true`) are
//! COINr's analysis functions: sibling correlations with collinear and negative flags
//! (`get_corr_flags`), Cronbach's alpha (`get_cronbach`) and the first principal component
//! (`get_PCA`) per aggregate, indicator-denominator correlations (`get_denom_corr`), zeros
//! and missing values per unit (`get_data_avail`), strengths and weaknesses per unit
//! (`get_str_weak`).

use super::aggregate::Plan;
use super::data::IndexData;
use super::framework::{Framework, Kind};
use super::stats;
use super::treat::{Attempt, Treatment};
use super::{Built, Prepared, reaggregate_above};
use crate::config;
use crate::error::Result;

/// Diagnostics of one node.
#[derive(Debug, Clone)]
pub struct NodeDiagnostics {
    pub node: usize,
    pub n: usize,
    pub availability: f64,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    pub median: f64,
    pub sd: f64,
    pub skew: f64,
    pub kurtosis: f64,
    pub treatment: Treatment,
    /// The winsorisation tried and not passing (before a transform, or discarded).
    pub attempt: Option<Attempt>,
    pub skew_treated: f64,
    pub kurtosis_treated: f64,
    pub pearson_parent: f64,
    pub spearman_parent: f64,
    pub removal_mean_rank_change: f64,
    pub removal_max_rank_change: f64,
}

/// Diagnose every node of a built index.
pub fn diagnose(
    fw: &Framework,
    built: &Built,
    aggregation: impl Into<Plan>,
    codes: &dyn Fn(usize) -> String,
) -> Result<Vec<NodeDiagnostics>> {
    let aggregation: Plan = aggregation.into();
    let p = &built.prepared;
    let nominal = &built.ranks[fw.root];
    let mut out = Vec::with_capacity(fw.nodes.len());
    for (k, node) in fw.nodes.iter().enumerate() {
        let values: &[f64] = if node.kind == Kind::Indicator {
            &p.raw[k]
        } else {
            &built.scores[k]
        };
        let present = stats::present(values);
        let (treatment, attempt, treated) = if node.kind == Kind::Indicator {
            (p.treatments[k].clone(), p.attempts[k], Some(&p.treated[k]))
        } else {
            (Treatment::None, None, None)
        };
        let (pearson, spearman) = match fw.parent[k] {
            Some(pk) => (
                stats::pearson(&built.scores[k], &built.scores[pk]),
                stats::spearman(&built.scores[k], &built.scores[pk]),
            ),
            None => (f64::NAN, f64::NAN),
        };
        let (mean_change, max_change) = if k == fw.root {
            (f64::NAN, f64::NAN)
        } else {
            let mut w = fw.weights();
            w[k] = 0.0;
            let root = reaggregate_above(fw, &built.scores, &w, aggregation.clone(), codes, k)?;
            let ranks = stats::rank_desc(&root);
            let d: Vec<f64> = ranks
                .iter()
                .zip(nominal)
                .filter(|(a, b)| !a.is_nan() && !b.is_nan())
                .map(|(a, b)| (a - b).abs())
                .collect();
            if d.is_empty() {
                (f64::NAN, f64::NAN)
            } else {
                (
                    d.iter().sum::<f64>() / d.len() as f64,
                    d.iter().copied().fold(0.0, f64::max),
                )
            }
        };
        out.push(NodeDiagnostics {
            node: k,
            n: present.len(),
            availability: if values.is_empty() {
                f64::NAN
            } else {
                present.len() as f64 / values.len() as f64
            },
            min: present.iter().copied().fold(f64::NAN, f64::min),
            max: present.iter().copied().fold(f64::NAN, f64::max),
            mean: stats::mean(values),
            median: stats::median(values),
            sd: stats::sd(values),
            skew: stats::skew(values),
            kurtosis: stats::kurt(values),
            treatment,
            attempt,
            skew_treated: treated.map(|t| stats::skew(t)).unwrap_or(f64::NAN),
            kurtosis_treated: treated.map(|t| stats::kurt(t)).unwrap_or(f64::NAN),
            pearson_parent: pearson,
            spearman_parent: spearman,
            removal_mean_rank_change: mean_change,
            removal_max_rank_change: max_change,
        });
    }
    Ok(out)
}

/// The extended diagnostics (`[index.diagnostics] extended = true`; COINr's analysis
/// functions), each a table of its own.
#[derive(Debug, Clone)]
pub struct Extended {
    pub pairs: Vec<PairCorrelation>,
    pub aggregates: Vec<AggregateDiagnostics>,
    pub denominators: Vec<DenominatorCorrelation>,
    pub units: Vec<UnitDiagnostics>,
    pub strengths: Vec<StrengthWeakness>,
}

/// Compute every extended diagnostic of a built index.
pub fn extended(
    fw: &Framework,
    data: &IndexData,
    built: &Built,
    cfg: &config::Diagnostics,
) -> Extended {
    let p = &built.prepared;
    Extended {
        pairs: sibling_correlations(fw, &built.scores, cfg.corr_high, cfg.corr_low),
        aggregates: aggregate_diagnostics(fw, &built.scores),
        denominators: denominator_correlations(fw, data, &p.units, cfg.denominator_corr),
        units: unit_diagnostics(p),
        strengths: strengths_weaknesses(fw, p, cfg.strengths_n as usize),
    }
}

/// Two children of one aggregate and their correlation over the units where both have a
/// value (COINr's `get_corr_flags` on the normalised data, `grouplev` every aggregate).
#[derive(Debug, Clone, PartialEq)]
pub struct PairCorrelation {
    pub parent: usize,
    pub a: usize,
    pub b: usize,
    /// Units where both have a value.
    pub n: usize,
    pub pearson: f64,
    pub spearman: f64,
    /// `"collinear"` (Pearson > `corr_high`), `"negative"` (< `corr_low`) or none.
    pub flag: Option<&'static str>,
}

/// Every pair of siblings (framework order, each pair once) with its Pearson and
/// Spearman correlation over `scores` (normalised indicators, aggregate scores).
pub fn sibling_correlations(
    fw: &Framework,
    scores: &[Vec<f64>],
    high: f64,
    low: f64,
) -> Vec<PairCorrelation> {
    let mut out = Vec::new();
    for a in fw.aggregates() {
        let kids = &fw.children[a];
        for (i, &x) in kids.iter().enumerate() {
            for &y in &kids[i + 1..] {
                let pearson = stats::pearson(&scores[x], &scores[y]);
                let flag = if pearson > high {
                    Some("collinear")
                } else if pearson < low {
                    Some("negative")
                } else {
                    None
                };
                out.push(PairCorrelation {
                    parent: a,
                    a: x,
                    b: y,
                    n: scores[x]
                        .iter()
                        .zip(&scores[y])
                        .filter(|(u, v)| !u.is_nan() && !v.is_nan())
                        .count(),
                    pearson,
                    spearman: stats::spearman(&scores[x], &scores[y]),
                    flag,
                });
            }
        }
    }
    out
}

/// The internal consistency of one aggregate's children.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateDiagnostics {
    pub node: usize,
    pub children: usize,
    /// Cronbach's alpha (COINr's `get_cronbach`).
    pub cronbach_alpha: f64,
    /// Units with a value on every child (the rows of the PCA).
    pub pca_units: usize,
    /// The largest eigenvalue of the children's correlation matrix, and its share of the
    /// total variance (eigenvalues of a correlation matrix sum to the number of children).
    pub pc1_eigenvalue: f64,
    pub pc1_variance_share: f64,
}

/// Cronbach's alpha and the first principal component of every aggregate's children.
pub fn aggregate_diagnostics(fw: &Framework, scores: &[Vec<f64>]) -> Vec<AggregateDiagnostics> {
    fw.aggregates()
        .map(|a| {
            let cols: Vec<&[f64]> = fw.children[a].iter().map(|&c| &scores[c][..]).collect();
            let (pca_units, pc1_eigenvalue, pc1_variance_share) = first_component(&cols);
            AggregateDiagnostics {
                node: a,
                children: cols.len(),
                cronbach_alpha: cronbach(&cols),
                pca_units,
                pc1_eigenvalue,
                pc1_variance_share,
            }
        })
        .collect()
}

/// Cronbach's alpha as COINr's `get_cronbach`: with `C` the pairwise-complete covariance
/// matrix of the `k` columns, `S` the sum of its entries (undefined ones left out) and
/// `mean_off = (S - trace C) / (k (k - 1))`, alpha = `k^2 mean_off / S`
/// (= `k/(k-1) (1 - trace C / S)`). `NaN` below two columns or when `S` is 0.
pub fn cronbach(cols: &[&[f64]]) -> f64 {
    let k = cols.len();
    if k < 2 {
        return f64::NAN;
    }
    let (mut all, mut diag) = (0.0, 0.0);
    for (i, x) in cols.iter().enumerate() {
        for (j, y) in cols.iter().enumerate() {
            let c = stats::covariance(x, y);
            if c.is_nan() {
                continue;
            }
            all += c;
            if i == j {
                diag += c;
            }
        }
    }
    if all == 0.0 {
        return f64::NAN;
    }
    let kf = k as f64;
    let mean_off = (all - diag) / (kf * (kf - 1.0));
    kf * kf * mean_off / all
}

/// The first principal component of the columns as COINr's `get_PCA` (`prcomp` with
/// `center = TRUE, scale = TRUE` on the complete rows): (complete rows, largest
/// eigenvalue of the correlation matrix, its share of the `k` total). `NaN` with fewer
/// than two complete rows or a constant column (`prcomp` refuses to scale it).
pub fn first_component(cols: &[&[f64]]) -> (usize, f64, f64) {
    let k = cols.len();
    let n = cols.first().map(|c| c.len()).unwrap_or(0);
    let rows: Vec<usize> = (0..n)
        .filter(|&u| cols.iter().all(|c| !c[u].is_nan()))
        .collect();
    let complete: Vec<Vec<f64>> = cols
        .iter()
        .map(|c| rows.iter().map(|&u| c[u]).collect())
        .collect();
    if k == 0 || rows.len() < 2 || complete.iter().any(|c| stats::sd(c) == 0.0) {
        return (rows.len(), f64::NAN, f64::NAN);
    }
    let mut r = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..k {
            r[i * k + j] = if i == j {
                1.0
            } else {
                pearson_all(&complete[i], &complete[j])
            };
        }
    }
    let l1 = stats::symmetric_eigenvalues(&r, k)[0];
    (rows.len(), l1, l1 / k as f64)
}

/// Pearson correlation of two complete columns (any length >= 2; the PCA's rows).
fn pearson_all(x: &[f64], y: &[f64]) -> f64 {
    stats::covariance(x, y) / (stats::sd(x) * stats::sd(y))
}

/// An indicator as reported and a denominator (COINr's `get_denom_corr`).
#[derive(Debug, Clone, PartialEq)]
pub struct DenominatorCorrelation {
    pub indicator: usize,
    pub denominator: String,
    pub n: usize,
    pub pearson: f64,
    /// |Pearson| > `denominator_corr`.
    pub flagged: bool,
}

/// Every indicator (as reported, before denomination) against every denominator the
/// framework names that the data has, over the ranked units (positions `units` of the
/// data).
pub fn denominator_correlations(
    fw: &Framework,
    data: &IndexData,
    units: &[usize],
    threshold: f64,
) -> Vec<DenominatorCorrelation> {
    let mut dens: Vec<&str> = Vec::new();
    for n in &fw.nodes[..fw.indicators] {
        if let Some(d) = n.denominator.as_deref()
            && !dens.contains(&d)
            && data.column(d).is_some()
        {
            dens.push(d);
        }
    }
    let pick = |c: &[f64]| -> Vec<f64> { units.iter().map(|&u| c[u]).collect() };
    let mut out = Vec::new();
    for (i, node) in fw.nodes[..fw.indicators].iter().enumerate() {
        let Some(x) = data.column(&node.code).map(pick) else {
            continue;
        };
        for d in &dens {
            let y = pick(data.column(d).expect("kept above"));
            let pearson = stats::pearson(&x, &y);
            out.push(DenominatorCorrelation {
                indicator: i,
                denominator: d.to_string(),
                n: x.iter()
                    .zip(&y)
                    .filter(|(a, b)| !a.is_nan() && !b.is_nan())
                    .count(),
                pearson,
                flagged: pearson.abs() > threshold,
            });
        }
    }
    out
}

/// One ranked unit's missing values and zeros as reported (COINr's `get_data_avail`).
#[derive(Debug, Clone, PartialEq)]
pub struct UnitDiagnostics {
    /// Position among the ranked units.
    pub unit: usize,
    pub missing: usize,
    pub zeros: usize,
    /// `1 - zeros / (indicators - missing)` (COINr's `Non_Zero`; `NaN` with no value).
    pub non_zero_share: f64,
    pub imputed: usize,
}

/// Missing values, zeros and imputed cells of every ranked unit.
pub fn unit_diagnostics(p: &Prepared) -> Vec<UnitDiagnostics> {
    let k = p.raw.len();
    (0..p.units.len())
        .map(|u| {
            let missing = p.raw.iter().filter(|c| c[u].is_nan()).count();
            let zeros = p.raw.iter().filter(|c| c[u] == 0.0).count();
            UnitDiagnostics {
                unit: u,
                missing,
                zeros,
                non_zero_share: if missing == k {
                    f64::NAN
                } else {
                    1.0 - zeros as f64 / (k - missing) as f64
                },
                imputed: p.imputed.iter().filter(|c| c[u]).count(),
            }
        })
        .collect()
}

/// One of a unit's strengths or weaknesses (COINr's `get_str_weak`).
#[derive(Debug, Clone, PartialEq)]
pub struct StrengthWeakness {
    /// Position among the ranked units.
    pub unit: usize,
    pub strength: bool,
    /// 1-based, in ascending rank order (as COINr lists both tables).
    pub position: usize,
    pub indicator: usize,
    pub rank: f64,
    /// The value as reported.
    pub value: f64,
}

/// Each ranked unit's `n` best and `n` worst indicators as COINr's `get_str_weak` on the
/// data as reported with directions applied: ranks 1 = best, ties at the smallest rank
/// (`rank_df`); indicators the unit has no value for, or where it ranks last
/// (`min_discard = TRUE`), are left out; the rest sorted by rank (ties in framework
/// order); strengths are the first `n`, weaknesses the last `n`.
pub fn strengths_weaknesses(fw: &Framework, p: &Prepared, n: usize) -> Vec<StrengthWeakness> {
    let ranks: Vec<Vec<f64>> = p
        .raw
        .iter()
        .zip(&fw.nodes)
        .map(|(col, node)| {
            let directed: Vec<f64> = col.iter().map(|v| v * node.direction).collect();
            stats::rank_desc(&directed)
        })
        .collect();
    let last: Vec<f64> = ranks
        .iter()
        .map(|r| {
            r.iter()
                .copied()
                .filter(|v| !v.is_nan())
                .fold(f64::NAN, f64::max)
        })
        .collect();
    let mut out = Vec::new();
    for u in 0..p.units.len() {
        let mut kept: Vec<usize> = (0..ranks.len())
            .filter(|&i| !ranks[i][u].is_nan() && ranks[i][u] != last[i])
            .collect();
        kept.sort_by(|&a, &b| ranks[a][u].total_cmp(&ranks[b][u]));
        let take = n.min(kept.len());
        let row = |strength: bool, position: usize, i: usize| StrengthWeakness {
            unit: u,
            strength,
            position,
            indicator: i,
            rank: ranks[i][u],
            value: p.raw[i][u],
        };
        for (j, &i) in kept[..take].iter().enumerate() {
            out.push(row(true, j + 1, i));
        }
        for (j, &i) in kept[kept.len() - take..].iter().enumerate() {
            out.push(row(false, j + 1, i));
        }
    }
    out
}
