//! Reading the Excel template back (`citybench ingest FILE.xlsx`, calamine).
//!
//! The workbook is checked as a whole first (readable, written by `citybench template`, a
//! format this version reads, the same catalogue, the `Data` sheet's header), then every
//! filled row of `Data` goes through the same [`super::Validator`] as CSV rows. Rows are
//! numbered as Excel numbers them (the header is row 1), and every rejection names its cell,
//! e.g. `Data!J37`, or the row's range for whole-row problems.
//!
//! A row counts as read when its `value` cell, or any input cell other than the pre-filled
//! `city_id`, `year` and `unit`, is filled; the rest of the sheet is the template's empty
//! rows.
//!
//! Memory is bounded by what the file holds, never by what it declares: the ZIP parts are
//! measured by decompressing them before calamine reads any ([`MAX_PART`], [`MAX_PARTS`],
//! [`MAX_WORKBOOK`]), and the sheets are streamed cell by cell (calamine's
//! `worksheet_cells_reader`), one row at a time, instead of being loaded as a range (a range
//! is allocated for the bounding box of the cells: one cell in A1 and one in XFD1048576 ask
//! for 17 billion).

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::{Path, PathBuf};

use calamine::{Data, DataRef, Reader, Xlsx};

use super::read::{Cell, FIELD_NAMES, HeaderInfo, RawRow, field};
use super::validate::Problem;
use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::workbook::{COLUMNS, DATA_SHEET, FORMAT_VERSION, META_SHEET, column_letter, meta};

/// The message for a password-protected (encrypted) workbook.
pub const ENCRYPTED: &str = "the workbook is password-protected (encrypted) or a legacy .xls file stored as .xlsx; citybench cannot read it: remove the password (File > Info > Protect Workbook > Encrypt with Password, clear it) and save it as .xlsx";

/// Most bytes one part of the workbook (a sheet, the shared strings) may expand to: a
/// template's largest is a few hundred kilobytes.
pub const MAX_PART: u64 = 64 << 20;
/// Most bytes all parts together may expand to.
pub const MAX_WORKBOOK: u64 = 256 << 20;
/// Most parts (files inside the ZIP archive) a workbook may have: a template has about 15.
pub const MAX_PARTS: usize = 10_000;
/// Rows of the hidden `citybench` sheet read (it has about 10).
const MAX_META_ROWS: usize = 1_000;

/// The `Data` sheet of a template, checked and ready to stream.
pub struct Sheet {
    path: PathBuf,
    workbook: RefCell<Xlsx<BufReader<File>>>,
    /// 0-based sheet column of each submission field.
    columns: [usize; field::COUNT],
    /// Header cells that are not template columns (ignored, like extra CSV columns).
    ignored: Vec<String>,
    /// Width of the header (for whole-row ranges).
    width: usize,
}

fn open_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::input(
        path,
        format!(
            "cannot read the workbook ({e}); the file is corrupt or not an .xlsx workbook: open it in Excel and save it again as .xlsx"
        ),
    )
}

/// A cell as text for messages and keys.
fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_string(),
        Data::Float(v) => v.to_string(),
        Data::Int(v) => v.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => format!("a date (Excel serial {})", d.as_f64()),
        Data::Error(e) => e.to_string(),
    }
}

impl Sheet {
    /// Open and check the workbook against `catalog`.
    pub fn open(path: &Path, catalog: &Catalog) -> Result<Sheet> {
        let file = crate::input::open(path, crate::input::SUBMISSION)?;
        check_parts(path, &file)?;
        let mut wb: Xlsx<_> = Xlsx::new(BufReader::new(file)).map_err(|e| open_error(path, e))?;
        let names = wb.sheet_names();
        if !names.iter().any(|n| n == META_SHEET) {
            return Err(Error::input(
                path,
                format!(
                    "not a citybench template: it has no sheet '{META_SHEET}' (sheets: {}); citybench reads the workbooks `citybench template` writes; for another workbook, save the data as CSV in the long format (city_id,data_point_id,year,value,unit,...) and ingest that",
                    names.join(", ")
                ),
            ));
        }
        let meta = meta_entries(path, &mut wb)?;
        let get = |k: &str| meta.get(k).cloned().unwrap_or_default();
        let format: u32 = get(meta::FORMAT).parse().unwrap_or(0);
        if format == 0 || format > FORMAT_VERSION {
            return Err(Error::input(
                path,
                format!(
                    "template format '{}' is not one this citybench reads (it reads format {FORMAT_VERSION}); write a new template with `citybench template` or update citybench",
                    get(meta::FORMAT)
                ),
            ));
        }
        let fingerprint = get(meta::CATALOG_FINGERPRINT);
        if fingerprint != catalog.fingerprint() {
            return Err(Error::input(
                path,
                format!(
                    "the template was written for catalogue {} ({} data points, fingerprint {}) but this citybench uses catalogue {} ({} data points, fingerprint {}); data point codes or units may differ. Write a new template with `citybench template` and copy the values into it",
                    get(meta::CATALOG_VERSION),
                    get(meta::DATA_POINTS),
                    fingerprint,
                    catalog.version(),
                    catalog.data_points().len(),
                    catalog.fingerprint()
                ),
            ));
        }
        if !names.iter().any(|n| n == DATA_SHEET) {
            return Err(Error::input(
                path,
                format!(
                    "the template has no sheet '{DATA_SHEET}' (sheets: {}); keep the template's sheet names",
                    names.join(", ")
                ),
            ));
        }
        let header = header_cells(path, &mut wb)?;
        let (columns, ignored, width) = Self::header(path, &header)?;
        Ok(Sheet {
            path: path.to_path_buf(),
            workbook: RefCell::new(wb),
            columns,
            ignored,
            width,
        })
    }

    /// Map the header (row 1, its cells' texts by column) by name: every template column
    /// must be there.
    fn header(
        path: &Path,
        names: &[String],
    ) -> Result<([usize; field::COUNT], Vec<String>, usize)> {
        let width = names.len();
        let mut pos: HashMap<String, usize> = HashMap::new();
        let mut unknown = Vec::new();
        for (i, n) in names.iter().enumerate() {
            let key = n.trim().to_lowercase();
            if key.is_empty() {
                continue;
            }
            if COLUMNS.iter().any(|c| c.name == key) {
                if pos.insert(key.clone(), i).is_some() {
                    return Err(Error::input(
                        path,
                        format!(
                            "sheet {DATA_SHEET}: column '{key}' appears twice in the header (row 1); keep one"
                        ),
                    ));
                }
            } else {
                unknown.push((i, n.trim().to_string()));
            }
        }
        let missing: Vec<&str> = COLUMNS
            .iter()
            .map(|c| c.name)
            .filter(|n| !pos.contains_key(*n))
            .collect();
        if !missing.is_empty() {
            let many = missing.len() > 1;
            let list: Vec<String> = missing.iter().map(|m| format!("'{m}'")).collect();
            let mut msg = format!(
                "sheet {DATA_SHEET}: column{} {} {} missing from the header (row 1)",
                if many { "s" } else { "" },
                list.join(", "),
                if many { "are" } else { "is" }
            );
            if !unknown.is_empty() {
                let shown: Vec<String> = unknown
                    .iter()
                    .map(|(i, n)| format!("{DATA_SHEET}!{}1 '{n}'", column_letter(*i)))
                    .collect();
                msg.push_str(&format!(
                    "; the header has {} which {} not a template column (renamed?)",
                    shown.join(", "),
                    if shown.len() > 1 { "are" } else { "is" }
                ));
            }
            msg.push_str(&format!(
                "; the template's columns are: {}. Restore the column name, or write a new template with `citybench template`",
                COLUMNS.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
            ));
            return Err(Error::input(path, msg));
        }
        let mut columns = [0usize; field::COUNT];
        for (k, name) in FIELD_NAMES.iter().enumerate() {
            columns[k] = pos[*name];
        }
        Ok((
            columns,
            unknown.into_iter().map(|(_, n)| n).collect(),
            width,
        ))
    }

    /// The cell address of `field` (a submission field name or `row`) in sheet row `line`.
    pub fn address(&self, line: u64, field: &str) -> String {
        match FIELD_NAMES.iter().position(|n| *n == field) {
            Some(k) => format!("{DATA_SHEET}!{}{line}", column_letter(self.columns[k])),
            None => format!(
                "{DATA_SHEET}!A{line}:{}{line}",
                column_letter(self.width.max(1) - 1)
            ),
        }
    }

    /// `p` with its cell address in front of the reason.
    pub fn locate(&self, line: u64, mut p: Problem) -> Problem {
        p.reason = format!("{}: {}", self.address(line, p.field), p.reason);
        p
    }

    /// Stream the filled rows to `on_row`; returns the header information.
    pub fn read(&self, on_row: &mut dyn FnMut(&RawRow<'_>) -> Result<()>) -> Result<HeaderInfo> {
        let path = self.path.as_path();
        let mut wb = self.workbook.borrow_mut();
        let mut cells = wb
            .worksheet_cells_reader(DATA_SHEET)
            .map_err(|e| open_error(path, e))?;
        // the submission field of each sheet column, if any
        let last = self.columns.iter().copied().max().unwrap_or(0);
        let mut field_of = vec![None; last + 1];
        for (k, &c) in self.columns.iter().enumerate() {
            field_of[c] = Some(k);
        }
        let mut row: Option<u32> = None;
        let mut data: [Data; field::COUNT] = Default::default();
        while let Some(cell) = cells.next_cell().map_err(|e| open_error(path, e))? {
            let (r, c) = cell.get_position();
            if r == 0 {
                continue; // the header
            }
            if row != Some(r) {
                if let Some(prev) = row {
                    if r < prev {
                        return Err(Error::input(
                            path,
                            format!(
                                "sheet {DATA_SHEET}: row {} comes after row {} in the file; citybench reads rows in order: open the workbook in Excel and save it again",
                                r + 1,
                                prev + 1
                            ),
                        ));
                    }
                    self.emit(prev, &data, on_row)?;
                }
                row = Some(r);
                data = Default::default();
            }
            if let Some(Some(k)) = field_of.get(c as usize) {
                data[*k] = match cell.get_value() {
                    DataRef::Empty => Data::Empty,
                    v => Data::from(v.clone()),
                };
            }
        }
        if let Some(prev) = row {
            self.emit(prev, &data, on_row)?;
        }
        Ok(HeaderInfo {
            ignored_columns: self.ignored.clone(),
        })
    }

    /// Give sheet row `r` (0-based) to `on_row` if it is filled.
    fn emit(
        &self,
        r: u32,
        data: &[Data; field::COUNT],
        on_row: &mut dyn FnMut(&RawRow<'_>) -> Result<()>,
    ) -> Result<()> {
        const FILLED_MARKS: [usize; 7] = [
            field::VALUE,
            field::SOURCE,
            field::QUALITY,
            field::VERIFIED,
            field::CONFIDENTIAL,
            field::DENOMINATOR,
            field::NOTES,
        ];
        let blank = |d: &Data| match d {
            Data::Empty => true,
            Data::String(s) => s.trim().is_empty(),
            _ => false,
        };
        if FILLED_MARKS.iter().all(|&k| blank(&data[k])) {
            return Ok(());
        }
        // cells that are not plain text, numbers or booleans become text for the
        // validator (which then names what it expected)
        let mut texts: [String; field::COUNT] = Default::default();
        for (k, d) in data.iter().enumerate() {
            if matches!(
                d,
                Data::DateTime(_) | Data::Error(_) | Data::DateTimeIso(_) | Data::DurationIso(_)
            ) {
                texts[k] = cell_text(d);
            }
        }
        let mut cells = [Cell::Null; field::COUNT];
        for (k, d) in data.iter().enumerate() {
            cells[k] = match d {
                Data::Empty => Cell::Null,
                Data::String(s) => Cell::Str(s),
                Data::Int(i) => Cell::Int(*i),
                Data::Float(v) if v.fract() == 0.0 && v.abs() < 9.0e15 => Cell::Int(*v as i64),
                Data::Float(v) => Cell::Float(*v),
                Data::Bool(b) => Cell::Bool(*b),
                _ => Cell::Str(&texts[k]),
            };
        }
        on_row(&RawRow {
            line: r as u64 + 1,
            cells,
            problem: None,
        })
    }
}

/// Measure every part of the ZIP archive by decompressing it (never more than the limits),
/// before calamine reads any: a small file may expand to gigabytes (a "zip bomb"), and
/// calamine keeps some parts (the shared strings) in memory.
fn check_parts(path: &Path, file: &File) -> Result<()> {
    let mut f = file.try_clone().map_err(|e| Error::io(path, e))?;
    let zip_error = |e: zip::result::ZipError| open_error(path, format!("Zip error: {e}"));
    let mut zip = zip::ZipArchive::new(BufReader::new(&mut f)).map_err(zip_error)?;
    if zip.len() > MAX_PARTS {
        return Err(Error::input(
            path,
            format!(
                "the workbook has {} parts (files in its ZIP archive), more than the {MAX_PARTS} read (a template has about 15); the file is not a citybench template",
                zip.len()
            ),
        ));
    }
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).map_err(zip_error)?;
        let name = part.name().map_err(zip_error)?.to_string();
        let n = std::io::copy(&mut (&mut part).take(MAX_PART + 1), &mut std::io::sink())
            .map_err(|e| open_error(path, format!("part {name}: {e}")))?;
        total += n;
        if n > MAX_PART || total > MAX_WORKBOOK {
            let (what, limit) = if n > MAX_PART {
                (format!("its part {name} expands"), MAX_PART)
            } else {
                ("its parts expand".to_string(), MAX_WORKBOOK)
            };
            return Err(Error::input(
                path,
                format!(
                    "the workbook is refused: {what} to more than {} (a template is a few hundred kilobytes); the file is not a citybench template",
                    crate::input::bytes(limit)
                ),
            ));
        }
    }
    drop(zip);
    f.rewind().map_err(|e| Error::io(path, e))?;
    Ok(())
}

/// The key-value rows of the hidden `citybench` sheet (columns A and B), streamed.
fn meta_entries(path: &Path, wb: &mut Xlsx<BufReader<File>>) -> Result<HashMap<String, String>> {
    let mut cells = wb
        .worksheet_cells_reader(META_SHEET)
        .map_err(|e| open_error(path, e))?;
    let mut rows: std::collections::BTreeMap<u32, (String, String)> = Default::default();
    while let Some(cell) = cells.next_cell().map_err(|e| open_error(path, e))? {
        let (r, c) = cell.get_position();
        if c > 1 || (rows.len() >= MAX_META_ROWS && !rows.contains_key(&r)) {
            continue;
        }
        let text = cell_text(&Data::from(cell.get_value().clone()));
        let e = rows.entry(r).or_default();
        if c == 0 {
            e.0 = text;
        } else {
            e.1 = text;
        }
    }
    Ok(rows.into_values().filter(|(k, _)| !k.is_empty()).collect())
}

/// The texts of the `Data` sheet's header (row 1) by column, streamed: the rest of the
/// sheet is not read here.
fn header_cells(path: &Path, wb: &mut Xlsx<BufReader<File>>) -> Result<Vec<String>> {
    let mut cells = wb
        .worksheet_cells_reader(DATA_SHEET)
        .map_err(|e| open_error(path, e))?;
    let mut names: Vec<String> = Vec::new();
    while let Some(cell) = cells.next_cell().map_err(|e| open_error(path, e))? {
        let (r, c) = cell.get_position();
        if r > 0 {
            break;
        }
        let text = cell_text(&Data::from(cell.get_value().clone()));
        if text.is_empty() {
            continue;
        }
        let c = c as usize;
        if names.len() <= c {
            names.resize(c + 1, String::new());
        }
        names[c] = text;
    }
    Ok(names)
}
