//! Numbers for people ([`fmt_num`]): reports, the maturity matrix's messages and the
//! verification flags print numbers the same way. A ground-floor leaf.

/// A number for people: at most `sig` significant digits, no trailing zeros, no
/// exponent (values of 10^sig and more are shown whole).
pub fn fmt_num(v: f64, sig: i32) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v == 0.0 {
        return "0".into();
    }
    let mag = v.abs().log10().floor() as i32;
    let decimals = (sig - 1 - mag).clamp(0, 12) as usize;
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".into() } else { s }
}
