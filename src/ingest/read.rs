//! Readers for the long submission format: CSV, JSON (array of records or NDJSON) and
//! Parquet. Each reader checks the file as a whole (format, header, required columns) and
//! then streams rows to a callback, so memory stays bounded whatever the file size.
//!
//! Cells keep their type where the format has one (JSON and Parquet numbers stay numbers),
//! so a Parquet ingest never formats and re-parses numbers.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use polars::prelude::*;

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
fn sniff(head: &[u8]) -> &'static str {
    if head.starts_with(b"PAR1") {
        "a Parquet file"
    } else if head.starts_with(&CFB_MAGIC) {
        "an OLE2 compound file (a password-protected .xlsx or a legacy .xls is one)"
    } else if head.starts_with(b"PK\x03\x04") {
        "a ZIP archive (an .xlsx workbook is one)"
    } else if head.starts_with(&[0x1f, 0x8b]) {
        "a gzip-compressed file"
    } else if head.starts_with(b"%PDF") {
        "a PDF document"
    } else if head.contains(&0) {
        "binary data"
    } else {
        let t = String::from_utf8_lossy(head);
        let t = t.trim_start_matches('\u{feff}').trim_start();
        if t.starts_with('[') || t.starts_with('{') {
            "JSON text"
        } else {
            "text"
        }
    }
}

/// Decide the format from the extension and check that the content agrees.
pub fn detect_format(path: &Path) -> Result<Format> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let mut head = [0u8; 512];
    let n = {
        let mut f = File::open(path).at(path)?;
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
                    "unknown file type '.{other}' ({looks}); citybench ingests .csv, .json, .ndjson/.jsonl, .parquet and .xlsx (the template of `citybench template`)"
                ),
            ));
        }
    };
    let ok = match fmt {
        Format::Parquet => looks == "a Parquet file",
        Format::Json | Format::Ndjson => looks == "JSON text",
        Format::Csv => looks == "text" || looks == "JSON text",
        Format::Xlsx => looks.starts_with("a ZIP archive"),
    };
    if fmt == Format::Xlsx && head.starts_with(&CFB_MAGIC) {
        return Err(Error::input(path, super::xlsx::ENCRYPTED));
    }
    if !ok {
        let want = match fmt {
            Format::Parquet => "a Parquet file (starting with the magic bytes PAR1)",
            Format::Json | Format::Ndjson => "JSON text",
            Format::Csv => "CSV text",
            Format::Xlsx => "an .xlsx workbook (a ZIP archive)",
        };
        return Err(Error::input(
            path,
            format!("the file is named .{ext} but contains {looks}, not {want}"),
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

/// Stream a CSV file. `progress` gets the byte offset.
pub fn read_csv(
    path: &Path,
    opts: &ReadOptions,
    progress: &mut dyn FnMut(u64),
    on_row: &mut dyn FnMut(&RawRow<'_>) -> Result<()>,
) -> Result<HeaderInfo> {
    let file = File::open(path).at(path)?;
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
    let (file, tail) = crate::csv_lines::Tailing::new(file, 4 * BUFFER);
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .buffer_capacity(BUFFER)
        .from_reader(file);
    let headers: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(str::to_string).collect(),
        Err(e) => {
            return Err(Error::input(
                path,
                format!("cannot read the header line: {e}"),
            ));
        }
    };
    let (pos, ignored) = map_header(path, &headers)?;
    let width = headers.len();
    let mut rec = csv::StringRecord::new();
    let mut seen_any = false;
    let mut n: u64 = 0;
    loop {
        let line_before = rdr.position().line();
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                seen_any = true;
                n += 1;
                let line = rec
                    .position()
                    .map(|p| tail.borrow().line(p))
                    .unwrap_or(line_before);
                let mut cells = [Cell::Null; field::COUNT];
                for (k, p) in pos.iter().enumerate() {
                    if let Some(i) = p {
                        cells[k] = rec.get(*i).map(Cell::Str).unwrap_or(Cell::Null);
                    }
                }
                let problem = (rec.len() != width).then(|| {
                    format!(
                        "the row has {} fields but the header has {width}; check quoting of fields that contain the delimiter",
                        rec.len()
                    )
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
            Err(e) => {
                if let csv::ErrorKind::Utf8 { pos: p, err } = e.kind() {
                    seen_any = true;
                    n += 1;
                    let line = p
                        .as_ref()
                        .map(|p| tail.borrow().line(p))
                        .unwrap_or(line_before);
                    on_row(&RawRow {
                        line,
                        cells: [Cell::Null; field::COUNT],
                        problem: Some(format!(
                            "field {} is not valid UTF-8 text; save the file as UTF-8",
                            err.field() + 1
                        )),
                    })?;
                } else {
                    return Err(Error::input(path, format!("cannot read the CSV: {e}")));
                }
            }
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
    let mut file = BufReader::with_capacity(1 << 20, File::open(path).at(path)?);
    // skip a UTF-8 BOM
    let bom = file.fill_buf().at(path)?.starts_with(b"\xef\xbb\xbf");
    if bom {
        file.consume(3);
    }
    struct V<'f> {
        path: &'f Path,
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
            }
            Ok(())
        }
    }
    let mut v = V {
        path,
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
    let file = BufReader::with_capacity(1 << 20, File::open(path).at(path)?);
    let mut layout: Option<JsonLayout> = None;
    let mut n = 0u64;
    for (i, line) in file.split(b'\n').enumerate() {
        let line_no = i as u64 + 1;
        let bytes = line.at(path)?;
        let mut text = match std::str::from_utf8(&bytes) {
            Ok(t) => t,
            Err(_) => {
                n += 1;
                on_row(&RawRow {
                    line: line_no,
                    cells: [Cell::Null; field::COUNT],
                    problem: Some(
                        "the line is not valid UTF-8 text; save the file as UTF-8".into(),
                    ),
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

/// Rows per Parquet slice when row groups are not usable: bounds memory for any file size.
const PARQUET_SLICE: usize = 131_072;
/// Largest slice read at once (a larger row group is read in parts).
const PARQUET_MAX_SLICE: usize = 1 << 21;

/// A typed view of one Parquet column slice.
enum ColView {
    Missing,
    Str(StringChunked),
    Int(Int64Chunked),
    Float(Float64Chunked),
    Bool(BooleanChunked),
}

impl ColView {
    fn of(df: &DataFrame, name: Option<&str>, path: &Path) -> Result<Self> {
        let Some(name) = name else {
            return Ok(ColView::Missing);
        };
        let c = df.column(name).map_err(|e| Error::polars(path, e))?;
        let s = c.as_materialized_series().rechunk();
        Ok(match s.dtype() {
            DataType::String => ColView::Str(s.str().map_err(|e| Error::polars(path, e))?.clone()),
            DataType::Boolean => {
                ColView::Bool(s.bool().map_err(|e| Error::polars(path, e))?.clone())
            }
            dt if dt.is_integer() => ColView::Int(
                s.cast(&DataType::Int64)
                    .map_err(|e| Error::polars(path, e))?
                    .i64()
                    .map_err(|e| Error::polars(path, e))?
                    .clone(),
            ),
            dt if dt.is_float() => ColView::Float(
                s.cast(&DataType::Float64)
                    .map_err(|e| Error::polars(path, e))?
                    .f64()
                    .map_err(|e| Error::polars(path, e))?
                    .clone(),
            ),
            _ => ColView::Str(
                s.cast(&DataType::String)
                    .map_err(|e| Error::polars(path, e))?
                    .str()
                    .map_err(|e| Error::polars(path, e))?
                    .clone(),
            ),
        })
    }

    fn cell(&self, i: usize) -> Cell<'_> {
        match self {
            ColView::Missing => Cell::Null,
            ColView::Str(c) => c.get(i).map(Cell::Str).unwrap_or(Cell::Null),
            ColView::Int(c) => c.get(i).map(Cell::Int).unwrap_or(Cell::Null),
            ColView::Float(c) => c.get(i).map(Cell::Float).unwrap_or(Cell::Null),
            ColView::Bool(c) => c.get(i).map(Cell::Bool).unwrap_or(Cell::Null),
        }
    }
}

/// A decoded slice of a Parquet file; rows are produced on demand (by several threads).
pub struct ParquetSlice {
    views: Vec<ColView>,
    offset: usize,
    height: usize,
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

    /// Row `i` of the slice (0-based); its `line` is the 1-based row number in the file.
    pub fn row(&self, i: usize) -> RawRow<'_> {
        let mut cells = [Cell::Null; field::COUNT];
        for (k, v) in self.views.iter().enumerate() {
            cells[k] = v.cell(i);
        }
        RawRow {
            line: (self.offset + i + 1) as u64,
            cells,
            problem: None,
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

/// Stream a Parquet file slice by slice (slices follow row groups, at most
/// `PARQUET_MAX_SLICE` rows each). Only the submission's columns are decoded.
pub fn read_parquet(
    path: &Path,
    progress: &mut dyn FnMut(u64),
    on_slice: &mut dyn FnMut(&ParquetSlice) -> Result<()>,
) -> Result<HeaderInfo> {
    let damaged = |e: PolarsError| {
        Error::input(
            path,
            format!("not a readable Parquet file (truncated or damaged?): {e}"),
        )
    };
    {
        let mut f = File::open(path).at(path)?;
        let len = f.metadata().at(path)?.len();
        let mut tail = [0u8; 4];
        let ok = len >= 12 && {
            f.seek(SeekFrom::End(-4)).at(path)?;
            f.read_exact(&mut tail).at(path)?;
            &tail == b"PAR1"
        };
        if !ok {
            return Err(Error::input(
                path,
                format!(
                    "not a readable Parquet file: it does not end with the magic bytes PAR1 ({len} bytes); the file is truncated or damaged"
                ),
            ));
        }
    }
    let mut reader = ParquetReader::new(File::open(path).at(path)?);
    let schema = reader.schema().map_err(damaged)?;
    let total = reader.num_rows().map_err(damaged)?;
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
    let source = copy.as_ref().map_or(path, |t| t.0.as_path());
    let mut reader = match &copy {
        None => reader,
        Some(t) => ParquetReader::new(File::open(&t.0).at(&t.0)?),
    };
    // Slices follow row-group boundaries (a slice inside a row group decodes all of it);
    // a row group larger than PARQUET_MAX_SLICE rows is read in parts.
    let mut slices: Vec<(usize, usize)> = Vec::new();
    {
        let md = reader.get_metadata().map_err(damaged)?;
        let mut start = 0usize;
        for rg in &md.row_groups {
            let n = rg.num_rows();
            let mut off = 0;
            while off < n {
                let len = (n - off).min(PARQUET_MAX_SLICE);
                slices.push((start + off, len));
                off += len;
            }
            start += n;
        }
        if start != total {
            slices = (0..total)
                .step_by(PARQUET_SLICE)
                .map(|o| (o, PARQUET_SLICE.min(total - o)))
                .collect();
        }
    }
    for (offset, len) in slices {
        let df = ParquetReader::new(File::open(source).at(source)?)
            .with_columns(Some(used.iter().map(|c| c.to_string()).collect()))
            .with_slice(Some((offset, len)))
            .finish()
            .map_err(damaged)?;
        let views: Vec<ColView> = col_names
            .iter()
            .map(|n| ColView::of(&df, *n, path))
            .collect::<Result<_>>()?;
        on_slice(&ParquetSlice {
            views,
            offset,
            height: df.height(),
        })?;
        progress((offset + len) as u64);
    }
    Ok(HeaderInfo {
        ignored_columns: ignored,
    })
}
