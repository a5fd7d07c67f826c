//! Outlier treatment, the JRC rule as COINr implements it (METHODOLOGY section 9 step 5).
//!
//! An indicator passes when |skewness| < `skew_max` or excess kurtosis < `kurtosis_max`
//! (both strict, spreadsheet formulas, missing values ignored). Otherwise it is winsorised
//! one step at a time: on the tail given by the sign of the current skewness (>= 0: the
//! high tail), every point tied at the extreme is set to the next value inward; the test is
//! repeated after every step, and the loop stops when the indicator passes or when
//! `winsorise_max` or more points have been clipped (a tie can take the count past the
//! limit). If it still fails, the clipping is discarded and the original column becomes
//! `ln(x - min + 0.01 (max - min))` (COINr's `log_CT`; it is not re-tested). Other
//! transforms (COINr's `f2`: `log_CT_orig`, `log_GII`, `boxcox`) and applying the transform
//! to the winsorised column (COINr's `combine_treat = TRUE`) are [`Options`]. When a test
//! meets skewness or kurtosis that are undefined (all remaining values equal), the column is
//! returned untouched, as COINr's `Treat` does when its pass test returns `NA`.

use super::stats::{kurt, skew};

/// What the treatment did to one indicator.
#[derive(Debug, Clone, PartialEq)]
pub enum Treatment {
    /// Passed the test as it was (or had fewer than four values).
    None,
    /// Winsorised: points clipped at the high and the low tail.
    Winsorised { high: usize, low: usize },
    /// Winsorisation did not pass within the limit: log transform of the original column.
    Log,
    /// Winsorisation did not pass within the limit: another transform of the original
    /// column.
    Transformed(Transform),
    /// Winsorisation did not pass within the limit: the transform of the winsorised column
    /// (COINr's `combine_treat = TRUE`), with the points clipped.
    WinsorisedTransformed {
        high: usize,
        low: usize,
        transform: Transform,
    },
    /// Skewness or kurtosis became undefined (all values equal) after a treatment: the
    /// column is kept as it was (COINr returns it untouched when its test gives `NA`).
    Untouched,
    /// Exempt from treatment (`[index.treat.<code>] outliers = "none"`; COINr's
    /// `indiv_specs = list(<code> = "none")`).
    Exempt,
}

impl Treatment {
    /// A short name for tables.
    pub fn as_str(&self) -> &'static str {
        match self {
            Treatment::None => "none",
            Treatment::Winsorised { .. } => "winsorised",
            Treatment::Log => "log",
            Treatment::Transformed(t) => t.as_str(),
            Treatment::WinsorisedTransformed { transform, .. } => match transform {
                Transform::LogCt => "winsorised+log",
                Transform::LogCtOrig => "winsorised+log_ct_orig",
                Transform::LogGii => "winsorised+log_gii",
                Transform::BoxCox(_) => "winsorised+boxcox",
            },
            Treatment::Untouched => "untouched",
            Treatment::Exempt => "exempt",
        }
    }

    /// Points clipped by winsorisation (and kept).
    pub fn clipped(&self) -> usize {
        match self {
            Treatment::Winsorised { high, low }
            | Treatment::WinsorisedTransformed { high, low, .. } => high + low,
            _ => 0,
        }
    }

    /// Points clipped at the (high, low) tail and kept.
    pub fn clipped_tails(&self) -> (usize, usize) {
        match self {
            Treatment::Winsorised { high, low }
            | Treatment::WinsorisedTransformed { high, low, .. } => (*high, *low),
            _ => (0, 0),
        }
    }
}

/// The transform applied where winsorisation fails (COINr's `f2`); missing values stay
/// missing, `min` and `max` are over the present values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Transform {
    /// `ln(x - min + 0.01 (max - min))` (`log_CT`).
    LogCt,
    /// `ln(x - min + 1)` (`log_CT_orig`).
    LogCtOrig,
    /// `ln((max - 1)(x - min) / (max - min) + 1)` (the formula of `log_GII`).
    LogGii,
    /// Box-Cox of `y = x - min + 1`: `(y^lambda - 1) / lambda`, `ln y` at lambda 0
    /// (`boxcox` with `makepos = TRUE`).
    BoxCox(f64),
}

impl Transform {
    /// The transform of a configuration (`lambda` is required for Box-Cox; validation
    /// refuses a configuration without it).
    pub fn of(t: crate::config::OutlierTransform, lambda: Option<f64>) -> Self {
        use crate::config::OutlierTransform as T;
        match t {
            T::LogCt => Transform::LogCt,
            T::LogCtOrig => Transform::LogCtOrig,
            T::LogGii => Transform::LogGii,
            T::Boxcox => Transform::BoxCox(lambda.unwrap_or(f64::NAN)),
        }
    }

    /// The configuration spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            Transform::LogCt => "log_ct",
            Transform::LogCtOrig => "log_ct_orig",
            Transform::LogGii => "log_gii",
            Transform::BoxCox(_) => "boxcox",
        }
    }

    /// Transform `x` in place.
    pub fn apply(&self, x: &mut [f64]) {
        let present = x.iter().filter(|v| !v.is_nan());
        let min = present.clone().fold(f64::INFINITY, |a, &b| a.min(b));
        let max = present.fold(f64::NEG_INFINITY, |a, &b| a.max(b));
        for v in x.iter_mut() {
            *v = match *self {
                Transform::LogCt => (*v - min + 0.01 * (max - min)).ln(),
                Transform::LogCtOrig => (*v - min + 1.0).ln(),
                Transform::LogGii => ((max - 1.0) * (*v - min) / (max - min) + 1.0).ln(),
                Transform::BoxCox(lambda) => {
                    let y = *v - min + 1.0;
                    if lambda == 0.0 {
                        y.ln()
                    } else {
                        (y.powf(lambda) - 1.0) / lambda
                    }
                }
            };
        }
    }
}

/// The thresholds of the test and the limit of the loop.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub skew_max: f64,
    pub kurtosis_max: f64,
    pub winsorise_max: usize,
}

impl Rule {
    /// Whether `x` passes: |skew| < skew_max or kurt < kurtosis_max. With too few values
    /// (or all equal) there is nothing to test, so it passes.
    pub fn passes(&self, x: &[f64]) -> bool {
        let (s, k) = (skew(x), kurt(x));
        if s.is_nan() || k.is_nan() {
            return true;
        }
        s.abs() < self.skew_max || k < self.kurtosis_max
    }

    /// The test as COINr's `check_SkewKurt` gives it: `None` when skewness or kurtosis is
    /// undefined (COINr's `NA`).
    fn test(&self, x: &[f64]) -> Option<bool> {
        let (s, k) = (skew(x), kurt(x));
        (!s.is_nan() && !k.is_nan()).then(|| s.abs() < self.skew_max || k < self.kurtosis_max)
    }
}

/// Every option of one indicator's treatment.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub rule: Rule,
    /// Applied where winsorisation does not pass (COINr's `f2`).
    pub transform: Transform,
    /// Transform the winsorised column instead of the original (`combine_treat`).
    pub combine: bool,
}

/// The winsorisation that was tried and did not pass: points clipped at each tail and
/// skewness and kurtosis after it (`NaN` where undefined).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Attempt {
    pub high: usize,
    pub low: usize,
    pub skew: f64,
    pub kurtosis: f64,
}

/// The treatment of one indicator, with the failed winsorisation (when one was tried and
/// did not pass).
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub treatment: Treatment,
    pub attempt: Option<Attempt>,
}

/// Treat one column in place with COINr's defaults (`log_CT` on the original column);
/// returns what was done.
pub fn treat(x: &mut [f64], rule: &Rule) -> Treatment {
    treat_with(
        x,
        &Options {
            rule: *rule,
            transform: Transform::LogCt,
            combine: false,
        },
    )
    .treatment
}

/// Winsorise `x` in place as long as it fails the test and fewer than `winsorise_max`
/// points are clipped; returns (high, low) clipped points and the last test (`None`:
/// undefined).
fn winsorise(x: &mut [f64], rule: &Rule) -> (usize, usize, Option<bool>) {
    let mut high = vec![false; x.len()];
    let mut low = vec![false; x.len()];
    let count = |h: &[bool], l: &[bool]| h.iter().chain(l).filter(|b| **b).count();
    let mut test = Some(false);
    while test == Some(false) && count(&high, &low) < rule.winsorise_max {
        let up = skew(x) >= 0.0;
        let present = x.iter().filter(|v| !v.is_nan());
        let extreme = if up {
            present.fold(f64::NEG_INFINITY, |a, &b| a.max(b))
        } else {
            present.fold(f64::INFINITY, |a, &b| a.min(b))
        };
        let others = x.iter().filter(|v| !v.is_nan() && **v != extreme);
        let next = if up {
            others.fold(f64::NEG_INFINITY, |a, &b| a.max(b))
        } else {
            others.fold(f64::INFINITY, |a, &b| a.min(b))
        };
        if !next.is_finite() {
            break; // every value is tied: nothing left to clip
        }
        for (i, v) in x.iter_mut().enumerate() {
            if *v == extreme {
                *v = next;
                if up {
                    high[i] = true;
                } else {
                    low[i] = true;
                }
            }
        }
        test = rule.test(x);
    }
    let n = |m: &[bool]| m.iter().filter(|b| **b).count();
    (n(&high), n(&low), test)
}

/// Treat one column in place with `opts`; returns what was done and the failed
/// winsorisation, if any.
pub fn treat_with(x: &mut [f64], opts: &Options) -> Outcome {
    let done = |treatment| Outcome {
        treatment,
        attempt: None,
    };
    if opts.rule.passes(x) {
        return done(Treatment::None);
    }
    let original = x.to_vec();
    let (high, low, test) = winsorise(x, &opts.rule);
    let attempt = Attempt {
        high,
        low,
        skew: skew(x),
        kurtosis: kurt(x),
    };
    match test {
        Some(true) => return done(Treatment::Winsorised { high, low }),
        None => {
            x.copy_from_slice(&original);
            return Outcome {
                treatment: Treatment::Untouched,
                attempt: Some(attempt),
            };
        }
        Some(false) => {}
    }
    if !opts.combine {
        x.copy_from_slice(&original);
    }
    opts.transform.apply(x);
    let treatment = if opts.rule.test(x).is_none() {
        x.copy_from_slice(&original);
        Treatment::Untouched
    } else if opts.combine {
        Treatment::WinsorisedTransformed {
            high,
            low,
            transform: opts.transform,
        }
    } else if opts.transform == Transform::LogCt {
        Treatment::Log
    } else {
        Treatment::Transformed(opts.transform)
    };
    Outcome {
        treatment,
        attempt: Some(attempt),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAN: f64 = f64::NAN;

    const RULE: Rule = Rule {
        skew_max: 2.0,
        kurtosis_max: 3.5,
        winsorise_max: 5,
    };

    #[test]
    fn a_normal_column_passes_untouched() {
        let mut x = vec![1., 2., 3., 4., 5., 6.];
        assert_eq!(treat(&mut x, &RULE), Treatment::None);
        assert_eq!(x, vec![1., 2., 3., 4., 5., 6.]);
    }

    #[test]
    fn two_outliers_are_clipped_one_at_a_time() {
        // 1..10, 30, 100: skew 3.06, kurt 9.74 -> fails. Step 1: 100 -> 30 (skew 1.71 < 2:
        // passes). One point clipped.
        let mut x = vec![1., 2., 3., 4., 5., 6., 7., 8., 9., 10., 30., 100.];
        assert_eq!(
            treat(&mut x, &RULE),
            Treatment::Winsorised { high: 1, low: 0 }
        );
        assert_eq!(x[11], 30.0);
        assert_eq!(x[10], 30.0);
        assert!(RULE.passes(&x));
    }

    #[test]
    fn tied_extremes_move_together_and_can_pass_the_limit() {
        // 1..60, four tied at 1000, two at 900: skew 2.91, kurt 6.73 -> fails. Step 1 moves
        // the four to 900 (4 clipped; skew 2.89, kurt 6.60: fails); step 2 moves all six at
        // 900 to 60 (6 clipped, past the limit of 5) and the column passes.
        let mut x: Vec<f64> = (1..=60).map(f64::from).collect();
        x.extend([1000., 1000., 1000., 1000., 900., 900.]);
        assert_eq!(
            treat(&mut x, &RULE),
            Treatment::Winsorised { high: 6, low: 0 }
        );
        assert_eq!(x[60..].to_vec(), vec![60.0; 6]);
        assert_eq!(x[59], 60.0);
    }

    #[test]
    fn log_fallback_uses_the_original_column() {
        // 1..60 and seven distinct outliers 1000..1600: skew 2.77, kurt 6.15; five clips
        // (1600 -> 1500, then 2, 3, 4 tied points down to 1100) leave skew 2.64, kurt 5.16:
        // still failing, so the clipping is discarded and ln(x - min + 0.01 (max - min))
        // is applied to the original column.
        let mut x: Vec<f64> = (1..=60).map(f64::from).collect();
        x.extend([1000., 1100., 1200., 1300., 1400., 1500., 1600.]);
        let orig = x.clone();
        assert_eq!(treat(&mut x, &RULE), Treatment::Log);
        let (min, max) = (1.0, 1600.0);
        for (v, o) in x.iter().zip(&orig) {
            assert_eq!(*v, (o - min + 0.01 * (max - min)).ln());
        }
        assert_eq!(x[0], 15.99f64.ln());
    }

    #[test]
    fn negative_skew_clips_the_low_tail_and_missing_values_stay() {
        let mut x = vec![-100., 1., 2., 3., 4., 5., 6., 7., 8., 9., 10., f64::NAN];
        let t = treat(&mut x, &RULE);
        assert_eq!(t, Treatment::Winsorised { high: 0, low: 1 });
        assert_eq!(x[0], 1.0);
        assert!(x[11].is_nan());
    }

    #[test]
    fn the_transforms_by_hand() {
        let t = |tr: Transform, x: &[f64]| {
            let mut v = x.to_vec();
            tr.apply(&mut v);
            v
        };
        // x = 1, 2, 4, NaN: min 1, max 4; 0.01 (max - min) = 0.03
        let x = [1., 2., 4., NAN];
        let v = t(Transform::LogCt, &x);
        assert_eq!(&v[..3], &[0.03f64.ln(), 1.03f64.ln(), 3.03f64.ln()]);
        assert!(v[3].is_nan());
        // ln(x - 1 + 1) = ln x
        assert_eq!(
            &t(Transform::LogCtOrig, &x)[..3],
            &[0.0, 2f64.ln(), 4f64.ln()]
        );
        // x = 2, 3, 6: ln((6 - 1)(x - 2)/(6 - 2) + 1) = ln 1, ln 2.25, ln 6
        assert_eq!(
            t(Transform::LogGii, &[2., 3., 6.]),
            vec![0.0, 2.25f64.ln(), 6f64.ln()]
        );
        // Box-Cox of y = x - 1 + 1 = x: (sqrt(y) - 1) / 0.5 = 0, 2 (sqrt 2 - 1), 2
        assert_eq!(
            &t(Transform::BoxCox(0.5), &x)[..3],
            &[0.0, 2.0 * (2f64.sqrt() - 1.0), 2.0]
        );
        assert_eq!(
            &t(Transform::BoxCox(0.0), &x)[..3],
            &[0.0, 2f64.ln(), 4f64.ln()]
        );
    }

    #[test]
    fn combined_treatment_transforms_the_winsorised_column_and_reports_the_attempt() {
        // the column of log_fallback_uses_the_original_column: five steps (1600 -> 1500,
        // 2 x 1500 -> 1400, 3 x 1400 -> 1300, 4 x 1300 -> 1200, 5 x 1200 -> 1100) reach the
        // limit with 5 points clipped and still fail; combine_treat keeps them, so the
        // column is 1..60, 1000, 6 x 1100 (min 1, max 1100) before ln(x - 1 + 10.99).
        let mut x: Vec<f64> = (1..=60).map(f64::from).collect();
        x.extend([1000., 1100., 1200., 1300., 1400., 1500., 1600.]);
        let mut winsorised: Vec<f64> = (1..=60).map(f64::from).collect();
        winsorised.extend([1000., 1100., 1100., 1100., 1100., 1100., 1100.]);
        let opts = Options {
            rule: RULE,
            transform: Transform::LogCt,
            combine: true,
        };
        let out = treat_with(&mut x, &opts);
        assert_eq!(
            out.treatment,
            Treatment::WinsorisedTransformed {
                high: 5,
                low: 0,
                transform: Transform::LogCt
            }
        );
        assert_eq!(out.treatment.as_str(), "winsorised+log");
        for (v, w) in x.iter().zip(&winsorised) {
            assert_eq!(*v, (w - 1.0 + 0.01 * 1099.0).ln());
        }
        // the attempt: 5 clipped at the high tail, and the statistics that failed
        let a = out.attempt.unwrap();
        assert_eq!((a.high, a.low), (5, 0));
        assert_eq!((a.skew, a.kurtosis), (skew(&winsorised), kurt(&winsorised)));
        assert!((a.skew - 2.64).abs() < 0.01 && (a.kurtosis - 5.16).abs() < 0.01);
        // without combine_treat the same attempt is reported beside the log of the
        // original column
        let mut y: Vec<f64> = (1..=60).map(f64::from).collect();
        y.extend([1000., 1100., 1200., 1300., 1400., 1500., 1600.]);
        let out = treat_with(
            &mut y,
            &Options {
                combine: false,
                ..opts
            },
        );
        assert_eq!(out.treatment, Treatment::Log);
        assert_eq!(out.attempt, Some(a));
    }

    #[test]
    fn winsorising_to_equal_values_leaves_the_column_untouched() {
        // nine 1s and a 10: skew 3.16, kurt 10 -> fails. One step sets 10 to 1: every value
        // is equal, skewness and kurtosis are undefined (COINr's check gives NA), so the
        // column is returned as it was (COINr's Treat returns x untouched).
        let orig = vec![1., 1., 1., 1., 1., 1., 1., 1., 1., 10.];
        let mut x = orig.clone();
        assert!((skew(&x) - 10f64.sqrt()).abs() < 1e-12);
        assert!((kurt(&x) - 10.0).abs() < 1e-12);
        let out = treat_with(
            &mut x,
            &Options {
                rule: RULE,
                transform: Transform::LogCt,
                combine: false,
            },
        );
        assert_eq!(out.treatment, Treatment::Untouched);
        assert_eq!(x, orig);
        let a = out.attempt.unwrap();
        assert_eq!((a.high, a.low), (1, 0));
        assert!(a.skew.is_nan() && a.kurtosis.is_nan());
        assert_eq!(treat(&mut x, &RULE), Treatment::Untouched);
    }
}
