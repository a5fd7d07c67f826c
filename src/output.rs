//! One output-format enum for every command: a command builds a [`Rows`] and renders it.
//!
//! Text from users (city names from a workspace `cities.csv`, ids, values) is made safe for
//! its reader ([`crate::text`]): the terminal table and Markdown show control characters as
//! visible escapes, as does any format written to a terminal; CSV cells that a spreadsheet
//! would read as a formula get a leading single quote. JSON, NDJSON and Parquet carry the
//! text unchanged (JSON escapes control characters itself).
//!
//! Numbers: the formats people read (the terminal table, Markdown, HTML) show a
//! non-integer number rounded to 12 significant digits, in its shortest form, so binary
//! float noise does not show (`73.94999999999999` reads `73.95`, `7.9910000000000005`
//! reads `7.991`); the data formats (CSV, JSON, NDJSON, Parquet) keep every digit, so a
//! value read back is the value computed.

use std::io::Write;
use std::path::Path;

use clap::ValueEnum;
use serde_json::Value;

use crate::error::{Error, IoContext, Result};

/// `--format` and `--out`, shared by every command that prints [`Rows`].
#[derive(Debug, Clone, clap::Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
    /// Output file, written atomically (required for --format parquet; otherwise standard
    /// output).
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
}

impl OutputArgs {
    /// Write already rendered text to `--out` (atomically) or to standard output.
    pub fn emit_text(&self, text: &str) -> Result<()> {
        match &self.out {
            Some(p) => crate::store::atomic_write(p, text.as_bytes()),
            None => std::io::stdout()
                .lock()
                .write_all(text.as_bytes())
                .map_err(|e| Error::io("<stdout>", e)),
        }
    }

    /// Whether the output goes to a terminal (standard output, not redirected).
    pub fn to_terminal(&self) -> bool {
        use std::io::IsTerminal;
        self.out.is_none() && std::io::stdout().is_terminal()
    }

    /// Render `rows` to `--out` (atomically) or to standard output. On a terminal, CSV and
    /// HTML show control characters as visible escapes too (the table and Markdown always
    /// do).
    pub fn emit(&self, rows: &Rows) -> Result<()> {
        match (&self.out, self.format) {
            (Some(p), OutputFormat::Parquet) => rows.write_parquet(p),
            (Some(p), f) => {
                let mut buf = Vec::new();
                rows.render(f, &mut buf, None)?;
                crate::store::atomic_write(p, &buf)
            }
            (None, f @ (OutputFormat::Csv | OutputFormat::Html)) if self.to_terminal() => rows
                .printable()
                .render(f, &mut std::io::stdout().lock(), None),
            (None, f) => rows.render(f, &mut std::io::stdout().lock(), None),
        }
    }
}

/// Output formats accepted by `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    /// Aligned columns for a terminal.
    #[default]
    Table,
    /// RFC 4180 CSV with a header.
    Csv,
    /// A JSON array of objects.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// A GitHub-flavoured Markdown table.
    Markdown,
    /// A Parquet file (needs --out).
    Parquet,
    /// A self-contained HTML page (snapshot: the report with charts; others: a table).
    Html,
    /// A DuckDB database file of tables (`export` only: the publishable database).
    Duckdb,
}

/// A small typed table: column names and rows of JSON values.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

/// A cell's text for people (table, Markdown, HTML): a non-integer number rounded to 12
/// significant digits and written in its shortest form (`73.94999999999999` -> `73.95`,
/// `3.0` stays `3.0`); everything else as [`cell_text`].
fn human_cell_text(v: &Value) -> String {
    match v {
        Value::Number(n) if n.is_f64() => n
            .as_f64()
            .and_then(|x| serde_json::Number::from_f64(crate::catalog::units::round_sig12(x)))
            .map_or_else(|| n.to_string(), |r| r.to_string()),
        other => cell_text(other),
    }
}

/// A cell for a terminal or a Markdown document: control characters as visible escapes.
fn printable_cell(v: &Value) -> String {
    let t = human_cell_text(v);
    match crate::text::printable(&t) {
        std::borrow::Cow::Borrowed(_) => t,
        std::borrow::Cow::Owned(s) => s,
    }
}

/// A CSV cell: text a spreadsheet would read as a formula gets a leading single quote;
/// numbers are written as they are.
fn csv_cell(v: &Value) -> String {
    match v {
        Value::String(s) => crate::text::spreadsheet_cell(s).into_owned(),
        other => cell_text(other),
    }
}

/// One row of a [`Rows`], read by column name (a missing column reads as null).
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    columns: &'a [String],
    row: &'a [Value],
}

impl<'a> Record<'a> {
    /// The cell of column `name`.
    pub fn get(&self, name: &str) -> &'a Value {
        static NULL: Value = Value::Null;
        let i = self.columns.iter().position(|c| c == name);
        debug_assert!(i.is_some(), "no column {name}");
        i.map_or(&NULL, |i| &self.row[i])
    }

    /// A number (null and non-numbers read as None).
    pub fn f64(&self, name: &str) -> Option<f64> {
        self.get(name).as_f64()
    }

    /// An integer.
    pub fn i64(&self, name: &str) -> Option<i64> {
        self.get(name).as_i64()
    }

    /// Text (null reads as None; other values as their text).
    pub fn str(&self, name: &str) -> Option<String> {
        match self.get(name) {
            Value::Null => None,
            v => Some(cell_text(v)),
        }
    }

    /// A flag (null reads as false).
    pub fn flag(&self, name: &str) -> bool {
        self.get(name).as_bool().unwrap_or(false)
    }
}

/// Widest a terminal cell gets before it is cut with an ellipsis: room for the embedded
/// catalogue's longest data point name (69 characters, "Freshwater Consumption:
/// Percentage (as verification ...)"), which `compare` shows in full.
const MAX_CELL: usize = 72;

impl Rows {
    /// A table with these columns.
    pub fn new<S: Into<String>>(columns: impl IntoIterator<Item = S>) -> Self {
        Rows {
            columns: columns.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// The rows, each read by column name.
    pub fn records(&self) -> impl Iterator<Item = Record<'_>> {
        self.rows.iter().map(|r| Record {
            columns: &self.columns,
            row: r,
        })
    }

    /// Add a row.
    pub fn push(&mut self, row: Vec<Value>) {
        debug_assert_eq!(row.len(), self.columns.len());
        self.rows.push(row);
    }

    /// A copy with control characters in column names and text cells shown as visible
    /// escapes, for formats written to a terminal.
    pub fn printable(&self) -> Rows {
        let text = |s: &str| crate::text::printable(s).into_owned();
        Rows {
            columns: self.columns.iter().map(|c| text(c)).collect(),
            rows: self
                .rows
                .iter()
                .map(|r| {
                    r.iter()
                        .map(|v| match v {
                            Value::String(s) => Value::String(text(s)),
                            other => other.clone(),
                        })
                        .collect()
                })
                .collect(),
        }
    }

    /// Render to a writer (`out` is required for Parquet).
    pub fn render(
        &self,
        format: OutputFormat,
        w: &mut dyn Write,
        out: Option<&Path>,
    ) -> Result<()> {
        let io = |e: std::io::Error| Error::io("<stdout>", e);
        match format {
            OutputFormat::Table => {
                let columns: Vec<String> = self
                    .columns
                    .iter()
                    .map(|c| crate::text::printable(c).into_owned())
                    .collect();
                let mut width: Vec<usize> = columns.iter().map(|c| c.chars().count()).collect();
                let cells: Vec<Vec<String>> = self
                    .rows
                    .iter()
                    .map(|r| {
                        r.iter()
                            .map(|v| {
                                let t = printable_cell(v);
                                if t.chars().count() > MAX_CELL {
                                    let cut: String = t.chars().take(MAX_CELL - 1).collect();
                                    format!("{cut}…")
                                } else {
                                    t
                                }
                            })
                            .collect()
                    })
                    .collect();
                for r in &cells {
                    for (i, c) in r.iter().enumerate() {
                        width[i] = width[i].max(c.chars().count());
                    }
                }
                let line = |w: &mut dyn Write, r: &[String]| -> std::io::Result<()> {
                    let mut s = String::new();
                    for (i, c) in r.iter().enumerate() {
                        if i > 0 {
                            s.push_str("  ");
                        }
                        s.push_str(c);
                        if i + 1 < r.len() {
                            s.extend(std::iter::repeat_n(' ', width[i] - c.chars().count()));
                        }
                    }
                    writeln!(w, "{}", s.trim_end())
                };
                line(w, &columns).map_err(io)?;
                let rule: Vec<String> = width.iter().map(|n| "-".repeat(*n)).collect();
                line(w, &rule).map_err(io)?;
                for r in &cells {
                    line(w, r).map_err(io)?;
                }
            }
            OutputFormat::Csv => {
                let mut c = csv::Writer::from_writer(w);
                c.write_record(
                    self.columns
                        .iter()
                        .map(|h| crate::text::spreadsheet_cell(h).into_owned()),
                )
                .map_err(|e| Error::Usage(e.to_string()))?;
                for r in &self.rows {
                    c.write_record(r.iter().map(csv_cell))
                        .map_err(|e| Error::Usage(e.to_string()))?;
                }
                c.flush().map_err(io)?;
            }
            OutputFormat::Json => {
                let arr: Vec<Value> = self.rows.iter().map(|r| self.object(r)).collect();
                serde_json::to_writer_pretty(&mut *w, &arr)
                    .map_err(|e| Error::Usage(e.to_string()))?;
                writeln!(w).map_err(io)?;
            }
            OutputFormat::Ndjson => {
                for r in &self.rows {
                    serde_json::to_writer(&mut *w, &self.object(r))
                        .map_err(|e| Error::Usage(e.to_string()))?;
                    writeln!(w).map_err(io)?;
                }
            }
            OutputFormat::Markdown => {
                let esc = |s: String| s.replace('|', "\\|").replace('\n', " ");
                let header: Vec<String> = self
                    .columns
                    .iter()
                    .map(|c| crate::text::printable(c).into_owned())
                    .collect();
                writeln!(w, "| {} |", header.join(" | ")).map_err(io)?;
                writeln!(w, "|{}", "---|".repeat(self.columns.len())).map_err(io)?;
                for r in &self.rows {
                    let cells: Vec<String> = r
                        .iter()
                        .map(|v| crate::text::printable(&esc(human_cell_text(v))).into_owned())
                        .collect();
                    writeln!(w, "| {} |", cells.join(" | ")).map_err(io)?;
                }
            }
            OutputFormat::Html => {
                let e = crate::text::esc;
                let mut s = String::from(
                    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>citybench</title><style>table{border-collapse:collapse;font-family:system-ui,sans-serif;font-size:14px}th,td{border-bottom:1px solid #ccc;padding:3px 6px;text-align:left}</style></head><body><table><thead><tr>",
                );
                for c in &self.columns {
                    s.push_str(&format!("<th scope=\"col\">{}</th>", e(c)));
                }
                s.push_str("</tr></thead><tbody>");
                for r in &self.rows {
                    s.push_str("<tr>");
                    for v in r {
                        s.push_str(&format!("<td>{}</td>", e(&human_cell_text(v))));
                    }
                    s.push_str("</tr>");
                }
                s.push_str("</tbody></table></body></html>\n");
                w.write_all(s.as_bytes()).map_err(io)?;
            }
            OutputFormat::Duckdb => {
                return Err(Error::Usage(
                    "--format duckdb writes the publishable database of `citybench export`; choose table, csv, json, ndjson, markdown, parquet or html here".into(),
                ));
            }
            OutputFormat::Parquet => {
                let Some(path) = out else {
                    return Err(Error::Usage(
                        "--format parquet writes a file: give --out FILE.parquet".into(),
                    ));
                };
                self.write_parquet(path)?;
            }
        }
        Ok(())
    }

    fn object(&self, r: &[Value]) -> Value {
        Value::Object(
            self.columns
                .iter()
                .cloned()
                .zip(r.iter().cloned())
                .collect(),
        )
    }

    /// Write as Parquet (numbers as Float64 where a column is all-numeric, else String).
    pub fn write_parquet(&self, path: &Path) -> Result<()> {
        use polars::prelude::*;
        let mut cols = Vec::with_capacity(self.columns.len());
        for (i, name) in self.columns.iter().enumerate() {
            let numeric = self
                .rows
                .iter()
                .all(|r| matches!(r[i], Value::Number(_) | Value::Null));
            let c = if numeric {
                let v: Vec<Option<f64>> = self.rows.iter().map(|r| r[i].as_f64()).collect();
                Column::new(name.as_str().into(), v)
            } else {
                let v: Vec<Option<String>> = self
                    .rows
                    .iter()
                    .map(|r| (!r[i].is_null()).then(|| cell_text(&r[i])))
                    .collect();
                Column::new(name.as_str().into(), v)
            };
            cols.push(c);
        }
        let mut df = DataFrame::new(self.rows.len(), cols).map_err(|e| Error::polars(path, e))?;
        let tmp = crate::store::temp_path(path);
        let f = std::fs::File::create(&tmp).at(&tmp)?;
        ParquetWriter::new(f)
            .finish(&mut df)
            .map_err(|e| Error::polars(path, e))?;
        crate::store::commit_rename(&tmp, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Rows {
        let mut r = Rows::new(["id", "value"]);
        r.push(vec![json!("a|b"), json!(1.5)]);
        r.push(vec![json!("c"), Value::Null]);
        r
    }

    fn render(f: OutputFormat) -> String {
        let mut out = Vec::new();
        sample().render(f, &mut out, None).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn formats() {
        assert_eq!(
            render(OutputFormat::Table),
            "id   value\n---  -----\na|b  1.5\nc\n"
        );
        assert_eq!(render(OutputFormat::Csv), "id,value\na|b,1.5\nc,\n");
        assert_eq!(
            render(OutputFormat::Ndjson),
            "{\"id\":\"a|b\",\"value\":1.5}\n{\"id\":\"c\",\"value\":null}\n"
        );
        assert_eq!(
            render(OutputFormat::Markdown),
            "| id | value |\n|---|---|\n| a\\|b | 1.5 |\n| c |  |\n"
        );
        let html = render(OutputFormat::Html);
        assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
        assert!(html.contains(
            "<tr><th scope=\"col\">id</th><th scope=\"col\">value</th></tr></thead><tbody><tr><td>a|b</td><td>1.5</td></tr><tr><td>c</td><td></td></tr></tbody>"
        ), "{html}");
        let mut out = Vec::new();
        let e = sample()
            .render(OutputFormat::Parquet, &mut out, None)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "--format parquet writes a file: give --out FILE.parquet"
        );
    }

    fn hostile() -> Rows {
        let mut r = Rows::new(["name", "\u{1b}[2Jcol", "value"]);
        r.push(vec![
            json!("Evil\u{1b}]0;pwned\u{7}City"),
            json!("=cmd|' /C calc'!A0"),
            json!(-3),
        ]);
        r.push(vec![json!("-0.5e3"), json!("@SUM(A1)"), json!(-2.5)]);
        r
    }

    fn render_hostile(f: OutputFormat) -> String {
        let mut out = Vec::new();
        hostile().render(f, &mut out, None).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_terminal_table_shows_control_characters_as_escapes() {
        let t = render_hostile(OutputFormat::Table);
        assert!(!t.contains('\u{1b}') && !t.contains('\u{7}'), "{t:?}");
        let header = t.lines().next().unwrap();
        assert!(
            header.starts_with("name ") && header.contains("  \\u{1b}[2Jcol  "),
            "{header}"
        );
        assert!(t.contains("Evil\\u{1b}]0;pwned\\u{7}City"), "{t}");
        let md = render_hostile(OutputFormat::Markdown);
        assert!(!md.contains('\u{1b}'), "{md:?}");
        assert!(
            md.contains("| Evil\\u{1b}]0;pwned\\u{7}City | =cmd\\|' /C calc'!A0 | -3 |"),
            "{md}"
        );
        // the data formats keep the text: JSON escapes it, Parquet stores it
        let j = render_hostile(OutputFormat::Ndjson);
        assert!(
            j.contains("\"name\":\"Evil\\u001b]0;pwned\\u0007City\""),
            "{j}"
        );
        let p = hostile().printable();
        assert_eq!(p.rows[0][0], json!("Evil\\u{1b}]0;pwned\\u{7}City"));
        assert_eq!(p.rows[0][2], json!(-3));
    }

    #[test]
    fn csv_neutralises_formula_cells_but_not_numbers() {
        let csv = render_hostile(OutputFormat::Csv);
        let lines: Vec<&str> = csv.lines().collect();
        assert!(lines[1].ends_with(",'=cmd|' /C calc'!A0,-3"), "{csv:?}");
        assert_eq!(lines[2], "-0.5e3,'@SUM(A1),-2.5");
        // the bytes of the text are kept (a file, not a terminal)
        assert!(lines[1].contains("Evil\u{1b}]0;pwned\u{7}City"), "{csv:?}");
    }

    fn noisy() -> Rows {
        let mut r = Rows::new(["x", "y"]);
        r.push(vec![json!(73.94999999999999), json!(7.9910000000000005)]);
        r.push(vec![json!(3.0), json!(-0.30000000000000004)]);
        r.push(vec![json!(123456789012345.6), json!(12)]);
        r.push(vec![json!(1e-7 + 1e-22), json!(1.5e300)]);
        r
    }

    fn render_noisy(f: OutputFormat) -> String {
        let mut out = Vec::new();
        noisy().render(f, &mut out, None).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn people_read_numbers_without_float_noise_data_formats_keep_every_digit() {
        assert_eq!(
            render_noisy(OutputFormat::Table),
            "x                  y\n-----------------  --------\n73.95              7.991\n3.0                -0.3\n123456789012000.0  12\n1e-7               1.5e+300\n"
        );
        assert_eq!(
            render_noisy(OutputFormat::Markdown),
            "| x | y |\n|---|---|\n| 73.95 | 7.991 |\n| 3.0 | -0.3 |\n| 123456789012000.0 | 12 |\n| 1e-7 | 1.5e+300 |\n"
        );
        assert!(
            render_noisy(OutputFormat::Html).contains(
                "<tr><td>73.95</td><td>7.991</td></tr><tr><td>3.0</td><td>-0.3</td></tr>"
            ),
        );
        assert_eq!(
            render_noisy(OutputFormat::Csv),
            "x,y\n73.94999999999999,7.9910000000000005\n3.0,-0.30000000000000004\n123456789012345.6,12\n1.000000000000001e-7,1.5e+300\n"
        );
        assert_eq!(
            render_noisy(OutputFormat::Ndjson).lines().next().unwrap(),
            "{\"x\":73.94999999999999,\"y\":7.9910000000000005}"
        );
        let j: Value = serde_json::from_str(&render_noisy(OutputFormat::Json)).unwrap();
        assert_eq!(j[1]["y"], json!(-0.30000000000000004));
    }

    #[test]
    fn parquet_error_message() {
        let mut out = Vec::new();
        let e = sample()
            .render(OutputFormat::Parquet, &mut out, None)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "--format parquet writes a file: give --out FILE.parquet"
        );
    }
}
