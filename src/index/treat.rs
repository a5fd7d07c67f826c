//! Outlier treatment, the JRC rule as COINr implements it (METHODOLOGY section 9 step 5).
//!
//! An indicator passes when |skewness| < `skew_max` or excess kurtosis < `kurtosis_max`
//! (both strict, spreadsheet formulas, missing values ignored). Otherwise it is winsorised
//! one step at a time: on the tail given by the sign of the current skewness (>= 0: the
//! high tail), every point tied at the extreme is set to the next value inward; the test is
//! repeated after every step, and the loop stops when the indicator passes or when
//! `winsorise_max` or more points have been clipped (a tie can take the count past the
//! limit). If it still fails, the clipping is discarded and the original column becomes
//! `ln(x - min + 0.01 (max - min))` (COINr's `log_CT`; it is not re-tested).

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
}

impl Treatment {
    /// A short name for tables.
    pub fn as_str(&self) -> &'static str {
        match self {
            Treatment::None => "none",
            Treatment::Winsorised { .. } => "winsorised",
            Treatment::Log => "log",
        }
    }

    /// Points clipped by winsorisation.
    pub fn clipped(&self) -> usize {
        match self {
            Treatment::Winsorised { high, low } => high + low,
            _ => 0,
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
}

/// Treat one column in place; returns what was done.
pub fn treat(x: &mut [f64], rule: &Rule) -> Treatment {
    if rule.passes(x) {
        return Treatment::None;
    }
    let original = x.to_vec();
    let mut high = vec![false; x.len()];
    let mut low = vec![false; x.len()];
    let count = |h: &[bool], l: &[bool]| h.iter().chain(l).filter(|b| **b).count();
    let mut passing = false;
    while !passing && count(&high, &low) < rule.winsorise_max {
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
        passing = rule.passes(x);
    }
    if passing {
        let n = |m: &[bool]| m.iter().filter(|b| **b).count();
        return Treatment::Winsorised {
            high: n(&high),
            low: n(&low),
        };
    }
    let present = original.iter().filter(|v| !v.is_nan());
    let min = present.clone().fold(f64::INFINITY, |a, &b| a.min(b));
    let max = present.fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    for (v, o) in x.iter_mut().zip(&original) {
        *v = (o - min + 0.01 * (max - min)).ln();
    }
    Treatment::Log
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
