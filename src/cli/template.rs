//! `citybench template [--city ID] [--year Y] --out FILE.xlsx`: the Excel data collection
//! template (layout in [`crate::template`]); `citybench ingest FILE.xlsx` reads it back.

use std::collections::HashMap;
use std::path::PathBuf;

use polars::prelude::*;

use super::{GlobalArgs, Outcome};
use crate::error::{Error, Result};
use crate::ingest::current_year;
use crate::registry::Registry;
use crate::schema::{derived as d, raw as r};
use crate::store::{Workspace, atomic_write};
use crate::template::{self, Prefill, Spec};

/// Write the Excel template a city fills in: one row per data point with its definition and
/// canonical unit, drop-downs for units and data quality, the city's earlier values
/// pre-filled.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  citybench template --out blank.xlsx\n  citybench -w ws template --city 2660646 --year 2025 --out geneva-2025.xlsx\n  citybench -w ws ingest geneva-2025.xlsx\n\nWith --city and a workspace that has the city's earlier submissions, each data point's\nlatest value (up to --year) is pre-filled as the city reported it. Rows left unchanged\nre-submit the same observation; empty rows are skipped on ingest."
)]
pub struct Args {
    /// City the template is for (pre-fills city_id and the city's earlier values): an id,
    /// or a name unique in the registry.
    #[arg(long, value_name = "CITY")]
    pub city: Option<String>,
    /// Reporting year pre-filled on rows without earlier data; earlier values are taken up
    /// to this year.
    #[arg(long)]
    pub year: Option<i32>,
    /// The workbook to write (.xlsx).
    #[arg(long, short = 'o', value_name = "FILE.xlsx")]
    pub out: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
}

/// What `template` wrote.
#[derive(Debug, Clone)]
pub struct Written {
    pub counts: template::Written,
    /// (city id, name) when the template is for a city.
    pub city: Option<(String, String)>,
    pub catalog_version: String,
    pub catalog_fingerprint: String,
    /// Whether a workspace was read for earlier values.
    pub workspace: bool,
}

/// Run `template`.
pub fn run(args: &Args, global: &GlobalArgs) -> Result<Outcome> {
    let w = execute(args, global)?;
    let whom = match &w.city {
        Some((id, name)) => format!(" for {name} ({id})"),
        None => String::new(),
    };
    println!(
        "{}: template{whom}, {} data points ({} pre-filled with earlier values), catalogue {} ({})",
        args.out.display(),
        w.counts.data_points,
        w.counts.prefilled,
        w.catalog_version,
        w.catalog_fingerprint
    );
    if w.city.is_some() && !w.workspace {
        eprintln!(
            "note: {} is not a workspace, so no earlier values were pre-filled (-w DIR names one)",
            global.workspace().display()
        );
    }
    Ok(Outcome::Ok)
}

/// Write the template; no output.
pub fn execute(args: &Args, global: &GlobalArgs) -> Result<Written> {
    if !args
        .out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
    {
        return Err(Error::Usage(format!(
            "--out {}: the template is an Excel workbook; name it .xlsx",
            args.out.display()
        )));
    }
    // a filled workbook there holds what a city officer typed
    crate::store::refuse_existing(&args.out, args.force)?;
    let (units, catalog) = global.load_catalog()?;
    let ws = Workspace::open(global.workspace()).ok();
    let (registry, year_min) = match &ws {
        Some(ws) => (
            Registry::for_workspace(ws.root())?,
            ws.config()?.validation.year_min,
        ),
        None => (Registry::embedded()?, 1990),
    };
    let year_max = current_year() + 1;
    if let Some(y) = args.year
        && !(year_min..=year_max).contains(&y)
    {
        return Err(Error::Usage(format!(
            "--year {y} is outside the accepted years {year_min}..{year_max}"
        )));
    }
    let city = match &args.city {
        Some(arg) => {
            let id = registry.resolve_city(arg)?;
            let c = registry
                .get(&id)
                .ok_or_else(|| registry.unknown_city(arg))?;
            Some((c.city_id.clone(), c.name.clone()))
        }
        None => None,
    };
    let prefill = match (&ws, &city) {
        (Some(ws), Some((id, _))) if !ws.manifest()?.batches.is_empty() => {
            earlier_values(ws, id, args.year)?
        }
        _ => HashMap::new(),
    };
    let spec = Spec {
        catalog: &catalog,
        units: &units,
        city,
        year: args.year,
        year_range: (year_min, year_max),
        prefill,
    };
    let (bytes, written) = template::write(&spec)
        .map_err(|e| Error::input(&args.out, format!("cannot write the workbook: {e}")))?;
    atomic_write(&args.out, &bytes)?;
    Ok(Written {
        counts: written,
        city: spec.city.clone(),
        catalog_version: catalog.version(),
        catalog_fingerprint: catalog.fingerprint(),
        workspace: ws.is_some(),
    })
}

/// The city's latest observation of each data point (up to `year`), as it reported it; a
/// later batch wins within a year.
fn earlier_values(
    ws: &Workspace,
    city: &str,
    year: Option<i32>,
) -> Result<HashMap<String, Prefill>> {
    let pe = |e: PolarsError| Error::polars(ws.root(), e);
    let (raw, _) = crate::pipeline::scan_raw(ws)?;
    let mut lf = raw.filter(
        col(r::CITY_ID)
            .cast(DataType::String)
            .eq(lit(city.to_string())),
    );
    if let Some(y) = year {
        lf = lf.filter(col(r::YEAR).lt_eq(lit(y)));
    }
    let text = [
        r::DATA_POINT_ID,
        r::VALUE_REPORTED,
        r::UNIT_REPORTED,
        r::SOURCE,
        r::QUALITY,
        r::DENOMINATOR,
        r::NOTES,
    ];
    let mut cols: Vec<Expr> = text
        .iter()
        .map(|c| col(*c).cast(DataType::String))
        .collect();
    cols.extend([
        col(r::YEAR),
        col(r::VERIFIED),
        col(r::CONFIDENTIAL),
        col(d::BATCH_SEQ),
        col(r::SOURCE_LINE),
    ]);
    let df = lf
        .select(cols)
        .sort(
            [r::DATA_POINT_ID, r::YEAR, d::BATCH_SEQ, r::SOURCE_LINE],
            SortMultipleOptions::default().with_order_descending_multi([false, true, true, true]),
        )
        .group_by_stable([col(r::DATA_POINT_ID)])
        .agg([all().exclude_cols([r::DATA_POINT_ID]).as_expr().first()])
        .collect()
        .map_err(pe)?;
    let s = |n: &str| -> Result<StringChunked> {
        Ok(df.column(n).map_err(pe)?.str().map_err(pe)?.clone())
    };
    let b = |n: &str| -> Result<BooleanChunked> {
        Ok(df.column(n).map_err(pe)?.bool().map_err(pe)?.clone())
    };
    let (dp, value, unit, source, quality, den, notes) = (
        s(r::DATA_POINT_ID)?,
        s(r::VALUE_REPORTED)?,
        s(r::UNIT_REPORTED)?,
        s(r::SOURCE)?,
        s(r::QUALITY)?,
        s(r::DENOMINATOR)?,
        s(r::NOTES)?,
    );
    let years = df
        .column(r::YEAR)
        .map_err(pe)?
        .cast(&DataType::Int32)
        .map_err(pe)?
        .i32()
        .map_err(pe)?
        .clone();
    let (verified, confidential) = (b(r::VERIFIED)?, b(r::CONFIDENTIAL)?);
    let mut out = HashMap::new();
    for i in 0..df.height() {
        let (Some(id), Some(y)) = (dp.get(i), years.get(i)) else {
            continue;
        };
        let t = |c: &StringChunked| c.get(i).unwrap_or("").to_string();
        out.insert(
            id.to_string(),
            Prefill {
                year: y,
                value: t(&value),
                unit: t(&unit),
                source: t(&source),
                quality: t(&quality),
                verified: verified.get(i).unwrap_or(false),
                confidential: confidential.get(i).unwrap_or(false),
                denominator: t(&den),
                notes: t(&notes),
            },
        );
    }
    Ok(out)
}
