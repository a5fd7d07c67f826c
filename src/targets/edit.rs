//! Editing the workspace `targets.csv` (`citybench targets set | unset`).
//!
//! One row is added, replaced or removed; every other byte of the file stays as it was
//! (other rows, blank lines, quoting, line ends, a byte-order mark). The only other change
//! is a column the new row needs and the header lacks (`city_id`, or `grouping,group`): it
//! is added to the header and left empty on the other rows (a comma at their end), and
//! reported. The new row is checked by the loader's own row check
//! ([`crate::pipeline::targets::check_row`]), the resulting file as `run` checks it
//! ([`crate::pipeline::targets::workspace_rows`]); it is written atomically while the
//! workspace lock is held, so it never races a `run` or another edit.
//!
//! Messages name the options of `citybench targets set` (`--value`, `--city`, ...) where the
//! loader names the file's columns.

use std::path::{Path, PathBuf};

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::pipeline::targets::{
    self as t, COLUMNS, RowFields, RowProblem, Scope, TargetRow, WORKSPACE_FILE,
};
use crate::registry::Registry;
use crate::store::Workspace;

/// What the command line gives: the catalogue, the registry and the configured groupings
/// the file is checked against.
#[derive(Clone, Copy)]
pub struct Checks<'a> {
    pub catalog: &'a Catalog,
    pub registry: &'a Registry,
    pub groupings: &'a [String],
}

/// What an edit did.
#[derive(Debug, Clone)]
pub struct Change {
    /// The workspace `targets.csv`.
    pub path: PathBuf,
    /// The file did not exist (or was empty) and was written with a header.
    pub created: bool,
    /// Columns added to the header (empty on the file's other rows).
    pub added_columns: Vec<&'static str>,
    /// The row replaced (`set --replace`) or removed (`unset`), as it was.
    pub before: Option<TargetRow>,
    /// The row written, with its line.
    pub after: Option<TargetRow>,
}

/// The option of `citybench targets set` a column of the targets file comes from.
pub fn option_of(field: &str) -> &'static str {
    match field {
        "data_point_id" => "--data-point",
        "target" => "--value",
        "worst" => "--worst",
        "tolerance" => "--tolerance",
        "target_year" => "--year",
        "source" => "--source",
        "city_id" => "--city",
        "grouping" => "--grouping",
        "group" => "--group",
        "grouping and group" => "--grouping and --group",
        _ => "",
    }
}

/// A row problem as a command-line error: the option, then the loader's reason.
pub fn usage(p: RowProblem) -> Error {
    let opt = option_of(p.field);
    Error::Usage(if opt.is_empty() {
        p.message
    } else {
        format!("{opt}: {}", p.message)
    })
}

/// How a key reads in messages: "the city target of EC-ICT-ICT-2C for 2660646 (Geneva,
/// CH)", "the group target of ... for continent = Europe", "the workspace default target
/// of ...".
pub fn describe(data_point_id: &str, scope: &Scope, registry: &Registry) -> String {
    match scope {
        Scope::City(c) => format!(
            "the city target of {data_point_id} for {}",
            city_label(registry, c)
        ),
        Scope::Group { grouping, group } => {
            format!("the group target of {data_point_id} for {grouping} = {group}")
        }
        Scope::Default => format!("the workspace default target of {data_point_id}"),
    }
}

/// "2660646 (Geneva, CH)".
pub fn city_label(registry: &Registry, id: &str) -> String {
    match registry.get(id) {
        Some(c) => format!("{id} ({}, {})", c.name, c.country_iso2),
        None => id.to_string(),
    }
}

/// A row as people read it: "80 (worst 0, 2030; source: City plan 2030)".
pub fn row_text(r: &TargetRow) -> String {
    let f = crate::ingest::validate::fmt_num;
    let mut extra = Vec::new();
    if let Some(w) = r.worst {
        extra.push(format!("worst {}", f(w)));
    }
    if let Some(tol) = r.tolerance {
        extra.push(format!("tolerance {}", f(tol)));
    }
    if let Some(y) = r.target_year {
        extra.push(y.to_string());
    }
    let mut inner = extra.join(", ");
    if !inner.is_empty() {
        inner.push_str("; ");
    }
    format!("{} ({inner}source: {})", f(r.target), r.source)
}

/// When no city of the registry is in `group` of `grouping`, a note saying so (the file
/// accepts any group name, so a misspelt one would apply to nobody), with the closest
/// group that has cities.
pub fn empty_group_note(registry: &Registry, grouping: &str, group: &str) -> Option<String> {
    let mut seen = std::collections::BTreeSet::new();
    for idx in 0..registry.len() {
        if let Some(v) = crate::pipeline::groups::group_of(registry, idx, grouping) {
            if v == group {
                return None;
            }
            seen.insert(v);
        }
    }
    let hint = crate::suggest::did_you_mean(group, seen.iter().map(String::as_str))
        .map(|s| format!("; did you mean '{s}'?"))
        .unwrap_or_default();
    Some(format!(
        "note: no city is in {grouping} = {group}, so this target applies to no city{hint}"
    ))
}

/// The header of a new file: every column, so that any row can be added later.
pub const NEW_HEADER: &str =
    "data_point_id,target,worst,tolerance,target_year,source,city_id,grouping,group";

/// The text of a targets file, edited in place.
struct Doc {
    bom: bool,
    body: String,
    eol: &'static str,
}

impl Doc {
    fn new(text: &str) -> Self {
        let (bom, body) = match text.strip_prefix('\u{feff}') {
            Some(b) => (true, b),
            None => (false, text),
        };
        let first_end = body.find('\n');
        let eol = match first_end {
            Some(i) if i > 0 && body.as_bytes()[i - 1] == b'\r' => "\r\n",
            _ => "\n",
        };
        Doc {
            bom,
            body: body.to_string(),
            eol,
        }
    }

    fn text(&self) -> String {
        if self.bom {
            format!("\u{feff}{}", self.body)
        } else {
            self.body.clone()
        }
    }

    /// Byte offset of the start of 1-based `line`.
    fn line_start(&self, line: u64) -> usize {
        if line <= 1 {
            return 0;
        }
        self.body
            .match_indices('\n')
            .nth(line as usize - 2)
            .map_or(self.body.len(), |(i, _)| i + 1)
    }

    /// The record starting at `start`: the end of its content and the end of its line
    /// end (a line break inside quotes belongs to the record).
    fn record_end(&self, start: usize) -> (usize, usize) {
        let b = self.body.as_bytes();
        let mut quoted = false;
        let mut i = start;
        while i < b.len() {
            match b[i] {
                b'"' => quoted = !quoted,
                b'\n' if !quoted => {
                    let content = if i > start && b[i - 1] == b'\r' {
                        i - 1
                    } else {
                        i
                    };
                    return (content, i + 1);
                }
                _ => {}
            }
            i += 1;
        }
        (b.len(), b.len())
    }

    /// The record on `line`: (start, end of content, end of line end).
    fn record(&self, line: u64) -> (usize, usize, usize) {
        let start = self.line_start(line);
        let (content, end) = self.record_end(start);
        (start, content, end)
    }

    /// Header names as the loader reads them (trimmed, lower case).
    fn header(&self, path: &Path) -> Result<Vec<String>> {
        Ok(crate::csv_lines::reader(&self.body, path)?.1.0)
    }

    /// Add `names` to the header and an empty cell for each to the rows on `lines`.
    fn add_columns(&mut self, names: &[&str], lines: &[u64]) {
        let mut inserts: Vec<(usize, String)> = Vec::new();
        let (_, header_end, _) = self.record(1);
        inserts.push((header_end, format!(",{}", names.join(","))));
        for &l in lines {
            let (_, end, _) = self.record(l);
            inserts.push((end, ",".repeat(names.len())));
        }
        inserts.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
        for (at, s) in inserts {
            self.body.insert_str(at, &s);
        }
    }

    /// Append a row (a line end first when the file's last line has none).
    fn append(&mut self, row: &str) {
        if !self.body.is_empty() && !self.body.ends_with('\n') {
            self.body.push_str(self.eol);
        }
        self.body.push_str(row);
        self.body.push_str(self.eol);
    }

    /// Replace the content of the record on `line`, keeping its line end.
    fn replace(&mut self, line: u64, row: &str) {
        let (start, content, _) = self.record(line);
        self.body.replace_range(start..content, row);
    }

    /// Remove the record on `line` with its line end.
    fn remove(&mut self, line: u64) {
        let (start, _, end) = self.record(line);
        self.body.replace_range(start..end, "");
    }
}

/// One CSV record (RFC 4180 quoting where needed), without a line end.
fn csv_record(cells: &[String]) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(cells).expect("writing to memory");
    let bytes = w.into_inner().expect("writing to memory");
    String::from_utf8(bytes)
        .expect("UTF-8 in, UTF-8 out")
        .trim_end_matches('\n')
        .to_string()
}

/// The workspace file's text and rows (checked as `run` checks them); `None` when it does
/// not exist or holds nothing but white space.
fn read(path: &Path, c: Checks<'_>) -> Result<Option<(String, Vec<TargetRow>)>> {
    if !path.exists() {
        return Ok(None);
    }
    // as `run` reads it: a FIFO, a device or a file over the limit is refused, never read
    let text = crate::input::read_text(path, "a CSV file")?;
    if text.trim_start_matches('\u{feff}').trim().is_empty() {
        return Ok(None);
    }
    let rows = t::workspace_rows(&text, path, c.catalog, c.registry, c.groupings)?;
    Ok(Some((text, rows)))
}

/// A row without its line.
type Content = (
    String,
    Scope,
    u64,
    Option<u64>,
    Option<u64>,
    Option<i32>,
    String,
);

fn content(r: &TargetRow) -> Content {
    (
        r.data_point_id.clone(),
        r.scope(),
        r.target.to_bits(),
        r.worst.map(f64::to_bits),
        r.tolerance.map(f64::to_bits),
        r.target_year,
        r.source.clone(),
    )
}

/// The rows of the edited text must be `expected`, in order: a safeguard against an edit
/// that touched other bytes than the one row's (an unusual file); nothing is written
/// otherwise.
fn check_outcome(path: &Path, text: &str, c: Checks<'_>, expected: &[Content]) -> Result<()> {
    let rows = t::workspace_rows(text, path, c.catalog, c.registry, c.groupings)?;
    if rows.iter().map(content).collect::<Vec<_>>() != expected {
        return Err(Error::input(
            path,
            "could not edit this file without touching other rows (unusual line ends?); nothing was written: edit it by hand",
        ));
    }
    Ok(())
}

fn same_key(r: &TargetRow, dp: &str, scope: &Scope) -> bool {
    r.data_point_id == dp && &r.scope() == scope
}

/// `citybench targets set`: add the row `fields` (or, with `replace`, replace the row of
/// the same key) in the workspace `targets.csv`.
pub fn set(ws: &Workspace, c: Checks<'_>, fields: &RowFields<'_>, replace: bool) -> Result<Change> {
    let row = t::check_row(fields, 0, c.catalog, Some(c.registry), c.groupings)
        .map_err(usage)?
        .expect("an override always has a target");
    let _lock = ws.lock()?;
    let path = ws.root().join(WORKSPACE_FILE);
    let existing = read(&path, c)?;
    let scope = row.scope();
    let dp = row.data_point_id.clone();
    let (mut doc, rows, created) = match &existing {
        Some((text, rows)) => (Doc::new(text), rows.clone(), false),
        None => (Doc::new(&format!("{NEW_HEADER}\n")), Vec::new(), true),
    };
    let before = rows.iter().find(|r| same_key(r, &dp, &scope)).cloned();
    if let Some(b) = &before
        && !replace
    {
        return Err(Error::Usage(format!(
            "{}:{} already has {}: {}; pass --replace to change it",
            path.display(),
            b.line,
            describe(&dp, &scope, c.registry),
            row_text(b)
        )));
    }
    // the columns this row needs
    let mut header = doc.header(&path)?;
    let needed: &[&'static str] = match scope {
        Scope::City(_) => &["city_id"],
        Scope::Group { .. } => &["grouping", "group"],
        Scope::Default => &[],
    };
    let added: Vec<&'static str> = needed
        .iter()
        .copied()
        .filter(|n| !header.iter().any(|h| h == n))
        .collect();
    if !added.is_empty() {
        let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
        doc.add_columns(&added, &lines);
        header = doc.header(&path)?;
    }
    let value = |name: &str| -> String {
        match name {
            "data_point_id" => dp.clone(),
            "target" => fields.target.trim().to_string(),
            "worst" => fields.worst.trim().to_string(),
            "tolerance" => fields.tolerance.trim().to_string(),
            "target_year" => fields.target_year.trim().to_string(),
            "source" => fields.source.trim().to_string(),
            "city_id" => row.city_id.clone().unwrap_or_default(),
            "grouping" => row.grouping.clone().unwrap_or_default(),
            "group" => row.group.clone().unwrap_or_default(),
            _ => String::new(),
        }
    };
    debug_assert!(header.iter().all(|h| COLUMNS.contains(&h.as_str())));
    let record = csv_record(&header.iter().map(|h| value(h)).collect::<Vec<_>>());
    match &before {
        Some(b) => doc.replace(b.line, &record),
        None => doc.append(&record),
    }
    let text = doc.text();
    let mut expected: Vec<Content> = rows.iter().map(content).collect();
    match &before {
        Some(b) => {
            let i = rows
                .iter()
                .position(|r| r.line == b.line)
                .expect("found above");
            expected[i] = content(&row);
        }
        None => expected.push(content(&row)),
    }
    check_outcome(&path, &text, c, &expected)?;
    let after = t::workspace_rows(&text, &path, c.catalog, c.registry, c.groupings)?
        .into_iter()
        .find(|r| same_key(r, &dp, &scope));
    crate::store::atomic_write(&path, text.as_bytes())?;
    Ok(Change {
        path,
        created,
        added_columns: added,
        before,
        after,
    })
}

/// `citybench targets unset`: remove the row of the key in `fields` (data point, and city
/// or grouping and group, or neither for the workspace default).
pub fn unset(ws: &Workspace, c: Checks<'_>, fields: &RowFields<'_>) -> Result<Change> {
    let (dp, scope) = t::check_key(fields, c.catalog, c.registry, c.groupings).map_err(usage)?;
    let _lock = ws.lock()?;
    let path = ws.root().join(WORKSPACE_FILE);
    let Some((text, rows)) = read(&path, c)? else {
        return Err(Error::Usage(format!(
            "{} does not exist or is empty: the workspace has no targets of its own to unset",
            path.display()
        )));
    };
    let Some(before) = rows.iter().find(|r| same_key(r, &dp, &scope)).cloned() else {
        return Err(Error::Usage(format!(
            "{} has no row for {}; nothing to unset",
            path.display(),
            describe(&dp, &scope, c.registry)
        )));
    };
    let mut doc = Doc::new(&text);
    doc.remove(before.line);
    let text = doc.text();
    let expected: Vec<Content> = rows
        .iter()
        .filter(|r| r.line != before.line)
        .map(content)
        .collect();
    check_outcome(&path, &text, c, &expected)?;
    crate::store::atomic_write(&path, text.as_bytes())?;
    Ok(Change {
        path,
        created: false,
        added_columns: Vec::new(),
        before: Some(before),
        after: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The safeguard: rows other than the one edited changed -> refused, nothing written.
    #[test]
    fn an_edit_that_would_touch_other_rows_is_refused() {
        let units = crate::catalog::UnitRegistry::embedded().unwrap();
        let catalog = Catalog::embedded(&units).unwrap();
        let registry = Registry::embedded().unwrap();
        let groupings = vec!["all".to_string()];
        let c = Checks {
            catalog: &catalog,
            registry: &registry,
            groupings: &groupings,
        };
        let p = Path::new("targets.csv");
        let text = "data_point_id,target,worst,tolerance,target_year,source\nEC-ICT-ICT-2C,70,,,,a\nEC-I-WS-3C,15,,,,b\n";
        let rows = t::workspace_rows(text, p, &catalog, &registry, &groupings).unwrap();
        let all: Vec<Content> = rows.iter().map(content).collect();
        check_outcome(p, text, c, &all).unwrap();
        let e = check_outcome(p, text, c, &all[..1])
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "targets.csv: could not edit this file without touching other rows (unusual line ends?); nothing was written: edit it by hand"
        );
    }

    #[test]
    fn records_span_quoted_line_breaks_and_keep_line_ends() {
        let d = Doc::new("\u{feff}a,b\r\n1,\"x\r\ny\"\r\n\r\n2,z");
        assert!(d.bom);
        assert_eq!(d.eol, "\r\n");
        let (s, c, e) = d.record(2);
        assert_eq!(&d.body[s..c], "1,\"x\r\ny\"");
        assert_eq!(&d.body[c..e], "\r\n");
        let (s, c, e) = d.record(5);
        assert_eq!((&d.body[s..c], c, e), ("2,z", d.body.len(), d.body.len()));
        let mut d2 = Doc::new("a,b\r\n1,\"x\r\ny\"\r\n\r\n2,z");
        d2.add_columns(&["c"], &[2, 5]);
        assert_eq!(d2.text(), "a,b,c\r\n1,\"x\r\ny\",\r\n\r\n2,z,");
        d2.append("3,w,");
        assert_eq!(d2.text(), "a,b,c\r\n1,\"x\r\ny\",\r\n\r\n2,z,\r\n3,w,\r\n");
        d2.remove(2);
        assert_eq!(d2.text(), "a,b,c\r\n\r\n2,z,\r\n3,w,\r\n");
        d2.replace(3, "9,q,r");
        assert_eq!(d2.text(), "a,b,c\r\n\r\n9,q,r\r\n3,w,\r\n");
        assert_eq!(
            csv_record(&["a".into(), "b, c".into(), "say \"x\"".into(), String::new()]),
            "a,\"b, c\",\"say \"\"x\"\"\","
        );
    }
}
