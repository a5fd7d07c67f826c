//! Uncertainty analysis (METHODOLOGY section 9 step 9): a seeded Monte Carlo over the
//! weights (each x U(1 - noise, 1 + noise), renormalised among siblings), the
//! normalisation and the aggregation method and, when `[index.uncertainty]` lists
//! alternatives, the imputation and the outlier treatment (each drawn uniformly from the
//! configured alternatives). Per unit: the nominal rank, the median and mean rank and the
//! 5th-95th percentile rank interval (quantiles of type 7, as R's `quantile`). Min-max in
//! the samples maps onto `[index.uncertainty] minmax_range` (default [1, 100], so the
//! geometric mean never meets a 0). The variance-based sensitivity indices of
//! [`super::sensitivity`] evaluate their design with the same machinery.
//!
//! Speed: the data preparation (denomination, screening, imputation, treatment) does not
//! depend on the weights, normalisation or aggregation, so it runs once per (imputation,
//! treatment) the samples use ([`Variants`]); each normalisation runs once per
//! preparation; a sample only re-aggregates and re-ranks. Samples are drawn sequentially
//! from one ChaCha8 stream and then evaluated on all cores, so results do not depend on
//! the number of threads.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::framework::Framework;
use super::stats::{self, quantile_sorted};
use super::{Prepared, Spec, aggregate_all, normalise_all};
use crate::config::{Aggregation, Imputation, Normalisation, Outliers, Uncertainty};
use crate::error::{Error, Result};
use crate::index::data::IndexData;
use crate::registry::Registry;

/// One Monte Carlo sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub normalisation: Normalisation,
    pub aggregation: Aggregation,
    pub weights: Vec<f64>,
    /// The imputation of this sample (`None`: the build's own, `[index] imputation`).
    pub imputation: Option<Imputation>,
    /// The outlier treatment of this sample (`None`: the build's own, `[index] outliers`).
    pub treatment: Option<Outliers>,
}

/// The weight sets `cfg.weight_sets` names, in order: `"nominal"` is the build's weights
/// (`fw`'s), any other name a `Weight_<name>` column of the framework (without regard to
/// case). `Err` names the first unknown set and the sets the framework has.
pub fn weight_sets(
    fw: &Framework,
    cfg: &Uncertainty,
) -> std::result::Result<Vec<Vec<f64>>, String> {
    cfg.weight_sets
        .iter()
        .map(|name| {
            if name.eq_ignore_ascii_case("nominal") {
                return Ok(fw.weights());
            }
            let key = name.to_lowercase();
            fw.weight_sets
                .iter()
                .find(|(n, _)| *n == key)
                .map(|(_, w)| w.clone())
                .ok_or_else(|| {
                    let mut have: Vec<String> =
                        fw.weight_sets.iter().map(|(n, _)| format!("'{n}'")).collect();
                    have.push("'nominal' (the build's weights)".into());
                    format!(
                        "index.uncertainty.weight_sets names '{name}', but the framework has no column Weight_{name}; its weight sets are: {}",
                        have.join(", ")
                    )
                })
        })
        .collect()
}

/// The weights of a sample: each weight of `base` times `1 + noise (2u - 1)` for its
/// uniform draw `u` in [0, 1), then renormalised so each parent's children sum to 1.
pub fn noisy_weights(fw: &Framework, base: &[f64], noise: f64, uniforms: &[f64]) -> Vec<f64> {
    let mut weights: Vec<f64> = base
        .iter()
        .zip(uniforms)
        .map(|(w, u)| w * (1.0 + noise * (2.0 * u - 1.0)))
        .collect();
    for kids in &fw.children {
        let s: f64 = kids.iter().map(|&k| weights[k]).sum();
        if s > 0.0 {
            for &k in kids {
                weights[k] /= s;
            }
        }
    }
    weights
}

/// The alternative a uniform draw `u` in [0, 1) picks among `n` (equal shares of [0, 1),
/// as COINr's discrete factors).
pub fn pick(u: f64, n: usize) -> usize {
    ((u * n as f64) as usize).min(n.saturating_sub(1))
}

/// Draw `n` samples from `seed`. Per sample, from one ChaCha8 stream: the normalisation,
/// the aggregation, then (when `imputations` / `treatments` / `weight_sets` list
/// alternatives) the imputation, the treatment and the weight set, then one uniform per
/// weight. A weight set the framework lacks is refused before ([`weight_sets`]); here
/// it is the build's weights.
pub fn samples(fw: &Framework, cfg: &Uncertainty, n: usize, seed: u64) -> Vec<Sample> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let nominal = fw.weights();
    let sets = weight_sets(fw, cfg).unwrap_or_default();
    (0..n)
        .map(|_| {
            let normalisation = cfg.normalisations[rng.random_range(0..cfg.normalisations.len())];
            let aggregation = cfg.aggregations[rng.random_range(0..cfg.aggregations.len())];
            let imputation = (!cfg.imputations.is_empty())
                .then(|| cfg.imputations[rng.random_range(0..cfg.imputations.len())]);
            let treatment = (!cfg.treatments.is_empty())
                .then(|| cfg.treatments[rng.random_range(0..cfg.treatments.len())]);
            let base = if cfg.weight_sets.is_empty() {
                &nominal
            } else {
                let k = rng.random_range(0..cfg.weight_sets.len());
                sets.get(k).unwrap_or(&nominal)
            };
            let uniforms: Vec<f64> = (0..fw.nodes.len()).map(|_| rng.random()).collect();
            Sample {
                normalisation,
                aggregation,
                weights: noisy_weights(fw, base, cfg.weight_noise, &uniforms),
                imputation,
                treatment,
            }
        })
        .collect()
}

/// The prepared data (steps 1-5) of every (imputation, treatment) the samples use, and
/// the normalised indicators of every (preparation, normalisation): computed once, then
/// shared by every sample.
pub struct Variants {
    nominal: (Imputation, Outliers),
    /// The build's generalised-mean exponent and availability threshold per aggregate,
    /// kept in every sample (the sampled method replaces the build's methods).
    p: f64,
    threshold: f64,
    preps: Vec<((Imputation, Outliers), Prepared)>,
    normalised: Vec<(usize, Normalisation, Vec<Vec<f64>>)>,
}

impl Variants {
    /// The variants `samples` need: the nominal preparation `prepared` (of `spec`) and one
    /// more per other (imputation, treatment). Every variant must rank the same units
    /// (screening is on the data as reported, so imputation and treatment do not change
    /// them).
    pub fn new(
        fw: &Framework,
        data: &IndexData,
        spec: &Spec,
        registry: &Registry,
        prepared: &Prepared,
        samples: &[Sample],
        range: [f64; 2],
    ) -> Result<Self> {
        let nominal = (spec.imputation, spec.outliers);
        let mut preps = vec![(nominal, prepared.clone())];
        for s in samples {
            let key = (
                s.imputation.unwrap_or(nominal.0),
                s.treatment.unwrap_or(nominal.1),
            );
            if preps.iter().any(|(k, _)| *k == key) {
                continue;
            }
            let mut v = spec.clone();
            v.imputation = key.0;
            v.outliers = key.1;
            let p = super::prepare(fw, data, &v, registry)?;
            if p.units != prepared.units {
                return Err(Error::Usage(format!(
                    "index.uncertainty: imputation '{}' with treatment '{}' ranks {} units where the build ranks {}; every sample must rank the same units",
                    key.0.as_str(),
                    key.1.as_str(),
                    p.units.len(),
                    prepared.units.len()
                )));
            }
            preps.push((key, p));
        }
        let mut v = Self::normalise(fw, nominal, preps, samples, range);
        v.p = spec.genmean_p;
        v.threshold = spec.aggregate_availability_min;
        Ok(v)
    }

    /// Only the nominal preparation `prepared` (samples that do not vary imputation or
    /// treatment), with the generalised-mean exponent 2 and no availability threshold.
    pub fn single(
        fw: &Framework,
        prepared: &Prepared,
        samples: &[Sample],
        range: [f64; 2],
    ) -> Self {
        let nominal = (Imputation::None, Outliers::None);
        Self::normalise(
            fw,
            nominal,
            vec![(nominal, prepared.clone())],
            samples,
            range,
        )
    }

    fn normalise(
        fw: &Framework,
        nominal: (Imputation, Outliers),
        preps: Vec<((Imputation, Outliers), Prepared)>,
        samples: &[Sample],
        range: [f64; 2],
    ) -> Self {
        let mut v = Variants {
            nominal,
            p: 2.0,
            threshold: 0.0,
            preps,
            normalised: Vec::new(),
        };
        for s in samples {
            let Some(p) = v.prep(s) else { continue };
            if !v
                .normalised
                .iter()
                .any(|(q, m, _)| *q == p && *m == s.normalisation)
            {
                let n = normalise_all(fw, &v.preps[p].1, s.normalisation, range);
                v.normalised.push((p, s.normalisation, n));
            }
        }
        v
    }

    /// The position of the preparation of sample `s`.
    fn prep(&self, s: &Sample) -> Option<usize> {
        let key = (
            s.imputation.unwrap_or(self.nominal.0),
            s.treatment.unwrap_or(self.nominal.1),
        );
        self.preps.iter().position(|(k, _)| *k == key)
    }

    /// The normalised indicators of sample `s`.
    fn indicators(&self, s: &Sample) -> Option<&[Vec<f64>]> {
        let p = self.prep(s)?;
        self.normalised
            .iter()
            .find(|(q, m, _)| *q == p && *m == s.normalisation)
            .map(|(_, _, n)| n.as_slice())
    }
}

/// Rank statistics of one unit.
#[derive(Debug, Clone, PartialEq)]
pub struct RankStats {
    pub nominal_rank: f64,
    pub median_rank: f64,
    pub mean_rank: f64,
    pub p05: f64,
    pub p95: f64,
}

/// The index ranks of one sample (per included unit).
fn sample_ranks(
    fw: &Framework,
    variants: &Variants,
    s: &Sample,
    codes: &dyn Fn(usize) -> String,
) -> Result<Vec<f64>> {
    let normalised = variants.indicators(s).ok_or_else(|| {
        Error::Usage(format!(
            "index.uncertainty: a sample uses imputation {:?} and treatment {:?}, which were not prepared",
            s.imputation, s.treatment
        ))
    })?;
    let plan = super::aggregate::Plan {
        p: variants.p,
        threshold: variants.threshold,
        ..super::aggregate::Plan::from(s.aggregation)
    };
    let aggs = aggregate_all(fw, normalised, &s.weights, plan, codes)?;
    Ok(stats::rank_desc(&aggs[fw.root - fw.indicators]))
}

/// Evaluate the samples on the one preparation `prepared` (they must not vary imputation
/// or treatment): the index rank of every included unit in every sample ([sample][unit]).
pub fn run(
    fw: &Framework,
    prepared: &Prepared,
    samples: &[Sample],
    minmax_range: [f64; 2],
    codes: &(dyn Fn(usize) -> String + Sync),
) -> Result<Vec<Vec<f64>>> {
    if samples
        .iter()
        .any(|s| s.imputation.is_some() || s.treatment.is_some())
    {
        return Err(Error::Usage(
            "uncertainty::run evaluates one preparation; samples that vary imputation or treatment need Variants::new and run_with_progress".into(),
        ));
    }
    let variants = Variants::single(fw, prepared, samples, minmax_range);
    run_with_progress(fw, &variants, samples, codes, &|| {})
}

/// Evaluate the samples on their `variants` ([`run`]), calling `done` after each sample
/// (from the worker threads), e.g. to move a progress bar. Samples are split into one
/// contiguous chunk per core and put back in order, so the result does not depend on the
/// number of threads.
pub fn run_with_progress(
    fw: &Framework,
    variants: &Variants,
    samples: &[Sample],
    codes: &(dyn Fn(usize) -> String + Sync),
    done: &(dyn Fn() + Sync),
) -> Result<Vec<Vec<f64>>> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(samples.len().max(1));
    let chunk = samples.len().div_ceil(threads.max(1)).max(1);
    let parts: Vec<Result<Vec<Vec<f64>>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = samples
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|s| {
                            let r = sample_ranks(fw, variants, s, codes);
                            done();
                            r
                        })
                        .collect::<Result<Vec<_>>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("an uncertainty worker panicked"))
            .collect()
    });
    let mut out = Vec::with_capacity(samples.len());
    for p in parts {
        out.extend(p?);
    }
    Ok(out)
}

/// Per unit: nominal, median, mean, 5th and 95th percentile rank over the samples.
pub fn rank_stats(nominal: &[f64], ranks: &[Vec<f64>]) -> Vec<RankStats> {
    (0..nominal.len())
        .map(|u| {
            let mut r: Vec<f64> = ranks.iter().map(|s| s[u]).filter(|v| !v.is_nan()).collect();
            r.sort_by(f64::total_cmp);
            RankStats {
                nominal_rank: nominal[u],
                median_rank: quantile_sorted(&r, 0.5),
                mean_rank: if r.is_empty() {
                    f64::NAN
                } else {
                    r.iter().sum::<f64>() / r.len() as f64
                },
                p05: quantile_sorted(&r, 0.05),
                p95: quantile_sorted(&r, 0.95),
            }
        })
        .collect()
}
