//! The Excel template's layout: sheet names, the `Data` sheet's columns and the keys of the
//! hidden `citybench` sheet. One ground-floor leaf that both the writer
//! ([`crate::template`]) and the reader ([`crate::ingest::xlsx`]) use, so neither imports
//! the other.

use crate::schema::submission as f;

/// The sheet with one row per data point.
pub const DATA_SHEET: &str = "Data";
/// The sheet that explains how to fill the template in.
pub const INSTRUCTIONS_SHEET: &str = "Instructions";
/// Hidden sheet with the drop-down lists.
pub const LISTS_SHEET: &str = "Lists";
/// Hidden sheet with what the template was written for (key in column A, value in B).
pub const META_SHEET: &str = "citybench";
/// Version of this layout; a reader refuses templates of a newer format.
pub const FORMAT_VERSION: u32 = 1;

/// Keys of the [`META_SHEET`].
pub mod meta {
    pub const FORMAT: &str = "template_format";
    pub const CATALOG_VERSION: &str = "catalogue_version";
    pub const CATALOG_FINGERPRINT: &str = "catalogue_fingerprint";
    pub const DATA_POINTS: &str = "data_points";
    pub const ENGINE_VERSION: &str = "engine_version";
    pub const CITY_ID: &str = "city_id";
    pub const YEAR: &str = "year";
}

/// One column of the `Data` sheet.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Header text (a submission field name, or a descriptive column).
    pub name: &'static str,
    /// Whether the officer fills it in (yellow) or it describes the data point (grey).
    pub input: bool,
    /// Column width in characters.
    pub width: f64,
    /// What goes in it (header note and the instructions sheet).
    pub help: &'static str,
}

const fn c(name: &'static str, input: bool, width: f64, help: &'static str) -> Column {
    Column {
        name,
        input,
        width,
        help,
    }
}

/// Descriptive column names (ignored on ingest).
pub mod desc {
    pub const DIMENSION: &str = "dimension";
    pub const CATEGORY: &str = "category";
    pub const NAME: &str = "name";
    pub const DEFINITION: &str = "definition";
    pub const CANONICAL_UNIT: &str = "canonical_unit";
    pub const TIER: &str = "tier";
}

/// The `Data` sheet's columns, in order.
pub const COLUMNS: [Column; 17] = [
    c(
        desc::DIMENSION,
        false,
        12.0,
        "U4SSC dimension (Economy, Environment, Society and Culture).",
    ),
    c(
        desc::CATEGORY,
        false,
        18.0,
        "Category within the dimension.",
    ),
    c(
        f::DATA_POINT_ID,
        false,
        17.0,
        "The data point's code. Do not change it.",
    ),
    c(desc::NAME, false, 34.0, "KPI name and data point."),
    c(
        desc::DEFINITION,
        false,
        50.0,
        "Summary of the ITU definition (see the U4SSC collection methodology for the full text).",
    ),
    c(
        desc::CANONICAL_UNIT,
        false,
        16.0,
        "The unit citybench stores; other units in the drop-down are converted.",
    ),
    c(desc::TIER, false, 7.0, "core or advanced KPI."),
    c(
        f::CITY_ID,
        true,
        10.0,
        "Your city's id in the citybench registry (`citybench cities --search NAME`). Pre-filled when the template was written for a city.",
    ),
    c(
        f::YEAR,
        true,
        7.0,
        "Reference year of the value, a whole number such as 2024.",
    ),
    c(
        f::VALUE,
        true,
        12.0,
        "The value, a plain number with '.' as decimal point (no digit grouping, no unit sign); yes/no data points take yes or no.",
    ),
    c(
        f::UNIT,
        true,
        16.0,
        "Unit of the value: pick one of the spellings in the drop-down; other units are converted to the canonical unit.",
    ),
    c(
        f::SOURCE,
        true,
        24.0,
        "Where the value comes from (agency, survey, report).",
    ),
    c(
        f::QUALITY,
        true,
        14.0,
        "Data quality level (drop-down): measured, survey_extrapolated, higher_level_extrapolated, assumption_estimate, personal_estimate, unknown.",
    ),
    c(
        f::VERIFIED,
        true,
        9.0,
        "yes when an independent verifier has checked the value; empty means no.",
    ),
    c(
        f::CONFIDENTIAL,
        true,
        12.0,
        "yes to keep the value out of every other city's view and of the analyst views; empty means no.",
    ),
    c(
        f::DENOMINATOR,
        true,
        13.0,
        "Only for counts reported as totals: the population (or number) the total is divided by; see `citybench units`.",
    ),
    c(f::NOTES, true, 30.0, "Anything a verifier should know."),
];

/// Position of a column in [`COLUMNS`].
pub fn column_index(name: &str) -> usize {
    COLUMNS
        .iter()
        .position(|c| c.name == name)
        .expect("a template column")
}

/// Excel column letters of a 0-based column index (0 -> A, 26 -> AA).
pub fn column_letter(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).expect("ASCII")
}
