//! Criterion benches for the Excel template round trip: writing the template (the
//! `citybench template` command, with the city's earlier values pre-filled from a workspace
//! of generated data) and ingesting a filled template of 112 rows (`citybench ingest
//! FILE.xlsx`). Targets (issue 8): template under 1 s, ingest under 200 ms.
//!
//! `cargo bench --bench template`

mod util;

use citybench::cli::{GlobalArgs, template as template_cmd};
use citybench::ingest::{IngestOptions, ingest_file};
use citybench::pipeline::scan_raw;
use citybench::store::Workspace;
use criterion::{Criterion, criterion_group, criterion_main};
use polars::prelude::*;

fn bench_template(c: &mut Criterion) {
    let g = util::generated(20);
    let global = GlobalArgs {
        workspace: Some(g.root.clone()),
        catalog: None,
        quiet: true,
    };
    let (raw, _) = scan_raw(&g.ws).unwrap();
    let first = raw
        .select([col("city_id").cast(DataType::String)])
        .first()
        .collect()
        .unwrap();
    let city = first
        .column("city_id")
        .unwrap()
        .str()
        .unwrap()
        .get(0)
        .unwrap()
        .to_string();
    let out = g.tmp.path().join("template.xlsx");
    let args = template_cmd::Args {
        city: Some(city),
        year: None,
        out: out.clone(),
        force: true,
    };
    // the filled template: every data point the city reported, pre-filled
    template_cmd::execute(&args, &global).unwrap();

    let mut grp = c.benchmark_group("template");
    grp.sample_size(20);
    grp.bench_function("write_prefilled_112", |b| {
        b.iter(|| template_cmd::execute(&args, &global).unwrap())
    });
    let target = g.tmp.path().join("target");
    let (ws, _) = Workspace::init(&target).unwrap();
    let opts = IngestOptions {
        force: true,
        ..IngestOptions::default()
    };
    let lock = ws.lock().unwrap();
    let o = ingest_file(&ws, &g.ctx, &out, &opts, &mut |_, _| {}).unwrap();
    assert_eq!(o.rows_rejected, 0);
    eprintln!("filled template: {} rows accepted", o.rows_accepted);
    grp.bench_function("ingest_filled_template", |b| {
        b.iter(|| ingest_file(&ws, &g.ctx, &out, &opts, &mut |_, _| {}).unwrap())
    });
    drop(lock);
    grp.finish();
}

criterion_group!(benches, bench_template);
criterion_main!(benches);
