//! Shared bench setup: a workspace holding one ingested batch of generated data.

#![allow(dead_code)]

use std::path::PathBuf;

use citybench::catalog::{Catalog, UnitRegistry};
use citybench::config::Config;
use citybench::generate::{GenSpec, generate};
use citybench::ingest::{Context, IngestOptions, ingest_file};
use citybench::registry::Registry;
use citybench::store::Workspace;

/// `CITYBENCH_BENCH_CITIES`, else `default`.
pub fn cities(default: usize) -> usize {
    std::env::var("CITYBENCH_BENCH_CITIES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// The embedded catalogue, units and registry with the default configuration.
pub fn context() -> Context {
    let units = UnitRegistry::embedded().unwrap();
    let catalog = Catalog::embedded(&units).unwrap();
    Context {
        catalog,
        units,
        registry: Registry::embedded().unwrap(),
        config: Config::default(),
    }
}

/// A workspace with `cities` generated cities x 2005..2024 (seed 42) ingested as one batch.
pub struct Generated {
    /// Keeps the directory alive.
    pub tmp: tempfile::TempDir,
    pub root: PathBuf,
    pub ws: Workspace,
    pub ctx: Context,
    /// Observations generated.
    pub rows: u64,
}

pub fn generated(cities: usize) -> Generated {
    let ctx = context();
    let tmp = tempfile::tempdir().unwrap();
    let spec = GenSpec::new(cities, 2005, 2024, 42);
    let g = generate(
        &ctx.registry,
        &ctx.catalog,
        &spec,
        &tmp.path().join("g"),
        &mut |_| {},
    )
    .unwrap();
    let root = tmp.path().join("ws");
    let (ws, _) = Workspace::init(&root).unwrap();
    {
        let _lock = ws.lock().unwrap();
        ingest_file(
            &ws,
            &ctx,
            g.file.as_ref(),
            &IngestOptions::default(),
            &mut |_, _| {},
        )
        .unwrap();
    }
    Generated {
        tmp,
        root,
        ws,
        ctx,
        rows: g.rows,
    }
}
