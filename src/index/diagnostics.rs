//! Diagnostics (issue: index researchers must defend every choice): per node, the
//! statistics of its values (indicators: as reported, after denomination; aggregates:
//! their scores), what the outlier treatment did, the Pearson and Spearman correlation
//! with its parent's score (pairwise complete, as COINr's `get_corr`), and the effect on
//! the index ranks of removing it (its weight set to 0, as COINr's `remove_elements`):
//! the mean and the largest absolute rank change over the units ranked both ways.

use super::aggregate::Plan;
use super::framework::{Framework, Kind};
use super::stats;
use super::treat::Treatment;
use super::{Built, reaggregate_above};
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
        let (treatment, treated) = if node.kind == Kind::Indicator {
            (p.treatments[k].clone(), Some(&p.treated[k]))
        } else {
            (Treatment::None, None)
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
