//! The targets table (METHODOLOGY section 6): a default per data point from
//! `datasets/catalog/targets.csv` (each citing its source), overridden by a workspace
//! `targets.csv` of the same shape per city (`city_id` column) or per peer group
//! (`grouping` and `group` columns).
//!
//! Every row is checked by [`check_row`], which the file loader ([`parse`]) and
//! `citybench targets set` ([`crate::targets::edit`]) share: the loader names a problem
//! `file:line: column: reason`, the command names the option.

use std::path::Path;

use polars::prelude::*;

use crate::catalog::{Catalog, Direction};
use crate::error::{Error, Result};
use crate::registry::Registry;
use crate::schema::derived as d;

/// The embedded default targets.
pub const EMBEDDED_TARGETS: &str = include_str!("../../datasets/catalog/targets.csv");
/// How the embedded file is named in messages.
pub const EMBEDDED_NAME: &str = "datasets/catalog/targets.csv (embedded)";
/// Name of the workspace overrides file.
pub const WORKSPACE_FILE: &str = "targets.csv";
/// The columns of a targets file: the six every file has, then the override keys.
pub const COLUMNS: [&str; 9] = [
    "data_point_id",
    "target",
    "worst",
    "tolerance",
    "target_year",
    "source",
    "city_id",
    "grouping",
    "group",
];

/// One row of a targets file.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetRow {
    pub line: u64,
    pub data_point_id: String,
    pub city_id: Option<String>,
    pub grouping: Option<String>,
    pub group: Option<String>,
    pub target: f64,
    pub worst: Option<f64>,
    pub tolerance: Option<f64>,
    pub target_year: Option<i32>,
    pub source: String,
    /// From a workspace file (else the embedded defaults).
    pub from_workspace: bool,
}

/// Defaults and overrides, validated.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    pub defaults: Vec<TargetRow>,
    pub city: Vec<TargetRow>,
    pub group: Vec<TargetRow>,
    /// Where the overrides came from, when a workspace file exists.
    pub override_file: Option<String>,
    /// SHA-256 of the workspace file's bytes as read (recorded by `run`, so that
    /// `citybench targets` can tell whether the file changed since).
    pub override_sha256: Option<String>,
}

/// The text fields of one targets row, as written (trimmed).
#[derive(Debug, Clone, Copy, Default)]
pub struct RowFields<'a> {
    pub data_point_id: &'a str,
    pub target: &'a str,
    pub worst: &'a str,
    pub tolerance: &'a str,
    pub target_year: &'a str,
    pub source: &'a str,
    pub city_id: &'a str,
    pub grouping: &'a str,
    pub group: &'a str,
}

/// What is wrong with one row: the column (empty for the row as a whole) and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub field: &'static str,
    pub message: String,
}

impl RowProblem {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        RowProblem {
            field,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

fn num(s: &str, field: &'static str) -> std::result::Result<Option<f64>, RowProblem> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(RowProblem::new(
            field,
            format!("'{s}' is not a number; write a plain decimal such as 0.5 or 100"),
        )),
    }
}

/// `0..100`, `0..` (no maximum): the values a data point can take, for messages.
fn range_text(lo: Option<f64>, hi: Option<f64>) -> String {
    let f = |x: Option<f64>| x.map(crate::ingest::validate::fmt_num).unwrap_or_default();
    format!("{}..{}", f(lo), f(hi))
}

fn unknown_data_point<'c>(
    catalog: &'c Catalog,
    dp_id: &str,
) -> std::result::Result<&'c crate::catalog::DataPoint, RowProblem> {
    catalog.get(dp_id).ok_or_else(|| {
        let hint = catalog
            .suggest(dp_id)
            .map(|s| format!("; did you mean '{s}'?"))
            .unwrap_or_default();
        RowProblem::new(
            "data_point_id",
            format!("unknown data point '{dp_id}'{hint}"),
        )
    })
}

fn unknown_city(registry: &Registry, c: &str) -> std::result::Result<(), RowProblem> {
    if registry.position(c).is_some() {
        return Ok(());
    }
    Err(RowProblem::new(
        "city_id",
        format!("unknown city '{c}'{}", registry.did_you_mean(c)),
    ))
}

fn unconfigured(g: &str, groupings: &[String]) -> std::result::Result<(), RowProblem> {
    if groupings.iter().any(|x| x == g) {
        return Ok(());
    }
    Err(RowProblem::new(
        "grouping",
        format!(
            "'{g}' is not a configured grouping; configured: {}",
            groupings.join(", ")
        ),
    ))
}

/// The key a command line names (`citybench targets unset`): the data point and the scope,
/// checked as [`check_row`] checks them (a known data point, a known city, grouping and
/// group together, a configured grouping), with its messages.
pub fn check_key(
    f: &RowFields<'_>,
    catalog: &Catalog,
    registry: &Registry,
    groupings: &[String],
) -> std::result::Result<(String, Scope), RowProblem> {
    let dp = unknown_data_point(catalog, f.data_point_id.trim())?;
    let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let scope = match (opt(f.city_id), opt(f.grouping), opt(f.group)) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(RowProblem::new(
                "",
                "an override names either a city_id or a grouping and group, not both",
            ));
        }
        (Some(c), None, None) => {
            unknown_city(registry, &c)?;
            Scope::City(c)
        }
        (None, Some(g), Some(n)) => {
            unconfigured(&g, groupings)?;
            Scope::Group {
                grouping: g,
                group: n,
            }
        }
        (None, None, None) => Scope::Default,
        (None, _, _) => {
            return Err(RowProblem::new(
                "grouping and group",
                "give both for a group override, or neither",
            ));
        }
    };
    Ok((dp.data_point_id.clone(), scope))
}

/// Check one row of a targets file and return it (with `line`); `Ok(None)` for a default
/// without a target ("data reported, no target yet"). `registry` is `None` for the
/// default targets, which may not name a city or group. The checks, in order: a known data
/// point; numbers that are finite; a year; a target (an override must give one); no target
/// for a neutral data point; a target band with a tolerance > 0; a tolerance > 0; not both
/// a city and a group; a known city; grouping and group together; a configured grouping; a
/// tolerance only for a target band; no worst goalpost for a target band; target and worst
/// within the data point's hard bounds; the worst goalpost on the worse side of the target;
/// a source.
pub fn check_row(
    f: &RowFields<'_>,
    line: u64,
    catalog: &Catalog,
    registry: Option<&Registry>,
    groupings: &[String],
) -> std::result::Result<Option<TargetRow>, RowProblem> {
    let dp_id = f.data_point_id.trim();
    let dp = unknown_data_point(catalog, dp_id)?;
    let target = num(f.target, "target")?;
    let worst = num(f.worst, "worst")?;
    let tolerance = num(f.tolerance, "tolerance")?;
    let ty = f.target_year.trim();
    let target_year = if ty.is_empty() {
        None
    } else {
        Some(ty.parse::<i32>().map_err(|_| {
            RowProblem::new(
                "target_year",
                format!("'{ty}' is not a year; write e.g. 2030"),
            )
        })?)
    };
    let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let (city_id, grouping, group) = (opt(f.city_id), opt(f.grouping), opt(f.group));
    let Some(target) = target else {
        if city_id.is_some() || grouping.is_some() || registry.is_some() {
            return Err(RowProblem::new(
                "target",
                "empty; an override must give a target value",
            ));
        }
        return Ok(None); // a default with no source: "data reported, no target yet"
    };
    if dp.direction == Direction::Neutral {
        return Err(RowProblem::new(
            "target",
            format!("{dp_id} is neutral (no better direction); neutral data points take no target"),
        ));
    }
    if dp.direction == Direction::TargetBand && !tolerance.is_some_and(|t| t > 0.0) {
        return Err(RowProblem::new(
            "tolerance",
            format!(
                "{dp_id} is a target band and needs a tolerance > 0 (attainment = 1 - |value - target| / tolerance)"
            ),
        ));
    }
    if let Some(t) = tolerance
        && t <= 0.0
    {
        return Err(RowProblem::new(
            "tolerance",
            format!("must be > 0 (got {t})"),
        ));
    }
    if city_id.is_some() && grouping.is_some() {
        return Err(RowProblem::new(
            "",
            "an override names either a city_id or a grouping and group, not both",
        ));
    }
    if let (Some(c), Some(reg)) = (&city_id, registry) {
        unknown_city(reg, c)?;
    }
    if grouping.is_some() != group.is_some() {
        return Err(RowProblem::new(
            "grouping and group",
            "give both for a group override, or neither",
        ));
    }
    if let Some(g) = &grouping {
        unconfigured(g, groupings)?;
    }
    let direction = dp.direction.as_str();
    if tolerance.is_some() && dp.direction != Direction::TargetBand {
        return Err(RowProblem::new(
            "tolerance",
            format!("{dp_id} is {direction}; a tolerance applies only to a target band"),
        ));
    }
    if worst.is_some() && dp.direction == Direction::TargetBand {
        return Err(RowProblem::new(
            "worst",
            format!(
                "{dp_id} is a target band, scored by its tolerance; it takes no worst goalpost"
            ),
        ));
    }
    let within =
        |v: f64| dp.hard_min.is_none_or(|lo| v >= lo) && dp.hard_max.is_none_or(|hi| v <= hi);
    let fmt = crate::ingest::validate::fmt_num;
    for (field, v) in [("target", Some(target)), ("worst", worst)] {
        if let Some(v) = v
            && !within(v)
        {
            return Err(RowProblem::new(
                field,
                format!(
                    "{} is outside the values {dp_id} can take ({} {})",
                    fmt(v),
                    range_text(dp.hard_min, dp.hard_max),
                    dp.canonical_unit
                ),
            ));
        }
    }
    if let Some(w) = worst {
        let (ok, side) = match dp.direction {
            Direction::LowerBetter => (w > target, "above"),
            _ => (w < target, "below"),
        };
        if !ok {
            return Err(RowProblem::new(
                "worst",
                format!(
                    "{dp_id} is {direction}, so the worst goalpost lies {side} the target (got worst {}, target {})",
                    fmt(w),
                    fmt(target)
                ),
            ));
        }
    }
    let source = f.source.trim();
    if source.is_empty() {
        return Err(RowProblem::new(
            "source",
            "missing; a target names its source (a document, article or table, e.g. \"City plan 2030\")",
        ));
    }
    Ok(Some(TargetRow {
        line,
        data_point_id: dp_id.to_string(),
        city_id,
        grouping,
        group,
        target,
        worst,
        tolerance,
        target_year,
        source: source.to_string(),
        from_workspace: registry.is_some(),
    }))
}

/// Parse a targets file. `registry` is `Some` for a workspace file, which may have the
/// `city_id`, `grouping` and `group` columns and must give a target on every row.
pub fn parse(
    text: &str,
    path: &Path,
    catalog: &Catalog,
    registry: Option<&Registry>,
    groupings: &[String],
) -> Result<Vec<TargetRow>> {
    let (mut rdr, headers) = crate::csv_lines::reader(text, path)?;
    let pos = |n: &str| headers.position(n);
    let missing = headers.missing(&COLUMNS[..6]);
    if !missing.is_empty() {
        return Err(Error::input(
            path,
            format!(
                "missing column(s) {}; a targets file has data_point_id,target,worst,tolerance,target_year,source and optionally city_id or grouping,group",
                missing.join(", ")
            ),
        ));
    }
    if let Some(extra) = headers.iter().find(|h| !COLUMNS.contains(&h.as_str())) {
        return Err(Error::input(
            path,
            format!(
                "unknown column '{extra}'; accepted: data_point_id, target, worst, tolerance, target_year, source, city_id, grouping, group"
            ),
        ));
    }
    let (ci, gi, gri) = (pos("city_id"), pos("grouping"), pos("group"));
    if registry.is_none() && (ci.is_some() || gi.is_some()) {
        return Err(Error::input(
            path,
            "the default targets cannot have city_id or grouping columns",
        ));
    }
    if gi.is_some() != gri.is_some() {
        return Err(Error::input(
            path,
            "grouping and group go together: a group override names both",
        ));
    }
    let mut out = Vec::new();
    // the text the reader reads (without a byte-order mark), so that lines are counted on it
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (line, rec) in crate::csv_lines::records(body, &mut rdr) {
        let r = rec.map_err(|e| Error::data(path, line, format!("unreadable row: {e}")))?;
        let get = |p: Option<usize>| p.and_then(|p| r.get(p)).unwrap_or("");
        let fields = RowFields {
            data_point_id: get(pos("data_point_id")),
            target: get(pos("target")),
            worst: get(pos("worst")),
            tolerance: get(pos("tolerance")),
            target_year: get(pos("target_year")),
            source: get(pos("source")),
            city_id: get(ci),
            grouping: get(gi),
            group: get(gri),
        };
        match check_row(&fields, line, catalog, registry, groupings) {
            Ok(Some(row)) => out.push(row),
            Ok(None) => {}
            Err(p) => return Err(Error::data(path, line, p.to_string())),
        }
    }
    Ok(out)
}

/// The key a row overrides: a city, a group, or (neither) the default of its data point.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    Default,
    Group { grouping: String, group: String },
    City(String),
}

impl TargetRow {
    /// What the row applies to.
    pub fn scope(&self) -> Scope {
        match (&self.city_id, &self.grouping, &self.group) {
            (Some(c), _, _) => Scope::City(c.clone()),
            (None, Some(g), Some(n)) => Scope::Group {
                grouping: g.clone(),
                group: n.clone(),
            },
            _ => Scope::Default,
        }
    }
}

/// A workspace targets file checked as `run` checks it: every row ([`parse`]), then the
/// keys: one row per data point and city, per data point and group, per data point
/// without either (a second is an error naming its line).
pub fn workspace_rows(
    text: &str,
    path: &Path,
    catalog: &Catalog,
    registry: &Registry,
    groupings: &[String],
) -> Result<Vec<TargetRow>> {
    let rows = parse(text, path, catalog, Some(registry), groupings)?;
    let mut seen = std::collections::HashSet::new();
    for r in &rows {
        let scope = r.scope();
        if !seen.insert((r.data_point_id.clone(), scope.clone())) {
            let what = match scope {
                Scope::City(_) => "a second target for the same city and data point",
                Scope::Group { .. } => {
                    "a second target for the same grouping, group and data point"
                }
                Scope::Default => "a second default target for the same data point",
            };
            return Err(Error::data(path, r.line, format!("{what}; keep one row")));
        }
    }
    Ok(rows)
}

/// The embedded default targets of `catalog`: none for a user framework (`--catalog`),
/// which need not know the U4SSC data points.
pub fn embedded_defaults(catalog: &Catalog) -> Result<Vec<TargetRow>> {
    parse(
        EMBEDDED_TARGETS,
        Path::new(EMBEDDED_NAME),
        catalog,
        None,
        &[],
    )
    .or_else(|e| {
        if catalog.origin == crate::catalog::EMBEDDED_NAME {
            Err(e)
        } else {
            Ok(Vec::new())
        }
    })
}

impl Targets {
    /// The embedded defaults plus the workspace `targets.csv` overrides, if any. An
    /// override file row without city or group replaces the default of its data point.
    pub fn load(
        root: Option<&Path>,
        catalog: &Catalog,
        registry: &Registry,
        groupings: &[String],
    ) -> Result<Self> {
        let mut defaults = embedded_defaults(catalog)?;
        let mut t = Targets::default();
        if let Some(root) = root {
            let p = root.join(WORKSPACE_FILE);
            if p.exists() {
                // a FIFO, a device or a file over the limit is refused before it is read
                let text = crate::input::read_text(&p, "a CSV file")?;
                for row in workspace_rows(&text, &p, catalog, registry, groupings)? {
                    match row.scope() {
                        Scope::City(_) => t.city.push(row),
                        Scope::Group { .. } => t.group.push(row),
                        Scope::Default => {
                            defaults.retain(|r| r.data_point_id != row.data_point_id);
                            defaults.push(row);
                        }
                    }
                }
                t.override_file = Some(p.display().to_string());
                t.override_sha256 = Some(sha256_hex(text.as_bytes()));
            }
        }
        t.defaults = defaults;
        Ok(t)
    }
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(bytes))
}

fn frame(rows: &[TargetRow], keys: &[&str]) -> Result<DataFrame> {
    let n = rows.len();
    let mut cols = Vec::new();
    for k in keys {
        let v: Vec<Option<&str>> = rows
            .iter()
            .map(|r| match *k {
                d::CITY_ID => r.city_id.as_deref(),
                d::GROUPING => r.grouping.as_deref(),
                d::GROUP => r.group.as_deref(),
                _ => None,
            })
            .collect();
        cols.push(Column::new((*k).into(), v));
    }
    let mut more = vec![
        Column::new(
            d::DATA_POINT_ID.into(),
            rows.iter()
                .map(|r| r.data_point_id.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            d::TARGET.into(),
            rows.iter().map(|r| r.target).collect::<Vec<_>>(),
        ),
        Column::new(
            d::WORST.into(),
            rows.iter().map(|r| r.worst).collect::<Vec<_>>(),
        ),
        Column::new(
            d::TOLERANCE.into(),
            rows.iter().map(|r| r.tolerance).collect::<Vec<_>>(),
        ),
        Column::new(
            d::TARGET_YEAR.into(),
            rows.iter().map(|r| r.target_year).collect::<Vec<_>>(),
        ),
        Column::new(
            d::TARGET_SOURCE.into(),
            rows.iter().map(|r| r.source.as_str()).collect::<Vec<_>>(),
        ),
        // file order decides between two group overrides that both match a city
        Column::new(
            "line".into(),
            rows.iter().map(|r| r.line as i64).collect::<Vec<_>>(),
        ),
    ];
    cols.append(&mut more);
    DataFrame::new(n, cols).map_err(|e| Error::polars("targets", e))
}

impl Targets {
    /// Defaults: data_point_id, target, worst, tolerance, target_year, target_source, line.
    pub fn defaults_frame(&self) -> Result<DataFrame> {
        frame(&self.defaults, &[])
    }
    /// City overrides, keyed by city_id and data_point_id.
    pub fn city_frame(&self) -> Result<DataFrame> {
        frame(&self.city, &[d::CITY_ID])
    }
    /// Group overrides, keyed by grouping, group and data_point_id.
    pub fn group_frame(&self) -> Result<DataFrame> {
        frame(&self.group, &[d::GROUPING, d::GROUP])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::UnitRegistry;

    /// The exact message of every rejection of a workspace targets file.
    #[test]
    fn every_rejection_names_file_line_field_and_reason() {
        let units = UnitRegistry::embedded().unwrap();
        let catalog = Catalog::embedded(&units).unwrap();
        let registry = Registry::embedded().unwrap();
        let groupings = vec!["all".to_string(), "continent".to_string()];
        let p = Path::new("targets.csv");
        let h = "data_point_id,target,worst,tolerance,target_year,source";
        let err = |text: &str| {
            parse(text, p, &catalog, Some(&registry), &groupings)
                .unwrap_err()
                .to_string()
        };
        let cases = [
            (
                "data_point_id,target\n".to_string(),
                "targets.csv: missing column(s) worst, tolerance, target_year, source; a targets file has data_point_id,target,worst,tolerance,target_year,source and optionally city_id or grouping,group",
            ),
            (
                format!("{h},colour\nEC-ICT-ICT-1C,1,,,,s,red\n"),
                "targets.csv: unknown column 'colour'; accepted: data_point_id, target, worst, tolerance, target_year, source, city_id, grouping, group",
            ),
            (
                format!("{h},grouping\n"),
                "targets.csv: grouping and group go together: a group override names both",
            ),
            (
                format!("{h}\nEC-ICT-ICT-1C,95%,,,,s\n"),
                "targets.csv:2: target: '95%' is not a number; write a plain decimal such as 0.5 or 100",
            ),
            (
                // blank lines count: the line is the file's, not the record's number
                format!("{h}\n\nEC-ICT-ICT-1C,100,,,,s\n\r\n\nEC-ICT-ICT-2C,95%,,,,s\n"),
                "targets.csv:6: target: '95%' is not a number; write a plain decimal such as 0.5 or 100",
            ),
            (
                format!("{h}\nEC-ICT-ICT-1C,,,,,s\n"),
                "targets.csv:2: target: empty; an override must give a target value",
            ),
            (
                format!("{h}\nEC-ICT-ICT-1C,100,,,2030x,s\n"),
                "targets.csv:2: target_year: '2030x' is not a year; write e.g. 2030",
            ),
            (
                format!("{h}\nEC-P-EM-3A,5,,,,s\n"),
                "targets.csv:2: target: EC-P-EM-3A is neutral (no better direction); neutral data points take no target",
            ),
            (
                format!("{h}\nEC-ICT-ICT-1C,100,,-1,,s\n"),
                "targets.csv:2: tolerance: must be > 0 (got -1)",
            ),
            (
                format!("{h},city_id,grouping,group\nEC-ICT-ICT-1C,100,,,,s,2660646,all,all\n"),
                "targets.csv:2: an override names either a city_id or a grouping and group, not both",
            ),
            (
                format!("{h},city_id\nEC-ICT-ICT-1C,100,,,,s,nowhere\n"),
                "targets.csv:2: city_id: unknown city 'nowhere'",
            ),
            (
                format!("{h},grouping,group\nEC-ICT-ICT-1C,100,,,,s,continent,\n"),
                "targets.csv:2: grouping and group: give both for a group override, or neither",
            ),
            (
                format!("{h},grouping,group\nEC-ICT-ICT-1C,100,,,,s,economy,developed\n"),
                "targets.csv:2: grouping: 'economy' is not a configured grouping; configured: all, continent",
            ),
            (
                format!("{h}\nEC-ICT-ICT-1C,inf,,,,s\n"),
                "targets.csv:2: target: 'inf' is not a number; write a plain decimal such as 0.5 or 100",
            ),
            (
                format!("{h}\nEC-ICT-ICT-1C,1e999,,,,s\n"),
                "targets.csv:2: target: '1e999' is not a number; write a plain decimal such as 0.5 or 100",
            ),
            (
                format!("{h}\nEC-ICT-ICT-1C,90,,0.5,,s\n"),
                "targets.csv:2: tolerance: EC-ICT-ICT-1C is higher_better; a tolerance applies only to a target band",
            ),
            (
                format!("{h}\nSC-SH-SI-1C,1,0,0.5,,s\n"),
                "targets.csv:2: worst: SC-SH-SI-1C is a target band, scored by its tolerance; it takes no worst goalpost",
            ),
            (
                format!("{h}\nEC-ICT-ICT-1C,120,,,,s\n"),
                "targets.csv:2: target: 120 is outside the values EC-ICT-ICT-1C can take (0..100 pct)",
            ),
            (
                format!("{h}\nEC-ICT-ICT-3C,-5,,,,s\n"),
                "targets.csv:2: target: -5 is outside the values EC-ICT-ICT-3C can take (0.. per_100k_pop)",
            ),
            (
                format!("{h}\nEC-ICT-ICT-1C,90,-1,,,s\n"),
                "targets.csv:2: worst: -1 is outside the values EC-ICT-ICT-1C can take (0..100 pct)",
            ),
            (
                format!("{h}\nEC-ICT-ICT-1C,80,90,,,s\n"),
                "targets.csv:2: worst: EC-ICT-ICT-1C is higher_better, so the worst goalpost lies below the target (got worst 90, target 80)",
            ),
            (
                format!("{h}\nEN-EN-AQ-1C-pm25,5,5,,,s\n"),
                "targets.csv:2: worst: EN-EN-AQ-1C-pm25 is lower_better, so the worst goalpost lies above the target (got worst 5, target 5)",
            ),
            (
                format!("{h}\nEC-ICT-ICT-1C,80,,,2030,\n"),
                "targets.csv:2: source: missing; a target names its source (a document, article or table, e.g. \"City plan 2030\")",
            ),
            (
                format!("{h}\nEC-ICT-ICT-1C,80,,,2030,\"  \"\n"),
                "targets.csv:2: source: missing; a target names its source (a document, article or table, e.g. \"City plan 2030\")",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(err(&text), expected, "{text}");
        }
        // the default targets may not carry override columns
        let e = parse(&format!("{h},city_id\n"), p, &catalog, None, &groupings)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "targets.csv: the default targets cannot have city_id or grouping columns"
        );
        // a repeated key in the workspace file
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("targets.csv"),
            format!("{h},city_id\nEC-ICT-ICT-1C,90,,,,a,2660646\nEC-ICT-ICT-1C,80,,,,b,2660646\n"),
        )
        .unwrap();
        let e = Targets::load(Some(d.path()), &catalog, &registry, &groupings)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            format!(
                "{}:3: a second target for the same city and data point; keep one row",
                d.path().join("targets.csv").display()
            )
        );
        // two workspace defaults of one data point: the second no longer wins silently
        std::fs::write(
            d.path().join("targets.csv"),
            format!("{h}\nEC-ICT-ICT-1C,90,,,,a\n\nEC-ICT-ICT-1C,80,,,,b\n"),
        )
        .unwrap();
        let e = Targets::load(Some(d.path()), &catalog, &registry, &groupings)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            format!(
                "{}:4: a second default target for the same data point; keep one row",
                d.path().join("targets.csv").display()
            )
        );
        // the same group twice
        std::fs::write(
            d.path().join("targets.csv"),
            format!(
                "{h},grouping,group\nEC-ICT-ICT-1C,90,,,,a,continent,Europe\nEC-ICT-ICT-1C,80,,,,b,continent,Europe\n"
            ),
        )
        .unwrap();
        let e = Targets::load(Some(d.path()), &catalog, &registry, &groupings)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            format!(
                "{}:3: a second target for the same grouping, group and data point; keep one row",
                d.path().join("targets.csv").display()
            )
        );
        // a byte-order mark: lines are still the file's
        std::fs::write(
            d.path().join("targets.csv"),
            format!("\u{feff}{h}\n\nEC-ICT-ICT-1C,95%,,,,s\n"),
        )
        .unwrap();
        let e = Targets::load(Some(d.path()), &catalog, &registry, &groupings)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            format!(
                "{}:3: target: '95%' is not a number; write a plain decimal such as 0.5 or 100",
                d.path().join("targets.csv").display()
            )
        );
    }

    /// Target, worst and tolerance of a row against the rules of TARGETS.md, with the data
    /// point's hard bounds; `what` names the file in the message.
    fn check_row(catalog: &Catalog, r: &TargetRow, what: &str) {
        let id = &r.data_point_id;
        let dp = catalog.get(id).unwrap();
        assert!(
            !r.source.trim().is_empty(),
            "{what} {id}: a target without a source"
        );
        assert!(
            r.target_year.is_some() || r.source.contains("no target year set by the source"),
            "{what} {id}: no target_year and no note that the source sets none"
        );
        assert_ne!(
            dp.direction,
            Direction::Neutral,
            "{what} {id}: neutral with a target"
        );
        let within =
            |v: f64| dp.hard_min.is_none_or(|lo| v >= lo) && dp.hard_max.is_none_or(|hi| v <= hi);
        assert!(
            within(r.target),
            "{what} {id}: target {} outside the hard bounds {:?}..{:?}",
            r.target,
            dp.hard_min,
            dp.hard_max
        );
        if let Some(w) = r.worst {
            assert!(within(w), "{what} {id}: worst {w} outside the hard bounds");
            match dp.direction {
                Direction::HigherBetter => {
                    assert!(w < r.target, "{what} {id}: worst {w} >= target")
                }
                Direction::LowerBetter => assert!(w > r.target, "{what} {id}: worst {w} <= target"),
                _ => panic!("{what} {id}: a worst goalpost on a target band"),
            }
        }
        if dp.direction == Direction::LowerBetter && r.target == 0.0 {
            assert!(
                r.worst.is_some(),
                "{what} {id}: lower_better target 0 needs a worst"
            );
        }
        if dp.direction == Direction::TargetBand {
            assert!(
                r.tolerance.is_some_and(|t| t > 0.0),
                "{what} {id}: target band without a tolerance"
            );
        } else {
            assert!(
                r.tolerance.is_none(),
                "{what} {id}: tolerance outside a target band"
            );
        }
    }

    /// The number after `marker` in TARGETS.md, e.g. "## Targets set (36 of 113)".
    fn count_in_targets_md(marker: &str) -> usize {
        let md = include_str!("../../datasets/catalog/TARGETS.md");
        md.split(marker)
            .nth(1)
            .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("TARGETS.md has no '{marker}N' count"))
    }

    /// The embedded defaults: every data point once in catalogue order, every target sourced
    /// (with a year or a note that the source sets none), no neutral target, targets and
    /// worst goalposts inside the hard bounds, a worst for every lower_better target of 0, a
    /// tolerance for every target band, and the count TARGETS.md states.
    #[test]
    fn embedded_defaults_are_sourced_and_consistent() {
        let units = UnitRegistry::embedded().unwrap();
        let catalog = Catalog::embedded(&units).unwrap();
        let mut lines = EMBEDDED_TARGETS.lines().filter(|l| !l.trim().is_empty());
        assert_eq!(
            lines.next(),
            Some("data_point_id,target,worst,tolerance,target_year,source")
        );
        let fields: Vec<(&str, &str)> = lines
            .map(|l| {
                let mut f = l.split(',');
                (f.next().unwrap(), f.next().unwrap_or(""))
            })
            .collect();
        let ids: Vec<&str> = fields.iter().map(|(id, _)| *id).collect();
        let order: Vec<&str> = catalog
            .data_points()
            .iter()
            .map(|d| d.data_point_id.as_str())
            .collect();
        assert_eq!(
            ids, order,
            "targets.csv must list all data points in catalogue order"
        );
        for (id, target) in &fields {
            if catalog.get(id).unwrap().direction == Direction::Neutral {
                assert!(target.is_empty(), "{id} is neutral and has a target");
            }
        }
        let rows = parse(
            EMBEDDED_TARGETS,
            Path::new(EMBEDDED_NAME),
            &catalog,
            None,
            &[],
        )
        .unwrap();
        for r in &rows {
            check_row(&catalog, r, "targets.csv");
        }
        assert_eq!(
            rows.len(),
            count_in_targets_md("## Targets set ("),
            "the number of default targets differs from TARGETS.md"
        );
    }

    /// The opt-in EU file parses as group overrides for grouping `eu`, group `EU`, follows the
    /// same rules and has the row count TARGETS.md states.
    #[test]
    fn eu_targets_are_valid_group_overrides() {
        let units = UnitRegistry::embedded().unwrap();
        let catalog = Catalog::embedded(&units).unwrap();
        let registry = Registry::embedded().unwrap();
        let text = include_str!("../../datasets/catalog/targets_eu.csv");
        let p = Path::new("datasets/catalog/targets_eu.csv");
        let rows = parse(text, p, &catalog, Some(&registry), &["eu".to_string()]).unwrap();
        let mut seen = std::collections::HashSet::new();
        for r in &rows {
            assert_eq!(
                (r.grouping.as_deref(), r.group.as_deref()),
                (Some("eu"), Some("EU"))
            );
            assert!(r.city_id.is_none());
            assert!(
                seen.insert(r.data_point_id.clone()),
                "{} twice",
                r.data_point_id
            );
            check_row(&catalog, r, "targets_eu.csv");
        }
        assert_eq!(rows.len(), count_in_targets_md("(`targets_eu.csv`, "));
    }
}
