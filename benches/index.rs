//! Criterion benches for the index researcher: the composite index over a generated
//! workspace (default 500 cities x 112 data points x 2005..2024), its uncertainty
//! analysis, the variance-based sensitivity analysis at 1 000 samples per factor over all
//! five factors (issue 24: under 60 s), and a plain rebuild loop (every step re-run per sample, as COINr's
//! uncertainty analysis does) to measure what preparing once saves.
//!
//! `cargo bench --bench index` (CITYBENCH_BENCH_CITIES to change the size).

mod util;

use citybench::cli::{GlobalArgs, index as index_cmd, run as run_cmd};
use citybench::config::Config;
use citybench::config::{Imputation, Outliers};
use citybench::index::{
    self, Spec, data::IndexData, framework::Framework, sensitivity, uncertainty,
};
use citybench::output::{OutputArgs, OutputFormat};
use citybench::pipeline::targets::Targets;
use criterion::{Criterion, criterion_group, criterion_main};

fn bench_index(c: &mut Criterion) {
    let n = util::cities(500);
    let g = util::generated(n);
    let global = GlobalArgs {
        workspace: Some(g.root.clone()),
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
    let config = Config::default();
    let reg = &g.ctx.registry;
    let targets = Targets::load(None, &g.ctx.catalog, reg, &config.peers.groupings).unwrap();
    let fw = Framework::u4ssc(&g.ctx.catalog, &targets).unwrap();
    let data = IndexData::from_workspace(&g.ws, reg, false, false).unwrap();
    let spec = Spec::from_config(&config);
    let cfg = config.index.uncertainty.clone();

    let mut grp = c.benchmark_group(format!("index_{n}_cities"));
    grp.sample_size(10);
    grp.bench_function("index_command", |b| {
        b.iter(|| {
            let args = index_cmd::Args {
                data: None,
                framework: None,
                year: None,
                panel: false,
                years: None,
                uncertainty: 0,
                seed: 1,
                sensitivity: false,
                top: Some(0),
                name: None,
                output: OutputArgs {
                    format: OutputFormat::Csv,
                    out: Some(g.tmp.path().join("index.csv")),
                },
                // each iteration replaces the previous one's file
                force: true,
            };
            index_cmd::run(&args, &global).unwrap()
        })
    });
    grp.bench_function("build_and_diagnostics", |b| {
        b.iter(|| {
            let built = index::build(&fw, &data, &spec, reg).unwrap();
            let codes = |u: usize| data.units[built.prepared.units[u]].clone();
            index::diagnostics::diagnose(&fw, &built, spec.aggregation, &codes).unwrap()
        })
    });
    grp.bench_function("uncertainty_1000", |b| {
        b.iter(|| {
            let p = index::prepare(&fw, &data, &spec, reg).unwrap();
            let s = uncertainty::samples(&fw, &cfg, 1000, 7);
            let codes = |u: usize| data.units[p.units[u]].clone();
            uncertainty::run(&fw, &p, &s, cfg.minmax_range, &codes).unwrap()
        })
    });
    // weights, normalisation, aggregation, imputation and treatment: 1000 x 7 builds
    let mut five = cfg.clone();
    five.imputations = vec![Imputation::None, Imputation::Mean];
    five.treatments = vec![Outliers::None, Outliers::Jrc];
    grp.bench_function("sensitivity_1000_per_factor_5_factors", |b| {
        b.iter(|| {
            let p = index::prepare(&fw, &data, &spec, reg).unwrap();
            let built = index::build_prepared(
                &fw,
                &data,
                p,
                (spec.normalisation, spec.minmax_range),
                spec.aggregation,
                &fw.weights(),
            )
            .unwrap();
            let p = &built.prepared;
            let factors = sensitivity::factors(&five);
            let s = sensitivity::design(&fw, &five, &factors, 1000, 7);
            let v = uncertainty::Variants::new(&fw, &data, &spec, reg, p, &s, five.minmax_range)
                .unwrap();
            let codes = |u: usize| data.units[p.units[u]].clone();
            let ranks = uncertainty::run_with_progress(&fw, &v, &s, &codes, &|| {}).unwrap();
            sensitivity::analyse(&factors, 1000, &built.ranks[fw.root], &ranks, 100, 7)
        })
    });
    // the plain loop: all steps per sample (100 samples; x10 for 1000)
    grp.bench_function("rebuild_loop_100", |b| {
        b.iter(|| {
            let s = uncertainty::samples(&fw, &cfg, 100, 7);
            s.iter()
                .map(|s| {
                    let p = index::prepare(&fw, &data, &spec, reg).unwrap();
                    let built = index::build_prepared(
                        &fw,
                        &data,
                        p,
                        (s.normalisation, cfg.minmax_range),
                        s.aggregation,
                        &s.weights,
                    )
                    .unwrap();
                    built.ranks[fw.root].clone()
                })
                .collect::<Vec<_>>()
        })
    });
    grp.finish();
}

criterion_group!(benches, bench_index);
criterion_main!(benches);
