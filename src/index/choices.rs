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
    let (mut fw, sha) = match file {
        Some(p) => {
            let fw = Framework::from_path(&p)?;
            let sha = crate::digest::sha256_file(&p)?.0;
            (fw, Some(sha))
        }
        None => {
            let catalog = catalog()?;
            let targets =
                Targets::load(Some(ws.root()), &catalog, registry, &config.peers.groupings)?;
            (Framework::u4ssc(&catalog, &targets)?, None)
        }
    };
    if let Some(name) = &config.index.weights {
        fw.select_weights(name).map_err(Error::Usage)?;
    }
    Ok((fw, sha))
}

/// A normalisation a sample can use: (its label in messages, the method, its z-score mean
/// and sd when an indicator sets them, the range it maps onto).
type Candidate = (String, Normalisation, Option<[f64; 2]>, [f64; 2]);

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
    // z-scores around a mean of 0 (or min-max onto a range below 0) are negative for some
    // units
    let negative = |m: Normalisation, mean_sd: Option<[f64; 2]>, range: [f64; 2]| {
        (m == Normalisation::Zscore && mean_sd.unwrap_or(spec.normalise.params.mean_sd)[0] <= 0.0)
            || (m == Normalisation::Minmax && range[0] < 0.0)
    };
    let noun = |a: Aggregation| {
        if a == Aggregation::Bod {
            "method"
        } else {
            "mean"
        }
    };
    if uncertainty > 0 {
        norms.extend(&config.index.uncertainty.normalisations);
        let u = &config.index.uncertainty;
        let p = config.index.genmean_p;
        // the methods a sample can use: the drawn ones, and the indicators' own (in every
        // sample), with the range they map onto
        let mut candidates: Vec<Candidate> = u
            .normalisations
            .iter()
            .map(|m| (m.as_str().to_string(), *m, None, u.minmax_range))
            .collect();
        candidates.extend(indicators.iter().filter_map(|n| {
            let o = own(&n.code)?;
            let m = o.method?;
            Some((
                format!("{} (index.normalise.{})", m.as_str(), n.code),
                m,
                o.zscore_mean_sd,
                o.minmax_range.unwrap_or(u.minmax_range),
            ))
        }));
        if let Some(((label, ..), a)) = candidates
            .iter()
            .flat_map(|c| u.aggregations.iter().map(move |&a| (c, a)))
            .find(|((_, m, sd, r), a)| {
                (negative(*m, *sd, *r) && a.needs_non_negative())
                    || (!m.positive(*r) && a.refuses_zero(p))
            })
        {
            return bad(format!(
                "index.uncertainty: {label} normalisation gives values of 0 or below, which the {} {} cannot take in every sample; pair it with the arithmetic mean only, or use rank or minmax with minmax_range starting above 0",
                a.as_str(),
                noun(a)
            ));
        }
    }
    if uncertainty > 0
        && let Err(m) = super::uncertainty::weight_sets(fw, &config.index.uncertainty)
    {
        return bad(m);
    }
    let levels = fw.level_names.len();
    if !spec.aggregation_by_level.is_empty() && spec.aggregation_by_level.len() != levels - 1 {
        return bad(format!(
            "index.aggregation_by_level names {} method(s), but the framework has {} aggregation level(s) (levels 2 to {levels}); name one method per level, from level 2 upwards",
            spec.aggregation_by_level.len(),
            levels - 1
        ));
    }
    if let Some(code) = spec
        .aggregation_by_aggregate
        .keys()
        .find(|c| !fw.aggregates().any(|a| fw.nodes[a].code == **c))
    {
        return bad(format!(
            "index.aggregation_by_aggregate names '{code}', which is not an aggregate of the framework; its aggregates are: {}",
            fw.aggregates()
                .take(10)
                .map(|a| fw.nodes[a].code.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let plan = spec.plan();
    let methods: Vec<(usize, Aggregation)> = fw
        .aggregates()
        .map(|a| (a, plan.method(&fw.nodes[a].code, fw.nodes[a].level)))
        .collect();
    if let Some(&(_, a)) = methods.iter().find(|(_, a)| a.needs_non_negative()) {
        if negative(spec.normalisation, None, spec.minmax_range)
            && indicators.iter().any(|n| own_method(&n.code).is_none())
        {
            return bad(format!(
                "index: {} normalisation gives negative values, which the {} {} cannot take; use minmax, percentile or rank",
                spec.normalisation.as_str(),
                a.as_str(),
                noun(a)
            ));
        }
        if let Some(n) = indicators.iter().find(|n| {
            own(&n.code).is_some_and(|o| {
                negative(
                    o.method.unwrap_or(spec.normalisation),
                    o.zscore_mean_sd,
                    o.minmax_range.unwrap_or(spec.minmax_range),
                )
            })
        }) {
            return bad(format!(
                "index.normalise.{}: zscore normalisation gives negative values, which the {} {} cannot take; use another method or a zscore_mean_sd with a mean above 0 (e.g. [10.0, 2.0])",
                n.code,
                a.as_str(),
                noun(a)
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
    // the first method in use (the run's, or an indicator's own) that can give 0, before
    // a method that refuses zeros: the run stops at the first unit scoring 0
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
    if let Some(m) = zero
        && let Some(&(_, a)) = methods
            .iter()
            .find(|(_, a)| a.refuses_zero(config.index.genmean_p))
    {
        note(&format!(
            "note: {} aggregation after {} normalisation: a unit scoring 0 on a child stops the run, as COINr refuses zeros; its users map min-max onto [1, 100] (set [index] minmax_range = [1.0, 100.0])",
            a.as_str(),
            m.as_str()
        ));
    }
    let bods: Vec<usize> = methods
        .iter()
        .filter(|(_, a)| *a == Aggregation::Bod)
        .map(|(k, _)| *k)
        .collect();
    if let Some(&first) = bods.first() {
        note(&format!(
            "note: bod aggregation of '{}'{}: each unit's children are weighted by the unit's own most favourable weights (Compind's ci_bod); the framework's weights of these children take no part (a weight of 0 leaves a child out)",
            fw.nodes[first].code,
            match bods.len() {
                1 => String::new(),
                n => format!(" and {} more aggregate(s)", n - 1),
            }
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
