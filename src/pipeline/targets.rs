//! The targets table (METHODOLOGY section 6): a default per data point from
//! `datasets/catalog/targets.csv` (each citing its source), overridden by a workspace
//! `targets.csv` of the same shape per city (`city_id` column) or per peer group
//! (`grouping` and `group` columns).

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
}

/// Defaults and overrides, validated.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    pub defaults: Vec<TargetRow>,
    pub city: Vec<TargetRow>,
    pub group: Vec<TargetRow>,
    /// Where the overrides came from, when a workspace file exists.
    pub override_file: Option<String>,
}

fn num(s: &str, path: &Path, line: u64, field: &str) -> Result<Option<f64>> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(Error::data(
            path,
            line,
            format!("{field}: '{s}' is not a number; write a plain decimal such as 0.5 or 100"),
        )),
    }
}

/// Parse a targets file. `overrides` allows the `city_id`, `grouping` and `group` columns.
pub fn parse(
    text: &str,
    path: &Path,
    catalog: &Catalog,
    registry: Option<&Registry>,
    groupings: &[String],
) -> Result<Vec<TargetRow>> {
    let (mut rdr, headers) = crate::registry::csv_reader(text, path)?;
    let pos = |n: &str| headers.iter().position(|h| h == n);
    const REQUIRED: [&str; 6] = [
        "data_point_id",
        "target",
        "worst",
        "tolerance",
        "target_year",
        "source",
    ];
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|c| pos(c).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(Error::input(
            path,
            format!(
                "missing column(s) {}; a targets file has data_point_id,target,worst,tolerance,target_year,source and optionally city_id or grouping,group",
                missing.join(", ")
            ),
        ));
    }
    let known = |c: &str| REQUIRED.contains(&c) || ["city_id", "grouping", "group"].contains(&c);
    if let Some(extra) = headers.iter().find(|h| !known(h)) {
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
    for (line, rec) in crate::csv_lines::records(text, &mut rdr) {
        let r = rec.map_err(|e| Error::data(path, line, format!("unreadable row: {e}")))?;
        let get = |p: Option<usize>| p.and_then(|p| r.get(p)).unwrap_or("").trim().to_string();
        let dp_id = get(pos("data_point_id"));
        let Some(dp) = catalog.get(&dp_id) else {
            let hint = catalog
                .suggest(&dp_id)
                .map(|s| format!("; did you mean '{s}'?"))
                .unwrap_or_default();
            return Err(Error::data(
                path,
                line,
                format!("data_point_id: unknown data point '{dp_id}'{hint}"),
            ));
        };
        let target = num(&get(pos("target")), path, line, "target")?;
        let worst = num(&get(pos("worst")), path, line, "worst")?;
        let tolerance = num(&get(pos("tolerance")), path, line, "tolerance")?;
        let ty = get(pos("target_year"));
        let target_year = if ty.is_empty() {
            None
        } else {
            Some(ty.parse::<i32>().map_err(|_| {
                Error::data(
                    path,
                    line,
                    format!("target_year: '{ty}' is not a year; write e.g. 2030"),
                )
            })?)
        };
        let city_id = Some(get(ci)).filter(|s| !s.is_empty());
        let grouping = Some(get(gi)).filter(|s| !s.is_empty());
        let group = Some(get(gri)).filter(|s| !s.is_empty());
        let Some(target) = target else {
            if city_id.is_some() || grouping.is_some() || registry.is_some() {
                return Err(Error::data(
                    path,
                    line,
                    "target: empty; an override must give a target value",
                ));
            }
            continue; // a default with no source: "data reported, no target yet"
        };
        if dp.direction == Direction::Neutral {
            return Err(Error::data(
                path,
                line,
                format!(
                    "target: {dp_id} is neutral (no better direction); neutral data points take no target"
                ),
            ));
        }
        if dp.direction == Direction::TargetBand && !tolerance.is_some_and(|t| t > 0.0) {
            return Err(Error::data(
                path,
                line,
                format!(
                    "tolerance: {dp_id} is a target band and needs a tolerance > 0 (attainment = 1 - |value - target| / tolerance)"
                ),
            ));
        }
        if let Some(t) = tolerance
            && t <= 0.0
        {
            return Err(Error::data(
                path,
                line,
                format!("tolerance: must be > 0 (got {t})"),
            ));
        }
        if city_id.is_some() && grouping.is_some() {
            return Err(Error::data(
                path,
                line,
                "an override names either a city_id or a grouping and group, not both",
            ));
        }
        if let (Some(c), Some(reg)) = (&city_id, registry)
            && reg.position(c).is_none()
        {
            let hint = reg.did_you_mean(c);
            return Err(Error::data(
                path,
                line,
                format!("city_id: unknown city '{c}'{hint}"),
            ));
        }
        if grouping.is_some() != group.is_some() {
            return Err(Error::data(
                path,
                line,
                "grouping and group: give both for a group override, or neither",
            ));
        }
        if let Some(g) = &grouping
            && !groupings.contains(g)
        {
            return Err(Error::data(
                path,
                line,
                format!(
                    "grouping: '{g}' is not a configured grouping; configured: {}",
                    groupings.join(", ")
                ),
            ));
        }
        out.push(TargetRow {
            line,
            data_point_id: dp_id,
            city_id,
            grouping,
            group,
            target,
            worst,
            tolerance,
            target_year,
            source: get(pos("source")),
        });
    }
    Ok(out)
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
        let mut defaults = parse(
            EMBEDDED_TARGETS,
            Path::new(EMBEDDED_NAME),
            catalog,
            None,
            groupings,
        )
        .or_else(|e| {
            // a user framework (--catalog) need not know the U4SSC data points
            if catalog.origin == crate::catalog::EMBEDDED_NAME {
                Err(e)
            } else {
                Ok(Vec::new())
            }
        })?;
        let mut t = Targets::default();
        if let Some(root) = root {
            let p = root.join("targets.csv");
            if p.exists() {
                let text = crate::input::read_text(&p, "a CSV file")?;
                for row in parse(&text, &p, catalog, Some(registry), groupings)? {
                    if row.city_id.is_some() {
                        t.city.push(row);
                    } else if row.grouping.is_some() {
                        t.group.push(row);
                    } else {
                        defaults.retain(|r| r.data_point_id != row.data_point_id);
                        defaults.push(row);
                    }
                }
                t.override_file = Some(p.display().to_string());
            }
        }
        let dup = |rows: &[TargetRow], key: &dyn Fn(&TargetRow) -> String| -> Option<u64> {
            let mut seen = std::collections::HashSet::new();
            rows.iter().find(|r| !seen.insert(key(r))).map(|r| r.line)
        };
        let file = t.override_file.clone().unwrap_or_default();
        if let Some(line) = dup(&t.city, &|r| format!("{:?}{}", r.city_id, r.data_point_id)) {
            return Err(Error::data(
                &file,
                line,
                "a second target for the same city and data point; keep one row",
            ));
        }
        if let Some(line) = dup(&t.group, &|r| {
            format!("{:?}{:?}{}", r.grouping, r.group, r.data_point_id)
        }) {
            return Err(Error::data(
                &file,
                line,
                "a second target for the same grouping, group and data point; keep one row",
            ));
        }
        t.defaults = defaults;
        Ok(t)
    }
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

    /// The number after `marker` in TARGETS.md, e.g. "## Targets set (36 of 112)".
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
