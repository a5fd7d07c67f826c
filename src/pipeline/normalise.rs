//! Stage `normalise`: one observation per (city, data point, year).
//!
//! Values are already in canonical units (converted and rounded at ingest). Here a
//! resubmission supersedes: when several batches hold the same (city, data point, year),
//! the latest batch wins (METHODOLOGY section 4); older rows stay in `raw/`.

use polars::prelude::*;

use super::keys::Keys;
use crate::schema::derived as d;

/// The columns kept are those later stages and analysts need; the canonical unit is the
/// catalogue's (`stg_catalog.unit`), and `batch_seq` is the batch's position in the
/// manifest (listed in order in `runs/<run-id>.json`). City and data point ids are
/// encoded ([`Keys`]).
///
/// The latest batch's row wins for a repeated (city, data point, year): that happens
/// while ordering the rows ([`super::order::order_observations`], which
/// [`super::observations`] applies to this stage's output), because sorting brings the
/// repeats together anyway. With a single batch nothing repeats (ingest rejects
/// duplicates and conflicts inside one file).
pub fn normalise(raw: LazyFrame, keys: &Keys) -> LazyFrame {
    raw.select([
        keys.city(),
        keys.data_point(),
        col(d::YEAR),
        col(d::VALUE),
        keys.quality(),
        col(d::VERIFIED),
        col(d::CONFIDENTIAL),
        col(d::BATCH_SEQ).cast(DataType::UInt32),
    ])
}
