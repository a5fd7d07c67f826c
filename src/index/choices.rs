//! The framework of a run ([`load_framework`]) and the choices that cannot work with it,
//! refused before any work ([`check_choices`]).

use std::path::Path;

use super::Spec;
use super::framework::Framework;
use crate::catalog::Catalog;
use crate::config::{Aggregation, Config, Normalisation};
use crate::error::{Error, Result};
use crate::pipeline::targets::Targets;
use crate::registry::Registry;
use crate::store::Workspace;

/// The framework of the configuration or of `framework` (`--framework`), with its file's
/// digest (`None` for the U4SSC hierarchy, built from the catalogue `catalog` loads and the
/// workspace's targets).
pub fn load_framework(
    framework: Option<&Path>,
    catalog: impl FnOnce() -> Result<Catalog>,
    ws: &Workspace,
    registry: &Registry,
    config: &Config,
) -> Result<(Framework, Option<String>)> {
    let file = match (framework, config.index.framework.as_str()) {
        (Some(p), _) => Some(p.to_path_buf()),
        (None, "u4ssc") => None,
        (None, p) => Some(ws.root().join(p)),
    };
    match file {
        Some(p) => {
            let fw = Framework::from_path(&p)?;
            let sha = crate::digest::sha256_file(&p)?.0;
            Ok((fw, Some(sha)))
        }
        None => {
            let catalog = catalog()?;
            let targets =
                Targets::load(Some(ws.root()), &catalog, registry, &config.peers.groupings)?;
            Ok((Framework::u4ssc(&catalog, &targets)?, None))
        }
    }
}

/// Choices that cannot work with this framework, refused before any work; `uncertainty`
/// is the number of Monte Carlo samples (0: none). A choice that works but may surprise
/// is handed to `note` (the command prints it), in its place among the checks.
pub fn check_choices(
    fw: &Framework,
    spec: &Spec,
    uncertainty: usize,
    config: &Config,
    cfg_path: &Path,
    mut note: impl FnMut(&str),
) -> Result<()> {
    let bad = |m: String| {
        Err(Error::Config {
            path: cfg_path.to_path_buf(),
            message: m,
        })
    };
    let indicators = &fw.nodes[..fw.indicators];
    // [index.normalise.<code>] names indicators of the framework
    if let Some(code) = spec
        .normalise
        .indiv
        .keys()
        .find(|c| !indicators.iter().any(|n| &n.code == *c))
    {
        return bad(format!(
            "index.normalise.{code}: '{code}' is not an indicator of the framework {}; its indicators are: {}{}",
            fw.origin,
            indicators
                .iter()
                .take(5)
                .map(|n| n.code.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            if fw.indicators > 5 { ", ..." } else { "" }
        ));
    }
    let own = |code: &str| spec.normalise.indiv.get(code);
    let own_method = |code: &str| own(code).and_then(|o| o.method);
    let mut norms = vec![spec.normalisation];
    if uncertainty > 0 {
        norms.extend(&config.index.uncertainty.normalisations);
        let u = &config.index.uncertainty;
        let drawn = u
            .normalisations
            .iter()
            .find(|n| !n.positive(u.minmax_range))
            .map(|m| m.as_str().to_string());
        // an indicator's own method is in every sample
        let fixed = indicators.iter().find_map(|n| {
            let o = own(&n.code)?;
            let m = o.method?;
            (!m.positive(o.minmax_range.unwrap_or(u.minmax_range)))
                .then(|| format!("{} (index.normalise.{})", m.as_str(), n.code))
        });
        if let Some(m) = drawn.or(fixed)
            && let Some(a) = u
                .aggregations
                .iter()
                .find(|a| **a != Aggregation::Arithmetic)
        {
            return bad(format!(
                "index.uncertainty: {} normalisation gives values of 0 or below, which the {} mean cannot take in every sample; pair it with the arithmetic mean only, or use rank or minmax with minmax_range starting above 0",
                m,
                a.as_str()
            ));
        }
    }
    // z-scores around a mean of 0 are negative for half the units
    let negative = |m: Normalisation, mean_sd: Option<[f64; 2]>| {
        m == Normalisation::Zscore && mean_sd.unwrap_or(spec.normalise.params.mean_sd)[0] <= 0.0
    };
    if spec.aggregation != Aggregation::Arithmetic {
        if negative(spec.normalisation, None)
            && indicators.iter().any(|n| own_method(&n.code).is_none())
        {
            return bad(format!(
                "index: zscore normalisation gives negative values, which the {} mean cannot take; use minmax, percentile or rank",
                spec.aggregation.as_str()
            ));
        }
        if let Some(n) = indicators.iter().find(|n| {
            own(&n.code)
                .is_some_and(|o| negative(o.method.unwrap_or(spec.normalisation), o.zscore_mean_sd))
        }) {
            return bad(format!(
                "index.normalise.{}: zscore normalisation gives negative values, which the {} mean cannot take; use another method or a zscore_mean_sd with a mean above 0 (e.g. [10.0, 2.0])",
                n.code,
                spec.aggregation.as_str()
            ));
        }
    }
    for m in norms {
        let lacking: Vec<&str> = indicators
            .iter()
            .filter(|n| match own_method(&n.code).unwrap_or(m) {
                Normalisation::Goalposts => n.worst.is_none() || n.target.is_none(),
                Normalisation::Target => n.target.is_none(),
                _ => false,
            })
            .map(|n| n.code.as_str())
            .collect();
        if !lacking.is_empty() {
            let m = own_method(lacking[0]).unwrap_or(m);
            return bad(format!(
                "index: {} normalisation needs {} for every indicator; {} of {} have none (first: {}); give them in targets.csv or the framework's Worst/Target columns, or choose another normalisation",
                m.as_str(),
                if m == Normalisation::Goalposts {
                    "a worst value and a target"
                } else {
                    "a target"
                },
                lacking.len(),
                fw.indicators,
                lacking
                    .iter()
                    .take(3)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    // the first method in use (the run's, or an indicator's own) that can give 0
    let zero = indicators
        .iter()
        .map(|n| match own(&n.code) {
            None => (spec.normalisation, spec.minmax_range),
            Some(o) => (
                o.method.unwrap_or(spec.normalisation),
                o.minmax_range.unwrap_or(spec.minmax_range),
            ),
        })
        .find(|(m, r)| !m.positive(*r))
        .map(|(m, _)| m);
    if spec.aggregation != Aggregation::Arithmetic
        && let Some(m) = zero
    {
        note(&format!(
            "note: {} aggregation after {} normalisation: a unit scoring 0 on a child scores 0 on the parent; COINr refuses zeros, and its users map min-max onto [1, 100] (set [index] minmax_range = [1.0, 100.0])",
            spec.aggregation.as_str(),
            m.as_str()
        ));
    }
    if let Some(code) = spec
        .treat
        .keys()
        .find(|c| !fw.nodes[..fw.indicators].iter().any(|n| &n.code == *c))
    {
        let known: Vec<&str> = fw.nodes[..fw.indicators]
            .iter()
            .take(5)
            .map(|n| n.code.as_str())
            .collect();
        return bad(format!(
            "index.treat.{code}: the framework has no indicator '{code}'; name one of its {} indicators (first: {})",
            fw.indicators,
            known.join(", ")
        ));
    }
    if spec.denominate && fw.nodes.iter().all(|n| n.denominator.is_none()) {
        return bad(
            "index.denominate = true, but the framework names no Denominator for any indicator"
                .into(),
        );
    }
    Ok(())
}
