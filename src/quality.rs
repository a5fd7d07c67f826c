//! The data quality levels a submitted value carries. A ground-floor leaf: ingest validates
//! them, the template offers them in a drop-down, the pipeline encodes them.

/// U4SSC data quality levels (verification practice), in order of strength.
pub const QUALITY_LEVELS: [&str; 6] = [
    "measured",
    "survey_extrapolated",
    "higher_level_extrapolated",
    "assumption_estimate",
    "personal_estimate",
    "unknown",
];
