//! ITU-T Y.4904 maturity and automated pre-verification on small hand-made workspaces with
//! hand-computed levels, milestones, roll-ups, staircase findings, shares and flags: the
//! `maturity` command (per city, `--baseline`, `--distribution`), the default levels (the
//! U4SSC bands of the attainment reference; none contradicts its state on the demo), the
//! opt-in Y.4904 sample matrix, a city target reaching maturity, the workspace performance
//! matrix and its errors, the self-assessment ingest and its rejections, `verify` (each of
//! the seven rules, the summary, the `verification_flags` view and its masking), and an
//! independent DuckDB recomputation of levels (from the attainment references), roll-ups,
//! peer outliers and year-on-year flags on generated data.

use serde_json::Value;

use crate::util::{GENEVA, HEADER, STAVANGER, Ws};

const ZURICH: &str = "2657896";
const BASEL: &str = "2661604";
const LAUSANNE: &str = "2659994";
/// A registry city (without any submission in the maturity workspaces).
const BERN: &str = "2661552";
const BEIJING: &str = "1816670";
const SHANGHAI: &str = "1796236";

/// One observation: city, data point, year, value, unit, confidential.
type Obs<'a> = (&'a str, &'a str, i32, &'a str, &'a str, bool);

/// Write `rows` in the long format and ingest them (all accepted).
fn submit(ws: &Ws, name: &str, rows: &[Obs<'_>]) {
    let mut csv = format!("{HEADER}\n");
    for (c, dp, y, v, u, conf) in rows {
        csv.push_str(&format!(
            "{c},{dp},{y},{v},{u},test,measured,false,{conf}\n"
        ));
    }
    let r = ws.ingest(&ws.file(name, &csv));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

fn ok(ws: &Ws, args: &[&str]) -> String {
    let r = ws.run(args);
    assert_eq!(r.code, 0, "{args:?}: {}{}", r.stdout, r.stderr);
    r.stdout
}

fn json(ws: &Ws, args: &[&str]) -> Value {
    let out = ok(ws, args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}\n{out}"))
}

/// Rows of a `citybench sql` query as JSON objects.
fn sql(ws: &Ws, query: &str) -> Vec<Value> {
    json(ws, &["sql", query, "--format", "json"])
        .as_array()
        .unwrap()
        .clone()
}

fn run(ws: &Ws) {
    let r = ws.run(&["run"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

fn close(v: &Value, want: f64) {
    let got = v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"));
    assert!((got - want).abs() < 1e-9, "{got} != {want}");
}

/// A number or null.
fn num_or_null(v: &Value, want: Option<f64>) {
    match want {
        Some(w) => close(v, w),
        None => assert!(v.is_null(), "{v} is not null"),
    }
}

/// The row of `id` in a list of objects keyed by `key`.
fn row<'a>(rows: &'a Value, key: &str, id: &str) -> &'a Value {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r[key] == id)
        .unwrap_or_else(|| panic!("no {key} = {id} in {rows}"))
}

fn point<'a>(doc: &'a Value, id: &str) -> &'a Value {
    row(&doc["data_points"], "data_point_id", id)
}

fn dimension<'a>(doc: &'a Value, name: &str) -> &'a Value {
    row(&doc["dimensions"], "dimension", name)
}

/// A data point's level, next milestone and gap: (level, next level, next target, gap).
fn milestone(p: &Value, level: i64, next: Option<i64>, target: Option<f64>, gap: Option<f64>) {
    let id = &p["data_point_id"];
    assert_eq!(p["maturity_level"], level, "{id}: level");
    assert_eq!(p["next_level"].as_i64(), next, "{id}: next level");
    num_or_null(&p["next_target"], target);
    num_or_null(&p["gap_next"], gap);
}

/// A dimension row: data points, level_min, level_median, at_level_0..5, maturity_level.
fn rollup(d: &Value, points: i64, min: i64, median: f64, at: [i64; 6], level: i64) {
    let name = &d["dimension"];
    assert_eq!(d["data_points"], points, "{name}");
    assert_eq!(d["level_min"], min, "{name}");
    close(&d["level_median"], median);
    for (l, n) in at.iter().enumerate() {
        assert_eq!(d[format!("at_level_{l}")], *n, "{name}: at level {l}");
    }
    assert_eq!(d["maturity_level"], level, "{name}");
}

/// The U4SSC target source of household Internet access (datasets/catalog/targets.csv).
const INTERNET_TARGET: &str = "ITU/UN Envoy on Technology Universal Meaningful Connectivity (UMC) targets for 2030: 100% of households connected to the Internet";
/// The Y.4904 sample's household Internet row, as `matrix_source`.
const INTERNET_SAMPLE: &str = "maturity_matrix.csv: ITU-T Y.4904 (12/2019) performance matrix example: Household Internet access, interim targets 30 %, 40 %, 60 %, target 80 %";
/// The non-neutral data points per dimension (all are mapped): Economy 53, Environment 26,
/// Society and Culture 29.
const MAPPED: i64 = 108;

/// Basel reports 29 data points (2024): value, unit, the level by default (the U4SSC band
/// against datasets/catalog/targets.csv: with four cities in the workspace no data point
/// has a benchmark, which needs five published values) and with the Y.4904 sample matrix
/// (its five rows; the other data points keep their default level).
const BASEL_ALL: [(&str, &str, &str, i64, i64); 29] = [
    // Economy (16)
    // target 100: a = 0.8 -> 66-95 % -> 4; sample 30/40/60/80: meets 80 exactly -> 5
    ("EC-ICT-ICT-1C", "80", "%", 4, 5),
    ("EC-ICT-ICT-4C-3g", "100", "%", 5, 5), // a = 1 -> 95%+ -> 5
    ("EC-ICT-ICT-4C-4g", "95", "%", 5, 5),  // a = 0.95 -> 95%+ -> 5
    ("EC-I-WS-1C", "100", "%", 5, 5),
    ("EC-I-WS-2C", "70", "%", 4, 4), // a = 0.7 -> 4
    ("EC-I-WS-5C", "100", "%", 5, 5),
    ("EC-I-WA-1C", "100", "%", 5, 5),
    // no target, no benchmark: level 1 (a baseline); sample -/30/25/15 lower: <= 25 -> 4
    ("EC-I-ES-2C", "20", "minutes", 1, 4),
    ("EC-I-ES-3C", "100", "%", 5, 5),
    ("EC-I-T-2A", "40", "%", 3, 3),      // a = 0.4 -> 33-66 % -> 3
    ("EC-I-T-5A", "1.5", "ratio", 5, 5), // lower, target 1.5: a = 1 -> 5
    ("EC-I-UP-2A-compact", "1", "yes/no", 5, 5), // target 1 (yes): a = 1 -> 5
    ("EC-I-UP-2A-connected", "1", "yes/no", 5, 5),
    ("EC-I-UP-2A-integrated", "1", "yes/no", 5, 5),
    ("EC-I-UP-2A-inclusive", "1", "yes/no", 5, 5),
    ("EC-I-UP-2A-resilient", "1", "yes/no", 5, 5),
    // Environment (7)
    // WHO guideline 15 (lower): a = 1 -> 5; sample 70/50/30/15: meets 15 -> 5
    ("EN-EN-AQ-1C-pm10", "15", "ug/m3", 5, 5),
    // guideline 5: a = 5 / 20 = 0.25 -> < 33 % -> 2; sample 35/25/15/5: <= 25 -> 3
    ("EN-EN-AQ-1C-pm25", "20", "ug/m3", 2, 3),
    ("EN-EN-AQ-1C-no2", "10", "ug/m3", 5, 5), // guideline 10: a = 1 -> 5; sample 10 -> 5
    // target 0, worst 100 (bounded): a = (0 - 100) / (0 - 100) = 1 -> 5
    ("EN-EN-WA-1C-burnt", "0", "%", 5, 5),
    ("EN-EN-WA-1C-opendump", "0", "%", 5, 5),
    ("EN-EN-EQ-1C", "100", "%", 5, 5),
    ("EN-EN-PSN-2A", "100", "%", 5, 5),
    // Society and Culture (6)
    ("SC-EH-ED-1C", "100", "%", 5, 5),
    ("SC-EH-ED-2C", "100", "%", 5, 5),
    ("SC-EH-H-2C", "70", "per 100 000 live births", 5, 5), // lower, target 70: a = 1
    ("SC-EH-H-5A", "100", "%", 5, 5),
    // target 0, worst 100 (bounded): a = (3 - 100) / (0 - 100) = 0.97 -> 5
    ("SC-SH-HO-1C", "3", "%", 5, 5),
    ("SC-SH-SA-3A", "1", "yes/no", 5, 5),
];

/// Geneva (a few data points, one value before the window), Zürich, Lausanne (a
/// confidential value), Basel (29 data points); Bern submits nothing. Analysis year 2024
/// (the latest year), lookback 2: values from 2022..2024. With `sample`, the workspace
/// opts into the Y.4904 sample matrix (copied as its maturity_matrix.csv).
fn levels_workspace(sample: bool) -> Ws {
    let ws = Ws::new();
    let mut rows: Vec<Obs<'_>> = vec![
        (GENEVA, "EC-ICT-ICT-1C", 2024, "25", "%", false),
        (GENEVA, "EC-I-ES-2C", 2024, "28", "minutes", false),
        (GENEVA, "EN-EN-AQ-1C-pm10", 2022, "60", "ug/m3", false),
        (GENEVA, "EN-EN-AQ-1C-pm10", 2023, "40", "ug/m3", false),
        (GENEVA, "EN-EN-AQ-1C-pm25", 2021, "5", "ug/m3", false),
        (ZURICH, "EC-ICT-ICT-1C", 2024, "45", "%", false),
        (ZURICH, "EN-EN-AQ-1C-pm10", 2024, "15", "ug/m3", false),
        (LAUSANNE, "EN-EN-AQ-1C-pm10", 2024, "30", "ug/m3", true),
    ];
    for (dp, v, u, _, _) in BASEL_ALL {
        rows.push((BASEL, dp, 2024, v, u, false));
    }
    submit(&ws, "levels.csv", &rows);
    if sample {
        std::fs::copy(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/datasets/catalog/maturity_matrix_y4904_sample.csv"
            ),
            ws.root().join("maturity_matrix.csv"),
        )
        .unwrap();
    }
    run(&ws);
    ws
}

/// Every (city, data point) of the mart agrees with the command, and every level in the
/// attainment scope with the U4SSC state of city_scorecard.
fn mart_agrees_with_the_command(ws: &Ws, docs: &[(&str, &Value)]) {
    for (city, doc) in docs {
        let rows = sql(
            ws,
            &format!(
                "select data_point_id, maturity_level, next_level, next_target, gap_next, dimension_level, dimension,
                        matrix_scope, matrix_source
                 from maturity_levels where city_id = '{city}'"
            ),
        );
        assert_eq!(rows.len() as i64, MAPPED, "{city}");
        for r in &rows {
            let p = point(doc, r["data_point_id"].as_str().unwrap());
            for k in [
                "maturity_level",
                "next_level",
                "next_target",
                "gap_next",
                "matrix_scope",
                "matrix_source",
            ] {
                // the command's numbers are rounded to 12 significant digits
                match (r[k].as_f64(), p[k].as_f64()) {
                    (Some(a), Some(b)) if r[k].is_f64() || p[k].is_f64() => assert!(
                        (a - b).abs() <= 1e-9 * a.abs().max(1.0),
                        "{city} {}: {k}: {a} != {b}",
                        r["data_point_id"]
                    ),
                    _ => assert_eq!(r[k], p[k], "{city} {}: {k}", r["data_point_id"]),
                }
            }
            let d = dimension(doc, r["dimension"].as_str().unwrap());
            assert_eq!(r["dimension_level"], d["maturity_level"], "{city}: {r}");
        }
    }
    let bad = sql(
        ws,
        "select count(*) as n from stg_maturity_levels m join stg_attainment s using (analysis_year, city_id, data_point_id)
         where m.matrix_scope = 'attainment'
           and m.maturity_level <> case when s.value is null then 0 else coalesce(s.points, 0) + 1 end",
    );
    assert_eq!(bad[0]["n"], 0);
}

#[test]
fn maturity_levels_milestones_and_rollups_by_hand_agree_with_the_sql_mart() {
    let ws = levels_workspace(false);

    // Geneva: three data points with a value of the 108 mapped (every non-neutral one)
    let g = json(&ws, &["maturity", "--city", GENEVA, "--format", "json"]);
    assert_eq!(g["city_id"], GENEVA);
    assert_eq!(g["city_name"], "Geneva");
    assert_eq!(g["analysis_year"], 2024);
    assert_eq!(g["lookback"], 2);
    assert!(g["baseline_year"].is_null());
    assert_eq!(g["rollup_rule"], "min");
    assert_eq!(g["data_points_mapped"], MAPPED);
    assert_eq!(g["data_points_with_baseline"], 3);
    assert_eq!(g["data_points"].as_array().unwrap().len() as i64, MAPPED);
    // household Internet 25 % against the target 100 %: a = 0.25, below 33 % -> level 2;
    // next level 3 at the band edge 0.33 x 100 = 33 %, 8 points short
    let p = point(&g, "EC-ICT-ICT-1C");
    milestone(p, 2, Some(3), Some(33.0), Some(8.0));
    assert_eq!(p["level_name"], "Alignment");
    close(&p["value"], 25.0);
    assert_eq!(p["source_year"], 2024);
    assert_eq!(p["matrix_scope"], "attainment");
    assert_eq!(
        p["matrix_source"],
        format!("U4SSC attainment bands against {INTERNET_TARGET}")
    );
    assert_eq!(p["unit"], "%");
    // the interim targets are the band edges (level 2 has none: any scored value is at
    // least level 2)
    assert!(p["level_2"].is_null());
    for (k, t) in [("level_3", 33.0), ("level_4", 66.0), ("level_5", 95.0)] {
        close(&p[k], t);
    }
    // outage 28 min: no target and no benchmark (four cities, a benchmark needs five
    // published values) -> level 1, a baseline; no next milestone
    let p = point(&g, "EC-I-ES-2C");
    milestone(p, 1, None, None, None);
    assert_eq!(p["level_name"], "Planning");
    assert_eq!(
        p["matrix_source"],
        "U4SSC attainment: no target or benchmark (level 1 with a value, 0 without)"
    );
    assert_eq!(p["unit"], "min");
    // PM10: the latest value of the window 2022..2024 is 2023's 40 (not 2022's 60); WHO
    // guideline 15 (lower is better): a = 15 / 40 = 0.375 -> 33-66 % -> level 3; next
    // level 4 at 15 / 0.66 = 22.7272727273, 17.2727272727 above it
    let p = point(&g, "EN-EN-AQ-1C-pm10");
    milestone(p, 3, Some(4), Some(15.0 / 0.66), Some(40.0 - 15.0 / 0.66));
    close(&p["value"], 40.0);
    assert_eq!(p["source_year"], 2023);
    // PM2.5 only in 2021, before the window: no baseline -> level 0, next level 1
    let p = point(&g, "EN-EN-AQ-1C-pm25");
    milestone(p, 0, Some(1), None, None);
    assert_eq!(p["level_name"], "pre-maturity");
    assert!(p["value"].is_null() && p["source_year"].is_null());
    // roll-ups (min rule): Economy maps 53 data points (internet 2, outage 1, 51 without a
    // value), Environment 26 (PM10 3, 25 without), Society and Culture 29 (none); a data
    // point without a value is level 0, so every minimum and median is 0
    rollup(dimension(&g, "Economy"), 53, 0, 0.0, [51, 1, 1, 0, 0, 0], 0);
    rollup(
        dimension(&g, "Environment"),
        26,
        0,
        0.0,
        [25, 0, 0, 1, 0, 0],
        0,
    );
    rollup(
        dimension(&g, "Society and Culture"),
        29,
        0,
        0.0,
        [29, 0, 0, 0, 0, 0],
        0,
    );
    rollup(
        dimension(&g, "KPI performance"),
        MAPPED,
        0,
        0.0,
        [105, 1, 1, 1, 0, 0],
        0,
    );
    let dims: Vec<&str> = g["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["dimension"].as_str().unwrap())
        .collect();
    assert_eq!(
        dims,
        [
            "Economy",
            "Environment",
            "Society and Culture",
            "KPI performance"
        ]
    );
    assert_eq!(g["kpi_performance_level"], 0);
    close(&g["kpi_performance_median"], 0.0);

    // Zürich: 45 % -> a = 0.45 -> level 3, next level 4 at 66 %, 21 short; PM10 15 meets
    // the guideline (a = 1) -> level 5, no next level
    let z = json(&ws, &["maturity", "--city", ZURICH, "--format", "json"]);
    milestone(
        point(&z, "EC-ICT-ICT-1C"),
        3,
        Some(4),
        Some(66.0),
        Some(21.0),
    );
    milestone(point(&z, "EN-EN-AQ-1C-pm10"), 5, None, None, None);
    assert_eq!(z["kpi_performance_level"], 0);

    // Basel: the default levels of BASEL_ALL; per dimension (with the data points without a
    // value at level 0)
    //   Economy      37 x 0, 1 (outage), 3, 4, 4, twelve 5s: min 0, median (27th of 53) 0
    //   Environment  19 x 0, 2 (PM2.5), six 5s: min 0, median 0
    //   Society      23 x 0, six 5s: min 0, median 0
    //   overall      79 x 0, one 1, one 2, one 3, two 4s, 24 5s
    let b = json(&ws, &["maturity", "--city", BASEL, "--format", "json"]);
    assert_eq!(b["data_points_with_baseline"], 29);
    for (dp, _, _, level, _) in BASEL_ALL {
        assert_eq!(point(&b, dp)["maturity_level"], level, "Basel {dp}");
    }
    milestone(
        point(&b, "EC-ICT-ICT-1C"),
        4,
        Some(5),
        Some(95.0),
        Some(15.0),
    );
    // 95 % of a target of 100 is in the 95%+ band: level 5 (the old default's 95/100
    // matrix gave 4 here)
    milestone(point(&b, "EC-ICT-ICT-4C-4g"), 5, None, None, None);
    milestone(point(&b, "EC-I-T-2A"), 3, Some(4), Some(66.0), Some(26.0));
    milestone(point(&b, "EC-I-ES-2C"), 1, None, None, None);
    // lower is better: 20 is 20 - 5 / 0.33 = 4.8484848485 above the level-3 edge
    milestone(
        point(&b, "EN-EN-AQ-1C-pm25"),
        2,
        Some(3),
        Some(5.0 / 0.33),
        Some(20.0 - 5.0 / 0.33),
    );
    // bounded (target 0, worst 100): the edges are 100 + f x (0 - 100) = 67, 34, 5
    let p = point(&b, "SC-SH-HO-1C");
    milestone(p, 5, None, None, None);
    for (k, t) in [("level_3", 67.0), ("level_4", 34.0), ("level_5", 5.0)] {
        close(&p[k], t);
    }
    // a boolean at its target 1 (yes)
    milestone(point(&b, "EC-I-UP-2A-compact"), 5, None, None, None);
    rollup(
        dimension(&b, "Economy"),
        53,
        0,
        0.0,
        [37, 1, 0, 1, 2, 12],
        0,
    );
    rollup(
        dimension(&b, "Environment"),
        26,
        0,
        0.0,
        [19, 0, 1, 0, 0, 6],
        0,
    );
    rollup(
        dimension(&b, "Society and Culture"),
        29,
        0,
        0.0,
        [23, 0, 0, 0, 0, 6],
        0,
    );
    rollup(
        dimension(&b, "KPI performance"),
        MAPPED,
        0,
        0.0,
        [79, 1, 1, 1, 2, 24],
        0,
    );
    assert_eq!(b["kpi_performance_level"], 0);
    assert_eq!(
        dimension(&b, "KPI performance")["level_name"],
        "pre-maturity"
    );

    // the SQL mart: the same levels and milestones, the dimension's level on each row
    let rows = sql(
        &ws,
        &format!(
            "select data_point_id, value, source_year, maturity_level, level_name, next_level, next_target,
                    gap_next, dimension_level, rollup_rule, matrix_scope, level_2_target, level_5_target
             from maturity_levels where city_id = '{GENEVA}' and maturity_level > 0
             order by data_point_id"
        ),
    );
    let ids: Vec<&str> = rows
        .iter()
        .map(|r| r["data_point_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["EC-I-ES-2C", "EC-ICT-ICT-1C", "EN-EN-AQ-1C-pm10"]);
    milestone(&rows[0], 1, None, None, None);
    milestone(&rows[1], 2, Some(3), Some(33.0), Some(8.0));
    milestone(
        &rows[2],
        3,
        Some(4),
        Some(15.0 / 0.66),
        Some(40.0 - 15.0 / 0.66),
    );
    close(&rows[2]["value"], 40.0);
    assert_eq!(rows[2]["source_year"], 2023);
    assert_eq!(rows[1]["level_name"], "Alignment");
    // no reference: no interim targets; PM10's level 5 starts at 15 / 0.95
    assert!(rows[0]["level_5_target"].is_null());
    close(&rows[2]["level_5_target"], 15.0 / 0.95);
    for r in &rows {
        assert_eq!(r["dimension_level"], 0, "{r}");
        assert_eq!(r["rollup_rule"], "min");
        assert_eq!(r["matrix_scope"], "attainment");
        assert!(r["level_2_target"].is_null());
    }
    mart_agrees_with_the_command(&ws, &[(GENEVA, &g), (ZURICH, &z), (BASEL, &b)]);
    let dims = sql(
        &ws,
        &format!(
            "select * from stg_maturity_dimensions where city_id = '{BASEL}' and dimension = 'KPI performance'"
        ),
    );
    assert_eq!(dims.len(), 1);
    rollup(&dims[0], MAPPED, 0, 0.0, [79, 1, 1, 1, 2, 24], 0);
    // a confidential value has a level (15 / 30 = 0.5 -> level 3; next 4 at 22.7272727273,
    // 7.2727272727 above it), but the mart withholds the value and everything computed from
    // it (a level is a band of the value; METHODOLOGY section 10), and the published
    // roll-up leaves it out
    let rows = sql(
        &ws,
        &format!(
            "select confidential, value, gap_next, maturity_level, level_name, next_level, next_target
             from maturity_levels where city_id = '{LAUSANNE}' and data_point_id = 'EN-EN-AQ-1C-pm10'"
        ),
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["confidential"], true);
    for k in [
        "value",
        "gap_next",
        "maturity_level",
        "level_name",
        "next_level",
        "next_target",
    ] {
        assert!(rows[0][k].is_null(), "{k}: {}", rows[0]);
    }
    let own = sql(
        &ws,
        &format!(
            "select maturity_level, next_level, next_target from stg_maturity_levels
             where city_id = '{LAUSANNE}' and data_point_id = 'EN-EN-AQ-1C-pm10'"
        ),
    );
    assert_eq!(own[0]["maturity_level"], 3);
    assert_eq!(own[0]["next_level"], 4);
    close(&own[0]["next_target"], 15.0 / 0.66);
    let published = sql(
        &ws,
        &format!(
            "select p.confidential_items, p.data_points, o.data_points as own_data_points
             from stg_maturity_dimensions_published p join stg_maturity_dimensions o using (city_id, dimension)
             where city_id = '{LAUSANNE}' and dimension = 'KPI performance'"
        ),
    );
    assert_eq!(published[0]["confidential_items"], 1);
    assert_eq!(
        published[0]["data_points"].as_i64().unwrap() + 1,
        published[0]["own_data_points"].as_i64().unwrap()
    );
    // the city itself sees its own value in the command
    let l = json(&ws, &["maturity", "--city", LAUSANNE, "--format", "json"]);
    let p = point(&l, "EN-EN-AQ-1C-pm10");
    close(&p["value"], 30.0);
    milestone(p, 3, Some(4), Some(15.0 / 0.66), Some(30.0 - 15.0 / 0.66));
    // the table names the matrix per data point and says which applied
    let t = ok(&ws, &["maturity", "--city", GENEVA]);
    assert!(
        t.contains("matrix: 108 data point(s) at their U4SSC attainment band"),
        "{t}"
    );
    assert!(!t.contains("interim targets ("), "{t}");
}

/// Y.4904's example rows (and the WHO interim targets) are an opt-in sample: copied into
/// the workspace as maturity_matrix.csv, they set the levels of their five data points for
/// every city (matrix_scope 'workspace'); the others keep their attainment band.
#[test]
fn the_y4904_sample_matrix_is_opt_in() {
    let ws = levels_workspace(true);
    let g = json(&ws, &["maturity", "--city", GENEVA, "--format", "json"]);
    assert_eq!(g["data_points_mapped"], MAPPED);
    // household Internet 25 % against 30/40/60/80: below level 2 -> level 1 (a baseline);
    // next level 2 at 30 %, 5 points short (by default: level 2, see above)
    let p = point(&g, "EC-ICT-ICT-1C");
    milestone(p, 1, Some(2), Some(30.0), Some(5.0));
    assert_eq!(p["matrix_scope"], "workspace");
    assert_eq!(p["matrix_source"], INTERNET_SAMPLE);
    for (k, t) in [
        ("level_2", 30.0),
        ("level_3", 40.0),
        ("level_4", 60.0),
        ("level_5", 80.0),
    ] {
        close(&p[k], t);
    }
    // outage 28 min against -/30/25/15 (lower is better): level 2 has no target and is
    // skipped, 28 <= 30 -> level 3; next level 4 at 25 min, 3 min too long
    let p = point(&g, "EC-I-ES-2C");
    milestone(p, 3, Some(4), Some(25.0), Some(3.0));
    assert_eq!(p["level_name"], "Development");
    assert!(p["level_2"].is_null());
    // PM10 2023's 40 against 70/50/30/15: 40 <= 50 but > 30 -> level 3, next 30, 10 above
    milestone(
        point(&g, "EN-EN-AQ-1C-pm10"),
        3,
        Some(4),
        Some(30.0),
        Some(10.0),
    );
    milestone(point(&g, "EN-EN-AQ-1C-pm25"), 0, Some(1), None, None);
    // Zürich: 45 % -> level 3 (>= 40, < 60), 15 short of 60; PM10 15 -> level 5
    let z = json(&ws, &["maturity", "--city", ZURICH, "--format", "json"]);
    milestone(
        point(&z, "EC-ICT-ICT-1C"),
        3,
        Some(4),
        Some(60.0),
        Some(15.0),
    );
    milestone(point(&z, "EN-EN-AQ-1C-pm10"), 5, None, None, None);
    // Basel: the sample's levels of BASEL_ALL (five rows), the others by default
    let b = json(&ws, &["maturity", "--city", BASEL, "--format", "json"]);
    for (dp, _, _, _, level) in BASEL_ALL {
        assert_eq!(point(&b, dp)["maturity_level"], level, "Basel {dp}");
    }
    milestone(point(&b, "EC-ICT-ICT-1C"), 5, None, None, None);
    // lower is better: 20 min is 5 min above the level-5 target of 15
    milestone(point(&b, "EC-I-ES-2C"), 4, Some(5), Some(15.0), Some(5.0));
    milestone(
        point(&b, "EN-EN-AQ-1C-pm25"),
        3,
        Some(4),
        Some(15.0),
        Some(5.0),
    );
    assert_eq!(point(&b, "EC-I-T-2A")["matrix_scope"], "attainment");
    // Lausanne's confidential PM10 30 meets IT-3 (30) -> level 4, 15 above the guideline
    let l = json(&ws, &["maturity", "--city", LAUSANNE, "--format", "json"]);
    milestone(
        point(&l, "EN-EN-AQ-1C-pm10"),
        4,
        Some(5),
        Some(15.0),
        Some(15.0),
    );
    // the mart says the same, and names the file and the row's source
    mart_agrees_with_the_command(&ws, &[(GENEVA, &g), (ZURICH, &z), (BASEL, &b)]);
    let scopes = sql(
        &ws,
        &format!(
            "select matrix_scope, count(*) as n from maturity_levels where city_id = '{BASEL}'
             group by all order by all"
        ),
    );
    assert_eq!(scopes.len(), 2, "{scopes:?}");
    assert_eq!(
        (&scopes[0]["matrix_scope"], &scopes[0]["n"]),
        (&Value::from("attainment"), &Value::from(MAPPED - 5))
    );
    assert_eq!(
        (&scopes[1]["matrix_scope"], &scopes[1]["n"]),
        (&Value::from("workspace"), &Value::from(5))
    );
    // the table lists the sources that applied
    let t = ok(&ws, &["maturity", "--city", GENEVA]);
    assert!(
        t.contains("matrix: 103 data point(s) at their U4SSC attainment band"),
        "{t}"
    );
    assert!(
        t.contains("matrix: 5 data point(s) with workspace interim targets (maturity_matrix.csv: ITU-T Y.4904 (12/2019) performance matrix example: Electricity system outage time"),
        "{t}"
    );
    // so does the report's maturity section, per data point (the source as its tooltip)
    let out = ws.dir.path().join("reports");
    ok(
        &ws,
        &["report", "--city", GENEVA, "--out", out.to_str().unwrap()],
    );
    let html = std::fs::read_to_string(out.join("report-2660646-2024.html")).unwrap();
    let cell = |source: &str, scope: &str| {
        format!(
            "<td title=\"{}\">{scope}</td>",
            source.replace('&', "&amp;").replace('"', "&quot;")
        )
    };
    assert!(html.contains(&cell(INTERNET_SAMPLE, "workspace")), "{html}");
    // the other data points follow the attainment reference (four cities: no benchmark)
    assert_eq!(html.matches("\">workspace</td>").count(), 5);
    assert_eq!(html.matches("\">attainment</td>").count(), 103);
}

#[test]
fn a_city_without_data_is_at_level_zero_everywhere() {
    let ws = levels_workspace(false);
    let r = ws.run(&["maturity", "--city", BERN]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains(
            "no data for 2024 (values 2022..2024): every mapped data point is at level 0 (pre-maturity, no baseline)"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("KPI performance: level 0 pre-maturity (median level 0); 0 of 108 mapped data points have a baseline"),
        "{}",
        r.stdout
    );
    let j = json(&ws, &["maturity", "--city", BERN, "--format", "json"]);
    assert_eq!(j["city_name"], "Bern");
    assert_eq!(j["kpi_performance_level"], 0);
    assert_eq!(j["data_points_mapped"], MAPPED);
    assert_eq!(j["data_points_with_baseline"], 0);
    for p in j["data_points"].as_array().unwrap() {
        milestone(p, 0, Some(1), None, None);
        assert!(p["value"].is_null());
    }
    rollup(
        dimension(&j, "KPI performance"),
        MAPPED,
        0,
        0.0,
        [MAPPED, 0, 0, 0, 0, 0],
        0,
    );
    assert!(j["self_assessments"].as_array().unwrap().is_empty());
    assert!(j["staircase_findings"].as_array().unwrap().is_empty());
    // the derived tables hold the cities with data only
    let n = sql(
        &ws,
        &format!("select count(*) as n from maturity_levels where city_id = '{BERN}'"),
    );
    assert_eq!(n[0]["n"], 0);
    // an id outside the registry is an error, not a city at level 0
    let r = ws.run(&["maturity", "--city", "nowhere"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert_eq!(
        r.stderr,
        "error: unknown city id 'nowhere' (`citybench cities --search NAME` finds ids)\n"
    );
    // verify says the same, with the registry's suggestion for a near id
    let r = ws.run(&["verify", "--city", "26615520"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert_eq!(
        r.stderr,
        "error: unknown city id '26615520'; did you mean 2661552 (Bern, CH)? (`citybench cities --search NAME` finds ids)\n"
    );
}

#[test]
fn baseline_shows_each_data_points_move() {
    let ws = Ws::new();
    submit(
        &ws,
        "baseline.csv",
        &[
            (GENEVA, "EC-ICT-ICT-1C", 2020, "35", "%", false),
            (GENEVA, "EC-ICT-ICT-1C", 2024, "70", "%", false),
            (GENEVA, "EN-EN-AQ-1C-pm10", 2020, "25", "ug/m3", false),
            (GENEVA, "EN-EN-AQ-1C-pm10", 2024, "55", "ug/m3", false),
            (GENEVA, "EC-I-ES-2C", 2024, "28", "minutes", false),
            (GENEVA, "EC-I-WS-1C", 2020, "50", "%", false),
            (GENEVA, "EN-EN-AQ-1C-no2", 2018, "45", "ug/m3", false),
            (GENEVA, "EN-EN-AQ-1C-no2", 2023, "25", "ug/m3", false),
            (GENEVA, "SC-EH-ED-1C", 2017, "90", "%", false),
            (ZURICH, "EC-ICT-ICT-1C", 2020, "35", "%", false),
        ],
    );
    run(&ws);
    let j = json(
        &ws,
        &[
            "maturity",
            "--city",
            GENEVA,
            "--baseline",
            "2020",
            "--format",
            "json",
        ],
    );
    assert_eq!(j["baseline_year"], 2020);
    assert_eq!(j["analysis_year"], 2024);
    // (data point, baseline value, baseline level, level now, change); the baseline is
    // the assessment of 2020 over values 2018..2020, now is 2024 over 2022..2024, both
    // against the references of the run (its targets and benchmarks of 2024)
    let moves: [(&str, Option<f64>, i64, i64, i64); 7] = [
        // target 100 %: 35 % -> a = 0.35 -> level 3; 70 % -> a = 0.7 -> level 4
        ("EC-ICT-ICT-1C", Some(35.0), 3, 4, 1),
        // WHO guideline 15: 25 -> a = 0.6 -> level 3; 55 -> a = 0.27 -> level 2
        ("EN-EN-AQ-1C-pm10", Some(25.0), 3, 2, -1),
        // no value in 2018..2020 -> level 0; 28 min without a reference -> level 1
        ("EC-I-ES-2C", None, 0, 1, 1),
        // 50 % -> a = 0.5 -> level 3; nothing in 2022..2024 -> level 0
        ("EC-I-WS-1C", Some(50.0), 3, 0, -3),
        // guideline 10: 2018 is inside the baseline window, 45 -> a = 0.22 -> level 2;
        // 2023's 25 -> a = 0.4 -> level 3
        ("EN-EN-AQ-1C-no2", Some(45.0), 2, 3, 1),
        // 2017 is outside both windows
        ("SC-EH-ED-1C", None, 0, 0, 0),
        ("EN-EN-AQ-1C-pm25", None, 0, 0, 0),
    ];
    for (dp, value, base, now, change) in moves {
        let p = point(&j, dp);
        num_or_null(&p["baseline_value"], value);
        assert_eq!(p["baseline_level"], base, "{dp}");
        assert_eq!(p["maturity_level"], now, "{dp}");
        assert_eq!(p["change"], change, "{dp}");
    }
    // every data point has a baseline level (0 without a value in the baseline window)
    for p in j["data_points"].as_array().unwrap() {
        assert!(p["baseline_level"].is_i64(), "{p}");
    }
    // the staircase minimum stays 0 in both years in every dimension
    for d in j["dimensions"].as_array().unwrap() {
        assert_eq!(d["baseline_level"], 0, "{d}");
        assert_eq!(d["change"], 0, "{d}");
    }
    // 3 up (internet, outage, NO2), 2 down (PM10, water), 103 of 108 unchanged
    let t = ok(&ws, &["maturity", "--city", GENEVA, "--baseline", "2020"]);
    assert!(
        t.contains("since 2020: 3 data point(s) up, 2 down, 103 unchanged"),
        "{t}"
    );
    // Zürich has no value in the run's window (no rows in its tables): the command resolves
    // its references as the run does; 35 % of the target 100 in 2020 -> level 3, now 0
    let z = json(
        &ws,
        &[
            "maturity",
            "--city",
            ZURICH,
            "--baseline",
            "2020",
            "--format",
            "json",
        ],
    );
    let p = point(&z, "EC-ICT-ICT-1C");
    assert_eq!(
        (&p["baseline_level"], &p["maturity_level"], &p["change"]),
        (&Value::from(3), &Value::from(0), &Value::from(-3))
    );
    assert_eq!(
        p["matrix_source"],
        format!("U4SSC attainment bands against {INTERNET_TARGET}")
    );
}

/// A city's own target in the workspace targets.csv is the reference of its U4SSC state and
/// so of its default maturity level, in the run's tables and in the command (also for the
/// baseline year).
#[test]
fn a_city_target_reaches_maturity() {
    let ws = Ws::new();
    submit(
        &ws,
        "t.csv",
        &[
            (GENEVA, "EC-I-ES-2C", 2020, "40", "minutes", false),
            (GENEVA, "EC-I-ES-2C", 2024, "28", "minutes", false),
            (ZURICH, "EC-I-ES-2C", 2024, "28", "minutes", false),
        ],
    );
    std::fs::write(
        ws.root().join("targets.csv"),
        format!(
            "data_point_id,target,worst,tolerance,target_year,source,city_id\nEC-I-ES-2C,20,,,2030,city energy plan,{GENEVA}\n"
        ),
    )
    .unwrap();
    run(&ws);
    let j = json(
        &ws,
        &[
            "maturity",
            "--city",
            GENEVA,
            "--baseline",
            "2020",
            "--format",
            "json",
        ],
    );
    // Geneva's target 20 min (lower is better): 28 -> a = 20 / 28 = 0.714 -> 66-95 % ->
    // level 4, next level 5 at 20 / 0.95 = 21.0526315789, 6.9473684211 too long; 2020's 40
    // -> a = 0.5 -> level 3
    let p = point(&j, "EC-I-ES-2C");
    milestone(p, 4, Some(5), Some(20.0 / 0.95), Some(28.0 - 20.0 / 0.95));
    assert_eq!(p["baseline_level"], 3);
    assert_eq!(p["change"], 1);
    assert_eq!(p["matrix_scope"], "attainment");
    assert_eq!(
        p["matrix_source"],
        "U4SSC attainment bands against city energy plan"
    );
    // Zürich has no target for it (and two cities give no benchmark): level 1
    let z = json(&ws, &["maturity", "--city", ZURICH, "--format", "json"]);
    milestone(point(&z, "EC-I-ES-2C"), 1, None, None, None);
    // the run's tables agree, and so does the U4SSC state
    let rows = sql(
        &ws,
        "select m.city_id, m.maturity_level, s.points, s.state, s.target_scope
         from maturity_levels m join city_scorecard s using (analysis_year, city_id, data_point_id)
         where data_point_id = 'EC-I-ES-2C' order by m.city_id",
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["city_id"], ZURICH);
    assert_eq!(rows[0]["maturity_level"], 1);
    assert!(rows[0]["points"].is_null());
    assert_eq!(rows[1]["city_id"], GENEVA);
    assert_eq!(rows[1]["maturity_level"], 4);
    assert_eq!(rows[1]["points"], 3);
    assert_eq!(rows[1]["state"], "66-95%");
    assert_eq!(rows[1]["target_scope"], "city");
}

#[test]
fn a_workspace_matrix_overrides_levels_and_a_weaker_level_is_an_error() {
    let ws = Ws::new();
    submit(
        &ws,
        "m.csv",
        &[
            (GENEVA, "EC-ICT-ICT-1C", 2024, "25", "%", false),
            (GENEVA, "EN-EN-AQ-1C-pm10", 2024, "40", "ug/m3", false),
            (ZURICH, "EC-ICT-ICT-1C", 2024, "45", "%", false),
        ],
    );
    run(&ws);
    // by default (the U4SSC bands): Zürich 45 % of 100 -> level 3, 21 short of 66;
    // Geneva PM10 40 against 15 -> a = 0.375 -> level 3
    let z = json(&ws, &["maturity", "--city", ZURICH, "--format", "json"]);
    milestone(
        point(&z, "EC-ICT-ICT-1C"),
        3,
        Some(4),
        Some(66.0),
        Some(21.0),
    );
    let g = json(&ws, &["maturity", "--city", GENEVA, "--format", "json"]);
    milestone(
        point(&g, "EN-EN-AQ-1C-pm10"),
        3,
        Some(4),
        Some(15.0 / 0.66),
        Some(40.0 - 15.0 / 0.66),
    );

    let matrix = ws.root().join("maturity_matrix.csv");
    std::fs::write(
        &matrix,
        "data_point_id,level_2,level_3,level_4,level_5,source,city_id\n\
         EC-ICT-ICT-1C,50,60,70,90,city plan,2657896\n\
         EN-EN-AQ-1C-pm10,45,38,30,20,stricter plan,\n",
    )
    .unwrap();
    run(&ws);
    // Zürich's own row 50/60/70/90: 45 % is now below level 2 -> level 1, 5 short of 50
    let z = json(&ws, &["maturity", "--city", ZURICH, "--format", "json"]);
    let p = point(&z, "EC-ICT-ICT-1C");
    milestone(p, 1, Some(2), Some(50.0), Some(5.0));
    assert_eq!(p["matrix_scope"], "city");
    close(&p["level_5"], 90.0);
    // Geneva keeps the default for internet (25 % -> a = 0.25 -> level 2, 33 next); the
    // workspace row without city_id sets PM10's levels for everyone: 40 <= 45 but > 38 ->
    // level 2, next level 3 at 38, 2 above it
    let g = json(&ws, &["maturity", "--city", GENEVA, "--format", "json"]);
    let p = point(&g, "EC-ICT-ICT-1C");
    milestone(p, 2, Some(3), Some(33.0), Some(8.0));
    assert_eq!(p["matrix_scope"], "attainment");
    let p = point(&g, "EN-EN-AQ-1C-pm10");
    milestone(p, 2, Some(3), Some(38.0), Some(2.0));
    assert_eq!(p["matrix_scope"], "workspace");
    // the mart of the run says the same, with the row's source
    let rows = sql(
        &ws,
        "select city_id, data_point_id, maturity_level, matrix_scope, matrix_source, level_2_target
         from maturity_levels where maturity_level > 0 order by city_id, data_point_id",
    );
    let got: Vec<(String, String, i64, String, String, Option<f64>)> = rows
        .iter()
        .map(|r| {
            (
                r["city_id"].as_str().unwrap().to_string(),
                r["data_point_id"].as_str().unwrap().to_string(),
                r["maturity_level"].as_i64().unwrap(),
                r["matrix_scope"].as_str().unwrap().to_string(),
                r["matrix_source"].as_str().unwrap().to_string(),
                r["level_2_target"].as_f64(),
            )
        })
        .collect();
    let internet = format!("U4SSC attainment bands against {INTERNET_TARGET}");
    let want = [
        (
            ZURICH,
            "EC-ICT-ICT-1C",
            1,
            "city",
            "maturity_matrix.csv: city plan",
            Some(50.0),
        ),
        (
            GENEVA,
            "EC-ICT-ICT-1C",
            2,
            "attainment",
            internet.as_str(),
            None,
        ),
        (
            GENEVA,
            "EN-EN-AQ-1C-pm10",
            2,
            "workspace",
            "maturity_matrix.csv: stricter plan",
            Some(45.0),
        ),
    ];
    assert_eq!(
        got,
        want.map(|(c, d, l, s, src, t)| (
            c.to_string(),
            d.to_string(),
            l,
            s.to_string(),
            src.to_string(),
            t
        ))
    );
    // the run record names the file
    let record = ws.root().join("runs");
    let last = std::fs::read_dir(&record)
        .unwrap()
        .map(|e| e.unwrap().path())
        .max()
        .unwrap();
    let rec: Value = serde_json::from_str(&std::fs::read_to_string(last).unwrap()).unwrap();
    assert_eq!(
        rec["maturity_matrix_override_file"],
        matrix.display().to_string()
    );

    // a level-3 target weaker than level 2's (higher is better): run refuses, naming the
    // workspace file and the line
    std::fs::write(
        &matrix,
        "data_point_id,level_2,level_3,level_4,level_5,source\nEC-ICT-ICT-1C,30,25,60,80,plan\n",
    )
    .unwrap();
    let r = ws.run(&["run"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    let msg = format!(
        "error: {}:2: level_3: 25 is weaker than level_2's 30 for EC-ICT-ICT-1C (higher_better: each level's target must be at least the one of the level below)\n",
        matrix.display()
    );
    assert_eq!(r.stderr, msg);
    // the command that reads the matrix says the same
    let r = ws.run(&["maturity", "--city", GENEVA]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr, msg);
    // lower is better, on line 3, with a city row before it
    std::fs::write(
        &matrix,
        "data_point_id,level_2,level_3,level_4,level_5,source,city_id\n\
         EC-ICT-ICT-1C,50,60,70,90,city plan,2657896\n\
         EC-I-ES-2C,-,30,35,15,plan,\n",
    )
    .unwrap();
    let r = ws.run(&["run"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert_eq!(
        r.stderr,
        format!(
            "error: {}:3: level_4: 35 is weaker than level_3's 30 for EC-I-ES-2C (lower_better: each level's target must be at most the one of the level below)\n",
            matrix.display()
        )
    );
}

/// The rejection file of the assessment ingest with sequence `seq`: (line, field, reason)
/// and the original city_id and level cells.
fn assessment_rejections(ws: &Ws, seq: u32) -> Vec<(u64, String, String, String, String)> {
    let dir = ws.root().join("rejected");
    let prefix = format!("assessments-{seq}-");
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&prefix)
        })
        .collect();
    assert_eq!(files.len(), 1, "rejected/{prefix}*.csv: {files:?}");
    let mut r = csv::Reader::from_path(&files[0]).unwrap();
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "source_file",
            "line",
            "field",
            "reason",
            "city_id",
            "framework",
            "characteristic",
            "level",
            "assessment_date",
            "evidence"
        ]
    );
    r.records()
        .map(|x| {
            let x = x.unwrap();
            (
                x[1].parse().unwrap(),
                x[2].to_string(),
                x[3].to_string(),
                x[4].to_string(),
                x[7].to_string(),
            )
        })
        .collect()
}

#[test]
fn self_assessment_ingest_rejects_each_bad_row_with_its_reason() {
    let ws = Ws::new();
    let text = "city_id,framework,characteristic,level,assessment_date,evidence
2660646,y4904,strategy,3,2024-03-31,smart city plan adopted
2660646,y4904,data,7,2024-03-31,open data portal
2657896,eu_china,strategy,expert,2024-03-31,
2657896,eu_china,stakeholder,basic,2024-03-31,
2657896,iso37120,strategy,1,2024-03-31,
nowhere,y4904,strategy,1,2024-03-31,
2660646,y4904,infrastructure,2,2024-31-03,
2660646,y4904,strategy,3,2024-03-31,smart city plan adopted
2661604,eu_china,funding,basic,2024-03-31,
2661604,eu_china,funding,average,2024-03-31,
2661604,eu_china,governance,more advanced,2024-03-31,
";
    let f = ws.file("assess.csv", text);
    let r = ws.ingest(&f);
    // rows read 11 = accepted 2 (lines 2 and 12) + rejected 9
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let first = r.stdout.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "{} -> assessments.parquet: self-assessments, 11 rows read, 2 accepted, 9 rejected",
            f.display()
        )
    );
    let got = assessment_rejections(&ws, 1);
    let s = |x: &str| x.to_string();
    let want: Vec<(u64, String, String, String, String)> = vec![
        (
            3,
            s("level"),
            s(
                "'7' is outside 0-5; accepted for y4904: 0-5 or pre-maturity, planning, alignment, development, integration, optimization",
            ),
            s(GENEVA),
            s("7"),
        ),
        (
            4,
            s("level"),
            s(
                "'expert' is not a eu_china level; accepted for eu_china: not yet addressed, basic, average, more advanced, state of the art, not assessed (or 0-4)",
            ),
            s(ZURICH),
            s("expert"),
        ),
        (
            5,
            s("characteristic"),
            s(
                "'stakeholder' is not a eu_china characteristic (did you mean 'stakeholders'?); accepted: strategy, stakeholders, governance, funding, value_assessment, business_models, ict_infrastructure, services, legal_and_regulatory",
            ),
            s(ZURICH),
            s("basic"),
        ),
        (
            6,
            s("framework"),
            s(
                "'iso37120' is not a framework; accepted: y4904 (ITU-T Y.4904 achievements) or eu_china (EU-China assessment framework)",
            ),
            s(ZURICH),
            s("1"),
        ),
        (
            7,
            s("city_id"),
            s(
                "unknown city 'nowhere' (add it to the workspace cities.csv if it is missing from the registry)",
            ),
            s("nowhere"),
            s("1"),
        ),
        (
            8,
            s("assessment_date"),
            s("'2024-31-03' is not a date; write YYYY-MM-DD, e.g. 2024-03-31"),
            s(GENEVA),
            s("2"),
        ),
        (
            9,
            s("level"),
            s("duplicate of line 2 (same city, framework, dimension, date and level)"),
            s(GENEVA),
            s("3"),
        ),
        (
            10,
            s("level"),
            s(
                "conflicts with line 11 (same city, framework, characteristic and date, another level); neither is kept",
            ),
            s(BASEL),
            s("basic"),
        ),
        (
            11,
            s("level"),
            s(
                "conflicts with line 10 (same city, framework, characteristic and date, another level); neither is kept",
            ),
            s(BASEL),
            s("average"),
        ),
    ];
    assert_eq!(got, want);
    // the summary shows the first five with their line
    assert!(
        r.stdout.contains("    line 3: level: '7' is outside 0-5;"),
        "{}",
        r.stdout
    );

    // the same bytes again: nothing done, exit 0, the store untouched
    let store = std::fs::read(ws.root().join("assessments.parquet")).unwrap();
    let r = ws.ingest(&f);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        r.stdout,
        format!(
            "{}: self-assessments already ingested (same SHA-256); nothing done (use --force to ingest them again)\n",
            f.display()
        )
    );
    assert_eq!(
        std::fs::read(ws.root().join("assessments.parquet")).unwrap(),
        store
    );

    // the two accepted rows reach the warehouse after a run (which needs a submission)
    submit(
        &ws,
        "s.csv",
        &[(GENEVA, "EC-ICT-ICT-1C", 2024, "90", "%", false)],
    );
    run(&ws);
    let rows = sql(
        &ws,
        "select city_id, framework, characteristic, cast(assessment_date as varchar) as d, maturity_level,
                level_name, evidence, source_line
         from stg_assessments order by city_id",
    );
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0]["city_id"], GENEVA);
    assert_eq!(rows[0]["framework"], "y4904");
    assert_eq!(rows[0]["characteristic"], "strategy");
    assert_eq!(rows[0]["d"], "2024-03-31");
    assert_eq!(rows[0]["maturity_level"], 3);
    assert_eq!(rows[0]["level_name"], "Development");
    assert_eq!(rows[0]["evidence"], "smart city plan adopted");
    assert_eq!(rows[0]["source_line"], 2);
    assert_eq!(rows[1]["city_id"], BASEL);
    assert_eq!(rows[1]["characteristic"], "governance");
    assert_eq!(rows[1]["maturity_level"], 3);
    assert_eq!(rows[1]["level_name"], "more advanced");
    assert_eq!(rows[1]["source_line"], 12);

    // the rejection file the first ingest pointed to is still there after later commands
    // (every `lock()` removes crash leftovers in rejected/; assessment rejection files are
    // not batch leftovers and must survive)
    let left: Vec<String> = std::fs::read_dir(ws.root().join("rejected"))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        left.iter().any(|n| n.starts_with("assessments-1-")),
        "the assessment rejection file was removed by a later command; rejected/ holds {left:?}"
    );
    assert_eq!(assessment_rejections(&ws, 1), want);
}

/// A self-assessment file whose rows were all rejected is a file that was ingested too:
/// like a submission file (`already ingested as batch ...`), ingesting the same bytes again
/// should do nothing.
#[test]
fn a_fully_rejected_assessment_file_is_not_ingested_twice() {
    let ws = Ws::new();
    let f = ws.file(
        "bad.csv",
        "city_id,framework,characteristic,level,assessment_date\nnowhere,y4904,strategy,1,2024-03-31\n",
    );
    let r = ws.ingest(&f);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.starts_with(&format!(
            "{} -> assessments.parquet: self-assessments, 1 rows read, 0 accepted, 1 rejected",
            f.display()
        )),
        "{}",
        r.stdout
    );
    // the ingest log (assessments.json) records the file even without an accepted row
    let r = ws.ingest(&f);
    assert_eq!(
        (r.code, r.stdout.clone()),
        (
            0,
            format!(
                "{}: self-assessments already ingested (same SHA-256); nothing done (use --force to ingest them again)\n",
                f.display()
            )
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn staircase_checks_and_the_distribution_of_levels() {
    let ws = Ws::new();
    submit(
        &ws,
        "s.csv",
        &[(GENEVA, "EC-ICT-ICT-1C", 2024, "90", "%", false)],
    );
    // Geneva: strategy basic (1) -> state of the art (4): leapfrogging; funding 2 -> 3.
    //   spread as of 2023: 2 - 1 = 1; as of 2024: 4 - 3 = 1 (no isolated advance)
    // Zürich: strategy 2 -> 3 (one level), funding 1 in 2023 only: as of 2024 strategy 3
    //   and funding 1 -> spread 2: an isolated advance (on the 2024 strategy row)
    // Basel: strategy 4 only (funding left out); Beijing strategy average; Shanghai
    //   strategy average and funding explicitly "not assessed"
    let text = "city_id,framework,characteristic,level,assessment_date,evidence
2660646,eu_china,strategy,basic,2023-01-15,first plan
2660646,eu_china,funding,average,2023-01-15,
2660646,eu_china,strategy,state of the art,2024-01-15,city-wide platform
2660646,eu_china,funding,more advanced,2024-01-15,
2657896,eu_china,strategy,2,2023-01-15,
2657896,eu_china,funding,1,2023-01-15,
2657896,eu_china,strategy,3,2024-01-15,
2661604,eu_china,strategy,4,2024-01-15,
1816670,eu_china,strategy,average,2024-01-15,
1796236,eu_china,strategy,average,2024-01-15,
1796236,eu_china,funding,not assessed,2024-01-15,
";
    let r = ws.ingest(&ws.file("stairs.csv", text));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    run(&ws);
    let rows = sql(
        &ws,
        "select city_id, characteristic, cast(assessment_date as varchar) as d, maturity_level, previous_level,
                cast(previous_date as varchar) as pd, leapfrog, spread, isolated_advance
         from stg_assessments where leapfrog or isolated_advance order by city_id",
    );
    assert_eq!(rows.len(), 2, "{rows:?}");
    let z = &rows[0];
    assert_eq!(
        (
            &z["city_id"],
            &z["characteristic"],
            &z["d"],
            &z["maturity_level"],
            &z["previous_level"],
            &z["leapfrog"],
            &z["spread"],
            &z["isolated_advance"]
        ),
        (
            &Value::from(ZURICH),
            &Value::from("strategy"),
            &Value::from("2024-01-15"),
            &Value::from(3),
            &Value::from(2),
            &Value::Bool(false),
            &Value::from(2),
            &Value::Bool(true)
        )
    );
    let g = &rows[1];
    assert_eq!(
        (
            &g["city_id"],
            &g["characteristic"],
            &g["d"],
            &g["maturity_level"],
            &g["previous_level"],
            &g["pd"],
            &g["leapfrog"],
            &g["spread"],
            &g["isolated_advance"]
        ),
        (
            &Value::from(GENEVA),
            &Value::from("strategy"),
            &Value::from("2024-01-15"),
            &Value::from(4),
            &Value::from(1),
            &Value::from("2023-01-15"),
            &Value::Bool(true),
            &Value::from(1),
            &Value::Bool(false)
        )
    );

    // the findings in words
    let t = ok(&ws, &["maturity", "--city", GENEVA]);
    assert!(
        t.contains("\nStaircase checks\n! leapfrogging (eu_china): strategy rose from basic (2023-01-15) to state of the art (2024-01-15), more than one level\n"),
        "{t}"
    );
    assert!(!t.contains("isolated advance"), "{t}");
    let t = ok(&ws, &["maturity", "--city", ZURICH]);
    assert!(
        t.contains("\nStaircase checks\n! isolated advance (eu_china): as of 2024-01-15 the highest and lowest characteristics are 2 levels apart (more than one)\n"),
        "{t}"
    );
    assert!(!t.contains("leapfrogging"), "{t}");
    let t = ok(&ws, &["maturity", "--city", BASEL]);
    assert!(!t.contains("Staircase checks"), "{t}");
    let j = json(&ws, &["maturity", "--city", GENEVA, "--format", "json"]);
    assert_eq!(
        j["staircase_findings"],
        serde_json::json!([
            "leapfrogging (eu_china): strategy rose from basic (2023-01-15) to state of the art (2024-01-15), more than one level"
        ])
    );
    assert_eq!(j["self_assessments"].as_array().unwrap().len(), 4);

    // by continent: Europe = Geneva, Zürich, Basel; Asia = Beijing, Shanghai
    let d = json(
        &ws,
        &[
            "maturity",
            "--distribution",
            "--framework",
            "eu_china",
            "--by",
            "continent",
            "--format",
            "json",
        ],
    );
    // 9 characteristics x 2 groups
    assert_eq!(d.as_array().unwrap().len(), 18);
    let share = |d: &Value, ch: &str, group: &str| -> Value {
        d.as_array()
            .unwrap()
            .iter()
            .find(|r| r["characteristic"] == ch && r["group"] == group)
            .unwrap_or_else(|| panic!("no {ch} x {group}"))
            .clone()
    };
    let check = |r: &Value, cities: i64, pcts: [f64; 6]| {
        assert_eq!(r["cities"], cities, "{r}");
        let cols = [
            "not yet addressed %",
            "basic %",
            "average %",
            "more advanced %",
            "state of the art %",
            "not assessed %",
        ];
        for (c, p) in cols.iter().zip(pcts) {
            close(&r[*c], p);
        }
    };
    // strategy in Europe (latest answers 4, 3, 4): state of the art 2/3 = 66.7, more
    // advanced 1/3 = 33.3
    check(
        &share(&d, "strategy", "Europe"),
        3,
        [0.0, 0.0, 0.0, 33.3, 66.7, 0.0],
    );
    // funding in Europe: Geneva 3, Zürich 1, Basel left it out -> not assessed
    check(
        &share(&d, "funding", "Europe"),
        3,
        [0.0, 33.3, 0.0, 33.3, 0.0, 33.3],
    );
    check(
        &share(&d, "strategy", "Asia"),
        2,
        [0.0, 0.0, 100.0, 0.0, 0.0, 0.0],
    );
    // Beijing left funding out, Shanghai answered "not assessed"
    check(
        &share(&d, "funding", "Asia"),
        2,
        [0.0, 0.0, 0.0, 0.0, 0.0, 100.0],
    );
    check(
        &share(&d, "governance", "Europe"),
        3,
        [0.0, 0.0, 0.0, 0.0, 0.0, 100.0],
    );

    // an unknown attribute lists the valid ones
    let r = ws.run(&["maturity", "--distribution", "--by", "region"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert_eq!(
        r.stderr,
        "error: --by: unknown attribute 'region'; valid: all, population_band, economy, continent, un_region, country_iso2, country_iso3 (a workspace attributes.csv adds more, e.g. region)\n"
    );
    // a workspace attribute (the white paper's Figure 3 groups); Basel has no region and
    // is left out
    std::fs::write(
        ws.root().join("attributes.csv"),
        format!("city_id,region\n{GENEVA},EU\n{ZURICH},EU\n{BEIJING},China\n{SHANGHAI},China\n"),
    )
    .unwrap();
    let d = json(
        &ws,
        &[
            "maturity",
            "--distribution",
            "--by",
            "region",
            "--format",
            "json",
        ],
    );
    assert_eq!(d.as_array().unwrap().len(), 18);
    let groups: Vec<&str> = d.as_array().unwrap()[..2]
        .iter()
        .map(|r| r["group"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["China", "EU"]);
    // strategy EU: Geneva 4, Zürich 3 -> 50 / 50; funding EU: 3 and 1
    check(
        &share(&d, "strategy", "EU"),
        2,
        [0.0, 0.0, 0.0, 50.0, 50.0, 0.0],
    );
    check(
        &share(&d, "funding", "EU"),
        2,
        [0.0, 50.0, 0.0, 50.0, 0.0, 0.0],
    );
    check(
        &share(&d, "strategy", "China"),
        2,
        [0.0, 0.0, 100.0, 0.0, 0.0, 0.0],
    );
    let r = ws.run(&["maturity", "--distribution", "--by", "regoin"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: --by: unknown attribute 'regoin' (did you mean 'region'?); valid: all, population_band, economy, continent, un_region, country_iso2, region, country_iso3 (a workspace attributes.csv adds more, e.g. region)\n"
    );
}

/// The embedded catalogue with a plausible range 0..200 µg/m³ for NO2 (whose hard bounds
/// are only >= 0), for the `plausible_range` rule.
fn catalogue_with_no2_range(ws: &Ws) -> std::path::PathBuf {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/datasets/catalog/u4ssc_kpis.csv"
    ))
    .unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers = r.headers().unwrap().clone();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
    let (id, lo, hi) = (
        col("data_point_id"),
        col("plausible_min"),
        col("plausible_max"),
    );
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&headers).unwrap();
    let mut changed = 0;
    for rec in r.records() {
        let mut rec: Vec<String> = rec.unwrap().iter().map(str::to_string).collect();
        if rec[id] == "EN-EN-AQ-1C-no2" {
            assert_eq!((rec[lo].as_str(), rec[hi].as_str()), ("", ""));
            rec[lo] = "0".into();
            rec[hi] = "200".into();
            changed += 1;
        }
        w.write_record(&rec).unwrap();
    }
    assert_eq!(changed, 1);
    ws.file("catalogue.csv", w.into_inner().unwrap())
}

#[test]
fn verify_flags_each_rule_where_intended() {
    let ws = Ws::new();
    // Six cities of the 100k-500k population band report household Internet 2024; Geneva
    // also trips every other rule; Stavanger's value is confidential (and verified)
    let text = format!(
        "{HEADER}
2660646,EC-ICT-ICT-1C,2024,60,%,t,measured,false,false
2660646,EC-ICT-ICT-2C,2024,70,%,t,measured,false,false
2660646,EC-I-WS-1C,2024,95,%,t,measured,false,false
2660646,EC-I-WS-2C,2024,99,%,t,measured,false,false
2660646,EN-EN-WS-4C-primary,2024,90,%,t,measured,false,false
2660646,EN-EN-WS-4C-secondary,2024,80,%,t,measured,false,false
2660646,EN-EN-WS-4C-tertiary,2024,85,%,t,measured,false,false
2660646,EC-I-T-4A-public,2024,40,%,t,measured,false,false
2660646,EC-I-T-4A-private,2024,30,%,t,measured,false,false
2660646,EC-I-T-4A-walking,2024,20,%,t,measured,false,false
2660646,EC-I-T-4A-cycling,2024,15,%,t,measured,false,false
2660646,EC-I-T-4A-para,2024,5,%,t,measured,false,false
2660646,EN-EN-AQ-1C-pm10,2023,10,ug/m3,t,measured,false,false
2660646,EN-EN-AQ-1C-pm10,2024,30,ug/m3,t,measured,false,false
2660646,EN-EN-AQ-1C-no2,2024,250,ug/m3,t,measured,false,false
{ZURICH},EC-ICT-ICT-1C,2024,61,%,t,measured,false,false
{BASEL},EC-ICT-ICT-1C,2024,62,%,t,measured,false,false
{LAUSANNE},EC-ICT-ICT-1C,2024,63,%,t,measured,false,false
{BERN},EC-ICT-ICT-1C,2024,64,%,t,measured,false,false
{STAVANGER},EC-ICT-ICT-1C,2024,99,%,t,measured,true,true
"
    );
    let r = ws.ingest(&ws.file("v.csv", &text));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // verify before any run (no database yet), then run: the view has the flags
    let r = ws.run(&["verify"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "verify: 13 flag(s) (10 warning(s), 3 notice(s)) over 20 observations of 6 cities -> derived/verification_flags.parquet"
        ),
        "{}",
        r.stderr
    );
    run(&ws);

    let flags = json(&ws, &["verify", "--city", GENEVA, "--format", "json"]);
    // (year, data point, rule, severity, value, reference, reference_2, reference_id, message),
    // sorted newest year first, then rule, data point (none first), reference id
    type Flag<'a> = (
        i64,
        Option<&'a str>,
        &'a str,
        &'a str,
        f64,
        Option<f64>,
        Option<f64>,
        Option<&'a str>,
        &'a str,
    );
    let want: Vec<Flag<'_>> = vec![
        // piped water 99 > basic water 95: a strict rule -> warning
        (
            2024,
            Some("EC-I-WS-2C"),
            "consistency",
            "warning",
            99.0,
            Some(95.0),
            None,
            Some("EC-I-WS-1C <="),
            "EC-I-WS-2C 2024: 99 % should be <= EC-I-WS-1C (95 %): the catalogue's consistency rule",
        ),
        // fixed broadband 70 > household internet 60: "(normally)" -> notice
        (
            2024,
            Some("EC-ICT-ICT-2C"),
            "consistency",
            "notice",
            70.0,
            Some(60.0),
            None,
            Some("EC-ICT-ICT-1C <="),
            "EC-ICT-ICT-2C 2024: 70 % should be <= EC-ICT-ICT-1C (60 %): the catalogue's consistency rule",
        ),
        // 2024: core KPIs EC-ICT-ICT-1C, -2C, EC-I-WS-1C, -2C, EN-EN-WS-4C (three data
        // points, one KPI), EN-EN-AQ-1C (PM10 and NO2, one KPI) -> 6 of 55 (mode shares
        // are an advanced KPI)
        (
            2024,
            None,
            "core_coverage",
            "warning",
            6.0 / 55.0,
            Some(6.0),
            Some(55.0),
            None,
            "2024: 6 of 55 core KPIs reported (10.9 %); U4SSC follows up when more than 20 % are missing",
        ),
        // mode shares 40 + 30 + 20 + 15 + 5 = 110, all five members reported
        (
            2024,
            None,
            "sum_group",
            "warning",
            110.0,
            Some(5.0),
            Some(5.0),
            Some("mode_share"),
            "mode_share 2024: shares sum to 110 %, outside 100 +/- 2 (5 of 5 members reported)",
        ),
        // tertiary 85 > secondary 80 (primary 90 >= secondary 80 is fine)
        (
            2024,
            Some("EN-EN-WS-4C-tertiary"),
            "wastewater_order",
            "warning",
            85.0,
            Some(80.0),
            None,
            Some("EN-EN-WS-4C-secondary <="),
            "EN-EN-WS-4C-tertiary 2024: 85 % should be <= EN-EN-WS-4C-secondary (80 %): treatment levels must be ordered primary >= secondary >= tertiary",
        ),
        // PM10 10 -> 30: x3 > x2
        (
            2024,
            Some("EN-EN-AQ-1C-pm10"),
            "yoy_change",
            "notice",
            30.0,
            Some(10.0),
            Some(2.0),
            None,
            "EN-EN-AQ-1C-pm10 2024: 30 µg/m³ after 10 µg/m³ in 2023: more than x2 year on year",
        ),
        // 2023: only PM10 -> 1 of the 55 core KPIs (1/55 = 1.81818 %, shown to one decimal as in the summary) < 80 %
        (
            2023,
            None,
            "core_coverage",
            "warning",
            1.0 / 55.0,
            Some(1.0),
            Some(55.0),
            None,
            "2023: 1 of 55 core KPIs reported (1.8 %); U4SSC follows up when more than 20 % are missing",
        ),
    ];
    let got = flags.as_array().unwrap();
    assert_eq!(got.len(), want.len(), "{flags:#}");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g["year"], w.0, "{g}");
        assert_eq!(g["data_point_id"].as_str(), w.1, "{g}");
        assert_eq!(g["rule"], w.2, "{g}");
        assert_eq!(g["severity"], w.3, "{g}");
        close(&g["value"], w.4);
        num_or_null(&g["reference"], w.5);
        num_or_null(&g["reference_2"], w.6);
        assert_eq!(g["reference_id"].as_str(), w.7, "{g}");
        assert_eq!(g["confidential"], false);
        assert_eq!(g["message"], w.8);
    }
    // the text: the summary's percentage and the flag's agree (10.9), flags newest first
    let r = ws.run(&["verify", "--city", GENEVA]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("  core KPIs in 2024: 6 of 55 reported (10.9 %), 0 declared not reported, "),
        "{}",
        r.stdout
    );
    let lines: String = want
        .iter()
        .map(|w| format!("  {:<8} {}\n", w.3, w.8))
        .collect();
    assert!(r.stdout.ends_with(&format!("\n\n{lines}")), "{}", r.stdout);
    // NO2 250 µg/m³ has no flag: the embedded catalogue gives NO2 no plausible range
    // (see catalogue_with_no2_range below)
    assert!(!got.iter().any(|f| f["rule"] == "plausible_range"));

    // Stavanger: its 99 is confidential, so the group's median and MAD are those of the
    // five published values 60, 61, 62, 63, 64 (METHODOLOGY section 10): median 62,
    // deviations 2, 1, 0, 1, 2 -> MAD 1; 99 is 37 > 5 x 1 from it. The city sees its own
    // value.
    let s = json(&ws, &["verify", "--city", STAVANGER, "--format", "json"]);
    let s = s.as_array().unwrap();
    assert_eq!(s.len(), 2, "{s:?}");
    assert_eq!(s[0]["rule"], "core_coverage");
    let o = &s[1];
    assert_eq!(o["rule"], "peer_outlier");
    assert_eq!(o["severity"], "notice");
    assert_eq!(o["data_point_id"], "EC-ICT-ICT-1C");
    close(&o["value"], 99.0);
    close(&o["reference"], 62.0);
    close(&o["reference_2"], 1.0);
    assert_eq!(o["reference_id"], "100k-500k");
    assert_eq!(o["confidential"], true);
    assert_eq!(
        o["message"],
        "EC-ICT-ICT-1C 2024: 99 % is more than 5 x MAD from the median of peer group 100k-500k (median 62 %, MAD 1 %)"
    );
    // the four others: the core coverage warning only
    for c in [ZURICH, BASEL, LAUSANNE, BERN] {
        let f = json(&ws, &["verify", "--city", c, "--format", "json"]);
        let f = f.as_array().unwrap();
        assert_eq!(f.len(), 1, "{c}: {f:?}");
        assert_eq!(f[0]["rule"], "core_coverage");
        assert_eq!(
            f[0]["message"],
            "2024: 1 of 55 core KPIs reported (1.8 %); U4SSC follows up when more than 20 % are missing"
        );
    }

    // the summary: most warnings first, then notices, then id
    let sum = json(&ws, &["verify", "--format", "json"]);
    let sum = sum.as_array().unwrap();
    let order: Vec<&str> = sum.iter().map(|r| r["city_id"].as_str().unwrap()).collect();
    assert_eq!(order, [GENEVA, STAVANGER, ZURICH, LAUSANNE, BERN, BASEL]);
    let g = &sum[0];
    assert_eq!(g["observations"], 15);
    assert_eq!(g["latest_year"], 2024);
    // 6 / 55 = 10.909 -> 10.9
    close(&g["core_kpis_latest_year_pct"], 10.9);
    assert_eq!(g["warnings"], 5);
    assert_eq!(g["notices"], 2);
    close(&g["measured_pct"], 100.0);
    close(&g["verified_pct"], 0.0);
    // core_coverage and consistency both fire twice: the tie goes to the first name
    assert_eq!(g["top_rule"], "consistency");
    let st = &sum[1];
    assert_eq!(
        (&st["warnings"], &st["notices"]),
        (&Value::from(1), &Value::from(1))
    );
    close(&st["verified_pct"], 100.0);
    close(&st["core_kpis_latest_year_pct"], 1.8);
    for r in &sum[2..] {
        assert_eq!(
            (&r["warnings"], &r["notices"]),
            (&Value::from(1), &Value::from(0))
        );
        assert_eq!(r["observations"], 1);
        assert_eq!(r["top_rule"], "core_coverage");
    }

    // the view: every flag but the one on a confidential value (even its existence says
    // where the value lies: METHODOLOGY section 10), which the custodian's staging view has
    let view = |ws: &Ws| {
        sql(
            ws,
            "select city_id, data_point_id, year, rule, severity, value, reference, reference_2,
                    reference_id, message
             from verification_flags order by city_id, year, data_point_id nulls first, rule",
        )
    };
    let check_view = |rows: &[Value], n: usize| {
        assert_eq!(rows.len(), n, "{rows:?}");
        assert!(
            !rows.iter().any(|r| r["rule"] == "peer_outlier"),
            "{rows:?}"
        );
        let o = sql(
            &ws,
            "select city_id, confidential, public_message from stg_verification_flags where rule = 'peer_outlier'",
        );
        assert_eq!(o.len(), 1);
        assert_eq!(o[0]["city_id"], STAVANGER);
        assert_eq!(o[0]["confidential"], true);
        assert_eq!(
            o[0]["public_message"],
            "EC-ICT-ICT-1C 2024: more than 5 x MAD from the median of peer group 100k-500k (value withheld (confidential))"
        );
        // the others keep their numbers and full messages
        let w = rows
            .iter()
            .find(|r| r["rule"] == "wastewater_order")
            .unwrap();
        close(&w["value"], 85.0);
        assert_eq!(w["message"], want[4].8);
    };
    check_view(&view(&ws), 12);
    // verify again with the database present, then run again: still there
    ok(&ws, &["verify"]);
    check_view(&view(&ws), 12);
    run(&ws);
    check_view(&view(&ws), 12);
    let counts = sql(
        &ws,
        "select rule, severity, count(*) as n from verification_flags group by all order by rule, severity",
    );
    let counts: Vec<(String, String, i64)> = counts
        .iter()
        .map(|r| {
            (
                r["rule"].as_str().unwrap().to_string(),
                r["severity"].as_str().unwrap().to_string(),
                r["n"].as_i64().unwrap(),
            )
        })
        .collect();
    let s = |x: &str| x.to_string();
    assert_eq!(
        counts,
        [
            (s("consistency"), s("notice"), 1),
            (s("consistency"), s("warning"), 1),
            (s("core_coverage"), s("warning"), 7),
            (s("sum_group"), s("warning"), 1),
            (s("wastewater_order"), s("warning"), 1),
            (s("yoy_change"), s("notice"), 1),
        ]
    );

    // plausible_range with a catalogue that gives NO2 a plausible range 0..200: 250 is
    // outside it (a warning that keeps the row)
    let cat = catalogue_with_no2_range(&ws);
    let f = json(
        &ws,
        &[
            "verify",
            "--catalog",
            cat.to_str().unwrap(),
            "--city",
            GENEVA,
            "--format",
            "json",
        ],
    );
    let p: Vec<&Value> = f
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["rule"] == "plausible_range")
        .collect();
    assert_eq!(p.len(), 1, "{f:#}");
    assert_eq!(p[0]["data_point_id"], "EN-EN-AQ-1C-no2");
    assert_eq!(p[0]["severity"], "warning");
    close(&p[0]["value"], 250.0);
    close(&p[0]["reference"], 0.0);
    close(&p[0]["reference_2"], 200.0);
    assert_eq!(
        p[0]["message"],
        "EN-EN-AQ-1C-no2 2024: 250 µg/m³ is outside the plausible range 0..200 µg/m³; check the unit and the source"
    );
    assert_eq!(f.as_array().unwrap().len(), 8);
    // verify rebuilt the view over the new file
    assert_eq!(view(&ws).len(), 13);
}

/// A workspace with 300 generated cities (2019..2024) and a second batch that triples the
/// 2022 value of about one series in 50 (a jump up from 2021 and down to 2023, where the
/// generator alone makes few), ingested, run and verified.
fn generated() -> Ws {
    let ws = Ws::new();
    ws.generate_and_ingest("g", 300, "2019..2024", 7);
    // the resubmission, from the stored raw rows as reported (unit, denominator), x3;
    // within the hard maximum so that every row is accepted
    let jumps = ws.dir.path().join("jumps.csv");
    let con = duckdb::Connection::open_in_memory().unwrap();
    con.execute_batch(&format!(
        "copy (
             select r.city_id, r.data_point_id, r.year, cast(r.value_reported as double) * 3 as value,
                    r.unit_reported as unit, r.source, r.quality, r.verified, r.confidential,
                    r.denominator
             from read_parquet('{root}/raw/*/*.parquet') r
             join read_csv('{catalog}', header = true, all_varchar = true) k using (data_point_id)
             where r.year = 2022 and k.value_type <> 'boolean' and r.value > 0
               and (k.hard_max is null or r.value * 3 <= cast(k.hard_max as double))
               and (cast(r.city_id as bigint) + length(r.data_point_id) * 7) % 50 = 0
             order by all
         ) to '{out}' (header, delimiter ',');",
        root = ws.root().display(),
        catalog = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/catalog/u4ssc_kpis.csv"),
        out = jumps.display()
    ))
    .unwrap();
    let r = ws.ingest(&jumps);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let accepted = ws.manifest()["batches"][1]["rows_accepted"].as_i64();
    assert!(accepted.unwrap_or(0) > 100, "{}", r.stdout);
    run(&ws);
    let r = ws.run(&["verify"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    ws
}

/// (rows compared, rows that disagree) of a query returning those two counts.
fn counts(con: &duckdb::Connection, sql: &str) -> (i64, i64) {
    con.query_row(sql, [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap_or_else(|e| panic!("{e}\n{sql}"))
}

/// The first rows flagged by the engine only (`engine`) or by the recomputation only
/// (`sql`), with the observation's value, for an assertion message.
fn differences(con: &duckdb::Connection, rule: &str, mine: &str) -> String {
    let q = format!(
        "with f as (select city_id, data_point_id, year from flags where rule = '{rule}'),
              d as (select 'engine' as side, * from (select * from f except select * from {mine})
                    union all
                    select 'sql', * from (select * from {mine} except select * from f))
         select d.side, d.city_id, d.data_point_id, d.year, o.value
         from d left join obs o using (city_id, data_point_id, year)
         order by all limit 20"
    );
    let mut st = con.prepare(&q).unwrap();
    let rows = st
        .query_map([], |r| {
            Ok(format!(
                "{} {} {} {} {:?}",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i32>(3)?,
                r.get::<_, Option<f64>>(4)?
            ))
        })
        .unwrap();
    rows.map(|r| r.unwrap()).collect::<Vec<_>>().join("\n")
}

#[test]
fn duckdb_recomputes_levels_peer_outliers_and_year_on_year_flags() {
    let ws = generated();
    let con = duckdb::Connection::open_in_memory().unwrap();
    let root = ws.root();
    let catalog = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/datasets/catalog/u4ssc_kpis.csv"
    );
    con.execute_batch(&format!(
        "create table obs as
             select cast(city_id as varchar) as city_id, cast(data_point_id as varchar) as data_point_id,
                    cast(year as integer) as year, value, confidential
             from read_parquet('{r}/derived/observations.parquet');
         create table cities as
             select cast(city_id as varchar) as city_id, population_band
             from read_parquet('{r}/derived/cities.parquet');
         create table kpis as select * from read_csv('{catalog}', header = true, all_varchar = true);
         create table booleans as select data_point_id from kpis where value_type = 'boolean';
         create table att as
             select cast(city_id as varchar) as city_id, cast(data_point_id as varchar) as data_point_id,
                    direction, value, target, worst, tolerance, method, reference_kind
             from read_parquet('{r}/derived/attainment.parquet');
         create table levels as
             select cast(city_id as varchar) as city_id, cast(data_point_id as varchar) as data_point_id,
                    analysis_year, maturity_level, next_level, next_target, gap_next, matrix_scope
             from read_parquet('{r}/derived/maturity_levels.parquet');
         create table dims as
             select cast(city_id as varchar) as city_id, dimension, data_points, level_min, level_median
             from read_parquet('{r}/derived/maturity_dimensions.parquet');
         create table flags as
             select cast(city_id as varchar) as city_id, cast(data_point_id as varchar) as data_point_id,
                    year, rule
             from read_parquet('{r}/derived/verification_flags.parquet');",
        r = root.display()
    ))
    .unwrap();
    let year: i32 = con
        .query_row("select max(year) from obs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(year, 2024);
    let (n, bad) = counts(
        &con,
        "select count(*), count(*) filter (where analysis_year <> 2024 or matrix_scope <> 'attainment') from levels",
    );
    assert!(n > 0);
    assert_eq!(bad, 0);

    // (a) levels, without a matrix file: from the value and the run's reference (target or
    // benchmark, worst, tolerance, method) of every non-neutral data point, the attainment
    // (METHODOLOGY section 6), its band on min(a, 1) with the 1e-9 tolerance, and the level
    // = points + 1 (0 without a value, 1 without a reference); the next level and its target
    // = the next band edge in the value's units (none for a target band or at level 5)
    con.execute_batch(
        "create table mine as
         with a as (
             select *, case
                 when value is null or method is null then null
                 when method = 'band' then greatest(0, 1 - abs(value - target) / tolerance)
                 when method = 'bounded' then
                     case when worst is null or worst = target then null
                          else least(greatest((value - worst) / (target - worst), 0), 1) end
                 when direction = 'lower_better' then case when value = 0 then 1 else target / value end
                 else value / target end as a
             from att where direction <> 'neutral'),
         p as (
             select *, case when a is null then null
                            when least(a, 1) >= 0.95 - 1e-9 then 4
                            when least(a, 1) >= 0.66 - 1e-9 then 3
                            when least(a, 1) >= 0.33 - 1e-9 then 2
                            else 1 end as pts
             from a),
         l as (
             select *, case when value is null then 0 when pts is null then 1 else pts + 1 end as level,
                       case when value is null then 1
                            when pts is null or method = 'band' or pts = 4 then null
                            else pts + 2 end as next_level
             from p),
         e as (
             select *, [0.33, 0.66, 0.95][next_level - 2] as f from l)
         select city_id, data_point_id, value, direction, level, next_level,
                case when next_level is null or next_level = 1 then null
                     when method = 'ratio' and direction = 'higher_better' then f * target
                     when method = 'ratio' then target / f
                     else worst + f * (target - worst) end as next_target
         from e;",
    )
    .unwrap();
    let (n, bad) = counts(
        &con,
        "select count(*), count(*) filter (where l.city_id is null or m.city_id is null
                 or l.maturity_level <> m.level or l.next_level is distinct from m.next_level
                 or (l.next_target is null) <> (m.next_target is null)
                 or abs(l.next_target - m.next_target) > 1e-9 * greatest(abs(m.next_target), 1)
                 or abs(l.gap_next - case when m.direction = 'higher_better' then m.next_target - m.value
                                          else m.value - m.next_target end) > 1e-9 * greatest(abs(m.next_target), 1)
                 or l.gap_next <= 0)
         from levels l full join mine m using (city_id, data_point_id)",
    );
    assert!(n >= 300 * 108, "{n}");
    assert_eq!(bad, 0, "maturity levels differ");
    // the generated data reach every level but 1 (with 300 cities every data point has a
    // target or a benchmark), and benchmarks take part
    let (levels, _) = counts(&con, "select count(distinct level), 0 from mine");
    assert_eq!(levels, 5, "levels 0, 2, 3, 4, 5 should all occur");
    let (benchmarked, _) = counts(
        &con,
        "select count(*), 0 from att a join levels l using (city_id, data_point_id)
         where a.reference_kind = 'benchmark' and l.maturity_level >= 2",
    );
    assert!(benchmarked > 1000, "{benchmarked}");
    // the roll-ups: the minimum and the median of the levels per city and dimension, and
    // overall
    let (n, bad) = counts(
        &con,
        "with m as (
             select city_id, k.dimension, level from mine join kpis k using (data_point_id)),
         r as (
             select city_id, dimension, count(*) as n, min(level) as lo, median(level) as med
             from m group by all
             union all
             select city_id, 'KPI performance', count(*), min(level), median(level) from m group by all)
         select count(*), count(*) filter (where d.city_id is null or r.city_id is null or d.data_points <> r.n
                                                  or d.level_min <> r.lo or d.level_median <> r.med)
         from dims d full join r using (city_id, dimension)",
    );
    assert_eq!(n, 300 * 4);
    assert_eq!(bad, 0, "maturity roll-ups differ");

    // (b) peer outliers: per population band (known populations), data point and year
    // with at least 5 published values: |v - median| > 5 x MAD, MAD > 0, the median and MAD
    // of the published (not confidential) values, every value tested; booleans excluded.
    // With one-decimal data, |v - median| = 5 x MAD happens (a few in this workspace): such
    // a tie, up to floating-point noise, is not "more than" (a relative tolerance of 1e-9)
    con.execute_batch(
        "create table my_outliers as
         with g as (
             select o.*, c.population_band as grp from obs o join cities c using (city_id)
             where c.population_band <> 'unknown'
               and o.data_point_id not in (select data_point_id from booleans)),
         s as (
             select grp, data_point_id, year, median(value) filter (where not confidential) as med from g
             group by all having count(*) filter (where not confidential) >= 5),
         d as (
             select g.*, abs(g.value - s.med) as dev from g join s using (grp, data_point_id, year)),
         m as (
             select grp, data_point_id, year, median(dev) filter (where not confidential) as mad from d
             group by all having median(dev) filter (where not confidential) > 0)
         select city_id, data_point_id, year from d join m using (grp, data_point_id, year)
         where dev > 5 * mad * (1 + 1e-9);",
    )
    .unwrap();
    let compare = |rule: &str, mine: &str| -> (i64, i64) {
        counts(
            &con,
            &format!(
                "with f as (select city_id, data_point_id, year from flags where rule = '{rule}')
                 select (select count(*) from f),
                        (select count(*) from (select * from f except select * from {mine}))
                      + (select count(*) from (select * from {mine} except select * from f))"
            ),
        )
    };
    let (n, bad) = compare("peer_outlier", "my_outliers");
    assert!(n > 100, "{n} peer outliers");
    assert_eq!(
        bad,
        0,
        "peer outlier flags differ:\n{}",
        differences(&con, "peer_outlier", "my_outliers")
    );

    // (c) year-on-year: consecutive years of one series, both values > 0, ratio > 2 or
    // < 1/2 (an exact x2 is not "more than", same tolerance), booleans excluded
    con.execute_batch(
        "create table my_yoy as
         with l as (
             select *, lag(value) over w as pv, lag(year) over w as py from obs
             window w as (partition by city_id, data_point_id order by year))
         select city_id, data_point_id, year from l
         where py = year - 1 and value > 0 and pv > 0
           and (value / pv > 2 * (1 + 1e-9) or value / pv < 0.5 * (1 - 1e-9))
           and data_point_id not in (select data_point_id from booleans);",
    )
    .unwrap();
    let (n, bad) = compare("yoy_change", "my_yoy");
    assert!(n > 100, "{n} year-on-year flags");
    assert_eq!(
        bad,
        0,
        "year-on-year flags differ:\n{}",
        differences(&con, "yoy_change", "my_yoy")
    );
}

/// The Y.4904 achievements table: the latest self-assessed level per qualitative dimension
/// (a dimension without an answer is "not assessed"), beside the KPI performance (Basel
/// reports 29 of the 108 mapped data points: the staircase level is 0).
#[test]
fn the_achievements_table_puts_self_assessments_beside_kpi_performance() {
    let ws = levels_workspace(false);
    let f = ws.file(
        "y4904.csv",
        format!(
            "city_id,framework,characteristic,level,assessment_date,evidence\n\
             {BASEL},y4904,strategy,2,2023-01-31,plan\n\
             {BASEL},y4904,strategy,Development,2024-01-31,plan adopted\n\
             {BASEL},y4904,Infrastructure,1,2024-01-31,\n\
             {BASEL},y4904,data,4,2024-01-31,open data portal\n\
             {BASEL},y4904,Services and Applications,3,2024-01-31,\n"
        ),
    );
    let r = ws.ingest(&f);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    run(&ws);
    let doc = json(&ws, &["maturity", "--city", BASEL, "--format", "json"]);
    assert_eq!(
        doc["achievements"],
        serde_json::json!({
            "strategy": 3,
            "infrastructure": 1,
            "data": 4,
            "services_and_applications": 3,
            "assessment": null,
            "kpi_performance": 0
        })
    );
    let text = ok(&ws, &["maturity", "--city", BASEL]);
    assert!(
        text.contains(
            "strategy 3 (Development); infrastructure 1 (Planning); data 4 (Integration); services and applications 3 (Development); assessment not assessed; KPI performance 0 (pre-maturity) (from the performance matrix)\n"
        ),
        "{text}"
    );
    // data 4 and infrastructure 1 are three levels apart on 2024-01-31: an isolated advance
    assert!(
        text.contains("! isolated advance (y4904): as of 2024-01-31 the highest and lowest dimensions are 3 levels apart (more than one)"),
        "{text}"
    );
}

/// METHODOLOGY section 8's property on the embedded sample (`citybench demo`): without a
/// matrix file no (city, data point) has a maturity level that contradicts its U4SSC
/// state: level = points + 1 where there are points, 1 for a value without a reference,
/// 0 without a value; every non-neutral data point is mapped.
#[test]
fn no_default_maturity_level_contradicts_the_u4ssc_state_on_the_demo() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("demo");
    let o = assert_cmd::Command::cargo_bin("citybench")
        .unwrap()
        .env_remove("CITYBENCH_WORKSPACE")
        .args(["--quiet", "demo", "--dir", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = assert_cmd::Command::cargo_bin("citybench")
        .unwrap()
        .env_remove("CITYBENCH_WORKSPACE")
        .args([
            "-w",
            dir.to_str().unwrap(),
            "sql",
            "select count(*) as pairs,
                    count(*) filter (where s.value is not null) as with_value,
                    count(*) filter (where m.maturity_level <> case when s.value is null then 0
                                                                   when s.points is null then 1
                                                                   else s.points + 1 end) as contradictions,
                    count(*) filter (where m.matrix_scope <> 'attainment') as other_scope,
                    count(distinct m.data_point_id) as data_points,
                    count(distinct m.maturity_level) as levels
             from stg_maturity_levels m
             join stg_attainment s using (analysis_year, city_id, data_point_id)",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows: Value = serde_json::from_slice(&o.stdout).unwrap();
    let r = &rows[0];
    assert_eq!(r["contradictions"], 0, "{r}");
    assert_eq!(r["other_scope"], 0, "{r}");
    assert_eq!(r["data_points"], MAPPED, "{r}");
    // 300 sample cities x 108 data points, most with a value; levels 0 and 2..5 occur
    assert_eq!(r["pairs"], 300 * MAPPED, "{r}");
    assert!(r["with_value"].as_i64().unwrap() > 30_000, "{r}");
    assert!(r["levels"].as_i64().unwrap() >= 5, "{r}");
}
