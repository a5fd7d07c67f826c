//! Variance-based sensitivity analysis (METHODOLOGY section 9 step 9, `citybench index
//! --uncertainty N --sensitivity`): how much of the variance of each unit's rank, and of
//! the mean absolute rank change of all units (COINr's target), each uncertain choice
//! explains alone (first-order index `S_i`) and with its interactions (total effect
//! `ST_i`).
//!
//! The design is Saltelli's (as COINr's `SA_sample`): two independent matrices `A` and
//! `B` of `N` rows each, one uniform draw per factor and row, and for each factor `i` the
//! matrix `AB_i`, `A` with factor `i`'s draws taken from `B`: `N (d + 2)` builds for `d`
//! factors. With `y_A`, `y_B`, `y_ABi` the outputs of those rows:
//!
//! ```text
//! m    = mean(y_A ++ y_B),  V = var(y_A ++ y_B)           (sample variance, 2N - 1)
//! S_i  = mean_j( (y_B[j] - m) (y_ABi[j] - y_A[j]) ) / V   (Saltelli 2010)
//! ST_i = sum_j( (y_A[j] - y_ABi[j])^2 ) / (2 N V)         (Jansen 1999)
//! ```
//!
//! the estimators of COINr's `SA_estimate`, with one change: COINr multiplies by `y_B[j]`
//! itself. Both have the same expectation (`E[y_ABi - y_A] = 0`), but a rank's mean is
//! far from 0 (a unit ranked about 250th), and the uncentred product then carries a noise
//! of about `mean(y) sd(y_ABi - y_A) / sqrt(N)`: first-order indices of 1.8 and -0.1 for
//! the same factor of two units at N = 30 in the tests here. Centring removes that noise
//! and changes nothing else. Their bootstrap intervals resample each
//! factor's `N` terms with replacement (`[index.uncertainty] bootstrap` times) and take the
//! 5th and 95th percentiles (type 7). The rank statistics of the uncertainty analysis come
//! from the `2N` rows of `A` and `B`, as COINr's.
//!
//! Factors: the weights (one factor: every weight's noise draw moves together from `A` to
//! `B`, a group index), and each of normalisation, aggregation, imputation, treatment and
//! weight set whose `[index.uncertainty]` list has two or more alternatives (a draw `u` picks
//! alternative `floor(u n)`). A factor that cannot vary is fixed: its first alternative,
//! the nominal weights.
//!
//! Every draw comes from one ChaCha8 stream of the seed (rows of `A`, then rows of `B`;
//! within a row, factors in the order above), the bootstrap from a second stream of it, and
//! the builds are evaluated by [`super::uncertainty::run_with_progress`]: the same seed
//! gives byte-identical results on any number of threads.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::framework::Framework;
use super::stats::quantile_sorted;
use super::uncertainty::{Sample, noisy_weights, pick};
use crate::config::Uncertainty;

/// An uncertain choice of the build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    Weights,
    Normalisation,
    Aggregation,
    Imputation,
    Treatment,
    WeightSet,
}

impl Factor {
    /// The name tables and messages use.
    pub fn as_str(self) -> &'static str {
        match self {
            Factor::Weights => "weights",
            Factor::Normalisation => "normalisation",
            Factor::Aggregation => "aggregation",
            Factor::Imputation => "imputation",
            Factor::Treatment => "treatment",
            Factor::WeightSet => "weight_set",
        }
    }
}

/// The factors `cfg` lets vary, in design order.
pub fn factors(cfg: &Uncertainty) -> Vec<Factor> {
    let mut f = Vec::new();
    if cfg.weight_noise > 0.0 {
        f.push(Factor::Weights);
    }
    if cfg.normalisations.len() > 1 {
        f.push(Factor::Normalisation);
    }
    if cfg.aggregations.len() > 1 {
        f.push(Factor::Aggregation);
    }
    if cfg.imputations.len() > 1 {
        f.push(Factor::Imputation);
    }
    if cfg.treatments.len() > 1 {
        f.push(Factor::Treatment);
    }
    if cfg.weight_sets.len() > 1 {
        f.push(Factor::WeightSet);
    }
    f
}

/// One row of the design: the uniform draws of every factor (a factor that does not vary
/// keeps the draw that fixes it: 0.5 for the weights, which is no noise; 0 otherwise).
#[derive(Debug, Clone, PartialEq)]
struct Row {
    weights: Vec<f64>,
    normalisation: f64,
    aggregation: f64,
    imputation: f64,
    treatment: f64,
    weight_set: f64,
}

impl Row {
    fn fixed(nodes: usize) -> Self {
        Row {
            weights: vec![0.5; nodes],
            normalisation: 0.0,
            aggregation: 0.0,
            imputation: 0.0,
            treatment: 0.0,
            weight_set: 0.0,
        }
    }

    fn draw(rng: &mut ChaCha8Rng, factors: &[Factor], nodes: usize) -> Self {
        let mut r = Row::fixed(nodes);
        for f in factors {
            match f {
                Factor::Weights => r.weights.iter_mut().for_each(|w| *w = rng.random()),
                Factor::Normalisation => r.normalisation = rng.random(),
                Factor::Aggregation => r.aggregation = rng.random(),
                Factor::Imputation => r.imputation = rng.random(),
                Factor::Treatment => r.treatment = rng.random(),
                Factor::WeightSet => r.weight_set = rng.random(),
            }
        }
        r
    }

    /// This row with factor `f`'s draws taken from `other`.
    fn with(&self, f: Factor, other: &Row) -> Self {
        let mut r = self.clone();
        match f {
            Factor::Weights => r.weights = other.weights.clone(),
            Factor::Normalisation => r.normalisation = other.normalisation,
            Factor::Aggregation => r.aggregation = other.aggregation,
            Factor::Imputation => r.imputation = other.imputation,
            Factor::Treatment => r.treatment = other.treatment,
            Factor::WeightSet => r.weight_set = other.weight_set,
        }
        r
    }

    fn sample(&self, fw: &Framework, cfg: &Uncertainty, sets: &[Vec<f64>]) -> Sample {
        let alt = |list_len: usize, u: f64| pick(u, list_len);
        let nominal = fw.weights();
        let base = sets
            .get(alt(sets.len(), self.weight_set))
            .unwrap_or(&nominal);
        Sample {
            normalisation: cfg.normalisations[alt(cfg.normalisations.len(), self.normalisation)],
            aggregation: cfg.aggregations[alt(cfg.aggregations.len(), self.aggregation)],
            weights: noisy_weights(fw, base, cfg.weight_noise, &self.weights),
            imputation: (!cfg.imputations.is_empty())
                .then(|| cfg.imputations[alt(cfg.imputations.len(), self.imputation)]),
            treatment: (!cfg.treatments.is_empty())
                .then(|| cfg.treatments[alt(cfg.treatments.len(), self.treatment)]),
        }
    }
}

/// The `N (d + 2)` samples of Saltelli's design for `factors`, `n` rows per matrix, from
/// `seed`: the rows of `A`, of `B`, then of `AB_1` ... `AB_d`.
pub fn design(
    fw: &Framework,
    cfg: &Uncertainty,
    factors: &[Factor],
    n: usize,
    seed: u64,
) -> Vec<Sample> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let nodes = fw.nodes.len();
    let sets = super::uncertainty::weight_sets(fw, cfg).unwrap_or_default();
    let a: Vec<Row> = (0..n)
        .map(|_| Row::draw(&mut rng, factors, nodes))
        .collect();
    let b: Vec<Row> = (0..n)
        .map(|_| Row::draw(&mut rng, factors, nodes))
        .collect();
    let mut out = Vec::with_capacity(n * (factors.len() + 2));
    out.extend(a.iter().map(|r| r.sample(fw, cfg, &sets)));
    out.extend(b.iter().map(|r| r.sample(fw, cfg, &sets)));
    for &f in factors {
        out.extend(
            a.iter()
                .zip(&b)
                .map(|(ra, rb)| ra.with(f, rb).sample(fw, cfg, &sets)),
        );
    }
    out
}

/// The sensitivity indices of one factor for one output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Indices {
    pub first_order: f64,
    pub total_effect: f64,
    /// 5th and 95th percentiles of the bootstrap of `first_order` and `total_effect`
    /// (`NaN` without a bootstrap).
    pub first_order_interval: [f64; 2],
    pub total_effect_interval: [f64; 2],
}

/// The output variance and the indices of every factor of one output `y` of the design
/// (`N (d + 2)` values in design order). `NaN` indices when the output does not vary or a
/// value is missing.
pub fn estimate(y: &[f64], n: usize, d: usize) -> (f64, Vec<Indices>) {
    assert_eq!(y.len(), n * (d + 2), "a design output has N (d + 2) values");
    let (ya, yb) = (&y[..n], &y[n..2 * n]);
    let var = sample_variance(&y[..2 * n]);
    let m = y[..2 * n].iter().sum::<f64>() / (2 * n) as f64;
    let nan = [f64::NAN; 2];
    let indices = (0..d)
        .map(|i| {
            let yab = &y[(2 + i) * n..(3 + i) * n];
            let (si, st) = if var > 0.0 {
                let s: f64 = (0..n).map(|j| (yb[j] - m) * (yab[j] - ya[j])).sum();
                let t: f64 = (0..n).map(|j| (ya[j] - yab[j]).powi(2)).sum();
                (s / n as f64 / var, t / (2.0 * n as f64 * var))
            } else {
                (f64::NAN, f64::NAN)
            };
            Indices {
                first_order: si,
                total_effect: st,
                first_order_interval: nan,
                total_effect_interval: nan,
            }
        })
        .collect();
    (var, indices)
}

/// Sample variance (denominator `len - 1`), `NaN` when a value is missing or fewer than 2.
pub fn sample_variance(x: &[f64]) -> f64 {
    if x.len() < 2 || x.iter().any(|v| v.is_nan()) {
        return f64::NAN;
    }
    let m = x.iter().sum::<f64>() / x.len() as f64;
    x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() - 1) as f64
}

/// [`estimate`] with bootstrap intervals: `boot` resamples, for each factor, of its `N`
/// first-order and total-effect terms (with replacement, from `rng`), each divided by the
/// variance of the full design as COINr's.
pub fn estimate_with_bootstrap(
    y: &[f64],
    n: usize,
    d: usize,
    boot: usize,
    rng: &mut ChaCha8Rng,
) -> (f64, Vec<Indices>) {
    let (var, mut indices) = estimate(y, n, d);
    if boot == 0 || var.is_nan() || var <= 0.0 {
        return (var, indices);
    }
    let (ya, yb) = (&y[..n], &y[n..2 * n]);
    let m = y[..2 * n].iter().sum::<f64>() / (2 * n) as f64;
    for (i, ix) in indices.iter_mut().enumerate() {
        let yab = &y[(2 + i) * n..(3 + i) * n];
        let s_terms: Vec<f64> = (0..n).map(|j| (yb[j] - m) * (yab[j] - ya[j])).collect();
        let t_terms: Vec<f64> = (0..n).map(|j| ya[j] - yab[j]).collect();
        let mut s_boot = Vec::with_capacity(boot);
        let mut t_boot = Vec::with_capacity(boot);
        for _ in 0..boot {
            let s: f64 = (0..n).map(|_| s_terms[rng.random_range(0..n)]).sum();
            s_boot.push(s / n as f64 / var);
        }
        for _ in 0..boot {
            let t: f64 = (0..n)
                .map(|_| t_terms[rng.random_range(0..n)].powi(2))
                .sum();
            t_boot.push(t / (2.0 * n as f64 * var));
        }
        s_boot.sort_by(f64::total_cmp);
        t_boot.sort_by(f64::total_cmp);
        ix.first_order_interval = [
            quantile_sorted(&s_boot, 0.05),
            quantile_sorted(&s_boot, 0.95),
        ];
        ix.total_effect_interval = [
            quantile_sorted(&t_boot, 0.05),
            quantile_sorted(&t_boot, 0.95),
        ];
    }
    (var, indices)
}

/// The mean absolute rank change of each build from the `nominal` ranks (COINr's target),
/// over the units ranked in both.
pub fn mean_abs_rank_change(nominal: &[f64], ranks: &[Vec<f64>]) -> Vec<f64> {
    ranks
        .iter()
        .map(|r| {
            let (mut s, mut k) = (0.0, 0usize);
            for (a, b) in r.iter().zip(nominal) {
                if !a.is_nan() && !b.is_nan() {
                    s += (a - b).abs();
                    k += 1;
                }
            }
            if k == 0 { f64::NAN } else { s / k as f64 }
        })
        .collect()
}

/// The result of the analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct Sensitivity {
    pub factors: Vec<Factor>,
    /// Rows per matrix (`N`, samples per factor).
    pub n: usize,
    /// The mean absolute rank change: its variance and indices (with bootstrap intervals).
    pub overall: (f64, Vec<Indices>),
    /// Per included unit: the variance of its rank and the indices (no intervals).
    pub units: Vec<(f64, Vec<Indices>)>,
}

/// The indices of the design's `ranks` ([build][unit], in [`design`] order), against the
/// `nominal` ranks; `boot` bootstrap resamples for the overall target from the second
/// ChaCha8 stream of `seed`.
pub fn analyse(
    factors: &[Factor],
    n: usize,
    nominal: &[f64],
    ranks: &[Vec<f64>],
    boot: usize,
    seed: u64,
) -> Sensitivity {
    let d = factors.len();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(1);
    let y = mean_abs_rank_change(nominal, ranks);
    let overall = estimate_with_bootstrap(&y, n, d, boot, &mut rng);
    let units = (0..nominal.len())
        .map(|u| {
            let yu: Vec<f64> = ranks.iter().map(|r| r[u]).collect();
            estimate(&yu, n, d)
        })
        .collect();
    Sensitivity {
        factors: factors.to_vec(),
        n,
        overall,
        units,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Aggregation, Imputation, Normalisation, Outliers};
    use std::path::Path;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn estimators_by_hand() {
        // N = 2, d = 2: y_A = [1, 3], y_B = [2, 4], y_AB1 = [2, 3], y_AB2 = [1, 4].
        // m = 2.5, V = var(1, 3, 2, 4) = ((1.5^2 + 0.5^2) * 2) / 3 = 5/3; y_B - m = [-0.5, 1.5]
        // S_1 = mean(-0.5 (2 - 1), 1.5 (3 - 3)) / V = -0.25 / (5/3) = -0.15
        // ST_1 = ((1 - 2)^2 + 0) / (2 * 2 * 5/3) = 0.15
        // S_2 = mean(-0.5 (1 - 1), 1.5 (4 - 3)) / V = 0.75 / (5/3) = 0.45
        // ST_2 = (0 + (3 - 4)^2) / (20/3) = 0.15
        let y = [1., 3., 2., 4., 2., 3., 1., 4.];
        let (v, ix) = estimate(&y, 2, 2);
        assert!(close(v, 5.0 / 3.0));
        assert!(close(ix[0].first_order, -0.15) && close(ix[0].total_effect, 0.15));
        assert!(close(ix[1].first_order, 0.45) && close(ix[1].total_effect, 0.15));
        assert!(ix[0].first_order_interval[0].is_nan());
        // an output that does not vary, or a missing value: no indices
        let (v, ix) = estimate(&[2.; 8], 2, 2);
        assert_eq!(v, 0.0);
        assert!(ix[0].first_order.is_nan() && ix[1].total_effect.is_nan());
        let mut y = y;
        y[1] = f64::NAN;
        assert!(estimate(&y, 2, 2).1[0].first_order.is_nan());
    }

    /// COINr's own check of its estimators: y = x1 + 2 x2 + 3 x3 on uniforms, whose indices
    /// are a_i^2 / sum(a^2) = 1/14, 4/14, 9/14 (additive: first order = total effect).
    #[test]
    fn an_additive_function_gets_its_analytic_indices() {
        let (n, d) = (20_000, 3);
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let a: Vec<[f64; 3]> = (0..n)
            .map(|_| [rng.random(), rng.random(), rng.random()])
            .collect();
        let b: Vec<[f64; 3]> = (0..n)
            .map(|_| [rng.random(), rng.random(), rng.random()])
            .collect();
        let f = |x: &[f64; 3]| x[0] + 2.0 * x[1] + 3.0 * x[2];
        let mut y: Vec<f64> = a.iter().chain(&b).map(f).collect();
        for i in 0..d {
            y.extend(a.iter().zip(&b).map(|(ra, rb)| {
                let mut r = *ra;
                r[i] = rb[i];
                f(&r)
            }));
        }
        let mut boot = ChaCha8Rng::seed_from_u64(6);
        let (_, ix) = estimate_with_bootstrap(&y, n, d, 200, &mut boot);
        for (i, want) in [1.0 / 14.0, 4.0 / 14.0, 9.0 / 14.0].into_iter().enumerate() {
            assert!((ix[i].first_order - want).abs() < 0.03, "{i}: {:?}", ix[i]);
            assert!((ix[i].total_effect - want).abs() < 0.03, "{i}: {:?}", ix[i]);
            let [lo, hi] = ix[i].total_effect_interval;
            assert!(
                lo < ix[i].total_effect && ix[i].total_effect < hi,
                "{i}: {:?}",
                ix[i]
            );
            assert!(lo < want + 0.02 && want - 0.02 < hi, "{i}: {:?}", ix[i]);
        }
    }

    const FW: &str = "iCode,Level,Parent,Weight,Direction,Type\n\
        x1,1,P1,1,1,Indicator\nx2,1,P1,1,1,Indicator\nx3,1,P2,1,1,Indicator\n\
        P1,2,IDX,1,1,Aggregate\nP2,2,IDX,2,1,Aggregate\nIDX,3,,1,1,Aggregate\n";

    fn cfg() -> Uncertainty {
        Uncertainty {
            imputations: vec![Imputation::None, Imputation::Mean],
            treatments: vec![Outliers::None, Outliers::Jrc],
            ..Uncertainty::default()
        }
    }

    #[test]
    fn factors_vary_only_with_alternatives() {
        assert_eq!(
            factors(&Uncertainty::default()),
            [Factor::Weights, Factor::Normalisation, Factor::Aggregation]
        );
        assert_eq!(
            factors(&cfg()),
            [
                Factor::Weights,
                Factor::Normalisation,
                Factor::Aggregation,
                Factor::Imputation,
                Factor::Treatment
            ]
        );
        let fixed = Uncertainty {
            weight_noise: 0.0,
            normalisations: vec![Normalisation::Rank],
            aggregations: vec![Aggregation::Arithmetic],
            ..Uncertainty::default()
        };
        assert!(factors(&fixed).is_empty());
    }

    #[test]
    fn the_design_is_a_b_then_a_with_one_factor_from_b() {
        let fw = Framework::parse(FW, Path::new("fw.csv")).unwrap();
        let c = cfg();
        let f = factors(&c);
        let n = 40;
        let s = design(&fw, &c, &f, n, 9);
        assert_eq!(s.len(), n * (f.len() + 2));
        assert_eq!(s, design(&fw, &c, &f, n, 9), "seeded");
        assert_ne!(s, design(&fw, &c, &f, n, 10));
        let (a, b) = (&s[..n], &s[n..2 * n]);
        for (i, fac) in f.iter().enumerate() {
            for j in 0..n {
                let ab = &s[(2 + i) * n + j];
                let from_b = |g: Factor| g == *fac;
                let src = |g: Factor| if from_b(g) { &b[j] } else { &a[j] };
                assert_eq!(ab.weights, src(Factor::Weights).weights);
                assert_eq!(ab.normalisation, src(Factor::Normalisation).normalisation);
                assert_eq!(ab.aggregation, src(Factor::Aggregation).aggregation);
                assert_eq!(ab.imputation, src(Factor::Imputation).imputation);
                assert_eq!(ab.treatment, src(Factor::Treatment).treatment);
            }
        }
        // every alternative is drawn
        for m in [Normalisation::Minmax, Normalisation::Rank] {
            assert!(a.iter().any(|x| x.normalisation == m));
        }
        for m in [Imputation::None, Imputation::Mean] {
            assert!(b.iter().any(|x| x.imputation == Some(m)));
        }
        // the weights stay within the noise and sum to 1 among siblings
        for x in a {
            assert!(close(x.weights[3] + x.weights[4], 1.0));
        }
        // a factor that does not vary: nominal weights, the first alternative
        let fixed = Uncertainty {
            weight_noise: 0.25,
            normalisations: vec![Normalisation::Rank],
            ..Uncertainty::default()
        };
        let g = factors(&fixed);
        assert_eq!(g, [Factor::Weights, Factor::Aggregation]);
        let s = design(&fw, &fixed, &g, 5, 1);
        assert!(s.iter().all(|x| x.normalisation == Normalisation::Rank));
        assert!(
            s.iter()
                .all(|x| x.imputation.is_none() && x.treatment.is_none())
        );
    }

    #[test]
    fn a_factor_without_effect_gets_zero_indices_exactly() {
        // ranks that depend on the aggregation only: the builds of AB_weights are those of
        // A, so the weights' terms are all 0.
        let n = 30;
        let nominal = [1.0, 2.0];
        // two factors: weights (no effect), aggregation (swaps the two units)
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let agg_a: Vec<bool> = (0..n).map(|_| rng.random()).collect();
        let agg_b: Vec<bool> = (0..n).map(|_| rng.random()).collect();
        let r = |swap: bool| if swap { vec![2.0, 1.0] } else { vec![1.0, 2.0] };
        let mut ranks: Vec<Vec<f64>> = agg_a.iter().chain(&agg_b).map(|&s| r(s)).collect();
        ranks.extend(agg_a.iter().map(|&s| r(s))); // AB_weights = A
        ranks.extend(agg_b.iter().map(|&s| r(s))); // AB_aggregation = B
        let s = analyse(
            &[Factor::Weights, Factor::Aggregation],
            n,
            &nominal,
            &ranks,
            50,
            1,
        );
        let w = s.overall.1[0];
        assert_eq!((w.first_order, w.total_effect), (0.0, 0.0));
        assert_eq!(w.total_effect_interval, [0.0, 0.0]);
        // the aggregation explains everything: ST = sum((yA - yB)^2) / (2N V) and S = 1
        // up to sampling; per unit the same
        let ag = s.overall.1[1];
        assert!(ag.total_effect > 0.8 && ag.first_order > 0.8, "{ag:?}");
        assert!(ag.first_order < 1.2, "{ag:?}");
        assert_eq!(s.units.len(), 2);
        assert_eq!(s.units[0].1[0].first_order, 0.0);
        for u in &s.units {
            // both units' ranks move together: the same indices, close to 1
            assert!(
                u.1[1].total_effect > 0.8 && (u.1[1].first_order - 1.0).abs() < 0.2,
                "{u:?}"
            );
        }
        let again = analyse(
            &[Factor::Weights, Factor::Aggregation],
            n,
            &nominal,
            &ranks,
            50,
            1,
        );
        assert_eq!(format!("{s:?}"), format!("{again:?}"), "seeded");
    }

    #[test]
    fn weight_sets_are_a_factor_and_the_base_of_the_noise() {
        // nodes x1 x2 x3 P1 P2 IDX; "flat" weighs P2 as P1, "expert" leaves x2 out
        let fw = Framework::parse(
            &FW.replace("Type\n", "Type,Weight_flat,Weight_expert\n")
                .replace("Indicator\n", "Indicator,1,1\n")
                .replace("x2,1,P1,1,1,Indicator,1,1", "x2,1,P1,1,1,Indicator,1,0")
                .replace("Aggregate\n", "Aggregate,1,1\n"),
            Path::new("fw.csv"),
        )
        .unwrap();
        let c = Uncertainty {
            weight_noise: 0.0,
            normalisations: vec![Normalisation::Minmax],
            aggregations: vec![Aggregation::Arithmetic, Aggregation::Geometric],
            weight_sets: vec!["nominal".into(), "FLAT".into(), "expert".into()],
            ..Uncertainty::default()
        };
        let f = factors(&c);
        assert_eq!(f, [Factor::Aggregation, Factor::WeightSet]);
        let s = design(&fw, &c, &f, 60, 4);
        // without noise every sample has one of the three sets, renormalised among siblings
        let nominal = [0.5, 0.5, 1.0, 1.0 / 3.0, 2.0 / 3.0, 1.0];
        let flat = [0.5, 0.5, 1.0, 0.5, 0.5, 1.0];
        let expert = [1.0, 0.0, 1.0, 0.5, 0.5, 1.0];
        let mut seen = [false; 3];
        for x in &s {
            let k = [&nominal, &flat, &expert]
                .iter()
                .position(|w| x.weights.iter().zip(w.iter()).all(|(a, b)| close(*a, *b)))
                .unwrap_or_else(|| panic!("{:?}", x.weights));
            seen[k] = true;
        }
        assert_eq!(seen, [true; 3]);
        // AB_weight_set takes B's set and A's aggregation
        for j in 0..60 {
            let ab = &s[3 * 60 + j];
            assert_eq!(ab.weights, s[60 + j].weights);
            assert_eq!(ab.aggregation, s[j].aggregation);
        }
        let bad = Uncertainty {
            weight_sets: vec!["pca".into()],
            ..c
        };
        assert_eq!(
            crate::index::uncertainty::weight_sets(&fw, &bad).unwrap_err(),
            "index.uncertainty.weight_sets names 'pca', but the framework has no column Weight_pca; its weight sets are: 'flat', 'expert', 'nominal' (the build's weights)"
        );
    }

    #[test]
    fn mean_absolute_rank_change_skips_unranked_units() {
        let y = mean_abs_rank_change(&[1., 2., 3.], &[vec![3., 2., 1.], vec![1., f64::NAN, 2.]]);
        assert_eq!(y, [4.0 / 3.0, 0.5]);
    }
}
