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
    let mut norms = vec![spec.normalisation];
    if uncertainty > 0 {
        norms.extend(&config.index.uncertainty.normalisations);
        let u = &config.index.uncertainty;
        let p = config.index.genmean_p;
        let clash = |m: Normalisation, a: Aggregation| {
            let negative = m == Normalisation::Zscore
                || (m == Normalisation::Minmax && u.minmax_range[0] < 0.0);
            (negative && a.needs_non_negative())
                || (!m.positive(u.minmax_range) && a.refuses_zero(p))
        };
        if let Some((m, a)) = u
            .normalisations
            .iter()
            .flat_map(|&m| u.aggregations.iter().map(move |&a| (m, a)))
            .find(|&(m, a)| clash(m, a))
        {
            return bad(format!(
                "index.uncertainty: {} normalisation gives values of 0 or below, which the {} {} cannot take in every sample; pair it with the arithmetic mean only, or use rank or minmax with minmax_range starting above 0",
                m.as_str(),
                a.as_str(),
                if a == Aggregation::Bod {
                    "method"
                } else {
                    "mean"
                }
            ));
        }
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
    if spec.normalisation == Normalisation::Zscore
        && let Some(&(_, a)) = methods.iter().find(|(_, a)| a.needs_non_negative())
    {
        return bad(format!(
            "index: zscore normalisation gives negative values, which the {} {} cannot take; use minmax, percentile or rank",
            a.as_str(),
            if a == Aggregation::Bod {
                "method"
            } else {
                "mean"
            }
        ));
    }
    for m in norms {
        let lacking: Vec<&str> = fw.nodes[..fw.indicators]
            .iter()
            .filter(|n| match m {
                Normalisation::Goalposts => n.worst.is_none() || n.target.is_none(),
                Normalisation::Target => n.target.is_none(),
                _ => false,
            })
            .map(|n| n.code.as_str())
            .collect();
        if !lacking.is_empty() {
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
    if spec.denominate && fw.nodes.iter().all(|n| n.denominator.is_none()) {
        return bad(
            "index.denominate = true, but the framework names no Denominator for any indicator"
                .into(),
        );
    }
    Ok(())
}
