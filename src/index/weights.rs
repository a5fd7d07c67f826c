//! Weights beyond the framework's Weight column (METHODOLOGY section 9): effective weights
//! (COINr's `get_eff_wts`) and optimised weights (COINr's `get_opt_weights`) by a
//! deterministic Nelder-Mead search. Named weight sets are framework columns
//! ([`super::framework::Framework::select_weights`]).

use super::aggregate::Plan;
use super::framework::Framework;
use super::{Built, aggregate_all, stats};
use crate::config::{Correlation, OptimiseWeights, WeightTarget};
use crate::error::{Error, Result};

/// Effective weights: each node's weight divided by the sum of its siblings' weights, times
/// its parent's effective weight (the index has 1), so the indicators' effective weights sum
/// to 1 and say how much each one counts in the index under the arithmetic mean. Siblings
/// whose weights sum to 0 all get 0.
pub fn effective(fw: &Framework, weights: &[f64]) -> Vec<f64> {
    let mut eff = vec![0.0; fw.nodes.len()];
    eff[fw.root] = 1.0;
    // aggregates are ordered by level upwards: walk them downwards
    for a in fw.aggregates().rev() {
        let kids = &fw.children[a];
        let sum: f64 = kids.iter().map(|&c| weights[c]).sum();
        for &c in kids {
            eff[c] = if sum > 0.0 {
                eff[a] * weights[c] / sum
            } else {
                0.0
            };
        }
    }
    eff
}

/// The outcome of a weight optimisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Optimised {
    /// Every node's weight: the optimised level's, summing to 1 over the level, and the
    /// others unchanged.
    pub weights: Vec<f64>,
    /// The nodes of the optimised level, in node order.
    pub nodes: Vec<usize>,
    /// Their target shares of the correlation sum (balance; empty for infomax).
    pub targets: Vec<f64>,
    /// Their correlations with the index under the starting and the optimised weights.
    pub correlations_before: Vec<f64>,
    pub correlations_after: Vec<f64>,
    /// The objective under the starting and the optimised weights (lower is better).
    pub objective_before: f64,
    pub objective_after: f64,
    pub iterations: usize,
    pub converged: bool,
}

/// The correlations of the nodes `level` with the index when the level's weights are `w`
/// (others from `weights`), given the normalised indicators.
struct Problem<'a> {
    fw: &'a Framework,
    indicators: &'a [Vec<f64>],
    weights: &'a [f64],
    plan: &'a Plan,
    level: &'a [usize],
    correlation: Correlation,
    codes: &'a dyn Fn(usize) -> String,
}

impl Problem<'_> {
    fn full_weights(&self, w: &[f64]) -> Vec<f64> {
        let mut all = self.weights.to_vec();
        for (&k, &v) in self.level.iter().zip(w) {
            all[k] = v;
        }
        all
    }

    fn correlations(&self, w: &[f64]) -> Result<Vec<f64>> {
        let all = self.full_weights(w);
        let aggs = aggregate_all(
            self.fw,
            self.indicators,
            &all,
            self.plan.clone(),
            self.codes,
        )?;
        let n = self.fw.indicators;
        let score = |k: usize| -> &[f64] {
            if k < n {
                &self.indicators[k]
            } else {
                &aggs[k - n]
            }
        };
        let index = score(self.fw.root);
        Ok(self
            .level
            .iter()
            .map(|&k| match self.correlation {
                Correlation::Pearson => stats::pearson(score(k), index),
                Correlation::Spearman => stats::spearman(score(k), index),
            })
            .collect())
    }
}

/// The objective of `method` on correlations `crs` (lower is better; infinite when a
/// correlation is undefined): balance, the mean squared difference between the targets and
/// the correlations' shares of their sum (COINr minimises its logarithm, which has the same
/// minimiser and is -inf at a perfect balance); infomax, minus the sum of the correlations.
pub fn objective(method: WeightTarget, targets: &[f64], crs: &[f64]) -> f64 {
    if crs.iter().any(|c| !c.is_finite()) {
        return f64::INFINITY;
    }
    match method {
        WeightTarget::Balance => {
            let sum: f64 = crs.iter().sum();
            targets
                .iter()
                .zip(crs)
                .map(|(t, c)| (t - c / sum).powi(2))
                .sum::<f64>()
                / crs.len() as f64
        }
        WeightTarget::Infomax => -crs.iter().sum::<f64>(),
    }
}

/// Optimise the weights of `opt.level` (COINr's `get_opt_weights`): starting from the
/// current weights of the level (`weights`), a Nelder-Mead search over parameters theta
/// with weights |theta| / sum |theta| (so they stay >= 0; COINr lets them go negative),
/// minimising [`objective`] of the correlations of the level's nodes with the index,
/// re-aggregated under `plan` from the normalised `indicators` at every step.
pub fn optimise(
    fw: &Framework,
    indicators: &[Vec<f64>],
    weights: &[f64],
    plan: &Plan,
    opt: &OptimiseWeights,
    codes: &dyn Fn(usize) -> String,
) -> Result<Optimised> {
    let level: Vec<usize> = (0..fw.nodes.len())
        .filter(|&k| fw.nodes[k].level == opt.level && k != fw.root)
        .collect();
    let top = fw.nodes[fw.root].level;
    if level.is_empty() {
        return Err(Error::Usage(format!(
            "index.optimise_weights.level = {}: the framework has no nodes below the index at that level; choose a level from 1 to {}",
            opt.level,
            top - 1
        )));
    }
    if let Some(code) = opt
        .importance
        .keys()
        .find(|c| !level.iter().any(|&k| fw.nodes[k].code == **c))
    {
        return Err(Error::Usage(format!(
            "index.optimise_weights.importance names '{code}', which is not a node of level {}; its nodes are: {}",
            opt.level,
            level
                .iter()
                .take(10)
                .map(|&k| fw.nodes[k].code.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let targets: Vec<f64> = match opt.method {
        WeightTarget::Balance => {
            let raw: Vec<f64> = level
                .iter()
                .map(|&k| {
                    opt.importance
                        .get(&fw.nodes[k].code)
                        .copied()
                        .unwrap_or(1.0)
                })
                .collect();
            let s: f64 = raw.iter().sum();
            raw.iter().map(|v| v / s).collect()
        }
        WeightTarget::Infomax => Vec::new(),
    };
    let problem = Problem {
        fw,
        indicators,
        weights,
        plan,
        level: &level,
        correlation: opt.correlation,
        codes,
    };
    let to_weights = |theta: &[f64]| -> Vec<f64> {
        let s: f64 = theta.iter().map(|t| t.abs()).sum();
        theta.iter().map(|t| t.abs() / s).collect()
    };
    let mut failure: Option<Error> = None;
    let mut f = |theta: &[f64]| -> f64 {
        if theta.iter().all(|t| *t == 0.0) {
            return f64::INFINITY;
        }
        match problem.correlations(&to_weights(theta)) {
            Ok(crs) => objective(opt.method, &targets, &crs),
            Err(e) => {
                failure.get_or_insert(e);
                f64::INFINITY
            }
        }
    };
    let start: Vec<f64> = level.iter().map(|&k| weights[k]).collect();
    let start = if start.iter().all(|w| *w == 0.0) {
        vec![1.0; level.len()]
    } else {
        start
    };
    let before = f(&start);
    let nm = nelder_mead(&mut f, &start, opt.tolerance, opt.max_iterations as usize);
    if let Some(e) = failure {
        return Err(e);
    }
    let w_before = to_weights(&start);
    let w_after = to_weights(&nm.x);
    Ok(Optimised {
        weights: problem.full_weights(&w_after),
        correlations_before: problem.correlations(&w_before)?,
        correlations_after: problem.correlations(&w_after)?,
        nodes: level,
        targets,
        objective_before: before,
        objective_after: nm.fx,
        iterations: nm.iterations,
        converged: nm.converged,
    })
}

/// `built` re-aggregated with `weights` (its normalised indicators kept).
pub fn rebuild(
    fw: &Framework,
    mut built: Built,
    weights: &[f64],
    plan: &Plan,
    codes: &dyn Fn(usize) -> String,
) -> Result<Built> {
    let n = fw.indicators;
    let aggs = aggregate_all(fw, &built.scores[..n], weights, plan.clone(), codes)?;
    built.scores.truncate(n);
    built.scores.extend(aggs);
    built.ranks = built.scores.iter().map(|s| stats::rank_desc(s)).collect();
    Ok(built)
}

/// The result of [`nelder_mead`].
#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    pub x: Vec<f64>,
    pub fx: f64,
    pub iterations: usize,
    pub converged: bool,
}

/// Nelder-Mead minimisation of `f` from `x0`, deterministic, as R's `optim` default: the
/// start simplex is x0 and x0 + s e_j with s = 10 % of the largest |x0_i| (0.1 when all
/// are 0); reflection 1, expansion 2, contraction 0.5, shrink 0.5; it stops when the
/// objective's spread over the simplex is at most tol x (|f(x0)| + tol), or after
/// `max_iter` iterations (`converged` false). Ties keep the earlier vertex.
pub fn nelder_mead(
    f: &mut dyn FnMut(&[f64]) -> f64,
    x0: &[f64],
    tol: f64,
    max_iter: usize,
) -> Minimum {
    let n = x0.len();
    let size = x0.iter().map(|v| 0.1 * v.abs()).fold(0.0, f64::max);
    let size = if size == 0.0 { 0.1 } else { size };
    let mut pts: Vec<Vec<f64>> = vec![x0.to_vec()];
    for j in 0..n {
        let mut p = x0.to_vec();
        p[j] += size;
        pts.push(p);
    }
    let mut fx: Vec<f64> = pts.iter().map(|p| f(p)).collect();
    let f0 = fx[0];
    let convtol = tol * (if f0.is_finite() { f0.abs() } else { 0.0 } + tol);
    let at = |c: &[f64], d: &[f64], t: f64| -> Vec<f64> {
        c.iter().zip(d).map(|(a, b)| a + t * (b - a)).collect()
    };
    let mut iterations = 0;
    let mut converged = false;
    loop {
        // order best .. worst, stable
        let mut order: Vec<usize> = (0..=n).collect();
        order.sort_by(|&a, &b| fx[a].total_cmp(&fx[b]));
        pts = order.iter().map(|&i| pts[i].clone()).collect();
        fx = order.iter().map(|&i| fx[i]).collect();
        if fx[n] - fx[0] <= convtol {
            converged = true;
            break;
        }
        if iterations >= max_iter {
            break;
        }
        iterations += 1;
        let centroid: Vec<f64> = (0..n)
            .map(|j| pts[..n].iter().map(|p| p[j]).sum::<f64>() / n as f64)
            .collect();
        let reflected = at(&centroid, &pts[n], -1.0);
        let fr = f(&reflected);
        if fr < fx[0] {
            let expanded = at(&centroid, &pts[n], -2.0);
            let fe = f(&expanded);
            if fe < fr {
                (pts[n], fx[n]) = (expanded, fe);
            } else {
                (pts[n], fx[n]) = (reflected, fr);
            }
            continue;
        }
        if fr < fx[n - 1] {
            (pts[n], fx[n]) = (reflected, fr);
            continue;
        }
        // contraction: outside when the reflection beats the worst, else inside
        let (contracted, bound) = if fr < fx[n] {
            (at(&centroid, &reflected, 0.5), fr)
        } else {
            (at(&centroid, &pts[n], 0.5), fx[n])
        };
        let fc = f(&contracted);
        if fc < bound {
            (pts[n], fx[n]) = (contracted, fc);
            continue;
        }
        // shrink towards the best
        for i in 1..=n {
            pts[i] = at(&pts[0].clone(), &pts[i], 0.5);
            fx[i] = f(&pts[i]);
        }
    }
    Minimum {
        x: pts[0].clone(),
        fx: fx[0],
        iterations,
        converged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const FW: &str = "iCode,Level,Parent,Weight,Direction,Type
x1,1,P1,1,1,Indicator
x2,1,P1,3,1,Indicator
x3,1,P2,1,1,Indicator
P1,2,IDX,1,,Aggregate
P2,2,IDX,3,,Aggregate
IDX,3,,1,,Aggregate
";

    #[test]
    fn effective_weights_multiply_sibling_shares_down_the_tree() {
        let fw = Framework::parse(FW, Path::new("fw.csv")).unwrap();
        // P1 1/4, P2 3/4; x1 1/4 of P1 = 1/16, x2 3/4 of P1 = 3/16, x3 all of P2 = 3/4
        assert_eq!(
            effective(&fw, &fw.weights()),
            vec![1. / 16., 3. / 16., 3. / 4., 1. / 4., 3. / 4., 1.]
        );
        // siblings summing to 0 get 0
        let mut w = fw.weights();
        w[2] = 0.0;
        assert_eq!(effective(&fw, &w)[2], 0.0);
    }

    #[test]
    fn nelder_mead_finds_a_quadratic_minimum() {
        // (x - 1)^2 + 10 (y + 2)^2: minimum 0 at (1, -2)
        let mut f = |p: &[f64]| (p[0] - 1.0).powi(2) + 10.0 * (p[1] + 2.0).powi(2);
        let m = nelder_mead(&mut f, &[0.0, 0.0], 1e-12, 1000);
        assert!(m.converged);
        assert!(
            (m.x[0] - 1.0).abs() < 1e-4 && (m.x[1] + 2.0).abs() < 1e-4,
            "{m:?}"
        );
        // deterministic
        let mut g = |p: &[f64]| (p[0] - 1.0).powi(2) + 10.0 * (p[1] + 2.0).powi(2);
        assert_eq!(m, nelder_mead(&mut g, &[0.0, 0.0], 1e-12, 1000));
        // an iteration cap reports no convergence
        assert!(!nelder_mead(&mut g, &[0.0, 0.0], 1e-12, 3).converged);
    }

    /// x1, x2 -> P1 (equal weights, x1 = x2), x3 -> P2; P1 and P2 -> IDX with weights 1, 1.
    /// P1 = 0 40 0 40 and P2 = 10 10 30 30 are uncorrelated (products of the deviations
    /// +-20 and +-10 cancel) with sd(P1) = 2 sd(P2). With IDX = a P1 + b P2 (a + b = 1),
    /// corr(P1, IDX) = 2a s / sd(IDX) and corr(P2, IDX) = b s / sd(IDX) (s = sd(P2)):
    /// equal when b = 2a, i.e. a = 1/3, b = 2/3, both then 1/sqrt(2). The same weights
    /// maximise the sum (2a + b) / sqrt(4a^2 + b^2) (Cauchy-Schwarz: at most sqrt 2, reached
    /// when (2a, b) is parallel to (1, 1)). Under equal weights: corr 2/sqrt(5) and
    /// 1/sqrt(5), sum 3/sqrt(5) = 1.342 < sqrt(2) = 1.414.
    fn balanced_problem() -> (Framework, Vec<Vec<f64>>) {
        let fw = Framework::parse(
            "iCode,Level,Parent,Weight,Direction,Type
x1,1,P1,1,1,Indicator
x2,1,P1,1,1,Indicator
x3,1,P2,1,1,Indicator
P1,2,IDX,1,,Aggregate
P2,2,IDX,1,,Aggregate
IDX,3,,1,,Aggregate
",
            Path::new("fw.csv"),
        )
        .unwrap();
        let ind = vec![
            vec![0., 40., 0., 40.],
            vec![0., 40., 0., 40.],
            vec![10., 10., 30., 30.],
        ];
        (fw, ind)
    }

    #[test]
    fn balance_and_infomax_find_the_hand_derived_weights() {
        let (fw, ind) = balanced_problem();
        let codes = |u: usize| format!("u{u}");
        let plan = Plan::from(crate::config::Aggregation::Arithmetic);
        for method in [WeightTarget::Balance, WeightTarget::Infomax] {
            let opt = OptimiseWeights {
                method,
                ..OptimiseWeights::default()
            };
            let o = optimise(&fw, &ind, &fw.weights(), &plan, &opt, &codes).unwrap();
            assert!(o.converged, "{o:?}");
            assert_eq!(o.nodes, vec![3, 4]);
            assert!((o.weights[3] - 1. / 3.).abs() < 1e-4, "{method:?} {o:?}");
            assert!((o.weights[4] - 2. / 3.).abs() < 1e-4, "{method:?} {o:?}");
            // the indicators keep their weights
            assert_eq!(o.weights[..3], [1., 1., 1.]);
            let r = 5f64.sqrt();
            assert!((o.correlations_before[0] - 2. / r).abs() < 1e-12);
            assert!((o.correlations_before[1] - 1. / r).abs() < 1e-12);
            for c in &o.correlations_after {
                assert!((c - 0.5f64.sqrt()).abs() < 1e-4, "{o:?}");
            }
            assert!(o.objective_after < o.objective_before);
            if method == WeightTarget::Balance {
                // shares 2/3, 1/3 against targets 1/2: ((1/6)^2 + (1/6)^2) / 2 = 1/36
                assert!((o.objective_before - 1. / 36.).abs() < 1e-12);
                assert!(o.objective_after < 1e-8);
            } else {
                assert!((o.objective_before + 3. / r).abs() < 1e-12);
                assert!((o.objective_after + 2f64.sqrt()).abs() < 1e-8);
            }
        }
    }

    #[test]
    fn balance_towards_unequal_importances_and_bad_levels_or_codes() {
        let (fw, ind) = balanced_problem();
        let codes = |u: usize| format!("u{u}");
        let plan = Plan::from(crate::config::Aggregation::Arithmetic);
        // importance P1 : P2 = 2 : 1, i.e. corr(P1) = 2 corr(P2): 2a = 2b -> a = b = 1/2,
        // which the equal start already meets (objective 0 from the start)
        let opt = OptimiseWeights {
            importance: [("P1".to_string(), 2.0)].into_iter().collect(),
            ..OptimiseWeights::default()
        };
        let o = optimise(&fw, &ind, &fw.weights(), &plan, &opt, &codes).unwrap();
        assert!(o.objective_before < 1e-20);
        assert_eq!(o.targets, vec![2. / 3., 1. / 3.]);
        assert!((o.weights[3] - 0.5).abs() < 1e-6, "{o:?}");
        let bad = OptimiseWeights {
            level: 3,
            ..OptimiseWeights::default()
        };
        assert_eq!(
            optimise(&fw, &ind, &fw.weights(), &plan, &bad, &codes)
                .unwrap_err()
                .to_string(),
            "index.optimise_weights.level = 3: the framework has no nodes below the index at that level; choose a level from 1 to 2"
        );
        let bad = OptimiseWeights {
            importance: [("x1".to_string(), 2.0)].into_iter().collect(),
            ..OptimiseWeights::default()
        };
        assert_eq!(
            optimise(&fw, &ind, &fw.weights(), &plan, &bad, &codes)
                .unwrap_err()
                .to_string(),
            "index.optimise_weights.importance names 'x1', which is not a node of level 2; its nodes are: P1, P2"
        );
    }

    #[test]
    fn rebuild_reaggregates_with_new_weights() {
        let (fw, ind) = balanced_problem();
        let codes = |u: usize| format!("u{u}");
        let plan = Plan::from(crate::config::Aggregation::Arithmetic);
        let aggs = aggregate_all(&fw, &ind, &fw.weights(), plan.clone(), &codes).unwrap();
        let built = Built {
            prepared: super::super::Prepared {
                units: vec![0, 1, 2, 3],
                screening: Vec::new(),
                raw: ind.clone(),
                imputed: vec![vec![false; 4]; 3],
                treated: ind.clone(),
                treatments: Vec::new(),
                normalise: Default::default(),
                attempts: Vec::new(),
            },
            scores: ind.iter().cloned().chain(aggs).collect(),
            ranks: Vec::new(),
        };
        let mut w = fw.weights();
        (w[3], w[4]) = (1.0, 2.0);
        let b = rebuild(&fw, built, &w, &plan, &codes).unwrap();
        // IDX = (P1 + 2 P2) / 3 = (0 + 20) / 3, (40 + 20) / 3, 60 / 3, 100 / 3
        let want = [20. / 3., 20., 20., 100. / 3.];
        for (a, b) in b.scores[5].iter().zip(want) {
            assert!((a - b).abs() < 1e-12);
        }
        assert_eq!(b.ranks[5], vec![4., 2., 2., 1.]);
    }
}
