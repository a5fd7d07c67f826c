//! Columnar validation of Parquet slices: the common row is checked column by column and
//! its batch columns are built by slicing and gathering, not row by row.
//!
//! A row takes the fast path when every cell has the plain shape the row validator
//! ([`super::validate::Validator::check`]) would accept without a second thought: a city
//! and a data point id written exactly as the registry and the catalogue write them, a year
//! in range, a number in plain decimal notation (or a Parquet number), a unit that resolves
//! for the data point without a denominator, a converted value inside the data point's
//! bounds, a known quality level and yes/no flags. Whatever a distinct text decides
//! (a city id, a unit, a quality level) is decided once per run of equal texts and cached;
//! only the number is parsed per row, and the unit factor is applied per row.
//!
//! Every other row (a rejection, a statement, a denominator, a cell that needs trimming)
//! goes to the row validator, which decides it exactly as before: its messages are the
//! only ones there are. The fast path never rejects; it only accepts rows the row validator
//! would accept, with the same stored fields, which `tests/ingest.rs` checks by ingesting
//! files both ways.

use std::sync::Arc;

use polars::prelude::*;
use polars_arrow::array::Array;
use rustc_hash::FxHashMap;

use super::batch::RawTypes;
use super::read::{Cell, ColView, ParquetSlice, field};
use super::validate::{
    is_plain, nonzero_mantissa, pack_key, parse_bool_value, parse_flag, parse_quality,
};
use crate::catalog::units::MIN_NONZERO_ABS;
use crate::catalog::{Catalog, UnitRegistry};
use crate::quality::QUALITY_LEVELS;
use crate::registry::Registry;
use crate::schema::raw as col;

/// Marks a row the fast path leaves to the row validator.
const SLOW: u32 = u32::MAX;
/// A dictionary code not looked up yet.
const UNSET: u32 = u32::MAX;

/// Codes of one dictionary column ([`RawTypes`]), by the index of the value in its source
/// (the registry, the catalogue, the unit spellings) or by its text.
#[derive(Clone)]
struct Codes {
    mapping: Arc<CategoricalMapping>,
    by_index: Vec<u32>,
    by_text: FxHashMap<String, u32>,
}

impl Codes {
    fn new(types: &RawTypes, name: &str, n: usize) -> Self {
        Codes {
            mapping: types.mapping(name),
            by_index: vec![UNSET; n],
            by_text: FxHashMap::default(),
        }
    }

    /// The code of value `i` of the source, whose text is `text(i)`.
    fn index<'t>(&mut self, i: u32, text: impl FnOnce(usize) -> &'t str) -> PolarsResult<u32> {
        let c = self.by_index[i as usize];
        if c != UNSET {
            return Ok(c);
        }
        let c = self.mapping.insert_cat(text(i as usize))?;
        self.by_index[i as usize] = c;
        Ok(c)
    }

    /// The code of a text.
    fn text(&mut self, t: &str) -> PolarsResult<u32> {
        if let Some(&c) = self.by_text.get(t) {
            return Ok(c);
        }
        let c = self.mapping.insert_cat(t)?;
        if self.by_text.len() < 16_384 {
            self.by_text.insert(t.to_string(), c);
        }
        Ok(c)
    }
}

/// Codes of every dictionary column, kept by one worker for the whole file.
#[derive(Clone)]
struct Dictionaries {
    types: RawTypes,
    source_file: u32,
    city: Codes,
    data_point: Codes,
    /// By spelling: its canonical unit.
    unit: Codes,
    unit_reported: Codes,
    quality: Codes,
}

/// The fast path's dictionaries and caches for one file (one per worker thread).
#[derive(Clone)]
pub struct Columnar<'a> {
    catalog: &'a Catalog,
    units: &'a UnitRegistry,
    registry: &'a Registry,
    year_min: i64,
    year_max: i64,
    codes: Dictionaries,
    /// Spelling index -> its conversion text (stored as plain text: see
    /// [`super::batch::DICTIONARY_COLUMNS`]).
    conversion_dict: StringChunked,
    /// Per data point: unit text as written -> spelling index, or [`SLOW`].
    unit_cache: Vec<FxHashMap<String, u32>>,
}

/// What the fast path made of a range of a slice.
pub struct Fast {
    /// The accepted rows' batch columns (rows in file order), or None when no row was fast.
    pub frame: Option<DataFrame>,
    /// (key, line, value bits) of every fast row, for [`super::validate::Dedupe`].
    pub keys: Vec<(u64, u64, u64)>,
    /// Rows (0-based, in the slice) left to the row validator, ascending.
    pub slow: Vec<usize>,
}

/// A cache of the last text seen and what it decided: files list a city's rows together,
/// so most rows repeat the text of the row before. A row whose 16-byte view equals the
/// last one's holds the same text (the same inline bytes, or the same bytes of the same
/// buffer: a Parquet column's dictionary, or a CSV slice's short ids) and is not compared
/// byte by byte (the byte comparisons of this check were 7 % of a Parquet ingest's CPU).
struct Last<'s, T: Copy> {
    view: Option<u128>,
    text: Option<&'s str>,
    value: T,
}

impl<'s, T: Copy> Last<'s, T> {
    fn new(value: T) -> Self {
        Last {
            view: None,
            text: None,
            value,
        }
    }

    /// What `decide` makes of text `t`, whose view is `view` (None: compare the text).
    fn get(&mut self, view: Option<u128>, t: &'s str, decide: impl FnOnce(&'s str) -> T) -> T {
        if view.is_none() || self.view != view {
            self.view = view;
            if self.text != Some(t) {
                self.value = decide(t);
                self.text = Some(t);
            }
        }
        self.value
    }
}

/// The views remembered per column and slice at most (then further texts are looked up by
/// their text).
const VIEWS_SEEN: usize = 4096;

/// Call `f` with each of the rows `start..start + n` of `ca`: its index from 0 and its text
/// with the text's view, None when missing. Views are comparable within one array, so of
/// a column of several arrays only the inline ones (12 bytes at most) are given.
fn each_text<'a>(
    ca: &'a StringChunked,
    start: usize,
    n: usize,
    mut f: impl FnMut(usize, Option<(Option<u128>, &'a str)>),
) {
    let one_array = ca.chunks().len() == 1;
    let (mut k, mut skip) = (0, start);
    for arr in ca.downcast_iter() {
        if skip >= arr.len() {
            skip -= arr.len();
            continue;
        }
        let end = arr.len().min(skip + n - k);
        let views = arr.views();
        for i in skip..end {
            // SAFETY: i < arr.len()
            let cell = arr.is_valid(i).then(|| {
                let view = views[i];
                let key = (one_array || view.length <= 12).then(|| view.as_u128());
                (key, unsafe { arr.value_unchecked(i) })
            });
            f(k, cell);
            k += 1;
        }
        skip = 0;
        if k == n {
            break;
        }
    }
    debug_assert_eq!(k, n, "rows {start}..{} of {}", start + n, ca.len());
}

/// Whether `t` needs no trimming.
fn trimmed(t: &str) -> bool {
    t.trim().len() == t.len()
}

/// A number from its plain text, when the row validator reads it without a problem.
fn read_number(t: &str) -> Option<f64> {
    if let Some(v) = short_decimal(t) {
        return usable(v);
    }
    // plain decimal notation has no space, group separator or statement to read first
    if t.is_empty() || !is_plain(t) {
        return None;
    }
    let v: f64 = t.parse().ok()?;
    if !v.is_finite() || (v == 0.0 && nonzero_mantissa(t)) || usable(v).is_none() {
        return None;
    }
    Some(v)
}

/// Powers of ten represented exactly as `f64`.
const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `t` read as `t.parse::<f64>()` reads it, for text of an optional `-`, digits and at most
/// one `.` (at least one digit) whose digits, without the point, make an integer below
/// 2^53 with at most 22 of them after the point: that integer and the power of ten are
/// exact doubles, so their quotient is the correctly rounded value (the fast path of
/// Rust's own parser, without its tokenizer: number parsing was a tenth of the column
/// checks' time). None for any other text, which the full parser reads.
fn short_decimal(t: &str) -> Option<f64> {
    let b = t.as_bytes();
    let (negative, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        _ => (false, b),
    };
    let (mut mantissa, mut fraction, mut any, mut point) = (0u64, 0usize, false, false);
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
                fraction += usize::from(point);
                any = true;
            }
            b'.' if !point => point = true,
            _ => return None,
        }
    }
    if !any || mantissa >= 1 << 53 || fraction >= EXACT_POWERS_OF_TEN.len() {
        return None;
    }
    let v = mantissa as f64 / EXACT_POWERS_OF_TEN[fraction];
    Some(if negative { -v } else { v })
}

/// `v` when it is a value the row validator takes as it is (finite, and zero or at least
/// [`MIN_NONZERO_ABS`] in magnitude).
fn usable(v: f64) -> Option<f64> {
    (v.is_finite() && (v == 0.0 || v.abs() >= MIN_NONZERO_ABS)).then_some(v)
}

impl<'a> Columnar<'a> {
    /// The fast path of one file, whose rows are stored with the dictionary columns of
    /// `types` (without the batch id, which the batch's writer adds).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        catalog: &'a Catalog,
        units: &'a UnitRegistry,
        registry: &'a Registry,
        year_min: i32,
        year_max: i32,
        types: &RawTypes,
        source_file: &str,
    ) -> PolarsResult<Self> {
        let n_sp = units.spellings().len();
        let codes = Dictionaries {
            source_file: types.mapping(col::SOURCE_FILE).insert_cat(source_file)?,
            city: Codes::new(types, col::CITY_ID, registry.cities().len()),
            data_point: Codes::new(types, col::DATA_POINT_ID, catalog.data_points().len()),
            unit: Codes::new(types, col::UNIT, n_sp),
            unit_reported: Codes::new(types, col::UNIT_REPORTED, 0),
            quality: Codes::new(types, col::QUALITY, QUALITY_LEVELS.len()),
            types: types.clone(),
        };
        Ok(Columnar {
            catalog,
            units,
            registry,
            year_min: year_min as i64,
            year_max: year_max as i64,
            codes,
            conversion_dict: StringChunked::from_iter_values(
                col::CONVERSION.into(),
                units.spellings().iter().map(|s| s.conversion.as_str()),
            ),
            unit_cache: vec![FxHashMap::default(); catalog.data_points().len()],
        })
    }

    /// The spelling index of `unit` written for data point `dp`, or [`SLOW`] when the row
    /// validator must judge it (unknown, not applicable, a total needing a denominator).
    fn spelling(&mut self, dp: u32, unit: &str) -> u32 {
        let cache = &mut self.unit_cache[dp as usize];
        if let Some(&s) = cache.get(unit) {
            return s;
        }
        let d = &self.catalog.data_points()[dp as usize];
        let s = match self.units.resolve(d, unit) {
            Ok(s) if !s.per_denominator && trimmed(unit) => self
                .units
                .spellings()
                .iter()
                .position(|x| std::ptr::eq(x, s))
                .map_or(SLOW, |i| i as u32),
            _ => SLOW,
        };
        if cache.len() < 16_384 {
            cache.insert(unit.to_string(), s);
        }
        s
    }

    /// Check rows `start..start + n` of `slice` column by column and build the batch
    /// columns of those that pass; the rest are listed for the row validator.
    pub fn check(&mut self, slice: &ParquetSlice, start: usize, n: usize) -> PolarsResult<Fast> {
        let v = |f: usize| slice.view(f);
        let mut ok = vec![true; n];
        if slice.has_problems() {
            for (k, o) in ok.iter_mut().enumerate() {
                *o = !slice.has_problem(start + k);
            }
        }
        let slow_all = |ok: &mut Vec<bool>| ok.iter_mut().for_each(|o| *o = false);

        // city and data point: exactly as the registry and the catalogue write them
        let ids = |f: usize, ok: &mut Vec<bool>, position: &dyn Fn(&str) -> Option<usize>| {
            let mut out = vec![SLOW; n];
            match v(f) {
                ColView::Str(ca) => {
                    let mut last = Last::new(SLOW);
                    // the position of each view met in this slice (views are comparable
                    // within it): a submission lists a city's data points in turn, so
                    // the data point changes on every row and its text was hashed each time
                    let mut seen: FxHashMap<u128, u32> = FxHashMap::default();
                    each_text(ca, start, n, |k, cell| {
                        out[k] = cell.map_or(SLOW, |(view, t)| {
                            last.get(view, t, |t| {
                                if let Some(&i) = view.and_then(|v| seen.get(&v)) {
                                    return i;
                                }
                                let i = match trimmed(t) {
                                    true => position(t).map_or(SLOW, |i| i as u32),
                                    false => SLOW,
                                };
                                if let Some(v) = view
                                    && seen.len() < VIEWS_SEEN
                                {
                                    seen.insert(v, i);
                                }
                                i
                            })
                        });
                    });
                }
                _ => slow_all(ok),
            }
            out
        };
        let (reg, cat) = (self.registry, self.catalog);
        let city = ids(field::CITY_ID, &mut ok, &|t| reg.position(t));
        let dp = ids(field::DATA_POINT_ID, &mut ok, &|t| cat.position(t));
        for k in 0..n {
            ok[k] &= city[k] != SLOW && dp[k] != SLOW;
        }

        // year
        let mut year = vec![0i32; n];
        let (lo, hi) = (self.year_min, self.year_max);
        let in_range = |y: i64| (lo..=hi).contains(&y);
        match v(field::YEAR) {
            ColView::Int(ca) => {
                for (k, y) in ca.slice(start as i64, n).iter().enumerate() {
                    match y {
                        Some(y) if in_range(y) => year[k] = y as i32,
                        _ => ok[k] = false,
                    }
                }
            }
            ColView::Str(ca) => {
                for (k, t) in ca.slice(start as i64, n).iter().enumerate() {
                    match t.filter(|t| trimmed(t)).and_then(|t| t.parse::<i64>().ok()) {
                        Some(y) if in_range(y) => year[k] = y as i32,
                        _ => ok[k] = false,
                    }
                }
            }
            _ => slow_all(&mut ok),
        }

        // value as reported: a number, or a yes/no answer for a boolean data point
        let dps = self.catalog.data_points();
        let is_bool: Vec<bool> = dps.iter().map(|d| d.is_boolean()).collect();
        let mut reported = vec![0f64; n];
        let value_view = v(field::VALUE);
        match value_view {
            ColView::Str(ca) => {
                let mut bools: Vec<(&str, Option<f64>)> = Vec::new();
                for (k, t) in ca.slice(start as i64, n).iter().enumerate() {
                    if !ok[k] {
                        continue;
                    }
                    let Some(t) = t else {
                        ok[k] = false;
                        continue;
                    };
                    let r = if is_bool[dp[k] as usize] {
                        match bools.iter().find(|(b, _)| *b == t) {
                            Some((_, r)) => *r,
                            None => {
                                let r = (trimmed(t)
                                    && super::validate::statement_status(t).is_none())
                                .then(|| parse_bool_value(&Cell::Str(t)).ok())
                                .flatten();
                                if bools.len() < 64 {
                                    bools.push((t, r));
                                }
                                r
                            }
                        }
                    } else {
                        read_number(t)
                    };
                    match r {
                        Some(r) => reported[k] = r,
                        None => ok[k] = false,
                    }
                }
            }
            ColView::Float(ca) => {
                for (k, x) in ca.slice(start as i64, n).iter().enumerate() {
                    if !ok[k] {
                        continue;
                    }
                    let r = x.and_then(|x| {
                        if is_bool[dp[k] as usize] {
                            parse_bool_value(&Cell::Float(x)).ok()
                        } else {
                            usable(x)
                        }
                    });
                    match r {
                        Some(r) => reported[k] = r,
                        None => ok[k] = false,
                    }
                }
            }
            ColView::Int(ca) => {
                for (k, x) in ca.slice(start as i64, n).iter().enumerate() {
                    if !ok[k] {
                        continue;
                    }
                    let r = x.and_then(|x| {
                        if is_bool[dp[k] as usize] {
                            parse_bool_value(&Cell::Int(x)).ok()
                        } else {
                            usable(x as f64)
                        }
                    });
                    match r {
                        Some(r) => reported[k] = r,
                        None => ok[k] = false,
                    }
                }
            }
            _ => slow_all(&mut ok),
        }

        // unit, then the value in the canonical unit, inside the data point's bounds
        match v(field::DENOMINATOR) {
            ColView::Missing => {}
            ColView::Str(ca) => {
                for (k, t) in ca.slice(start as i64, n).iter().enumerate() {
                    if t.is_some_and(|t| !t.trim().is_empty()) {
                        ok[k] = false;
                    }
                }
            }
            other => {
                for (k, o) in ok.iter_mut().enumerate() {
                    if !matches!(other.cell(start + k), Cell::Null) {
                        *o = false;
                    }
                }
            }
        }
        let mut spelling = vec![0 as IdxSize; n];
        let mut value = vec![0f64; n];
        match v(field::UNIT) {
            ColView::Str(ca) => {
                // (data point, the unit's view and text, its spelling) of the row before
                let mut last: (u32, Option<u128>, Option<&str>, u32) = (SLOW, None, None, SLOW);
                let mut seen: FxHashMap<(u32, u128), u32> = FxHashMap::default();
                let units = self.units;
                let spellings = units.spellings();
                // the largest magnitude of each data point's canonical unit, looked up once
                // (by name per row it was a tenth of this check's time)
                let canon_max: Vec<f64> = dps
                    .iter()
                    .map(|dpd| {
                        units
                            .canonical(&dpd.canonical_unit)
                            .map_or(f64::INFINITY, |c| c.max_abs)
                    })
                    .collect();
                each_text(ca, start, n, |k, cell| {
                    if !ok[k] {
                        return;
                    }
                    let Some((view, t)) = cell else {
                        ok[k] = false;
                        return;
                    };
                    let d = dp[k];
                    let s = if last.0 == d
                        && ((view.is_some() && last.1 == view) || last.2 == Some(t))
                    {
                        last.3
                    } else {
                        // by (data point, view) when the view was met in this slice, else
                        // by the text ([`Self::spelling`])
                        let s = match view.and_then(|v| seen.get(&(d, v))) {
                            Some(&s) => s,
                            None => {
                                let s = self.spelling(d, t);
                                if let Some(v) = view
                                    && seen.len() < VIEWS_SEEN
                                {
                                    seen.insert((d, v), s);
                                }
                                s
                            }
                        };
                        last = (d, view, Some(t), s);
                        s
                    };
                    if s == SLOW {
                        ok[k] = false;
                        return;
                    }
                    let sp = &spellings[s as usize];
                    let x = sp.to_canonical(reported[k]);
                    let dpd = &dps[d as usize];
                    let canon_max = canon_max[d as usize];
                    let inside = x.is_finite()
                        && !(reported[k] != 0.0 && x.abs() < MIN_NONZERO_ABS)
                        && if is_bool[d as usize] {
                            x == 0.0 || x == 1.0
                        } else {
                            dpd.hard_min.is_none_or(|m| x >= m)
                                && dpd.hard_max.is_none_or(|m| x <= m)
                                && x.abs() <= canon_max
                        };
                    if inside {
                        spelling[k] = s as IdxSize;
                        value[k] = x;
                    } else {
                        ok[k] = false;
                    }
                });
            }
            _ => slow_all(&mut ok),
        }

        // quality and the two flags
        let mut quality = vec![0 as IdxSize; n];
        let q_of = |c: &Cell<'_>| -> Option<IdxSize> {
            let q = parse_quality(c).ok()?;
            QUALITY_LEVELS
                .iter()
                .position(|l| *l == q)
                .map(|i| i as IdxSize)
        };
        match v(field::QUALITY) {
            ColView::Missing => {
                let unknown = q_of(&Cell::Null);
                match unknown {
                    Some(u) => quality.iter_mut().for_each(|q| *q = u),
                    None => slow_all(&mut ok),
                }
            }
            ColView::Str(ca) => {
                let mut seen: Vec<(Option<&str>, Option<IdxSize>)> = Vec::new();
                for (k, t) in ca.slice(start as i64, n).iter().enumerate() {
                    let r = match seen.iter().find(|(s, _)| *s == t) {
                        Some((_, r)) => *r,
                        None => {
                            let r = q_of(&t.map_or(Cell::Null, Cell::Str));
                            if seen.len() < 64 {
                                seen.push((t, r));
                            }
                            r
                        }
                    };
                    match r {
                        Some(q) => quality[k] = q,
                        None => ok[k] = false,
                    }
                }
            }
            other => {
                for (k, q) in quality.iter_mut().enumerate() {
                    match q_of(&other.cell(start + k)) {
                        Some(x) => *q = x,
                        None => ok[k] = false,
                    }
                }
            }
        }
        let flags = |f: usize, name: &'static str, ok: &mut Vec<bool>| -> Vec<bool> {
            let mut out = vec![false; n];
            match v(f) {
                ColView::Missing => {}
                ColView::Bool(ca) => {
                    for (k, b) in ca.slice(start as i64, n).iter().enumerate() {
                        out[k] = b.unwrap_or(false);
                    }
                }
                ColView::Str(ca) => {
                    let mut seen: Vec<(Option<&str>, Option<bool>)> = Vec::new();
                    for (k, t) in ca.slice(start as i64, n).iter().enumerate() {
                        let r = match seen.iter().find(|(s, _)| *s == t) {
                            Some((_, r)) => *r,
                            None => {
                                let r = parse_flag(&t.map_or(Cell::Null, Cell::Str), name).ok();
                                if seen.len() < 64 {
                                    seen.push((t, r));
                                }
                                r
                            }
                        };
                        match r {
                            Some(b) => out[k] = b,
                            None => ok[k] = false,
                        }
                    }
                }
                other => {
                    for (k, o) in out.iter_mut().enumerate() {
                        match parse_flag(&other.cell(start + k), name) {
                            Ok(b) => *o = b,
                            Err(_) => ok[k] = false,
                        }
                    }
                }
            }
            out
        };
        let verified = flags(field::VERIFIED, "verified", &mut ok);
        let confidential = flags(field::CONFIDENTIAL, "confidential", &mut ok);

        // free text: stored trimmed, blank as missing; a cell that needs trimming goes slow
        for f in [field::SOURCE, field::NOTES] {
            match v(f) {
                ColView::Missing => {}
                ColView::Str(ca) => {
                    // blank is stored as missing; other text must need no trimming
                    let mut last = Last::new(true);
                    each_text(ca, start, n, |k, cell| {
                        if let Some((view, t)) = cell
                            && !last.get(view, t, |t| trimmed(t) || t.trim().is_empty())
                        {
                            ok[k] = false;
                        }
                    });
                }
                _ => slow_all(&mut ok),
            }
        }

        let slow: Vec<usize> = (0..n).filter(|&k| !ok[k]).map(|k| start + k).collect();
        let fast_rows = n - slow.len();
        let mut keys = Vec::with_capacity(fast_rows);
        for k in 0..n {
            if ok[k] {
                let line = slice.line(start + k);
                keys.push((
                    pack_key(city[k] as usize, dp[k] as usize, year[k]),
                    line,
                    value[k].to_bits(),
                ));
            }
        }
        if fast_rows == 0 {
            return Ok(Fast {
                frame: None,
                keys,
                slow,
            });
        }

        // the batch columns of the fast rows: dictionary codes, numbers, and the texts
        // the row gave
        let keep: Vec<usize> = (0..n).filter(|&k| ok[k]).collect();
        let m = keep.len();
        let reg = self.registry;
        let cat = self.catalog;
        let sp = self.units.spellings();
        let d = &mut self.codes;
        // generic, so each column's loop inlines its lookups (through `dyn Fn` it was a
        // tenth of this check's time)
        fn codes<'t>(
            c: &mut Codes,
            keep: &[usize],
            of: impl Fn(usize) -> u32,
            text: impl Fn(usize) -> &'t str + Copy,
        ) -> PolarsResult<Vec<u32>> {
            let mut out = Vec::with_capacity(keep.len());
            for &k in keep {
                out.push(c.index(of(k), text)?);
            }
            Ok(out)
        }
        let city_codes = codes(
            &mut d.city,
            &keep,
            |k| city[k],
            |i| reg.cities()[i].city_id.as_str(),
        )?;
        let dp_codes = codes(
            &mut d.data_point,
            &keep,
            |k| dp[k],
            |i| cat.data_points()[i].data_point_id.as_str(),
        )?;
        let unit_codes = codes(
            &mut d.unit,
            &keep,
            |k| spelling[k] as u32,
            |i| sp[i].canonical_unit.as_str(),
        )?;
        // the conversion text of each row's spelling, gathered from one text per spelling
        let spelling_idx: IdxCa = keep.iter().map(|&k| spelling[k]).collect_ca("".into());
        let conversion = self
            .conversion_dict
            .take(&spelling_idx)?
            .with_name(col::CONVERSION.into())
            .into_column();
        let q_codes = codes(
            &mut d.quality,
            &keep,
            |k| quality[k] as u32,
            |i| QUALITY_LEVELS[i],
        )?;
        let types = d.types.clone();
        // texts by run: a file repeats a unit over many rows; a missing cell
        // (and with `blank_missing` a blank one) is stored as missing
        let dict_text =
            |c: &mut Codes, f: usize, name: &str, blank_missing: bool| -> PolarsResult<Column> {
                let ColView::Str(ca) = v(f) else {
                    return Ok(Column::full_null(name.into(), m, &DataType::String));
                };
                let ca = ca.slice(start as i64, n);
                let mut codes = Vec::with_capacity(m);
                let mut valid = Vec::with_capacity(m);
                let mut last: Option<(&str, u32)> = None;
                for (k, t) in ca.iter().enumerate() {
                    if !ok[k] {
                        continue;
                    }
                    match t.filter(|t| !(blank_missing && t.trim().is_empty())) {
                        Some(t) => {
                            let code = match last {
                                Some((p, c)) if p == t => c,
                                _ => {
                                    let code = c.text(t)?;
                                    last = Some((t, code));
                                    code
                                }
                            };
                            codes.push(code);
                            valid.push(true);
                        }
                        None => {
                            codes.push(0);
                            valid.push(false);
                        }
                    }
                }
                Ok(types.column_with_validity(name, codes, valid))
            };
        let unit_reported =
            dict_text(&mut d.unit_reported, field::UNIT, col::UNIT_REPORTED, false)?;

        let plain_text = |f: usize, name: &str, blank_missing: bool| -> PolarsResult<Column> {
            Ok(match v(f) {
                ColView::Str(ca) => {
                    let ca = ca.slice(start as i64, n);
                    let blanks = blank_missing
                        && keep
                            .iter()
                            .any(|&k| ca.get(k).is_some_and(|t| t.trim().is_empty()));
                    if blanks {
                        let texts: StringChunked = keep
                            .iter()
                            .map(|&k| ca.get(k).filter(|t| !t.trim().is_empty()))
                            .collect();
                        texts.with_name(name.into()).into_column()
                    } else if m == n {
                        ca.with_name(name.into()).into_column()
                    } else {
                        let mask = BooleanChunked::from_slice("".into(), &ok);
                        ca.filter(&mask)?.with_name(name.into()).into_column()
                    }
                }
                _ => Column::full_null(name.into(), m, &DataType::String),
            })
        };
        let value_reported = match value_view {
            ColView::Str(_) => plain_text(field::VALUE, col::VALUE_REPORTED, false)?,
            other => {
                let texts: StringChunked = keep
                    .iter()
                    .map(|&k| Some(other.cell(start + k).text().into_owned()))
                    .collect();
                texts.with_name(col::VALUE_REPORTED.into()).into_column()
            }
        };
        let pick = |x: &[i32]| keep.iter().map(|&k| x[k]).collect::<Vec<_>>();
        let pick_f = |x: &[f64]| keep.iter().map(|&k| x[k]).collect::<Vec<_>>();
        let pick_b = |x: &[bool]| keep.iter().map(|&k| x[k]).collect::<Vec<_>>();
        let cols = vec![
            types.column(col::SOURCE_FILE, vec![d.source_file; m]),
            Column::new(
                col::SOURCE_LINE.into(),
                keep.iter()
                    .map(|&k| slice.line(start + k))
                    .collect::<Vec<u64>>(),
            ),
            types.column(col::CITY_ID, city_codes),
            types.column(col::DATA_POINT_ID, dp_codes),
            Column::new(col::YEAR.into(), pick(&year)),
            Column::new(col::VALUE.into(), pick_f(&value)),
            types.column(col::UNIT, unit_codes),
            value_reported,
            unit_reported,
            conversion,
            Column::full_null(col::DENOMINATOR.into(), m, &DataType::String),
            Column::full_null(col::DENOMINATOR_VALUE.into(), m, &DataType::Float64),
            plain_text(field::SOURCE, col::SOURCE, true)?,
            types.column(col::QUALITY, q_codes),
            Column::new(col::VERIFIED.into(), pick_b(&verified)),
            Column::new(col::CONFIDENTIAL.into(), pick_b(&confidential)),
            plain_text(field::NOTES, col::NOTES, true)?,
        ];
        let df = DataFrame::new(m, cols)?;
        Ok(Fast {
            frame: Some(df),
            keys,
            slow,
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// The short decimal reading equals Rust's parser wherever it reads, and reads
        /// every decimal of at most 15 digits.
        #[test]
        fn short_decimals_read_as_the_parser_reads_them(
            negative in any::<bool>(),
            whole in "[0-9]{0,20}",
            point in any::<bool>(),
            fraction in "[0-9]{0,25}",
        ) {
            let t = format!(
                "{}{whole}{}{fraction}",
                if negative { "-" } else { "" },
                if point { "." } else { "" }
            );
            let parsed = t.parse::<f64>().ok();
            match super::short_decimal(&t) {
                Some(v) => prop_assert_eq!(Some(v.to_bits()), parsed.map(f64::to_bits), "{}", t),
                None => prop_assert!(
                    parsed.is_none() || whole.len() + fraction.len() > 15,
                    "{} not read", t
                ),
            }
        }
    }

    #[test]
    fn short_decimals_leave_other_text_to_the_parser() {
        for t in [
            "", "-", ".", "-.", "1e5", "+1", "1.2.3", " 1", "1,5", "0x10", "inf", "NaN",
        ] {
            assert_eq!(super::short_decimal(t), None, "{t}");
        }
        assert_eq!(
            super::short_decimal("-0").map(f64::to_bits),
            Some((-0.0f64).to_bits())
        );
        assert_eq!(super::short_decimal(".5"), Some(0.5));
        assert_eq!(super::short_decimal("1."), Some(1.0));
        assert_eq!(super::short_decimal("0.1"), Some(0.1));
        assert_eq!(super::short_decimal("9007199254740993"), None);
    }

    use super::*;

    /// Two arrays whose long texts (13 bytes) sit at the same offset of their first buffer
    /// have equal views: the cache must compare their texts.
    #[test]
    fn views_of_different_arrays_are_not_taken_for_the_same_text() {
        let mut ca = StringChunked::from_slice("t".into(), &["EC-ICT-ICT-1C"]);
        ca.append(&StringChunked::from_slice("t".into(), &["EC-ICT-ICT-2C"]))
            .unwrap();
        assert_eq!(ca.chunks().len(), 2);
        let views: Vec<u128> = ca.downcast_iter().map(|a| a.views()[0].as_u128()).collect();
        assert_eq!(views[0], views[1], "the hazard this test is about");
        let (mut last, mut seen, mut decided) = (Last::new(0u8), vec![], 0);
        each_text(&ca, 0, 2, |_, cell| {
            let (view, t) = cell.unwrap();
            seen.push(last.get(view, t, |t| {
                decided += 1;
                t.as_bytes()[11]
            }));
        });
        assert_eq!(seen, [b'1', b'2']);
        assert_eq!(decided, 2);
        // one array: a repeated view is not compared again, a null is None
        let ca = StringChunked::new("t".into(), &[Some("EC-ICT-ICT-1C"), None, Some("x")]);
        let mut cells = vec![];
        each_text(&ca, 1, 2, |k, cell| {
            cells.push((k, cell.map(|(v, t)| (v.is_some(), t))))
        });
        assert_eq!(cells, [(0, None), (1, Some((true, "x")))]);
    }
    use crate::ingest::read::read_parquet;

    /// The rows a file's columns send to the row validator, and the fast rows' values.
    fn check(rows: &[[&str; 6]]) -> (Vec<usize>, Vec<f64>, Vec<String>) {
        let units = UnitRegistry::embedded().unwrap();
        let catalog = Catalog::embedded(&units).unwrap();
        let registry = Registry::embedded().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("s.parquet");
        let text = |k: usize| rows.iter().map(|r| r[k]).collect::<Vec<_>>();
        let n = rows.len();
        let mut df = df!(
            "city_id" => text(0),
            "data_point_id" => text(1),
            "year" => text(2).iter().map(|y| y.parse::<i32>().unwrap()).collect::<Vec<_>>(),
            "value" => text(3),
            "unit" => text(4),
            "source" => vec!["office"; n],
            "quality" => text(5),
            "verified" => vec![true; n],
            "confidential" => vec![false; n],
        )
        .unwrap();
        ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .finish(&mut df)
            .unwrap();
        let types = RawTypes::new("test");
        let mut fast =
            Columnar::new(&catalog, &units, &registry, 1990, 2030, &types, "s.parquet").unwrap();
        let mut out = None;
        read_parquet(&path, &mut |_| {}, &mut |slice| {
            out = Some(fast.check(&slice, 0, slice.len()).unwrap());
            Ok(())
        })
        .unwrap();
        let out = out.unwrap();
        let frame = out.frame.unwrap();
        let values = frame
            .column(col::VALUE)
            .unwrap()
            .f64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        let conv = frame
            .column(col::CONVERSION)
            .unwrap()
            .cast(&DataType::String)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|t| t.unwrap_or("").to_string())
            .collect();
        assert_eq!(out.keys.len(), frame.height());
        (out.slow, values, conv)
    }

    #[test]
    fn blank_free_text_and_an_empty_unit_stay_on_the_fast_path() {
        // as a CSV with empty source, notes and denominator columns gives them
        let units = UnitRegistry::embedded().unwrap();
        let catalog = Catalog::embedded(&units).unwrap();
        let registry = Registry::embedded().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("s.parquet");
        let mut df = df!(
            "city_id" => ["2660646", "2660646", "2660646"],
            "data_point_id" => ["EC-ICT-ICT-1C", "SC-SH-SA-3A", "EC-ICT-ICT-1C"],
            "year" => [2023, 2023, 2022],
            "value" => ["85", "yes", "80"],
            "unit" => ["%", "", "%"],
            "source" => ["", "  ", "office"],
            "quality" => ["", "", "measured"],
            "verified" => ["", "", "yes"],
            "confidential" => ["", "", ""],
            "denominator" => ["", " ", ""],
            "notes" => ["", "", "checked"],
        )
        .unwrap();
        ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .finish(&mut df)
            .unwrap();
        let types = RawTypes::new("test");
        let mut fast = Columnar::new(&catalog, &units, &registry, 1990, 2030, &types, "s").unwrap();
        read_parquet(&path, &mut |_| {}, &mut |slice| {
            let out = fast.check(&slice, 0, slice.len()).unwrap();
            assert!(out.slow.is_empty(), "{:?}", out.slow);
            let f = out.frame.unwrap();
            let text = |c: &str| -> Vec<Option<String>> {
                f.column(c)
                    .unwrap()
                    .cast(&DataType::String)
                    .unwrap()
                    .str()
                    .unwrap()
                    .iter()
                    .map(|t| t.map(str::to_string))
                    .collect()
            };
            assert_eq!(text(col::SOURCE), vec![None, None, Some("office".into())]);
            assert_eq!(text(col::NOTES), vec![None, None, Some("checked".into())]);
            assert_eq!(
                text(col::UNIT_REPORTED),
                vec![Some("%".into()), Some("".into()), Some("%".into())]
            );
            assert_eq!(text(col::DENOMINATOR), vec![None, None, None]);
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn plain_rows_take_the_fast_path_and_the_rest_go_to_the_row_validator() {
        let g = "2660646";
        let (slow, values, conv) = check(&[
            [g, "EC-ICT-ICT-1C", "2023", "85", "%", "measured"],
            [" 2660646", "EC-ICT-ICT-1C", "2022", "85", "%", "measured"],
            [g, "EC-ICT-ICT-1C", "2021", "Not reported", "", ""],
            [
                g,
                "EC-ICT-ICT-1C",
                "2020",
                "0.57",
                "fraction",
                "survey extrapolated",
            ],
            [g, "SC-SH-SA-3A", "2023", "yes", "yes/no", ""],
            [g, "EC-ICT-ICT-1C", "2019", "85", "%", "guessed"],
            [g, "SC-SH-SA-8C", "2023", "5", "number", ""],
            [
                g,
                "SC-SH-SA-8C",
                "2022",
                "95 424",
                "per 100 000 inhabitants",
                "",
            ],
            [g, "EC-ICT-ICT-1C", "2018", "180", "%", ""],
            [g, "EC-ICT-ICT-1C", "1850", "85", "%", ""],
            [
                g,
                "SC-SH-SA-8C",
                "2021",
                "1.2",
                "per 1000 inhabitants",
                "unknown",
            ],
        ]);
        // padded id, statement, unknown quality, total without denominator, grouped
        // digits, above the maximum, year out of range
        assert_eq!(slow, vec![1, 2, 5, 6, 7, 8, 9]);
        assert_eq!(values, vec![85.0, 57.0, 1.0, 120.0]);
        assert_eq!(conv[0], "none");
        assert!(conv[1].starts_with("x100"), "{conv:?}");
    }
}
