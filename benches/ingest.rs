//! Criterion benches for ingest and the generator, on generated data.
//!
//! `cargo bench --bench ingest` (sizes: CITYBENCH_BENCH_CITIES, default 500 cities x 112
//! data points x 20 years x 0.92 = about 1.03 M rows).

mod util;

use std::path::Path;

use citybench::generate::{GenFormat, GenSpec, generate};
use citybench::ingest::{Context, IngestOptions, ingest_file};
use citybench::store::Workspace;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use util::context;

fn cities() -> usize {
    util::cities(500)
}

fn make(dir: &Path, format: GenFormat, ctx: &Context) -> (std::path::PathBuf, u64) {
    let mut spec = GenSpec::new(cities(), 2005, 2024, 42);
    spec.format = format;
    let o = generate(&ctx.registry, &ctx.catalog, &spec, dir, &mut |_| {}).unwrap();
    (o.file.into(), o.rows)
}

fn bench_ingest(c: &mut Criterion) {
    let ctx = context();
    let tmp = tempfile::tempdir().unwrap();
    let mut g = c.benchmark_group("ingest");
    g.sample_size(10);
    for (name, fmt) in [("parquet", GenFormat::Parquet), ("csv", GenFormat::Csv)] {
        let (file, rows) = make(&tmp.path().join(name), fmt, &ctx);
        g.throughput(Throughput::Elements(rows));
        g.bench_function(format!("{name}_{rows}_rows"), |b| {
            b.iter_batched(
                || {
                    let d = tempfile::tempdir().unwrap();
                    Workspace::init(d.path()).unwrap();
                    d
                },
                |d| {
                    let ws = Workspace::open(d.path()).unwrap();
                    let _lock = ws.lock().unwrap();
                    let o =
                        ingest_file(&ws, &ctx, &file, &IngestOptions::default(), &mut |_, _| {})
                            .unwrap();
                    assert_eq!(o.rows_read, rows);
                    d
                },
                criterion::BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

fn bench_generate(c: &mut Criterion) {
    let ctx = context();
    let tmp = tempfile::tempdir().unwrap();
    let mut g = c.benchmark_group("generate");
    g.sample_size(10);
    let rows = (cities() as f64 * 112.0 * 20.0 * 0.92) as u64;
    g.throughput(Throughput::Elements(rows));
    g.bench_function(format!("parquet_{}_cities_20_years", cities()), |b| {
        b.iter(|| make(&tmp.path().join("g"), GenFormat::Parquet, &ctx))
    });
    g.finish();
}

criterion_group!(benches, bench_ingest, bench_generate);
criterion_main!(benches);
