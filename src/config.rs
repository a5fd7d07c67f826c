//! The workspace configuration `citybench.toml`: typed, validated, with defaults.
//!
//! Unknown keys are errors (a typo such as `lookbak` must not silently fall back to the
//! default). `citybench init` writes [`DEFAULT_TOML`], every setting commented.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The commented configuration `citybench init` writes.
pub const DEFAULT_TOML: &str = r#"# citybench workspace configuration.
# Every setting below shows its default; edit and re-run `citybench run`.
# The exact meaning of each number is in docs/methodology.md of the citybench sources.

[analysis]
# Analysis year Y. Omitted: the latest year with any observation.
# year = 2024
# Each city contributes, per data point, its latest value in [Y - lookback, Y].
lookback = 2
# Horizon year for required slopes and projections (trend analysis).
horizon_year = 2030
# Minimum observations for a trend.
trend_min_points = 3

[peers]
# Minimum group size: statistics and percentiles are published only when n >= k.
k = 5
# Groupings: all, population_band, economy, continent, un_region, any attribute of the
# workspace attributes file, and combinations joined by " x " (e.g. "population_band x economy").
groupings = ["all", "population_band", "economy", "continent", "un_region"]

[attainment]
# "ratio" (U4SSC: value / target, target / value for lower-is-better) or "bounded"
# ((value - worst) / (target - worst) clamped to 0..1, SDSN style). A target of 0 always
# uses the bounded method.
method = "ratio"

[benchmarks]
# Where no normative target applies (datasets/catalog/targets.csv or a workspace
# targets.csv), a data point is scored against a benchmark computed each run from every
# city's value in the analysis year, SDSN style, with confidential values left out. It is
# labelled "benchmark" wherever it is shown. "top_mean": the mean of the `top` best
# performers; "quantile": the direction-adjusted `quantile` of performance (0.9 = better
# than 90 %); "off": such data points stay "data reported, no target yet".
method = "top_mean"
top = 5
quantile = 0.9
# A benchmark rests on at least this many published values (else none is set).
min_cities = 5

[validation]
# Earliest accepted year; the latest is the current year + 1.
year_min = 1990
# Year-on-year change flagged beyond this ratio (x2 or /2).
yoy_ratio = 2.0
# Robust outlier within its peer group: |value - median| > mad_threshold x MAD.
mad_threshold = 5.0
# A city reporting fewer than this share of core KPIs is flagged.
core_coverage_min = 0.8
# Grouping the robust peer outliers are found in (default: the first grouping of
# [peers] other than "all").
# outlier_grouping = "population_band"

[maturity]
# Roll-up of data point levels per dimension (ITU-T Y.4904): "min" (the staircase: a
# dimension is at level L only when every data point in it is) or "median" (the median
# level, rounded down). The distribution of levels is always published.
rollup = "min"

[index]
# The composite index (METHODOLOGY section 9, JRC/OECD Handbook and COINr conventions).
# Framework: "u4ssc" (data point -> KPI -> category -> dimension -> index, equal weights,
# catalogue directions; neutral data points are left out) or the path of a framework CSV
# in COINr's iMeta shape (iCode, Level, Parent, Weight, Direction, Type, ...), relative to
# the workspace.
framework = "u4ssc"
# Divide indicators by the denominator named in the framework's Denominator column
# (x / denominator x Scale).
denominate = false
# A denominator table (COINr's denoms), relative to the workspace: CSV with a unit column
# (uCode or city_id) and one column per denominator (e.g. population, GDP, area), one row
# per unit. Used for the denominators the data lacks, the same value for every year.
# denominators = "denominators.csv"
# Units (cities) with data for fewer than this share of indicators are screened out and
# listed (default 2/3). Measured on the data as reported, before imputation, unless
# screen_on = "imputed".
# availability_min = 0.6666666666666666
# What availability is measured on: "reported" (before imputation; imputed values do not
# count) or "imputed" (after imputation, as COINr's Screen on its Imputed data set; the
# imputation statistics then use every unit of the data).
screen_on = "reported"
# What screens a unit out (COINr Screen's unit_screen): "missing" (availability below
# availability_min), "zeros" (a share of non-zero values, of the values present, below
# nonzero_min) or "missing_and_zeros" (either).
screen_by = "missing"
# nonzero_min = 0.05
# Imputation: "none", "mean", "median", "group_mean", "group_median" (within
# imputation_grouping) or "latest" (the latest earlier value of the panel).
imputation = "none"
imputation_grouping = "population_band"
# Outlier treatment: "none" or "jrc" (skewness/kurtosis test, iterative winsorisation of at
# most winsorise_max points, log transform fallback).
outliers = "none"
skew_max = 2.0
kurtosis_max = 3.5
winsorise_max = 5
# Where winsorisation does not pass, the transform applied instead (COINr's f2): "log_ct"
# (ln(x - min + 0.01 (max - min))), "log_ct_orig" (ln(x - min + 1)), "log_gii"
# (ln((max - 1)(x - min)/(max - min) + 1)) or "boxcox" (Box-Cox of x - min + 1 with
# boxcox_lambda; 0 is ln).
outlier_transform = "log_ct"
# boxcox_lambda = 0.5
# true: the transform is applied to the winsorised column (COINr's combine_treat = TRUE);
# false: the winsorisation is discarded and the original column is transformed.
combine_treat = false
# Normalisation (applied after multiplying by the direction, as COINr): "minmax" (onto
# minmax_range), "zscore" (mean and sd zscore_mean_sd), "percentile" (0-100), "prank"
# (percentile rank 0-1, COINr's n_prank), "rank", "borda" (rank - 1), "scaled"
# ((x - l) / (u - l) x 100 with [l, u] = scaled_bounds), "fracmax" (x / max), "dist2max"
# (1 - (max - x) / (max - min)), "dist2ref" (1 - (ref - x) / (ref - min), ref: the value
# of reference_unit), "goalposts" (worst -> target of targets.csv or the framework's
# Worst/Target columns) or "target" ((x - min) / (target - min) x 100).
normalisation = "minmax"
# The range min-max maps onto (COINr's l_u).
minmax_range = [0.0, 100.0]
# The mean and standard deviation z-scores are given (COINr's m_sd, e.g. [10.0, 2.0]).
# zscore_mean_sd = [0.0, 1.0]
# The [l, u] of "scaled" (COINr's npara).
# scaled_bounds = [0.0, 100.0]
# "target" caps values beyond the target at 100 (COINr's cap_max); false leaves them above.
# target_cap = true
# The unit "dist2ref" measures against (COINr's iref, by unit code), and whether values
# beyond it are capped at 1 (COINr's cap_max, off by default).
# reference_unit = "CITY-1"
# reference_cap = false
# Aggregation: "arithmetic", "geometric" or "harmonic" (weighted; missing children are
# skipped and the remaining weights rescaled), "generalised" (the power mean with exponent
# genmean_p, COINr's a_genmean), "weighted_median", "copeland" (pairwise outranking,
# COINr's a_copeland) or "bod" (benefit of the doubt, a linear program per unit that
# chooses its own weights, Compind's ci_bod). The geometric and harmonic means refuse
# zeros, as COINr does: normalise onto a range starting above 0 (minmax_range = [1.0, 100.0]).
aggregation = "arithmetic"
# One method per aggregation level, from level 2 (indicators -> their parents) upwards
# (COINr's f_ag vector); it must name every level. Omitted: `aggregation` everywhere.
# aggregation_by_level = ["arithmetic", "arithmetic", "geometric"]
# The method of single aggregates by code, before their level's (COINr's parent overrides).
# aggregation_by_aggregate = { "dimension:Environment" = "geometric" }
# The exponent p of the generalised mean (not 0; p < 0 refuses zeros).
genmean_p = 2.0
# A unit's aggregate is missing when the share of its children with a value is below this
# (COINr's dat_thresh; 0: any one child is enough).
aggregate_availability_min = 0.0
# Weights: omitted, the framework's Weight column (COINr's "Original" set); a name selects
# the framework column Weight_<name> (a named weight set, COINr's coin$Meta$Weights; the
# name "expert" reads Weight_expert). The manifest lists every node's weight and its
# effective weight (the product of the sibling-normalised weights up to the index).
# weights = "expert"
# Group ranks are published within each of these groupings (default: [peers] groupings).
# group_ranks = ["continent", "population_band"]
# Confidential observations are left out of the index (it publishes derived values).
# true makes a custodian index: its normalisation, aggregates and ranks rest on confidential
# values, so the index marts (index_scores, index_ranks, ...) are empty and it is not exported.
include_confidential = false
# Multi-year builds (`index --data FILE --panel`, one index per year of the file):
# "global" normalises over every unit-year stacked (COINr's global = TRUE; scores are
# comparable across years) or "per_year" each year on its own.
panel_normalisation = "global"
# Outlier treatment per indicator (COINr Treat's indiv_specs): a table per indicator code
# with any of outliers ("none" exempts it, "jrc" treats it), winsorise_max, skew_max,
# kurtosis_max, transform, boxcox_lambda, combine_treat; a key left out takes [index]'s.
# [index.treat.water_loss]
# winsorise_max = 10

[index.diagnostics]
# true also writes index_correlations (indicator pairs within each aggregate, flagged),
# index_aggregates (Cronbach's alpha, first principal component), index_denominator_correlations,
# index_unit_diagnostics (zeros and missing per unit) and index_strengths (each unit's
# best and worst indicators), COINr's analysis functions.
extended = false
# A pair of siblings correlating above corr_high is flagged "collinear" (get_corr_flags,
# cor_thresh = 0.9), below corr_low "negative" (thresh_type = "low").
corr_high = 0.9
corr_low = -0.4
# |correlation| of an indicator with a denominator above this is flagged (get_denom_corr).
denominator_corr = 0.6
# Strengths and weaknesses per unit (get_str_weak topN, bottomN).
strengths_n = 5

# Optimised weights (COINr's get_opt_weights): the weights of one level are chosen so that
# the correlations of its nodes with the index are as equal as possible ("balance", towards
# the relative `importance` of each node, default equal) or as large as possible in sum
# ("infomax"), by a deterministic Nelder-Mead search from the current weights. The other
# levels keep their weights; the manifest records the result.
# [index.optimise_weights]
# level = 2
# method = "balance"
# correlation = "pearson"
# importance = { "dimension:Economy" = 2.0 }
# tolerance = 1e-8
# max_iterations = 500

[index.uncertainty]
# Monte Carlo (`citybench index --uncertainty N --seed S`): every weight x U(1 - noise,
# 1 + noise), renormalised; normalisation and aggregation drawn from these lists.
weight_noise = 0.25
# The geometric and harmonic means need values > 0 in every sample: they pair with "rank"
# and with "minmax" onto minmax_range (COINr users map onto [1, 100] for this reason),
# not with the other methods (which give 0 or less). "dist2ref" needs
# [index] reference_unit. An indicator with a method of its own ([index.normalise.<code>])
# keeps it in every sample.
normalisations = ["minmax", "rank"]
minmax_range = [1.0, 100.0]
aggregations = ["arithmetic", "geometric"]
# Imputation methods and outlier treatments drawn from (empty: the [index] choice in every
# sample), e.g. imputations = ["none", "mean", "group_median"], treatments = ["none", "jrc"].
imputations = []
treatments = []
# Weight sets drawn from before the noise: names of the framework's Weight_<name> columns,
# "nominal" for the build's own weights (empty: the build's weights in every sample).
weight_sets = []
# `--sensitivity` (variance-based indices, Saltelli/Jansen estimators; --uncertainty N is
# then the number of samples per factor): bootstrap resamples of each index's 5th-95th
# percentile interval (0: none).
bootstrap = 100

# One normalisation per indicator (COINr's indiv_specs): a table per indicator code with
# any of method, minmax_range, zscore_mean_sd, scaled_bounds, target_cap, reference_unit,
# reference_value (a reference in the indicator's own units instead of a unit's value) and
# reference_cap of [index]; what it leaves out is taken from [index]. Uncertainty samples
# keep these methods and draw only the others'.
# [index.normalise.GDPpc]
# method = "zscore"
# zscore_mean_sd = [10.0, 2.0]
"#;

/// `[analysis]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Analysis {
    pub year: Option<i32>,
    pub lookback: u32,
    pub horizon_year: i32,
    pub trend_min_points: u32,
}

impl Default for Analysis {
    fn default() -> Self {
        Analysis {
            year: None,
            lookback: 2,
            horizon_year: 2030,
            trend_min_points: 3,
        }
    }
}

/// `[peers]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Peers {
    pub k: u32,
    pub groupings: Vec<String>,
}

impl Default for Peers {
    fn default() -> Self {
        Peers {
            k: 5,
            groupings: [
                "all",
                "population_band",
                "economy",
                "continent",
                "un_region",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

/// `[validation]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Validation {
    pub year_min: i32,
    pub yoy_ratio: f64,
    pub mad_threshold: f64,
    pub core_coverage_min: f64,
    pub outlier_grouping: Option<String>,
}

impl Default for Validation {
    fn default() -> Self {
        Validation {
            year_min: 1990,
            yoy_ratio: 2.0,
            mad_threshold: 5.0,
            core_coverage_min: 0.8,
            outlier_grouping: None,
        }
    }
}

/// How attainment is computed (METHODOLOGY section 6).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum AttainmentMethod {
    /// value / target (target / value when lower is better).
    #[default]
    Ratio,
    /// (value - worst) / (target - worst), clamped to [0, 1].
    Bounded,
}

/// `[attainment]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Attainment {
    pub method: AttainmentMethod,
}

/// How the benchmark of a data point without a normative target is computed
/// (METHODOLOGY section 6).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum BenchmarkMethod {
    /// The mean of the `top` best performers.
    #[default]
    TopMean,
    /// The direction-adjusted quantile of performance.
    Quantile,
    /// No benchmarks.
    Off,
}

impl BenchmarkMethod {
    /// The configuration spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            BenchmarkMethod::TopMean => "top_mean",
            BenchmarkMethod::Quantile => "quantile",
            BenchmarkMethod::Off => "off",
        }
    }
}

/// `[benchmarks]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Benchmarks {
    pub method: BenchmarkMethod,
    pub top: u32,
    pub quantile: f64,
    pub min_cities: u32,
}

impl Default for Benchmarks {
    fn default() -> Self {
        Benchmarks {
            method: BenchmarkMethod::TopMean,
            top: 5,
            quantile: 0.9,
            min_cities: 5,
        }
    }
}

/// How data point maturity levels roll up per dimension (METHODOLOGY section 8).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum MaturityRollup {
    /// The staircase: the lowest level of the dimension's data points.
    #[default]
    Min,
    /// The median level, rounded down to a whole level.
    Median,
}

impl MaturityRollup {
    /// The configuration spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            MaturityRollup::Min => "min",
            MaturityRollup::Median => "median",
        }
    }
}

/// `[maturity]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Maturity {
    pub rollup: MaturityRollup,
}

/// Imputation of missing indicator values (METHODOLOGY section 9 step 3).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Imputation {
    /// Missing values stay missing (aggregation skips them).
    #[default]
    None,
    /// The indicator's mean over the units.
    Mean,
    /// The indicator's median over the units.
    Median,
    /// The mean within the unit's group of `imputation_grouping`.
    GroupMean,
    /// The median within the unit's group of `imputation_grouping`.
    GroupMedian,
    /// The unit's latest earlier value of the indicator (panels).
    Latest,
}

impl Imputation {
    /// The configuration spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Imputation::None => "none",
            Imputation::Mean => "mean",
            Imputation::Median => "median",
            Imputation::GroupMean => "group_mean",
            Imputation::GroupMedian => "group_median",
            Imputation::Latest => "latest",
        }
    }
}

/// Outlier treatment (METHODOLOGY section 9 step 5).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Outliers {
    /// No treatment.
    #[default]
    None,
    /// The JRC rule: winsorise, else log transform.
    Jrc,
}

impl Outliers {
    /// The configuration spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Outliers::None => "none",
            Outliers::Jrc => "jrc",
        }
    }
}

/// What screening measures availability on (COINr's `Screen` runs on any data set).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum ScreenOn {
    /// The data as reported (after denomination), before imputation (COINr's examples
    /// screen the `Raw` data set).
    #[default]
    Reported,
    /// The data after imputation (COINr's `Screen(coin, dset = "Imputed")`): imputed
    /// values count as present; imputation statistics use every unit of the data.
    Imputed,
}

/// What screens a unit out (COINr `Screen`'s `unit_screen`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum ScreenBy {
    /// Availability below `availability_min` (`"byNA"`).
    #[default]
    Missing,
    /// A share of non-zero values below `nonzero_min` (`"byzeros"`).
    Zeros,
    /// Either (`"byNAandzeros"`).
    MissingAndZeros,
}

/// The second treatment, applied where winsorisation does not pass (COINr's `f2`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum OutlierTransform {
    /// `ln(x - min + 0.01 (max - min))` (COINr's `log_CT`, its default).
    #[default]
    LogCt,
    /// `ln(x - min + 1)` (COINr's `log_CT_orig`).
    LogCtOrig,
    /// `ln((max - 1)(x - min)/(max - min) + 1)` (the GII transform of COINr's `log_GII`).
    LogGii,
    /// Box-Cox of `x - min + 1` with `boxcox_lambda` (COINr's `boxcox`, `makepos = TRUE`).
    Boxcox,
}

impl OutlierTransform {
    /// The configuration spelling (also the `treatment` of the tables).
    pub fn as_str(self) -> &'static str {
        match self {
            OutlierTransform::LogCt => "log_ct",
            OutlierTransform::LogCtOrig => "log_ct_orig",
            OutlierTransform::LogGii => "log_gii",
            OutlierTransform::Boxcox => "boxcox",
        }
    }
}

/// `[index.treat.<code>]`: one indicator's outlier treatment (COINr `Treat`'s
/// `indiv_specs`); every key left out takes the `[index]` value.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TreatIndicator {
    /// `"none"` exempts the indicator (COINr's `indiv_specs = list(code = "none")`);
    /// `"jrc"` treats it even when `[index] outliers = "none"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outliers: Option<Outliers>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub winsorise_max: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skew_max: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kurtosis_max: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transform: Option<OutlierTransform>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boxcox_lambda: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub combine_treat: Option<bool>,
}

/// Normalisation of indicators (METHODOLOGY section 9 step 6).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Normalisation {
    /// (x - min) / (max - min) x 100.
    #[default]
    Minmax,
    /// (x - mean) / sd.
    Zscore,
    /// Percentile rank x 100.
    Percentile,
    /// Rank (1 = lowest).
    Rank,
    /// (x - worst) / (target - worst), clamped to [0, 1], x 100.
    Goalposts,
    /// Distance to target: (x - min) / (target - min), capped at 1 (unless `target_cap =
    /// false`), x 100.
    Target,
    /// Percentile rank on 0-1: (rank_min - 1) / (n - 1) (COINr's `n_prank`).
    Prank,
    /// Borda score: rank_min - 1 (COINr's `n_borda`).
    Borda,
    /// (x - l) / (u - l) x 100 (COINr's `n_scaled`).
    Scaled,
    /// x / max (COINr's `n_fracmax`).
    Fracmax,
    /// 1 - (max - x) / (max - min) (COINr's `n_dist2max`).
    Dist2max,
    /// 1 - (ref - x) / (ref - min), ref a unit's value or a given value (COINr's
    /// `n_dist2ref`).
    Dist2ref,
}

impl Normalisation {
    /// Whether every normalised value is > 0 (what the geometric and harmonic means
    /// need); min-max onto `range` is when the range starts above 0.
    pub fn positive(self, range: [f64; 2]) -> bool {
        match self {
            Normalisation::Minmax => range[0] > 0.0,
            // ranks start at 1
            Normalisation::Rank => true,
            // the lowest unit scores 0: percentile, prank, borda, dist2max, dist2ref,
            // goalposts and target (at or below the worst value or the minimum)
            Normalisation::Percentile
            | Normalisation::Prank
            | Normalisation::Borda
            | Normalisation::Dist2max
            | Normalisation::Dist2ref
            | Normalisation::Goalposts
            | Normalisation::Target => false,
            // below zero for some data: z-scores below the mean (by more than mean / sd
            // standard deviations), scaled values below l, fractions of a max of
            // negative or zero values
            Normalisation::Zscore | Normalisation::Scaled | Normalisation::Fracmax => false,
        }
    }

    /// The configuration spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Normalisation::Minmax => "minmax",
            Normalisation::Zscore => "zscore",
            Normalisation::Percentile => "percentile",
            Normalisation::Rank => "rank",
            Normalisation::Goalposts => "goalposts",
            Normalisation::Target => "target",
            Normalisation::Prank => "prank",
            Normalisation::Borda => "borda",
            Normalisation::Scaled => "scaled",
            Normalisation::Fracmax => "fracmax",
            Normalisation::Dist2max => "dist2max",
            Normalisation::Dist2ref => "dist2ref",
        }
    }
}

/// `[index.normalise.<code>]`: one indicator's normalisation (COINr's `indiv_specs`);
/// what it leaves out is taken from `[index]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct NormaliseIndicator {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<Normalisation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minmax_range: Option<[f64; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zscore_mean_sd: Option<[f64; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scaled_bounds: Option<[f64; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_cap: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_unit: Option<String>,
    /// A reference in the indicator's own units (before the direction), instead of a
    /// unit's value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_cap: Option<bool>,
}

/// The defaults of the normalisation parameters, left out of the manifest when unchanged
/// (so a configuration that does not use them records what it always did).
const ZSCORE_MEAN_SD: [f64; 2] = [0.0, 1.0];
const SCALED_BOUNDS: [f64; 2] = [0.0, 100.0];

fn is_zscore_default(v: &[f64; 2]) -> bool {
    *v == ZSCORE_MEAN_SD
}

fn is_scaled_default(v: &[f64; 2]) -> bool {
    *v == SCALED_BOUNDS
}

fn is_true(v: &bool) -> bool {
    *v
}

fn is_false(v: &bool) -> bool {
    !*v
}

/// Aggregation of children into their parent (METHODOLOGY section 9 step 7).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    /// Weighted arithmetic mean.
    #[default]
    Arithmetic,
    /// Weighted geometric mean.
    Geometric,
    /// Weighted harmonic mean.
    Harmonic,
    /// Weighted generalised (power) mean with exponent `genmean_p` (COINr `a_genmean`).
    Generalised,
    /// Weighted median (COINr's definition; the mean of the two middle values when the
    /// weight splits exactly in half).
    WeightedMedian,
    /// Copeland: per unit, the count of units it outranks minus those outranking it, by
    /// weighted pairwise comparison of the children (COINr `a_copeland`).
    Copeland,
    /// Benefit of the doubt: per unit, the largest weighted sum of its children under
    /// weights for which no unit scores above 1 (Compind `ci_bod`, COINr's `a_bod` wrapper).
    Bod,
}

impl Aggregation {
    /// The configuration spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Aggregation::Arithmetic => "arithmetic",
            Aggregation::Geometric => "geometric",
            Aggregation::Harmonic => "harmonic",
            Aggregation::Generalised => "generalised",
            Aggregation::WeightedMedian => "weighted_median",
            Aggregation::Copeland => "copeland",
            Aggregation::Bod => "bod",
        }
    }

    /// Whether the method refuses a child of 0 (the geometric and harmonic means, and the
    /// generalised mean with a negative exponent `p`).
    pub fn refuses_zero(self, p: f64) -> bool {
        match self {
            Aggregation::Geometric | Aggregation::Harmonic => true,
            Aggregation::Generalised => p < 0.0,
            _ => false,
        }
    }

    /// Whether the method needs children >= 0 (the means other than the arithmetic one,
    /// and the benefit of the doubt).
    pub fn needs_non_negative(self) -> bool {
        !matches!(
            self,
            Aggregation::Arithmetic | Aggregation::WeightedMedian | Aggregation::Copeland
        )
    }
}

/// What optimised weights aim at (COINr's `optype`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum WeightTarget {
    /// Correlations with the index in proportion to the target importances.
    #[default]
    Balance,
    /// The largest sum of correlations with the index.
    Infomax,
}

/// The correlation optimised weights use (COINr's `cortype`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Correlation {
    #[default]
    Pearson,
    Spearman,
}

/// `[index.optimise_weights]` (COINr's `get_opt_weights`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct OptimiseWeights {
    /// The level whose weights are optimised (1 = indicators).
    pub level: u32,
    pub method: WeightTarget,
    pub correlation: Correlation,
    /// Relative target importance per node code of the level (balance; default 1).
    pub importance: std::collections::BTreeMap<String, f64>,
    /// Nelder-Mead stops when the objective's spread over the simplex is at most
    /// tolerance x (|objective at the start| + tolerance) (R's `reltol`).
    pub tolerance: f64,
    pub max_iterations: u32,
}

impl Default for OptimiseWeights {
    fn default() -> Self {
        OptimiseWeights {
            level: 2,
            method: WeightTarget::Balance,
            correlation: Correlation::Pearson,
            importance: Default::default(),
            tolerance: 1e-8,
            max_iterations: 500,
        }
    }
}

/// How a multi-year build (`index --panel`) normalises.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum PanelNormalisation {
    /// Over every unit-year stacked (COINr's `global = TRUE`): comparable across years.
    #[default]
    Global,
    /// Each year on its own.
    PerYear,
}

impl PanelNormalisation {
    /// The configuration spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PanelNormalisation::Global => "global",
            PanelNormalisation::PerYear => "per_year",
        }
    }
}

/// `[index.uncertainty]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Uncertainty {
    pub weight_noise: f64,
    pub normalisations: Vec<Normalisation>,
    pub minmax_range: [f64; 2],
    pub aggregations: Vec<Aggregation>,
    /// Imputation methods drawn from (empty: `[index] imputation` in every sample).
    pub imputations: Vec<Imputation>,
    /// Outlier treatments drawn from (empty: `[index] outliers` in every sample).
    pub treatments: Vec<Outliers>,
    /// Weight sets drawn from before the noise: `Weight_<name>` columns of the framework by
    /// name, `"nominal"` the build's weights (empty: the build's weights in every sample).
    pub weight_sets: Vec<String>,
    /// Bootstrap resamples of the sensitivity indices' 5th-95th percentile intervals
    /// (`--sensitivity`; 0: none).
    pub bootstrap: u32,
}

impl Default for Uncertainty {
    fn default() -> Self {
        Uncertainty {
            weight_noise: 0.25,
            normalisations: vec![Normalisation::Minmax, Normalisation::Rank],
            minmax_range: [1.0, 100.0],
            aggregations: vec![Aggregation::Arithmetic, Aggregation::Geometric],
            imputations: Vec::new(),
            treatments: Vec::new(),
            weight_sets: Vec::new(),
            bootstrap: 100,
        }
    }
}

/// COINr `Screen`'s default `nonzero_thresh`.
pub const NONZERO_MIN: f64 = 0.05;

fn is_nonzero_min_default(v: &f64) -> bool {
    *v == NONZERO_MIN
}

/// Whether `v` is its type's default (settings added later are not serialised then).
fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// `[index.diagnostics]`: the extended diagnostic tables (COINr's analysis functions).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Diagnostics {
    /// Write the extended tables.
    pub extended: bool,
    /// Sibling pairs correlating above this are "collinear" (`get_corr_flags`).
    pub corr_high: f64,
    /// Sibling pairs correlating below this are "negative".
    pub corr_low: f64,
    /// |r| of an indicator with a denominator above this is flagged (`get_denom_corr`).
    pub denominator_corr: f64,
    /// Strengths and weaknesses per unit (`get_str_weak` `topN`, `bottomN`).
    pub strengths_n: u32,
}

impl Default for Diagnostics {
    fn default() -> Self {
        Diagnostics {
            extended: false,
            corr_high: 0.9,
            corr_low: -0.4,
            denominator_corr: 0.6,
            strengths_n: 5,
        }
    }
}

/// `[index]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Index {
    pub framework: String,
    pub denominate: bool,
    pub availability_min: f64,
    pub imputation: Imputation,
    pub imputation_grouping: String,
    pub outliers: Outliers,
    pub skew_max: f64,
    pub kurtosis_max: f64,
    pub winsorise_max: u32,
    // the settings below are left out of the serialised configuration (the manifest and
    // its config_sha256) at their defaults, so a configuration without them records as
    // before they existed
    #[serde(skip_serializing_if = "is_default")]
    pub screen_on: ScreenOn,
    #[serde(skip_serializing_if = "is_default")]
    pub screen_by: ScreenBy,
    #[serde(skip_serializing_if = "is_nonzero_min_default")]
    pub nonzero_min: f64,
    #[serde(skip_serializing_if = "is_default")]
    pub outlier_transform: OutlierTransform,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boxcox_lambda: Option<f64>,
    #[serde(skip_serializing_if = "is_default")]
    pub combine_treat: bool,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub treat: std::collections::BTreeMap<String, TreatIndicator>,
    pub normalisation: Normalisation,
    pub minmax_range: [f64; 2],
    /// z-score target mean and sd (COINr's `m_sd`).
    #[serde(skip_serializing_if = "is_zscore_default")]
    pub zscore_mean_sd: [f64; 2],
    /// `[l, u]` of the scaled method (COINr's `npara`).
    #[serde(skip_serializing_if = "is_scaled_default")]
    pub scaled_bounds: [f64; 2],
    /// Whether the target method caps at 100 (COINr's `cap_max`).
    #[serde(skip_serializing_if = "is_true")]
    pub target_cap: bool,
    /// The unit distance-to-reference measures against (COINr's `iref`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_unit: Option<String>,
    /// Whether distance-to-reference caps at 1 (COINr's `cap_max`).
    #[serde(skip_serializing_if = "is_false")]
    pub reference_cap: bool,
    /// Per-indicator normalisation (COINr's `indiv_specs`), by indicator code.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub normalise: BTreeMap<String, NormaliseIndicator>,
    /// A denominator table (COINr's `denoms`), relative to the workspace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denominators: Option<String>,
    pub aggregation: Aggregation,
    pub aggregation_by_level: Option<Vec<Aggregation>>,
    pub aggregation_by_aggregate: std::collections::BTreeMap<String, Aggregation>,
    pub genmean_p: f64,
    pub aggregate_availability_min: f64,
    pub weights: Option<String>,
    pub optimise_weights: Option<OptimiseWeights>,
    pub group_ranks: Option<Vec<String>>,
    pub include_confidential: bool,
    pub panel_normalisation: PanelNormalisation,
    #[serde(skip_serializing_if = "is_default")]
    pub diagnostics: Diagnostics,
    pub uncertainty: Uncertainty,
}

impl Default for Index {
    fn default() -> Self {
        Index {
            framework: "u4ssc".into(),
            denominate: false,
            availability_min: 2.0 / 3.0,
            imputation: Imputation::None,
            imputation_grouping: "population_band".into(),
            outliers: Outliers::None,
            skew_max: 2.0,
            kurtosis_max: 3.5,
            winsorise_max: 5,
            screen_on: ScreenOn::Reported,
            screen_by: ScreenBy::Missing,
            nonzero_min: NONZERO_MIN,
            outlier_transform: OutlierTransform::LogCt,
            boxcox_lambda: None,
            combine_treat: false,
            treat: Default::default(),
            normalisation: Normalisation::Minmax,
            minmax_range: [0.0, 100.0],
            zscore_mean_sd: ZSCORE_MEAN_SD,
            scaled_bounds: SCALED_BOUNDS,
            target_cap: true,
            reference_unit: None,
            reference_cap: false,
            normalise: BTreeMap::new(),
            denominators: None,
            aggregation: Aggregation::Arithmetic,
            aggregation_by_level: None,
            aggregation_by_aggregate: Default::default(),
            genmean_p: 2.0,
            aggregate_availability_min: 0.0,
            weights: None,
            optimise_weights: None,
            group_ranks: None,
            include_confidential: false,
            panel_normalisation: PanelNormalisation::Global,
            diagnostics: Diagnostics::default(),
            uncertainty: Uncertainty::default(),
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub analysis: Analysis,
    pub peers: Peers,
    pub attainment: Attainment,
    pub benchmarks: Benchmarks,
    pub validation: Validation,
    pub maturity: Maturity,
    pub index: Index,
}

impl Config {
    /// Parse TOML text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let c: Config = toml::from_str(text).map_err(|e| Error::Config {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().replace('\n', " "),
        })?;
        c.check(path)?;
        Ok(c)
    }

    /// Read a configuration file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = crate::input::read_text(path, "a TOML configuration file")?;
        Self::parse(&text, path)
    }

    /// The grouping robust peer outliers are found in: `validation.outlier_grouping`, else
    /// the first grouping other than `all` (`all` when it is the only one).
    pub fn outlier_grouping(&self) -> &str {
        self.validation
            .outlier_grouping
            .as_deref()
            .or_else(|| {
                self.peers
                    .groupings
                    .iter()
                    .find(|g| g.as_str() != "all")
                    .map(String::as_str)
            })
            .or(self.peers.groupings.first().map(String::as_str))
            .unwrap_or("all")
    }

    fn check(&self, path: &Path) -> Result<()> {
        let bad = |m: String| {
            Err(Error::Config {
                path: path.to_path_buf(),
                message: m,
            })
        };
        if self.peers.k == 0 {
            return bad("peers.k must be at least 1".into());
        }
        if self.peers.groupings.is_empty() {
            return bad("peers.groupings must name at least one grouping (e.g. \"all\")".into());
        }
        if self.benchmarks.top == 0 {
            return bad("benchmarks.top must be at least 1".into());
        }
        if !(0.0..=1.0).contains(&self.benchmarks.quantile) {
            return bad(format!(
                "benchmarks.quantile must be in 0..1 (got {})",
                self.benchmarks.quantile
            ));
        }
        if self.benchmarks.min_cities < self.benchmarks.top
            && self.benchmarks.method == BenchmarkMethod::TopMean
        {
            return bad(format!(
                "benchmarks.min_cities ({}) must be at least benchmarks.top ({}): the mean of the {} best needs {} values",
                self.benchmarks.min_cities,
                self.benchmarks.top,
                self.benchmarks.top,
                self.benchmarks.top
            ));
        }
        if self.analysis.lookback > 100 {
            return bad(format!(
                "analysis.lookback must be at most 100 years (got {})",
                self.analysis.lookback
            ));
        }
        if self.analysis.trend_min_points < 2 {
            return bad(
                "analysis.trend_min_points must be at least 2 (a line needs two points)".into(),
            );
        }
        if self.validation.yoy_ratio.partial_cmp(&1.0) != Some(std::cmp::Ordering::Greater) {
            return bad(format!(
                "validation.yoy_ratio must be > 1 (got {})",
                self.validation.yoy_ratio
            ));
        }
        if let Some(g) = &self.validation.outlier_grouping
            && !self.peers.groupings.contains(g)
        {
            return bad(format!(
                "validation.outlier_grouping '{g}' is not one of [peers] groupings ({})",
                self.peers.groupings.join(", ")
            ));
        }
        if !(0.0..=1.0).contains(&self.validation.core_coverage_min) {
            return bad("validation.core_coverage_min must be between 0 and 1".into());
        }
        let ix = &self.index;
        if !(0.0..=1.0).contains(&ix.availability_min) {
            return bad(format!(
                "index.availability_min must be between 0 and 1 (got {})",
                ix.availability_min
            ));
        }
        if !(0.0..=1.0).contains(&ix.nonzero_min) {
            return bad(format!(
                "index.nonzero_min must be between 0 and 1 (a share of non-zero values; got {})",
                ix.nonzero_min
            ));
        }
        if !(0.0..=1.0).contains(&ix.aggregate_availability_min) {
            return bad(format!(
                "index.aggregate_availability_min must be between 0 and 1 (got {})",
                ix.aggregate_availability_min
            ));
        }
        if !(ix.genmean_p.is_finite() && ix.genmean_p != 0.0) {
            return bad(format!(
                "index.genmean_p must be a number other than 0 (got {}); p = 0 is the geometric mean: use aggregation = \"geometric\"",
                ix.genmean_p
            ));
        }
        if ix.aggregation_by_level.as_ref().is_some_and(Vec::is_empty) {
            return bad(
                "index.aggregation_by_level must name one method per aggregation level (from level 2 upwards); omit it to use index.aggregation everywhere"
                    .into(),
            );
        }
        if let Some(o) = &ix.optimise_weights {
            if o.level == 0 {
                return bad("index.optimise_weights.level must be 1 (indicators) or higher".into());
            }
            if !(o.tolerance > 0.0 && o.tolerance.is_finite()) || o.max_iterations == 0 {
                return bad(format!(
                    "index.optimise_weights: tolerance must be > 0 and max_iterations at least 1 (got {} and {})",
                    o.tolerance, o.max_iterations
                ));
            }
            if let Some((code, v)) = o
                .importance
                .iter()
                .find(|(_, v)| !(**v > 0.0 && v.is_finite()))
            {
                return bad(format!(
                    "index.optimise_weights.importance of '{code}' must be > 0 (got {v})"
                ));
            }
        }
        if !(ix.skew_max > 0.0 && ix.kurtosis_max > 0.0) {
            return bad("index.skew_max and index.kurtosis_max must be > 0".into());
        }
        for (name, t) in &ix.treat {
            if t.skew_max.is_some_and(|v| v.is_nan() || v <= 0.0)
                || t.kurtosis_max.is_some_and(|v| v.is_nan() || v <= 0.0)
            {
                return bad(format!(
                    "index.treat.{name}: skew_max and kurtosis_max must be > 0"
                ));
            }
        }
        let boxcox_without_lambda = |t: Option<OutlierTransform>, l: Option<f64>| {
            t == Some(OutlierTransform::Boxcox) && l.or(ix.boxcox_lambda).is_none()
        };
        if boxcox_without_lambda(Some(ix.outlier_transform), None) {
            return bad(
                "index.outlier_transform = \"boxcox\" needs index.boxcox_lambda (a number; 0 is ln, 1 a shift, 0.5 a square root)".into(),
            );
        }
        if let Some((name, _)) = ix
            .treat
            .iter()
            .find(|(_, t)| boxcox_without_lambda(t.transform, t.boxcox_lambda))
        {
            return bad(format!(
                "index.treat.{name}: transform = \"boxcox\" needs boxcox_lambda there or in [index] (a number; 0 is ln, 1 a shift, 0.5 a square root)"
            ));
        }
        if let Some(l) = ix
            .boxcox_lambda
            .into_iter()
            .chain(ix.treat.values().filter_map(|t| t.boxcox_lambda))
            .find(|l| !l.is_finite())
        {
            return bad(format!(
                "index boxcox_lambda must be a finite number (got {l})"
            ));
        }
        let d = &ix.diagnostics;
        for (name, v) in [("corr_high", d.corr_high), ("corr_low", d.corr_low)] {
            if !(-1.0..=1.0).contains(&v) {
                return bad(format!(
                    "index.diagnostics.{name} must be a correlation between -1 and 1 (got {v})"
                ));
            }
        }
        if !(0.0..=1.0).contains(&d.denominator_corr) {
            return bad(format!(
                "index.diagnostics.denominator_corr must be between 0 and 1 (an absolute correlation; got {})",
                d.denominator_corr
            ));
        }
        if d.strengths_n == 0 {
            return bad("index.diagnostics.strengths_n must be at least 1".into());
        }
        if !(0.0..1.0).contains(&ix.uncertainty.weight_noise) {
            return bad(format!(
                "index.uncertainty.weight_noise must be in [0, 1) (got {})",
                ix.uncertainty.weight_noise
            ));
        }
        for (name, r) in [
            ("index.minmax_range", ix.minmax_range),
            (
                "index.uncertainty.minmax_range",
                ix.uncertainty.minmax_range,
            ),
        ] {
            if !(r[0].is_finite() && r[1].is_finite() && r[0] < r[1]) {
                return bad(format!(
                    "{name} must be [low, high] with low < high (got [{}, {}])",
                    r[0], r[1]
                ));
            }
        }
        if ix.uncertainty.bootstrap > 100_000 {
            return bad(format!(
                "index.uncertainty.bootstrap must be at most 100000 (got {})",
                ix.uncertainty.bootstrap
            ));
        }
        check_normalise_params(
            "index",
            Some(ix.zscore_mean_sd),
            Some(ix.scaled_bounds),
            None,
        )
        .map_or(Ok(()), bad)?;
        let no_reference = |what: &str| {
            bad(format!(
                "{what} \"dist2ref\", which needs index.reference_unit (the code of the unit every indicator is measured against, COINr's iref)"
            ))
        };
        if ix.reference_unit.is_none() {
            if ix.normalisation == Normalisation::Dist2ref {
                return no_reference("index.normalisation is");
            }
            if ix
                .uncertainty
                .normalisations
                .contains(&Normalisation::Dist2ref)
            {
                return no_reference("index.uncertainty.normalisations lists");
            }
        }
        for (code, n) in &ix.normalise {
            let at = format!("index.normalise.{code}");
            if let Some(r) = n.minmax_range
                && !(r[0].is_finite() && r[1].is_finite() && r[0] < r[1])
            {
                return bad(format!(
                    "{at}.minmax_range must be [low, high] with low < high (got [{}, {}])",
                    r[0], r[1]
                ));
            }
            check_normalise_params(&at, n.zscore_mean_sd, n.scaled_bounds, n.reference_value)
                .map_or(Ok(()), bad)?;
            if n.reference_unit.is_some() && n.reference_value.is_some() {
                return bad(format!(
                    "{at}: give reference_unit or reference_value, not both"
                ));
            }
            if n.method.unwrap_or(ix.normalisation) == Normalisation::Dist2ref
                && n.reference_unit.is_none()
                && n.reference_value.is_none()
                && ix.reference_unit.is_none()
            {
                return bad(format!(
                    "{at}: dist2ref needs reference_unit (a unit's code) or reference_value (a value in the indicator's units), or index.reference_unit"
                ));
            }
        }
        if ix.uncertainty.normalisations.is_empty() || ix.uncertainty.aggregations.is_empty() {
            return bad(
                "index.uncertainty.normalisations and .aggregations must each list at least one method"
                    .into(),
            );
        }
        Ok(())
    }
}

/// The message of a normalisation parameter of `at` (`index` or `index.normalise.<code>`)
/// that no method can use, if any.
fn check_normalise_params(
    at: &str,
    zscore_mean_sd: Option<[f64; 2]>,
    scaled_bounds: Option<[f64; 2]>,
    reference_value: Option<f64>,
) -> Option<String> {
    if let Some([m, sd]) = zscore_mean_sd
        && !(m.is_finite() && sd.is_finite() && sd > 0.0)
    {
        return Some(format!(
            "{at}.zscore_mean_sd must be [mean, sd] with sd > 0 (got [{m}, {sd}])"
        ));
    }
    if let Some([l, u]) = scaled_bounds
        && !(l.is_finite() && u.is_finite() && l != u)
    {
        return Some(format!(
            "{at}.scaled_bounds must be [l, u] with l != u (got [{l}, {u}])"
        ));
    }
    if let Some(v) = reference_value
        && !v.is_finite()
    {
        return Some(format!(
            "{at}.reference_value must be a finite number (got {v})"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_text_parses_to_defaults() {
        let c = Config::parse(DEFAULT_TOML, Path::new("citybench.toml")).unwrap();
        assert_eq!(c, Config::default());
    }

    #[test]
    fn typos_are_errors() {
        let e =
            Config::parse("[analysis]\nlookbak = 3\n", Path::new("citybench.toml")).unwrap_err();
        let m = e.to_string();
        assert!(m.starts_with("citybench.toml: "), "{m}");
        assert!(m.contains("unknown field `lookbak`"), "{m}");
        let e = Config::parse("[peers]\nk = 0\n", Path::new("c.toml")).unwrap_err();
        assert_eq!(e.to_string(), "c.toml: peers.k must be at least 1");
    }

    #[test]
    fn index_settings_out_of_range_are_errors() {
        let e = |t: &str| {
            Config::parse(t, Path::new("c.toml"))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            e("[index]\navailability_min = 1.5\n"),
            "c.toml: index.availability_min must be between 0 and 1 (got 1.5)"
        );
        assert_eq!(
            e("[index]\nskew_max = 0\n"),
            "c.toml: index.skew_max and index.kurtosis_max must be > 0"
        );
        assert_eq!(
            e("[index.uncertainty]\nweight_noise = 1.0\n"),
            "c.toml: index.uncertainty.weight_noise must be in [0, 1) (got 1)"
        );
        assert_eq!(
            e("[index.uncertainty]\nbootstrap = 100001\n"),
            "c.toml: index.uncertainty.bootstrap must be at most 100000 (got 100001)"
        );
        assert_eq!(
            e("[index]\nminmax_range = [100.0, 0.0]\n"),
            "c.toml: index.minmax_range must be [low, high] with low < high (got [100, 0])"
        );
        assert_eq!(
            e("[index]\naggregate_availability_min = 1.5\n"),
            "c.toml: index.aggregate_availability_min must be between 0 and 1 (got 1.5)"
        );
        assert_eq!(
            e("[index]\ngenmean_p = 0.0\n"),
            "c.toml: index.genmean_p must be a number other than 0 (got 0); p = 0 is the geometric mean: use aggregation = \"geometric\""
        );
        assert_eq!(
            e("[index]\naggregation_by_level = []\n"),
            "c.toml: index.aggregation_by_level must name one method per aggregation level (from level 2 upwards); omit it to use index.aggregation everywhere"
        );
        assert_eq!(
            e("[index.optimise_weights]\nlevel = 0\n"),
            "c.toml: index.optimise_weights.level must be 1 (indicators) or higher"
        );
        assert_eq!(
            e("[index.optimise_weights]\ntolerance = 0.0\n"),
            "c.toml: index.optimise_weights: tolerance must be > 0 and max_iterations at least 1 (got 0 and 500)"
        );
        assert_eq!(
            e("[index.optimise_weights]\nimportance = { P1 = -1.0 }\n"),
            "c.toml: index.optimise_weights.importance of 'P1' must be > 0 (got -1)"
        );
        assert_eq!(
            e("[index.uncertainty]\naggregations = []\n"),
            "c.toml: index.uncertainty.normalisations and .aggregations must each list at least one method"
        );
    }

    #[test]
    fn the_commented_normalisation_settings_parse_as_documented() {
        let mut t = DEFAULT_TOML.to_string();
        for key in [
            "denominators",
            "zscore_mean_sd",
            "scaled_bounds",
            "target_cap",
            "reference_unit",
            "reference_cap",
        ] {
            t = t.replace(&format!("\n# {key} = "), &format!("\n{key} = "));
        }
        t = t.replace("\n# method = \"zscore\"", "\nmethod = \"zscore\"");
        t = t.replace("\n# [index.normalise.GDPpc]", "\n[index.normalise.GDPpc]");
        let c = Config::parse(&t, Path::new("c.toml")).unwrap();
        let ix = &c.index;
        assert_eq!(ix.denominators.as_deref(), Some("denominators.csv"));
        assert_eq!(
            (
                ix.zscore_mean_sd,
                ix.scaled_bounds,
                ix.target_cap,
                ix.reference_cap
            ),
            ([0.0, 1.0], [0.0, 100.0], true, false)
        );
        assert_eq!(ix.reference_unit.as_deref(), Some("CITY-1"));
        assert_eq!(
            ix.normalise["GDPpc"],
            NormaliseIndicator {
                method: Some(Normalisation::Zscore),
                zscore_mean_sd: Some([10.0, 2.0]),
                ..Default::default()
            }
        );
    }

    #[test]
    fn normalisation_parameters_out_of_range_are_errors() {
        let e = |t: &str| {
            Config::parse(t, Path::new("c.toml"))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            e("[index]\nzscore_mean_sd = [10.0, 0.0]\n"),
            "c.toml: index.zscore_mean_sd must be [mean, sd] with sd > 0 (got [10, 0])"
        );
        assert_eq!(
            e("[index]\nscaled_bounds = [5.0, 5.0]\n"),
            "c.toml: index.scaled_bounds must be [l, u] with l != u (got [5, 5])"
        );
        assert_eq!(
            e("[index]\nnormalisation = \"dist2ref\"\n"),
            "c.toml: index.normalisation is \"dist2ref\", which needs index.reference_unit (the code of the unit every indicator is measured against, COINr's iref)"
        );
        assert_eq!(
            e("[index.uncertainty]\nnormalisations = [\"minmax\", \"dist2ref\"]\n"),
            "c.toml: index.uncertainty.normalisations lists \"dist2ref\", which needs index.reference_unit (the code of the unit every indicator is measured against, COINr's iref)"
        );
        assert_eq!(
            e("[index.normalise.x1]\nzscore_mean_sd = [0.0, -1.0]\n"),
            "c.toml: index.normalise.x1.zscore_mean_sd must be [mean, sd] with sd > 0 (got [0, -1])"
        );
        assert_eq!(
            e("[index.normalise.x1]\nminmax_range = [1.0, 1.0]\n"),
            "c.toml: index.normalise.x1.minmax_range must be [low, high] with low < high (got [1, 1])"
        );
        assert_eq!(
            e("[index.normalise.x1]\nreference_value = nan\n"),
            "c.toml: index.normalise.x1.reference_value must be a finite number (got NaN)"
        );
        assert_eq!(
            e(
                "[index.normalise.x1]\nmethod = \"dist2ref\"\nreference_unit = \"a\"\nreference_value = 3.0\n"
            ),
            "c.toml: index.normalise.x1: give reference_unit or reference_value, not both"
        );
        assert_eq!(
            e("[index.normalise.x1]\nmethod = \"dist2ref\"\n"),
            "c.toml: index.normalise.x1: dist2ref needs reference_unit (a unit's code) or reference_value (a value in the indicator's units), or index.reference_unit"
        );
        assert!(
            e("[index.normalise.x1]\nmethod = \"zscor\"\n").contains("unknown variant `zscor`")
        );
        // accepted: a target mean and sd, a per-indicator method with a reference value
        let c = Config::parse(
            "[index]\nzscore_mean_sd = [10.0, 2.0]\n[index.normalise.x1]\nmethod = \"dist2ref\"\nreference_value = 3.0\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(c.index.zscore_mean_sd, [10.0, 2.0]);
        assert_eq!(
            c.index.normalise["x1"].method,
            Some(Normalisation::Dist2ref)
        );
    }

    #[test]
    fn settings_at_their_defaults_serialise_as_before_they_existed() {
        // the manifest records the serialised [index]: a configuration that does not use
        // screen_on, the transforms, [index.treat] or [index.diagnostics] records (and
        // hashes) as before they were added
        let v = serde_json::to_value(Index::default()).unwrap();
        for key in [
            "screen_on",
            "screen_by",
            "nonzero_min",
            "outlier_transform",
            "boxcox_lambda",
            "combine_treat",
            "treat",
            "diagnostics",
        ] {
            assert!(v.get(key).is_none(), "{key}");
        }
        let c = Config::parse(
            "[index]\nscreen_on = \"imputed\"\n[index.treat.x1]\nwinsorise_max = 2\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let v = serde_json::to_value(&c.index).unwrap();
        assert_eq!(v["screen_on"], "imputed");
        assert_eq!(v["treat"], serde_json::json!({"x1": {"winsorise_max": 2}}));
    }

    #[test]
    fn treatment_and_diagnostics_settings_out_of_range_are_errors() {
        let e = |t: &str| {
            Config::parse(t, Path::new("c.toml"))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            e("[index.treat.x1]\nskew_max = 0\n"),
            "c.toml: index.treat.x1: skew_max and kurtosis_max must be > 0"
        );
        assert_eq!(
            e("[index]\noutlier_transform = \"boxcox\"\n"),
            "c.toml: index.outlier_transform = \"boxcox\" needs index.boxcox_lambda (a number; 0 is ln, 1 a shift, 0.5 a square root)"
        );
        assert_eq!(
            e("[index.treat.x2]\ntransform = \"boxcox\"\n"),
            "c.toml: index.treat.x2: transform = \"boxcox\" needs boxcox_lambda there or in [index] (a number; 0 is ln, 1 a shift, 0.5 a square root)"
        );
        assert_eq!(
            e("[index.treat.x2]\nboxcox_lambda = inf\n"),
            "c.toml: index boxcox_lambda must be a finite number (got inf)"
        );
        assert_eq!(
            e("[index.diagnostics]\ncorr_high = 1.5\n"),
            "c.toml: index.diagnostics.corr_high must be a correlation between -1 and 1 (got 1.5)"
        );
        assert_eq!(
            e("[index.diagnostics]\ndenominator_corr = -0.1\n"),
            "c.toml: index.diagnostics.denominator_corr must be between 0 and 1 (an absolute correlation; got -0.1)"
        );
        assert_eq!(
            e("[index]\nnonzero_min = 5\n"),
            "c.toml: index.nonzero_min must be between 0 and 1 (a share of non-zero values; got 5)"
        );
        assert_eq!(
            e("[index.diagnostics]\nstrengths_n = 0\n"),
            "c.toml: index.diagnostics.strengths_n must be at least 1"
        );
        // accepted: a lambda per indicator, an exemption, screening after imputation
        let c = Config::parse(
            "[index]\nscreen_on = \"imputed\"\n[index.treat.x2]\ntransform = \"boxcox\"\nboxcox_lambda = 0\n[index.treat.x3]\noutliers = \"none\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(c.index.screen_on, ScreenOn::Imputed);
        assert_eq!(c.index.treat["x3"].outliers, Some(Outliers::None));
    }
}
