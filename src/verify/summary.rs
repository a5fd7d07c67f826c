//! The summary `citybench verify` prints: per city its observations, core coverage of the
//! latest year, flags by severity and rule, data quality and verified shares
//! ([`summaries`]), the statements it made without a value ([`statements_by_city`]), one
//! row per city ([`city_rows`]) and, for one city, its flags ([`flag_rows`]) and the text
//! a verifier works through ([`city_text`]).

use std::collections::BTreeMap;

use polars::prelude::*;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::output::Rows;
use crate::registry::Registry;
use crate::schema::derived as d;

fn pe(e: PolarsError) -> Error {
    Error::polars("verify", e)
}

/// Per city: observations, years, core coverage of the latest year, flags by severity, the
/// share of rows by data-quality level and the verified share.
#[derive(Default)]
pub struct CitySummary {
    observations: u64,
    latest_year: i32,
    core_reported: u64,
    /// The core KPIs with a value in the latest year.
    core_ids: std::collections::BTreeSet<String>,
    flags: BTreeMap<(String, String), u64>,
    quality: BTreeMap<String, u64>,
    verified: u64,
}

pub const QUALITIES: [&str; 6] = [
    "measured",
    "survey_extrapolated",
    "higher_level_extrapolated",
    "assumption_estimate",
    "personal_estimate",
    "unknown",
];

pub fn summaries(
    obs: &DataFrame,
    flags: &DataFrame,
    core: &DataFrame,
) -> Result<BTreeMap<String, CitySummary>> {
    let per = obs
        .clone()
        .lazy()
        .select([
            col(d::CITY_ID).cast(DataType::String),
            col(d::DATA_POINT_ID).cast(DataType::String),
            col(d::YEAR),
            col(d::QUALITY).cast(DataType::String),
            col(d::VERIFIED),
        ])
        .join(
            core.clone().lazy(),
            [col(d::DATA_POINT_ID)],
            [col(d::DATA_POINT_ID)],
            JoinArgs::new(JoinType::Left),
        );
    let mut aggs = vec![
        len().cast(DataType::UInt64).alias("n"),
        col(d::YEAR).max().alias("latest"),
        col(d::VERIFIED)
            .cast(DataType::UInt64)
            .sum()
            .alias(d::VERIFIED),
        col(d::KPI_ID)
            .filter(col(d::YEAR).eq(col(d::YEAR).max()))
            .drop_nulls()
            .n_unique()
            .cast(DataType::UInt64)
            .alias("core"),
        col(d::KPI_ID)
            .cast(DataType::String)
            .filter(col(d::YEAR).eq(col(d::YEAR).max()))
            .drop_nulls()
            .unique()
            .alias("core_ids"),
    ];
    aggs.extend(QUALITIES.iter().map(|q| {
        col(d::QUALITY)
            .eq(lit(*q))
            .cast(DataType::UInt64)
            .sum()
            .alias(*q)
    }));
    let t = per
        .group_by([col(d::CITY_ID)])
        .agg(aggs)
        .collect()
        .map_err(pe)?;
    let s = |c: &str| -> Result<Vec<Option<u64>>> {
        Ok(t.column(c).map_err(pe)?.u64().map_err(pe)?.iter().collect())
    };
    let city: Vec<String> = t
        .column(d::CITY_ID)
        .map_err(pe)?
        .str()
        .map_err(pe)?
        .iter()
        .map(|c| c.unwrap_or("").to_string())
        .collect();
    let latest: Vec<Option<i32>> = t
        .column("latest")
        .map_err(pe)?
        .i32()
        .map_err(pe)?
        .iter()
        .collect();
    let (n, verified, core) = (s("n")?, s(d::VERIFIED)?, s("core")?);
    let core_ids: Vec<std::collections::BTreeSet<String>> = t
        .column("core_ids")
        .map_err(pe)?
        .list()
        .map_err(pe)?
        .amortized_iter()
        .map(|l| {
            l.map(|l| {
                l.as_ref()
                    .str()
                    .map(|ids| ids.iter().flatten().map(str::to_string).collect())
                    .unwrap_or_default()
            })
            .unwrap_or_default()
        })
        .collect();
    let q: Vec<Vec<Option<u64>>> = QUALITIES.iter().map(|c| s(c)).collect::<Result<_>>()?;
    let mut out = BTreeMap::new();
    for i in 0..t.height() {
        out.insert(
            city[i].clone(),
            CitySummary {
                observations: n[i].unwrap_or(0),
                latest_year: latest[i].unwrap_or(0),
                core_reported: core[i].unwrap_or(0),
                core_ids: core_ids[i].clone(),
                flags: BTreeMap::new(),
                quality: QUALITIES
                    .iter()
                    .enumerate()
                    .map(|(k, name)| (name.to_string(), q[k][i].unwrap_or(0)))
                    .collect(),
                verified: verified[i].unwrap_or(0),
            },
        );
    }
    let fc = flags.column(d::CITY_ID).map_err(pe)?.str().map_err(pe)?;
    let fr = flags.column(d::RULE).map_err(pe)?.str().map_err(pe)?;
    let fs = flags.column(d::SEVERITY).map_err(pe)?.str().map_err(pe)?;
    for i in 0..flags.height() {
        if let (Some(c), Some(r), Some(sv)) = (fc.get(i), fr.get(i), fs.get(i))
            && let Some(sum) = out.get_mut(c)
        {
            *sum.flags
                .entry((sv.to_string(), r.to_string()))
                .or_default() += 1;
        }
    }
    Ok(out)
}

/// One statement a city made and did not later replace by a value: (year, data point,
/// status).
pub type Stated = (i32, String, String);

/// Per city: its "not reported" / "not verified" statements ([`crate::pipeline::read_statements`])
/// for which no value of the same (data point, year) was accepted, the latest batch's
/// statement for a repeated (data point, year); sorted by year, then data point.
pub fn statements_by_city(
    statements: DataFrame,
    obs: &DataFrame,
) -> Result<BTreeMap<String, Vec<Stated>>> {
    let mut out: BTreeMap<String, Vec<Stated>> = BTreeMap::new();
    if statements.height() == 0 {
        return Ok(out);
    }
    let valued = obs.clone().lazy().select([
        col(d::CITY_ID).cast(DataType::String),
        col(d::DATA_POINT_ID).cast(DataType::String),
        col(d::YEAR),
    ]);
    let keys = [col(d::CITY_ID), col(d::DATA_POINT_ID), col(d::YEAR)];
    let t = statements
        .lazy()
        .sort([d::BATCH_SEQ], SortMultipleOptions::default())
        .group_by_stable(keys.clone())
        .agg([col(d::STATUS).last()])
        .join(valued, keys.clone(), keys, JoinArgs::new(JoinType::Anti))
        .sort(
            [d::CITY_ID, d::YEAR, d::DATA_POINT_ID],
            SortMultipleOptions::default(),
        )
        .collect()
        .map_err(pe)?;
    let city = t.column(d::CITY_ID).map_err(pe)?.str().map_err(pe)?;
    let dp = t.column(d::DATA_POINT_ID).map_err(pe)?.str().map_err(pe)?;
    let year = t.column(d::YEAR).map_err(pe)?.i32().map_err(pe)?;
    let status = t.column(d::STATUS).map_err(pe)?.str().map_err(pe)?;
    for i in 0..t.height() {
        if let (Some(c), Some(p), Some(y), Some(st)) =
            (city.get(i), dp.get(i), year.get(i), status.get(i))
        {
            out.entry(c.to_string())
                .or_default()
                .push((y, p.to_string(), st.to_string()));
        }
    }
    Ok(out)
}

fn pct(part: u64, whole: u64) -> Value {
    if whole == 0 {
        return Value::Null;
    }
    let v = super::percent_1dp(part as f64 / whole as f64);
    serde_json::Number::from_f64(v)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

fn severity_count(s: &CitySummary, severity: &str) -> u64 {
    s.flags
        .iter()
        .filter(|((sv, _), _)| sv == severity)
        .map(|(_, n)| n)
        .sum()
}

/// Data point id -> KPI id of the core KPIs' data points.
pub fn core_kpi_of(core: &DataFrame) -> Result<BTreeMap<String, String>> {
    let dp = core
        .column(d::DATA_POINT_ID)
        .map_err(pe)?
        .cast(&DataType::String)
        .map_err(pe)?;
    let kpi = core
        .column(d::KPI_ID)
        .map_err(pe)?
        .cast(&DataType::String)
        .map_err(pe)?;
    let (dp, kpi) = (dp.str().map_err(pe)?, kpi.str().map_err(pe)?);
    Ok(dp
        .iter()
        .zip(kpi.iter())
        .filter_map(|(a, b)| Some((a?.to_string(), b?.to_string())))
        .collect())
}

/// One row per city, most warnings first.
pub fn city_rows(
    sums: &BTreeMap<String, CitySummary>,
    stated: &BTreeMap<String, Vec<Stated>>,
    registry: &Registry,
    core_kpis: u32,
) -> Rows {
    let mut rows = Rows::new([
        d::CITY_ID,
        d::CITY_NAME,
        "observations",
        "not_reported",
        "latest_year",
        "core_kpis_latest_year_pct",
        "warnings",
        "notices",
        "measured_pct",
        "verified_pct",
        "top_rule",
    ]);
    // a city that stated "not reported" for everything it sent has no observations
    let empty = CitySummary::default();
    let mut order: Vec<(&String, &CitySummary)> = sums.iter().collect();
    order.extend(
        stated
            .keys()
            .filter(|c| !sums.contains_key(*c))
            .map(|c| (c, &empty)),
    );
    order.sort_by(|a, b| {
        severity_count(b.1, super::WARNING)
            .cmp(&severity_count(a.1, super::WARNING))
            .then(severity_count(b.1, super::NOTICE).cmp(&severity_count(a.1, super::NOTICE)))
            .then(a.0.cmp(b.0))
    });
    for (city, s) in order {
        let mut by_rule: BTreeMap<&str, u64> = BTreeMap::new();
        for ((_, r), n) in &s.flags {
            *by_rule.entry(r.as_str()).or_default() += n;
        }
        let top = by_rule
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(r, _)| Value::from(*r))
            .unwrap_or(Value::Null);
        rows.push(vec![
            Value::from(city.as_str()),
            registry
                .get(city)
                .map(|c| Value::from(c.name.as_str()))
                .unwrap_or(Value::Null),
            Value::from(s.observations),
            Value::from(stated.get(city).map_or(0, Vec::len)),
            if s.observations == 0 {
                Value::Null
            } else {
                Value::from(s.latest_year)
            },
            pct(s.core_reported, core_kpis as u64),
            Value::from(severity_count(s, super::WARNING)),
            Value::from(severity_count(s, super::NOTICE)),
            pct(
                s.quality.get("measured").copied().unwrap_or(0),
                s.observations,
            ),
            pct(s.verified, s.observations),
            top,
        ]);
    }
    rows
}

/// The flags of one city as rows.
pub fn flag_rows(flags: &DataFrame) -> Result<Rows> {
    let cols = [
        d::YEAR,
        d::DATA_POINT_ID,
        d::RULE,
        d::SEVERITY,
        d::VALUE,
        d::REFERENCE,
        d::REFERENCE_2,
        d::REFERENCE_ID,
        d::CONFIDENTIAL,
        d::MESSAGE,
    ];
    let mut rows = Rows::new(cols);
    let df = flags.select(cols).map_err(pe)?;
    for i in 0..df.height() {
        let row = df
            .columns()
            .iter()
            .map(|c| match c.get(i) {
                Ok(AnyValue::Null) | Err(_) => Value::Null,
                Ok(AnyValue::Int32(v)) => Value::from(v),
                Ok(AnyValue::Float64(v)) => serde_json::Number::from_f64(v)
                    .map(Value::Number)
                    .unwrap_or(Value::Null),
                Ok(AnyValue::Boolean(b)) => Value::Bool(b),
                Ok(AnyValue::String(s)) => Value::from(s),
                Ok(other) => Value::from(other.to_string()),
            })
            .collect();
        rows.push(row);
    }
    Ok(rows)
}

/// The text block about one city.
pub fn city_text(
    city: &str,
    name: &str,
    s: Option<&CitySummary>,
    stated: &[Stated],
    core_of: &BTreeMap<String, String>,
    flags: &Rows,
    core_kpis: u32,
) -> String {
    use std::fmt::Write as _;
    let mut t = String::new();
    let Some(s) = s else {
        if stated.is_empty() {
            let _ = writeln!(
                t,
                "{name} ({city}): no observations in this workspace; nothing to verify"
            );
        } else {
            let _ = writeln!(t, "{name} ({city}): no observations in this workspace");
            stated_text(&mut t, stated);
        }
        return t;
    };
    let _ = writeln!(
        t,
        "{name} ({city}): {} observations, latest year {}",
        s.observations, s.latest_year
    );
    // core KPIs the city declared not reported in its latest year and reported no data
    // point of (a KPI with one data point reported counts as reported)
    let declared: std::collections::BTreeSet<&str> = stated
        .iter()
        .filter(|(y, _, _)| *y == s.latest_year)
        .filter_map(|(_, dp, _)| core_of.get(dp).map(String::as_str))
        .filter(|kpi| !s.core_ids.contains(*kpi))
        .collect();
    let silent = (core_kpis as u64).saturating_sub(s.core_reported + declared.len() as u64);
    let _ = writeln!(
        t,
        "  core KPIs in {}: {} of {} reported ({} %), {} declared not reported, {} with neither value nor statement",
        s.latest_year,
        s.core_reported,
        core_kpis,
        pct(s.core_reported, core_kpis as u64),
        declared.len(),
        silent
    );
    let q: Vec<String> = QUALITIES
        .iter()
        .filter_map(|k| {
            let n = s.quality.get(*k).copied().unwrap_or(0);
            (n > 0).then(|| format!("{k} {} %", pct(n, s.observations)))
        })
        .collect();
    let _ = writeln!(t, "  data quality: {}", q.join(", "));
    let _ = writeln!(
        t,
        "  verified: {} of {} rows ({} %)",
        s.verified,
        s.observations,
        pct(s.verified, s.observations)
    );
    stated_text(&mut t, stated);
    if s.flags.is_empty() {
        let _ = writeln!(t, "  flags: none");
        return t;
    }
    let counts: Vec<String> = s
        .flags
        .iter()
        .map(|((sv, r), n)| format!("{r} {n} ({sv})"))
        .collect();
    let _ = writeln!(
        t,
        "  flags: {} warning(s), {} notice(s): {}",
        severity_count(s, super::WARNING),
        severity_count(s, super::NOTICE),
        counts.join(", ")
    );
    let _ = writeln!(t);
    for r in flags.records() {
        let _ = writeln!(
            t,
            "  {:<8} {}",
            r.str(d::SEVERITY).unwrap_or_default(),
            r.str(d::MESSAGE).unwrap_or_default()
        );
    }
    t
}

/// The statements of one city, one line per (year, status): "  not reported in 2023: A, B".
fn stated_text(t: &mut String, stated: &[Stated]) {
    use std::fmt::Write as _;
    if stated.is_empty() {
        return;
    }
    let mut by: BTreeMap<(i32, &str), Vec<&str>> = BTreeMap::new();
    for (y, dp, st) in stated {
        by.entry((*y, st.as_str())).or_default().push(dp.as_str());
    }
    let _ = writeln!(
        t,
        "  stated without a value: {} data point-year(s)",
        stated.len()
    );
    for ((y, st), dps) in by.iter().rev() {
        let _ = writeln!(t, "    {st} in {y}: {}", dps.join(", "));
    }
}

/// The flags of `city` as rows ([`flag_rows`]).
pub fn city_flag_rows(flags: &DataFrame, city: &str) -> Result<Rows> {
    let mine = flags
        .clone()
        .lazy()
        .filter(col(d::CITY_ID).eq(lit(city)))
        .collect()
        .map_err(pe)?;
    flag_rows(&mine)
}

/// The number of flags of severity [`super::WARNING`].
pub fn warning_count(flags: &DataFrame) -> Result<usize> {
    Ok(flags
        .column(d::SEVERITY)
        .map_err(pe)?
        .str()
        .map_err(pe)?
        .iter()
        .filter(|s| *s == Some(super::WARNING))
        .count())
}
