//! Stage `align` (METHODOLOGY section 4): for analysis year Y each city contributes, per
//! data point, its latest observation with year in [Y - lookback, Y]; the year used is kept
//! as `source_year`.

use polars::prelude::*;

use crate::schema::derived as d;

/// One row per (city, data point) with a value in the window.
pub fn align(observations: LazyFrame, year: i32, lookback: u32) -> LazyFrame {
    let from = year - lookback as i32;
    observations
        .filter(
            col(d::YEAR)
                .gt_eq(lit(from))
                .and(col(d::YEAR).lt_eq(lit(year))),
        )
        .filter(col(d::YEAR).eq(super::over(
            col(d::YEAR).max(),
            [col(d::CITY_ID), col(d::DATA_POINT_ID)],
        )))
        .select([
            lit(year).alias(d::ANALYSIS_YEAR),
            col(d::CITY_ID),
            col(d::DATA_POINT_ID),
            col(d::VALUE),
            col(d::YEAR).alias(d::SOURCE_YEAR),
            col(d::QUALITY),
            col(d::VERIFIED),
            col(d::CONFIDENTIAL),
        ])
}
