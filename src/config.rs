//! The workspace configuration `citybench.toml`: typed, validated, with defaults.
//!
//! Unknown keys are errors (a typo such as `lookbak` must not silently fall back to the
//! default). `citybench init` writes [`DEFAULT_TOML`], every setting commented.

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
# Units (cities) with data for fewer than this share of indicators are screened out and
# listed (default 2/3). Measured on the data as reported, before imputation.
# availability_min = 0.6666666666666666
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
# Normalisation: "minmax" (0-100), "zscore", "percentile", "rank", "goalposts" (worst ->
# target of targets.csv or the framework's Worst/Target columns) or "target" (distance to
# target, capped at 100).
normalisation = "minmax"
# The range min-max maps onto (COINr's l_u).
minmax_range = [0.0, 100.0]
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
# not with "zscore", "percentile", "goalposts" or "target" (which give 0 or less).
normalisations = ["minmax", "rank"]
minmax_range = [1.0, 100.0]
aggregations = ["arithmetic", "geometric"]
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
    /// Distance to target: (x - min) / (target - min), capped at 1, x 100.
    Target,
}

impl Normalisation {
    /// Whether every normalised value is > 0 (what the geometric and harmonic means
    /// need); min-max onto `range` is when the range starts above 0.
    pub fn positive(self, range: [f64; 2]) -> bool {
        match self {
            Normalisation::Minmax => range[0] > 0.0,
            Normalisation::Rank => true,
            _ => false,
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
        }
    }
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

/// `[index.uncertainty]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Uncertainty {
    pub weight_noise: f64,
    pub normalisations: Vec<Normalisation>,
    pub minmax_range: [f64; 2],
    pub aggregations: Vec<Aggregation>,
}

impl Default for Uncertainty {
    fn default() -> Self {
        Uncertainty {
            weight_noise: 0.25,
            normalisations: vec![Normalisation::Minmax, Normalisation::Rank],
            minmax_range: [1.0, 100.0],
            aggregations: vec![Aggregation::Arithmetic, Aggregation::Geometric],
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
    pub normalisation: Normalisation,
    pub minmax_range: [f64; 2],
    pub aggregation: Aggregation,
    pub aggregation_by_level: Option<Vec<Aggregation>>,
    pub aggregation_by_aggregate: std::collections::BTreeMap<String, Aggregation>,
    pub genmean_p: f64,
    pub aggregate_availability_min: f64,
    pub weights: Option<String>,
    pub optimise_weights: Option<OptimiseWeights>,
    pub group_ranks: Option<Vec<String>>,
    pub include_confidential: bool,
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
            normalisation: Normalisation::Minmax,
            minmax_range: [0.0, 100.0],
            aggregation: Aggregation::Arithmetic,
            aggregation_by_level: None,
            aggregation_by_aggregate: Default::default(),
            genmean_p: 2.0,
            aggregate_availability_min: 0.0,
            weights: None,
            optimise_weights: None,
            group_ranks: None,
            include_confidential: false,
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
        if ix.uncertainty.normalisations.is_empty() || ix.uncertainty.aggregations.is_empty() {
            return bad(
                "index.uncertainty.normalisations and .aggregations must each list at least one method"
                    .into(),
            );
        }
        Ok(())
    }
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
}
