//! Criterion benches for `citybench run`'s stages on generated data.
//!
//! `cargo bench --bench pipeline` (sizes: CITYBENCH_BENCH_CITIES, default 500 cities x 112
//! data points x 20 years x 0.92 = about 1.03 M observations). Groups: `compute` (every
//! stage, tables kept in memory), `compute_and_write` (plus the Parquet files), and
//! `mart_query` (one city's scorecard through the read-only DuckDB connection).

use citybench::catalog::{Catalog, UnitRegistry};
use citybench::config::Config;
use citybench::generate::{GenSpec, generate};
use citybench::ingest::{Context, IngestOptions, ingest_file};
use citybench::pipeline::{self, Inputs, targets::Targets};
use citybench::registry::Registry;
use citybench::store::Workspace;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn cities() -> usize {
    std::env::var("CITYBENCH_BENCH_CITIES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500)
}

fn bench_pipeline(c: &mut Criterion) {
    let units = UnitRegistry::embedded().unwrap();
    let catalog = Catalog::embedded(&units).unwrap();
    let ctx = Context {
        catalog: catalog.clone(),
        units,
        registry: Registry::embedded().unwrap(),
        config: Config::default(),
    };
    let tmp = tempfile::tempdir().unwrap();
    let spec = GenSpec::new(cities(), 2005, 2024, 42);
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
    let config = Config::default();
    let targets = Targets::load(None, &catalog, &ctx.registry, &config.peers.groupings).unwrap();
    let keys = pipeline::keys::Keys::for_inputs(&ctx.registry, &catalog).unwrap();
    let inputs = Inputs {
        catalog: &catalog,
        registry: &ctx.registry,
        config: &config,
        targets: &targets,
        keys: &keys,
    };
    let mut grp = c.benchmark_group("pipeline");
    grp.sample_size(10);
    grp.throughput(Throughput::Elements(g.rows));
    grp.bench_function(
        format!("compute_{}_cities_{}_rows", cities(), g.rows),
        |b| {
            b.iter(|| {
                let (raw, _) = pipeline::scan_raw(&ws).unwrap();
                let mut rows = 0usize;
                pipeline::compute(raw, &inputs, None, None, &mut |_, df| {
                    rows += df.height();
                    Ok(())
                })
                .unwrap();
                rows
            })
        },
    );
    let dir = root.join("derived");
    grp.bench_function(format!("compute_and_write_{}_cities", cities()), |b| {
        b.iter(|| {
            let (raw, _) = pipeline::scan_raw(&ws).unwrap();
            pipeline::compute(raw, &inputs, None, None, &mut |name, df| {
                pipeline::write_table(&dir, name, df).map(|_| ())
            })
            .unwrap()
        })
    });
    citybench::warehouse::build(&ws).unwrap();
    let wh = citybench::warehouse::Warehouse::open_read_only(&ws).unwrap();
    let city = wh
        .query("select min(city_id) as c from stg_aligned")
        .unwrap()
        .rows[0][0]
        .as_str()
        .unwrap()
        .to_string();
    grp.throughput(Throughput::Elements(1));
    grp.bench_function("mart_query_one_city_scorecard", |b| {
        b.iter(|| {
            wh.query(&format!(
                "select * from city_scorecard where city_id = '{city}'"
            ))
            .unwrap()
            .rows
            .len()
        })
    });
    grp.finish();
}

criterion_group!(benches, bench_pipeline);
criterion_main!(benches);
