//! Statistics on one indicator column (missing values are `NaN` and ignored), written out
//! so each formula can be checked against METHODOLOGY section 9 and COINr.

/// The present (non-`NaN`) values.
pub fn present(x: &[f64]) -> Vec<f64> {
    x.iter().copied().filter(|v| !v.is_nan()).collect()
}

/// Mean of the present values (`NaN` when none).
pub fn mean(x: &[f64]) -> f64 {
    let (mut s, mut n) = (0.0, 0usize);
    for v in x.iter().filter(|v| !v.is_nan()) {
        s += v;
        n += 1;
    }
    if n == 0 { f64::NAN } else { s / n as f64 }
}

/// Sample standard deviation (n - 1) of the present values (`NaN` below two values).
pub fn sd(x: &[f64]) -> f64 {
    let m = mean(x);
    let (mut s, mut n) = (0.0, 0usize);
    for v in x.iter().filter(|v| !v.is_nan()) {
        s += (v - m) * (v - m);
        n += 1;
    }
    if n < 2 {
        f64::NAN
    } else {
        (s / (n - 1) as f64).sqrt()
    }
}

/// Quantile of type 7 (R's default, linear interpolation) of the present values.
pub fn quantile(x: &[f64], p: f64) -> f64 {
    let mut v = present(x);
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    quantile_sorted(&v, p)
}

/// Quantile of type 7 of sorted values without `NaN`.
pub fn quantile_sorted(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let h = (v.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

/// Median of the present values.
pub fn median(x: &[f64]) -> f64 {
    quantile(x, 0.5)
}

/// Sample skewness as spreadsheets' SKEW: `n/((n-1)(n-2)) sum(((x-mean)/s)^3)`
/// (`NaN` below three values or when all values are equal).
pub fn skew(x: &[f64]) -> f64 {
    match standardised_power_sum(x, 3) {
        Some((n, sum)) => n / ((n - 1.0) * (n - 2.0)) * sum,
        None => f64::NAN,
    }
}

/// `(n, sum(((x-mean)/s)^power))` over the present values; None below `power` values or
/// when all values are equal.
fn standardised_power_sum(x: &[f64], power: i32) -> Option<(f64, f64)> {
    let v = present(x);
    if v.len() < power as usize {
        return None;
    }
    let (m, s) = (mean(&v), sd(&v));
    if s == 0.0 {
        return None;
    }
    let sum: f64 = v.iter().map(|x| ((x - m) / s).powi(power)).sum();
    Some((v.len() as f64, sum))
}

/// Sample excess kurtosis as spreadsheets' KURT:
/// `n(n+1)/((n-1)(n-2)(n-3)) sum(((x-mean)/s)^4) - 3(n-1)^2/((n-2)(n-3))`
/// (`NaN` below four values or when all values are equal).
pub fn kurt(x: &[f64]) -> f64 {
    match standardised_power_sum(x, 4) {
        Some((n, sum)) => {
            n * (n + 1.0) / ((n - 1.0) * (n - 2.0) * (n - 3.0)) * sum
                - 3.0 * (n - 1.0).powi(2) / ((n - 2.0) * (n - 3.0))
        }
        None => f64::NAN,
    }
}

/// Ranks of the present values, ascending, a run of ties at 0-based sorted positions
/// `first..=last` all getting `tied(first, last)`; `NaN` stays `NaN`.
fn rank_with(x: &[f64], tied: impl Fn(usize, usize) -> f64) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).filter(|&i| !x[i].is_nan()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut out = vec![f64::NAN; x.len()];
    let mut r = 0;
    while r < idx.len() {
        let mut e = r;
        while e + 1 < idx.len() && x[idx[e + 1]] == x[idx[r]] {
            e += 1;
        }
        let rank = tied(r, e);
        for &i in &idx[r..=e] {
            out[i] = rank;
        }
        r = e + 1;
    }
    out
}

/// Ranks of the present values, ascending (1 = smallest), ties sharing the smallest rank
/// (R's `ties.method = "min"`); `NaN` stays `NaN`.
pub fn rank_min(x: &[f64]) -> Vec<f64> {
    rank_with(x, |first, _| (first + 1) as f64)
}

/// Ranks for results: 1 = highest, ties share the smallest rank (METHODOLOGY section 9
/// step 8); `NaN` stays `NaN`.
pub fn rank_desc(x: &[f64]) -> Vec<f64> {
    let neg: Vec<f64> = x.iter().map(|v| -v).collect();
    rank_min(&neg)
}

/// Ranks of the present values, ascending, ties averaged (R's default `"average"`).
pub fn rank_average(x: &[f64]) -> Vec<f64> {
    rank_with(x, |first, last| (first + last) as f64 / 2.0 + 1.0)
}

/// The pairs `(x[i], y[i])` where both are present.
fn complete_pairs(x: &[f64], y: &[f64]) -> Vec<(f64, f64)> {
    x.iter()
        .zip(y)
        .filter(|(a, b)| !a.is_nan() && !b.is_nan())
        .map(|(a, b)| (*a, *b))
        .collect()
}

/// Pearson correlation over the pairs where both are present (`NaN` below three pairs or
/// with a constant side).
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let pairs = complete_pairs(x, y);
    if pairs.len() < 3 {
        return f64::NAN;
    }
    let n = pairs.len() as f64;
    let mx = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in &pairs {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx == 0.0 || syy == 0.0 {
        return f64::NAN;
    }
    sxy / (sxx * syy).sqrt()
}

/// Spearman correlation: Pearson on average ranks of the complete pairs.
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    let (a, b): (Vec<f64>, Vec<f64>) = complete_pairs(x, y).into_iter().unzip();
    pearson(&rank_average(&a), &rank_average(&b))
}

/// Eigenvalues of a symmetric matrix (row-major `n x n`), largest first, by cyclic Jacobi
/// rotations (converges for every symmetric matrix; exact enough for a correlation matrix
/// of a few dozen variables).
pub fn symmetric_eigenvalues(a: &[f64], n: usize) -> Vec<f64> {
    let mut m = a.to_vec();
    let at = |i: usize, j: usize| i * n + j;
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[at(i, j)] * m[at(i, j)])
            .sum();
        if off < 1e-30 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[at(p, q)];
                if apq == 0.0 {
                    continue;
                }
                // the rotation that zeroes m[p][q]: tan(2 theta) = 2 apq / (aqq - app)
                let theta = (m[at(q, q)] - m[at(p, p)]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (mkp, mkq) = (m[at(k, p)], m[at(k, q)]);
                    m[at(k, p)] = c * mkp - s * mkq;
                    m[at(k, q)] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let (mpk, mqk) = (m[at(p, k)], m[at(q, k)]);
                    m[at(p, k)] = c * mpk - s * mqk;
                    m[at(q, k)] = s * mpk + c * mqk;
                }
            }
        }
    }
    let mut ev: Vec<f64> = (0..n).map(|i| m[at(i, i)]).collect();
    ev.sort_by(|a, b| b.total_cmp(a));
    ev
}

/// Sample covariance (n - 1) over the pairs where both are present (`NaN` below two
/// pairs), as R's `cov(use = "pairwise.complete.obs")`.
pub fn covariance(x: &[f64], y: &[f64]) -> f64 {
    let pairs = complete_pairs(x, y);
    if pairs.len() < 2 {
        return f64::NAN;
    }
    let n = pairs.len() as f64;
    let mx = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    pairs.iter().map(|(a, b)| (a - mx) * (b - my)).sum::<f64>() / (n - 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAN: f64 = f64::NAN;

    #[test]
    fn skew_and_kurt_match_spreadsheet_formulas() {
        // x = 1..10, 30, 100 (COINr's vignette example); values from the formulas by hand:
        // SKEW 3.0632, KURT 9.7414 (the spreadsheet functions on the same column)
        let x = [1., 2., 3., 4., 5., 6., 7., 8., 9., 10., 30., 100.];
        let m = mean(&x);
        assert_eq!(m, 185.0 / 12.0);
        // independent evaluation of the same formulas, term by term
        let n = 12.0;
        let s = (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / 11.0).sqrt();
        let k3: f64 = x.iter().map(|v| ((v - m) / s).powi(3)).sum();
        let k4: f64 = x.iter().map(|v| ((v - m) / s).powi(4)).sum();
        assert!((skew(&x) - n / (11.0 * 10.0) * k3).abs() < 1e-12);
        assert!(
            (kurt(&x) - (n * 13.0 / (11.0 * 10.0 * 9.0) * k4 - 3.0 * 121.0 / (10.0 * 9.0))).abs()
                < 1e-12
        );
        assert!((skew(&x) - 3.0632).abs() < 1e-4, "{}", skew(&x));
        assert!((kurt(&x) - 9.7414).abs() < 1e-4, "{}", kurt(&x));
        // missing values ignored; symmetric data has no skew
        assert_eq!(skew(&[1., NAN, 2., 3.]), 0.0);
        assert!(skew(&[1., 2.]).is_nan());
        assert!(kurt(&[5., 5., 5., 5.]).is_nan());
    }

    #[test]
    fn ranks_and_quantiles() {
        assert_eq!(rank_min(&[3., 1., 3., 2.]), vec![3., 1., 3., 2.]);
        let r = rank_desc(&[3., 1., 3., NAN, 2.]);
        assert_eq!(&r[..3], &[1., 4., 1.]);
        assert!(r[3].is_nan());
        assert_eq!(r[4], 3.0);
        assert_eq!(rank_average(&[3., 1., 3., 2.]), vec![3.5, 1., 3.5, 2.]);
        assert_eq!(quantile(&[1., 2., 3., 4.], 0.05), 1.15);
        assert_eq!(median(&[4., NAN, 1., 2.]), 2.0);
        assert_eq!(
            sd(&[2., 4., 4., 4., 5., 5., 7., 9.]),
            (32.0f64 / 7.0).sqrt()
        );
    }

    #[test]
    fn correlations() {
        let x = [1., 2., 3., 4., NAN];
        let y = [2., 4., 6., 8., 1.];
        assert!((pearson(&x, &y) - 1.0).abs() < 1e-15);
        // monotone but not linear: Spearman 1, Pearson below 1
        let z = [1., 8., 27., 64., NAN];
        assert!((spearman(&x, &z) - 1.0).abs() < 1e-15);
        assert!(pearson(&x, &z) < 1.0);
        assert!(pearson(&[1., 1., 1.], &[1., 2., 3.]).is_nan());
    }

    #[test]
    fn eigenvalues_and_covariance() {
        // [[2, 1], [1, 2]]: eigenvalues 3 and 1
        let ev = symmetric_eigenvalues(&[2., 1., 1., 2.], 2);
        assert!(
            (ev[0] - 3.0).abs() < 1e-12 && (ev[1] - 1.0).abs() < 1e-12,
            "{ev:?}"
        );
        // a 3 x 3 correlation matrix with every off-diagonal r = 0.5: 1 + 2r = 2, then
        // 1 - r = 0.5 twice
        let r = [1., 0.5, 0.5, 0.5, 1., 0.5, 0.5, 0.5, 1.];
        let ev = symmetric_eigenvalues(&r, 3);
        for (a, b) in ev.iter().zip([2.0, 0.5, 0.5]) {
            assert!((a - b).abs() < 1e-12, "{ev:?}");
        }
        // diagonal: sorted, untouched
        assert_eq!(symmetric_eigenvalues(&[1., 0., 0., 4.], 2), vec![4., 1.]);
        // cov of 1, 2, 3 and 2, 4, 6 (a pair with a missing side is left out): 2
        assert_eq!(covariance(&[1., 2., 3., NAN], &[2., 4., 6., 8.]), 2.0);
        assert!(covariance(&[1., NAN], &[1., 2.]).is_nan());
    }
}
