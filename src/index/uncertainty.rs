//! Uncertainty analysis (METHODOLOGY section 9 step 9): a seeded Monte Carlo over the
//! weights (each x U(1 - noise, 1 + noise), renormalised among siblings), the
//! normalisation and the aggregation method (each drawn uniformly from the configured
//! alternatives). Per unit: the nominal rank, the median and mean rank and the 5th-95th
//! percentile rank interval (quantiles of type 7, as R's `quantile`). Min-max in the
//! samples maps onto `[index.uncertainty] minmax_range` (default [1, 100], so the
//! geometric mean never meets a 0).
//!
//! Speed: the data preparation (denomination, screening, imputation, treatment) does not
//! depend on the sampled choices, so it runs once; each normalisation method runs once;
//! a sample only re-aggregates and re-ranks. Samples are drawn sequentially from one
//! ChaCha8 stream and then evaluated on all cores, so results do not depend on the
//! number of threads.

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::framework::Framework;
use super::stats::{self, quantile_sorted};
use super::{Prepared, aggregate_all, normalise_all};
use crate::config::{Aggregation, Normalisation, Uncertainty};
use crate::error::Result;

/// One Monte Carlo sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub normalisation: Normalisation,
    pub aggregation: Aggregation,
    pub weights: Vec<f64>,
}

/// Draw `n` samples from `seed`.
pub fn samples(fw: &Framework, cfg: &Uncertainty, n: usize, seed: u64) -> Vec<Sample> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let nominal = fw.weights();
    (0..n)
        .map(|_| {
            let normalisation = cfg.normalisations[rng.random_range(0..cfg.normalisations.len())];
            let aggregation = cfg.aggregations[rng.random_range(0..cfg.aggregations.len())];
            let mut weights: Vec<f64> = nominal
                .iter()
                .map(|w| {
                    let u: f64 = rng.random();
                    w * (1.0 + cfg.weight_noise * (2.0 * u - 1.0))
                })
                .collect();
            // renormalise among siblings: each parent's children sum to 1
            for kids in &fw.children {
                let s: f64 = kids.iter().map(|&k| weights[k]).sum();
                if s > 0.0 {
                    for &k in kids {
                        weights[k] /= s;
                    }
                }
            }
            Sample {
                normalisation,
                aggregation,
                weights,
            }
        })
        .collect()
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
    normalised: &[Vec<f64>],
    s: &Sample,
    codes: &dyn Fn(usize) -> String,
) -> Result<Vec<f64>> {
    let aggs = aggregate_all(fw, normalised, &s.weights, s.aggregation, codes)?;
    Ok(stats::rank_desc(&aggs[fw.root - fw.indicators]))
}

/// Evaluate the samples: the index rank of every included unit in every sample
/// ([sample][unit]).
pub fn run(
    fw: &Framework,
    prepared: &Prepared,
    samples: &[Sample],
    minmax_range: [f64; 2],
    codes: &(dyn Fn(usize) -> String + Sync),
) -> Result<Vec<Vec<f64>>> {
    run_with_progress(fw, prepared, samples, minmax_range, codes, &|| {})
}

/// [`run`], calling `done` after each sample (from the worker threads), e.g. to move a
/// progress bar.
pub fn run_with_progress(
    fw: &Framework,
    prepared: &Prepared,
    samples: &[Sample],
    minmax_range: [f64; 2],
    codes: &(dyn Fn(usize) -> String + Sync),
    done: &(dyn Fn() + Sync),
) -> Result<Vec<Vec<f64>>> {
    let mut methods: Vec<Normalisation> = samples.iter().map(|s| s.normalisation).collect();
    methods.sort();
    methods.dedup();
    let normalised: BTreeMap<Normalisation, Vec<Vec<f64>>> = methods
        .into_iter()
        .map(|m| (m, normalise_all(fw, prepared, m, minmax_range)))
        .collect();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(samples.len().max(1));
    let chunk = samples.len().div_ceil(threads.max(1)).max(1);
    let parts: Vec<Result<Vec<Vec<f64>>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = samples
            .chunks(chunk)
            .map(|part| {
                let normalised = &normalised;
                scope.spawn(move || {
                    part.iter()
                        .map(|s| {
                            let r = sample_ranks(fw, &normalised[&s.normalisation], s, codes);
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
