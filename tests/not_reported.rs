//! "Not reported" is a status, not a rejection (issue 20, METHODOLOGY section 3 as
//! implemented): ingest records it per (city, data point, year) with exact accounting,
//! `run` gives it as the state of a data point without a value, the snapshot and
//! `verify` show it.

use serde_json::Value;

use crate::util::{GENEVA, HEADER, STAVANGER, Ws};

fn csv(rows: &[&str]) -> String {
    let mut s = format!("{HEADER}\n");
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

/// (city_id, data_point_id, year, status, statement, source) of the last batch's
/// statements file, read by DuckDB, in line order.
fn statements(ws: &Ws) -> Vec<(String, String, i32, String, String, String)> {
    let m = ws.manifest();
    let b = m["batches"].as_array().unwrap().last().unwrap().clone();
    let f = ws.root().join(b["not_reported_file"].as_str().unwrap());
    let con = duckdb::Connection::open_in_memory().unwrap();
    let mut st = con
        .prepare(&format!(
            "select city_id, data_point_id, year, status, statement, source \
             from read_parquet('{}') order by source_line",
            f.display()
        ))
        .unwrap();
    st.query_map([], |r| {
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
}

#[test]
fn statements_are_recorded_and_counted_apart_from_values_and_rejections() {
    let ws = Ws::new();
    let f = ws.file(
        "s.csv",
        csv(&[
            &format!("{GENEVA},EC-ICT-ICT-1C,2023,57,%,OFS,measured,true,false"),
            &format!("{GENEVA},EN-EN-WS-3C,2023,Not Reported,,Verification report,,,"),
            &format!("{GENEVA},SC-SH-SA-8C,2023,not_verified,,Verification report,,,"),
            &format!("{STAVANGER},EC-ICT-ICT-1C,2022,  NOT-AVAILABLE ,,Kommune,,,"),
            // the city is checked before the statement: an unknown city is still rejected
            "9999999999,EC-ICT-ICT-1C,2023,Not reported,,x,,,",
            &format!("{GENEVA},EC-ICT-ICT-2C,2023,abc,%,x,,,"),
        ]),
    );
    let r = ws.ingest(&f);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let b = &ws.manifest()["batches"][0];
    assert_eq!(b["rows_read"], 6);
    assert_eq!(b["rows_accepted"], 1);
    assert_eq!(b["rows_not_reported"], 3);
    assert_eq!(b["rows_rejected"], 2);
    let id = b["id"].as_str().unwrap();
    assert_eq!(
        b["not_reported_file"],
        format!("raw/batch={id}/statements/not-reported.parquet")
    );
    assert!(
        r.stdout.contains(&format!(
            "s.csv -> batch {id}: 6 rows read, 1 accepted, 3 not reported, 2 rejected"
        )),
        "{}",
        r.stdout
    );
    assert_eq!(
        statements(&ws),
        vec![
            (
                GENEVA.into(),
                "EN-EN-WS-3C".into(),
                2023,
                "not reported".into(),
                "Not Reported".into(),
                "Verification report".into()
            ),
            (
                GENEVA.into(),
                "SC-SH-SA-8C".into(),
                2023,
                "not verified".into(),
                "not_verified".into(),
                "Verification report".into()
            ),
            (
                STAVANGER.into(),
                "EC-ICT-ICT-1C".into(),
                2022,
                "not reported".into(),
                "NOT-AVAILABLE".into(),
                "Kommune".into()
            ),
        ]
    );
    let rej = ws.rejections();
    assert_eq!(rej.len(), 2);
    assert_eq!(rej[0].0, 6);
    assert_eq!(rej[0].1, "city_id");
    assert_eq!(
        rej[1],
        (
            7,
            "value".into(),
            "value 'abc' is not a number; expected plain decimal notation such as 42, 0.57 or 1.2e5, or 'Not reported' for a data point the city does not report".into()
        )
    );
    // the statements file is not an observation part: raw/*/*.parquet holds the one value
    let con = duckdb::Connection::open_in_memory().unwrap();
    let n: i64 = con
        .query_row(
            &format!(
                "select count(*) from read_parquet('{}/raw/*/*.parquet')",
                ws.root().display()
            ),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn a_file_of_statements_only_is_a_batch_and_other_text_stays_a_rejection() {
    let ws = Ws::new();
    let f = ws.file(
        "s.csv",
        csv(&[
            &format!("{GENEVA},EN-EN-WS-3C,2023,no data,,x,,,"),
            &format!("{GENEVA},EN-EN-WS-1C,2023,not applicable,,x,,,"),
        ]),
    );
    let r = ws.ingest(&f);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let b = &ws.manifest()["batches"][0];
    assert_eq!(
        (
            &b["rows_read"],
            &b["rows_accepted"],
            &b["rows_not_reported"],
            &b["rows_rejected"]
        ),
        (
            &Value::from(2),
            &Value::from(0),
            &Value::from(1),
            &Value::from(1)
        )
    );
    assert!(b["parts"].as_array().unwrap().is_empty());
    assert_eq!(
        ws.rejections(),
        vec![(
            3,
            "value".into(),
            "value 'not applicable' is not a number; expected plain decimal notation such as 42, 0.57 or 1.2e5, or 'Not reported' for a data point the city does not report".into()
        )]
    );
}

#[test]
fn a_statement_conflicts_with_a_value_and_a_repeated_statement_is_a_duplicate() {
    let ws = Ws::new();
    let f = ws.file(
        "s.csv",
        csv(&[
            &format!("{GENEVA},EC-ICT-ICT-2C,2023,Not reported,,x,,,"),
            &format!("{GENEVA},EC-ICT-ICT-2C,2023,40,%,x,,,"),
            &format!("{GENEVA},EN-EN-WS-3C,2023,Not reported,,x,,,"),
            &format!("{GENEVA},EN-EN-WS-3C,2023,not reported,,y,,,"),
            &format!("{GENEVA},SC-SH-SA-8C,2023,Not reported,,x,,,"),
            &format!("{GENEVA},SC-SH-SA-8C,2023,Not verified,,x,,,"),
        ]),
    );
    let r = ws.ingest(&f);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let b = &ws.manifest()["batches"][0];
    assert_eq!(b["rows_read"], 6);
    assert_eq!(b["rows_accepted"], 0);
    assert_eq!(b["rows_not_reported"], 1);
    assert_eq!(b["rows_rejected"], 5);
    let c1 = "conflicting values for (2660646, EC-ICT-ICT-2C, 2023) at lines 2 and 3: not reported vs 40; both rejected, resubmit one value";
    let c2 = "conflicting values for (2660646, SC-SH-SA-8C, 2023) at lines 6 and 7: not reported vs not verified; both rejected, resubmit one value";
    assert_eq!(
        ws.rejections(),
        vec![
            (2, "row".into(), c1.into()),
            (3, "row".into(), c1.into()),
            (
                5,
                "row".into(),
                "duplicate of line 4 (same city_id, data_point_id, year and value)".into()
            ),
            (6, "row".into(), c2.into()),
            (7, "row".into(), c2.into()),
        ]
    );
    assert_eq!(statements(&ws).len(), 1);
}

/// Geneva reports internet access and states two data points "not reported"; Stavanger
/// reports both; a later value beats an earlier statement.
fn stated_workspace() -> Ws {
    let ws = Ws::new();
    let f = ws.file(
        "s.csv",
        csv(&[
            &format!("{GENEVA},EC-ICT-ICT-1C,2024,96,%,x,measured,,"),
            &format!("{GENEVA},EN-EN-AQ-1C-pm10,2024,Not Reported,,report,,,"),
            &format!("{GENEVA},EC-ICT-ICT-2C,2023,Not verified,,report,,,"),
            &format!("{GENEVA},EC-ICT-ICT-2C,2024,40,%,x,measured,,"),
            &format!("{STAVANGER},EC-ICT-ICT-1C,2024,90,%,x,measured,,"),
            &format!("{STAVANGER},EN-EN-AQ-1C-pm10,2024,25,ug/m3,x,measured,,"),
            &format!("{STAVANGER},EC-ICT-ICT-2C,2024,30,%,x,measured,,"),
        ]),
    );
    let r = ws.ingest(&f);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = ws.run(&["run"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    ws
}

#[test]
fn run_snapshot_and_verify_show_the_status() {
    let ws = stated_workspace();
    // attainment: the state of the stated data point; the value of 2024 wins over the
    // statement of 2023; no points for a statement
    let con = duckdb::Connection::open_in_memory().unwrap();
    let states: Vec<(String, String, Option<f64>, Option<i32>)> = {
        let mut st = con
            .prepare(&format!(
                "select data_point_id, state, value, points from read_parquet('{}/derived/attainment.parquet') \
                 where city_id = '{GENEVA}' and data_point_id in ('EN-EN-AQ-1C-pm10', 'EC-ICT-ICT-2C', 'EC-ICT-ICT-1C') \
                 order by data_point_id",
                ws.root().display()
            ))
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    assert_eq!(states.len(), 3, "{states:?}");
    assert_eq!(states[0].0, "EC-ICT-ICT-1C");
    assert_eq!(states[0].1, "95%+ of target");
    assert_eq!(states[1].0, "EC-ICT-ICT-2C");
    assert_eq!(states[1].2, Some(40.0));
    assert_ne!(states[1].1, "not verified");
    assert_eq!(
        states[2],
        ("EN-EN-AQ-1C-pm10".into(), "not reported".into(), None, None)
    );

    // the snapshot: JSON state and the terminal table's band column
    let r = ws.run(&["snapshot", "--city", GENEVA, "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let s: Value = serde_json::from_str(&r.stdout).unwrap();
    let pm10 = s["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["sub_dimensions"].as_array().unwrap())
        .flat_map(|sd| sd["categories"].as_array().unwrap())
        .flat_map(|c| c["data_points"].as_array().unwrap())
        .find(|p| p["data_point_id"] == "EN-EN-AQ-1C-pm10")
        .unwrap()
        .clone();
    assert_eq!(pm10["state"], "not reported");
    assert!(pm10["value"].is_null());
    let r = ws.run(&["snapshot", "--city", GENEVA]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let line = r
        .stdout
        .lines()
        .find(|l| l.contains("PM10"))
        .unwrap_or_else(|| panic!("{}", r.stdout));
    assert!(line.contains("not reported"), "{line}");

    // verify: the per-city count and the city's statements (the value of 2024 does not
    // replace the statement of 2023: verify checks every year, not the analysis window)
    let r = ws.run(&["verify", "--format", "csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut rdr = csv::Reader::from_reader(r.stdout.as_bytes());
    let h = rdr.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|x| x == name).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(|x| x.unwrap()).collect();
    let geneva = rows.iter().find(|x| &x[col("city_id")] == GENEVA).unwrap();
    assert_eq!(&geneva[col("not_reported")], "2");
    let stav = rows
        .iter()
        .find(|x| &x[col("city_id")] == STAVANGER)
        .unwrap();
    assert_eq!(&stav[col("not_reported")], "0");
    let r = ws.run(&["verify", "--city", GENEVA]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains(
            "  stated without a value: 2 data point-year(s)\n    not reported in 2024: EN-EN-AQ-1C-pm10\n    not verified in 2023: EC-ICT-ICT-2C\n"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(" declared not reported, "),
        "{}",
        r.stdout
    );
}

/// A later batch's value for a stated (city, data point, year) replaces the statement:
/// `run` scores the value and `verify` no longer lists the statement.
#[test]
fn a_later_value_replaces_a_statement() {
    let ws = stated_workspace();
    let f = ws.file(
        "later.csv",
        csv(&[&format!(
            "{GENEVA},EN-EN-AQ-1C-pm10,2024,20,ug/m3,x,measured,,"
        )]),
    );
    let r = ws.ingest(&f);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = ws.run(&["run"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let con = duckdb::Connection::open_in_memory().unwrap();
    let (state, value): (String, f64) = con
        .query_row(
            &format!(
                "select state, value from read_parquet('{}/derived/attainment.parquet') \
                 where city_id = '{GENEVA}' and data_point_id = 'EN-EN-AQ-1C-pm10'",
                ws.root().display()
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(value, 20.0);
    assert_ne!(state, "not reported");
    let r = ws.run(&["verify", "--city", GENEVA]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains(
            "  stated without a value: 1 data point-year(s)\n    not verified in 2023: EC-ICT-ICT-2C\n"
        ),
        "{}",
        r.stdout
    );
}

/// A core KPI counts once: reported when any of its data points has a value (PM10 stated
/// not reported, NO2 reported: Air Pollution is reported), declared not reported only when
/// none has (freshwater consumption).
#[test]
fn a_core_kpi_with_a_reported_data_point_is_not_declared_not_reported() {
    let ws = Ws::new();
    let f = ws.file(
        "s.csv",
        csv(&[
            &format!("{GENEVA},EC-ICT-ICT-1C,2024,96,%,x,measured,,"),
            &format!("{GENEVA},EN-EN-AQ-1C-pm10,2024,Not Reported,,report,,,"),
            &format!("{GENEVA},EN-EN-AQ-1C-no2,2024,20,ug/m3,x,measured,,"),
            &format!("{GENEVA},EN-EN-WS-3C,2024,Not Reported,,report,,,"),
        ]),
    );
    let r = ws.ingest(&f);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = ws.run(&["verify", "--city", GENEVA]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains(
            "  core KPIs in 2024: 2 of 55 reported (3.6 %), 1 declared not reported, 52 with neither value nor statement\n"
        ),
        "{}",
        r.stdout
    );
}
