//! The index's input: a units x columns matrix of values for one year, the latest earlier
//! value of each cell (for panels), and the units' groups.
//!
//! Two sources:
//! - the workspace: `derived/aligned.parquet` of the last `citybench run` (each city's
//!   latest value within the lookback window of the analysis year), its earlier values
//!   from `derived/observations.parquet`, and the registry's groupings. Confidential
//!   observations are left out unless `[index] include_confidential = true`.
//! - `--data FILE` (CSV or Parquet), long or wide:
//!   - long: a unit column (`uCode`, `city_id` or `unit`), an indicator column (`iCode`,
//!     `data_point_id` or `indicator`), `value`, optionally `year` (or COINr's `Time`);
//!   - wide (COINr's `iData`): a unit column, optionally `uName` and `year`/`Time`, and one
//!     column per indicator or denominator; any other column is a group attribute (e.g.
//!     `GDP_group`, COINr's `Group_*`), usable for group imputation and group ranks.
//!
//!   With years, the analysis year is `--year` or the latest year, and earlier years feed
//!   the "latest" imputation. Empty cells and `NA` are missing values.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::pipeline::groups;
use crate::registry::Registry;
use crate::schema::derived as d;
use crate::store::Workspace;

/// The input matrix.
#[derive(Debug, Clone, Default)]
pub struct IndexData {
    pub units: Vec<String>,
    pub names: Vec<String>,
    /// Position of each unit in the registry (when its code is a registry city id).
    pub registry_idx: Vec<Option<usize>>,
    /// Group attributes given with the data (wide files): name -> value per unit.
    pub attributes: BTreeMap<String, Vec<Option<String>>>,
    columns: HashMap<String, usize>,
    values: Vec<Vec<f64>>,
    earlier: Vec<Vec<f64>>,
    /// The analysis year, when the data has years.
    pub year: Option<i32>,
    /// Whether earlier years were given (a panel).
    pub panel: bool,
    /// Every year the data has values for, ascending (empty without years): the years of a
    /// multi-year build (`index --panel`).
    pub years: Vec<i32>,
    /// What the data came from, for the manifest.
    pub source: String,
    pub sha256: String,
    /// Confidential observations left out.
    pub confidential_left_out: u64,
    /// Confidential observations that entered the index (`[index] include_confidential =
    /// true`): such an index is the custodian's own and is not published (METHODOLOGY
    /// section 10: its normalisation bounds, aggregates and ranks all rest on them).
    pub confidential_entered: u64,
    /// Whether an indicator absent from the data is an error (files) or an empty column
    /// (the workspace, where a data point may have no observations yet).
    pub strict_columns: bool,
    /// The denominator table the data's missing denominators came from (`[index]
    /// denominators`): its path and SHA-256.
    pub denominators: Option<(String, String)>,
}

/// One observation before the matrix is built: (unit, column, year, value, line).
type Obs = (String, String, Option<i32>, f64, u64);

fn pe(path: &Path) -> impl Fn(PolarsError) -> Error + '_ {
    move |e| Error::polars(path, e)
}

impl IndexData {
    /// Data from columns in memory (tests, benches, library users): `values[c][u]` is
    /// column `c` of unit `u`, `NaN` for missing; `earlier` likewise (or all missing).
    pub fn from_columns(
        units: Vec<String>,
        columns: Vec<(String, Vec<f64>)>,
        earlier: Option<Vec<Vec<f64>>>,
    ) -> Self {
        let n = units.len();
        let panel = earlier.is_some();
        let earlier = earlier.unwrap_or_else(|| vec![vec![f64::NAN; n]; columns.len()]);
        let (names, values): (Vec<String>, Vec<Vec<f64>>) = columns.into_iter().unzip();
        IndexData {
            names: units.clone(),
            registry_idx: vec![None; n],
            columns: names.into_iter().enumerate().map(|(i, c)| (c, i)).collect(),
            values,
            earlier,
            units,
            panel,
            source: "memory".into(),
            strict_columns: true,
            ..Default::default()
        }
    }

    /// The values of a column (`None` when the data has no such column).
    pub fn column(&self, code: &str) -> Option<&[f64]> {
        self.columns.get(code).map(|&c| self.values[c].as_slice())
    }

    /// The latest earlier values of a column (`NaN` where there is none).
    pub fn earlier(&self, code: &str) -> Option<&[f64]> {
        self.columns.get(code).map(|&c| self.earlier[c].as_slice())
    }

    /// The data columns, sorted.
    pub fn column_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.columns.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    /// The group of each unit in `grouping`: a data attribute, else a registry grouping
    /// (units that are not registry cities have none).
    pub fn groups(&self, grouping: &str, registry: &Registry) -> Result<Vec<Option<String>>> {
        if let Some(v) = self.attributes.get(grouping) {
            return Ok(v.clone());
        }
        let valid = groups::valid_names(registry);
        if grouping
            .split(groups::COMBINE)
            .any(|p| !valid.iter().any(|v| v == p.trim()))
        {
            let mut names: Vec<String> = self.attributes.keys().cloned().collect();
            names.extend(valid);
            return Err(Error::Usage(format!(
                "unknown grouping '{grouping}'; valid groupings: {}",
                names.join(", ")
            )));
        }
        Ok(self
            .registry_idx
            .iter()
            .map(|i| i.and_then(|i| groups::group_of(registry, i, grouping)))
            .collect())
    }

    /// Build from observations: the rows of `year` (or of the latest year, or all rows
    /// when there are no years) are the values; earlier rows give the latest earlier value.
    fn from_obs(
        obs: Vec<Obs>,
        year: Option<i32>,
        path: &Path,
        names: HashMap<String, String>,
        registry: &Registry,
    ) -> Result<Self> {
        let mut years: Vec<i32> = obs.iter().filter_map(|o| o.2).collect();
        years.sort_unstable();
        years.dedup();
        let year = year.or(years.last().copied());
        let mut units: Vec<String> = Vec::new();
        let mut unit_pos: HashMap<String, usize> = HashMap::new();
        let mut columns: HashMap<String, usize> = HashMap::new();
        // units: those with a value in the analysis year (a unit known only from earlier
        // years has nothing to score); columns: every indicator up to that year
        for o in &obs {
            if (o.2.is_none() || o.2 == year) && !unit_pos.contains_key(&o.0) {
                unit_pos.insert(o.0.clone(), units.len());
                units.push(o.0.clone());
            }
            if o.2.is_none() || o.2 <= year {
                let n = columns.len();
                columns.entry(o.1.clone()).or_insert(n);
            }
        }
        let mut values = vec![vec![f64::NAN; units.len()]; columns.len()];
        let mut earlier = vec![vec![f64::NAN; units.len()]; columns.len()];
        let mut earlier_year = vec![vec![i32::MIN; units.len()]; columns.len()];
        let mut line_of: HashMap<(usize, usize), u64> = HashMap::new();
        let mut panel = false;
        for (unit, col, y, v, line) in &obs {
            let Some(&u) = unit_pos.get(unit) else {
                continue;
            };
            let c = columns[col];
            match (y, year) {
                (Some(y), Some(yr)) if *y > yr => {}
                (Some(y), Some(yr)) if *y < yr => {
                    panel = true;
                    if *y > earlier_year[c][u] {
                        earlier_year[c][u] = *y;
                        earlier[c][u] = *v;
                    }
                }
                _ => {
                    if let Some(first) = line_of.insert((u, c), *line) {
                        return Err(Error::data(
                            path,
                            *line,
                            format!(
                                "unit '{unit}', indicator '{col}'{}: a second value (the first is on line {first}); give one value per unit, indicator and year",
                                y.map(|y| format!(", year {y}")).unwrap_or_default()
                            ),
                        ));
                    }
                    values[c][u] = *v;
                }
            }
        }
        let registry_idx = units.iter().map(|u| registry.position(u)).collect();
        let names = units
            .iter()
            .enumerate()
            .map(|(i, u)| {
                names.get(u).cloned().unwrap_or_else(|| {
                    registry
                        .get(u)
                        .map(|c| c.name.clone())
                        .unwrap_or_else(|| units[i].clone())
                })
            })
            .collect();
        Ok(IndexData {
            units,
            names,
            registry_idx,
            columns,
            values,
            earlier,
            year,
            panel,
            years,
            ..Default::default()
        })
    }

    /// The workspace's aligned values of the last run (and earlier observations).
    /// `history`: also read the earlier observations (needed by the "latest" imputation).
    pub fn from_workspace(
        ws: &Workspace,
        registry: &Registry,
        include_confidential: bool,
        history: bool,
    ) -> Result<Self> {
        let dir = ws.derived_dir();
        let aligned = dir.join("aligned.parquet");
        if !aligned.exists() {
            return Err(Error::Usage(format!(
                "{} does not exist: run `citybench run` first (the index uses the aligned values of the analysis year), or give --data FILE",
                aligned.display()
            )));
        }
        let read = read_derived;
        let a = read(&aligned, d::ANALYSIS_YEAR, None)?;
        let year = a
            .column(d::ANALYSIS_YEAR)
            .map_err(pe(&aligned))?
            .i32()
            .map_err(pe(&aligned))?
            .get(0);
        let mut obs: Vec<Obs> = Vec::with_capacity(a.height());
        let (left_out, mut entered) = push_rows(
            &a,
            d::ANALYSIS_YEAR,
            &aligned,
            include_confidential,
            &mut obs,
        )?;
        let observations = dir.join("observations.parquet");
        if let Some(y) = year
            && history
            && observations.exists()
        {
            let mut f = col(d::YEAR).lt(lit(y));
            if !include_confidential {
                f = f.and(col(d::CONFIDENTIAL).not());
            }
            let o = read(&observations, d::YEAR, Some(f))?;
            entered += push_rows(&o, d::YEAR, &observations, true, &mut obs)?.1;
        }
        let mut data = Self::from_obs(obs, year, &aligned, HashMap::new(), registry)?;
        data.confidential_left_out = left_out;
        data.confidential_entered = entered;
        data.source = "derived/aligned.parquet".into();
        data.sha256 = crate::digest::sha256_file(&aligned)?.0;
        Ok(data)
    }

    /// A long or wide table from `--data FILE`; `indicators` are the framework's indicator
    /// and denominator codes (the numeric columns of a wide table).
    pub fn from_file(
        path: &Path,
        indicators: &[&str],
        year: Option<i32>,
        registry: &Registry,
    ) -> Result<Self> {
        ParsedFile::read(path, indicators)?.data(year, registry)
    }
}

/// Group attributes of a file: attribute -> unit -> its (year, value) rows, in file order.
type Attributes = BTreeMap<String, HashMap<String, Vec<(Option<i32>, String)>>>;

/// A `--data` file read once: its observations, unit names and group attributes of every
/// year, from which [`ParsedFile::data`] builds the data of any year (a panel reads the
/// file once for all its years).
pub struct ParsedFile {
    path: std::path::PathBuf,
    obs: Vec<Obs>,
    names: HashMap<String, String>,
    /// attribute -> unit -> its (year, value) rows, in file order.
    attrs: Attributes,
    sha256: String,
}

impl ParsedFile {
    /// Read and check the file; `indicators` are the framework's indicator and
    /// denominator codes (the numeric columns of a wide table).
    pub fn read(path: &Path, indicators: &[&str]) -> Result<Self> {
        let (headers, rows) = read_table(path)?;
        let lower: Vec<String> = headers.iter().map(|h| h.trim().to_lowercase()).collect();
        let find = |names: &[&str]| lower.iter().position(|h| names.contains(&h.as_str()));
        let unit_c = find(&["ucode", "city_id", "unit_id", "unit"]).ok_or_else(|| {
            Error::input(
                path,
                format!(
                    "no unit column; name it uCode (or city_id); the columns are: {}",
                    headers.join(", ")
                ),
            )
        })?;
        let name_c = find(&["uname", "city_name", "name"]);
        let year_c = find(&["year", "time"]);
        let ind_c = find(&["icode", "data_point_id", "indicator"]);
        let value_c = find(&["value"]);
        let num = |s: &str, line: u64, field: &str| -> Result<Option<f64>> {
            let s = s.trim();
            if s.is_empty() || s.eq_ignore_ascii_case("na") || s.eq_ignore_ascii_case("nan") {
                return Ok(None);
            }
            match s.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(Some(v)),
                _ => Err(Error::data(
                    path,
                    line,
                    format!(
                        "{field}: '{s}' is not a number; write a plain decimal such as 12.5, or leave the cell empty (or NA) for a missing value"
                    ),
                )),
            }
        };
        let mut obs = Vec::new();
        let mut names = HashMap::new();
        // group attributes per unit, every row (a year takes its latest at or before it)
        let mut attrs = Attributes::new();
        for &(line, ref r) in &rows {
            let unit = r[unit_c].trim().to_string();
            if unit.is_empty() {
                return Err(Error::data(
                    path,
                    line,
                    format!("{}: empty; every row needs a unit code", headers[unit_c]),
                ));
            }
            let y = match year_c {
                Some(c) => {
                    let s = r[c].trim();
                    match s.parse::<i32>() {
                        Ok(y) => Some(y),
                        Err(_) => {
                            return Err(Error::data(
                                path,
                                line,
                                format!(
                                    "{}: '{s}' is not a year; write a whole year such as 2024",
                                    headers[c]
                                ),
                            ));
                        }
                    }
                }
                None => None,
            };
            if let Some(c) = name_c {
                names.insert(unit.clone(), r[c].trim().to_string());
            }
            match (ind_c, value_c) {
                (Some(ic), Some(vc)) => {
                    if let Some(v) = num(&r[vc], line, &headers[vc])? {
                        obs.push((unit, r[ic].trim().to_string(), y, v, line));
                    }
                }
                _ => {
                    for (c, h) in headers.iter().enumerate() {
                        if c == unit_c || Some(c) == name_c || Some(c) == year_c {
                            continue;
                        }
                        if indicators.contains(&h.trim()) {
                            if let Some(v) = num(&r[c], line, h)? {
                                obs.push((unit.clone(), h.trim().to_string(), y, v, line));
                            }
                        } else {
                            let v = r[c].trim();
                            if v.is_empty() {
                                continue;
                            }
                            attrs
                                .entry(h.trim().to_string())
                                .or_default()
                                .entry(unit.clone())
                                .or_default()
                                .push((y, v.to_string()));
                        }
                    }
                }
            }
        }
        if obs.is_empty() {
            return Err(Error::input(
                path,
                format!(
                    "no values for the framework's indicators; a wide table has one column per indicator ({}), a long table has uCode, iCode and value columns",
                    indicators
                        .iter()
                        .take(5)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        Ok(ParsedFile {
            path: path.to_path_buf(),
            obs,
            names,
            attrs,
            sha256: crate::digest::sha256_file(path)?.0,
        })
    }

    /// The data of analysis year `year` (default: the latest): its values, the latest
    /// earlier ones, and each unit's group attributes from its latest row at or before the
    /// year (the first row among rows of the same year).
    pub fn data(&self, year: Option<i32>, registry: &Registry) -> Result<IndexData> {
        let mut data = IndexData::from_obs(
            self.obs.clone(),
            year,
            &self.path,
            self.names.clone(),
            registry,
        )?;
        for (name, m) in &self.attrs {
            let v = data
                .units
                .iter()
                .map(|u| {
                    let mut best: Option<&(Option<i32>, String)> = None;
                    for e in m.get(u).into_iter().flatten() {
                        if (e.0.is_none() || e.0 <= data.year) && best.is_none_or(|b| e.0 > b.0) {
                            best = Some(e);
                        }
                    }
                    best.map(|(_, v)| v.clone())
                })
                .collect();
            data.attributes.insert(name.clone(), v);
        }
        data.source = self.path.display().to_string();
        data.sha256 = self.sha256.clone();
        data.strict_columns = true;
        Ok(data)
    }
}

impl IndexData {
    /// Add the denominators the data lacks from a denominator table (COINr's `denoms`):
    /// CSV or Parquet with a unit column (`uCode`, `city_id`, `unit_id` or `unit`) and one
    /// column per denominator, one row per unit; extra rows and columns are allowed, as in
    /// COINr. `wanted` are (denominator, an indicator it divides). A table value holds for
    /// every year (COINr's `denoms` has no time either). Every unit of the data needs a
    /// row; an empty cell or `NA` is a missing denominator. `source` names the table in
    /// the manifest (as configured, not the absolute path).
    pub fn add_denominators(
        &mut self,
        path: &Path,
        source: &str,
        wanted: &[(&str, &str)],
    ) -> Result<()> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !["csv", "parquet"].contains(&ext.to_ascii_lowercase().as_str()) {
            return Err(Error::input(
                path,
                "unknown file type; [index] denominators takes a .csv or .parquet file (uCode and one column per denominator)",
            ));
        }
        let (headers, rows) = read_table(path)?;
        let lower: Vec<String> = headers.iter().map(|h| h.trim().to_lowercase()).collect();
        let unit_c = lower
            .iter()
            .position(|h| DENOMINATOR_UNIT_COLUMNS.contains(&h.as_str()))
            .ok_or_else(|| {
                Error::input(
                    path,
                    format!(
                        "no unit column; a denominator table has a uCode (or city_id) column and one column per denominator; its columns are: {}",
                        headers.join(", ")
                    ),
                )
            })?;
        // the denominators the data lacks, each once, with the table column holding it
        let mut lacking: Vec<(&str, usize)> = Vec::new();
        for &(den, indicator) in wanted {
            if self.columns.contains_key(den) || lacking.iter().any(|(d, _)| *d == den) {
                continue;
            }
            let Some(c) = headers.iter().position(|h| h.trim() == den) else {
                return Err(Error::input(
                    path,
                    format!(
                        "no column '{den}' (the Denominator of indicator '{indicator}', which the data lacks too); its columns are: {}",
                        headers.join(", ")
                    ),
                ));
            };
            lacking.push((den, c));
        }
        let unit_pos: HashMap<&str, usize> = self
            .units
            .iter()
            .enumerate()
            .map(|(i, u)| (u.as_str(), i))
            .collect();
        let mut found: Vec<Option<u64>> = vec![None; self.units.len()];
        let mut cols = vec![vec![f64::NAN; self.units.len()]; lacking.len()];
        for (line, r) in &rows {
            let unit = r[unit_c].trim();
            let Some(&u) = unit_pos.get(unit) else {
                continue;
            };
            if let Some(first) = found[u].replace(*line) {
                return Err(Error::data(
                    path,
                    *line,
                    format!(
                        "{}: unit '{unit}' has a second row (the first is on line {first}); give one row per unit",
                        headers[unit_c].trim()
                    ),
                ));
            }
            for (k, &(den, c)) in lacking.iter().enumerate() {
                let s = r[c].trim();
                if s.is_empty() || s.eq_ignore_ascii_case("na") || s.eq_ignore_ascii_case("nan") {
                    continue;
                }
                cols[k][u] = match s.parse::<f64>() {
                    Ok(v) if v.is_finite() => v,
                    _ => {
                        return Err(Error::data(
                            path,
                            *line,
                            format!(
                                "{den}: '{s}' is not a number; write a plain decimal such as 12.5, or leave the cell empty (or NA) for a missing denominator"
                            ),
                        ));
                    }
                };
            }
        }
        let absent: Vec<&str> = (0..self.units.len())
            .filter(|&u| found[u].is_none())
            .map(|u| self.units[u].as_str())
            .collect();
        if !absent.is_empty() {
            return Err(Error::input(
                path,
                format!(
                    "no row for unit '{}'; a denominator table needs a row for every unit of the data ({} of {} have none{})",
                    absent[0],
                    absent.len(),
                    self.units.len(),
                    if absent.len() > 1 {
                        format!(
                            ": {}",
                            absent
                                .iter()
                                .take(5)
                                .copied()
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    } else {
                        String::new()
                    }
                ),
            ));
        }
        for ((den, _), col) in lacking.into_iter().zip(cols) {
            self.columns.insert(den.to_string(), self.values.len());
            self.earlier.push(col.clone());
            self.values.push(col);
        }
        self.denominators = Some((source.to_string(), crate::digest::sha256_file(path)?.0));
        Ok(())
    }
}

/// The unit column of a denominator table.
const DENOMINATOR_UNIT_COLUMNS: [&str; 4] = ["ucode", "city_id", "unit_id", "unit"];

/// One observation of a series: (year, value, line).
type YearValue = (i32, f64, u64);

/// (city, data point, year, value, confidential) of a derived table, filtered before it
/// is read.
fn read_derived(p: &Path, year_col: &str, filter: Option<Expr>) -> Result<DataFrame> {
    let mut lf = LazyFrame::scan_parquet(
        PlRefPath::new(p.to_string_lossy().as_ref()),
        ScanArgsParquet::default(),
    )
    .map_err(pe(p))?;
    if let Some(f) = filter {
        lf = lf.filter(f);
    }
    lf.select([
        col(d::CITY_ID).cast(DataType::String),
        col(d::DATA_POINT_ID).cast(DataType::String),
        col(year_col).cast(DataType::Int32),
        col(d::VALUE).cast(DataType::Float64),
        col(d::CONFIDENTIAL),
    ])
    .collect()
    .map_err(pe(p))
}

impl IndexData {
    /// The workspace's index data of every year of `derived/observations.parquet` within
    /// `range` (both ends included; `None`: every year), each year aligned as `run` aligns
    /// the analysis year: each city's latest value of each data point in [year - lookback,
    /// year]; with `history`, also the latest value before the year (for the "latest"
    /// imputation). Confidential observations are left out unless `include_confidential`.
    pub fn from_workspace_panel(
        ws: &Workspace,
        registry: &Registry,
        include_confidential: bool,
        history: bool,
        lookback: u32,
        range: Option<(i32, i32)>,
    ) -> Result<Vec<(i32, Self)>> {
        let path = ws.derived_dir().join("observations.parquet");
        if !path.exists() {
            return Err(Error::Usage(format!(
                "{} does not exist: run `citybench run` first (a workspace panel aligns its observations year by year), or give --data FILE",
                path.display()
            )));
        }
        let df = read_derived(&path, d::YEAR, None)?;
        // the lines (as push_rows numbers them) of the confidential observations
        let secret: std::collections::HashSet<u64> = {
            let c = df
                .column(d::CONFIDENTIAL)
                .map_err(pe(&path))?
                .bool()
                .map_err(pe(&path))?;
            (0..df.height())
                .filter(|&i| c.get(i) == Some(true))
                .map(|i| i as u64 + 2)
                .collect()
        };
        // every observation: a year is aligned first, then a confidential value it aligns
        // is left out (as `run` aligns and the workspace index leaves out)
        let mut all: Vec<Obs> = Vec::with_capacity(df.height());
        push_rows(&df, d::YEAR, &path, true, &mut all)?;
        drop(df);
        // per (city, data point): its observations by year
        let mut series: BTreeMap<(String, String), Vec<YearValue>> = BTreeMap::new();
        for (c, p, y, v, line) in all {
            if let Some(y) = y {
                series.entry((c, p)).or_default().push((y, v, line));
            }
        }
        for s in series.values_mut() {
            s.sort_by_key(|o| o.0);
        }
        let mut years: Vec<i32> = series.values().flatten().map(|o| o.0).collect();
        years.sort_unstable();
        years.dedup();
        if let Some((from, to)) = range {
            years.retain(|y| (from..=to).contains(y));
        }
        let sha = crate::digest::sha256_file(&path)?.0;
        let mut out = Vec::with_capacity(years.len());
        for &y in &years {
            let mut obs: Vec<Obs> = Vec::new();
            let (mut entered, mut left_out) = (0, 0);
            for ((c, p), s) in &series {
                if let Some(&(_, v, line)) = s
                    .iter()
                    .rev()
                    .find(|o| o.0 <= y)
                    .filter(|o| o.0 >= y - lookback as i32)
                {
                    if !secret.contains(&line) || include_confidential {
                        obs.push((c.clone(), p.clone(), Some(y), v, line));
                        entered += u64::from(secret.contains(&line));
                    } else {
                        left_out += 1;
                    }
                }
                if history
                    && let Some(&(oy, v, line)) = s
                        .iter()
                        .rev()
                        .find(|o| o.0 < y && (include_confidential || !secret.contains(&o.2)))
                {
                    obs.push((c.clone(), p.clone(), Some(oy), v, line));
                }
            }
            if obs.iter().all(|o| o.2 != Some(y)) {
                continue;
            }
            let mut data = Self::from_obs(obs, Some(y), &path, HashMap::new(), registry)?;
            data.confidential_left_out = left_out;
            data.confidential_entered = entered;
            data.source = "derived/observations.parquet".into();
            data.sha256 = sha.clone();
            out.push((y, data));
        }
        if out.is_empty() {
            return Err(Error::Usage(format!(
                "--panel: {} has no observations{}",
                path.display(),
                range
                    .map(|(a, b)| format!(" in {a}..{b}"))
                    .unwrap_or_default()
            )));
        }
        Ok(out)
    }
}

/// Append the (city, data point, year, value) rows of a frame to `obs`, leaving out the
/// confidential ones unless `confidential`; returns how many were left out.
/// Push the rows of `df` to `obs`, confidential ones only when `confidential`; returns
/// (confidential rows left out, confidential rows pushed).
fn push_rows(
    df: &DataFrame,
    year_col: &str,
    path: &Path,
    confidential: bool,
    obs: &mut Vec<Obs>,
) -> Result<(u64, u64)> {
    let e = pe(path);
    let c = df.column(d::CITY_ID).map_err(&e)?.str().map_err(&e)?;
    let p = df.column(d::DATA_POINT_ID).map_err(&e)?.str().map_err(&e)?;
    let y = df.column(year_col).map_err(&e)?.i32().map_err(&e)?;
    let v = df.column(d::VALUE).map_err(&e)?.f64().map_err(&e)?;
    let k = df.column(d::CONFIDENTIAL).map_err(&e)?.bool().map_err(&e)?;
    let (mut left_out, mut entered) = (0, 0);
    for i in 0..df.height() {
        let secret = k.get(i) == Some(true);
        if !confidential && secret {
            left_out += 1;
            continue;
        }
        if let (Some(c), Some(p), Some(v)) = (c.get(i), p.get(i), v.get(i)) {
            obs.push((c.to_string(), p.to_string(), y.get(i), v, i as u64 + 2));
            entered += u64::from(secret);
        }
    }
    Ok((left_out, entered))
}

/// A row of a data file: its line and its cells.
type Row = (u64, Vec<String>);

/// Read a CSV or Parquet file as text cells: (header, rows with their line: in a CSV file
/// the line the row starts on, in a Parquet file the row's position + 1, as if it had a
/// header line).
fn read_table(path: &Path) -> Result<(Vec<String>, Vec<Row>)> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    const WHAT: &str = "a .csv or .parquet file";
    match ext.as_str() {
        "csv" => {
            let text = crate::input::read_text(path, WHAT)?;
            let (mut rdr, _) = crate::csv_lines::reader(&text, path)?;
            let headers: Vec<String> = rdr
                .headers()
                .map_err(|e| Error::input(path, e.to_string()))?
                .iter()
                .map(|h| h.trim().to_string())
                .collect();
            let mut rows = Vec::new();
            for (line, rec) in crate::csv_lines::records(&text, &mut rdr) {
                let r = rec.map_err(|e| Error::data(path, line, e.to_string()))?;
                rows.push((line, r.iter().map(str::to_string).collect()));
            }
            Ok((headers, rows))
        }
        "parquet" => {
            // the same checks as a submission's before DuckDB reads it
            let file = crate::input::open(path, WHAT)?;
            crate::ingest::parquet_guard::Footer::read(path, &file)?
                .check_all_pages(path, &file)?;
            // through DuckDB, which reads every Parquet type (decimals included) as text
            let err = |e: duckdb::Error| Error::input(path, e.to_string());
            let conn = duckdb::Connection::open_in_memory().map_err(err)?;
            let lit = format!("'{}'", path.to_string_lossy().replace('\'', "''"));
            let sql = format!("SELECT COLUMNS(*)::VARCHAR FROM read_parquet({lit})");
            let mut stmt = conn.prepare(&sql).map_err(err)?;
            let batches: Vec<duckdb::arrow::record_batch::RecordBatch> =
                stmt.query_arrow([]).map_err(err)?.collect();
            let headers: Vec<String> = stmt.column_names();
            let mut rows: Vec<Row> = Vec::new();
            for b in &batches {
                use duckdb::arrow::array::{Array, AsArray};
                let cols: Vec<_> = b
                    .columns()
                    .iter()
                    .map(|c| c.as_string_opt::<i32>().cloned())
                    .collect();
                for i in 0..b.num_rows() {
                    let line = rows.len() as u64 + 2;
                    rows.push((
                        line,
                        cols.iter()
                            .map(|c| match c {
                                Some(c) if !c.is_null(i) => c.value(i).to_string(),
                                _ => String::new(),
                            })
                            .collect(),
                    ));
                }
            }
            Ok((headers, rows))
        }
        _ => Err(Error::input(
            path,
            "unknown file type; --data takes a .csv or .parquet file (long: uCode, iCode, value[, year]; wide: uCode and one column per indicator)",
        )),
    }
}
