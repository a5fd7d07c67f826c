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

/// The real dataset of `citybench demo --real`: World Bank What a Waste 2.0 city-level data
/// mapped onto the U4SSC waste data points, on registry city ids
/// (`datasets/real/build_what_a_waste.py`, `datasets/real/README.md`).
pub const REAL_CSV: &str = include_str!("../datasets/real/what_a_waste_2.csv");
/// The workspace additions of the real dataset: the GeoNames places below the registry's
/// 15 000 inhabitants that What a Waste names (a workspace `cities.csv`; built by
/// `datasets/real/build_what_a_waste.py`, listed in `datasets/real/README.md`).
/// `citybench demo --real` writes it as the demo workspace's `cities.csv`.
pub const REAL_CITIES_CSV: &str = include_str!("../datasets/real/what_a_waste_2_cities.csv");
/// File name the real demo writes the dataset to.
pub const REAL_FILE_NAME: &str = "what_a_waste_2.csv";
/// The attribution the dataset's licence (CC BY 4.0) requires, printed by the real demo.
pub const REAL_ATTRIBUTION: &str = "Kaza, S., Yao, L., Bhada-Tata, P., Van Woerden, F. 2018. What a Waste 2.0: A Global Snapshot of Solid Waste Management to 2050. Urban Development Series. Washington, DC: World Bank. Licence: CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/). City names matched to GeoNames ids (CC BY 4.0); columns mapped onto U4SSC data points by citybench (datasets/real/README.md).";
