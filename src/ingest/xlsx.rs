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

use std::collections::HashMap;
use std::path::Path;

use calamine::{Data, Reader, Xlsx, open_workbook};

use super::read::{Cell, FIELD_NAMES, HeaderInfo, RawRow, field};
use super::validate::Problem;
use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::template::{COLUMNS, DATA_SHEET, FORMAT_VERSION, META_SHEET, column_letter, meta};

/// The message for a password-protected (encrypted) workbook.
pub const ENCRYPTED: &str = "the workbook is password-protected (encrypted) or a legacy .xls file stored as .xlsx; citybench cannot read it: remove the password (File > Info > Protect Workbook > Encrypt with Password, clear it) and save it as .xlsx";

/// The `Data` sheet of a template, checked and ready to stream.
pub struct Sheet {
    rows: calamine::Range<Data>,
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
        let mut wb: Xlsx<_> = open_workbook(path).map_err(|e| open_error(path, e))?;
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
        let meta_range = wb
            .worksheet_range(META_SHEET)
            .map_err(|e| open_error(path, e))?;
        let meta: HashMap<String, String> = meta_range
            .rows()
            .filter_map(|r| Some((cell_text(r.first()?), cell_text(r.get(1)?))))
            .collect();
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
        let rows = wb
            .worksheet_range(DATA_SHEET)
            .map_err(|e| open_error(path, e))?;
        let (columns, ignored, width) = Self::header(path, &rows)?;
        Ok(Sheet {
            rows,
            columns,
            ignored,
            width,
        })
    }

    /// Map the header (row 1) by name: every template column must be there.
    fn header(
        path: &Path,
        rows: &calamine::Range<Data>,
    ) -> Result<([usize; field::COUNT], Vec<String>, usize)> {
        let (width, mut names) = (rows.end().map(|e| e.1 as usize + 1).unwrap_or(0), vec![]);
        for c in 0..width {
            let v = rows
                .get_value((0, c as u32))
                .map(cell_text)
                .unwrap_or_default();
            names.push(v);
        }
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
        let height = self.rows.end().map(|e| e.0 as usize + 1).unwrap_or(0);
        let filled_marks = [
            field::VALUE,
            field::SOURCE,
            field::QUALITY,
            field::VERIFIED,
            field::CONFIDENTIAL,
            field::DENOMINATOR,
            field::NOTES,
        ];
        let mut texts: [String; field::COUNT] = Default::default();
        for r in 1..height {
            let data: Vec<&Data> = self
                .columns
                .iter()
                .map(|&c| {
                    self.rows
                        .get_value((r as u32, c as u32))
                        .unwrap_or(&Data::Empty)
                })
                .collect();
            let blank = |d: &Data| match d {
                Data::Empty => true,
                Data::String(s) => s.trim().is_empty(),
                _ => false,
            };
            if filled_marks.iter().all(|&k| blank(data[k])) {
                continue;
            }
            // cells that are not plain text, numbers or booleans become text for the
            // validator (which then names what it expected)
            for (k, d) in data.iter().enumerate() {
                texts[k] = match d {
                    Data::DateTime(_)
                    | Data::Error(_)
                    | Data::DateTimeIso(_)
                    | Data::DurationIso(_) => cell_text(d),
                    _ => String::new(),
                };
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
            })?;
        }
        Ok(HeaderInfo {
            ignored_columns: self.ignored.clone(),
        })
    }
}
