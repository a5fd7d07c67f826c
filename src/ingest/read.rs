//! Readers for the long submission format: CSV, JSON (array of records or NDJSON) and
//! Parquet. Each reader checks the file as a whole (format, header, required columns) and
//! then streams rows to a callback, so memory stays bounded whatever the file size.
//!
//! Cells keep their type where the format has one (JSON and Parquet numbers stay numbers),
//! so a Parquet ingest never formats and re-parses numbers.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use polars::prelude::*;
use polars_arrow::array::{Utf8ViewArray, View};
use polars_arrow::bitmap::{Bitmap, MutableBitmap};
use polars_arrow::datatypes::ArrowDataType;
use polars_buffer::Buffer;

use crate::error::{Error, IoContext, Result};
use crate::schema::submission as col;

/// Index of each submission field in [`RawRow::cells`].
pub mod field {
    pub const CITY_ID: usize = 0;
    pub const DATA_POINT_ID: usize = 1;
    pub const YEAR: usize = 2;
    pub const VALUE: usize = 3;
    pub const UNIT: usize = 4;
    pub const SOURCE: usize = 5;
    pub const QUALITY: usize = 6;
    pub const VERIFIED: usize = 7;
    pub const CONFIDENTIAL: usize = 8;
    pub const DENOMINATOR: usize = 9;
    pub const NOTES: usize = 10;
    /// Number of fields.
    pub const COUNT: usize = 11;
}

/// Field names in [`field`] order.
pub const FIELD_NAMES: [&str; field::COUNT] = [
    col::CITY_ID,
    col::DATA_POINT_ID,
    col::YEAR,
    col::VALUE,
    col::UNIT,
    col::SOURCE,
    col::QUALITY,
    col::VERIFIED,
    col::CONFIDENTIAL,
    col::DENOMINATOR,
    col::NOTES,
];

/// One cell as read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Null,
    Str(&'a str),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl<'a> Cell<'a> {
    /// The cell as text, as it would be written back to a CSV (borrowed for text cells).
    pub fn text(&self) -> Cow<'a, str> {
        match *self {
            Cell::Null => Cow::Borrowed(""),
            Cell::Str(s) => Cow::Borrowed(s),
            Cell::Int(i) => Cow::Owned(i.to_string()),
            Cell::Float(f) => Cow::Owned(f.to_string()),
            Cell::Bool(b) => Cow::Borrowed(if b { "true" } else { "false" }),
        }
    }

    /// The trimmed text, borrowed for text cells.
    pub fn trimmed(&self) -> Cow<'a, str> {
        match self.text() {
            Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
            Cow::Owned(s) => {
                let t = s.trim();
                if t.len() == s.len() {
                    Cow::Owned(s)
                } else {
                    Cow::Owned(t.to_string())
                }
            }
        }
    }

    /// Whether the cell is empty (null or blank text).
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Null => true,
            Cell::Str(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

/// One row of a submission, before validation.
#[derive(Debug, Clone)]
pub struct RawRow<'a> {
    /// Line (CSV, NDJSON), record (JSON array) or row (Parquet) number, 1-based; for CSV the
    /// header is line 1.
    pub line: u64,
    pub cells: [Cell<'a>; field::COUNT],
    /// A structural problem found while reading (wrong field count, bad UTF-8, not an
    /// object): the row is rejected with this reason.
    pub problem: Option<String>,
}

/// Input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    Ndjson,
    Parquet,
    /// The Excel template (`citybench template`), read by [`super::xlsx`].
    Xlsx,
}

impl Format {
    /// Name used in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Ndjson => "ndjson",
            Format::Parquet => "parquet",
            Format::Xlsx => "xlsx",
        }
    }

    /// What a row number means in this format, for messages ("line", "record", "row").
    pub fn line_word(self) -> &'static str {
        match self {
            Format::Csv | Format::Ndjson => "line",
            Format::Json => "record",
            Format::Parquet | Format::Xlsx => "row",
        }
    }
}

/// Reading options.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// CSV field delimiter (default `,`).
    pub delimiter: u8,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions { delimiter: b',' }
    }
}

/// First bytes of an OLE2 compound file: Excel stores encrypted (password-protected) .xlsx
/// workbooks and legacy .xls workbooks in one.
pub const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// What a file looks like from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Looks {
    Parquet,
    Ole2,
    Zip,
    Gzip,
    Pdf,
    /// UTF-16 or UTF-32 text.
    Wide(super::encoding::Wide),
    /// Another binary file: the offset and line of its first NUL byte.
    Nul(usize, usize),
    JsonText,
    Text,
}

impl Looks {
    fn describe(self) -> String {
        match self {
            Looks::Parquet => "a Parquet file".into(),
            Looks::Ole2 => {
                "an OLE2 compound file (a password-protected .xlsx or a legacy .xls is one)".into()
            }
            Looks::Zip => "a ZIP archive (an .xlsx workbook is one)".into(),
            Looks::Gzip => "a gzip-compressed file".into(),
            Looks::Pdf => "a PDF document".into(),
            Looks::Wide(w) => format!("{} text", w.name),
            Looks::Nul(at, line) => {
                format!("binary data (a NUL byte at byte offset {at}, line {line})")
            }
            Looks::JsonText => "JSON text".into(),
            Looks::Text => "text".into(),
        }
    }
}

/// What a file looks like from its first bytes.
fn sniff(head: &[u8]) -> Looks {
    if head.starts_with(b"PAR1") {
        Looks::Parquet
    } else if head.starts_with(&CFB_MAGIC) {
        Looks::Ole2
    } else if head.starts_with(b"PK\x03\x04") {
        Looks::Zip
    } else if head.starts_with(&[0x1f, 0x8b]) {
        Looks::Gzip
    } else if head.starts_with(b"%PDF") {
        Looks::Pdf
    } else if let Some(w) = super::encoding::wide(head) {
        Looks::Wide(w)
    } else if let Some((at, line)) = super::encoding::nul(head) {
        Looks::Nul(at, line)
    } else {
        let t = String::from_utf8_lossy(head);
        let t = t.trim_start_matches('\u{feff}').trim_start();
        if t.starts_with('[') || t.starts_with('{') {
            Looks::JsonText
        } else {
            Looks::Text
        }
    }
}

/// Bytes read to decide a file's format.
const SNIFF: usize = 512;

/// The message for a text format (CSV, JSON) given UTF-16/32 text or a NUL byte.
fn not_utf8(looks: Looks, want: &str) -> Option<String> {
    let save = if want == "CSV" {
        "save it as UTF-8 (Excel: Save As > CSV UTF-8 (Comma delimited))"
    } else {
        "save it as UTF-8"
    };
    match looks {
        Looks::Wide(w) => Some(format!(
            "the file is {} text ({}), not UTF-8; citybench reads {want} in UTF-8: {save}",
            w.name, w.evidence
        )),
        Looks::Nul(at, line) => Some(format!(
            "the file has a NUL byte (0x00) at byte offset {at}, line {line}; {want} text has none, so the file is binary or in an encoding other than UTF-8: {save}"
        )),
        _ => None,
    }
}

/// Decide the format from the extension and check that the content agrees.
pub fn detect_format(path: &Path) -> Result<Format> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let mut head = [0u8; SNIFF];
    let n = {
        let mut f = crate::input::open(path, crate::input::SUBMISSION)?;
        let mut n = 0;
        loop {
            let k = f.read(&mut head[n..]).at(path)?;
            if k == 0 {
                break;
            }
            n += k;
            if n == head.len() {
                break;
            }
        }
        n
    };
    let head = &head[..n];
    if n == 0 {
        return Err(Error::input(
            path,
            format!(
                "the file is empty (0 bytes); expected a header line with the columns {}",
                col::REQUIRED.join(",")
            ),
        ));
    }
    let looks = sniff(head);
    let fmt = match ext.as_str() {
        "csv" | "txt" | "tsv" => Format::Csv,
        "json" => Format::Json,
        "ndjson" | "jsonl" => Format::Ndjson,
        "parquet" | "pq" => Format::Parquet,
        "xlsx" => Format::Xlsx,
        "xls" => {
            return Err(Error::input(
                path,
                "legacy .xls workbooks are not read; open it in Excel and save it as .xlsx (Excel Workbook), or export the data as CSV in the long format",
            ));
        }
        other => {
            return Err(Error::input(
                path,
                format!(
                    "unknown file type '.{other}' ({}); citybench ingests .csv, .json, .ndjson/.jsonl, .parquet and .xlsx (the template of `citybench template`)",
                    looks.describe()
                ),
            ));
        }
    };
    let ok = match fmt {
        Format::Parquet => looks == Looks::Parquet,
        Format::Json | Format::Ndjson => looks == Looks::JsonText,
        Format::Csv => looks == Looks::Text || looks == Looks::JsonText,
        Format::Xlsx => looks == Looks::Zip,
    };
    if fmt == Format::Xlsx && looks == Looks::Ole2 {
        return Err(Error::input(path, super::xlsx::ENCRYPTED));
    }
    if !ok {
        let want = match fmt {
            Format::Parquet => "a Parquet file (starting with the magic bytes PAR1)",
            Format::Json | Format::Ndjson => "JSON text",
            Format::Csv => "CSV text",
            Format::Xlsx => "an .xlsx workbook (a ZIP archive)",
        };
        let text = match fmt {
            Format::Csv => Some("CSV"),
            Format::Json | Format::Ndjson => Some("JSON"),
            _ => None,
        };
        if let Some(m) = text.and_then(|t| not_utf8(looks, t)) {
            return Err(Error::input(path, m));
        }
        return Err(Error::input(
            path,
            format!(
                "the file is named .{ext} but contains {}, not {want}",
                looks.describe()
            ),
        ));
    }
    if fmt == Format::Json {
        // '[' = array of records; '{' = NDJSON in a .json file
        let t = String::from_utf8_lossy(head);
        if t.trim_start_matches('\u{feff}')
            .trim_start()
            .starts_with('{')
        {
            return Ok(Format::Ndjson);
        }
    }
    Ok(fmt)
}

/// Refuse a CSV or NDJSON file whose first line is longer than [`MAX_RECORD`] before the
/// whole file is read (ingest hashes it first): a file of gigabytes without a line end
/// fails at once, having read one record's worth.
pub fn check_first_line(path: &Path, format: Format) -> Result<()> {
    let what = match format {
        Format::Csv => "the header line",
        Format::Ndjson => "line 1",
        _ => return Ok(()),
    };
    let f = crate::input::open(path, crate::input::SUBMISSION)?;
    let mut line = Vec::new();
    BufReader::new(f.take(MAX_RECORD as u64 + 1))
        .read_until(b'\n', &mut line)
        .at(path)?;
    if line.len() > MAX_RECORD && line.last() != Some(&b'\n') {
        return Err(too_long(path, what));
    }
    Ok(())
}

/// Map header names (case-insensitive, trimmed, BOM stripped) to field positions.
/// Returns (position of each field in the file, ignored column names).
pub fn map_header(
    path: &Path,
    names: &[String],
) -> Result<([Option<usize>; field::COUNT], Vec<String>)> {
    let mut pos = [None; field::COUNT];
    let mut ignored = Vec::new();
    for (i, raw) in names.iter().enumerate() {
        let n = raw.trim_start_matches('\u{feff}').trim().to_lowercase();
        match FIELD_NAMES.iter().position(|f| *f == n) {
            Some(k) if pos[k].is_none() => pos[k] = Some(i),
            Some(_) => {
                return Err(Error::input(
                    path,
                    format!("column '{n}' appears twice in the header"),
                ));
            }
            None => ignored.push(raw.trim().to_string()),
        }
    }
    let missing: Vec<&str> = col::REQUIRED
        .iter()
        .enumerate()
        .filter(|(k, _)| pos[*k].is_none())
        .map(|(_, n)| *n)
        .collect();
    if !missing.is_empty() {
        let shown: Vec<String> = names
            .iter()
            .map(|n| n.trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        let mut msg = format!(
            "missing required column{} {}; the header has: {}; required: {} (optional: {})",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", "),
            shown.join(", "),
            col::REQUIRED.join(", "),
            col::OPTIONAL.join(", ")
        );
        if names.len() == 1 {
            let h = &names[0];
            for (d, name) in [(';', "semicolon"), ('\t', "tab"), ('|', "pipe")] {
                if h.contains(d) {
                    msg = format!(
                        "the header has a single column and looks {name}-separated; citybench reads comma-separated CSV: convert the file or pass --delimiter '{}'",
                        if d == '\t' {
                            "\\t".to_string()
                        } else {
                            d.to_string()
                        }
                    );
                }
            }
        }
        return Err(Error::input(path, msg));
    }
    Ok((pos, ignored))
}

/// Outcome of reading the header.
#[derive(Debug, Clone, Default)]
pub struct HeaderInfo {
    pub ignored_columns: Vec<String>,
}

/// The longest record (CSV record, NDJSON line, element of a JSON array) read: a row of
/// the long format is a few hundred bytes, so a longer one is a file that is not what it
/// says (no line ends, an unclosed quote) and is refused before it fills memory.
pub const MAX_RECORD: usize = 1 << 20;

/// A reader that fails once more than `limit` bytes were handed out since the last
/// [`Limit::mark`], so a record without end cannot grow without bound.
struct Limited<R> {
    inner: R,
    limit: std::rc::Rc<Limit>,
}

/// The shared state of a [`Limited`] reader.
#[derive(Debug, Default)]
struct Limit {
    /// Bytes handed out so far.
    read: std::cell::Cell<u64>,
    /// Where the current record starts.
    mark: std::cell::Cell<u64>,
    /// Bytes allowed from the mark.
    allowed: u64,
    /// Set when the limit stopped the reader.
    hit: std::cell::Cell<bool>,
}

impl Limit {
    fn new(allowed: u64) -> std::rc::Rc<Self> {
        std::rc::Rc::new(Limit {
            allowed,
            ..Default::default()
        })
    }

    fn mark(&self, at: u64) {
        self.mark.set(at);
    }
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let l = &self.limit;
        if l.read.get().saturating_sub(l.mark.get()) > l.allowed {
            l.hit.set(true);
            return Err(std::io::Error::other("record longer than the limit"));
        }
        let n = self.inner.read(buf)?;
        l.read.set(l.read.get() + n as u64);
        Ok(n)
    }
}

/// The whole-file error for a record longer than [`MAX_RECORD`].
fn too_long(path: &Path, what: &str) -> Error {
    Error::input(
        path,
        format!(
            "{what} is longer than {}, the most a record may have (a row of the long format is a few hundred bytes); the file is not {} text with line ends, or a quote is not closed",
            crate::input::bytes(MAX_RECORD as u64),
            match path.extension().and_then(|e| e.to_str()) {
                Some(e) if e.eq_ignore_ascii_case("json") => "JSON",
                Some(e) if e.eq_ignore_ascii_case("ndjson") || e.eq_ignore_ascii_case("jsonl") => {
                    "NDJSON"
                }
                _ => "CSV",
            }
        ),
    )
}

/// The cells of a CSV record (`field_of[i]`: the submission field column `i` is), or the
/// problem of a record with a field that is not UTF-8 or holds a NUL byte (its cells are
/// then left empty).
fn csv_cells<'r>(
    rec: &'r csv::ByteRecord,
    field_of: &[Option<usize>],
    cells: &mut [Cell<'r>; field::COUNT],
) -> Option<String> {
    let nul = rec.as_slice().contains(&0);
    // the record's bytes checked once; a field is then a slice of that text (its ends on
    // character boundaries: two fields may each hold half of one character). Field by
    // field, the check was a tenth of the CSV reader's time (one call per field).
    let whole = std::str::from_utf8(rec.as_slice()).ok();
    let mut start = 0;
    for (i, f) in rec.iter().enumerate() {
        let end = start + f.len();
        let text = match whole.and_then(|w| w.get(start..end)) {
            Some(t) => Ok(t),
            None => std::str::from_utf8(f),
        };
        start = end;
        match text {
            Ok(t) if nul && t.as_bytes().contains(&0) => {
                *cells = [Cell::Null; field::COUNT];
                return Some(format!(
                    "field {} contains a NUL byte (0x00), which text never has; the file is binary or not UTF-8: save it as UTF-8",
                    i + 1
                ));
            }
            Ok(t) => {
                if let Some(Some(k)) = field_of.get(i) {
                    cells[*k] = Cell::Str(t);
                }
            }
            Err(e) => {
                let what = match f.get(e.valid_up_to()) {
                    Some(&b) => super::encoding::describe_byte(b),
                    None => "a UTF-8 sequence cut short".to_string(),
                };
                *cells = [Cell::Null; field::COUNT];
                return Some(format!(
                    "field {} is not valid UTF-8 text ({what}); save the file as UTF-8",
                    i + 1
                ));
            }
        }
    }
    None
}

/// Stream a CSV file. `progress` gets the byte offset.
pub fn read_csv(
    path: &Path,
    opts: &ReadOptions,
    progress: &mut dyn FnMut(u64),
    on_row: &mut dyn FnMut(&RawRow<'_>) -> Result<()>,
) -> Result<HeaderInfo> {
    let file = crate::input::open(path, crate::input::SUBMISSION)?;
    let is_tsv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tsv"));
    let delimiter = if is_tsv && opts.delimiter == b',' {
        b'\t'
    } else {
        opts.delimiter
    };
    // the last bytes read, to name the line a row starts on (blank lines, CRLF line ends)
    const BUFFER: usize = 1 << 20;
    // a record of MAX_RECORD bytes is complete once at most a buffer more was read
    let limit = Limit::new((MAX_RECORD + BUFFER) as u64);
    let file = Limited {
        inner: file,
        limit: limit.clone(),
    };
    let (file, tail) = crate::csv_lines::Tailing::new(file, 4 * BUFFER);
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .buffer_capacity(BUFFER)
        .from_reader(file);
    let headers: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(str::to_string).collect(),
        Err(_) if limit.hit.get() => return Err(too_long(path, "the header line")),
        Err(e) => {
            let mut m = format!("cannot read the header line: {e}");
            if let csv::ErrorKind::Utf8 { err, .. } = e.kind() {
                m = format!(
                    "the header line is not UTF-8 text (column {}); save the file as UTF-8",
                    err.field() + 1
                );
            }
            return Err(Error::input(path, m));
        }
    };
    if rdr.position().byte() > MAX_RECORD as u64 {
        return Err(too_long(path, "the header line"));
    }
    let (pos, ignored) = map_header(path, &headers)?;
    // the submission field each column of the file is, if any
    let mut field_of: Vec<Option<usize>> = vec![None; headers.len()];
    for (k, p) in pos.iter().enumerate() {
        if let Some(i) = p {
            field_of[*i] = Some(k);
        }
    }
    let width = headers.len();
    let mut rec = csv::ByteRecord::new();
    let mut seen_any = false;
    let mut n: u64 = 0;
    loop {
        let before = rdr.position().clone();
        limit.mark(before.byte());
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                seen_any = true;
                n += 1;
                let line = rec
                    .position()
                    .map(|p| tail.borrow().line(p))
                    .unwrap_or(before.line());
                if rdr.position().byte() - before.byte() > MAX_RECORD as u64 {
                    return Err(too_long(
                        path,
                        &format!("the record starting on line {line}"),
                    ));
                }
                let mut cells = [Cell::Null; field::COUNT];
                let problem = csv_cells(&rec, &field_of, &mut cells).or_else(|| {
                    (rec.len() != width).then(|| {
                        format!(
                            "the row has {} fields but the header has {width}; check quoting of fields that contain the delimiter",
                            rec.len()
                        )
                    })
                });
                on_row(&RawRow {
                    line,
                    cells,
                    problem,
                })?;
                if n.is_multiple_of(65_536) {
                    progress(rdr.position().byte());
                }
            }
            Err(_) if limit.hit.get() => {
                let line = tail.borrow().line(&before);
                return Err(too_long(
                    path,
                    &format!("the record starting on line {line}"),
                ));
            }
            Err(e) => return Err(Error::input(path, format!("cannot read the CSV: {e}"))),
        }
    }
    if !seen_any {
        return Err(Error::input(
            path,
            "the file has a header but no data rows; nothing to ingest",
        ));
    }
    progress(rdr.position().byte());
    Ok(HeaderInfo {
        ignored_columns: ignored,
    })
}

fn json_cell<'a>(v: &'a serde_json::Value) -> std::result::Result<Cell<'a>, String> {
    use serde_json::Value;
    Ok(match v {
        Value::Null => Cell::Null,
        Value::Bool(b) => Cell::Bool(*b),
        Value::String(s) => Cell::Str(s),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Cell::Int(i),
            None => Cell::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::Array(_) => {
            return Err("is a JSON array; expected a string, number or boolean".into());
        }
        Value::Object(_) => {
            return Err("is a JSON object; expected a string, number or boolean".into());
        }
    })
}

/// Column layout learnt from the first JSON record.
struct JsonLayout {
    ignored: Vec<String>,
}

fn json_layout(
    path: &Path,
    first: &serde_json::Map<String, serde_json::Value>,
) -> Result<JsonLayout> {
    let names: Vec<String> = first.keys().cloned().collect();
    let (_, ignored) = map_header(path, &names)?;
    Ok(JsonLayout { ignored })
}

fn json_row<'a>(line: u64, obj: &'a serde_json::Map<String, serde_json::Value>) -> RawRow<'a> {
    let mut cells = [Cell::Null; field::COUNT];
    let mut problem = None;
    for (k, v) in obj {
        let n = k.trim().to_lowercase();
        if let Some(i) = FIELD_NAMES.iter().position(|f| *f == n) {
            match json_cell(v) {
                Ok(c) => cells[i] = c,
                Err(m) => problem = Some(format!("field '{n}' {m}")),
            }
        }
    }
    RawRow {
        line,
        cells,
        problem,
    }
}

/// Stream a JSON array of records (one record at a time, never the whole array in memory).
pub fn read_json_array(
    path: &Path,
    on_row: &mut dyn FnMut(&RawRow<'_>) -> Result<()>,
) -> Result<HeaderInfo> {
    use serde::de::{Deserializer, SeqAccess, Visitor};
    // serde_json reads byte by byte from the buffer; the limit sits under the buffer (one
    // check per refill, not per byte), so an element is stopped at most a buffer past
    // MAX_RECORD from where the buffer stood when it began
    const BUFFER: usize = 64 << 10;
    let limit = Limit::new((MAX_RECORD + BUFFER) as u64);
    let mut file = BufReader::with_capacity(
        BUFFER,
        Limited {
            inner: crate::input::open(path, crate::input::SUBMISSION)?,
            limit: limit.clone(),
        },
    );
    // skip a UTF-8 BOM
    let bom = file.fill_buf().at(path)?.starts_with(b"\xef\xbb\xbf");
    if bom {
        file.consume(3);
    }
    struct V<'f> {
        path: &'f Path,
        limit: &'f Limit,
        on_row: &'f mut dyn FnMut(&RawRow<'_>) -> Result<()>,
        layout: Option<JsonLayout>,
        err: Option<Error>,
        n: u64,
    }
    impl<'de> Visitor<'de> for &mut V<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array of records")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
            while let Some(v) = seq.next_element::<serde_json::Value>()? {
                self.n += 1;
                let row_result = match &v {
                    serde_json::Value::Object(obj) => {
                        if self.layout.is_none() {
                            match json_layout(self.path, obj) {
                                Ok(l) => self.layout = Some(l),
                                Err(e) => {
                                    self.err = Some(e);
                                    return Err(serde::de::Error::custom("stop"));
                                }
                            }
                        }
                        (self.on_row)(&json_row(self.n, obj))
                    }
                    other => (self.on_row)(&RawRow {
                        line: self.n,
                        cells: [Cell::Null; field::COUNT],
                        problem: Some(format!(
                            "record is a JSON {}, not an object with the submission fields",
                            match other {
                                serde_json::Value::Array(_) => "array",
                                serde_json::Value::String(_) => "string",
                                serde_json::Value::Number(_) => "number",
                                serde_json::Value::Bool(_) => "boolean",
                                _ => "null",
                            }
                        )),
                    }),
                };
                if let Err(e) = row_result {
                    self.err = Some(e);
                    return Err(serde::de::Error::custom("stop"));
                }
                self.limit.mark(self.limit.read.get());
            }
            Ok(())
        }
    }
    let mut v = V {
        path,
        limit: &limit,
        on_row,
        layout: None,
        err: None,
        n: 0,
    };
    // numbers an f64 cannot hold arrive as strings and meet the validator's number rule
    let file = BufReader::new(super::json_numbers::QuoteUnrepresentable::new(file));
    let mut de = serde_json::Deserializer::from_reader(file);
    let res = (&mut de).deserialize_seq(&mut v);
    if let Some(e) = v.err {
        return Err(e);
    }
    if limit.hit.get() {
        return Err(too_long(path, &format!("record {}", v.n + 1)));
    }
    if let Err(e) = res {
        return Err(Error::input(
            path,
            format!("not a valid JSON array of records: {e}"),
        ));
    }
    if let Err(e) = de.end() {
        return Err(Error::input(
            path,
            format!("unexpected content after the JSON array: {e}"),
        ));
    }
    if v.n == 0 {
        return Err(Error::input(
            path,
            "the JSON array is empty; nothing to ingest",
        ));
    }
    Ok(HeaderInfo {
        ignored_columns: v.layout.map(|l| l.ignored).unwrap_or_default(),
    })
}

/// Stream an NDJSON file (one JSON object per line; blank lines skipped).
pub fn read_ndjson(
    path: &Path,
    on_row: &mut dyn FnMut(&RawRow<'_>) -> Result<()>,
) -> Result<HeaderInfo> {
    let mut file =
        BufReader::with_capacity(1 << 20, crate::input::open(path, crate::input::SUBMISSION)?);
    let mut layout: Option<JsonLayout> = None;
    let mut n = 0u64;
    let mut bytes = Vec::new();
    for i in 0u64.. {
        let line_no = i + 1;
        bytes.clear();
        // one byte more than a record may have: a longer line is refused unread
        let k = (&mut file)
            .take(MAX_RECORD as u64 + 1)
            .read_until(b'\n', &mut bytes)
            .at(path)?;
        if k == 0 {
            break;
        }
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
        } else if bytes.len() > MAX_RECORD {
            return Err(too_long(path, &format!("line {line_no}")));
        }
        let mut text = match std::str::from_utf8(&bytes) {
            Ok(t) => t,
            Err(e) => {
                n += 1;
                let what = match bytes.get(e.valid_up_to()) {
                    Some(&b) => super::encoding::describe_byte(b),
                    None => "a UTF-8 sequence cut short".to_string(),
                };
                on_row(&RawRow {
                    line: line_no,
                    cells: [Cell::Null; field::COUNT],
                    problem: Some(format!(
                        "the line is not valid UTF-8 text ({what}); save the file as UTF-8"
                    )),
                })?;
                continue;
            }
        };
        if i == 0 {
            text = text.trim_start_matches('\u{feff}');
        }
        if text.trim().is_empty() {
            continue;
        }
        n += 1;
        // numbers an f64 cannot hold arrive as strings and meet the validator's number rule
        let text = super::json_numbers::quote_unrepresentable(text);
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(obj)) => {
                if layout.is_none() {
                    layout = Some(json_layout(path, &obj)?);
                }
                on_row(&json_row(line_no, &obj))?;
            }
            Ok(_) => on_row(&RawRow {
                line: line_no,
                cells: [Cell::Null; field::COUNT],
                problem: Some(
                    "the line is JSON but not an object with the submission fields".into(),
                ),
            })?,
            Err(e) => on_row(&RawRow {
                line: line_no,
                cells: [Cell::Null; field::COUNT],
                problem: Some(format!("the line is not valid JSON: {e}")),
            })?,
        }
    }
    if n == 0 {
        return Err(Error::input(
            path,
            "the file has no JSON records; nothing to ingest",
        ));
    }
    Ok(HeaderInfo {
        ignored_columns: layout.map(|l| l.ignored).unwrap_or_default(),
    })
}

/// Largest slice read at once (a larger row group is read in parts).
pub(crate) const PARQUET_MAX_SLICE: usize = 1 << 21;

/// A typed view of one Parquet column slice.
pub(crate) enum ColView {
    Missing,
    Str(StringChunked),
    Int(Int64Chunked),
    Float(Float64Chunked),
    Bool(BooleanChunked),
}

impl ColView {
    fn of(df: &DataFrame, name: Option<&str>) -> PolarsResult<Self> {
        let Some(name) = name else {
            return Ok(ColView::Missing);
        };
        let s = df.column(name)?.as_materialized_series().rechunk();
        Ok(match s.dtype() {
            DataType::String => ColView::Str(s.str()?.clone()),
            DataType::Boolean => ColView::Bool(s.bool()?.clone()),
            dt if dt.is_integer() => ColView::Int(s.cast(&DataType::Int64)?.i64()?.clone()),
            dt if dt.is_float() => ColView::Float(s.cast(&DataType::Float64)?.f64()?.clone()),
            _ => ColView::Str(s.cast(&DataType::String)?.str()?.clone()),
        })
    }

    /// Values in the column (None for a missing column).
    fn len(&self) -> Option<usize> {
        match self {
            ColView::Missing => None,
            ColView::Str(c) => Some(c.len()),
            ColView::Int(c) => Some(c.len()),
            ColView::Float(c) => Some(c.len()),
            ColView::Bool(c) => Some(c.len()),
        }
    }

    pub(crate) fn cell(&self, i: usize) -> Cell<'_> {
        match self {
            ColView::Missing => Cell::Null,
            ColView::Str(c) => c.get(i).map(Cell::Str).unwrap_or(Cell::Null),
            ColView::Int(c) => c.get(i).map(Cell::Int).unwrap_or(Cell::Null),
            ColView::Float(c) => c.get(i).map(Cell::Float).unwrap_or(Cell::Null),
            ColView::Bool(c) => c.get(i).map(Cell::Bool).unwrap_or(Cell::Null),
        }
    }
}

/// A decoded slice of a file as columns (a Parquet slice, or a batch of CSV records);
/// rows are produced on demand (by several threads).
pub struct ParquetSlice {
    views: Vec<ColView>,
    offset: usize,
    height: usize,
    /// Each row's line number, where rows are not numbered `offset + i + 1` (CSV).
    lines: Option<Vec<u64>>,
    /// Rows with a structural problem (index in the slice, the problem), ascending.
    problems: Vec<(usize, String)>,
}

impl ParquetSlice {
    /// Rows in the slice.
    pub fn len(&self) -> usize {
        self.height
    }

    /// Whether the slice is empty.
    pub fn is_empty(&self) -> bool {
        self.height == 0
    }

    /// The column of submission field `f` ([`field`]).
    pub(crate) fn view(&self, f: usize) -> &ColView {
        &self.views[f]
    }

    /// The line (row, record) number of row `i` of the slice, 1-based as [`RawRow::line`].
    pub fn line(&self, i: usize) -> u64 {
        match &self.lines {
            Some(l) => l[i],
            None => (self.offset + i + 1) as u64,
        }
    }

    /// Whether row `i` has a structural problem (the row validator rejects it).
    pub fn has_problem(&self, i: usize) -> bool {
        self.problems.binary_search_by_key(&i, |p| p.0).is_ok()
    }

    /// Whether any row has a structural problem.
    pub fn has_problems(&self) -> bool {
        !self.problems.is_empty()
    }

    /// Row `i` of the slice (0-based).
    pub fn row(&self, i: usize) -> RawRow<'_> {
        let mut cells = [Cell::Null; field::COUNT];
        for (k, v) in self.views.iter().enumerate() {
            cells[k] = v.cell(i);
        }
        RawRow {
            line: self.line(i),
            cells,
            problem: self
                .problems
                .binary_search_by_key(&i, |p| p.0)
                .ok()
                .map(|j| self.problems[j].1.clone()),
        }
    }
}

/// Collects rows read one by one (CSV records) into a [`ParquetSlice`] of text columns, so
/// that they are validated column by column like a Parquet slice.
///
/// Each cell becomes a 16-byte Arrow view: the text itself when it fits (12 bytes), else
/// its place in its column's byte buffer. Through Polars' string builders the cells took
/// 43 % of the time of the thread CSV ingest waits on (1.06 of 2.45 s at 10.3 M rows).
pub struct SliceBuilder {
    /// Per column: one view per row (a missing cell's is empty).
    views: Vec<Vec<View>>,
    /// Per column: which rows have a cell, kept from the first missing one on.
    valid: Vec<Option<MutableBitmap>>,
    /// Per column, the texts longer than a view: the buffers filled, then the one being
    /// filled.
    full: Vec<Vec<Buffer<u8>>>,
    bytes: Vec<Vec<u8>>,
    /// The most bytes one buffer holds ([`SLICE_BUFFER_MAX`]; smaller in tests).
    buffer_max: usize,
    lines: Vec<u64>,
    problems: Vec<(usize, String)>,
    cap: usize,
}

/// The most bytes one buffer of a [`SliceBuilder`] holds (a view's offset is 32 bits).
const SLICE_BUFFER_MAX: usize = u32::MAX as usize;

impl SliceBuilder {
    /// A builder of slices of up to `cap` rows.
    pub fn new(cap: usize) -> Self {
        SliceBuilder {
            views: (0..field::COUNT).map(|_| Vec::with_capacity(cap)).collect(),
            valid: vec![None; field::COUNT],
            full: vec![Vec::new(); field::COUNT],
            bytes: vec![Vec::new(); field::COUNT],
            buffer_max: SLICE_BUFFER_MAX,
            lines: Vec::with_capacity(cap),
            problems: Vec::new(),
            cap,
        }
    }

    /// Rows collected.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether no row is collected.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Whether the slice is full.
    pub fn is_full(&self) -> bool {
        self.lines.len() >= self.cap
    }

    /// Add a row: each cell as its text ([`Cell::text`]), a missing cell as missing.
    pub fn push(&mut self, row: &RawRow<'_>) {
        let n = self.lines.len();
        for (k, c) in row.cells.iter().enumerate() {
            let text = match c {
                Cell::Null => {
                    self.valid[k]
                        .get_or_insert_with(|| {
                            let mut v = MutableBitmap::with_capacity(self.cap);
                            v.extend_constant(n, true);
                            v
                        })
                        .push(false);
                    self.views[k].push(View::default());
                    continue;
                }
                Cell::Str(t) => Cow::Borrowed(*t),
                other => other.text(),
            };
            let view = self.view_of(k, text.as_bytes());
            self.views[k].push(view);
            if let Some(v) = &mut self.valid[k] {
                v.push(true);
            }
        }
        if let Some(p) = &row.problem {
            self.problems.push((n, p.clone()));
        }
        self.lines.push(row.line);
    }

    /// The view of `b` in column `k`, its bytes appended to the column's buffer being
    /// filled when they do not fit in the view.
    fn view_of(&mut self, k: usize, b: &[u8]) -> View {
        if b.len() <= View::MAX_INLINE_SIZE as usize {
            return View::new_inline(b);
        }
        let (full, bytes) = (&mut self.full[k], &mut self.bytes[k]);
        if bytes.len() + b.len() > self.buffer_max && !bytes.is_empty() {
            full.push(std::mem::take(bytes).into());
        }
        let offset = bytes.len() as u32;
        bytes.extend_from_slice(b);
        // SAFETY: longer than a view holds (checked above)
        unsafe { View::new_noninline_unchecked(b, full.len() as u32, offset) }
    }

    /// The rows collected as a slice; the builder starts over.
    pub fn take(&mut self) -> ParquetSlice {
        let fresh = SliceBuilder {
            buffer_max: self.buffer_max,
            ..SliceBuilder::new(self.cap)
        };
        let done = std::mem::replace(self, fresh);
        let height = done.lines.len();
        let views = done
            .views
            .into_iter()
            .zip(done.valid)
            .zip(done.full.into_iter().zip(done.bytes))
            .enumerate()
            .map(|(k, ((views, valid), (mut full, bytes)))| {
                full.push(bytes.into());
                let total = full.iter().map(|b| b.len()).sum();
                // SAFETY: every view is inline or names bytes appended to its column's
                // buffers (a text's bytes, so valid UTF-8), and the validity has one bit
                // per view
                let array = unsafe {
                    Utf8ViewArray::new_unchecked_unknown_md(
                        ArrowDataType::Utf8View,
                        views.into(),
                        full.into(),
                        valid.map(Bitmap::from),
                        Some(total),
                    )
                };
                ColView::Str(StringChunked::with_chunk(FIELD_NAMES[k].into(), array))
            })
            .collect();
        ParquetSlice {
            views,
            offset: 0,
            height,
            lines: Some(done.lines),
            problems: done.problems,
        }
    }
}

/// Whether Polars (as built here: minimal dtypes) reads a Parquet column of this type.
/// Decimals, 8- and 16-bit unsigned integers, half floats, 128-bit integers, fixed-size
/// binaries, intervals and nested values are read through DuckDB as text instead
/// ([`as_text_copy`]); the row checks then judge the text like a CSV cell.
fn polars_reads(dt: &ArrowDataType) -> bool {
    use ArrowDataType as A;
    match dt {
        A::Dictionary(_, inner, _) => polars_reads(inner),
        A::Decimal(..)
        | A::Decimal32(..)
        | A::Decimal64(..)
        | A::Decimal256(..)
        | A::UInt8
        | A::UInt16
        | A::Float16
        | A::Int128
        | A::UInt128
        | A::FixedSizeBinary(_)
        | A::Interval(_)
        | A::List(_)
        | A::LargeList(_)
        | A::FixedSizeList(..)
        | A::Map(..)
        | A::Union(_)
        | A::Extension(_)
        | A::Unknown => false,
        _ => true,
    }
}

/// A temporary file removed when dropped.
struct TempFile(std::path::PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A copy of the submission columns `used` of the Parquet file `path`, in the same row
/// order, with the columns `text` cast to text (DuckDB reads every Parquet type).
fn as_text_copy(path: &Path, used: &[&str], text: &[&str]) -> Result<TempFile> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let tmp = TempFile(std::env::temp_dir().join(format!(
        "citybench-ingest-{}-{nanos}.parquet",
        std::process::id()
    )));
    let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let ident = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let select: Vec<String> = used
        .iter()
        .map(|c| {
            if text.contains(c) {
                format!("CAST({} AS VARCHAR) AS {}", ident(c), ident(c))
            } else {
                ident(c)
            }
        })
        .collect();
    let sql = format!(
        "SET preserve_insertion_order = true; COPY (SELECT {} FROM read_parquet({})) TO {} (FORMAT parquet)",
        select.join(", "),
        quote(&path.to_string_lossy()),
        quote(&tmp.0.to_string_lossy())
    );
    let fail = |e: duckdb::Error| {
        Error::input(
            path,
            format!(
                "could not read the columns {} as text: {e}",
                text.join(", ")
            ),
        )
    };
    let conn = duckdb::Connection::open_in_memory().map_err(fail)?;
    conn.execute_batch(&sql).map_err(fail)?;
    Ok(tmp)
}

/// Run the Polars call `f` on the submission `path`: a Polars error or a panic of the decoder
/// becomes a "damaged Parquet file" error saying what `part` could not be decoded.
fn decode<T>(path: &Path, part: &str, f: impl FnOnce() -> PolarsResult<T>) -> Result<T> {
    match crate::input::catch_panic(f) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(super::parquet_guard::damaged(
            path,
            format!("{part} could not be read ({e})"),
        )),
        Err(panic) => Err(super::parquet_guard::damaged(
            path,
            format!("{part} could not be decoded (the decoder stopped: {panic})"),
        )),
    }
}

/// Stream a Parquet file slice by slice (slices follow row groups, at most
/// `PARQUET_MAX_SLICE` rows each). Only the submission's columns are decoded.
///
/// The file passes [`super::parquet_guard`]'s checks before Polars reads any part of it,
/// and every Polars call runs under [`crate::input::catch_panic`]: a damaged file is an
/// error naming the file (and the row group), never a crash.
pub fn read_parquet(
    path: &Path,
    progress: &mut dyn FnMut(u64),
    on_slice: &mut dyn FnMut(ParquetSlice) -> Result<()>,
) -> Result<HeaderInfo> {
    let file = crate::input::open(path, crate::input::SUBMISSION)?;
    let footer = super::parquet_guard::Footer::read(path, &file)?;
    let handle = || file.try_clone().at(path);
    let h = handle()?;
    let (schema, total) = decode(path, "the file metadata", move || {
        let mut reader = ParquetReader::new(h);
        Ok((reader.schema()?, reader.num_rows()?))
    })?;
    let names: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
    let (pos, ignored) = map_header(path, &names)?;
    if total == 0 {
        return Err(Error::input(
            path,
            "the Parquet file has no rows; nothing to ingest",
        ));
    }
    let col_names: Vec<Option<&str>> = pos.iter().map(|p| p.map(|i| names[i].as_str())).collect();
    let used: Vec<&str> = col_names.iter().flatten().copied().collect();
    footer.check_pages(path, &file, &used)?;
    let text: Vec<&str> = schema
        .iter()
        .filter(|(n, f)| used.contains(&n.as_str()) && !polars_reads(f.dtype()))
        .map(|(n, _)| n.as_str())
        .collect();
    // the file the slices are read from: the submission, or its copy with text columns
    let copy = if text.is_empty() {
        None
    } else {
        Some(as_text_copy(path, &used, &text)?)
    };
    let source = || -> Result<File> {
        match &copy {
            None => handle(),
            Some(t) => File::open(&t.0).at(&t.0),
        }
    };
    // Slices follow row-group boundaries (a slice inside a row group decodes all of it);
    // a row group larger than PARQUET_MAX_SLICE rows is read in parts.
    let rg_rows: Vec<usize> = match &copy {
        None => footer
            .row_group_rows()
            .iter()
            .map(|&n| n as usize)
            .collect(),
        Some(_) => {
            let f = source()?;
            decode(path, "the file metadata", move || {
                let mut reader = ParquetReader::new(f);
                let md = reader.get_metadata()?;
                Ok(md.row_groups.iter().map(|rg| rg.num_rows()).collect())
            })?
        }
    };
    let n_rg = rg_rows.len();
    let mut slices: Vec<(usize, usize, usize)> = Vec::new();
    let mut start = 0usize;
    for (g, &n) in rg_rows.iter().enumerate() {
        let mut off = 0;
        while off < n {
            let len = (n - off).min(PARQUET_MAX_SLICE);
            slices.push((g, start + off, len));
            off += len;
        }
        start += n;
    }
    if start != total {
        return Err(super::parquet_guard::damaged(
            path,
            format!("its row groups hold {start} rows but the file declares {total}"),
        ));
    }
    let columns: Vec<String> = used.iter().map(|c| c.to_string()).collect();
    for (g, offset, len) in slices {
        let f = source()?;
        let part = match copy {
            None => format!(
                "row group {} of {n_rg} (rows {}..{})",
                g + 1,
                offset + 1,
                offset + len
            ),
            Some(_) => format!("rows {}..{}", offset + 1, offset + len),
        };
        let columns = columns.clone();
        let (views, height) = decode(path, &part, || {
            let df = ParquetReader::new(f)
                .with_columns(Some(columns))
                .with_slice(Some((offset, len)))
                .finish()?;
            let views: Vec<ColView> = col_names
                .iter()
                .map(|n| ColView::of(&df, *n))
                .collect::<PolarsResult<_>>()?;
            // a damaged page can decode to a shorter column than the frame claims
            for (v, n) in views.iter().zip(&col_names) {
                if let (Some(n), Some(got)) = (n, v.len())
                    && got != len
                {
                    polars_bail!(ComputeError: "column '{n}' has {got} values for {len} rows");
                }
            }
            Ok((views, len))
        })?;
        on_slice(ParquetSlice {
            views,
            offset,
            height,
            lines: None,
            problems: Vec::new(),
        })?;
        progress((offset + len) as u64);
    }
    Ok(HeaderInfo {
        ignored_columns: ignored,
    })
}

/// Read a submission file of `format` row by row, without validating anything: the
/// readers' one entry point for checks and fuzzing (`fuzz/`). The Excel template is checked
/// against `catalog`.
pub fn read_rows(
    path: &Path,
    format: Format,
    opts: &ReadOptions,
    catalog: &crate::catalog::Catalog,
    on_row: &mut dyn FnMut(&RawRow<'_>) -> Result<()>,
) -> Result<HeaderInfo> {
    match format {
        Format::Csv => read_csv(path, opts, &mut |_| {}, on_row),
        Format::Json => read_json_array(path, on_row),
        Format::Ndjson => read_ndjson(path, on_row),
        Format::Parquet => read_parquet(path, &mut |_| {}, &mut |slice| {
            for i in 0..slice.len() {
                on_row(&slice.row(i))?;
            }
            Ok(())
        }),
        Format::Xlsx => super::xlsx::Sheet::open(path, catalog)?.read(on_row),
    }
}

#[cfg(test)]
mod csv_cell_tests {
    use super::*;

    /// The texts of column `k` of a slice.
    fn column(slice: &ParquetSlice, k: usize) -> Vec<Option<String>> {
        match slice.view(k) {
            ColView::Str(ca) => ca.iter().map(|t| t.map(str::to_string)).collect(),
            _ => panic!("a text column"),
        }
    }

    /// Cells short enough for a view, longer ones, empty and missing ones come back as
    /// they went in, in every column, with a buffer rolled over every few texts; the
    /// builder starts over after `take`.
    #[test]
    fn a_slice_of_views_gives_back_every_cell() {
        let mut b = SliceBuilder::new(4);
        b.buffer_max = 40;
        let texts = [
            Some("2660646"),
            Some("EC-ICT-ICT-1C, a text longer than a view"),
            None,
            Some(""),
            Some("exactly12byt"),
            Some("thirteen byte"),
            Some("São Paulo, Região Metropolitana"),
        ];
        let mut want: Vec<Vec<Option<String>>> = vec![Vec::new(); field::COUNT];
        for line in 2..6u64 {
            let mut cells = [Cell::Null; field::COUNT];
            for (k, c) in cells.iter_mut().enumerate() {
                let t = texts[(k + line as usize) % texts.len()];
                *c = t.map_or(Cell::Null, Cell::Str);
                want[k].push(t.map(str::to_string));
            }
            b.push(&RawRow {
                line,
                cells,
                problem: (line == 3).then(|| "a problem".to_string()),
            });
        }
        assert!(b.is_full());
        let slice = b.take();
        assert!(b.is_empty());
        assert_eq!(slice.len(), 4);
        for (k, want) in want.iter().enumerate() {
            assert_eq!(&column(&slice, k), want, "column {k}");
        }
        assert_eq!(slice.line(1), 3);
        assert!(slice.has_problem(1) && !slice.has_problem(0));
        // the next slice, after the first
        let mut cells = [Cell::Null; field::COUNT];
        cells[0] = Cell::Str("a text that is longer than twelve bytes");
        cells[1] = Cell::Int(2023);
        b.push(&RawRow {
            line: 9,
            cells,
            problem: None,
        });
        let next = b.take();
        assert_eq!(
            column(&next, 0),
            [Some("a text that is longer than twelve bytes".to_string())]
        );
        assert_eq!(column(&next, 1), [Some("2023".to_string())]);
        assert_eq!(column(&next, 2), [None]);
    }

    fn cells_of(fields: &[&[u8]]) -> (Vec<Option<String>>, Option<String>) {
        let rec = csv::ByteRecord::from(fields.to_vec());
        let field_of: Vec<Option<usize>> = (0..fields.len()).map(Some).collect();
        let mut cells = [Cell::Null; field::COUNT];
        let problem = csv_cells(&rec, &field_of, &mut cells);
        let texts = cells[..fields.len()]
            .iter()
            .map(|c| match c {
                Cell::Str(t) => Some(t.to_string()),
                _ => None,
            })
            .collect();
        (texts, problem)
    }

    /// Each field of a valid record is its own text (multi-byte characters included); a
    /// character split between two fields, or an invalid byte, is named by its field,
    /// whether the record as a whole would be valid UTF-8 or not.
    #[test]
    fn fields_are_text_and_a_bad_field_is_named() {
        let (texts, problem) = cells_of(&["São Paulo".as_bytes(), b"", "ü-1".as_bytes()]);
        assert_eq!(problem, None);
        assert_eq!(
            texts,
            [
                Some("São Paulo".into()),
                Some("".into()),
                Some("ü-1".into())
            ]
        );

        // 0xC3 0xA9 is 'é' only when the two fields are read as one
        let (_, problem) = cells_of(&[b"a", b"\xC3", b"\xA9"]);
        assert_eq!(
            problem.as_deref(),
            Some(
                "field 2 is not valid UTF-8 text (byte 0xC3, '\u{c3}' if the file is Latin-1/Windows-1252); save the file as UTF-8"
            )
        );
        let (_, problem) = cells_of(&[b"a", b"caf\xE9"]);
        assert_eq!(
            problem.as_deref(),
            Some(
                "field 2 is not valid UTF-8 text (byte 0xE9, '\u{e9}' if the file is Latin-1/Windows-1252); save the file as UTF-8"
            )
        );
        let (_, problem) = cells_of(&[b"\xE9t\xE9", b"b"]);
        assert_eq!(
            problem.as_deref(),
            Some(
                "field 1 is not valid UTF-8 text (byte 0xE9, '\u{e9}' if the file is Latin-1/Windows-1252); save the file as UTF-8"
            )
        );
    }
}
