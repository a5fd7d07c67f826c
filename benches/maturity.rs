//! Criterion benches for the verifier's and the city officer's maturity work: `verify` over
//! every observation of a generated workspace, and `maturity --city` for one city.
//!
//! `cargo bench --bench maturity` (CITYBENCH_BENCH_CITIES, default 5 000 cities x 112 data
//! points x 2005..2024, about 10 M observations; setup generates, ingests and runs the
//! pipeline once, about a minute). Each iteration runs the command's own `run` after
//! argument parsing (output to a file in the bench's directory).

mod util;

use citybench::cli::{GlobalArgs, maturity, run as run_cmd, verify};
use citybench::maturity::assessments::Framework;
use citybench::output::{OutputArgs, OutputFormat};
use criterion::{Criterion, criterion_group, criterion_main};

fn cities() -> usize {
    util::cities(5000)
}

fn bench_maturity(c: &mut Criterion) {
    let g = util::generated(cities());
    let root = g.root.clone();
    let global = GlobalArgs {
        workspace: Some(root.clone()),
        catalog: None,
        quiet: true,
    };
    {
        let _lock = g.ws.lock().unwrap();
        let args = run_cmd::Args {
            year: None,
            lookback: None,
        };
        run_cmd::execute(&g.ws, &global, &args).unwrap();
    }
    // a city in the middle of the id order
    let res = citybench::report::Results::open(&root, None).unwrap();
    let with_data = res
        .warehouse
        .query("select distinct city_id from stg_maturity_dimensions order by 1")
        .unwrap();
    let city = with_data.rows[with_data.rows.len() / 2][0]
        .as_str()
        .unwrap()
        .to_string();
    drop(res);
    let out = |name: &str, format: OutputFormat| OutputArgs {
        format,
        out: Some(g.tmp.path().join(name)),
    };

    let mut grp = c.benchmark_group(format!("maturity_{}_cities", cities()));
    grp.sample_size(10);
    grp.bench_function("verify_all_cities", |b| {
        b.iter(|| {
            let args = verify::Args {
                city: None,
                output: out("verify.csv", OutputFormat::Csv),
                // each iteration replaces the previous one's file
                force: true,
            };
            verify::run(&args, &global).unwrap()
        })
    });
    grp.bench_function("maturity_one_city", |b| {
        b.iter(|| {
            let args = maturity::Args {
                city: Some(city.clone()),
                year: None,
                baseline: None,
                distribution: false,
                framework: Framework::EuChina,
                by: "all".into(),
                output: out("maturity.txt", OutputFormat::Table),
                force: true,
            };
            maturity::run(&args, &global).unwrap()
        })
    });
    grp.bench_function("maturity_one_city_with_baseline", |b| {
        b.iter(|| {
            let args = maturity::Args {
                city: Some(city.clone()),
                year: None,
                baseline: Some(2015),
                distribution: false,
                framework: Framework::EuChina,
                by: "all".into(),
                output: out("maturity-baseline.txt", OutputFormat::Table),
                force: true,
            };
            maturity::run(&args, &global).unwrap()
        })
    });
    grp.finish();
}

criterion_group!(benches, bench_maturity);
criterion_main!(benches);
