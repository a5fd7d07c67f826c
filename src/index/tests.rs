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

/// d has 2 of the 3 indicators, e only 1 (x1).
fn sparse_e() -> IndexData {
    data(
        [0., 10., 20., 30., 40.],
        [5., 4., 3., NAN, NAN],
        [10., 10., 30., 50., NAN],
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
    let d = sparse_e();
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
fn uncertainty_variants_must_rank_the_units_of_the_build() {
    let fw = framework::Framework::parse(FW, Path::new("fw.csv")).unwrap();
    // e has 1 of 3 indicators: screened after imputation, "none" leaves it out and "mean"
    // keeps it (screening_after_imputation_counts_imputed_values)
    let d = sparse_e();
    let mut s = spec();
    s.screen_on = ScreenOn::Imputed;
    let b = build(&fw, &d, &s, &reg()).unwrap();
    let cfg = crate::config::Uncertainty {
        imputations: vec![Imputation::None, Imputation::Mean],
        ..Default::default()
    };
    let samples = uncertainty::samples(&fw, &cfg, 20, 1);
    let err = uncertainty::Variants::new(&fw, &d, &s, &reg(), &b.prepared, &samples, [1., 100.])
        .err()
        .expect("the mean variant ranks e too")
        .to_string();
    assert_eq!(
        err,
        "index.uncertainty: imputation 'mean' with treatment 'none' ranks 5 units where the build ranks 4; every sample must rank the same units"
    );
    // evaluating such samples on the one preparation is refused
    let codes = |u: usize| d.units[u].clone();
    assert_eq!(
        uncertainty::run(&fw, &b.prepared, &samples, [1., 100.], &codes)
            .unwrap_err()
            .to_string(),
        "uncertainty::run evaluates one preparation; samples that vary imputation or treatment need Variants::new and run_with_progress"
    );
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

/// The notes `check_choices` prints for configuration `c` (which it must accept).
fn notes_of(fw: &framework::Framework, c: &Config) -> Vec<String> {
    let mut notes = Vec::new();
    choices::check_choices(fw, &Spec::from_config(c), 0, c, Path::new("c.toml"), |n| {
        notes.push(n.to_string())
    })
    .unwrap();
    notes
}

/// A configuration of `toml` text (`[index]` settings and tables).
fn config(toml: &str) -> Config {
    Config::parse(toml, Path::new("c.toml")).unwrap()
}

#[test]
fn one_method_per_indicator_by_hand() {
    let fw = framework::Framework::parse(FW, Path::new("fw.csv")).unwrap();
    let d = data(
        [0., 10., 20., 30., 40.],
        [5., 4., 3., 2., 1.],
        [10., 10., 30., 50., NAN],
    );
    let c = config(
        "[index.normalise.x2]\nmethod = \"borda\"\n[index.normalise.x3]\nminmax_range = [1.0, 11.0]\n",
    );
    let b = build(&fw, &d, &Spec::from_config(&c), &reg()).unwrap();
    // x1 by the run's min-max: 0 25 50 75 100
    close(&b.scores[0], &[0., 25., 50., 75., 100.]);
    // x2 borda after the direction: -5 -4 -3 -2 -1 rank 1..5 -> 0 1 2 3 4
    close(&b.scores[1], &[0., 1., 2., 3., 4.]);
    // x3 min-max onto its own [1, 11]: (x - 10) / 40 x 10 + 1 = 1 1 6 11 NaN
    close(&b.scores[2], &[1., 1., 6., 11., NAN]);
    // P1 = (x1 + x2) / 2 = 0 13 26 39 52; IDX = (P1 + 2 x3) / 3 = 2/3 5 38/3 61/3, e: P1
    close(&b.scores[3], &[0., 13., 26., 39., 52.]);
    close(&b.scores[5], &[2. / 3., 5., 38. / 3., 61. / 3., 52.]);
    close(&b.ranks[5], &[5., 4., 3., 2., 1.]);
    // an uncertainty sample drawing rank keeps x2's borda and x3's range
    let n = normalise_all(&fw, &b.prepared, Normalisation::Rank, [1.0, 100.0]);
    close(&n[0], &[1., 2., 3., 4., 5.]);
    close(&n[1], &[0., 1., 2., 3., 4.]);
    // x3 has a range but no method of its own: the sample's rank (10 10 30 50: 1 1 3 4)
    close(&n[2], &[1., 1., 3., 4., NAN]);
}

#[test]
fn zscore_with_target_mean_and_sd_in_a_whole_index() {
    let fw = framework::Framework::parse(FW, Path::new("fw.csv")).unwrap();
    let d = data(
        [0., 10., 20., 30., 40.],
        [5., 4., 3., 2., 1.],
        [10., 20., 30., 40., 50.],
    );
    // COINr's published variant: n_zscore with m_sd = c(10, 2). Every column is 1..5 in
    // steps after its direction: z = (r - 3) / sqrt(2.5), score 10 + 2 z; P1, P2 and IDX
    // are means of equal columns, so the index is 10 + 2 z too, and the geometric mean
    // of positive equal values is the same
    let mut c = config("[index]\nnormalisation = \"zscore\"\nzscore_mean_sd = [10.0, 2.0]\n");
    let s = 2.5f64.sqrt();
    let want: Vec<f64> = (1..=5).map(|r| 10.0 + 2.0 * (r as f64 - 3.0) / s).collect();
    let b = build(&fw, &d, &Spec::from_config(&c), &reg()).unwrap();
    close(&b.scores[5], &want);
    c.index.aggregation = Aggregation::Geometric;
    let spec = Spec::from_config(&c);
    // a mean above 0: the geometric mean is not refused
    choices::check_choices(&fw, &spec, 0, &c, Path::new("c.toml"), |_| {}).unwrap();
    let b = build(&fw, &d, &spec, &reg()).unwrap();
    close(&b.scores[5], &want);
}

#[test]
fn distance_to_a_reference_unit_in_a_whole_index() {
    let fw = framework::Framework::parse(FW, Path::new("fw.csv")).unwrap();
    let d = data(
        [0., 10., 20., 30., 40.],
        [5., 4., 3., 2., 1.],
        [10., 10., 30., 50., NAN],
    );
    let c = config("[index]\nnormalisation = \"dist2ref\"\nreference_unit = \"c\"\n");
    let b = build(&fw, &d, &Spec::from_config(&c), &reg()).unwrap();
    // x1 against c's 20, min 0: 1 - (20 - x) / 20
    close(&b.scores[0], &[0., 0.5, 1., 1.5, 2.]);
    // x2 after the direction: -5..-1 against c's -3, min -5: 1 - (-3 - d) / 2
    close(&b.scores[1], &[0., 0.5, 1., 1.5, 2.]);
    // x3 against c's 30, min 10: 1 - (30 - x) / 20
    close(&b.scores[2], &[0., 0., 1., 2., NAN]);
    // x3 capped at 1 and measured against a value of its own (20): 1 - (20 - x) / 10
    let c = config(
        "[index]\nnormalisation = \"dist2ref\"\nreference_unit = \"c\"\n[index.normalise.x3]\nreference_value = 20.0\nreference_cap = true\n",
    );
    let b = build(&fw, &d, &Spec::from_config(&c), &reg()).unwrap();
    close(&b.scores[2], &[0., 0., 1., 1., NAN]);
    // a reference that is no unit, or was screened out, is an error naming it
    let e = |toml: &str, d: &IndexData| {
        build(&fw, d, &Spec::from_config(&config(toml)), &reg())
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        e(
            "[index]\nnormalisation = \"dist2ref\"\nreference_unit = \"zz\"\n",
            &d
        ),
        "index.reference_unit: 'zz' is not a unit of memory; distance to reference (dist2ref) measures against a ranked unit"
    );
    assert_eq!(
        e(
            "[index]\nnormalisation = \"dist2ref\"\nreference_unit = \"e\"\n",
            &data(
                [0., 10., 20., 30., 40.],
                [5., 4., 3., 2., NAN],
                [10., 10., 30., 50., NAN],
            )
        ),
        "index.reference_unit: 'e' was screened out (availability 33.3 % < 66.7 %); distance to reference (dist2ref) measures against a ranked unit"
    );
    assert_eq!(
        e(
            "[index.normalise.x1]\nmethod = \"dist2ref\"\nreference_unit = \"zz\"\n",
            &d
        ),
        "index.normalise.x1.reference_unit: 'zz' is not a unit of memory; distance to reference (dist2ref) measures against a ranked unit"
    );
}

#[test]
fn per_indicator_choices_that_cannot_work_are_refused() {
    let fw = framework::Framework::parse(FW, Path::new("fw.csv")).unwrap();
    let e = |toml: &str, uncertainty: usize| {
        let c = config(toml);
        choices::check_choices(
            &fw,
            &Spec::from_config(&c),
            uncertainty,
            &c,
            Path::new("c.toml"),
            |_| {},
        )
        .unwrap_err()
        .to_string()
    };
    assert_eq!(
        e("[index.normalise.x9]\nmethod = \"rank\"\n", 0),
        "c.toml: index.normalise.x9: 'x9' is not an indicator of the framework fw.csv; its indicators are: x1, x2, x3"
    );
    assert_eq!(
        e(
            "[index]\naggregation = \"geometric\"\nminmax_range = [1.0, 100.0]\n[index.normalise.x2]\nmethod = \"zscore\"\n",
            0
        ),
        "c.toml: index.normalise.x2: zscore normalisation gives negative values, which the geometric mean cannot take; use another method or a zscore_mean_sd with a mean above 0 (e.g. [10.0, 2.0])"
    );
    // every indicator has its own method: the run's z-score is not used, nothing refused
    let c = config(
        "[index]\nnormalisation = \"zscore\"\naggregation = \"geometric\"\n[index.normalise.x1]\nmethod = \"rank\"\n[index.normalise.x2]\nmethod = \"rank\"\n[index.normalise.x3]\nmethod = \"rank\"\n",
    );
    let notes = notes_of(&fw, &c);
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(
        e("[index.normalise.x3]\nmethod = \"goalposts\"\n", 0),
        "c.toml: index: goalposts normalisation needs a worst value and a target for every indicator; 1 of 3 have none (first: x3); give them in targets.csv or the framework's Worst/Target columns, or choose another normalisation"
    );
    // an indicator's own method is in every uncertainty sample
    assert_eq!(
        e("[index.normalise.x1]\nmethod = \"borda\"\n", 10),
        "c.toml: index.uncertainty: borda (index.normalise.x1) normalisation gives values of 0 or below, which the geometric mean cannot take in every sample; pair it with the arithmetic mean only, or use rank or minmax with minmax_range starting above 0"
    );
    // a note names the method that gives 0: an indicator's own
    let c = config(
        "[index]\naggregation = \"geometric\"\nminmax_range = [1.0, 100.0]\n[index.normalise.x3]\nmethod = \"prank\"\n",
    );
    let notes = notes_of(&fw, &c);
    assert_eq!(
        notes,
        [
            "note: geometric aggregation after prank normalisation: a unit scoring 0 on a child stops the run, as COINr refuses zeros; its users map min-max onto [1, 100] (set [index] minmax_range = [1.0, 100.0])"
        ]
    );
}

#[test]
fn screening_after_imputation_counts_imputed_values() {
    let fw = framework::Framework::parse(FW, Path::new("fw.csv")).unwrap();
    // e has 1 of 3 indicators: screened out on the reported data (previous test)
    let d = sparse_e();
    let mut s = spec();
    s.imputation = Imputation::Mean;
    s.screen_on = ScreenOn::Imputed;
    let p = prepare(&fw, &d, &s, &reg()).unwrap();
    // imputed first, over all five units: x2 = mean(5, 4, 3) = 4 for d and e; x3 =
    // mean(10, 10, 30, 50) = 25 for e; so every unit has 3 of 3 and is kept
    assert_eq!(p.units, vec![0, 1, 2, 3, 4]);
    assert_eq!(p.screening[4].present, 3);
    assert_eq!(p.screening[4].availability, 1.0);
    assert_eq!(p.treated[1][3], 4.0);
    assert_eq!(p.treated[1][4], 4.0);
    assert_eq!(p.treated[2][4], 25.0);
    assert!(p.imputed[1][4] && p.imputed[2][4] && !p.imputed[0][4]);
    // raw stays as reported
    assert!(p.raw[2][4].is_nan());
    // on the reported data e is out, and the mean of x3 is over a..d only (same 25)
    s.screen_on = ScreenOn::Reported;
    let p = prepare(&fw, &d, &s, &reg()).unwrap();
    assert_eq!(p.units, vec![0, 1, 2, 3]);
    assert_eq!(p.treated[1][3], 4.0);
    // nothing to impute from and nothing reported: no unit is kept, and the message says
    // availability was measured after imputation
    let empty = data([NAN; 5], [NAN; 5], [1., NAN, NAN, NAN, NAN]);
    s.screen_on = ScreenOn::Imputed;
    let e = prepare(&fw, &empty, &s, &reg()).unwrap_err().to_string();
    assert_eq!(
        e,
        "no unit has data for at least 66.7 % of the 3 indicators ([index] availability_min) after imputation; lower it or add data"
    );
}

#[test]
fn per_indicator_treatment_limits_and_exemptions() {
    // x1 = 1..10, 30, 100 on twelve units: fails (skew 3.06, kurt 9.74); one clip
    // (100 -> 30) passes (treat.rs). x3 the same.
    let fw = framework::Framework::parse(FW, Path::new("fw.csv")).unwrap();
    let units: Vec<String> = (0..12).map(|u| format!("u{u}")).collect();
    let col: Vec<f64> = vec![1., 2., 3., 4., 5., 6., 7., 8., 9., 10., 30., 100.];
    let d = IndexData::from_columns(
        units,
        vec![
            ("x1".into(), col.clone()),
            ("x2".into(), (1..=12).map(f64::from).collect()),
            ("x3".into(), col.clone()),
        ],
        None,
    );
    let cfg = Config::parse(
        "[index]\noutliers = \"jrc\"\n[index.treat.x1]\noutliers = \"none\"\n[index.treat.x3]\nwinsorise_max = 0\ntransform = \"log_ct_orig\"\n",
        Path::new("c.toml"),
    )
    .unwrap();
    let s = Spec::from_config(&cfg);
    let p = prepare(&fw, &d, &s, &reg()).unwrap();
    // x1 exempt: untouched
    assert_eq!(p.treatments[0], Treatment::Exempt);
    assert_eq!(p.treated[0], col);
    // x2 (1..12) passes
    assert_eq!(p.treatments[1], Treatment::None);
    // x3: a limit of 0 clips nothing, so the transform of its own table applies:
    // ln(x - 1 + 1) = ln x
    assert_eq!(
        p.treatments[2],
        Treatment::Transformed(treat::Transform::LogCtOrig)
    );
    assert_eq!(p.treated[2][11], 100f64.ln());
    let a = p.attempts[2].unwrap();
    assert_eq!((a.high, a.low), (0, 0));
    assert!((a.skew - 3.0632).abs() < 1e-4 && (a.kurtosis - 9.7414).abs() < 1e-4);
    // a code the framework does not have is refused before any work
    let cfg = Config::parse("[index.treat.x9]\nwinsorise_max = 2\n", Path::new("c.toml")).unwrap();
    let e = choices::check_choices(
        &fw,
        &Spec::from_config(&cfg),
        0,
        &cfg,
        Path::new("c.toml"),
        |_| {},
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "c.toml: index.treat.x9: the framework has no indicator 'x9'; name one of its 3 indicators (first: x1, x2, x3)"
    );
}

#[test]
fn extended_diagnostics_by_hand() {
    let fw = framework::Framework::parse(FW, Path::new("fw.csv")).unwrap();
    let d = data(
        [0., 10., 20., 30., 40.],
        [5., 4., 3., 2., NAN],
        [50., 0., 30., 20., 10.],
    );
    let b = build(&fw, &d, &spec(), &reg()).unwrap();
    let e = diagnostics::extended(&fw, &d, &b, &crate::config::Diagnostics::default());
    // normalised: x1 0 25 50 75 100; x2 (directed -5..-2) 0 33.3 66.7 100 NaN; x3 (0..50)
    // 100 0 60 40 20. P1 = mean(x1, x2) = 0 29.17 58.33 87.5 100 (e: x1 alone); P2 = x3.
    // Pairs: P1's (x1, x2) over the 4 complete units, r = 1 > 0.9: collinear; P2 has one
    // child, no pair; IDX's (P1, P2): r = -0.48914 < -0.4: negative.
    assert_eq!(e.pairs.len(), 2);
    let (p, q) = (&e.pairs[0], &e.pairs[1]);
    assert_eq!(
        (p.parent, p.a, p.b, p.n, p.flag),
        (3, 0, 1, 4, Some("collinear"))
    );
    assert!((p.pearson - 1.0).abs() < 1e-12 && (p.spearman - 1.0).abs() < 1e-12);
    assert_eq!(
        (q.parent, q.a, q.b, q.n, q.flag),
        (5, 3, 4, 5, Some("negative"))
    );
    assert!(
        (q.pearson + 0.48914183071950423).abs() < 1e-12,
        "{}",
        q.pearson
    );
    // P1: x1 and x2 correlate perfectly on the 4 complete units: first component carries
    // everything (eigenvalues 2, 0); P2: one child (alpha undefined, its 1 x 1
    // correlation matrix has eigenvalue 1)
    let a = &e.aggregates;
    assert_eq!((a[0].node, a[0].children, a[0].pca_units), (3, 2, 4));
    assert!(
        (a[0].pc1_eigenvalue - 2.0).abs() < 1e-12 && (a[0].pc1_variance_share - 1.0).abs() < 1e-12
    );
    assert!(a[1].cronbach_alpha.is_nan());
    assert_eq!((a[1].pc1_eigenvalue, a[1].pc1_variance_share), (1.0, 1.0));
    // IDX: alpha = k/(k-1) (1 - trace C / sum C) on P1, P2, checked term by term
    let (p1, p2) = (&b.scores[3], &b.scores[4]);
    let c11 = stats::covariance(p1, p1);
    let c22 = stats::covariance(p2, p2);
    let c12 = stats::covariance(p1, p2);
    let want = 2.0 * (1.0 - (c11 + c22) / (c11 + c22 + 2.0 * c12));
    assert!((a[2].cronbach_alpha - want).abs() < 1e-12);
    // and its PCA: eigenvalues 1 +- |r| of [[1, r], [r, 1]]
    assert!((a[2].pc1_eigenvalue - (1.0 + 0.48914183071950423)).abs() < 1e-12);
    // no denominators in this framework
    assert!(e.denominators.is_empty());
    // units as reported: a has one zero (x1) of 3 values, b one (x3), e one missing
    let u = &e.units;
    assert_eq!((u[0].missing, u[0].zeros), (0, 1));
    assert_eq!(u[0].non_zero_share, 1.0 - 1.0 / 3.0);
    assert_eq!((u[1].zeros, u[2].zeros), (1, 0));
    assert_eq!(
        (u[4].missing, u[4].zeros, u[4].non_zero_share, u[4].imputed),
        (1, 0, 1.0, 0)
    );
    // strengths (n = 5 > what is left, so all kept indicators both ways). Ranks of the
    // directed values (1 = best): x1 a5 b4 c3 d2 e1 (last 5); x2 a4 b3 c2 d1 e- (last 4);
    // x3 a1 b5 c2 d3 e4 (last 5). a: x1 and x2 last -> left out, x3 only.
    let of = |unit: usize, strength: bool| -> Vec<(usize, f64, f64)> {
        e.strengths
            .iter()
            .filter(|s| s.unit == unit && s.strength == strength)
            .map(|s| (s.indicator, s.rank, s.value))
            .collect()
    };
    assert_eq!(of(0, true), vec![(2, 1., 50.)]);
    assert_eq!(of(0, false), vec![(2, 1., 50.)]);
    // c: x2 (2), x3 (2, tie after x2 in framework order), x1 (3)
    assert_eq!(of(2, true), vec![(1, 2., 3.), (2, 2., 30.), (0, 3., 20.)]);
    // with n = 1: c's strength x2, weakness x1; e's strength x1, weakness x3
    let one = diagnostics::strengths_weaknesses(&fw, &b.prepared, 1);
    let pick = |unit: usize| -> Vec<(bool, usize)> {
        one.iter()
            .filter(|s| s.unit == unit)
            .map(|s| (s.strength, s.indicator))
            .collect()
    };
    assert_eq!(pick(2), vec![(true, 1), (false, 0)]);
    assert_eq!(pick(4), vec![(true, 0), (false, 2)]);
}

#[test]
fn cronbach_pca_and_denominator_correlations_by_hand() {
    // a = 1 2 3, b = 2 2 5: var a 1, var b 3, cov 1.5; sum of C = 7, trace 4:
    // alpha = 2^2 x ((7 - 4) / 2) / 7 = 6/7
    let (a, b) = ([1., 2., 3.], [2., 2., 5.]);
    assert!((diagnostics::cronbach(&[&a, &b]) - 6.0 / 7.0).abs() < 1e-12);
    // r = 1.5 / sqrt(3) = sqrt(3)/2: first eigenvalue 1 + r, share (1 + r) / 2
    let (n, l1, share) = diagnostics::first_component(&[&a, &b]);
    let r = 3f64.sqrt() / 2.0;
    assert_eq!(n, 3);
    assert!((l1 - (1.0 + r)).abs() < 1e-12 && (share - (1.0 + r) / 2.0).abs() < 1e-12);
    // a constant column cannot be scaled (prcomp refuses): undefined
    assert!(
        diagnostics::first_component(&[&a, &[4., 4., 4.]])
            .1
            .is_nan()
    );
    // x1 = 1..5 and pop = 2 4 6 8 10: r = 1 > 0.6, flagged; x2 = 3 1 4 1 5: r = 8 /
    // sqrt(12.8 x 40) = 1/(2 sqrt 2), not flagged
    let fw = framework::Framework::parse(
        "iCode,Level,Parent,Weight,Direction,Type,Denominator\nx1,1,IDX,1,1,Indicator,pop\nx2,1,IDX,1,1,Indicator,\nIDX,2,,1,,Aggregate,\n",
        Path::new("fw.csv"),
    )
    .unwrap();
    let d = IndexData::from_columns(
        ["a", "b", "c", "d", "e"].map(String::from).to_vec(),
        vec![
            ("x1".into(), vec![1., 2., 3., 4., 5.]),
            ("x2".into(), vec![3., 1., 4., 1., 5.]),
            ("pop".into(), vec![2., 4., 6., 8., 10.]),
        ],
        None,
    );
    let dc = diagnostics::denominator_correlations(&fw, &d, &[0, 1, 2, 3, 4], 0.6);
    assert_eq!(dc.len(), 2);
    assert_eq!(
        (
            dc[0].indicator,
            dc[0].denominator.as_str(),
            dc[0].n,
            dc[0].flagged
        ),
        (0, "pop", 5, true)
    );
    assert!((dc[0].pearson - 1.0).abs() < 1e-12);
    assert!((dc[1].pearson - 1.0 / (2.0 * 2f64.sqrt())).abs() < 1e-12);
    assert!(!dc[1].flagged);
}

#[test]
fn screening_by_zeros_as_coinr_screen() {
    let fw = framework::Framework::parse(FW, Path::new("fw.csv")).unwrap();
    // a: 0 0 0 (no non-zero value: 0 % < 5 %); b: 0 4 10 (2/3 non-zero); e: one value, 40
    let d = data(
        [0., 0., 20., 30., 40.],
        [0., 4., 3., 2., NAN],
        [0., 10., 30., 50., NAN],
    );
    let mut s = spec();
    s.screen_by = ScreenBy::Zeros;
    let p = prepare(&fw, &d, &s, &reg()).unwrap();
    // by zeros only: a out, e kept (its one value is non-zero)
    assert_eq!(p.units, vec![1, 2, 3, 4]);
    assert_eq!((p.screening[0].zeros, p.screening[0].non_zero), (3, 0.0));
    assert_eq!(p.screening[1].non_zero, 1.0 - 1.0 / 3.0);
    assert!(p.screening[0].low_non_zero && !p.screening[0].low_data);
    let t = tables::units(&d, &p, s.availability_min, 3).unwrap();
    let reason = t
        .column("reason")
        .unwrap()
        .str()
        .unwrap()
        .get(0)
        .unwrap()
        .to_string();
    assert_eq!(
        reason,
        "3 of its 3 values are zero (0.0 % non-zero), below [index] nonzero_min"
    );
    // either: e out too (1 of 3 indicators)
    s.screen_by = ScreenBy::MissingAndZeros;
    let p = prepare(&fw, &d, &s, &reg()).unwrap();
    assert_eq!(p.units, vec![1, 2, 3]);
    // a threshold nobody meets
    s.screen_by = ScreenBy::Zeros;
    s.nonzero_min = 1.0;
    let all_zero = data(
        [0., 1., 1., 1., 1.],
        [1., 0., 1., 1., 1.],
        [1., 1., 0., 0., 0.],
    );
    let e = prepare(&fw, &all_zero, &s, &reg()).unwrap_err().to_string();
    assert_eq!(
        e,
        "no unit has at least 100.0 % non-zero values among those it has ([index] nonzero_min, screen_by = \"zeros\"); lower it or add data"
    );
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
