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
//! - the latent value is mapped to the canonical unit: percentages through a logistic curve
//!   (bounded 0..100), rates, counts, energy, water and concentrations log-normally, yes/no
//!   as Bernoulli, ratios and the Gini coefficient in their usual ranges; consistency rules
//!   hold (fixed broadband <= internet access, potable <= basic water, wastewater primary >=
//!   secondary >= tertiary) and sum groups (mode shares, waste treatment) add up to 100;
//! - about 8 % of cells are missing; about 10 % of rows are reported in an alternative
//!   spelling or scale (fraction, per 1000, hours, ppb, m3 per year, ...), which ingest
//!   converts back exactly;
//! - no log-normal value comes within a factor [`GEN_HEADROOM`] of its canonical unit's
//!   magnitude bound (METHODOLOGY section 3): their rare extreme draws are capped there; the
//!   other models stay inside their ranges by construction ([`BOUNDED_MODELS`]);
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

/// Typical magnitude (median) of a log-normal quantity, by canonical unit and data point.
fn typical(dp: &DataPoint) -> (f64, f64) {
    // (median, log-sd across cities)
    match (dp.canonical_unit.as_str(), dp.data_point_id.as_str()) {
        (_, "EN-EN-AQ-1C-pm10") => (30.0, 0.5),
        (_, "EN-EN-AQ-1C-pm25") => (15.0, 0.5),
        (_, "EN-EN-AQ-1C-no2") => (25.0, 0.45),
        (_, "EN-EN-AQ-1C-so2") => (8.0, 0.6),
        (_, "EN-EN-AQ-1C-o3") => (60.0, 0.3),
        (_, "EC-I-ES-2C") => (120.0, 0.7),
        (_, "SC-SH-SA-5A") => (12.0, 0.4),
        (_, "SC-SH-SA-1C") => (0.5, 1.0),
        (_, "SC-SH-SA-8C") => (300.0, 0.8),
        (_, "SC-SH-SA-9C") => (6.0, 0.6),
        (_, "SC-EH-H-3C") => (250.0, 0.5),
        (_, "SC-EH-H-4A") => (350.0, 0.5),
        (_, "EC-ICT-ICT-3C") => (80_000.0, 0.3),
        ("per_100k_live_births", _) => (60.0, 1.0),
        ("per_100k_pop", _) => (100.0, 0.8),
        ("km_per_100k_pop", _) => (40.0, 0.7),
        ("ha_per_100k_pop", _) => (300.0, 0.8),
        ("m2_per_capita", _) => (10.0, 0.6),
        ("kwh_per_capita_year", _) => (4000.0, 0.6),
        ("gj_per_capita_year", _) => (12.0, 0.6),
        ("kwh_per_m2_year", _) => (180.0, 0.4),
        ("l_per_capita_day", _) => (180.0, 0.4),
        ("m3_per_capita_year", _) => (70.0, 0.5),
        ("t_co2e_per_capita", _) => (5.0, 0.6),
        ("minutes", _) => (30.0, 0.6),
        ("interruptions_per_customer_year", _) => (2.0, 0.7),
        ("count", _) => (120.0, 1.0),
        ("pct_of_gdp", _) => (1.5, 0.6),
        _ => (10.0, 0.6),
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
    CityCtx { city, key, effect }
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

/// The canonical value of (city, data point, year) before sum-group and consistency fixes.
fn canonical_value(
    noise: &Noise,
    c: &CityCtx<'_>,
    dpi: usize,
    dp: &DataPoint,
    year: i32,
    year0: i32,
) -> f64 {
    let z = latent(noise, c, dpi, dp, year, year0);
    let offset = (hash_str(&dp.data_point_id) % 100) as f64 / 50.0 - 1.0; // -1..1 per data point
    match dp.canonical_unit.as_str() {
        "pct" => round_to(100.0 * logistic(0.9 * z + offset), 1).clamp(0.0, 100.0),
        "bool" => {
            if noise.uniform(S_NOISE, c.key, dpi as u64, 0) < logistic(z + offset) {
                1.0
            } else {
                0.0
            }
        }
        "ratio" => {
            if dp.direction == Direction::TargetBand {
                round_to(0.75 + 0.12 * z.tanh() + 0.05 * offset, 3).clamp(0.3, 1.3)
            } else {
                // z is already signed by direction (higher = better): for the lower-is-better
                // Travel Time Index a better city gets a lower value
                round_to(1.35 + 0.2 * z.tanh(), 3).max(1.0)
            }
        }
        "gini_0_1" => round_to(0.4 + 0.12 * z.tanh(), 3).clamp(0.2, 0.7),
        "years" => round_to(74.0 + 6.0 * z.tanh(), 1),
        _ => {
            let (median, sd) = typical(dp);
            let v = median * (sd * z * 0.8).exp();
            let decimals = if v >= 1000.0 {
                0
            } else if v >= 10.0 {
                1
            } else {
                2
            };
            round_to(v, decimals).max(0.0)
        }
    }
}

/// How far below its canonical unit's magnitude bound every log-normal value stays.
pub const GEN_HEADROOM: f64 = 10.0;

/// Canonical units whose value model in [`canonical_value`] is bounded by construction:
/// logistic percentages (0..100), yes/no, ratios and the Gini coefficient through tanh, life
/// expectancy in years. Every other unit is log-normal and unbounded.
pub const BOUNDED_MODELS: [&str; 5] = ["pct", "bool", "ratio", "gini_0_1", "years"];

/// The largest value generated per data point (catalogue order): for a log-normal quantity
/// its canonical unit's magnitude bound divided by [`GEN_HEADROOM`], for the bounded models
/// nothing (their own range is inside the bound).
pub fn ceilings(catalog: &Catalog, units: &UnitRegistry) -> Vec<f64> {
    catalog
        .data_points()
        .iter()
        .map(|dp| match units.canonical(&dp.canonical_unit) {
            Some(c) if !BOUNDED_MODELS.contains(&c.code.as_str()) => c.max_abs / GEN_HEADROOM,
            _ => f64::INFINITY,
        })
        .collect()
}

/// A value beyond every canonical unit's magnitude bound (the largest f64): the
/// `--inject-errors` kind that one typo in a submission once made of every published mean.
pub const BEYOND_EVERY_BOUND: &str = "1.7976931348623157e308";

/// Generate all rows of one city (every data point and year), sum groups and consistency
/// rules applied, missing cells dropped, alternative spellings and errors applied;
/// `ceilings` from [`ceilings`].
fn city_rows(
    noise: &Noise,
    c: &CityCtx<'_>,
    catalog: &Catalog,
    spec: &GenSpec,
    ceilings: &[f64],
    out: &mut Vec<Row>,
) {
    let dps = catalog.data_points();
    let pos = |id: &str| catalog.position(id);
    for year in spec.year_from..=spec.year_to {
        let mut vals: Vec<f64> = dps
            .iter()
            .enumerate()
            .map(|(i, dp)| canonical_value(noise, c, i, dp, year, spec.year_from).min(ceilings[i]))
            .collect();
        // sum groups add up to 100 (shares drawn per city, drifting with the latent score)
        let mut groups: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
        for (i, dp) in dps.iter().enumerate() {
            if !dp.sum_group.is_empty() && dp.canonical_unit == "pct" {
                groups.entry(dp.sum_group.as_str()).or_default().push(i);
            }
        }
        for (_, idx) in groups {
            let w: Vec<f64> = idx
                .iter()
                .map(|&i| {
                    let base = (0.9 * noise.normal(S_SHARE, c.key, i as u64, 0)).exp();
                    base * (0.3 * latent(noise, c, i, &dps[i], year, spec.year_from)).exp()
                })
                .collect();
            let total: f64 = w.iter().sum();
            for (k, &i) in idx.iter().enumerate() {
                vals[i] = round_to(100.0 * w[k] / total, 1);
            }
        }
        // consistency rules
        let pairs = [
            ("EC-ICT-ICT-2C", "EC-ICT-ICT-1C"),
            ("EC-I-WS-2C", "EC-I-WS-1C"),
            ("EN-EN-WS-4C-secondary", "EN-EN-WS-4C-primary"),
            ("EN-EN-WS-4C-tertiary", "EN-EN-WS-4C-secondary"),
        ];
        for (lo, hi) in pairs {
            if let (Some(l), Some(h)) = (pos(lo), pos(hi)) {
                let f = 0.5 + 0.45 * noise.uniform(S_SHARE, c.key, l as u64, 1);
                if vals[l] > vals[h] {
                    vals[l] = round_to(vals[h] * f, 1);
                }
            }
        }
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
    let ceilings = ceilings(catalog, &UnitRegistry::embedded()?);
    let ceilings = &ceilings;
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
                            city_rows(
                                &noise,
                                &city_ctx(c, &noise),
                                catalog,
                                spec,
                                ceilings,
                                &mut v,
                            );
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
        // the latent score is signed by direction; each unit's value model must then map a
        // higher score to a better value (a double flip made the Travel Time Index worse for
        // better cities)
        let units = UnitRegistry::embedded().unwrap();
        let catalog = Catalog::embedded(&units).unwrap();
        let reg = crate::registry::Registry::embedded().unwrap();
        let city = &reg.cities()[0];
        let noise = Noise::new(7);
        let ctx = |effect: f64| CityCtx {
            city,
            key: 11,
            effect,
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
            let a = canonical_value(&noise, &weak, i, dp, 2020, 2015);
            let b = canonical_value(&noise, &strong, i, dp, 2020, 2015);
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
    fn noise_is_deterministic_and_in_range() {
        let n = Noise::new(42);
        let a: Vec<f64> = (0..1000).map(|i| n.uniform(1, i, 2, 3)).collect();
        let b: Vec<f64> = (0..1000)
            .map(|i| Noise::new(42).uniform(1, i, 2, 3))
            .collect();
        assert_eq!(a, b);
        assert!(a.iter().all(|u| (0.0..1.0).contains(u)));
        let mean = a.iter().sum::<f64>() / a.len() as f64;
        assert!((mean - 0.5).abs() < 0.05, "{mean}");
        let z: Vec<f64> = (0..4000).map(|i| n.normal(9, i, 0, 0)).collect();
        let m = z.iter().sum::<f64>() / z.len() as f64;
        let v = z.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (z.len() - 1) as f64;
        assert!(m.abs() < 0.06 && (v - 1.0).abs() < 0.08, "mean {m} var {v}");
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
        let ceil = ceilings(&catalog, &units);
        let mut a = Vec::new();
        city_rows(
            &noise,
            &city_ctx(small[0], &noise),
            &catalog,
            &spec,
            &ceil,
            &mut a,
        );
        let mut b = Vec::new();
        city_rows(
            &noise,
            &city_ctx(big[0], &noise),
            &catalog,
            &spec,
            &ceil,
            &mut b,
        );
        assert_eq!(a, b);
        assert!(!a.is_empty());
    }

    /// Every generated value, converted as ingest converts it, stays inside its unit's
    /// magnitude bound (log-normal quantities a factor GEN_HEADROOM below it), on the longest
    /// year range ingest accepts and the cities with the most extreme draws; the cap changes
    /// no other value; only the injected kind goes beyond the bound.
    #[test]
    fn generated_values_stay_inside_the_magnitude_bounds() {
        let units = UnitRegistry::embedded().unwrap();
        let catalog = Catalog::embedded(&units).unwrap();
        let reg = Registry::embedded().unwrap();
        let noise = Noise::new(3);
        let mut spec = GenSpec::new(1, 1990, 2027, 3);
        spec.missing = 0.0;
        let ceil = ceilings(&catalog, &units);
        let uncapped = vec![f64::INFINITY; ceil.len()];
        // the cities with the largest and smallest latent effects among 3 000
        let mut ctxs: Vec<CityCtx<'_>> = reg.cities()[..3000]
            .iter()
            .map(|c| city_ctx(c, &noise))
            .collect();
        ctxs.sort_by(|a, b| a.effect.total_cmp(&b.effect));
        let extreme: Vec<&CityCtx<'_>> =
            ctxs[..40].iter().chain(&ctxs[ctxs.len() - 40..]).collect();
        let canonical = |r: &Row| {
            let dp = catalog.get(&r.data_point_id).unwrap();
            let sp = units.resolve(dp, &r.unit).unwrap();
            sp.to_canonical(r.value.parse().unwrap())
        };
        let (mut rows, mut free) = (Vec::new(), Vec::new());
        let mut largest = vec![0.0f64; catalog.data_points().len()];
        let mut capped = 0;
        for c in extreme {
            rows.clear();
            free.clear();
            city_rows(&noise, c, &catalog, &spec, &ceil, &mut rows);
            city_rows(&noise, c, &catalog, &spec, &uncapped, &mut free);
            assert_eq!(rows.len(), free.len());
            for (r, f) in rows.iter().zip(&free) {
                let i = catalog.position(&r.data_point_id).unwrap();
                let dp = &catalog.data_points()[i];
                if dp.is_boolean() {
                    assert_eq!(r, f, "yes/no values are never capped");
                    continue;
                }
                let v = canonical(r);
                if r != f {
                    capped += 1;
                    assert!(
                        canonical(f) > ceil[i],
                        "{} {} capped without need",
                        dp.data_point_id,
                        f.value
                    );
                    assert!(
                        (v - ceil[i]).abs() <= 1e-9 * ceil[i],
                        "{} {v}",
                        dp.data_point_id
                    );
                }
                largest[i] = largest[i].max(v.abs());
            }
        }
        for (i, dp) in catalog.data_points().iter().enumerate() {
            let bound = units.canonical(&dp.canonical_unit).unwrap().max_abs;
            let limit = if ceil[i].is_finite() {
                bound / GEN_HEADROOM
            } else {
                bound
            };
            assert!(
                largest[i] <= limit * (1.0 + 1e-9),
                "{}: {} vs {limit}",
                dp.data_point_id,
                largest[i]
            );
        }
        // the cap is for the tails only
        assert!(capped < 100, "{capped}");
        // --inject-errors adds one deliberately, of eleven kinds
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
