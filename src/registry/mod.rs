//! Cities: attributes, population by year, and the U4SSC population band used for peer groups.
//!
//! The registry is `datasets/registry/cities.csv` (every GeoNames populated place with
//! population >= 15 000, built by `datasets/registry/build_registry.py`), embedded in the
//! binary. A workspace extends it:
//! - `cities.csv` (same columns) adds cities that are not GeoNames places (e.g. the
//!   municipality of Karmoy, Norway) under ids the user chooses; an id that already exists
//!   overrides the registry row, and every override is reported;
//! - `population.csv` (`city_id,year,population`) gives population by year; it wins over the
//!   registry's single-year figure for that year;
//! - `attributes.csv` (`city_id` + any columns, e.g. `climate_zone`, `income_group_fy2025`)
//!   adds attributes usable as peer groupings; a row naming an unknown city is rejected row
//!   by row (reported, not fatal), like ingest.

pub mod matching;

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::schema::{city as col, population as pcol};

/// The embedded registry.
pub const EMBEDDED_CITIES: &str = include_str!("../../datasets/registry/cities.csv");
/// A workspace's city additions and overrides (registry columns).
pub const CITIES_FILE: &str = "cities.csv";
/// How the embedded registry is named in messages.
pub const EMBEDDED_NAME: &str = "datasets/registry/cities.csv (embedded)";

/// At most this many cities are listed for a `--city` name several cities share.
pub const MAX_CANDIDATES: usize = 10;

/// One city.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct City {
    pub city_id: String,
    pub name: String,
    pub ascii_name: String,
    pub country_iso2: String,
    pub country_iso3: String,
    pub continent: String,
    pub un_region: String,
    pub economy: String,
    pub population: Option<u64>,
    pub population_year: Option<i32>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// U4SSC population bands (METHODOLOGY section 5).
pub fn population_band(population: Option<u64>) -> &'static str {
    match population {
        None => "unknown",
        Some(p) if p < 100_000 => "<100k",
        Some(p) if p < 500_000 => "100k-500k",
        Some(p) if p < 1_000_000 => "500k-1M",
        Some(_) => ">=1M",
    }
}

/// The economy groups of the UN World Economic Situation and Prospects.
pub const ECONOMY_GROUPS: [&str; 3] = ["developed", "in_transition", "developing"];

/// The loaded registry (embedded rows plus workspace additions and overrides).
#[derive(Debug, Clone)]
pub struct Registry {
    cities: Vec<City>,
    index: rustc_hash::FxHashMap<String, usize>,
    population: HashMap<(usize, i32), u64>,
    /// Human-readable notes on workspace overrides ("city 3137115 (Stavanger) overridden by ...").
    pub overrides: Vec<String>,
    /// Number of cities added by the workspace.
    pub added: usize,
    /// Workspace attribute columns (in file order) and their values per city.
    attributes: Vec<(String, HashMap<usize, String>)>,
    /// Rejected attribute rows: "attributes.csv:LINE: reason".
    pub attribute_rejections: Vec<String>,
    /// Lower-cased name and ASCII name -> the most populous city of that name, built on the
    /// first suggestion (a suggestion then costs one lookup, not a pass over every city).
    names: std::sync::OnceLock<rustc_hash::FxHashMap<String, usize>>,
}

impl Registry {
    /// The embedded registry alone.
    pub fn embedded() -> Result<Self> {
        let rows = parse_cities(EMBEDDED_CITIES, Path::new(EMBEDDED_NAME))?;
        let mut index =
            rustc_hash::FxHashMap::with_capacity_and_hasher(rows.len(), Default::default());
        for (i, (line, c)) in rows.iter().enumerate() {
            if index.insert(c.city_id.clone(), i).is_some() {
                return Err(Error::data(
                    EMBEDDED_NAME,
                    *line,
                    format!("duplicate city_id '{}'", c.city_id),
                ));
            }
        }
        let cities = rows.into_iter().map(|(_, c)| c).collect();
        Ok(Registry {
            cities,
            index,
            population: HashMap::new(),
            overrides: Vec::new(),
            added: 0,
            attributes: Vec::new(),
            attribute_rejections: Vec::new(),
            names: std::sync::OnceLock::new(),
        })
    }

    /// The name index of [`Registry::names`]: for each lower-cased name (and ASCII name),
    /// the city of largest population, the later one on a tie.
    fn name_index(&self) -> &rustc_hash::FxHashMap<String, usize> {
        self.names.get_or_init(|| {
            let mut m: rustc_hash::FxHashMap<String, usize> = Default::default();
            let pop = |i: usize| self.cities[i].population.unwrap_or(0);
            for (i, c) in self.cities.iter().enumerate() {
                for n in [c.name.to_lowercase(), c.ascii_name.to_lowercase()] {
                    match m.get_mut(&n) {
                        Some(j) if pop(i) >= pop(*j) => *j = i,
                        Some(_) => {}
                        None => {
                            m.insert(n, i);
                        }
                    }
                }
            }
            m
        })
    }

    /// The embedded registry extended by a workspace's `cities.csv` and `population.csv`
    /// when they exist.
    pub fn for_workspace(root: &Path) -> Result<Self> {
        let mut reg = Self::embedded()?;
        let cities = root.join(CITIES_FILE);
        if cities.exists() {
            let text = crate::input::read_text(&cities, "a CSV file")?;
            reg.add_cities(&text, &cities)?;
        }
        let pop = root.join("population.csv");
        if pop.exists() {
            let text = crate::input::read_text(&pop, "a CSV file")?;
            reg.add_population(&text, &pop)?;
        }
        let attrs = root.join("attributes.csv");
        if attrs.exists() {
            let text = crate::input::read_text(&attrs, "a CSV file")?;
            reg.add_attributes(&text, &attrs)?;
        }
        Ok(reg)
    }

    /// Add city attributes from CSV text: a `city_id` column and any others. Rows naming an
    /// unknown city, or repeating a city, are rejected row by row into
    /// [`Self::attribute_rejections`]; a missing `city_id` column or an attribute that shadows
    /// a registry column is an error.
    pub fn add_attributes(&mut self, text: &str, path: &Path) -> Result<()> {
        let (mut rdr, headers) = crate::csv_lines::reader(text, path)?;
        let Some(ci) = headers.iter().position(|h| h == col::CITY_ID) else {
            return Err(Error::input(
                path,
                "missing column 'city_id'; an attributes file has city_id and one column per attribute",
            ));
        };
        for h in headers.iter() {
            if h != col::CITY_ID && (col::HEADER.contains(&h.as_str()) || h == col::POPULATION_BAND)
            {
                return Err(Error::input(
                    path,
                    format!(
                        "attribute '{h}' is a registry column; override registry columns in cities.csv instead"
                    ),
                ));
            }
        }
        let first_new = self.attributes.len();
        for (i, h) in headers.iter().enumerate() {
            if i != ci {
                self.attributes.push((h.clone(), HashMap::new()));
            }
        }
        let mut seen: HashMap<usize, u64> = HashMap::new();
        for (line, rec) in crate::csv_lines::records(text, &mut rdr) {
            let r = match rec {
                Ok(r) => r,
                Err(e) => {
                    self.attribute_rejections
                        .push(format!("{}:{line}: unreadable row: {e}", path.display()));
                    continue;
                }
            };
            let id = r.get(ci).unwrap_or("").trim();
            let Some(idx) = self.position(id) else {
                let hint = match self.suggest(id) {
                    Some(s) => format!("did you mean {s}?"),
                    None => "add it to the workspace cities.csv first".to_string(),
                };
                self.attribute_rejections.push(format!(
                    "{}:{line}: city_id: unknown city_id '{id}'; {hint}",
                    path.display()
                ));
                continue;
            };
            if let Some(first) = seen.insert(idx, line) {
                self.attribute_rejections.push(format!(
                    "{}:{line}: city_id: city '{id}' already has attributes on line {first}",
                    path.display()
                ));
                continue;
            }
            let mut k = first_new;
            for (j, v) in r.iter().enumerate() {
                if j == ci {
                    continue;
                }
                if let Some(slot) = self.attributes.get_mut(k) {
                    let v = v.trim();
                    if !v.is_empty() {
                        slot.1.insert(idx, v.to_string());
                    }
                }
                k += 1;
            }
        }
        Ok(())
    }

    /// Names of the attributes usable as groupings: the registry's and the workspace's.
    pub fn attribute_names(&self) -> Vec<String> {
        let mut v: Vec<String> = [
            "population_band",
            "economy",
            "continent",
            "un_region",
            "country_iso2",
        ]
        .map(String::from)
        .to_vec();
        v.extend(self.attributes.iter().map(|(n, _)| n.clone()));
        v
    }

    /// The value of an attribute for city `idx` (registry attributes, the derived
    /// population band, or a workspace attribute).
    pub fn attribute(&self, idx: usize, name: &str) -> Option<String> {
        let c = &self.cities[idx];
        let v = match name {
            "all" => "all".to_string(),
            "population_band" => population_band(c.population).to_string(),
            "economy" => c.economy.clone(),
            "continent" => c.continent.clone(),
            "un_region" => c.un_region.clone(),
            "country_iso2" => c.country_iso2.clone(),
            "country_iso3" => c.country_iso3.clone(),
            _ => {
                return self
                    .attributes
                    .iter()
                    .find(|(n, _)| n == name)
                    .and_then(|(_, m)| m.get(&idx).cloned());
            }
        };
        (!v.is_empty()).then_some(v)
    }

    /// Add or override cities from CSV text in the registry's shape.
    pub fn add_cities(&mut self, text: &str, path: &Path) -> Result<()> {
        self.names = std::sync::OnceLock::new();
        let rows = parse_cities(text, path)?;
        // a registry city's country, or any GeoNames country (countries.csv): a workspace
        // may add a town in a country without a registry city (Funafuti, Tuvalu)
        let known_countries: std::collections::HashSet<String> = self
            .cities
            .iter()
            .map(|c| c.country_iso2.clone())
            .chain(
                matching::parse_countries(matching::EMBEDDED_COUNTRIES)
                    .into_iter()
                    .map(|c| c.iso2),
            )
            .collect();
        let mut seen: HashMap<String, u64> = HashMap::new();
        for (line, c) in rows {
            if let Some(first) = seen.insert(c.city_id.clone(), line) {
                return Err(Error::data(
                    path,
                    line,
                    format!(
                        "duplicate city_id '{}' (first on line {first}); ids must be unique",
                        c.city_id,
                    ),
                ));
            }
            if !known_countries.contains(&c.country_iso2) {
                return Err(Error::data(
                    path,
                    line,
                    format!(
                        "unknown country_iso2 '{}' for city '{}'; expected an ISO 3166 alpha-2 code of datasets/registry/countries.csv (e.g. NO, CH, CN)",
                        c.country_iso2, c.city_id
                    ),
                ));
            }
            match self.index.get(&c.city_id) {
                Some(&j) => {
                    self.overrides.push(format!(
                        "city {} ({}) overridden by {}:{}",
                        c.city_id,
                        self.cities[j].name,
                        path.display(),
                        line
                    ));
                    self.cities[j] = c;
                }
                None => {
                    self.index.insert(c.city_id.clone(), self.cities.len());
                    self.cities.push(c);
                    self.added += 1;
                }
            }
        }
        Ok(())
    }

    /// Add population by year from CSV text (`city_id,year,population`).
    pub fn add_population(&mut self, text: &str, path: &Path) -> Result<()> {
        let (mut rdr, headers) = crate::csv_lines::reader(text, path)?;
        let find = |name: &str| {
            headers.iter().position(|h| h == name).ok_or_else(|| {
                Error::input(
                    path,
                    format!("missing column '{name}'; expected: city_id,year,population"),
                )
            })
        };
        let (ci, yi, pi) = (
            find(pcol::CITY_ID)?,
            find(pcol::YEAR)?,
            find(pcol::POPULATION)?,
        );
        for (line, rec) in crate::csv_lines::records(text, &mut rdr) {
            let r = rec.map_err(|e| Error::data(path, line, e.to_string()))?;
            let id = r.get(ci).unwrap_or("").trim();
            let Some(&idx) = self.index.get(id) else {
                return Err(Error::data(path, line, format!("unknown city_id '{id}'")));
            };
            let y = r.get(yi).unwrap_or("").trim();
            let year: i32 = y.parse().map_err(|_| {
                Error::data(path, line, format!("year '{y}' is not a whole number"))
            })?;
            let p = r.get(pi).unwrap_or("").trim();
            let pop: u64 = p.parse().ok().filter(|&v| v > 0).ok_or_else(|| {
                Error::data(
                    path,
                    line,
                    format!("population '{p}' is not a positive whole number"),
                )
            })?;
            self.population.insert((idx, year), pop);
        }
        Ok(())
    }

    /// Number of cities.
    pub fn len(&self) -> usize {
        self.cities.len()
    }

    /// Whether the registry is empty.
    pub fn is_empty(&self) -> bool {
        self.cities.is_empty()
    }

    /// All cities.
    pub fn cities(&self) -> &[City] {
        &self.cities
    }

    /// Position of a city id.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// A city by id.
    pub fn get(&self, id: &str) -> Option<&City> {
        self.position(id).map(|i| &self.cities[i])
    }

    /// Population of city `idx` in `year`: the workspace `population.csv` figure, else the
    /// registry figure when its reference year is `year`; never a guess.
    pub fn population(&self, idx: usize, year: i32) -> Option<u64> {
        if let Some(&p) = self.population.get(&(idx, year)) {
            return Some(p);
        }
        let c = &self.cities[idx];
        (c.population_year == Some(year))
            .then_some(c.population)
            .flatten()
    }

    /// A suggestion for an unknown city id: a near id, or a city whose name matches.
    pub fn suggest(&self, id: &str) -> Option<String> {
        if id.trim().chars().nth(crate::suggest::SUGGEST_MAX).is_some() {
            return None; // longer than any id or name: no search
        }
        let needle = id.trim().to_lowercase();
        if let Some(&i) = self.name_index().get(&needle) {
            let c = &self.cities[i];
            return Some(format!("{} ({}, {})", c.city_id, c.name, c.country_iso2));
        }
        crate::suggest::did_you_mean(id, self.cities.iter().map(|c| c.city_id.as_str())).map(|s| {
            let c = self.get(s).expect("suggested from the registry");
            format!("{} ({}, {})", c.city_id, c.name, c.country_iso2)
        })
    }

    /// `"; did you mean ID (Name, CC)?"` for an unknown city id, or `""` without a
    /// suggestion: the tail every "unknown city" message ends with.
    pub fn did_you_mean(&self, id: &str) -> String {
        self.suggest(id)
            .map(|s| format!("; did you mean {s}?"))
            .unwrap_or_default()
    }

    /// The positions of the cities named `name` exactly (name or ASCII name, any case,
    /// surrounding spaces ignored), most populous first (unknown population last), then by id.
    pub fn named(&self, name: &str) -> Vec<usize> {
        let needle = name.trim().to_lowercase();
        if needle.is_empty() {
            return Vec::new();
        }
        let mut found: Vec<usize> = (0..self.cities.len())
            .filter(|&i| {
                let c = &self.cities[i];
                c.name.to_lowercase() == needle || c.ascii_name.to_lowercase() == needle
            })
            .collect();
        found.sort_by(|&a, &b| {
            let (a, b) = (&self.cities[a], &self.cities[b]);
            b.population
                .cmp(&a.population)
                .then_with(|| a.city_id.cmp(&b.city_id))
        });
        found
    }

    /// The city id a `--city` argument names: a registry id as given, else the one city
    /// whose name or ASCII name is the argument (any case). A name several cities share is
    /// a usage error listing them ([`MAX_CANDIDATES`] at most, most populous first); an
    /// argument that is neither is [`Registry::unknown_city`] with its suggestion.
    pub fn resolve_city(&self, arg: &str) -> Result<String> {
        self.resolve_name(arg)?
            .ok_or_else(|| self.unknown_city(arg.trim()))
    }

    /// [`Registry::resolve_city`] with `None` for an argument that is neither an id nor a
    /// name (for a caller with its own "unknown city" message).
    pub fn resolve_name(&self, arg: &str) -> Result<Option<String>> {
        let arg = arg.trim();
        if self.position(arg).is_some() {
            return Ok(Some(arg.to_string()));
        }
        match self.named(arg).as_slice() {
            [] => Ok(None),
            [i] => Ok(Some(self.cities[*i].city_id.clone())),
            many => Err(Error::Usage(self.ambiguous_name(arg, many))),
        }
    }

    /// The message for a name several cities share (positions `many`, in order).
    fn ambiguous_name(&self, arg: &str, many: &[usize]) -> String {
        use std::fmt::Write as _;
        let mut m = format!(
            "'{arg}' names {} cities; pass the id of the one you mean:",
            many.len()
        );
        for &i in many.iter().take(MAX_CANDIDATES) {
            let c = &self.cities[i];
            let pop = c.population.map_or_else(
                || "population unknown".to_string(),
                |p| format!("population {p}"),
            );
            let _ = write!(
                m,
                "\n  {}  {}, {}, {pop}",
                c.city_id, c.name, c.country_iso2
            );
        }
        if many.len() > MAX_CANDIDATES {
            let _ = write!(
                m,
                "\n  ... and {} more (`citybench cities --search {arg}` lists them all)",
                many.len() - MAX_CANDIDATES
            );
        }
        m
    }

    /// The command-line error for a city id the registry does not know.
    pub fn unknown_city(&self, id: &str) -> crate::error::Error {
        crate::error::Error::Usage(format!(
            "unknown city id '{id}'{} (`citybench cities --search NAME` finds ids)",
            self.did_you_mean(id)
        ))
    }
}

/// Parse CSV text in the registry's shape, each city with the line it is on; `path` names
/// the text in errors.
pub fn parse_cities(text: &str, path: &Path) -> Result<Vec<(u64, City)>> {
    let (mut rdr, headers) = crate::csv_lines::reader(text, path)?;
    let mut pos = [0usize; 12];
    for (k, name) in col::HEADER.iter().enumerate() {
        pos[k] = headers.iter().position(|h| h == name).ok_or_else(|| {
            Error::input(
                path,
                format!(
                    "missing column '{name}'; a cities file has: {}",
                    col::HEADER.join(",")
                ),
            )
        })?;
    }
    let mut out = Vec::new();
    for (line, rec) in crate::csv_lines::records(text, &mut rdr) {
        let r = rec.map_err(|e| Error::data(path, line, e.to_string()))?;
        let f = |k: usize| r.get(pos[k]).unwrap_or("").trim().to_string();
        let opt_num = |k: usize, what: &str| -> Result<Option<f64>> {
            let s = f(k);
            if s.is_empty() {
                return Ok(None);
            }
            s.parse::<f64>()
                .map(Some)
                .map_err(|_| Error::data(path, line, format!("{what} '{s}' is not a number")))
        };
        let city_id = f(0);
        if city_id.is_empty() {
            return Err(Error::data(path, line, "empty city_id"));
        }
        let economy = f(7);
        if !economy.is_empty() && !ECONOMY_GROUPS.contains(&economy.as_str()) {
            return Err(Error::data(
                path,
                line,
                format!(
                    "economy '{economy}' is not one of {}",
                    ECONOMY_GROUPS.join(", ")
                ),
            ));
        }
        let population = match f(8) {
            s if s.is_empty() => None,
            s => Some(s.parse::<u64>().map_err(|_| {
                Error::data(
                    path,
                    line,
                    format!("population '{s}' is not a whole number"),
                )
            })?),
        };
        let population_year = match f(9) {
            s if s.is_empty() => None,
            s => Some(s.parse::<i32>().map_err(|_| {
                Error::data(path, line, format!("population_year '{s}' is not a year"))
            })?),
        };
        out.push((
            line,
            City {
                city_id,
                name: f(1),
                ascii_name: f(2),
                country_iso2: f(3),
                country_iso3: f(4),
                continent: f(5),
                un_region: f(6),
                economy,
                population,
                population_year,
                latitude: opt_num(10, "latitude")?,
                longitude: opt_num(11, "longitude")?,
            },
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_city_takes_an_id_or_a_unique_name() {
        let r = Registry::embedded().unwrap();
        assert_eq!(r.resolve_city("108410").unwrap(), "108410");
        assert_eq!(r.resolve_city(" 108410 ").unwrap(), "108410");
        // a unique name, any case, name or ASCII name
        assert_eq!(r.resolve_city("Riyadh").unwrap(), "108410");
        assert_eq!(r.resolve_city(" riyadh ").unwrap(), "108410");
        assert_eq!(r.resolve_city("Zürich").unwrap(), "2657896");
        assert_eq!(r.resolve_city("zurich").unwrap(), "2657896");
        // an unknown name keeps the suggestion of an unknown id
        assert_eq!(
            r.resolve_city("Riyad").unwrap_err().to_string(),
            r.unknown_city("Riyad").to_string()
        );
        assert_eq!(
            r.resolve_city("").unwrap_err().to_string(),
            r.unknown_city("").to_string()
        );
    }

    #[test]
    fn resolve_city_lists_the_cities_an_ambiguous_name_fits() {
        let mut r = Registry::embedded().unwrap();
        let e = r.resolve_city("springfield").unwrap_err();
        assert!(matches!(e, Error::Usage(_)));
        assert_eq!(
            e.to_string(),
            "'springfield' names 8 cities; pass the id of the one you mean:
  4409896  Springfield, US, population 170188
  4951788  Springfield, US, population 154341
  4250542  Springfield, US, population 114394
  5754005  Springfield, US, population 60870
  4525353  Springfield, US, population 59680
  4787117  Springfield, US, population 30484
  4561407  Springfield, US, population 23363
  4659557  Springfield, US, population 16808"
        );
        // workspace additions count; past ten, the rest are counted; no population last
        let mut csv = String::from(
            "city_id,name,ascii_name,country_iso2,country_iso3,continent,un_region,economy,population,population_year,latitude,longitude\n",
        );
        for (id, pop) in [("900001", "900"), ("900002", ""), ("900003", "200000")] {
            csv.push_str(&format!(
                "{id},Springfield,Springfield,AU,AUS,Oceania,Australia and New Zealand,developed,{pop},2025,,\n"
            ));
        }
        r.add_cities(&csv, Path::new("cities.csv")).unwrap();
        assert_eq!(
            r.resolve_city("Springfield").unwrap_err().to_string(),
            "'Springfield' names 11 cities; pass the id of the one you mean:
  900003  Springfield, AU, population 200000
  4409896  Springfield, US, population 170188
  4951788  Springfield, US, population 154341
  4250542  Springfield, US, population 114394
  5754005  Springfield, US, population 60870
  4525353  Springfield, US, population 59680
  4787117  Springfield, US, population 30484
  4561407  Springfield, US, population 23363
  4659557  Springfield, US, population 16808
  900001  Springfield, AU, population 900
  ... and 1 more (`citybench cities --search Springfield` lists them all)"
        );
        let last = r.named("SPRINGFIELD").last().copied().unwrap();
        assert_eq!(r.cities()[last].city_id, "900002");
    }

    #[test]
    fn bands_follow_u4ssc() {
        assert_eq!(population_band(Some(99_999)), "<100k");
        assert_eq!(population_band(Some(100_000)), "100k-500k");
        assert_eq!(population_band(Some(499_999)), "100k-500k");
        assert_eq!(population_band(Some(500_000)), "500k-1M");
        assert_eq!(population_band(Some(1_000_000)), ">=1M");
        assert_eq!(population_band(None), "unknown");
    }

    #[test]
    fn embedded_registry_loads_real_cities() {
        let r = Registry::embedded().unwrap();
        assert!(r.len() > 30_000, "{}", r.len());
        let geneva = r.get("2660646").unwrap();
        assert_eq!(geneva.country_iso2, "CH");
        assert_eq!(geneva.economy, "developed");
    }

    #[test]
    fn workspace_cities_add_and_override() {
        let mut r = Registry::embedded().unwrap();
        let text = "city_id,name,ascii_name,country_iso2,country_iso3,continent,un_region,economy,population,population_year,latitude,longitude\n\
                    karmoy,Karmøy,Karmoy,NO,NOR,Europe,Northern Europe,developed,42903,2020,59.28,5.30\n\
                    2660646,Genève,Geneve,CH,CHE,Europe,Western Europe,developed,203856,2023,46.2,6.14\n";
        r.add_cities(text, Path::new("cities.csv")).unwrap();
        assert_eq!(r.added, 1);
        assert_eq!(
            r.overrides,
            vec!["city 2660646 (Geneva) overridden by cities.csv:3".to_string()]
        );
        let k = r.position("karmoy").unwrap();
        assert_eq!(r.population(k, 2020), Some(42903));
        assert_eq!(r.population(k, 2021), None);
        r.add_population(
            "city_id,year,population\nkarmoy,2021,43000\n",
            Path::new("population.csv"),
        )
        .unwrap();
        assert_eq!(r.population(k, 2021), Some(43000));
    }

    #[test]
    fn attributes_are_rejected_row_by_row() {
        let mut r = Registry::embedded().unwrap();
        let text = "city_id,climate_zone,income_group_fy2025\n\
                    2660646,Cfb,high\n\
                    nowhere,Cfa,low\n\
                    3137115,Cfb,\n\
                    2660646,Dfb,high\n";
        r.add_attributes(text, Path::new("attributes.csv")).unwrap();
        assert_eq!(
            r.attribute_rejections,
            vec![
                "attributes.csv:3: city_id: unknown city_id 'nowhere'; add it to the workspace cities.csv first".to_string(),
                "attributes.csv:5: city_id: city '2660646' already has attributes on line 2".to_string(),
            ]
        );
        let g = r.position("2660646").unwrap();
        let s = r.position("3137115").unwrap();
        assert_eq!(r.attribute(g, "climate_zone").as_deref(), Some("Cfb"));
        assert_eq!(r.attribute(s, "income_group_fy2025"), None);
        assert_eq!(
            r.attribute(g, "population_band").as_deref(),
            Some("100k-500k")
        );
        assert!(r.attribute_names().contains(&"climate_zone".to_string()));
        let e = r
            .add_attributes("city_id,economy\n2660646,x\n", Path::new("attributes.csv"))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "attributes.csv: attribute 'economy' is a registry column; override registry columns in cities.csv instead"
        );
    }

    #[test]
    fn workspace_cities_errors() {
        let mut r = Registry::embedded().unwrap();
        let head = "city_id,name,ascii_name,country_iso2,country_iso3,continent,un_region,economy,population,population_year,latitude,longitude\n";
        let dup = format!(
            "{head}a,A,A,NO,NOR,Europe,Northern Europe,developed,1,2020,,\na,A,A,NO,NOR,Europe,Northern Europe,developed,1,2020,,\n"
        );
        let e = r.add_cities(&dup, Path::new("cities.csv")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cities.csv:3: duplicate city_id 'a' (first on line 2); ids must be unique"
        );
        let bad = format!("{head}b,B,B,XX,XXX,Europe,Northern Europe,developed,1,2020,,\n");
        let e = r.add_cities(&bad, Path::new("cities.csv")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cities.csv:2: unknown country_iso2 'XX' for city 'b'; expected an ISO 3166 alpha-2 code of datasets/registry/countries.csv (e.g. NO, CH, CN)"
        );
        // a GeoNames country with no registry city is a country: Tuvalu
        assert!(!r.cities().iter().any(|c| c.country_iso2 == "TV"));
        let (n, added) = (r.len(), r.added);
        let tv = format!(
            "{head}2110394,Funafuti,Funafuti,TV,TUV,Oceania,Polynesia,developing,6320,2025,-8.52425,179.19417\n"
        );
        r.add_cities(&tv, Path::new("cities.csv")).unwrap();
        assert_eq!((r.len(), r.added), (n + 1, added + 1));
        assert_eq!(r.cities()[n].name, "Funafuti");
        // blank lines and a quoted line break count: the lines are the file's
        let spaced = format!(
            "{head}\na,\"A\nA\",A,NO,NOR,Europe,Northern Europe,developed,1,2020,,\n\n\na,A,A,NO,NOR,Europe,Northern Europe,developed,1,2020,,\n"
        );
        let e = r.add_cities(&spaced, Path::new("cities.csv")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cities.csv:7: duplicate city_id 'a' (first on line 3); ids must be unique"
        );
        let e = r
            .add_population(
                "city_id,year,population\nnope,2020,5\n",
                Path::new("population.csv"),
            )
            .unwrap_err();
        assert_eq!(e.to_string(), "population.csv:2: unknown city_id 'nope'");
    }
}
