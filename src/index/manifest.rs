//! `derived/index_manifest.json` ([`MANIFEST_FILE`]): every choice and input of an index
//! run ([`Manifest`]), no timestamps (it is part of the byte-identical output).

use serde::Serialize;
use sha2::Digest;

use super::data::IndexData;
use super::framework::Framework;
use super::treat::Treatment;
use super::{Built, Spec};
use crate::config::{self, Aggregation, Imputation, Normalisation, Outliers};
use crate::error::{Error, Result};
use crate::pipeline::OutputFile;

/// The file of the index manifest.
pub const MANIFEST_FILE: &str = "index_manifest.json";

/// `derived/index_manifest.json`: every choice and input, no timestamps (it is part of
/// the byte-identical output).
#[derive(Debug, Serialize)]
pub struct Manifest {
    pub engine_version: &'static str,
    pub config: config::Index,
    pub config_sha256: String,
    pub framework: FrameworkRecord,
    pub data: DataRecord,
    pub screening: ScreeningRecord,
    pub imputation: ImputationRecord,
    pub treatment: Vec<TreatmentRecord>,
    pub normalisation: &'static str,
    pub aggregation: &'static str,
    pub group_ranks: Vec<String>,
    pub weights: WeightsRecord,
    pub uncertainty: Option<UncertaintyRecord>,
    /// A multi-year build (`--panel`): its years; the other records are the last year's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panel: Option<PanelRecord>,
    pub outputs: Vec<OutputFile>,
}

/// The years of a multi-year build.
#[derive(Debug, Serialize)]
pub struct PanelRecord {
    pub normalisation: &'static str,
    pub years: Vec<PanelYearRecord>,
}

/// One year of a multi-year build.
#[derive(Debug, Serialize)]
pub struct PanelYearRecord {
    pub year: i32,
    pub units: usize,
    pub included: usize,
    pub cells_imputed: usize,
}

/// The weights of the run: the set used, every node's weight and effective weight, and
/// the optimisation when `[index.optimise_weights]` ran.
#[derive(Debug, Serialize)]
pub struct WeightsRecord {
    /// `Weight` (the framework's column) or `Weight_<name>`.
    pub set: String,
    pub nodes: Vec<NodeWeight>,
    pub optimised: Option<OptimisedRecord>,
}

#[derive(Debug, Serialize)]
pub struct NodeWeight {
    pub code: String,
    pub weight: f64,
    /// The product of the sibling-normalised weights up to the index.
    pub effective: f64,
}

#[derive(Debug, Serialize)]
pub struct OptimisedRecord {
    pub level: u32,
    pub method: config::WeightTarget,
    pub correlation: config::Correlation,
    pub objective_before: f64,
    pub objective_after: f64,
    pub iterations: usize,
    pub converged: bool,
    pub nodes: Vec<OptimisedNode>,
}

#[derive(Debug, Serialize)]
pub struct OptimisedNode {
    pub code: String,
    /// The target share of the correlation sum (balance; null for infomax).
    pub target: Option<f64>,
    pub weight_before: f64,
    pub weight: f64,
    pub correlation_before: f64,
    pub correlation: f64,
}

impl OptimisedRecord {
    /// The record of an optimisation of `fw`'s weights `before`.
    pub fn new(
        fw: &Framework,
        opt: &config::OptimiseWeights,
        before: &[f64],
        o: &super::weights::Optimised,
    ) -> Self {
        OptimisedRecord {
            level: opt.level,
            method: opt.method,
            correlation: opt.correlation,
            objective_before: o.objective_before,
            objective_after: o.objective_after,
            iterations: o.iterations,
            converged: o.converged,
            nodes: o
                .nodes
                .iter()
                .enumerate()
                .map(|(i, &k)| OptimisedNode {
                    code: fw.nodes[k].code.clone(),
                    target: o.targets.get(i).copied(),
                    weight_before: before[k],
                    weight: o.weights[k],
                    correlation_before: o.correlations_before[i],
                    correlation: o.correlations_after[i],
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct FrameworkRecord {
    pub origin: String,
    pub sha256: Option<String>,
    pub indicators: usize,
    pub aggregates: usize,
    pub levels: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct DataRecord {
    pub source: String,
    pub sha256: String,
    pub year: Option<i32>,
    pub units: usize,
    pub panel: bool,
    pub confidential_left_out: u64,
    /// The denominator table (`[index] denominators`) the data's missing denominators
    /// came from: its path and SHA-256.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denominators: Option<DenominatorsRecord>,
}

#[derive(Debug, Serialize)]
pub struct DenominatorsRecord {
    pub source: String,
    pub sha256: String,
}

#[derive(Debug, Serialize)]
pub struct ScreeningRecord {
    pub availability_min: f64,
    pub included: usize,
    pub excluded: Vec<ExcludedUnit>,
}

#[derive(Debug, Serialize)]
pub struct ExcludedUnit {
    pub unit_id: String,
    pub availability: f64,
}

#[derive(Debug, Serialize)]
pub struct ImputationRecord {
    pub method: config::Imputation,
    pub cells_imputed: usize,
    pub cells_missing_after: usize,
}

#[derive(Debug, Serialize)]
pub struct TreatmentRecord {
    pub code: String,
    pub treatment: &'static str,
    pub clipped_high: usize,
    pub clipped_low: usize,
    /// The winsorisation tried and not passing, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub winsorise_attempted: Option<AttemptRecord>,
}

/// A winsorisation that did not pass: points clipped per tail, skewness and kurtosis
/// after it (null where undefined).
#[derive(Debug, Serialize)]
pub struct AttemptRecord {
    pub clipped_high: usize,
    pub clipped_low: usize,
    pub skew: Option<f64>,
    pub kurtosis: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct UncertaintyRecord {
    pub samples: usize,
    pub seed: u64,
    pub weight_noise: f64,
    pub normalisations: Vec<Normalisation>,
    pub aggregations: Vec<Aggregation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub imputations: Vec<Imputation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub treatments: Vec<Outliers>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub weight_sets: Vec<String>,
    /// The variance-based sensitivity analysis (`--sensitivity`), when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<SensitivityRecord>,
}

/// The design of a sensitivity analysis.
#[derive(Debug, Serialize)]
pub struct SensitivityRecord {
    /// The factors varied, in design order.
    pub factors: Vec<&'static str>,
    /// Rows per matrix (`N`).
    pub samples_per_factor: usize,
    /// Builds evaluated: `N (d + 2)`.
    pub builds: usize,
    pub estimators: &'static str,
    pub bootstrap: u32,
}

impl Manifest {
    /// The manifest of an index built from `fw` (with its file's digest `fw_sha`, `None`
    /// for the U4SSC hierarchy) and `data` under `config` and `spec`, ranked within
    /// `group_ranks`; `uncertainty` is the analysis's (samples, seed), if it ran. Its
    /// outputs are filled in when the tables are written ([`super::store::keep`]).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        config: &config::Index,
        fw: &Framework,
        fw_sha: Option<String>,
        data: &IndexData,
        spec: &Spec,
        built: &Built,
        group_ranks: Vec<String>,
        uncertainty: Option<(usize, u64)>,
    ) -> Result<Self> {
        let p = &built.prepared;
        let config_json = serde_json::to_vec(config).map_err(|e| Error::Usage(e.to_string()))?;
        let missing_after: usize = p
            .treated
            .iter()
            .map(|c| c.iter().filter(|v| v.is_nan()).count())
            .sum();
        Ok(Manifest {
            engine_version: env!("CARGO_PKG_VERSION"),
            config: config.clone(),
            config_sha256: format!("{:x}", sha2::Sha256::digest(&config_json)),
            framework: FrameworkRecord {
                origin: fw.origin.clone(),
                sha256: fw_sha,
                indicators: fw.indicators,
                aggregates: fw.nodes.len() - fw.indicators,
                levels: fw.level_names.clone(),
            },
            data: DataRecord {
                source: data.source.clone(),
                sha256: data.sha256.clone(),
                year: data.year,
                units: data.units.len(),
                panel: data.panel,
                confidential_left_out: data.confidential_left_out,
                denominators: data.denominators.as_ref().map(|(source, sha256)| {
                    DenominatorsRecord {
                        source: source.clone(),
                        sha256: sha256.clone(),
                    }
                }),
            },
            screening: ScreeningRecord {
                availability_min: spec.availability_min,
                included: p.units.len(),
                excluded: p
                    .screening
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| !s.included)
                    .map(|(u, s)| ExcludedUnit {
                        unit_id: data.units[u].clone(),
                        availability: s.availability,
                    })
                    .collect(),
            },
            imputation: ImputationRecord {
                method: spec.imputation,
                cells_imputed: p.imputed.iter().flatten().filter(|b| **b).count(),
                cells_missing_after: missing_after,
            },
            treatment: fw.nodes[..fw.indicators]
                .iter()
                .zip(p.treatments.iter().zip(&p.attempts))
                .filter(|(_, (t, _))| **t != Treatment::None)
                .map(|(n, (t, a))| {
                    let (h, l) = t.clipped_tails();
                    let defined = |v: f64| (!v.is_nan()).then_some(v);
                    TreatmentRecord {
                        code: n.code.clone(),
                        treatment: t.as_str(),
                        clipped_high: h,
                        clipped_low: l,
                        winsorise_attempted: a.map(|a| AttemptRecord {
                            clipped_high: a.high,
                            clipped_low: a.low,
                            skew: defined(a.skew),
                            kurtosis: defined(a.kurtosis),
                        }),
                    }
                })
                .collect(),
            normalisation: spec.normalisation.as_str(),
            aggregation: spec.aggregation.as_str(),
            group_ranks,
            weights: {
                let w = fw.weights();
                let eff = super::weights::effective(fw, &w);
                WeightsRecord {
                    set: config.weights.as_ref().map_or("Weight".to_string(), |n| {
                        format!("Weight_{}", n.to_lowercase())
                    }),
                    nodes: fw
                        .nodes
                        .iter()
                        .zip(w.iter().zip(&eff))
                        .map(|(n, (&weight, &effective))| NodeWeight {
                            code: n.code.clone(),
                            weight,
                            effective,
                        })
                        .collect(),
                    optimised: None,
                }
            },
            uncertainty: uncertainty.map(|(samples, seed)| UncertaintyRecord {
                samples,
                seed,
                weight_noise: config.uncertainty.weight_noise,
                normalisations: config.uncertainty.normalisations.clone(),
                aggregations: config.uncertainty.aggregations.clone(),
                imputations: config.uncertainty.imputations.clone(),
                treatments: config.uncertainty.treatments.clone(),
                weight_sets: config.uncertainty.weight_sets.clone(),
                sensitivity: None,
            }),
            panel: None,
            outputs: Vec::new(),
        })
    }
}
