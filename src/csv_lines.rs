//! CSV records with the line each starts on, for messages that name a line.
//!
//! Counting records (`header + 1 + index`) names the wrong line as soon as a file has a
//! blank line (the reader skips it) or a quoted field with a line break; the reader's own
//! position does not.

use std::io::Read;

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
            Some(p) => {
                let (mut byte, mut line) = (p.byte() as usize, p.line());
                loop {
                    let rest = text.as_bytes().get(byte..).unwrap_or_default();
                    if rest.starts_with(b"\n") {
                        byte += 1;
                    } else if rest.starts_with(b"\r\n") {
                        byte += 2;
                    } else {
                        break;
                    }
                    line += 1;
                }
                line
            }
            None => last + 1,
        };
        last = line;
        (line, rec)
    })
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
}
