//! The embedded sample used by `citybench demo`: synthetic values on real cities, generated
//! by `citybench generate` with a fixed seed (see `datasets/sample/README.md`).

/// The sample submissions (Parquet, long format).
pub const SAMPLE_PARQUET: &[u8] = include_bytes!("../datasets/sample/submissions.parquet");
/// Synthetic maturity self-assessments of 40 sample cities (EU-China framework 2022 and
/// 2024, ITU-T Y.4904 achievements 2024; `datasets/sample/build_assessments.py`).
pub const SAMPLE_ASSESSMENTS: &str = include_str!("../datasets/sample/assessments.csv");
/// File name the demo writes the self-assessments to.
pub const SAMPLE_ASSESSMENTS_FILE_NAME: &str = "sample-assessments.csv";
/// File name the demo writes the sample to.
pub const SAMPLE_FILE_NAME: &str = "sample-submissions.parquet";
/// Seed the sample was generated with.
pub const SAMPLE_SEED: u64 = 2024;
/// Human description for the demo banner.
pub const SAMPLE_DESCRIPTION: &str = "300 cities x 112 data points x 2015..2024";
