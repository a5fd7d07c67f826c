//! Finite, representable values only (METHODOLOGY section 3) and safe output: every
//! representability and magnitude-bound rejection with its exact message (CSV, Parquet
//! cells, JSON numbers), `run`'s check on non-finite published numbers, control characters
//! shown as visible escapes on the terminal, and formula cells neutralised in CSV for
//! spreadsheets while the stored value is unchanged.

use crate::util::{GENEVA, HEADER, Ws};

/// Ingest CSV rows (with the optional denominator column) and return the workspace, the
/// exit code and the rejections (line, field, reason).
fn ingest_csv(rows: &[String]) -> (Ws, i32, Vec<(u64, String, String)>) {
    let ws = Ws::new();
    let mut text = format!("{HEADER},denominator\n");
    for r in rows {
        text.push_str(r);
        text.push('\n');
    }
    let f = ws.file("s.csv", text);
    let r = ws.ingest(&f);
    let rej = ws.rejections();
    (ws, r.code, rej)
}

/// Assert that one row is rejected on `field` with exactly `reason`, nothing lost.
fn rejects(row: &str, field: &str, reason: &str) {
    let (ws, code, rej) = ingest_csv(&[row.to_string()]);
    assert_eq!(code, 1, "exit code for {row}");
    assert_eq!(
        rej,
        vec![(2, field.to_string(), reason.to_string())],
        "{row}"
    );
    let b = &ws.manifest()["batches"][0];
    assert_eq!(
        (b["rows_read"].as_u64(), b["rows_rejected"].as_u64()),
        (Some(1), Some(1))
    );
}

fn row(dp: &str, value: &str, unit: &str, denominator: &str) -> String {
    format!("{GENEVA},{dp},2023,{value},{unit},s,measured,true,false,{denominator}")
}

const TOO_SMALL_1E_400: &str = "value '1e-400' is too small to represent (it would be stored as 0); write 0 if the value is zero";

#[test]
fn numbers_beyond_f64_are_rejected_with_the_reason() {
    rejects(
        &row("EC-ICT-ICT-3C", "1e400", "per 100 000 inhabitants", ""),
        "value",
        "value '1e400' is too large to represent (it would be stored as infinity); accepted for EC-ICT-ICT-3C: 0..1e8 per 100 000 inhabitants",
    );
    rejects(
        &row("EC-ICT-ICT-3C", "1e-400", "per 100 000 inhabitants", ""),
        "value",
        TOO_SMALL_1E_400,
    );
    rejects(
        &row("EC-ICT-ICT-3C", "-2.5E-320", "per 100 000 inhabitants", ""),
        "value",
        "value '-2.5E-320' is too small to compute with: a non-zero value must be at least 1e-100 in magnitude; write 0 if the value is zero",
    );
    rejects(
        &row("EC-ICT-ICT-3C", "3e-150", "per 100 000 inhabitants", ""),
        "value",
        "value '3e-150' is too small to compute with: a non-zero value must be at least 1e-100 in magnitude; write 0 if the value is zero",
    );
    // zero however written is zero
    let (_, code, rej) = ingest_csv(&[
        row("EC-ICT-ICT-3C", "0e-400", "per 100 000 inhabitants", ""),
        row("SC-SH-SA-8C", "0.000", "per 100 000 inhabitants", ""),
        row("SC-SH-SA-9C", "1e-100", "per 100 000 inhabitants", ""),
    ]);
    assert_eq!((code, rej), (0, vec![]));
}

#[test]
fn the_measured_typo_is_beyond_the_units_bound() {
    // 1.7976931348623157e308 on a data point without a hard maximum made every published
    // mean and sd infinite
    rejects(
        &row(
            "EC-ICT-ICT-3C",
            "1.7976931348623157e308",
            "per 100 000 inhabitants",
            "",
        ),
        "value",
        "value 1.79769313486e308 per 100 000 inhabitants is beyond 1e8, the largest magnitude accepted for a rate per 100 000 inhabitants (1 000 per inhabitant); accepted for EC-ICT-ICT-3C: 0..1e8; check the number and its unit",
    );
    // with a hard maximum, that rule speaks first
    rejects(
        &row("EC-ICT-ICT-1C", "1.7976931348623157e308", "%", ""),
        "value",
        "value 1.79769313486e308 % is above the maximum 100 for EC-ICT-ICT-1C (Household Internet Access); accepted: 0..100",
    );
    // a percentage without a hard maximum (gross enrolment) has the unit's bound, after
    // the conversion from a fraction
    rejects(
        &row("SC-EH-ED-2C", "200", "fraction", ""),
        "value",
        "value 20000 % is beyond 10000, the largest magnitude accepted for a percentage (50 x the largest shares above 100 %, about 200 %); accepted for SC-EH-ED-2C: 0..10000; check the number and its unit",
    );
    // just inside the bound is accepted
    let (_, code, rej) = ingest_csv(&[
        row("EC-ICT-ICT-3C", "1e8", "per 100 000 inhabitants", ""),
        row("SC-EH-ED-2C", "100", "fraction", ""),
        row("EC-ICT-ICT-5C", "1e12", "number", ""),
    ]);
    assert_eq!((code, rej), (0, vec![]));
}

#[test]
fn conversions_that_overflow_or_underflow_are_rejected() {
    rejects(
        &row("EN-E-E-2C", "1e305", "GWh per capita per year", ""),
        "value",
        "value '1e305' GWh per capita per year is too large to represent in kWh per capita per year (it would be stored as infinity); accepted for EN-E-E-2C: 0..1e7 kWh per capita per year",
    );
    rejects(
        &row("EC-I-T-1C", "1e10", "km", "1e-300"),
        "value",
        "value '1e10' km with denominator 1e-300 is too large to represent in km per 100 000 inhabitants (it would be stored as infinity); accepted for EC-I-T-1C: 0..1e6 km per 100 000 inhabitants",
    );
    rejects(
        &row("EC-I-ES-2C", "1e-99", "seconds", ""),
        "value",
        "value '1e-99' seconds converts to 1.66666666667e-101 minutes, too small to compute with: a non-zero value must be at least 1e-100 in magnitude; write 0 if the value is zero",
    );
    rejects(
        &row("EC-I-T-1C", "2", "km", "1e250"),
        "value",
        "value '2' km with denominator 1e250 converts to 2e-245 km per 100 000 inhabitants, too small to compute with: a non-zero value must be at least 1e-100 in magnitude; write 0 if the value is zero",
    );
    rejects(
        &row("EC-I-T-1C", "2", "km", "1e400"),
        "denominator",
        "denominator '1e400' is too large to represent (it would be stored as infinity); give the count as a plain number",
    );
    rejects(
        &row("EC-I-T-1C", "2", "km", "1e-400"),
        "denominator",
        "denominator '1e-400' is too small to represent (it would be stored as 0); a denominator is a positive count",
    );
}

#[test]
fn parquet_cells_meet_the_same_rules() {
    let ws = Ws::new();
    let pq = ws.dir.path().join("cells.parquet");
    let con = duckdb::Connection::open_in_memory().unwrap();
    con.execute_batch(&format!(
        "copy (select city_id, data_point_id, year, value, unit, 'x' as source, 'measured' as quality,
                      true as verified, false as confidential
               from (values
                 ('{GENEVA}', 'EC-ICT-ICT-3C', 2023, 1.7976931348623157e308::DOUBLE, 'per 100 000 inhabitants'),
                 ('{GENEVA}', 'SC-SH-SA-8C', 2023, 5e-324::DOUBLE, 'per 100 000 inhabitants'),
                 ('{GENEVA}', 'SC-SH-SA-9C', 2023, 'inf'::DOUBLE, 'per 100 000 inhabitants'),
                 ('{GENEVA}', 'SC-EH-H-3C', 2023, 250.5::DOUBLE, 'per 100 000 inhabitants'))
                 t(city_id, data_point_id, year, value, unit))
         to '{}' (format parquet)",
        pq.display()
    ))
    .unwrap();
    let r = ws.ingest(&pq);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        ws.rejections(),
        vec![
            (1, "value".into(), "value 1.79769313486e308 per 100 000 inhabitants is beyond 1e8, the largest magnitude accepted for a rate per 100 000 inhabitants (1 000 per inhabitant); accepted for EC-ICT-ICT-3C: 0..1e8; check the number and its unit".into()),
            (2, "value".into(), "value '5e-324' is too small to compute with: a non-zero value must be at least 1e-100 in magnitude; write 0 if the value is zero".into()),
            (3, "value".into(), "value 'inf' is not a finite number".into()),
        ]
    );
    assert_eq!(ws.accepted_rows_duckdb(), 1);
    // a 64-bit integer cell beyond a count's bound
    let pq = ws.dir.path().join("ints.parquet");
    con.execute_batch(&format!(
        "copy (select '{GENEVA}' as city_id, 'EC-ICT-ICT-5C' as data_point_id, 2023 as year,
                      9223372036854775807::BIGINT as value, 'number' as unit, 'x' as source,
                      'measured' as quality, true as verified, false as confidential)
         to '{}' (format parquet)",
        pq.display()
    ))
    .unwrap();
    assert_eq!(ws.ingest(&pq).code, 1);
    assert_eq!(
        ws.rejections(),
        vec![(1, "value".into(), "value 9.22337203685e18 number is beyond 1e12, the largest magnitude accepted for a count (100 x the largest real city counts, about 1e10); accepted for EC-ICT-ICT-5C: 0..1e12; check the number and its unit".into())]
    );
}

#[test]
fn json_numbers_meet_the_same_rules() {
    let record = |dp: &str, value: &str| {
        format!(
            r#"{{"city_id":"{GENEVA}","data_point_id":"{dp}","year":2023,"value":{value},"unit":"per 100 000 inhabitants","source":"s","quality":"measured","verified":true,"confidential":false}}"#
        )
    };
    let too_large = "value '1e400' is too large to represent (it would be stored as infinity); accepted for EC-ICT-ICT-3C: 0..1e8 per 100 000 inhabitants";
    let records = [
        record("EC-ICT-ICT-3C", "1e400"),
        record("SC-SH-SA-8C", "1e-400"),
        record("SC-SH-SA-9C", "6.5"),
    ];
    // a JSON array (serde_json refused 1e400 as a syntax error: the whole file failed)
    let ws = Ws::new();
    let f = ws.file("a.json", format!("[{}]", records.join(",\n")));
    let r = ws.ingest(&f);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let want = vec![
        (1, "value".to_string(), too_large.to_string()),
        (2, "value".to_string(), TOO_SMALL_1E_400.to_string()),
    ];
    assert_eq!(ws.rejections(), want);
    assert_eq!(ws.accepted_rows_duckdb(), 1);
    // NDJSON (1e-400 was stored as 0)
    let f = ws.file("b.ndjson", records.join("\n"));
    let r = ws.ingest(&f);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(ws.rejections(), want);
    let b = ws.manifest()["batches"][1].clone();
    assert_eq!(
        (
            b["rows_read"].as_u64(),
            b["rows_accepted"].as_u64(),
            b["rows_rejected"].as_u64()
        ),
        (Some(3), Some(1), Some(2))
    );
}

// ---------------------------------------------------------------- run's checks

/// The Parquet file a source view of the database reads (whatever the workspace layout).
fn view_file(ws: &Ws, view: &str) -> std::path::PathBuf {
    let db = ws.database();
    let sql: String = db
        .query_row(
            "SELECT sql FROM duckdb_views() WHERE view_name = ?",
            [view],
            |r| r.get(0),
        )
        .unwrap();
    let start = sql.find("read_parquet('").expect("a Parquet source view") + "read_parquet('".len();
    let end = start + sql[start..].find('\'').unwrap();
    std::path::PathBuf::from(&sql[start..end])
}

#[test]
fn run_checks_include_finite_values() {
    assert!(
        citybench::warehouse::CHECKS
            .iter()
            .any(|(name, file, _)| *name == "assert_finite_values"
                && *file == "queries/checks/assert_finite_values.sql")
    );
}

/// The check covers every DOUBLE column of the staging views over the run's tables: each
/// one has its branch in the SQL, counting the values beyond the largest finite double
/// either way (NaN compares greater than every number in DuckDB).
#[test]
fn the_finite_check_covers_every_double_column_of_the_runs_staging_views() {
    let ws = crate::pipeline::generated(12, 5);
    let sql = citybench::warehouse::CHECKS
        .iter()
        .find(|(n, _, _)| *n == "assert_finite_values")
        .unwrap()
        .2;
    let db = ws.database();
    let mut missing = Vec::new();
    let mut covered = 0;
    for (table, _) in citybench::schema::derived::TABLES {
        let view = format!("stg_{table}");
        let mut st = db
            .prepare(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? AND data_type = 'DOUBLE' ORDER BY ordinal_position",
            )
            .unwrap();
        let cols: Vec<String> = st
            .query_map([&view], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for c in cols {
            let in_block = sql.split("UNION ALL").any(|part| {
                part.contains(&format!("SELECT '{view}' AS model, '{c}' AS \"column\""))
                    && part.contains(&format!("FROM {view}\n"))
                    && part.contains(&format!(
                        "WHERE \"{c}\" > 1.7976931348623157e308 OR \"{c}\" < -1.7976931348623157e308"
                    ))
            });
            if !in_block {
                missing.push(format!("{view}.{c}"));
            } else {
                covered += 1;
            }
        }
    }
    assert!(
        missing.is_empty(),
        "not covered by assert_finite_values: {missing:?}"
    );
    assert!(covered > 30, "{covered}");
}

#[test]
fn a_planted_non_finite_value_fails_the_run_check_by_name() {
    let ws = crate::pipeline::generated(12, 5);
    let file = view_file(&ws, "src_peer_stats");
    let planted = file.with_extension("planted.parquet");
    let con = duckdb::Connection::open_in_memory().unwrap();
    con.execute_batch(&format!(
        "copy (select * replace (case when row_number() over () = 1 then 'inf'::DOUBLE else mean end as mean,
                                 case when row_number() over () = 2 then 'nan'::DOUBLE else sd end as sd)
               from read_parquet('{f}'))
         to '{p}' (format parquet)",
        f = file.display(),
        p = planted.display()
    ))
    .unwrap();
    std::fs::rename(&planted, &file).unwrap();
    // and through Polars, the pipeline's own writer (its statistics carry the NaN)
    let file = view_file(&ws, "src_trends");
    use polars::prelude::SerReader;
    let mut df = polars::prelude::ParquetReader::new(std::fs::File::open(&file).unwrap())
        .finish()
        .unwrap();
    for (name, row, v) in [("slope", 0, f64::NAN), ("cagr_pct", 1, f64::NEG_INFINITY)] {
        let ca = df.column(name).unwrap().f64().unwrap().clone();
        let mut values: Vec<Option<f64>> = (0..ca.len()).map(|i| ca.get(i)).collect();
        values[row] = Some(v);
        df.with_column(polars::prelude::Column::new(name.into(), values))
            .unwrap();
    }
    polars::prelude::ParquetWriter::new(std::fs::File::create(&planted).unwrap())
        .finish(&mut df)
        .unwrap();
    std::fs::rename(&planted, &file).unwrap();
    let handle = citybench::store::Workspace::open(&ws.root()).unwrap();
    let w = citybench::warehouse::Warehouse::open_read_only(&handle).unwrap();
    let failed = citybench::warehouse::run_checks(&w).unwrap();
    let names: Vec<&str> = failed.iter().map(|(n, _)| *n).collect();
    assert!(names.contains(&"assert_finite_values"), "{names:?}");
    let rows = &failed
        .iter()
        .find(|(n, _)| *n == "assert_finite_values")
        .unwrap()
        .1;
    let found: Vec<(String, String, i64)> = rows
        .records()
        .map(|r| {
            (
                r.str("model").unwrap(),
                r.str("column").unwrap(),
                r.i64("non_finite").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            ("stg_peer_stats".to_string(), "mean".to_string(), 1),
            ("stg_peer_stats".to_string(), "sd".to_string(), 1),
            ("stg_trends".to_string(), "cagr_pct".to_string(), 1),
            ("stg_trends".to_string(), "slope".to_string(), 1),
        ]
    );
}

// ---------------------------------------------------------------- safe output

const FORMULA: &str = "=cmd|' /C calc'!A0";

#[test]
fn formula_cells_are_neutralised_in_the_rejection_file_and_stored_unchanged() {
    let ws = Ws::new();
    let text = format!(
        "{HEADER}\n\
         {GENEVA},EC-ICT-ICT-1C,2023,\"{FORMULA}\",%,OFS,measured,true,false\n\
         \"{FORMULA}\",EC-ICT-ICT-1C,2023,50,%,OFS,measured,true,false\n\
         {GENEVA},EC-ICT-ICT-2C,2023,40,%,\"{FORMULA}\",measured,true,false\n\
         {GENEVA},EC-ICT-ICT-4C-3g,2023,-3,%,@source,measured,true,false\n"
    );
    let f = ws.file("f.csv", text);
    let r = ws.ingest(&f);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    // the file as written: every cell a spreadsheet would evaluate starts with a quote; the
    // number -3 stays a number, and the reasons quote the value as submitted
    let m = ws.manifest();
    let rej_file = ws
        .root()
        .join(m["batches"][0]["rejected_file"].as_str().unwrap());
    let written = std::fs::read_to_string(rej_file).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(
        lines[1],
        format!(
            "f.csv,2,value,\"value '{FORMULA}' is not a number; expected plain decimal notation such as 42, 0.57 or 1.2e5, or 'Not reported' for a data point the city does not report\",{GENEVA},EC-ICT-ICT-1C,2023,'{FORMULA},%,OFS,measured,true,false,,"
        )
    );
    assert!(lines[2].starts_with("f.csv,3,city_id,"), "{}", lines[2]);
    assert!(
        lines[2].ends_with(&format!(
            ",'{FORMULA},EC-ICT-ICT-1C,2023,50,%,OFS,measured,true,false,,"
        )),
        "{}",
        lines[2]
    );
    assert_eq!(
        lines[3],
        "f.csv,5,value,value -3 % is below the minimum 0 for EC-ICT-ICT-4C-3g (Wireless Broadband Coverage: 3G): a percentage cannot be negative,2660646,EC-ICT-ICT-4C-3g,2023,-3,%,'@source,measured,true,false,,"
    );
    // a CSV reader sees the quoted cells; the reasons quote the values as submitted
    let rej = ws.rejections();
    assert_eq!(
        rej[0].2,
        format!(
            "value '{FORMULA}' is not a number; expected plain decimal notation such as 42, 0.57 or 1.2e5, or 'Not reported' for a data point the city does not report"
        )
    );
    assert!(
        rej[1].2.starts_with(&format!(
            "unknown city_id '{FORMULA}': not in the city registry or the workspace cities.csv; "
        )),
        "{}",
        rej[1].2
    );
    // the accepted row's source is stored exactly as submitted
    let con = duckdb::Connection::open_in_memory().unwrap();
    let source: String = con
        .query_row(
            &format!(
                "select source from read_parquet('{}/raw/*/*.parquet')",
                ws.root().display()
            ),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(source, FORMULA);
}

#[test]
fn an_escape_sequence_in_a_city_id_shows_as_a_visible_escape() {
    let ws = Ws::new();
    let evil = "\u{1b}[31mEVIL\u{1b}]0;pwned\u{7}";
    let f = ws.file(
        "e.csv",
        format!("{HEADER}\n{evil},EC-ICT-ICT-1C,2023,50,%,OFS,measured,true,false\n"),
    );
    let r = ws.ingest(&f);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        !r.stdout.contains('\u{1b}') && !r.stdout.contains('\u{7}'),
        "{:?}",
        r.stdout
    );
    assert!(
        r.stdout.contains("              e.g. unknown city_id '\\u{1b}[31mEVIL\\u{1b}]0;pwned\\u{7}': not in the city registry or the workspace cities.csv; "),
        "{}",
        r.stdout
    );
    // the rejection file keeps the submitted bytes in the city_id column
    let mut rdr = csv::Reader::from_path(
        ws.root().join(
            ws.manifest()["batches"][0]["rejected_file"]
                .as_str()
                .unwrap(),
        ),
    )
    .unwrap();
    let rec = rdr.records().next().unwrap().unwrap();
    assert_eq!(&rec[4], evil);
    assert!(
        rec[3].starts_with("unknown city_id '\\u{1b}[31mEVIL"),
        "{}",
        &rec[3]
    );
    // an error naming the id is escaped too
    let out = ws.dir.path().join("t.xlsx");
    let r = ws.run(&["template", "--city", evil, "--out", out.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        !r.stderr.contains('\u{1b}') && !r.stderr.contains('\u{7}'),
        "{:?}",
        r.stderr
    );
    assert!(
        r.stderr
            .starts_with("error: unknown city id '\\u{1b}[31mEVIL\\u{1b}]0;pwned\\u{7}'"),
        "{}",
        r.stderr
    );
}

/// A workspace city whose name is a formula and another whose name holds a terminal escape:
/// `cities --search` shows the escape visibly, `sql` and `export` CSV neutralise the formula,
/// the database keeps both names as written.
#[test]
fn city_names_from_a_workspace_are_safe_in_every_output() {
    let ws = Ws::new();
    let formula_name = "=HYPERLINK(\"http://x.example\",\"open\")";
    let escape_name = "Evil\u{1b}]0;pwned\u{7}town";
    std::fs::write(
        ws.root().join("cities.csv"),
        format!(
            "city_id,name,ascii_name,country_iso2,country_iso3,continent,un_region,economy,population,population_year,latitude,longitude\n\
             xf,\"{}\",Formulatown,NO,NOR,Europe,Northern Europe,developed,42903,2023,59.28,5.3\n\
             xe,{escape_name},Eviltown,NO,NOR,Europe,Northern Europe,developed,42000,2023,59.3,5.3\n",
            formula_name.replace('"', "\"\"")
        ),
    )
    .unwrap();
    let r = ws.run(&["cities", "--search", "town", "--country", "NO"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains('\u{1b}'), "{:?}", r.stdout);
    assert!(
        r.stdout.contains("Evil\\u{1b}]0;pwned\\u{7}town"),
        "{}",
        r.stdout
    );
    // values for both cities and some generated peers, then a run
    let out = ws.dir.path().join("g");
    let g = ws.run(&[
        "generate",
        "--cities",
        "12",
        "--years",
        "2022..2023",
        "--seed",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(g.code, 0, "{}", g.stderr);
    assert_eq!(ws.ingest(&out.join("submissions.parquet")).code, 0);
    let f = ws.file(
        "x.csv",
        format!(
            "{HEADER}\nxf,EC-ICT-ICT-1C,2023,50,%,s,measured,true,false\nxe,EC-ICT-ICT-1C,2023,60,%,s,measured,true,false\n"
        ),
    );
    assert_eq!(ws.ingest(&f).code, 0);
    let r = ws.run(&["run"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let q = "select city_id, city_name from city_scorecard where city_id in ('xf', 'xe') and data_point_id = 'EC-ICT-ICT-1C' order by city_id";
    let r = ws.run(&["sql", q, "--format", "csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        format!(
            "city_id,city_name\nxe,{escape_name}\nxf,\"'=HYPERLINK(\"\"http://x.example\"\",\"\"open\"\")\"\n"
        )
    );
    let r = ws.run(&["sql", q, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        v[1]["city_name"], formula_name,
        "JSON carries the name as written"
    );
    let r = ws.run(&["sql", q]);
    assert!(!r.stdout.contains('\u{1b}'), "{:?}", r.stdout);
    assert!(
        r.stdout.contains("Evil\\u{1b}]0;pwned\\u{7}town"),
        "{}",
        r.stdout
    );
    // export --format csv: DuckDB writes the file, with the same rule
    let dir = ws.dir.path().join("csv");
    let r = ws.run(&[
        "export",
        "--out",
        dir.to_str().unwrap(),
        "--format",
        "csv",
        "--tables",
        "city_scorecard",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text =
        std::fs::read_to_string(dir.join("city_scorecard/analysis_year=2023/data_0.csv")).unwrap();
    assert!(
        text.contains("\"'=HYPERLINK(\"\"http://x.example\"\""),
        "{text}"
    );
    assert!(
        !text.contains("\"=HYPERLINK(") && !text.contains(",=HYPERLINK("),
        "{text}"
    );
    // the database keeps the name as written
    let name: String = ws
        .database()
        .query_row(
            "select city_name from city_scorecard where city_id = 'xf' limit 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(name, formula_name);
}
