//! Plausible ranges and relations of city values, as data (`datasets/catalog/plausible.csv`
//! and `datasets/catalog/plausible_relations.csv`, embedded; see `datasets/catalog/README.md`).
//!
//! One range per catalogue data point, in its canonical unit: `low`, `typical` (the value of
//! an average city) and `high`, optionally narrowed for cities in developed economies
//! (`developed_low`, `developed_high`), with the `scale` values spread on (`linear` or `log`)
//! and a `source` (a citation, or `judgement: <reason>`). For a yes/no data point the range
//! is 0..1 and `typical` is the share of cities answering yes.
//!
//! Relations hold per city and year: `le` (left <= right), `sum_100` (the members of a
//! catalogue sum group add up to 100) and `non_decreasing` (a data point never falls from
//! one year to the next), each for `all` cities or only those in `developed` economies.
//!
//! `citybench generate` draws inside the ranges and makes the relations hold
//! (`src/generate/mod.rs`). [`Plausible::parse`] refuses a file whose ranges or relations
//! could not all hold at once, so the generator never has to choose between them.

use std::collections::HashMap;
use std::path::Path;

use crate::catalog::{Catalog, UnitRegistry};
use crate::error::{Error, Result};

/// The embedded plausible ranges.
pub const EMBEDDED_RANGES: &str = include_str!("../../datasets/catalog/plausible.csv");
/// The embedded relations.
pub const EMBEDDED_RELATIONS: &str = include_str!("../../datasets/catalog/plausible_relations.csv");
/// How the embedded ranges are named in messages.
pub const RANGES_NAME: &str = "datasets/catalog/plausible.csv (embedded)";
/// How the embedded relations are named in messages.
pub const RELATIONS_NAME: &str = "datasets/catalog/plausible_relations.csv (embedded)";

/// A range's `high` stays this factor below its canonical unit's magnitude bound (METHODOLOGY
/// section 3) unless the catalogue bounds the data point itself (`hard_max`).
pub const HEADROOM: f64 = 10.0;

/// Column names of the two files.
pub mod col {
    pub const DATA_POINT_ID: &str = "data_point_id";
    pub const UNIT: &str = "unit";
    pub const LOW: &str = "low";
    pub const TYPICAL: &str = "typical";
    pub const HIGH: &str = "high";
    pub const DEVELOPED_LOW: &str = "developed_low";
    pub const DEVELOPED_HIGH: &str = "developed_high";
    pub const SCALE: &str = "scale";
    pub const SOURCE: &str = "source";
    pub const RANGE_COLUMNS: [&str; 9] = [
        DATA_POINT_ID,
        UNIT,
        LOW,
        TYPICAL,
        HIGH,
        DEVELOPED_LOW,
        DEVELOPED_HIGH,
        SCALE,
        SOURCE,
    ];
    pub const RELATION: &str = "relation";
    pub const LEFT: &str = "left";
    pub const RIGHT: &str = "right";
    pub const SCOPE: &str = "scope";
    pub const REASON: &str = "reason";
    pub const RELATION_COLUMNS: [&str; 5] = [RELATION, LEFT, RIGHT, SCOPE, REASON];
}

/// How values spread between `low` and `high`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Evenly in the value.
    Linear,
    /// Evenly in the logarithm (rates and amounts spanning orders of magnitude).
    Log,
}

/// One data point's plausible range, in its canonical unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    pub data_point_id: String,
    pub unit: String,
    pub low: f64,
    pub typical: f64,
    pub high: f64,
    pub developed_low: Option<f64>,
    pub developed_high: Option<f64>,
    pub scale: Scale,
    pub source: String,
}

impl Range {
    /// The bounds for a city (developed economy or not).
    pub fn bounds(&self, developed: bool) -> (f64, f64) {
        if developed {
            (
                self.developed_low.unwrap_or(self.low),
                self.developed_high.unwrap_or(self.high),
            )
        } else {
            (self.low, self.high)
        }
    }
}

/// Which cities a relation applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    Developed,
}

impl Scope {
    /// Whether a city (developed economy or not) is in scope.
    pub fn applies(self, developed: bool) -> bool {
        self == Scope::All || developed
    }
}

/// A relation between values of one city and year (or consecutive years).
#[derive(Debug, Clone, PartialEq)]
pub enum Relation {
    /// `left <= right`.
    AtMost { left: String, right: String },
    /// The members of the catalogue sum group add up to 100.
    SumTo100 { group: String },
    /// The data point does not fall from one year to the next.
    NonDecreasing { data_point_id: String },
}

/// A relation with its scope and reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub relation: Relation,
    pub scope: Scope,
    pub reason: String,
}

/// The loaded ranges and relations.
#[derive(Debug, Clone)]
pub struct Plausible {
    ranges: Vec<Range>,
    index: HashMap<String, usize>,
    rules: Vec<Rule>,
}

/// The columns of a plausibility file by name, all of `required` among them.
fn header_positions(
    headers: &crate::csv_lines::Header,
    path: &Path,
    required: &[&str],
) -> Result<HashMap<String, usize>> {
    let missing = headers.missing(required);
    if !missing.is_empty() {
        return Err(Error::input(
            path,
            format!("missing column(s): {}", missing.join(", ")),
        ));
    }
    Ok(headers.positions())
}

impl Plausible {
    /// The embedded files, checked against the catalogue and units.
    pub fn embedded(catalog: &Catalog, units: &UnitRegistry) -> Result<Self> {
        Self::parse(
            EMBEDDED_RANGES,
            Path::new(RANGES_NAME),
            EMBEDDED_RELATIONS,
            Path::new(RELATIONS_NAME),
            catalog,
            units,
        )
    }

    /// Parse and check both files: every catalogue data point has exactly one range in its
    /// canonical unit with `low < typical < high` inside the catalogue's hard bounds and
    /// [`HEADROOM`] below the unit's magnitude bound, and the relations can all hold at once.
    pub fn parse(
        ranges_text: &str,
        ranges_path: &Path,
        relations_text: &str,
        relations_path: &Path,
        catalog: &Catalog,
        units: &UnitRegistry,
    ) -> Result<Self> {
        let (ranges, index) = parse_ranges(ranges_text, ranges_path, catalog, units)?;
        let mut p = Plausible {
            ranges,
            index,
            rules: Vec::new(),
        };
        p.rules = parse_relations(relations_text, relations_path, catalog, &p)?;
        Ok(p)
    }

    /// All ranges in file order.
    pub fn ranges(&self) -> &[Range] {
        &self.ranges
    }

    /// The range of a data point.
    pub fn range(&self, data_point_id: &str) -> Option<&Range> {
        self.index.get(data_point_id).map(|&i| &self.ranges[i])
    }

    /// All relations in file order (the order the generator applies them in).
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Whether a data point must not fall from year to year for a city.
    pub fn is_non_decreasing(&self, data_point_id: &str, developed: bool) -> bool {
        self.rules.iter().any(|r| {
            r.scope.applies(developed)
                && matches!(&r.relation, Relation::NonDecreasing { data_point_id: d } if d == data_point_id)
        })
    }
}

fn parse_ranges(
    text: &str,
    path: &Path,
    catalog: &Catalog,
    units: &UnitRegistry,
) -> Result<(Vec<Range>, HashMap<String, usize>)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (mut rdr, headers) = crate::csv_lines::reader(text, path)?;
    let pos = header_positions(&headers, path, &col::RANGE_COLUMNS)?;
    let mut ranges = Vec::new();
    let mut index = HashMap::new();
    for (line, rec) in crate::csv_lines::records(text, &mut rdr) {
        let rec = rec.map_err(|e| Error::data(path, line, format!("unreadable row: {e}")))?;
        let get = |c: &str| rec.get(pos[c]).unwrap_or("").trim().to_string();
        let bad = |m: String| Error::data(path, line, m);
        let id = get(col::DATA_POINT_ID);
        let num = |c: &str| -> Result<Option<f64>> {
            let s = get(c);
            if s.is_empty() {
                return Ok(None);
            }
            match s.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(Some(v)),
                _ => Err(bad(format!("{id}: {c} '{s}' is not a number"))),
            }
        };
        let need =
            |c: &str| -> Result<f64> { num(c)?.ok_or_else(|| bad(format!("{id}: {c} is empty"))) };
        let dp = catalog
            .get(&id)
            .ok_or_else(|| bad(format!("'{id}' is not a catalogue data point")))?;
        let unit = get(col::UNIT);
        if unit != dp.canonical_unit {
            return Err(bad(format!(
                "{id}: unit '{unit}' is not the catalogue's canonical unit '{}'",
                dp.canonical_unit
            )));
        }
        let (low, typical, high) = (need(col::LOW)?, need(col::TYPICAL)?, need(col::HIGH)?);
        if !(low < typical && typical < high) {
            return Err(bad(format!(
                "{id}: needs low < typical < high, got {low}, {typical}, {high}"
            )));
        }
        if let Some(h) = dp.hard_min
            && low < h
        {
            return Err(bad(format!(
                "{id}: low {low} is below the catalogue's hard_min {h}"
            )));
        }
        match dp.hard_max {
            Some(h) if high > h => {
                return Err(bad(format!(
                    "{id}: high {high} is above the catalogue's hard_max {h}"
                )));
            }
            Some(_) => {}
            None => {
                let bound = units
                    .canonical(&unit)
                    .map(|c| c.max_abs)
                    .unwrap_or(f64::INFINITY);
                if high * HEADROOM > bound {
                    return Err(bad(format!(
                        "{id}: high {high} is not {HEADROOM} times below the magnitude bound {bound} of {unit}"
                    )));
                }
            }
        }
        if dp.is_boolean() && (low != 0.0 || high != 1.0) {
            return Err(bad(format!(
                "{id}: a yes/no data point needs low 0 and high 1 (typical is the share of yes)"
            )));
        }
        let (dlow, dhigh) = (num(col::DEVELOPED_LOW)?, num(col::DEVELOPED_HIGH)?);
        let (el, eh) = (dlow.unwrap_or(low), dhigh.unwrap_or(high));
        if el < low || eh > high || el >= eh {
            return Err(bad(format!(
                "{id}: developed_low and developed_high must narrow {low}..{high}, got {el}..{eh}"
            )));
        }
        let scale = match get(col::SCALE).as_str() {
            "linear" => Scale::Linear,
            "log" => Scale::Log,
            s => {
                return Err(bad(format!("{id}: scale '{s}' is not one of linear, log")));
            }
        };
        if scale == Scale::Log && low <= 0.0 {
            return Err(bad(format!("{id}: a log scale needs low > 0, got {low}")));
        }
        let source = get(col::SOURCE);
        if source.is_empty() {
            return Err(bad(format!(
                "{id}: empty source; cite one or write 'judgement: <reason>'"
            )));
        }
        if index.insert(id.clone(), ranges.len()).is_some() {
            return Err(bad(format!("duplicate data_point_id '{id}'")));
        }
        ranges.push(Range {
            data_point_id: id,
            unit,
            low,
            typical,
            high,
            developed_low: dlow,
            developed_high: dhigh,
            scale,
            source,
        });
    }
    let missing: Vec<&str> = catalog
        .data_points()
        .iter()
        .map(|d| d.data_point_id.as_str())
        .filter(|d| !index.contains_key(*d))
        .collect();
    if !missing.is_empty() {
        return Err(Error::input(
            path,
            format!(
                "no range for {} catalogue data point(s): {}",
                missing.len(),
                missing.join(", ")
            ),
        ));
    }
    Ok((ranges, index))
}

fn parse_relations(text: &str, path: &Path, catalog: &Catalog, p: &Plausible) -> Result<Vec<Rule>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (mut rdr, headers) = crate::csv_lines::reader(text, path)?;
    let pos = header_positions(&headers, path, &col::RELATION_COLUMNS)?;
    let mut rules: Vec<Rule> = Vec::new();
    let mut lines = Vec::new();
    for (line, rec) in crate::csv_lines::records(text, &mut rdr) {
        let rec = rec.map_err(|e| Error::data(path, line, format!("unreadable row: {e}")))?;
        let get = |c: &str| rec.get(pos[c]).unwrap_or("").trim().to_string();
        let bad = |m: String| Error::data(path, line, m);
        let (kind, left, right) = (get(col::RELATION), get(col::LEFT), get(col::RIGHT));
        let range = |id: &str| {
            p.range(id)
                .ok_or_else(|| bad(format!("{kind}: '{id}' is not a catalogue data point")))
        };
        let scope = match get(col::SCOPE).as_str() {
            "all" => Scope::All,
            "developed" => Scope::Developed,
            s => {
                return Err(bad(format!(
                    "{kind}: scope '{s}' is not one of all, developed"
                )));
            }
        };
        let relation = match kind.as_str() {
            "le" => {
                let (l, r) = (range(&left)?, range(&right)?);
                for developed in [false, true] {
                    let (ll, rl) = (l.bounds(developed).0, r.bounds(developed).0);
                    if ll > rl {
                        return Err(bad(format!(
                            "le {left} <= {right}: the low of {left} ({ll}) is above that of {right} ({rl}), so lowering {left} to fit could leave its range"
                        )));
                    }
                }
                for id in [&left, &right] {
                    if !catalog.get(id).is_some_and(|d| d.sum_group.is_empty()) {
                        return Err(bad(format!(
                            "le {left} <= {right}: {id} is in a sum group; a sum group's shares are fixed by sum_100"
                        )));
                    }
                }
                Relation::AtMost { left, right }
            }
            "sum_100" => {
                let members: Vec<&Range> = catalog
                    .data_points()
                    .iter()
                    .filter(|d| d.sum_group == left)
                    .filter_map(|d| p.range(&d.data_point_id))
                    .collect();
                if members.is_empty() {
                    return Err(bad(format!(
                        "sum_100: no catalogue data point has sum_group '{left}'"
                    )));
                }
                for developed in [false, true] {
                    let lo: f64 = members.iter().map(|m| m.bounds(developed).0).sum();
                    let hi: f64 = members.iter().map(|m| m.bounds(developed).1).sum();
                    if lo > 100.0 || hi < 100.0 {
                        return Err(bad(format!(
                            "sum_100 {left}: the members' ranges add up to {lo}..{hi}, which excludes 100"
                        )));
                    }
                }
                Relation::SumTo100 { group: left }
            }
            "non_decreasing" => {
                range(&left)?;
                Relation::NonDecreasing {
                    data_point_id: left,
                }
            }
            k => {
                return Err(bad(format!(
                    "relation '{k}' is not one of le, sum_100, non_decreasing"
                )));
            }
        };
        rules.push(Rule {
            relation,
            scope,
            reason: get(col::REASON),
        });
        lines.push(line);
    }
    check_order(&rules, &lines, path)?;
    Ok(rules)
}

/// The generator lowers the left side of each `le` in file order, then raises each
/// `non_decreasing` data point to its previous year's value. Both stay consistent only if a
/// data point lowered by a later `le` is not the right side of an earlier one, and the right
/// side of an `le` whose left side never falls never falls either.
fn check_order(rules: &[Rule], lines: &[u64], path: &Path) -> Result<()> {
    let at_most: Vec<(usize, &str, &str)> = rules
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match &r.relation {
            Relation::AtMost { left, right } => Some((i, left.as_str(), right.as_str())),
            _ => None,
        })
        .collect();
    for (k, &(j, left, right)) in at_most.iter().enumerate() {
        if let Some(&(_, l0, r0)) = at_most[..k].iter().find(|(_, _, r0)| *r0 == left) {
            return Err(Error::data(
                path,
                lines[j],
                format!(
                    "le {left} <= {right} lowers {left}, which the earlier le {l0} <= {r0} compares against; list a chain from its top down"
                ),
            ));
        }
    }
    let monotone = |id: &str, scope: Scope| {
        rules.iter().any(|r| {
            matches!(&r.relation, Relation::NonDecreasing { data_point_id } if data_point_id == id)
                && (r.scope == Scope::All || r.scope == scope)
        })
    };
    for &(j, left, right) in &at_most {
        for scope in [Scope::Developed, Scope::All] {
            let left_scoped = rules.iter().any(|r| {
                r.scope == scope
                    && matches!(&r.relation, Relation::NonDecreasing { data_point_id } if data_point_id == left)
            });
            if left_scoped && !monotone(right, scope) {
                return Err(Error::data(
                    path,
                    lines[j],
                    format!(
                        "le {left} <= {right}: {left} is non_decreasing but {right} is not, so raising {left} could pass {right}"
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load() -> (UnitRegistry, Catalog) {
        let units = UnitRegistry::embedded().unwrap();
        let catalog = Catalog::embedded(&units).unwrap();
        (units, catalog)
    }

    fn parse_with(ranges: &str, relations: &str) -> Result<Plausible> {
        let (units, catalog) = load();
        Plausible::parse(
            ranges,
            Path::new("p.csv"),
            relations,
            Path::new("r.csv"),
            &catalog,
            &units,
        )
    }

    /// The embedded ranges with the row of `id` replaced by `row`.
    fn ranges_with(id: &str, row: &str) -> String {
        EMBEDDED_RANGES
            .lines()
            .map(|l| {
                if l.starts_with(&format!("{id},")) {
                    row.to_string()
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn range_error(id: &str, row: &str) -> String {
        parse_with(&ranges_with(id, row), EMBEDDED_RELATIONS)
            .unwrap_err()
            .to_string()
    }

    fn relation_error(extra: &str) -> String {
        let rel = format!("{EMBEDDED_RELATIONS}{extra}\n");
        parse_with(EMBEDDED_RANGES, &rel).unwrap_err().to_string()
    }

    /// The line of the row of `id` in the embedded ranges.
    fn line_of(id: &str) -> usize {
        EMBEDDED_RANGES
            .lines()
            .position(|l| l.starts_with(&format!("{id},")))
            .unwrap()
            + 1
    }

    #[test]
    fn every_catalogue_data_point_has_one_range_in_its_canonical_unit_inside_its_bounds() {
        let (units, catalog) = load();
        let p = Plausible::embedded(&catalog, &units).unwrap();
        assert_eq!(p.ranges().len(), catalog.data_points().len());
        assert_eq!(p.ranges().len(), 113);
        for dp in catalog.data_points() {
            let r = p.range(&dp.data_point_id).unwrap();
            assert_eq!(r.unit, dp.canonical_unit, "{}", dp.data_point_id);
            assert!(r.low <= r.typical && r.typical <= r.high, "{r:?}");
            let max_abs = units.canonical(&dp.canonical_unit).unwrap().max_abs;
            assert!(r.high <= max_abs, "{r:?}");
            assert!(r.low >= dp.hard_min.unwrap_or(f64::NEG_INFINITY), "{r:?}");
            assert!(r.high <= dp.hard_max.unwrap_or(f64::INFINITY), "{r:?}");
            assert!(
                r.source.starts_with("judgement: ") || r.source.contains("https://"),
                "{}: a source is a link or a judgement with its reason: {}",
                r.data_point_id,
                r.source
            );
        }
    }

    #[test]
    fn the_ranges_the_sample_looked_wrong_on() {
        // issue 20: ICT employment 98 %, tourism employment 87 %, R&D 10.8 % of GDP
        let (units, catalog) = load();
        let p = Plausible::embedded(&catalog, &units).unwrap();
        let r = |id: &str| {
            let r = p.range(id).unwrap();
            (r.low, r.typical, r.high)
        };
        assert_eq!(r("EC-P-EM-4A"), (0.5, 3.5, 12.0));
        assert_eq!(r("EC-P-EM-3A"), (0.5, 5.0, 30.0));
        assert_eq!(r("EC-P-IN-1C"), (0.05, 1.5, 6.0));
        assert_eq!(r("EC-P-EM-1C"), (1.0, 7.0, 35.0));
        assert_eq!(r("EC-P-EM-2C"), (2.0, 16.0, 65.0));
        let e = p.range("EC-I-ES-3C").unwrap();
        assert_eq!(e.bounds(true), (99.0, 100.0));
        assert_eq!(e.bounds(false), (40.0, 100.0));
        assert!(p.is_non_decreasing("EC-I-ES-3C", true));
        assert!(!p.is_non_decreasing("EC-I-ES-3C", false));
        assert!(p.rules().contains(&Rule {
            relation: Relation::AtMost {
                left: "EC-P-EM-1C".into(),
                right: "EC-P-EM-2C".into()
            },
            scope: Scope::All,
            reason: "youth unemployment is at least total unemployment (ILO: youth rates are about two to three times total rates)".into()
        }));
    }

    #[test]
    fn range_rejections() {
        let l = line_of("EC-P-IN-1C");
        let cases = [
            (
                "EC-P-IN-1C,pct,0.05,1.5,6,,,log,x",
                format!(
                    "p.csv:{l}: EC-P-IN-1C: unit 'pct' is not the catalogue's canonical unit 'pct_of_gdp'"
                ),
            ),
            (
                "EC-P-IN-1C,pct_of_gdp,0.05,x,6,,,log,x",
                format!("p.csv:{l}: EC-P-IN-1C: typical 'x' is not a number"),
            ),
            (
                "EC-P-IN-1C,pct_of_gdp,0.05,,6,,,log,x",
                format!("p.csv:{l}: EC-P-IN-1C: typical is empty"),
            ),
            (
                "EC-P-IN-1C,pct_of_gdp,0.05,7,6,,,log,x",
                format!("p.csv:{l}: EC-P-IN-1C: needs low < typical < high, got 0.05, 7, 6"),
            ),
            (
                "EC-P-IN-1C,pct_of_gdp,-1,1.5,6,,,linear,x",
                format!("p.csv:{l}: EC-P-IN-1C: low -1 is below the catalogue's hard_min 0"),
            ),
            (
                "EC-P-IN-1C,pct_of_gdp,0.05,1.5,160,,,log,x",
                format!("p.csv:{l}: EC-P-IN-1C: high 160 is above the catalogue's hard_max 100"),
            ),
            (
                "EC-P-IN-1C,pct_of_gdp,0.05,1.5,6,0.01,,log,x",
                format!(
                    "p.csv:{l}: EC-P-IN-1C: developed_low and developed_high must narrow 0.05..6, got 0.01..6"
                ),
            ),
            (
                "EC-P-IN-1C,pct_of_gdp,0.05,1.5,6,3,2,log,x",
                format!(
                    "p.csv:{l}: EC-P-IN-1C: developed_low and developed_high must narrow 0.05..6, got 3..2"
                ),
            ),
            (
                "EC-P-IN-1C,pct_of_gdp,0.05,1.5,6,,,cubic,x",
                format!("p.csv:{l}: EC-P-IN-1C: scale 'cubic' is not one of linear, log"),
            ),
            (
                "EC-P-IN-1C,pct_of_gdp,0,1.5,6,,,log,x",
                format!("p.csv:{l}: EC-P-IN-1C: a log scale needs low > 0, got 0"),
            ),
            (
                "EC-P-IN-1C,pct_of_gdp,0.05,1.5,6,,,log,",
                format!(
                    "p.csv:{l}: EC-P-IN-1C: empty source; cite one or write 'judgement: <reason>'"
                ),
            ),
            (
                "EC-P-IN-1X,pct_of_gdp,0.05,1.5,6,,,log,x",
                format!("p.csv:{l}: 'EC-P-IN-1X' is not a catalogue data point"),
            ),
        ];
        for (row, want) in cases {
            assert_eq!(range_error("EC-P-IN-1C", row), want, "{row}");
        }
        let l = line_of("EC-P-EM-3A");
        assert_eq!(
            range_error("EC-P-EM-3A", "EC-P-EM-1C,pct,1,7,35,,,log,x"),
            format!("p.csv:{l}: duplicate data_point_id 'EC-P-EM-1C'")
        );
        let l = line_of("EC-ICT-ICT-3C");
        assert_eq!(
            range_error(
                "EC-ICT-ICT-3C",
                "EC-ICT-ICT-3C,per_100k_pop,10000,90000,20000000,,,log,x"
            ),
            format!(
                "p.csv:{l}: EC-ICT-ICT-3C: high 20000000 is not 10 times below the magnitude bound 100000000 of per_100k_pop"
            )
        );
        let l = line_of("SC-SH-SA-3A");
        assert_eq!(
            range_error("SC-SH-SA-3A", "SC-SH-SA-3A,bool,0,0.7,0.9,,,linear,x"),
            format!(
                "p.csv:{l}: SC-SH-SA-3A: a yes/no data point needs low 0 and high 1 (typical is the share of yes)"
            )
        );
        // a missing row: named, with the count
        let without: String = EMBEDDED_RANGES
            .lines()
            .filter(|l| !l.starts_with("EC-P-IN-1C,") && !l.starts_with("SC-SH-FS-1A,"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(
            parse_with(&without, EMBEDDED_RELATIONS)
                .unwrap_err()
                .to_string(),
            "p.csv: no range for 2 catalogue data point(s): EC-P-IN-1C, SC-SH-FS-1A"
        );
        assert_eq!(
            parse_with("data_point_id,low\n", EMBEDDED_RELATIONS)
                .unwrap_err()
                .to_string(),
            "p.csv: missing column(s): unit, typical, high, developed_low, developed_high, scale, source"
        );
    }

    #[test]
    fn relation_rejections() {
        let n = EMBEDDED_RELATIONS.lines().count() + 1;
        let cases = [
            (
                "ge,EC-P-EM-1C,EC-P-EM-2C,all,x",
                format!("r.csv:{n}: relation 'ge' is not one of le, sum_100, non_decreasing"),
            ),
            (
                "le,EC-P-EM-1C,EC-P-EM-2C,most,x",
                format!("r.csv:{n}: le: scope 'most' is not one of all, developed"),
            ),
            (
                "le,EC-P-EM-1X,EC-P-EM-2C,all,x",
                format!("r.csv:{n}: le: 'EC-P-EM-1X' is not a catalogue data point"),
            ),
            (
                "le,EC-P-EM-2C,EC-P-EM-1C,all,x",
                format!(
                    "r.csv:{n}: le EC-P-EM-2C <= EC-P-EM-1C: the low of EC-P-EM-2C (2) is above that of EC-P-EM-1C (1), so lowering EC-P-EM-2C to fit could leave its range"
                ),
            ),
            (
                "le,EC-I-T-4A-cycling,EC-I-WS-4C,all,x",
                format!(
                    "r.csv:{n}: le EC-I-T-4A-cycling <= EC-I-WS-4C: EC-I-T-4A-cycling is in a sum group; a sum group's shares are fixed by sum_100"
                ),
            ),
            (
                "sum_100,energy_mix,,all,x",
                format!("r.csv:{n}: sum_100: no catalogue data point has sum_group 'energy_mix'"),
            ),
            (
                "le,EC-I-WS-4C,EC-P-IN-3A,all,x",
                format!(
                    "r.csv:{n}: le EC-I-WS-4C <= EC-P-IN-3A lowers EC-I-WS-4C, which the earlier le EN-EN-WS-4C-primary <= EC-I-WS-4C compares against; list a chain from its top down"
                ),
            ),
            (
                "le,EC-I-WS-2C,SC-EH-ED-4C,all,x",
                format!(
                    "r.csv:{n}: le EC-I-WS-2C <= SC-EH-ED-4C: EC-I-WS-2C is non_decreasing but SC-EH-ED-4C is not, so raising EC-I-WS-2C could pass SC-EH-ED-4C"
                ),
            ),
        ];
        for (row, want) in cases {
            assert_eq!(relation_error(row), want, "{row}");
        }
        // shares whose ranges cannot add up to 100
        let l = EMBEDDED_RELATIONS
            .lines()
            .position(|l| l.starts_with("sum_100,mode_share"))
            .unwrap()
            + 1;
        let narrow = ranges_with(
            "EC-I-T-4A-private",
            "EC-I-T-4A-private,pct,70,80,90,,,linear,x",
        );
        let narrow = narrow.replace(
            "EC-I-T-4A-public,pct,1,25,75,",
            "EC-I-T-4A-public,pct,31,45,75,",
        );
        assert_eq!(
            parse_with(&narrow, EMBEDDED_RELATIONS)
                .unwrap_err()
                .to_string(),
            format!(
                "r.csv:{l}: sum_100 mode_share: the members' ranges add up to 102..320, which excludes 100"
            )
        );
    }
}
