//! "Did you mean" suggestions for near misses (unknown data points, units, cities).

/// Levenshtein edit distance over Unicode scalar values.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The closest candidate to `input`, compared case-insensitively, if it is near enough:
/// an exact case-insensitive match, or at most `max(1, len / 3)` edits away. Ties go to the
/// first candidate, so callers pass candidates in a stable order.
pub fn did_you_mean<'a, I>(input: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let needle = input.trim().to_lowercase();
    if needle.is_empty() {
        return None;
    }
    let limit = (needle.chars().count() / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        let d = edit_distance(&needle, &c.to_lowercase());
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
            if d == 0 {
                break;
            }
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn suggestions() {
        let c = ["percent", "minutes", "hours"];
        assert_eq!(did_you_mean("precent", c), Some("percent"));
        assert_eq!(did_you_mean("MINUTES", c), Some("minutes"));
        assert_eq!(did_you_mean("kilograms", c), None);
        assert_eq!(did_you_mean("", c), None);
    }
}
