//! Synthetic submissions for real registry cities, at any scale, deterministic by seed.
//!
//! Model (all randomness from [`Noise`], a counter-based SplitMix64 hash of
//! (seed, stream, city id, data point, year), so a city's values do not depend on how many
//! other cities are generated, and the same seed gives byte-identical files):
//! - a latent "performance" per city: a city effect N(0, 1) plus an economy effect
//!   (developed +0.8, in transition 0, developing -0.8) and a small continent effect, so peer
//!   groups differ;
//! - per (city, data point) a level and a yearly trend on the latent scale (trend ~ N(0.04 x
//!   direction, 0.06) per year), so trend statuses vary from worsening to on track;
//! - the latent value is mapped into the data point's plausible range
//!   (`datasets/catalog/plausible.csv`, [`crate::catalog::plausible`]): its position in the
//!   range is `logistic(SPREAD x latent + logit(typical's position))`, evenly in the value
//!   (`linear`) or in its logarithm (`log`), so an average city gets the typical value and
//!   no value leaves low..high; a city in a developed economy is mapped onto the narrower
//!   `developed_low..developed_high` where one is given; yes/no is Bernoulli with the
//!   typical share of yes at latent 0;
//! - the relations of `datasets/catalog/plausible_relations.csv` hold per city and year: sum
//!   groups (mode shares, waste treatment) add up to exactly 100.0, each share inside its
//!   range; `le` pairs (total <= youth unemployment, fixed broadband <= internet access,
//!   potable <= basic water, wastewater treatment <= collection, PM2.5 <= PM10, ...) by
//!   lowering the left side to a per-city 50..95 % of the right side, never below its low;
//!   `non_decreasing` access indicators (electricity, water, sanitation, waste collection,
//!   internet) never fall from one year to the next in developed economies;
//! - a data point `plausible.csv` does not list (a user catalogue) gets a generic range
//!   ([`fallback_range`]);
//! - about 8 % of cells are missing; about 10 % of rows are reported in an alternative
//!   spelling or scale (fraction, per 1000, hours, ppb, m3 per year, ...), which ingest
//!   converts back exactly;
//! - every range's high stays [`HEADROOM`] below its canonical unit's magnitude bound
//!   (METHODOLOGY section 3) unless the catalogue bounds the data point itself (checked
//!   when `plausible.csv` is read), so no generated value comes near a bound;
//! - with `inject_errors`, 0.5 % of rows are replaced by a deliberately bad row (unknown
//!   city, unknown data point, non-numeric value, NaN, comma digit grouping, negative value,
//!   percentage 180, year 1850, unit of the wrong quantity, duplicate row, a value beyond
//!   every magnitude bound), in equal shares.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use polars::prelude::*;
use rand::SeedableRng;
use rand::seq::index::sample as index_sample;

use crate::catalog::plausible::{HEADROOM, Plausible, Range, Relation, Scale, Scope};
use crate::catalog::{Catalog, DataPoint, Direction, UnitRegistry};
use crate::error::{Error, IoContext, Result};
use crate::registry::{City, Registry};
use crate::schema::submission as col;

/// How cities are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Selection {
    /// The N most populous registry cities (ties by id).
    #[default]
    Largest,
    /// A seeded random sample of N registry cities.
    Sample,
}

/// File format of the generated submissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum GenFormat {
    #[default]
    Parquet,
    Csv,
}

/// Generator settings.
#[derive(Debug, Clone)]
pub struct GenSpec {
    pub cities: usize,
    pub year_from: i32,
    pub year_to: i32,
    pub seed: u64,
    pub selection: Selection,
    pub format: GenFormat,
    pub inject_errors: bool,
    /// Share of missing cells (default 0.08).
    pub missing: f64,
    /// Share of rows in alternative spellings (default 0.10).
    pub alt_units: f64,
}

impl GenSpec {
    /// Defaults for everything but size and seed.
    pub fn new(cities: usize, year_from: i32, year_to: i32, seed: u64) -> Self {
        GenSpec {
            cities,
            year_from,
            year_to,
            seed,
            selection: Selection::Largest,
            format: GenFormat::Parquet,
            inject_errors: false,
            missing: 0.08,
            alt_units: 0.10,
        }
    }
}

/// Counter-based noise: SplitMix64 over a key. Stable across platforms and versions.
#[derive(Debug, Clone, Copy)]
pub struct Noise {
    seed: u64,
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn hash_str(s: &str) -> u64 {
    // FNV-1a, then mixed
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    splitmix(h)
}

impl Noise {
    /// Noise for a seed.
    pub fn new(seed: u64) -> Self {
        Noise { seed }
    }
    fn u64(&self, stream: u64, a: u64, b: u64, c: u64) -> u64 {
        splitmix(splitmix(splitmix(splitmix(self.seed ^ stream) ^ a) ^ b) ^ c)
    }
    /// Uniform in [0, 1).
    pub fn uniform(&self, stream: u64, a: u64, b: u64, c: u64) -> f64 {
        (self.u64(stream, a, b, c) >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Standard normal (Box-Muller).
    pub fn normal(&self, stream: u64, a: u64, b: u64, c: u64) -> f64 {
        let u1 = self.uniform(stream, a, b, c).max(1e-300);
        let u2 = self.uniform(stream ^ 0x5555, a, b, c);
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// Choose the cities.
pub fn select_cities<'r>(registry: &'r Registry, spec: &GenSpec) -> Result<Vec<&'r City>> {
    let all = registry.cities();
    if spec.cities == 0 {
        return Err(Error::Usage("--cities must be at least 1".into()));
    }
    if spec.cities > all.len() {
        return Err(Error::Usage(format!(
            "--cities {} exceeds the {} cities in the registry",
            spec.cities,
            all.len()
        )));
    }
    Ok(match spec.selection {
        Selection::Largest => {
            let mut v: Vec<&City> = all.iter().collect();
            v.sort_by(|a, b| {
                b.population
                    .unwrap_or(0)
                    .cmp(&a.population.unwrap_or(0))
                    .then_with(|| a.city_id.cmp(&b.city_id))
            });
            v.truncate(spec.cities);
            v
        }
        Selection::Sample => {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(spec.seed);
            let mut idx = index_sample(&mut rng, all.len(), spec.cities).into_vec();
            idx.sort_unstable();
            idx.into_iter().map(|i| &all[i]).collect()
        }
    })
}

/// One generated row.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    city_id: String,
    data_point_id: String,
    year: i32,
    value: String,
    unit: String,
    quality: &'static str,
    verified: bool,
    confidential: bool,
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn round_to(x: f64, decimals: i32) -> f64 {
    let m = 10f64.powi(decimals);
    (x * m).round() / m
}

/// Shortest text that parses back to the same f64.
fn num_text(x: f64) -> String {
    let r = crate::catalog::units::round_sig12(x);
    if r.fract() == 0.0 && r.abs() < 1e15 {
        format!("{}", r as i64)
    } else {
        format!("{r}")
    }
}

/// The "alternative spelling" a value may be reported in: (unit text, canonical -> reported).
fn alternative(dp: &DataPoint) -> Option<(&'static str, f64)> {
    match (dp.canonical_unit.as_str(), dp.data_point_id.as_str()) {
        (_, "EN-EN-AQ-1C-no2") => Some(("ppb", 1.0 / 1.9)),
        (_, "EN-EN-AQ-1C-so2") => Some(("ppb", 1.0 / 2.62)),
        (_, "EN-EN-AQ-1C-o3") => Some(("ppb", 1.0 / 1.96)),
        ("pct", _) => Some(("fraction", 0.01)),
        ("per_100k_pop", _) => Some(("per 1000 inhabitants", 0.01)),
        ("per_100k_live_births", _) => Some(("per 1000 live births", 0.01)),
        ("minutes", _) => Some(("hours", 1.0 / 60.0)),
        ("l_per_capita_day", _) => Some(("m3 per capita per year", 0.365)),
        ("m3_per_capita_year", _) => Some(("litres per capita per day", 1000.0 / 365.0)),
        ("kwh_per_capita_year", _) => Some(("MWh per capita per year", 0.001)),
        ("gj_per_capita_year", _) => Some(("MJ per capita per year", 1000.0)),
        ("t_co2e_per_capita", _) => Some(("kg CO2e per capita", 1000.0)),
        ("km_per_100k_pop", _) => Some(("m per 100 000 inhabitants", 1000.0)),
        ("bool", _) => Some(("true/false", 1.0)),
        _ => None,
    }
}

/// The canonical spelling written for unconverted rows.
fn canonical_spelling(unit: &str) -> &'static str {
    match unit {
        "pct" => "%",
        "pct_of_gdp" => "% of GDP",
        "per_100k_pop" => "per 100 000 inhabitants",
        "per_100k_live_births" => "per 100 000 live births",
        "km_per_100k_pop" => "km per 100 000 inhabitants",
        "ha_per_100k_pop" => "ha per 100 000 inhabitants",
        "m2_per_capita" => "m2 per capita",
        "kwh_per_capita_year" => "kWh per capita per year",
        "gj_per_capita_year" => "GJ per capita per year",
        "kwh_per_m2_year" => "kWh per m2 per year",
        "l_per_capita_day" => "litres per capita per day",
        "m3_per_capita_year" => "m3 per capita per year",
        "t_co2e_per_capita" => "tonnes CO2e per capita",
        "ug_per_m3" => "ug/m3",
        "minutes" => "minutes",
        "years" => "years",
        "count" => "number",
        "interruptions_per_customer_year" => "interruptions per customer per year",
        "ratio" => "ratio",
        "gini_0_1" => "gini",
        "bool" => "yes/no",
        _ => "",
    }
}

const S_CITY: u64 = 1;
const S_LEVEL: u64 = 2;
const S_TREND: u64 = 3;
const S_NOISE: u64 = 4;
const S_MISSING: u64 = 5;
const S_ALT: u64 = 6;
const S_META: u64 = 7;
const S_ERR: u64 = 8;
const S_SHARE: u64 = 9;

/// Per-city context.
struct CityCtx<'a> {
    city: &'a City,
    key: u64,
    effect: f64,
    /// In a developed economy: the plausible ranges' `developed_*` bounds and the
    /// `developed`-scoped relations apply.
    developed: bool,
}

fn city_ctx<'a>(city: &'a City, noise: &Noise) -> CityCtx<'a> {
    let key = hash_str(&city.city_id);
    let econ = match city.economy.as_str() {
        "developed" => 0.8,
        "in_transition" => 0.0,
        _ => -0.8,
    };
    let cont = (hash_str(&city.continent) % 7) as f64 / 10.0 - 0.3;
    let effect = noise.normal(S_CITY, key, 0, 0) + econ + cont;
    CityCtx {
        city,
        key,
        effect,
        developed: city.economy == "developed",
    }
}

/// Latent score of (city, data point, year): higher = better performance.
fn latent(
    noise: &Noise,
    c: &CityCtx<'_>,
    dpi: usize,
    dp: &DataPoint,
    year: i32,
    year0: i32,
) -> f64 {
    let dir = match dp.direction {
        Direction::LowerBetter => -1.0,
        _ => 1.0,
    };
    let level = noise.normal(S_LEVEL, c.key, dpi as u64, 0);
    let trend = 0.04 + 0.06 * noise.normal(S_TREND, c.key, dpi as u64, 0);
    let eps = 0.08 * noise.normal(S_NOISE, c.key, dpi as u64, year as u64);
    let perf = 0.6 * c.effect + 0.6 * level + trend * (year - year0) as f64 + eps;
    dir * perf
}

/// How strongly the latent score spreads values over their range: the value's position in
/// the range is `logistic(SPREAD x latent + logit(typical's position))`.
pub const SPREAD: f64 = 1.0;

/// How one data point's values are drawn: its plausible range mapped onto the latent score.
#[derive(Debug, Clone)]
pub struct Model {
    /// The plausible range (from `datasets/catalog/plausible.csv`, or [`fallback_range`]).
    pub range: Range,
    /// Bounds in the drawing space (ln of the value on a log scale): [other, developed].
    space: [(f64, f64); 2],
    /// logit of the typical value's position in the full range (the drawing space).
    centre: f64,
    boolean: bool,
}

fn to_space(scale: Scale, v: f64) -> f64 {
    match scale {
        Scale::Linear => v,
        Scale::Log => v.ln(),
    }
}

impl Model {
    /// The model of a range (`low < typical < high`, low > 0 on a log scale).
    pub fn new(range: Range, boolean: bool) -> Self {
        let sp = |v: f64| to_space(range.scale, v);
        let (lo, hi) = (sp(range.low), sp(range.high));
        let p = (sp(range.typical) - lo) / (hi - lo);
        let centre = (p / (1.0 - p)).ln();
        let space = [false, true].map(|d| {
            let (l, h) = range.bounds(d);
            (sp(l), sp(h))
        });
        Model {
            range,
            space,
            centre,
            boolean,
        }
    }

    /// The value for a latent score: inside the city's bounds, rounded for display.
    fn value(&self, unit: &str, z: f64, developed: bool, yes_draw: f64) -> f64 {
        let u = logistic(SPREAD * z + self.centre);
        if self.boolean {
            return if yes_draw < u { 1.0 } else { 0.0 };
        }
        let (lo, hi) = self.space[usize::from(developed)];
        let x = lo + (hi - lo) * u;
        let v = match self.range.scale {
            Scale::Linear => x,
            Scale::Log => x.exp(),
        };
        let (l, h) = self.range.bounds(developed);
        round_to(v, decimals(unit, v)).clamp(l, h)
    }
}

/// Decimals a generated value is written with: percentages and years 1, ratios and the Gini
/// coefficient 3, other quantities by magnitude (0 from 1 000, 1 from 10, else 2).
fn decimals(unit: &str, v: f64) -> i32 {
    match unit {
        "pct" | "years" => 1,
        "ratio" | "gini_0_1" => 3,
        _ if v >= 1000.0 => 0,
        _ if v >= 10.0 => 1,
        _ => 2,
    }
}

/// `x` rounded down to `decimals`.
fn floor_to(x: f64, decimals: i32) -> f64 {
    let m = 10f64.powi(decimals);
    (x * m).floor() / m
}

/// The range of a data point `plausible.csv` does not list (a user catalogue, or a canonical
/// unit that differs from the embedded one): yes/no with a share of 0.5; the catalogue's
/// plausible_min..plausible_max (else hard_min..hard_max) when both are set, linear with the
/// midpoint as typical; otherwise 1..1000 on a log scale (typical about 32), capped at the
/// unit's magnitude bound divided by [`HEADROOM`].
pub fn fallback_range(dp: &DataPoint, units: &UnitRegistry) -> Range {
    let linear = |low: f64, high: f64| (low, (low + high) / 2.0, high, Scale::Linear);
    let bound = units
        .canonical(&dp.canonical_unit)
        .map(|c| c.max_abs / HEADROOM)
        .unwrap_or(1000.0);
    let (low, typical, high, scale) = if dp.is_boolean() {
        (0.0, 0.5, 1.0, Scale::Linear)
    } else {
        match (dp.plausible_min, dp.plausible_max, dp.hard_min, dp.hard_max) {
            (Some(l), Some(h), _, _) | (_, _, Some(l), Some(h)) if l < h => linear(l, h),
            _ if bound >= 1000.0 => (1.0, 1000f64.sqrt(), 1000.0, Scale::Log),
            _ => linear(0.0, bound),
        }
    };
    Range {
        data_point_id: dp.data_point_id.clone(),
        unit: dp.canonical_unit.clone(),
        low,
        typical,
        high,
        developed_low: None,
        developed_high: None,
        scale,
        source: "judgement: generic range for a data point plausible.csv does not list".into(),
    }
}

/// Everything `city_rows` needs besides the city: one [`Model`] per data point (catalogue
/// order) and the relations as catalogue positions.
#[derive(Debug, Clone)]
pub struct Plan {
    pub models: Vec<Model>,
    /// `le` relations (left, right, scope) in file order.
    at_most: Vec<(usize, usize, Scope)>,
    /// Sum groups of percentages: every catalogue sum group (the relations file names the
    /// embedded catalogue's two, `sum_100`).
    groups: Vec<Vec<usize>>,
    /// `non_decreasing` data points: (position, scope).
    monotone: Vec<(usize, Scope)>,
}

impl Plan {
    /// The plan for a catalogue: the embedded plausible ranges and relations (checked
    /// against the embedded catalogue), matched to `catalog` by data point id and canonical
    /// unit; a data point without a matching range gets [`fallback_range`].
    pub fn new(catalog: &Catalog, units: &UnitRegistry) -> Result<Self> {
        let embedded = Catalog::embedded(units)?;
        let plausible = Plausible::embedded(&embedded, units)?;
        let models = catalog
            .data_points()
            .iter()
            .map(|dp| {
                let range = match plausible.range(&dp.data_point_id) {
                    Some(r) if r.unit == dp.canonical_unit => r.clone(),
                    _ => fallback_range(dp, units),
                };
                Model::new(range, dp.is_boolean())
            })
            .collect();
        let mut at_most = Vec::new();
        let mut monotone = Vec::new();
        for rule in plausible.rules() {
            match &rule.relation {
                Relation::AtMost { left, right } => {
                    if let (Some(l), Some(r)) = (catalog.position(left), catalog.position(right)) {
                        at_most.push((l, r, rule.scope));
                    }
                }
                Relation::NonDecreasing { data_point_id } => {
                    if let Some(i) = catalog.position(data_point_id) {
                        monotone.push((i, rule.scope));
                    }
                }
                Relation::SumTo100 { .. } => {}
            }
        }
        let mut by_group: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
        for (i, dp) in catalog.data_points().iter().enumerate() {
            if !dp.sum_group.is_empty() && dp.canonical_unit == "pct" {
                by_group.entry(dp.sum_group.as_str()).or_default().push(i);
            }
        }
        Ok(Plan {
            models,
            at_most,
            groups: by_group.into_values().collect(),
            monotone,
        })
    }
}

/// Shares that add up to exactly 100.0 with one decimal, each inside its bounds: the
/// weights scaled by the factor that makes the clamped shares add up to 100 (found by
/// bisection), rounded to tenths, the rounding remainder moved tenth by tenth onto the
/// largest shares that have room. The bounds must allow 100 (checked when the relations
/// file is read).
fn shares_to_100(weights: &[f64], bounds: &[(f64, f64)]) -> Vec<f64> {
    let total = |s: f64| -> f64 {
        weights
            .iter()
            .zip(bounds)
            .map(|(w, &(l, h))| (s * w).clamp(l, h))
            .sum()
    };
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    while total(hi) < 100.0 && hi < 1e300 {
        hi *= 2.0;
    }
    for _ in 0..80 {
        let mid = 0.5 * (lo + hi);
        if total(mid) < 100.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let tenths: Vec<(i64, i64)> = bounds
        .iter()
        .map(|&(l, h)| {
            (
                (l * 10.0 - 1e-9).ceil() as i64,
                (h * 10.0 + 1e-9).floor() as i64,
            )
        })
        .collect();
    let mut t: Vec<i64> = weights
        .iter()
        .zip(&tenths)
        .map(|(w, &(l, h))| ((hi * w * 10.0).round() as i64).clamp(l, h))
        .collect();
    let mut rest = 1000 - t.iter().sum::<i64>();
    while rest != 0 {
        let step = rest.signum();
        let pick = (0..t.len())
            .filter(|&i| {
                let (l, h) = tenths[i];
                (step > 0 && t[i] < h) || (step < 0 && t[i] > l)
            })
            .max_by_key(|&i| (t[i], std::cmp::Reverse(i)));
        match pick {
            Some(i) => {
                t[i] += step;
                rest -= step;
            }
            None => break,
        }
    }
    t.into_iter().map(|x| x as f64 / 10.0).collect()
}

/// The canonical value of (city, data point, year) before the relations.
fn canonical_value(
    noise: &Noise,
    c: &CityCtx<'_>,
    dpi: usize,
    dp: &DataPoint,
    model: &Model,
    year: i32,
    year0: i32,
) -> f64 {
    let z = latent(noise, c, dpi, dp, year, year0);
    let yes = noise.uniform(S_NOISE, c.key, dpi as u64, 0);
    model.value(&dp.canonical_unit, z, c.developed, yes)
}

/// A value beyond every canonical unit's magnitude bound (the largest f64): the
/// `--inject-errors` kind that one typo in a submission once made of every published mean.
pub const BEYOND_EVERY_BOUND: &str = "1.7976931348623157e308";

/// The canonical values of one city for every year (`values[year - year_from][data point]`),
/// each inside its plausible range, the relations applied: sum groups to 100, `le` by
/// lowering the left side (to a per-city 50..95 % of the right side, not below its own low),
/// `non_decreasing` by raising a value to the previous year's.
fn city_values(
    noise: &Noise,
    c: &CityCtx<'_>,
    catalog: &Catalog,
    plan: &Plan,
    spec: &GenSpec,
) -> Vec<Vec<f64>> {
    let dps = catalog.data_points();
    let mut years: Vec<Vec<f64>> = Vec::new();
    for year in spec.year_from..=spec.year_to {
        let mut vals: Vec<f64> = dps
            .iter()
            .enumerate()
            .map(|(i, dp)| canonical_value(noise, c, i, dp, &plan.models[i], year, spec.year_from))
            .collect();
        // sum groups add up to 100 (shares drawn per city around the typical shares,
        // drifting with the latent score)
        for idx in &plan.groups {
            let w: Vec<f64> = idx
                .iter()
                .map(|&i| {
                    let base = (0.6 * noise.normal(S_SHARE, c.key, i as u64, 0)).exp();
                    let drift = (0.3 * latent(noise, c, i, &dps[i], year, spec.year_from)).exp();
                    plan.models[i].range.typical.max(0.5) * base * drift
                })
                .collect();
            let bounds: Vec<(f64, f64)> = idx
                .iter()
                .map(|&i| plan.models[i].range.bounds(c.developed))
                .collect();
            for (k, v) in shares_to_100(&w, &bounds).into_iter().enumerate() {
                vals[idx[k]] = v;
            }
        }
        for &(l, r, scope) in &plan.at_most {
            if scope.applies(c.developed) && vals[l] > vals[r] {
                let f = 0.5 + 0.45 * noise.uniform(S_SHARE, c.key, l as u64, 1);
                let low = plan.models[l].range.bounds(c.developed).0;
                let d = decimals(&dps[l].canonical_unit, vals[r] * f);
                vals[l] = floor_to(vals[r] * f, d).max(low);
            }
        }
        if let Some(prev) = years.last() {
            for &(i, scope) in &plan.monotone {
                if scope.applies(c.developed) {
                    vals[i] = vals[i].max(prev[i]);
                }
            }
        }
        years.push(vals);
    }
    years
}

/// Generate all rows of one city (every data point and year), the plausible ranges and
/// relations holding, missing cells dropped, alternative spellings and errors applied.
fn city_rows(
    noise: &Noise,
    c: &CityCtx<'_>,
    catalog: &Catalog,
    spec: &GenSpec,
    plan: &Plan,
    out: &mut Vec<Row>,
) {
    let dps = catalog.data_points();
    let values = city_values(noise, c, catalog, plan, spec);
    for (year, vals) in (spec.year_from..=spec.year_to).zip(values) {
        for (i, dp) in dps.iter().enumerate() {
            let k = (i as u64) << 16 | (year as u64 & 0xffff);
            if noise.uniform(S_MISSING, c.key, k, 0) < spec.missing {
                continue;
            }
            let v = vals[i];
            let (value, unit) = match alternative(dp) {
                Some((u, f)) if noise.uniform(S_ALT, c.key, k, 0) < spec.alt_units => {
                    if dp.canonical_unit == "bool" {
                        (
                            (if v == 1.0 { "true" } else { "false" }).to_string(),
                            u.to_string(),
                        )
                    } else {
                        (num_text(v * f), u.to_string())
                    }
                }
                _ => {
                    if dp.canonical_unit == "bool" {
                        (
                            (if v == 1.0 { "yes" } else { "no" }).to_string(),
                            "yes/no".to_string(),
                        )
                    } else {
                        (
                            num_text(v),
                            canonical_spelling(&dp.canonical_unit).to_string(),
                        )
                    }
                }
            };
            let m = noise.uniform(S_META, c.key, k, 0);
            let quality = if m < 0.70 {
                "measured"
            } else if m < 0.82 {
                "survey_extrapolated"
            } else if m < 0.90 {
                "higher_level_extrapolated"
            } else if m < 0.95 {
                "assumption_estimate"
            } else if m < 0.97 {
                "personal_estimate"
            } else {
                "unknown"
            };
            let mut row = Row {
                city_id: c.city.city_id.clone(),
                data_point_id: dp.data_point_id.clone(),
                year,
                value,
                unit,
                quality,
                verified: noise.uniform(S_META, c.key, k, 1) < 0.6,
                confidential: noise.uniform(S_META, c.key, k, 2) < 0.03,
            };
            if spec.inject_errors && noise.uniform(S_ERR, c.key, k, 0) < 0.005 {
                let kind = (noise.u64(S_ERR, c.key, k, 1) % 11) as u8;
                if kind == 9 {
                    out.push(row.clone()); // duplicate row: the copy is rejected
                } else {
                    corrupt(&mut row, kind, dp);
                }
            }
            out.push(row);
        }
    }
}

fn corrupt(row: &mut Row, kind: u8, dp: &DataPoint) {
    match kind {
        0 => row.city_id = format!("no-such-city-{}", row.city_id),
        1 => row.data_point_id = format!("{}X", row.data_point_id),
        2 => row.value = "n/a".into(),
        3 => row.value = "NaN".into(),
        4 => row.value = "95,424".into(),
        5 => row.value = format!("-{}", row.value.trim_start_matches('-')),
        6 => {
            row.value = "180".into();
            row.unit = "%".into();
            if dp.canonical_unit != "pct" {
                row.value = "-5".into();
                row.unit = canonical_spelling(&dp.canonical_unit).into();
            }
        }
        7 => row.year = 1850,
        10 => row.value = BEYOND_EVERY_BOUND.into(),
        _ => {
            row.unit = if dp.canonical_unit == "minutes" {
                "%".into()
            } else {
                "minutes".into()
            }
        }
    }
    if kind == 5 && (dp.canonical_unit == "bool" || row.value == "-0") {
        row.value = "-1".into();
        row.unit = canonical_spelling(&dp.canonical_unit).into();
        if dp.canonical_unit == "bool" {
            row.value = "2".into();
        }
    }
}

/// What `generate` wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GenOutcome {
    pub file: String,
    pub cities: usize,
    pub rows: u64,
    pub bytes: u64,
}

/// Data points the generator does not draw: the other form of a KPI a city reports in one
/// form (freshwater consumption as a percentage beside m3 per capita; datasets/catalog/README.md).
/// Leaving them out keeps every other data point's random stream (keyed by its position)
/// and so the sample's values.
pub const NOT_GENERATED: [&str; 1] = ["EN-EN-WS-3C-pct"];

/// Cities per chunk: bounds memory (about 1 M rows per chunk at 112 data points x 20 years).
const CHUNK_CITIES: usize = 400;

/// Generate the submissions into `out_dir/submissions.{parquet,csv}`.
pub fn generate(
    registry: &Registry,
    catalog: &Catalog,
    spec: &GenSpec,
    out_dir: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<GenOutcome> {
    if spec.year_from > spec.year_to {
        return Err(Error::Usage(format!(
            "--years {}..{} is inverted; give FROM..TO with FROM <= TO",
            spec.year_from, spec.year_to
        )));
    }
    let cities = select_cities(registry, spec)?;
    let noise = Noise::new(spec.seed);
    let catalog = &catalog.without(&NOT_GENERATED);
    let plan = Plan::new(catalog, &UnitRegistry::embedded()?)?;
    let plan = &plan;
    std::fs::create_dir_all(out_dir).at(out_dir)?;
    let ext = match spec.format {
        GenFormat::Parquet => "parquet",
        GenFormat::Csv => "csv",
    };
    let path = out_dir.join(format!("submissions.{ext}"));
    let tmp = crate::store::temp_path(&path);
    let file = File::create(&tmp).at(&tmp)?;
    let mut sink = match spec.format {
        GenFormat::Parquet => Sink::Parquet(
            Box::new(None),
            Some(BufWriter::with_capacity(1 << 20, file)),
        ),
        GenFormat::Csv => {
            let mut w = BufWriter::with_capacity(1 << 20, file);
            writeln!(
                w,
                "{},{},{},{},{},{},{},{},{}",
                col::CITY_ID,
                col::DATA_POINT_ID,
                col::YEAR,
                col::VALUE,
                col::UNIT,
                col::SOURCE,
                col::QUALITY,
                col::VERIFIED,
                col::CONFIDENTIAL
            )
            .at(&tmp)?;
            Sink::Csv(w)
        }
    };
    let source = format!("synthetic (citybench generate, seed {})", spec.seed);
    let mut rows_total = 0u64;
    for chunk in cities.chunks(CHUNK_CITIES) {
        // two workers, each a contiguous half of the chunk: output order stays fixed
        let half = chunk.len().div_ceil(2);
        let parts: Vec<Vec<Row>> = std::thread::scope(|s| {
            let handles: Vec<_> = chunk
                .chunks(half.max(1))
                .map(|cs| {
                    s.spawn(move || {
                        let mut v = Vec::with_capacity(cs.len() * catalog.data_points().len() * 11);
                        for c in cs {
                            city_rows(&noise, &city_ctx(c, &noise), catalog, spec, plan, &mut v);
                        }
                        v
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("worker"))
                .collect()
        });
        for rows in parts {
            rows_total += rows.len() as u64;
            sink.write(&rows, &source, &tmp)?;
        }
        progress(rows_total);
    }
    sink.finish(&tmp)?;
    crate::store::commit_rename(&tmp, &path)?;
    let bytes = std::fs::metadata(&path).at(&path)?.len();
    Ok(GenOutcome {
        file: path.display().to_string(),
        cities: cities.len(),
        rows: rows_total,
        bytes,
    })
}

enum Sink {
    Parquet(
        Box<Option<polars::io::parquet::write::BatchedWriter<BufWriter<File>>>>,
        Option<BufWriter<File>>,
    ),
    Csv(BufWriter<File>),
}

impl Sink {
    fn write(&mut self, rows: &[Row], source: &str, path: &Path) -> Result<()> {
        match self {
            Sink::Csv(w) => {
                let mut line = String::with_capacity(128);
                for r in rows {
                    line.clear();
                    use std::fmt::Write as _;
                    let _ = writeln!(
                        line,
                        "{},{},{},{},{},\"{}\",{},{},{}",
                        r.city_id,
                        r.data_point_id,
                        r.year,
                        r.value,
                        csv_field(&r.unit),
                        source,
                        r.quality,
                        r.verified,
                        r.confidential
                    );
                    w.write_all(line.as_bytes()).at(path)?;
                }
            }
            Sink::Parquet(writer, file) => {
                let n = rows.len();
                let df = DataFrame::new(
                    n,
                    vec![
                        Column::new(
                            col::CITY_ID.into(),
                            rows.iter().map(|r| r.city_id.as_str()).collect::<Vec<_>>(),
                        ),
                        Column::new(
                            col::DATA_POINT_ID.into(),
                            rows.iter()
                                .map(|r| r.data_point_id.as_str())
                                .collect::<Vec<_>>(),
                        ),
                        Column::new(
                            col::YEAR.into(),
                            rows.iter().map(|r| r.year).collect::<Vec<_>>(),
                        ),
                        Column::new(
                            col::VALUE.into(),
                            rows.iter().map(|r| r.value.as_str()).collect::<Vec<_>>(),
                        ),
                        Column::new(
                            col::UNIT.into(),
                            rows.iter().map(|r| r.unit.as_str()).collect::<Vec<_>>(),
                        ),
                        Column::new(col::SOURCE.into(), vec![source; n]),
                        Column::new(
                            col::QUALITY.into(),
                            rows.iter().map(|r| r.quality).collect::<Vec<_>>(),
                        ),
                        Column::new(
                            col::VERIFIED.into(),
                            rows.iter().map(|r| r.verified).collect::<Vec<_>>(),
                        ),
                        Column::new(
                            col::CONFIDENTIAL.into(),
                            rows.iter().map(|r| r.confidential).collect::<Vec<_>>(),
                        ),
                    ],
                )
                .map_err(|e| Error::polars(path, e))?;
                if writer.is_none() {
                    let f = file.take().expect("file present until the first batch");
                    **writer = Some(
                        ParquetWriter::new(f)
                            .batched(df.schema())
                            .map_err(|e| Error::polars(path, e))?,
                    );
                }
                (**writer)
                    .as_mut()
                    .expect("created above")
                    .write_batch(&df)
                    .map_err(|e| Error::polars(path, e))?;
            }
        }
        Ok(())
    }

    fn finish(self, path: &Path) -> Result<()> {
        match self {
            Sink::Csv(mut w) => {
                w.flush().at(path)?;
                w.get_ref().sync_all().at(path)?;
            }
            Sink::Parquet(w, _) => match *w {
                Some(w) => {
                    w.finish().map_err(|e| Error::polars(path, e))?;
                }
                None => return Err(Error::Usage("no rows were generated".into())),
            },
        }
        Ok(())
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::UnitRegistry;

    #[test]
    fn splitmix_reference_values() {
        // SplitMix64 (Steele, Lea, Flood 2014) from state 0: first outputs of the reference
        // generator, which adds the golden gamma before mixing.
        assert_eq!(splitmix(0), 0xe220_a839_7b1d_cdaf);
        assert_eq!(splitmix(0x9e37_79b9_7f4a_7c15), 0x6e78_9e6a_a1b9_65f4);
    }

    #[test]
    fn a_better_city_gets_a_better_value_on_every_directed_data_point() {
        // the latent score is signed by direction; each value model must then map a higher
        // score to a better value (a double flip made the Travel Time Index worse for better
        // cities)
        let units = UnitRegistry::embedded().unwrap();
        let catalog = Catalog::embedded(&units).unwrap();
        let plan = Plan::new(&catalog, &units).unwrap();
        let reg = crate::registry::Registry::embedded().unwrap();
        let city = &reg.cities()[0];
        let noise = Noise::new(7);
        let ctx = |effect: f64| CityCtx {
            city,
            key: 11,
            effect,
            developed: false,
        };
        let (weak, strong) = (ctx(-2.0), ctx(2.0));
        let mut checked = 0;
        for (i, dp) in catalog.data_points().iter().enumerate() {
            let sign = match dp.direction {
                Direction::HigherBetter => 1.0,
                Direction::LowerBetter => -1.0,
                _ => continue,
            };
            if dp.is_boolean() {
                continue;
            }
            let m = &plan.models[i];
            let a = canonical_value(&noise, &weak, i, dp, m, 2020, 2015);
            let b = canonical_value(&noise, &strong, i, dp, m, 2020, 2015);
            assert!(
                sign * (b - a) >= 0.0,
                "{} ({}, {}): weak city {a}, strong city {b}",
                dp.data_point_id,
                dp.canonical_unit,
                dp.direction.as_str()
            );
            checked += 1;
        }
        assert!(checked > 80, "{checked}");
    }

    #[test]
    fn a_model_maps_the_latent_score_onto_its_range() {
        // linear 0..100 with typical 20: an average city (score 0) gets the typical value,
        // the logistic curve puts score +-1 at logistic(+-1 + logit(0.2)) of the range
        let r = Range {
            data_point_id: "x".into(),
            unit: "pct".into(),
            low: 0.0,
            typical: 20.0,
            high: 100.0,
            developed_low: Some(50.0),
            developed_high: None,
            scale: Scale::Linear,
            source: "judgement: test".into(),
        };
        let m = Model::new(r.clone(), false);
        assert_eq!(m.value("pct", 0.0, false, 0.0), 20.0);
        // logit(0.2) = -1.386294..; logistic(1 - 1.386294) = 0.404614..
        assert_eq!(m.value("pct", 1.0, false, 0.0), 40.5);
        // logistic(-1 - 1.386294) = 0.084010..
        assert_eq!(m.value("pct", -1.0, false, 0.0), 8.4);
        // a developed city: the same position on 50..100
        assert_eq!(m.value("pct", 0.0, true, 0.0), 60.0);
        assert_eq!(m.value("pct", 40.0, false, 0.0), 100.0);
        assert_eq!(m.value("pct", -40.0, true, 0.0), 50.0);
        // log 1..100 with typical 10 is centred in ln: score 0 gives 10, score 1 gives
        // exp(ln 100 x logistic(1)) = 100^0.731059 = 29.0 (one decimal from 10)
        let log = Model::new(
            Range {
                unit: "per_100k_pop".into(),
                low: 1.0,
                typical: 10.0,
                high: 100.0,
                developed_low: None,
                scale: Scale::Log,
                ..r.clone()
            },
            false,
        );
        assert_eq!(log.value("per_100k_pop", 0.0, false, 0.0), 10.0);
        assert_eq!(log.value("per_100k_pop", 1.0, false, 0.0), 29.0);
        // exp(ln 100 x logistic(-1)) = 100^0.268941 = 3.45 (two decimals below 10)
        assert_eq!(log.value("per_100k_pop", -1.0, false, 0.0), 3.45);
        // yes/no: typical is the share of yes; yes when the draw is below it
        let yes = Model::new(
            Range {
                unit: "bool".into(),
                low: 0.0,
                typical: 0.7,
                high: 1.0,
                developed_low: None,
                ..r
            },
            true,
        );
        assert_eq!(yes.value("bool", 0.0, false, 0.69), 1.0);
        assert_eq!(yes.value("bool", 0.0, false, 0.71), 0.0);
    }

    #[test]
    fn shares_add_up_to_100_inside_their_bounds() {
        // unconstrained: proportional, 100 / 3 rounded, the remainder on the largest
        let s = shares_to_100(&[1.0, 1.0, 1.0], &[(0.0, 100.0); 3]);
        assert_eq!(s, [33.4, 33.3, 33.3]);
        // the first is capped at 10: the others share the remaining 90 in proportion 1:2
        let s = shares_to_100(&[8.0, 1.0, 2.0], &[(0.0, 10.0), (0.0, 100.0), (0.0, 100.0)]);
        assert_eq!(s, [10.0, 30.0, 60.0]);
        // a floor: the smallest is raised to 20, the rest scaled down
        let s = shares_to_100(
            &[1.0, 50.0, 50.0],
            &[(20.0, 100.0), (0.0, 100.0), (0.0, 100.0)],
        );
        assert_eq!(s, [20.0, 40.0, 40.0]);
        // bounds that only just allow 100
        let s = shares_to_100(&[5.0, 1.0], &[(0.0, 30.0), (0.0, 70.0)]);
        assert_eq!(s, [30.0, 70.0]);
    }

    #[test]
    fn a_data_point_without_a_range_gets_the_generic_one() {
        let units = UnitRegistry::embedded().unwrap();
        let catalog = Catalog::embedded(&units).unwrap();
        let mut dp = catalog.get("EC-P-EM-1C").unwrap().clone();
        let r = fallback_range(&dp, &units);
        assert_eq!(
            (r.low, r.typical, r.high, r.scale),
            (0.0, 50.0, 100.0, Scale::Linear)
        );
        dp.plausible_min = None;
        dp.plausible_max = None;
        dp.hard_min = None;
        dp.hard_max = None;
        let r = fallback_range(&dp, &units);
        assert_eq!((r.low, r.high, r.scale), (1.0, 1000.0, Scale::Log));
        dp.canonical_unit = "gini_0_1".into();
        let r = fallback_range(&dp, &units);
        assert_eq!((r.low, r.typical, r.high), (0.0, 0.05, 0.1));
        let b = fallback_range(catalog.get("SC-SH-SA-3A").unwrap(), &units);
        assert_eq!((b.low, b.typical, b.high), (0.0, 0.5, 1.0));
    }

    #[test]
    fn a_city_does_not_depend_on_how_many_others_are_generated() {
        let units = UnitRegistry::embedded().unwrap();
        let catalog = Catalog::embedded(&units).unwrap();
        let reg = Registry::embedded().unwrap();
        let noise = Noise::new(7);
        let spec = GenSpec::new(1, 2020, 2022, 7);
        let small = select_cities(&reg, &spec).unwrap();
        let big = select_cities(&reg, &GenSpec::new(50, 2020, 2022, 7)).unwrap();
        assert_eq!(small[0].city_id, big[0].city_id, "largest first");
        let plan = Plan::new(&catalog, &units).unwrap();
        let mut a = Vec::new();
        city_rows(
            &noise,
            &city_ctx(small[0], &noise),
            &catalog,
            &spec,
            &plan,
            &mut a,
        );
        let mut b = Vec::new();
        city_rows(
            &noise,
            &city_ctx(big[0], &noise),
            &catalog,
            &spec,
            &plan,
            &mut b,
        );
        assert_eq!(a, b);
        assert!(!a.is_empty());
    }

    /// Rows by (city, year, data point) -> canonical value, converted as ingest converts.
    type Canon = std::collections::BTreeMap<(String, i32, String), f64>;

    fn canonical_rows(rows: &[Row], catalog: &Catalog, units: &UnitRegistry) -> Canon {
        rows.iter()
            .map(|r| {
                let dp = catalog.get(&r.data_point_id).unwrap();
                let sp = units.resolve(dp, &r.unit).unwrap();
                let v = match r.value.as_str() {
                    "yes" | "true" => 1.0,
                    "no" | "false" => 0.0,
                    s => sp.to_canonical(s.parse().unwrap()),
                };
                ((r.city_id.clone(), r.year, r.data_point_id.clone()), v)
            })
            .collect()
    }

    /// Every value inside its plausible range (the developed bounds for a developed city)
    /// and every relation holding; returns the number of values checked.
    fn assert_plausible(
        values: &Canon,
        reg: &Registry,
        catalog: &Catalog,
        units: &UnitRegistry,
    ) -> usize {
        // the ranges of the whole catalogue (`catalog` may be the generator's, without
        // NOT_GENERATED)
        let plausible = Plausible::embedded(&Catalog::embedded(units).unwrap(), units).unwrap();
        let developed = |city: &str| reg.get(city).unwrap().economy == "developed";
        let tol = |x: f64| 1e-9 * x.abs().max(1.0);
        for ((city, year, dp), &v) in values {
            let (l, h) = plausible.range(dp).unwrap().bounds(developed(city));
            assert!(
                v >= l - tol(l) && v <= h + tol(h),
                "{city} {year} {dp}: {v} outside {l}..{h}"
            );
        }
        let get =
            |c: &str, y: i32, d: &str| values.get(&(c.to_string(), y, d.to_string())).copied();
        let cities: std::collections::BTreeSet<(&str, i32)> =
            values.keys().map(|(c, y, _)| (c.as_str(), *y)).collect();
        let (mut le, mut sums, mut mono) = (0, 0, 0);
        for &(c, y) in &cities {
            for rule in plausible.rules() {
                if !rule.scope.applies(developed(c)) {
                    continue;
                }
                match &rule.relation {
                    Relation::AtMost { left, right } => {
                        if let (Some(a), Some(b)) = (get(c, y, left), get(c, y, right)) {
                            assert!(a <= b + tol(b), "{c} {y}: {left} {a} > {right} {b}");
                            le += 1;
                        }
                    }
                    Relation::SumTo100 { group } => {
                        let members: Vec<Option<f64>> = catalog
                            .data_points()
                            .iter()
                            .filter(|d| &d.sum_group == group)
                            .map(|d| get(c, y, &d.data_point_id))
                            .collect();
                        if members.iter().all(Option::is_some) {
                            let s: f64 = members.iter().flatten().sum();
                            assert!((s - 100.0).abs() < 1e-6, "{c} {y} {group}: {s}");
                            sums += 1;
                        }
                    }
                    Relation::NonDecreasing { data_point_id } => {
                        // against the latest earlier year with a value
                        let before = (y - 40..y).rev().find_map(|p| get(c, p, data_point_id));
                        if let (Some(a), Some(b)) = (before, get(c, y, data_point_id)) {
                            assert!(b >= a - tol(a), "{c} {y} {data_point_id}: {a} -> {b}");
                            mono += 1;
                        }
                    }
                }
            }
        }
        assert!(le > 0 && sums > 0 && mono > 0, "{le} {sums} {mono}");
        values.len()
    }

    /// 200 sampled cities x 10 years, and the 80 cities with the most extreme latent
    /// effects over the longest year range ingest accepts: every value, converted from its
    /// reported spelling as ingest converts it, inside its range; every relation holds.
    #[test]
    fn generated_values_stay_inside_their_plausible_ranges_and_relations() {
        let units = UnitRegistry::embedded().unwrap();
        // the catalogue `generate` draws from
        let catalog = Catalog::embedded(&units).unwrap().without(&NOT_GENERATED);
        let reg = Registry::embedded().unwrap();
        let plan = Plan::new(&catalog, &units).unwrap();
        let noise = Noise::new(3);
        let spec = GenSpec {
            selection: Selection::Sample,
            ..GenSpec::new(200, 2015, 2024, 3)
        };
        let mut rows = Vec::new();
        for c in select_cities(&reg, &spec).unwrap() {
            city_rows(
                &noise,
                &city_ctx(c, &noise),
                &catalog,
                &spec,
                &plan,
                &mut rows,
            );
        }
        let n = assert_plausible(
            &canonical_rows(&rows, &catalog, &units),
            &reg,
            &catalog,
            &units,
        );
        assert!(n > 200 * 112 * 10 * 9 / 10, "{n}");
        let mut spec = GenSpec::new(1, 1990, 2027, 3);
        spec.missing = 0.0;
        let mut ctxs: Vec<CityCtx<'_>> = reg.cities()[..3000]
            .iter()
            .map(|c| city_ctx(c, &noise))
            .collect();
        ctxs.sort_by(|a, b| a.effect.total_cmp(&b.effect));
        rows.clear();
        for c in ctxs[..40].iter().chain(&ctxs[ctxs.len() - 40..]) {
            city_rows(&noise, c, &catalog, &spec, &plan, &mut rows);
        }
        assert_eq!(rows.len(), 80 * 112 * 38);
        assert_plausible(
            &canonical_rows(&rows, &catalog, &units),
            &reg,
            &catalog,
            &units,
        );
        // --inject-errors adds one value beyond every bound deliberately, of eleven kinds
        let mut bad = Row {
            city_id: "1".into(),
            data_point_id: "EC-ICT-ICT-3C".into(),
            year: 2020,
            value: "5".into(),
            unit: "per 100 000 inhabitants".into(),
            quality: "measured",
            verified: false,
            confidential: false,
        };
        corrupt(&mut bad, 10, catalog.get("EC-ICT-ICT-3C").unwrap());
        assert_eq!(bad.value, BEYOND_EVERY_BOUND);
        assert!(BEYOND_EVERY_BOUND.parse::<f64>().unwrap() > 1e12);
    }

    /// The embedded demo sample (datasets/sample/submissions.parquet) is what the generator
    /// makes: inside the plausible ranges, the relations holding.
    #[test]
    fn the_embedded_sample_sits_inside_the_plausible_ranges() {
        let units = UnitRegistry::embedded().unwrap();
        let catalog = Catalog::embedded(&units).unwrap();
        let reg = Registry::embedded().unwrap();
        let df = ParquetReader::new(std::io::Cursor::new(crate::sample::SAMPLE_PARQUET))
            .finish()
            .unwrap();
        let s = |c: &str| df.column(c).unwrap().str().unwrap().clone();
        let (city, dp, value, unit) = (
            s(col::CITY_ID),
            s(col::DATA_POINT_ID),
            s(col::VALUE),
            s(col::UNIT),
        );
        let year = df.column(col::YEAR).unwrap().i32().unwrap().clone();
        let rows: Vec<Row> = (0..df.height())
            .map(|i| Row {
                city_id: city.get(i).unwrap().into(),
                data_point_id: dp.get(i).unwrap().into(),
                year: year.get(i).unwrap(),
                value: value.get(i).unwrap().into(),
                unit: unit.get(i).unwrap().into(),
                quality: "measured",
                verified: false,
                confidential: false,
            })
            .collect();
        let n = assert_plausible(
            &canonical_rows(&rows, &catalog, &units),
            &reg,
            &catalog,
            &units,
        );
        assert_eq!(n, df.height());
    }

    #[test]
    fn alternative_spellings_resolve_and_convert_back_exactly() {
        let units = UnitRegistry::embedded().unwrap();
        let catalog = Catalog::embedded(&units).unwrap();
        for dp in catalog.data_points() {
            if let Some((u, f)) = alternative(dp) {
                let sp = units
                    .resolve(dp, u)
                    .unwrap_or_else(|e| panic!("{}: {e}", dp.data_point_id));
                if dp.canonical_unit != "bool" {
                    for v in [0.0, 1.5, 57.3, 1234.0, 98765.4] {
                        // reported values carry 12 significant digits, so the canonical value
                        // comes back within 1e-11 (exactly for terminating factors)
                        let reported: f64 = num_text(v * f).parse().unwrap();
                        let back = sp.to_canonical(reported);
                        assert!(
                            (back - v).abs() <= 1e-11 * v.abs(),
                            "{} {u} {v} -> {back}",
                            dp.data_point_id
                        );
                    }
                }
            }
            let canon = canonical_spelling(&dp.canonical_unit);
            assert!(
                units.resolve(dp, canon).is_ok(),
                "{} {canon}",
                dp.data_point_id
            );
        }
    }

    #[test]
    fn the_demo_sample_covers_every_inhabited_continent() {
        let reg = Registry::embedded().unwrap();
        let spec = GenSpec {
            selection: Selection::Sample,
            ..GenSpec::new(300, 2015, 2024, crate::sample::SAMPLE_SEED)
        };
        let cities = select_cities(&reg, &spec).unwrap();
        let continents: std::collections::BTreeSet<&str> =
            cities.iter().map(|c| c.continent.as_str()).collect();
        assert_eq!(
            continents.into_iter().collect::<Vec<_>>(),
            [
                "Africa",
                "Asia",
                "Europe",
                "North America",
                "Oceania",
                "South America"
            ]
        );
    }

    #[test]
    fn selection_errors() {
        let reg = Registry::embedded().unwrap();
        let e = select_cities(&reg, &GenSpec::new(0, 2020, 2021, 1)).unwrap_err();
        assert_eq!(e.to_string(), "--cities must be at least 1");
        let e = select_cities(&reg, &GenSpec::new(10_000_000, 2020, 2021, 1)).unwrap_err();
        assert!(e.to_string().starts_with("--cities 10000000 exceeds the"));
        let s1 = select_cities(
            &reg,
            &GenSpec {
                selection: Selection::Sample,
                ..GenSpec::new(30, 2020, 2021, 1)
            },
        )
        .unwrap();
        let s2 = select_cities(
            &reg,
            &GenSpec {
                selection: Selection::Sample,
                ..GenSpec::new(30, 2020, 2021, 1)
            },
        )
        .unwrap();
        assert_eq!(s1, s2);
        let continents: std::collections::BTreeSet<&str> =
            s1.iter().map(|c| c.continent.as_str()).collect();
        assert!(continents.len() >= 3);
    }
}
