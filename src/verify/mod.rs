//! Pre-verification (`citybench verify`; METHODOLOGY section 3, warnings): automated flags on
//! the normalised observations ([`verification`]), a command of its own beside `run`. A flag keeps its row; it says what a verifier should look at.
//!
//! | rule | severity | what |
//! |---|---|---|
//! | `plausible_range` | warning | value outside the catalogue's plausible range |
//! | `consistency` | warning, or notice for a rule marked "(normally)" | a catalogue consistency rule (e.g. fixed broadband <= household Internet access) fails in the same city and year |
//! | `wastewater_order` | warning | treatment levels of one KPI (data points ending `-primary`, `-secondary`, `-tertiary`) not ordered primary >= secondary >= tertiary |
//! | `sum_group` | warning | a sum group (mode shares, solid waste treatment) sums outside 100 +/- 2 when every member is reported, or above 102 when some are missing |
//! | `yoy_change` | notice | a value more than `yoy_ratio` times (or less than 1/`yoy_ratio` of) the previous year's (consecutive years, both values > 0, not booleans) |
//! | `peer_outlier` | notice | \|value - median\| > `mad_threshold` x MAD within its peer group, data point and year (groups of at least k cities with MAD > 0; not booleans) |
//! | `core_coverage` | warning | a city reporting fewer than `core_coverage_min` of the core KPIs in a year it reported anything (a KPI counts when any of its data points is reported) |
//!
//! Comparisons use a tolerance of 1e-9 x max(|reference|, 1). Each stage below is a pure
//! `LazyFrame -> LazyFrame` function producing rows of [`flag_columns`]; the messages are
//! written afterwards from those numbers ([`messages`]). The summary the command prints
//! (per city, and one city's text and flags) is built in [`summary`].

pub mod summary;

use polars::prelude::*;

use crate::catalog::Catalog;
use crate::config::Validation;
use crate::error::{Error, Result};
use crate::schema::derived as d;

pub const PLAUSIBLE_RANGE: &str = "plausible_range";
pub const CONSISTENCY: &str = "consistency";
pub const WASTEWATER_ORDER: &str = "wastewater_order";
pub const SUM_GROUP: &str = "sum_group";
pub const YOY_CHANGE: &str = "yoy_change";
pub const PEER_OUTLIER: &str = "peer_outlier";
pub const CORE_COVERAGE: &str = "core_coverage";
/// Every rule, in the order summaries list them.
pub const RULES: [&str; 7] = [
    PLAUSIBLE_RANGE,
    CONSISTENCY,
    WASTEWATER_ORDER,
    SUM_GROUP,
    YOY_CHANGE,
    PEER_OUTLIER,
    CORE_COVERAGE,
];
pub const WARNING: &str = "warning";
pub const NOTICE: &str = "notice";
/// Sum groups must add up to 100 within this margin.
pub const SUM_MARGIN: f64 = 2.0;

/// A pair rule: `data_point` `op` `other` must hold in the same city and year.
#[derive(Debug, Clone, PartialEq)]
pub struct PairRule {
    pub data_point: String,
    pub op: String,
    pub other: String,
    pub rule: &'static str,
    pub severity: &'static str,
}

/// What the rules need from the catalogue.
#[derive(Debug, Clone)]
pub struct Rules {
    pub pairs: Vec<PairRule>,
    /// DATA_POINT_ID, plausible_min, plausible_max (rows with a bound only).
    pub plausible: DataFrame,
    /// DATA_POINT_ID, SUM_GROUP (= REFERENCE_ID), group size (REFERENCE_2).
    pub sum_groups: DataFrame,
    /// DATA_POINT_ID of boolean data points.
    pub booleans: DataFrame,
    /// DATA_POINT_ID, KPI_ID of core data points.
    pub core: DataFrame,
    /// How many core KPIs the catalogue has.
    pub core_kpis: u32,
}

/// The verification flags of every one of `observations` (encoded, sorted, with
/// [`d::SERIES`]: [`crate::pipeline::raw::read_observations`]) by the rules of this module,
/// sorted, with their messages; and the observations they were computed on.
pub fn verification(
    observations: DataFrame,
    catalog: &Catalog,
    units: &crate::catalog::UnitRegistry,
    rules: &Rules,
    registry: &crate::registry::Registry,
    config: &crate::config::Config,
    keys: &crate::pipeline::keys::Keys,
) -> Result<(DataFrame, DataFrame)> {
    let grouping = config.outlier_grouping().to_string();
    let members = keys
        .encode_frame(crate::pipeline::groups::memberships(
            std::slice::from_ref(&grouping),
            registry,
        )?)?
        .lazy()
        .select([col(d::CITY_ID), col(d::GROUP)])
        .collect()
        .map_err(|e| Error::polars("pipeline", e))?;
    let encode = |df: DataFrame| keys.encode_frame(df);
    let inputs = Inputs {
        rules,
        validation: &config.validation,
        k: config.peers.k,
        members,
        encode: &encode,
    };
    let flags = all_flags(&observations, &inputs)?;
    let flags = messages(flags, catalog, units, config.validation.mad_threshold)?;
    Ok((flags, observations))
}

fn pe(e: PolarsError) -> Error {
    Error::polars("verification", e)
}

/// Parse a catalogue consistency rule such as `<= EC-ICT-ICT-1C (normally)`.
pub fn parse_rule(text: &str) -> Option<(String, String, bool)> {
    let t = text.trim();
    let (t, normally) = match t.strip_suffix("(normally)") {
        Some(rest) => (rest.trim(), true),
        None => (t, false),
    };
    let mut parts = t.split_whitespace();
    let op = parts.next()?;
    let other = parts.next()?;
    if parts.next().is_some() || !["<=", ">=", "<", ">"].contains(&op) {
        return None;
    }
    Some((op.to_string(), other.to_string(), normally))
}

impl Rules {
    /// The rules of `catalog`. A consistency rule that cannot be read, or that names an
    /// unknown data point, is an error naming the data point.
    pub fn of(catalog: &Catalog) -> Result<Self> {
        let dps = catalog.data_points();
        let mut pairs = Vec::new();
        for p in dps {
            if p.consistency_rule.trim().is_empty() {
                continue;
            }
            let bad = |why: &str| {
                Error::input(
                    &catalog.origin,
                    format!(
                        "{}: consistency_rule '{}' {why}",
                        p.data_point_id, p.consistency_rule
                    ),
                )
            };
            let (op, other, normally) = parse_rule(&p.consistency_rule).ok_or_else(|| {
                bad("is not '<op> DATA_POINT_ID [(normally)]' with op <=, >=, < or >")
            })?;
            if catalog.get(&other).is_none() {
                return Err(bad("names an unknown data point"));
            }
            pairs.push(PairRule {
                data_point: p.data_point_id.clone(),
                op,
                other,
                rule: CONSISTENCY,
                severity: if normally { NOTICE } else { WARNING },
            });
        }
        // wastewater treatment levels: primary >= secondary >= tertiary within one KPI
        for p in dps {
            for (lower, upper) in [("-secondary", "-primary"), ("-tertiary", "-secondary")] {
                if let Some(stem) = p.data_point_id.strip_suffix(lower) {
                    let other = format!("{stem}{upper}");
                    if catalog.get(&other).is_some_and(|o| o.kpi_id == p.kpi_id) {
                        pairs.push(PairRule {
                            data_point: p.data_point_id.clone(),
                            op: "<=".into(),
                            other,
                            rule: WASTEWATER_ORDER,
                            severity: WARNING,
                        });
                    }
                }
            }
        }
        let ids = |f: &dyn Fn(&crate::catalog::DataPoint) -> bool| -> Vec<&str> {
            dps.iter()
                .filter(|p| f(p))
                .map(|p| p.data_point_id.as_str())
                .collect()
        };
        let bounded =
            |p: &crate::catalog::DataPoint| p.plausible_min.is_some() || p.plausible_max.is_some();
        let plausible = df!(
            d::DATA_POINT_ID => ids(&bounded),
            d::REFERENCE => dps.iter().filter(|p| bounded(p)).map(|p| p.plausible_min).collect::<Vec<_>>(),
            d::REFERENCE_2 => dps.iter().filter(|p| bounded(p)).map(|p| p.plausible_max).collect::<Vec<_>>(),
        )
        .map_err(pe)?;
        let in_group = |p: &crate::catalog::DataPoint| !p.sum_group.is_empty();
        let size = |g: &str| dps.iter().filter(|p| p.sum_group == g).count() as u32;
        let sum_groups = df!(
            d::DATA_POINT_ID => ids(&in_group),
            d::REFERENCE_ID => dps.iter().filter(|p| in_group(p)).map(|p| p.sum_group.as_str()).collect::<Vec<_>>(),
            d::REFERENCE_2 => dps.iter().filter(|p| in_group(p)).map(|p| size(&p.sum_group) as f64).collect::<Vec<_>>(),
        )
        .map_err(pe)?;
        let booleans = df!(d::DATA_POINT_ID => ids(&|p| p.is_boolean())).map_err(pe)?;
        let is_core = |p: &crate::catalog::DataPoint| p.tier == "core";
        let core = df!(
            d::DATA_POINT_ID => ids(&is_core),
            d::KPI_ID => dps.iter().filter(|p| is_core(p)).map(|p| p.kpi_id.as_str()).collect::<Vec<_>>(),
        )
        .map_err(pe)?;
        let core_kpis = dps
            .iter()
            .filter(|p| is_core(p))
            .map(|p| p.kpi_id.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len() as u32;
        Ok(Rules {
            pairs,
            plausible,
            sum_groups,
            booleans,
            core,
            core_kpis,
        })
    }

    /// The pair rules as a frame: DATA_POINT_ID, REFERENCE_ID (the other), op, RULE, SEVERITY.
    pub fn pairs_frame(&self) -> Result<DataFrame> {
        let p = &self.pairs;
        df!(
            d::DATA_POINT_ID => p.iter().map(|r| r.data_point.as_str()).collect::<Vec<_>>(),
            d::REFERENCE_ID => p.iter().map(|r| r.other.as_str()).collect::<Vec<_>>(),
            "op" => p.iter().map(|r| r.op.as_str()).collect::<Vec<_>>(),
            d::RULE => p.iter().map(|r| r.rule).collect::<Vec<_>>(),
            d::SEVERITY => p.iter().map(|r| r.severity).collect::<Vec<_>>(),
        )
        .map_err(pe)
    }
}

/// The columns of every flag, in order (before the messages).
pub fn flag_columns() -> [&'static str; 10] {
    [
        d::CITY_ID,
        d::DATA_POINT_ID,
        d::YEAR,
        d::RULE,
        d::SEVERITY,
        d::VALUE,
        d::REFERENCE,
        d::REFERENCE_2,
        d::REFERENCE_ID,
        d::CONFIDENTIAL,
    ]
}

/// Select the flag columns, typed (ids decoded to text; missing ones null).
fn flags(lf: LazyFrame, rule: Expr, severity: Expr, cols: [Option<Expr>; 6]) -> LazyFrame {
    let [dp, value, a, b, id, conf] = cols;
    let f64_or_null = |e: Option<Expr>| e.unwrap_or_else(|| lit(NULL)).cast(DataType::Float64);
    lf.select([
        col(d::CITY_ID).cast(DataType::String).alias(d::CITY_ID),
        dp.unwrap_or_else(|| lit(NULL))
            .cast(DataType::String)
            .alias(d::DATA_POINT_ID),
        col(d::YEAR).cast(DataType::Int32).alias(d::YEAR),
        rule.cast(DataType::String).alias(d::RULE),
        severity.cast(DataType::String).alias(d::SEVERITY),
        f64_or_null(value).alias(d::VALUE),
        f64_or_null(a).alias(d::REFERENCE),
        f64_or_null(b).alias(d::REFERENCE_2),
        id.unwrap_or_else(|| lit(NULL))
            .cast(DataType::String)
            .alias(d::REFERENCE_ID),
        conf.unwrap_or_else(|| lit(false))
            .cast(DataType::Boolean)
            .alias(d::CONFIDENTIAL),
    ])
}

fn eps(reference: Expr) -> Expr {
    when(reference.clone().abs().gt(lit(1.0)))
        .then(reference.abs())
        .otherwise(lit(1.0))
        * lit(1e-9)
}

/// `plausible_range`: `plausible` is [`Rules::plausible`] (keys encoded like `obs`).
pub fn plausible_range(obs: LazyFrame, plausible: LazyFrame) -> LazyFrame {
    let (lo, hi) = (col(d::REFERENCE), col(d::REFERENCE_2));
    let out = lo
        .clone()
        .is_not_null()
        .and(col(d::VALUE).lt(lo.clone() - eps(lo.clone())))
        .or(hi
            .clone()
            .is_not_null()
            .and(col(d::VALUE).gt(hi.clone() + eps(hi.clone()))));
    let joined = obs.join(
        plausible,
        [col(d::DATA_POINT_ID)],
        [col(d::DATA_POINT_ID)],
        JoinArgs::new(JoinType::Inner),
    );
    flags(
        joined.filter(out),
        lit(PLAUSIBLE_RANGE),
        lit(WARNING),
        [
            Some(col(d::DATA_POINT_ID)),
            Some(col(d::VALUE)),
            Some(lo),
            Some(hi),
            None,
            Some(col(d::CONFIDENTIAL)),
        ],
    )
}

/// `consistency` and `wastewater_order`: `pairs` is [`Rules::pairs_frame`] with
/// DATA_POINT_ID encoded like `obs`; `subset` holds the observations of every data point
/// a pair names, ids decoded to text.
pub fn pair_rules(pairs: LazyFrame, subset: LazyFrame) -> LazyFrame {
    let left = subset.clone().join(
        pairs.with_column(col(d::DATA_POINT_ID).cast(DataType::String)),
        [col(d::DATA_POINT_ID)],
        [col(d::DATA_POINT_ID)],
        JoinArgs::new(JoinType::Inner),
    );
    let right = subset.select([
        col(d::CITY_ID),
        col(d::DATA_POINT_ID).alias(d::REFERENCE_ID),
        col(d::YEAR),
        col(d::VALUE).alias(d::REFERENCE),
        col(d::CONFIDENTIAL).alias("other_confidential"),
    ]);
    let joined = left.join(
        right,
        [col(d::CITY_ID), col(d::REFERENCE_ID), col(d::YEAR)],
        [col(d::CITY_ID), col(d::REFERENCE_ID), col(d::YEAR)],
        JoinArgs::new(JoinType::Inner),
    );
    let (v, o, op) = (col(d::VALUE), col(d::REFERENCE), col("op"));
    let e = eps(o.clone());
    let violated = when(op.clone().eq(lit("<=")))
        .then(v.clone().gt(o.clone() + e.clone()))
        .when(op.clone().eq(lit(">=")))
        .then(v.clone().lt(o.clone() - e.clone()))
        .when(op.eq(lit("<")))
        .then(v.clone().gt_eq(o.clone() - e.clone()))
        .otherwise(v.lt_eq(o + e));
    flags(
        joined.filter(violated),
        col(d::RULE),
        col(d::SEVERITY),
        [
            Some(col(d::DATA_POINT_ID)),
            Some(col(d::VALUE)),
            Some(col(d::REFERENCE)),
            None,
            Some(col(d::REFERENCE_ID).cast(DataType::String) + lit(" ") + col("op")),
            Some(col(d::CONFIDENTIAL).or(col("other_confidential"))),
        ],
    )
}

/// `sum_group`: `groups` is [`Rules::sum_groups`] (keys encoded like `obs`).
pub fn sum_groups(obs: LazyFrame, groups: LazyFrame) -> LazyFrame {
    let summed = obs
        .join(
            groups,
            [col(d::DATA_POINT_ID)],
            [col(d::DATA_POINT_ID)],
            JoinArgs::new(JoinType::Inner),
        )
        .group_by([col(d::CITY_ID), col(d::YEAR), col(d::REFERENCE_ID)])
        .agg([
            col(d::VALUE).sum(),
            col(d::VALUE)
                .count()
                .cast(DataType::Float64)
                .alias(d::REFERENCE),
            col(d::REFERENCE_2).first(),
            col(d::CONFIDENTIAL).any(true),
        ]);
    let complete = col(d::REFERENCE).eq(col(d::REFERENCE_2));
    let hi = lit(100.0 + SUM_MARGIN + 1e-9);
    let lo = lit(100.0 - SUM_MARGIN - 1e-9);
    let off = col(d::VALUE).gt(hi).or(complete.and(col(d::VALUE).lt(lo)));
    flags(
        summed.filter(off),
        lit(SUM_GROUP),
        lit(WARNING),
        [
            None,
            Some(col(d::VALUE)),
            Some(col(d::REFERENCE)),
            Some(col(d::REFERENCE_2)),
            Some(col(d::REFERENCE_ID)),
            Some(col(d::CONFIDENTIAL)),
        ],
    )
}

/// `yoy_change` over observations sorted by (city, data point, year) with [`d::SERIES`];
/// booleans are removed by the caller (an anti-join on the few flags).
pub fn yoy_change(obs: LazyFrame, ratio: f64) -> LazyFrame {
    let prev = |c: &str| col(c).shift(lit(1));
    let r = col(d::VALUE) / col(d::REFERENCE);
    let jump = col("prev_series")
        .eq(col(d::SERIES))
        .and((col(d::YEAR) - col("prev_year")).eq(lit(1)))
        .and(col(d::VALUE).gt(lit(0.0)))
        .and(col(d::REFERENCE).gt(lit(0.0)))
        .and(
            r.clone()
                .gt(lit(ratio * (1.0 + 1e-9)))
                .or(r.lt(lit(1.0 / ratio * (1.0 - 1e-9)))),
        );
    let shifted = obs
        .select([
            col(d::SERIES),
            col(d::CITY_ID),
            col(d::DATA_POINT_ID),
            col(d::YEAR),
            col(d::VALUE),
            col(d::CONFIDENTIAL),
        ])
        .with_columns([
            prev(d::SERIES).alias("prev_series"),
            prev(d::YEAR).alias("prev_year"),
            prev(d::VALUE).alias(d::REFERENCE),
            prev(d::CONFIDENTIAL).alias("prev_confidential"),
        ])
        .filter(jump);
    flags(
        shifted,
        lit(YOY_CHANGE),
        lit(NOTICE),
        [
            Some(col(d::DATA_POINT_ID)),
            Some(col(d::VALUE)),
            Some(col(d::REFERENCE)),
            Some(lit(ratio)),
            None,
            Some(col(d::CONFIDENTIAL).or(col("prev_confidential"))),
        ],
    )
}

/// A value that is not confidential (null for a confidential one), while grouping.
const PUBLISHED_VALUE: &str = "__published_value";

/// `peer_outlier`: `members` is (CITY_ID, GROUP) of the outlier grouping (keys encoded
/// like `obs`); the median and MAD are those of the values that are not confidential, and
/// groups with fewer than `k` of them or with MAD = 0 are not tested.
pub fn peer_outliers(obs: LazyFrame, members: LazyFrame, k: u32, threshold: f64) -> LazyFrame {
    let by = || [col("group_code"), col(d::DATA_POINT_ID), col(d::YEAR)];
    let grouped = obs
        .select([
            col(d::CITY_ID),
            col(d::DATA_POINT_ID),
            col(d::YEAR),
            col(d::VALUE),
            col(d::CONFIDENTIAL),
        ])
        .join(
            // the group as a small integer: the windows below hash it 10 M times
            members.with_column(
                col(d::GROUP)
                    .rank(
                        RankOptions {
                            method: RankMethod::Dense,
                            descending: false,
                        },
                        None,
                    )
                    .alias("group_code"),
            ),
            [col(d::CITY_ID)],
            [col(d::CITY_ID)],
            JoinArgs::new(JoinType::Inner),
        );
    // the median, MAD and n are published in the flags of other cities, so they are
    // computed from the values that are not confidential (METHODOLOGY section 10); a
    // confidential value is tested against them like any other
    let published = || col(PUBLISHED_VALUE);
    // windows over one partition: Polars groups the rows once for all three
    let out = grouped
        .with_column(
            when(col(d::CONFIDENTIAL).fill_null(lit(false)))
                .then(lit(NULL).cast(DataType::Float64))
                .otherwise(col(d::VALUE))
                .alias(PUBLISHED_VALUE),
        )
        .with_columns([
            crate::frames::over(published().median(), by()).alias(d::MEDIAN),
            crate::frames::over(published().count(), by()).alias(d::N),
        ])
        .with_column(
            crate::frames::over((published() - col(d::MEDIAN)).abs().median(), by()).alias(d::SD),
        )
        .filter(
            col(d::N).gt_eq(lit(k)).and(col(d::SD).gt(lit(0.0))).and(
                (col(d::VALUE) - col(d::MEDIAN))
                    .abs()
                    .gt(lit(threshold) * col(d::SD) * lit(1.0 + 1e-9)),
            ),
        );
    flags(
        out,
        lit(PEER_OUTLIER),
        lit(NOTICE),
        [
            Some(col(d::DATA_POINT_ID)),
            Some(col(d::VALUE)),
            Some(col(d::MEDIAN)),
            Some(col(d::SD)),
            Some(col(d::GROUP)),
            Some(col(d::CONFIDENTIAL)),
        ],
    )
}

/// `core_coverage`: `core` is [`Rules::core`] (keys encoded like `obs`).
pub fn core_coverage(obs: LazyFrame, core: LazyFrame, core_kpis: u32, min_share: f64) -> LazyFrame {
    let per_year = obs
        .select([col(d::CITY_ID), col(d::DATA_POINT_ID), col(d::YEAR)])
        .join(
            core,
            [col(d::DATA_POINT_ID)],
            [col(d::DATA_POINT_ID)],
            JoinArgs::new(JoinType::Left),
        )
        .group_by([col(d::CITY_ID), col(d::YEAR)])
        .agg([col(d::KPI_ID)
            .drop_nulls()
            .n_unique()
            .cast(DataType::Float64)
            .alias(d::REFERENCE)])
        .with_column((col(d::REFERENCE) / lit(core_kpis.max(1) as f64)).alias(d::VALUE));
    flags(
        per_year.filter(col(d::VALUE).lt(lit(min_share - 1e-9))),
        lit(CORE_COVERAGE),
        lit(WARNING),
        [
            None,
            Some(col(d::VALUE)),
            Some(col(d::REFERENCE)),
            Some(lit(core_kpis as f64)),
            None,
            None,
        ],
    )
}

/// Every flag of the observations (encoded keys, sorted, with [`d::SERIES`]), collected:
/// the rows of [`flag_columns`], booleans left out of the ratio rules.
pub struct Inputs<'a> {
    pub rules: &'a Rules,
    pub validation: &'a Validation,
    pub k: u32,
    /// (CITY_ID, GROUP) of the outlier grouping, keys encoded.
    pub members: DataFrame,
    /// Encoder of the rule frames' key columns.
    pub encode: &'a dyn Fn(DataFrame) -> Result<DataFrame>,
}

/// All rules over `obs` (see [`Inputs`]), one frame of [`flag_columns`] rows.
pub fn all_flags(obs: &DataFrame, inputs: &Inputs<'_>) -> Result<DataFrame> {
    let r = inputs.rules;
    let v = inputs.validation;
    let enc = inputs.encode;
    let lf = || obs.clone().lazy();
    let pairs = enc(r.pairs_frame()?)?;
    let involved: Vec<String> = r
        .pairs
        .iter()
        .flat_map(|p| [p.data_point.clone(), p.other.clone()])
        .collect();
    let involved = enc(df!(d::DATA_POINT_ID => involved).map_err(pe)?)?;
    let subset = lf()
        .join(
            involved.lazy().unique(None, UniqueKeepStrategy::First),
            [col(d::DATA_POINT_ID)],
            [col(d::DATA_POINT_ID)],
            JoinArgs::new(JoinType::Semi),
        )
        .select([
            col(d::CITY_ID),
            col(d::DATA_POINT_ID).cast(DataType::String),
            col(d::YEAR),
            col(d::VALUE),
            col(d::CONFIDENTIAL),
        ]);
    let booleans = r
        .booleans
        .clone()
        .lazy()
        .with_column(col(d::DATA_POINT_ID).cast(DataType::String));
    let not_boolean = |f: LazyFrame| {
        f.join(
            booleans.clone(),
            [col(d::DATA_POINT_ID)],
            [col(d::DATA_POINT_ID)],
            JoinArgs::new(JoinType::Anti),
        )
    };
    let parts = [
        plausible_range(lf(), enc(r.plausible.clone())?.lazy()),
        pair_rules(pairs.lazy(), subset),
        sum_groups(lf(), enc(r.sum_groups.clone())?.lazy()),
        not_boolean(yoy_change(lf(), v.yoy_ratio)),
        not_boolean(peer_outliers(
            lf(),
            inputs.members.clone().lazy(),
            inputs.k,
            v.mad_threshold,
        )),
        core_coverage(
            lf(),
            enc(r.core.clone())?.lazy(),
            r.core_kpis,
            v.core_coverage_min,
        ),
    ];
    // one rule after another: each holds panel-sized intermediates (windows over 27 M
    // rows at 13 000 cities), and evaluated side by side they more than doubled the peak
    let all = concat(
        parts,
        UnionArgs {
            parallel: false,
            ..UnionArgs::default()
        },
    )
    .map_err(pe)?;
    // a city's flags newest year first (the year a verifier looks at), then by rule and
    // data point (a city-wide flag, no data point, first)
    all.sort(
        [
            d::CITY_ID,
            d::YEAR,
            d::RULE,
            d::DATA_POINT_ID,
            d::REFERENCE_ID,
        ],
        SortMultipleOptions::default()
            .with_order_descending_multi([false, true, false, false, false])
            .with_nulls_last(false)
            .with_maintain_order(true),
    )
    .collect()
    .map_err(pe)
}

/// A share (0..1) as a percentage rounded to one decimal (half away from zero), as every
/// percentage of `verify` is shown: the summary table, the city text and the flag messages
/// (`core_coverage`) agree to the digit.
pub fn percent_1dp(share: f64) -> f64 {
    (share * 1000.0).round() / 10.0
}

/// A number in a message (at most 6 significant digits).
fn num(v: Option<f64>) -> String {
    v.map(|v| crate::numfmt::fmt_num(v, 6))
        .unwrap_or_else(|| "?".into())
}

/// The message of one flag, and the same message with confidential values withheld.
#[allow(clippy::too_many_arguments)]
pub fn message(
    rule: &str,
    data_point: Option<&str>,
    year: i32,
    value: Option<f64>,
    reference: Option<f64>,
    reference_2: Option<f64>,
    reference_id: Option<&str>,
    confidential: bool,
    ctx: &MessageContext<'_>,
) -> (String, String) {
    let unit = ctx.unit;
    let dp = data_point.unwrap_or("");
    let u = unit(dp);
    let withheld = "value withheld (confidential)";
    let (full, public) = match rule {
        PLAUSIBLE_RANGE => {
            let range = format!(
                "{}..{}",
                reference.map(|v| num(Some(v))).unwrap_or_default(),
                reference_2.map(|v| num(Some(v))).unwrap_or_default()
            );
            let full = format!(
                "{dp} {year}: {} {u} is outside the plausible range {range} {u}; check the unit and the source",
                num(value)
            );
            let public = format!(
                "{dp} {year}: {withheld} is outside the plausible range {range} {u}; check the unit and the source"
            );
            (full, public)
        }
        CONSISTENCY | WASTEWATER_ORDER => {
            let (other, op) = reference_id
                .and_then(|s| s.rsplit_once(' '))
                .unwrap_or(("?", "?"));
            let what = if rule == WASTEWATER_ORDER {
                "treatment levels must be ordered primary >= secondary >= tertiary"
            } else {
                "the catalogue's consistency rule"
            };
            let full = format!(
                "{dp} {year}: {} {u} should be {op} {other} ({} {u}): {what}",
                num(value),
                num(reference)
            );
            let public = format!("{dp} {year}: should be {op} {other} ({withheld}): {what}");
            (full, public)
        }
        SUM_GROUP => {
            let group = reference_id.unwrap_or("?");
            let of = format!(
                "{} of {} members reported",
                num(reference),
                num(reference_2)
            );
            let full = format!(
                "{group} {year}: shares sum to {} %, outside 100 +/- {} ({of})",
                num(value),
                num(Some(SUM_MARGIN))
            );
            let public = format!(
                "{group} {year}: shares sum outside 100 +/- {} ({of}; {withheld})",
                num(Some(SUM_MARGIN))
            );
            (full, public)
        }
        YOY_CHANGE => {
            let full = format!(
                "{dp} {year}: {} {u} after {} {u} in {}: more than x{} year on year",
                num(value),
                num(reference),
                year - 1,
                num(reference_2)
            );
            let public = format!(
                "{dp} {year}: more than x{} year on year since {} ({withheld})",
                num(reference_2),
                year - 1
            );
            (full, public)
        }
        PEER_OUTLIER => {
            let group = reference_id.unwrap_or("?");
            let t = num(Some(ctx.mad_threshold));
            let full = format!(
                "{dp} {year}: {} {u} is more than {t} x MAD from the median of peer group {group} (median {} {u}, MAD {} {u})",
                num(value),
                num(reference),
                num(reference_2)
            );
            let public = format!(
                "{dp} {year}: more than {t} x MAD from the median of peer group {group} ({withheld})"
            );
            (full, public)
        }
        CORE_COVERAGE => {
            let full = format!(
                "{year}: {} of {} core KPIs reported ({} %); U4SSC follows up when more than 20 % are missing",
                num(reference),
                num(reference_2),
                value.map_or_else(|| "?".into(), |v| format!("{:.1}", percent_1dp(v)))
            );
            (full.clone(), full)
        }
        other => {
            let full = format!("{dp} {year}: {other}");
            (full.clone(), full)
        }
    };
    if confidential {
        (full, public)
    } else {
        (full.clone(), full)
    }
}

/// What messages need besides the flag: the unit symbol of a data point, the MAD threshold.
pub struct MessageContext<'a> {
    pub unit: &'a dyn Fn(&str) -> String,
    pub mad_threshold: f64,
}

/// Add MESSAGE and PUBLIC_MESSAGE to collected flags.
pub fn messages(
    mut flags: DataFrame,
    catalog: &Catalog,
    units: &crate::catalog::UnitRegistry,
    mad_threshold: f64,
) -> Result<DataFrame> {
    let unit = |dp: &str| -> String {
        catalog
            .get(dp)
            .map(|p| units.symbol(&p.canonical_unit))
            .unwrap_or_default()
    };
    let s = |c: &str| -> Result<StringChunked> {
        Ok(flags.column(c).map_err(pe)?.str().map_err(pe)?.clone())
    };
    let f = |c: &str| -> Result<Float64Chunked> {
        Ok(flags.column(c).map_err(pe)?.f64().map_err(pe)?.clone())
    };
    let (rule, dp, id) = (s(d::RULE)?, s(d::DATA_POINT_ID)?, s(d::REFERENCE_ID)?);
    let (value, a, b) = (f(d::VALUE)?, f(d::REFERENCE)?, f(d::REFERENCE_2)?);
    let year = flags
        .column(d::YEAR)
        .map_err(pe)?
        .i32()
        .map_err(pe)?
        .clone();
    let conf = flags
        .column(d::CONFIDENTIAL)
        .map_err(pe)?
        .bool()
        .map_err(pe)?
        .clone();
    let ctx = MessageContext {
        unit: &unit,
        mad_threshold,
    };
    let n = flags.height();
    let mut full = Vec::with_capacity(n);
    let mut public = Vec::with_capacity(n);
    for i in 0..n {
        let (m, p) = message(
            rule.get(i).unwrap_or(""),
            dp.get(i),
            year.get(i).unwrap_or(0),
            value.get(i),
            a.get(i),
            b.get(i),
            id.get(i),
            conf.get(i).unwrap_or(false),
            &ctx,
        );
        full.push(m);
        public.push(p);
    }
    flags
        .with_column(Column::new(d::MESSAGE.into(), full))
        .map_err(pe)?;
    flags
        .with_column(Column::new(d::PUBLIC_MESSAGE.into(), public))
        .map_err(pe)?;
    Ok(flags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_have_one_decimal_half_away_from_zero() {
        assert_eq!(percent_1dp(1.0 / 55.0), 1.8);
        assert_eq!(percent_1dp(6.0 / 55.0), 10.9);
        assert_eq!(percent_1dp(0.0625), 6.3);
        assert_eq!(percent_1dp(0.3), 30.0);
        assert_eq!(format!("{:.1}", percent_1dp(0.3)), "30.0");
        assert_eq!(percent_1dp(1.0), 100.0);
    }

    #[test]
    fn consistency_rules_parse() {
        assert_eq!(
            parse_rule("<= EC-ICT-ICT-1C (normally)"),
            Some(("<=".into(), "EC-ICT-ICT-1C".into(), true))
        );
        assert_eq!(parse_rule(">= X"), Some((">=".into(), "X".into(), false)));
        assert_eq!(parse_rule("about X"), None);
        assert_eq!(parse_rule("<= X Y"), None);
    }
}
