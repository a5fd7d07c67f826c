//! The columnar fast path of Parquet ingest (`src/ingest/columnar.rs`) against the row
//! validator alone (`IngestOptions::row_by_row`): the same file ingested both ways gives the
//! same counts and reasons, the same stored rows, statements and rejection file.

use std::path::{Path, PathBuf};

use citybench::catalog::{Catalog, UnitRegistry};
use citybench::config::Config;
use citybench::generate::{GenFormat, GenSpec, generate};
use citybench::ingest::{Context, FileOutcome, IngestOptions, ingest_file};
use citybench::registry::Registry;
use citybench::store::Workspace;
use polars::prelude::*;

use crate::util::{GENEVA, STAVANGER};

fn context() -> Context {
    let units = UnitRegistry::embedded().unwrap();
    let catalog = Catalog::embedded(&units).unwrap();
    Context {
        catalog,
        units,
        registry: Registry::embedded().unwrap(),
        config: Config::default(),
    }
}

/// Ingest `file` into a new workspace under `dir`; the outcome and the workspace root.
fn ingest(ctx: &Context, dir: &Path, file: &Path, row_by_row: bool) -> (FileOutcome, PathBuf) {
    let root = dir.join(if row_by_row { "rows" } else { "columns" });
    Workspace::init(&root).unwrap();
    let ws = Workspace::open(&root).unwrap();
    let _lock = ws.lock().unwrap();
    let opts = IngestOptions {
        row_by_row,
        year_max: Some(2026),
        ..IngestOptions::default()
    };
    let o = ingest_file(&ws, ctx, file, &opts, &mut |_, _| {}).unwrap();
    (o, root)
}

/// Every Parquet file under `dir` matching `name`, read with every column as text, sorted
/// by source line (the stored types may differ: text or dictionary-encoded text).
fn frame(root: &Path, name: &str) -> Option<DataFrame> {
    let raw = root.join("raw");
    let batch = std::fs::read_dir(&raw).ok()?.next()?.ok()?.path();
    let path = batch.join(name);
    if !path.exists() {
        return None;
    }
    let df = ParquetReader::new(std::fs::File::open(&path).unwrap())
        .finish()
        .unwrap();
    let cols: Vec<Expr> = df
        .get_column_names()
        .iter()
        .map(|c| col(c.as_str()).cast(DataType::String))
        .collect();
    Some(
        df.lazy()
            .select(cols)
            .sort(["source_line"], SortMultipleOptions::default())
            .collect()
            .unwrap(),
    )
}

fn rejected(root: &Path) -> Option<String> {
    let dir = root.join("rejected");
    let f = std::fs::read_dir(dir).ok()?.next()?.ok()?.path();
    Some(std::fs::read_to_string(f).unwrap())
}

/// Ingest `file` both ways and assert the two agree; returns the columnar outcome.
fn agree(file: &Path) -> FileOutcome {
    let ctx = context();
    let tmp = tempfile::tempdir().unwrap();
    let (fast, a) = ingest(&ctx, tmp.path(), file, false);
    let (rows, b) = ingest(&ctx, tmp.path(), file, true);
    assert_eq!(
        serde_json::to_value(&fast).unwrap(),
        serde_json::to_value(&rows).unwrap(),
        "outcomes"
    );
    assert_eq!(
        fast.rows_read,
        fast.rows_accepted + fast.rows_not_reported + fast.rows_rejected
    );
    for name in ["part-0.parquet", "statements/not-reported.parquet"] {
        match (frame(&a, name), frame(&b, name)) {
            (Some(x), Some(y)) => assert!(x.equals_missing(&y), "{name}:\n{x}\n{y}"),
            (None, None) => {}
            (x, y) => panic!("{name}: {:?} vs {:?}", x.is_some(), y.is_some()),
        }
    }
    assert_eq!(rejected(&a), rejected(&b), "rejection files");
    fast
}

#[test]
fn generated_rows_with_errors_and_spellings_agree() {
    let ctx = context();
    let tmp = tempfile::tempdir().unwrap();
    let mut spec = GenSpec::new(40, 2015, 2024, 9);
    spec.inject_errors = true;
    spec.format = GenFormat::Parquet;
    let o = generate(&ctx.registry, &ctx.catalog, &spec, tmp.path(), &mut |_| {}).unwrap();
    let out = agree(Path::new(&o.file));
    assert!(
        out.rows_rejected > 0 && out.rows_accepted > 40_000,
        "{out:?}"
    );
}

/// Submission rows (city, data point, year, value, unit, source, quality, verified,
/// confidential, denominator, notes) covering every shape a cell takes: clean, padded,
/// blank, a statement, a yes/no answer, a spelling to convert, a total with a denominator,
/// out of range, unknown, repeated and conflicting.
#[rustfmt::skip]
fn zoo() -> Vec<[String; 11]> {
    let g = GENEVA;
    let s = STAVANGER;
    let rows: Vec<[&str; 11]> = vec![
        [g, "EC-ICT-ICT-1C", "2023", "85", "%", "OFS", "measured", "true", "false", "", ""],
        [g, "EC-ICT-ICT-1C", "2022", "0.57", "fraction", "OFS", "Measured", "yes", "no", "", "n"],
        [g, "EC-ICT-ICT-1C", "2021", " 57 ", "%", " OFS ", "measured", "1", "0", "", " "],
        [" 2660646", "EC-ICT-ICT-1C", "2020", "57", "%", "", "", "", "", "", ""],
        [g, "EC-ICT-ICT-1C ", "2019", "57", " %", "s", "survey extrapolated", "Y", "N", "", ""],
        [g, "EC-ICT-ICT-1C", " 2018", "57", "%", "s", "survey-extrapolated", "TRUE", "FALSE", "", ""],
        [g, "EC-ICT-ICT-1C", "2017.0", "57", "%", "s", "guessed", "maybe", "false", "", ""],
        [g, "EC-ICT-ICT-1C", "1850", "57", "%", "s", "measured", "true", "perhaps", "", ""],
        [g, "EC-ICT-ICT-1C", "2016", "180", "%", "s", "measured", "true", "false", "", ""],
        [g, "EC-ICT-ICT-1C", "2015", "Not reported", "", "", "", "", "", "", "why"],
        [g, "EC-ICT-ICT-1C", "2014", "not_verified", "%", "s", "", "", "", "", ""],
        [g, "EC-ICT-ICT-1C", "2013", "1e400", "%", "s", "", "", "", "", ""],
        [g, "EC-ICT-ICT-1C", "2012", "1e-400", "%", "s", "", "", "", "", ""],
        [g, "EC-ICT-ICT-1C", "2011", "1e-200", "%", "s", "", "", "", "", ""],
        [g, "EC-ICT-ICT-1C", "2010", "+5", "%", "s", "", "", "", "", ""],
        [g, "EC-ICT-ICT-1C", "2009", ".5", "%", "s", "", "", "", "", ""],
        [g, "EC-ICT-ICT-1C", "2008", "5.", "%", "s", "", "", "", "", ""],
        [g, "EC-ICT-ICT-1C", "2007", "-0", "%", "s", "", "", "", "", ""],
        [g, "EC-ICT-ICT-1C", "2006", "5,5", "%", "s", "", "", "", "", ""],
        [g, "EC-ICT-ICT-1C", "2005", "NaN", "%", "s", "", "", "", "", ""],
        [g, "EC-ICT-ICT-1C", "2004", "", "%", "s", "", "", "", "", ""],
        [g, "EC-ICT-ICT-1C", "2003", "12%", "%", "s", "", "", "", "", ""],
        [g, "EC-ICT-ICT-1C", "2002", "5", "minutes", "s", "", "", "", "", ""],
        [g, "EC-ICT-ICT-1C", "2001", "5", "precent", "s", "", "", "", "", ""],
        [g, "EC-ICT-ICT-1C", "2000", "5", "", "s", "", "", "", "", ""],
        [g, "EC-ICT-ICT-2C", "2023", "40", "%", "s", "", "", "", "", ""],
        [g, "EC-ICT-ICT-2C", "2023", "40", "%", "s", "", "", "", "", ""],
        [g, "EC-ICT-ICT-2C", "2022", "40", "%", "s", "", "", "", "", ""],
        [g, "EC-ICT-ICT-2C", "2022", "41", "%", "s", "", "", "", "", ""],
        [g, "EC-ICT-ICT-2C", "2021", "Not reported", "", "", "", "", "", "", ""],
        [g, "EC-ICT-ICT-2C", "2021", "41", "%", "s", "", "", "", "", ""],
        [g, "EC-ICT-ICT-2C", "2020", "-5", "%", "s", "", "", "", "", ""],
        [g, "EC-ICT-ICT-1", "2023", "85", "%", "s", "", "", "", "", ""],
        ["", "EC-ICT-ICT-1C", "2023", "85", "%", "s", "", "", "", "", ""],
        ["999999999", "EC-ICT-ICT-1C", "2023", "85", "%", "s", "", "", "", "", ""],
        [g, "", "2023", "85", "%", "s", "", "", "", "", ""],
        [g, "EC-ICT-ICT-3C", "", "85", "%", "s", "", "", "", "", ""],
        [g, "SC-SH-SA-3A", "2023", "yes", "yes/no", "s", "", "", "", "", ""],
        [g, "SC-SH-SA-3A", "2022", "No", "yes/no", "s", "", "", "", "", ""],
        [g, "SC-SH-SA-3A", "2021", "1", "yes/no", "s", "", "", "", "", ""],
        [g, "SC-SH-SA-3A", "2020", "2", "yes/no", "s", "", "", "", "", ""],
        [g, "SC-SH-SA-3A", "2019", " y ", "yes/no", "s", "", "", "", "", ""],
        [g, "SC-SH-SA-3A", "2018", "Not available", "yes/no", "s", "", "", "", "", ""],
        [s, "SC-SH-SA-3A", "2022", "Yes", "Yes or No", "Kommune", "measured", "", "", "", ""],
        [g, "SC-SH-SA-8C", "2023", "1.2", "per 1000 inhabitants", "Police", "", "yes", "no", "", ""],
        [g, "SC-SH-SA-8C", "2022", "5", "number", "s", "", "", "", "population", ""],
        [g, "SC-SH-SA-8C", "2021", "5", "number", "s", "", "", "", "200000", ""],
        [g, "SC-SH-SA-8C", "2020", "5", "number", "s", "", "", "", "-5", ""],
        [g, "SC-SH-SA-8C", "2019", "5", "number", "s", "", "", "", "", ""],
        [g, "SC-SH-SA-8C", "2018", "5", "per 100 000 inhabitants", "s", "", "", "", "population", ""],
        [g, "SC-SH-SA-8C", "2017", "95 424", "per 100 000 inhabitants", "s", "", "", "", "", ""],
        [g, "SC-SH-SA-8C", "2016", "1'234'567", "per 100 000 inhabitants", "s", "", "", "", "", ""],
        [g, "SC-SH-SA-8C", "2015", "-3", "per 100 000 inhabitants", "s", "", "", "", "", ""],
        [g, "SC-SH-SA-8C", "2014", "1.7976931348623157e308", "per 100 000 inhabitants", "s", "", "", "", "", ""],
        [g, "SC-EH-H-2C", "2023", "3", "number", "s", "", "", "", "population", ""],
        [g, "EN-EN-AQ-1C-pm10", "2023", "20", "ppb", "s", "", "", "", "", ""],
        [g, "EN-EN-AQ-1C-pm10", "2022", "20", "µg/m³", "s", "", "", "", "", ""],
        [s, "EN-EN-AQ-1C-no2", "2022", "10", "ppb", "NILU", "", "1", "0", "", ""],
        [g, "EN-EN-WS-3C", "2023", "33", "%", "report", "", "", "", "", ""],
        [g, "EN-EN-WS-3C-pct", "2023", "33", "%", "report", "", "", "", "", ""],
        [s, "EN-EN-WS-3C-pct", "2023", "140", "%", "report", "", "", "", "", ""],
    ];
    rows.iter()
        .map(|r| std::array::from_fn(|k| r[k].to_string()))
        .collect()
}

const COLUMNS: [&str; 11] = [
    "city_id",
    "data_point_id",
    "year",
    "value",
    "unit",
    "source",
    "quality",
    "verified",
    "confidential",
    "denominator",
    "notes",
];

/// The zoo as a Parquet file: every column text (blank cells as empty text, or as missing
/// values with `nulls`), or with year, value and the flags typed where the text reads as one.
fn write_zoo(path: &Path, nulls: bool, typed: bool) {
    let rows = zoo();
    let text = |k: usize| -> Vec<Option<String>> {
        rows.iter()
            .map(|r| (!(nulls && r[k].is_empty())).then(|| r[k].clone()))
            .collect()
    };
    let mut cols: Vec<Column> = Vec::new();
    for (k, name) in COLUMNS.iter().enumerate() {
        let c = match (typed, k) {
            (true, 2) => Column::new(
                (*name).into(),
                rows.iter()
                    .map(|r| r[k].parse::<i64>().ok())
                    .collect::<Vec<_>>(),
            ),
            (true, 3) => Column::new(
                (*name).into(),
                rows.iter()
                    .map(|r| r[k].parse::<f64>().ok())
                    .collect::<Vec<_>>(),
            ),
            (true, 7 | 8) => Column::new(
                (*name).into(),
                rows.iter()
                    .map(|r| r[k].parse::<bool>().ok())
                    .collect::<Vec<_>>(),
            ),
            _ => Column::new((*name).into(), text(k)),
        };
        cols.push(c);
    }
    let mut df = DataFrame::new(rows.len(), cols).unwrap();
    ParquetWriter::new(std::fs::File::create(path).unwrap())
        .finish(&mut df)
        .unwrap();
}

/// The zoo as CSV: blank lines, a quoted field over two lines and CRLF line ends among
/// the rows, and a record with a field too many, so that line numbers are not row numbers.
fn write_zoo_csv(path: &Path) {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .flexible(true)
        .from_writer(Vec::new());
    w.write_record(COLUMNS).unwrap();
    for (i, r) in zoo().iter().enumerate() {
        let mut r = r.clone();
        if i == 3 {
            r[10] = "a note\nover two lines".to_string();
        }
        w.write_record(&r).unwrap();
        if i == 5 {
            w.write_record([""; 1]).unwrap();
        }
    }
    let mut bytes = w.into_inner().unwrap();
    bytes.extend_from_slice(format!("{GENEVA},EC-ICT-ICT-3C,2023,5,%,s,,,,,,extra\r\n").as_bytes());
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn every_shape_of_cell_agrees_in_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("zoo.csv");
    write_zoo_csv(&f);
    let out = agree(&f);
    assert!(
        out.rows_accepted > 10 && out.rows_rejected > 10 && out.rows_not_reported >= 3,
        "{out:?}"
    );
}

#[test]
fn every_shape_of_cell_agrees_as_text_as_missing_and_typed() {
    let tmp = tempfile::tempdir().unwrap();
    for (nulls, typed) in [(false, false), (true, false), (true, true)] {
        let f = tmp.path().join(format!("zoo-{nulls}-{typed}.parquet"));
        write_zoo(&f, nulls, typed);
        let out = agree(&f);
        assert_eq!(out.rows_read, zoo().len() as u64);
        assert!(
            out.rows_accepted > 10 && out.rows_rejected > 10,
            "{nulls} {typed}: {out:?}"
        );
        if !typed {
            assert!(out.rows_not_reported >= 3, "{out:?}");
        }
    }
}

#[test]
fn a_file_of_many_row_groups_and_repeats_agrees() {
    // 3 row groups, rows of one city not together, every tenth row repeated later
    let ctx = context();
    let tmp = tempfile::tempdir().unwrap();
    let cities: Vec<&str> = ctx
        .registry
        .cities()
        .iter()
        .take(50)
        .map(|c| c.city_id.as_str())
        .collect();
    let dps = [
        "EC-ICT-ICT-1C",
        "EC-ICT-ICT-2C",
        "SC-SH-SA-8C",
        "SC-SH-SA-3A",
    ];
    let mut rows: Vec<(String, String, i64, String, String)> = Vec::new();
    for y in 2000..2024 {
        for (i, c) in cities.iter().enumerate() {
            for (j, dp) in dps.iter().enumerate() {
                let (v, u) = match j {
                    0 => (format!("{}", (i * 7 + y as usize) % 100), "%"),
                    1 => (format!("0.{}", (i + j) % 10), "fraction"),
                    2 => (format!("{}.5", i), "per 1000 inhabitants"),
                    _ => (["yes", "no"][(i + y as usize) % 2].to_string(), "yes/no"),
                };
                rows.push((c.to_string(), dp.to_string(), y, v, u.to_string()));
            }
        }
    }
    let repeats: Vec<_> = rows.iter().step_by(10).cloned().collect();
    let repeated = repeats.len() as u64;
    rows.extend(repeats);
    let mut df = df!(
        "city_id" => rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
        "data_point_id" => rows.iter().map(|r| r.1.clone()).collect::<Vec<_>>(),
        "year" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        "value" => rows.iter().map(|r| r.3.clone()).collect::<Vec<_>>(),
        "unit" => rows.iter().map(|r| r.4.clone()).collect::<Vec<_>>(),
        "source" => rows.iter().map(|r| format!("office {}", r.2 % 3)).collect::<Vec<_>>(),
        "quality" => rows.iter().map(|r| ["measured", "", "unknown"][r.3.len() % 3]).collect::<Vec<_>>(),
        "verified" => rows.iter().map(|r| r.2 % 2 == 0).collect::<Vec<_>>(),
        "confidential" => rows.iter().map(|r| r.0.ends_with('7')).collect::<Vec<_>>(),
    )
    .unwrap();
    let f = tmp.path().join("groups.parquet");
    ParquetWriter::new(std::fs::File::create(&f).unwrap())
        .with_row_group_size(Some(1 + df.height() / 3))
        .finish(&mut df)
        .unwrap();
    let out = agree(&f);
    assert_eq!(out.rows_rejected, repeated, "{out:?}");
}

#[test]
fn real_submissions_agree() {
    // values as verification reports print them, and the What a Waste 2.0 city table
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for f in [
        "tests/data/real_published/rows.csv",
        "datasets/real/what_a_waste_2.csv",
    ] {
        let out = agree(&root.join(f));
        assert!(out.rows_accepted > 100, "{f}: {out:?}");
    }
}
