//! The Excel template round trip: `citybench template` writes it, the test fills cells the
//! way a spreadsheet does (editing the sheet XML inside the .xlsx), `citybench ingest` reads
//! it back; the stored rows must equal those of the same values ingested from CSV. Then
//! every whole-workbook rejection with its exact message, and cell addresses in row
//! rejections.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use citybench::catalog::{Catalog, UnitRegistry};

use crate::util::{GENEVA, HEADER, Ws};

/// The sheet parts in the order `citybench template` adds the sheets.
const DATA_XML: &str = "xl/worksheets/sheet2.xml";
const META_XML: &str = "xl/worksheets/sheet4.xml";

/// A value to put in a cell.
enum V<'a> {
    Num(f64),
    Text(&'a str),
    Empty,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Replace cell `addr` of a sheet XML (the template writes every cell it styles, so the
/// cell is there), keeping its style, as Excel would store a typed value.
fn set_cell(xml: &str, addr: &str, v: V<'_>) -> String {
    let key = format!("<c r=\"{addr}\"");
    let start = xml.find(&key).unwrap_or_else(|| panic!("no cell {addr}"));
    let open_end = start + xml[start..].find('>').unwrap();
    let end = if xml.as_bytes()[open_end - 1] == b'/' {
        open_end + 1
    } else {
        open_end + xml[open_end..].find("</c>").unwrap() + 4
    };
    let open = &xml[start..open_end];
    let style = open
        .find(" s=\"")
        .map(|i| {
            let rest = &open[i + 4..];
            format!(" s=\"{}\"", &rest[..rest.find('"').unwrap()])
        })
        .unwrap_or_default();
    let cell = match v {
        V::Num(x) => format!("<c r=\"{addr}\"{style}><v>{x}</v></c>"),
        V::Text(t) => format!(
            "<c r=\"{addr}\"{style} t=\"inlineStr\"><is><t>{}</t></is></c>",
            esc(t)
        ),
        V::Empty => format!("<c r=\"{addr}\"{style}/>"),
    };
    format!("{}{cell}{}", &xml[..start], &xml[end..])
}

/// Copy the workbook `src` to `dst`, passing sheet part `part` through `f`.
fn edit(src: &Path, dst: &Path, part: &str, f: impl FnOnce(String) -> String) {
    let mut zin = zip::ZipArchive::new(std::fs::File::open(src).unwrap()).unwrap();
    let mut zout = zip::ZipWriter::new(std::fs::File::create(dst).unwrap());
    let mut f = Some(f);
    for i in 0..zin.len() {
        let mut e = zin.by_index(i).unwrap();
        let name = e.name().unwrap().to_string();
        let mut bytes = Vec::new();
        e.read_to_end(&mut bytes).unwrap();
        if name == part {
            let g = f.take().unwrap();
            bytes = g(String::from_utf8(bytes).unwrap()).into_bytes();
        }
        zout.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zout.write_all(&bytes).unwrap();
    }
    zout.finish().unwrap();
    assert!(f.is_none(), "no part {part}");
}

/// The stored number of cell `addr` of a sheet XML.
fn number(xml: &str, addr: &str) -> String {
    let start = xml.find(&format!("<c r=\"{addr}\"")).unwrap();
    let end = start + xml[start..].find("</c>").unwrap();
    let cell = &xml[start..end];
    assert!(!cell.contains(" t=\""), "{cell} is not a number");
    let v = cell.find("<v>").unwrap() + 3;
    cell[v..cell.find("</v>").unwrap()].to_string()
}

/// The sheet row of a data point (row 1 is the header).
fn row_of(dp: &str) -> usize {
    let units = UnitRegistry::embedded().unwrap();
    let c = Catalog::embedded(&units).unwrap();
    c.position(dp).unwrap() + 2
}

/// Write a template for Geneva (2023) in `ws`'s directory.
fn template(ws: &Ws, name: &str) -> PathBuf {
    let out = ws.dir.path().join(name);
    let r = ws.run(&[
        "template",
        "--city",
        GENEVA,
        "--year",
        "2023",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    out
}

/// Fill rows of a template: (data point, [(column letter, value)]).
fn fill(src: &Path, dst: &Path, rows: &[(&str, Vec<(&str, V<'_>)>)]) {
    edit(src, dst, DATA_XML, |mut xml| {
        for (dp, cells) in rows {
            let r = row_of(dp);
            for (col, v) in cells {
                let v = match v {
                    V::Num(x) => V::Num(*x),
                    V::Text(t) => V::Text(t),
                    V::Empty => V::Empty,
                };
                xml = set_cell(&xml, &format!("{col}{r}"), v);
            }
        }
        xml
    });
}

/// Stored rows of a workspace, without provenance (batch, file, line), sorted.
fn stored(ws: &Ws) -> Vec<String> {
    let con = duckdb::Connection::open_in_memory().unwrap();
    let sql = format!(
        "SELECT city_id, data_point_id, year, value, unit, value_reported, unit_reported, \
         conversion, denominator, denominator_value, source, quality, verified, confidential, notes \
         FROM read_parquet('{}/raw/*/*.parquet') ORDER BY ALL",
        ws.root().display()
    );
    let mut st = con.prepare(&sql).unwrap();
    st.query_map([], |r| {
        let mut out = Vec::new();
        for i in 0..15 {
            let v: duckdb::types::Value = r.get(i)?;
            out.push(format!("{v:?}"));
        }
        Ok(out.join("|"))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

#[test]
fn a_filled_template_stores_the_same_rows_as_the_same_values_in_csv() {
    let xl = Ws::new();
    std::fs::write(
        xl.root().join("population.csv"),
        format!("city_id,year,population\n{GENEVA},2023,200000\n"),
    )
    .unwrap();
    let blank = template(&xl, "geneva.xlsx");
    let filled = xl.dir.path().join("geneva-filled.xlsx");
    // columns: I year, J value, K unit, L source, M quality, N verified, O confidential,
    // P denominator, Q notes (city_id and year are pre-filled by --city/--year)
    fill(
        &blank,
        &filled,
        &[
            (
                "EC-ICT-ICT-1C",
                vec![
                    ("J", V::Num(0.57)),
                    ("K", V::Text("fraction")),
                    ("L", V::Text("OFS")),
                    ("M", V::Text("measured")),
                    ("N", V::Text("yes")),
                ],
            ),
            (
                "SC-SH-SA-8C",
                vec![
                    ("J", V::Num(500.0)),
                    ("K", V::Text("number")),
                    ("L", V::Text("Police")),
                    ("M", V::Text("survey_extrapolated")),
                    ("P", V::Text("population")),
                    ("Q", V::Text("total cases, <city> & canton")),
                ],
            ),
            (
                "EN-EN-AQ-1C-no2",
                vec![
                    ("I", V::Num(2022.0)),
                    ("J", V::Num(10.0)),
                    ("K", V::Text("ppb")),
                    ("L", V::Text("NILU")),
                    ("O", V::Text("yes")),
                ],
            ),
            (
                "SC-SH-SA-3A",
                vec![
                    ("J", V::Text("Yes")),
                    ("K", V::Text("Yes or No")),
                    ("L", V::Text("Canton")),
                ],
            ),
        ],
    );
    let r = xl.ingest(&filled);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("4 rows read, 4 accepted, 0 rejected"),
        "{}",
        r.stdout
    );
    assert_eq!(xl.manifest()["batches"][0]["format"], "xlsx");

    let cv = Ws::new();
    std::fs::write(
        cv.root().join("population.csv"),
        format!("city_id,year,population\n{GENEVA},2023,200000\n"),
    )
    .unwrap();
    let csv = cv.file(
        "geneva.csv",
        format!(
            "{HEADER},denominator,notes\n\
             {GENEVA},EC-ICT-ICT-1C,2023,0.57,fraction,OFS,measured,yes,,,\n\
             {GENEVA},SC-SH-SA-8C,2023,500,number,Police,survey_extrapolated,,,population,\"total cases, <city> & canton\"\n\
             {GENEVA},EN-EN-AQ-1C-no2,2022,10,ppb,NILU,,,yes,,\n\
             {GENEVA},SC-SH-SA-3A,2023,Yes,Yes or No,Canton,,,,,\n"
        ),
    );
    let r = cv.ingest(&csv);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let (a, b) = (stored(&xl), stored(&cv));
    assert_eq!(a.len(), 4);
    assert_eq!(a, b);
    // the conversions really happened
    assert!(a.iter().any(|r| r.contains("Double(57.0)")), "{a:?}");
    assert!(a.iter().any(|r| r.contains("Double(250.0)")), "{a:?}");
}

#[test]
fn earlier_values_are_prefilled_and_resubmit_unchanged() {
    let ws = Ws::new();
    let csv = ws.file(
        "a.csv",
        format!(
            "{HEADER}\n\
             {GENEVA},EC-ICT-ICT-1C,2021,55,percent,OFS,measured,yes,\n\
             {GENEVA},EC-ICT-ICT-1C,2022,0.6,fraction,OFS,measured,yes,\n\
             {GENEVA},EC-ICT-ICT-1C,2024,70,%,OFS,measured,yes,\n"
        ),
    );
    assert_eq!(ws.ingest(&csv).code, 0);
    let out = template(&ws, "pre.xlsx");
    let mut z = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    let mut xml = String::new();
    z.by_name(DATA_XML)
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    // up to --year 2023: the 2022 row, as reported (0.6 fraction)
    let r = row_of("EC-ICT-ICT-1C");
    assert_eq!(number(&xml, &format!("I{r}")), "2022");
    assert_eq!(number(&xml, &format!("J{r}")), "0.6");
    // ingesting it unchanged stores the same observation again
    let r = ws.ingest(&out);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("1 rows read, 1 accepted, 0 rejected"),
        "{}",
        r.stdout
    );
    let con = duckdb::Connection::open_in_memory().unwrap();
    let (value, reported): (f64, String) = con
        .query_row(
            &format!(
                "SELECT value, unit_reported FROM read_parquet('{}/raw/*/*.parquet') WHERE batch_id LIKE '000002-%'",
                ws.root().display()
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((value, reported.as_str()), (60.0, "fraction"));
}

#[test]
fn rejected_cells_are_named_by_sheet_and_cell() {
    let ws = Ws::new();
    let blank = template(&ws, "t.xlsx");
    let filled = ws.dir.path().join("bad.xlsx");
    fill(
        &blank,
        &filled,
        &[
            (
                "EC-ICT-ICT-1C",
                vec![("J", V::Text("12,5")), ("K", V::Text("%"))],
            ),
            (
                "EC-ICT-ICT-2C",
                vec![("J", V::Num(40.0)), ("K", V::Text("percnt"))],
            ),
            (
                "EC-ICT-ICT-3C",
                vec![("I", V::Text("last year")), ("J", V::Num(1.0))],
            ),
            ("EC-ICT-ICT-5C", vec![("J", V::Num(30.0))]),
        ],
    );
    let r = ws.ingest(&filled);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("4 rows read, 1 accepted, 3 rejected"),
        "{}",
        r.stdout
    );
    let rej = ws.rejections();
    let (r1, r2, r3) = (
        row_of("EC-ICT-ICT-1C") as u64,
        row_of("EC-ICT-ICT-2C") as u64,
        row_of("EC-ICT-ICT-3C") as u64,
    );
    assert_eq!(
        rej,
        vec![
            (
                r1,
                "value".to_string(),
                format!(
                    "Data!J{r1}: value '12,5' uses a decimal comma; write '.' as the decimal point (e.g. 12.5) if that is the value"
                )
            ),
            (
                r2,
                "unit".to_string(),
                format!(
                    "Data!K{r2}: unknown unit 'percnt' for EC-ICT-ICT-2C (expects a percentage (%)); did you mean 'percent'? accepted: %, percent, per cent, percentage, pct, percent (%), fraction (x100), share (x100) ... (16 spellings in all: citybench units --data-point EC-ICT-ICT-2C)"
                )
            ),
            (
                r3,
                "year".to_string(),
                format!(
                    "Data!I{r3}: year 'last year' is not a whole number; expected a year in 1990..{}",
                    crate::util::year_max()
                )
            ),
        ]
    );
}

#[test]
fn an_empty_template_ingests_nothing_and_says_so() {
    let ws = Ws::new();
    let blank = template(&ws, "empty.xlsx");
    let r = ws.ingest(&blank);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        format!(
            "{}: the template has no filled rows (no value in column J of sheet Data); nothing ingested\n",
            blank.display()
        )
    );
    assert_eq!(ws.manifest()["batches"].as_array().map_or(0, Vec::len), 0);
}

/// A whole-workbook error: exit 2, the exact message, nothing stored.
fn refused(ws: &Ws, file: &Path, message: &str) {
    let r = ws.ingest(file);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        r.stderr,
        format!(
            "error: {}: {message}\nerror: the file could not be ingested (see the error above); nothing was written\n",
            file.display()
        )
    );
    assert_eq!(ws.manifest()["batches"].as_array().map_or(0, Vec::len), 0);
    let raw: Vec<_> = std::fs::read_dir(ws.root().join("raw"))
        .map(|d| d.collect())
        .unwrap_or_default();
    assert!(raw.is_empty(), "{raw:?}");
}

const COLUMNS: &str = "dimension, category, data_point_id, name, definition, canonical_unit, tier, city_id, year, value, unit, source, quality, verified, confidential, denominator, notes";

#[test]
fn a_renamed_column_is_named() {
    let ws = Ws::new();
    let blank = template(&ws, "t.xlsx");
    let bad = ws.dir.path().join("renamed.xlsx");
    edit(&blank, &bad, DATA_XML, |x| {
        set_cell(&x, "J1", V::Text("Value (m3)"))
    });
    refused(
        &ws,
        &bad,
        &format!(
            "sheet Data: column 'value' is missing from the header (row 1); the header has Data!J1 'Value (m3)' which is not a template column (renamed?); the template's columns are: {COLUMNS}. Restore the column name, or write a new template with `citybench template`"
        ),
    );
}

#[test]
fn a_missing_column_is_named() {
    let ws = Ws::new();
    let blank = template(&ws, "t.xlsx");
    let bad = ws.dir.path().join("missing.xlsx");
    edit(&blank, &bad, DATA_XML, |x| {
        set_cell(&set_cell(&x, "Q1", V::Empty), "P1", V::Empty)
    });
    refused(
        &ws,
        &bad,
        &format!(
            "sheet Data: columns 'denominator', 'notes' are missing from the header (row 1); the template's columns are: {COLUMNS}. Restore the column name, or write a new template with `citybench template`"
        ),
    );
}

#[test]
fn a_template_of_an_older_catalogue_is_refused() {
    let ws = Ws::new();
    let blank = template(&ws, "t.xlsx");
    let old = ws.dir.path().join("old.xlsx");
    // what a template written for an earlier catalogue carries (keys in A, values in B)
    edit(&blank, &old, META_XML, |x| {
        let x = set_cell(&x, "B3", V::Text("u4ssc-y4903-r0"));
        let x = set_cell(&x, "B4", V::Text("0123456789ab"));
        set_cell(&x, "B5", V::Text("110"))
    });
    let units = UnitRegistry::embedded().unwrap();
    let fp = Catalog::embedded(&units).unwrap().fingerprint();
    refused(
        &ws,
        &old,
        &format!(
            "the template was written for catalogue u4ssc-y4903-r0 (110 data points, fingerprint 0123456789ab) but this citybench uses catalogue u4ssc-y4903-r2 (113 data points, fingerprint {fp}); data point codes or units may differ. Write a new template with `citybench template` and copy the values into it"
        ),
    );
}

#[test]
fn a_newer_template_format_is_refused() {
    let ws = Ws::new();
    let blank = template(&ws, "t.xlsx");
    let newer = ws.dir.path().join("newer.xlsx");
    edit(&blank, &newer, META_XML, |x| {
        set_cell(&x, "B2", V::Text("2"))
    });
    refused(
        &ws,
        &newer,
        "template format '2' is not one this citybench reads (it reads format 1); write a new template with `citybench template` or update citybench",
    );
}

#[test]
fn password_protected_corrupt_and_foreign_workbooks_are_refused() {
    let ws = Ws::new();
    // Excel stores an encrypted workbook as an OLE2 compound file
    let mut enc = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    enc.extend_from_slice(&[0u8; 504]);
    let f = ws.file("locked.xlsx", &enc);
    refused(&ws, &f, citybench::ingest::xlsx::ENCRYPTED);

    let blank = template(&ws, "t.xlsx");
    let bytes = std::fs::read(&blank).unwrap();
    let f = ws.file("cut.xlsx", &bytes[..bytes.len() / 2]);
    refused(
        &ws,
        &f,
        "cannot read the workbook (Zip error: invalid Zip archive: Could not find EOCD); the file is corrupt or not an .xlsx workbook: open it in Excel and save it again as .xlsx",
    );

    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet().write_string(0, 0, "city").unwrap();
    let f = ws.file("other.xlsx", wb.save_to_buffer().unwrap());
    refused(
        &ws,
        &f,
        "not a citybench template: it has no sheet 'citybench' (sheets: Sheet1); citybench reads the workbooks `citybench template` writes; for another workbook, save the data as CSV in the long format (city_id,data_point_id,year,value,unit,...) and ingest that",
    );

    let f = ws.file("legacy.xls", &enc);
    refused(
        &ws,
        &f,
        "legacy .xls workbooks are not read; open it in Excel and save it as .xlsx (Excel Workbook), or export the data as CSV in the long format",
    );
}

#[test]
fn template_command_errors() {
    let ws = Ws::new();
    let r = ws.run(&["template", "--city", "266064", "--out", "x.xlsx"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: unknown city id '266064'; did you mean 268064 (Sidon, LB)? (`citybench cities --search NAME` finds ids)\n"
    );
    let r = ws.run(&["template", "--out", "x.csv"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: --out x.csv: the template is an Excel workbook; name it .xlsx\n"
    );
    let out = template(&ws, "t.xlsx");
    let r = ws.run(&["template", "--out", out.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!(
            "error: {} exists; pass --force to replace it\n",
            out.display()
        )
    );
    let r = ws.run(&["template", "--year", "1900", "--out", "y.xlsx"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!(
            "error: --year 1900 is outside the accepted years 1990..{}\n",
            crate::util::year_max()
        )
    );
}

#[test]
fn a_data_point_filled_in_twice_is_a_conflict_named_by_its_rows() {
    let ws = Ws::new();
    let blank = template(&ws, "t.xlsx");
    let twice = ws.dir.path().join("twice.xlsx");
    let r2 = row_of("EC-ICT-ICT-2C");
    fill(
        &blank,
        &twice,
        &[
            (
                "EC-ICT-ICT-1C",
                vec![("J", V::Num(50.0)), ("K", V::Text("%"))],
            ),
            // the officer overwrote the next row's code with the same data point
            (
                "EC-ICT-ICT-2C",
                vec![
                    ("C", V::Text("EC-ICT-ICT-1C")),
                    ("J", V::Num(60.0)),
                    ("K", V::Text("%")),
                ],
            ),
        ],
    );
    let r = ws.ingest(&twice);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("2 rows read, 0 accepted, 2 rejected"),
        "{}",
        r.stdout
    );
    let r1 = row_of("EC-ICT-ICT-1C");
    let rej = ws.rejections();
    assert_eq!(rej.len(), 2);
    assert_eq!((rej[0].0, rej[1].0), (r1 as u64, r2 as u64));
    for (line, _, reason) in &rej {
        assert_eq!(
            reason,
            &format!(
                "Data!A{line}:Q{line}: conflicting values for (2660646, EC-ICT-ICT-1C, 2023) at rows {r1} and {r2}: 50 vs 60; both rejected, resubmit one value"
            )
        );
    }
}

#[test]
fn a_renamed_data_sheet_and_a_repeated_column_are_named() {
    let ws = Ws::new();
    let blank = template(&ws, "t.xlsx");
    let renamed = ws.dir.path().join("renamed-sheet.xlsx");
    edit(&blank, &renamed, "xl/workbook.xml", |x| {
        assert!(x.contains("name=\"Data\""), "{x}");
        x.replace("name=\"Data\"", "name=\"Daten\"")
    });
    refused(
        &ws,
        &renamed,
        "the template has no sheet 'Data' (sheets: Instructions, Daten, Lists, citybench); keep the template's sheet names",
    );
    let twice = ws.dir.path().join("twice.xlsx");
    edit(&blank, &twice, DATA_XML, |x| {
        set_cell(&x, "Q1", V::Text("Value"))
    });
    refused(
        &ws,
        &twice,
        "sheet Data: column 'value' appears twice in the header (row 1); keep one",
    );
}
