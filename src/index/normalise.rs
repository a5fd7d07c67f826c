//! Normalisation of one indicator column (METHODOLOGY section 9 step 6), after the column
//! has been multiplied by its direction (so higher is always better), as COINr's
//! `Normalise` does before every method. Missing values stay missing; a column that cannot
//! be normalised (all values equal under min-max or distance to max, fewer than two values
//! under z-score, a reference at or below the minimum, a maximum of 0 under fraction of
//! max) becomes missing, as COINr's `NaN`.

use std::collections::BTreeMap;

use super::stats::{self, rank_min};
use crate::config::{Normalisation, NormaliseIndicator};

/// Goalposts or a target for one indicator, in its own units (before the direction).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Posts {
    pub worst: Option<f64>,
    pub target: Option<f64>,
}

/// What distance to reference (COINr's `n_dist2ref`) measures against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reference {
    /// The value of a unit: its position in the column (COINr's `iref`).
    Unit(usize),
    /// A value in the indicator's own units (before the direction).
    Value(f64),
}

/// The parameters of the methods (COINr's `f_n_para`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Min-max maps onto `[l, u]` (COINr's `l_u`).
    pub range: [f64; 2],
    /// z-scores get this mean and sd (COINr's `m_sd`).
    pub mean_sd: [f64; 2],
    /// Scaled: `(x - l) / (u - l) x 100` (COINr's `npara`).
    pub bounds: [f64; 2],
    /// Target: values beyond the target score 100 (COINr's `cap_max`).
    pub target_cap: bool,
    /// Distance to reference: the reference (none: the column becomes missing).
    pub reference: Option<Reference>,
    /// Distance to reference: values beyond the reference score 1 (COINr's `cap_max`).
    pub reference_cap: bool,
}

impl Default for Params {
    /// COINr's defaults, except that citybench caps the target method by default.
    fn default() -> Self {
        Params {
            range: [0.0, 100.0],
            mean_sd: [0.0, 1.0],
            bounds: [0.0, 100.0],
            target_cap: true,
            reference: None,
            reference_cap: false,
        }
    }
}

/// The normalisation choices beyond the method, as configured (units by code):
/// `[index]`'s parameters and the per-indicator tables `[index.normalise.<code>]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    /// `[index]`'s parameters; its range is replaced by the run's, its reference unused.
    pub params: Params,
    /// `[index] reference_unit`.
    pub reference_unit: Option<String>,
    /// `[index.normalise.<code>]`, by indicator code.
    pub indiv: BTreeMap<String, NormaliseIndicator>,
}

impl Settings {
    /// The settings of `[index]`.
    pub fn from_config(ix: &crate::config::Index) -> Self {
        Settings {
            params: Params {
                range: ix.minmax_range,
                mean_sd: ix.zscore_mean_sd,
                bounds: ix.scaled_bounds,
                target_cap: ix.target_cap,
                reference: None,
                reference_cap: ix.reference_cap,
            },
            reference_unit: ix.reference_unit.clone(),
            indiv: ix.normalise.clone(),
        }
    }

    /// Resolve the reference units to positions among the ranked units: `position` gives
    /// a unit code's position among them (`Err` with the reason it is not there). `codes`
    /// are the framework's indicator codes, in order.
    pub fn plan(
        &self,
        codes: &[&str],
        position: &dyn Fn(&str) -> std::result::Result<usize, String>,
    ) -> std::result::Result<Plan, String> {
        let unit = |at: &str, code: &str| {
            position(code)
                .map(Reference::Unit)
                .map_err(|why| format!("{at}: '{code}' {why}; distance to reference (dist2ref) measures against a ranked unit"))
        };
        let reference = match &self.reference_unit {
            Some(c) => Some(unit("index.reference_unit", c)?),
            None => None,
        };
        let params = Params {
            reference,
            ..self.params
        };
        let indiv = codes
            .iter()
            .map(|code| {
                let Some(o) = self.indiv.get(*code) else {
                    return Ok(None);
                };
                let reference = match (&o.reference_unit, o.reference_value) {
                    (Some(c), _) => {
                        Some(unit(&format!("index.normalise.{code}.reference_unit"), c)?)
                    }
                    (None, Some(v)) => Some(Reference::Value(v)),
                    (None, None) => reference,
                };
                Ok(Some(Indiv {
                    method: o.method,
                    range: o.minmax_range,
                    params: Params {
                        range: params.range,
                        mean_sd: o.zscore_mean_sd.unwrap_or(params.mean_sd),
                        bounds: o.scaled_bounds.unwrap_or(params.bounds),
                        target_cap: o.target_cap.unwrap_or(params.target_cap),
                        reference,
                        reference_cap: o.reference_cap.unwrap_or(params.reference_cap),
                    },
                }))
            })
            .collect::<std::result::Result<_, String>>()?;
        Ok(Plan { params, indiv })
    }
}

/// One indicator's own normalisation (`[index.normalise.<code>]`), resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Indiv {
    /// Its method (none: the run's, or the sample's in the uncertainty analysis).
    pub method: Option<Normalisation>,
    /// Its min-max range (none: the run's or the sample's).
    pub range: Option<[f64; 2]>,
    /// Its other parameters (the range is replaced as above).
    pub params: Params,
}

/// How every indicator is normalised besides the run's method and range, with reference
/// units resolved to positions among the ranked units.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// The parameters of the indicators without a table of their own.
    pub params: Params,
    /// Per indicator (framework order): its own normalisation, if configured.
    pub indiv: Vec<Option<Indiv>>,
}

impl Plan {
    /// The method and parameters of indicator `i` in a run (or sample) normalising by
    /// `method` onto `range`.
    pub fn of(&self, i: usize, method: Normalisation, range: [f64; 2]) -> (Normalisation, Params) {
        match self.indiv.get(i).copied().flatten() {
            Some(o) => (
                o.method.unwrap_or(method),
                Params {
                    range: o.range.unwrap_or(range),
                    ..o.params
                },
            ),
            None => (
                method,
                Params {
                    range,
                    ..self.params
                },
            ),
        }
    }
}

/// Normalise `x` (raw units) with direction `dir` (+1 or -1); min-max maps onto `range`
/// (COINr's `l_u`, default [0, 100]); every other parameter at its default.
pub fn normalise(
    x: &[f64],
    dir: f64,
    method: Normalisation,
    posts: Posts,
    range: [f64; 2],
) -> Vec<f64> {
    normalise_with(
        x,
        dir,
        method,
        posts,
        &Params {
            range,
            ..Params::default()
        },
    )
}

/// Normalise `x` (raw units) with direction `dir` (+1 or -1) by `method` with parameters
/// `p`.
pub fn normalise_with(
    x: &[f64],
    dir: f64,
    method: Normalisation,
    posts: Posts,
    p: &Params,
) -> Vec<f64> {
    let d: Vec<f64> = x.iter().map(|v| v * dir).collect();
    let present = || d.iter().copied().filter(|v| !v.is_nan());
    let min = || present().fold(f64::INFINITY, f64::min);
    let max = || present().fold(f64::NEG_INFINITY, f64::max);
    let missing = || vec![f64::NAN; x.len()];
    match method {
        Normalisation::Minmax => {
            let (min, max) = (min(), max());
            let range = p.range;
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
            let [tm, ts] = p.mean_sd;
            d.iter()
                .map(|v| {
                    if s > 0.0 {
                        (v - m) / s * ts + tm
                    } else {
                        f64::NAN
                    }
                })
                .collect()
        }
        Normalisation::Percentile | Normalisation::Prank => {
            let n = present().count();
            let scale = if method == Normalisation::Percentile {
                100.0
            } else {
                1.0
            };
            rank_min(&d)
                .iter()
                .map(|r| {
                    if n > 1 {
                        (r - 1.0) / (n - 1) as f64 * scale
                    } else {
                        f64::NAN
                    }
                })
                .collect()
        }
        Normalisation::Rank => rank_min(&d),
        Normalisation::Borda => rank_min(&d).iter().map(|r| r - 1.0).collect(),
        Normalisation::Scaled => {
            let [l, u] = p.bounds;
            d.iter().map(|v| (v - l) / (u - l) * 100.0).collect()
        }
        Normalisation::Fracmax => {
            let max = max();
            if max == 0.0 {
                return missing();
            }
            d.iter().map(|v| v / max).collect()
        }
        Normalisation::Dist2max => match (min(), max()) {
            (min, max) if max > min => d.iter().map(|v| 1.0 - (max - v) / (max - min)).collect(),
            _ => missing(),
        },
        Normalisation::Dist2ref => {
            let reference = match p.reference {
                Some(Reference::Unit(u)) => d.get(u).copied().unwrap_or(f64::NAN),
                Some(Reference::Value(v)) => v * dir,
                None => f64::NAN,
            };
            match min() {
                min if reference > min => d
                    .iter()
                    .map(|v| {
                        let y = 1.0 - (reference - v) / (reference - min);
                        if p.reference_cap { cap(y) } else { y }
                    })
                    .collect(),
                // a missing reference, or one at or below the minimum: nothing to
                // measure by
                _ => missing(),
            }
        }
        Normalisation::Goalposts => match (posts.worst, posts.target) {
            (Some(w), Some(t)) if w != t => x
                .iter()
                .map(|v| ((v - w) / (t - w)).clamp(0.0, 1.0) * 100.0)
                .collect(),
            _ => missing(),
        },
        Normalisation::Target => match posts.target {
            Some(t) => {
                let t = t * dir;
                let min = min();
                d.iter()
                    .map(|v| {
                        if t > min {
                            let y = (v - min) / (t - min);
                            (if p.target_cap { cap(y) } else { y }) * 100.0
                        } else {
                            f64::NAN
                        }
                    })
                    .collect()
            }
            None => missing(),
        },
    }
}

/// `y` capped at 1 (COINr's `cap_max`), a missing value staying missing (`f64::min`
/// would turn it into 1).
fn cap(y: f64) -> f64 {
    if y > 1.0 { 1.0 } else { y }
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

    fn with(x: &[f64], dir: f64, method: Normalisation, p: Params) -> Vec<f64> {
        normalise_with(x, dir, method, NO, &p)
    }

    const P: Params = Params {
        range: [0.0, 100.0],
        mean_sd: [0.0, 1.0],
        bounds: [0.0, 100.0],
        target_cap: true,
        reference: None,
        reference_cap: false,
    };

    #[test]
    fn zscore_with_a_target_mean_and_sd() {
        // COINr's m_sd = c(10, 2): x = 1 2 3 4, mean 2.5, sd s = sqrt(5/3); z = (x - 2.5) / s
        // -> 10 + 2 z = 10 - 3/s, 10 - 1/s, 10 + 1/s, 10 + 3/s
        let s = (5.0f64 / 3.0).sqrt();
        let p = Params {
            mean_sd: [10.0, 2.0],
            ..P
        };
        same(
            &with(&[1., 2., 3., 4.], 1.0, Normalisation::Zscore, p),
            &[10. - 3. / s, 10. - 1. / s, 10. + 1. / s, 10. + 3. / s],
        );
        // lower is better: the order turns round
        same(
            &with(&[1., 2., 3., 4.], -1.0, Normalisation::Zscore, p),
            &[10. + 3. / s, 10. + 1. / s, 10. - 1. / s, 10. - 3. / s],
        );
        // the default [0, 1] gives the plain z-score, bit for bit
        let x = [1., 7., 2.5, NAN, 11.];
        let plain = normalise(&x, 1.0, Normalisation::Zscore, NO, R);
        let z = with(&x, 1.0, Normalisation::Zscore, P);
        for (a, b) in plain.iter().zip(&z) {
            assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()));
        }
    }

    #[test]
    fn prank_and_borda_share_the_smallest_rank_among_ties() {
        // 5 1 5 3 NaN: ranks (ties at the smallest) 3 1 3 2 of n = 4
        let y = [5., 1., 5., 3., NAN];
        // prank: (r - 1) / (n - 1) on 0-1 (COINr's n_prank)
        same(
            &with(&y, 1.0, Normalisation::Prank, P),
            &[2. / 3., 0., 2. / 3., 1. / 3., NAN],
        );
        // borda: r - 1 (COINr's n_borda)
        same(
            &with(&y, 1.0, Normalisation::Borda, P),
            &[2., 0., 2., 1., NAN],
        );
        // lower is better: -5 -1 -5 -3 ranks 1 4 1 3 -> 0 3 0 2
        same(
            &with(&y, -1.0, Normalisation::Borda, P),
            &[0., 3., 0., 2., NAN],
        );
        // one value: (1 - 1) / 0, missing as COINr's NaN
        same(&with(&[4., NAN], 1.0, Normalisation::Prank, P), &[NAN, NAN]);
    }

    #[test]
    fn scaled_fracmax_and_distance_to_max() {
        // scaled with [l, u] = [1, 11]: (x - 1) / 10 x 100
        let p = Params {
            bounds: [1.0, 11.0],
            ..P
        };
        same(
            &with(&[1., 6., 16., NAN], 1.0, Normalisation::Scaled, p),
            &[0., 50., 150., NAN],
        );
        // after the direction: 1 6 16 -> -1 -6 -16, with [l, u] = [-20, 0]: (d + 20) / 20 x 100
        let p = Params {
            bounds: [-20.0, 0.0],
            ..P
        };
        same(
            &with(&[1., 6., 16.], -1.0, Normalisation::Scaled, p),
            &[95., 70., 20.],
        );
        // fraction of max: x / 10
        same(
            &with(&[2., 5., 10., NAN], 1.0, Normalisation::Fracmax, P),
            &[0.2, 0.5, 1., NAN],
        );
        // COINr divides the directed values by their max: -2 -5 -10 / -2 = 1 2.5 5
        same(
            &with(&[2., 5., 10.], -1.0, Normalisation::Fracmax, P),
            &[1., 2.5, 5.],
        );
        // a max of 0 divides by 0: missing
        same(
            &with(&[0., -1.], 1.0, Normalisation::Fracmax, P),
            &[NAN, NAN],
        );
        // distance to max: 1 - (10 - x) / (10 - 2)
        same(
            &with(&[2., 4., 10.], 1.0, Normalisation::Dist2max, P),
            &[0., 0.25, 1.],
        );
        same(
            &with(&[2., 4., 10.], -1.0, Normalisation::Dist2max, P),
            &[1., 0.75, 0.],
        );
        same(
            &with(&[3., 3.], 1.0, Normalisation::Dist2max, P),
            &[NAN, NAN],
        );
    }

    #[test]
    fn distance_to_a_reference_unit_or_value() {
        let x = [2., 4., 6., 10.];
        // the third unit (6) against min 2: 1 - (6 - x) / 4 = 0 0.5 1 2
        let p = Params {
            reference: Some(Reference::Unit(2)),
            ..P
        };
        same(
            &with(&x, 1.0, Normalisation::Dist2ref, p),
            &[0., 0.5, 1., 2.],
        );
        // capped at 1 (COINr's cap_max = TRUE)
        let capped = Params {
            reference_cap: true,
            ..p
        };
        same(
            &with(&x, 1.0, Normalisation::Dist2ref, capped),
            &[0., 0.5, 1., 1.],
        );
        // a value in raw units, lower is better: directed -2 -4 -6 -10, reference -4,
        // min -10: 1 - (-4 - d) / 6 = 4/3 1 2/3 0
        let v = Params {
            reference: Some(Reference::Value(4.0)),
            ..P
        };
        same(
            &with(&x, -1.0, Normalisation::Dist2ref, v),
            &[4. / 3., 1., 2. / 3., 0.],
        );
        // a missing reference, a reference at the minimum, or none: missing
        let gone = Params {
            reference: Some(Reference::Unit(1)),
            ..P
        };
        same(
            &with(&[2., NAN, 6.], 1.0, Normalisation::Dist2ref, gone),
            &[NAN; 3],
        );
        let lowest = Params {
            reference: Some(Reference::Unit(0)),
            ..P
        };
        same(&with(&x, 1.0, Normalisation::Dist2ref, lowest), &[NAN; 4]);
        same(&with(&x, 1.0, Normalisation::Dist2ref, P), &[NAN; 4]);
    }

    #[test]
    fn target_uncapped() {
        // (x - 20) / (80 - 20) x 100, 90 beyond the target: 116.7 uncapped, 100 capped
        let t = Posts {
            worst: None,
            target: Some(80.),
        };
        let open = Params {
            target_cap: false,
            ..P
        };
        same(
            &normalise_with(&[20., 50., 90.], 1.0, Normalisation::Target, t, &open),
            &[0., 50., 700. / 6.],
        );
        same(
            &normalise_with(&[20., 50., 90.], 1.0, Normalisation::Target, t, &P),
            &[0., 50., 100.],
        );
        // a missing value stays missing under the cap (it scored 100 before: f64::min
        // returns the number when one side is NaN)
        same(
            &normalise_with(&[20., NAN, 90.], 1.0, Normalisation::Target, t, &P),
            &[0., NAN, 100.],
        );
    }
}
