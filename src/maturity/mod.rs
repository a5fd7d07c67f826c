//! ITU-T Y.4904 maturity, one room: the performance matrix of interim targets
//! ([`matrix`]), the levels per data point and their roll-ups per dimension ([`levels`],
//! stages `run` calls), and the qualitative self-assessments with their staircase checks
//! ([`assessments`]). The city's maturity report is built from these beside the other
//! reports (`crate::report::maturity`); `citybench maturity` only parses, calls and prints.
//!
//! The room sits below the pipeline: it uses the catalogue, the registry, the store and
//! ingest's validation limits, never the pipeline that calls it (docs/architecture.md).

pub mod assessments;
pub mod levels;
pub mod matrix;
