//! Peer-group membership (METHODOLOGY section 5): which group each city is in, for every
//! configured grouping. A grouping is a registry attribute (`all`, `population_band`,
//! `economy`, `continent`, `un_region`, `country_iso2`, `country_iso3`), a workspace
//! attribute (`attributes.csv`), or a combination joined by ` x `
//! (`population_band x economy`, group values joined the same way).

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::registry::Registry;
use crate::schema::derived as d;

/// Separator of combined groupings and of their group values.
pub const COMBINE: &str = " x ";

/// Every grouping name the registry can answer (before combinations).
pub fn valid_names(registry: &Registry) -> Vec<String> {
    let mut v = vec!["all".to_string()];
    v.extend(registry.attribute_names());
    if !v.iter().any(|n| n == "country_iso3") {
        v.push("country_iso3".into());
    }
    v
}

/// Check the configured groupings; an unknown name is an error listing the valid ones.
pub fn check(groupings: &[String], registry: &Registry, config_path: &str) -> Result<()> {
    let valid = valid_names(registry);
    let mut seen = std::collections::HashSet::new();
    for g in groupings {
        if !seen.insert(g) {
            return Err(Error::Config {
                path: config_path.into(),
                message: format!("peers.groupings lists '{g}' twice"),
            });
        }
        for part in g.split(COMBINE) {
            if !valid.iter().any(|v| v == part.trim()) {
                let hint =
                    crate::suggest::did_you_mean(part.trim(), valid.iter().map(|s| s.as_str()))
                        .map(|s| format!(" (did you mean '{s}'?)"))
                        .unwrap_or_default();
                return Err(Error::Config {
                    path: config_path.into(),
                    message: format!(
                        "peers.groupings: unknown grouping '{}'{hint}; valid groupings: {}, or combinations such as \"population_band x economy\"",
                        part.trim(),
                        valid.join(", ")
                    ),
                });
            }
        }
    }
    Ok(())
}

/// The group of city `idx` in `grouping` (a combination's values joined by ` x `); `None`
/// when the city lacks one of the attributes (an unknown population is no band).
pub fn group_of(registry: &Registry, idx: usize, grouping: &str) -> Option<String> {
    let mut values = Vec::new();
    for p in grouping.split(COMBINE).map(str::trim) {
        match registry.attribute(idx, p) {
            Some(v) if v != "unknown" || p != "population_band" => values.push(v),
            _ => return None,
        }
    }
    Some(values.join(COMBINE))
}

/// Memberships `(city_id, grouping, group)` of every registry city. A city without a value
/// for an attribute (e.g. no population, no workspace attribute) is in no group of that
/// grouping.
pub fn memberships(groupings: &[String], registry: &Registry) -> Result<DataFrame> {
    let n = registry.len();
    let mut city = Vec::with_capacity(n * groupings.len());
    let mut grouping = Vec::with_capacity(n * groupings.len());
    let mut group = Vec::with_capacity(n * groupings.len());
    for g in groupings {
        for idx in 0..n {
            if let Some(v) = group_of(registry, idx, g) {
                city.push(registry.cities()[idx].city_id.as_str());
                grouping.push(g.as_str());
                group.push(v);
            }
        }
    }
    let len = city.len();
    // one group per (city, grouping): the grain of percentiles and gaps rests on it
    let mut pairs: Vec<(&str, &str)> = city.iter().copied().zip(grouping.iter().copied()).collect();
    pairs.sort_unstable();
    if let Some(w) = pairs.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::Usage(format!(
            "city {} is in two groups of grouping '{}' (duplicate city id in the registry?)",
            w[0].0, w[0].1
        )));
    }
    DataFrame::new(
        len,
        vec![
            Column::new(d::CITY_ID.into(), city),
            Column::new(d::GROUPING.into(), grouping),
            Column::new(d::GROUP.into(), group),
        ],
    )
    .map_err(|e| Error::polars("peer groups", e))
}
