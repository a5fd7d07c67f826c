//! The ITU-T Y.4904 performance matrix (METHODOLOGY section 8): per data point, interim
//! target values for maturity levels 2..5 (level 1 = a baseline value exists), set in a
//! workspace `maturity_matrix.csv`: a row without `city_id` for every city, a row with one
//! for that city only (Y.4904 step 3). There is no default matrix file: where no row
//! applies, the level follows the attainment reference ([`super::levels`]). Y.4904's own
//! example values and the WHO interim targets ship as an opt-in sample,
//! `datasets/catalog/maturity_matrix_y4904_sample.csv` (built by `build_maturity.py`), to
//! copy into a workspace as `maturity_matrix.csv`.
//!
//! A cell is a number in the data point's canonical unit, or `-` when that level has no
//! target (the level is then skipped). Targets must be monotone in the data point's
//! direction: each level's target at least as demanding as the one below.

use std::path::Path;

use polars::prelude::*;

use crate::catalog::{Catalog, Direction};
use crate::error::{Error, Result};
use crate::registry::Registry;
use crate::schema::derived as d;

/// The workspace file with the city's and the workspace's own interim targets.
pub const WORKSPACE_FILE: &str = "maturity_matrix.csv";
/// The opt-in sample (Y.4904's example rows and the WHO interim targets), in the repository.
pub const SAMPLE_FILE: &str = "datasets/catalog/maturity_matrix_y4904_sample.csv";
/// The level columns, level 2 first.
pub const LEVEL_COLUMNS: [&str; 4] = [d::LEVEL_2, d::LEVEL_3, d::LEVEL_4, d::LEVEL_5];

/// Names of the Y.4904 maturity levels 0..5.
pub const LEVEL_NAMES: [&str; 6] = [
    "pre-maturity",
    "Planning",
    "Alignment",
    "Development",
    "Integration",
    "Optimization",
];

/// One row of a matrix file.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixRow {
    pub line: u64,
    pub data_point_id: String,
    pub city_id: Option<String>,
    /// Targets of levels 2, 3, 4, 5 (None = `-`, no target at that level).
    pub levels: [Option<f64>; 4],
    pub source: String,
}

/// The workspace's rows (for every city) and the per-city rows, validated.
#[derive(Debug, Clone, Default)]
pub struct Matrix {
    pub workspace: Vec<MatrixRow>,
    pub city: Vec<MatrixRow>,
    /// The workspace file, when one exists.
    pub override_file: Option<String>,
}

const HEADER_HELP: &str = "a maturity matrix has data_point_id,level_2,level_3,level_4,level_5,source (and, in a workspace, optionally city_id)";

/// Parse a matrix file; `registry` is given for a workspace file (which may have `city_id`).
pub fn parse(
    text: &str,
    path: &Path,
    catalog: &Catalog,
    registry: Option<&Registry>,
) -> Result<Vec<MatrixRow>> {
    let (mut rdr, headers) = crate::csv_lines::reader(text, path)?;
    let pos = |n: &str| headers.position(n);
    let required = [
        d::DATA_POINT_ID,
        d::LEVEL_2,
        d::LEVEL_3,
        d::LEVEL_4,
        d::LEVEL_5,
        "source",
    ];
    let missing = headers.missing(&required);
    if !missing.is_empty() {
        return Err(Error::input(
            path,
            format!("missing column(s) {}; {HEADER_HELP}", missing.join(", ")),
        ));
    }
    if let Some(extra) = headers
        .iter()
        .find(|h| !required.contains(&h.as_str()) && h.as_str() != d::CITY_ID)
    {
        return Err(Error::input(
            path,
            format!("unknown column '{extra}'; {HEADER_HELP}"),
        ));
    }
    let ci = pos(d::CITY_ID);
    if ci.is_some() && registry.is_none() {
        return Err(Error::input(
            path,
            "a sample matrix cannot have a city_id column",
        ));
    }
    let mut out: Vec<MatrixRow> = Vec::new();
    for (line, rec) in crate::csv_lines::records(text, &mut rdr) {
        let r = rec.map_err(|e| Error::data(path, line, format!("unreadable row: {e}")))?;
        let get = |p: Option<usize>| p.and_then(|p| r.get(p)).unwrap_or("").trim().to_string();
        let dp_id = get(pos(d::DATA_POINT_ID));
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
        let higher = match dp.direction {
            Direction::HigherBetter => true,
            Direction::LowerBetter => false,
            other => {
                return Err(Error::data(
                    path,
                    line,
                    format!(
                        "data_point_id: {dp_id} is {}; a maturity level needs a better direction (higher_better or lower_better)",
                        other.as_str()
                    ),
                ));
            }
        };
        let mut levels = [None; 4];
        for (k, name) in LEVEL_COLUMNS.iter().enumerate() {
            let cell = get(pos(name));
            levels[k] = match cell.as_str() {
                "-" | "\u{2013}" => None,
                "" => {
                    return Err(Error::data(
                        path,
                        line,
                        format!(
                            "{name}: empty; write a target value in {} or - for no target at this level",
                            dp.canonical_unit
                        ),
                    ));
                }
                s => match s.parse::<f64>() {
                    Ok(v) if v.is_finite() => Some(v),
                    _ => {
                        return Err(Error::data(
                            path,
                            line,
                            format!(
                                "{name}: '{s}' is not a number; write a plain decimal such as 40 or 0.5, or - for no target at this level"
                            ),
                        ));
                    }
                },
            };
        }
        // monotone in the direction: compare each target with the nearest one below it
        let mut below: Option<(usize, f64)> = None;
        for (k, t) in levels.iter().enumerate() {
            let Some(t) = *t else { continue };
            if let Some((j, b)) = below {
                let weaker = if higher { t < b } else { t > b };
                if weaker {
                    let (cmp, dir) = if higher {
                        ("at least", "higher_better")
                    } else {
                        ("at most", "lower_better")
                    };
                    return Err(Error::data(
                        path,
                        line,
                        format!(
                            "{}: {} is weaker than {}'s {} for {dp_id} ({dir}: each level's target must be {cmp} the one of the level below)",
                            LEVEL_COLUMNS[k],
                            crate::numfmt::fmt_num(t, 12),
                            LEVEL_COLUMNS[j],
                            crate::numfmt::fmt_num(b, 12)
                        ),
                    ));
                }
            }
            below = Some((k, t));
        }
        let city_id = Some(get(ci)).filter(|s| !s.is_empty());
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
        if let Some(prev) = out
            .iter()
            .find(|p| p.data_point_id == dp_id && p.city_id == city_id)
        {
            return Err(Error::data(
                path,
                line,
                format!(
                    "a second row for {dp_id}{} (first on line {}); keep one row",
                    city_id
                        .as_deref()
                        .map(|c| format!(" and city {c}"))
                        .unwrap_or_default(),
                    prev.line
                ),
            ));
        }
        out.push(MatrixRow {
            line,
            data_point_id: dp_id,
            city_id,
            levels,
            source: get(pos("source")),
        });
    }
    Ok(out)
}

impl Matrix {
    /// The workspace `maturity_matrix.csv`, if any (none: every level follows the
    /// attainment reference).
    pub fn load(root: Option<&Path>, catalog: &Catalog, registry: &Registry) -> Result<Self> {
        let mut m = Matrix::default();
        if let Some(root) = root {
            let p = root.join(WORKSPACE_FILE);
            if p.exists() {
                let text = crate::input::read_text(&p, "a CSV file")?;
                for row in parse(&text, &p, catalog, Some(registry))? {
                    if row.city_id.is_some() {
                        m.city.push(row);
                    } else {
                        m.workspace.push(row);
                    }
                }
                m.override_file = Some(p.display().to_string());
            }
        }
        Ok(m)
    }

    /// Rows for every city: data_point_id, level_2..level_5, matrix_source.
    pub fn workspace_frame(&self) -> Result<DataFrame> {
        frame(&self.workspace, false)
    }

    /// Per-city rows: city_id, data_point_id, level_2..level_5, matrix_source.
    pub fn city_frame(&self) -> Result<DataFrame> {
        frame(&self.city, true)
    }
}

/// A row's `matrix_source`: the file and the row's own source.
fn source_of(r: &MatrixRow) -> String {
    if r.source.is_empty() {
        WORKSPACE_FILE.to_string()
    } else {
        format!("{WORKSPACE_FILE}: {}", r.source)
    }
}

fn frame(rows: &[MatrixRow], with_city: bool) -> Result<DataFrame> {
    let mut cols = Vec::new();
    if with_city {
        cols.push(Column::new(
            d::CITY_ID.into(),
            rows.iter()
                .map(|r| r.city_id.as_deref().unwrap_or(""))
                .collect::<Vec<_>>(),
        ));
    }
    cols.push(Column::new(
        d::DATA_POINT_ID.into(),
        rows.iter()
            .map(|r| r.data_point_id.as_str())
            .collect::<Vec<_>>(),
    ));
    for (k, name) in LEVEL_COLUMNS.iter().enumerate() {
        cols.push(Column::new(
            (*name).into(),
            rows.iter().map(|r| r.levels[k]).collect::<Vec<_>>(),
        ));
    }
    cols.push(Column::new(
        d::MATRIX_SOURCE.into(),
        rows.iter().map(source_of).collect::<Vec<_>>(),
    ));
    DataFrame::new(rows.len(), cols).map_err(|e| Error::polars("maturity matrix", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::UnitRegistry;

    fn inputs() -> (Catalog, Registry) {
        let units = UnitRegistry::embedded().unwrap();
        (
            Catalog::embedded(&units).unwrap(),
            Registry::embedded().unwrap(),
        )
    }

    /// The opt-in sample: Y.4904's two example rows and the three WHO air quality rows.
    #[test]
    fn the_sample_matrix_is_valid_and_sourced() {
        let (catalog, _) = inputs();
        let text = include_str!("../../datasets/catalog/maturity_matrix_y4904_sample.csv");
        let rows = parse(text, Path::new(SAMPLE_FILE), &catalog, None).unwrap();
        assert_eq!(rows.len(), 5);
        assert!(rows.iter().all(|r| !r.source.is_empty()));
        let internet = rows
            .iter()
            .find(|r| r.data_point_id == "EC-ICT-ICT-1C")
            .unwrap();
        assert_eq!(
            internet.levels,
            [Some(30.0), Some(40.0), Some(60.0), Some(80.0)]
        );
        let outage = rows
            .iter()
            .find(|r| r.data_point_id == "EC-I-ES-2C")
            .unwrap();
        assert_eq!(outage.levels, [None, Some(30.0), Some(25.0), Some(15.0)]);
    }

    /// The exact message of every rejection of a workspace matrix file.
    #[test]
    fn every_rejection_names_file_line_field_and_reason() {
        let (catalog, registry) = inputs();
        let p = Path::new("maturity_matrix.csv");
        let h = "data_point_id,level_2,level_3,level_4,level_5,source";
        let err = |text: &str| {
            parse(text, p, &catalog, Some(&registry))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(&format!("{h}\nEC-ICT-ICT-1C,30,25,60,80,plan\n")),
            "maturity_matrix.csv:2: level_3: 25 is weaker than level_2's 30 for EC-ICT-ICT-1C (higher_better: each level's target must be at least the one of the level below)"
        );
        assert_eq!(
            err(&format!("{h}\nEC-I-ES-2C,-,30,35,15,plan\n")),
            "maturity_matrix.csv:2: level_4: 35 is weaker than level_3's 30 for EC-I-ES-2C (lower_better: each level's target must be at most the one of the level below)"
        );
        assert_eq!(
            err(&format!("{h}\nEC-ICT-ICT-1C,30,-,20,80,plan\n")),
            "maturity_matrix.csv:2: level_4: 20 is weaker than level_2's 30 for EC-ICT-ICT-1C (higher_better: each level's target must be at least the one of the level below)"
        );
        assert_eq!(
            err(&format!("{h}\nEC-ICT-ICT-1C,30,,60,80,plan\n")),
            "maturity_matrix.csv:2: level_3: empty; write a target value in pct or - for no target at this level"
        );
        assert_eq!(
            err(&format!("{h}\nEC-ICT-ICT-1C,30,4O,60,80,plan\n")),
            "maturity_matrix.csv:2: level_3: '4O' is not a number; write a plain decimal such as 40 or 0.5, or - for no target at this level"
        );
        assert_eq!(
            err(&format!("{h}\nEC-ICT-ICT-1X,30,40,60,80,plan\n")),
            "maturity_matrix.csv:2: data_point_id: unknown data point 'EC-ICT-ICT-1X'; did you mean 'EC-ICT-ICT-1C'?"
        );
        assert_eq!(
            err(&format!("{h}\nEC-I-T-4A-para,1,2,3,4,plan\n")),
            "maturity_matrix.csv:2: data_point_id: EC-I-T-4A-para is neutral; a maturity level needs a better direction (higher_better or lower_better)"
        );
        assert_eq!(
            err(&format!(
                "{h},city_id\nEC-ICT-ICT-1C,30,40,60,80,plan,nowhere\n"
            )),
            "maturity_matrix.csv:2: city_id: unknown city 'nowhere'"
        );
        assert_eq!(
            err(&format!(
                "{h}\nEC-ICT-ICT-1C,30,40,60,80,plan\nEC-ICT-ICT-1C,30,40,60,90,plan\n"
            )),
            "maturity_matrix.csv:3: a second row for EC-ICT-ICT-1C (first on line 2); keep one row"
        );
        assert_eq!(
            err("data_point_id,level_2,level_3,level_5,source\n"),
            "maturity_matrix.csv: missing column(s) level_4; a maturity matrix has data_point_id,level_2,level_3,level_4,level_5,source (and, in a workspace, optionally city_id)"
        );
        assert_eq!(
            err(&format!("{h},level_6\n")),
            "maturity_matrix.csv: unknown column 'level_6'; a maturity matrix has data_point_id,level_2,level_3,level_4,level_5,source (and, in a workspace, optionally city_id)"
        );
        // equal neighbours and skipped levels are fine
        let ok = parse(
            &format!("{h},city_id\nEC-ICT-ICT-1C,30,30,-,80,plan,2660646\n"),
            p,
            &catalog,
            Some(&registry),
        )
        .unwrap();
        assert_eq!(ok[0].levels, [Some(30.0), Some(30.0), None, Some(80.0)]);
        assert_eq!(ok[0].city_id.as_deref(), Some("2660646"));
    }
}
