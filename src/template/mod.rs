//! The Excel template round trip. U4SSC practice: "ITU will provide the city with an excel
//! template which contains all the KPIs" (../shared/seeds/003). `citybench template` writes
//! that workbook ([`write`]); `citybench ingest FILE.xlsx` reads it back through the same
//! validation as every other format ([`crate::ingest::xlsx`]).
//!
//! Layout, template format [`FORMAT_VERSION`]:
//!
//! | sheet          | content                                                              |
//! |----------------|----------------------------------------------------------------------|
//! | `Instructions` | how to fill it in, every column, the data quality levels             |
//! | `Data`         | row 1 the header, then one row per data point, grouped (Excel outline) by dimension and category |
//! | `Lists`        | hidden: the accepted unit spellings per canonical unit, quality levels, yes/no |
//! | `citybench`    | hidden: template format, catalogue version and fingerprint, city, year |
//!
//! The `Data` header uses the long format's field names (`city_id`, `data_point_id`, `year`,
//! `value`, `unit`, ...), so the sheet saved as CSV also ingests. Descriptive columns
//! (dimension, category, name, definition, canonical unit, tier) help the officer and are
//! ignored on ingest. A row is a submission when its value cell, or any input cell other
//! than the pre-filled `city_id`, `year` and `unit`, is filled; other rows are skipped.

use std::collections::HashMap;

use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, DataValidationRule, Format, FormatAlign,
    FormatBorder, Formula, Note, Workbook, Worksheet, XlsxError,
};

use crate::catalog::{Catalog, DataPoint, UnitRegistry};
use crate::quality::QUALITY_LEVELS;
use crate::schema::submission as f;
use crate::workbook::{
    COLUMNS, DATA_SHEET, FORMAT_VERSION, INSTRUCTIONS_SHEET, LISTS_SHEET, META_SHEET, column_index,
    column_letter, desc, meta,
};

/// A city's latest submitted observation of a data point, as it reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct Prefill {
    pub year: i32,
    /// The reported value as text (a number, or yes/no).
    pub value: String,
    pub unit: String,
    pub source: String,
    pub quality: String,
    pub verified: bool,
    pub confidential: bool,
    pub denominator: String,
    pub notes: String,
}

/// What to write.
pub struct Spec<'a> {
    pub catalog: &'a Catalog,
    pub units: &'a UnitRegistry,
    /// The city (id, display name) the template is for; None for a blank template.
    pub city: Option<(String, String)>,
    /// The reporting year pre-filled on rows without earlier data.
    pub year: Option<i32>,
    /// Earliest and latest year the data validation accepts.
    pub year_range: (i32, i32),
    /// Earlier observations of the city, by data point id.
    pub prefill: HashMap<String, Prefill>,
}

/// Counts of what was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Written {
    pub data_points: usize,
    pub prefilled: usize,
}

/// Build the workbook in memory (the caller writes it atomically).
pub fn write(spec: &Spec<'_>) -> Result<(Vec<u8>, Written), XlsxError> {
    let mut wb = Workbook::new();
    let lists = unit_lists(spec);
    let written = {
        let ws = wb.add_worksheet();
        ws.set_name(INSTRUCTIONS_SHEET)?;
        instructions(ws, spec)?;
        let ws = wb.add_worksheet();
        ws.set_name(DATA_SHEET)?;
        ws.set_active(true);
        data_sheet(ws, spec, &lists)?
    };
    {
        let ws = wb.add_worksheet();
        ws.set_name(LISTS_SHEET)?;
        lists_sheet(ws, &lists)?;
        ws.set_hidden(true);
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name(META_SHEET)?;
        meta_sheet(ws, spec)?;
        ws.set_hidden(true);
    }
    Ok((wb.save_to_buffer()?, written))
}

/// Distinct unit drop-down lists: (spellings, data point ids using it).
struct UnitLists {
    lists: Vec<Vec<String>>,
    of_data_point: HashMap<String, usize>,
}

fn unit_lists(spec: &Spec<'_>) -> UnitLists {
    let mut lists: Vec<Vec<String>> = Vec::new();
    let mut of_data_point = HashMap::new();
    for dp in spec.catalog.data_points() {
        let mut l: Vec<String> = Vec::new();
        for s in spec.units.accepted_for(dp) {
            if !l.contains(&s.spelling) {
                l.push(s.spelling.clone());
            }
        }
        let k = match lists.iter().position(|x| *x == l) {
            Some(k) => k,
            None => {
                lists.push(l);
                lists.len() - 1
            }
        };
        of_data_point.insert(dp.data_point_id.clone(), k);
    }
    UnitLists {
        lists,
        of_data_point,
    }
}

// Lists sheet: column 0 quality levels, column 1 yes/no, columns 2.. unit lists.
const LIST_QUALITY: usize = 0;
const LIST_YES_NO: usize = 1;
const LIST_UNITS: usize = 2;

fn list_range(col: usize, len: usize) -> Formula {
    let l = column_letter(col);
    Formula::new(format!("{LISTS_SHEET}!${l}$2:${l}${}", len.max(1) + 1))
}

fn lists_sheet(ws: &mut Worksheet, lists: &UnitLists) -> Result<(), XlsxError> {
    ws.write_string(0, LIST_QUALITY as u16, "quality")?;
    for (i, q) in QUALITY_LEVELS.iter().enumerate() {
        ws.write_string(1 + i as u32, LIST_QUALITY as u16, *q)?;
    }
    ws.write_string(0, LIST_YES_NO as u16, "yes_no")?;
    ws.write_string(1, LIST_YES_NO as u16, "yes")?;
    ws.write_string(2, LIST_YES_NO as u16, "no")?;
    for (k, l) in lists.lists.iter().enumerate() {
        let col = (LIST_UNITS + k) as u16;
        ws.write_string(0, col, format!("units_{}", k + 1))?;
        for (i, s) in l.iter().enumerate() {
            ws.write_string(1 + i as u32, col, s)?;
        }
    }
    Ok(())
}

fn meta_sheet(ws: &mut Worksheet, spec: &Spec<'_>) -> Result<(), XlsxError> {
    let rows: [(&str, String); 7] = [
        (meta::FORMAT, FORMAT_VERSION.to_string()),
        (meta::CATALOG_VERSION, spec.catalog.version()),
        (meta::CATALOG_FINGERPRINT, spec.catalog.fingerprint()),
        (
            meta::DATA_POINTS,
            spec.catalog.data_points().len().to_string(),
        ),
        (meta::ENGINE_VERSION, env!("CARGO_PKG_VERSION").to_string()),
        (
            meta::CITY_ID,
            spec.city.as_ref().map(|c| c.0.clone()).unwrap_or_default(),
        ),
        (
            meta::YEAR,
            spec.year.map(|y| y.to_string()).unwrap_or_default(),
        ),
    ];
    ws.write_string(0, 0, "key")?;
    ws.write_string(0, 1, "value")?;
    for (i, (k, v)) in rows.iter().enumerate() {
        ws.write_string(1 + i as u32, 0, *k)?;
        ws.write_string(1 + i as u32, 1, v)?;
    }
    Ok(())
}

/// Widths (characters) of the instructions sheet's two columns.
const INSTR_KEY_WIDTH: f64 = 22.0;
const INSTR_TEXT_WIDTH: f64 = 110.0;

/// Row height (points) for `text` wrapped in a column `width` characters wide: spreadsheet
/// programs do not grow rows for wrapped text they did not lay out themselves.
fn wrapped_height(text: &str, width: f64) -> f64 {
    let per_line = (width * 1.05).max(10.0);
    let lines = (text.chars().count() as f64 / per_line).ceil().max(1.0);
    15.0 * lines + 2.0
}

fn instructions(ws: &mut Worksheet, spec: &Spec<'_>) -> Result<(), XlsxError> {
    let title = Format::new().set_bold().set_font_size(14);
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    ws.set_column_width(0, INSTR_KEY_WIDTH)?;
    ws.set_column_width(1, INSTR_TEXT_WIDTH)?;
    // A4 landscape, one page wide (paper size 9 = A4)
    ws.set_paper_size(9)
        .set_landscape()
        .set_print_fit_to_pages(1, 0);
    let for_whom = match &spec.city {
        Some((id, name)) => format!("{name} (city_id {id})"),
        None => "any city (fill in city_id on every row you submit)".to_string(),
    };
    let mut r = 0u32;
    ws.write_string_with_format(
        r,
        0,
        "U4SSC key performance indicators: data collection template",
        &title,
    )?;
    r += 2;
    let facts: Vec<(&str, String)> = vec![
        ("For", for_whom),
        (
            "Reporting year",
            spec.year
                .map(|y| y.to_string())
                .unwrap_or_else(|| "the year of each value (column year)".to_string()),
        ),
        (
            "Catalogue",
            format!(
                "{} ({} data points, fingerprint {}), ITU-T Y.4903",
                spec.catalog.version(),
                spec.catalog.data_points().len(),
                spec.catalog.fingerprint()
            ),
        ),
        (
            "Written by",
            format!("citybench {}", env!("CARGO_PKG_VERSION")),
        ),
    ];
    for (k, v) in &facts {
        ws.write_string_with_format(r, 0, *k, &bold)?;
        ws.write_string(r, 1, v)?;
        r += 1;
    }
    r += 1;
    let steps = [
        "1. Go to the Data sheet. Each row is one data point; the grey columns describe it, the yellow columns are yours.",
        "2. For each data point you have, type the value and its year, and pick the unit from the drop-down (it lists every spelling citybench accepts for that data point; other units are converted to the canonical unit).",
        "3. Add the source, the data quality level (drop-down), and yes in verified/confidential where that applies. Leave a row's value empty if you have no data: empty rows are skipped.",
        "4. Values are plain numbers with '.' as the decimal point: no comma grouping (write 95424 or 95 424, not 95,424), no unit sign in the cell (write 12.5 and pick %).",
        "5. Rows pre-filled with your earlier values re-submit the same observation if left unchanged (no change in the results). To report a new year, overwrite value and year.",
        "6. Do not rename, delete or move the columns, and keep the sheet names: citybench reads the header by name and refuses a workbook whose columns changed.",
        "7. Save as .xlsx (no password) and submit it: citybench ingest FILE.xlsx. Every rejected row is reported with its cell (e.g. Data!J37) and what would be accepted; the other rows are stored.",
    ];
    for s in steps {
        ws.merge_range(r, 0, r, 1, s, &wrap)?;
        ws.set_row_height(r, wrapped_height(s, INSTR_KEY_WIDTH + INSTR_TEXT_WIDTH))?;
        r += 1;
    }
    r += 1;
    ws.write_string_with_format(r, 0, "Column", &bold)?;
    ws.write_string_with_format(r, 1, "What goes in it", &bold)?;
    r += 1;
    for col in COLUMNS {
        ws.write_string_with_format(r, 0, col.name, &wrap)?;
        ws.write_string_with_format(r, 1, col.help, &wrap)?;
        ws.set_row_height(r, wrapped_height(col.help, INSTR_TEXT_WIDTH))?;
        r += 1;
    }
    r += 1;
    ws.write_string_with_format(r, 0, "Quality level", &bold)?;
    ws.write_string_with_format(r, 1, "Meaning (U4SSC verification practice)", &bold)?;
    r += 1;
    let meaning = [
        "measured directly for the whole city",
        "from a survey, extrapolated to the city",
        "extrapolated from a higher level (region, country)",
        "an assumption or model estimate",
        "a personal (expert) estimate",
        "not known",
    ];
    for (q, m) in QUALITY_LEVELS.iter().zip(meaning) {
        ws.write_string(r, 0, *q)?;
        ws.write_string(r, 1, m)?;
        r += 1;
    }
    Ok(())
}

fn data_sheet(
    ws: &mut Worksheet,
    spec: &Spec<'_>,
    lists: &UnitLists,
) -> Result<Written, XlsxError> {
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_border_bottom(FormatBorder::Thin);
    let header_input = header.clone().set_background_color(Color::RGB(0xFFE699));
    let header_desc = header.clone().set_background_color(Color::RGB(0xD9D9D9));
    let desc_fmt = Format::new()
        .set_background_color(Color::RGB(0xF2F2F2))
        .set_align(FormatAlign::Top);
    let input_fmt = Format::new()
        .set_background_color(Color::RGB(0xFFF2CC))
        .set_unlocked();
    // ids are text: a typed id keeps its leading zeros
    let id_fmt = input_fmt.clone().set_num_format("@");
    for (i, col) in COLUMNS.iter().enumerate() {
        let i = i as u16;
        ws.set_column_width(i, col.width)?;
        let fmt = if col.input {
            &header_input
        } else {
            &header_desc
        };
        ws.write_string_with_format(0, i, col.name, fmt)?;
        ws.insert_note(0, i, &Note::new(col.help).add_author_prefix(false))?;
    }
    ws.set_freeze_panes(1, 3)?;
    ws.set_paper_size(9).set_landscape().set_repeat_rows(0, 0)?;
    let ci = |n: &str| column_index(n) as u16;
    let dps = spec.catalog.data_points();
    let mut prefilled = 0usize;
    for (k, dp) in dps.iter().enumerate() {
        let r = 1 + k as u32;
        let canon = spec.units.canonical(&dp.canonical_unit);
        let canon_text = canon
            .map(|u| format!("{} ({})", u.label, u.code))
            .unwrap_or_else(|| dp.canonical_unit.clone());
        let descriptive: [(&str, String); 6] = [
            (desc::DIMENSION, dp.dimension.clone()),
            (desc::CATEGORY, dp.category.clone()),
            (f::DATA_POINT_ID, dp.data_point_id.clone()),
            (desc::NAME, dp.full_name()),
            (desc::DEFINITION, dp.summary.clone()),
            (desc::CANONICAL_UNIT, canon_text),
        ];
        for (n, v) in &descriptive {
            ws.write_string_with_format(r, ci(n), v, &desc_fmt)?;
        }
        ws.write_string_with_format(r, ci(desc::TIER), &dp.tier, &desc_fmt)?;
        for col in COLUMNS.iter().filter(|c| c.input) {
            let fmt = if col.name == f::CITY_ID {
                &id_fmt
            } else {
                &input_fmt
            };
            ws.write_blank(r, ci(col.name), fmt)?;
        }
        if let Some((id, _)) = &spec.city {
            ws.write_string_with_format(r, ci(f::CITY_ID), id, &id_fmt)?;
        }
        match spec.prefill.get(&dp.data_point_id) {
            Some(p) => {
                prefilled += 1;
                ws.write_number_with_format(r, ci(f::YEAR), p.year as f64, &input_fmt)?;
                write_text_or_number(ws, r, ci(f::VALUE), &p.value, &input_fmt)?;
                let texts = [
                    (f::UNIT, &p.unit),
                    (f::SOURCE, &p.source),
                    (f::QUALITY, &p.quality),
                    (f::NOTES, &p.notes),
                ];
                for (n, v) in texts {
                    if !v.is_empty() {
                        ws.write_string_with_format(r, ci(n), v, &input_fmt)?;
                    }
                }
                if !p.denominator.is_empty() {
                    write_text_or_number(ws, r, ci(f::DENOMINATOR), &p.denominator, &input_fmt)?;
                }
                for (n, b) in [(f::VERIFIED, p.verified), (f::CONFIDENTIAL, p.confidential)] {
                    if b {
                        ws.write_string_with_format(r, ci(n), "yes", &input_fmt)?;
                    }
                }
            }
            None => {
                if let Some(y) = spec.year {
                    ws.write_number_with_format(r, ci(f::YEAR), y as f64, &input_fmt)?;
                }
                if let Some(u) = canon {
                    // the canonical unit's own spelling, when the registry lists one
                    if let Some(s) = spec
                        .units
                        .accepted_for(dp)
                        .find(|s| s.is_identity() && s.spelling == u.label)
                        .or_else(|| spec.units.accepted_for(dp).find(|s| s.is_identity()))
                    {
                        ws.write_string_with_format(r, ci(f::UNIT), &s.spelling, &input_fmt)?;
                    }
                }
            }
        }
        validations(ws, r, dp, spec, lists)?;
    }
    group_outline(ws, dps)?;
    let last = dps.len() as u32;
    ws.autofilter(0, 0, last, (COLUMNS.len() - 1) as u16)?;
    Ok(Written {
        data_points: dps.len(),
        prefilled,
    })
}

/// Numbers as numbers (so Excel's number validation and formatting apply), other text as text.
fn write_text_or_number(
    ws: &mut Worksheet,
    r: u32,
    c: u16,
    text: &str,
    fmt: &Format,
) -> Result<(), XlsxError> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => ws.write_number_with_format(r, c, v, fmt)?,
        _ => ws.write_string_with_format(r, c, text, fmt)?,
    };
    Ok(())
}

fn validations(
    ws: &mut Worksheet,
    r: u32,
    dp: &DataPoint,
    spec: &Spec<'_>,
    lists: &UnitLists,
) -> Result<(), XlsxError> {
    let ci = |n: &str| column_index(n) as u16;
    let value = if dp.is_boolean() {
        DataValidation::new()
            .allow_list_formula(list_range(LIST_YES_NO, 2))
            .set_error_title("Yes or no")?
            .set_error_message("This data point takes yes or no.")?
    } else {
        let rule = if dp.hard_min.is_some_and(|m| m >= 0.0) {
            DataValidationRule::GreaterThanOrEqualTo(0.0)
        } else {
            DataValidationRule::Between(-1e15, 1e15)
        };
        DataValidation::new()
            .allow_decimal_number(rule)
            .set_error_title("A number")?
            .set_error_message(
                "Type a plain number with '.' as the decimal point, without digit grouping or unit sign; pick the unit in the unit column.",
            )?
    };
    ws.add_data_validation(r, ci(f::VALUE), r, ci(f::VALUE), &value)?;
    let (y0, y1) = spec.year_range;
    let year = DataValidation::new()
        .allow_whole_number(DataValidationRule::Between(y0, y1))
        .set_error_title("A year")?
        .set_error_message(format!("Type the reference year, {y0} to {y1}."))?;
    ws.add_data_validation(r, ci(f::YEAR), r, ci(f::YEAR), &year)?;
    if let Some(&k) = lists.of_data_point.get(&dp.data_point_id) {
        let l = &lists.lists[k];
        let unit = DataValidation::new()
            .allow_list_formula(list_range(LIST_UNITS + k, l.len()))
            .set_error_style(DataValidationErrorStyle::Warning)
            .set_error_title("Unit not in the list")?
            .set_error_message(format!(
                "citybench accepts the spellings in the drop-down for {}; another unit will be rejected on ingest.",
                dp.data_point_id
            ))?;
        ws.add_data_validation(r, ci(f::UNIT), r, ci(f::UNIT), &unit)?;
    }
    let quality = DataValidation::new()
        .allow_list_formula(list_range(LIST_QUALITY, QUALITY_LEVELS.len()))
        .set_error_title("Data quality level")?
        .set_error_message("Pick one of the six U4SSC data quality levels.")?;
    ws.add_data_validation(r, ci(f::QUALITY), r, ci(f::QUALITY), &quality)?;
    let yes_no = DataValidation::new()
        .allow_list_formula(list_range(LIST_YES_NO, 2))
        .set_error_style(DataValidationErrorStyle::Warning)
        .set_error_title("yes or no")?
        .set_error_message("yes or no (empty means no).")?;
    for n in [f::VERIFIED, f::CONFIDENTIAL] {
        ws.add_data_validation(r, ci(n), r, ci(n), &yes_no)?;
    }
    Ok(())
}

/// Excel outline: level 1 per dimension, level 2 per category (rows stay in catalogue order).
fn group_outline(ws: &mut Worksheet, dps: &[DataPoint]) -> Result<(), XlsxError> {
    let runs = |key: &dyn Fn(&DataPoint) -> String| -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        let mut start = 0usize;
        for i in 1..=dps.len() {
            if i == dps.len() || key(&dps[i]) != key(&dps[start]) {
                out.push((1 + start as u32, i as u32));
                start = i;
            }
        }
        out
    };
    for (a, b) in runs(&|d| d.dimension.clone()) {
        ws.group_rows(a, b)?;
    }
    for (a, b) in runs(&|d| format!("{}\u{1f}{}", d.dimension, d.category)) {
        ws.group_rows(a, b)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(9), "J");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }

    #[test]
    fn the_workbook_reads_back_with_its_sheets_header_rows_and_meta() {
        use calamine::{Data, Reader, Xlsx};
        let units = UnitRegistry::embedded().unwrap();
        let catalog = Catalog::embedded(&units).unwrap();
        let mut prefill = HashMap::new();
        prefill.insert(
            "EC-ICT-ICT-1C".to_string(),
            Prefill {
                year: 2022,
                value: "0.6".into(),
                unit: "fraction".into(),
                source: "OFS".into(),
                quality: "measured".into(),
                verified: true,
                confidential: false,
                denominator: String::new(),
                notes: String::new(),
            },
        );
        let spec = Spec {
            catalog: &catalog,
            units: &units,
            city: Some(("0042".into(), "Testville".into())),
            year: Some(2024),
            year_range: (1990, 2027),
            prefill,
        };
        let (bytes, written) = write(&spec).unwrap();
        assert_eq!(
            written,
            Written {
                data_points: 113,
                prefilled: 1
            }
        );
        let mut wb = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(
            wb.sheet_names(),
            [INSTRUCTIONS_SHEET, DATA_SHEET, LISTS_SHEET, META_SHEET]
        );
        let data = wb.worksheet_range(DATA_SHEET).unwrap();
        assert_eq!(data.height(), 114);
        let header: Vec<String> = (0..COLUMNS.len())
            .map(|c| data.get((0, c)).unwrap().to_string())
            .collect();
        let names: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
        assert_eq!(header, names);
        let at = |r: usize, n: &str| data.get((r, column_index(n))).cloned().unwrap();
        // row 2 = the first data point: pre-filled as reported; the id stays text
        assert_eq!(
            at(1, f::DATA_POINT_ID),
            Data::String("EC-ICT-ICT-1C".into())
        );
        assert_eq!(at(1, f::CITY_ID), Data::String("0042".into()));
        assert_eq!(at(1, f::YEAR), Data::Float(2022.0));
        assert_eq!(at(1, f::VALUE), Data::Float(0.6));
        assert_eq!(at(1, f::UNIT), Data::String("fraction".into()));
        assert_eq!(at(1, f::VERIFIED), Data::String("yes".into()));
        // row 3: no earlier value: the reporting year and the canonical unit's spelling
        assert_eq!(at(2, f::YEAR), Data::Float(2024.0));
        assert_eq!(at(2, f::VALUE), Data::Empty);
        assert_eq!(at(2, f::UNIT), Data::String("%".into()));
        let meta = wb.worksheet_range(META_SHEET).unwrap();
        let kv: HashMap<String, String> = meta
            .rows()
            .map(|r| (r[0].to_string(), r[1].to_string()))
            .collect();
        assert_eq!(kv[meta::FORMAT], "1");
        assert_eq!(kv[meta::CATALOG_FINGERPRINT], catalog.fingerprint());
        assert_eq!(kv[meta::CITY_ID], "0042");
        let lists = wb.worksheet_range(LISTS_SHEET).unwrap();
        let quality: Vec<String> = (1..=6)
            .map(|r| lists.get((r, LIST_QUALITY)).unwrap().to_string())
            .collect();
        assert_eq!(quality, QUALITY_LEVELS);
    }

    #[test]
    fn every_submission_field_is_a_template_column() {
        for name in crate::ingest::read::FIELD_NAMES {
            assert!(COLUMNS.iter().any(|c| c.name == name), "{name}");
        }
        assert_eq!(column_letter(column_index(f::VALUE)), "J");
    }
}
