//! One integration test binary (see Cargo.toml `autotests = false`).
//!
//! - `ingest`: every rejection path of `citybench ingest`, with its exact message, and the
//!   invariant rows read = accepted + rejected;
//! - `not_reported`: "Not reported" / "Not verified" recorded as a status (ingest accounting,
//!   conflicts, the state in `run`, the snapshot and `verify`);
//! - `columnar`: Parquet ingest's columnar fast path agrees with the row validator alone
//!   (counts, reasons, stored rows, statements, rejection file) on every shape of cell and
//!   on the real submissions;
//! - `cli`: the command line surface (init, catalog, units, demo, exit codes);
//! - `generate`: determinism and shape of the synthetic generator;
//! - `warehouse`: DuckDB re-reads what Polars wrote and recomputes the unit conversions.
//! - `pipeline`: `citybench run` cross-checked against an independent DuckDB SQL computation
//!   (alignment, peer statistics, percentiles, attainment, roll-ups, slopes), determinism,
//!   superseding batches, targets overrides and configuration errors;
//! - `report`: `snapshot`, `compare` and `report` with hand-computed figures, confidential
//!   peers, suppression, bad ids and options; the report in headless Chromium;
//! - `maturity`: ITU-T Y.4904 levels, milestones and roll-ups by hand (command and SQL mart),
//!   by default the U4SSC bands (no contradiction on the demo), the opt-in Y.4904 sample, a
//!   city target reaching maturity, `--baseline`, a city without data, the workspace
//!   performance matrix and its errors,
//!   self-assessment rejections, staircase checks and distributions, every `verify` rule
//!   with its message and masking, and DuckDB recomputing levels, peer outliers and
//!   year-on-year flags on generated data;
//! - `sql`: the read-only lock-down (each refused escape), DuckDB's messages, every output
//!   format, the prompt, every example and check, and Python opening the database.
//! - `index`: the composite index by hand (wide `--data`, iMeta framework, ties), DuckDB
//!   recomputing the default U4SSC index on generated data, byte-identical outputs,
//!   screening (manifest and SQL mart), "latest" imputation, group ranks, exact error
//!   messages, the Monte Carlo rank intervals and the index example queries.
//! - `export`: the marts as a hive-partitioned dataset read back by DuckDB and pyarrow,
//!   byte-identical re-exports, refusals; shell completions, man pages, `--version`.
//! - `confidentiality`: the attack of METHODOLOGY section 10: planted confidential values are
//!   searched for on every published surface and attacked by differencing; neither finds them.
//! - `hostile`: damaged and crafted files (Parquet footers, pages and values, XLSX bombs,
//!   devices, FIFOs, directories, endless lines, long ids, UTF-16/NUL/Latin-1): each refused
//!   with its exact message, under a timeout, nothing written.
//! - `layering`: the top-level modules of `src/` import each other without a circle (a scan
//!   of their `crate::` paths; docs/architecture.md).
//! - `template`: the Excel template round trip (same rows as CSV), pre-filled values, cell
//!   addresses in rejections, and every refused workbook with its exact message.
//! - `safe_values`: finite, representable values only (every overflow, underflow and
//!   magnitude-bound rejection, from CSV, Parquet and JSON), `run`'s check on non-finite
//!   published numbers, and safe output (visible escapes on terminals, neutralised formula
//!   cells in CSV, stored values unchanged).
//! - `publish`: readers never see half a run: a kill after every write step of `run`,
//!   `index` and of the conversion of an older workspace, readers racing a writer, hard
//!   links between generations, DuckDB, Polars and Python through the links.
//! - `targets`: `citybench targets` on a small workspace (city and group overrides, exact
//!   benchmarks, a confidential value left out), agreeing with what `run` scored; `set` and
//!   `unset` round trips through `run`; every refusal with its exact message; the file's
//!   other bytes kept; `catalog --long` with the default targets.
//! - `overwrite`: no command replaces a file nobody asked it to replace (every `--out`,
//!   report, man, export, generate, template, init), and an external index is kept apart.
//! - `real_published`: a held-out set of real published U4SSC values (7 cities' reports,
//!   `tests/data/real_published/`) ingested as printed; the share of valued rows accepted
//!   is measured and every refusal pinned with its exact message and why it stays.

mod util;

mod cli;
mod columnar;
mod confidentiality;
mod export;
mod generate;
mod hostile;
mod index;
mod ingest;
mod layering;
mod maturity;
mod not_reported;
mod overwrite;
mod pipeline;
mod publish;
mod real_published;
mod report;
mod safe_values;
mod sql;
mod targets;
mod template;
mod warehouse;
