//! # citybench
//!
//! A Rust engine that benchmarks cities on the U4SSC key performance indicators for smart
//! sustainable cities (ITU-T Y.4903: 91 KPIs in 113 data points) and the maturity levels of
//! ITU-T Y.4904.
//!
//! ## Stages and the data contract
//!
//! ```text
//!  submission files ──ingest──▶ raw/batch=<id>/part-0.parquet  (immutable, canonical units)
//!  (csv/json/parquet)   │        manifest.json (sha256, rows read/accepted/rejected)
//!                       └──────▶ rejected/<id>.csv (line, field, reason, original fields)
//! ```
//! Every accepted row carries `value_reported`/`unit_reported` next to the canonical
//! `value`/`unit` and the `conversion` applied; every rejected row names its file, line,
//! field and reason. Rows read = rows accepted + rows rejected.
//!
//!
//! ```text
//!  raw batches ──run──▶ derived/*.parquet (Polars: normalise, align, attainment, trends,
//!                       │                  rollups, peers, gaps; see [`pipeline`])
//!                       ├─▶ citybench.duckdb  (src_ views + queries/ staging and marts)
//!                       └─▶ runs/<run-id>.json (configuration, inputs, outputs, hashes)
//! ```
//!
//! Column names live in [`schema`]; the KPI catalogue and the unit registry in [`catalog`];
//! cities in [`registry`]; the workspace on disk in [`store`]; reading and validation in
//! [`ingest`]; the pipeline in [`pipeline`]; ITU-T Y.4904 maturity in [`maturity`];
//! pre-verification in [`verify`]; what a city sees in [`report`]; DuckDB in [`warehouse`];
//! synthetic data in [`generate`]; the command line in [`cli`]. The modules import each
//! other without a circle (docs/architecture.md, enforced by `tests/layering.rs`).

pub mod allocator;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod csv_lines;
pub mod digest;
pub mod encoding;
pub mod error;
pub mod frames;
pub mod generate;
pub mod index;
pub mod ingest;
pub mod input;
pub mod maturity;
pub mod numfmt;
pub mod output;
pub mod pipeline;
pub mod progress;
pub mod quality;
pub mod registry;
pub mod report;
pub mod sample;
pub mod schema;
pub mod store;
pub mod suggest;
pub mod targets;
pub mod template;
pub mod text;
pub mod verify;
pub mod warehouse;
pub mod workbook;

pub use error::{Error, Result};
