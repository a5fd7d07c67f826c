//! "Did you mean" suggestions for near misses (unknown data points, units, cities), and
//! long values shortened for messages.

use std::borrow::Cow;

/// Longest input (in characters) a suggestion is searched for: every id, unit and name
/// citybench knows is far shorter, and the search costs the product of the lengths.
pub const SUGGEST_MAX: usize = 256;

/// Longest value (in characters) echoed whole in a message; a longer one is shortened by
/// [`shorten`].
pub const ECHO_MAX: usize = 80;

/// `s` as a message shows it: whole up to [`ECHO_MAX`] characters, else its first
/// [`ECHO_MAX`] characters and `… (N characters)`.
pub fn shorten(s: &str) -> Cow<'_, str> {
    if s.len() <= ECHO_MAX {
        return Cow::Borrowed(s);
    }
    let n = s.chars().count();
    if n <= ECHO_MAX {
        return Cow::Borrowed(s);
    }
    let cut = s.char_indices().nth(ECHO_MAX).map_or(s.len(), |(i, _)| i);
    Cow::Owned(format!("{}… ({n} characters)", &s[..cut]))
}

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
/// first candidate, so callers pass candidates in a stable order. Inputs longer than
/// [`SUGGEST_MAX`] characters get no suggestion; a candidate whose length differs from the
/// input's by more than the edits allowed is not compared (its distance would exceed them).
pub fn did_you_mean<'a, I>(input: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let input = input.trim();
    if input.is_empty() || input.len() > 4 * SUGGEST_MAX {
        return None;
    }
    let needle = input.to_lowercase();
    let len = needle.chars().count();
    if len > SUGGEST_MAX {
        return None;
    }
    let limit = (len / 3).max(1);
    let mut rows = (Vec::new(), Vec::new());
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        // bytes bound characters from above, and characters bound bytes from below by 4
        if c.len() + limit < len || c.len() > 4 * (len + limit) {
            continue;
        }
        let cl = c.chars().count();
        if cl.abs_diff(len) > limit {
            continue;
        }
        let d = if needle.is_ascii() && c.is_ascii() {
            ascii_distance(needle.as_bytes(), c.as_bytes(), limit, &mut rows)
        } else {
            edit_distance(&needle, &c.to_lowercase())
        };
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
            if d == 0 {
                break;
            }
        }
    }
    best.map(|(_, c)| c)
}

/// Up to `n` distinct candidates near `input` by the rule of [`did_you_mean`] (an exact
/// case-insensitive match, or at most `max(1, len / 3)` edits away), nearest first, ties in
/// candidate order. A candidate repeated (the same spelling) is listed once.
pub fn nearest<'a, I>(input: &str, candidates: I, n: usize) -> Vec<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let needle = input.trim().to_lowercase();
    let len = needle.chars().count();
    if len == 0 || len > SUGGEST_MAX || n == 0 {
        return Vec::new();
    }
    let limit = (len / 3).max(1);
    let mut rows = (Vec::new(), Vec::new());
    let mut near: Vec<(usize, &'a str)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for c in candidates {
        if c.len() + limit < len || c.len() > 4 * (len + limit) {
            continue;
        }
        if c.chars().count().abs_diff(len) > limit {
            continue;
        }
        let d = if needle.is_ascii() && c.is_ascii() {
            ascii_distance(needle.as_bytes(), c.as_bytes(), limit, &mut rows)
        } else {
            edit_distance(&needle, &c.to_lowercase())
        };
        if d <= limit && seen.insert(c) {
            near.push((d, c));
        }
    }
    near.sort_by_key(|&(d, _)| d);
    near.into_iter().take(n).map(|(_, c)| c).collect()
}

/// [`edit_distance`] of the lower-case ASCII `a` and the ASCII `b` compared lower-cased,
/// without allocating (the two rows are reused), stopping once every entry of a row
/// exceeds `limit` (the distance is then `limit + 1`, as far as the caller cares).
fn ascii_distance(
    a: &[u8],
    b: &[u8],
    limit: usize,
    (prev, cur): &mut (Vec<usize>, Vec<usize>),
) -> usize {
    prev.clear();
    prev.extend(0..=b.len());
    cur.clear();
    cur.resize(b.len() + 1, 0);
    for (i, &ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        let mut row_min = cur[0];
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb.to_ascii_lowercase());
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
            row_min = row_min.min(cur[j + 1]);
        }
        if row_min > limit {
            return limit + 1;
        }
        std::mem::swap(prev, cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_lists_the_near_candidates_nearest_first() {
        let c = [
            "Karmiel", "Karmøy", "Karmoy", "Karmsund", "Karmøy", "Bergen", "karmøya",
        ];
        // len 6 -> up to 2 edits (Karmiel 3, Karmsund 4 away); the exact match (any case)
        // first, then ties in candidate order; a repeat listed once
        assert_eq!(nearest("KARMØY", c, 10), ["Karmøy", "Karmoy", "karmøya"]);
        assert_eq!(nearest("karmøy", c, 2), ["Karmøy", "Karmoy"]);
        assert_eq!(nearest("Oslo", c, 5), Vec::<&str>::new());
        assert_eq!(nearest("", c, 5), Vec::<&str>::new());
        assert_eq!(nearest("Karmøy", c, 0), Vec::<&str>::new());
    }

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

    #[test]
    fn the_ascii_path_agrees_with_the_full_distance() {
        let words = [
            "kitten", "sitting", "Percent", "precent", "", "a", "abc", "2660646", "2660464",
        ];
        for a in words {
            for b in words {
                let limit = 3;
                let full = edit_distance(&a.to_lowercase(), &b.to_lowercase());
                let mut rows = (Vec::new(), Vec::new());
                let fast =
                    ascii_distance(a.to_lowercase().as_bytes(), b.as_bytes(), limit, &mut rows);
                assert_eq!(fast.min(limit + 1), full.min(limit + 1), "{a} {b}");
            }
        }
    }

    #[test]
    fn long_inputs_get_no_suggestion_and_are_shortened() {
        let long = "1".repeat(100_000);
        assert_eq!(did_you_mean(&long, ["111", "2660646"]), None);
        let near = "266064".to_string() + &"x".repeat(SUGGEST_MAX);
        assert_eq!(did_you_mean(&near, ["2660646"]), None);
        assert_eq!(shorten("short"), "short");
        assert_eq!(
            shorten(&long),
            format!("{}… (100000 characters)", "1".repeat(80))
        );
        let wide = "é".repeat(81);
        assert_eq!(
            shorten(&wide),
            format!("{}… (81 characters)", "é".repeat(80))
        );
        assert_eq!(shorten(&"é".repeat(80)), "é".repeat(80));
    }
}
