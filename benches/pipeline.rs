//! Criterion benches for `citybench run`'s stages on generated data.
//!
//! `cargo bench --bench pipeline` (sizes: CITYBENCH_BENCH_CITIES, default 500 cities x 112
//! data points x 20 years x 0.92 = about 1.03 M observations). Groups: `compute` (every
//! stage, tables kept in memory), `compute_and_write` (plus the Parquet files), and
//! `mart_query` (one city's scorecard through the read-only DuckDB connection).

mod util;

use citybench::config::Config;
use citybench::pipeline::{self, Inputs, targets::Targets};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn cities() -> usize {
    util::cities(500)
}

fn bench_pipeline(c: &mut Criterion) {
    let g = util::generated(cities());
    let (ws, ctx) = (&g.ws, &g.ctx);
    let catalog = &ctx.catalog;
    let config = Config::default();
    let targets = Targets::load(None, catalog, &ctx.registry, &config.peers.groupings).unwrap();
    let keys = pipeline::keys::Keys::for_inputs(&ctx.registry, catalog).unwrap();
    let matrix = citybench::maturity::matrix::Matrix::load(None, catalog, &ctx.registry).unwrap();
    let inputs = Inputs {
        catalog,
        registry: &ctx.registry,
        config: &config,
        targets: &targets,
        matrix: &matrix,
        assessments: citybench::maturity::assessments::checked_frame(&[]).unwrap(),
        keys: &keys,
        statements: pipeline::load_statements(ws, &keys).unwrap(),
    };
    let mut grp = c.benchmark_group("pipeline");
    grp.sample_size(10);
    grp.throughput(Throughput::Elements(g.rows));
    grp.bench_function(
        format!("compute_{}_cities_{}_rows", cities(), g.rows),
        |b| {
            b.iter(|| {
                let (raw, _) = pipeline::scan_raw(ws).unwrap();
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
    // the files go to a generation, published after the loop like `run` does
    let publication = citybench::store::publish::Publication::begin(ws, "run").unwrap();
    let dir = publication.dir().to_path_buf();
    grp.bench_function(format!("compute_and_write_{}_cities", cities()), |b| {
        b.iter(|| {
            let (raw, _) = pipeline::scan_raw(ws).unwrap();
            pipeline::compute(raw, &inputs, None, None, &mut |name, df| {
                pipeline::write_table(&dir, name, df).map(|_| ())
            })
            .unwrap()
        })
    });
    citybench::warehouse::build_in(&dir).unwrap();
    publication.commit().unwrap();
    let wh = citybench::warehouse::Warehouse::open_read_only(ws).unwrap();
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
