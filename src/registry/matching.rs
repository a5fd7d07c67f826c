//! Matching city names from other tables to registry ids: given (country, name) pairs from
//! any city-level table (World Bank What a Waste, a national statistics office's list ...),
//! find the registry city id, or say why not (`citybench cities --match FILE`).
//!
//! Rules (docs/methodology.md, "Matching city names to registry ids"):
//! - The country is resolved first: ISO 3166 alpha-2 or alpha-3 code (any case) or the
//!   GeoNames English country name (`datasets/registry/countries.csv`), compared folded.
//!   A name is only ever matched to a city **of that country**; a city of the same name
//!   elsewhere is reported in the reason, never matched.
//! - The name is then tried against the country's cities in tiers, first tier with a hit
//!   wins: [`Method::Exact`] (the registry `name`, case-insensitively), [`Method::Ascii`]
//!   (`ascii_name`, case-insensitively), [`Method::Folded`] (both after [`fold`]: accents,
//!   case, punctuation, `St.`/`Saint`), [`Method::Alternate`] (GeoNames alternate names,
//!   `datasets/registry/alternate_names.csv`, folded), [`Method::Affix`] (all of these
//!   with "City of X", "X City", "Greater X", "Municipality of X" ... dropped on both sides,
//!   [`strip_affixes`]).
//! - Within the winning tier, two or more different cities make the name **ambiguous**: no
//!   city is picked; the candidates (id, name, population) are reported, most populous first.
//! - No hit: **unmatched**, with the reason and the closest names of the country (edit
//!   distance on folded names) as candidates.

use std::collections::HashMap;

use rustc_hash::FxHashMap;
use unicode_normalization::UnicodeNormalization;

use super::{City, Registry};

/// The embedded alternate names (`city_id,alternate_names`, names joined by `|`).
pub const EMBEDDED_ALTERNATE_NAMES: &str =
    include_str!("../../datasets/registry/alternate_names.csv");
/// The embedded country table (`country_iso2,country_iso3,country_name`).
pub const EMBEDDED_COUNTRIES: &str = include_str!("../../datasets/registry/countries.csv");

/// At most this many candidates are reported for an unmatched name.
pub const MAX_CANDIDATES: usize = 3;

/// Leading words dropped by [`strip_affixes`] (folded forms, longest first within a family).
pub const PREFIXES: [&str; 12] = [
    "city of",
    "municipality of",
    "municipal corporation of",
    "metropolitan municipality of",
    "district of",
    "town of",
    "greater",
    "metropolitan",
    "ciudad de",
    "municipio de",
    "comune di",
    "kota",
];

/// Trailing words dropped by [`strip_affixes`] (folded forms).
/// `town` is not one: it ends many names (`Cape Town`, `Georgetown` is one word anyway).
pub const SUFFIXES: [&str; 11] = [
    "metropolitan municipality",
    "municipal council",
    "mm",
    "metropolitan city",
    "metropolitan area",
    "municipal corporation",
    "city council",
    "municipality",
    "metropolis",
    "district",
    "city",
];

/// Abbreviations written out by [`fold`], as whole words.
const ABBREVIATIONS: [(&str, &str); 4] = [
    ("st", "saint"),
    ("ste", "sainte"),
    ("mt", "mount"),
    ("ft", "fort"),
];

/// How a name was matched: the first of these tiers that finds a city wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// The registry `name`, case-insensitively.
    Exact,
    /// The registry `ascii_name`, case-insensitively.
    Ascii,
    /// `name` or `ascii_name` after [`fold`].
    Folded,
    /// A GeoNames alternate name after [`fold`].
    Alternate,
    /// Any of the above after [`strip_affixes`] on both sides.
    Affix,
    /// Any of the above for the parts of the name ([`name_parts`]: `Upolu (Apia)`,
    /// `Distrito Federal, Brasilia`), all parts' cities together.
    Part,
}

impl Method {
    /// The tiers tried on a whole name, in order ([`Method::Part`] comes after them).
    pub const ALL: [Method; 5] = [
        Method::Exact,
        Method::Ascii,
        Method::Folded,
        Method::Alternate,
        Method::Affix,
    ];

    /// The `method` column: the tier, and `, most populous` when the most-populous rule
    /// picked the city.
    pub fn label(self, by_population: bool) -> String {
        if by_population {
            format!("{}, most populous", self.as_str())
        } else {
            self.as_str().to_string()
        }
    }

    /// The word printed in the `method` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Exact => "exact",
            Method::Ascii => "ascii",
            Method::Folded => "folded",
            Method::Alternate => "alternate",
            Method::Affix => "affix",
            Method::Part => "part",
        }
    }
}

/// The outcome of matching one name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Matched,
    Ambiguous,
    Unmatched,
}

impl Status {
    /// The word printed in the `status` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Matched => "matched",
            Status::Ambiguous => "ambiguous",
            Status::Unmatched => "unmatched",
        }
    }
}

/// A registry city offered as a candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub city_id: String,
    pub name: String,
    pub population: Option<u64>,
}

impl Candidate {
    fn of(c: &City) -> Self {
        Candidate {
            city_id: c.city_id.clone(),
            name: c.name.clone(),
            population: c.population,
        }
    }

    /// `ID Name (pop N)`, or `ID Name` without a population.
    pub fn display(&self) -> String {
        match self.population {
            Some(p) => format!("{} {} (pop {p})", self.city_id, self.name),
            None => format!("{} {}", self.city_id, self.name),
        }
    }
}

/// The result of matching one (country, name) pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub status: Status,
    /// The tier that decided (matched or ambiguous).
    pub method: Option<Method>,
    /// Matched by the opt-in most-populous rule ([`Matcher::with_most_populous`]).
    pub by_population: bool,
    /// The matched city's id.
    pub city_id: Option<String>,
    /// The matched city's registry name.
    pub registry_name: Option<String>,
    /// The resolved country (ISO alpha-2), when the country was understood.
    pub country_iso2: Option<String>,
    /// Ambiguous: the cities the name fits; unmatched: the closest names in the country.
    pub candidates: Vec<Candidate>,
    /// Why a name is ambiguous or unmatched; empty when matched.
    pub reason: String,
}

impl Match {
    fn unmatched(country: Option<&str>, reason: String, candidates: Vec<Candidate>) -> Self {
        Match {
            status: Status::Unmatched,
            method: None,
            by_population: false,
            city_id: None,
            registry_name: None,
            country_iso2: country.map(str::to_string),
            candidates,
            reason,
        }
    }

    /// The candidates as one cell: `ID Name (pop N); ...`.
    pub fn candidates_text(&self) -> String {
        self.candidates
            .iter()
            .map(Candidate::display)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Letters that do not decompose under NFKD, as the registry's `ascii_name` spells them
/// (datasets/registry/README.md, "ascii_name").
fn transliterate(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' => "ss",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        'ø' | 'Ø' => "o",
        'ł' | 'Ł' => "l",
        'đ' | 'Đ' | 'ð' | 'Ð' => "d",
        'ı' => "i",
        'ə' | 'Ə' => "e",
        'ħ' | 'Ħ' => "h",
        'þ' | 'Þ' => "th",
        'ŧ' | 'Ŧ' => "t",
        'ŋ' | 'Ŋ' => "ng",
        _ => return None,
    })
}

/// Whether `c` is an apostrophe-like sign, dropped (not a word break) by [`fold`]:
/// `N'Djamena` and `Ndjamena` fold alike.
fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '‘' | '’' | 'ʻ' | 'ʼ' | '`' | '´')
}

/// The matching key of a name: Unicode NFKD with combining marks dropped (`Zürich` ->
/// `zurich`), the registry's transliterations (`ß` -> `ss` ...), lower case, apostrophes
/// dropped, every other character that is not a letter or digit a space (hyphens, dots,
/// commas, parentheses), spaces collapsed, and the whole words `st`/`ste`/`mt`/`ft` written
/// `saint`/`sainte`/`mount`/`fort`.
pub fn fold(name: &str) -> String {
    let mut s = String::with_capacity(name.len());
    for c in name.nfkd() {
        if unicode_normalization::char::is_combining_mark(c) || is_apostrophe(c) {
            continue;
        }
        if let Some(t) = transliterate(c) {
            s.push_str(t);
        } else if c.is_alphanumeric() {
            s.extend(c.to_lowercase());
        } else {
            s.push(' ');
        }
    }
    s.split_whitespace()
        .map(|w| {
            ABBREVIATIONS
                .iter()
                .find(|(a, _)| *a == w)
                .map_or(w, |(_, full)| *full)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A folded name with at most one leading [`PREFIXES`] entry and one trailing [`SUFFIXES`]
/// entry dropped, as whole words (an affix is only dropped before or after a space, so a
/// word always remains: `city` stays `city`, `city of` stays `city of`).
pub fn strip_affixes(folded: &str) -> String {
    let mut s = folded;
    for p in PREFIXES {
        if let Some(rest) = s.strip_prefix(p).and_then(|r| r.strip_prefix(' ')) {
            s = rest;
            break;
        }
    }
    for x in SUFFIXES {
        if let Some(rest) = s.strip_suffix(x).and_then(|r| r.strip_suffix(' ')) {
            s = rest;
            break;
        }
    }
    s.to_string()
}

/// The parts of a name tried when the whole name fits no city: the name without its
/// parenthesised parts, each parenthesised part, and each comma-separated part, in that
/// order, without repeats and empty parts (`Upolu (Apia)` -> `Upolu`, `Apia`;
/// `Distrito Federal, Brasilia` -> `Distrito Federal`, `Brasilia`). A name with neither has
/// no parts.
pub fn name_parts(name: &str) -> Vec<String> {
    let mut outside = String::new();
    let mut inside: Vec<String> = Vec::new();
    let mut depth = 0usize;
    for c in name.chars() {
        match c {
            '(' | '[' => {
                depth += 1;
                if depth == 1 {
                    inside.push(String::new());
                }
            }
            ')' | ']' if depth > 0 => depth -= 1,
            _ if depth > 0 => inside.last_mut().expect("opened").push(c),
            _ => outside.push(c),
        }
    }
    let mut parts: Vec<String> = Vec::new();
    let has_parens = !inside.is_empty();
    let has_commas = name.contains(',');
    if !has_parens && !has_commas {
        return parts;
    }
    let mut add = |p: &str| {
        let p = p.trim().trim_matches(|c: char| c == '.' || c == ',').trim();
        if !p.is_empty() && !parts.iter().any(|q| q == p) {
            parts.push(p.to_string());
        }
    };
    if has_parens {
        add(&outside);
    }
    for i in &inside {
        add(i);
    }
    for p in outside.split(',') {
        add(p);
    }
    parts
}

/// One country of `countries.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Country {
    pub iso2: String,
    pub iso3: String,
    pub name: String,
}

/// Parse `countries.csv` text.
pub fn parse_countries(text: &str) -> Vec<Country> {
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    rdr.records()
        .filter_map(|r| r.ok())
        .map(|r| Country {
            iso2: r.get(0).unwrap_or("").trim().to_string(),
            iso3: r.get(1).unwrap_or("").trim().to_string(),
            name: r.get(2).unwrap_or("").trim().to_string(),
        })
        .collect()
}

/// Parse `alternate_names.csv` text into (city id, names).
pub fn parse_alternate_names(text: &str) -> Vec<(String, Vec<String>)> {
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    rdr.records()
        .filter_map(|r| r.ok())
        .map(|r| {
            let names = r
                .get(1)
                .unwrap_or("")
                .split('|')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .collect();
            (r.get(0).unwrap_or("").trim().to_string(), names)
        })
        .collect()
}

/// A country's cities by matching key, one map per tier.
#[derive(Debug, Default)]
struct CountryIndex {
    keys: HashMap<(Method, String), Vec<usize>>,
    /// Every (folded name, city) pair of the country, for closest-name candidates.
    folded: Vec<(String, usize)>,
}

impl CountryIndex {
    fn add(&mut self, method: Method, key: String, idx: usize) {
        if key.is_empty() {
            return;
        }
        let v = self.keys.entry((method, key)).or_default();
        if !v.contains(&idx) {
            v.push(idx);
        }
    }
}

/// Matches names to the cities of a [`Registry`] (see the module documentation).
pub struct Matcher<'r> {
    registry: &'r Registry,
    /// ISO2 -> country.
    countries: FxHashMap<String, Country>,
    /// Upper-case ISO2, upper-case ISO3 and folded name -> ISO2.
    country_keys: FxHashMap<String, String>,
    by_country: FxHashMap<String, CountryIndex>,
    /// Folded (and affix-stripped) name -> countries having a city of that name.
    elsewhere: FxHashMap<String, Vec<String>>,
    /// The opt-in most-populous rule: an ambiguous name goes to its most populous candidate
    /// when that has at least this many times the population of every other.
    most_populous: Option<u64>,
}

impl<'r> Matcher<'r> {
    /// A matcher over `registry` with the embedded country table and alternate names.
    pub fn new(registry: &'r Registry) -> Self {
        Self::with_data(
            registry,
            &parse_countries(EMBEDDED_COUNTRIES),
            &parse_alternate_names(EMBEDDED_ALTERNATE_NAMES),
        )
    }

    /// A matcher over `registry` with the given countries and alternate names (ids the
    /// registry does not know are ignored).
    pub fn with_data(
        registry: &'r Registry,
        countries: &[Country],
        alternates: &[(String, Vec<String>)],
    ) -> Self {
        let mut m = Matcher {
            registry,
            countries: FxHashMap::default(),
            country_keys: FxHashMap::default(),
            by_country: FxHashMap::default(),
            elsewhere: FxHashMap::default(),
            most_populous: None,
        };
        for c in countries {
            m.country_keys.insert(c.iso2.to_uppercase(), c.iso2.clone());
            m.country_keys.insert(c.iso3.to_uppercase(), c.iso2.clone());
            m.country_keys.insert(fold(&c.name), c.iso2.clone());
            m.countries.insert(c.iso2.clone(), c.clone());
        }
        for (idx, c) in registry.cities().iter().enumerate() {
            // countries known only from the registry (a workspace city's) still resolve
            // by code
            m.country_keys
                .entry(c.country_iso2.to_uppercase())
                .or_insert_with(|| c.country_iso2.clone());
            if !c.country_iso3.is_empty() {
                m.country_keys
                    .entry(c.country_iso3.to_uppercase())
                    .or_insert_with(|| c.country_iso2.clone());
            }
            let ci = m.by_country.entry(c.country_iso2.clone()).or_default();
            ci.add(Method::Exact, c.name.trim().to_lowercase(), idx);
            ci.add(Method::Ascii, c.ascii_name.trim().to_lowercase(), idx);
            for n in [&c.name, &c.ascii_name] {
                let f = fold(n);
                ci.add(Method::Affix, strip_affixes(&f), idx);
                ci.folded.push((f.clone(), idx));
                ci.add(Method::Folded, f, idx);
            }
        }
        for (id, names) in alternates {
            let Some(idx) = registry.position(id) else {
                continue;
            };
            let c = &registry.cities()[idx];
            let ci = m.by_country.entry(c.country_iso2.clone()).or_default();
            for n in names {
                let f = fold(n);
                ci.add(Method::Affix, strip_affixes(&f), idx);
                ci.add(Method::Alternate, f, idx);
            }
        }
        for (iso2, ci) in &m.by_country {
            for (method, key) in ci.keys.keys() {
                if matches!(method, Method::Folded | Method::Alternate | Method::Affix) {
                    let v = m.elsewhere.entry(key.clone()).or_default();
                    if !v.contains(iso2) {
                        v.push(iso2.clone());
                    }
                }
            }
        }
        for v in m.elsewhere.values_mut() {
            v.sort();
        }
        m
    }

    /// Turn on the most-populous rule: a name that fits several cities goes to the most
    /// populous when its population is at least `factor` times every other candidate's;
    /// the match says so (`method` `exact, most populous`, the others as candidates).
    pub fn with_most_populous(mut self, factor: u64) -> Self {
        self.most_populous = Some(factor);
        self
    }

    /// The ISO alpha-2 code of a country given as ISO2, ISO3 or name.
    pub fn country(&self, country: &str) -> Option<&str> {
        let t = country.trim();
        self.country_keys
            .get(&t.to_uppercase())
            .or_else(|| self.country_keys.get(&fold(t)))
            .map(String::as_str)
    }

    fn country_label(&self, iso2: &str) -> String {
        match self.countries.get(iso2) {
            Some(c) => format!("{iso2} ({})", c.name),
            None => iso2.to_string(),
        }
    }

    /// Candidates for `idxs`, most populous first (then by id).
    fn candidates(&self, idxs: &[usize]) -> Vec<Candidate> {
        let mut v: Vec<Candidate> = idxs
            .iter()
            .map(|&i| Candidate::of(&self.registry.cities()[i]))
            .collect();
        v.sort_by(|a, b| {
            b.population
                .unwrap_or(0)
                .cmp(&a.population.unwrap_or(0))
                .then_with(|| a.city_id.cmp(&b.city_id))
        });
        v
    }

    /// Match one (country, name) pair.
    pub fn match_name(&self, country: &str, name: &str) -> Match {
        let (country, name) = (country.trim(), name.trim());
        if country.is_empty() {
            return Match::unmatched(None, "no country given".into(), vec![]);
        }
        let Some(iso2) = self.country(country) else {
            let mut names: Vec<&str> = self.countries.values().map(|c| c.name.as_str()).collect();
            names.sort_unstable();
            let hint = crate::suggest::did_you_mean(country, names)
                .map(|s| format!("; did you mean {s}?"))
                .unwrap_or_default();
            return Match::unmatched(
                None,
                format!(
                    "unknown country '{}'; give an ISO 3166 alpha-2 or alpha-3 code or a country name{hint}",
                    crate::suggest::shorten(country)
                ),
                vec![],
            );
        };
        if name.is_empty() {
            return Match::unmatched(Some(iso2), "no city name given".into(), vec![]);
        }
        let Some(ci) = self.by_country.get(iso2) else {
            return Match::unmatched(
                Some(iso2),
                format!("the registry has no city in {}", self.country_label(iso2)),
                vec![],
            );
        };
        let folded = fold(name);
        let stripped = strip_affixes(&folded);
        let hit = self.lookup(ci, name).or_else(|| {
            // the parts of "X (Y)" and "X, Y": every part's hits together
            let parts = name_parts(name);
            let mut idxs: Vec<usize> = Vec::new();
            for p in &parts {
                if let Some((_, v)) = self.lookup(ci, p) {
                    for i in v {
                        if !idxs.contains(&i) {
                            idxs.push(i);
                        }
                    }
                }
            }
            (!idxs.is_empty()).then_some((Method::Part, idxs))
        });
        if let Some((method, idxs)) = hit {
            return self.decide(iso2, name, method, &idxs);
        }
        let mut reason = format!(
            "no city named '{}' in {}",
            crate::suggest::shorten(name),
            self.country_label(iso2)
        );
        let others: Vec<&str> = [&folded, &stripped]
            .iter()
            .filter_map(|k| self.elsewhere.get(k.as_str()))
            .flatten()
            .map(String::as_str)
            .filter(|c| *c != iso2)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if !others.is_empty() {
            reason.push_str(&format!(
                "; a city of that name is in {} (not matched across countries)",
                others.join(", ")
            ));
        }
        Match::unmatched(Some(iso2), reason, self.closest(ci, &folded))
    }

    /// The first tier of [`Method::ALL`] (before [`Method::Part`]) in which `name` fits a
    /// city of the country, with the cities it fits.
    fn lookup(&self, ci: &CountryIndex, name: &str) -> Option<(Method, Vec<usize>)> {
        let lower = name.trim().to_lowercase();
        let folded = fold(name);
        let stripped = strip_affixes(&folded);
        Method::ALL.into_iter().find_map(|method| {
            let key = match method {
                Method::Exact | Method::Ascii => &lower,
                Method::Folded | Method::Alternate => &folded,
                Method::Affix => &stripped,
                Method::Part => return None,
            };
            ci.keys
                .get(&(method, key.clone()))
                .map(|v| (method, v.clone()))
        })
    }

    /// Matched when `idxs` is one city; else ambiguous, unless the most-populous rule is on
    /// and resolves it.
    fn decide(&self, iso2: &str, name: &str, method: Method, idxs: &[usize]) -> Match {
        let matched = |idx: usize, by_population: bool, candidates: Vec<Candidate>, reason| {
            let c = &self.registry.cities()[idx];
            Match {
                status: Status::Matched,
                method: Some(method),
                by_population,
                city_id: Some(c.city_id.clone()),
                registry_name: Some(c.name.clone()),
                country_iso2: Some(iso2.to_string()),
                candidates,
                reason,
            }
        };
        if let [idx] = idxs[..] {
            return matched(idx, false, vec![], String::new());
        }
        let candidates = self.candidates(idxs);
        if let Some(factor) = self.most_populous {
            let pop = |c: &Candidate| c.population.unwrap_or(0);
            let (top, next) = (pop(&candidates[0]), pop(&candidates[1]));
            if top > 0 && top >= next.saturating_mul(factor) {
                let idx = self
                    .registry
                    .position(&candidates[0].city_id)
                    .expect("a candidate is a registry city");
                let reason = format!(
                    "{} cities in {} fit '{}' ({} match); the most populous is taken (at least {factor} times the population of any other)",
                    idxs.len(),
                    self.country_label(iso2),
                    crate::suggest::shorten(name),
                    method.as_str()
                );
                return matched(idx, true, candidates[1..].to_vec(), reason);
            }
        }
        Match {
            status: Status::Ambiguous,
            method: Some(method),
            by_population: false,
            city_id: None,
            registry_name: None,
            country_iso2: Some(iso2.to_string()),
            candidates,
            reason: format!(
                "{} cities in {} fit '{}' ({} match); none is picked",
                idxs.len(),
                self.country_label(iso2),
                crate::suggest::shorten(name),
                method.as_str()
            ),
        }
    }

    /// The [`MAX_CANDIDATES`] cities of a country whose folded name is closest to `folded`
    /// (edit distance at most a third of the name's length, at least 2), nearest first, then
    /// most populous, then by id.
    fn closest(&self, ci: &CountryIndex, folded: &str) -> Vec<Candidate> {
        let len = folded.chars().count();
        if len == 0 || len > crate::suggest::SUGGEST_MAX {
            return vec![];
        }
        let limit = (len / 3).max(2);
        let mut best: HashMap<usize, usize> = HashMap::new();
        for (n, idx) in &ci.folded {
            if n.chars().count().abs_diff(len) > limit {
                continue;
            }
            let d = crate::suggest::edit_distance(folded, n);
            if d <= limit {
                let e = best.entry(*idx).or_insert(d);
                *e = (*e).min(d);
            }
        }
        let mut v: Vec<(usize, Candidate)> = best
            .into_iter()
            .map(|(i, d)| (d, Candidate::of(&self.registry.cities()[i])))
            .collect();
        v.sort_by(|(da, a), (db, b)| {
            da.cmp(db)
                .then_with(|| b.population.unwrap_or(0).cmp(&a.population.unwrap_or(0)))
                .then_with(|| a.city_id.cmp(&b.city_id))
        });
        v.into_iter().take(MAX_CANDIDATES).map(|(_, c)| c).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const HEAD: &str = "city_id,name,ascii_name,country_iso2,country_iso3,continent,un_region,economy,population,population_year,latitude,longitude\n";

    /// A small registry: the embedded one plus test cities under ids that cannot clash.
    fn registry(rows: &str) -> Registry {
        let mut r = Registry::embedded().unwrap();
        r.add_cities(&format!("{HEAD}{rows}"), Path::new("cities.csv"))
            .unwrap();
        r
    }

    fn countries() -> Vec<Country> {
        parse_countries(
            "country_iso2,country_iso3,country_name\nNO,NOR,Norway\nPH,PHL,Philippines\nCH,CHE,Switzerland\nSE,SWE,Sweden\n",
        )
    }

    fn m(status: Status, method: Option<Method>, id: Option<&str>, name: Option<&str>) -> Match {
        Match {
            status,
            method,
            by_population: false,
            city_id: id.map(str::to_string),
            registry_name: name.map(str::to_string),
            country_iso2: None,
            candidates: vec![],
            reason: String::new(),
        }
    }

    #[test]
    fn fold_drops_accents_case_punctuation_and_writes_out_abbreviations() {
        assert_eq!(fold("Zürich"), "zurich");
        assert_eq!(fold("  São  Paulo "), "sao paulo");
        assert_eq!(fold("St. Gallen"), "saint gallen");
        assert_eq!(fold("Saint-Étienne"), "saint etienne");
        assert_eq!(fold("N'Djamena"), "ndjamena");
        assert_eq!(fold("N’Djamena"), "ndjamena");
        assert_eq!(fold("Łódź"), "lodz");
        assert_eq!(fold("Karmøy"), "karmoy");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("Mt. Isa (Qld)"), "mount isa qld");
        assert_eq!(fold("Ste-Foy"), "sainte foy");
        assert_eq!(fold("Stavanger"), "stavanger");
        assert_eq!(fold("Москва"), "москва");
        assert_eq!(fold("-- ."), "");
    }

    #[test]
    fn affixes_are_dropped_once_on_each_side_never_to_nothing() {
        assert_eq!(strip_affixes("city of cape town"), "cape town");
        assert_eq!(strip_affixes("quezon city"), "quezon");
        assert_eq!(strip_affixes("greater manchester"), "manchester");
        assert_eq!(
            strip_affixes("municipality of stavanger municipality"),
            "stavanger"
        );
        assert_eq!(strip_affixes("kota bandung"), "bandung");
        assert_eq!(strip_affixes("city"), "city");
        assert_eq!(strip_affixes("city of"), "city of");
        // whole words only
        assert_eq!(strip_affixes("greaterville"), "greaterville");
        assert_eq!(strip_affixes("atlantic city"), "atlantic");
        assert_eq!(strip_affixes("velocity"), "velocity");
        assert_eq!(strip_affixes("cape town"), "cape town");
    }

    #[test]
    fn tiers_exact_ascii_folded_alternate_affix() {
        let r = registry(
            "t1,Zürich Süd,Zurich Sud,CH,CHE,Europe,Western Europe,developed,50000,2025,,\n\
             t2,Sankt Gällen,Sankt Gallen,CH,CHE,Europe,Western Europe,developed,40000,2025,,\n\
             t3,Quezonia City,Quezonia City,PH,PHL,Asia,South-eastern Asia,developing,900000,2025,,\n",
        );
        let alts = vec![("t2".to_string(), vec!["St. Gall".to_string()])];
        let mt = Matcher::with_data(&r, &countries(), &alts);
        let got = |c: &str, n: &str| {
            let mut x = mt.match_name(c, n);
            x.country_iso2 = None;
            x
        };
        let exact = m(
            Status::Matched,
            Some(Method::Exact),
            Some("t1"),
            Some("Zürich Süd"),
        );
        assert_eq!(got("CH", "zürich süd"), exact);
        assert_eq!(got("che", " Zürich Süd "), exact);
        assert_eq!(got("Switzerland", "Zürich Süd"), exact);
        assert_eq!(
            got("CH", "ZURICH SUD"),
            m(
                Status::Matched,
                Some(Method::Ascii),
                Some("t1"),
                Some("Zürich Süd")
            )
        );
        assert_eq!(
            got("CH", "Zurich-Süd"),
            m(
                Status::Matched,
                Some(Method::Folded),
                Some("t1"),
                Some("Zürich Süd")
            )
        );
        assert_eq!(
            got("CH", "Saint Gall"),
            m(
                Status::Matched,
                Some(Method::Alternate),
                Some("t2"),
                Some("Sankt Gällen")
            )
        );
        let affix = m(
            Status::Matched,
            Some(Method::Affix),
            Some("t3"),
            Some("Quezonia City"),
        );
        assert_eq!(got("PH", "Quezonia"), affix);
        assert_eq!(got("PHL", "City of Quezonia"), affix);
        assert_eq!(
            mt.match_name("PH", "Quezonia").country_iso2.as_deref(),
            Some("PH")
        );
    }

    #[test]
    fn name_parts_split_parentheses_and_commas() {
        assert_eq!(name_parts("Upolu (Apia)"), vec!["Upolu", "Apia"]);
        assert_eq!(
            name_parts("Distrito Federal, Brasilia"),
            vec!["Distrito Federal", "Brasilia"]
        );
        assert_eq!(
            name_parts("Ciudad Autónoma de Buenos Aires (CABA)."),
            vec!["Ciudad Autónoma de Buenos Aires", "CABA"]
        );
        assert_eq!(
            name_parts("Bursa MM (Metropolitan Municipality)"),
            vec!["Bursa MM", "Metropolitan Municipality"]
        );
        assert_eq!(name_parts("A (B), C"), vec!["A , C", "B", "A", "C"]);
        assert_eq!(name_parts("Oslo"), Vec::<String>::new());
        assert_eq!(name_parts("(Oslo)"), vec!["Oslo"]);
    }

    #[test]
    fn parts_are_tried_when_the_whole_name_fits_nothing() {
        let r = registry(
            "t1,Apiaville,Apiaville,NO,NOR,Europe,Northern Europe,developed,40000,2025,,\n\
             t2,Upoluby,Upoluby,NO,NOR,Europe,Northern Europe,developed,20000,2025,,\n",
        );
        let mt = Matcher::with_data(&r, &countries(), &[]);
        let x = mt.match_name("NO", "Nowhere (Apiaville)");
        assert_eq!(
            (x.status, x.method, x.city_id.as_deref()),
            (Status::Matched, Some(Method::Part), Some("t1"))
        );
        // two parts naming two cities: ambiguous, both offered
        let x = mt.match_name("NO", "Upoluby (Apiaville)");
        assert_eq!(
            (x.status, x.method),
            (Status::Ambiguous, Some(Method::Part))
        );
        assert_eq!(
            x.candidates_text(),
            "t1 Apiaville (pop 40000); t2 Upoluby (pop 20000)"
        );
        assert_eq!(
            x.reason,
            "2 cities in NO (Norway) fit 'Upoluby (Apiaville)' (part match); none is picked"
        );
        // the Turkish "MM" (metropolitan municipality) and "Municipal Council" are affixes
        let r =
            registry("t3,Bursaköy,Bursakoy,NO,NOR,Europe,Northern Europe,developed,40000,2025,,\n");
        let mt = Matcher::with_data(&r, &countries(), &[]);
        let x = mt.match_name("NO", "Bursaköy MM (Metropolitan Municipality)");
        assert_eq!(
            (x.status, x.method, x.city_id.as_deref()),
            (Status::Matched, Some(Method::Part), Some("t3"))
        );
        let x = mt.match_name("NO", "Bursakoy Municipal Council");
        assert_eq!(
            (x.status, x.method, x.city_id.as_deref()),
            (Status::Matched, Some(Method::Affix), Some("t3"))
        );
    }

    #[test]
    fn most_populous_rule_is_opt_in_and_says_so() {
        let r = registry(
            "t1,Bigtown,Bigtown,NO,NOR,Europe,Northern Europe,developed,100000,2025,,\n\
             t2,Bigtown,Bigtown,NO,NOR,Europe,Northern Europe,developed,10000,2025,,\n\
             t3,Twintown,Twintown,NO,NOR,Europe,Northern Europe,developed,100000,2025,,\n\
             t4,Twintown,Twintown,NO,NOR,Europe,Northern Europe,developed,10001,2025,,\n",
        );
        let off = Matcher::with_data(&r, &countries(), &[]);
        assert_eq!(off.match_name("NO", "Bigtown").status, Status::Ambiguous);
        let on = Matcher::with_data(&r, &countries(), &[]).with_most_populous(10);
        let x = on.match_name("NO", "Bigtown");
        assert_eq!(
            (x.status, x.city_id.as_deref(), x.by_population),
            (Status::Matched, Some("t1"), true)
        );
        assert_eq!(
            x.method.unwrap().label(x.by_population),
            "exact, most populous"
        );
        assert_eq!(x.candidates_text(), "t2 Bigtown (pop 10000)");
        assert_eq!(
            x.reason,
            "2 cities in NO (Norway) fit 'Bigtown' (exact match); the most populous is taken (at least 10 times the population of any other)"
        );
        // 100000 < 10 x 10001: stays ambiguous
        let x = on.match_name("NO", "Twintown");
        assert_eq!((x.status, x.by_population), (Status::Ambiguous, false));
    }

    #[test]
    fn several_cities_of_one_name_are_ambiguous_with_candidates() {
        let r = registry(
            "t1,Springtown,Springtown,NO,NOR,Europe,Northern Europe,developed,20000,2025,,\n\
             t2,Springtown,Springtown,NO,NOR,Europe,Northern Europe,developed,90000,2025,,\n\
             t3,Springtöwn Ost,Springtown Ost,NO,NOR,Europe,Northern Europe,developed,30000,2025,,\n",
        );
        let alts = vec![("t3".to_string(), vec!["Springtown".to_string()])];
        let mt = Matcher::with_data(&r, &countries(), &alts);
        let x = mt.match_name("NO", "Springtown");
        assert_eq!(x.status, Status::Ambiguous);
        assert_eq!(x.method, Some(Method::Exact));
        assert_eq!(x.city_id, None);
        // the exact tier decides: t3's alternate name is a lower tier and not a candidate
        assert_eq!(
            x.candidates_text(),
            "t2 Springtown (pop 90000); t1 Springtown (pop 20000)"
        );
        assert_eq!(
            x.reason,
            "2 cities in NO (Norway) fit 'Springtown' (exact match); none is picked"
        );
    }

    #[test]
    fn never_across_countries() {
        let r = registry(
            "t1,Fjordby,Fjordby,SE,SWE,Europe,Northern Europe,developed,20000,2025,,\n\
             t2,Fjordbu,Fjordbu,NO,NOR,Europe,Northern Europe,developed,25000,2025,,\n",
        );
        let mt = Matcher::with_data(&r, &countries(), &[]);
        let x = mt.match_name("NO", "Fjordby");
        assert_eq!(x.status, Status::Unmatched);
        assert_eq!(x.city_id, None);
        assert_eq!(
            x.reason,
            "no city named 'Fjordby' in NO (Norway); a city of that name is in SE (not matched across countries)"
        );
        assert_eq!(x.candidates_text(), "t2 Fjordbu (pop 25000)");
        assert_eq!(
            mt.match_name("SE", "Fjordby").city_id.as_deref(),
            Some("t1")
        );
    }

    #[test]
    fn unmatched_reasons() {
        let r = registry("");
        let mt = Matcher::with_data(&r, &countries(), &[]);
        assert_eq!(
            mt.match_name("Norwya", "Oslo").reason,
            "unknown country 'Norwya'; give an ISO 3166 alpha-2 or alpha-3 code or a country name; did you mean Norway?"
        );
        assert_eq!(
            mt.match_name("ZZ", "Oslo").reason,
            "unknown country 'ZZ'; give an ISO 3166 alpha-2 or alpha-3 code or a country name"
        );
        assert_eq!(mt.match_name(" ", "Oslo").reason, "no country given");
        let x = mt.match_name("NO", "");
        assert_eq!(
            (x.reason.as_str(), x.country_iso2.as_deref()),
            ("no city name given", Some("NO"))
        );
        let x = mt.match_name("NOR", "Stavangr");
        assert_eq!(x.status, Status::Unmatched);
        assert_eq!(x.reason, "no city named 'Stavangr' in NO (Norway)");
        assert_eq!(x.candidates_text(), "3137115 Stavanger (pop 151669)");
        // a country of the table without a registry city
        let mut cs = countries();
        cs.push(Country {
            iso2: "FM".into(),
            iso3: "FSM".into(),
            name: "Micronesia".into(),
        });
        let mt2 = Matcher::with_data(&r, &cs, &[]);
        let x = mt2.match_name("FSM", "Pohnpei");
        assert_eq!(
            (x.status, x.reason.as_str(), x.country_iso2.as_deref()),
            (
                Status::Unmatched,
                "the registry has no city in FM (Micronesia)",
                Some("FM")
            )
        );
        // a country code of the registry without a row in the country table resolves
        assert_eq!(mt.country("dk"), Some("DK"));
        assert_eq!(mt.country("DNK"), Some("DK"));
    }

    #[test]
    fn embedded_data_matches_real_names() {
        let r = Registry::embedded().unwrap();
        let mt = Matcher::new(&r);
        let id = |c: &str, n: &str| mt.match_name(c, n).city_id;
        assert_eq!(id("NOR", "Stavanger").as_deref(), Some("3137115"));
        assert_eq!(id("CH", "Geneve").as_deref(), Some("2660646"));
        assert_eq!(id("Switzerland", "Genf").as_deref(), Some("2660646"));
        assert_eq!(mt.country("Namibia"), Some("NA"));
        assert_eq!(mt.country("na"), Some("NA"));
    }
}
