//! Aggregation of children into their parent, one aggregate at a time over every unit
//! (METHODOLOGY section 9 step 7).
//!
//! The means and the weighted median work unit by unit: missing children are skipped and
//! the remaining weights rescaled (COINr's `a_amean`), and a child of weight 0 takes no
//! part. The Copeland method and the benefit of the doubt compare the units with each
//! other, so they take the whole aggregate at once (COINr's `by_df = TRUE`). A unit whose
//! share of children with a value is below the [`Plan::threshold`] gets no aggregate
//! (COINr's `dat_thresh`).
//!
//! The geometric and harmonic means refuse zeros and negative children, as COINr does
//! (the caller names the aggregate and the unit); so do the generalised mean (zeros only
//! when p < 0) and the benefit of the doubt (negatives).

use crate::config::Aggregation;

/// How every aggregate is computed: one method per level (the default where no level is
/// named), the generalised mean's exponent and the minimum share of children present.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The method where `by_level` names none.
    pub default: Aggregation,
    /// The method of each aggregation level, from level 2 upwards (COINr's `f_ag` vector);
    /// empty: `default` everywhere.
    pub by_level: Vec<Aggregation>,
    /// The method of single aggregates by code, before `by_level` (COINr's parent
    /// overrides in an `f_ag` list).
    pub by_aggregate: std::collections::BTreeMap<String, Aggregation>,
    /// The exponent of [`Aggregation::Generalised`].
    pub p: f64,
    /// A unit with a smaller share of its children present gets no aggregate.
    pub threshold: f64,
}

impl Plan {
    /// The method that aggregates the children of aggregate `code` of `level` (>= 2): its
    /// own, else its level's, else the default.
    pub fn method(&self, code: &str, level: u32) -> Aggregation {
        self.by_aggregate.get(code).copied().unwrap_or_else(|| {
            self.by_level
                .get(level.saturating_sub(2) as usize)
                .copied()
                .unwrap_or(self.default)
        })
    }
}

impl From<Aggregation> for Plan {
    /// One method everywhere, p = 2, no availability threshold.
    fn from(default: Aggregation) -> Self {
        Plan {
            default,
            by_level: Vec::new(),
            by_aggregate: Default::default(),
            p: 2.0,
            threshold: 0.0,
        }
    }
}

/// A child value the method cannot take.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Refusal {
    /// A negative child of unit `unit`.
    Negative { unit: usize, value: f64 },
    /// A zero child of unit `unit` (geometric, harmonic, generalised with p < 0).
    Zero { unit: usize },
}

/// The aggregate of every unit: `kids[c][u]` is child `c`'s value for unit `u`, `weights[c]`
/// its weight; missing values are `NaN`, and so is the aggregate of a unit with no child
/// present (or fewer than `threshold` of them).
pub fn aggregate(
    method: Aggregation,
    p: f64,
    threshold: f64,
    kids: &[&[f64]],
    weights: &[f64],
) -> Result<Vec<f64>, Refusal> {
    let n = kids.first().map(|k| k.len()).unwrap_or(0);
    let enough = |u: usize| {
        let present = kids.iter().filter(|k| !k[u].is_nan()).count();
        present > 0 && present as f64 / kids.len() as f64 >= threshold
    };
    let mut out = match method {
        Aggregation::Copeland => copeland(kids, weights),
        Aggregation::Bod => {
            let weighted: Vec<&[f64]> = kids
                .iter()
                .zip(weights)
                .filter(|(_, w)| **w > 0.0)
                .map(|(k, _)| *k)
                .collect();
            let mut s = bod(&weighted)?;
            s.resize(n, f64::NAN);
            s
        }
        _ => {
            let mut out = Vec::with_capacity(n);
            let mut row: Vec<(f64, f64)> = Vec::with_capacity(kids.len());
            for u in 0..n {
                row.clear();
                row.extend(
                    kids.iter()
                        .zip(weights)
                        .map(|(k, &w)| (k[u], w))
                        .filter(|(v, w)| !v.is_nan() && *w > 0.0),
                );
                // without a threshold, a unit with no child present is NaN in one_unit
                out.push(if threshold <= 0.0 || enough(u) {
                    one_unit(method, p, &row).map_err(|r| match r {
                        Refusal::Negative { value, .. } => Refusal::Negative { unit: u, value },
                        Refusal::Zero { .. } => Refusal::Zero { unit: u },
                    })?
                } else {
                    f64::NAN
                });
            }
            return Ok(out);
        }
    };
    for (u, v) in out.iter_mut().enumerate() {
        if !enough(u) {
            *v = f64::NAN;
        }
    }
    Ok(out)
}

/// One unit's aggregate of its present `(value, weight > 0)` children (a row method);
/// `NaN` when there are none. The unit of a refusal is 0 (the caller sets it).
fn one_unit(method: Aggregation, p: f64, row: &[(f64, f64)]) -> Result<f64, Refusal> {
    let wsum: f64 = row.iter().map(|(_, w)| w).sum();
    if row.is_empty() || wsum <= 0.0 {
        return Ok(f64::NAN);
    }
    let check = |zero_refused: bool| -> Result<(), Refusal> {
        for &(v, _) in row {
            if v < 0.0 {
                return Err(Refusal::Negative { unit: 0, value: v });
            }
            if v == 0.0 && zero_refused {
                return Err(Refusal::Zero { unit: 0 });
            }
        }
        Ok(())
    };
    let weighted = |f: &dyn Fn(f64) -> f64| row.iter().map(|&(v, w)| w * f(v)).sum::<f64>();
    Ok(match method {
        Aggregation::Arithmetic => weighted(&|v| v) / wsum,
        Aggregation::Geometric => {
            check(true)?;
            (weighted(&f64::ln) / wsum).exp()
        }
        Aggregation::Harmonic => {
            check(true)?;
            wsum / weighted(&|v| 1.0 / v)
        }
        Aggregation::Generalised => {
            check(p < 0.0)?;
            (weighted(&|v| v.powf(p)) / wsum).powf(1.0 / p)
        }
        Aggregation::WeightedMedian => weighted_median(row, wsum),
        Aggregation::Copeland | Aggregation::Bod => unreachable!("whole-aggregate methods"),
    })
}

/// COINr's weighted median: ordered by value, the value x_m with at most half the weight
/// below it and at most half above it; when the weight below and including x_m is exactly
/// half, x_m and the next value both qualify and their mean is taken (so equal weights give
/// the ordinary median).
fn weighted_median(row: &[(f64, f64)], wsum: f64) -> f64 {
    let mut sorted = row.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut cum = 0.0;
    for (i, &(v, w)) in sorted.iter().enumerate() {
        cum += w;
        if 2.0 * cum == wsum && i + 1 < sorted.len() {
            return (v + sorted[i + 1].0) / 2.0;
        }
        if 2.0 * cum >= wsum {
            return v;
        }
    }
    sorted.last().map_or(f64::NAN, |l| l.0)
}

/// Copeland scores: for each pair of units, the weighted share of the children (present
/// for both) on which one scores higher, ties counting half; above one half the unit
/// outranks the other (+1), below it is outranked (-1), at one half neither (0). A unit's
/// score is its sum over every other unit; pairs with no child present for both count 0.
fn copeland(kids: &[&[f64]], weights: &[f64]) -> Vec<f64> {
    let n = kids.first().map(|k| k.len()).unwrap_or(0);
    let mut score = vec![0.0; n];
    for a in 0..n {
        for b in a + 1..n {
            let (mut win, mut total) = (0.0, 0.0);
            for (k, &w) in kids.iter().zip(weights) {
                let (x, y) = (k[a], k[b]);
                if x.is_nan() || y.is_nan() {
                    continue;
                }
                total += w;
                if x > y {
                    win += w;
                } else if x == y {
                    win += w / 2.0;
                }
            }
            if total <= 0.0 {
                continue;
            }
            let s = if 2.0 * win > total {
                1.0
            } else if 2.0 * win < total {
                -1.0
            } else {
                0.0
            };
            score[a] += s;
            score[b] -= s;
        }
    }
    score
}

/// Benefit of the doubt (data envelopment analysis, Compind's `ci_bod`): for unit u with
/// children y_u, the largest sum_i w_i y_ui over weights w >= 0 under which no unit v
/// (among those with every child of u present) scores above 1: sum_i w_i y_vi <= 1. The
/// framework's weights take no part (the caller leaves out children of weight 0). Only u's
/// present children enter its program.
fn bod(kids: &[&[f64]]) -> Result<Vec<f64>, Refusal> {
    let n = kids.first().map(|k| k.len()).unwrap_or(0);
    for (u, k) in (0..n).flat_map(|u| kids.iter().map(move |k| (u, k))) {
        if k[u] < 0.0 {
            return Err(Refusal::Negative {
                unit: u,
                value: k[u],
            });
        }
    }
    let mut out = Vec::with_capacity(n);
    for u in 0..n {
        let cols: Vec<&[f64]> = kids.iter().copied().filter(|k| !k[u].is_nan()).collect();
        if cols.is_empty() {
            out.push(f64::NAN);
            continue;
        }
        let c: Vec<f64> = cols.iter().map(|k| k[u]).collect();
        let rows: Vec<Vec<f64>> = (0..n)
            .filter(|&v| cols.iter().all(|k| !k[v].is_nan()))
            .map(|v| cols.iter().map(|k| k[v]).collect())
            .collect();
        out.push(simplex_max(&c, &rows));
    }
    Ok(out)
}

/// The maximum of `c . w` over `w >= 0` with `a . w <= 1` for every row `a` of `rows`
/// (all entries >= 0, and the objective is one of the rows, so the program is bounded
/// by 1). A dense simplex on the condensed (Tucker) tableau, starting from the slack basis
/// (feasible as every right-hand side is 1), with Bland's rule (the lowest-numbered
/// improving variable enters, ties in the ratio test leave by lowest number), which cannot
/// cycle in exact arithmetic. Pivots use a tolerance of 1e-12; as rounding could still
/// make a degenerate program pivot without end, the search stops after `1000 + 100 (m +
/// k)` pivots and gives a missing value (`NaN`) rather than a value short of the optimum.
pub fn simplex_max(c: &[f64], rows: &[Vec<f64>]) -> f64 {
    const EPS: f64 = 1e-12;
    let (m, k) = (rows.len(), c.len());
    // t[i][j]: rows 0..m constraints, row m the objective; column k the right-hand side.
    // basic_i = t[i][k] - sum_j t[i][j] x_j(nonbasic); z = t[m][k] - sum_j t[m][j] x_j
    let mut t: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| r.iter().copied().chain([1.0]).collect())
        .collect();
    t.push(c.iter().map(|v| -v).chain([0.0]).collect());
    // variable numbers: decision variables 0..k, slacks k..k+m
    let mut nonbasic: Vec<usize> = (0..k).collect();
    let mut basic: Vec<usize> = (k..k + m).collect();
    let mut pivots_left = 1000 + 100 * (m + k);
    // entering: the lowest-numbered nonbasic variable that improves z
    while let Some(s) = (0..k)
        .filter(|&j| t[m][j] < -EPS)
        .min_by_key(|&j| nonbasic[j])
    {
        // leaving: the smallest ratio, ties by the lowest-numbered basic variable
        let mut r: Option<usize> = None;
        for i in 0..m {
            if t[i][s] > EPS {
                let better = match r {
                    None => true,
                    Some(r0) => {
                        let (a, b) = (t[i][k] / t[i][s], t[r0][k] / t[r0][s]);
                        a < b - EPS || (a <= b + EPS && basic[i] < basic[r0])
                    }
                };
                if better {
                    r = Some(i);
                }
            }
        }
        let Some(r) = r else {
            return f64::INFINITY; // unbounded (cannot happen for these programs)
        };
        if pivots_left == 0 {
            return f64::NAN;
        }
        pivots_left -= 1;
        let p = t[r][s];
        let pivot_row = t[r].clone();
        for (i, row) in t.iter_mut().enumerate() {
            if i == r {
                continue;
            }
            let f = row[s] / p;
            if f != 0.0 {
                for (j, (x, &pr)) in row.iter_mut().zip(&pivot_row).enumerate() {
                    if j != s {
                        *x -= f * pr;
                    }
                }
            }
            row[s] = -f;
        }
        for (j, x) in t[r].iter_mut().enumerate() {
            *x = if j == s { 1.0 / p } else { *x / p };
        }
        std::mem::swap(&mut basic[r], &mut nonbasic[s]);
    }
    t[m][k]
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAN: f64 = f64::NAN;

    /// One unit's aggregate (a row method).
    fn agg(m: Aggregation, p: &[(f64, f64)]) -> Result<f64, Refusal> {
        agg_p(m, 2.0, p)
    }

    fn agg_p(m: Aggregation, power: f64, p: &[(f64, f64)]) -> Result<f64, Refusal> {
        let cols: Vec<Vec<f64>> = p.iter().map(|(v, _)| vec![*v]).collect();
        let kids: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        let w: Vec<f64> = p.iter().map(|(_, w)| *w).collect();
        aggregate(m, power, 0.0, &kids, &w).map(|v| v[0])
    }

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }

    #[test]
    fn arithmetic_skips_missing_and_rescales() {
        assert_eq!(
            agg(Aggregation::Arithmetic, &[(10., 1.), (40., 2.)]),
            Ok(30.0)
        );
        assert_eq!(
            agg(Aggregation::Arithmetic, &[(10., 1.), (NAN, 5.), (40., 2.)]),
            Ok(30.0)
        );
        assert!(agg(Aggregation::Arithmetic, &[(NAN, 1.)]).unwrap().is_nan());
    }

    #[test]
    fn geometric_and_harmonic() {
        // (4^1 x 16^1)^(1/2) = 8; weights 1 and 3: exp((ln 4 + 3 ln 16) / 4) = 4^(7/4)
        close(
            agg(Aggregation::Geometric, &[(4., 1.), (16., 1.)]).unwrap(),
            8.0,
        );
        close(
            agg(Aggregation::Geometric, &[(4., 1.), (16., 3.)]).unwrap(),
            4f64.powf(1.75),
        );
        // a zero child is refused (COINr's a_gmean and a_hmean stop on zeros)
        assert_eq!(
            agg(Aggregation::Geometric, &[(0., 1.), (50., 1.)]),
            Err(Refusal::Zero { unit: 0 })
        );
        assert_eq!(
            agg(Aggregation::Geometric, &[(-1., 1.), (50., 1.)]),
            Err(Refusal::Negative {
                unit: 0,
                value: -1.0
            })
        );
        // harmonic: 2 / (1/2 + 1/6) = 3
        close(
            agg(Aggregation::Harmonic, &[(2., 1.), (6., 1.)]).unwrap(),
            3.0,
        );
        assert_eq!(
            agg(Aggregation::Harmonic, &[(0., 1.), (6., 1.)]),
            Err(Refusal::Zero { unit: 0 })
        );
        // a missing zero is no zero
        close(
            agg(Aggregation::Geometric, &[(NAN, 1.), (9., 1.)]).unwrap(),
            9.0,
        );
    }

    #[test]
    fn generalised_mean() {
        // p = 2, weights 1 and 3: sqrt((1 x 2^2 + 3 x 4^2) / 4) = sqrt(52 / 4) = sqrt(13)
        close(
            agg_p(Aggregation::Generalised, 2.0, &[(2., 1.), (4., 3.)]).unwrap(),
            13f64.sqrt(),
        );
        // p = 1 is the arithmetic mean, p = -1 the harmonic: 2 / (1/2 + 1/6) = 3
        close(
            agg_p(Aggregation::Generalised, 1.0, &[(2., 1.), (6., 1.)]).unwrap(),
            4.0,
        );
        close(
            agg_p(Aggregation::Generalised, -1.0, &[(2., 1.), (6., 1.)]).unwrap(),
            3.0,
        );
        // a zero is fine for p > 0: sqrt((0 + 4^2) / 2) = sqrt(8); refused for p < 0
        close(
            agg_p(Aggregation::Generalised, 2.0, &[(0., 1.), (4., 1.)]).unwrap(),
            8f64.sqrt(),
        );
        assert_eq!(
            agg_p(Aggregation::Generalised, -1.0, &[(0., 1.), (4., 1.)]),
            Err(Refusal::Zero { unit: 0 })
        );
        assert_eq!(
            agg_p(Aggregation::Generalised, 2.0, &[(-3., 1.), (4., 1.)]),
            Err(Refusal::Negative {
                unit: 0,
                value: -3.0
            })
        );
    }

    #[test]
    fn weighted_median() {
        // ordered 1 (w 1), 5 (w 1), 9 (w 3): weight 5, half 2.5; cumulative 1, 2, 5:
        // 9 is the first to reach half
        assert_eq!(
            agg(Aggregation::WeightedMedian, &[(9., 3.), (1., 1.), (5., 1.)]),
            Ok(9.0)
        );
        // equal weights, odd count: the middle value
        assert_eq!(
            agg(Aggregation::WeightedMedian, &[(9., 1.), (1., 1.), (5., 1.)]),
            Ok(5.0)
        );
        // equal weights, even count: 2 and 6 both qualify -> their mean 4
        assert_eq!(
            agg(
                Aggregation::WeightedMedian,
                &[(8., 1.), (2., 1.), (6., 1.), (1., 1.)]
            ),
            Ok(4.0)
        );
        // weights 1, 1, 2 on 1, 2, 10: cumulative 1, 2 = half of 4 -> (2 + 10) / 2 = 6
        assert_eq!(
            agg(
                Aggregation::WeightedMedian,
                &[(1., 1.), (2., 1.), (10., 2.)]
            ),
            Ok(6.0)
        );
        // negatives and missing children are fine
        assert_eq!(
            agg(
                Aggregation::WeightedMedian,
                &[(-4., 1.), (NAN, 1.), (3., 2.)]
            ),
            Ok(3.0)
        );
    }

    fn whole(m: Aggregation, kids: &[&[f64]], w: &[f64]) -> Vec<f64> {
        aggregate(m, 2.0, 0.0, kids, w).unwrap()
    }

    #[test]
    fn copeland() {
        // units a, b, c on children x (weight 2) and y (weight 1):
        //   x: 3 1 2; y: 1 3 3
        // a vs b: a wins x (2 of 3) -> a +1, b -1
        // a vs c: a wins x (2 of 3) -> a +1, c -1
        // b vs c: x c wins (2), y tie (1/2): b has 0.5 of 3 -> b -1, c +1
        // a 2, b -2, c 0
        let x = [3., 1., 2.];
        let y = [1., 3., 3.];
        assert_eq!(
            whole(Aggregation::Copeland, &[&x, &y], &[2., 1.]),
            vec![2., -2., 0.]
        );
        // equal weights: a vs b 1/2 each -> 0; a vs c 0; b vs c: y tie, x c -> b 0.25: -1
        assert_eq!(
            whole(Aggregation::Copeland, &[&x, &y], &[1., 1.]),
            vec![0., -1., 1.]
        );
        // a missing value: pairs compare on the children present for both; a unit with
        // none present has no score
        let x = [3., NAN, 2.];
        let y = [1., NAN, 3.];
        let s = whole(Aggregation::Copeland, &[&x, &y], &[2., 1.]);
        assert!(s[1].is_nan());
        assert_eq!((s[0], s[2]), (1., -1.));
    }

    #[test]
    fn benefit_of_the_doubt_by_hand() {
        // units A (1, 2), B (2, 1), C (1, 1).
        // A: max w1 + 2 w2 s.t. w1 + 2 w2 <= 1, 2 w1 + w2 <= 1, w1 + w2 <= 1: its own row
        //    bounds it by 1, reached at w = (0, 1/2) -> 1
        // B: symmetric -> 1
        // C: max w1 + w2 s.t. w1 + 2 w2 <= 1, 2 w1 + w2 <= 1: adding both, 3 (w1 + w2) <= 2
        //    -> 2/3 at w = (1/3, 1/3)
        let y1 = [1., 2., 1.];
        let y2 = [2., 1., 1.];
        let s = whole(Aggregation::Bod, &[&y1, &y2], &[1., 1.]);
        close(s[0], 1.0);
        close(s[1], 1.0);
        close(s[2], 2.0 / 3.0);
        // the framework weights take no part, except that a child of weight 0 is left out:
        // on y1 alone, max w1 s.t. w1 x {1, 2, 1} <= 1 -> w1 = 1/2: A 1/2, B 1, C 1/2
        assert_eq!(s, whole(Aggregation::Bod, &[&y1, &y2], &[5., 1.]));
        assert_eq!(
            whole(Aggregation::Bod, &[&y1, &y2], &[1., 0.]),
            vec![0.5, 1., 0.5]
        );
        // a unit missing y2 is scored on y1 alone against every unit: max w1 s.t.
        // w1 x {1, 2, 1, 2} <= 1 -> w1 = 1/2 -> C' (y1 = 1) scores 1/2
        let y1 = [1., 2., 1., 1.];
        let y2 = [2., 1., 1., NAN];
        let s = whole(Aggregation::Bod, &[&y1, &y2], &[1., 1.]);
        close(s[3], 0.5);
        close(s[2], 2.0 / 3.0);
        assert_eq!(
            aggregate(Aggregation::Bod, 2.0, 0.0, &[&[1., -1.]], &[1.]),
            Err(Refusal::Negative {
                unit: 1,
                value: -1.0
            })
        );
    }

    #[test]
    fn simplex_degenerate_and_larger() {
        // max 3 w1 + 2 w2 + 4 w3 s.t. rows (1,1,2), (2,0,3), (2,1,3) <= 1:
        // w3 alone: min(1/2, 1/3, 1/3) -> 4/3; w1 alone: 1/2 -> 3/2; w2 alone: 1 -> 2;
        // w1 + w2: 2 w1 + w2 <= 1, w1 + w2 <= 1 -> w1 = 0, w2 = 1 -> 2; no vertex of the
        // 20 (three constraints tight) does better: the optimum is 2
        let rows = vec![vec![1., 1., 2.], vec![2., 0., 3.], vec![2., 1., 3.]];
        close(simplex_max(&[3., 2., 4.], &rows), 2.0);
        // identical rows (degenerate ties in the ratio test)
        let rows = vec![vec![1., 1.], vec![1., 1.], vec![1., 1.]];
        close(simplex_max(&[1., 1.], &rows), 1.0);
    }

    #[test]
    fn coinr_vignette_data_availability_example() {
        // COINr's aggregation vignette: i1 = (1, 2, 3), i2 = (3, NA, NA), i3 = (1, NA, 1),
        // a_amean with equal weights and dat_thresh = 2/3: row 1 (1 + 3 + 1) / 3 = 5/3,
        // row 2 has 1/3 of its data: NA, row 3 has 2/3 (not below): (3 + 1) / 2 = 2
        let s = aggregate(
            Aggregation::Arithmetic,
            2.0,
            2.0 / 3.0,
            &[&[1., 2., 3.], &[3., NAN, NAN], &[1., NAN, 1.]],
            &[1., 1., 1.],
        )
        .unwrap();
        close(s[0], 5.0 / 3.0);
        assert!(s[1].is_nan());
        close(s[2], 2.0);
    }

    #[test]
    fn the_threshold_blanks_units_with_too_few_children() {
        // three children; unit 0 has 3 of 3, unit 1 2 of 3, unit 2 1 of 3
        let a = [1., 1., 1.];
        let b = [2., 2., NAN];
        let c = [3., NAN, NAN];
        let kids: [&[f64]; 3] = [&a, &b, &c];
        let at = |t: f64, m: Aggregation| aggregate(m, 2.0, t, &kids, &[1., 1., 1.]).unwrap();
        // 2/3 keeps units 0 (mean 2) and 1 (mean 1.5), blanks unit 2 (1/3 < 2/3)
        let s = at(2.0 / 3.0, Aggregation::Arithmetic);
        assert_eq!(s[..2], [2.0, 1.5]);
        assert!(s[2].is_nan());
        // 0: unit 2 keeps its single child
        assert_eq!(at(0.0, Aggregation::Arithmetic), vec![2.0, 1.5, 1.0]);
        // whole-aggregate methods too
        assert!(at(1.0, Aggregation::Copeland)[1].is_nan());
    }
}
