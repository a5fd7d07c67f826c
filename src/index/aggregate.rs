//! Aggregation of children into their parent for one unit (METHODOLOGY section 9 step 7).
//! Missing children are skipped and the remaining weights rescaled (COINr's `a_amean`).
//! The geometric and harmonic means need non-negative values: a zero child makes the
//! parent 0 (the limit of both means; COINr refuses zeros instead), a negative child is an
//! error the caller reports.

use crate::config::Aggregation;

/// A negative child under the geometric or harmonic mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Negative(pub f64);

/// The weighted mean of the present `(value, weight)` pairs; `NaN` when none is present
/// or all present weights are 0.
pub fn aggregate(
    method: Aggregation,
    children: impl Iterator<Item = (f64, f64)> + Clone,
) -> Result<f64, Negative> {
    let present = children.filter(|(v, w)| !v.is_nan() && *w > 0.0);
    let wsum: f64 = present.clone().map(|(_, w)| w).sum();
    if wsum <= 0.0 {
        return Ok(f64::NAN);
    }
    // sum of term(v, w) over values that must not be negative; None when one is 0 (the
    // geometric and harmonic means are then 0)
    let positive = |term: fn(f64, f64) -> f64| -> Result<Option<f64>, Negative> {
        let mut s = 0.0;
        for (v, w) in present.clone() {
            if v < 0.0 {
                return Err(Negative(v));
            }
            if v == 0.0 {
                return Ok(None);
            }
            s += term(v, w);
        }
        Ok(Some(s))
    };
    match method {
        Aggregation::Arithmetic => Ok(present.map(|(v, w)| v * w).sum::<f64>() / wsum),
        Aggregation::Geometric => {
            Ok(positive(|v, w| w * v.ln())?.map_or(0.0, |s| (s / wsum).exp()))
        }
        Aggregation::Harmonic => Ok(positive(|v, w| w / v)?.map_or(0.0, |s| wsum / s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAN: f64 = f64::NAN;

    fn agg(m: Aggregation, p: &[(f64, f64)]) -> Result<f64, Negative> {
        aggregate(m, p.iter().copied())
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
        assert!((agg(Aggregation::Geometric, &[(4., 1.), (16., 1.)]).unwrap() - 8.0).abs() < 1e-12);
        assert!(
            (agg(Aggregation::Geometric, &[(4., 1.), (16., 3.)]).unwrap() - 4f64.powf(1.75)).abs()
                < 1e-12
        );
        // a zero child: the geometric mean is 0
        assert_eq!(agg(Aggregation::Geometric, &[(0., 1.), (50., 1.)]), Ok(0.0));
        assert_eq!(
            agg(Aggregation::Geometric, &[(-1., 1.), (50., 1.)]),
            Err(Negative(-1.0))
        );
        // harmonic: 2 / (1/2 + 1/6) = 3
        assert!((agg(Aggregation::Harmonic, &[(2., 1.), (6., 1.)]).unwrap() - 3.0).abs() < 1e-12);
        assert_eq!(agg(Aggregation::Harmonic, &[(0., 1.), (6., 1.)]), Ok(0.0));
    }
}
