//! Criterion benches for what a city sees: `snapshot`, `compare` and the report page for
//! one city of a generated workspace.
//!
//! `cargo bench --bench report` (CITYBENCH_BENCH_CITIES, default 5 000 cities x 112 data
//! points x 2005..2024; setup generates, ingests and runs the pipeline once, about a
//! minute). Each iteration does what the command does after parsing its arguments: open
//! the read-only database and the run record, look the city up, query, render.

mod util;

use citybench::cli::{GlobalArgs, run as run_cmd};
use citybench::report::{self, Results, compare, html, snapshot};
use criterion::{Criterion, criterion_group, criterion_main};

fn cities() -> usize {
    util::cities(5000)
}

fn bench_report(c: &mut Criterion) {
    let g = util::generated(cities());
    let (ws, root) = (&g.ws, g.root.clone());
    let global = GlobalArgs {
        workspace: Some(root.clone()),
        catalog: None,
        quiet: true,
    };
    {
        let _lock = ws.lock().unwrap();
        let args = run_cmd::Args {
            year: None,
            lookback: None,
        };
        run_cmd::execute(ws, &global, &args).unwrap();
    }
    // a city in the middle of the id order
    let res = Results::open(&root, None).unwrap();
    let ids = res
        .warehouse
        .query("select distinct city_id from stg_aligned order by 1")
        .unwrap();
    let city = ids.rows[ids.rows.len() / 2][0]
        .as_str()
        .unwrap()
        .to_string();
    drop(res);

    let mut grp = c.benchmark_group(format!("report_{}_cities", cities()));
    grp.sample_size(20);
    grp.bench_function("snapshot_one_city", |b| {
        b.iter(|| {
            let res = Results::open(&root, None).unwrap();
            let grouping = res.grouping(None).unwrap();
            let info = res.city(&city).unwrap();
            let s = report::load_snapshot(&res, info, &grouping).unwrap();
            snapshot::table(&s, false).len()
        })
    });
    grp.bench_function("compare_one_city", |b| {
        b.iter(|| {
            let res = Results::open(&root, None).unwrap();
            let grouping = res.grouping(None).unwrap();
            let info = res.city(&city).unwrap();
            compare::compare(&res, &info, &compare::Peers::Grouping(grouping), None)
                .unwrap()
                .rows
                .len()
        })
    });
    grp.bench_function("report_page_one_city", |b| {
        b.iter(|| {
            let res = Results::open(&root, None).unwrap();
            let grouping = res.grouping(None).unwrap();
            let info = res.city(&city).unwrap();
            let s = report::load_snapshot(&res, info, &grouping).unwrap();
            let charts = html::chart_data(&res, &s).unwrap();
            html::render(&s, &charts).len()
        })
    });
    grp.finish();
}

criterion_group!(benches, bench_report);
criterion_main!(benches);
