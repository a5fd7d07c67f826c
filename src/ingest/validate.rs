//! Row validation: the hard rules of METHODOLOGY section 3 and the unit normalisation of
//! section 2. A row either becomes an [`Accepted`] observation in canonical units or a
//! [`Problem`] naming the field, the reason and what would be accepted. Rejections are data,
//! not errors: they are written to the rejection file, never dropped.

use std::borrow::Cow;
use std::collections::HashMap;

use rustc_hash::FxHashMap;

use super::read::{Cell, RawRow, field};
use crate::catalog::units::{DenominatorKind, MIN_NONZERO_ABS, UnitProblem, round_sig12};
use crate::catalog::{CanonicalUnit, Catalog, DataPoint, UnitRegistry};
use crate::quality::QUALITY_LEVELS;
use crate::registry::Registry;

/// Why a row was rejected.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The field at fault (`city_id`, `value`, ... or `row`).
    pub field: &'static str,
    /// Short category used to group the summary ("unknown city_id").
    pub kind: &'static str,
    /// The full message, naming what would be accepted.
    pub reason: String,
}

impl Problem {
    /// A problem; control characters in the reason (quoted user text: a city id with a
    /// terminal escape sequence) are shown as visible escapes ([`crate::text::printable`]),
    /// since the reason is printed to terminals. The row's own fields keep their bytes.
    pub(crate) fn new(field: &'static str, kind: &'static str, reason: impl Into<String>) -> Self {
        let reason = reason.into();
        let reason = match crate::text::printable(&reason) {
            Cow::Borrowed(_) => reason,
            Cow::Owned(escaped) => escaped,
        };
        Problem {
            field,
            kind,
            reason,
        }
    }
}

/// Problem kinds of the representability rules (METHODOLOGY section 3).
pub mod kind {
    /// A number beyond what f64 holds (it would be stored as infinity).
    pub const TOO_LARGE: &str = "number too large";
    /// A non-zero number that would be stored as 0, or below [`super::MIN_NONZERO_ABS`].
    pub const TOO_SMALL: &str = "number too small";
    /// A value beyond its canonical unit's magnitude bound.
    pub const BEYOND_BOUND: &str = "beyond magnitude bound";
}

/// An accepted observation, in canonical units. Text fields borrow from the row read.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted<'r> {
    pub city: usize,
    pub data_point: usize,
    pub year: i32,
    pub value: f64,
    pub value_reported: Cow<'r, str>,
    pub unit_reported: Cow<'r, str>,
    /// Index of the unit spelling in the registry (its canonical unit and conversion text).
    pub spelling: usize,
    /// The conversion text when a denominator was applied (else the spelling's).
    pub conversion: Option<String>,
    pub denominator: Option<Cow<'r, str>>,
    pub denominator_value: Option<f64>,
    pub source: Option<Cow<'r, str>>,
    pub quality: &'static str,
    pub verified: bool,
    pub confidential: bool,
    pub notes: Option<Cow<'r, str>>,
}

impl Accepted<'_> {
    /// The (city, data point, year) key packed into 64 bits, for duplicate detection.
    pub fn key(&self) -> u64 {
        pack_key(self.city, self.data_point, self.year)
    }
}

pub(crate) fn pack_key(city: usize, data_point: usize, year: i32) -> u64 {
    ((city as u64) << 32) | ((data_point as u64 & 0xffff) << 16) | (year as u64 & 0xffff)
}

/// The status of a (city, data point, year) the city states it does not report (U4SSC
/// verification reports list "KPIs not reported" and "KPIs not verified").
pub const STATUS_NOT_REPORTED: &str = "not reported";
/// A value the city gave but the verifier could not verify: no value is stored.
pub const STATUS_NOT_VERIFIED: &str = "not verified";

/// The value texts read as a statement instead of a number (compared lowercase, with
/// runs of spaces, `_` and `-` read as one space), and the status each records.
pub const STATEMENTS: [(&str, &str); 5] = [
    ("not reported", STATUS_NOT_REPORTED),
    ("not available", STATUS_NOT_REPORTED),
    ("no data", STATUS_NOT_REPORTED),
    ("not verified", STATUS_NOT_VERIFIED),
    ("not yet verified", STATUS_NOT_VERIFIED),
];

/// True for the statuses a statement records ([`STATUS_NOT_REPORTED`],
/// [`STATUS_NOT_VERIFIED`]): states of a data point the city stated rather than left empty.
pub fn is_statement_status(state: &str) -> bool {
    state == STATUS_NOT_REPORTED || state == STATUS_NOT_VERIFIED
}

/// The status a value text states, if it is one of [`STATEMENTS`].
pub fn statement_status(text: &str) -> Option<&'static str> {
    let t = text.trim();
    if t.len() > 32 || !t.starts_with(['n', 'N']) {
        return None;
    }
    let norm = t
        .to_lowercase()
        .split(|c: char| c.is_whitespace() || c == '_' || c == '-')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    STATEMENTS
        .iter()
        .find(|(s, _)| *s == norm)
        .map(|(_, status)| *status)
}

/// A row stating that the city does not report (or could not have verified) a data point
/// in a year: recorded with its status and no value (METHODOLOGY section 3). Owned, since
/// the few statements of a file are kept until it is committed.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub line: u64,
    pub city: usize,
    pub data_point: usize,
    pub year: i32,
    /// [`STATUS_NOT_REPORTED`] or [`STATUS_NOT_VERIFIED`].
    pub status: &'static str,
    /// Every field as read, in [`super::read::FIELD_NAMES`] order (kept for the rejection
    /// file should a duplicate or conflict retract the statement).
    pub cells: Vec<String>,
}

impl Statement {
    /// The (city, data point, year) key, as [`Accepted::key`].
    pub fn key(&self) -> u64 {
        pack_key(self.city, self.data_point, self.year)
    }
}

/// What a valid row is: an observation with a value, or a statement without one.
#[derive(Debug, Clone, PartialEq)]
pub enum Checked<'r> {
    Value(Accepted<'r>),
    Statement(Statement),
}

/// The canonical value [`Dedupe`] records for a statement: a NaN payload per status that no
/// accepted value has (values are finite), so a statement and a value for the same key
/// conflict, two equal statements are duplicates and two different ones conflict.
pub const STATEMENT_BITS: [(u64, &str); 2] = [
    (0x7ff8_0000_5afe_0001, STATUS_NOT_REPORTED),
    (0x7ff8_0000_5afe_0002, STATUS_NOT_VERIFIED),
];

impl Statement {
    /// This statement's [`STATEMENT_BITS`].
    pub fn bits(&self) -> u64 {
        STATEMENT_BITS
            .iter()
            .find(|(_, s)| *s == self.status)
            .map(|(b, _)| *b)
            .expect("every status has its bits")
    }
}

/// Finds duplicates and conflicts inside one file (METHODOLOGY section 4) from one compact
/// record per accepted row, kept until the file is read:
/// - every row of a (city, data point, year) after the first with the same canonical value
///   is a duplicate of the first;
/// - when the values differ, every row of that key is rejected as conflicting.
///
/// Keys are first marked in a bitmap over the (city, data point, year) space the records
/// span, one pass in any order: a key marked twice is repeated, and only the records of
/// repeated keys are sorted and grouped (none, in a clean file). When that space would
/// need more than [`DENSE_BITMAP_BYTES`], every record is sorted and merged instead.
#[derive(Debug, Default)]
pub struct Dedupe {
    rows: Vec<(u64, u64, u64)>,
    /// Runs of records in the order they came; no vector of every record is ever built.
    parts: Vec<Vec<(u64, u64, u64)>>,
}

/// The largest bitmap [`Dedupe::finish`] allocates to mark keys (64 MiB; 33 961 registry
/// cities x 256 data points x 60 years take 62 MiB); beyond it records are sorted instead.
pub const DENSE_BITMAP_BYTES: u64 = 64 << 20;

impl Dedupe {
    /// Record an accepted row: its key, line and canonical value.
    pub fn push(&mut self, key: u64, line: u64, value: f64) {
        self.rows.push((key, line, value.to_bits()));
    }

    /// Record a row by the bits of its canonical value ([`STATEMENT_BITS`] for a statement).
    pub fn push_bits(&mut self, key: u64, line: u64, bits: u64) {
        self.rows.push((key, line, bits));
    }

    /// Append records made elsewhere ((key, line, value bits), as [`Self::push`] keeps
    /// them).
    pub fn extend_records(&mut self, records: Vec<(u64, u64, u64)>) {
        if !records.is_empty() {
            self.parts.push(records);
        }
    }

    /// Append another run of records.
    pub fn extend(&mut self, other: Dedupe) {
        self.extend_records(other.rows);
        self.parts.extend(other.parts);
    }

    /// The records of keys that occur more than once, sorted; None when the key space is
    /// too large for a bitmap ([`DENSE_BITMAP_BYTES`]).
    fn repeated(&self, bitmap_bytes: u64) -> Option<Vec<Record>> {
        let records = || self.parts.iter().flatten();
        let (mut city_max, mut dp_max, mut year_min, mut year_max) = (0u64, 0u64, u16::MAX, 0u16);
        for r in records() {
            city_max = city_max.max(r.0 >> 32);
            dp_max = dp_max.max((r.0 >> 16) & 0xffff);
            let y = (r.0 & 0xffff) as u16;
            year_min = year_min.min(y);
            year_max = year_max.max(y);
        }
        if year_min > year_max {
            return Some(Vec::new());
        }
        let span = u64::from(year_max - year_min) + 1;
        let dps = dp_max + 1;
        let bits = (city_max + 1)
            .checked_mul(dps)
            .and_then(|n| n.checked_mul(span))
            .filter(|&n| n.div_ceil(8) <= bitmap_bytes)?;
        let index = |key: u64| {
            (((key >> 32) * dps + ((key >> 16) & 0xffff)) * span
                + u64::from((key & 0xffff) as u16 - year_min)) as usize
        };
        let mut seen = vec![0u64; bits.div_ceil(64) as usize];
        let mut twice: Vec<u64> = Vec::new();
        for r in records() {
            let i = index(r.0);
            let (word, bit) = (i / 64, 1u64 << (i % 64));
            if seen[word] & bit != 0 {
                twice.push(r.0);
            }
            seen[word] |= bit;
        }
        if twice.is_empty() {
            return Some(Vec::new());
        }
        // the same bitmap, now marking only the repeated keys
        seen.iter_mut().for_each(|w| *w = 0);
        for &k in &twice {
            let i = index(k);
            seen[i / 64] |= 1u64 << (i % 64);
        }
        let mut out: Vec<Record> = records()
            .filter(|r| {
                let i = index(r.0);
                seen[i / 64] & (1u64 << (i % 64)) != 0
            })
            .copied()
            .collect();
        out.sort_unstable();
        Some(out)
    }

    /// Lines to reject, with the reason. `line_word` is "line", "record" or "row".
    pub fn finish(
        self,
        catalog: &Catalog,
        registry: &Registry,
        line_word: &str,
    ) -> FxHashMap<u64, Problem> {
        self.finish_within(DENSE_BITMAP_BYTES, catalog, registry, line_word)
    }

    /// [`Self::finish`] with a bitmap of at most `bitmap_bytes`.
    fn finish_within(
        mut self,
        bitmap_bytes: u64,
        catalog: &Catalog,
        registry: &Registry,
        line_word: &str,
    ) -> FxHashMap<u64, Problem> {
        let rows = std::mem::take(&mut self.rows);
        self.extend_records(rows);
        // every record sorted, merged from sorted runs (records are unique: every line
        // appears once), or only those of repeated keys
        let repeated = self.repeated(bitmap_bytes);
        let sorted: Box<dyn Iterator<Item = Record> + '_> = match repeated {
            Some(r) => Box::new(r.into_iter()),
            None => {
                for p in &mut self.parts {
                    p.sort_unstable();
                }
                Box::new(KMerge::new(&self.parts))
            }
        };
        let mut sorted = sorted.peekable();
        let mut out = FxHashMap::default();
        let mut group: Vec<(u64, u64, u64)> = Vec::new();
        while let Some(first) = sorted.next() {
            group.clear();
            group.push(first);
            while let Some(r) = sorted.next_if(|r| r.0 == first.0) {
                group.push(r);
            }
            if group.len() > 1 {
                let group = &group[..];
                if group.iter().all(|r| r.2 == first.2) {
                    for r in &group[1..] {
                        out.insert(
                            r.1,
                            Problem::new(
                                "row",
                                "duplicate row",
                                format!(
                                    "duplicate of {line_word} {} (same city_id, data_point_id, year and value)",
                                    first.1
                                ),
                            ),
                        );
                    }
                } else {
                    let key = first.0;
                    let city = &registry.cities()[(key >> 32) as usize].city_id;
                    let dp = &catalog.data_points()[((key >> 16) & 0xffff) as usize].data_point_id;
                    let year = (key & 0xffff) as u16 as i16;
                    let lines: Vec<String> = group.iter().map(|r| r.1.to_string()).collect();
                    let values: Vec<String> = group
                        .iter()
                        .map(|r| match STATEMENT_BITS.iter().find(|(b, _)| *b == r.2) {
                            Some((_, status)) => status.to_string(),
                            None => fmt_num(f64::from_bits(r.2)),
                        })
                        .collect();
                    let (line_list, all) = if lines.len() == 2 {
                        (format!("{} and {}", lines[0], lines[1]), "both")
                    } else {
                        let (last, rest) = lines.split_last().expect("at least two");
                        (format!("{} and {last}", rest.join(", ")), "all")
                    };
                    let reason = format!(
                        "conflicting values for ({city}, {dp}, {year}) at {line_word}s {line_list}: {}; {all} rejected, resubmit one value",
                        values.join(" vs ")
                    );
                    for r in group {
                        out.insert(
                            r.1,
                            Problem::new("row", "conflicting values", reason.clone()),
                        );
                    }
                }
            }
        }
        out
    }
}

/// A dedupe record: (key, line, value bits).
type Record = (u64, u64, u64);

/// Sorted runs walked as one sorted sequence (a k-way merge).
struct KMerge<'a> {
    parts: &'a [Vec<Record>],
    /// The next record of each run not yet walked, with the run and its position.
    heap: std::collections::BinaryHeap<std::cmp::Reverse<(Record, usize, usize)>>,
}

impl<'a> KMerge<'a> {
    fn new(parts: &'a [Vec<Record>]) -> Self {
        let heap = parts
            .iter()
            .enumerate()
            .filter_map(|(k, p)| p.first().map(|&r| std::cmp::Reverse((r, k, 0))))
            .collect();
        KMerge { parts, heap }
    }
}

impl Iterator for KMerge<'_> {
    type Item = Record;

    fn next(&mut self) -> Option<Self::Item> {
        let std::cmp::Reverse((r, k, i)) = self.heap.pop()?;
        if let Some(&next) = self.parts[k].get(i + 1) {
            self.heap.push(std::cmp::Reverse((next, k, i + 1)));
        }
        Some(r)
    }
}

/// Validator for one file: the hard rules, row by row (stateless apart from caches, so
/// chunks of a file can be validated in parallel by clones).
#[derive(Clone)]
pub struct Validator<'a> {
    catalog: &'a Catalog,
    units: &'a UnitRegistry,
    registry: &'a Registry,
    year_min: i32,
    year_max: i32,
    /// Per data point: reported unit text -> spelling index or the problem.
    unit_cache: Vec<FxHashMap<String, Result<usize, Problem>>>,
    unknown_city_cache: HashMap<String, Problem>,
    /// "Did you mean" searches for unknown cities still allowed in this file.
    city_suggestions_left: usize,
}

/// The problem kind of an unknown city id.
pub const UNKNOWN_CITY: &str = "unknown city_id";

/// Most entries a per-file cache keyed by a cell's text holds before it starts over.
const CACHE_MAX: usize = 16_384;

/// "Did you mean" searches for unknown city ids per file (each compares the id with every
/// city's): a typo makes a few; a file of thousands of unknown ids is not a typo, and its
/// later ids get the plain advice instead.
pub const CITY_SUGGESTIONS: usize = 1_000;

impl<'a> Validator<'a> {
    /// A validator accepting years `year_min..=year_max`.
    pub fn new(
        catalog: &'a Catalog,
        units: &'a UnitRegistry,
        registry: &'a Registry,
        year_min: i32,
        year_max: i32,
    ) -> Self {
        Validator {
            catalog,
            units,
            registry,
            year_min,
            year_max,
            unit_cache: vec![FxHashMap::default(); catalog.data_points().len()],
            unknown_city_cache: HashMap::new(),
            city_suggestions_left: CITY_SUGGESTIONS,
        }
    }

    /// This validator without "did you mean" searches: the workers validating a file in
    /// parallel leave them to one validator that sees the rejections in file order
    /// ([`Self::unknown_city`]), so that the file's budget of searches goes to its first
    /// unknown ids whichever worker met them.
    pub fn without_suggestions(mut self) -> Self {
        self.city_suggestions_left = 0;
        self
    }

    /// The problem of an unknown city id (trimmed, not empty): with a "did you mean" while
    /// this file's budget of searches lasts ([`CITY_SUGGESTIONS`]); the same id gets the
    /// same message throughout a file.
    pub fn unknown_city(&mut self, city_id: &str) -> Problem {
        let reg = self.registry;
        // bounded: a file of millions of distinct unknown ids must not fill memory
        if self.unknown_city_cache.len() >= CACHE_MAX {
            self.unknown_city_cache.clear();
        }
        let left = &mut self.city_suggestions_left;
        self.unknown_city_cache
            .entry(city_id.to_string())
            .or_insert_with(|| {
                let searched = (*left > 0).then(|| {
                    *left -= 1;
                    reg.suggest(city_id)
                });
                let hint = match searched.flatten() {
                    Some(s) => format!("did you mean {s}?"),
                    None => "add it to the workspace cities.csv".to_string(),
                };
                Problem::new(
                    "city_id",
                    UNKNOWN_CITY,
                    format!(
                        "unknown city_id '{city_id}': not in the city registry or the workspace cities.csv; {hint}"
                    ),
                )
            })
            .clone()
    }

    /// Validate one row. Duplicates and conflicts across rows are found afterwards by
    /// [`Dedupe`], from [`Accepted::key`] and [`Statement::key`].
    pub fn check<'r>(&mut self, row: &RawRow<'r>) -> Result<Checked<'r>, Problem> {
        if let Some(p) = &row.problem {
            return Err(Problem::new("row", "malformed row", p.clone()));
        }
        let c = &row.cells;
        // city
        let city_text = c[field::CITY_ID].trimmed();
        let city_id: &str = &city_text;
        if city_id.is_empty() {
            return Err(Problem::new(
                "city_id",
                "missing city_id",
                "city_id is empty; a city id from the registry or the workspace cities.csv is required",
            ));
        }
        let city = match self.registry.position(city_id) {
            Some(i) => i,
            None => return Err(self.unknown_city(city_id)),
        };
        // data point
        let dp_text = c[field::DATA_POINT_ID].trimmed();
        let dp_id: &str = &dp_text;
        let Some(dpi) = self.catalog.position(dp_id) else {
            let n = self.catalog.data_points().len();
            let reason = if dp_id.is_empty() {
                format!(
                    "data_point_id is empty; one of the catalogue's {n} data point ids is required (citybench catalog lists them)"
                )
            } else {
                match self.catalog.suggest(dp_id) {
                    Some(s) => format!(
                        "unknown data_point_id '{dp_id}'; did you mean '{s}'? (citybench catalog lists all {n})"
                    ),
                    None => format!(
                        "unknown data_point_id '{dp_id}'; citybench catalog lists the {n} accepted ids"
                    ),
                }
            };
            return Err(Problem::new(
                "data_point_id",
                "unknown data_point_id",
                reason,
            ));
        };
        let dp = &self.catalog.data_points()[dpi];
        // year
        let year = parse_year(&c[field::YEAR], self.year_min, self.year_max)?;
        // a statement instead of a value: the rest of the row describes no value
        if let Cell::Str(t) = c[field::VALUE]
            && let Some(status) = statement_status(t)
        {
            return Ok(Checked::Statement(Statement {
                line: row.line,
                city,
                data_point: dpi,
                year,
                status,
                cells: c.iter().map(|x| x.text().into_owned()).collect(),
            }));
        }
        // value
        let value_reported = c[field::VALUE].trimmed();
        let canon = self
            .units
            .canonical(&dp.canonical_unit)
            .expect("checked at catalogue load");
        let reported = if dp.is_boolean() {
            parse_bool_value(&c[field::VALUE])?
        } else {
            parse_number(&c[field::VALUE], |text| {
                Problem::new(
                    "value",
                    kind::TOO_LARGE,
                    format!(
                        "value '{text}' is too large to represent (it would be stored as infinity); accepted for {}: {} {}",
                        dp.data_point_id,
                        accepted_range(dp, canon),
                        canon.label
                    ),
                )
            })?
        };
        // unit
        let unit_reported = c[field::UNIT].trimmed();
        let sp_idx = match self.unit_cache[dpi].get(&*unit_reported) {
            Some(r) => r.clone()?,
            None => {
                let units = self.units;
                let r = units
                    .resolve(dp, &unit_reported)
                    .map(|s| {
                        units
                            .spellings()
                            .iter()
                            .position(|x| std::ptr::eq(x, s))
                            .expect("spelling from the registry")
                    })
                    .map_err(|e| {
                        let mut m = e.to_string();
                        if matches!(e, UnitProblem::WrongQuantity { .. })
                            && let Some(other) =
                                sibling_in_unit(self.catalog, units, dp, &unit_reported)
                        {
                            // the KPI has a data point in that unit (freshwater consumption
                            // in m3 per capita and in %): name it
                            // before the (long) list of accepted spellings
                            let hint =
                                format!("; {} in this unit is data point {other}", dp.kpi_id);
                            let at = m.find("; accepted: ").unwrap_or(m.len());
                            m.insert_str(at, &hint);
                        }
                        Problem::new("unit", unit_kind(&e), m)
                    });
                if self.unit_cache[dpi].len() >= CACHE_MAX {
                    self.unit_cache[dpi].clear();
                }
                self.unit_cache[dpi].insert(unit_reported.to_string(), r.clone());
                r?
            }
        };
        let sp = &self.units.spellings()[sp_idx];
        // denominator
        let den_cow = c[field::DENOMINATOR].trimmed();
        let den_text: &str = &den_cow;
        let (value, conversion, denominator, denominator_value) = if den_text.is_empty() {
            if sp.per_denominator {
                // say both fixes: the per-capita spelling where the value is already per
                // inhabitant (the KPI's name says so), or the denominator of a city total
                let per_capita = match self.units.per_capita_form(dp, sp) {
                    Some(pc) => format!(
                        "if the value is per inhabitant, write the unit as '{}'; if it is the city's total, ",
                        pc.spelling
                    ),
                    None => String::new(),
                };
                return Err(Problem::new(
                    "denominator",
                    "total without denominator",
                    format!(
                        "unit '{unit_reported}' is a total; {per_capita}give a denominator (population or a positive number) to convert it to {}",
                        canon.label
                    ),
                ));
            }
            (sp.to_canonical(reported), None, None, None)
        } else {
            if !sp.per_denominator {
                return Err(Problem::new(
                    "denominator",
                    "denominator with a rate",
                    format!(
                        "denominator '{den_text}' given but unit '{unit_reported}' is already {}; give the total (e.g. unit 'number') or leave the denominator empty",
                        if sp.is_identity() {
                            format!("the canonical unit ({})", canon.label)
                        } else {
                            format!("a rate converting to {}", canon.label)
                        }
                    ),
                ));
            }
            let scale = canon.denominator_scale.unwrap_or(1.0);
            let (den, label) = if den_text.eq_ignore_ascii_case("population") {
                if canon.denominator_kind != DenominatorKind::Population {
                    return Err(Problem::new(
                        "denominator",
                        "bad denominator",
                        format!(
                            "denominator 'population' does not apply to {}; give the denominator count as a number (e.g. live births, floor area)",
                            canon.label
                        ),
                    ));
                }
                let Some(p) = self.registry.population(city, year) else {
                    let cty = &self.registry.cities()[city];
                    let known = match (cty.population, cty.population_year) {
                        (Some(p), Some(y)) => format!("; the registry has {p} for {y} only"),
                        _ => String::new(),
                    };
                    return Err(Problem::new(
                        "denominator",
                        "no population for the year",
                        format!(
                            "no population for city {city_id} in {year}: add it to the workspace population.csv (city_id,year,population){known}"
                        ),
                    ));
                };
                (p as f64, format!("population {year} = {p}"))
            } else {
                match den_text.parse::<f64>() {
                    Ok(d) if d.is_finite() && d > 0.0 => (d, format!("denominator {den_text}")),
                    Ok(d) if d.is_infinite() && is_plain(den_text) => {
                        return Err(Problem::new(
                            "denominator",
                            kind::TOO_LARGE,
                            format!(
                                "denominator '{den_text}' is too large to represent (it would be stored as infinity); give the count as a plain number"
                            ),
                        ));
                    }
                    Ok(d) if d == 0.0 && nonzero_mantissa(den_text) && is_plain(den_text) => {
                        return Err(Problem::new(
                            "denominator",
                            kind::TOO_SMALL,
                            format!(
                                "denominator '{den_text}' is too small to represent (it would be stored as 0); a denominator is a positive count"
                            ),
                        ));
                    }
                    _ => {
                        return Err(Problem::new(
                            "denominator",
                            "bad denominator",
                            format!(
                                "denominator '{den_text}' is neither 'population' nor a positive number"
                            ),
                        ));
                    }
                }
            };
            let v = round_sig12(sp.convert_exact(reported) / den * scale);
            let conv = format!(
                "x{} / {label} x {} ({unit_reported} -> {})",
                fmt_num(sp.factor),
                fmt_num(scale),
                canon.label
            );
            (v, Some(conv), Some(den_cow.clone()), Some(den))
        };
        // representable after the conversion (x factor / denominator x scale)
        if !value.is_finite() || (reported != 0.0 && value.abs() < MIN_NONZERO_ABS) {
            let shown = number_text(&c[field::VALUE]);
            let given = match &denominator {
                Some(d) => format!("value '{shown}' {unit_reported} with denominator {d}"),
                None => format!("value '{shown}' {unit_reported}"),
            };
            return Err(if value.is_finite() {
                Problem::new(
                    "value",
                    kind::TOO_SMALL,
                    format!(
                        "{given} converts to {} {}, too small to compute with: a non-zero value must be at least {} in magnitude; write 0 if the value is zero",
                        fmt_num(value),
                        canon.label,
                        fmt_magnitude(MIN_NONZERO_ABS)
                    ),
                )
            } else {
                Problem::new(
                    "value",
                    kind::TOO_LARGE,
                    format!(
                        "{given} is too large to represent in {} (it would be stored as infinity); accepted for {}: {} {}",
                        canon.label,
                        dp.data_point_id,
                        accepted_range(dp, canon),
                        canon.label
                    ),
                )
            });
        }
        // hard bounds (on the canonical value)
        if dp.is_boolean() {
            if value != 0.0 && value != 1.0 {
                return Err(Problem::new(
                    "value",
                    "boolean not 0/1",
                    format!(
                        "value '{value_reported}' is not a yes/no value; accepted: yes, no, true, false, 1, 0"
                    ),
                ));
            }
        } else {
            if let Some(min) = dp.hard_min
                && value < min
            {
                return Err(Problem::new(
                    "value",
                    if value < 0.0 {
                        "negative value"
                    } else {
                        "below hard minimum"
                    },
                    format!(
                        "value {} {} is below the minimum {} for {} ({}): {} cannot be negative",
                        fmt_num(value),
                        canon.label,
                        fmt_num(min),
                        dp.data_point_id,
                        dp.full_name(),
                        canon.quantity_noun()
                    ),
                ));
            }
            if let Some(max) = dp.hard_max
                && value > max
            {
                return Err(Problem::new(
                    "value",
                    "above hard maximum",
                    format!(
                        "value {} {} is above the maximum {} for {} ({}); accepted: {}..{}",
                        fmt_num(value),
                        canon.label,
                        fmt_num(max),
                        dp.data_point_id,
                        dp.full_name(),
                        fmt_num(dp.hard_min.unwrap_or(0.0)),
                        fmt_num(max)
                    ),
                ));
            }
            if value.abs() > canon.max_abs {
                return Err(Problem::new(
                    "value",
                    kind::BEYOND_BOUND,
                    format!(
                        "value {} {} is beyond {}, the largest magnitude accepted for {} ({}); accepted for {}: {}; check the number and its unit",
                        fmt_magnitude(value),
                        canon.label,
                        fmt_magnitude(canon.max_abs),
                        canon.quantity_noun(),
                        canon.max_abs_reason,
                        dp.data_point_id,
                        accepted_range(dp, canon)
                    ),
                ));
            }
        }
        // quality, verified, confidential
        let quality = parse_quality(&c[field::QUALITY])?;
        let verified = parse_flag(&c[field::VERIFIED], "verified")?;
        let confidential = parse_flag(&c[field::CONFIDENTIAL], "confidential")?;
        let text_opt = |cell: &Cell<'r>| {
            let t = cell.trimmed();
            (!t.is_empty()).then_some(t)
        };
        Ok(Checked::Value(Accepted {
            city,
            data_point: dpi,
            year,
            value,
            value_reported,
            unit_reported,
            spelling: sp_idx,
            conversion,
            denominator,
            denominator_value,
            source: text_opt(&c[field::SOURCE]),
            quality,
            verified,
            confidential,
            notes: text_opt(&c[field::NOTES]),
        }))
    }
}

/// Another data point of `dp`'s KPI that accepts `unit` (the KPI's other form), if any.
fn sibling_in_unit<'c>(
    catalog: &'c Catalog,
    units: &UnitRegistry,
    dp: &DataPoint,
    unit: &str,
) -> Option<&'c str> {
    catalog
        .data_points()
        .iter()
        .filter(|o| o.kpi_id == dp.kpi_id && o.data_point_id != dp.data_point_id)
        .find(|o| units.resolve(o, unit).is_ok())
        .map(|o| o.data_point_id.as_str())
}

fn unit_kind(p: &crate::catalog::units::UnitProblem) -> &'static str {
    use crate::catalog::units::UnitProblem::*;
    match p {
        Missing { .. } => "missing unit",
        WrongQuantity { .. } => "unit of the wrong quantity",
        NotApplicable { .. } => "unit not applicable",
        Unknown { .. } => "unknown unit",
    }
}

/// Format a number without float noise: integers without a decimal point, others with the
/// shortest representation after rounding to 12 significant digits.
pub fn fmt_num(x: f64) -> String {
    let r = round_sig12(x);
    if r.fract() == 0.0 && r.abs() < 1e15 {
        format!("{}", r as i64)
    } else if r.is_finite() && (r.abs() >= 1e15 || r.abs() < 1e-6) {
        // 1.79769313486e308 and 1e-101, not 309 digits or 100 zeros
        format!("{r:e}")
    } else {
        format!("{r}")
    }
}

/// [`fmt_num`], in scientific notation from a million up (`1e8`, `2.5e6`): magnitude bounds
/// and the values beyond them read at a glance, and the text is a number ingest accepts.
pub fn fmt_magnitude(x: f64) -> String {
    let r = round_sig12(x);
    if r.is_finite() && r.abs() >= 1e6 {
        format!("{r:e}")
    } else {
        fmt_num(r)
    }
}

/// The values a data point accepts, in its canonical unit: from its hard minimum (else minus
/// the unit's magnitude bound) to the smaller of its hard maximum and the bound, e.g.
/// `0..1e8`.
fn accepted_range(dp: &DataPoint, canon: &CanonicalUnit) -> String {
    let hi = dp.hard_max.map_or(canon.max_abs, |m| m.min(canon.max_abs));
    let lo = dp.hard_min.unwrap_or(-canon.max_abs);
    format!("{}..{}", fmt_magnitude(lo), fmt_magnitude(hi))
}

/// Whether a number's text is plain decimal notation (digits, '.', sign, exponent).
pub(crate) fn is_plain(t: &str) -> bool {
    t.bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
}

/// Whether the digits before the exponent are not all zero: `1e-400` is a non-zero number
/// (that parses to 0), `0.0e5` is zero.
pub(crate) fn nonzero_mantissa(t: &str) -> bool {
    t.split(['e', 'E'])
        .next()
        .is_some_and(|m| m.bytes().any(|b| (b'1'..=b'9').contains(&b)))
}

/// A number cell as text for messages: text as written; a Parquet or JSON float in
/// scientific notation when it is extreme (`1e-310`, not 310 zeros).
fn number_text(cell: &Cell<'_>) -> String {
    match *cell {
        Cell::Float(f) if f != 0.0 && f.is_finite() && (f.abs() >= 1e15 || f.abs() < 1e-6) => {
            format!("{f:e}")
        }
        _ => cell.text().trim().to_string(),
    }
}

fn parse_year(cell: &Cell<'_>, min: i32, max: i32) -> Result<i32, Problem> {
    let y: i64 = match *cell {
        Cell::Int(i) => i,
        Cell::Float(f) if f.fract() == 0.0 && f.is_finite() => f as i64,
        Cell::Null => {
            return Err(Problem::new(
                "year",
                "bad year",
                format!("year is empty; a year in {min}..{max} is required"),
            ));
        }
        _ => {
            let t = cell.text();
            let t = t.trim();
            if t.is_empty() {
                return Err(Problem::new(
                    "year",
                    "bad year",
                    format!("year is empty; a year in {min}..{max} is required"),
                ));
            }
            match t.parse::<i64>() {
                Ok(v) => v,
                Err(_) => {
                    return Err(Problem::new(
                        "year",
                        "bad year",
                        format!(
                            "year '{t}' is not a whole number; expected a year in {min}..{max}"
                        ),
                    ));
                }
            }
        }
    };
    if y < min as i64 || y > max as i64 {
        return Err(Problem::new(
            "year",
            "year out of range",
            format!("year {y} is outside the accepted range {min}..{max}"),
        ));
    }
    Ok(y as i32)
}

/// Parse a numeric value by an explicit rule: plain decimal notation with `.` as the decimal
/// point and an optional exponent (`1234.5`, `-0.5`, `1e6`). Digit grouping (`95 424`,
/// `95,424.5`) and decimal commas (`95,4`) are rejected, never guessed: `95,424` could be
/// ninety-five thousand or ninety-five point four.
///
/// The number must also be representable (METHODOLOGY section 3): a literal beyond f64's
/// range (`1e400`, which would be stored as infinity) is rejected with `too_large(text)`; a
/// non-zero literal that would be stored as 0 (`1e-400`), and any non-zero value below
/// [`MIN_NONZERO_ABS`] in magnitude (subnormal numbers included), as too small.
pub fn parse_number(
    cell: &Cell<'_>,
    too_large: impl FnOnce(&str) -> Problem,
) -> Result<f64, Problem> {
    let v = match *cell {
        Cell::Int(i) => i as f64,
        Cell::Float(f) => f,
        Cell::Bool(_) => {
            return Err(Problem::new(
                "value",
                "not a number",
                "value is a boolean; this data point needs a number",
            ));
        }
        Cell::Null => {
            return Err(Problem::new(
                "value",
                "missing value",
                "value is empty; a number is required (leave the data point out if it has no value)",
            ));
        }
        Cell::Str(s) => {
            let t = s.trim();
            if t.is_empty() {
                return Err(Problem::new(
                    "value",
                    "missing value",
                    "value is empty; a number is required (leave the data point out if it has no value)",
                ));
            }
            // SI / ISO 80000 grouping by spaces or apostrophes ("48 816.00", "1'000"): no
            // locale reads a space as a decimal mark, so it is read, not guessed
            let ungrouped = space_grouped(t);
            let t = ungrouped.as_deref().unwrap_or(t);
            let plain = is_plain(t);
            match t.parse::<f64>() {
                Ok(v) if plain && v.is_infinite() => return Err(too_large(t)),
                Ok(v) if plain && v == 0.0 && nonzero_mantissa(t) => {
                    return Err(Problem::new(
                        "value",
                        kind::TOO_SMALL,
                        format!(
                            "value '{t}' is too small to represent (it would be stored as 0); write 0 if the value is zero"
                        ),
                    ));
                }
                Ok(v) if plain => v,
                _ => return Err(number_problem(t)),
            }
        }
    };
    if !v.is_finite() {
        return Err(Problem::new(
            "value",
            "not finite",
            format!("value '{}' is not a finite number", cell.text().trim()),
        ));
    }
    if v != 0.0 && v.abs() < MIN_NONZERO_ABS {
        return Err(Problem::new(
            "value",
            kind::TOO_SMALL,
            format!(
                "value '{}' is too small to compute with: a non-zero value must be at least {} in magnitude; write 0 if the value is zero",
                number_text(cell),
                fmt_magnitude(MIN_NONZERO_ABS)
            ),
        ));
    }
    Ok(v)
}

/// Separators of digit groups that are never a decimal mark: space, apostrophe, no-break,
/// narrow no-break and thin space. A comma is not one of them (`95,424` is ninety-five
/// thousand in one locale and ninety-five point four in another).
const GROUP_SPACES: [char; 5] = [' ', '\'', '\u{a0}', '\u{202f}', '\u{2009}'];

/// `t` without its digit-group separators when it is a number grouped the SI way: an
/// optional sign, 1-3 digits, then groups of exactly 3 digits each after one and the same
/// [`GROUP_SPACES`] separator, then an optional `.` and digits (`48 816.00` -> `48816.00`,
/// `1'000` -> `1000`). None for anything else (plain numbers included).
pub fn space_grouped(t: &str) -> Option<String> {
    let sep = t.chars().find(|c| GROUP_SPACES.contains(c))?;
    let sign = t.len() - t.trim_start_matches(['-', '+']).len();
    let (head, body) = t.split_at(sign);
    let (int_part, frac) = match body.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (body, None),
    };
    let groups: Vec<&str> = int_part.split(sep).collect();
    let ok = groups.len() > 1
        && sign <= 1
        && (1..=3).contains(&groups[0].len())
        && groups[1..].iter().all(|g| g.len() == 3)
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()))
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    ok.then(|| {
        let mut out = String::from(head);
        out.push_str(&groups.concat());
        if let Some(f) = frac {
            out.push('.');
            out.push_str(f);
        }
        out
    })
}

fn number_problem(t: &str) -> Problem {
    let lower = t.to_ascii_lowercase();
    if matches!(
        lower.trim_start_matches(['+', '-']),
        "nan" | "inf" | "infinity"
    ) {
        return Problem::new(
            "value",
            "not finite",
            format!("value '{t}' is not a finite number"),
        );
    }
    // digit grouping: 1-3 digits, then groups of exactly 3 separated by space/comma/
    // apostrophe/no-break space, then an optional '.' fraction
    let seps = [' ', ',', '\'', '\u{a0}', '\u{202f}', '\u{2009}'];
    let body = t.trim_start_matches(['-', '+']);
    let (int_part, frac) = match body.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (body, None),
    };
    let groups: Vec<&str> = int_part.split(&seps[..]).collect();
    let grouped = groups.len() > 1
        && (1..=3).contains(&groups[0].len())
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()))
        && groups[1..].iter().all(|g| g.len() == 3)
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    if grouped {
        let plain: String = t.chars().filter(|c| !seps.contains(c)).collect();
        return Problem::new(
            "value",
            "digit grouping",
            format!(
                "value '{t}' uses digit grouping; write plain digits with '.' as the decimal point, e.g. {plain}"
            ),
        );
    }
    if let Some((a, b)) = t.split_once(',')
        && !a.is_empty()
        && a.trim_start_matches(['-', '+'])
            .bytes()
            .all(|x| x.is_ascii_digit())
        && !b.is_empty()
        && b.bytes().all(|x| x.is_ascii_digit())
    {
        return Problem::new(
            "value",
            "decimal comma",
            format!(
                "value '{t}' uses a decimal comma; write '.' as the decimal point (e.g. {a}.{b}) if that is the value"
            ),
        );
    }
    if t.ends_with('%') {
        return Problem::new(
            "value",
            "not a number",
            format!(
                "value '{t}' carries a unit sign; put the number in value and the unit in unit (e.g. value {}, unit %)",
                t.trim_end_matches('%').trim()
            ),
        );
    }
    Problem::new(
        "value",
        "not a number",
        format!(
            "value '{t}' is not a number; expected plain decimal notation such as 42, 0.57 or 1.2e5, or 'Not reported' for a data point the city does not report"
        ),
    )
}

pub(crate) fn parse_bool_value(cell: &Cell<'_>) -> Result<f64, Problem> {
    match *cell {
        Cell::Bool(b) => Ok(if b { 1.0 } else { 0.0 }),
        Cell::Int(i) if i == 0 || i == 1 => Ok(i as f64),
        Cell::Float(f) if f == 0.0 || f == 1.0 => Ok(f),
        Cell::Null => Err(Problem::new(
            "value",
            "missing value",
            "value is empty; a yes/no value is required (yes, no, true, false, 1, 0)",
        )),
        _ => {
            let t = cell.text();
            let t = t.trim();
            match t.to_ascii_lowercase().as_str() {
                "yes" | "y" | "true" | "1" | "1.0" => Ok(1.0),
                "no" | "n" | "false" | "0" | "0.0" => Ok(0.0),
                "" => Err(Problem::new(
                    "value",
                    "missing value",
                    "value is empty; a yes/no value is required (yes, no, true, false, 1, 0)",
                )),
                _ => Err(Problem::new(
                    "value",
                    "boolean not 0/1",
                    format!(
                        "value '{t}' is not a yes/no value; accepted: yes, no, true, false, 1, 0"
                    ),
                )),
            }
        }
    }
}

pub(crate) fn parse_quality(cell: &Cell<'_>) -> Result<&'static str, Problem> {
    let t = cell.text();
    let t = t.trim();
    if t.is_empty() {
        return Ok("unknown");
    }
    let norm: String = t
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '-' { '_' } else { c })
        .collect();
    QUALITY_LEVELS
        .iter()
        .find(|q| **q == norm)
        .copied()
        .ok_or_else(|| {
            Problem::new(
                "quality",
                "unknown quality",
                format!(
                    "quality '{t}' is not a U4SSC data quality level; accepted: {} (empty means unknown)",
                    QUALITY_LEVELS.join(", ")
                ),
            )
        })
}

pub(crate) fn parse_flag(cell: &Cell<'_>, name: &'static str) -> Result<bool, Problem> {
    match *cell {
        Cell::Bool(b) => Ok(b),
        Cell::Null => Ok(false),
        Cell::Int(0) => Ok(false),
        Cell::Int(1) => Ok(true),
        _ => {
            let t = cell.text();
            let t = t.trim();
            match t.to_ascii_lowercase().as_str() {
                "" | "false" | "no" | "n" | "0" => Ok(false),
                "true" | "yes" | "y" | "1" => Ok(true),
                _ => Err(Problem::new(
                    name,
                    if name == "verified" {
                        "bad verified flag"
                    } else {
                        "bad confidential flag"
                    },
                    format!(
                        "{name} '{t}' is not a yes/no value; accepted: true, false, yes, no, 1, 0 (empty means false)"
                    ),
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A large file handed over in sorted runs: repeats and conflicts whose rows fall in
    /// different runs are found, each with its first line.
    #[test]
    fn dedupe_finds_repeats_across_the_halves_of_a_large_file() {
        // by the bitmap, and by sorting every record (a key space beyond any bitmap)
        for bitmap_bytes in [DENSE_BITMAP_BYTES, 0] {
            repeats_across_runs(bitmap_bytes);
        }
    }

    fn repeats_across_runs(bitmap_bytes: u64) {
        let units = UnitRegistry::embedded().unwrap();
        let catalog = Catalog::embedded(&units).unwrap();
        let registry = Registry::embedded().unwrap();
        let n = 1_048_586u64;
        let mut d = Dedupe::default();
        // distinct keys in reverse order, in three runs as workers hand them over
        let key = |i: u64| {
            pack_key(
                (i % 1000) as usize,
                (i / 1000 % 50) as usize,
                2000 + (i / 50_000) as i32,
            )
        };
        let mut part = Vec::new();
        for line in 1..=n {
            let i = n - line;
            part.push((key(i), line, (i as f64).to_bits()));
            if part.len() == 400_000 {
                d.extend_records(std::mem::take(&mut part));
            }
        }
        d.extend_records(part);
        // a repeat of line 1 (key n-1) at the end, and a conflict for line n's key
        d.push(key(n - 1), n + 1, (n - 1) as f64);
        d.push(key(0), n + 2, 1.5);
        let out = d.finish_within(bitmap_bytes, &catalog, &registry, "row");
        assert_eq!(out.len(), 3, "{out:?}");
        assert_eq!(
            out[&(n + 1)].reason,
            "duplicate of row 1 (same city_id, data_point_id, year and value)"
        );
        assert_eq!(out[&n].kind, "conflicting values");
        assert!(
            out[&(n + 2)]
                .reason
                .contains(&format!("at rows {n} and {}: 0 vs 1.5", n + 2)),
            "{}",
            out[&(n + 2)].reason
        );
    }

    /// The bitmap and the sort agree on any records: random keys in a small space (many
    /// repeats, equal and different values), handed over in runs of random length.
    #[test]
    fn dedupe_by_bitmap_equals_dedupe_by_sorting() {
        let units = UnitRegistry::embedded().unwrap();
        let catalog = Catalog::embedded(&units).unwrap();
        let registry = Registry::embedded().unwrap();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |m: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % m
        };
        for _ in 0..20 {
            let (mut a, mut b) = (Dedupe::default(), Dedupe::default());
            let mut part = Vec::new();
            for line in 1..=2_000u64 {
                let key = pack_key(next(7) as usize, next(5) as usize, 2015 + next(4) as i32);
                let rec = (key, line, (next(2) as f64).to_bits());
                part.push(rec);
                if next(100) == 0 {
                    a.extend_records(part.clone());
                    b.extend_records(std::mem::take(&mut part));
                }
            }
            a.extend_records(part.clone());
            b.extend_records(part);
            let by_bitmap = a.finish_within(DENSE_BITMAP_BYTES, &catalog, &registry, "line");
            let by_sorting = b.finish_within(0, &catalog, &registry, "line");
            assert!(!by_bitmap.is_empty());
            assert_eq!(by_bitmap, by_sorting);
        }
    }
}
