//! Bad input `citybench ingest` must survive, each with its exact message.

use crate::util::{GENEVA, HEADER, STAVANGER, Ws, temporaries, year_max};

fn csv_rows(rows: &[&str]) -> String {
    let mut s = format!("{HEADER}\n");
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

/// Ingest CSV rows and return (exit code, rejections).
fn ingest_rows(rows: &[&str]) -> (Ws, i32, Vec<(u64, String, String)>) {
    let ws = Ws::new();
    let f = ws.file("s.csv", csv_rows(rows));
    let r = ws.ingest(&f);
    let rej = ws.rejections();
    (ws, r.code, rej)
}

/// Assert one rejected row with this field and reason.
fn rejects(row: &str, field: &str, reason: &str) {
    let (ws, code, rej) = ingest_rows(&[row]);
    assert_eq!(code, 1, "exit code");
    assert_eq!(rej, vec![(2, field.to_string(), reason.to_string())]);
    let m = ws.manifest();
    let b = &m["batches"][0];
    assert_eq!(b["rows_read"], 1);
    assert_eq!(b["rows_accepted"], 0);
    assert_eq!(b["rows_rejected"], 1);
}

fn fatal(name: &str, content: &[u8], message: &str) {
    let ws = Ws::new();
    let f = ws.file(name, content);
    let r = ws.ingest(&f);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        format!(
            "error: {}: {message}\nerror: the file could not be ingested (see the error above); nothing was written\n",
            f.display()
        )
    );
    // nothing was committed
    assert_eq!(ws.manifest()["batches"].as_array().unwrap().len(), 0);
}

#[test]
fn good_rows_are_accepted_in_canonical_units() {
    let (ws, code, rej) = ingest_rows(&[
        &format!("{GENEVA},EC-ICT-ICT-1C,2023,0.57,fraction,OFS,measured,true,false"),
        &format!(
            "{GENEVA},SC-SH-SA-8C,2023,1.2,per 1000 inhabitants,Police,survey extrapolated,yes,no"
        ),
        &format!("{STAVANGER},EN-EN-AQ-1C-no2,2022,10,ppb,NILU,,1,0"),
        &format!("{STAVANGER},SC-SH-SA-3A,2022,Yes,Yes or No,Kommune,measured,,"),
    ]);
    assert_eq!(code, 0);
    assert!(rej.is_empty());
    assert_eq!(ws.accepted_rows_duckdb(), 4);
    let con = duckdb::Connection::open_in_memory().unwrap();
    let p = ws.root().join("raw");
    let mut stmt = con
        .prepare(&format!(
            "select data_point_id, value, unit, value_reported, unit_reported, conversion, quality, verified \
             from read_parquet('{}/*/*.parquet') order by source_line",
            p.display()
        ))
        .unwrap();
    type Row = (String, f64, String, String, String, String, String, bool);
    let rows: Vec<Row> = stmt
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
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows[0].1, 57.0, "0.57 as a fraction is exactly 57 %");
    assert_eq!(rows[0].5, "x100 (fraction -> %)");
    assert_eq!(rows[1].1, 120.0);
    assert_eq!(rows[1].2, "per_100k_pop");
    assert_eq!(
        rows[1].5,
        "x100 (per 1000 inhabitants -> per 100 000 inhabitants)"
    );
    assert_eq!(rows[1].6, "survey_extrapolated");
    assert_eq!(rows[2].1, 19.0, "NO2 10 ppb x 1.9");
    assert_eq!(rows[2].6, "unknown", "empty quality means unknown");
    assert_eq!(rows[3].1, 1.0);
    assert_eq!(rows[3].3, "Yes");
    assert!(!rows[3].7);
}

#[test]
fn empty_file() {
    fatal(
        "empty.csv",
        b"",
        "the file is empty (0 bytes); expected a header line with the columns city_id,data_point_id,year,value,unit,source,quality,verified,confidential",
    );
}

#[test]
fn header_only() {
    fatal(
        "header.csv",
        format!("{HEADER}\n").as_bytes(),
        "the file has a header but no data rows; nothing to ingest",
    );
}

#[test]
fn wrong_delimiter_is_named_and_the_flag_fixes_it() {
    let text = format!(
        "{}\n{GENEVA};EC-ICT-ICT-1C;2023;85;%;OFS;measured;true;false\n",
        HEADER.replace(',', ";")
    );
    fatal(
        "semi.csv",
        text.as_bytes(),
        "the header has a single column and looks semicolon-separated; citybench reads comma-separated CSV: convert the file or pass --delimiter ';'",
    );
    let ws = Ws::new();
    let f = ws.file("semi.csv", &text);
    let r = ws.run(&["ingest", "--delimiter", ";", f.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(ws.accepted_rows_duckdb(), 1);
}

#[test]
fn missing_required_column() {
    fatal(
        "cols.csv",
        b"city_id,data_point_id,year,value\n1,2,3,4\n",
        "missing required columns unit, source, quality, verified, confidential; the header has: city_id, data_point_id, year, value; required: city_id, data_point_id, year, value, unit, source, quality, verified, confidential (optional: denominator, notes)",
    );
}

#[test]
fn bom_crlf_quoted_commas_and_any_case_headers() {
    let ws = Ws::new();
    let text = format!(
        "\u{feff}City_ID,DATA_POINT_ID,Year,Value,Unit,Source,Quality,Verified,Confidential,Extra\r\n\
         {GENEVA},EC-ICT-ICT-1C,2023,85,%,\"Statistics, Switzerland\",measured,true,false,x\r\n"
    );
    let f = ws.file("bom.csv", text);
    let r = ws.ingest(&f);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("ignored columns (not part of the submission format): Extra"),
        "{}",
        r.stdout
    );
    let con = duckdb::Connection::open_in_memory().unwrap();
    let (source, confidential): (String, bool) = con
        .query_row(
            &format!(
                "select source, confidential from read_parquet('{}/raw/*/*.parquet')",
                ws.root().display()
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(source, "Statistics, Switzerland");
    assert!(!confidential, "CRLF must not leave '\\r' in the last field");
}

#[test]
fn non_numeric_value() {
    rejects(
        &format!("{GENEVA},EC-ICT-ICT-1C,2023,abc,%,s,measured,true,false"),
        "value",
        "value 'abc' is not a number; expected plain decimal notation such as 42, 0.57 or 1.2e5, or 'Not reported' for a data point the city does not report",
    );
}

#[test]
fn nan_and_infinity() {
    for v in ["NaN", "inf", "-Infinity"] {
        rejects(
            &format!("{GENEVA},EC-ICT-ICT-1C,2023,{v},%,s,measured,true,false"),
            "value",
            &format!("value '{v}' is not a finite number"),
        );
    }
}

/// SI / ISO 80000 grouping by spaces (as U4SSC reports print "48 816.00") or apostrophes
/// is read: no locale uses a space or an apostrophe as the decimal mark.
#[test]
fn space_grouped_numbers_are_read() {
    let (ws, code, rej) = ingest_rows(&[
        &format!("{GENEVA},SC-SH-SA-8C,2023,95 424,per 100 000 inhabitants,s,,,"),
        &format!("{GENEVA},SC-SH-SA-8C,2022,48\u{a0}816.25,per 100 000 inhabitants,s,,,"),
        &format!("{GENEVA},SC-SH-SA-8C,2021,1'234'567,per 100 000 inhabitants,s,,,"),
        &format!("{GENEVA},SC-SH-SA-8C,2020,-1 000,per 100 000 inhabitants,s,,,"),
    ]);
    assert_eq!(code, 1);
    assert_eq!(ws.accepted_rows_duckdb(), 3);
    // the last is read (-1000) and then refused by the hard minimum
    assert_eq!(rej.len(), 1, "{rej:?}");
    assert_eq!(rej[0].0, 5);
    let con = duckdb::Connection::open_in_memory().unwrap();
    let values: Vec<(f64, String)> = con
        .prepare(&format!(
            "select value, value_reported from read_parquet('{}/raw/*/*.parquet') order by source_line",
            ws.root().display()
        ))
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        values,
        vec![
            (95424.0, "95 424".to_string()),
            (48816.25, "48\u{a0}816.25".to_string()),
            (1234567.0, "1'234'567".to_string()),
        ]
    );
}

#[test]
fn thousands_separators_are_rejected_by_an_explicit_rule() {
    rejects(
        &format!(
            "{GENEVA},SC-SH-SA-8C,2023,\"95,424\",per 100 000 inhabitants,s,measured,true,false"
        ),
        "value",
        "value '95,424' uses digit grouping; write plain digits with '.' as the decimal point, e.g. 95424",
    );
    // spaces grouped irregularly are not the SI form: refused with the plain form
    rejects(
        &format!("{GENEVA},SC-SH-SA-8C,2023,95 42,per 100 000 inhabitants,s,measured,true,false"),
        "value",
        "value '95 42' is not a number; expected plain decimal notation such as 42, 0.57 or 1.2e5, or 'Not reported' for a data point the city does not report",
    );
    rejects(
        &format!(
            "{GENEVA},SC-SH-SA-8C,2023,\"95,424.5\",per 100 000 inhabitants,s,measured,true,false"
        ),
        "value",
        "value '95,424.5' uses digit grouping; write plain digits with '.' as the decimal point, e.g. 95424.5",
    );
    rejects(
        &format!(
            "{GENEVA},SC-SH-SA-8C,2023,\"95,4\",per 100 000 inhabitants,s,measured,true,false"
        ),
        "value",
        "value '95,4' uses a decimal comma; write '.' as the decimal point (e.g. 95.4) if that is the value",
    );
}

#[test]
fn unknown_data_point_with_suggestion() {
    rejects(
        &format!("{GENEVA},EC-ICT-ICT-1,2023,85,%,s,measured,true,false"),
        "data_point_id",
        "unknown data_point_id 'EC-ICT-ICT-1'; did you mean 'EC-ICT-ICT-1C'? (citybench catalog lists all 113)",
    );
}

#[test]
fn unknown_city_with_suggestion() {
    rejects(
        "Stavanger,EC-ICT-ICT-1C,2023,85,%,s,measured,true,false",
        "city_id",
        "unknown city_id 'Stavanger': not in the city registry or the workspace cities.csv; did you mean 3137115 (Stavanger, NO)?",
    );
}

#[test]
fn unit_of_the_wrong_quantity() {
    rejects(
        &format!("{GENEVA},EC-ICT-ICT-1C,2023,85,minutes,s,measured,true,false"),
        "unit",
        "unit 'minutes' is a duration in minutes, but EC-ICT-ICT-1C expects a percentage (%); accepted: %, percent, per cent, percentage, pct, percent (%), fraction (x100), share (x100) ... (16 spellings in all: citybench units --data-point EC-ICT-ICT-1C)",
    );
}

/// Freshwater consumption in % (as verification reports print it) is its own data point;
/// on the m3-per-capita one the message names it (datasets/catalog/README.md).
#[test]
fn a_percentage_of_freshwater_consumption_names_its_data_point() {
    rejects(
        &format!("{GENEVA},EN-EN-WS-3C,2023,33,%,report,,,"),
        "unit",
        "unit '%' is a percentage, but EN-EN-WS-3C expects a water volume per inhabitant per year (m3 per capita per year); EN-EN-WS-3C in this unit is data point EN-EN-WS-3C-pct; accepted: litres per capita per day (/2.7397260274), litres per capita per year (/1000), litres per capita (/1000), litres per inhabitant per day (/2.7397260274), litres per inhabitant per year (/1000), litres per inhabitant (/1000), litres per person per day (/2.7397260274), litres per person per year (/1000) ... (99 spellings in all: citybench units --data-point EN-EN-WS-3C)",
    );
    let (ws, code, rej) = ingest_rows(&[
        &format!("{GENEVA},EN-EN-WS-3C-pct,2023,33,%,report,,,"),
        // withdrawals can exceed the renewable resources: no hard maximum
        &format!("{STAVANGER},EN-EN-WS-3C-pct,2023,140,%,report,,,"),
    ]);
    assert_eq!((code, rej), (0, vec![]));
    assert_eq!(ws.accepted_rows_duckdb(), 2);
}

#[test]
fn particulate_matter_has_no_ppb_form() {
    rejects(
        &format!("{GENEVA},EN-EN-AQ-1C-pm10,2023,20,ppb,s,measured,true,false"),
        "unit",
        "unit 'ppb' cannot be converted for EN-EN-AQ-1C-pm10: it applies only to EN-EN-AQ-1C-no2, EN-EN-AQ-1C-so2, EN-EN-AQ-1C-o3 (gases; particulate matter has no ppm/ppb form); accepted: ug/m3, micrograms per cubic metre, micrograms per m3, mg/m3 (x1000)",
    );
}

#[test]
fn percentage_above_100_for_a_capped_kpi() {
    rejects(
        &format!("{GENEVA},EC-ICT-ICT-1C,2023,180,%,s,measured,true,false"),
        "value",
        "value 180 % is above the maximum 100 for EC-ICT-ICT-1C (Household Internet Access); accepted: 0..100",
    );
    // school enrolment is not capped: 104 % is accepted
    let (_, code, rej) = ingest_rows(&[&format!(
        "{GENEVA},SC-EH-ED-2C,2023,104,%,s,measured,true,false"
    )]);
    assert_eq!((code, rej.len()), (0, 0));
}

#[test]
fn negative_count() {
    rejects(
        &format!("{GENEVA},SC-SH-SA-8C,2023,-3,per 100 000 inhabitants,s,measured,true,false"),
        "value",
        "value -3 per 100 000 inhabitants is below the minimum 0 for SC-SH-SA-8C (Violent Crime Rate): a rate per 100 000 inhabitants cannot be negative",
    );
}

#[test]
fn boolean_not_0_or_1() {
    rejects(
        &format!("{GENEVA},SC-SH-SA-3A,2023,2,yes/no,s,measured,true,false"),
        "value",
        "value '2' is not a yes/no value; accepted: yes, no, true, false, 1, 0",
    );
}

#[test]
fn year_out_of_range() {
    rejects(
        &format!("{GENEVA},EC-ICT-ICT-1C,1850,85,%,s,measured,true,false"),
        "year",
        &format!(
            "year 1850 is outside the accepted range 1990..{}",
            year_max()
        ),
    );
    rejects(
        &format!("{GENEVA},EC-ICT-ICT-1C,2023.5,85,%,s,measured,true,false"),
        "year",
        &format!(
            "year '2023.5' is not a whole number; expected a year in 1990..{}",
            year_max()
        ),
    );
}

#[test]
fn bad_quality_and_flags() {
    rejects(
        &format!("{GENEVA},EC-ICT-ICT-1C,2023,85,%,s,guessed,true,false"),
        "quality",
        "quality 'guessed' is not a U4SSC data quality level; accepted: measured, survey_extrapolated, higher_level_extrapolated, assumption_estimate, personal_estimate, unknown (empty means unknown)",
    );
    rejects(
        &format!("{GENEVA},EC-ICT-ICT-1C,2023,85,%,s,measured,maybe,false"),
        "verified",
        "verified 'maybe' is not a yes/no value; accepted: true, false, yes, no, 1, 0 (empty means false)",
    );
}

#[test]
fn wrong_field_count() {
    rejects(
        &format!("{GENEVA},EC-ICT-ICT-1C,2023,85,%,s,measured"),
        "row",
        "the row has 7 fields but the header has 9; check quoting of fields that contain the delimiter",
    );
}

#[test]
fn duplicates_and_conflicts_inside_one_file() {
    let (ws, code, rej) = ingest_rows(&[
        &format!("{GENEVA},EC-ICT-ICT-1C,2023,85,%,s,measured,true,false"),
        &format!("{GENEVA},EC-ICT-ICT-1C,2023,85,%,s,measured,true,false"),
        &format!("{GENEVA},EC-ICT-ICT-2C,2023,40,%,s,measured,true,false"),
        &format!("{GENEVA},EC-ICT-ICT-2C,2023,0.45,fraction,s,measured,true,false"),
        &format!("{GENEVA},EC-ICT-ICT-2C,2024,45,%,s,measured,true,false"),
    ]);
    assert_eq!(code, 1);
    let conflict = "conflicting values for (2660646, EC-ICT-ICT-2C, 2023) at lines 4 and 5: 40 vs 45; both rejected, resubmit one value";
    assert_eq!(
        rej,
        vec![
            (
                3,
                "row".into(),
                "duplicate of line 2 (same city_id, data_point_id, year and value)".into()
            ),
            (4, "row".into(), conflict.into()),
            (5, "row".into(), conflict.into()),
        ]
    );
    // accepted: line 2 (first of the duplicates) and line 6; nothing lost
    assert_eq!(ws.accepted_rows_duckdb(), 2);
    let b = &ws.manifest()["batches"][0];
    assert_eq!(
        (
            b["rows_read"].as_u64(),
            b["rows_accepted"].as_u64(),
            b["rows_rejected"].as_u64()
        ),
        (Some(5), Some(2), Some(3))
    );
}

#[test]
fn three_way_conflicts_and_duplicates_in_parquet() {
    // the Parquet path validates on two threads; duplicates are found across chunk halves
    let ws = Ws::new();
    let csv = ws.file(
        "c.csv",
        csv_rows(&[
            &format!("{GENEVA},EC-ICT-ICT-1C,2023,85,%,s,measured,true,false"),
            &format!("{GENEVA},EC-ICT-ICT-1C,2023,86,%,s,measured,true,false"),
            &format!("{GENEVA},EC-ICT-ICT-2C,2023,40,%,s,measured,true,false"),
            &format!("{GENEVA},EC-ICT-ICT-1C,2023,0.85,fraction,s,measured,true,false"),
            &format!("{GENEVA},EC-ICT-ICT-2C,2023,40,%,s,measured,true,false"),
        ]),
    );
    let con = duckdb::Connection::open_in_memory().unwrap();
    let pq = ws.dir.path().join("c.parquet");
    con.execute_batch(&format!(
        "copy (select * from read_csv('{}', all_varchar = true)) to '{}' (format parquet)",
        csv.display(),
        pq.display()
    ))
    .unwrap();
    let r = ws.ingest(&pq);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let c = "conflicting values for (2660646, EC-ICT-ICT-1C, 2023) at rows 1, 2 and 4: 85 vs 86 vs 85; all rejected, resubmit one value";
    assert_eq!(
        ws.rejections(),
        vec![
            (1, "row".into(), c.into()),
            (2, "row".into(), c.into()),
            (4, "row".into(), c.into()),
            (
                5,
                "row".into(),
                "duplicate of row 3 (same city_id, data_point_id, year and value)".into()
            ),
        ]
    );
    assert_eq!(ws.accepted_rows_duckdb(), 1);
}

/// The line named for a row is the file's: blank lines and a quoted line break count, and
/// so do CRLF line ends (as Excel saves CSV), which the CSV reader's own position put one
/// line early.
#[test]
fn csv_lines_are_the_files_with_blank_lines_and_crlf() {
    for end in ["\n", "\r\n"] {
        let ws = Ws::new();
        let text = [
            HEADER.to_string(),
            format!("{GENEVA},EC-ICT-ICT-1C,2023,50,%,s,measured,true,false"),
            String::new(),
            format!("{GENEVA},EC-ICT-ICT-2C,2023,40,%,\"two\nlines\",measured,true,false"),
            String::new(),
            String::new(),
            format!("{GENEVA},EC-ICT-ICT-2C,2022,-5,%,s,measured,true,false"),
        ]
        .join(end);
        let f = ws.file("spaced.csv", text);
        let r = ws.ingest(&f);
        assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
        assert_eq!(
            ws.rejections(),
            vec![(
                8,
                "value".into(),
                "value -5 % is below the minimum 0 for EC-ICT-ICT-2C (Fixed Broadband Subscriptions): a percentage cannot be negative".into()
            )],
            "line ends {end:?}"
        );
        let con = duckdb::Connection::open_in_memory().unwrap();
        let mut stmt = con
            .prepare(&format!(
                "select source_line from read_parquet('{}/raw/*/*.parquet') order by source_line",
                ws.root().display()
            ))
            .unwrap();
        let lines: Vec<u64> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(lines, vec![2, 4], "line ends {end:?}");
    }
}

/// Column types this build of Polars does not read (decimals, small unsigned integers,
/// lists) are read as text through DuckDB: the values arrive exactly, a list in a value
/// column is rejected like a CSV cell, and a column that is not a submission field is not
/// read at all.
#[test]
fn parquet_decimal_unsigned_and_list_columns() {
    let ws = Ws::new();
    let con = duckdb::Connection::open_in_memory().unwrap();
    let pq = ws.dir.path().join("typed.parquet");
    con.execute_batch(&format!(
        "copy (select * from (values
            ('{GENEVA}', 'EC-ICT-ICT-1C', 2023::USMALLINT, 85.25::DECIMAL(10, 2), '%', 's', 'measured', true, false, [1, 2], 1.5::DECIMAL(4, 1)),
            ('{GENEVA}', 'EC-ICT-ICT-2C', 2023::USMALLINT, -0.10::DECIMAL(10, 2), '%', 's', 'measured', true, false, [3], 2.5::DECIMAL(4, 1)))
          t(city_id, data_point_id, year, value, unit, source, quality, verified, confidential, notes, extra))
         to '{}' (format parquet)",
        pq.display()
    ))
    .unwrap();
    let r = ws.ingest(&pq);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("2 rows read, 1 accepted, 1 rejected"),
        "{}",
        r.stdout
    );
    assert_eq!(
        ws.rejections(),
        vec![(
            2,
            "value".into(),
            "value -0.1 % is below the minimum 0 for EC-ICT-ICT-2C (Fixed Broadband Subscriptions): a percentage cannot be negative".into()
        )]
    );
    let mut stmt = con
        .prepare(&format!(
            "select year, value, notes from read_parquet('{}/raw/*/*.parquet')",
            ws.root().display()
        ))
        .unwrap();
    let rows: Vec<(i32, f64, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows, vec![(2023, 85.25, "[1, 2]".to_string())]);
}

/// A total on a per-capita data point (reports print "tonnes" or "kWh / yr" where the KPI's
/// name says per capita): the message names both fixes, the per-capita spelling and the
/// denominator; a report's count noun and an empty count unit are accepted.
#[test]
fn a_total_on_a_per_capita_data_point_names_the_per_capita_spelling() {
    let ws = Ws::new();
    let text = format!(
        "{HEADER}\n\
         {GENEVA},EN-EN-AQ-2C,2023,5.1,tonnes,Report,measured,true,false\n\
         {GENEVA},EN-E-E-2C,2023,3500,kWh / yr,Report,measured,true,false\n\
         {GENEVA},EC-ICT-ICT-5C,2023,78,Spots,Report,measured,true,false\n\
         {GENEVA},EC-ICT-PS-2A,2023,80,,Report,measured,true,false\n"
    );
    let f = ws.file("percap.csv", text);
    let r = ws.ingest(&f);
    assert_eq!(r.code, 1);
    let rej = ws.rejections();
    assert_eq!(
        rej,
        [
            (
                2,
                "denominator".into(),
                "unit 'tonnes' is a total; if the value is per inhabitant, write the unit as 'tonnes per capita'; if it is the city's total, give a denominator (population or a positive number) to convert it to tonnes CO2e per capita".into()
            ),
            (
                3,
                "denominator".into(),
                "unit 'kWh / yr' is a total; if the value is per inhabitant, write the unit as 'kWh per capita per yr'; if it is the city's total, give a denominator (population or a positive number) to convert it to kWh per capita per year".into()
            ),
        ]
    );
}

#[test]
fn count_with_population_denominator() {
    let ws = Ws::new();
    std::fs::write(
        ws.root().join("population.csv"),
        format!("city_id,year,population\n{GENEVA},2023,200000\n"),
    )
    .unwrap();
    let text = format!(
        "{HEADER},denominator\n\
         {GENEVA},SC-SH-SA-8C,2023,500,number,Police,measured,true,false,population\n\
         {GENEVA},SC-SH-SA-8C,2022,500,number,Police,measured,true,false,population\n\
         {GENEVA},SC-SH-SA-9C,2023,5,number,Police,measured,true,false,\n\
         {GENEVA},SC-EH-H-2C,2023,3,number,Hospital,measured,true,false,6000\n"
    );
    let f = ws.file("den.csv", text);
    let r = ws.ingest(&f);
    assert_eq!(r.code, 1);
    let rej = ws.rejections();
    assert_eq!(rej.len(), 2);
    assert_eq!(rej[0].0, 3);
    assert_eq!(
        rej[0].2,
        "no population for city 2660646 in 2022: add it to the workspace population.csv (city_id,year,population); the registry has 201741 for 2025 only"
    );
    assert_eq!(rej[1], (4, "denominator".into(), "unit 'number' is a total; give a denominator (population or a positive number) to convert it to per 100 000 inhabitants".into()));
    let con = duckdb::Connection::open_in_memory().unwrap();
    let mut stmt = con
        .prepare(&format!(
            "select value, conversion from read_parquet('{}/raw/*/*.parquet') order by source_line",
            ws.root().display()
        ))
        .unwrap();
    let rows: Vec<(f64, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        rows[0],
        (
            250.0,
            "x1 / population 2023 = 200000 x 100000 (number -> per 100 000 inhabitants)"
                .to_string()
        )
    );
    assert_eq!(
        rows[1],
        (
            50.0,
            "x1 / denominator 6000 x 100000 (number -> per 100 000 live births)".to_string()
        )
    );
}

#[test]
fn truncated_parquet() {
    let ws = Ws::new();
    let good = ws.file(
        "g.csv",
        csv_rows(&[&format!(
            "{GENEVA},EC-ICT-ICT-1C,2023,85,%,s,measured,true,false"
        )]),
    );
    // build a real Parquet file, then cut it
    let out = ws.dir.path().join("gen");
    let r = ws.run(&[
        "generate",
        "--cities",
        "2",
        "--years",
        "2020..2021",
        "--seed",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let bytes = std::fs::read(out.join("submissions.parquet")).unwrap();
    let cut = &bytes[..bytes.len() / 2];
    fatal(
        "cut.parquet",
        cut,
        &format!(
            "not a readable Parquet file: it does not end with the magic bytes PAR1 ({} bytes); the file is truncated or damaged",
            cut.len()
        ),
    );
    let _ = good;
}

#[test]
fn file_that_is_not_what_its_extension_says() {
    fatal(
        "text.parquet",
        format!("{HEADER}\n").as_bytes(),
        "the file is named .parquet but contains text, not a Parquet file (starting with the magic bytes PAR1)",
    );
    fatal(
        "bin.csv",
        b"PAR1\x00\x00\x00garbage",
        "the file is named .csv but contains a Parquet file, not CSV text",
    );
    fatal(
        "book.json",
        b"PK\x03\x04\x14\x00\x06\x00",
        "the file is named .json but contains a ZIP archive (an .xlsx workbook is one), not JSON text",
    );
    fatal(
        "data.xml",
        b"<xml/>",
        "unknown file type '.xml' (text); citybench ingests .csv, .json, .ndjson/.jsonl, .parquet and .xlsx (the template of `citybench template`)",
    );
}

#[test]
fn json_array_and_ndjson() {
    let ws = Ws::new();
    let arr = format!(
        r#"[{{"city_id":"{GENEVA}","data_point_id":"EC-ICT-ICT-1C","year":2023,"value":85.5,"unit":"%","source":"s","quality":"measured","verified":true,"confidential":false}},
            {{"city_id":"{GENEVA}","data_point_id":"EC-ICT-ICT-2C","year":2023,"value":{{"x":1}},"unit":"%","source":"s","quality":"measured","verified":true,"confidential":false}}]"#
    );
    let f = ws.file("a.json", arr);
    let r = ws.ingest(&f);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        ws.rejections(),
        vec![(
            2,
            "row".into(),
            "field 'value' is a JSON object; expected a string, number or boolean".into()
        )]
    );
    let nd = format!(
        "{{\"city_id\":\"{GENEVA}\",\"data_point_id\":\"EC-ICT-ICT-1C\",\"year\":2022,\"value\":\"80\",\"unit\":\"%\",\"source\":\"s\",\"quality\":\"measured\",\"verified\":\"yes\",\"confidential\":0}}\n\nnot json\n"
    );
    let f = ws.file("b.ndjson", nd);
    let r = ws.ingest(&f);
    assert_eq!(r.code, 1);
    let rej = ws.rejections();
    assert_eq!(rej.len(), 1);
    assert_eq!(rej[0].0, 3);
    assert!(
        rej[0]
            .2
            .starts_with("the line is not valid JSON: expected ident"),
        "{}",
        rej[0].2
    );
    assert_eq!(ws.accepted_rows_duckdb(), 1);
}

#[test]
fn reingesting_an_identical_file_is_refused_unless_forced() {
    let ws = Ws::new();
    let f = ws.file(
        "s.csv",
        csv_rows(&[&format!(
            "{GENEVA},EC-ICT-ICT-1C,2023,85,%,s,measured,true,false"
        )]),
    );
    assert_eq!(ws.ingest(&f).code, 0);
    let id = ws.manifest()["batches"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_refused_as_ingested(&ws, &f, &id);
    let r = ws.run(&["ingest", "--force", f.to_str().unwrap()]);
    assert_eq!(r.code, 0);
    let m = ws.manifest();
    assert_eq!(m["batches"].as_array().unwrap().len(), 2);
    assert_eq!(m["batches"][1]["forced"], true);
}

/// A CSV file from `generate` with its deliberately bad rows, in the test's directory.
fn generated_with_errors(ws: &Ws, cities: &str, years: &str, seed: &str) -> std::path::PathBuf {
    generated_with_errors_as(ws, "csv", cities, years, seed)
}

/// [`generated_with_errors`] in `format` (csv or parquet).
fn generated_with_errors_as(
    ws: &Ws,
    format: &str,
    cities: &str,
    years: &str,
    seed: &str,
) -> std::path::PathBuf {
    let out = ws.dir.path().join("gen");
    let r = ws.run(&[
        "generate",
        "--cities",
        cities,
        "--years",
        years,
        "--seed",
        seed,
        "--inject-errors",
        "--format",
        format,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    out.join(format!("submissions.{format}"))
}

/// Ingesting `f` again is refused as batch `id` (the workspace's only one), with the exact
/// message and nothing staged left.
fn assert_refused_as_ingested(ws: &Ws, f: &std::path::Path, id: &str) {
    let r = ws.ingest(f);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        format!(
            "{}: already ingested as batch {id} (same SHA-256); nothing done (use --force to ingest it again)\n",
            f.display()
        )
    );
    assert_eq!(ws.manifest()["batches"].as_array().unwrap().len(), 1);
    assert_eq!(temporaries(&ws.root()), Vec::<std::path::PathBuf>::new());
}

/// The file is hashed while it is read: a file ingested before is refused however much
/// of it was read and rejected meanwhile, and its staged batch and rejections are removed.
#[test]
fn a_large_file_ingested_before_is_refused_with_nothing_staged_left() {
    let ws = Ws::new();
    let f = generated_with_errors(&ws, "60", "2015..2024", "3");
    let first = ws.ingest(&f);
    assert_eq!(first.code, 1, "{}{}", first.stdout, first.stderr);
    let m = ws.manifest();
    let batch = &m["batches"][0];
    assert!(batch["rows_rejected"].as_u64().unwrap() > 0);
    let id = batch["id"].as_str().unwrap().to_string();
    let sha = batch["sha256"].as_str().unwrap().to_string();
    assert_eq!(id[7..], sha[..12]);
    assert_refused_as_ingested(&ws, &f, &id);
}

/// The same for a Parquet file of several row groups, whose slices are decoded on one
/// thread while another checks the slice before (`ingest::overlapped`): every row read is
/// accepted or rejected, and ingesting it again is refused with nothing staged left,
/// whichever thread stops first.
#[test]
fn a_parquet_file_of_several_row_groups_ingested_before_is_refused() {
    let ws = Ws::new();
    let f = generated_with_errors_as(&ws, "parquet", "240", "2005..2024", "5");
    let groups = parquet_row_groups(&f);
    assert!(groups > 1, "{groups} row group(s)");
    let first = ws.ingest(&f);
    assert_eq!(first.code, 1, "{}{}", first.stdout, first.stderr);
    let m = ws.manifest();
    let batch = &m["batches"][0];
    let (read, acc, rej) = (
        batch["rows_read"].as_u64().unwrap(),
        batch["rows_accepted"].as_u64().unwrap(),
        batch["rows_rejected"].as_u64().unwrap(),
    );
    assert!(rej > 0);
    assert_eq!(read, acc + rej);
    assert_eq!(ws.accepted_rows_duckdb() as u64, acc);
    let id = batch["id"].as_str().unwrap().to_string();
    assert_refused_as_ingested(&ws, &f, &id);
}

/// The number of row groups in the Parquet file `f` (its footer, read by DuckDB).
fn parquet_row_groups(f: &std::path::Path) -> usize {
    let db = duckdb::Connection::open_in_memory().unwrap();
    db.query_row(
        &format!(
            "SELECT count(DISTINCT row_group_id) FROM parquet_metadata('{}')",
            f.display()
        ),
        [],
        |r| r.get::<_, i64>(0),
    )
    .unwrap() as usize
}

#[test]
fn generated_errors_are_all_accounted_for() {
    // the generator's deliberately bad rows: every row is either accepted or rejected
    let ws = Ws::new();
    let f = generated_with_errors(&ws, "40", "2018..2024", "9");
    let lines = std::fs::read_to_string(&f).unwrap().lines().count() as u64 - 1;
    let r = ws.ingest(&f);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let b = ws.manifest()["batches"][0].clone();
    let (read, acc, rej) = (
        b["rows_read"].as_u64().unwrap(),
        b["rows_accepted"].as_u64().unwrap(),
        b["rows_rejected"].as_u64().unwrap(),
    );
    assert_eq!(read, lines);
    assert_eq!(read, acc + rej);
    assert!(rej > 0 && rej < read / 50, "{rej} of {read}");
    assert_eq!(ws.accepted_rows_duckdb() as u64, acc);
    assert_eq!(ws.rejections().len() as u64, rej);
}

#[test]
fn a_second_writer_is_refused_while_the_lock_is_held() {
    let ws = Ws::new();
    let handle = citybench::store::Workspace::open(&ws.root()).unwrap();
    let _lock = handle.lock().unwrap();
    let f = ws.file(
        "s.csv",
        csv_rows(&[&format!(
            "{GENEVA},EC-ICT-ICT-1C,2023,85,%,s,measured,true,false"
        )]),
    );
    let r = ws.ingest(&f);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.starts_with(&format!(
            "error: workspace {} is locked by another citybench process (pid {}",
            ws.root().display(),
            std::process::id()
        )),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .trim_end()
            .ends_with("wait for it to finish (the lock is released when that process exits)")
    );
}

#[test]
fn empty_required_fields() {
    let max = year_max();
    rejects(
        ",EC-ICT-ICT-1C,2023,85,%,s,measured,true,false",
        "city_id",
        "city_id is empty; a city id from the registry or the workspace cities.csv is required",
    );
    rejects(
        &format!("{GENEVA},,2023,85,%,s,measured,true,false"),
        "data_point_id",
        "data_point_id is empty; one of the catalogue's 113 data point ids is required (citybench catalog lists them)",
    );
    rejects(
        &format!("{GENEVA},EC-ICT-ICT-1C,,85,%,s,measured,true,false"),
        "year",
        &format!("year is empty; a year in 1990..{max} is required"),
    );
    rejects(
        &format!("{GENEVA},EC-ICT-ICT-1C,2023,,%,s,measured,true,false"),
        "value",
        "value is empty; a number is required (leave the data point out if it has no value)",
    );
    rejects(
        &format!("{GENEVA},EC-ICT-ICT-1C,2023,85,,s,measured,true,false"),
        "unit",
        "unit is empty; expected percentage (%); accepted: %, percent, per cent, percentage, pct, percent (%), fraction (x100), share (x100) ... (16 spellings in all: citybench units --data-point EC-ICT-ICT-1C)",
    );
}

#[test]
fn unit_sign_in_the_value_and_misspelt_unit() {
    rejects(
        &format!("{GENEVA},EC-ICT-ICT-1C,2023,12%,%,s,measured,true,false"),
        "value",
        "value '12%' carries a unit sign; put the number in value and the unit in unit (e.g. value 12, unit %)",
    );
    rejects(
        &format!("{GENEVA},EC-ICT-ICT-1C,2023,85,precent,s,measured,true,false"),
        "unit",
        "unknown unit 'precent' for EC-ICT-ICT-1C (expects a percentage (%)); did you mean 'percent'? accepted: %, percent, per cent, percentage, pct, percent (%), fraction (x100), share (x100) ... (16 spellings in all: citybench units --data-point EC-ICT-ICT-1C)",
    );
    rejects(
        &format!("{GENEVA},EC-ICT-ICT-1C,2023,85,%,s,measured,true,perhaps"),
        "confidential",
        "confidential 'perhaps' is not a yes/no value; accepted: true, false, yes, no, 1, 0 (empty means false)",
    );
}

#[test]
fn denominator_misuse() {
    let cases = [
        (
            format!(
                "{GENEVA},SC-SH-SA-8C,2023,5,per 100 000 inhabitants,s,measured,true,false,population"
            ),
            "denominator 'population' given but unit 'per 100 000 inhabitants' is already the canonical unit (per 100 000 inhabitants); give the total (e.g. unit 'number') or leave the denominator empty",
        ),
        (
            format!("{GENEVA},SC-SH-SA-8C,2023,5,number,s,measured,true,false,-5"),
            "denominator '-5' is neither 'population' nor a positive number",
        ),
        (
            format!("{GENEVA},SC-EH-H-2C,2023,3,number,s,measured,true,false,population"),
            "denominator 'population' does not apply to per 100 000 live births; give the denominator count as a number (e.g. live births, floor area)",
        ),
    ];
    for (row, reason) in cases {
        let ws = Ws::new();
        let f = ws.file("d.csv", format!("{HEADER},denominator\n{row}\n"));
        assert_eq!(ws.ingest(&f).code, 1);
        assert_eq!(
            ws.rejections(),
            vec![(2, "denominator".to_string(), reason.to_string())]
        );
    }
}

#[test]
fn records_that_are_not_objects_and_invalid_utf8() {
    let ws = Ws::new();
    let good = format!(
        r#"{{"city_id":"{GENEVA}","data_point_id":"EC-ICT-ICT-1C","year":2023,"value":85,"unit":"%","source":"s","quality":"measured","verified":true,"confidential":false}}"#
    );
    let f = ws.file("a.json", format!("[{good}, 7]"));
    assert_eq!(ws.ingest(&f).code, 1);
    assert_eq!(
        ws.rejections(),
        vec![(
            2,
            "row".into(),
            "record is a JSON number, not an object with the submission fields".into()
        )]
    );
    let f = ws.file("b.ndjson", "[1, 2]\n");
    assert_eq!(ws.ingest(&f).code, 1);
    assert_eq!(
        ws.rejections(),
        vec![(
            1,
            "row".into(),
            "the line is JSON but not an object with the submission fields".into()
        )]
    );
    let mut bytes = format!("{HEADER}\n{GENEVA},EC-ICT-ICT-1C,2023,").into_bytes();
    bytes.extend_from_slice(b"\xff\xfe,%,s,measured,true,false\n");
    let f = ws.file("u.csv", bytes);
    assert_eq!(ws.ingest(&f).code, 1);
    assert_eq!(
        ws.rejections(),
        vec![(
            2,
            "row".into(),
            "field 4 is not valid UTF-8 text (byte 0xFF, 'ÿ' if the file is Latin-1/Windows-1252); save the file as UTF-8".into()
        )]
    );
}

#[test]
fn more_whole_file_errors() {
    fatal(
        "twice.csv",
        format!("{HEADER},YEAR\n").as_bytes(),
        "column 'year' appears twice in the header",
    );
    fatal(
        "empty.json",
        b"[]",
        "the JSON array is empty; nothing to ingest",
    );
    fatal(
        "book.xlsx",
        b"PK\x03\x04",
        "cannot read the workbook (Zip error: invalid Zip archive: Could not find EOCD); the file is corrupt or not an .xlsx workbook: open it in Excel and save it again as .xlsx",
    );
}

#[test]
fn one_bad_file_among_several_does_not_stop_the_others() {
    let ws = Ws::new();
    let good = ws.file(
        "good.csv",
        csv_rows(&[&format!(
            "{GENEVA},EC-ICT-ICT-1C,2023,57,%,OFS,measured,true,false"
        )]),
    );
    let bad = ws.file("bad.csv", b"");
    let r = ws.run(&["ingest", bad.to_str().unwrap(), good.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(
        r.stderr.ends_with(
            "error: 1 of 2 files could not be ingested (see the errors above); nothing was written for them, the others were committed\n"
        ),
        "{}",
        r.stderr
    );
    let m = ws.manifest();
    let batches = m["batches"].as_array().unwrap();
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0]["rows_accepted"], 1);
}

/// Every unit the engine prints (each data point's canonical code, label and display
/// symbol, as `catalog`, `units`, the snapshot and the exports show them) ingests back
/// through the command, unchanged (issue 20: a label copied from citybench's own output is
/// never refused).
#[test]
fn every_printed_unit_ingests_back_unchanged() {
    let units = citybench::catalog::UnitRegistry::embedded().unwrap();
    let catalog = citybench::catalog::Catalog::embedded(&units).unwrap();
    let mut csv = format!("{HEADER}\n");
    let mut n = 0;
    for dp in catalog.data_points() {
        let c = units.canonical(&dp.canonical_unit).unwrap();
        for (k, printed) in [&c.code, &c.label, &c.symbol].into_iter().enumerate() {
            // one year per spelling: (city, data point, year) stays unique
            let q = if printed.contains(',') || printed.contains('"') {
                format!("\"{}\"", printed.replace('"', "\"\""))
            } else {
                printed.clone()
            };
            csv.push_str(&format!(
                "{GENEVA},{},{},1,{q},printed,,,\n",
                dp.data_point_id,
                2020 + k
            ));
            n += 1;
        }
    }
    assert_eq!(n, 3 * catalog.data_points().len());
    let ws = Ws::new();
    let r = ws.ingest(&ws.file("printed.csv", csv));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(ws.rejections().is_empty());
    assert_eq!(ws.accepted_rows_duckdb(), n as i64);
    // stored as given: value 1 in the canonical unit, converted by nothing but x1 (the
    // recorded conversion is "none" for the label, "x1 (code -> label)" otherwise)
    let m = ws.manifest();
    let part = ws
        .root()
        .join(m["batches"][0]["parts"][0].as_str().unwrap());
    let con = duckdb::Connection::open_in_memory().unwrap();
    let (converted, not_one): (String, i64) = con
        .query_row(
            &format!(
                "select coalesce(string_agg(distinct conversion, ' | '), ''), count(*) filter (where value <> 1) \
                 from read_parquet('{}') where conversion <> 'none' and conversion not like 'x1 (%'",
                part.display()
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((converted.as_str(), not_one), ("", 0));
}
