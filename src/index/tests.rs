//! A whole index by hand on five units: every step's numbers computed in the comments.

use super::*;
use crate::config::Config;
use std::path::Path;

const NAN: f64 = f64::NAN;

/// x1, x2 (lower is better) -> P1; x3 -> P2 (weight 2 on P2); P1, P2 -> IDX.
const FW: &str = "iCode,Level,Parent,Weight,Direction,Type
x1,1,P1,1,1,Indicator
x2,1,P1,1,-1,Indicator
x3,1,P2,1,1,Indicator
P1,2,IDX,1,,Aggregate
P2,2,IDX,2,,Aggregate
IDX,3,,1,,Aggregate
";

fn data(x1: [f64; 5], x2: [f64; 5], x3: [f64; 5]) -> IndexData {
    IndexData::from_columns(
        ["a", "b", "c", "d", "e"].map(String::from).to_vec(),
        vec![
            ("x1".into(), x1.to_vec()),
            ("x2".into(), x2.to_vec()),
            ("x3".into(), x3.to_vec()),
        ],
        None,
    )
}

fn spec() -> Spec {
    Spec::from_config(&Config::default())
}

fn close(a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
    for (x, y) in a.iter().zip(b) {
        assert!(
            (x.is_nan() && y.is_nan()) || (x - y).abs() < 1e-9,
            "{a:?} vs {b:?}"
        );
    }
}

fn reg() -> Registry {
    Registry::embedded().unwrap()
}

#[test]
fn minmax_arithmetic_by_hand() {
    let fw = framework::Framework::parse(FW, Path::new("fw.csv")).unwrap();
    // x1: 0 10 20 30 40 -> 0 25 50 75 100
    // x2 (lower better): 5 4 3 2 1 -> directed -5..-1 -> 0 25 50 75 100
    // x3: 10 10 30 50 NaN -> 0 0 50 100 NaN
    let d = data(
        [0., 10., 20., 30., 40.],
        [5., 4., 3., 2., 1.],
        [10., 10., 30., 50., NAN],
    );
    let b = build(&fw, &d, &spec(), &reg()).unwrap();
    // P1 = mean(x1, x2) = 0 25 50 75 100; P2 = x3
    close(&b.scores[3], &[0., 25., 50., 75., 100.]);
    close(&b.scores[4], &[0., 0., 50., 100., NAN]);
    // IDX = (P1 + 2 P2) / 3: a 0, b 25/3, c 50, d 275/3; e has no P2: P1 alone (weights
    // rescaled) = 100
    close(&b.scores[5], &[0., 25. / 3., 50., 275. / 3., 100.]);
    // ranks: e 1, d 2, c 3, b 4, a 5
    close(&b.ranks[5], &[5., 4., 3., 2., 1.]);
    // ties share the smallest rank: a and b tie on P2
    close(&b.ranks[4], &[3., 3., 2., 1., NAN]);
}

#[test]
fn geometric_and_harmonic_with_rank_normalisation() {
    let fw = framework::Framework::parse(FW, Path::new("fw.csv")).unwrap();
    let d = data(
        [0., 10., 20., 30., 40.],
        [5., 4., 3., 2., 1.],
        [10., 20., 30., 40., 50.],
    );
    let mut s = spec();
    s.normalisation = Normalisation::Rank;
    s.aggregation = Aggregation::Geometric;
    let b = build(&fw, &d, &s, &reg()).unwrap();
    // ranks 1..5 everywhere; P1 = sqrt(r x r) = r; IDX = (r^1 r^2)^(1/3) = r
    close(&b.scores[5], &[1., 2., 3., 4., 5.]);
    s.aggregation = Aggregation::Harmonic;
    let b = build(&fw, &d, &s, &reg()).unwrap();
    close(&b.scores[3], &[1., 2., 3., 4., 5.]);
    // min-max from 0 under the geometric mean: unit a scores 0 on x1 -> P1 = 0 -> IDX = 0
    s.normalisation = Normalisation::Minmax;
    s.aggregation = Aggregation::Geometric;
    let b = build(&fw, &d, &s, &reg()).unwrap();
    assert_eq!(b.scores[5][0], 0.0);
    // b: x1 25, x2 25 -> P1 25; x3 25 -> IDX 25
    assert!((b.scores[5][1] - 25.0).abs() < 1e-9);
    // z-scores are negative: the geometric mean refuses them, naming the unit
    s.normalisation = Normalisation::Zscore;
    let e = build(&fw, &d, &s, &reg()).unwrap_err().to_string();
    assert!(
        e.starts_with("geometric aggregation of 'P1' for unit 'a': a child's value is -1.2649"),
        "{e}"
    );
}

#[test]
fn screening_excludes_units_below_the_threshold() {
    let fw = framework::Framework::parse(FW, Path::new("fw.csv")).unwrap();
    // e has 1 of 3 indicators (33 %): excluded at 2/3; d has 2 of 3: kept (>=)
    let d = data(
        [0., 10., 20., 30., 40.],
        [5., 4., 3., NAN, NAN],
        [10., 10., 30., 50., NAN],
    );
    let p = prepare(&fw, &d, &spec(), &reg()).unwrap();
    assert_eq!(p.units, vec![0, 1, 2, 3]);
    assert!(!p.screening[4].included);
    assert_eq!(p.screening[4].present, 1);
    assert_eq!(p.screening[3].availability, 2.0 / 3.0);
    // the screened unit does not enter the min-max: x1 now spans 0..30
    let b = build(&fw, &d, &spec(), &reg()).unwrap();
    close(&b.scores[0], &[0., 100. / 3., 200. / 3., 100.]);
}

#[test]
fn imputation_by_mean_median_group_and_latest() {
    let fw = framework::Framework::parse(FW, Path::new("fw.csv")).unwrap();
    let d = data(
        [0., 10., NAN, 30., 80.],
        [5., 4., 3., 2., 1.],
        [10., 10., 30., 50., 60.],
    );
    let mut s = spec();
    s.imputation = Imputation::Mean;
    let p = prepare(&fw, &d, &s, &reg()).unwrap();
    assert_eq!(p.treated[0][2], 30.0); // (0 + 10 + 30 + 80) / 4
    assert!(p.imputed[0][2] && !p.imputed[0][0]);
    s.imputation = Imputation::Median;
    let p = prepare(&fw, &d, &s, &reg()).unwrap();
    assert_eq!(p.treated[0][2], 20.0); // median of 0, 10, 30, 80
    // group mean within a data attribute: c is in group g1 with a and b
    let mut d2 = d.clone();
    d2.attributes.insert(
        "zone".into(),
        ["g1", "g1", "g1", "g2", "g2"]
            .map(|s| Some(s.to_string()))
            .to_vec(),
    );
    s.imputation = Imputation::GroupMean;
    s.imputation_grouping = "zone".into();
    let p = prepare(&fw, &d2, &s, &reg()).unwrap();
    assert_eq!(p.treated[0][2], 5.0); // (0 + 10) / 2
    s.imputation = Imputation::GroupMedian;
    let p = prepare(&fw, &d2, &s, &reg()).unwrap();
    assert_eq!(p.treated[0][2], 5.0);
    // latest earlier value of the panel
    let earlier = vec![vec![NAN, NAN, 17.0, NAN, NAN], vec![NAN; 5], vec![NAN; 5]];
    let d3 = IndexData::from_columns(
        d.units.clone(),
        vec![
            ("x1".into(), vec![0., 10., NAN, 30., 80.]),
            ("x2".into(), vec![5., 4., 3., 2., 1.]),
            ("x3".into(), vec![10., 10., 30., 50., 60.]),
        ],
        Some(earlier),
    );
    s.imputation = Imputation::Latest;
    let p = prepare(&fw, &d3, &s, &reg()).unwrap();
    assert_eq!(p.treated[0][2], 17.0);
    assert!(p.imputed[0][2]);
}

#[test]
fn uncertainty_is_seeded_and_brackets_the_nominal_rank_of_a_clear_leader() {
    let fw = framework::Framework::parse(FW, Path::new("fw.csv")).unwrap();
    let d = data(
        [0., 10., 20., 30., 400.],
        [5., 4., 3., 2., 1.],
        [10., 20., 30., 40., 500.],
    );
    let b = build(&fw, &d, &spec(), &reg()).unwrap();
    let cfg = crate::config::Uncertainty::default();
    let s1 = uncertainty::samples(&fw, &cfg, 100, 42);
    assert_eq!(s1, uncertainty::samples(&fw, &cfg, 100, 42));
    assert_ne!(s1, uncertainty::samples(&fw, &cfg, 100, 43));
    // renormalised among siblings, and within U(0.75, 1.25) of the nominal before that
    for s in &s1 {
        assert!((s.weights[3] + s.weights[4] - 1.0).abs() < 1e-12);
        let ratio = (s.weights[4] / s.weights[3]) / 2.0;
        assert!((0.75 / 1.25..=1.25 / 0.75).contains(&ratio), "{ratio}");
    }
    let codes = |u: usize| d.units[u].clone();
    let ranks = uncertainty::run(&fw, &b.prepared, &s1, cfg.minmax_range, &codes).unwrap();
    assert_eq!(ranks.len(), 100);
    let rs = uncertainty::rank_stats(&b.ranks[fw.root], &ranks);
    // e leads on every indicator in every sample
    assert_eq!(
        (rs[4].nominal_rank, rs[4].median_rank, rs[4].p05, rs[4].p95),
        (1.0, 1.0, 1.0, 1.0)
    );
    for r in &rs {
        assert!(r.p05 <= r.median_rank && r.median_rank <= r.p95);
    }
}

#[test]
fn diagnostics_by_hand() {
    let fw = framework::Framework::parse(FW, Path::new("fw.csv")).unwrap();
    let d = data(
        [0., 10., 20., 30., 40.],
        [5., 4., 3., 2., 1.],
        [50., 40., 30., 20., 10.],
    );
    let b = build(&fw, &d, &spec(), &reg()).unwrap();
    let codes = |u: usize| d.units[u].clone();
    let dg = diagnostics::diagnose(&fw, &b, Aggregation::Arithmetic, &codes).unwrap();
    // x1: 0..40: mean 20, median 20, sd sqrt(250)
    assert_eq!(
        (dg[0].min, dg[0].max, dg[0].mean, dg[0].median),
        (0., 40., 20., 20.)
    );
    assert!((dg[0].sd - 250f64.sqrt()).abs() < 1e-12);
    // x1 and x2 are identical after direction, and P1 equals both: correlation 1
    assert!((dg[0].pearson_parent - 1.0).abs() < 1e-12);
    assert!((dg[1].spearman_parent - 1.0).abs() < 1e-12);
    // P1 = 0 25 50 75 100 and P2 = 100 75 50 25 0: IDX = (P1 + 2 P2) / 3 = 66.7 58.3 50 41.7
    // 33.3 -> ranks 1..5 from a. Removing P2 leaves P1: ranks reverse, changes 4 2 0 2 4.
    assert_eq!(dg[4].removal_mean_rank_change, 12.0 / 5.0);
    assert_eq!(dg[4].removal_max_rank_change, 4.0);
    // removing x1 changes nothing (x2 carries the same information)
    assert_eq!(dg[0].removal_mean_rank_change, 0.0);
    assert!(dg[5].removal_mean_rank_change.is_nan());
}

#[test]
fn the_u4ssc_framework_follows_the_catalogue() {
    let units = crate::catalog::UnitRegistry::embedded().unwrap();
    let catalog = crate::catalog::Catalog::embedded(&units).unwrap();
    let targets =
        crate::pipeline::targets::Targets::load(None, &catalog, &reg(), &["all".into()]).unwrap();
    let fw = framework::Framework::u4ssc(&catalog, &targets).unwrap();
    let scored = catalog
        .data_points()
        .iter()
        .filter(|d| {
            matches!(
                d.direction,
                crate::catalog::Direction::HigherBetter | crate::catalog::Direction::LowerBetter
            )
        })
        .count();
    let bands = fw.nodes.iter().filter(|n| n.band.is_some()).count();
    assert_eq!(fw.indicators, scored + bands);
    assert_eq!(fw.nodes[fw.root].code, "index");
    assert_eq!(fw.children[fw.root].len(), 3);
    assert_eq!(fw.level_name(2), "kpi");
    let dp = fw.nodes.iter().find(|n| n.code == "EC-I-ES-1C").unwrap();
    assert_eq!(dp.direction, -1.0);
    assert_eq!(dp.parent.as_deref(), Some("kpi:EC-I-ES-1C"));
}

#[test]
fn removing_a_node_recomputes_only_its_ancestors_and_matches_a_full_rebuild() {
    let units = crate::catalog::UnitRegistry::embedded().unwrap();
    let catalog = crate::catalog::Catalog::embedded(&units).unwrap();
    let targets =
        crate::pipeline::targets::Targets::load(None, &catalog, &reg(), &["all".into()]).unwrap();
    let fw = framework::Framework::u4ssc(&catalog, &targets).unwrap();
    // deterministic scores in 1..100 for 7 units, one missing value per indicator or so
    let n = 7;
    let indicators: Vec<Vec<f64>> = (0..fw.indicators)
        .map(|i| {
            (0..n)
                .map(|u| {
                    let h = (i * 31 + u * 17 + 5) % 97;
                    if h == 3 { f64::NAN } else { 1.0 + h as f64 }
                })
                .collect()
        })
        .collect();
    let codes = |u: usize| format!("u{u}");
    for method in [Aggregation::Arithmetic, Aggregation::Geometric] {
        let aggs = aggregate_all(&fw, &indicators, &fw.weights(), method, &codes).unwrap();
        let scores: Vec<Vec<f64>> = indicators.iter().cloned().chain(aggs).collect();
        for k in 0..fw.nodes.len() {
            let mut w = fw.weights();
            w[k] = 0.0;
            let full = aggregate_all(&fw, &indicators, &w, method, &codes).unwrap();
            let root = reaggregate_above(&fw, &scores, &w, method, &codes, k).unwrap();
            let want = &full[fw.root - fw.indicators];
            for (a, b) in root.iter().zip(want) {
                assert!(
                    a.to_bits() == b.to_bits(),
                    "{} {method:?}: {a} vs {b}",
                    fw.nodes[k].code
                );
            }
        }
    }
}
