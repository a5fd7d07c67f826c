//! The KPI catalogue: 91 U4SSC KPIs in 113 data points (ITU-T Y.4903), as data.
//!
//! The default catalogue is `datasets/catalog/u4ssc_kpis.csv`, embedded in the binary so the
//! tool works from any directory. A user framework of the same shape replaces it with
//! `--catalog FILE`. Required columns for a user framework: `data_point_id`, `name`,
//! `dimension`, `canonical_unit`, `direction`; every other column may be absent or empty.
//! The hierarchy is dimension > sub-dimension > category > KPI > data point; the grain is
//! the data point.

pub mod plausible;
pub mod units;

use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::schema::catalog as col;
pub use units::{CanonicalUnit, Spelling, UnitRegistry};

/// The embedded U4SSC catalogue.
pub const EMBEDDED_CATALOG: &str = include_str!("../../datasets/catalog/u4ssc_kpis.csv");
/// How the embedded catalogue is named in messages and provenance.
pub const EMBEDDED_NAME: &str = "datasets/catalog/u4ssc_kpis.csv (embedded)";
/// Version label of the embedded catalogue, printed by `citybench --version` and written into
/// Excel templates. Bump it whenever `datasets/catalog/u4ssc_kpis.csv` changes a data point's
/// id, canonical unit or direction: a unit test pins [`Catalog::fingerprint`] of the
/// embedded catalogue, so a change without a bump fails the tests.
pub const EMBEDDED_VERSION: &str = crate::catalog_version!();

/// The embedded catalogue's version as a literal (for `concat!` in `--version`).
#[macro_export]
macro_rules! catalog_version {
    () => {
        "u4ssc-y4903-r2"
    };
}

/// Which way is better for a data point (METHODOLOGY section 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    HigherBetter,
    LowerBetter,
    Neutral,
    TargetBand,
}

impl Direction {
    /// Parse the catalogue spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "higher_better" => Some(Self::HigherBetter),
            "lower_better" => Some(Self::LowerBetter),
            "neutral" => Some(Self::Neutral),
            "target_band" => Some(Self::TargetBand),
            _ => None,
        }
    }

    /// The catalogue spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HigherBetter => "higher_better",
            Self::LowerBetter => "lower_better",
            Self::Neutral => "neutral",
            Self::TargetBand => "target_band",
        }
    }
}

/// One data point (the catalogue's grain) with its KPI and hierarchy.
#[derive(Debug, Clone, Serialize)]
pub struct DataPoint {
    pub data_point_id: String,
    pub kpi_id: String,
    pub kpi_code: String,
    pub name: String,
    pub data_point: String,
    pub dimension: String,
    pub sub_dimension: String,
    pub category: String,
    pub tier: String,
    pub kind: String,
    /// The unit as ITU documents display it (may be empty).
    pub unit: String,
    pub canonical_unit: String,
    pub direction: Direction,
    pub direction_source: String,
    pub sdg_refs: String,
    pub plausible_min: Option<f64>,
    pub plausible_max: Option<f64>,
    pub hard_min: Option<f64>,
    pub hard_max: Option<f64>,
    pub consistency_rule: String,
    pub sum_group: String,
    pub value_type: String,
    pub summary: String,
    pub source_page: String,
}

impl DataPoint {
    /// Name with the data point qualifier, e.g. "Air Pollution: PM10".
    pub fn full_name(&self) -> String {
        if self.data_point.is_empty() {
            self.name.clone()
        } else {
            format!("{}: {}", self.name, self.data_point)
        }
    }

    /// Whether values are yes/no.
    pub fn is_boolean(&self) -> bool {
        self.value_type == "boolean" || self.canonical_unit == "bool"
    }
}

/// The loaded catalogue.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// Where it came from (a path or [`EMBEDDED_NAME`]).
    pub origin: String,
    data_points: Vec<DataPoint>,
    index: rustc_hash::FxHashMap<String, usize>,
}

impl Catalog {
    /// The embedded U4SSC catalogue, checked against `units`.
    pub fn embedded(units: &UnitRegistry) -> Result<Self> {
        Self::parse(EMBEDDED_CATALOG, Path::new(EMBEDDED_NAME), units)
    }

    /// A user framework file of the same shape.
    pub fn from_path(path: &Path, units: &UnitRegistry) -> Result<Self> {
        let text = crate::input::read_text(path, "a catalogue CSV file")?;
        let mut c = Self::parse(&text, path, units)?;
        c.origin = path.display().to_string();
        Ok(c)
    }

    /// Whether this is the embedded U4SSC catalogue.
    pub fn is_embedded(&self) -> bool {
        self.origin == EMBEDDED_NAME
    }

    /// The version label: [`EMBEDDED_VERSION`] for the embedded catalogue, else the file
    /// name of the user framework.
    pub fn version(&self) -> String {
        if self.is_embedded() {
            EMBEDDED_VERSION.to_string()
        } else {
            Path::new(&self.origin)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| self.origin.clone())
        }
    }

    /// What identifies the catalogue's data contract: SHA-256 (first 12 hex digits) over
    /// each data point's id, canonical unit and direction, in catalogue order. Two
    /// catalogues with the same fingerprint accept the same submissions.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for dp in &self.data_points {
            h.update(dp.data_point_id.as_bytes());
            h.update([0x1f]);
            h.update(dp.canonical_unit.as_bytes());
            h.update([0x1f]);
            h.update(dp.direction.as_str().as_bytes());
            h.update([0x1e]);
        }
        h.finalize()[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The embedded catalogue, or `path` when given.
    pub fn load(path: Option<&Path>, units: &UnitRegistry) -> Result<Self> {
        match path {
            Some(p) => Self::from_path(p, units),
            None => Self::embedded(units),
        }
    }

    /// Parse catalogue CSV text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path, units: &UnitRegistry) -> Result<Self> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let (mut rdr, headers) = crate::csv_lines::reader(text, path)?;
        let pos = headers.positions();
        let required = [
            col::DATA_POINT_ID,
            col::NAME,
            col::DIMENSION,
            col::CANONICAL_UNIT,
            col::DIRECTION,
        ];
        let missing = headers.missing(&required);
        if !missing.is_empty() {
            return Err(Error::input(
                path,
                format!(
                    "missing required catalogue column(s): {}; required: {}",
                    missing.join(", "),
                    required.join(", ")
                ),
            ));
        }
        let mut data_points = Vec::new();
        let mut index = rustc_hash::FxHashMap::default();
        for (line, rec) in crate::csv_lines::records(text, &mut rdr) {
            let rec = rec.map_err(|e| Error::data(path, line, format!("unreadable row: {e}")))?;
            let get = |c: &str| -> String {
                pos.get(c)
                    .and_then(|&i| rec.get(i))
                    .unwrap_or("")
                    .trim()
                    .to_string()
            };
            let num = |c: &str| -> Result<Option<f64>> {
                let s = get(c);
                if s.is_empty() {
                    return Ok(None);
                }
                s.parse::<f64>().map(Some).map_err(|_| {
                    Error::data(path, line, format!("column {c}: '{s}' is not a number"))
                })
            };
            let id = get(col::DATA_POINT_ID);
            if id.is_empty() {
                return Err(Error::data(path, line, "empty data_point_id"));
            }
            let dir_text = get(col::DIRECTION);
            let direction = Direction::parse(&dir_text).ok_or_else(|| {
                Error::data(
                    path,
                    line,
                    format!(
                        "{id}: direction '{dir_text}' is not one of higher_better, lower_better, neutral, target_band"
                    ),
                )
            })?;
            let canonical_unit = get(col::CANONICAL_UNIT);
            if units.canonical(&canonical_unit).is_none() {
                return Err(Error::data(
                    path,
                    line,
                    format!(
                        "{id}: canonical_unit '{canonical_unit}' is not in the unit registry; known: {}",
                        units.canonical_codes().join(", ")
                    ),
                ));
            }
            let kpi_id = match get(col::KPI_ID) {
                s if s.is_empty() => id.clone(),
                s => s,
            };
            let dp = DataPoint {
                kpi_code: match get(col::KPI_CODE) {
                    s if s.is_empty() => kpi_id.clone(),
                    s => s,
                },
                kpi_id,
                name: get(col::NAME),
                data_point: get(col::DATA_POINT),
                dimension: get(col::DIMENSION),
                sub_dimension: get(col::SUB_DIMENSION),
                category: get(col::CATEGORY),
                tier: get(col::TIER),
                kind: get(col::KIND),
                unit: get(col::UNIT),
                canonical_unit,
                direction,
                direction_source: get(col::DIRECTION_SOURCE),
                sdg_refs: get(col::SDG_REFS),
                plausible_min: num(col::PLAUSIBLE_MIN)?,
                plausible_max: num(col::PLAUSIBLE_MAX)?,
                hard_min: num(col::HARD_MIN)?,
                hard_max: num(col::HARD_MAX)?,
                consistency_rule: get(col::CONSISTENCY_RULE),
                sum_group: get(col::SUM_GROUP),
                value_type: get(col::VALUE_TYPE),
                summary: get(col::SUMMARY),
                source_page: get(col::SOURCE_PAGE),
                data_point_id: id.clone(),
            };
            if index.insert(id.clone(), data_points.len()).is_some() {
                return Err(Error::data(
                    path,
                    line,
                    format!("duplicate data_point_id '{id}'"),
                ));
            }
            data_points.push(dp);
        }
        if data_points.is_empty() {
            return Err(Error::input(path, "the catalogue has no data points"));
        }
        Ok(Catalog {
            origin: path.display().to_string(),
            data_points,
            index,
        })
    }

    /// The catalogue without the data points `drop` names (order kept), e.g. the
    /// generator's catalogue without the forms a city reports instead of another.
    pub fn without(&self, drop: &[&str]) -> Catalog {
        let data_points: Vec<DataPoint> = self
            .data_points
            .iter()
            .filter(|d| !drop.contains(&d.data_point_id.as_str()))
            .cloned()
            .collect();
        let index = data_points
            .iter()
            .enumerate()
            .map(|(i, d)| (d.data_point_id.clone(), i))
            .collect();
        Catalog {
            origin: self.origin.clone(),
            data_points,
            index,
        }
    }

    /// All data points in file order.
    pub fn data_points(&self) -> &[DataPoint] {
        &self.data_points
    }

    /// Index of a data point id.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// A data point by id.
    pub fn get(&self, id: &str) -> Option<&DataPoint> {
        self.position(id).map(|i| &self.data_points[i])
    }

    /// The nearest data point id to an unknown one.
    pub fn suggest(&self, id: &str) -> Option<&str> {
        crate::suggest::did_you_mean(
            id,
            self.data_points.iter().map(|d| d.data_point_id.as_str()),
        )
    }

    /// Number of distinct KPIs.
    pub fn kpi_count(&self) -> usize {
        let mut k: Vec<&str> = self.data_points.iter().map(|d| d.kpi_id.as_str()).collect();
        k.sort_unstable();
        k.dedup();
        k.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units() -> UnitRegistry {
        UnitRegistry::embedded().unwrap()
    }

    #[test]
    fn embedded_catalogue_has_91_kpis_and_113_data_points() {
        let c = Catalog::embedded(&units()).unwrap();
        assert_eq!(c.data_points().len(), 113);
        assert_eq!(c.kpi_count(), 91);
        let core = c.data_points().iter().filter(|d| d.tier == "core");
        let mut core_kpis: Vec<&str> = core.map(|d| d.kpi_id.as_str()).collect();
        core_kpis.dedup();
        assert_eq!(core_kpis.len(), 55);
        let dp = c.get("EC-ICT-ICT-1C").unwrap();
        assert_eq!(dp.direction, Direction::HigherBetter);
        assert_eq!(dp.hard_max, Some(100.0));
        assert_eq!(dp.direction_source, "stated");
        assert_eq!(
            c.get("SC-SH-SI-1C").unwrap().direction,
            Direction::TargetBand
        );
    }

    #[test]
    fn the_embedded_catalogue_version_names_its_content() {
        // Changing an id, canonical unit or direction in datasets/catalog/u4ssc_kpis.csv
        // changes the fingerprint: bump `catalog_version!` (templates of the old catalogue
        // are then refused with a clear message) and update the value here.
        let c = Catalog::embedded(&units()).unwrap();
        assert_eq!(
            (c.version().as_str(), c.fingerprint().as_str()),
            ("u4ssc-y4903-r2", "7e7c7ffd6cac")
        );
        assert!(crate::cli::VERSION.contains(EMBEDDED_VERSION));
        assert!(crate::cli::VERSION.contains(&format!("{} data points", c.data_points().len())));
    }

    #[test]
    fn suggestions_for_unknown_ids() {
        let c = Catalog::embedded(&units()).unwrap();
        assert_eq!(c.suggest("EC-ICT-ICT-1"), Some("EC-ICT-ICT-1C"));
        assert_eq!(c.suggest("ec-ict-ict-1c"), Some("EC-ICT-ICT-1C"));
    }

    #[test]
    fn user_framework_errors_name_the_line() {
        let u = units();
        let p = Path::new("my.csv");
        let e = Catalog::parse(
            "data_point_id,name,dimension,canonical_unit\nX,n,d,pct\n",
            p,
            &u,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "my.csv: missing required catalogue column(s): direction; required: data_point_id, name, dimension, canonical_unit, direction"
        );
        let e = Catalog::parse(
            "data_point_id,name,dimension,canonical_unit,direction\nX,n,d,pct,up\n",
            p,
            &u,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "my.csv:2: X: direction 'up' is not one of higher_better, lower_better, neutral, target_band"
        );
        let e = Catalog::parse(
            "data_point_id,name,dimension,canonical_unit,direction\nX,n,d,pct,neutral\nX,n,d,pct,neutral\n",
            p,
            &u,
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "my.csv:3: duplicate data_point_id 'X'");
        let ok = Catalog::parse(
            "Data_Point_ID,Name,Dimension,Canonical_Unit,Direction\nX,n,d,pct,neutral\n",
            p,
            &u,
        )
        .unwrap();
        assert_eq!(ok.get("X").unwrap().kpi_id, "X");
    }
}
