//! JSON numbers that an f64 cannot hold go through the same rule as CSV text.
//!
//! serde_json refuses a number beyond f64's range (`1e400`) as a syntax error, which failed
//! the whole JSON array, and silently reads a non-zero number below it (`1e-400`) as 0.
//! Neither reaches the validator's number rule ([`super::validate::parse_number`]), which
//! rejects the row with the reason. So before serde_json sees the text, every number literal
//! that would not survive as an f64 (infinite, a non-zero literal read as 0, or subnormal) is
//! turned into a JSON string with the same characters: `"value": 1e400` becomes
//! `"value": "1e400"`, and the row is rejected exactly as the CSV cell `1e400` would be.
//! Every other byte, line breaks included, passes through unchanged, so line numbers hold.

use std::borrow::Cow;
use std::io::{self, BufRead, Read};

/// Longest number literal examined; a longer run of number characters passes through as it
/// is (serde_json then refuses it as it did before), so memory stays bounded.
const MAX_LITERAL: usize = 4096;

/// Whether a JSON number literal reads as an f64 that is not what it says: infinite, zero
/// from non-zero digits, or subnormal. Only literals with an exponent or many digits can be.
fn unrepresentable(lit: &[u8]) -> bool {
    let has_exp = lit.iter().any(|b| matches!(b, b'e' | b'E'));
    if !has_exp && lit.len() < 300 {
        return false;
    }
    let Ok(text) = std::str::from_utf8(lit) else {
        return false;
    };
    match text.parse::<f64>() {
        Ok(v) if v.is_infinite() => true,
        Ok(0.0) => text
            .split(['e', 'E'])
            .next()
            .is_some_and(|m| m.bytes().any(|b| (b'1'..=b'9').contains(&b))),
        Ok(v) => !v.is_normal(),
        Err(_) => false,
    }
}

/// A cheap pre-filter: only text with an exponent (`e` followed by a digit or sign) or a
/// run of 300 digits can hold an unrepresentable literal.
fn may_hold_unrepresentable(bytes: &[u8]) -> bool {
    let mut run = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        if b.is_ascii_digit() {
            run += 1;
            if run >= 300 {
                return true;
            }
            continue;
        }
        run = 0;
        if matches!(b, b'e' | b'E')
            && bytes
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_digit() || matches!(n, b'+' | b'-'))
        {
            return true;
        }
    }
    false
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Outside,
    InString,
    Escape,
    Number,
    /// A number literal longer than [`MAX_LITERAL`]: passed through unexamined.
    LongNumber,
}

/// Byte-level JSON lexer: finds number literals outside strings.
#[derive(Debug)]
struct Lexer {
    state: State,
    literal: Vec<u8>,
    changed: bool,
}

impl Lexer {
    fn new() -> Self {
        Lexer {
            state: State::Outside,
            literal: Vec::new(),
            changed: false,
        }
    }

    fn is_number_byte(b: u8) -> bool {
        b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-')
    }

    /// Emit the literal read so far, quoted when it is not representable.
    fn end_literal(&mut self, out: &mut Vec<u8>) {
        if unrepresentable(&self.literal) {
            out.push(b'"');
            out.extend_from_slice(&self.literal);
            out.push(b'"');
            self.changed = true;
        } else {
            out.extend_from_slice(&self.literal);
        }
        self.literal.clear();
        self.state = State::Outside;
    }

    fn feed(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        out.reserve(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            // a run of bytes that changes nothing (inside a string up to a quote or backslash,
            // outside up to a quote or the start of a number) is copied whole
            let rest = &bytes[i..];
            let run = match self.state {
                State::InString => rest.iter().position(|&b| b == b'"' || b == b'\\'),
                State::Outside => rest
                    .iter()
                    .position(|&b| b == b'"' || b == b'-' || b.is_ascii_digit()),
                _ => Some(0),
            }
            .unwrap_or(rest.len());
            out.extend_from_slice(&rest[..run]);
            i += run;
            if let Some(&b) = bytes.get(i) {
                self.step(b, out);
                i += 1;
            }
        }
    }

    fn step(&mut self, b: u8, out: &mut Vec<u8>) {
        match self.state {
            State::Number if Self::is_number_byte(b) => {
                self.literal.push(b);
                if self.literal.len() > MAX_LITERAL {
                    out.append(&mut self.literal);
                    self.state = State::LongNumber;
                }
                return;
            }
            State::LongNumber if Self::is_number_byte(b) => {
                out.push(b);
                return;
            }
            State::Number => self.end_literal(out),
            State::LongNumber => self.state = State::Outside,
            _ => {}
        }
        match self.state {
            State::Outside if b == b'-' || b.is_ascii_digit() => {
                self.literal.push(b);
                self.state = State::Number;
                return;
            }
            State::Outside if b == b'"' => self.state = State::InString,
            State::InString if b == b'\\' => self.state = State::Escape,
            State::InString if b == b'"' => self.state = State::Outside,
            State::Escape => self.state = State::InString,
            _ => {}
        }
        out.push(b);
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if self.state == State::Number {
            self.end_literal(out);
        }
    }
}

/// One NDJSON line with its unrepresentable number literals quoted; borrowed when there is
/// none (the common case: nothing is copied).
pub fn quote_unrepresentable(line: &str) -> Cow<'_, str> {
    if !may_hold_unrepresentable(line.as_bytes()) {
        return Cow::Borrowed(line);
    }
    let mut lexer = Lexer::new();
    let mut out = Vec::with_capacity(line.len() + 8);
    lexer.feed(line.as_bytes(), &mut out);
    lexer.finish(&mut out);
    if !lexer.changed {
        return Cow::Borrowed(line);
    }
    // only ASCII quotes were added around ASCII literals: still UTF-8
    Cow::Owned(String::from_utf8(out).expect("UTF-8 in, UTF-8 out"))
}

/// A reader that quotes unrepresentable number literals of the JSON text it reads (for a
/// JSON array streamed into serde_json).
pub struct QuoteUnrepresentable<R> {
    inner: R,
    lexer: Lexer,
    out: Vec<u8>,
    pos: usize,
    done: bool,
}

impl<R: BufRead> QuoteUnrepresentable<R> {
    pub fn new(inner: R) -> Self {
        QuoteUnrepresentable {
            inner,
            lexer: Lexer::new(),
            out: Vec::new(),
            pos: 0,
            done: false,
        }
    }
}

impl<R: BufRead> Read for QuoteUnrepresentable<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.out.len() {
            if self.done {
                return Ok(0);
            }
            self.out.clear();
            self.pos = 0;
            let chunk = self.inner.fill_buf()?;
            if chunk.is_empty() {
                self.done = true;
                self.lexer.finish(&mut self.out);
                continue;
            }
            let n = chunk.len();
            self.lexer.feed(chunk, &mut self.out);
            self.inner.consume(n);
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unrepresentable_literals_are_quoted() {
        let line = r#"{"value":1e400,"year":2023,"x":-1E-400,"d":1e-310,"ok":[0.0e9,1.5e300,-0,12],"s":"1e400 \" 2e999"}"#;
        assert_eq!(
            quote_unrepresentable(line),
            r#"{"value":"1e400","year":2023,"x":"-1E-400","d":"1e-310","ok":[0.0e9,1.5e300,-0,12],"s":"1e400 \" 2e999"}"#
        );
        let clean = r#"{"value":85.5,"year":2023,"n":-3e5}"#;
        assert!(matches!(quote_unrepresentable(clean), Cow::Borrowed(_)));
        // a literal at the very end, and 400 digits without an exponent
        assert_eq!(quote_unrepresentable("1e999"), "\"1e999\"");
        let big = format!("[{}]", "9".repeat(400));
        assert_eq!(
            quote_unrepresentable(&big),
            format!("[\"{}\"]", "9".repeat(400))
        );
    }

    #[test]
    fn the_reader_gives_the_same_text_whatever_the_chunk_size() {
        let text = "[{\"value\": 1e400, \"n\": \"é\\\\\"},\n {\"value\": 1e-400}, 7.5]";
        let want = "[{\"value\": \"1e400\", \"n\": \"é\\\\\"},\n {\"value\": \"1e-400\"}, 7.5]";
        for cap in [1, 2, 3, 7, 64] {
            let inner = io::BufReader::with_capacity(cap, text.as_bytes());
            let mut got = String::new();
            QuoteUnrepresentable::new(inner)
                .read_to_string(&mut got)
                .unwrap();
            assert_eq!(got, want, "capacity {cap}");
        }
    }

    #[test]
    fn serde_json_then_reads_strings() {
        let v: serde_json::Value =
            serde_json::from_str(&quote_unrepresentable(r#"{"value": 1e400, "w": 1e-400}"#))
                .unwrap();
        assert_eq!(v["value"], "1e400");
        assert_eq!(v["w"], "1e-400");
    }
}
