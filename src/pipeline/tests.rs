//! Stage tests on tiny frames with hand-computed values.

use polars::prelude::*;

use super::attainment::*;
use super::*;
use crate::schema::derived::{self as d, METHOD_RATIO};

fn f64s(df: &DataFrame, c: &str) -> Vec<Option<f64>> {
    df.column(c).unwrap().f64().unwrap().iter().collect()
}
fn i32s(df: &DataFrame, c: &str) -> Vec<Option<i32>> {
    df.column(c).unwrap().i32().unwrap().iter().collect()
}
fn strs(df: &DataFrame, c: &str) -> Vec<Option<String>> {
    df.column(c)
        .unwrap()
        .cast(&DataType::String)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|s| s.map(String::from))
        .collect()
}
fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() <= 1e-12 * b.abs().max(1.0))
}

/// direction, value, target, worst, tolerance.
type Case<'a> = (&'a str, Option<f64>, Option<f64>, Option<f64>, Option<f64>);

/// -> method, attainment, points, state.
fn attain(rows: &[Case<'_>], bounded: bool) -> DataFrame {
    let df = df!(
        d::DIRECTION => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        d::VALUE => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        d::TARGET => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        d::WORST => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
        d::TOLERANCE => rows.iter().map(|r| r.4).collect::<Vec<_>>(),
    )
    .unwrap();
    df.lazy()
        .with_column(method_expr(bounded).alias(d::METHOD))
        .with_column(attainment_expr(col(d::VALUE)).alias(d::ATTAINMENT))
        .with_column(points_expr(col(d::ATTAINMENT)).alias(d::POINTS))
        .with_column(band_label(col(d::POINTS)).alias(d::STATE))
        .collect()
        .unwrap()
}

#[test]
fn target_60_gives_cutoffs_57_39_6_19_8() {
    let hb = "higher_better";
    let t = Some(60.0);
    let rows: Vec<_> = [57.0, 56.99, 39.6, 39.59, 19.8, 19.79, 90.0]
        .iter()
        .map(|v| (hb, Some(*v), t, None, None))
        .collect();
    let df = attain(&rows, false);
    assert_eq!(
        i32s(&df, d::POINTS),
        [4, 3, 3, 2, 2, 1, 4].map(Some).to_vec()
    );
    assert_eq!(
        strs(&df, d::STATE)[..3],
        [
            Some(STATE_95.into()),
            Some(STATE_66.into()),
            Some(STATE_66.into())
        ]
    );
    // ratio attainment is not capped; the band uses min(a, 1)
    assert!(close(f64s(&df, d::ATTAINMENT)[6], 1.5));
    assert_eq!(strs(&df, d::METHOD)[0].as_deref(), Some(METHOD_RATIO));
}

#[test]
fn lower_better_ratio_zero_value_and_zero_target() {
    let lb = "lower_better";
    let df = attain(
        &[
            (lb, Some(0.0), Some(5.0), None, None),  // value 0 -> 100 %
            (lb, Some(10.0), Some(5.0), None, None), // 5 / 10
            (lb, Some(2.0), Some(0.0), Some(10.0), None), // target 0: bounded, (2-10)/(0-10)
            (lb, Some(12.0), Some(0.0), Some(10.0), None), // clamped to 0
            (lb, Some(2.0), Some(0.0), None, None),  // no worst: no attainment
        ],
        false,
    );
    let a = f64s(&df, d::ATTAINMENT);
    assert_eq!(a[0], Some(1.0));
    assert_eq!(a[1], Some(0.5));
    assert!(close(a[2], 0.8));
    assert_eq!(a[3], Some(0.0));
    assert_eq!(a[4], None);
    assert_eq!(
        strs(&df, d::METHOD),
        ["ratio", "ratio", "bounded", "bounded", "bounded"]
            .map(|s| Some(s.to_string()))
            .to_vec()
    );
    assert_eq!(
        i32s(&df, d::POINTS),
        vec![Some(4), Some(2), Some(3), Some(1), None]
    );
}

#[test]
fn target_band_neutral_bounded_and_missing() {
    let df = attain(
        &[
            ("target_band", Some(0.8), Some(1.0), None, Some(0.5)), // 1 - 0.2/0.5 = 0.6
            ("target_band", Some(1.9), Some(1.0), None, Some(0.5)), // floored at 0
            ("neutral", Some(3.0), None, None, None),
            ("higher_better", Some(3.0), None, None, None), // no target
            ("higher_better", None, Some(10.0), None, None), // no data
        ],
        false,
    );
    let a = f64s(&df, d::ATTAINMENT);
    assert!(close(a[0], 0.6));
    assert_eq!(a[1], Some(0.0));
    assert_eq!(&a[2..], &[None, None, None]);
    assert_eq!(i32s(&df, d::POINTS)[..2], [Some(2), Some(1)]);
    // bounded method for everything but the band: (v - w) / (t - w)
    let df = attain(
        &[
            ("higher_better", Some(40.0), Some(60.0), Some(20.0), None),
            ("lower_better", Some(40.0), Some(20.0), Some(60.0), None),
        ],
        true,
    );
    assert_eq!(f64s(&df, d::ATTAINMENT), vec![Some(0.5), Some(0.5)]);
}

fn grouped(values: &[(&str, f64)], direction: &str) -> LazyFrame {
    df!(
        d::ANALYSIS_YEAR => vec![2024; values.len()],
        d::GROUPING => vec!["all"; values.len()],
        d::GROUP => vec!["all"; values.len()],
        d::CITY_ID => values.iter().map(|v| v.0).collect::<Vec<_>>(),
        d::DATA_POINT_ID => vec!["X"; values.len()],
        d::DIRECTION => vec![direction; values.len()],
        d::VALUE => values.iter().map(|v| v.1).collect::<Vec<_>>(),
        d::TARGET => vec![None::<f64>; values.len()],
        d::CONFIDENTIAL => vec![false; values.len()],
    )
    .unwrap()
    .lazy()
}

fn ten() -> Vec<(&'static str, f64)> {
    ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]
        .into_iter()
        .zip((1..=10).map(f64::from))
        .collect()
}

#[test]
fn peer_stats_type7_quantiles_and_sample_sd() {
    let s = peers::peer_stats(grouped(&ten(), "higher_better"), 5, 2024)
        .collect()
        .unwrap();
    let one = |c: &str| f64s(&s, c)[0];
    assert_eq!(one(d::MIN), Some(1.0));
    assert!(close(one(d::P10), 1.9));
    assert!(close(one(d::P25), 3.25));
    assert!(close(one(d::MEDIAN), 5.5));
    assert!(close(one(d::P75), 7.75));
    assert!(close(one(d::P90), 9.1));
    assert_eq!(one(d::MAX), Some(10.0));
    assert!(close(one(d::MEAN), 5.5));
    // sqrt(sum((x - 5.5)^2) / 9) = sqrt(82.5 / 9)
    assert!(close(one(d::SD), (82.5f64 / 9.0).sqrt()));
    assert_eq!(
        s.column(d::SUPPRESSED).unwrap().bool().unwrap().get(0),
        Some(false)
    );
}

#[test]
fn percentiles_mid_rank_direction_ties_and_suppression() {
    let p = peers::percentiles(grouped(&ten(), "higher_better"), 5, 2024)
        .collect()
        .unwrap()
        .sort([d::CITY_ID], Default::default())
        .unwrap();
    let pct = f64s(&p, d::PERCENTILE);
    assert_eq!(pct[9], Some(95.0)); // unique best of 10
    assert_eq!(pct[0], Some(5.0)); // unique worst
    let p = peers::percentiles(grouped(&ten(), "lower_better"), 5, 2024)
        .collect()
        .unwrap()
        .sort([d::CITY_ID], Default::default())
        .unwrap();
    assert_eq!(f64s(&p, d::PERCENTILE)[0], Some(95.0)); // lowest value is best
    // all tied: everyone 50
    let tied: Vec<_> = ten().into_iter().map(|(c, _)| (c, 7.0)).collect();
    let p = peers::percentiles(grouped(&tied, "higher_better"), 5, 2024)
        .collect()
        .unwrap();
    assert!(f64s(&p, d::PERCENTILE).iter().all(|v| *v == Some(50.0)));
    // two tied at the top of 4 plus others: B = 2, T = 2 -> 100 * 3 / 4 = 75
    let p = peers::percentiles(
        grouped(
            &[("a", 1.0), ("b", 2.0), ("c", 3.0), ("d", 3.0)],
            "higher_better",
        ),
        1,
        2024,
    )
    .collect()
    .unwrap()
    .sort([d::CITY_ID], Default::default())
    .unwrap();
    assert_eq!(
        f64s(&p, d::PERCENTILE),
        vec![Some(12.5), Some(37.5), Some(75.0), Some(75.0)]
    );
    // fewer than k: suppressed, row kept with n, no percentile, no statistics
    let four = &ten()[..4];
    let p = peers::percentiles(grouped(four, "higher_better"), 5, 2024)
        .collect()
        .unwrap();
    assert_eq!(p.height(), 4);
    assert!(f64s(&p, d::PERCENTILE).iter().all(Option::is_none));
    let s = peers::peer_stats(grouped(four, "higher_better"), 5, 2024)
        .collect()
        .unwrap();
    assert_eq!(s.column(d::N).unwrap().u32().unwrap().get(0), Some(4));
    assert_eq!(
        s.column(d::SUPPRESSED).unwrap().bool().unwrap().get(0),
        Some(true)
    );
    for c in [d::MIN, d::MEDIAN, d::MAX, d::MEAN, d::SD] {
        assert_eq!(f64s(&s, c), vec![None], "{c}");
    }
    // neutral: no percentile
    let p = peers::percentiles(grouped(&ten(), "neutral"), 5, 2024)
        .collect()
        .unwrap();
    assert!(f64s(&p, d::PERCENTILE).iter().all(Option::is_none));
}

/// `grouped` with the cities in `secret` marked confidential.
fn grouped_secret(values: &[(&str, f64)], direction: &str, secret: &[&str]) -> DataFrame {
    grouped(values, direction)
        .with_column(
            col(d::CITY_ID)
                .is_in(lit(Series::new("s".into(), secret)).implode(true), false)
                .alias(d::CONFIDENTIAL),
        )
        .collect()
        .unwrap()
}

/// The one-pass statistics and percentiles, checked equal to the reference plans, sorted
/// by city.
fn peers_both(df: &DataFrame, k: u32) -> (DataFrame, DataFrame) {
    let (stats, pct, _) = peers::stats_and_percentiles(df, k, 2024).unwrap();
    let ref_stats = peers::peer_stats(df.clone().lazy(), k, 2024)
        .collect()
        .unwrap();
    let ref_pct = peers::percentiles(df.clone().lazy(), k, 2024)
        .collect()
        .unwrap();
    assert!(stats.equals_missing(&ref_stats), "{stats}\n{ref_stats}");
    let pct = pct.sort([d::CITY_ID], Default::default()).unwrap();
    let ref_pct = ref_pct.sort([d::CITY_ID], Default::default()).unwrap();
    for (x, y) in f64s(&pct, d::PERCENTILE)
        .iter()
        .zip(f64s(&ref_pct, d::PERCENTILE))
    {
        assert!(x == &y || close(*x, y.unwrap()), "{pct}\n{ref_pct}");
    }
    (stats, pct)
}

#[test]
fn confidential_values_are_left_out_of_statistics_and_placed_against_them() {
    // 1..10 with c = 3 and j = 10 (the maximum) confidential: the statistics are those of
    // 1, 2, 4, 5, 6, 7, 8, 9
    let df = grouped_secret(&ten(), "higher_better", &["c", "j"]);
    let (s, p) = peers_both(&df, 5);
    let one = |c: &str| f64s(&s, c)[0];
    assert_eq!(s.column(d::N).unwrap().u32().unwrap().get(0), Some(8));
    assert_eq!(
        s.column(d::N_CONFIDENTIAL).unwrap().u32().unwrap().get(0),
        Some(2)
    );
    assert_eq!(one(d::MIN), Some(1.0));
    assert_eq!(one(d::MAX), Some(9.0)); // not 10
    assert!(close(one(d::P25), 3.5)); // 2 + 0.75 x (4 - 2)
    assert!(close(one(d::MEDIAN), 5.5));
    assert!(close(one(d::MEAN), 5.25)); // 42 / 8
    let pct = f64s(&p, d::PERCENTILE);
    // published cities rank among the 8 published values: a (1) 0.5/8, i (9) 7.5/8
    assert!(close(pct[0], 6.25));
    assert!(close(pct[8], 93.75));
    // b (2): B = 1, T = 1, N = 8, whether or not c's 3 is there
    assert!(close(pct[1], 18.75));
    // confidential cities are placed against the 8, alone: c (3) B = 2, T = 1, N = 9;
    // j (10) B = 8, T = 1, N = 9
    assert!(close(pct[2], 100.0 * 2.5 / 9.0));
    assert!(close(pct[9], 100.0 * 8.5 / 9.0));
    assert!(
        p.column(d::N)
            .unwrap()
            .u32()
            .unwrap()
            .into_no_null_iter()
            .all(|n| n == 8)
    );

    // a confidential value tied with a published one: 1, 2, 3, 3 (one 3 confidential):
    // published 3: B = 2, T = 1, N = 3; confidential 3: B = 2, T = 2, N = 4
    let df = grouped_secret(
        &[("a", 1.0), ("b", 2.0), ("c", 3.0), ("d", 3.0)],
        "higher_better",
        &["d"],
    );
    let (_, p) = peers_both(&df, 1);
    let pct = f64s(&p, d::PERCENTILE);
    assert!(close(pct[2], 100.0 * 2.5 / 3.0));
    assert!(close(pct[3], 75.0));

    // suppression counts only the published values: 5 values, one confidential, k = 5
    let df = grouped_secret(&ten()[..5], "higher_better", &["e"]);
    let (s, p) = peers_both(&df, 5);
    assert_eq!(s.column(d::N).unwrap().u32().unwrap().get(0), Some(4));
    assert_eq!(
        s.column(d::SUPPRESSED).unwrap().bool().unwrap().get(0),
        Some(true)
    );
    for c in [d::MIN, d::MEDIAN, d::MAX, d::MEAN, d::SD] {
        assert_eq!(f64s(&s, c), vec![None], "{c}");
    }
    assert!(f64s(&p, d::PERCENTILE).iter().all(Option::is_none));
}

#[test]
fn rollup_scores_coverage_and_bands() {
    // points 1, 3, 4, 1 + one item without data + one neutral: 9/16, coverage 4/5
    let pts = [Some(1), Some(3), Some(4), Some(1), None, None];
    let dirs = [
        "higher_better",
        "higher_better",
        "lower_better",
        "higher_better",
        "higher_better",
        "neutral",
    ];
    let att = df!(
        d::CITY_ID => vec!["c"; 6],
        d::DIMENSION => vec!["Economy"; 6],
        d::SUB_DIMENSION => vec!["ICT"; 6],
        d::CATEGORY => ["Infra", "Infra", "Infra", "Infra", "Other", "Other"],
        d::DIRECTION => dirs,
        d::POINTS => pts,
        // the 4-point item is confidential
        d::CONFIDENTIAL => [Some(false), Some(false), Some(true), Some(false), None, None],
        // the first scored against a benchmark; the fifth reported without a reference
        d::REFERENCE_KIND => [Some("benchmark"), Some("target"), Some("target"), Some("target"), None, None],
        d::VALUE => [Some(1.0), Some(2.0), Some(3.0), Some(4.0), Some(5.0), None],
    )
    .unwrap();
    let published = rollups::rollups_published(att.clone().lazy(), 2024)
        .collect()
        .unwrap()
        .sort([d::LEVEL, d::PATH], Default::default())
        .unwrap();
    // the same as rolling up the attainment with the confidential points withheld, and
    // as the pair computed in one pass
    let withheld = rollups::rollups(rollups::withhold_confidential(att.clone().lazy()), 2024)
        .collect()
        .unwrap()
        .sort([d::LEVEL, d::PATH], Default::default())
        .unwrap();
    assert!(published.equals_missing(&withheld));
    let (own, pubd) = rollups::both(&att, 2024).unwrap();
    // the city id encoded, as a run has it: the one pass city by city, the same rows
    let encoded = Keys::new(["c"], ["X"])
        .unwrap()
        .encode_frame(att.clone())
        .unwrap();
    let (own_enc, pubd_enc) = rollups::both(&encoded, 2024).unwrap();
    let as_text = |df: DataFrame| {
        df.lazy()
            .with_column(col(d::CITY_ID).cast(DataType::String))
            .collect()
            .unwrap()
    };
    assert!(as_text(own_enc).equals_missing(&own));
    assert!(as_text(pubd_enc).equals_missing(&pubd));
    let sorted = |df: DataFrame| df.sort([d::LEVEL, d::PATH], Default::default()).unwrap();
    assert!(sorted(pubd).equals_missing(&published));
    let r = rollups::rollups(att.clone().lazy(), 2024)
        .collect()
        .unwrap()
        .sort([d::LEVEL, d::PATH], Default::default())
        .unwrap();
    assert!(sorted(own).equals_missing(&r));
    let levels = strs(&r, d::LEVEL);
    let at = |level: &str, path: &str| {
        (0..r.height())
            .find(|&i| {
                levels[i].as_deref() == Some(level) && strs(&r, d::PATH)[i].as_deref() == Some(path)
            })
            .unwrap()
    };
    let i = at("dimension", "Economy");
    assert_eq!(f64s(&r, d::ROLLUP_SCORE)[i], Some(0.5625));
    assert_eq!(strs(&r, d::BAND)[i].as_deref(), Some(STATE_33));
    assert_eq!(f64s(&r, d::COVERAGE)[i], Some(0.8));
    let i = at("category", "Economy / ICT / Other");
    assert_eq!(f64s(&r, d::ROLLUP_SCORE)[i], None);
    assert_eq!(f64s(&r, d::COVERAGE)[i], Some(0.0));
    // a value was reported there, without a reference: not "no data"
    assert_eq!(strs(&r, d::BAND)[i].as_deref(), Some(STATE_NO_TARGET));
    assert_eq!(
        r.column(d::LOW_COVERAGE).unwrap().bool().unwrap().get(i),
        Some(true)
    );
    let i = at("overall", "overall");
    assert_eq!(r.column(d::ITEMS).unwrap().u32().unwrap().get(i), Some(5));
    assert_eq!(r.column(d::SCORED).unwrap().u32().unwrap().get(i), Some(4));
    let u32s = |df: &DataFrame, c: &str| df.column(c).unwrap().u32().unwrap().get(i);
    assert_eq!(u32s(&r, d::CONFIDENTIAL_ITEMS), Some(1));
    assert_eq!(u32s(&r, d::REPORTED), Some(5));
    assert_eq!(u32s(&r, d::SCORED_TARGET), Some(3));
    assert_eq!(u32s(&r, d::SCORED_BENCHMARK), Some(1));

    // published: the confidential 4 points are left unscored: 1, 3, 1 = 5/12, coverage 3/5
    assert_eq!(strs(&published, d::PATH), strs(&r, d::PATH));
    assert_eq!(u32s(&published, d::SCORED), Some(3));
    assert_eq!(u32s(&published, d::ITEMS), Some(5));
    assert_eq!(u32s(&published, d::CONFIDENTIAL_ITEMS), Some(1));
    assert!(close(f64s(&published, d::ROLLUP_SCORE)[i], 5.0 / 12.0));
    assert_eq!(f64s(&published, d::COVERAGE)[i], Some(0.6));
}

/// Benchmarks of five data points: H (higher is better, a tie, a confidential 100), L
/// (lower is better), S (4 values: fewer than 5), N (neutral) and B (target band).
fn benchmark_frames() -> (DataFrame, DataFrame) {
    let mut dp = Vec::new();
    let mut value = Vec::new();
    let mut secret = Vec::new();
    for (p, vals) in [
        ("H", vec![10.0, 9.0, 9.0, 8.0, 7.0, 6.0, 100.0]),
        ("L", vec![6.0, 5.0, 4.0, 3.0, 2.0, 1.0]),
        ("S", vec![1.0, 2.0, 3.0, 4.0]),
        ("N", vec![1.0, 2.0, 3.0, 4.0, 5.0]),
        ("B", vec![1.0, 2.0, 3.0, 4.0, 5.0]),
    ] {
        for v in vals {
            dp.push(p);
            secret.push(v == 100.0);
            value.push(v);
        }
    }
    let aligned =
        df!(d::DATA_POINT_ID => dp, d::VALUE => value, d::CONFIDENTIAL => secret).unwrap();
    let catalog = df!(
        d::DATA_POINT_ID => ["H", "L", "S", "N", "B"],
        d::DIRECTION => ["higher_better", "lower_better", "higher_better", "neutral", "target_band"],
    )
    .unwrap();
    (aligned, catalog)
}

fn benchmark_of(cfg: &crate::config::Benchmarks) -> Vec<(String, f64, u32)> {
    let (aligned, catalog) = benchmark_frames();
    let b = attainment::benchmarks(aligned.lazy(), catalog.lazy(), cfg)
        .collect()
        .unwrap()
        .sort([d::DATA_POINT_ID], Default::default())
        .unwrap();
    strs(&b, d::DATA_POINT_ID)
        .into_iter()
        .zip(f64s(&b, d::BENCHMARK))
        .zip(
            b.column(d::BENCHMARK_N)
                .unwrap()
                .u32()
                .unwrap()
                .into_no_null_iter(),
        )
        .map(|((p, v), n)| (p.unwrap(), v.unwrap(), n))
        .collect()
}

#[test]
fn benchmarks_mean_of_the_best_or_a_quantile_without_confidential_values() {
    use crate::config::{BenchmarkMethod, Benchmarks};
    // H: the 5 best of 10, 9, 9, 8, 7, 6 (the confidential 100 left out): 43 / 5 = 8.6;
    // L: the 5 lowest of 1..6: 3; S has 4 values (< 5): none; N, B: none
    let b = benchmark_of(&Benchmarks::default());
    assert_eq!(b, [("H".to_string(), 8.6, 6), ("L".to_string(), 3.0, 6)]);
    // the 90 % quantile of performance: H 6..10 -> index 4.5 -> 9.5; L: the 10 % value
    // quantile of 1..6 -> index 0.5 -> 1.5
    let q = benchmark_of(&Benchmarks {
        method: BenchmarkMethod::Quantile,
        ..Benchmarks::default()
    });
    assert_eq!(q, [("H".to_string(), 9.5, 6), ("L".to_string(), 1.5, 6)]);
    // off: none; the 3 best of at least 4: S gets the mean of 4, 3 and 2
    assert!(
        benchmark_of(&Benchmarks {
            method: BenchmarkMethod::Off,
            ..Benchmarks::default()
        })
        .is_empty()
    );
    let small = benchmark_of(&Benchmarks {
        top: 3,
        min_cities: 4,
        ..Benchmarks::default()
    });
    assert_eq!(small[2], ("S".to_string(), 3.0, 4));

    // applied only where no target resolved, labelled
    let resolved = df!(
        d::CITY_ID => ["c", "c", "c", "c"],
        d::DATA_POINT_ID => ["H", "L", "S", "B"],
        d::DIRECTION => ["higher_better", "lower_better", "higher_better", "target_band"],
        d::TARGET => [None, Some(2.0), None, None],
        d::TARGET_YEAR => [None, Some(2030), None, None],
        d::TARGET_SOURCE => [None, Some("a source"), None, None],
        d::TARGET_SCOPE => [None, Some("default"), None, None],
    )
    .unwrap();
    let (aligned, catalog) = benchmark_frames();
    let out = attainment::with_benchmarks(
        resolved.lazy(),
        attainment::benchmarks(aligned.lazy(), catalog.lazy(), &Benchmarks::default()),
        2024,
    )
    .collect()
    .unwrap();
    assert_eq!(f64s(&out, d::TARGET), [Some(8.6), Some(2.0), None, None]);
    assert_eq!(
        strs(&out, d::REFERENCE_KIND),
        [Some("benchmark".into()), Some("target".into()), None, None]
    );
    assert_eq!(
        strs(&out, d::TARGET_SCOPE),
        [Some("benchmark".into()), Some("default".into()), None, None]
    );
    assert_eq!(
        i32s(&out, d::TARGET_YEAR),
        [Some(2024), Some(2030), None, None]
    );
    assert_eq!(
        strs(&out, d::TARGET_SOURCE)[0].as_deref(),
        Some(
            "benchmark: the mean of the 5 best performers of 6 cities with a published value in 2024 (computed each run; confidential values left out; not a normative target)"
        )
    );
}

#[test]
fn worst_fallback_leaves_out_confidential_values() {
    // 1..=5 published plus a confidential 1000 (lower is better: 97.5th percentile)
    let aligned = df!(
        d::DATA_POINT_ID => vec!["L"; 6],
        d::VALUE => [1.0, 2.0, 3.0, 4.0, 5.0, 1000.0],
        d::CONFIDENTIAL => [false, false, false, false, false, true],
    )
    .unwrap();
    let catalog = df!(d::DATA_POINT_ID => ["L"], d::DIRECTION => ["lower_better"]).unwrap();
    let w = attainment::worst_fallback(aligned.lazy(), catalog.lazy())
        .collect()
        .unwrap();
    // type 7 over 1..=5: 1 + 0.975 x 4 = 4.9
    assert!(close(f64s(&w, "worst_fallback")[0], 4.9));
}

#[test]
fn gaps_signed_shortfall() {
    let g = df!(
        d::ANALYSIS_YEAR => [2024, 2024],
        d::CITY_ID => ["a", "b"],
        d::DATA_POINT_ID => ["H", "L"],
        d::GROUPING => ["all", "all"],
        d::GROUP => ["all", "all"],
        d::DIRECTION => ["higher_better", "lower_better"],
        d::VALUE => [40.0, 10.0],
        d::TARGET => [60.0, 5.0],
        d::CONFIDENTIAL => [false, false],
    )
    .unwrap();
    let s = df!(
        d::GROUPING => ["all", "all"],
        d::GROUP => ["all", "all"],
        d::DATA_POINT_ID => ["H", "L"],
        d::MEDIAN => [50.0, 8.0],
        d::P25 => [30.0, 4.0],
        d::P75 => [70.0, 12.0],
        d::SUPPRESSED => [false, false],
    )
    .unwrap();
    let r = gaps::gaps(g.clone().lazy(), s.lazy())
        .collect()
        .unwrap()
        .sort([d::CITY_ID], Default::default())
        .unwrap();
    let t = g
        .lazy()
        .with_columns(gaps::target_gap_exprs())
        .collect()
        .unwrap();
    assert_eq!(f64s(&t, d::GAP_TARGET), vec![Some(20.0), Some(5.0)]);
    assert!(close(f64s(&t, d::GAP_TARGET_PCT)[0], 100.0 / 3.0));
    assert_eq!(f64s(&t, d::GAP_TARGET_PCT)[1], Some(100.0));
    assert_eq!(f64s(&r, d::GAP_MEDIAN), vec![Some(10.0), Some(2.0)]);
    assert_eq!(f64s(&r, d::LEADERS), vec![Some(70.0), Some(4.0)]);
    assert_eq!(f64s(&r, d::GAP_LEADERS), vec![Some(30.0), Some(6.0)]);
    assert_eq!(
        f64s(&r, d::GAP_LEADERS_PCT),
        vec![Some(30.0 / 70.0 * 100.0), Some(150.0)]
    );
}

/// Keys over the cities and data points of `rows`.
fn keys_of(rows: &[(&str, &str, i32, f64)]) -> Keys {
    Keys::new(rows.iter().map(|r| r.0), rows.iter().map(|r| r.1)).unwrap()
}

/// Observations (sorted, with SERIES) of one batch of `rows`, in any order.
fn obs(rows: &[(&str, &str, i32, f64)], keys: &Keys) -> LazyFrame {
    let n = rows.len();
    let raw = df!(
        d::CITY_ID => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        d::DATA_POINT_ID => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        d::YEAR => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        d::VALUE => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
        d::QUALITY => vec!["measured"; n],
        d::VERIFIED => vec![false; n],
        d::CONFIDENTIAL => vec![false; n],
        d::BATCH_SEQ => vec![0u32; n],
    )
    .unwrap();
    observations(raw.lazy(), keys).unwrap().lazy()
}

fn trend(rows: &[(&str, &str, i32, f64)], target: Option<f64>, direction: &str) -> DataFrame {
    let keys: Vec<(&str, &str)> = {
        let mut k: Vec<_> = rows.iter().map(|r| (r.0, r.1)).collect();
        k.dedup();
        k
    };
    let t = df!(
        d::CITY_ID => keys.iter().map(|k| k.0).collect::<Vec<_>>(),
        d::DATA_POINT_ID => keys.iter().map(|k| k.1).collect::<Vec<_>>(),
        d::DIRECTION => vec![direction; keys.len()],
        d::TARGET => vec![target; keys.len()],
        d::REFERENCE_KIND => vec![target.map(|_| "target"); keys.len()],
        d::WORST => vec![None::<f64>; keys.len()],
        d::TOLERANCE => vec![None::<f64>; keys.len()],
    )
    .unwrap();
    let k = keys_of(rows);
    trends::trends(
        trends::fit(&obs(rows, &k).collect().unwrap(), 2024).unwrap(),
        k.encode_frame(t).unwrap(),
        trends::t_table(40).lazy(),
        2024,
        2030,
        3,
        false,
    )
    .unwrap()
    .collect()
    .unwrap()
    .sort([d::CITY_ID, d::DATA_POINT_ID], Default::default())
    .unwrap()
}

#[test]
fn trend_ols_ci_and_status() {
    // x = 2021..2024, y = 1, 3, 2, 5: slope 5.5 / 5 = 1.1, SSE = 8.75 - 1.1 * 5.5 = 2.7,
    // se = sqrt(2.7 / 2 / 5); t(0.975, 2) = 4.302652729...
    let r = trend(
        &[
            ("c", "X", 2021, 1.0),
            ("c", "X", 2022, 3.0),
            ("c", "X", 2023, 2.0),
            ("c", "X", 2024, 5.0),
        ],
        Some(29.0),
        "higher_better",
    );
    let slope = f64s(&r, d::SLOPE)[0].unwrap();
    assert!((slope - 1.1).abs() < 1e-12);
    let half = f64s(&r, d::SLOPE_CI_HIGH)[0].unwrap() - slope;
    assert!((half - 4.302652729 * 0.27f64.sqrt()).abs() < 1e-8, "{half}");
    // required (29 - 5) / (2030 - 2024) = 4; R = 1.1 / 4 = 0.275 -> stagnating
    assert_eq!(f64s(&r, d::REQUIRED_SLOPE)[0], Some(4.0));
    assert!(close(f64s(&r, d::RATIO)[0], 0.275));
    assert_eq!(
        strs(&r, d::STATUS)[0].as_deref(),
        Some(trends::STATUS_STAGNATING)
    );
    assert!(close(f64s(&r, d::YEARS_TO_TARGET)[0], 24.0 / 1.1));
    assert!(close(f64s(&r, d::PROJECTED_VALUE)[0], 5.0 + 1.1 * 6.0));
    // fitted line at 2030: ybar + slope * (2030 - xbar) = 2.75 + 1.1 * 7.5
    assert!(close(f64s(&r, d::FITTED_VALUE)[0], 2.75 + 1.1 * 7.5));
}

#[test]
fn trend_statuses_flat_cagr_and_edge_cases() {
    let r = trend(
        &[
            // on track: +5 a year, needs (100 - 70) / 6 = 5
            ("a", "X", 2022, 60.0),
            ("a", "X", 2023, 65.0),
            ("a", "X", 2024, 70.0),
            // moderately improving: +2.5
            ("b", "X", 2022, 65.0),
            ("b", "X", 2023, 67.5),
            ("b", "X", 2024, 70.0),
            // flat to float noise: slope exactly 0 -> stagnating
            ("c", "X", 2022, 0.1 + 0.2),
            ("c", "X", 2023, 0.3),
            ("c", "X", 2024, 0.30000000000000004),
            // worsening
            ("d", "X", 2022, 70.0),
            ("d", "X", 2023, 65.0),
            ("d", "X", 2024, 60.0),
            // one year only
            ("e", "X", 2024, 50.0),
            // achieved (>= 95 of target) whatever the trend
            ("f", "X", 2023, 99.0),
            ("f", "X", 2024, 96.0),
            // a zero value: CAGR null, slope still computed
            ("g", "X", 2022, 0.0),
            ("g", "X", 2023, 10.0),
            ("g", "X", 2024, 20.0),
            // 10 % growth a year
            ("h", "X", 2022, 10.0),
            ("h", "X", 2023, 11.0),
            ("h", "X", 2024, 12.1),
            // values that vary with an exact least-squares slope of 0: slope 0, interval
            // from the residuals, R = 0 -> stagnating (never a noise slope of either sign)
            ("i", "X", 2020, 0.4),
            ("i", "X", 2021, 0.0),
            ("i", "X", 2022, 0.4),
            ("i", "X", 2023, 0.0),
            ("i", "X", 2024, 0.4),
            // +0.1 a year towards 100 from 50: 500 years, beyond 100: no figure
            ("j", "X", 2022, 49.8),
            ("j", "X", 2023, 49.9),
            ("j", "X", 2024, 50.0),
        ],
        Some(100.0),
        "higher_better",
    );
    let status = strs(&r, d::STATUS);
    let st = |i: usize| status[i].as_deref().unwrap();
    assert_eq!(st(0), trends::STATUS_ON_TRACK);
    assert_eq!(st(1), trends::STATUS_MODERATE);
    assert_eq!(st(2), trends::STATUS_STAGNATING);
    assert_eq!(f64s(&r, d::SLOPE)[2], Some(0.0));
    assert_eq!(f64s(&r, d::YEARS_TO_TARGET)[2], None); // not at current trend
    assert_eq!(st(3), trends::STATUS_WORSENING);
    assert_eq!(st(4), trends::STATUS_INSUFFICIENT);
    assert_eq!(f64s(&r, d::SLOPE)[4], None);
    assert_eq!(st(5), trends::STATUS_ACHIEVED);
    assert_eq!(f64s(&r, d::CAGR_PCT)[6], None);
    assert_eq!(f64s(&r, d::SLOPE)[6], Some(10.0));
    assert!(close(f64s(&r, d::CAGR_PCT)[7], 10.0));
    assert!(close(f64s(&r, d::YEARS_TO_TARGET)[0], 6.0));
    let notes = strs(&r, d::YEARS_TO_TARGET_NOTE);
    assert_eq!(notes[0], None);
    assert_eq!(notes[2].as_deref(), Some(trends::NOTE_NOT_AT_TREND));
    assert_eq!(notes[3].as_deref(), Some(trends::NOTE_NOT_AT_TREND));
    // a constant series: slope and interval exactly 0
    assert_eq!(f64s(&r, d::SLOPE_CI_LOW)[2], Some(0.0));
    assert_eq!(f64s(&r, d::SLOPE_CI_HIGH)[2], Some(0.0));
    assert_eq!(f64s(&r, d::SLOPE)[8], Some(0.0));
    assert_eq!(st(8), trends::STATUS_STAGNATING);
    // residuals 0.16, 0.24, 0.16, 0.24, 0.16 about 0.24: SSE = 0.192 (3 x 0.0256 +
    // 2 x 0.0576), se = sqrt(0.192 / 3 / 10); t(3) = 3.182446305
    let half = 3.182_446_305_284_263 * (0.192f64 / 3.0 / 10.0).sqrt();
    assert!(close(f64s(&r, d::SLOPE_CI_HIGH)[8], half));
    assert!(close(f64s(&r, d::SLOPE_CI_LOW)[8], -half));
    assert_eq!(st(9), trends::STATUS_STAGNATING); // 0.1 a year against 50 / 6 needed
    assert_eq!(f64s(&r, d::YEARS_TO_TARGET)[9], None);
    assert_eq!(notes[9].as_deref(), Some(trends::NOTE_BEYOND));
    // no target: no status to judge
    let r = trend(
        &[("a", "X", 2023, 1.0), ("a", "X", 2024, 2.0)],
        None,
        "higher_better",
    );
    assert_eq!(
        strs(&r, d::STATUS)[0].as_deref(),
        Some(trends::STATUS_NO_TARGET)
    );
}

#[test]
fn align_takes_latest_in_window_and_normalise_latest_batch() {
    let raw = df!(
        d::CITY_ID => ["a", "a", "a", "b", "a"],
        d::DATA_POINT_ID => ["X", "X", "X", "X", "X"],
        d::YEAR => [2021, 2022, 2023, 2020, 2022],
        d::VALUE => [1.0, 2.0, 3.0, 9.0, 2.5],
        d::QUALITY => ["measured"; 5],
        d::VERIFIED => [false; 5],
        d::CONFIDENTIAL => [false; 5],
        d::BATCH_SEQ => [0u32, 0, 0, 0, 1],
    )
    .unwrap();
    let keys = Keys::new(["a", "b"], ["X"]).unwrap();
    let n = observations(raw.lazy(), &keys).unwrap();
    assert_eq!(n.height(), 4);
    assert_eq!(
        f64s(&n, d::VALUE),
        vec![Some(1.0), Some(2.5), Some(3.0), Some(9.0)]
    );
    // analysis year 2024, lookback 2: a uses 2023; b's 2020 is outside the window
    let a = align::align(n.clone().lazy(), 2024, 2).collect().unwrap();
    assert_eq!(a.height(), 1);
    assert_eq!(i32s(&a, d::SOURCE_YEAR), vec![Some(2023)]);
    let a = align::align(n.lazy(), 2022, 2).collect().unwrap();
    assert_eq!(a.height(), 2);
}

#[test]
fn targets_city_beats_group_beats_default() {
    let base = df!(
        d::CITY_ID => ["a", "b", "c"],
        d::DATA_POINT_ID => ["X", "X", "X"],
    )
    .unwrap();
    let members = df!(
        d::CITY_ID => ["a", "b", "c"],
        d::GROUPING => ["continent", "continent", "continent"],
        d::GROUP => ["Europe", "Europe", "Asia"],
    )
    .unwrap();
    let t = |scope: &[&str], target: f64| {
        let mut cols = vec![];
        for (k, v) in scope.iter().enumerate() {
            let name =
                [d::CITY_ID, d::GROUPING, d::GROUP][if scope.len() == 1 { 0 } else { k + 1 }];
            cols.push(Column::new(name.into(), [*v]));
        }
        cols.extend([
            Column::new(d::DATA_POINT_ID.into(), ["X"]),
            Column::new(d::TARGET.into(), [target]),
            Column::new(d::WORST.into(), [None::<f64>]),
            Column::new(d::TOLERANCE.into(), [None::<f64>]),
            Column::new(d::TARGET_YEAR.into(), [None::<i32>]),
            Column::new(d::TARGET_SOURCE.into(), ["s"]),
            Column::new("line".into(), [2i64]),
        ]);
        DataFrame::new(1, cols).unwrap()
    };
    let defaults = t(&[], 10.0);
    let defaults = defaults.drop(d::CITY_ID).unwrap_or(defaults);
    let r = resolve_targets(
        base.lazy(),
        members.lazy(),
        defaults.lazy(),
        t(&["a"], 30.0).lazy(),
        t(&["continent", "Europe"], 20.0).lazy(),
    )
    .collect()
    .unwrap()
    .sort([d::CITY_ID], Default::default())
    .unwrap();
    assert_eq!(
        f64s(&r, d::TARGET),
        vec![Some(30.0), Some(20.0), Some(10.0)]
    );
    assert_eq!(
        strs(&r, d::TARGET_SCOPE),
        ["city", "group", "default"]
            .map(|s| Some(s.to_string()))
            .to_vec()
    );
}

#[test]
fn an_id_outside_the_registry_is_an_error_naming_it() {
    let keys = Keys::new(["a"], ["X"]).unwrap();
    let raw = df!(
        d::CITY_ID => ["a", "zz"],
        d::DATA_POINT_ID => ["X", "X"],
        d::YEAR => [2024, 2024],
        d::VALUE => [1.0, 2.0],
        d::QUALITY => ["measured"; 2],
        d::VERIFIED => [false; 2],
        d::CONFIDENTIAL => [false; 2],
        d::BATCH_SEQ => [0u32, 0],
    )
    .unwrap();
    let err = observations(raw.lazy(), &keys).err().unwrap().to_string();
    assert!(
        err.contains(
            "city id 'zz' is not in the registry or catalogue of this run (was a city removed from cities.csv, or the data ingested with another --catalog?)"
        ),
        "{err}"
    );
}

#[test]
fn observations_are_ordered_and_the_latest_batch_wins() {
    let keys = Keys::new(["a", "b"], ["X", "Y"]).unwrap();
    let raw = df!(
        d::CITY_ID => ["b", "a", "a", "a", "b"],
        d::DATA_POINT_ID => ["X", "Y", "X", "Y", "X"],
        d::YEAR => [2020, 2021, 2022, 2021, 2020],
        d::VALUE => [1.0, 2.0, 3.0, 4.0, 5.0],
        d::QUALITY => ["measured"; 5],
        d::VERIFIED => [false; 5],
        d::CONFIDENTIAL => [false; 5],
        d::BATCH_SEQ => [1u32, 0, 0, 2, 0],
    )
    .unwrap();
    let o = observations(raw.lazy(), &keys).unwrap();
    assert_eq!(
        strs(&o, d::CITY_ID),
        ["a", "a", "b"].map(|s| Some(s.to_string())).to_vec()
    );
    assert_eq!(
        strs(&o, d::DATA_POINT_ID),
        ["X", "Y", "X"].map(|s| Some(s.to_string())).to_vec()
    );
    // (a, Y, 2021): batch 2 beats batch 0; (b, X, 2020): batch 1 beats batch 0
    assert_eq!(f64s(&o, d::VALUE), vec![Some(3.0), Some(4.0), Some(1.0)]);
}

mod fit_exact {
    //! The least-squares fit against exact rational arithmetic (METHODOLOGY section 7):
    //! values are multiples of 1/1024 (exact in f64), so the exact slope, residual sum of
    //! squares and interval follow from integer sums in i128.
    use super::*;
    use proptest::prelude::*;

    /// Exact (slope, sse with the engine's slope, range, scale) of x = years - 2024 and
    /// y = k / 1024.
    struct Exact {
        a: i128,
        d: i128,
        n: i128,
        b_num_f: f64,
        syy_n: i128,
        sxy_n: i128,
    }

    fn exact(years: &[i32], k: &[i64]) -> Exact {
        let n = k.len() as i128;
        let x: Vec<i128> = years.iter().map(|y| (*y - 2024) as i128).collect();
        let k: Vec<i128> = k.iter().map(|v| *v as i128).collect();
        let (sx, sk): (i128, i128) = (x.iter().sum(), k.iter().sum());
        let sxx: i128 = x.iter().map(|v| v * v).sum();
        let sxk: i128 = x.iter().zip(&k).map(|(a, b)| a * b).sum();
        let skk: i128 = k.iter().map(|v| v * v).sum();
        let d = n * sxx - sx * sx; // n Sxx
        let a = n * sxk - sx * sk; // 1024 n Sxy
        Exact {
            a,
            d,
            n,
            b_num_f: a as f64 / (1024.0 * d as f64),
            syy_n: n * skk - sk * sk, // 1024^2 n Syy
            sxy_n: a,
        }
    }

    /// Series: years (ascending, distinct) and values k / 1024 in six shapes: random,
    /// constant, alternating, near flat at a large magnitude, a large-magnitude trend, an
    /// exact line.
    fn series() -> impl Strategy<Value = (Vec<i32>, Vec<i64>)> {
        let years = proptest::collection::btree_set(2000i32..=2024, 1..12)
            .prop_map(|s| s.into_iter().collect::<Vec<_>>());
        (years, 0u8..6, any::<u64>()).prop_map(|(years, shape, seed)| {
            let n = years.len();
            // a small deterministic generator per case
            let mut z = seed | 1;
            let mut next = move || {
                z ^= z << 13;
                z ^= z >> 7;
                z ^= z << 17;
                z
            };
            let big: i64 = 1 << 49;
            let k: Vec<i64> = (0..n)
                .map(|i| match shape {
                    0 => (next() % 200_000_000) as i64 - 100_000_000,
                    1 => 409,
                    2 => {
                        if i % 2 == 0 {
                            410
                        } else {
                            0
                        }
                    }
                    3 => big + (next() % 5) as i64,
                    4 => big + 7_777 * i as i64 + (next() % 1_000) as i64,
                    _ => 3_000 - 1_024 * 3 * (years[i] - 2000) as i64,
                })
                .collect();
            (years, k)
        })
    }

    /// The case CI's random draw found: values near 9e4, a slope of -0.19 (1.1e-12 relative
    /// off the exact slope, far inside the slope's condition term).
    #[test]
    fn an_ill_conditioned_slope_is_within_its_condition() {
        let years = [2000, 2001, 2007, 2011, 2012, 2013, 2018, 2019, 2020, 2023];
        let k: [i64; 10] = [
            86912114, 14648516, 23957127, 17763784, 73816873, -87317651, 46184269, 24283221,
            13098835, 90782667,
        ];
        let ys: Vec<f64> = k.iter().map(|v| *v as f64 / 1024.0).collect();
        let f = trends::fit_series(&years, &ys, 2024);
        let e = exact(&years, &k);
        let b = f.slope.unwrap();
        assert!(
            (b - e.b_num_f).abs() <= 1e-11 * e.b_num_f.abs(),
            "{b} vs {}",
            e.b_num_f
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// The slope, the residual sum of squares and the 95 % interval's half-width agree
        /// with the exact values to 1e-12 relative (or within 1e-12 of the series' scale,
        /// the resolution of a double, where the exact value is near 0); a flat series and a
        /// zero exact slope give exactly 0; a slope below 1e-12 of the scale is 0.
        #[test]
        fn agrees_with_exact_arithmetic((years, k) in series()) {
            let ys: Vec<f64> = k.iter().map(|v| *v as f64 / 1024.0).collect();
            let xs: Vec<f64> = years.iter().map(|y| (*y - 2024) as f64).collect();
            let f = trends::fit_series(&years, &ys, 2024);
            let n = ys.len();
            prop_assert_eq!(f.n as usize, n);
            if n < 2 {
                prop_assert!(f.slope.is_none() && f.sse.is_none());
                return Ok(());
            }
            let e = exact(&years, &k);
            let scale = ys.iter().fold(0.0f64, |m, y| m.max(y.abs()));
            let (lo, hi) = (k.iter().min().unwrap(), k.iter().max().unwrap());
            let flat = (*hi - *lo) as f64 / 1024.0 <= trends::FLAT * scale;
            let b = f.slope.unwrap();
            let b_exact = e.b_num_f;
            if flat || e.a == 0 {
                prop_assert_eq!(b, 0.0, "flat or exactly 0: {:?}", ys);
            } else if b == 0.0 {
                // zeroed as noise: only below the threshold (with room for rounding)
                prop_assert!(b_exact.abs() <= trends::FLAT * scale * (1.0 + 1e-6), "{} zeroed", b_exact);
            } else {
                // 1e-12 relative, plus the slope's condition: each deviation carries its
                // rounding, so a slope that is small against the spread of the values is known
                // to n eps sum |dx dy| / Sxx, not to 1e-12 of itself (a random series of values
                // near 9e4 with a slope of 0.19: 1.1e-12 relative, within 4e-12 of this bound)
                let mx = xs.iter().sum::<f64>() / n as f64;
                let my = ys.iter().sum::<f64>() / n as f64;
                let spread: f64 = xs.iter().zip(&ys).map(|(x, y)| ((x - mx) * (y - my)).abs()).sum();
                let sxx_f: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
                let cond = 4.0 * n as f64 * f64::EPSILON * spread / sxx_f;
                prop_assert!(
                    (b - b_exact).abs() <= 1e-12 * b_exact.abs() + cond,
                    "slope {} vs {} (condition term {})", b, b_exact, cond
                );
            }
            // the exact residual sum of squares with the engine's slope:
            // Syy - 2 b Sxy + b^2 Sxx
            let syy = e.syy_n as f64 / (1024.0 * 1024.0 * e.n as f64);
            let sxy = e.sxy_n as f64 / (1024.0 * e.n as f64);
            let sxx = e.d as f64 / e.n as f64;
            // Syy - Sxy^2/Sxx exactly (in i128), plus (b - b*)^2 Sxx for the engine's slope
            let resid_exact = {
                let num = e.syy_n * e.d - e.a * e.a; // 1024^2 n^2 Sxx * SSE*
                num as f64 / (1024.0 * 1024.0 * (e.n * e.d) as f64)
            };
            let sse_exact = resid_exact + (b - b_exact).powi(2) * sxx;
            let sse = f.sse.unwrap();
            if flat {
                // constant to 1e-12 of its magnitude: a constant series, interval exactly 0
                prop_assert_eq!(sse, 0.0);
                return Ok(());
            }
            // where the exact residuals are 0 (an exact line), a double resolves them to the
            // rounding of the deviations: n (8 eps (range + |b| span))^2
            let span = (xs[n - 1] - xs[0]).abs();
            let range = (*hi - *lo) as f64 / 1024.0;
            let floor = n as f64 * (8.0 * f64::EPSILON * (range + b.abs() * span)).powi(2);
            // and where they are not 0, the same rounding moves the residual vector by at
            // most sqrt(floor) in length: |sse - sse*| <= 2 sqrt(sse* floor) + floor (three
            // values near 5.5e11 a few units apart: residuals of 1e-4 whose rounding moves
            // sse 1.3e-12 of itself)
            let cross = 2.0 * (sse_exact.max(0.0) * floor).sqrt();
            prop_assert!(
                (sse - sse_exact).abs() <= 1e-12 * sse_exact + floor + cross,
                "sse {} vs {} (syy {}, sxy {})", sse, sse_exact, syy, sxy
            );
            if n >= 3 {
                let h = (sse / (n as f64 - 2.0) / f.sxx).sqrt();
                let h_exact = (sse_exact.max(0.0) / (n as f64 - 2.0) / sxx).sqrt();
                let h_floor = (floor / (n as f64 - 2.0) / sxx).sqrt();
                prop_assert!(
                    (h - h_exact).abs() <= 1e-12 * h_exact + h_floor,
                    "interval {} vs {}", h, h_exact
                );
            }
        }
    }
}

mod peers_one_pass {
    use super::*;
    use proptest::prelude::*;

    /// Rows (grouping, group, data point, direction, value, target) with ties, small groups
    /// and every direction.
    fn rows_strategy() -> impl Strategy<Value = Vec<(u8, u8, u8, u8, i32, Option<i32>)>> {
        proptest::collection::vec(
            (
                0u8..2,
                0u8..3,
                0u8..3,
                0u8..4,
                -5i32..12,
                proptest::option::of(0i32..8),
            ),
            1..150,
        )
    }

    /// `df` with its categorical columns as text.
    fn as_text(df: &DataFrame) -> DataFrame {
        let mut out = df.clone();
        for c in df.columns() {
            if matches!(c.dtype(), DataType::Categorical(..)) {
                out.with_column(c.cast(&DataType::String).unwrap()).unwrap();
            }
        }
        out
    }

    fn compare(fast: &DataFrame, reference: &DataFrame) -> Result<(), TestCaseError> {
        prop_assert_eq!(fast.height(), reference.height());
        prop_assert_eq!(fast.get_column_names(), reference.get_column_names());
        for c in reference.columns() {
            let name = c.name().as_str();
            let f = fast.column(name).unwrap();
            if c.dtype() == &DataType::Float64 {
                for (x, y) in f.f64().unwrap().iter().zip(c.f64().unwrap().iter()) {
                    match (x, y) {
                        (Some(x), Some(y)) => prop_assert!(
                            x == y || (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
                            "{}: {} vs {}",
                            name,
                            x,
                            y
                        ),
                        (x, y) => prop_assert_eq!(x, y, "{}", name),
                    }
                }
            } else {
                prop_assert!(f.equals_missing(c), "{}", name);
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// The one-pass statistics and percentiles equal the expression plans (the
        /// reference), for k = 1, 2 and 5, with ties, neutral data points and target bands
        /// with and without a target; the gaps from each row's statistics row equal the
        /// gaps joined on the group's keys.
        #[test]
        fn equal_the_expression_plans(raw in rows_strategy(), k in prop_oneof![Just(1u32), Just(2), Just(5)]) {
            let dirs = ["higher_better", "lower_better", "target_band", "neutral"];
            let n = raw.len();
            // one direction per data point, as in the catalogue
            let dir_of = |p: u8| dirs[(p as usize + raw[0].3 as usize) % 4];
            let df = df!(
                d::ANALYSIS_YEAR => vec![2024; n],
                d::GROUPING => raw.iter().map(|r| ["all", "continent"][r.0 as usize]).collect::<Vec<_>>(),
                d::GROUP => raw.iter().map(|r| ["a", "b", "c"][r.1 as usize]).collect::<Vec<_>>(),
                d::CITY_ID => (0..n).map(|i| format!("c{i}")).collect::<Vec<_>>(),
                d::DATA_POINT_ID => raw.iter().map(|r| ["X", "Y", "Z"][r.2 as usize]).collect::<Vec<_>>(),
                d::DIRECTION => raw.iter().map(|r| dir_of(r.2)).collect::<Vec<_>>(),
                d::VALUE => raw.iter().map(|r| r.4 as f64 / 4.0).collect::<Vec<_>>(),
                d::TARGET => raw.iter().map(|r| r.5.map(|t| t as f64)).collect::<Vec<_>>(),
                d::CONFIDENTIAL => raw.iter().map(|r| r.4 % 3 == 0).collect::<Vec<_>>(),
            )
            .unwrap();
            let encoded = crate::pipeline::keys::GroupKeys::new(&[&df])
                .unwrap()
                .encode_frame(df.clone())
                .unwrap();
            let cities: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
            let encoded = Keys::new(cities.iter().map(String::as_str), ["X", "Y", "Z"])
            .unwrap()
            .encode_frame(encoded.clone())
            .unwrap();
            let ref_stats = peers::peer_stats(df.clone().lazy(), k, 2024).collect().unwrap();
            let ref_pct = peers::percentiles(df.clone().lazy(), k, 2024).collect().unwrap();
            // the groups split over one to four threads: the same tables
            for parts in 1..=4 {
                let (stats, pct, stats_row) =
                    peers::stats_and_percentiles_in(&df, k, 2024, parts).unwrap();
                compare(&stats, &ref_stats)?;
                compare(&pct, &ref_pct)?;
                // each row's statistics gathered by its group: the gaps of the join
                let gathered = gaps::gaps_by_group(&df, &stats, &stats_row)
                    .unwrap()
                    .collect()
                    .unwrap();
                let joined = gaps::gaps(df.clone().lazy(), stats.clone().lazy()).collect().unwrap();
                prop_assert!(gathered.equals_missing(&joined), "{gathered}\n{joined}");
                // with the keys encoded (as a run has them) the groups come from their
                // codes: the same tables, read back as text
                let (e_stats, e_pct, e_row) =
                    peers::stats_and_percentiles_in(&encoded, k, 2024, parts).unwrap();
                prop_assert!(as_text(&e_stats).equals_missing(&stats), "{e_stats}\n{stats}");
                prop_assert!(as_text(&e_pct).equals_missing(&pct), "{e_pct}\n{pct}");
                prop_assert!(e_row.into_series().equals(&stats_row.into_series()));
            }
        }
    }
}

#[test]
fn peers_one_pass_on_no_rows() {
    let empty = grouped(&[], "higher_better").collect().unwrap();
    let (stats, pct, _) = peers::stats_and_percentiles(&empty, 5, 2024).unwrap();
    let ref_stats = peers::peer_stats(empty.clone().lazy(), 5, 2024)
        .collect()
        .unwrap();
    let ref_pct = peers::percentiles(empty.lazy(), 5, 2024).collect().unwrap();
    assert_eq!((stats.height(), pct.height()), (0, 0));
    assert_eq!(stats.schema(), ref_stats.schema());
    assert_eq!(pct.schema(), ref_pct.schema());
}

/// `observations`' values are written plain ([`PLAIN_COLUMNS`]); the same repeated values
/// in another table go to a dictionary. Both read back equal.
#[test]
fn observations_values_are_written_plain_and_other_tables_values_by_dictionary() {
    let tmp = tempfile::tempdir().unwrap();
    let df = df!(
        d::VALUE => (0..2000).map(|i| (i % 7) as f64 / 4.0).collect::<Vec<_>>(),
        d::YEAR => (0..2000).map(|i| 2000 + i % 20).collect::<Vec<i32>>(),
    )
    .unwrap();
    for (name, dictionary) in [("observations", false), ("attainment", true)] {
        let out = write_table(tmp.path(), name, df.clone()).unwrap();
        assert_eq!(out.path, format!("derived/{name}.parquet"));
        let path = tmp.path().join(format!("{name}.parquet"));
        let mut f = std::fs::File::open(&path).unwrap();
        let meta = polars_parquet::read::read_metadata(&mut f).unwrap();
        let chunk = meta.row_groups[0]
            .columns_under_root_iter(d::VALUE)
            .unwrap()
            .next()
            .unwrap();
        assert_eq!(
            chunk.dictionary_page_offset().is_some(),
            dictionary,
            "{name}"
        );
        let back = ParquetReader::new(std::fs::File::open(&path).unwrap())
            .finish()
            .unwrap();
        assert!(back.equals(&df), "{name}");
    }
}

/// The grid is city by city, each city's data points in catalogue order, the same in every
/// run. Polars' `cross_join` gave its 565 000 rows in a different order from run to run
/// at this size, and `percentiles` and `gaps` (written in the order computed) with them.
#[test]
fn the_grid_is_city_by_city_in_catalogue_order() {
    let cities: Vec<String> = (0..5000).map(|i| format!("c{i:05}")).collect();
    // the catalogue in an order of its own, not the lexical one
    let points: Vec<String> = (0..113)
        .map(|i| format!("p{:03}", (i * 37) % 113))
        .collect();
    let catalog = df!(
        d::DATA_POINT_ID => &points,
        d::DIMENSION => vec!["Economy"; points.len()],
        d::SUB_DIMENSION => vec!["ICT"; points.len()],
        d::CATEGORY => vec!["ICT Infrastructure"; points.len()],
        d::DIRECTION => vec!["higher_better"; points.len()],
    )
    .unwrap();
    for _ in 0..3 {
        // as `run` gives them: the distinct cities of the aligned rows, a lazy query
        let aligned = df!(d::CITY_ID => cities.iter().flat_map(|c| [c.clone(), c.clone()]).collect::<Vec<_>>()).unwrap();
        let g = grid(
            aligned
                .lazy()
                .select([col(d::CITY_ID)])
                .unique_stable(None, UniqueKeepStrategy::First),
            catalog.clone().lazy(),
        )
        .collect()
        .unwrap();
        assert_eq!(g.height(), cities.len() * points.len());
        let city = g.column(d::CITY_ID).unwrap().str().unwrap().clone();
        let point = g.column(d::DATA_POINT_ID).unwrap().str().unwrap().clone();
        for (i, (c, p)) in city.iter().zip(point.iter()).enumerate() {
            assert_eq!(c, Some(cities[i / points.len()].as_str()), "row {i}");
            assert_eq!(p, Some(points[i % points.len()].as_str()), "row {i}");
        }
    }
}
