//! Every column name of every table citybench reads or writes, as constants.
//!
//! This is the single source of truth for names: readers, pipeline stages, SQL staging
//! views and tests refer to these constants, never to string literals.

/// Columns of the long submission format that `citybench ingest` reads.
pub mod submission {
    pub const CITY_ID: &str = "city_id";
    pub const DATA_POINT_ID: &str = "data_point_id";
    pub const YEAR: &str = "year";
    pub const VALUE: &str = "value";
    pub const UNIT: &str = "unit";
    pub const SOURCE: &str = "source";
    pub const QUALITY: &str = "quality";
    pub const VERIFIED: &str = "verified";
    pub const CONFIDENTIAL: &str = "confidential";
    pub const DENOMINATOR: &str = "denominator";
    pub const NOTES: &str = "notes";

    /// Columns every submission must have (matched case-insensitively).
    pub const REQUIRED: [&str; 9] = [
        CITY_ID,
        DATA_POINT_ID,
        YEAR,
        VALUE,
        UNIT,
        SOURCE,
        QUALITY,
        VERIFIED,
        CONFIDENTIAL,
    ];
    /// Columns a submission may have.
    pub const OPTIONAL: [&str; 2] = [DENOMINATOR, NOTES];
}

/// Columns of an accepted raw batch (`raw/batch=<id>/part-*.parquet`), one row per
/// accepted observation, already in canonical units.
pub mod raw {
    pub const BATCH_ID: &str = "batch_id";
    pub const SOURCE_FILE: &str = "source_file";
    pub const SOURCE_LINE: &str = "source_line";
    pub const CITY_ID: &str = "city_id";
    pub const DATA_POINT_ID: &str = "data_point_id";
    pub const YEAR: &str = "year";
    pub const VALUE: &str = "value";
    pub const UNIT: &str = "unit";
    pub const VALUE_REPORTED: &str = "value_reported";
    pub const UNIT_REPORTED: &str = "unit_reported";
    pub const CONVERSION: &str = "conversion";
    pub const DENOMINATOR: &str = "denominator";
    pub const DENOMINATOR_VALUE: &str = "denominator_value";
    pub const SOURCE: &str = "source";
    pub const QUALITY: &str = "quality";
    pub const VERIFIED: &str = "verified";
    pub const CONFIDENTIAL: &str = "confidential";
    pub const NOTES: &str = "notes";

    /// The raw columns holding each submission field as reported, in the order of the
    /// submission format (used to turn a stored row back into its original fields).
    pub const ORIGINAL_FIELDS: [&str; 11] = [
        CITY_ID,
        DATA_POINT_ID,
        YEAR,
        VALUE_REPORTED,
        UNIT_REPORTED,
        SOURCE,
        QUALITY,
        VERIFIED,
        CONFIDENTIAL,
        DENOMINATOR,
        NOTES,
    ];
}

/// Columns of a batch's statements file (`raw/batch=<id>/not-reported.parquet`): one row
/// per (city, data point, year) the submission states is not reported or not verified.
pub mod not_reported {
    pub const BATCH_ID: &str = "batch_id";
    pub const SOURCE_FILE: &str = "source_file";
    pub const SOURCE_LINE: &str = "source_line";
    pub const CITY_ID: &str = "city_id";
    pub const DATA_POINT_ID: &str = "data_point_id";
    pub const YEAR: &str = "year";
    /// `not reported` or `not verified`.
    pub const STATUS: &str = "status";
    /// The value cell as written ("Not Reported").
    pub const STATEMENT: &str = "statement";
    pub const SOURCE: &str = "source";
    pub const NOTES: &str = "notes";
}

/// Columns of `rejected/<batch>.csv`: where, why, and every original field.
pub mod rejected {
    pub const SOURCE_FILE: &str = "source_file";
    pub const LINE: &str = "line";
    pub const FIELD: &str = "field";
    pub const REASON: &str = "reason";
    pub const HEADER: [&str; 15] = [
        SOURCE_FILE,
        LINE,
        FIELD,
        REASON,
        super::submission::CITY_ID,
        super::submission::DATA_POINT_ID,
        super::submission::YEAR,
        super::submission::VALUE,
        super::submission::UNIT,
        super::submission::SOURCE,
        super::submission::QUALITY,
        super::submission::VERIFIED,
        super::submission::CONFIDENTIAL,
        super::submission::DENOMINATOR,
        super::submission::NOTES,
    ];
}

/// Columns of the KPI catalogue (`datasets/catalog/u4ssc_kpis.csv` or `--catalog FILE`).
pub mod catalog {
    pub const KPI_CODE: &str = "kpi_code";
    pub const KPI_ID: &str = "kpi_id";
    pub const DATA_POINT_ID: &str = "data_point_id";
    pub const NAME: &str = "name";
    pub const DATA_POINT: &str = "data_point";
    pub const DIMENSION: &str = "dimension";
    pub const SUB_DIMENSION: &str = "sub_dimension";
    pub const CATEGORY: &str = "category";
    pub const TIER: &str = "tier";
    pub const KIND: &str = "kind";
    pub const UNIT: &str = "unit";
    pub const CANONICAL_UNIT: &str = "canonical_unit";
    pub const DIRECTION: &str = "direction";
    pub const SDG_REFS: &str = "sdg_refs";
    pub const PLAUSIBLE_MIN: &str = "plausible_min";
    pub const PLAUSIBLE_MAX: &str = "plausible_max";
    pub const HARD_MIN: &str = "hard_min";
    pub const HARD_MAX: &str = "hard_max";
    pub const CONSISTENCY_RULE: &str = "consistency_rule";
    pub const SUMMARY: &str = "summary";
    pub const SOURCE_PAGE: &str = "source_page";
    pub const DIRECTION_SOURCE: &str = "direction_source";
    pub const VALUE_TYPE: &str = "value_type";
    pub const SUM_GROUP: &str = "sum_group";
}

/// Columns of the city registry (`datasets/registry/cities.csv`, workspace `cities.csv`).
pub mod city {
    pub const CITY_ID: &str = "city_id";
    pub const NAME: &str = "name";
    pub const ASCII_NAME: &str = "ascii_name";
    pub const COUNTRY_ISO2: &str = "country_iso2";
    pub const COUNTRY_ISO3: &str = "country_iso3";
    pub const CONTINENT: &str = "continent";
    pub const UN_REGION: &str = "un_region";
    pub const ECONOMY: &str = "economy";
    pub const POPULATION: &str = "population";
    pub const POPULATION_YEAR: &str = "population_year";
    pub const LATITUDE: &str = "latitude";
    pub const LONGITUDE: &str = "longitude";
    /// Derived, not stored: the U4SSC population band.
    pub const POPULATION_BAND: &str = "population_band";
    pub const HEADER: [&str; 12] = [
        CITY_ID,
        NAME,
        ASCII_NAME,
        COUNTRY_ISO2,
        COUNTRY_ISO3,
        CONTINENT,
        UN_REGION,
        ECONOMY,
        POPULATION,
        POPULATION_YEAR,
        LATITUDE,
        LONGITUDE,
    ];
}

/// Columns of a workspace `population.csv`.
pub mod population {
    pub const CITY_ID: &str = "city_id";
    pub const YEAR: &str = "year";
    pub const POPULATION: &str = "population";
}

/// Columns of the pipeline outputs (`derived/*.parquet`) and of the targets tables.
pub mod derived {
    /// Values of [`METHOD`]: how attainment was scored (METHODOLOGY section 6).
    pub const METHOD_RATIO: &str = "ratio";
    pub const METHOD_BOUNDED: &str = "bounded";
    pub const METHOD_BAND: &str = "band";

    /// The derived tables, in write order: (file stem, sort keys).
    pub const TABLES: [(&str, &[&str]); 15] = [
        ("catalog", &[DATA_POINT_ID]),
        ("cities", &[CITY_ID]),
        ("observations", &[CITY_ID, DATA_POINT_ID, YEAR]),
        ("aligned", &[CITY_ID, DATA_POINT_ID]),
        ("attainment", &[CITY_ID, DATA_POINT_ID]),
        ("peer_stats", &[GROUPING, GROUP, DATA_POINT_ID]),
        ("percentiles", &[CITY_ID, DATA_POINT_ID, GROUPING]),
        ("gaps", &[CITY_ID, DATA_POINT_ID, GROUPING]),
        ("rollups", &[CITY_ID, LEVEL, PATH]),
        ("rollups_published", &[CITY_ID, LEVEL, PATH]),
        ("trends", &[CITY_ID, DATA_POINT_ID]),
        ("maturity_levels", &[CITY_ID, DATA_POINT_ID]),
        ("maturity_dimensions", &[CITY_ID, DIMENSION]),
        ("maturity_dimensions_published", &[CITY_ID, DIMENSION]),
        (
            "assessments",
            &[CITY_ID, FRAMEWORK, CHARACTERISTIC, ASSESSMENT_DATE],
        ),
    ];

    pub const ANALYSIS_YEAR: &str = "analysis_year";
    pub const CITY_ID: &str = "city_id";
    pub const CITY_NAME: &str = "city_name";
    pub const DATA_POINT_ID: &str = "data_point_id";
    pub const YEAR: &str = "year";
    pub const VALUE: &str = "value";
    pub const UNIT: &str = "unit";
    pub const QUALITY: &str = "quality";
    pub const VERIFIED: &str = "verified";
    pub const CONFIDENTIAL: &str = "confidential";
    pub const BATCH_ID: &str = "batch_id";
    /// Position of the batch in the manifest (later batches win).
    pub const BATCH_SEQ: &str = "batch_seq";
    pub const SOURCE_YEAR: &str = "source_year";
    /// Internal (never written): (city, data point) as one u64; a time series.
    pub const SERIES: &str = "_series";

    // catalogue columns carried into outputs
    pub const DIMENSION: &str = "dimension";
    pub const SUB_DIMENSION: &str = "sub_dimension";
    pub const CATEGORY: &str = "category";
    pub const DIRECTION: &str = "direction";
    /// 1-based position of a data point in the catalogue (the order reports use).
    pub const POSITION: &str = "position";

    // peers
    pub const GROUPING: &str = "grouping";
    pub const GROUP: &str = "group";
    pub const N: &str = "n";
    /// Confidential values a published statistic left out (METHODOLOGY section 10).
    pub const N_CONFIDENTIAL: &str = "n_confidential";
    pub const SUPPRESSED: &str = "suppressed";
    pub const MIN: &str = "min";
    pub const P10: &str = "p10";
    pub const P25: &str = "p25";
    pub const MEDIAN: &str = "median";
    pub const P75: &str = "p75";
    pub const P90: &str = "p90";
    pub const MAX: &str = "max";
    pub const MEAN: &str = "mean";
    pub const SD: &str = "sd";
    /// Direction-adjusted score used for ranking (higher = better).
    pub const SCORE: &str = "score";
    pub const PERCENTILE: &str = "percentile";

    // targets and attainment
    pub const TARGET: &str = "target";
    pub const WORST: &str = "worst";
    pub const TOLERANCE: &str = "tolerance";
    pub const TARGET_YEAR: &str = "target_year";
    pub const TARGET_SOURCE: &str = "target_source";
    /// Where the target came from: `default`, `group` or `city`; `benchmark` for a
    /// benchmark.
    pub const TARGET_SCOPE: &str = "target_scope";
    /// The kind of reference level in `target`: `target` (normative, from a targets file)
    /// or `benchmark` (computed each run); null without one (METHODOLOGY section 6).
    pub const REFERENCE_KIND: &str = "reference_kind";
    /// A data point's benchmark value (while resolving).
    pub const BENCHMARK: &str = "benchmark";
    /// Published values a benchmark rests on.
    pub const BENCHMARK_N: &str = "benchmark_n";
    /// Scored items of a roll-up by reference kind.
    pub const SCORED_TARGET: &str = "scored_target";
    pub const SCORED_BENCHMARK: &str = "scored_benchmark";
    pub const METHOD: &str = "method";
    pub const ATTAINMENT: &str = "attainment";
    pub const POINTS: &str = "points";
    pub const STATE: &str = "state";

    // rollups
    pub const LEVEL: &str = "level";
    pub const PATH: &str = "path";
    pub const ITEMS: &str = "items";
    pub const SCORED: &str = "scored";
    /// Non-neutral items with a value (scored or not).
    pub const REPORTED: &str = "reported";
    /// Items whose value is confidential: included in a city's own roll-up, left out of
    /// the published one (METHODOLOGY section 10).
    pub const CONFIDENTIAL_ITEMS: &str = "confidential_items";
    pub const ROLLUP_SCORE: &str = "rollup_score";
    pub const BAND: &str = "band";
    pub const COVERAGE: &str = "coverage";
    pub const LOW_COVERAGE: &str = "low_coverage";

    // gaps
    pub const GAP_TARGET: &str = "gap_target";
    pub const GAP_TARGET_PCT: &str = "gap_target_pct";
    pub const GAP_MEDIAN: &str = "gap_median";
    pub const GAP_MEDIAN_PCT: &str = "gap_median_pct";
    pub const LEADERS: &str = "leaders";
    pub const GAP_LEADERS: &str = "gap_leaders";
    pub const GAP_LEADERS_PCT: &str = "gap_leaders_pct";

    // trends
    pub const N_POINTS: &str = "n_points";
    pub const FIRST_YEAR: &str = "first_year";
    pub const LATEST_YEAR: &str = "latest_year";
    pub const LATEST_VALUE: &str = "latest_value";
    pub const SLOPE: &str = "slope";
    pub const SLOPE_CI_LOW: &str = "slope_ci_low";
    pub const SLOPE_CI_HIGH: &str = "slope_ci_high";
    pub const CAGR_PCT: &str = "cagr_pct";
    pub const REQUIRED_SLOPE: &str = "required_slope";
    pub const RATIO: &str = "ratio";
    pub const STATUS: &str = "status";
    pub const YEARS_TO_TARGET: &str = "years_to_target";
    /// Why years to target is null ("beyond 100 years", "not at current trend").
    pub const YEARS_TO_TARGET_NOTE: &str = "years_to_target_note";
    pub const PROJECTED_VALUE: &str = "projected_value";
    pub const FITTED_VALUE: &str = "fitted_value";
    pub const HORIZON_YEAR: &str = "horizon_year";

    // maturity (ITU-T Y.4904): the performance matrix and the levels
    pub const LEVEL_2: &str = "level_2";
    pub const LEVEL_3: &str = "level_3";
    pub const LEVEL_4: &str = "level_4";
    pub const LEVEL_5: &str = "level_5";
    pub const MATRIX_SOURCE: &str = "matrix_source";
    /// Which matrix applied: `attainment` (the default: the U4SSC bands against the
    /// attainment reference), `workspace` or `city` (the workspace's maturity_matrix.csv).
    pub const MATRIX_SCOPE: &str = "matrix_scope";
    /// A maturity level 0..5 (0 = no baseline).
    pub const MATURITY_LEVEL: &str = "maturity_level";
    pub const LEVEL_NAME: &str = "level_name";
    pub const NEXT_LEVEL: &str = "next_level";
    pub const NEXT_TARGET: &str = "next_target";
    /// Signed distance to the next level's target (positive = shortfall).
    pub const GAP_NEXT: &str = "gap_next";
    /// Data points of a maturity roll-up.
    pub const DATA_POINTS: &str = "data_points";
    pub const LEVEL_MIN: &str = "level_min";
    pub const LEVEL_MEDIAN: &str = "level_median";
    pub const ROLLUP_RULE: &str = "rollup_rule";
    /// `at_level_0` .. `at_level_5`: how many data points are at each level.
    pub const AT_LEVEL: [&str; 6] = [
        "at_level_0",
        "at_level_1",
        "at_level_2",
        "at_level_3",
        "at_level_4",
        "at_level_5",
    ];

    // qualitative self-assessments (Y.4904 achievements, EU-China framework)
    pub const FRAMEWORK: &str = "framework";
    pub const CHARACTERISTIC: &str = "characteristic";
    pub const ASSESSMENT_DATE: &str = "assessment_date";
    pub const EVIDENCE: &str = "evidence";
    pub const PREVIOUS_LEVEL: &str = "previous_level";
    pub const PREVIOUS_DATE: &str = "previous_date";
    /// The level rose by more than one since the previous assessment ("no leapfrogging").
    pub const LEAPFROG: &str = "leapfrog";
    /// Highest minus lowest level of the city's assessment as of this date.
    pub const SPREAD: &str = "spread";
    /// Spread > 1 ("no isolated advances").
    pub const ISOLATED_ADVANCE: &str = "isolated_advance";
    pub const SOURCE_FILE: &str = "source_file";
    pub const SOURCE_LINE: &str = "source_line";
    pub const FILE_SHA256: &str = "file_sha256";

    // verification flags (METHODOLOGY section 3)
    pub const RULE: &str = "rule";
    pub const SEVERITY: &str = "severity";
    /// The rule's reference number (a bound, the other value, the previous value, ...).
    pub const REFERENCE: &str = "reference";
    pub const REFERENCE_2: &str = "reference_2";
    /// The rule's reference id (the other data point, the sum group, the peer group).
    pub const REFERENCE_ID: &str = "reference_id";
    pub const MESSAGE: &str = "message";
    /// The message with the values of confidential observations withheld.
    pub const PUBLIC_MESSAGE: &str = "public_message";
    pub const KPI_ID: &str = "kpi_id";
}

/// Columns of the composite index outputs (`derived/index_*.parquet`).
pub mod index {
    /// Panel builds (`index --panel`): the year of the row, the first column of every table.
    pub const YEAR: &str = "year";
    pub const UNIT_ID: &str = "unit_id";
    pub const UNIT_NAME: &str = "unit_name";
    pub const CODE: &str = "code";
    pub const NAME: &str = "name";
    pub const LEVEL: &str = "level";
    pub const LEVEL_NAME: &str = "level_name";
    pub const PARENT: &str = "parent";
    pub const WEIGHT: &str = "weight";
    pub const DIRECTION: &str = "direction";
    /// Indicators: the value as reported, after denomination.
    pub const RAW: &str = "raw";
    pub const IMPUTED: &str = "imputed";
    /// Indicators: after imputation and outlier treatment.
    pub const TREATED: &str = "treated";
    /// Indicators: normalised; aggregates: aggregated.
    pub const SCORE: &str = "score";
    pub const RANK: &str = "rank";
    pub const GROUPING: &str = "grouping";
    pub const GROUP: &str = "group";
    /// Units ranked in the group.
    pub const N: &str = "n";
    pub const INDICATORS_PRESENT: &str = "indicators_present";
    pub const AVAILABILITY: &str = "availability";
    pub const INCLUDED: &str = "included";
    pub const REASON: &str = "reason";
    /// True when confidential observations entered the index (a custodian index, not
    /// published: METHODOLOGY section 10).
    pub const CONFIDENTIAL_ENTERED: &str = "confidential_entered";
    pub const MIN: &str = "min";
    pub const MAX: &str = "max";
    pub const MEAN: &str = "mean";
    pub const MEDIAN: &str = "median";
    pub const SD: &str = "sd";
    pub const SKEW: &str = "skew";
    pub const KURTOSIS: &str = "kurtosis";
    pub const TREATMENT: &str = "treatment";
    pub const CLIPPED_HIGH: &str = "clipped_high";
    pub const CLIPPED_LOW: &str = "clipped_low";
    pub const SKEW_TREATED: &str = "skew_treated";
    pub const KURTOSIS_TREATED: &str = "kurtosis_treated";
    pub const PEARSON_PARENT: &str = "pearson_parent";
    pub const SPEARMAN_PARENT: &str = "spearman_parent";
    pub const REMOVAL_MEAN_RANK_CHANGE: &str = "removal_mean_rank_change";
    pub const REMOVAL_MAX_RANK_CHANGE: &str = "removal_max_rank_change";
    /// Points a winsorisation that did not pass clipped (the treatment then transformed
    /// the column or, when the winsorisation left skewness undefined, kept it untouched).
    pub const WINSORISE_ATTEMPTED: &str = "winsorise_attempted";
    /// Skewness and kurtosis after that winsorisation (null where undefined).
    pub const SKEW_WINSORISED: &str = "skew_winsorised";
    pub const KURTOSIS_WINSORISED: &str = "kurtosis_winsorised";
    /// `index_correlations`: the two siblings of a pair.
    pub const CODE_1: &str = "code_1";
    pub const CODE_2: &str = "code_2";
    pub const PEARSON: &str = "pearson";
    pub const SPEARMAN: &str = "spearman";
    /// "collinear", "negative" or null.
    pub const FLAG: &str = "flag";
    /// `index_aggregates`.
    pub const CHILDREN: &str = "children";
    pub const CRONBACH_ALPHA: &str = "cronbach_alpha";
    pub const PCA_UNITS: &str = "pca_units";
    pub const PC1_EIGENVALUE: &str = "pc1_eigenvalue";
    pub const PC1_VARIANCE_SHARE: &str = "pc1_variance_share";
    /// `index_denominator_correlations`.
    pub const DENOMINATOR: &str = "denominator";
    pub const FLAGGED: &str = "flagged";
    /// `index_unit_diagnostics`.
    pub const N_MISSING: &str = "n_missing";
    pub const N_ZERO: &str = "n_zero";
    pub const NON_ZERO_SHARE: &str = "non_zero_share";
    pub const N_IMPUTED: &str = "n_imputed";
    /// `index_strengths`: "strength" or "weakness".
    pub const KIND: &str = "kind";
    pub const POSITION: &str = "position";
    pub const VALUE: &str = "value";
    pub const NOMINAL_SCORE: &str = "nominal_score";
    pub const NOMINAL_RANK: &str = "nominal_rank";
    pub const MEDIAN_RANK: &str = "median_rank";
    pub const MEAN_RANK: &str = "mean_rank";
    pub const RANK_P05: &str = "rank_p05";
    pub const RANK_P95: &str = "rank_p95";
    pub const RANK_INTERVAL: &str = "rank_interval";
    pub const SAMPLES: &str = "samples";
    /// Sensitivity: the output analysed (`mean_abs_rank_change` of all units, or a unit's
    /// `rank`).
    pub const TARGET: &str = "target";
    /// Sensitivity: the uncertain choice (`weights`, `normalisation`, ...).
    pub const FACTOR: &str = "factor";
    pub const FIRST_ORDER: &str = "first_order";
    pub const TOTAL_EFFECT: &str = "total_effect";
    pub const FIRST_ORDER_P05: &str = "first_order_p05";
    pub const FIRST_ORDER_P95: &str = "first_order_p95";
    pub const TOTAL_EFFECT_P05: &str = "total_effect_p05";
    pub const TOTAL_EFFECT_P95: &str = "total_effect_p95";
    /// Sensitivity: the output's variance over the `2N` rows of matrices A and B.
    pub const VARIANCE: &str = "variance";
    pub const SAMPLES_PER_FACTOR: &str = "samples_per_factor";
}
