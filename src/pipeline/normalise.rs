//! Stage `normalise`: one observation per (city, data point, year).
//!
//! Values are already in canonical units (converted and rounded at ingest). Here a
//! resubmission supersedes: when several batches hold the same (city, data point, year),
//! the latest batch wins (METHODOLOGY section 4); older rows stay in `raw/`.

use polars::prelude::*;

use crate::schema::derived as d;

/// The columns kept are those later stages and analysts need; the canonical unit is the
/// catalogue's (`stg_catalog.unit`), and `batch_seq` is the batch's position in the
/// manifest (listed in order in `runs/<run-id>.json`). Dropping the two repeated strings
/// saves a third of the memory at 27 M rows.
///
/// Keep, per (city, data point, year), the row of the latest batch. `raw` must carry
/// [`d::BATCH_SEQ`] (the batch's position in the manifest). With a single batch the keys are
/// already unique (ingest rejects duplicates and conflicts inside one file), so the
/// deduplication is skipped.
pub fn normalise(raw: LazyFrame, batches: usize) -> LazyFrame {
    let raw = raw.select([
        col(d::CITY_ID),
        col(d::DATA_POINT_ID),
        col(d::YEAR),
        col(d::VALUE),
        col(d::QUALITY),
        col(d::VERIFIED),
        col(d::CONFIDENTIAL),
        col(d::BATCH_SEQ),
    ]);
    if batches <= 1 {
        return raw;
    }
    raw.filter(col(d::BATCH_SEQ).eq(super::over(
        col(d::BATCH_SEQ).max(),
        [col(d::CITY_ID), col(d::DATA_POINT_ID), col(d::YEAR)],
    )))
}
