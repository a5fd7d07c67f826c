//! The embedded sample used by `citybench demo`: synthetic values on real cities, generated
//! by `citybench generate` with a fixed seed (see `datasets/sample/README.md`).

/// The sample submissions (Parquet, long format).
pub const SAMPLE_PARQUET: &[u8] = include_bytes!("../datasets/sample/submissions.parquet");
/// File name the demo writes the sample to.
pub const SAMPLE_FILE_NAME: &str = "sample-submissions.parquet";
/// Seed the sample was generated with.
pub const SAMPLE_SEED: u64 = 2024;
/// Human description for the demo banner.
pub const SAMPLE_DESCRIPTION: &str = "300 cities x 112 data points x 2015..2024";
