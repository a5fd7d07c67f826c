//! The benchmarking pipeline: raw batches -> `derived/*.parquet`.
//!
//! ```text
//!  raw batches ─normalise─▶ observations ─align(Y, lookback)─▶ aligned
//!                              │                                 │
//!                              │            targets (default < group < city)
//!                              │                                 ▼
//!                              │                           attainment ─▶ rollups
//!                              │                                 │
//!                              │              memberships ─▶ peers (stats, percentiles) ─▶ gaps
//!                              │                                 │
//!                              │  workspace matrix, else attainment bands ─▶ maturity levels ─▶ per dimension
//!                              └──fit(years <= Y)──▶ trends (uses the resolved targets)
//! ```
//!
//! The maturity levels come from [`crate::maturity`] (the matrix and the level stages);
//! self-assessments (`assessments.parquet`) are checked there
//! ([`crate::maturity::assessments::checks`]) and written beside them. The verification
//! flags ([`crate::verify`]) are computed by `citybench verify`, not by `run`.
//!
//! Each stage is one pure `LazyFrame -> LazyFrame` function in its own file; this module is
//! the only place that orders them, collects, sorts and writes. Outputs are sorted by
//! their keys so that the same inputs and configuration give byte-identical files.

pub mod align;
pub mod attainment;
pub mod gaps;
pub mod groups;
pub mod keys;
pub mod normalise;
pub mod order;
pub mod peers;
pub mod raw;
pub mod rollups;
pub mod targets;
pub mod trends;

use std::path::Path;
use std::time::{Duration, Instant};

use polars::prelude::*;
use serde::Serialize;

use crate::catalog::Catalog;
use crate::config::{AttainmentMethod, Config};
use crate::error::{Error, IoContext, Result};
use crate::ingest::raw_writer::{ColumnEncoding, RawWriter, RowGroup};
use crate::maturity::{levels as maturity, matrix};
use crate::registry::Registry;
use crate::schema::derived as d;
use crate::store::Workspace;
use keys::Keys;
use targets::Targets;

/// What a run needs besides the raw rows.
pub struct Inputs<'a> {
    pub catalog: &'a Catalog,
    pub registry: &'a Registry,
    pub config: &'a Config,
    pub targets: &'a Targets,
    /// The Y.4904 performance matrix.
    pub matrix: &'a matrix::Matrix,
    /// The self-assessments with their staircase checks ([`crate::maturity::assessments::checked_frame`]).
    pub assessments: DataFrame,
    /// The encoding of city and data point ids ([`Keys::for_inputs`]).
    pub keys: &'a Keys,
    /// The "not reported" / "not verified" statements of every batch ([`load_statements`]).
    pub statements: DataFrame,
}

/// What a run computed: the analysis window, rows per table, time per stage.
pub struct Outputs {
    pub year: i32,
    pub lookback: u32,
    pub rows: Vec<(&'static str, u64)>,
    pub timings: Vec<(&'static str, Duration)>,
}

fn pe(e: PolarsError) -> Error {
    Error::polars("pipeline", e)
}

/// The catalogue as a frame: data point, KPI, hierarchy, unit, direction, tier, and its
/// position in the catalogue (reports list data points in this order).
pub fn catalog_frame(catalog: &Catalog) -> Result<DataFrame> {
    let dps = catalog.data_points();
    let s = |f: &dyn Fn(&crate::catalog::DataPoint) -> String, name: &str| {
        Column::new(name.into(), dps.iter().map(f).collect::<Vec<_>>())
    };
    DataFrame::new(
        dps.len(),
        vec![
            s(&|p| p.data_point_id.clone(), d::DATA_POINT_ID),
            s(&|p| p.kpi_id.clone(), "kpi_id"),
            s(&|p| p.full_name(), "name"),
            s(&|p| p.dimension.clone(), d::DIMENSION),
            s(&|p| p.sub_dimension.clone(), d::SUB_DIMENSION),
            s(&|p| p.category.clone(), d::CATEGORY),
            s(&|p| p.tier.clone(), "tier"),
            s(&|p| p.canonical_unit.clone(), d::UNIT),
            s(&|p| p.direction.as_str().to_string(), d::DIRECTION),
            Column::new(
                d::POSITION.into(),
                (1..=dps.len() as u32).collect::<Vec<_>>(),
            ),
        ],
    )
    .map_err(pe)
}

/// The registry cities as a frame (with the population band).
pub fn cities_frame(registry: &Registry) -> Result<DataFrame> {
    let cs = registry.cities();
    let s = |f: &dyn Fn(&crate::registry::City) -> String, name: &str| {
        Column::new(name.into(), cs.iter().map(f).collect::<Vec<_>>())
    };
    DataFrame::new(
        cs.len(),
        vec![
            s(&|c| c.city_id.clone(), d::CITY_ID),
            s(&|c| c.name.clone(), "name"),
            s(&|c| c.country_iso2.clone(), "country_iso2"),
            s(&|c| c.country_iso3.clone(), "country_iso3"),
            s(&|c| c.continent.clone(), "continent"),
            s(&|c| c.un_region.clone(), "un_region"),
            s(&|c| c.economy.clone(), "economy"),
            Column::new(
                "population".into(),
                cs.iter().map(|c| c.population).collect::<Vec<_>>(),
            ),
            s(
                &|c| crate::registry::population_band(c.population).to_string(),
                "population_band",
            ),
        ],
    )
    .map_err(pe)
}

/// Normalised observations sorted by (city, data point, year), the latest batch winning
/// for a repeated key, with [`d::SERIES`] flagged as sorted: each city's time series of one
/// data point is a run of consecutive rows, which `align` and `trends` aggregate without
/// hashing.
pub fn observations(raw: LazyFrame, keys: &Keys) -> Result<DataFrame> {
    // in memory: the raw batches are read with the ids encoded already
    // ([`raw::read_keyed`]; `run` and `verify` read them in this order at once,
    // [`raw::read_observations`]), so this is a projection of a frame in memory (the streaming
    // engine took as long and peaked higher: 3.01-3.06 GB against 2.85-2.91 GB at 13 000
    // cities). Over a scan of text ids ([`scan_raw`]) every string is in memory at once.
    let df = normalise::normalise(raw, keys).collect().map_err(pe)?;
    order::order_observations(df, keys.data_points())
}

/// Where computed tables go (a writer, or a collector in tests).
pub type Sink<'a> = dyn FnMut(&'static str, DataFrame) -> Result<()> + 'a;

/// Hand a table to the sink: small tables are sorted by their keys (skipped when already
/// in key order); large ones are written in the order their stage produced, without paying
/// for a sort of millions of rows. Their order is deterministic: at 5 000 and 13 000 cities
/// two runs of the same inputs write byte-identical files (`percentiles` and `gaps` did
/// not, until the grid of attainment stopped using Polars' `cross_join`, whose row order
/// varied: [`attainment::grid`]).
fn emit(sink: &mut Sink<'_>, name: &'static str, df: DataFrame) -> Result<u64> {
    const SORT_BELOW: usize = 1_000_000;
    let rows = df.height() as u64;
    let df = if df.height() < SORT_BELOW {
        let keys = d::TABLES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, k)| *k)
            .expect("every table has keys");
        if in_key_order(&df, keys).map_err(pe)? {
            df
        } else {
            // the encoded keys by their codes, which are in the ids' lexical order
            // (keys.rs): a Categorical sorts by comparing its strings, five times slower
            let by: Vec<Expr> = keys
                .iter()
                .map(|k| {
                    if is_encoded(&df, k) {
                        col(*k).to_physical()
                    } else {
                        col(*k)
                    }
                })
                .collect();
            df.lazy()
                .sort_by_exprs(by, SortMultipleOptions::default().with_multithreaded(true))
                .collect()
                .map_err(pe)?
        }
    } else {
        df
    };
    sink(name, df)?;
    Ok(rows)
}

/// [`emit`] a roll-up table that its stage put in key order already.
fn emit_in_order(sink: &mut Sink<'_>, name: &'static str, df: DataFrame) -> Result<u64> {
    let rows = df.height() as u64;
    sink(name, df)?;
    Ok(rows)
}

/// `key` of `df` is an id encoded by [`keys`] (a Categorical whose codes are in the ids'
/// lexical order).
fn is_encoded(df: &DataFrame, key: &str) -> bool {
    [d::CITY_ID, d::DATA_POINT_ID, d::GROUPING, d::GROUP].contains(&key)
        && df
            .column(key)
            .is_ok_and(|c| matches!(c.dtype(), DataType::Categorical(..)))
}

/// `df` is already in the order a sort by `keys` gives: every key an encoded id or an
/// Int32 without nulls, and each row's key tuple no greater than the next (one pass over
/// the codes instead of a sort; most tables come out of their stage in key order). False
/// when a key is of another type or has nulls: then the caller sorts.
fn in_key_order(df: &DataFrame, keys: &[&str]) -> PolarsResult<bool> {
    let mut codes: Vec<Vec<i64>> = Vec::with_capacity(keys.len());
    for k in keys {
        let c = df.column(k)?;
        if c.null_count() > 0 {
            return Ok(false);
        }
        let v: Vec<i64> = if is_encoded(df, k) {
            let p = c.to_physical_repr();
            p.u32()?.into_no_null_iter().map(i64::from).collect()
        } else if c.dtype() == &DataType::Int32 {
            c.i32()?.into_no_null_iter().map(i64::from).collect()
        } else {
            return Ok(false);
        };
        codes.push(v);
    }
    let row = |i: usize| codes.iter().map(move |c| c[i]);
    Ok((1..df.height()).all(|i| row(i - 1).le(row(i))))
}

/// Run every stage on `raw` (all batches, with BATCH_SEQ) and hand each table to `sink`
/// as soon as it is computed (so large tables do not wait in memory). `year`/`lookback`
/// override the configuration.
pub fn compute(
    raw: LazyFrame,
    inputs: &Inputs<'_>,
    year: Option<i32>,
    lookback: Option<u32>,
    sink: &mut Sink<'_>,
) -> Result<Outputs> {
    let clock = Instant::now();
    let observations = observations(raw, inputs.keys)?;
    let normalised = clock.elapsed();
    let mut out = compute_observed(observations, inputs, year, lookback, sink)?;
    out.timings.insert(0, ("normalise", normalised));
    Ok(out)
}

/// [`compute`] from the [`observations`] (as [`raw::read_observations`] reads them).
pub fn compute_observed(
    observations: DataFrame,
    inputs: &Inputs<'_>,
    year: Option<i32>,
    lookback: Option<u32>,
    sink: &mut Sink<'_>,
) -> Result<Outputs> {
    let cfg = inputs.config;
    let lookback = lookback.unwrap_or(cfg.analysis.lookback);
    let mut run = Progress::new(sink);

    let year = analysis_year(&observations, year.or(cfg.analysis.year))?;
    // to the writers at once (the frame is shared, not copied): the largest table then
    // encodes while the stages run. Handed over after `trends`, as it was until issue
    // 21's sixth pass, the writers were behind at the end: at 13 000 cities `run` waited
    // 1.75 s for the last files, now 0.5 s.
    run.emit("observations", observations.drop(d::SERIES).map_err(pe)?)?;
    let aligned = align_window(&observations, year, lookback)?;
    run.lap("align");
    let catalog = inputs.keys.encode_frame(catalog_frame(inputs.catalog)?)?;
    let (attained, memberships) = attain(inputs, &catalog, &aligned, year, lookback)?;
    run.lap("attainment");
    let trend = trend(&observations, &attained, year, cfg)?;
    run.lap("trends");
    drop(observations);
    run.emit("trends", trend)?;
    run.emit("catalog", catalog.clone())?;
    run.emit("cities", cities_frame(inputs.registry)?)?;
    run.lap("output");

    let (levels, dimensions, dimensions_published) = mature(inputs, &catalog, &attained, year)?;
    run.lap("maturity");
    run.emit("maturity_levels", levels)?;
    run.emit("maturity_dimensions", dimensions)?;
    run.emit("maturity_dimensions_published", dimensions_published)?;
    run.emit("assessments", inputs.assessments.clone())?;
    run.lap("output");

    let (rolled, rolled_published) = rollups::both(&attained, year).map_err(pe)?;
    run.lap("rollups");
    // already in key order (rollups::both builds or sorts them so)
    run.emit_in_order("rollups", rolled)?;
    run.emit_in_order("rollups_published", rolled_published)?;
    let scored = scored(&attained)?;
    run.emit("aligned", aligned)?;
    run.emit("attainment", attained)?;
    run.lap("output");

    // materialised once: peer statistics, percentiles and gaps each read it (as a lazy
    // join it was computed three times, 7 M rows at 13 000 cities)
    let grouped = peers::in_groups(scored.lazy(), memberships.lazy())
        .collect()
        .map_err(pe)?;
    let (stats, pct, stats_row) =
        peers::stats_and_percentiles(&grouped, cfg.peers.k, year).map_err(pe)?;
    run.lap("peers");
    run.emit("percentiles", pct)?;
    run.lap("output");
    let gap = gaps::gaps_by_group(&grouped, &stats, &stats_row)
        .and_then(LazyFrame::collect)
        .map_err(pe)?;
    run.lap("gaps");
    run.emit("peer_stats", stats)?;
    run.emit("gaps", gap)?;
    run.lap("output");
    Ok(run.finish(year, lookback))
}

/// The bookkeeping of [`compute`]: the time of each stage (one entry per name, summed)
/// and the rows of each table handed to the sink.
struct Progress<'s, 'a> {
    sink: &'s mut Sink<'a>,
    rows: Vec<(&'static str, u64)>,
    timings: Vec<(&'static str, Duration)>,
    clock: Instant,
}

impl<'s, 'a> Progress<'s, 'a> {
    fn new(sink: &'s mut Sink<'a>) -> Self {
        Progress {
            sink,
            rows: Vec::new(),
            timings: Vec::new(),
            clock: Instant::now(),
        }
    }

    /// The time since the last lap goes to stage `name`.
    fn lap(&mut self, name: &'static str) {
        self.timings.push((name, self.clock.elapsed()));
        self.clock = Instant::now();
    }

    /// [`emit`] a table.
    fn emit(&mut self, name: &'static str, df: DataFrame) -> Result<()> {
        let n = emit(self.sink, name, df)?;
        self.rows.push((name, n));
        Ok(())
    }

    /// [`emit_in_order`] a table its stage put in key order.
    fn emit_in_order(&mut self, name: &'static str, df: DataFrame) -> Result<()> {
        let n = emit_in_order(self.sink, name, df)?;
        self.rows.push((name, n));
        Ok(())
    }

    fn finish(self, year: i32, lookback: u32) -> Outputs {
        // one entry per stage name, summed
        let mut merged: Vec<(&'static str, Duration)> = Vec::new();
        for (n, t) in self.timings {
            match merged.iter_mut().find(|(m, _)| *m == n) {
                Some((_, acc)) => *acc += t,
                None => merged.push((n, t)),
            }
        }
        Outputs {
            year,
            lookback,
            rows: self.rows,
            timings: merged,
        }
    }
}

/// The analysis year: `year` when given, else the latest year observed. An error when
/// there is no observation.
fn analysis_year(observations: &DataFrame, year: Option<i32>) -> Result<i32> {
    if observations.height() == 0 {
        return Err(Error::Usage(
            "the workspace has no observations; ingest a submission file first (citybench ingest FILE)"
                .into(),
        ));
    }
    Ok(match year {
        Some(y) => y,
        None => observations
            .column(d::YEAR)
            .map_err(pe)?
            .i32()
            .map_err(pe)?
            .max()
            .expect("non-empty"),
    })
}

/// Stage `align`: each city's latest value per data point in `year - lookback..=year`. An
/// error when no observation falls in the window.
fn align_window(observations: &DataFrame, year: i32, lookback: u32) -> Result<DataFrame> {
    let aligned = align::align(observations.clone().lazy(), year, lookback)
        .collect()
        .map_err(pe)?;
    if aligned.height() == 0 {
        return Err(Error::Usage(format!(
            "no observation falls in the analysis window {}..{year}; choose another --year or a longer --lookback",
            year - lookback as i32
        )));
    }
    Ok(aligned)
}

/// Stage `attainment`: every (city, data point) of the aligned cities against its
/// resolved reference (targets: default < group < city; else the run's benchmark), with
/// the target gaps and the statements of the window; and the peer-group memberships
/// (encoded) the peers stage reuses.
fn attain(
    inputs: &Inputs<'_>,
    catalog: &DataFrame,
    aligned: &DataFrame,
    year: i32,
    lookback: u32,
) -> Result<(DataFrame, DataFrame)> {
    let (cfg, keys) = (inputs.config, inputs.keys);
    let memberships = groups::memberships(&cfg.peers.groupings, inputs.registry)?;
    let group_targets = inputs.targets.group_frame()?;
    let group_keys = keys::GroupKeys::new(&[&memberships, &group_targets])?;
    let memberships = keys.encode_frame(group_keys.encode_frame(memberships)?)?;
    // the aligned cities (in code order) each with the data points in code order: the
    // attainment table then comes out in its key order, and `emit` need not sort it
    let grid = attainment::grid(
        aligned
            .clone()
            .lazy()
            .select([col(d::CITY_ID)])
            .unique_stable(None, UniqueKeepStrategy::First),
        catalog
            .clone()
            .lazy()
            .sort_by_exprs([col(d::DATA_POINT_ID).to_physical()], Default::default()),
    );
    let targets = attainment::TargetFrames {
        defaults: keys.encode_frame(inputs.targets.defaults_frame()?)?.lazy(),
        city: keys.encode_frame(inputs.targets.city_frame()?)?.lazy(),
        group: keys
            .encode_frame(group_keys.encode_frame(group_targets)?)?
            .lazy(),
    };
    let attained = attainment::against_references(
        grid,
        memberships.clone().lazy(),
        targets,
        aligned.clone().lazy(),
        aligned.clone().lazy(),
        catalog.clone().lazy(),
        cfg,
        year,
    )
    .map_err(pe)?
    .select([
        lit(year).alias(d::ANALYSIS_YEAR),
        col(d::CITY_ID),
        col(d::DATA_POINT_ID),
        col(d::DIMENSION),
        col(d::SUB_DIMENSION),
        col(d::CATEGORY),
        col(d::DIRECTION),
        col(d::VALUE),
        col(d::SOURCE_YEAR),
        col(d::QUALITY),
        col(d::CONFIDENTIAL),
        col(d::TARGET),
        col(d::WORST),
        col(d::TOLERANCE),
        col(d::TARGET_YEAR),
        col(d::TARGET_SOURCE),
        col(d::TARGET_SCOPE),
        col(d::REFERENCE_KIND),
        col(d::BENCHMARK_N),
        col(d::METHOD),
        col(d::ATTAINMENT),
        col(d::POINTS),
        col(d::STATE),
    ])
    .with_columns(gaps::target_gap_exprs())
    .collect()
    .map_err(pe)?;
    let attained = align::with_statements(
        attained.lazy(),
        align::stated(inputs.statements.clone().lazy(), year, lookback),
    )
    .collect()
    .map_err(pe)?;
    Ok((attained, memberships))
}

/// Stage `trends`: each (city, data point) series fitted over the years up to `year` and
/// placed against its resolved target.
fn trend(
    observations: &DataFrame,
    attained: &DataFrame,
    year: i32,
    cfg: &Config,
) -> Result<DataFrame> {
    let bounded = cfg.attainment.method == AttainmentMethod::Bounded;
    let max_df = observations
        .column(d::YEAR)
        .map_err(pe)?
        .i32()
        .map_err(pe)?
        .n_unique()
        .map_err(pe)? as u32;
    trends::trends(
        trends::fit(observations, year).map_err(pe)?,
        attained
            .select([
                d::CITY_ID,
                d::DATA_POINT_ID,
                d::DIRECTION,
                d::TARGET,
                d::REFERENCE_KIND,
                d::WORST,
                d::TOLERANCE,
            ])
            .map_err(pe)?,
        trends::t_table(max_df).lazy(),
        year,
        cfg.analysis.horizon_year,
        cfg.analysis.trend_min_points,
        bounded,
    )
    .and_then(LazyFrame::collect)
    .map_err(pe)
}

/// Stage `maturity`: the level of each data point (the city's or the workspace's matrix,
/// else the attainment bands; METHODOLOGY section 8) and the roll-ups per dimension, the
/// city's own and the published ones.
fn mature(
    inputs: &Inputs<'_>,
    catalog: &DataFrame,
    attained: &DataFrame,
    year: i32,
) -> Result<(DataFrame, DataFrame, DataFrame)> {
    let keys = inputs.keys;
    // the levels follow the attainment reference unless a city's or the workspace's
    // matrix sets interim targets (METHODOLOGY section 8)
    let resolved = maturity::resolve(
        attained.clone().lazy(),
        keys.encode_frame(inputs.matrix.workspace_frame()?)?,
        keys.encode_frame(inputs.matrix.city_frame()?)?,
    );
    let levels = maturity::levels(resolved, catalog.clone().lazy(), year)
        .collect()
        .map_err(pe)?;
    let (dimensions, dimensions_published) =
        maturity::dimensions_both(levels.clone().lazy(), inputs.config.maturity.rollup, year)
            .map_err(pe)?;
    Ok((levels, dimensions, dimensions_published))
}

/// The scored values the peer statistics rest on: every attained row with a value.
fn scored(attained: &DataFrame) -> Result<DataFrame> {
    attained
        .clone()
        .lazy()
        .filter(col(d::VALUE).is_not_null())
        .select([
            col(d::ANALYSIS_YEAR),
            col(d::CITY_ID),
            col(d::DATA_POINT_ID),
            col(d::DIRECTION),
            col(d::VALUE),
            col(d::TARGET),
            col(d::CONFIDENTIAL),
        ])
        .collect()
        .map_err(pe)
}

/// The statements of every batch (`not-reported.parquet`, in manifest order): city and
/// data point ids (strings), year, status and BATCH_SEQ. Empty (with those columns) when
/// no batch states anything.
pub fn read_statements(ws: &Workspace) -> Result<DataFrame> {
    use crate::schema::not_reported as nr;
    let manifest = ws.manifest()?;
    let mut frames = Vec::new();
    for (seq, b) in manifest.batches.iter().enumerate() {
        if let Some(file) = &b.not_reported_file {
            let path = ws.root().join(file);
            let f = std::fs::File::open(&path).at(&path)?;
            let df = ParquetReader::new(f)
                .with_columns(Some(vec![
                    nr::CITY_ID.into(),
                    nr::DATA_POINT_ID.into(),
                    nr::YEAR.into(),
                    nr::STATUS.into(),
                ]))
                .finish()
                .map_err(|e| Error::polars(&path, e))?
                .lazy()
                .with_column(lit(seq as u32).cast(DataType::UInt32).alias(d::BATCH_SEQ))
                .collect()
                .map_err(|e| Error::polars(&path, e))?;
            frames.push(df.lazy());
        }
    }
    let df = if frames.is_empty() {
        DataFrame::new(
            0,
            vec![
                Column::new(d::CITY_ID.into(), Vec::<&str>::new()),
                Column::new(d::DATA_POINT_ID.into(), Vec::<&str>::new()),
                Column::new(d::YEAR.into(), Vec::<i32>::new()),
                Column::new(d::STATUS.into(), Vec::<&str>::new()),
                Column::new(d::BATCH_SEQ.into(), Vec::<u32>::new()),
            ],
        )
        .map_err(pe)?
    } else {
        concat(frames, UnionArgs::default())
            .and_then(|lf| lf.collect())
            .map_err(pe)?
    };
    Ok(df)
}

/// [`read_statements`] with city and data point ids encoded by `keys` (the run's input).
pub fn load_statements(ws: &Workspace, keys: &Keys) -> Result<DataFrame> {
    keys.encode_frame(read_statements(ws)?)
}

/// Raw batches of the workspace in manifest order, with BATCH_SEQ; every column as
/// stored, the dictionary columns as text.
pub fn scan_raw(ws: &Workspace) -> Result<(LazyFrame, usize)> {
    scan_raw_with(ws, None)
}

fn scan_raw_with(ws: &Workspace, keys: Option<&Keys>) -> Result<(LazyFrame, usize)> {
    use crate::schema::raw as r;
    let manifest = ws.manifest()?;
    let mut frames = Vec::new();
    for (seq, b) in manifest.batches.iter().enumerate() {
        for part in &b.parts {
            let path = ws.root().join(part);
            // each batch stores its dictionary columns with a dictionary of its own: encoded
            // (or as text) the batches concatenate; only the columns a caller reads are
            // decoded
            let mut exprs: Vec<Expr> = Vec::new();
            for c in crate::ingest::batch::DICTIONARY_COLUMNS {
                match (keys, c) {
                    (Some(k), r::CITY_ID) => exprs.push(k.city()),
                    (Some(k), r::DATA_POINT_ID) => exprs.push(k.data_point()),
                    (Some(k), r::QUALITY) => exprs.push(k.quality()),
                    _ => exprs.push(col(c).cast(DataType::String)),
                }
            }
            let lf = LazyFrame::scan_parquet(
                PlRefPath::new(path.to_string_lossy().as_ref()),
                ScanArgsParquet::default(),
            )
            .map_err(|e| Error::polars(&path, e))?
            .with_columns(exprs)
            .with_column(lit(seq as u32).cast(DataType::UInt32).alias(d::BATCH_SEQ));
            frames.push(lf);
        }
    }
    if frames.is_empty() {
        return Err(Error::Usage(format!(
            "{} has no batches; ingest a submission file first (citybench ingest FILE)",
            ws.root().display()
        )));
    }
    let n = manifest.batches.len();
    let lf = concat(frames, UnionArgs::default()).map_err(pe)?;
    Ok((lf, n))
}

/// Run `f` with a sink that writes each table to `dir` ([`write_table`]) on two background
/// threads, so that files are written while later stages compute (a quarter of a run's CPU
/// time was idle otherwise). Returns `f`'s result, the files in hand-over order, the time
/// the writers were busy (summed) and the time the run then waited for the last writes. A write error
/// stops the run with that error.
pub fn with_background_writer<R>(
    dir: &Path,
    f: impl FnOnce(&mut Sink<'_>) -> Result<R>,
) -> Result<(R, Vec<OutputFile>, Duration, Duration)> {
    /// Tables encoded at once: at 13 000 cities one writer was busy for the whole run and
    /// the stages waited for it; a second one takes the next table while the first encodes.
    const WRITERS: usize = 2;
    let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, &'static str, DataFrame)>(1);
    let rx = std::sync::Mutex::new(rx);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..WRITERS)
            .map(|_| {
                let rx = &rx;
                scope.spawn(move || -> Result<(Vec<(usize, OutputFile)>, Duration)> {
                    let mut files = Vec::new();
                    let mut busy = Duration::ZERO;
                    let mut error = None;
                    loop {
                        let next = rx.lock().expect("no writer panics").recv();
                        let Ok((seq, name, df)) = next else { break };
                        // after a failed write keep receiving (and dropping), so the
                        // stages never wait on a full channel nobody reads
                        if error.is_some() {
                            continue;
                        }
                        let t = Instant::now();
                        match write_table(dir, name, df) {
                            Ok(f) => files.push((seq, f)),
                            Err(e) => error = Some(e),
                        }
                        busy += t.elapsed();
                    }
                    match error {
                        Some(e) => Err(e),
                        None => Ok((files, busy)),
                    }
                })
            })
            .collect();
        let result = {
            let mut seq = 0usize;
            let mut sink = |name: &'static str, df: DataFrame| {
                seq += 1;
                tx.send((seq, name, df))
                    .map_err(|_| Error::Usage("the output writer stopped".into()))
            };
            f(&mut sink)
        };
        drop(tx);
        let tail = Instant::now();
        let mut files = Vec::new();
        let mut busy = Duration::ZERO;
        let mut failed = None;
        for w in workers {
            match w.join().expect("a writer thread does not panic") {
                Ok((f, b)) => {
                    files.extend(f);
                    busy += b;
                }
                Err(e) => failed = failed.or(Some(e)),
            }
        }
        let tail = tail.elapsed();
        // hand-over order, whichever writer wrote the file
        files.sort_by_key(|(seq, _)| *seq);
        let files = files.into_iter().map(|(_, f)| f).collect();
        match (result, failed) {
            (Ok(r), None) => Ok((r, files, busy, tail)),
            (_, Some(e)) | (Err(e), None) => Err(e),
        }
    })
}

/// One written output file.
#[derive(Debug, Clone, Serialize)]
pub struct OutputFile {
    pub path: String,
    pub rows: u64,
    pub sha256: String,
}

/// Write one table to `dir/<name>.parquet` atomically (temp file + rename); `dir` is a
/// generation being published, and the record names the file as `derived/<name>.parquet`.
pub fn write_table(dir: &Path, name: &str, df: DataFrame) -> Result<OutputFile> {
    write_table_as(dir, "derived", name, df)
}

/// Columns of a table written plain whatever the writer would choose ([`RawWriter`]):
/// `observations`' values, the largest float column of a run (10.3 M rows at 5 000
/// cities). A dictionary of them is smaller (a generation of 172 MB instead of 187 MB) but
/// hashing every value cost more CPU time than compressing the plain pages (`run` 3.59-3.72
/// s of CPU with it, 3.49-3.64 s without, 0.05-0.15 s less wall time); raw batches keep
/// their values plain for the same reason.
const PLAIN_COLUMNS: [(&str, &str, ColumnEncoding); 1] =
    [("observations", d::VALUE, ColumnEncoding::Plain)];

/// [`write_table`], the record naming the file `<label>/<name>.parquet` (e.g.
/// `index/<run name>`). Each file is one write step of a publication
/// ([`crate::store::publish::step`]).
pub fn write_table_as(
    dir: &Path,
    label: &str,
    name: &str,
    mut df: DataFrame,
) -> Result<OutputFile> {
    std::fs::create_dir_all(dir).at(dir)?;
    let path = dir.join(format!("{name}.parquet"));
    let tmp = crate::store::temp_path(&path);
    let f = std::fs::File::create(&tmp).at(&tmp)?;
    // the file again, to start writing its pages to disk after each pair of row groups
    let disk = f.try_clone().at(&tmp)?;
    // buffered: the writer emits many small pieces (page headers, pages), and a system
    // call per piece cost more than the encoding; hashed on the way (reading the file back
    // to hash it was a tenth of the writers' time)
    let w = crate::digest::HashingWriter::new(std::io::BufWriter::with_capacity(1 << 20, f));
    // the raw batch writer: the encodings of Polars' writer, with categorical columns
    // exported without a hash probe per row (crate::ingest::raw_writer)
    const ROW_GROUP: usize = 256 * 1024;
    let pe = |e| Error::polars(&path, e);
    let asked: Vec<(&str, ColumnEncoding)> = PLAIN_COLUMNS
        .iter()
        .filter(|(table, _, _)| *table == name)
        .map(|(_, column, encoding)| (*column, *encoding))
        .collect();
    let mut out =
        RawWriter::new(w, df.schema(), &asked, ParquetCompression::Snappy, vec![]).map_err(pe)?;
    df.rechunk_mut_par();
    // row groups encoded two at a time: the last table of a run (gaps, 2.8 M rows at 5 000
    // cities) was encoded on one core while the other had nothing left to do
    const ENCODERS: usize = 2;
    let groups: Vec<DataFrame> = (0..df.height())
        .step_by(ROW_GROUP)
        .map(|offset| df.slice(offset as i64, ROW_GROUP))
        .collect();
    for window in groups.chunks(ENCODERS) {
        let encoded: Vec<PolarsResult<RowGroup>> = match window {
            [one] => vec![out.encode(one)],
            many => std::thread::scope(|s| {
                let encoders: Vec<_> = many.iter().map(|g| s.spawn(|| out.encode(g))).collect();
                encoders
                    .into_iter()
                    .map(|e| e.join().expect("an encoder does not panic"))
                    .collect()
            }),
        };
        for group in encoded {
            out.write_encoded(group.map_err(pe)?).map_err(pe)?;
        }
        crate::store::start_writeback(&disk);
    }
    let (w, sha) = out.finish().map_err(pe)?.finish();
    let f = w.into_inner().map_err(|e| e.into_error()).at(&tmp)?;
    f.sync_all().at(&tmp)?;
    drop(f);
    crate::store::commit_rename(&tmp, &path)?;
    let label = format!("{label}/{name}.parquet");
    crate::store::publish::step(&label)?;
    Ok(OutputFile {
        path: label,
        rows: df.height() as u64,
        sha256: sha,
    })
}

#[cfg(test)]
mod tests;
