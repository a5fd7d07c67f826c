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
    // min-max from 0 under the geometric mean: unit a scores 0 on x1, which COINr's
    // a_gmean refuses; so does citybench, naming the aggregate, the unit and what to do
    s.normalisation = Normalisation::Minmax;
    s.aggregation = Aggregation::Geometric;
    let e = build(&fw, &d, &s, &reg()).unwrap_err().to_string();
    assert_eq!(
        e,
        "geometric aggregation of 'P1' for unit 'a': a child's value is 0, which the geometric mean cannot take (COINr refuses zeros too); normalise onto a range starting above 0 ([index] minmax_range = [1.0, 100.0]) or with rank, or aggregate with the arithmetic mean"
    );
    // onto [1, 100] (as COINr users do): b: x1 25.75, x2 25.75 -> P1 25.75; x3 25.75
    s.minmax_range = [1.0, 100.0];
    let b = build(&fw, &d, &s, &reg()).unwrap();
    assert!((b.scores[5][1] - 25.75).abs() < 1e-9);
    assert!((b.scores[5][0] - 1.0).abs() < 1e-9);
    s.minmax_range = [0.0, 100.0];
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

#[test]
fn one_method_per_level_and_the_availability_threshold_per_aggregate() {
    let fw = framework::Framework::parse(FW, Path::new("fw.csv")).unwrap();
    let d = data(
        [0., 10., 20., 30., 40.],
        [5., 4., 3., 2., NAN],
        [10., 20., 30., 40., 50.],
    );
    let mut s = spec();
    s.normalisation = Normalisation::Rank;
    // level 2 (P1, P2) by weighted median, level 3 (IDX) by the generalised mean, p = 2
    s.aggregation_by_level = vec![Aggregation::WeightedMedian, Aggregation::Generalised];
    s.genmean_p = 2.0;
    let b = build(&fw, &d, &s, &reg()).unwrap();
    // ranks (1 = lowest): x1 1..5; x2 directed -5..-2 -> 1..4, e missing; x3 1..5
    // P1 = median of two equal weights = their mean: 1 2 3 4, e: x1 alone = 5
    close(&b.scores[3], &[1., 2., 3., 4., 5.]);
    // IDX = sqrt((1 P1^2 + 2 P2^2) / 3) with P2 = x3 = P1: 1 2 3 4 5
    close(&b.scores[5], &[1., 2., 3., 4., 5.]);
    // single aggregates by their own method, before their level's: P1 by Copeland, IDX by
    // the arithmetic mean (P2 keeps the level's weighted median: x3 = 1..5).
    // P1: a..d agree on x1 and x2 (ranks 1..4), so of a pair the later unit wins both
    // children; e has only x1 (5) and wins every pair on it: a -3 - 1 = -4, b 1 - 2 - 1 =
    // -2, c 2 - 1 - 1 = 0, d 3 - 1 = 2, e 4.
    // IDX = (P1 + 2 P2) / 3: -2/3, 2/3, 2, 10/3, 14/3
    s.aggregation_by_aggregate = [
        ("P1".to_string(), Aggregation::Copeland),
        ("IDX".to_string(), Aggregation::Arithmetic),
    ]
    .into();
    let b = build(&fw, &d, &s, &reg()).unwrap();
    close(&b.scores[3], &[-4., -2., 0., 2., 4.]);
    close(&b.scores[5], &[-2. / 3., 2. / 3., 2., 10. / 3., 14. / 3.]);
    s.aggregation_by_aggregate.clear();
    // a unit needs 3/4 of the children of each aggregate: e has 1 of 2 of P1 (0.5 < 0.75):
    // no P1, and then 1 of 2 of IDX: no index score either
    s.aggregation_by_level.clear();
    s.aggregation = Aggregation::Arithmetic;
    s.aggregate_availability_min = 0.75;
    let b = build(&fw, &d, &s, &reg()).unwrap();
    close(&b.scores[3], &[1., 2., 3., 4., NAN]);
    close(&b.scores[5], &[1., 2., 3., 4., NAN]);
    // at one half, e keeps both (x1 alone for P1, as without a threshold)
    s.aggregate_availability_min = 0.5;
    let b = build(&fw, &d, &s, &reg()).unwrap();
    close(&b.scores[5], &[1., 2., 3., 4., 5.]);
}

#[test]
fn choices_refuse_a_method_list_of_the_wrong_length_and_zscores_under_power_means() {
    let fw = framework::Framework::parse(FW, Path::new("fw.csv")).unwrap();
    let config = Config::default();
    let check = |s: &Spec| {
        let mut notes = Vec::new();
        let r = choices::check_choices(&fw, s, 0, &config, Path::new("c.toml"), |n| {
            notes.push(n.to_string())
        });
        (r.map_err(|e| e.to_string()), notes)
    };
    let mut s = spec();
    s.aggregation_by_level = vec![Aggregation::Arithmetic];
    assert_eq!(
        check(&s).0,
        Err("c.toml: index.aggregation_by_level names 1 method(s), but the framework has 2 aggregation level(s) (levels 2 to 3); name one method per level, from level 2 upwards".into())
    );
    s.aggregation_by_level = vec![Aggregation::Arithmetic, Aggregation::Generalised];
    s.normalisation = Normalisation::Zscore;
    assert_eq!(
        check(&s).0,
        Err("c.toml: index: zscore normalisation gives negative values, which the generalised mean cannot take; use minmax, percentile or rank".into())
    );
    s.aggregation_by_level = vec![Aggregation::Bod, Aggregation::Arithmetic];
    assert_eq!(
        check(&s).0,
        Err("c.toml: index: zscore normalisation gives negative values, which the bod method cannot take; use minmax, percentile or rank".into())
    );
    // an override by aggregate comes before its level's method
    s.aggregation_by_level = vec![Aggregation::WeightedMedian, Aggregation::Copeland];
    s.aggregation_by_aggregate = [("P2".to_string(), Aggregation::Harmonic)].into();
    assert_eq!(
        check(&s).0,
        Err("c.toml: index: zscore normalisation gives negative values, which the harmonic mean cannot take; use minmax, percentile or rank".into())
    );
    s.aggregation_by_aggregate = [("P9".to_string(), Aggregation::Harmonic)].into();
    assert_eq!(
        check(&s).0,
        Err("c.toml: index.aggregation_by_aggregate names 'P9', which is not an aggregate of the framework; its aggregates are: P1, P2, IDX".into())
    );
    s.aggregation_by_aggregate.clear();
    // z-scores with the weighted median and Copeland are fine; bod prints a note
    s.aggregation_by_level = vec![Aggregation::WeightedMedian, Aggregation::Copeland];
    assert_eq!(check(&s), (Ok(()), vec![]));
    s.normalisation = Normalisation::Minmax;
    s.aggregation_by_level = vec![Aggregation::Bod, Aggregation::Arithmetic];
    s.aggregation_by_aggregate = [("IDX".to_string(), Aggregation::Bod)].into();
    assert_eq!(
        check(&s).1,
        vec!["note: bod aggregation of 'P1' and 2 more aggregate(s): each unit's children are weighted by the unit's own most favourable weights (Compind's ci_bod); the framework's weights of these children take no part (a weight of 0 leaves a child out)".to_string()]
    );
    s.aggregation_by_aggregate.clear();
    s.aggregation_by_level = vec![Aggregation::Arithmetic, Aggregation::Bod];
    assert_eq!(
        check(&s),
        (
            Ok(()),
            vec!["note: bod aggregation of 'IDX': each unit's children are weighted by the unit's own most favourable weights (Compind's ci_bod); the framework's weights of these children take no part (a weight of 0 leaves a child out)".to_string()]
        )
    );
}

#[test]
fn copeland_and_bod_through_a_build() {
    let fw = framework::Framework::parse(FW, Path::new("fw.csv")).unwrap();
    let d = data(
        [0., 10., 20., 30., 40.],
        [5., 4., 3., 2., 1.],
        [50., 40., 30., 20., 10.],
    );
    let mut s = spec();
    // P1: x1 and x2 agree (0 25 50 75 100): Copeland: unit i outranks the i units below it
    // and is outranked by the 4 - i above: 2 i - 4 = -4 -2 0 2 4; P2 = x3 = 100 75 50 25 0:
    // 4 2 0 -2 -4. IDX (arithmetic, P2 weight 2): (P1 + 2 P2) / 3 = 4/3 2/3 0 -2/3 -4/3
    s.aggregation_by_level = vec![Aggregation::Copeland, Aggregation::Arithmetic];
    let b = build(&fw, &d, &s, &reg()).unwrap();
    close(&b.scores[3], &[-4., -2., 0., 2., 4.]);
    close(&b.scores[5], &[4. / 3., 2. / 3., 0., -2. / 3., -4. / 3.]);
    // bod at the top: P1 = 0 25 50 75 100, P2 = 100 75 50 25 0: a and e reach 1 alone
    // (weight 1/100 on their strong child); c: max 50 (w1 + w2) under 100 w1 <= 1,
    // 100 w2 <= 1, 75 w1 + 25 w2 <= 1, 25 w1 + 75 w2 <= 1: adding the last two, 100 (w1 +
    // w2) <= 2 -> 50 x 2/100 = 1; b: max 25 w1 + 75 w2 is its own row: 1. Every unit is on
    // the frontier of a straight line of units: all 1
    s.aggregation_by_level = vec![Aggregation::Arithmetic, Aggregation::Bod];
    let b = build(&fw, &d, &s, &reg()).unwrap();
    close(&b.scores[5], &[1., 1., 1., 1., 1.]);
}

#[test]
fn the_uncertainty_check_refuses_only_methods_that_cannot_take_its_normalisations() {
    let fw = framework::Framework::parse(FW, Path::new("fw.csv")).unwrap();
    let check = |norms: &[Normalisation], aggs: &[Aggregation], p: f64| {
        let mut c = Config::default();
        c.index.uncertainty.normalisations = norms.to_vec();
        c.index.uncertainty.aggregations = aggs.to_vec();
        c.index.genmean_p = p;
        choices::check_choices(&fw, &spec(), 10, &c, Path::new("c.toml"), |_| {})
            .map_err(|e| e.to_string())
    };
    use Aggregation::*;
    use Normalisation::*;
    // zeros (percentile) are fine for the median, Copeland, bod and the generalised mean
    // with p > 0; negatives (z-scores) only for the arithmetic mean, median and Copeland
    assert_eq!(
        check(
            &[Percentile],
            &[WeightedMedian, Copeland, Bod, Generalised],
            2.0
        ),
        Ok(())
    );
    assert_eq!(
        check(&[Zscore], &[Arithmetic, WeightedMedian, Copeland], 2.0),
        Ok(())
    );
    assert_eq!(
        check(&[Percentile], &[Generalised], -1.0),
        Err("c.toml: index.uncertainty: percentile normalisation gives values of 0 or below, which the generalised mean cannot take in every sample; pair it with the arithmetic mean only, or use rank or minmax with minmax_range starting above 0".into())
    );
    assert_eq!(
        check(&[Rank, Zscore], &[Arithmetic, Bod], 2.0),
        Err("c.toml: index.uncertainty: zscore normalisation gives values of 0 or below, which the bod method cannot take in every sample; pair it with the arithmetic mean only, or use rank or minmax with minmax_range starting above 0".into())
    );
}
