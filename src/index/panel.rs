//! Multi-year builds (`citybench index --data FILE --panel`, COINr's purse): one index
//! per year of the data, each with its own screening, imputation and outlier treatment
//! (as COINr treats each coin of a purse), normalised either over all years stacked
//! (`[index] panel_normalisation = "global"`, the default, COINr's `Normalise(purse,
//! global = TRUE)`: one min and max per indicator over every unit-year, so scores are
//! comparable across years) or year by year (`"per_year"`), then aggregated and ranked
//! within each year. Every table gets a `year` column ([`stack`]).

use polars::prelude::*;

use super::data::IndexData;
use super::framework::Framework;
use super::normalise::Reference;
use super::{Built, Prepared, Spec, aggregate_all, normalise_all, prepare, stats};
use crate::config::PanelNormalisation;
use crate::error::{Error, Result};
use crate::registry::Registry;

/// One year of a panel build.
#[derive(Debug, Clone)]
pub struct YearBuild {
    pub year: i32,
    pub data: IndexData,
    pub built: Built,
}

/// Build the index of every year of `years` ((year, data of that year), ascending).
pub fn build(
    fw: &Framework,
    years: Vec<(i32, IndexData)>,
    spec: &Spec,
    registry: &Registry,
    normalisation: PanelNormalisation,
) -> Result<Vec<YearBuild>> {
    let mut preps = Vec::with_capacity(years.len());
    for (y, data) in &years {
        let p = prepare(fw, data, spec, registry).map_err(|e| match e {
            Error::Usage(m) => Error::Usage(format!("year {y}: {m}")),
            e => e,
        })?;
        preps.push(p);
    }
    let normalised: Vec<Vec<Vec<f64>>> = match normalisation {
        PanelNormalisation::PerYear => preps
            .iter()
            .map(|p| normalise_all(fw, p, spec.normalisation, spec.minmax_range))
            .collect(),
        PanelNormalisation::Global if preps.is_empty() => Vec::new(),
        PanelNormalisation::Global => {
            let plan = &preps[0].normalise;
            let by_unit = |r: Option<Reference>| matches!(r, Some(Reference::Unit(_)));
            if by_unit(plan.params.reference)
                || plan
                    .indiv
                    .iter()
                    .flatten()
                    .any(|o| by_unit(o.params.reference))
            {
                return Err(Error::Usage(
                    "index.panel_normalisation = \"global\" with dist2ref against a reference unit: the unit has a value per year, so the stacked years have no one reference; give reference_value, or panel_normalisation = \"per_year\"".into(),
                ));
            }
            let stacked = stack_prepared(&preps);
            let all = normalise_all(fw, &stacked, spec.normalisation, spec.minmax_range);
            split(all, &preps)
        }
    };
    let weights = fw.weights();
    years
        .into_iter()
        .zip(preps)
        .zip(normalised)
        .map(|(((year, data), prepared), normalised)| {
            let codes = |u: usize| data.units[prepared.units[u]].clone();
            let aggs = aggregate_all(fw, &normalised, &weights, spec.plan(), &codes).map_err(
                |e| match e {
                    Error::Usage(m) => Error::Usage(format!("year {year}: {m}")),
                    e => e,
                },
            )?;
            let mut scores = normalised;
            scores.extend(aggs);
            let ranks = scores.iter().map(|s| stats::rank_desc(s)).collect();
            Ok(YearBuild {
                year,
                data,
                built: Built {
                    prepared,
                    scores,
                    ranks,
                },
            })
        })
        .collect()
}

/// The treated indicators of every year, one after the other (the units of the first year,
/// then of the second, ...): what a global normalisation sees.
fn stack_prepared(preps: &[Prepared]) -> Prepared {
    let nind = preps.first().map(|p| p.treated.len()).unwrap_or(0);
    let col = |f: &dyn Fn(&Prepared, usize) -> Vec<f64>, i: usize| -> Vec<f64> {
        preps.iter().flat_map(|p| f(p, i)).collect()
    };
    let treated = (0..nind)
        .map(|i| col(&|p, i| p.treated[i].clone(), i))
        .collect();
    let raw = (0..nind)
        .map(|i| col(&|p, i| p.raw[i].clone(), i))
        .collect();
    let total: usize = preps.iter().map(|p| p.units.len()).sum();
    Prepared {
        units: (0..total).collect(),
        screening: Vec::new(),
        raw,
        imputed: (0..nind)
            .map(|i| preps.iter().flat_map(|p| p.imputed[i].clone()).collect())
            .collect(),
        treated,
        treatments: preps
            .first()
            .map(|p| p.treatments.clone())
            .unwrap_or_default(),
        normalise: preps
            .first()
            .map(|p| p.normalise.clone())
            .unwrap_or_default(),
        attempts: preps
            .first()
            .map(|p| p.attempts.clone())
            .unwrap_or_default(),
    }
}

/// Split stacked normalised indicators back into years.
fn split(all: Vec<Vec<f64>>, preps: &[Prepared]) -> Vec<Vec<Vec<f64>>> {
    let mut out = Vec::with_capacity(preps.len());
    let mut start = 0;
    for p in preps {
        let n = p.units.len();
        out.push(all.iter().map(|c| c[start..start + n].to_vec()).collect());
        start += n;
    }
    out
}

/// The tables of every year as one table each, with `year` as the first column, years in
/// order; a table some years lack is stacked from the years that have it.
pub fn stack(
    per_year: Vec<(i32, Vec<(&'static str, DataFrame)>)>,
) -> Result<Vec<(&'static str, DataFrame)>> {
    let mut out: Vec<(&'static str, DataFrame)> = Vec::new();
    for (year, tables) in per_year {
        for (name, mut df) in tables {
            let h = df.height();
            df.insert_column(
                0,
                Column::new(crate::schema::index::YEAR.into(), vec![year; h]),
            )
            .map_err(|e| Error::polars(name, e))?;
            match out.iter_mut().find(|(n, _)| *n == name) {
                Some((_, acc)) => {
                    acc.vstack_mut_owned(df)
                        .map_err(|e| Error::polars(name, e))?;
                }
                None => out.push((name, df)),
            }
        }
    }
    for (_, df) in &mut out {
        df.rechunk_mut();
    }
    Ok(out)
}
