//! Stage `align` (METHODOLOGY section 4): for analysis year Y each city contributes, per
//! data point, its latest observation with year in [Y - lookback, Y]; the year used is kept
//! as `source_year`.

use polars::prelude::*;

use super::keys;
use crate::schema::derived as d;

/// One row per (city, data point) with a value in the window. `observations` are sorted by
/// (city, data point, year) and carry [`d::SERIES`] (see [`super::observations`]), so each
/// series is a run of rows and its last row in the window is the latest.
pub fn align(observations: LazyFrame, year: i32, lookback: u32) -> LazyFrame {
    let from = year - lookback as i32;
    observations
        .filter(
            col(d::YEAR)
                .gt_eq(lit(from))
                .and(col(d::YEAR).lt_eq(lit(year))),
        )
        .with_column(col(d::SERIES).set_sorted_flag(keys::ascending()))
        .group_by_stable([col(d::SERIES)])
        .agg([
            col(d::CITY_ID).first(),
            col(d::DATA_POINT_ID).first(),
            col(d::VALUE).last(),
            col(d::YEAR).last().alias(d::SOURCE_YEAR),
            col(d::QUALITY).last(),
            col(d::VERIFIED).last(),
            col(d::CONFIDENTIAL).last(),
        ])
        .select([
            lit(year).alias(d::ANALYSIS_YEAR),
            col(d::CITY_ID),
            col(d::DATA_POINT_ID),
            col(d::VALUE),
            col(d::SOURCE_YEAR),
            col(d::QUALITY),
            col(d::VERIFIED),
            col(d::CONFIDENTIAL),
        ])
}
