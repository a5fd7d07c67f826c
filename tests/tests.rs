//! One integration test binary (see Cargo.toml `autotests = false`).
//!
//! - `ingest`: every rejection path of `citybench ingest`, with its exact message, and the
//!   invariant rows read = accepted + rejected;
//! - `cli`: the command line surface (init, catalog, units, demo, exit codes);
//! - `generate`: determinism and shape of the synthetic generator;
//! - `warehouse`: DuckDB re-reads what Polars wrote and recomputes the unit conversions.

mod util;

mod cli;
mod generate;
mod ingest;
mod pipeline;
mod sql;
mod warehouse;
