//! Stage `maturity` (METHODOLOGY section 8, ITU-T Y.4904): each mapped data point's level
//! 0..5 from the performance matrix, the next milestone, and the roll-up per dimension.
//!
//! - level 0 = no baseline (no value in the analysis window); level 1 = a baseline exists;
//!   level L in 2..5 = the highest level whose target the value meets (`-` cells skipped;
//!   "meets" is `value >= target` for higher_better, `value <= target` for lower_better,
//!   with a tolerance of 1e-9 x max(|target|, 1));
//! - next level = the lowest level above the current one that has a target (1 when there is
//!   no baseline), with its target and the signed gap to it (positive = shortfall);
//! - per dimension and overall ("KPI performance"): the `min` (staircase) and `median`
//!   roll-ups and the distribution of levels; `maturity_level` follows the configured rule
//!   (`min`, or the median rounded down to a whole level).
//!
//! Only data points with a matrix row (the city's own or the default) are mapped into the
//! maturity model (Y.4904 step 1); the others get no level.
//!
//! The roll-ups come in two variants (METHODOLOGY section 10): `maturity_dimensions`, a
//! city's own, with its confidential data points' levels, and
//! `maturity_dimensions_published`, with those levels withheld ([`withhold_confidential`]:
//! left out of the minimum, the median and the counts), so no published level rests on a
//! confidential value. `confidential_items` counts them in both.

use polars::prelude::*;

use super::ordered;
use crate::config::MaturityRollup;
use crate::schema::derived as d;

/// Scope of a default matrix row.
pub const SCOPE_DEFAULT: &str = "default";
/// Scope of a city's own row.
pub const SCOPE_CITY: &str = "city";
/// The overall roll-up's name in the dimension column (the Y.4904 achievements table's
/// "KPIs performance").
pub const KPI_PERFORMANCE: &str = "KPI performance";

fn matrix_columns() -> Vec<Expr> {
    let mut v = vec![col(d::CITY_ID), col(d::DATA_POINT_ID)];
    v.extend(super::matrix::LEVEL_COLUMNS.iter().map(|c| col(*c)));
    v.push(col(d::MATRIX_SOURCE));
    v.push(col(d::MATRIX_SCOPE));
    v
}

/// The matrix row of every (city, data point) the model maps: the city's own row where it
/// has one, else the default. `cities` has one CITY_ID column; `defaults` and `city` are
/// [`super::matrix::Matrix`]'s frames (keys encoded like `cities`).
pub fn resolve(cities: LazyFrame, defaults: LazyFrame, city: LazyFrame) -> LazyFrame {
    let own = city
        .join(
            cities.clone(),
            [col(d::CITY_ID)],
            [col(d::CITY_ID)],
            JoinArgs::new(JoinType::Semi),
        )
        .with_column(lit(SCOPE_CITY).alias(d::MATRIX_SCOPE))
        .select(matrix_columns());
    let default = cities
        .cross_join(defaults, None)
        .with_column(lit(SCOPE_DEFAULT).alias(d::MATRIX_SCOPE))
        .join(
            own.clone().select([col(d::CITY_ID), col(d::DATA_POINT_ID)]),
            [col(d::CITY_ID), col(d::DATA_POINT_ID)],
            [col(d::CITY_ID), col(d::DATA_POINT_ID)],
            JoinArgs::new(JoinType::Anti),
        )
        .select(matrix_columns());
    concat([default, own], UnionArgs::default()).expect("same columns")
}

/// `value` meets `target` in the row's direction (false when the target is null).
fn meets(target: Expr) -> Expr {
    let eps = when(target.clone().abs().gt(lit(1.0)))
        .then(target.clone().abs())
        .otherwise(lit(1.0))
        * lit(1e-9);
    let higher = col(d::DIRECTION).eq(lit("higher_better"));
    target.clone().is_not_null().and(
        when(higher)
            .then(col(d::VALUE).gt_eq(target.clone() - eps.clone()))
            .otherwise(col(d::VALUE).lt_eq(target + eps)),
    )
}

/// The level expression (Int32): 0 without a value, else the highest level met, else 1.
pub fn level_expr() -> Expr {
    when(col(d::VALUE).is_null())
        .then(lit(0))
        .when(meets(col(d::LEVEL_5)))
        .then(lit(5))
        .when(meets(col(d::LEVEL_4)))
        .then(lit(4))
        .when(meets(col(d::LEVEL_3)))
        .then(lit(3))
        .when(meets(col(d::LEVEL_2)))
        .then(lit(2))
        .otherwise(lit(1))
        .cast(DataType::Int32)
}

/// Levels per (city, data point): `resolved` ([`resolve`]) with the catalogue's hierarchy
/// and direction (`catalog`: DATA_POINT_ID, DIMENSION, SUB_DIMENSION, CATEGORY, DIRECTION,
/// POSITION) and the aligned values (`aligned`: CITY_ID, DATA_POINT_ID, VALUE, SOURCE_YEAR,
/// CONFIDENTIAL; no row = no value in the window).
pub fn levels(resolved: LazyFrame, catalog: LazyFrame, aligned: LazyFrame, year: i32) -> LazyFrame {
    let lv = |l: i32| col(d::MATURITY_LEVEL).lt(lit(l));
    let target = |c: &str| col(c).is_not_null();
    let next_level = when(col(d::VALUE).is_null())
        .then(lit(1))
        .when(lv(2).and(target(d::LEVEL_2)))
        .then(lit(2))
        .when(lv(3).and(target(d::LEVEL_3)))
        .then(lit(3))
        .when(lv(4).and(target(d::LEVEL_4)))
        .then(lit(4))
        .when(lv(5).and(target(d::LEVEL_5)))
        .then(lit(5))
        .otherwise(lit(NULL))
        .cast(DataType::Int32);
    let next_target = when(col(d::VALUE).is_null())
        .then(lit(NULL).cast(DataType::Float64))
        .when(lv(2).and(target(d::LEVEL_2)))
        .then(col(d::LEVEL_2))
        .when(lv(3).and(target(d::LEVEL_3)))
        .then(col(d::LEVEL_3))
        .when(lv(4).and(target(d::LEVEL_4)))
        .then(col(d::LEVEL_4))
        .when(lv(5).and(target(d::LEVEL_5)))
        .then(col(d::LEVEL_5))
        .otherwise(lit(NULL).cast(DataType::Float64));
    let gap = when(col(d::DIRECTION).eq(lit("higher_better")))
        .then(col(d::NEXT_TARGET) - col(d::VALUE))
        .otherwise(col(d::VALUE) - col(d::NEXT_TARGET));
    resolved
        .join(
            catalog.select([
                col(d::DATA_POINT_ID),
                col(d::DIMENSION),
                col(d::SUB_DIMENSION),
                col(d::CATEGORY),
                col(d::DIRECTION),
                col(d::POSITION),
            ]),
            [col(d::DATA_POINT_ID)],
            [col(d::DATA_POINT_ID)],
            ordered(JoinType::Inner),
        )
        .join(
            aligned.select([
                col(d::CITY_ID),
                col(d::DATA_POINT_ID),
                col(d::VALUE),
                col(d::SOURCE_YEAR),
                col(d::CONFIDENTIAL),
            ]),
            [col(d::CITY_ID), col(d::DATA_POINT_ID)],
            [col(d::CITY_ID), col(d::DATA_POINT_ID)],
            ordered(JoinType::Left),
        )
        .with_column(level_expr().alias(d::MATURITY_LEVEL))
        .with_columns([
            next_level.alias(d::NEXT_LEVEL),
            next_target.alias(d::NEXT_TARGET),
        ])
        .with_column(gap.alias(d::GAP_NEXT))
        .select([
            lit(year).alias(d::ANALYSIS_YEAR),
            col(d::CITY_ID),
            col(d::DATA_POINT_ID),
            col(d::DIMENSION),
            col(d::SUB_DIMENSION),
            col(d::CATEGORY),
            col(d::DIRECTION),
            col(d::POSITION),
            col(d::VALUE),
            col(d::SOURCE_YEAR),
            col(d::CONFIDENTIAL),
            col(d::LEVEL_2),
            col(d::LEVEL_3),
            col(d::LEVEL_4),
            col(d::LEVEL_5),
            col(d::MATRIX_SCOPE),
            col(d::MATRIX_SOURCE),
            col(d::MATURITY_LEVEL),
            col(d::NEXT_LEVEL),
            col(d::NEXT_TARGET),
            col(d::GAP_NEXT),
        ])
}

/// The levels with those of confidential values withheld (null), for the published
/// roll-ups.
pub fn withhold_confidential(levels: LazyFrame) -> LazyFrame {
    levels.with_column(
        when(col(d::CONFIDENTIAL).fill_null(lit(false)))
            .then(lit(NULL).cast(DataType::Int32))
            .otherwise(col(d::MATURITY_LEVEL))
            .alias(d::MATURITY_LEVEL),
    )
}

/// Roll the levels up per (city, dimension) and overall ([`KPI_PERFORMANCE`]): data points
/// (with a level), `level_min`, `level_median`, the count at each level, the confidential
/// data points, and `maturity_level` by `rule`. A null level (withheld) is left out of all
/// but `confidential_items`.
pub fn dimensions(levels: LazyFrame, rule: MaturityRollup, year: i32) -> LazyFrame {
    let aggs = || {
        let mut a = vec![
            col(d::CONFIDENTIAL)
                .fill_null(lit(false))
                .sum()
                .cast(DataType::UInt32)
                .alias(d::CONFIDENTIAL_ITEMS),
            col(d::MATURITY_LEVEL)
                .count()
                .cast(DataType::UInt32)
                .alias(d::DATA_POINTS),
            col(d::MATURITY_LEVEL).min().alias(d::LEVEL_MIN),
            col(d::MATURITY_LEVEL)
                .cast(DataType::Float64)
                .median()
                .alias(d::LEVEL_MEDIAN),
        ];
        a.extend(d::AT_LEVEL.iter().enumerate().map(|(l, name)| {
            col(d::MATURITY_LEVEL)
                .eq(lit(l as i32))
                .sum()
                .cast(DataType::UInt32)
                .alias(*name)
        }));
        a
    };
    let per_dimension = levels
        .clone()
        .group_by_stable([col(d::CITY_ID), col(d::DIMENSION)])
        .agg(aggs());
    let overall = levels
        .group_by_stable([col(d::CITY_ID)])
        .agg(aggs())
        .with_column(lit(KPI_PERFORMANCE).alias(d::DIMENSION));
    let level = match rule {
        MaturityRollup::Min => col(d::LEVEL_MIN),
        MaturityRollup::Median => col(d::LEVEL_MEDIAN).floor().cast(DataType::Int32),
    };
    let mut cols = vec![
        lit(year).alias(d::ANALYSIS_YEAR),
        col(d::CITY_ID),
        col(d::DIMENSION),
        col(d::DATA_POINTS),
        col(d::LEVEL_MIN),
        col(d::LEVEL_MEDIAN),
    ];
    cols.extend(d::AT_LEVEL.iter().map(|c| col(*c)));
    cols.push(col(d::CONFIDENTIAL_ITEMS));
    cols.push(level.alias(d::MATURITY_LEVEL));
    cols.push(lit(rule.as_str()).alias(d::ROLLUP_RULE));
    concat(
        [per_dimension.select(cols.clone()), overall.select(cols)],
        UnionArgs::default(),
    )
    .expect("same columns")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn df_levels(direction: &str, values: &[Option<f64>], levels: [Option<f64>; 4]) -> DataFrame {
        let n = values.len();
        let resolved = df!(
            d::CITY_ID => (0..n).map(|i| format!("c{i}")).collect::<Vec<_>>(),
            d::DATA_POINT_ID => vec!["dp"; n],
            d::LEVEL_2 => vec![levels[0]; n],
            d::LEVEL_3 => vec![levels[1]; n],
            d::LEVEL_4 => vec![levels[2]; n],
            d::LEVEL_5 => vec![levels[3]; n],
            d::MATRIX_SOURCE => vec!["test"; n],
            d::MATRIX_SCOPE => vec![SCOPE_DEFAULT; n],
        )
        .unwrap();
        let catalog = df!(
            d::DATA_POINT_ID => ["dp"],
            d::DIMENSION => ["Economy"],
            d::SUB_DIMENSION => ["ICT"],
            d::CATEGORY => ["ICT Infrastructure"],
            d::DIRECTION => [direction],
            d::POSITION => [1u32],
        )
        .unwrap();
        let present: Vec<usize> = (0..n).filter(|&i| values[i].is_some()).collect();
        let aligned = df!(
            d::CITY_ID => present.iter().map(|i| format!("c{i}")).collect::<Vec<_>>(),
            d::DATA_POINT_ID => vec!["dp"; present.len()],
            d::VALUE => present.iter().map(|&i| values[i].unwrap()).collect::<Vec<_>>(),
            d::SOURCE_YEAR => vec![2024; present.len()],
            d::CONFIDENTIAL => vec![false; present.len()],
        )
        .unwrap();
        levels_of(resolved, catalog, aligned)
    }

    fn levels_of(resolved: DataFrame, catalog: DataFrame, aligned: DataFrame) -> DataFrame {
        levels(resolved.lazy(), catalog.lazy(), aligned.lazy(), 2024)
            .collect()
            .unwrap()
    }

    fn ints(df: &DataFrame, c: &str) -> Vec<Option<i32>> {
        df.column(c).unwrap().i32().unwrap().iter().collect()
    }
    fn floats(df: &DataFrame, c: &str) -> Vec<Option<f64>> {
        df.column(c).unwrap().f64().unwrap().iter().collect()
    }

    /// Y.4904's example row: household Internet access 30 / 40 / 60 / 80 %.
    #[test]
    fn levels_of_a_higher_better_data_point() {
        let v = [
            None,
            Some(10.0),
            Some(30.0),
            Some(45.0),
            Some(59.99999999999),
            Some(80.0),
            Some(95.0),
        ];
        let df = df_levels(
            "higher_better",
            &v,
            [Some(30.0), Some(40.0), Some(60.0), Some(80.0)],
        );
        assert_eq!(
            ints(&df, d::MATURITY_LEVEL),
            [0, 1, 2, 3, 4, 5, 5].map(Some)
        );
        assert_eq!(
            ints(&df, d::NEXT_LEVEL),
            [Some(1), Some(2), Some(3), Some(4), Some(5), None, None]
        );
        assert_eq!(
            floats(&df, d::NEXT_TARGET),
            [
                None,
                Some(30.0),
                Some(40.0),
                Some(60.0),
                Some(80.0),
                None,
                None
            ]
        );
        let gaps = floats(&df, d::GAP_NEXT);
        assert_eq!(gaps[1], Some(20.0));
        assert_eq!(gaps[3], Some(15.0));
        assert_eq!(gaps[5], None);
    }

    /// Y.4904's example row: outage time - / 30 / 25 / 15 minutes (no level-2 target).
    #[test]
    fn levels_of_a_lower_better_data_point_skip_missing_targets() {
        let v = [Some(45.0), Some(30.0), Some(26.0), Some(25.0), Some(10.0)];
        let df = df_levels(
            "lower_better",
            &v,
            [None, Some(30.0), Some(25.0), Some(15.0)],
        );
        // 45 min meets no target: level 1 (a baseline); 30 meets level 3 (level 2 is skipped)
        assert_eq!(ints(&df, d::MATURITY_LEVEL), [1, 3, 3, 4, 5].map(Some));
        assert_eq!(
            ints(&df, d::NEXT_LEVEL),
            [Some(3), Some(4), Some(4), Some(5), None]
        );
        // positive = shortfall: 45 min is 15 min above the level-3 target of 30
        assert_eq!(
            floats(&df, d::GAP_NEXT),
            [Some(15.0), Some(5.0), Some(1.0), Some(10.0), None]
        );
    }

    #[test]
    fn dimension_rollups_min_median_and_distribution() {
        let levels = df!(
            d::CITY_ID => ["a", "a", "a", "a", "b"],
            d::DIMENSION => ["Economy", "Economy", "Economy", "Environment", "Economy"],
            d::MATURITY_LEVEL => [1i32, 2, 4, 3, 0],
            d::CONFIDENTIAL => [Some(false), Some(false), Some(false), Some(false), None],
        )
        .unwrap();
        let out = dimensions(levels.clone().lazy(), MaturityRollup::Min, 2024)
            .collect()
            .unwrap()
            .sort([d::CITY_ID, d::DIMENSION], Default::default())
            .unwrap();
        let dims: Vec<&str> = out
            .column(d::DIMENSION)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .flatten()
            .collect();
        assert_eq!(
            dims,
            [
                "Economy",
                "Environment",
                KPI_PERFORMANCE,
                "Economy",
                KPI_PERFORMANCE
            ]
        );
        assert_eq!(ints(&out, d::LEVEL_MIN), [1, 3, 1, 0, 0].map(Some));
        assert_eq!(
            floats(&out, d::LEVEL_MEDIAN),
            [2.0, 3.0, 2.5, 0.0, 0.0].map(Some)
        );
        assert_eq!(ints(&out, d::MATURITY_LEVEL), [1, 3, 1, 0, 0].map(Some));
        let at = |l: usize| -> Vec<Option<u32>> {
            out.column(d::AT_LEVEL[l])
                .unwrap()
                .u32()
                .unwrap()
                .iter()
                .collect()
        };
        assert_eq!(at(1), [1, 0, 1, 0, 0].map(Some));
        assert_eq!(at(4), [1, 0, 1, 0, 0].map(Some));
        let median = dimensions(levels.lazy(), MaturityRollup::Median, 2024)
            .collect()
            .unwrap()
            .sort([d::CITY_ID, d::DIMENSION], Default::default())
            .unwrap();
        // the median rule rounds the median level down: 2.5 -> 2
        assert_eq!(ints(&median, d::MATURITY_LEVEL), [2, 3, 2, 0, 0].map(Some));
    }

    #[test]
    fn published_rollups_leave_confidential_levels_out() {
        // a's level-1 data point is confidential: its own Economy level is 1 (the
        // staircase), the published one rests on the levels 2 and 4 only
        let levels = df!(
            d::CITY_ID => ["a", "a", "a", "a"],
            d::DIMENSION => ["Economy", "Economy", "Economy", "Environment"],
            d::MATURITY_LEVEL => [1i32, 2, 4, 3],
            d::CONFIDENTIAL => [true, false, false, true],
        )
        .unwrap();
        let roll = |lf: LazyFrame| {
            dimensions(lf, MaturityRollup::Min, 2024)
                .collect()
                .unwrap()
                .sort([d::DIMENSION], Default::default())
                .unwrap()
        };
        let own = roll(levels.clone().lazy());
        let published = roll(withhold_confidential(levels.lazy()));
        let u32s = |df: &DataFrame, c: &str| -> Vec<Option<u32>> {
            df.column(c).unwrap().u32().unwrap().iter().collect()
        };
        // Economy, Environment, KPI performance
        assert_eq!(ints(&own, d::MATURITY_LEVEL), [1, 3, 1].map(Some));
        assert_eq!(
            ints(&published, d::MATURITY_LEVEL),
            [Some(2), None, Some(2)]
        );
        assert_eq!(u32s(&published, d::DATA_POINTS), [2, 0, 2].map(Some));
        assert_eq!(u32s(&own, d::CONFIDENTIAL_ITEMS), [1, 1, 2].map(Some));
        assert_eq!(u32s(&published, d::CONFIDENTIAL_ITEMS), [1, 1, 2].map(Some));
        assert_eq!(floats(&published, d::LEVEL_MEDIAN)[2], Some(3.0));
        assert_eq!(u32s(&published, d::AT_LEVEL[1]), [0, 0, 0].map(Some));
    }

    #[test]
    fn a_city_override_replaces_the_default_row() {
        let cities = df!(d::CITY_ID => ["a", "b"]).unwrap();
        let defaults = df!(
            d::DATA_POINT_ID => ["x", "y"],
            d::LEVEL_2 => [Some(1.0), Some(1.0)],
            d::LEVEL_3 => [Some(2.0), Some(2.0)],
            d::LEVEL_4 => [Some(3.0), Some(3.0)],
            d::LEVEL_5 => [Some(4.0), Some(4.0)],
            d::MATRIX_SOURCE => ["default", "default"],
        )
        .unwrap();
        let own = df!(
            d::CITY_ID => ["b", "zz"],
            d::DATA_POINT_ID => ["y", "y"],
            d::LEVEL_2 => [Some(10.0), Some(10.0)],
            d::LEVEL_3 => [Some(20.0), Some(20.0)],
            d::LEVEL_4 => [None::<f64>, None],
            d::LEVEL_5 => [Some(40.0), Some(40.0)],
            d::MATRIX_SOURCE => ["city plan", "city plan"],
        )
        .unwrap();
        let out = resolve(cities.lazy(), defaults.lazy(), own.lazy())
            .collect()
            .unwrap()
            .sort([d::CITY_ID, d::DATA_POINT_ID], Default::default())
            .unwrap();
        assert_eq!(out.height(), 4);
        let scope: Vec<&str> = out
            .column(d::MATRIX_SCOPE)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .flatten()
            .collect();
        assert_eq!(
            scope,
            [SCOPE_DEFAULT, SCOPE_DEFAULT, SCOPE_DEFAULT, SCOPE_CITY]
        );
        assert_eq!(
            floats(&out, d::LEVEL_2),
            [Some(1.0), Some(1.0), Some(1.0), Some(10.0)]
        );
    }
}
