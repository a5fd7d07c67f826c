//! Normalisation of one indicator column (METHODOLOGY section 9 step 6), after the column
//! has been multiplied by its direction (so higher is always better), as COINr's
//! `Normalise`. Missing values stay missing; a column that cannot be normalised (all
//! values equal under min-max, fewer than two values under z-score) becomes missing, as
//! COINr's `NaN`.

use super::stats::{self, rank_min};
use crate::config::Normalisation;

/// Goalposts or a target for one indicator, in its own units (before the direction).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Posts {
    pub worst: Option<f64>,
    pub target: Option<f64>,
}

/// Normalise `x` (raw units) with direction `dir` (+1 or -1); min-max maps onto `range`
/// (COINr's `l_u`, default [0, 100]).
pub fn normalise(
    x: &[f64],
    dir: f64,
    method: Normalisation,
    posts: Posts,
    range: [f64; 2],
) -> Vec<f64> {
    let d: Vec<f64> = x.iter().map(|v| v * dir).collect();
    let present = || d.iter().copied().filter(|v| !v.is_nan());
    match method {
        Normalisation::Minmax => {
            let min = present().fold(f64::INFINITY, f64::min);
            let max = present().fold(f64::NEG_INFINITY, f64::max);
            d.iter()
                .map(|v| {
                    if max > min {
                        (v - min) / (max - min) * (range[1] - range[0]) + range[0]
                    } else {
                        f64::NAN
                    }
                })
                .collect()
        }
        Normalisation::Zscore => {
            let (m, s) = (stats::mean(&d), stats::sd(&d));
            d.iter()
                .map(|v| if s > 0.0 { (v - m) / s } else { f64::NAN })
                .collect()
        }
        Normalisation::Percentile => {
            let n = present().count();
            rank_min(&d)
                .iter()
                .map(|r| {
                    if n > 1 {
                        (r - 1.0) / (n - 1) as f64 * 100.0
                    } else {
                        f64::NAN
                    }
                })
                .collect()
        }
        Normalisation::Rank => rank_min(&d),
        Normalisation::Goalposts => match (posts.worst, posts.target) {
            (Some(w), Some(t)) if w != t => x
                .iter()
                .map(|v| ((v - w) / (t - w)).clamp(0.0, 1.0) * 100.0)
                .collect(),
            _ => vec![f64::NAN; x.len()],
        },
        Normalisation::Target => match posts.target {
            Some(t) => {
                let t = t * dir;
                let min = present().fold(f64::INFINITY, f64::min);
                d.iter()
                    .map(|v| {
                        if t > min {
                            ((v - min) / (t - min)).min(1.0) * 100.0
                        } else {
                            f64::NAN
                        }
                    })
                    .collect()
            }
            None => vec![f64::NAN; x.len()],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAN: f64 = f64::NAN;
    const R: [f64; 2] = [0.0, 100.0];
    const NO: Posts = Posts {
        worst: None,
        target: None,
    };

    fn same(a: &[f64], b: &[f64]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!(
                (x.is_nan() && y.is_nan()) || (x - y).abs() < 1e-12,
                "{a:?} vs {b:?}"
            );
        }
    }

    #[test]
    fn minmax_with_direction_and_missing() {
        let x = [10., 20., NAN, 50.];
        same(
            &normalise(&x, 1.0, Normalisation::Minmax, NO, R),
            &[0., 25., NAN, 100.],
        );
        same(
            &normalise(&x, -1.0, Normalisation::Minmax, NO, R),
            &[100., 75., NAN, 0.],
        );
        // onto [1, 100], as COINr users do before a geometric mean
        same(
            &normalise(&x, 1.0, Normalisation::Minmax, NO, [1.0, 100.0]),
            &[1., 25.75, NAN, 100.],
        );
        // constant column: missing, as COINr's NaN
        same(
            &normalise(&[3., 3.], 1.0, Normalisation::Minmax, NO, R),
            &[NAN, NAN],
        );
    }

    #[test]
    fn zscore_percentile_and_rank() {
        let x = [1., 2., 3., 4.];
        let s = (5.0f64 / 3.0).sqrt();
        same(
            &normalise(&x, 1.0, Normalisation::Zscore, NO, R),
            &[-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s],
        );
        // ties share the smallest rank (1, 2, 3, 3 of n = 4): (r - 1) / (n - 1) x 100
        let y = [5., 1., 5., 3., NAN];
        same(
            &normalise(&y, 1.0, Normalisation::Percentile, NO, R),
            &[200. / 3., 0., 200. / 3., 100. / 3., NAN],
        );
        same(
            &normalise(&y, -1.0, Normalisation::Rank, NO, R),
            &[1., 4., 1., 3., NAN],
        );
    }

    #[test]
    fn goalposts_and_distance_to_target() {
        // lower is better: worst 100, target 20
        let p = Posts {
            worst: Some(100.),
            target: Some(20.),
        };
        same(
            &normalise(&[120., 60., 10.], -1.0, Normalisation::Goalposts, p, R),
            &[0., 50., 100.],
        );
        // higher is better, target 80: (x - min) / (80 - min), capped at 100
        let t = Posts {
            worst: None,
            target: Some(80.),
        };
        same(
            &normalise(&[20., 50., 90.], 1.0, Normalisation::Target, t, R),
            &[0., 50., 100.],
        );
        // lower is better, target 10: directed values -40, -25, -5 against -10
        same(
            &normalise(
                &[40., 25., 5.],
                -1.0,
                Normalisation::Target,
                Posts {
                    worst: None,
                    target: Some(10.),
                },
                R,
            ),
            &[0., 50., 100.],
        );
        same(
            &normalise(&[1., 2.], 1.0, Normalisation::Target, NO, R),
            &[NAN, NAN],
        );
    }
}
