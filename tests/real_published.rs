//! A held-out set of real published U4SSC values, ingested with the real binary.
//!
//! `tests/data/real_published/rows.csv`: 134 rows of 7 cities' U4SSC verification reports
//! and factsheets, value and unit transcribed as printed (the README there says which pages
//! and how). Issue 20's "done when" reads: a held-out set of real published values ingests
//! with >= 95 % of valued rows accepted, each remaining refusal a genuinely ambiguous case
//! with an exact fix in its message. This test measures it and pins every refusal.

use std::path::PathBuf;

use crate::util::Ws;

/// Statements a report prints in the value column instead of a number ("Not Reported",
/// "Not verified"). They are not values: acceptance is counted among the other rows.
const NOT_VALUES: [&str; 4] = ["not reported", "not verified", "not available", "no data"];

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/real_published/rows.csv")
}

/// (line, value cell) of every data row; line 1 is the header.
fn fixture_values() -> Vec<(u64, String)> {
    let mut r = csv::Reader::from_path(fixture()).unwrap();
    let value = r
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "value")
        .unwrap();
    r.records()
        .enumerate()
        .map(|(i, x)| (i as u64 + 2, x.unwrap()[value].to_string()))
        .collect()
}

fn is_statement(value: &str) -> bool {
    NOT_VALUES.contains(&value.trim().to_lowercase().as_str())
}

/// The unit a factsheet prints is the total ("ℓ / day", "tonnes", "Gj / yr") while the
/// KPI's name says "per capita". Genuinely ambiguous: a city's total with the denominator
/// left out reads the same. The message names both exact fixes (issue 20).
const PER_CAPITA_WATER: &str = "unit 'ℓ / day' is a total; if the value is per inhabitant, write the unit as 'l per capita per day'; if it is the city's total, give a denominator (population or a positive number) to convert it to litres per capita per day";

/// Every refusal of a row that carries a value: (line, field, message), each with why it
/// stays refused.
fn expected_refusals() -> Vec<(u64, &'static str, String)> {
    vec![
        // Valencia, Water Consumption (per capita) 147.70 ℓ / day: per capita only in the name
        (69, "denominator", PER_CAPITA_WATER.to_string()),
        // Riyadh, GHG Emissions (eCO2 / capita) 9.10 tonnes: per capita only in the name
        (90, "denominator", "unit 'tonnes' is a total; if the value is per inhabitant, write the unit as 'tonnes per capita'; if it is the city's total, give a denominator (population or a positive number) to convert it to tonnes CO2e per capita".to_string()),
        // Riyadh, Water Consumption (per capita) 350.57 ℓ / day: per capita only in the name
        (92, "denominator", PER_CAPITA_WATER.to_string()),
        // Riyadh, Electricity Consumption (per capita) 9 032.14 kWh / yr: the SI digit
        // group is read; per capita only in the name, like the next row
        (98, "denominator", "unit 'kWh / yr' is a total; if the value is per inhabitant, write the unit as 'kWh per capita per yr'; if it is the city's total, give a denominator (population or a positive number) to convert it to kWh per capita per year".to_string()),
        // Riyadh, Residential Thermal Energy Consumption (per capita) 0.74 Gj / yr: per
        // capita only in the name
        (99, "denominator", "unit 'Gj / yr' is a total; if the value is per inhabitant, write the unit as 'GJ per capita per yr'; if it is the city's total, give a denominator (population or a positive number) to convert it to GJ per capita per year".to_string()),
        // Bizerte, Water Consumption (per capita) 86.26 ℓ / day: per capita only in the name
        (127, "denominator", PER_CAPITA_WATER.to_string()),
    ]
}

#[test]
fn real_published_values_ingest_with_every_refusal_pinned() {
    let values = fixture_values();
    let statements: Vec<u64> = values
        .iter()
        .filter(|(_, v)| is_statement(v))
        .map(|(l, _)| *l)
        .collect();
    let valued = values.len() - statements.len();
    assert_eq!((values.len(), statements.len(), valued), (134, 9, 125));

    let ws = Ws::new();
    let r = ws.ingest(&fixture());
    assert_eq!(r.code, 1, "some rows are refused: {}", r.stderr);
    let m = ws.manifest();
    let b = &m["batches"][0];
    let read = b["rows_read"].as_u64().unwrap();
    let accepted = b["rows_accepted"].as_u64().unwrap();
    let rejected = b["rows_rejected"].as_u64().unwrap();
    // "Not Reported" / "Not verified" are recorded as a status (issue 20, item 3)
    let not_reported = b["rows_not_reported"].as_u64().unwrap();
    assert_eq!(read, 134);
    assert_eq!(read, accepted + not_reported + rejected);
    assert_eq!(not_reported, statements.len() as u64);
    assert_eq!(ws.accepted_rows_duckdb() as u64, accepted);

    let rejections = ws.rejections();
    assert!(
        rejections
            .iter()
            .all(|(line, _, _)| !statements.contains(line)),
        "{rejections:?}"
    );
    let got: Vec<(u64, &str, String)> = rejections
        .iter()
        .map(|(l, f, m)| (*l, f.as_str(), m.clone()))
        .collect();
    assert_eq!(got, expected_refusals());
    assert_eq!(accepted, (valued - got.len()) as u64);
    // Issue 20's bar: >= 95 % of valued rows, every refusal genuinely ambiguous. Measured:
    // 119 of 125 (95.2 %); the 6 refusals above are all a total on a per-capita data point
    // (per capita only in the KPI's name), and each message names both exact fixes.
    assert_eq!((accepted, valued), (119, 125));
    assert!(accepted as f64 / valued as f64 >= 0.95);

    // what was accepted is stored in canonical units, converted as printed
    let con = duckdb::Connection::open_in_memory().unwrap();
    let raw = ws.root().join("raw");
    let mut stmt = con
        .prepare(&format!(
            "select source_line, value, unit, conversion from read_parquet('{}/*/*.parquet') order by source_line",
            raw.display()
        ))
        .unwrap();
    let stored: Vec<(i64, f64, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(stored.len() as u64, accepted);
    let at = |line: i64| -> (f64, &str, &str) {
        let r = stored
            .iter()
            .find(|r| r.0 == line)
            .unwrap_or_else(|| panic!("line {line} not accepted"));
        (r.1, r.2.as_str(), r.3.as_str())
    };
    // Stavanger: 246 Services; 1.51 % GDP; 333.72/ 100 000 inhabitants
    assert_eq!(at(4).0, 246.0);
    assert_eq!(at(4).1, "count");
    assert_eq!(at(6).0, 1.51);
    assert_eq!(at(6).1, "pct_of_gdp");
    assert_eq!(at(7).0, 333.72);
    assert_eq!(at(7).1, "per_100k_pop");
    // Kristiansund: 0.70 Ratio Female: Male; Resilience Plans No
    assert_eq!((at(16).0, at(16).1), (0.7, "ratio"));
    assert_eq!((at(23).0, at(23).1), (0.0, "bool"));
    // Asker: 0.001 % / City GDP
    assert_eq!((at(35).0, at(35).1), (0.001, "pct_of_gdp"));
    // Ålesund: outage frequency 1.05 printed without a unit
    assert_eq!(
        (at(54).0, at(54).1),
        (1.05, "interruptions_per_customer_year")
    );
    // Riyadh: µg/m 3 and ekWh / m 2 as the text layer prints m3 and m2; 74.00 yrs;
    // maternal mortality per 100 000 live births (the KPI label's unit)
    assert_eq!((at(85).0, at(85).1), (64.0, "ug_per_m3"));
    assert_eq!((at(89).0, at(89).1), (58.0, "ug_per_m3"));
    assert_eq!((at(100).0, at(100).1), (70.87, "kwh_per_m2_year"));
    assert_eq!((at(106).0, at(106).1), (74.0, "years"));
    assert_eq!((at(107).0, at(107).1), (9.78, "per_100k_live_births"));
    // Bizerte: 0.00% split into value and unit like every other cell
    assert_eq!((at(131).0, at(131).1), (0.0, "pct"));
}
