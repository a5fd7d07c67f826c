//! CSV records with the line each starts on, for messages that name a line.
//!
//! Counting records (`header + 1 + index`) names the wrong line as soon as a file has a
//! blank line (the reader skips it) or a quoted field with a line break. The reader's own
//! position of a record is where it started looking for it: before the blank lines it
//! skipped, and in a file with CRLF line ends before the `\n` of the previous line's end
//! (so one line early on every row of a file saved by Excel). Both are corrected here by
//! counting the line ends at that position.
//!
//! [`reader`] opens the catalogue-shaped inputs (the catalogue, its plausible ranges and
//! relations, the maturity matrix, targets, cities, population, attributes, frameworks):
//! one header rule (names trimmed and lower-cased, a leading byte-order mark dropped) and
//! the header's positions and missing columns ([`Header`]); their records then come with
//! their lines from [`records`].

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::ops::Deref;
use std::path::Path;
use std::rc::Rc;

use crate::error::{Error, Result};

/// A CSV reader over `text` (a leading byte-order mark dropped) and its header; `path`
/// names the text in errors.
pub fn reader<'a>(text: &'a str, path: &Path) -> Result<(csv::Reader<&'a [u8]>, Header)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let names: Vec<String> = rdr
        .headers()
        .map_err(|e| Error::input(path, format!("cannot read the header: {e}")))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    Ok((rdr, Header(names)))
}

/// The header names of a CSV text, trimmed and lower-cased, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Header(pub Vec<String>);

impl Header {
    /// The first column named `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.0.iter().position(|h| h == name)
    }

    /// Each name's column (a repeated name: its last column).
    pub fn positions(&self) -> HashMap<String, usize> {
        self.0
            .iter()
            .enumerate()
            .map(|(i, h)| (h.clone(), i))
            .collect()
    }

    /// The `required` names the header lacks, in `required`'s order.
    pub fn missing<'r>(&self, required: &[&'r str]) -> Vec<&'r str> {
        required
            .iter()
            .copied()
            .filter(|c| self.position(c).is_none())
            .collect()
    }
}

impl Deref for Header {
    type Target = [String];
    fn deref(&self) -> &[String] {
        &self.0
    }
}

/// How many lines the line ends at the start of `bytes` close (`\n`, `\r\n`).
fn leading_line_ends<'a>(bytes: impl Iterator<Item = &'a u8>) -> u64 {
    let mut n = 0;
    for &b in bytes {
        match b {
            b'\n' => n += 1,
            b'\r' => {}
            _ => break,
        }
    }
    n
}

/// The line a record (or error) at `pos` starts on, given the bytes from `pos` on.
fn line_at<'a>(pos: &csv::Position, from: impl Iterator<Item = &'a u8>) -> u64 {
    pos.line() + leading_line_ends(from)
}

/// The records of `rdr`, which reads `text`, with their 1-based first line (the header is
/// line 1 in a file with a header). An unparsable record reports the line it starts on
/// when the reader knows it, else the line after the previous record's.
///
/// The reader's own position of a record is where it started looking for it, that is
/// before any blank lines it skipped; those are counted here from `text`.
pub fn records<'a, R: Read + 'a>(
    text: &'a str,
    rdr: &'a mut csv::Reader<R>,
) -> impl Iterator<Item = (u64, csv::Result<csv::StringRecord>)> + 'a {
    let mut last = 1u64;
    rdr.records().map(move |rec| {
        let pos = match &rec {
            Ok(r) => r.position(),
            Err(e) => e.position(),
        };
        let line = match pos {
            Some(p) => line_at(
                p,
                text.as_bytes()
                    .get(p.byte() as usize..)
                    .unwrap_or_default()
                    .iter(),
            ),
            None => last + 1,
        };
        last = line;
        (line, rec)
    })
}

/// The bytes a streamed reader handed out last, to find the line a record starts on
/// ([`Tail::line`]) without holding the file: at most `keep` bytes, which must exceed the
/// CSV reader's buffer (it parses at most that far behind what it has read).
pub struct Tail {
    bytes: VecDeque<u8>,
    /// Offset just past the last byte handed out.
    end: u64,
    keep: usize,
}

impl Tail {
    /// The line a record or error at `pos` starts on; when `pos` has already left the
    /// window (a run of blank lines longer than it), the reader's line.
    pub fn line(&self, pos: &csv::Position) -> u64 {
        let start = self.end - self.bytes.len() as u64;
        match pos.byte().checked_sub(start) {
            Some(off) if pos.byte() <= self.end => line_at(pos, self.bytes.range(off as usize..)),
            _ => pos.line(),
        }
    }
}

/// A reader that keeps the last bytes it handed out in a shared [`Tail`].
pub struct Tailing<R> {
    inner: R,
    tail: Rc<RefCell<Tail>>,
}

impl<R: Read> Tailing<R> {
    /// `inner`, keeping its last `keep` bytes in the returned tail.
    pub fn new(inner: R, keep: usize) -> (Self, Rc<RefCell<Tail>>) {
        let tail = Rc::new(RefCell::new(Tail {
            bytes: VecDeque::with_capacity(keep),
            end: 0,
            keep,
        }));
        (
            Tailing {
                inner,
                tail: tail.clone(),
            },
            tail,
        )
    }
}

impl<R: Read> Read for Tailing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut t = self.tail.borrow_mut();
        t.bytes.extend(&buf[..n]);
        let excess = t.bytes.len().saturating_sub(t.keep);
        t.bytes.drain(..excess);
        t.end += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines_count_blank_lines_and_quoted_line_breaks() {
        let text = "a,b\n1,2\n\n3,\"x\ny\"\n\r\n\n5,6\n7\n";
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        let got: Vec<(u64, bool)> = super::records(text, &mut rdr)
            .map(|(line, rec)| (line, rec.is_ok()))
            .collect();
        // "7" has one field where the header has two: an error on its own line
        assert_eq!(got, [(2, true), (4, true), (8, true), (9, false)]);
    }

    /// A streamed file, CRLF line ends, blank lines, a quoted line break, no final line
    /// end, and a window small enough to be overrun by a long blank run.
    #[test]
    fn streamed_lines_match_the_file() {
        let text = "h,i\r\n1,x\r\n\r\n2,\"a\r\nb\"\r\n3,y\r\n\r\n\r\n4,z";
        let lines = |keep: usize| -> Vec<u64> {
            let (r, tail) = super::Tailing::new(text.as_bytes(), keep);
            let mut rdr = csv::ReaderBuilder::new().buffer_capacity(16).from_reader(r);
            let mut rec = csv::StringRecord::new();
            let mut out = Vec::new();
            while rdr.read_record(&mut rec).unwrap() {
                out.push(tail.borrow().line(rec.position().unwrap()));
            }
            out
        };
        assert_eq!(lines(64), [2, 4, 6, 9]);
        // in-memory text, the same lines
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        let mem: Vec<u64> = super::records(text, &mut rdr).map(|(l, _)| l).collect();
        assert_eq!(mem, [2, 4, 6, 9]);
    }
}
