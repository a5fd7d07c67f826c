//! Stage `align` (METHODOLOGY section 4): for analysis year Y each city contributes, per
//! data point, its latest observation with year in [Y - lookback, Y]; the year used is kept
//! as `source_year`. A data point without a value in the window that the city stated "not
//! reported" (or "not verified") there takes that status as its state ([`stated`],
//! [`with_statements`]).

use polars::prelude::*;

use super::keys;
use crate::schema::derived as d;

/// The analysis window: year in [Y - lookback, Y].
fn in_window(year: i32, lookback: u32) -> Expr {
    let from = year - lookback as i32;
    col(d::YEAR)
        .gt_eq(lit(from))
        .and(col(d::YEAR).lt_eq(lit(year)))
}

/// One row per (city, data point) with a value in the window. `observations` are sorted by
/// (city, data point, year) and carry [`d::SERIES`] (see [`super::observations`]), so each
/// series is a run of rows and its last row in the window is the latest.
pub fn align(observations: LazyFrame, year: i32, lookback: u32) -> LazyFrame {
    observations
        .filter(in_window(year, lookback))
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

/// Per (city, data point): the status of its latest statement with year in
/// [Y - lookback, Y] (for a repeated year, the latest batch's). `statements` is
/// [`super::load_statements`]'s frame.
pub fn stated(statements: LazyFrame, year: i32, lookback: u32) -> LazyFrame {
    statements
        .filter(in_window(year, lookback))
        .sort(
            [d::CITY_ID, d::DATA_POINT_ID, d::YEAR, d::BATCH_SEQ],
            SortMultipleOptions::default(),
        )
        .group_by_stable([col(d::CITY_ID), col(d::DATA_POINT_ID)])
        .agg([col(d::STATUS).last().alias(STATED)])
}

/// The column [`stated`] adds, dropped again by [`with_statements`].
const STATED: &str = "stated_status";

/// Attainment rows with the state of each data point that has no value in the window but
/// a statement there replaced by the statement's status (`not reported`, `not verified`).
/// A value always wins over a statement: a statement records an absence, it never
/// withdraws a value reported for the window.
pub fn with_statements(attained: LazyFrame, stated: LazyFrame) -> LazyFrame {
    attained
        .join(
            stated,
            [col(d::CITY_ID), col(d::DATA_POINT_ID)],
            [col(d::CITY_ID), col(d::DATA_POINT_ID)],
            crate::frames::ordered(JoinType::Left),
        )
        .with_column(
            when(col(d::VALUE).is_null().and(col(STATED).is_not_null()))
                .then(col(STATED))
                .otherwise(col(d::STATE))
                .alias(d::STATE),
        )
        .drop(cols([STATED]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(df: &DataFrame, c: &str) -> Vec<Option<String>> {
        df.column(c)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|s| s.map(str::to_string))
            .collect()
    }

    #[test]
    fn a_statement_in_the_window_fills_the_state_and_a_value_wins() {
        let statements = df!(
            d::CITY_ID => ["a", "a", "a", "b", "b"],
            d::DATA_POINT_ID => ["x", "x", "y", "x", "x"],
            d::YEAR => [2022i32, 2024, 2019, 2024, 2024],
            d::STATUS => ["not reported", "not verified", "not reported", "not reported", "not verified"],
            d::BATCH_SEQ => [0u32, 0, 0, 1, 0],
        )
        .unwrap();
        // Y = 2024, lookback 2: a/y's statement of 2019 is outside; b/x's two statements of
        // 2024: the later batch's (seq 1) wins
        let s = stated(statements.lazy(), 2024, 2)
            .sort(
                [d::CITY_ID, d::DATA_POINT_ID],
                SortMultipleOptions::default(),
            )
            .collect()
            .unwrap();
        assert_eq!(strs(&s, d::CITY_ID), [Some("a".into()), Some("b".into())]);
        assert_eq!(
            strs(&s, STATED),
            [Some("not verified".into()), Some("not reported".into())]
        );
        let attained = df!(
            d::CITY_ID => ["a", "a", "b", "c"],
            d::DATA_POINT_ID => ["x", "y", "x", "x"],
            d::VALUE => [None, None, Some(5.0f64), None],
            d::STATE => ["no data", "no data", "95%+ of target", "no data"],
        )
        .unwrap();
        let out = with_statements(attained.lazy(), s.lazy())
            .collect()
            .unwrap();
        assert_eq!(
            out.get_column_names()
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>(),
            [d::CITY_ID, d::DATA_POINT_ID, d::VALUE, d::STATE]
        );
        assert_eq!(
            strs(&out, d::STATE),
            [
                Some("not verified".into()),
                Some("no data".into()),
                Some("95%+ of target".into()),
                Some("no data".into())
            ]
        );
    }
}
