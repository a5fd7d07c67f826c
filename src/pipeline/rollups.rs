//! Stage `rollups` (METHODOLOGY section 6): category, sub-dimension, dimension and
//! overall scores = points / (4 x scored items), with coverage = scored / non-neutral
//! items beside every score and a flag below 50 % coverage. Categories are identified by
//! their full path (dimension / sub-dimension / category).
//!
//! Two variants (METHODOLOGY section 10): `rollups`, a city's own roll-ups with its
//! confidential items scored (shown only in that city's outputs), and `rollups_published`,
//! computed with the confidential items left unscored ([`withhold_confidential`]), so a
//! published score never rests on a confidential value (the points of a yes/no data point
//! would give its value back). `confidential_items` counts them in both.

use polars::prelude::*;

use super::attainment::{KIND_BENCHMARK, KIND_TARGET, band_label, points_expr};
use crate::schema::derived as d;

pub const LEVEL_CATEGORY: &str = "category";
pub const LEVEL_SUB_DIMENSION: &str = "sub_dimension";
pub const LEVEL_DIMENSION: &str = "dimension";
pub const LEVEL_OVERALL: &str = "overall";
/// Separator of path elements.
pub const PATH_SEP: &str = " / ";

/// The attainment rows with the points of confidential values withheld (null), for the
/// published roll-ups.
pub fn withhold_confidential(attainment: LazyFrame) -> LazyFrame {
    attainment.with_column(
        when(col(d::CONFIDENTIAL).fill_null(lit(false)))
            .then(lit(NULL).cast(DataType::Int32))
            .otherwise(col(d::POINTS))
            .alias(d::POINTS),
    )
}

/// Prefix of the published variant's aggregates while both are computed in one pass.
const PUB: &str = "published_";

/// The points of an item in the published roll-ups: withheld (null) when confidential.
fn published_points() -> Expr {
    when(col(d::CONFIDENTIAL).fill_null(lit(false)))
        .then(lit(NULL).cast(DataType::Int32))
        .otherwise(col(d::POINTS))
}

/// The aggregates that depend on the points (`points`: the own or the published ones),
/// named with `prefix`: scored, scored against targets and against benchmarks, points.
fn scored_aggregates(points: Expr, prefix: &str) -> [Expr; 4] {
    let by = |kind: &str| {
        points
            .clone()
            .is_not_null()
            .and(col(d::REFERENCE_KIND).eq(lit(kind)).fill_null(lit(false)))
            .sum()
            .cast(DataType::UInt32)
    };
    [
        points
            .clone()
            .count()
            .cast(DataType::UInt32)
            .alias(format!("{prefix}{}", d::SCORED)),
        by(KIND_TARGET).alias(format!("{prefix}{}", d::SCORED_TARGET)),
        by(KIND_BENCHMARK).alias(format!("{prefix}{}", d::SCORED_BENCHMARK)),
        points
            .sum()
            .cast(DataType::Int64)
            .alias(format!("{prefix}{}", d::POINTS)),
    ]
}

/// The columns that depend on the points, in output order.
const SCORED_COLUMNS: [&str; 4] = [d::SCORED, d::SCORED_TARGET, d::SCORED_BENCHMARK, d::POINTS];

/// Every level's aggregates for both variants in one group-by per level: items, reported,
/// confidential items, and the scored aggregates of the own points and (prefixed
/// [`PUB`]) of the published points.
fn aggregate(attainment: LazyFrame, year: i32) -> LazyFrame {
    let null_s = || lit(NULL).cast(DataType::String);
    let level = |keys: Vec<Expr>, name: &str, path: Expr, dim: Expr, sub: Expr, cat: Expr| {
        let mut by = vec![col(d::CITY_ID)];
        by.extend(keys);
        let non_neutral = || col(d::DIRECTION).neq(lit("neutral"));
        let mut aggs = vec![
            non_neutral().sum().cast(DataType::UInt32).alias(d::ITEMS),
            non_neutral()
                .and(col(d::VALUE).is_not_null())
                .sum()
                .cast(DataType::UInt32)
                .alias(d::REPORTED),
            non_neutral()
                .and(col(d::CONFIDENTIAL).fill_null(lit(false)))
                .sum()
                .cast(DataType::UInt32)
                .alias(d::CONFIDENTIAL_ITEMS),
        ];
        aggs.extend(scored_aggregates(col(d::POINTS), ""));
        aggs.extend(scored_aggregates(col("__published_points"), PUB));
        let mut out = vec![
            lit(year).alias(d::ANALYSIS_YEAR),
            col(d::CITY_ID),
            lit(name).alias(d::LEVEL),
            path.alias(d::PATH),
            dim.alias(d::DIMENSION),
            sub.alias(d::SUB_DIMENSION),
            cat.alias(d::CATEGORY),
            col(d::ITEMS),
            col(d::REPORTED),
            col(d::CONFIDENTIAL_ITEMS),
        ];
        for c in SCORED_COLUMNS {
            out.push(col(c));
            out.push(col(format!("{PUB}{c}")));
        }
        attainment
            .clone()
            .with_column(published_points().alias("__published_points"))
            .group_by_stable(by)
            .agg(aggs)
            .select(out)
    };
    let (dm, sd, ct) = (
        || col(d::DIMENSION),
        || col(d::SUB_DIMENSION),
        || col(d::CATEGORY),
    );
    let parts = [
        level(
            vec![dm(), sd(), ct()],
            LEVEL_CATEGORY,
            concat_str([dm(), sd(), ct()], PATH_SEP, false),
            dm(),
            sd(),
            ct(),
        ),
        level(
            vec![dm(), sd()],
            LEVEL_SUB_DIMENSION,
            concat_str([dm(), sd()], PATH_SEP, false),
            dm(),
            sd(),
            null_s(),
        ),
        level(vec![dm()], LEVEL_DIMENSION, dm(), dm(), null_s(), null_s()),
        level(
            vec![],
            LEVEL_OVERALL,
            lit(LEVEL_OVERALL),
            null_s(),
            null_s(),
            null_s(),
        ),
    ];
    concat(parts, UnionArgs::default()).expect("same schema")
}

/// One variant of [`aggregate`] (`prefix` "" for the own, [`PUB`] for the published) as the
/// roll-up table: score, coverage, band and the low-coverage flag.
fn finish(aggregated: LazyFrame, prefix: &str) -> LazyFrame {
    let mut cols = vec![
        col(d::ANALYSIS_YEAR),
        col(d::CITY_ID),
        col(d::LEVEL),
        col(d::PATH),
        col(d::DIMENSION),
        col(d::SUB_DIMENSION),
        col(d::CATEGORY),
        col(d::ITEMS),
        col(d::REPORTED),
    ];
    cols.extend(
        SCORED_COLUMNS
            .iter()
            .map(|c| col(format!("{prefix}{c}")).alias(*c)),
    );
    cols.push(col(d::CONFIDENTIAL_ITEMS));
    // the same cut-offs as a data point's points (scores lie in [0.25, 1])
    let band_points = points_expr(col(d::ROLLUP_SCORE));
    aggregated
        .select(cols)
        .with_columns([
            when(col(d::SCORED).gt(lit(0u32)))
                .then(
                    col(d::POINTS).cast(DataType::Float64)
                        / (lit(4.0) * col(d::SCORED).cast(DataType::Float64)),
                )
                .otherwise(lit(NULL).cast(DataType::Float64))
                .alias(d::ROLLUP_SCORE),
            when(col(d::ITEMS).gt(lit(0u32)))
                .then(
                    col(d::SCORED).cast(DataType::Float64) / col(d::ITEMS).cast(DataType::Float64),
                )
                .otherwise(lit(NULL).cast(DataType::Float64))
                .alias(d::COVERAGE),
        ])
        .with_columns([
            // nothing scored: "no data" only where nothing was reported
            when(
                col(d::SCORED)
                    .eq(lit(0u32))
                    .and(col(d::REPORTED).eq(lit(0u32))),
            )
            .then(lit(super::attainment::STATE_NO_DATA))
            .when(col(d::SCORED).eq(lit(0u32)))
            .then(lit(super::attainment::STATE_NO_TARGET))
            .otherwise(band_label(band_points))
            .alias(d::BAND),
            col(d::COVERAGE)
                .lt(lit(0.5))
                .fill_null(lit(false))
                .alias(d::LOW_COVERAGE),
        ])
}

/// Roll the attainment rows (one per city and catalogue data point, with DIMENSION,
/// SUB_DIMENSION, CATEGORY, DIRECTION, VALUE, CONFIDENTIAL, REFERENCE_KIND and POINTS) up
/// the hierarchy: items (non-neutral), reported (with a value), scored (with points, and
/// of those against targets and against benchmarks), points and confidential items. A
/// city's own roll-ups (its confidential items scored).
pub fn rollups(attainment: LazyFrame, year: i32) -> LazyFrame {
    finish(aggregate(attainment, year), "")
}

/// The published roll-ups: as [`rollups`] with the confidential items left unscored.
pub fn rollups_published(attainment: LazyFrame, year: i32) -> LazyFrame {
    finish(aggregate(attainment, year), PUB)
}

/// Both roll-up tables, (own, published), from one aggregation, in key order (CITY_ID by
/// its code, which is the ids' lexical order, then LEVEL and PATH): sorted once for both.
/// Rows that come city by city with every path element set are aggregated in one pass
/// ([`aggregate_by_city`]); any others by [`aggregate`]'s group-bys and a sort.
pub fn both(attainment: &DataFrame, year: i32) -> PolarsResult<(DataFrame, DataFrame)> {
    let agg = match aggregate_by_city(attainment, year)? {
        Some(agg) => agg,
        None => aggregate(attainment.clone().lazy(), year)
            .sort_by_exprs(
                [col(d::CITY_ID).to_physical(), col(d::LEVEL), col(d::PATH)],
                SortMultipleOptions::default().with_multithreaded(true),
            )
            .collect()?,
    }
    .lazy();
    Ok((
        finish(agg.clone(), "").collect()?,
        finish(agg, PUB).collect()?,
    ))
}

/// What one roll-up row adds up while a city's rows go by.
#[derive(Clone, Copy, Default)]
struct Tally {
    seen: bool,
    items: u32,
    reported: u32,
    confidential_items: u32,
    /// Own, then published ([`PUB`]): scored, scored against targets, against benchmarks.
    scored: [[u32; 3]; 2],
    /// Own, then published.
    points: [i64; 2],
}

/// One roll-up row of a level: its path and the dimension, sub-dimension and category
/// columns it shows.
struct Group<'a> {
    path: String,
    dimension: Option<&'a str>,
    sub_dimension: Option<&'a str>,
    category: Option<&'a str>,
}

/// The groups of every level met in the attainment rows, and each row's category.
struct Hierarchy<'a> {
    /// Per level, in the order the levels' names sort: its groups.
    levels: [(&'static str, Vec<Group<'a>>); 4],
    /// Per category group: its groups in the other levels (by index in `levels`).
    up: Vec<[usize; 4]>,
    /// Per row: its category group.
    rows: Vec<u32>,
}

/// The hierarchy of `att`'s rows, None when a dimension, sub-dimension or category is
/// missing (then [`aggregate`] decides how a null groups and sorts).
fn hierarchy(att: &DataFrame) -> PolarsResult<Option<Hierarchy<'_>>> {
    let (dm, sd, ct) = (
        att.column(d::DIMENSION)?.str()?,
        att.column(d::SUB_DIMENSION)?.str()?,
        att.column(d::CATEGORY)?.str()?,
    );
    if dm.null_count() + sd.null_count() + ct.null_count() > 0 {
        return Ok(None);
    }
    let mut names = [
        LEVEL_CATEGORY,
        LEVEL_SUB_DIMENSION,
        LEVEL_DIMENSION,
        LEVEL_OVERALL,
    ];
    names.sort_unstable();
    let at = |name: &str| names.iter().position(|n| *n == name).expect("a level");
    let (l_cat, l_sub, l_dim, l_all) = (
        at(LEVEL_CATEGORY),
        at(LEVEL_SUB_DIMENSION),
        at(LEVEL_DIMENSION),
        at(LEVEL_OVERALL),
    );
    let mut levels: [(&'static str, Vec<Group<'_>>); 4] = names.map(|n| (n, Vec::new()));
    levels[l_all].1.push(Group {
        path: LEVEL_OVERALL.to_string(),
        dimension: None,
        sub_dimension: None,
        category: None,
    });
    let mut cats: rustc_hash::FxHashMap<(&str, &str, &str), u32> = Default::default();
    let mut subs: rustc_hash::FxHashMap<(&str, &str), usize> = Default::default();
    let mut dims: rustc_hash::FxHashMap<&str, usize> = Default::default();
    let mut up: Vec<[usize; 4]> = Vec::new();
    let mut rows = Vec::with_capacity(att.height());
    let mut last: Option<((&str, &str, &str), u32)> = None;
    let texts = dm.iter().zip(sd.iter()).zip(ct.iter());
    for ((a, b), c) in texts {
        // no nulls (checked above)
        let (a, b, c) = (
            a.unwrap_or_default(),
            b.unwrap_or_default(),
            c.unwrap_or_default(),
        );
        let key = (a, b, c);
        let g = match last {
            Some((k, g)) if k == key => g,
            _ => {
                let g = match cats.get(&key) {
                    Some(&g) => g,
                    None => {
                        let g = up.len() as u32;
                        let dim = *dims.entry(a).or_insert_with(|| {
                            levels[l_dim].1.push(Group {
                                path: a.to_string(),
                                dimension: Some(a),
                                sub_dimension: None,
                                category: None,
                            });
                            levels[l_dim].1.len() - 1
                        });
                        let sub = *subs.entry((a, b)).or_insert_with(|| {
                            levels[l_sub].1.push(Group {
                                path: [a, b].join(PATH_SEP),
                                dimension: Some(a),
                                sub_dimension: Some(b),
                                category: None,
                            });
                            levels[l_sub].1.len() - 1
                        });
                        levels[l_cat].1.push(Group {
                            path: [a, b, c].join(PATH_SEP),
                            dimension: Some(a),
                            sub_dimension: Some(b),
                            category: Some(c),
                        });
                        let mut u = [0; 4];
                        u[l_cat] = levels[l_cat].1.len() - 1;
                        u[l_sub] = sub;
                        u[l_dim] = dim;
                        u[l_all] = 0;
                        up.push(u);
                        cats.insert(key, g);
                        g
                    }
                };
                last = Some((key, g));
                g
            }
        };
        rows.push(g);
    }
    Ok(Some(Hierarchy { levels, up, rows }))
}

/// [`aggregate`] in key order, in one pass over `att` when its rows come city by city (the
/// codes of an encoded CITY_ID never decreasing, as the attainment stage leaves them) with
/// every path element set: a city's rows add to its category, sub-dimension, dimension
/// and overall tallies, which become rows when the next city starts, each level's in the
/// order of its paths. Four group-bys of the attainment rows on the city and the path
/// texts, then a sort, took 0.15 s at 5 000 cities and 0.45-0.5 s at 13 000 (the stage);
/// with this pass the stage takes 0.06 and 0.16 s. None for other rows.
fn aggregate_by_city(att: &DataFrame, year: i32) -> PolarsResult<Option<DataFrame>> {
    let city = att.column(d::CITY_ID)?;
    if !matches!(city.dtype(), DataType::Categorical(..)) || city.null_count() > 0 {
        return Ok(None);
    }
    let codes = city.to_physical_repr();
    let codes: Vec<u32> = codes.u32()?.into_no_null_iter().collect();
    if codes.windows(2).any(|w| w[0] > w[1]) {
        return Ok(None);
    }
    let Some(h) = hierarchy(att)? else {
        return Ok(None);
    };
    // per row: non-neutral, with a value, confidential, points, kind of reference
    let non_neutral: Vec<bool> = att
        .column(d::DIRECTION)?
        .str()?
        .iter()
        .map(|t| t.is_some_and(|t| t != "neutral"))
        .collect();
    let valued = att.column(d::VALUE)?.is_not_null();
    let confidential = att.column(d::CONFIDENTIAL)?.bool()?.clone();
    let points = att.column(d::POINTS)?.cast(&DataType::Int32)?;
    let points = points.i32()?;
    let kind: Vec<u8> = att
        .column(d::REFERENCE_KIND)?
        .str()?
        .iter()
        .map(|t| match t {
            Some(KIND_TARGET) => 1,
            Some(KIND_BENCHMARK) => 2,
            _ => 0,
        })
        .collect();

    // per level (in `h.levels`' order) the order of its groups by path
    let order: Vec<Vec<usize>> = h
        .levels
        .iter()
        .map(|(_, groups)| {
            let mut o: Vec<usize> = (0..groups.len()).collect();
            o.sort_by(|&a, &b| groups[a].path.cmp(&groups[b].path));
            o
        })
        .collect();
    let mut tallies: Vec<Vec<Tally>> = h
        .levels
        .iter()
        .map(|(_, g)| vec![Tally::default(); g.len()])
        .collect();

    let mut out = Rows::default();
    let (mut valued_it, mut conf_it, mut points_it) =
        (valued.iter(), confidential.iter(), points.iter());
    for (i, &c) in codes.iter().enumerate() {
        if i > 0 && codes[i - 1] != c {
            flush(&h, &order, codes[i - 1], &mut tallies, &mut out);
        }
        let (v, conf, p) = (
            valued_it.next().flatten().unwrap_or(false),
            conf_it.next().flatten().unwrap_or(false),
            points_it.next().flatten(),
        );
        let nn = non_neutral[i];
        for (l, &g) in h.up[h.rows[i] as usize].iter().enumerate() {
            let t = &mut tallies[l][g];
            t.seen = true;
            t.items += u32::from(nn);
            t.reported += u32::from(nn && v);
            t.confidential_items += u32::from(nn && conf);
            for (variant, p) in [p, p.filter(|_| !conf)].into_iter().enumerate() {
                if let Some(p) = p {
                    let s = &mut t.scored[variant];
                    s[0] += 1;
                    s[1] += u32::from(kind[i] == 1);
                    s[2] += u32::from(kind[i] == 2);
                    t.points[variant] += i64::from(p);
                }
            }
        }
    }
    if let Some(&last) = codes.last() {
        flush(&h, &order, last, &mut tallies, &mut out);
    }
    out.frame(year, city.dtype()).map(Some)
}

/// The rows of a city's tallies (taken, so they start again at zero): per level in
/// `h.levels`' order, its groups in `order`, those the city has rows in.
fn flush<'h>(
    h: &'h Hierarchy<'_>,
    order: &[Vec<usize>],
    city: u32,
    tallies: &mut [Vec<Tally>],
    out: &mut Rows<'h>,
) {
    for (l, (name, groups)) in h.levels.iter().enumerate() {
        for &g in &order[l] {
            let t = std::mem::take(&mut tallies[l][g]);
            if t.seen {
                out.push(city, name, &groups[g], &t);
            }
        }
    }
}

/// The rows [`aggregate_by_city`] builds, column by column.
#[derive(Default)]
struct Rows<'a> {
    city: Vec<u32>,
    level: Vec<&'static str>,
    path: Vec<&'a str>,
    dimension: Vec<Option<&'a str>>,
    sub_dimension: Vec<Option<&'a str>>,
    category: Vec<Option<&'a str>>,
    items: Vec<u32>,
    reported: Vec<u32>,
    confidential_items: Vec<u32>,
    /// Own, then published: scored, scored against targets, against benchmarks.
    scored: [[Vec<u32>; 3]; 2],
    points: [Vec<i64>; 2],
}

impl<'a> Rows<'a> {
    fn push(&mut self, city: u32, level: &'static str, g: &'a Group<'a>, t: &Tally) {
        self.city.push(city);
        self.level.push(level);
        self.path.push(&g.path);
        self.dimension.push(g.dimension);
        self.sub_dimension.push(g.sub_dimension);
        self.category.push(g.category);
        self.items.push(t.items);
        self.reported.push(t.reported);
        self.confidential_items.push(t.confidential_items);
        for v in 0..2 {
            for k in 0..3 {
                self.scored[v][k].push(t.scored[v][k]);
            }
            self.points[v].push(t.points[v]);
        }
    }

    /// The frame [`aggregate`] gives (its columns, names and types), CITY_ID of `city`'s
    /// type.
    fn frame(self, year: i32, city: &DataType) -> PolarsResult<DataFrame> {
        let n = self.city.len();
        let codes = UInt32Chunked::from_vec(d::CITY_ID.into(), self.city);
        // SAFETY: every code was read from a column of this very type
        let city =
            unsafe { Categorical32Chunked::from_cats_and_dtype_unchecked(codes, city.clone()) };
        let strs = |name: &str, v: Vec<Option<&str>>| {
            StringChunked::from_iter_options(name.into(), v.into_iter()).into_column()
        };
        let u32s =
            |name: String, v: Vec<u32>| UInt32Chunked::from_vec(name.into(), v).into_column();
        let mut columns = vec![
            Int32Chunked::full(d::ANALYSIS_YEAR.into(), year, n).into_column(),
            city.into_series().into_column(),
            StringChunked::from_iter_values(d::LEVEL.into(), self.level.into_iter()).into_column(),
            StringChunked::from_iter_values(d::PATH.into(), self.path.into_iter()).into_column(),
            strs(d::DIMENSION, self.dimension),
            strs(d::SUB_DIMENSION, self.sub_dimension),
            strs(d::CATEGORY, self.category),
            u32s(d::ITEMS.into(), self.items),
            u32s(d::REPORTED.into(), self.reported),
            u32s(d::CONFIDENTIAL_ITEMS.into(), self.confidential_items),
        ];
        // SCORED_COLUMNS: the three counts, then the points; each own, then published
        let [own, published] = self.scored;
        for ((c, own), published) in SCORED_COLUMNS.iter().zip(own).zip(published) {
            columns.push(u32s(c.to_string(), own));
            columns.push(u32s(format!("{PUB}{c}"), published));
        }
        let [own, published] = self.points;
        let c = SCORED_COLUMNS[3];
        columns.push(Int64Chunked::from_vec(c.into(), own).into_column());
        columns.push(Int64Chunked::from_vec(format!("{PUB}{c}").into(), published).into_column());
        DataFrame::new(n, columns)
    }
}

#[cfg(test)]
mod tests {
    use polars::prelude::*;
    use proptest::prelude::*;

    use super::{aggregate, aggregate_by_city, both};
    use crate::pipeline::keys::Keys;
    use crate::schema::derived as d;

    /// One attainment row: city, (dimension, sub-dimension, category), direction, value,
    /// confidential, points, reference kind.
    type Row = (
        usize,
        (usize, usize, usize),
        Option<usize>,
        Option<f64>,
        Option<bool>,
        Option<i32>,
        Option<usize>,
    );

    const CITIES: [&str; 4] = ["a", "b", "c", "d"];

    fn frame(mut rows: Vec<Row>) -> DataFrame {
        rows.sort_by_key(|r| r.0);
        let pick = |names: &'static [&'static str], i: usize| names[i % names.len()];
        let texts = |f: &dyn Fn(&Row) -> Option<&'static str>| -> Vec<Option<&'static str>> {
            rows.iter().map(f).collect()
        };
        let df = df!(
            d::CITY_ID => texts(&|r| Some(CITIES[r.0])),
            d::DIMENSION => texts(&|r| Some(pick(&["Economy", "Environment", "E"], r.1.0))),
            d::SUB_DIMENSION => texts(&|r| Some(pick(&["ICT", "Water", "I"], r.1.1))),
            d::CATEGORY => texts(&|r| Some(pick(&["Infra", "Other", "Infra x", "O"], r.1.2))),
            d::DIRECTION => texts(&|r| r.2.map(|i| pick(&["higher_better", "neutral", "lower_better"], i))),
            d::VALUE => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
            d::CONFIDENTIAL => rows.iter().map(|r| r.4).collect::<Vec<_>>(),
            d::POINTS => rows.iter().map(|r| r.5).collect::<Vec<_>>(),
            d::REFERENCE_KIND => texts(&|r| r.6.map(|i| pick(&["target", "benchmark", "other"], i))),
        )
        .unwrap();
        Keys::new(CITIES, ["X"]).unwrap().encode_frame(df).unwrap()
    }

    fn row() -> impl Strategy<Value = Row> {
        (
            0usize..4,
            (0usize..3, 0usize..3, 0usize..4),
            proptest::option::of(0usize..3),
            proptest::option::of(-1.0f64..1.0),
            proptest::option::of(any::<bool>()),
            proptest::option::of(1i32..=4),
            proptest::option::of(0usize..3),
        )
    }

    /// The group-bys and the sort the one pass replaces.
    fn by_group_bys(att: &DataFrame) -> DataFrame {
        aggregate(att.clone().lazy(), 2024)
            .sort_by_exprs(
                [col(d::CITY_ID).to_physical(), col(d::LEVEL), col(d::PATH)],
                Default::default(),
            )
            .collect()
            .unwrap()
    }

    proptest! {
        #[test]
        fn one_pass_by_city_is_the_group_bys_sorted(rows in proptest::collection::vec(row(), 1..120)) {
            let att = frame(rows);
            let ours = aggregate_by_city(&att, 2024).unwrap().expect("rows city by city");
            let theirs = by_group_bys(&att);
            prop_assert_eq!(ours.schema(), theirs.schema());
            prop_assert!(ours.equals_missing(&theirs), "ours {ours}\ntheirs {theirs}");
        }
    }

    #[test]
    fn rows_out_of_city_order_or_without_a_path_element_go_to_the_group_bys() {
        let rows = |cities: [usize; 2]| {
            cities
                .map(|c| {
                    (
                        c,
                        (0, 0, 0),
                        Some(0),
                        Some(1.0),
                        Some(false),
                        Some(4),
                        Some(0),
                    )
                })
                .to_vec()
        };
        let att = frame(rows([0, 1]));
        assert!(aggregate_by_city(&att, 2024).unwrap().is_some());
        let reversed = att.reverse();
        assert!(aggregate_by_city(&reversed, 2024).unwrap().is_none());
        let mut no_category = att.clone();
        no_category
            .with_column(Column::full_null(d::CATEGORY.into(), 2, &DataType::String))
            .unwrap();
        assert!(aggregate_by_city(&no_category, 2024).unwrap().is_none());
        // both still give the group-bys' rows, in key order
        for att in [reversed, no_category] {
            let (own, _) = both(&att, 2024).unwrap();
            let expected = super::finish(by_group_bys(&att).lazy(), "")
                .collect()
                .unwrap();
            assert!(own.equals_missing(&expected), "{own}\n{expected}");
        }
    }
}
