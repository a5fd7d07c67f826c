//! The plausibility checks a submission Parquet file passes before Polars (or DuckDB)
//! decodes it.
//!
//! A Parquet file describes itself in its footer (Thrift compact protocol): list lengths,
//! row counts, byte offsets and sizes that a reader uses to allocate. A damaged or hostile
//! file can declare anything there, and an allocation that fails aborts the process (it
//! cannot be caught), so every length that could drive an allocation is checked here against
//! the bytes that back it:
//!
//! - the footer: its length fits the file, and a bounded skimmer walks its Thrift structure
//!   the way Polars' decoder will (same field ids and types), refusing a list or string
//!   longer than the bytes left, a field of an unexpected type, nesting deeper than
//!   [`MAX_DEPTH`], a schema tree that does not add up, a row count that does not match the
//!   row groups, column chunks outside the file or overlapping each other, and more rows
//!   than the data bytes can plausibly hold ([`ROWS_PER_BYTE`]);
//! - the pages of the columns that are read ([`Footer::check_pages`]): every page header
//!   parsed within its column chunk, sizes inside the chunk, an uncompressed size of at most
//!   [`MAX_PAGE`], a dictionary no larger than its bytes, and the values of a flat column's
//!   pages adding up to the row group's rows.
//!
//! What the checks cannot see (a bit flipped inside compressed data) is left to the decoder,
//! whose panics [`super::read::read_parquet`] turns into a "damaged Parquet file" error.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::error::{Error, IoContext, Result};

/// Largest footer read (file metadata); a submission's is a few kilobytes.
pub const MAX_FOOTER: u64 = 64 << 20;
/// Largest uncompressed page: writers cut pages at about 1 MiB.
pub const MAX_PAGE: i64 = 256 << 20;
/// Largest page header (statistics included).
pub const MAX_PAGE_HEADER: usize = 16 << 20;
/// Deepest Thrift nesting accepted (the Parquet format needs 5).
pub const MAX_DEPTH: usize = 16;
/// Deepest schema tree accepted (a submission is flat: 2).
pub const MAX_SCHEMA_DEPTH: usize = 32;
/// Largest `ARROW:schema` entry (a flatbuffer Polars decodes recursively).
pub const MAX_ARROW_SCHEMA: usize = 1 << 20;
/// Rows a file may declare without regard to its size.
pub const ROWS_FREE: u64 = 1 << 20;
/// Rows per byte of column data beyond [`ROWS_FREE`]: 16 rows per byte is half a bit per
/// row for all columns together, far below any real submission (its `value` column alone
/// takes bytes per row).
pub const ROWS_PER_BYTE: u64 = 16;
/// Most rows Polars reads from one file (32-bit row indices).
pub const MAX_ROWS: u64 = u32::MAX as u64 - 1;

// Thrift compact protocol type codes.
const T_BOOL_TRUE: u8 = 1;
const T_BOOL_FALSE: u8 = 2;
const T_BYTE: u8 = 3;
const T_I16: u8 = 4;
const T_I32: u8 = 5;
const T_I64: u8 = 6;
const T_DOUBLE: u8 = 7;
const T_BINARY: u8 = 8;
const T_LIST: u8 = 9;
const T_STRUCT: u8 = 12;

/// Where and why the Thrift walk stopped.
#[derive(Debug)]
struct Bad {
    at: usize,
    what: String,
    /// The bytes ended (a page header may continue past the window read).
    eof: bool,
}

type TResult<T> = std::result::Result<T, Bad>;

/// A bounded reader of the Thrift compact protocol over a byte slice. Values are decoded
/// exactly as Polars' decoder decodes them (same varint, zigzag and truncation rules), so
/// the checks judge the numbers Polars will use.
struct Thrift<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Thrift<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Thrift { buf, pos: 0 }
    }

    fn left(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn bad<T>(&self, what: impl Into<String>) -> TResult<T> {
        Err(Bad {
            at: self.pos,
            what: what.into(),
            eof: false,
        })
    }

    fn byte(&mut self) -> TResult<u8> {
        match self.buf.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(Bad {
                at: self.pos,
                what: "the metadata ends in the middle of a value".into(),
                eof: true,
            }),
        }
    }

    fn vlq(&mut self) -> TResult<u64> {
        let mut v = 0u64;
        let mut shift = 0u32;
        loop {
            let b = self.byte()?;
            v |= ((b & 0x7f) as u64).wrapping_shl(shift);
            if b & 0x80 == 0 {
                return Ok(v);
            }
            shift = shift.wrapping_add(7);
        }
    }

    fn zigzag(&mut self) -> TResult<i64> {
        let v = self.vlq()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    fn i16(&mut self) -> TResult<i16> {
        Ok(self.zigzag()? as i16)
    }

    fn i32(&mut self) -> TResult<i32> {
        Ok(self.zigzag()? as i32)
    }

    fn i64(&mut self) -> TResult<i64> {
        self.zigzag()
    }

    fn skip(&mut self, n: usize) -> TResult<()> {
        if n > self.left() {
            return Err(Bad {
                at: self.pos,
                what: format!("a value of {n} bytes with {} bytes left", self.left()),
                eof: true,
            });
        }
        self.pos += n;
        Ok(())
    }

    fn bytes(&mut self) -> TResult<&'a [u8]> {
        let len = self.vlq()?;
        let n = usize::try_from(len).unwrap_or(usize::MAX);
        let start = self.pos;
        self.skip(n)?;
        Ok(&self.buf[start..start + n])
    }

    fn string(&mut self) -> TResult<&'a str> {
        let at = self.pos;
        let b = self.bytes()?;
        std::str::from_utf8(b).map_err(|_| Bad {
            at,
            what: "a name that is not UTF-8".into(),
            eof: false,
        })
    }

    /// A list header whose elements must be of type `want` (any type when empty); the
    /// element count, checked against the bytes left (every element takes at least one).
    fn list(&mut self, want: u8, name: &str) -> TResult<usize> {
        let start = self.pos;
        let header = self.byte()?;
        if header == 0 {
            return Ok(0); // an empty list, as fastparquet writes it
        }
        let ty = header & 0x0f;
        let short = (header >> 4) as u64;
        let n = if short == 15 { self.vlq()? } else { short };
        let bad = |what: String| Bad {
            at: start,
            what,
            eof: false,
        };
        if n > i32::MAX as u64 {
            return Err(bad(format!("{name} claims {n} entries")));
        }
        if n > 0 && !same_type(ty, want) {
            return Err(bad(format!(
                "{name} holds values of type {} where {} are expected",
                type_name(ty),
                type_name(want)
            )));
        }
        if n as usize > self.left() {
            // more bytes may follow a page header's window: judged against its chunk
            return Err(Bad {
                at: start,
                what: format!(
                    "{name} claims {n} entries but only {} bytes are left",
                    self.left()
                ),
                eof: true,
            });
        }
        Ok(n as usize)
    }

    /// The next field header of a struct: (id, type), or None at the end of the struct.
    fn field(&mut self, last: i16) -> TResult<Option<(i16, u8)>> {
        let b = self.byte()?;
        let ty = b & 0x0f;
        if ty == 0 {
            return Ok(None);
        }
        if ty > T_STRUCT {
            return self.bad(format!("an unknown Thrift type code {ty}"));
        }
        let delta = (b >> 4) as i16;
        let id = if delta != 0 {
            match last.checked_add(delta) {
                Some(id) => id,
                None => return self.bad("a field id out of range"),
            }
        } else {
            self.i16()?
        };
        Ok(Some((id, ty)))
    }

    /// Skip a value of type `ty`, as Polars' generic skip does for fields it does not read;
    /// refuses what that skip would misread (lists of booleans, sets, maps) and nesting
    /// deeper than [`MAX_DEPTH`].
    fn skip_value(&mut self, ty: u8, depth: usize) -> TResult<()> {
        if depth > MAX_DEPTH {
            return self.bad(format!("values nested more than {MAX_DEPTH} deep"));
        }
        match ty {
            T_BOOL_TRUE | T_BOOL_FALSE => Ok(()),
            T_BYTE => self.byte().map(|_| ()),
            T_I16 | T_I32 | T_I64 => self.vlq().map(|_| ()),
            T_DOUBLE => self.skip(8),
            T_BINARY => self.bytes().map(|_| ()),
            T_STRUCT => {
                let mut last = 0;
                while let Some((id, t)) = self.field(last)? {
                    self.skip_value(t, depth + 1)?;
                    last = id;
                }
                Ok(())
            }
            T_LIST => {
                let header = *self.buf.get(self.pos).unwrap_or(&0);
                let ty = header & 0x0f;
                if header != 0 && !(T_BYTE..=T_LIST).contains(&ty) && ty != T_STRUCT {
                    return self.bad(format!("a list of {}", type_name(ty)));
                }
                let n = self.list(ty, "a list")?;
                for _ in 0..n {
                    self.skip_value(ty, depth + 1)?;
                }
                Ok(())
            }
            other => self.bad(format!("a value of type {}", type_name(other))),
        }
    }

    /// Walk the fields of a struct: `known` reads the fields it knows (returning true), the
    /// others are skipped.
    fn fields(
        &mut self,
        depth: usize,
        mut known: impl FnMut(&mut Self, i16, u8) -> TResult<bool>,
    ) -> TResult<()> {
        if depth > MAX_DEPTH {
            return self.bad(format!("values nested more than {MAX_DEPTH} deep"));
        }
        let mut last = 0;
        while let Some((id, ty)) = self.field(last)? {
            if !known(self, id, ty)? {
                self.skip_value(ty, depth + 1)?;
            }
            last = id;
        }
        Ok(())
    }

    /// Check that field `id` of `owner` has type `want` (Polars reads it as that type
    /// whatever the file says).
    fn expect(&self, ty: u8, want: u8, owner: &str, id: i16) -> TResult<()> {
        if same_type(ty, want) {
            Ok(())
        } else {
            self.bad(format!(
                "field {id} of {owner} is of type {} where {} is expected",
                type_name(ty),
                type_name(want)
            ))
        }
    }
}

fn same_type(ty: u8, want: u8) -> bool {
    let is_bool = |t: u8| t == T_BOOL_TRUE || t == T_BOOL_FALSE;
    ty == want || (is_bool(ty) && is_bool(want))
}

fn type_name(ty: u8) -> &'static str {
    match ty {
        T_BOOL_TRUE | T_BOOL_FALSE => "bool",
        T_BYTE => "byte",
        T_I16 => "i16",
        T_I32 => "i32",
        T_I64 => "i64",
        T_DOUBLE => "double",
        T_BINARY => "binary",
        T_LIST => "list",
        10 => "set",
        11 => "map",
        T_STRUCT => "struct",
        _ => "unknown",
    }
}

/// One schema element, as far as the checks need it.
#[derive(Debug, Default, Clone)]
struct SchemaElement {
    name: String,
    physical: Option<i32>,
    type_length: Option<i32>,
    repetition: Option<i32>,
    num_children: Option<i32>,
}

/// One column chunk's metadata.
#[derive(Debug, Default, Clone)]
struct Chunk {
    codec: Option<i32>,
    num_values: Option<i64>,
    total_compressed: Option<i64>,
    data_page_offset: Option<i64>,
    dictionary_page_offset: Option<i64>,
}

/// One row group.
#[derive(Debug, Default, Clone)]
struct RowGroup {
    num_rows: Option<i64>,
    columns: Vec<Chunk>,
}

/// A leaf column of the schema.
#[derive(Debug, Clone)]
struct Leaf {
    /// Index of its top-level field (a child of the root).
    top: usize,
    physical: i32,
    type_length: i32,
    /// Whether a repeated field is on its path (its values are not one per row).
    nested: bool,
}

/// A column chunk's place in the file.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u64,
    len: u64,
    data_page_offset: u64,
    num_values: i64,
}

/// The footer of a Parquet file, checked.
#[derive(Debug)]
pub struct Footer {
    /// The top-level column names, in schema order.
    top: Vec<String>,
    leaves: Vec<Leaf>,
    /// Rows of each row group.
    rows: Vec<u64>,
    /// spans[row group][leaf]
    spans: Vec<Vec<Span>>,
}

/// The "damaged Parquet file" error for `path`.
pub fn damaged(path: &Path, detail: impl std::fmt::Display) -> Error {
    Error::input(
        path,
        format!(
            "damaged Parquet file: {detail}; citybench reads intact Parquet files: write the file again from its source, or export the data as CSV"
        ),
    )
}

impl Footer {
    /// Read and check the footer of the Parquet file `file` (`path` for messages).
    pub fn read(path: &Path, file: &File) -> Result<Footer> {
        let file_len = file.metadata().at(path)?.len();
        if file_len < 12 {
            return Err(damaged(
                path,
                format!("{file_len} bytes is too short for a Parquet file (at least 12)"),
            ));
        }
        let mut tail = [0u8; 8];
        read_at(path, file, file_len - 8, &mut tail)?;
        if &tail[4..] != b"PAR1" {
            return Err(Error::input(
                path,
                format!(
                    "not a readable Parquet file: it does not end with the magic bytes PAR1 ({file_len} bytes); the file is truncated or damaged"
                ),
            ));
        }
        let meta_len = u32::from_le_bytes(tail[..4].try_into().expect("4 bytes")) as u64;
        if meta_len + 12 > file_len {
            return Err(damaged(
                path,
                format!(
                    "the footer claims {meta_len} bytes of metadata but the file has {file_len} bytes in all"
                ),
            ));
        }
        if meta_len > MAX_FOOTER {
            return Err(damaged(
                path,
                format!(
                    "the footer claims {meta_len} bytes of metadata, more than the {} accepted",
                    crate::input::bytes(MAX_FOOTER)
                ),
            ));
        }
        let meta_start = file_len - 8 - meta_len;
        let mut meta = vec![0u8; meta_len as usize];
        read_at(path, file, meta_start, &mut meta)?;
        let (schema, num_rows, row_groups) = parse_file_metadata(&meta).map_err(|b| {
            damaged(
                path,
                format!(
                    "the file metadata is corrupt at byte {} of its {meta_len}: {}",
                    b.at, b.what
                ),
            )
        })?;
        let (top, leaves) = schema_tree(&schema).map_err(|m| damaged(path, m))?;
        Footer::checked(path, meta_start, top, leaves, num_rows, row_groups)
    }

    fn checked(
        path: &Path,
        meta_start: u64,
        top: Vec<String>,
        leaves: Vec<Leaf>,
        num_rows: i64,
        row_groups: Vec<RowGroup>,
    ) -> Result<Footer> {
        let n_rg = row_groups.len();
        let mut rows = Vec::with_capacity(n_rg);
        let mut spans = Vec::with_capacity(n_rg);
        let mut sum: u64 = 0;
        for (g, rg) in row_groups.into_iter().enumerate() {
            let at = format!("row group {} of {n_rg}", g + 1);
            let r = rg.num_rows.unwrap_or(-1);
            if r < 0 {
                return Err(damaged(path, format!("{at} declares {r} rows")));
            }
            if rg.columns.len() != leaves.len() {
                return Err(damaged(
                    path,
                    format!(
                        "{at} has {} column chunks but the schema has {} columns",
                        rg.columns.len(),
                        leaves.len()
                    ),
                ));
            }
            let mut row_spans = Vec::with_capacity(rg.columns.len());
            for (i, c) in rg.columns.iter().enumerate() {
                let name = &top[leaves[i].top];
                let span = chunk_span(c, meta_start)
                    .map_err(|m| damaged(path, format!("{at}, column '{name}': {m}")))?;
                row_spans.push(span);
            }
            sum = sum.saturating_add(r as u64);
            rows.push(r as u64);
            spans.push(row_spans);
        }
        if num_rows < 0 || num_rows as u64 != sum {
            return Err(damaged(
                path,
                format!("the file declares {num_rows} rows but its {n_rg} row groups hold {sum}"),
            ));
        }
        // column chunks must not share bytes: a chunk counted twice would back its rows twice
        let mut all: Vec<(u64, u64)> = spans
            .iter()
            .flatten()
            .filter(|s| s.len > 0)
            .map(|s| (s.start, s.start + s.len))
            .collect();
        all.sort_unstable();
        if let Some(w) = all.windows(2).find(|w| w[1].0 < w[0].1) {
            return Err(damaged(
                path,
                format!(
                    "two column chunks overlap (bytes {}..{} and {}..{})",
                    w[0].0, w[0].1, w[1].0, w[1].1
                ),
            ));
        }
        let data: u64 = all.iter().map(|(a, b)| b - a).sum();
        let plausible = ROWS_FREE.saturating_add(data.saturating_mul(ROWS_PER_BYTE));
        if sum > MAX_ROWS.min(plausible) {
            return Err(damaged(
                path,
                format!(
                    "the file declares {sum} rows in {data} bytes of column data; at most {} rows are plausible for that size",
                    MAX_ROWS.min(plausible)
                ),
            ));
        }
        Ok(Footer {
            top,
            leaves,
            rows,
            spans,
        })
    }

    /// Rows of each row group.
    pub fn row_group_rows(&self) -> &[u64] {
        &self.rows
    }

    /// [`Footer::check_pages`] for every column (a reader that decodes them all).
    pub fn check_all_pages(&self, path: &Path, file: &File) -> Result<()> {
        let names: Vec<&str> = self.top.iter().map(String::as_str).collect();
        self.check_pages(path, file, &names)
    }

    /// Check the page headers of the column chunks of the top-level columns `names` in
    /// every row group (the columns that will be decoded).
    pub fn check_pages(&self, path: &Path, file: &File, names: &[&str]) -> Result<()> {
        let mut reader = PageReader::new(file);
        let n_rg = self.rows.len();
        for (g, row_spans) in self.spans.iter().enumerate() {
            for (i, span) in row_spans.iter().enumerate() {
                let leaf = &self.leaves[i];
                let name = &self.top[leaf.top];
                if !names.contains(&name.as_str()) {
                    continue;
                }
                let at = || format!("row group {} of {n_rg}, column '{name}'", g + 1);
                let values = reader
                    .check_chunk(path, span, leaf)
                    .map_err(|m| damaged(path, format!("{}: {m}", at())))?;
                if !leaf.nested && values != self.rows[g] as i64 {
                    return Err(damaged(
                        path,
                        format!(
                            "{}: its pages hold {values} values for the row group's {} rows",
                            at(),
                            self.rows[g]
                        ),
                    ));
                }
                if span.num_values != values {
                    return Err(damaged(
                        path,
                        format!(
                            "{}: the column metadata declares {} values but its pages hold {values}",
                            at(),
                            span.num_values
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

fn read_at(path: &Path, mut file: &File, pos: u64, buf: &mut [u8]) -> Result<()> {
    file.seek(SeekFrom::Start(pos)).at(path)?;
    file.read_exact(buf).at(path)
}

/// The byte range of a column chunk, as Polars computes it, checked against the file.
fn chunk_span(c: &Chunk, meta_start: u64) -> std::result::Result<Span, String> {
    let codec = c.codec.ok_or("the column metadata has no codec")?;
    if !(0..=7).contains(&codec) {
        return Err(format!("unknown compression codec {codec}"));
    }
    let num_values = c
        .num_values
        .ok_or("the column metadata has no value count")?;
    let len = c
        .total_compressed
        .ok_or("the column metadata has no compressed size")?;
    let data = c
        .data_page_offset
        .ok_or("the column metadata has no data page offset")?;
    let start = c.dictionary_page_offset.unwrap_or(data);
    if num_values < 0 {
        return Err(format!("{num_values} values"));
    }
    if len < 0 {
        return Err(format!("a compressed size of {len} bytes"));
    }
    if start < 4 || (start as u64).saturating_add(len as u64) > meta_start {
        return Err(format!(
            "its {len} bytes at byte {start} lie outside the data of the file (bytes 4..{meta_start})"
        ));
    }
    if data < start || (len > 0 && data >= start + len) {
        return Err(format!(
            "its first data page (byte {data}) lies outside its bytes {start}..{}",
            start + len
        ));
    }
    Ok(Span {
        start: start as u64,
        len: len as u64,
        data_page_offset: data as u64,
        num_values,
    })
}

type FileMetadata = (Vec<SchemaElement>, i64, Vec<RowGroup>);

/// Walk `FileMetaData` as Polars' decoder does, keeping what the checks need.
fn parse_file_metadata(meta: &[u8]) -> TResult<FileMetadata> {
    let mut t = Thrift::new(meta);
    let mut schema = None;
    let mut num_rows = None;
    let mut row_groups = None;
    let mut version = false;
    t.fields(0, |t, id, ty| {
        const O: &str = "FileMetaData";
        match id {
            1 => {
                t.expect(ty, T_I32, O, id)?;
                t.i32()?;
                version = true;
            }
            2 => {
                t.expect(ty, T_LIST, O, id)?;
                let n = t.list(T_STRUCT, "the schema")?;
                let mut v = Vec::new();
                for _ in 0..n {
                    v.push(schema_element(t)?);
                }
                schema = Some(v);
            }
            3 => {
                t.expect(ty, T_I64, O, id)?;
                num_rows = Some(t.i64()?);
            }
            4 => {
                t.expect(ty, T_LIST, O, id)?;
                let n = t.list(T_STRUCT, "the row group list")?;
                let mut v = Vec::new();
                for _ in 0..n {
                    v.push(row_group(t)?);
                }
                row_groups = Some(v);
            }
            5 => {
                t.expect(ty, T_LIST, O, id)?;
                let n = t.list(T_STRUCT, "the key-value metadata")?;
                for _ in 0..n {
                    key_value(t)?;
                }
            }
            6 => {
                t.expect(ty, T_BINARY, O, id)?;
                t.string()?;
            }
            7 => {
                t.expect(ty, T_LIST, O, id)?;
                let n = t.list(T_STRUCT, "the column orders")?;
                for _ in 0..n {
                    union_of_empty(t, 1, "ColumnOrder", 2)?;
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    if !version {
        return t.bad("the file metadata has no version");
    }
    let (Some(schema), Some(num_rows), Some(row_groups)) = (schema, num_rows, row_groups) else {
        return t.bad("the file metadata lacks its schema, row count or row groups");
    };
    Ok((schema, num_rows, row_groups))
}

fn schema_element(t: &mut Thrift<'_>) -> TResult<SchemaElement> {
    let mut e = SchemaElement::default();
    let mut named = false;
    t.fields(1, |t, id, ty| {
        const O: &str = "SchemaElement";
        match id {
            1 | 2 | 3 | 5 | 6 | 7 | 8 | 9 => {
                t.expect(ty, T_I32, O, id)?;
                let v = t.i32()?;
                match id {
                    1 => e.physical = Some(v),
                    2 => e.type_length = Some(v),
                    3 => e.repetition = Some(v),
                    5 => e.num_children = Some(v),
                    _ => {}
                }
            }
            4 => {
                t.expect(ty, T_BINARY, O, id)?;
                e.name = t.string()?.to_string();
                named = true;
            }
            10 => {
                t.expect(ty, T_STRUCT, O, id)?;
                logical_type(t)?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    if !named {
        return t.bad("a schema element has no name");
    }
    Ok(e)
}

/// `LogicalType`, a union of (mostly empty) structs.
fn logical_type(t: &mut Thrift<'_>) -> TResult<()> {
    t.fields(2, |t, id, ty| {
        const O: &str = "LogicalType";
        match id {
            1 | 2 | 3 | 4 | 6 | 11 | 12 | 13 | 14 | 15 => {
                t.expect(ty, T_STRUCT, O, id)?;
                empty_struct(t, 3)?;
            }
            5 => {
                t.expect(ty, T_STRUCT, O, id)?;
                t.fields(3, |t, id, ty| match id {
                    1 | 2 => {
                        t.expect(ty, T_I32, "DecimalType", id)?;
                        t.i32()?;
                        Ok(true)
                    }
                    _ => Ok(false),
                })?;
            }
            7 | 8 => {
                t.expect(ty, T_STRUCT, O, id)?;
                t.fields(3, |t, id, ty| match id {
                    1 => {
                        t.expect(ty, T_BOOL_TRUE, "TimeType", id)?;
                        Ok(true)
                    }
                    2 => {
                        t.expect(ty, T_STRUCT, "TimeType", id)?;
                        union_of_empty(t, 4, "TimeUnit", 3)?;
                        Ok(true)
                    }
                    _ => Ok(false),
                })?;
            }
            10 => {
                t.expect(ty, T_STRUCT, O, id)?;
                t.fields(3, |t, id, ty| match id {
                    1 => {
                        t.expect(ty, T_BYTE, "IntType", id)?;
                        t.byte()?;
                        Ok(true)
                    }
                    2 => {
                        t.expect(ty, T_BOOL_TRUE, "IntType", id)?;
                        Ok(true)
                    }
                    _ => Ok(false),
                })?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    })
}

/// A union whose variants `1..=variants` are empty structs (`ColumnOrder`: 2,
/// `TimeUnit`: 3); Polars reads a known variant as a struct whatever its declared type.
fn union_of_empty(t: &mut Thrift<'_>, depth: usize, owner: &str, variants: i16) -> TResult<()> {
    t.fields(depth, |t, id, ty| {
        if (1..=variants).contains(&id) {
            t.expect(ty, T_STRUCT, owner, id)?;
            empty_struct(t, depth + 1)?;
            Ok(true)
        } else {
            Ok(false)
        }
    })
}

/// A struct read for its presence only: all its fields are skipped.
fn empty_struct(t: &mut Thrift<'_>, depth: usize) -> TResult<()> {
    t.fields(depth, |_, _, _| Ok(false))
}

fn key_value(t: &mut Thrift<'_>) -> TResult<()> {
    let mut key_is_arrow = false;
    t.fields(1, |t, id, ty| {
        match id {
            1 => {
                t.expect(ty, T_BINARY, "KeyValue", id)?;
                key_is_arrow = t.string()? == "ARROW:schema";
            }
            2 => {
                t.expect(ty, T_BINARY, "KeyValue", id)?;
                let at = t.pos;
                let v = t.string()?;
                if key_is_arrow && v.len() > MAX_ARROW_SCHEMA {
                    return Err(Bad {
                        at,
                        what: format!(
                            "an ARROW:schema entry of {} bytes (at most {} are read)",
                            v.len(),
                            crate::input::bytes(MAX_ARROW_SCHEMA as u64)
                        ),
                        eof: false,
                    });
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    })
}

fn row_group(t: &mut Thrift<'_>) -> TResult<RowGroup> {
    let mut rg = RowGroup::default();
    let mut has_columns = false;
    t.fields(1, |t, id, ty| {
        const O: &str = "RowGroup";
        match id {
            1 => {
                t.expect(ty, T_LIST, O, id)?;
                let n = t.list(T_STRUCT, "the column chunk list")?;
                for _ in 0..n {
                    rg.columns.push(column_chunk(t)?);
                }
                has_columns = true;
            }
            2 | 3 | 5 | 6 => {
                t.expect(ty, T_I64, O, id)?;
                let v = t.i64()?;
                if id == 3 {
                    rg.num_rows = Some(v);
                }
            }
            4 => {
                t.expect(ty, T_LIST, O, id)?;
                let n = t.list(T_STRUCT, "the sorting columns")?;
                for _ in 0..n {
                    t.fields(2, |t, id, ty| match id {
                        1 => {
                            t.expect(ty, T_I32, "SortingColumn", id)?;
                            t.i32()?;
                            Ok(true)
                        }
                        2 | 3 => {
                            t.expect(ty, T_BOOL_TRUE, "SortingColumn", id)?;
                            Ok(true)
                        }
                        _ => Ok(false),
                    })?;
                }
            }
            7 => {
                t.expect(ty, T_I16, O, id)?;
                t.i16()?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    if !has_columns {
        return t.bad("a row group has no column list");
    }
    Ok(rg)
}

fn column_chunk(t: &mut Thrift<'_>) -> TResult<Chunk> {
    let mut c = None;
    t.fields(2, |t, id, ty| {
        const O: &str = "ColumnChunk";
        match id {
            1 => {
                t.expect(ty, T_BINARY, O, id)?;
                t.bytes()?;
            }
            2 | 4 | 6 => {
                t.expect(ty, T_I64, O, id)?;
                t.i64()?;
            }
            5 | 7 => {
                t.expect(ty, T_I32, O, id)?;
                t.i32()?;
            }
            3 => {
                t.expect(ty, T_STRUCT, O, id)?;
                c = Some(column_meta_data(t)?);
            }
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    match c {
        Some(c) => Ok(c),
        None => t.bad("a column chunk has no metadata"),
    }
}

fn column_meta_data(t: &mut Thrift<'_>) -> TResult<Chunk> {
    let mut c = Chunk::default();
    t.fields(3, |t, id, ty| {
        const O: &str = "ColumnMetaData";
        match id {
            1 | 4 | 15 => {
                t.expect(ty, T_I32, O, id)?;
                let v = t.i32()?;
                if id == 4 {
                    c.codec = Some(v);
                }
            }
            2 => {
                t.expect(ty, T_LIST, O, id)?;
                let n = t.list(T_I32, "the encodings")?;
                for _ in 0..n {
                    t.vlq()?;
                }
            }
            3 => {
                t.expect(ty, T_LIST, O, id)?;
                let n = t.list(T_BINARY, "the column path")?;
                for _ in 0..n {
                    t.bytes()?;
                }
            }
            5 | 6 | 7 | 9 | 10 | 11 | 14 => {
                t.expect(ty, T_I64, O, id)?;
                let v = t.i64()?;
                match id {
                    5 => c.num_values = Some(v),
                    7 => c.total_compressed = Some(v),
                    9 => c.data_page_offset = Some(v),
                    11 => c.dictionary_page_offset = Some(v),
                    _ => {}
                }
            }
            12 => {
                t.expect(ty, T_STRUCT, O, id)?;
                statistics(t, 4)?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(c)
}

fn statistics(t: &mut Thrift<'_>, depth: usize) -> TResult<()> {
    t.fields(depth, |t, id, ty| {
        const O: &str = "Statistics";
        match id {
            1 | 2 | 5 | 6 => {
                t.expect(ty, T_BINARY, O, id)?;
                let at = t.pos;
                let b = t.bytes()?;
                if b.len() > u32::MAX as usize {
                    return Err(Bad {
                        at,
                        what: "a statistic longer than 4 GiB".into(),
                        eof: false,
                    });
                }
            }
            3 | 4 => {
                t.expect(ty, T_I64, O, id)?;
                t.i64()?;
            }
            7 | 8 => t.expect(ty, T_BOOL_TRUE, O, id)?,
            _ => return Ok(false),
        }
        Ok(true)
    })
}

/// Build the schema tree from its flattened elements (iteratively: no recursion on the
/// file's nesting): the top-level names and the leaves in column order.
fn schema_tree(
    elements: &[SchemaElement],
) -> std::result::Result<(Vec<String>, Vec<Leaf>), String> {
    let Some(root) = elements.first() else {
        return Err("the schema is empty".into());
    };
    let children = |e: &SchemaElement| -> std::result::Result<usize, String> {
        match e.num_children {
            None => Ok(0),
            Some(n) if n >= 0 => Ok(n as usize),
            Some(n) => Err(format!("schema element '{}' has {n} children", e.name)),
        }
    };
    let mut top = Vec::new();
    let mut leaves = Vec::new();
    // (children still to visit, nested) per open group
    let mut stack: Vec<(usize, bool)> = vec![(children(root)?, false)];
    let mut i = 1;
    while let Some(&(left, nested)) = stack.last() {
        if left == 0 {
            stack.pop();
            continue;
        }
        stack.last_mut().expect("not empty").0 -= 1;
        let Some(e) = elements.get(i) else {
            return Err(format!(
                "the schema tree needs more than its {} elements",
                elements.len()
            ));
        };
        i += 1;
        if stack.len() == 1 {
            top.push(e.name.clone());
        }
        let nested = nested || e.repetition == Some(2);
        let n = children(e)?;
        if n == 0 {
            let Some(physical) = e.physical else {
                return Err(format!("column '{}' has no physical type", e.name));
            };
            leaves.push(Leaf {
                top: top.len() - 1,
                physical,
                type_length: e.type_length.unwrap_or(0),
                nested,
            });
        } else {
            if stack.len() >= MAX_SCHEMA_DEPTH {
                return Err(format!(
                    "the schema is nested more than {MAX_SCHEMA_DEPTH} levels deep"
                ));
            }
            stack.push((n, nested));
        }
    }
    if i != elements.len() {
        return Err(format!(
            "the schema tree uses {i} of its {} elements",
            elements.len()
        ));
    }
    Ok((top, leaves))
}

/// Reads page headers through a buffer: one read per page in the common case.
struct PageReader<'f> {
    file: &'f File,
    buf: Vec<u8>,
}

/// One page header, as far as the checks need it.
#[derive(Debug, Default)]
struct PageHeader {
    page_type: Option<i32>,
    uncompressed: Option<i32>,
    compressed: Option<i32>,
    /// (num_values) of a v1 data page
    v1: Option<Option<i32>>,
    /// (num_values, num_nulls, num_rows, def bytes, rep bytes) of a v2 data page
    v2: Option<[Option<i32>; 5]>,
    /// num_values of a dictionary page
    dict: Option<Option<i32>>,
}

impl<'f> PageReader<'f> {
    fn new(file: &'f File) -> Self {
        PageReader {
            file,
            buf: Vec::new(),
        }
    }

    /// Walk the pages of one column chunk; returns the number of values of its data pages.
    fn check_chunk(
        &mut self,
        path: &Path,
        span: &Span,
        leaf: &Leaf,
    ) -> std::result::Result<i64, String> {
        let end = span.start + span.len;
        let mut pos = span.start;
        let mut values: i64 = 0;
        let mut first = true;
        while pos < end {
            let (h, hlen) = self.header(path, pos, end)?;
            let at = format!("the page at byte {pos}");
            let ty = h.page_type.ok_or_else(|| format!("{at} has no type"))?;
            let comp = h
                .compressed
                .ok_or_else(|| format!("{at} has no compressed size"))?;
            let unc = h
                .uncompressed
                .ok_or_else(|| format!("{at} has no uncompressed size"))?;
            if comp < 0 || unc < 0 {
                return Err(format!(
                    "{at} declares sizes of {comp} (compressed) and {unc} (uncompressed) bytes"
                ));
            }
            let body = pos + hlen as u64;
            if body + comp as u64 > end {
                return Err(format!(
                    "{at} declares {comp} bytes but the column chunk ends {} bytes after its header",
                    end - body
                ));
            }
            if unc as i64 > MAX_PAGE {
                return Err(format!(
                    "{at} declares an uncompressed size of {unc} bytes, more than the {} a page may have",
                    crate::input::bytes(MAX_PAGE as u64)
                ));
            }
            match ty {
                0 => {
                    let n =
                        h.v1.flatten()
                            .ok_or_else(|| format!("{at} is a data page without its header"))?;
                    if n < 0 {
                        return Err(format!("{at} declares {n} values"));
                    }
                    values += n as i64;
                }
                3 => {
                    let [n, nulls, rows, def, rep] =
                        h.v2.ok_or_else(|| format!("{at} is a data page (v2) without its header"))?;
                    let n = n.ok_or_else(|| format!("{at} has no value count"))?;
                    let (def, rep) = (def.unwrap_or(-1), rep.unwrap_or(-1));
                    if n < 0 || nulls.unwrap_or(-1) < 0 || rows.unwrap_or(-1) < 0 {
                        return Err(format!("{at} declares negative counts"));
                    }
                    if def < 0 || rep < 0 || def as i64 + rep as i64 > comp.min(unc) as i64 {
                        return Err(format!(
                            "{at} declares {def} + {rep} bytes of levels in a page of {} bytes",
                            comp.min(unc)
                        ));
                    }
                    values += n as i64;
                }
                2 => {
                    if !first {
                        return Err(format!("{at} is a dictionary page after the first page"));
                    }
                    let n = h
                        .dict
                        .flatten()
                        .ok_or_else(|| format!("{at} is a dictionary page without its header"))?;
                    let most = max_dictionary(unc as i64, leaf);
                    if n < 0 || n as i64 > most {
                        return Err(format!(
                            "{at} declares a dictionary of {n} values in {unc} bytes (at most {most})"
                        ));
                    }
                }
                other => return Err(format!("{at} is of an unknown or unsupported type {other}")),
            }
            if first && ty != 2 && pos != span.data_page_offset {
                return Err(format!(
                    "the first data page is at byte {pos}, not at byte {} as the metadata says",
                    span.data_page_offset
                ));
            }
            first = false;
            pos = body + comp as u64;
        }
        Ok(values)
    }

    /// Parse the page header at `pos` (the chunk ends at `end`): the header and its length.
    fn header(
        &mut self,
        path: &Path,
        pos: u64,
        end: u64,
    ) -> std::result::Result<(PageHeader, usize), String> {
        let mut window = 256usize;
        loop {
            let n = (end - pos).min(window as u64) as usize;
            self.buf.resize(n, 0);
            read_at(path, self.file, pos, &mut self.buf).map_err(|e| e.to_string())?;
            let mut t = Thrift::new(&self.buf);
            match page_header(&mut t) {
                Ok(h) => return Ok((h, t.pos)),
                Err(b) if b.eof && (n as u64) < end - pos && window < MAX_PAGE_HEADER => {
                    window = (window * 16).min(MAX_PAGE_HEADER);
                }
                Err(b) if b.eof && (n as u64) < end - pos => {
                    return Err(format!(
                        "the page header at byte {pos} is longer than {}",
                        crate::input::bytes(MAX_PAGE_HEADER as u64)
                    ));
                }
                Err(b) if b.eof => {
                    return Err(format!(
                        "the page header at byte {pos} runs past the end of the column chunk (byte {end})"
                    ));
                }
                Err(b) => {
                    return Err(format!(
                        "the page header at byte {pos} is corrupt at its byte {}: {}",
                        b.at, b.what
                    ));
                }
            }
        }
    }
}

/// Most values a PLAIN dictionary page of `bytes` bytes can hold for `leaf`'s type.
fn max_dictionary(bytes: i64, leaf: &Leaf) -> i64 {
    match leaf.physical {
        0 => bytes.saturating_mul(8),                // BOOLEAN: bits
        1 | 4 => bytes / 4,                          // INT32, FLOAT
        2 | 5 => bytes / 8,                          // INT64, DOUBLE
        3 => bytes / 12,                             // INT96
        6 => bytes / 4,                              // BYTE_ARRAY: a 4-byte length each
        7 => bytes / leaf.type_length.max(1) as i64, // FIXED_LEN_BYTE_ARRAY
        _ => 0,
    }
}

fn page_header(t: &mut Thrift<'_>) -> TResult<PageHeader> {
    let mut h = PageHeader::default();
    t.fields(0, |t, id, ty| {
        const O: &str = "PageHeader";
        match id {
            1..=4 => {
                t.expect(ty, T_I32, O, id)?;
                let v = t.i32()?;
                match id {
                    1 => h.page_type = Some(v),
                    2 => h.uncompressed = Some(v),
                    3 => h.compressed = Some(v),
                    _ => {}
                }
            }
            5 => {
                t.expect(ty, T_STRUCT, O, id)?;
                let mut n = None;
                t.fields(1, |t, id, ty| match id {
                    1..=4 => {
                        t.expect(ty, T_I32, "DataPageHeader", id)?;
                        let v = t.i32()?;
                        if id == 1 {
                            n = Some(v);
                        }
                        Ok(true)
                    }
                    5 => {
                        t.expect(ty, T_STRUCT, "DataPageHeader", id)?;
                        statistics(t, 2)?;
                        Ok(true)
                    }
                    _ => Ok(false),
                })?;
                h.v1 = Some(n);
            }
            6 => {
                t.expect(ty, T_STRUCT, O, id)?;
                empty_struct(t, 1)?;
            }
            7 => {
                t.expect(ty, T_STRUCT, O, id)?;
                let mut n = None;
                t.fields(1, |t, id, ty| match id {
                    1 | 2 => {
                        t.expect(ty, T_I32, "DictionaryPageHeader", id)?;
                        let v = t.i32()?;
                        if id == 1 {
                            n = Some(v);
                        }
                        Ok(true)
                    }
                    3 => {
                        t.expect(ty, T_BOOL_TRUE, "DictionaryPageHeader", id)?;
                        Ok(true)
                    }
                    _ => Ok(false),
                })?;
                h.dict = Some(n);
            }
            8 => {
                t.expect(ty, T_STRUCT, O, id)?;
                let mut v = [None; 5];
                t.fields(1, |t, id, ty| match id {
                    1..=6 => {
                        t.expect(ty, T_I32, "DataPageHeaderV2", id)?;
                        let x = t.i32()?;
                        match id {
                            1 => v[0] = Some(x),
                            2 => v[1] = Some(x),
                            3 => v[2] = Some(x),
                            5 => v[3] = Some(x),
                            6 => v[4] = Some(x),
                            _ => {}
                        }
                        Ok(true)
                    }
                    7 => {
                        t.expect(ty, T_BOOL_TRUE, "DataPageHeaderV2", id)?;
                        Ok(true)
                    }
                    8 => {
                        t.expect(ty, T_STRUCT, "DataPageHeaderV2", id)?;
                        statistics(t, 2)?;
                        Ok(true)
                    }
                    _ => Ok(false),
                })?;
                h.v2 = Some(v);
            }
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_longer_than_the_bytes_are_refused() {
        // FileMetaData { 2: list<struct> of 2^30 elements } in 6 bytes
        let meta = [0x29, 0xfc, 0x80, 0x80, 0x80, 0x80, 0x04];
        let e = parse_file_metadata(&meta).unwrap_err();
        assert_eq!(
            e.what,
            "the schema claims 1073741824 entries but only 0 bytes are left"
        );
    }

    #[test]
    fn a_bool_field_of_another_type_is_refused() {
        // SortingColumn field 2 (descending) declared as i32: Polars would panic
        let mut t = Thrift::new(&[0x25, 0x02, 0x00]);
        let r = t.fields(0, |t, id, ty| {
            t.expect(ty, T_BOOL_TRUE, "SortingColumn", id)?;
            Ok(true)
        });
        assert_eq!(
            r.unwrap_err().what,
            "field 2 of SortingColumn is of type i32 where bool is expected"
        );
    }

    #[test]
    fn lists_of_booleans_are_not_skipped() {
        // an unknown field 20 holding list<bool> of 1000 elements: Polars' skip reads no
        // bytes per element, so a list of lists of them would spin
        let mut t = Thrift::new(&[0x09, 0x28, 0xf1, 0xe8, 0x07, 0x00]);
        let e = t.fields(0, |_, _, _| Ok(false)).unwrap_err();
        assert_eq!(e.what, "a list of bool");
    }

    #[test]
    fn deep_schemas_are_refused_without_recursion() {
        let mut els = vec![SchemaElement {
            name: "root".into(),
            num_children: Some(1),
            ..Default::default()
        }];
        for i in 0..100_000 {
            els.push(SchemaElement {
                name: format!("g{i}"),
                num_children: Some(1),
                repetition: Some(0),
                ..Default::default()
            });
        }
        assert_eq!(
            schema_tree(&els).unwrap_err(),
            "the schema is nested more than 32 levels deep"
        );
    }
}
