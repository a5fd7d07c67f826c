//! Safe output of user text (METHODOLOGY section 3; README, "Safe output").
//!
//! Two audiences read what citybench writes, and each can be attacked through text a
//! submission or a workspace file supplied:
//!
//! - **a terminal**: a control character (ESC starts a terminal escape sequence) in a city
//!   id, a value or a city name could recolour, retitle or rewrite the screen. [`printable`]
//!   shows every control character as a visible escape (`\u{1b}`, `\n`) and keeps ordinary
//!   Unicode; [`printable_lines`] does the same but keeps line breaks and tabs, for messages
//!   citybench itself spreads over several lines.
//! - **a spreadsheet**: a CSV cell starting with `=`, `+`, `-`, `@`, a tab or a carriage
//!   return is read as a formula by Excel and LibreOffice (CSV injection). [`spreadsheet_cell`]
//!   prefixes such a cell with a single quote, as OWASP recommends, unless the cell is a
//!   plain decimal number (`-3`, `-0.5e3`), which stays a number.
//!
//! Both apply to output only: stored data (raw batches, derived tables, the database) keeps
//! the bytes that were submitted.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as is: C0 and C1 control characters, DEL, and the
/// Unicode bidirectional embedding, override and isolate controls (which reorder how the
/// rest of a line is displayed).
fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn escape_into(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
    }
}

fn escape_where(s: &str, unsafe_char: impl Fn(char) -> bool) -> Cow<'_, str> {
    let Some(first) = s.find(&unsafe_char) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        if unsafe_char(c) {
            escape_into(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` with every control character shown as a visible escape (`\u{1b}`, `\n`, `\t`, `\r`)
/// so it can be echoed to a terminal; borrowed when there is nothing to escape. Ordinary
/// Unicode (accents, CJK, emoji) is kept; so is the backslash, so the result is not
/// reversible, only safe to show.
pub fn printable(s: &str) -> Cow<'_, str> {
    escape_where(s, is_unsafe)
}

/// [`printable`] for text citybench lays out over several lines itself (error messages,
/// tables): line feeds and tabs are kept, every other control character is escaped.
pub fn printable_lines(s: &str) -> Cow<'_, str> {
    escape_where(s, |c| c != '\n' && c != '\t' && is_unsafe(c))
}

/// Characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
pub const FORMULA_LEADS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `s` is a plain decimal number: an optional sign, digits with an optional
/// decimal point, an optional exponent (`-3`, `+2.5`, `-0.5e3`, `.5`). Such a cell is
/// a number to a spreadsheet, not a formula, and is written as is.
pub fn is_plain_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let mut n = digits(&mut i);
    if i < b.len() && b[i] == b'.' {
        i += 1;
        n += digits(&mut i);
    }
    if n == 0 {
        return false;
    }
    if i < b.len() && matches!(b[i], b'e' | b'E') {
        i += 1;
        if i < b.len() && matches!(b[i], b'+' | b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// A CSV cell for spreadsheet users: a cell starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return gets a leading single quote (`'=cmd|...`) so Excel and LibreOffice show
/// it as text instead of evaluating it; a plain decimal number (`-3`) is left as is.
pub fn spreadsheet_cell(s: &str) -> Cow<'_, str> {
    match s.chars().next() {
        Some(c) if FORMULA_LEADS.contains(&c) && !is_plain_number(s) => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

/// The same rule as [`spreadsheet_cell`] as a DuckDB SQL expression over the VARCHAR column
/// `column` (an already quoted identifier), for CSV that DuckDB writes itself.
pub fn spreadsheet_cell_sql(column: &str) -> String {
    format!(
        "CASE WHEN regexp_matches({column}, '^[=+@\\-\\t\\r]') \
         AND NOT regexp_matches({column}, '^[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?$') \
         THEN '''' || {column} ELSE {column} END"
    )
}

/// Escape text for HTML and SVG.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible_escapes() {
        assert_eq!(
            printable("\u{1b}[31mred\u{1b}[0m"),
            "\\u{1b}[31mred\\u{1b}[0m"
        );
        assert_eq!(printable("a\nb\tc\rd"), "a\\nb\\tc\\rd");
        assert_eq!(printable("\u{7f}\u{9b}2J"), "\\u{7f}\\u{9b}2J");
        assert_eq!(printable("abc\u{202e}fed"), "abc\\u{202e}fed");
        // ordinary Unicode is kept, and nothing is allocated for clean text
        for s in [
            "Genève",
            "東京",
            "São Paulo",
            "Zürich ✓",
            "C:\\data\\x.csv",
            "",
        ] {
            assert!(matches!(printable(s), Cow::Borrowed(_)), "{s}");
            assert_eq!(printable(s), s);
        }
        // idempotent: the escape is itself printable
        let once = printable("\u{1b}]0;title\u{7}").into_owned();
        assert_eq!(once, "\\u{1b}]0;title\\u{7}");
        assert_eq!(printable(&once), once);
    }

    #[test]
    fn line_layout_is_kept_by_printable_lines() {
        assert_eq!(
            printable_lines("line 1\n\tline 2 \u{1b}[2J\r"),
            "line 1\n\tline 2 \\u{1b}[2J\\r"
        );
    }

    #[test]
    fn plain_numbers() {
        for s in [
            "-3", "+3", "3", "-0.5e3", "1.2E-5", ".5", "-5.", "0", "-1e+10",
        ] {
            assert!(is_plain_number(s), "{s}");
        }
        for s in [
            "-", "+", "-e3", "1e", "-3 ", " -3", "1,5", "=1", "-3-2", "--3", "-.e1", "",
        ] {
            assert!(!is_plain_number(s), "{s}");
        }
    }

    #[test]
    fn formula_cells_are_neutralised_numbers_are_not() {
        let cases = [
            ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
            ("+41 22 123", "'+41 22 123"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
            ("\t=1+1", "'\t=1+1"),
            ("\r=1+1", "'\r=1+1"),
            ("- estimated", "'- estimated"),
            ("-", "'-"),
            ("-3", "-3"),
            ("-0.5e3", "-0.5e3"),
            ("+12.5", "+12.5"),
            ("a=b", "a=b"),
            (" =1", " =1"),
            ("Genève", "Genève"),
            ("", ""),
        ];
        for (cell, want) in cases {
            assert_eq!(spreadsheet_cell(cell), want, "{cell:?}");
        }
    }
}
