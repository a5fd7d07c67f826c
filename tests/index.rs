//! `citybench index`: a hand-computed index from a wide `--data` file and a COINr iMeta
//! framework (normalised values, pillars, index, ranks with ties, in the printed ranking
//! and in `index_scores.parquet`), an independent DuckDB recomputation of the default
//! U4SSC index on generated data (screening, min-max after direction, equal-weight means
//! level by level), byte-identical outputs, screening in the manifest and the SQL mart,
//! "latest" imputation of a long panel, group ranks, the error messages, the Monte Carlo
//! uncertainty and the index example queries.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{GENEVA, HEADER, Ws};

/// Three indicators in two pillars; x2 is lower-is-better, the second pillar weighs 2.
const FRAMEWORK: &str = "iCode,iName,Level,Parent,Weight,Direction,Type
x1,One,1,P1,1,1,Indicator
x2,Two,1,P1,1,-1,Indicator
x3,Three,1,P2,1,1,Indicator
P1,Pillar 1,2,IDX,1,,Aggregate
P2,Pillar 2,2,IDX,2,,Aggregate
IDX,Index,3,,1,,Aggregate
";

/// Six units; f has no x3 (2 of 3 indicators: exactly the default 2/3, so it is kept).
const WIDE: &str = "uCode,uName,x1,x2,x3
a,Alpha,0,10,50
b,Beta,10,30,100
c,Gamma,20,50,0
d,Delta,40,20,25
e,Epsilon,30,10,75
f,Phi,20,30,NA
";

// By hand, min-max onto 0-100 after the direction:
//   x1 (min 0, max 40):            a 0,   b 25,  c 50, d 100, e 75,  f 50
//   x2 (x -1: min -50, max -10):   a 100, b 50,  c 0,  d 75,  e 100, f 50
//   x3 (min 0, max 100):           a 50,  b 100, c 0,  d 25,  e 75,  f missing
//   P1 = (x1 + x2) / 2:            a 50,  b 37.5, c 25, d 87.5, e 87.5, f 50
//   P2 = x3:                       a 50,  b 100, c 0,  d 25,  e 75,  f missing
//   IDX = (P1 + 2 P2) / 3:         a 150/3 = 50, b 237.5/3, c 25/3, d 137.5/3, e 237.5/3,
//                                  f = P1 = 50 (the missing pillar is skipped, its weight
//                                  dropped)
// Ranks (1 = highest, ties share the smallest rank):
//   x1: d 1, e 2, c 3, f 3, b 5, a 6        x2: a 1, e 1, d 3, b 4, f 4, c 6
//   x3: b 1, e 2, a 3, d 4, c 5, f none     P1: d 1, e 1, a 3, f 3, b 5, c 6
//   P2: b 1, e 2, a 3, d 4, c 5, f none     IDX: b 1, e 1, a 3, f 3, d 5, c 6
/// (unit, code, raw value, score, rank) of a row of `index_scores`.
type HandRow = (
    &'static str,
    &'static str,
    Option<f64>,
    Option<f64>,
    Option<i64>,
);

/// Every row of `index_scores` for [`WIDE`].
const HAND: &[HandRow] = &[
    ("a", "x1", Some(0.0), Some(0.0), Some(6)),
    ("a", "x2", Some(10.0), Some(100.0), Some(1)),
    ("a", "x3", Some(50.0), Some(50.0), Some(3)),
    ("a", "P1", None, Some(50.0), Some(3)),
    ("a", "P2", None, Some(50.0), Some(3)),
    ("a", "IDX", None, Some(50.0), Some(3)),
    ("b", "x1", Some(10.0), Some(25.0), Some(5)),
    ("b", "x2", Some(30.0), Some(50.0), Some(4)),
    ("b", "x3", Some(100.0), Some(100.0), Some(1)),
    ("b", "P1", None, Some(37.5), Some(5)),
    ("b", "P2", None, Some(100.0), Some(1)),
    ("b", "IDX", None, Some(237.5 / 3.0), Some(1)),
    ("c", "x1", Some(20.0), Some(50.0), Some(3)),
    ("c", "x2", Some(50.0), Some(0.0), Some(6)),
    ("c", "x3", Some(0.0), Some(0.0), Some(5)),
    ("c", "P1", None, Some(25.0), Some(6)),
    ("c", "P2", None, Some(0.0), Some(5)),
    ("c", "IDX", None, Some(25.0 / 3.0), Some(6)),
    ("d", "x1", Some(40.0), Some(100.0), Some(1)),
    ("d", "x2", Some(20.0), Some(75.0), Some(3)),
    ("d", "x3", Some(25.0), Some(25.0), Some(4)),
    ("d", "P1", None, Some(87.5), Some(1)),
    ("d", "P2", None, Some(25.0), Some(4)),
    ("d", "IDX", None, Some(137.5 / 3.0), Some(5)),
    ("e", "x1", Some(30.0), Some(75.0), Some(2)),
    ("e", "x2", Some(10.0), Some(100.0), Some(1)),
    ("e", "x3", Some(75.0), Some(75.0), Some(2)),
    ("e", "P1", None, Some(87.5), Some(1)),
    ("e", "P2", None, Some(75.0), Some(2)),
    ("e", "IDX", None, Some(237.5 / 3.0), Some(1)),
    ("f", "x1", Some(20.0), Some(50.0), Some(3)),
    ("f", "x2", Some(30.0), Some(50.0), Some(4)),
    ("f", "x3", None, None, None),
    ("f", "P1", None, Some(50.0), Some(3)),
    ("f", "P2", None, None, None),
    ("f", "IDX", None, Some(50.0), Some(3)),
];

/// The printed ranking of [`WIDE`] (6 decimals; ties ordered by unit id).
const HAND_CSV: &str = "rank,unit_id,unit_name,IDX,Pillar 1,Pillar 2
1,b,Beta,79.166667,37.5,100.0
1,e,Epsilon,79.166667,87.5,75.0
3,a,Alpha,50.0,50.0,50.0
3,f,Phi,50.0,50.0,
5,d,Delta,45.833333,87.5,25.0
6,c,Gamma,8.333333,25.0,0.0
";

fn ok(ws: &Ws, args: &[&str]) -> String {
    let r = ws.run(args);
    assert_eq!(r.code, 0, "{args:?}: {}{}", r.stdout, r.stderr);
    r.stdout
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `a` equals `b` to 1e-9, missing equals missing.
fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9,
        (None, None) => true,
        _ => false,
    }
}

/// Replace one exact piece of `citybench.toml` (which must occur exactly once).
fn configure(ws: &Ws, edits: &[(&str, &str)]) {
    let p = ws.root().join("citybench.toml");
    let mut t = std::fs::read_to_string(&p).unwrap();
    for (old, new) in edits {
        assert_eq!(t.matches(old).count(), 1, "{old} in\n{t}");
        t = t.replace(old, new);
    }
    std::fs::write(&p, t).unwrap();
}

/// The workspace's `derived/<name>.parquet`, for DuckDB.
fn derived(ws: &Ws, name: &str) -> String {
    format!(
        "read_parquet('{}')",
        ws.root()
            .join("derived")
            .join(format!("{name}.parquet"))
            .display()
    )
}

fn manifest(ws: &Ws) -> Value {
    let p = ws.root().join("derived/index_manifest.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// The name the tests give runs on an external framework and data (`--name`).
const NAMED: &str = "hand";

/// `index/hand/<name>.parquet`, for DuckDB.
fn named(ws: &Ws, name: &str) -> String {
    format!(
        "read_parquet('{}')",
        ws.root()
            .join("index")
            .join(NAMED)
            .join(format!("{name}.parquet"))
            .display()
    )
}

fn named_manifest(ws: &Ws) -> Value {
    let p = ws
        .root()
        .join("index")
        .join(NAMED)
        .join("index_manifest.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// (unit, code) -> (raw, imputed, treated, score, rank) of `index_scores.parquet`.
type ScoreRow = (
    Option<f64>,
    Option<bool>,
    Option<f64>,
    Option<f64>,
    Option<i64>,
);

fn scores(ws: &Ws) -> BTreeMap<(String, String), ScoreRow> {
    scores_in(&derived(ws, "index_scores"))
}

/// [`scores`] of the named run.
fn named_scores(ws: &Ws) -> BTreeMap<(String, String), ScoreRow> {
    scores_in(&named(ws, "index_scores"))
}

fn scores_in(table: &str) -> BTreeMap<(String, String), ScoreRow> {
    let con = duckdb::Connection::open_in_memory().unwrap();
    let mut st = con
        .prepare(&format!(
            "select unit_id, code, raw, imputed, treated, score, rank from {table}"
        ))
        .unwrap();
    st.query_map([], |r| {
        Ok((
            (r.get(0)?, r.get(1)?),
            (r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?),
        ))
    })
    .unwrap()
    .map(|r| r.unwrap())
    .collect()
}

/// The rows of a `citybench sql` query as CSV text.
fn sql(ws: &Ws, q: &str) -> String {
    ok(ws, &["sql", q, "--format", "csv"])
}

/// An initialised workspace whose `citybench.duckdb` exists (one observation, run), so
/// that `index` refreshes the SQL views.
fn with_database() -> Ws {
    let ws = Ws::new();
    let f = ws.file(
        "one.csv",
        format!("{HEADER}\n{GENEVA},EC-ICT-ICT-1C,2024,50,%,src,measured,false,false\n"),
    );
    let r = ws.ingest(&f);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    ok(&ws, &["run"]);
    assert!(ws.root().join("citybench.duckdb").exists());
    ws
}

/// A workspace with `cities` generated cities (2020..2024), ingested and run; and the
/// generated submission file.
fn generated(cities: u32, seed: u32) -> (Ws, PathBuf) {
    let ws = Ws::new();
    let out = ws.dir.path().join("g");
    ok(
        &ws,
        &[
            "generate",
            "--cities",
            &cities.to_string(),
            "--years",
            "2020..2024",
            "--seed",
            &seed.to_string(),
            "--out",
            s(&out),
        ],
    );
    let files: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files, vec![out.join("submissions.parquet")]);
    for f in &files {
        let r = ws.ingest(f);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    }
    ok(&ws, &["run"]);
    (ws, out.join("submissions.parquet"))
}

#[test]
fn a_hand_computed_index_with_ties_in_the_ranking_and_the_parquet() {
    let ws = Ws::new();
    let fw = ws.file("fw.csv", FRAMEWORK);
    let data = ws.file("data.csv", WIDE);
    let base = [
        "index",
        "--data",
        s(&data),
        "--framework",
        s(&fw),
        "--name",
        NAMED,
    ];
    let run = |extra: &[&str]| ok(&ws, &[&base[..], extra].concat());
    assert_eq!(run(&["--format", "csv"]), HAND_CSV);
    assert_eq!(
        run(&["--format", "csv", "--top", "3"]),
        HAND_CSV.lines().take(4).collect::<Vec<_>>().join("\n") + "\n"
    );
    // JSON: the same rows, rounded to 6 decimals, missing as null
    let json: Value = serde_json::from_str(&run(&["--format", "json"])).unwrap();
    let rows = json.as_array().unwrap();
    let order = ["b", "e", "a", "f", "d", "c"];
    assert_eq!(rows.len(), 6);
    for (row, unit) in rows.iter().zip(order) {
        assert_eq!(row["unit_id"], unit);
        let want = |code: &str| HAND.iter().find(|h| h.0 == unit && h.1 == code).unwrap();
        let idx = want("IDX");
        assert_eq!(row["rank"].as_i64(), idx.4);
        for (col, code) in [("IDX", "IDX"), ("Pillar 1", "P1"), ("Pillar 2", "P2")] {
            match want(code).3 {
                Some(v) => {
                    let got = row[col].as_f64().unwrap();
                    assert!((got - v).abs() <= 5e-7, "{unit} {col}: {got} vs {v}");
                }
                None => assert!(row[col].is_null(), "{unit} {col}: {}", row[col]),
            }
        }
    }
    assert_eq!(rows[3]["unit_name"], "Phi");
    // the Parquet: every unit x node, to 1e-9
    let got = named_scores(&ws);
    assert_eq!(got.len(), HAND.len());
    for (unit, code, raw, score, rank) in HAND {
        let (r, imputed, treated, sc, rk) = got[&(unit.to_string(), code.to_string())];
        let ind = code.starts_with('x');
        assert!(same(r, *raw), "{unit} {code}: raw {r:?} vs {raw:?}");
        assert!(same(treated, *raw), "{unit} {code}: treated {treated:?}");
        assert_eq!(imputed, ind.then_some(false), "{unit} {code}");
        assert!(same(sc, *score), "{unit} {code}: score {sc:?} vs {score:?}");
        assert_eq!(rk, *rank, "{unit} {code}: rank");
    }
    // the tie is exact: b and e share rank 1 with the same score
    assert_eq!(got[&("b".into(), "IDX".into())].3, Some(237.5 / 3.0));
    assert_eq!(got[&("e".into(), "IDX".into())].3, Some(237.5 / 3.0));
    // node attributes and the diagnostics of x1 and x3 (as reported)
    let con = duckdb::Connection::open_in_memory().unwrap();
    let attrs: Vec<(String, i32, String, Option<String>, f64)> = con
        .prepare(&format!(
            "select distinct code, level, level_name, parent, weight from {} order by level, code",
            named(&ws, "index_scores")
        ))
        .unwrap()
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let p = |s: &str| Some(s.to_string());
    assert_eq!(
        attrs,
        vec![
            ("x1".into(), 1, "level 1".into(), p("P1"), 1.0),
            ("x2".into(), 1, "level 1".into(), p("P1"), 1.0),
            ("x3".into(), 1, "level 1".into(), p("P2"), 1.0),
            ("P1".into(), 2, "level 2".into(), p("IDX"), 1.0),
            ("P2".into(), 2, "level 2".into(), p("IDX"), 2.0),
            ("IDX".into(), 3, "level 3".into(), None, 1.0),
        ]
    );
    /// code, n, availability, min, max, mean, median, direction
    type Diag = (String, i32, f64, f64, f64, f64, f64, Option<i32>);
    let diag: Vec<Diag> = con
        .prepare(&format!(
            "select code, n, availability, min, max, mean, median, direction from {} where code in ('x1', 'x2', 'x3') order by code",
            named(&ws, "index_diagnostics")
        ))
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    // x1: 0 10 20 40 30 20 -> mean 20, median 20; x2: 10 30 50 20 10 30 -> mean 25,
    // median 25; x3: 50 100 0 25 75 (f missing: 5 of 6) -> mean 50, median 50
    assert_eq!(
        diag,
        vec![
            ("x1".into(), 6, 1.0, 0.0, 40.0, 20.0, 20.0, Some(1)),
            ("x2".into(), 6, 1.0, 10.0, 50.0, 25.0, 25.0, Some(-1)),
            ("x3".into(), 5, 5.0 / 6.0, 0.0, 100.0, 50.0, 50.0, Some(1)),
        ]
    );
    let m = named_manifest(&ws);
    assert_eq!(m["framework"]["indicators"], 3);
    assert_eq!(m["framework"]["aggregates"], 3);
    assert_eq!(
        m["framework"]["levels"],
        serde_json::json!(["level 1", "level 2", "level 3"])
    );
    assert_eq!(m["screening"]["included"], 6);
    assert_eq!(m["screening"]["excluded"], serde_json::json!([]));
    assert_eq!(m["data"]["units"], 6);
    assert_eq!(m["data"]["panel"], false);
    assert_eq!(m["data"]["year"], Value::Null);
    assert_eq!(m["imputation"]["cells_missing_after"], 1);
    // the ranking written as Parquet
    let out = ws.dir.path().join("ranking.parquet");
    run(&["--format", "parquet", "--out", s(&out)]);
    let (n, top): (i64, String) = con
        .query_row(
            &format!(
                "select count(*), string_agg(unit_id, ' ' order by rank, unit_id) from read_parquet('{}')",
                out.display()
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((n, top.as_str()), (6, "b e a f d c"));
    // the same table as Parquet (typed columns, a null for f's x3) gives the same index
    let pq = ws.dir.path().join("data.parquet");
    con.execute_batch(&format!(
        "copy (select uCode, uName, x1, x2::double as x2, x3::double as x3
               from (values ('a', 'Alpha', 0, 10, 50), ('b', 'Beta', 10, 30, 100),
                            ('c', 'Gamma', 20, 50, 0), ('d', 'Delta', 40, 20, 25),
                            ('e', 'Epsilon', 30, 10, 75), ('f', 'Phi', 20, 30, null))
                    t(uCode, uName, x1, x2, x3))
         to '{}' (format parquet)",
        pq.display()
    ))
    .unwrap();
    assert_eq!(
        ok(
            &ws,
            &[
                "index",
                "--data",
                s(&pq),
                "--framework",
                s(&fw),
                "--name",
                NAMED,
                "--format",
                "csv"
            ]
        ),
        HAND_CSV
    );
    let again = named_scores(&ws);
    for (k, v) in &got {
        assert!(same(again[k].3, v.3) && again[k].4 == v.4, "{k:?}");
    }
}

/// The default U4SSC index recomputed in DuckDB from `aligned.parquet` and the catalogue,
/// for the screening threshold `threshold`; returns the number of units ranked.
fn check_u4ssc_against_duckdb(ws: &Ws, threshold: f64) -> i64 {
    let con = duckdb::Connection::open_in_memory().unwrap();
    let targets = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/catalog/targets.csv");
    // the framework: higher- and lower-is-better data points, and target bands with a
    // target (as their distance to it, lower is better); neutral ones are left out
    con.execute_batch(&format!(
        "create table fw as
             select c.data_point_id, c.kpi_id, c.category, c.dimension, c.direction,
                    case when c.direction = 'target_band' then t.target end as band
             from {catalog} c
             left join read_csv('{targets}', header = true) t using (data_point_id)
             where c.direction in ('higher_better', 'lower_better')
                or (c.direction = 'target_band' and t.target is not null);
         create table x as
             select a.city_id, f.data_point_id, f.kpi_id, f.category, f.dimension,
                    case f.direction when 'higher_better' then a.value
                                     when 'lower_better' then -a.value
                                     else -abs(a.value - f.band) end as v
             from {aligned} a join fw f using (data_point_id)
             where not a.confidential and a.value is not null;
         create table incl as
             select city_id from x group by city_id
             having count(*)::double / (select count(*) from fw)::double >= {threshold:?}::double;
         create table norm as
             with xi as (select * from x semi join incl using (city_id)),
                  mm as (select data_point_id, min(v) as mn, max(v) as mx from xi group by all)
             select xi.*, case when mx > mn then (v - mn) / (mx - mn) * 100 end as s
             from xi join mm using (data_point_id);
         create table kpi as select city_id, kpi_id, category, dimension, avg(s) as s from norm group by all;
         create table cat as select city_id, category, dimension, avg(s) as s from kpi group by all;
         create table dim as select city_id, dimension, avg(s) as s from cat group by all;
         create table idx as select city_id, avg(s) as s from dim group by all;
         create table mine as
             select city_id as unit_id, data_point_id as code, s, 1 as level from norm
             union all select city_id, 'kpi:' || kpi_id, s, 2 from kpi
             union all select city_id, 'category:' || dimension || '/' || category, s, 3 from cat
             union all select city_id, 'dimension:' || dimension, s, 4 from dim
             union all select city_id, 'index', s, 5 from idx;
         create table engine as select * from {scores};",
        catalog = derived(ws, "catalog"),
        aligned = derived(ws, "aligned"),
        scores = derived(ws, "index_scores"),
    ))
    .unwrap();
    let count = |q: &str| -> i64 {
        con.query_row(q, [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{e}\n{q}"))
    };
    assert_eq!(count("select count(*) from fw"), 108);
    // the same units ranked
    let ranked = count("select count(*) from incl");
    assert_eq!(
        count(&format!(
            "select count(*) from (select unit_id from {} where included
                                   except select city_id from incl)",
            derived(ws, "index_units")
        )) + count(&format!(
            "select count(*) from (select city_id from incl
                                   except select unit_id from {} where included)",
            derived(ws, "index_units")
        )),
        0,
        "screening differs"
    );
    assert_eq!(
        count("select count(distinct unit_id) from engine"),
        ranked,
        "units in index_scores"
    );
    // every score at every level; a node the unit has no data for has no score
    let bad = count(
        "select count(*) from engine e full join mine m using (unit_id, code)
         where e.unit_id is null
            or (m.unit_id is null and e.score is not null)
            or (m.unit_id is not null and ((e.score is null) <> (m.s is null)
                                           or abs(e.score - m.s) > 1e-9))",
    );
    assert_eq!(bad, 0, "scores differ");
    assert!(count("select count(*) from mine where level = 5") == ranked);
    // ranks of the index and of the normalised data points (the same arithmetic, so ties
    // are exact in both): 1 = highest, ties share the smallest rank
    let bad = count(
        "with r as (select *, rank() over (partition by code order by s desc) as rk
                    from mine where s is not null and level in (1, 5))
         select count(*) from r join engine e using (unit_id, code) where e.rank is distinct from r.rk",
    );
    assert_eq!(bad, 0, "ranks differ");
    assert_eq!(
        count("select count(*) from engine where code = 'index' and rank is not null"),
        ranked
    );
    ranked
}

#[test]
fn duckdb_recomputes_the_default_index_on_generated_cities() {
    let (ws, _) = generated(300, 5);
    // the terminal table: the 25 best, and a line saying how to see the rest; --top 0
    // prints all; csv (below) writes all without --top
    let r = ws.run(&["index"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = |t: &str| {
        t.lines()
            .filter(|l| {
                l.split_whitespace()
                    .next()
                    .is_some_and(|w| w.parse::<u32>().is_ok())
            })
            .count()
    };
    assert_eq!(rows(&r.stdout), 25, "{}", r.stdout);
    assert!(
        r.stderr.contains(
            "... and 275 more units (--top 0 prints all; --format csv or --out FILE writes all)\n"
        ),
        "{}",
        r.stderr
    );
    let r = ws.run(&["index", "--top", "0"]);
    assert_eq!(rows(&r.stdout), 300);
    assert!(!r.stderr.contains("more units"), "{}", r.stderr);
    let out = ok(&ws, &["index", "--format", "csv"]);
    let ranked = check_u4ssc_against_duckdb(&ws, 2.0 / 3.0);
    assert_eq!(ranked, 300);
    // the printed ranking: one line per ranked unit, in rank order, the root and the three
    // dimensions as columns
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("rank,unit_id,unit_name,index,Economy,Environment,Society and Culture")
    );
    let printed: Vec<(i64, String)> = lines
        .map(|l| {
            let mut f = l.split(',');
            (
                f.next().unwrap().parse().unwrap(),
                f.next().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(printed.len(), 300);
    let sc = scores(&ws);
    for w in printed.windows(2) {
        assert!(w[0].0 <= w[1].0, "{w:?}");
    }
    for (rank, unit) in &printed {
        assert_eq!(sc[&(unit.clone(), "index".to_string())].4, Some(*rank));
    }
    // a stricter screening excludes some cities; the recomputation follows
    configure(
        &ws,
        &[(
            "# availability_min = 0.6666666666666666",
            "availability_min = 0.95",
        )],
    );
    ok(&ws, &["index"]);
    let ranked = check_u4ssc_against_duckdb(&ws, 0.95);
    assert!(ranked > 0 && ranked < 300, "{ranked}");
    let m = manifest(&ws);
    assert_eq!(m["screening"]["included"].as_i64(), Some(ranked));
    assert_eq!(
        m["screening"]["excluded"].as_array().unwrap().len() as i64,
        300 - ranked
    );
    assert_eq!(m["data"]["source"], "derived/aligned.parquet");
    assert!(m["data"]["confidential_left_out"].as_u64().unwrap() > 0);
}

/// The index outputs of a workspace: file name -> bytes.
fn index_outputs(ws: &Ws) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(ws.root().join("derived"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("index_")
        })
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn same_inputs_config_and_seed_give_byte_identical_outputs() {
    let (a, subs) = generated(150, 5);
    let b = Ws::new();
    let r = b.ingest(&subs);
    assert_eq!(r.code, 0, "{}", r.stderr);
    ok(&b, &["run"]);
    let args = ["index", "--uncertainty", "50", "--seed", "3"];
    ok(&a, &args);
    let first = index_outputs(&a);
    assert_eq!(
        first.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "index_diagnostics.parquet",
            "index_manifest.json",
            "index_ranks.parquet",
            "index_scores.parquet",
            "index_uncertainty.parquet",
            "index_units.parquet"
        ]
    );
    ok(&a, &args);
    assert!(index_outputs(&a) == first, "a second run differs");
    ok(&b, &args);
    let other = index_outputs(&b);
    for (k, v) in &first {
        assert!(&other[k] == v, "{k} differs between two workspaces");
    }
    // another seed: other rank intervals, the same index
    ok(&a, &["index", "--uncertainty", "50", "--seed", "4"]);
    let seed4 = index_outputs(&a);
    assert!(seed4["index_uncertainty.parquet"] != first["index_uncertainty.parquet"]);
    for k in [
        "index_scores.parquet",
        "index_ranks.parquet",
        "index_units.parquet",
        "index_diagnostics.parquet",
    ] {
        assert!(seed4[k] == first[k], "{k} depends on the seed");
    }
    let m = manifest(&a);
    assert_eq!(m["uncertainty"]["seed"], 4);
    assert_eq!(m["uncertainty"]["samples"], 50);
    // without --uncertainty the intervals of an earlier run are removed
    ok(&a, &["index"]);
    let plain = index_outputs(&a);
    assert!(!plain.contains_key("index_uncertainty.parquet"));
    assert_eq!(manifest(&a)["uncertainty"], Value::Null);
    assert!(plain["index_scores.parquet"] == first["index_scores.parquet"]);
}

#[test]
fn units_below_the_availability_threshold_are_screened_out_and_listed() {
    let ws = with_database();
    let fw = ws.file("fw.csv", FRAMEWORK);
    // g reports only x1 (1 of 3), with a value far outside the others: screened out before
    // normalisation, so the other units' scores are those of the hand-computed index
    let data = ws.file("data.csv", format!("{WIDE}g,Gee,1000,,\n"));
    let out = ok(
        &ws,
        &[
            "index",
            "--data",
            s(&data),
            "--framework",
            s(&fw),
            "--name",
            NAMED,
            "--format",
            "csv",
        ],
    );
    assert_eq!(out, HAND_CSV);
    let got = named_scores(&ws);
    assert!(got.keys().all(|(u, _)| u != "g"));
    for (unit, code, _, score, rank) in HAND {
        let row = got[&(unit.to_string(), code.to_string())];
        assert!(same(row.3, *score) && row.4 == *rank, "{unit} {code}");
    }
    let m = named_manifest(&ws);
    assert_eq!(m["screening"]["included"], 6);
    assert_eq!(
        m["screening"]["excluded"],
        serde_json::json!([{"unit_id": "g", "availability": 1.0 / 3.0}])
    );
    assert_eq!(m["screening"]["availability_min"], 2.0 / 3.0);
    // the SQL mart reads the workspace's own index (none yet), never a named run's
    assert_eq!(
        sql(&ws, "select count(*) as n from index_screening"),
        "n\n0\n"
    );
    // the named run's units, read in `citybench sql`: every unit, f kept at exactly 2/3
    assert_eq!(
        sql(
            &ws,
            &format!(
                "select unit_id, unit_name, indicators_present, included, reason from {} order by unit_id",
                named(&ws, "index_units")
            )
        ),
        "unit_id,unit_name,indicators_present,included,reason
a,Alpha,3,true,
b,Beta,3,true,
c,Gamma,3,true,
d,Delta,3,true,
e,Epsilon,3,true,
f,Phi,2,true,
g,Gee,1,false,\"data for 1 of 3 indicators (33.3 %), below the availability threshold of 66.7 %\"
"
    );
    assert_eq!(
        sql(
            &ws,
            &format!(
                "select count(*) as n from {} where unit_id = 'g'",
                named(&ws, "index_scores")
            )
        ),
        "n\n0\n"
    );
    // a stricter threshold screens f out too, with its own reason
    configure(
        &ws,
        &[(
            "# availability_min = 0.6666666666666666",
            "availability_min = 0.75",
        )],
    );
    ok(
        &ws,
        &[
            "index",
            "--data",
            s(&data),
            "--framework",
            s(&fw),
            "--name",
            NAMED,
        ],
    );
    assert_eq!(
        sql(
            &ws,
            &format!(
                "select unit_id, reason from {} where not included order by unit_id",
                named(&ws, "index_units")
            )
        ),
        "unit_id,reason
f,\"data for 2 of 3 indicators (66.7 %), below the availability threshold of 75.0 %\"
g,\"data for 1 of 3 indicators (33.3 %), below the availability threshold of 75.0 %\"
"
    );
    let m = named_manifest(&ws);
    assert_eq!(m["screening"]["included"], 5);
    assert_eq!(
        m["screening"]["excluded"],
        serde_json::json!([
            {"unit_id": "f", "availability": 2.0 / 3.0},
            {"unit_id": "g", "availability": 1.0 / 3.0}
        ])
    );
}

#[test]
fn latest_imputation_fills_a_missing_value_from_the_panel() {
    let ws = Ws::new();
    let fw = ws.file("fw.csv", FRAMEWORK);
    // c has no x3 in 2024; its latest earlier value is 60 (2023; the 2022 row comes after
    // it in the file). b's 2023 x1 is not used (b has a 2024 value). The 2025 row is after
    // --year 2024. e reports only in 2023: nothing in 2024, so it is not a unit at all.
    let data = ws.file(
        "long.csv",
        "uCode,iCode,year,value
a,x1,2024,0
a,x2,2024,10
a,x3,2024,50
b,x1,2024,10
b,x1,2023,999
b,x2,2024,30
b,x3,2024,100
c,x1,2024,20
c,x2,2024,50
c,x3,2023,60
c,x3,2022,5
c,x3,2025,999
d,x1,2024,40
d,x2,2024,20
d,x3,2024,0
e,x1,2023,1
e,x2,2023,2
e,x3,2023,3
",
    );
    configure(&ws, &[("imputation = \"none\"", "imputation = \"latest\"")]);
    let args = [
        "index",
        "--data",
        s(&data),
        "--framework",
        s(&fw),
        "--name",
        NAMED,
        "--year",
        "2024",
        "--format",
        "csv",
    ];
    // By hand: x1 a 0, b 25, c 50, d 100; x2 (lower is better) a 100, b 50, c 0, d 75;
    // x3 with c = 60 (min 0, max 100): a 50, b 100, c 60, d 0.
    // P1: a 50, b 37.5, c 25, d 87.5; IDX = (P1 + 2 x3) / 3: a 50, b 237.5/3, c 145/3,
    // d 87.5/3 -> b 1, a 2, c 3, d 4.
    assert_eq!(
        ok(&ws, &args),
        "rank,unit_id,unit_name,IDX,Pillar 1,Pillar 2
1,b,b,79.166667,37.5,100.0
2,a,a,50.0,50.0,50.0
3,c,c,48.333333,25.0,60.0
4,d,d,29.166667,87.5,0.0
"
    );
    let got = named_scores(&ws);
    let c3 = got[&("c".into(), "x3".into())];
    assert_eq!(c3, (None, Some(true), Some(60.0), Some(60.0), Some(2)));
    let imputed: Vec<&(String, String)> = got
        .iter()
        .filter(|(_, v)| v.1 == Some(true))
        .map(|(k, _)| k)
        .collect();
    assert_eq!(imputed, vec![&("c".to_string(), "x3".to_string())]);
    assert_eq!(
        got[&("b".into(), "x1".into())],
        (Some(10.0), Some(false), Some(10.0), Some(25.0), Some(3))
    );
    for (unit, want) in [
        ("a", 50.0),
        ("b", 237.5 / 3.0),
        ("c", 145.0 / 3.0),
        ("d", 87.5 / 3.0),
    ] {
        let v = got[&(unit.to_string(), "IDX".to_string())].3;
        assert!(same(v, Some(want)), "{unit}: {v:?}");
    }
    let m = named_manifest(&ws);
    assert_eq!(m["data"]["year"], 2024);
    assert_eq!(m["data"]["panel"], true);
    assert_eq!(m["data"]["units"], 4);
    assert_eq!(m["imputation"]["method"], "latest");
    assert_eq!(m["imputation"]["cells_imputed"], 1);
    assert_eq!(m["imputation"]["cells_missing_after"], 0);
    assert_eq!(m["screening"]["excluded"], serde_json::json!([]));
    // without imputation c's missing pillar is skipped: c = P1 = 25, below d
    configure(&ws, &[("imputation = \"latest\"", "imputation = \"none\"")]);
    let out = ok(&ws, &args);
    assert!(
        out.ends_with("3,d,d,29.166667,87.5,0.0\n4,c,c,25.0,25.0,\n"),
        "{out}"
    );
    assert_eq!(named_manifest(&ws)["imputation"]["cells_imputed"], 0);
}

#[test]
fn group_ranks_rank_units_within_each_group_of_an_attribute_column() {
    let ws = Ws::new();
    let fw = ws.file("fw.csv", FRAMEWORK);
    // WIDE with a region column; f has no region (ranked overall only)
    let mut wide = String::new();
    for (i, line) in WIDE.lines().enumerate() {
        let region = match i {
            0 => "region",
            1..=3 => "north",
            4 | 5 => "south",
            _ => "",
        };
        wide.push_str(&format!("{line},{region}\n"));
    }
    let data = ws.file("data.csv", wide);
    let args = [
        "index",
        "--data",
        s(&data),
        "--framework",
        s(&fw),
        "--name",
        NAMED,
    ];
    ok(&ws, &args);
    /// code, grouping, group, unit, rank, units ranked in the group
    type RankRow = (String, String, String, String, Option<i64>, i64);
    let ranks = |ws: &Ws| -> Vec<RankRow> {
        let con = duckdb::Connection::open_in_memory().unwrap();
        con.prepare(&format!(
            "select code, grouping, \"group\", unit_id, rank, n from {} order by all",
            named(ws, "index_ranks")
        ))
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
    };
    // (code, grouping, group, unit, rank, units ranked in the group); by hand from the
    // scores of HAND: north = a, b, c; south = d, e
    type HandRank = (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        Option<i64>,
        i64,
    );
    let rows: &[HandRank] = &[
        ("IDX", "all", "all", "a", Some(3), 6),
        ("IDX", "all", "all", "b", Some(1), 6),
        ("IDX", "all", "all", "c", Some(6), 6),
        ("IDX", "all", "all", "d", Some(5), 6),
        ("IDX", "all", "all", "e", Some(1), 6),
        ("IDX", "all", "all", "f", Some(3), 6),
        // north: b 79.17, a 50, c 8.33; south: e 79.17, d 45.83
        ("IDX", "region", "north", "a", Some(2), 3),
        ("IDX", "region", "north", "b", Some(1), 3),
        ("IDX", "region", "north", "c", Some(3), 3),
        ("IDX", "region", "south", "d", Some(2), 2),
        ("IDX", "region", "south", "e", Some(1), 2),
        ("P1", "all", "all", "a", Some(3), 6),
        ("P1", "all", "all", "b", Some(5), 6),
        ("P1", "all", "all", "c", Some(6), 6),
        ("P1", "all", "all", "d", Some(1), 6),
        ("P1", "all", "all", "e", Some(1), 6),
        ("P1", "all", "all", "f", Some(3), 6),
        // north: a 50, b 37.5, c 25; south: d and e tied at 87.5
        ("P1", "region", "north", "a", Some(1), 3),
        ("P1", "region", "north", "b", Some(2), 3),
        ("P1", "region", "north", "c", Some(3), 3),
        ("P1", "region", "south", "d", Some(1), 2),
        ("P1", "region", "south", "e", Some(1), 2),
        // f has no P2: unranked, and not counted in n
        ("P2", "all", "all", "a", Some(3), 5),
        ("P2", "all", "all", "b", Some(1), 5),
        ("P2", "all", "all", "c", Some(5), 5),
        ("P2", "all", "all", "d", Some(4), 5),
        ("P2", "all", "all", "e", Some(2), 5),
        ("P2", "all", "all", "f", None, 5),
        ("P2", "region", "north", "a", Some(2), 3),
        ("P2", "region", "north", "b", Some(1), 3),
        ("P2", "region", "north", "c", Some(3), 3),
        ("P2", "region", "south", "d", Some(2), 2),
        ("P2", "region", "south", "e", Some(1), 2),
    ];
    let want: Vec<RankRow> = rows
        .iter()
        .map(|r| {
            (
                r.0.to_string(),
                r.1.to_string(),
                r.2.to_string(),
                r.3.to_string(),
                r.4,
                r.5,
            )
        })
        .collect();
    assert_eq!(ranks(&ws), want);
    // the attribute is not an indicator: the ranking is the hand-computed one
    assert_eq!(
        ok(&ws, &[&args[..], &["--format", "csv"]].concat()),
        HAND_CSV
    );
    assert_eq!(
        named_manifest(&ws)["group_ranks"],
        serde_json::json!(["region"])
    );
    // [index] group_ranks = ["all"]: the overall ranks only
    configure(
        &ws,
        &[(
            "# group_ranks = [\"continent\", \"population_band\"]",
            "group_ranks = [\"all\"]",
        )],
    );
    ok(&ws, &args);
    let only_all: Vec<_> = want.iter().filter(|r| r.1 == "all").cloned().collect();
    assert_eq!(ranks(&ws), only_all);
    assert_eq!(named_manifest(&ws)["group_ranks"], serde_json::json!([]));
}

/// Run a command that must fail with exit code 2 and exactly `message` on stderr.
fn fails(ws: &Ws, args: &[&str], message: &str) {
    let r = ws.run(args);
    assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout, r.stderr);
    assert_eq!(r.stderr, format!("error: {message}\n"), "{args:?}");
    assert_eq!(r.stdout, "", "{args:?}");
}

#[test]
fn errors_name_the_file_line_field_and_what_to_do() {
    let ws = Ws::new();
    let fw = ws.file("fw.csv", FRAMEWORK);
    let data = ws.file("data.csv", WIDE);
    // no run yet: the workspace index has nothing to read
    fails(
        &ws,
        &["index"],
        &format!(
            "{}/derived/aligned.parquet does not exist: run `citybench run` first (the index uses the aligned values of the analysis year), or give --data FILE",
            ws.root().display()
        ),
    );
    // a bad row in the framework or the data file, named by its line in the file (blank
    // lines and CRLF line ends counted)
    let parent = "Parent: 'P9' of 'x2' is not a code of the framework";
    let lots = "x2: 'lots' is not a number; write a plain decimal such as 12.5, or leave the cell empty (or NA) for a missing value";
    let cases = [
        // (file, text, is it the framework, line, message)
        (
            "bad_fw.csv",
            FRAMEWORK.replace("x2,Two,1,P1", "x2,Two,1,P9"),
            true,
            3,
            parent,
        ),
        (
            "spaced_fw.csv",
            FRAMEWORK.replace("x2,Two,1,P1", "\r\n\nx2,Two,1,P9"),
            true,
            5,
            parent,
        ),
        (
            "bad_data.csv",
            WIDE.replace("c,Gamma,20,50,0", "c,Gamma,20,lots,0"),
            false,
            4,
            lots,
        ),
        (
            "spaced.csv",
            WIDE.replace("c,Gamma,20,50,0", "\n\nc,Gamma,20,lots,0"),
            false,
            6,
            lots,
        ),
    ];
    for (name, text, is_framework, line, message) in cases {
        let f = ws.file(name, text);
        let (d, w) = if is_framework { (&data, &f) } else { (&f, &fw) };
        fails(
            &ws,
            &["index", "--data", s(d), "--framework", s(w)],
            &format!("{}:{line}: {message}", f.display()),
        );
    }
    // an indicator of the framework absent from the data
    let no_x3 = ws.file(
        "no_x3.csv",
        "uCode,x1,x2,GDP_group\na,1,2,high\nb,3,4,low\n",
    );
    fails(
        &ws,
        &["index", "--data", s(&no_x3), "--framework", s(&fw)],
        &format!(
            "indicator 'x3' of the framework has no values in {}; its columns/indicators are: x1, x2",
            no_x3.display()
        ),
    );
    // choices that cannot work together are configuration errors, before any work
    let cfg = ws.root().join("citybench.toml");
    configure(
        &ws,
        &[
            ("normalisation = \"minmax\"", "normalisation = \"zscore\""),
            (
                "aggregation = \"arithmetic\"",
                "aggregation = \"geometric\"",
            ),
        ],
    );
    fails(
        &ws,
        &["index", "--data", s(&data), "--framework", s(&fw)],
        &format!(
            "{}: index: zscore normalisation gives negative values, which the geometric mean cannot take; use minmax, percentile or rank",
            cfg.display()
        ),
    );
    configure(
        &ws,
        &[
            ("normalisation = \"zscore\"", "normalisation = \"minmax\""),
            (
                "aggregation = \"geometric\"",
                "aggregation = \"arithmetic\"",
            ),
            (
                "normalisations = [\"minmax\", \"rank\"]",
                "normalisations = [\"percentile\"]",
            ),
            (
                "aggregations = [\"arithmetic\", \"geometric\"]",
                "aggregations = [\"geometric\"]",
            ),
        ],
    );
    let unc = [
        "index",
        "--data",
        s(&data),
        "--framework",
        s(&fw),
        "--uncertainty",
        "10",
    ];
    fails(
        &ws,
        &unc,
        &format!(
            "{}: index.uncertainty: percentile normalisation gives values of 0 or below, which the geometric mean cannot take in every sample; pair it with the arithmetic mean only, or use rank or minmax with minmax_range starting above 0",
            cfg.display()
        ),
    );
    // the same alternatives are fine without --uncertainty
    assert_eq!(
        ok(
            &ws,
            &[
                "index",
                "--data",
                s(&data),
                "--framework",
                s(&fw),
                "--format",
                "csv"
            ]
        ),
        HAND_CSV
    );
    // --year belongs to a --data panel
    fails(
        &ws,
        &["index", "--year", "2024"],
        "--year applies to a --data panel; the workspace index uses the analysis year of the last `citybench run` (run it with --year)",
    );
    // a --data file of an unknown type
    let txt = ws.file("data.txt", WIDE);
    fails(
        &ws,
        &["index", "--data", s(&txt), "--framework", s(&fw)],
        &format!(
            "{}: unknown file type; --data takes a .csv or .parquet file (long: uCode, iCode, value[, year]; wide: uCode and one column per indicator)",
            txt.display()
        ),
    );
    // nothing was written by the failing commands after the one good run
    assert!(!ws.root().join("derived/index_uncertainty.parquet").exists());
}

#[test]
fn data_and_choice_errors_name_what_would_be_accepted() {
    let ws = Ws::new();
    let fw = ws.file("fw.csv", FRAMEWORK);
    let run = |data: &Path| ["index", "--data", s(data), "--framework", s(&fw)].map(String::from);
    let go = |data: &Path, msg: &str| {
        let a = run(data);
        fails(&ws, &a.iter().map(String::as_str).collect::<Vec<_>>(), msg)
    };
    // long table: two values for one unit, indicator and year
    let dup = ws.file(
        "dup.csv",
        "uCode,iCode,value,year\na,x1,1,2024\na,x2,2,2024\na,x1,3,2024\n",
    );
    go(
        &dup,
        &format!(
            "{}:4: unit 'a', indicator 'x1', year 2024: a second value (the first is on line 2); give one value per unit, indicator and year",
            dup.display()
        ),
    );
    // a year that is not a whole year
    let year = ws.file("year.csv", "uCode,year,x1,x2,x3\na,20x4,1,2,3\n");
    go(
        &year,
        &format!(
            "{}:2: year: '20x4' is not a year; write a whole year such as 2024",
            year.display()
        ),
    );
    // no unit column
    let nounit = ws.file("nounit.csv", "id,x1,x2,x3\na,1,2,3\n");
    go(
        &nounit,
        &format!(
            "{}: no unit column; name it uCode (or city_id); the columns are: id, x1, x2, x3",
            nounit.display()
        ),
    );
    // no column of the framework at all
    let none = ws.file("none.csv", "uCode,other\na,1\n");
    go(
        &none,
        &format!(
            "{}: no values for the framework's indicators; a wide table has one column per indicator (x1, x2, x3), a long table has uCode, iCode and value columns",
            none.display()
        ),
    );
    // every unit below the availability threshold
    let sparse = ws.file("sparse.csv", "uCode,x1,x2,x3\na,1,,3\nb,,2,3\n");
    configure(
        &ws,
        &[(
            "# availability_min = 0.6666666666666666",
            "availability_min = 1.0",
        )],
    );
    go(
        &sparse,
        "no unit has data for at least 100.0 % of the 3 indicators ([index] availability_min); lower it or add data",
    );
    configure(&ws, &[("availability_min = 1.0", "")]);
    // an unknown grouping for group ranks lists the data's attributes and the registry's
    let data = ws.file("data.csv", "uCode,x1,x2,x3,region\na,1,2,3,north\n");
    configure(
        &ws,
        &[(
            "# group_ranks = [\"continent\", \"population_band\"]",
            "group_ranks = [\"regoin\"]",
        )],
    );
    let registry = citybench::registry::Registry::embedded().unwrap();
    go(
        &data,
        &format!(
            "unknown grouping 'regoin'; valid groupings: region, {}",
            citybench::pipeline::groups::valid_names(&registry).join(", ")
        ),
    );
    configure(&ws, &[("group_ranks = [\"regoin\"]", "")]);
    // choices the framework cannot serve, refused before any work
    let cfg = ws.root().join("citybench.toml");
    configure(
        &ws,
        &[("normalisation = \"minmax\"", "normalisation = \"target\"")],
    );
    go(
        &data,
        &format!(
            "{}: index: target normalisation needs a target for every indicator; 3 of 3 have none (first: x1, x2, x3); give them in targets.csv or the framework's Worst/Target columns, or choose another normalisation",
            cfg.display()
        ),
    );
    configure(
        &ws,
        &[
            ("normalisation = \"target\"", "normalisation = \"minmax\""),
            ("denominate = false", "denominate = true"),
        ],
    );
    go(
        &data,
        &format!(
            "{}: index.denominate = true, but the framework names no Denominator for any indicator",
            cfg.display()
        ),
    );
}

#[test]
fn uncertainty_gives_ordered_rank_intervals_for_every_ranked_unit() {
    let (ws, _) = generated(150, 9);
    let out = ok(
        &ws,
        &[
            "index",
            "--uncertainty",
            "200",
            "--seed",
            "9",
            "--format",
            "csv",
        ],
    );
    assert!(
        out.starts_with(
            "rank,unit_id,unit_name,index,Economy,Environment,Society and Culture,median_rank,rank_p05,rank_p95\n"
        ),
        "{out}"
    );
    assert_eq!(out.lines().count(), 151);
    let con = duckdb::Connection::open_in_memory().unwrap();
    let count = |q: &str| -> i64 {
        con.query_row(q, [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{e}\n{q}"))
    };
    let unc = derived(&ws, "index_uncertainty");
    let sc = derived(&ws, "index_scores");
    let ranked = count(&format!(
        "select count(*) from {sc} where code = 'index' and rank is not null"
    ));
    assert_eq!(ranked, 150);
    assert_eq!(count(&format!("select count(*) from {unc}")), ranked);
    assert_eq!(
        count(&format!("select count(*) from {unc} where samples = 200")),
        ranked
    );
    assert_eq!(
        count(&format!(
            "select count(*) from {unc} where not (rank_p05 <= median_rank and median_rank <= rank_p95)
                or rank_p05 < 1 or rank_p95 > {ranked} or mean_rank < 1 or mean_rank > {ranked}
                or abs(rank_interval - (rank_p95 - rank_p05)) > 1e-9
                or median_rank is null or rank_p05 is null or rank_p95 is null"
        )),
        0,
        "rank intervals out of order"
    );
    // the nominal rank and score are those of index_scores
    assert_eq!(
        count(&format!(
            "select count(*) from {unc} u join {sc} s using (unit_id)
             where s.code = 'index' and (s.rank = u.nominal_rank and s.score = u.nominal_score)"
        )),
        ranked
    );
    // not every rank is certain under the noise
    assert!(
        count(&format!(
            "select count(*) from {unc} where rank_interval > 0"
        )) > 0
    );
    // the SQL mart: one row per ranked unit
    assert_eq!(
        sql(
            &ws,
            "select count(*) as n, count(distinct unit_id) as units, min(samples) as lo, max(samples) as hi from index_uncertainty"
        ),
        format!("n,units,lo,hi\n{ranked},{ranked},200,200\n")
    );
    assert_eq!(
        sql(
            &ws,
            "select count(*) as n from index_uncertainty u join index_ranks r using (unit_id)
             where r.grouping = 'all' and r.code = 'index' and r.rank = u.nominal_rank"
        ),
        format!("n\n{ranked}\n")
    );
    let m = manifest(&ws);
    assert_eq!(m["uncertainty"]["samples"], 200);
    assert_eq!(m["uncertainty"]["seed"], 9);
    assert_eq!(m["uncertainty"]["weight_noise"], 0.25);
    // the checks, assert_index_ranges among them, return no rows
    let check = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/queries/checks/assert_index_ranges.sql"
    );
    assert_eq!(
        ok(&ws, &["sql", "-f", check, "--format", "csv"]),
        "table_name,unit_id,detail\n"
    );
    for (name, file, _) in citybench::warehouse::CHECKS {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/").to_string() + file;
        let r = ws.run(&["sql", "-f", &path, "--format", "csv"]);
        assert_eq!(r.code, 0, "{name}: {}", r.stderr);
        assert_eq!(r.stdout.lines().count(), 1, "{name}:\n{}", r.stdout);
    }
    // the table format adds the least stable ranks
    let table = ok(
        &ws,
        &["index", "--uncertainty", "200", "--seed", "9", "--top", "3"],
    );
    assert!(
        table.contains("\nLeast stable ranks over 200 samples (widest 5th-95th percentile rank interval; weights x U(0.75, 1.25), normalisation minmax/rank, aggregation arithmetic/geometric):\n"),
        "{table}"
    );
}

#[test]
fn sensitivity_indices_are_seeded_published_and_cover_every_factor() {
    let (ws, _) = generated(120, 13);
    configure(
        &ws,
        &[
            ("imputations = []", "imputations = [\"none\", \"mean\"]"),
            ("treatments = []", "treatments = [\"none\", \"jrc\"]"),
            ("bootstrap = 100", "bootstrap = 40"),
        ],
    );
    let args = [
        "index",
        "--uncertainty",
        "20",
        "--sensitivity",
        "--seed",
        "5",
        "--top",
        "2",
    ];
    let out = ok(&ws, &args);
    assert!(
        out.contains("\nLeast stable ranks over 40 samples (widest 5th-95th percentile rank interval; weights x U(0.75, 1.25), normalisation minmax/rank, aggregation arithmetic/geometric, imputation none/mean, treatment none/jrc):\n"),
        "{out}"
    );
    assert!(
        out.contains("\nSensitivity of the mean absolute rank change (variance "),
        "{out}"
    );
    assert!(
        out.contains(") over 140 builds (20 per factor; first order: Saltelli 2010, total effect: Jansen 1999; 5th-95th percentiles of 40 bootstrap resamples; per unit in index_sensitivity):\nfactor "),
        "{out}"
    );
    let first = index_outputs(&ws);
    assert!(first.contains_key("index_sensitivity.parquet"));
    ok(&ws, &args);
    assert!(index_outputs(&ws) == first, "a second run differs");
    let m = manifest(&ws);
    assert_eq!(m["uncertainty"]["samples"], 40);
    assert_eq!(
        m["uncertainty"]["sensitivity"],
        serde_json::json!({
            "factors": ["weights", "normalisation", "aggregation", "imputation", "treatment"],
            "samples_per_factor": 20,
            "builds": 140,
            "estimators": "Saltelli 2010 (first order), Jansen 1999 (total effect)",
            "bootstrap": 40
        })
    );
    assert_eq!(
        m["uncertainty"]["imputations"],
        serde_json::json!(["none", "mean"])
    );
    let con = duckdb::Connection::open_in_memory().unwrap();
    let count = |q: &str| -> i64 {
        con.query_row(q, [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{e}\n{q}"))
    };
    let t = derived(&ws, "index_sensitivity");
    let units = count(&format!(
        "select count(*) from {} where code = 'index' and rank is not null",
        derived(&ws, "index_scores")
    ));
    // one row per factor for the overall target, and per factor and ranked unit
    assert_eq!(count(&format!("select count(*) from {t}")), 5 * (1 + units));
    assert_eq!(
        count(&format!(
            "select count(*) from {t} where target = 'mean_abs_rank_change' and unit_id is null
             and first_order_p05 <= first_order_p95 and total_effect_p05 <= total_effect_p95
             and total_effect >= 0 and variance > 0 and samples_per_factor = 20"
        )),
        5
    );
    assert_eq!(
        count(&format!(
            "select count(distinct unit_id) from {t} where target = 'rank' and first_order_p05 is null"
        )),
        units
    );
    // total effects are sums of squares: never negative
    assert_eq!(
        count(&format!("select count(*) from {t} where total_effect < 0")),
        0
    );
    // the mart adds the interactions, and is served by the database
    assert_eq!(
        sql(
            &ws,
            "select count(*) as n, count(distinct factor) as factors, sum(case when abs(interactions - (total_effect - first_order)) > 1e-12 then 1 else 0 end) as bad from index_sensitivity"
        ),
        format!("n,factors,bad\n{},5,0\n", 5 * (1 + units))
    );
    // another seed: other indices, the same index; without --sensitivity the table goes
    ok(
        &ws,
        &[
            "index",
            "--uncertainty",
            "20",
            "--sensitivity",
            "--seed",
            "6",
        ],
    );
    let seed6 = index_outputs(&ws);
    assert!(seed6["index_sensitivity.parquet"] != first["index_sensitivity.parquet"]);
    assert!(seed6["index_scores.parquet"] == first["index_scores.parquet"]);
    ok(&ws, &["index", "--uncertainty", "20"]);
    assert!(!index_outputs(&ws).contains_key("index_sensitivity.parquet"));
    assert_eq!(manifest(&ws)["uncertainty"].get("sensitivity"), None);
}

#[test]
fn sensitivity_refuses_too_few_samples_or_factors() {
    let (ws, _) = generated(30, 3);
    fails(
        &ws,
        &["index", "--uncertainty", "2", "--sensitivity"],
        "--sensitivity needs --uncertainty N with N >= 3 samples per factor (got 2)",
    );
    // the samples' weights and ranks must fit in memory: 30 cities, 226 nodes
    let r = ws.run(&["index", "--uncertainty", "1000000000", "--sensitivity"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    // 5e9 builds x (226 nodes + 30 units) x 8 bytes = 10 240 GB
    assert_eq!(
        r.stderr,
        "error: --uncertainty 1000000000: 5000000000 builds of 30 units would keep about 10240.0 GB of weights and ranks in memory, more than the 4 GB allowed; use fewer samples\n"
    );
    configure(
        &ws,
        &[(
            "normalisations = [\"minmax\", \"rank\"]",
            "normalisations = [\"rank\"]",
        )],
    );
    configure(
        &ws,
        &[(
            "aggregations = [\"arithmetic\", \"geometric\"]",
            "aggregations = [\"geometric\"]",
        )],
    );
    fails(
        &ws,
        &["index", "--uncertainty", "10", "--sensitivity"],
        "--sensitivity needs at least two uncertain factors; [index.uncertainty] varies weights (weights vary when weight_noise > 0; normalisations, aggregations, imputations, treatments and weight_sets when they list two or more); use --uncertainty without --sensitivity for rank intervals",
    );
    let r = ws.run(&["index", "--sensitivity"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--uncertainty <N>"), "{}", r.stderr);
}

/// Three units over two years (COINr's `Time`).
const PANEL: &str = "uCode,Time,x1,x2,x3
a,2020,0,10,50
b,2020,10,30,100
c,2020,20,50,0
a,2021,40,20,100
b,2021,20,10,50
c,2021,30,50,0
";

// By hand, min-max over the six unit-years stacked (global), after the direction:
//   x1 (min 0, max 40):           a20 0,   b20 25,  c20 50, a21 100,  b21 50,  c21 75
//   x2 (x -1: min -50, max -10):  a20 100, b20 50,  c20 0,  a21 75,   b21 100, c21 0
//   x3 (min 0, max 100):          a20 50,  b20 100, c20 0,  a21 100,  b21 50,  c21 0
//   P1 = (x1 + x2) / 2:           a20 50,  b20 37.5, c20 25, a21 87.5, b21 75, c21 37.5
//   IDX = (P1 + 2 x3) / 3:        a20 50, b20 237.5/3, c20 25/3, a21 287.5/3, b21 175/3,
//                                 c21 37.5/3
//   ranks within the year:        2020: b 1, a 2, c 3; 2021: a 1, b 2, c 3
// Year by year instead, 2021 alone: x1 a 100, b 0, c 50; x2 a 75, b 100, c 0; x3 a 100,
//   b 50, c 0; IDX a 287.5/3, b (50 + 100)/3 = 50, c 25/3.
#[test]
fn a_panel_is_normalised_over_all_years_and_ranked_within_each() {
    let ws = with_database();
    let fw = ws.file("fw.csv", FRAMEWORK);
    let data = ws.file("panel.csv", PANEL);
    let args = [
        "index",
        "--data",
        s(&data),
        "--framework",
        s(&fw),
        "--panel",
        "--name",
        NAMED,
        "--format",
        "csv",
    ];
    assert_eq!(
        ok(&ws, &args),
        "year,rank,unit_id,unit_name,IDX,Pillar 1,Pillar 2
2020,1,b,b,79.166667,37.5,100.0
2020,2,a,a,50.0,50.0,50.0
2020,3,c,c,8.333333,25.0,0.0
2021,1,a,a,95.833333,87.5,100.0
2021,2,b,b,58.333333,75.0,50.0
2021,3,c,c,12.5,37.5,0.0
"
    );
    let con = duckdb::Connection::open_in_memory().unwrap();
    let rows = |q: &str| -> Vec<(i32, String, f64, i64)> {
        let mut st = con.prepare(q).unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    let idx = rows(&format!(
        "select year, unit_id, score, rank from {} where code = 'IDX' order by year, unit_id",
        named(&ws, "index_scores")
    ));
    let want = [
        (2020, "a", 50.0, 2),
        (2020, "b", 237.5 / 3.0, 1),
        (2020, "c", 25.0 / 3.0, 3),
        (2021, "a", 287.5 / 3.0, 1),
        (2021, "b", 175.0 / 3.0, 2),
        (2021, "c", 37.5 / 3.0, 3),
    ];
    assert_eq!(idx.len(), want.len());
    for (got, w) in idx.iter().zip(want) {
        assert!(
            got.0 == w.0 && got.1 == w.1 && (got.2 - w.2).abs() < 1e-9 && got.3 == w.3,
            "{got:?} != {w:?}"
        );
    }
    // x1 of a in 2021 is the global max: 100, in 2020 the global min: 0
    let x1 = rows(&format!(
        "select year, unit_id, score, rank from {} where code = 'x1' and unit_id = 'a' order by year",
        named(&ws, "index_scores")
    ));
    assert_eq!(
        x1,
        [(2020, "a".into(), 0.0, 3), (2021, "a".into(), 100.0, 1)]
    );
    // every table has the year first; ranks are within the year
    for t in [
        "index_scores",
        "index_ranks",
        "index_units",
        "index_diagnostics",
    ] {
        let first: String = con
            .query_row(
                &format!(
                    "select column_name from (describe select * from {}) limit 1",
                    named(&ws, t)
                ),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(first, "year", "{t}");
        let years: i64 = con
            .query_row(
                &format!("select count(distinct year) from {}", named(&ws, t)),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(years, 2, "{t}");
    }
    let m = named_manifest(&ws);
    assert_eq!(
        m["panel"],
        serde_json::json!({
            "normalisation": "global",
            "years": [
                {"year": 2020, "units": 3, "included": 3, "cells_imputed": 0},
                {"year": 2021, "units": 3, "included": 3, "cells_imputed": 0}
            ]
        })
    );
    // year by year: 2021 on its own
    configure(
        &ws,
        &[(
            "panel_normalisation = \"global\"",
            "panel_normalisation = \"per_year\"",
        )],
    );
    let out = ok(&ws, &args);
    assert!(out.ends_with("2021,1,a,a,95.833333,87.5,100.0\n2021,2,b,b,50.0,50.0,50.0\n2021,3,c,c,8.333333,25.0,0.0\n"), "{out}");
    assert_eq!(named_manifest(&ws)["panel"]["normalisation"], "per_year");
    // a reference unit has a value per year: no one reference for the stacked years
    configure(
        &ws,
        &[
            (
                "panel_normalisation = \"per_year\"",
                "panel_normalisation = \"global\"",
            ),
            (
                "normalisation = \"minmax\"\n",
                "normalisation = \"dist2ref\"\n",
            ),
            ("# reference_unit = \"CITY-1\"", "reference_unit = \"a\""),
        ],
    );
    fails(
        &ws,
        &args,
        "index.panel_normalisation = \"global\" with dist2ref against a reference unit: the unit has a value per year, so the stacked years have no one reference; give reference_value, or panel_normalisation = \"per_year\"",
    );
    configure(
        &ws,
        &[
            (
                "normalisation = \"dist2ref\"\n",
                "normalisation = \"minmax\"\n",
            ),
            ("reference_unit = \"a\"", "# reference_unit = \"CITY-1\""),
        ],
    );
    // refusals
    let wide = ws.file("wide.csv", WIDE);
    // `index --data FILE --framework fw --panel EXTRA...` fails with `message`
    let refused = |file: &Path, extra: &[&str], message: &str| {
        let mut args = vec!["index", "--data", s(file), "--framework", s(&fw), "--panel"];
        args.extend(extra);
        fails(&ws, &args, message);
    };
    refused(
        &wide,
        &[],
        &format!(
            "--panel: {} has no year (or Time) column; a panel has one row per unit and year (wide) or per unit, indicator and year (long)",
            wide.display()
        ),
    );
    refused(
        &data,
        &["--uncertainty", "10"],
        "--panel with --uncertainty: the uncertainty analysis runs on one year; use --year YEAR instead of --panel for it",
    );
    refused(
        &data,
        &["--years", "1990..1995"],
        &format!(
            "--years 1990..1995: {} has no year in that range; its years are 2020..2021",
            data.display()
        ),
    );
    configure(
        &ws,
        &[(
            "# [index.optimise_weights]\n# level = 2",
            "[index.optimise_weights]\nlevel = 2",
        )],
    );
    refused(
        &data,
        &[],
        "--panel with [index.optimise_weights]: weights are optimised on one year's index; run that with --year YEAR, then give the optimised weights (the manifest's weights.optimised) as a Weight_<name> column of the framework and select it with [index] weights",
    );
    configure(
        &ws,
        &[(
            "[index.optimise_weights]\nlevel = 2",
            "# [index.optimise_weights]\n# level = 2",
        )],
    );
    let r = ws.run(&["index", "--data", s(&data), "--panel", "--year", "2020"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--panel"), "{}", r.stderr);
}

#[test]
fn a_workspace_panel_aligns_each_year_as_run_does_and_publishes_nothing() {
    let (ws, _) = generated(60, 21);
    ok(&ws, &["index"]);
    let single = scores(&ws);
    let published = std::fs::read(ws.root().join("derived/index_scores.parquet")).unwrap();
    configure(
        &ws,
        &[(
            "panel_normalisation = \"global\"",
            "panel_normalisation = \"per_year\"",
        )],
    );
    let args = [
        "index",
        "--panel",
        "--years",
        "2022..2024",
        "--name",
        NAMED,
        "--format",
        "csv",
    ];
    let out = ok(&ws, &args);
    assert!(
        out.starts_with("year,rank,unit_id,unit_name,index,"),
        "{out}"
    );
    let years: std::collections::BTreeSet<&str> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(
        years.into_iter().collect::<Vec<_>>(),
        ["2022", "2023", "2024"]
    );
    // year by year, the panel's 2024 is the workspace's own index of analysis year 2024
    // (each city's latest value in [2022, 2024], as `run` aligned it)
    let con = duckdb::Connection::open_in_memory().unwrap();
    let mut st = con
        .prepare(&format!(
            "select unit_id, code, score, rank from {} where year = 2024",
            named(&ws, "index_scores")
        ))
        .unwrap();
    let rows: Vec<(String, String, Option<f64>, Option<i64>)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(rows.len(), single.len());
    for (u, c, score, rank) in rows {
        let want = &single[&(u.clone(), c.clone())];
        assert!(
            same(score, want.3) && rank == want.4,
            "{u} {c}: {score:?} {rank:?} != {want:?}"
        );
    }
    // the published index is not replaced by a panel
    assert!(std::fs::read(ws.root().join("derived/index_scores.parquet")).unwrap() == published);
    assert_eq!(
        named_manifest(&ws)["panel"]["years"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    // globally normalised, 2024's scores differ (the bounds span three years) but its
    // ranks of the indicators do not
    configure(
        &ws,
        &[(
            "panel_normalisation = \"per_year\"",
            "panel_normalisation = \"global\"",
        )],
    );
    ok(&ws, &args);
    let differ: i64 = con
        .query_row(
            &format!(
                "select count(*) from {} p where year = 2024 and code = 'index' and abs(score - (select score from read_parquet('{}') s where s.unit_id = p.unit_id and s.code = 'index')) > 1e-9",
                named(&ws, "index_scores"),
                ws.root().join("derived/index_scores.parquet").display()
            ),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(differ > 0, "global normalisation changed no 2024 score");
    // refusals
    fails(
        &ws,
        &["index", "--panel", "--years", "2024..2022"],
        "--years '2024..2022': write FROM..TO with FROM <= TO, e.g. 2018..2024",
    );
    fails(
        &ws,
        &["index", "--panel", "--years", "1990..1995"],
        &format!(
            "--panel: {} has no observations in 1990..1995",
            ws.root().join("derived/observations.parquet").display()
        ),
    );
    let r = ws.run(&["index", "--years", "2022..2024"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--panel"), "{}", r.stderr);
}

#[test]
fn the_index_example_queries_run_on_an_indexed_workspace() {
    let (ws, _) = generated(150, 11);
    ok(&ws, &["index", "--uncertainty", "20", "--seed", "2"]);
    let example = |name: &str| -> Vec<csv::StringRecord> {
        let path = format!("{}/queries/examples/{name}.sql", env!("CARGO_MANIFEST_DIR"));
        let out = ok(&ws, &["sql", "-f", &path, "--format", "csv"]);
        csv::Reader::from_reader(out.as_bytes())
            .records()
            .map(|r| r.unwrap())
            .collect()
    };
    // the top 20 with their intervals (uncertainty has run: no empty interval)
    let top = example("index_rank_intervals");
    assert_eq!(top.len(), 20);
    let sc = scores(&ws);
    for (i, r) in top.iter().enumerate() {
        let rank: i64 = r[0].parse().unwrap();
        assert_eq!(sc[&(r[1].to_string(), "index".to_string())].4, Some(rank));
        assert!(i == 0 || rank >= top[i - 1][0].parse::<i64>().unwrap());
        assert!(
            !r[4].is_empty() && !r[5].is_empty() && !r[6].is_empty(),
            "{r:?}"
        );
    }
    // the three leaders of each continent, recomputed from index_scores and cities
    let leaders = example("index_leaders_by_continent");
    let con = duckdb::Connection::open_in_memory().unwrap();
    let mut st = con
        .prepare(&format!(
            "with s as (select s.unit_id, s.unit_name, s.score, s.rank, c.continent
                        from {} s join {} c on c.city_id = s.unit_id
                        where s.code = 'index' and s.rank is not null and c.continent <> ''),
                  r as (select *, rank() over (partition by continent order by score desc) as rc from s)
             select continent, rc, unit_name, rank from r where rc <= 3 order by continent, rc, unit_id",
            derived(&ws, "index_scores"),
            derived(&ws, "cities")
        ))
        .unwrap();
    let want: Vec<(String, i64, String, i64)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert!(want.len() >= 9, "{want:?}");
    let got: Vec<(String, i64, String, i64)> = leaders
        .iter()
        .map(|r| {
            (
                r[0].to_string(),
                r[1].parse().unwrap(),
                r[2].to_string(),
                r[4].parse().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, want);
}

/// x1 per head (pop from the denominator table), x2 lower-is-better written as pandas
/// writes it (-1.0), x3 per 100 of area (a column of the data).
const DENOM_FRAMEWORK: &str = "iCode,Level,Parent,Weight,Direction,Type,Denominator,Scale
x1,1.0,P1,1.0,1.0,Indicator,pop,
x2,1.0,P1,1.0,-1.0,Indicator,,
x3,1.0,P2,1.0,1.0,Indicator,area,100
pop,,,,,Denominator,,
P1,2.0,IDX,1.0,,Aggregate,,
P2,2.0,IDX,2.0,,Aggregate,,
IDX,3.0,,1.0,,Aggregate,,
";

const DENOM_DATA: &str = "uCode,x1,x2,x3,area
a,10,1,5,10
b,40,2,10,20
c,90,3,30,10
";

/// pop for every unit (and one the data does not have); its area is not used (the
/// data has that column).
const DENOMS: &str = "uCode,pop,area
a,1,999
b,2,999
c,3,999
z,5,5
";

#[test]
fn a_denominator_table_supplies_the_denominators_the_data_lacks() {
    let ws = Ws::new();
    let fw = ws.file("fw.csv", DENOM_FRAMEWORK);
    let data = ws.file("data.csv", DENOM_DATA);
    let table = ws.root().join("denoms.csv");
    std::fs::write(&table, DENOMS).unwrap();
    configure(
        &ws,
        &[(
            "denominate = false",
            "denominate = true\ndenominators = \"denoms.csv\"",
        )],
    );
    let args = [
        "index",
        "--data",
        s(&data),
        "--framework",
        s(&fw),
        "--name",
        NAMED,
        "--format",
        "csv",
    ];
    // x1 / pop: 10 20 30 -> 0 50 100; x2 (-1.0): 1 2 3 -> 100 50 0;
    // x3 / area x 100 (the data's area): 50 50 300 -> 0 0 100;
    // P1 = 50 50 50, P2 = 0 0 100, IDX = (P1 + 2 P2) / 3 = 50/3 50/3 250/3
    assert_eq!(
        ok(&ws, &args),
        "rank,unit_id,unit_name,IDX,P1,P2
1,c,c,83.333333,50.0,100.0
2,a,a,16.666667,50.0,0.0
2,b,b,16.666667,50.0,0.0
"
    );
    let got = named_scores(&ws);
    let raw = |u: &str, c: &str| got[&(u.to_string(), c.to_string())].0;
    assert_eq!(
        (raw("a", "x1"), raw("b", "x1"), raw("c", "x1")),
        (Some(10.0), Some(20.0), Some(30.0))
    );
    assert_eq!(raw("c", "x3"), Some(300.0));
    let m = named_manifest(&ws);
    assert_eq!(m["data"]["denominators"]["source"], "denoms.csv");
    assert_eq!(m["config"]["denominators"], "denoms.csv");
    // errors name the table, and the line and column of a bad cell
    let t = table.display();
    let cases = [
        (
            DENOMS.replace("b,2,999\n", ""),
            format!(
                "{t}: no row for unit 'b'; a denominator table needs a row for every unit of the data (1 of 3 have none)"
            ),
        ),
        (
            DENOMS.replace("b,2,999\n", "").replace("c,3,999\n", ""),
            format!(
                "{t}: no row for unit 'b'; a denominator table needs a row for every unit of the data (2 of 3 have none: b, c)"
            ),
        ),
        (
            DENOMS.replace("uCode,pop,area", "uCode,population,area"),
            format!(
                "{t}: no column 'pop' (the Denominator of indicator 'x1', which the data lacks too); its columns are: uCode, population, area"
            ),
        ),
        (
            DENOMS.replace("c,3,999", "c,three,999"),
            format!(
                "{t}:4: pop: 'three' is not a number; write a plain decimal such as 12.5, or leave the cell empty (or NA) for a missing denominator"
            ),
        ),
        (
            DENOMS.replace("z,5,5", "b,5,5"),
            format!(
                "{t}:5: uCode: unit 'b' has a second row (the first is on line 3); give one row per unit"
            ),
        ),
        (
            DENOMS.replace("uCode,", "id,"),
            format!(
                "{t}: no unit column; a denominator table has a uCode (or city_id) column and one column per denominator; its columns are: id, pop, area"
            ),
        ),
    ];
    for (text, message) in cases {
        std::fs::write(&table, text).unwrap();
        fails(&ws, &args, &message);
    }
    // an empty cell is a missing denominator: a's x1 is missing
    std::fs::write(&table, DENOMS.replace("a,1,999", "a,,999")).unwrap();
    ok(&ws, &args);
    assert_eq!(named_scores(&ws)[&("a".into(), "x1".into())].0, None);
    // without the table, the missing denominator is named with the way out
    configure(&ws, &[("denominators = \"denoms.csv\"", "")]);
    fails(
        &ws,
        &args,
        &format!(
            "denominator 'pop' of indicator 'x1' has no values in {}; add it to the data or give a denominator table ([index] denominators = \"FILE.csv\": uCode and one column per denominator)",
            data.display()
        ),
    );
}

#[test]
fn per_indicator_normalisation_from_the_config_and_its_manifest_record() {
    let ws = Ws::new();
    let fw = ws.file("fw.csv", FRAMEWORK);
    let data = ws.file("data.csv", WIDE);
    let args = [
        "index",
        "--data",
        s(&data),
        "--framework",
        s(&fw),
        "--name",
        NAMED,
        "--format",
        "csv",
    ];
    ok(&ws, &args);
    // at their defaults the new settings are not in the manifest (it reads as before)
    let m = named_manifest(&ws);
    for key in ["zscore_mean_sd", "scaled_bounds", "target_cap", "normalise"] {
        assert!(m["config"].get(key).is_none(), "{key}: {}", m["config"]);
    }
    let p = ws.root().join("citybench.toml");
    let mut t = std::fs::read_to_string(&p).unwrap();
    t.push_str("\n[index.normalise.x2]\nmethod = \"prank\"\n");
    std::fs::write(&p, t).unwrap();
    ok(&ws, &args);
    // x2 (lower is better) 10 30 50 20 10 30 as a percentile rank on 0-1: directed
    // -10 -30 -50 -20 -10 -30 rank (ties at the smallest) 5 2 1 4 5 2 of n = 6 -> (r - 1) / 5
    let got = named_scores(&ws);
    for (unit, want) in [
        ("a", 0.8),
        ("b", 0.2),
        ("c", 0.0),
        ("d", 0.6),
        ("e", 0.8),
        ("f", 0.2),
    ] {
        let sc = got[&(unit.to_string(), "x2".to_string())].3;
        assert!(same(sc, Some(want)), "{unit}: {sc:?} vs {want}");
    }
    // x1 keeps the run's min-max
    assert_eq!(got[&("d".into(), "x1".into())].3, Some(100.0));
    let m = named_manifest(&ws);
    assert_eq!(m["config"]["normalise"]["x2"]["method"], "prank");
    // an indicator the framework does not have is refused before any work
    let mut t = std::fs::read_to_string(&p).unwrap();
    t.push_str("[index.normalise.x9]\nmethod = \"rank\"\n");
    std::fs::write(&p, t).unwrap();
    fails(
        &ws,
        &args,
        &format!(
            "{}: index.normalise.x9: 'x9' is not an indicator of the framework {}; its indicators are: x1, x2, x3",
            p.display(),
            fw.display()
        ),
    );
}

#[test]
fn extended_diagnostics_tables_by_hand() {
    let ws = with_database();
    let fw = ws.file("fw.csv", FRAMEWORK);
    let data = ws.file("data.csv", WIDE);
    configure(
        &ws,
        &[
            ("extended = false", "extended = true"),
            ("corr_high = 0.9", "corr_high = 0.1"),
            ("corr_low = -0.4", "corr_low = 0.05"),
        ],
    );
    ok(
        &ws,
        &[
            "index",
            "--data",
            s(&data),
            "--framework",
            s(&fw),
            "--name",
            NAMED,
        ],
    );
    let mut got: Vec<String> = std::fs::read_dir(ws.root().join("index").join(NAMED))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "index_aggregates.parquet",
            "index_correlations.parquet",
            "index_denominator_correlations.parquet",
            "index_diagnostics.parquet",
            "index_manifest.json",
            "index_ranks.parquet",
            "index_scores.parquet",
            "index_strengths.parquet",
            "index_unit_diagnostics.parquet",
            "index_units.parquet"
        ]
    );
    // Normalised (see the top of this file): x1 0 25 50 100 75 50, x2 100 50 0 75 100 50:
    // deviations from 50 and 62.5 give a cross-product sum of 0, so r = 0 < corr_low 0.05:
    // "negative". P1 50 37.5 25 87.5 87.5 and P2 50 100 0 25 75 (f has no P2):
    // r = 0.137361 > corr_high 0.1: "collinear".
    assert_eq!(
        sql(
            &ws,
            &format!(
                "select parent, level, code_1, code_2, n, round(pearson, 6) as r, flag from {} order by parent",
                named(&ws, "index_correlations")
            )
        ),
        "parent,level,code_1,code_2,n,r,flag\nIDX,2,P1,P2,5,0.137361,collinear\nP1,1,x1,x2,6,0.0,negative\n"
    );
    // P1: covariance 0, so alpha = 4 x 0 / (var x1 + var x2) = 0 and the correlation
    // matrix is the identity (eigenvalues 1, 1: share 0.5); P2 one child (alpha undefined);
    // IDX, pairwise covariances: var P1 (6 units) 671.875, var P2 1562.5, cov 156.25:
    // alpha = 2 (1 - 2234.375 / 2546.875) = 0.245399; PCA on the 5 complete units: (1 + r) / 2
    assert_eq!(
        sql(
            &ws,
            &format!(
                "select code, children, round(cronbach_alpha, 6) as alpha, pca_units, round(pc1_variance_share, 6) as pc1 from {} order by code",
                named(&ws, "index_aggregates")
            )
        ),
        "code,children,alpha,pca_units,pc1\nIDX,2,0.245399,5,0.56868\nP1,2,0.0,6,0.5\nP2,1,,5,1.0\n"
    );
    // zeros as reported: a (x1 = 0) and c (x3 = 0); f misses x3
    assert_eq!(
        sql(
            &ws,
            &format!(
                "select unit_id, n_missing, n_zero, round(non_zero_share, 6) as nz from {} where n_missing > 0 or n_zero > 0 order by unit_id",
                named(&ws, "index_unit_diagnostics")
            )
        ),
        "unit_id,n_missing,n_zero,nz\na,0,1,0.666667\nc,0,1,0.666667\nf,1,0,1.0\n"
    );
    // ranks (directions applied): x1 d1 e2 c3 f3 b5 a6, x2 a1 e1 d3 b4 f4 c6, x3 b1 e2
    // a3 d4 c5. c ranks last on x2 and x3 (left out): only x1; d: x1, x2, x3
    assert_eq!(
        sql(
            &ws,
            &format!(
                "select unit_id, kind, position, code, rank, value from {} where unit_id in ('c', 'd') order by unit_id, kind, position",
                named(&ws, "index_strengths")
            )
        ),
        "unit_id,kind,position,code,rank,value
c,strength,1,x1,3,20.0
c,weakness,1,x1,3,20.0
d,strength,1,x1,1,40.0
d,strength,2,x2,3,20.0
d,strength,3,x3,4,25.0
d,weakness,1,x1,1,40.0
d,weakness,2,x2,3,20.0
d,weakness,3,x3,4,25.0
"
    );
}

#[test]
fn treatment_options_and_the_failed_winsorisation_are_recorded() {
    let ws = with_database();
    let fw = ws.file("fw.csv", FRAMEWORK);
    // x1: eleven 1s and a 10 (fails; one clip makes every value equal: undefined, so the
    // column stays untouched); x2: 1..10, 30, 100 (skew 3.0632, kurt 9.7414) with a limit
    // of 0 clips of its own and ln(x - min + 1); x3 = 1..12 passes
    let x2 = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 30, 100];
    let mut wide = String::from("uCode,x1,x2,x3\n");
    for (u, x2) in x2.iter().enumerate() {
        let x1 = if u == 11 { 10 } else { 1 };
        wide.push_str(&format!("u{u:02},{x1},{x2},{}\n", u + 1));
    }
    let data = ws.file("data.csv", wide);
    configure(
        &ws,
        &[
            ("outliers = \"none\"", "outliers = \"jrc\""),
            (
                "[index.diagnostics]",
                "[index.treat.x2]\nwinsorise_max = 0\ntransform = \"log_ct_orig\"\n\n[index.diagnostics]",
            ),
        ],
    );
    ok(
        &ws,
        &[
            "index",
            "--data",
            s(&data),
            "--framework",
            s(&fw),
            "--name",
            NAMED,
        ],
    );
    let m = named_manifest(&ws);
    let t = &m["treatment"];
    assert_eq!(t.as_array().unwrap().len(), 2, "{t}");
    assert_eq!(
        t[0],
        serde_json::json!({"code": "x1", "treatment": "untouched", "clipped_high": 0, "clipped_low": 0,
            "winsorise_attempted": {"clipped_high": 1, "clipped_low": 0, "skew": null, "kurtosis": null}})
    );
    assert_eq!(t[1]["treatment"], "log_ct_orig");
    let a = &t[1]["winsorise_attempted"];
    assert_eq!(
        (a["clipped_high"].as_u64(), a["clipped_low"].as_u64()),
        (Some(0), Some(0))
    );
    assert!((a["skew"].as_f64().unwrap() - 3.0632).abs() < 1e-4);
    assert!((a["kurtosis"].as_f64().unwrap() - 9.7414).abs() < 1e-4);
    assert_eq!(m["config"]["treat"]["x2"]["transform"], "log_ct_orig");
    // the table: x1 untouched (treated = raw), x2 = ln x (min 1), the attempt beside it
    assert_eq!(
        sql(
            &ws,
            &format!(
                "select code, treatment, clipped_high, winsorise_attempted, round(skew_winsorised, 4) as s from {} where level = 1 order by code",
                named(&ws, "index_diagnostics")
            )
        ),
        "code,treatment,clipped_high,winsorise_attempted,s\nx1,untouched,0,1,\nx2,log_ct_orig,0,0,3.0632\nx3,none,0,,\n"
    );
    let got = named_scores(&ws);
    let (raw, _, treated, _, _) = got[&("u11".to_string(), "x1".to_string())];
    assert_eq!((raw, treated), (Some(10.0), Some(10.0)));
    let (_, _, treated, _, _) = got[&("u11".to_string(), "x2".to_string())];
    assert!(same(treated, Some(100f64.ln())));
}

#[test]
fn weight_sets_effective_weights_and_optimised_weights_reach_the_manifest() {
    let ws = Ws::new();
    // the hand framework with a second weight set, all 1 ("flat")
    let flat = FRAMEWORK
        .replace("Direction,Type", "Direction,Type,Weight_Flat")
        .replace("Indicator\n", "Indicator,1\n")
        .replace("Aggregate\n", "Aggregate,1\n");
    let fw = ws.file("fw.csv", flat);
    let data = ws.file("data.csv", WIDE);
    let args = [
        "index",
        "--data",
        s(&data),
        "--framework",
        s(&fw),
        "--name",
        NAMED,
    ];
    // the Weight column: P2 weighs 2 -> effective P1 1/3, P2 2/3, x1 and x2 1/6, x3 2/3
    ok(&ws, &args);
    let m = named_manifest(&ws);
    assert_eq!(m["weights"]["set"], "Weight");
    let eff = |m: &Value, code: &str| {
        m["weights"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["code"] == code)
            .unwrap()["effective"]
            .as_f64()
            .unwrap()
    };
    for (code, want) in [
        ("x1", 1. / 6.),
        ("x2", 1. / 6.),
        ("x3", 2. / 3.),
        ("P1", 1. / 3.),
        ("IDX", 1.),
    ] {
        assert!((eff(&m, code) - want).abs() < 1e-12, "{code}");
    }
    assert!(m["weights"]["optimised"].is_null());
    // the flat set: IDX = (P1 + P2) / 2: b (37.5 + 100) / 2 = 68.75, f = P1 = 50
    configure(&ws, &[("# weights = \"expert\"", "weights = \"flat\"")]);
    ok(&ws, &args);
    let m = named_manifest(&ws);
    assert_eq!(m["weights"]["set"], "Weight_flat");
    assert!((eff(&m, "x3") - 0.5).abs() < 1e-12);
    let sc = named_scores(&ws);
    assert!(same(sc[&("b".into(), "IDX".into())].3, Some(68.75)));
    assert!(same(sc[&("f".into(), "IDX".into())].3, Some(50.0)));
    // optimised weights of the pillars (infomax): recorded, better than the start, and
    // the scores are those of the optimised weights
    configure(
        &ws,
        &[(
            "\n[index.uncertainty]",
            "\n[index.optimise_weights]\nlevel = 2\nmethod = \"infomax\"\n\n[index.uncertainty]",
        )],
    );
    ok(&ws, &args);
    let m = named_manifest(&ws);
    let o = &m["weights"]["optimised"];
    assert_eq!(o["level"], 2);
    assert_eq!(o["method"], "infomax");
    assert_eq!(o["converged"], true);
    assert!(o["objective_after"].as_f64().unwrap() <= o["objective_before"].as_f64().unwrap());
    let nodes = o["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 2);
    let w1 = nodes[0]["weight"].as_f64().unwrap();
    let w2 = nodes[1]["weight"].as_f64().unwrap();
    assert!((w1 + w2 - 1.0).abs() < 1e-12);
    let sc = named_scores(&ws);
    let (p1, p2) = (37.5, 100.0);
    assert!(same(
        sc[&("b".into(), "IDX".into())].3,
        Some(w1 * p1 + w2 * p2)
    ));
    // a weight set the framework does not have
    configure(&ws, &[("weights = \"flat\"", "weights = \"pca\"")]);
    fails(
        &ws,
        &args,
        "index.weights = 'pca', but the framework has no column Weight_pca; its weight sets are: Weight_flat",
    );
}
