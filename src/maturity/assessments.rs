//! Qualitative maturity self-assessments (METHODOLOGY section 8): the ITU-T Y.4904
//! achievements table (five dimensions) and the EU-China smart city assessment framework
//! (nine characteristics of its Annex 1), their staircase checks and the distribution of
//! cities by level (the white paper's Figure 3).
//!
//! A self-assessment file is CSV with the columns
//! `city_id,framework,characteristic,level,assessment_date[,evidence]`. `citybench ingest`
//! recognises it by its `framework` and `characteristic` columns, validates every row
//! (a rejected row goes to `rejected/assessments-<seq>-<sha12>.csv` with its reason;
//! accepted + rejected = rows read), appends the accepted rows to `assessments.parquet`
//! in the workspace and records the file in `assessments.json` (a byte-identical file is
//! then refused unless `--force`, even when every row was rejected). A later file's row for the same (city, framework, characteristic,
//! date) supersedes an earlier one; the earlier row stays in the file.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use polars::prelude::*;

use crate::error::{Error, IoContext, Result};
use crate::registry::Registry;
use crate::schema::derived as d;
use crate::store::{ASSESSMENTS_REJECTED_PREFIX, Workspace};

/// The workspace file holding every accepted assessment row.
pub const STORE_FILE: &str = "assessments.parquet";
/// The workspace log of ingested self-assessment files (one record per ingest).
pub const LOG_FILE: &str = "assessments.json";

/// One ingested self-assessment file (`assessments.json`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct IngestRecord {
    pub seq: u32,
    pub file: String,
    pub sha256: String,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
    pub rejected_file: Option<String>,
    pub ingested_at: String,
}

/// The ingest log of a workspace (empty when nothing was ingested).
pub fn ingest_log(ws: &Workspace) -> Result<Vec<IngestRecord>> {
    let p = ws.root().join(LOG_FILE);
    match std::fs::read_to_string(&p) {
        Ok(t) => serde_json::from_str(&t).map_err(|e| Error::input(&p, e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(Error::io(&p, e)),
    }
}
/// The columns of a self-assessment file (the last is optional).
pub const FILE_COLUMNS: [&str; 6] = [
    d::CITY_ID,
    d::FRAMEWORK,
    d::CHARACTERISTIC,
    "level",
    d::ASSESSMENT_DATE,
    d::EVIDENCE,
];

/// A qualitative framework.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Framework {
    /// ITU-T Y.4904 achievements table: levels 0..5.
    Y4904,
    /// EU-China smart city assessment framework: not yet addressed (0) .. state of the art
    /// (4), or not assessed.
    EuChina,
}

/// Y.4904's qualitative dimensions (KPI performance comes from the matrix).
pub const Y4904_DIMENSIONS: [&str; 5] = [
    "strategy",
    "infrastructure",
    "data",
    "services_and_applications",
    "assessment",
];
/// The nine characteristics of the EU-China framework (white paper, Annex 1).
pub const EU_CHINA_CHARACTERISTICS: [&str; 9] = [
    "strategy",
    "stakeholders",
    "governance",
    "funding",
    "value_assessment",
    "business_models",
    "ict_infrastructure",
    "services",
    "legal_and_regulatory",
];
/// EU-China level names 0..4.
pub const EU_CHINA_LEVELS: [&str; 5] = [
    "not yet addressed",
    "basic",
    "average",
    "more advanced",
    "state of the art",
];
/// The EU-China "not assessed" answer.
pub const NOT_ASSESSED: &str = "not assessed";

impl Framework {
    /// Parse a framework name (`y4904`, `Y.4904`, `eu_china`, `EU-China`, ...).
    pub fn parse(s: &str) -> Option<Self> {
        match key(s).replace('.', "").as_str() {
            "y4904" | "itu_t_y4904" => Some(Framework::Y4904),
            "eu_china" | "euchina" => Some(Framework::EuChina),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Framework::Y4904 => "y4904",
            Framework::EuChina => "eu_china",
        }
    }

    /// Its characteristics (dimensions), in the framework's order.
    pub fn characteristics(self) -> &'static [&'static str] {
        match self {
            Framework::Y4904 => &Y4904_DIMENSIONS,
            Framework::EuChina => &EU_CHINA_CHARACTERISTICS,
        }
    }

    /// What it calls them.
    pub fn noun(self) -> &'static str {
        match self {
            Framework::Y4904 => "dimension",
            Framework::EuChina => "characteristic",
        }
    }

    /// The name of a level.
    pub fn level_name(self, level: Option<i32>) -> &'static str {
        match (self, level) {
            (_, None) => NOT_ASSESSED,
            (Framework::Y4904, Some(l)) => super::matrix::LEVEL_NAMES
                .get(l as usize)
                .copied()
                .unwrap_or("?"),
            (Framework::EuChina, Some(l)) => {
                EU_CHINA_LEVELS.get(l as usize).copied().unwrap_or("?")
            }
        }
    }

    /// The highest level.
    pub fn max_level(self) -> i32 {
        match self {
            Framework::Y4904 => 5,
            Framework::EuChina => 4,
        }
    }

    /// A characteristic by name or alias (case, spaces and hyphens ignored).
    pub fn characteristic(self, s: &str) -> Option<&'static str> {
        let k = key(s);
        let alias = match (self, k.as_str()) {
            (_, "smart_city_strategy") => "strategy",
            (Framework::EuChina, "smart_city_services") => "services",
            (Framework::EuChina, "legal_and_regulatory_policies" | "legal_regulatory") => {
                "legal_and_regulatory"
            }
            (Framework::EuChina, "ict") => "ict_infrastructure",
            (Framework::Y4904, "services") => "services_and_applications",
            (_, other) => other,
        };
        self.characteristics().iter().copied().find(|c| *c == alias)
    }

    /// A level: a number 0..max or a level name; `Ok(None)` = not assessed (EU-China).
    pub fn level(self, s: &str) -> std::result::Result<Option<i32>, String> {
        let k = key(s);
        if let Ok(n) = k.parse::<i32>() {
            return if (0..=self.max_level()).contains(&n) {
                Ok(Some(n))
            } else {
                Err(format!(
                    "'{}' is outside 0-{}; {}",
                    s.trim(),
                    self.max_level(),
                    self.levels_help()
                ))
            };
        }
        let names: Vec<String> = match self {
            Framework::Y4904 => super::matrix::LEVEL_NAMES.iter().map(|n| key(n)).collect(),
            Framework::EuChina => EU_CHINA_LEVELS.iter().map(|n| key(n)).collect(),
        };
        if let Some(i) = names.iter().position(|n| *n == k) {
            return Ok(Some(i as i32));
        }
        if self == Framework::EuChina && k == key(NOT_ASSESSED) {
            return Ok(None);
        }
        Err(format!(
            "'{}' is not a {} level; {}",
            s.trim(),
            self.as_str(),
            self.levels_help()
        ))
    }

    fn levels_help(self) -> String {
        match self {
            Framework::Y4904 => "accepted for y4904: 0-5 or pre-maturity, planning, alignment, development, integration, optimization".into(),
            Framework::EuChina => "accepted for eu_china: not yet addressed, basic, average, more advanced, state of the art, not assessed (or 0-4)".into(),
        }
    }
}

/// Lower case, spaces/hyphens/slashes as underscores, `&` as `and`, runs collapsed.
fn key(s: &str) -> String {
    let s = s.trim().to_lowercase().replace('&', " and ");
    let mut out = String::new();
    for ch in s.chars() {
        let c = if ch.is_alphanumeric() || ch == '.' {
            ch
        } else {
            '_'
        };
        if c == '_' && (out.is_empty() || out.ends_with('_')) {
            continue;
        }
        out.push(c);
    }
    out.trim_end_matches('_').to_string()
}

/// One accepted assessment row.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub city_id: String,
    pub framework: Framework,
    pub characteristic: String,
    /// None = not assessed.
    pub level: Option<i32>,
    /// ISO date, `YYYY-MM-DD`.
    pub date: String,
    pub evidence: String,
    pub source_file: String,
    pub source_line: u64,
    pub file_sha256: String,
    /// Which ingest (1, 2, ...): later ones supersede earlier ones.
    pub ingest_seq: u32,
}

/// A rejected row: where, why, and its original fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub line: u64,
    pub field: String,
    pub reason: String,
    pub fields: Vec<String>,
}

/// What [`parse`] found in a file.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// Accepted rows (without ingest sequence and hash).
    pub accepted: Vec<Assessment>,
    pub rejected: Vec<Rejection>,
    pub read: u64,
    /// Columns that are not part of the format.
    pub ignored: Vec<String>,
}

/// Parse and validate a self-assessment file.
pub fn parse(text: &str, path: &Path, registry: &Registry) -> Result<Parsed> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| Error::input(path, format!("cannot read the header: {e}")))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let pos = |n: &str| headers.iter().position(|h| h == n);
    let missing: Vec<&str> = FILE_COLUMNS[..5]
        .iter()
        .copied()
        .filter(|c| pos(c).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(Error::input(
            path,
            format!(
                "missing column(s) {}; a self-assessment file has city_id,framework,characteristic,level,assessment_date and optionally evidence",
                missing.join(", ")
            ),
        ));
    }
    let ignored: Vec<String> = headers
        .iter()
        .filter(|h| !FILE_COLUMNS.contains(&h.as_str()))
        .cloned()
        .collect();
    let display = path.display().to_string();
    let mut accepted: Vec<Option<Assessment>> = Vec::new();
    let mut rejected = Vec::new();
    // (city, framework, characteristic, date) -> the first row: line, index in
    // `accepted` (None once rejected), level, fields
    type First = (u64, Option<usize>, Option<i32>, Vec<String>);
    let mut seen: HashMap<(String, Framework, String, String), First> = HashMap::new();
    let mut read = 0u64;
    // "did you mean" searches for unknown cities, as for submissions
    let mut suggestions_left = crate::ingest::validate::CITY_SUGGESTIONS;
    for (line, rec) in crate::csv_lines::records(text, &mut rdr) {
        read += 1;
        let r = rec.map_err(|e| Error::data(path, line, format!("unreadable row: {e}")))?;
        let fields: Vec<String> = FILE_COLUMNS
            .iter()
            .map(|c| pos(c).and_then(|p| r.get(p)).unwrap_or("").to_string())
            .collect();
        let reject = |field: &str, reason: String| Rejection {
            line,
            field: field.to_string(),
            // quoted user text is shown with visible escapes (printed to terminals)
            reason: crate::text::printable(&reason).into_owned(),
            fields: fields.clone(),
        };
        let city = fields[0].trim();
        if city.is_empty() {
            rejected.push(reject(
                d::CITY_ID,
                "empty; every row names a city id (`citybench cities --search NAME` finds it)"
                    .into(),
            ));
            continue;
        }
        if registry.position(city).is_none() {
            let hint = if suggestions_left > 0 {
                suggestions_left -= 1;
                registry.did_you_mean(city)
            } else {
                String::new()
            };
            rejected.push(reject(
                d::CITY_ID,
                format!(
                    "unknown city '{city}'{hint} (add it to the workspace cities.csv if it is missing from the registry)"
                ),
            ));
            continue;
        }
        let Some(framework) = Framework::parse(&fields[1]) else {
            rejected.push(reject(
                d::FRAMEWORK,
                format!(
                    "'{}' is not a framework; accepted: y4904 (ITU-T Y.4904 achievements) or eu_china (EU-China assessment framework)",
                    fields[1].trim()
                ),
            ));
            continue;
        };
        let Some(characteristic) = framework.characteristic(&fields[2]) else {
            let all = framework.characteristics();
            let hint = crate::suggest::did_you_mean(&key(&fields[2]), all.iter().copied())
                .map(|s| format!(" (did you mean '{s}'?)"))
                .unwrap_or_default();
            rejected.push(reject(
                d::CHARACTERISTIC,
                format!(
                    "'{}' is not a {} {}{hint}; accepted: {}",
                    fields[2].trim(),
                    framework.as_str(),
                    framework.noun(),
                    all.join(", ")
                ),
            ));
            continue;
        };
        let level = match framework.level(&fields[3]) {
            Ok(l) => l,
            Err(reason) => {
                rejected.push(reject("level", reason));
                continue;
            }
        };
        let date_text = fields[4].trim();
        let Ok(date) = chrono::NaiveDate::parse_from_str(date_text, "%Y-%m-%d") else {
            rejected.push(reject(
                d::ASSESSMENT_DATE,
                format!("'{date_text}' is not a date; write YYYY-MM-DD, e.g. 2024-03-31"),
            ));
            continue;
        };
        let date = date.format("%Y-%m-%d").to_string();
        let k = (
            city.to_string(),
            framework,
            characteristic.to_string(),
            date.clone(),
        );
        if let Some((first, idx, first_level, first_fields)) = seen.get(&k).cloned() {
            if first_level == level {
                rejected.push(reject(
                    "level",
                    format!(
                        "duplicate of line {first} (same city, framework, {}, date and level)",
                        framework.noun()
                    ),
                ));
            } else {
                // two answers for one question: neither is kept
                if let Some(idx) = idx
                    && accepted[idx].take().is_some()
                {
                    rejected.push(Rejection {
                        line: first,
                        field: "level".into(),
                        reason: format!(
                            "conflicts with line {line} (same city, framework, {} and date, another level); neither is kept",
                            framework.noun()
                        ),
                        fields: first_fields.clone(),
                    });
                }
                seen.insert(k, (first, None, first_level, first_fields));
                rejected.push(reject(
                    "level",
                    format!(
                        "conflicts with line {first} (same city, framework, {} and date, another level); neither is kept",
                        framework.noun()
                    ),
                ));
            }
            continue;
        }
        seen.insert(k, (line, Some(accepted.len()), level, fields.clone()));
        accepted.push(Some(Assessment {
            city_id: city.to_string(),
            framework,
            characteristic: characteristic.to_string(),
            level,
            date,
            evidence: fields[5].trim().to_string(),
            source_file: display.clone(),
            source_line: line,
            file_sha256: String::new(),
            ingest_seq: 0,
        }));
    }
    rejected.sort_by_key(|r| r.line);
    Ok(Parsed {
        accepted: accepted.into_iter().flatten().collect(),
        rejected,
        read,
        ignored,
    })
}

/// Whether a file is a self-assessment file: a CSV whose header has `framework` and
/// `characteristic` columns.
pub fn is_assessment_file(path: &Path) -> bool {
    use std::io::{BufRead, Read};
    // not a regular file: the submission reader names what it is
    let Ok(f) = crate::input::open(path, crate::input::SUBMISSION) else {
        return false;
    };
    let mut first = Vec::new();
    // the first line only, and never more than a record may have
    let limit = crate::ingest::read::MAX_RECORD as u64;
    if std::io::BufReader::new(f.take(limit))
        .read_until(b'\n', &mut first)
        .is_err()
    {
        return false;
    }
    let first = String::from_utf8_lossy(&first);
    let cols: Vec<String> = first
        .trim_start_matches('\u{feff}')
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_lowercase())
        .collect();
    cols.iter().any(|c| c == d::FRAMEWORK) && cols.iter().any(|c| c == d::CHARACTERISTIC)
}

/// What an assessment ingest did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub file: String,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
    pub rejected_file: Option<String>,
    pub ignored_columns: Vec<String>,
    /// Set when the file was refused as already ingested.
    pub duplicate: bool,
    /// The first rejections (line, field, reason).
    pub examples: Vec<(u64, String, String)>,
}

/// Every stored assessment row of a workspace (none when nothing was ingested).
pub fn load(ws: &Workspace) -> Result<Vec<Assessment>> {
    let path = ws.root().join(STORE_FILE);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let f = std::fs::File::open(&path).at(&path)?;
    let df = ParquetReader::new(f)
        .finish()
        .map_err(|e| Error::polars(&path, e))?;
    from_frame(&df).map_err(|e| Error::polars(&path, e))
}

fn from_frame(df: &DataFrame) -> PolarsResult<Vec<Assessment>> {
    let s = |c: &str| -> PolarsResult<StringChunked> { Ok(df.column(c)?.str()?.clone()) };
    let (city, fw, ch, date, ev, file, sha) = (
        s(d::CITY_ID)?,
        s(d::FRAMEWORK)?,
        s(d::CHARACTERISTIC)?,
        s(d::ASSESSMENT_DATE)?,
        s(d::EVIDENCE)?,
        s(d::SOURCE_FILE)?,
        s(d::FILE_SHA256)?,
    );
    let level = df.column(d::MATURITY_LEVEL)?.i32()?.clone();
    let line = df.column(d::SOURCE_LINE)?.u64()?.clone();
    let seq = df.column("ingest_seq")?.u32()?.clone();
    Ok((0..df.height())
        .map(|i| Assessment {
            city_id: city.get(i).unwrap_or("").into(),
            framework: Framework::parse(fw.get(i).unwrap_or("")).unwrap_or(Framework::Y4904),
            characteristic: ch.get(i).unwrap_or("").into(),
            level: level.get(i),
            date: date.get(i).unwrap_or("").into(),
            evidence: ev.get(i).unwrap_or("").into(),
            source_file: file.get(i).unwrap_or("").into(),
            source_line: line.get(i).unwrap_or(0),
            file_sha256: sha.get(i).unwrap_or("").into(),
            ingest_seq: seq.get(i).unwrap_or(0),
        })
        .collect())
}

fn to_frame(rows: &[Assessment]) -> PolarsResult<DataFrame> {
    df!(
        d::CITY_ID => rows.iter().map(|a| a.city_id.as_str()).collect::<Vec<_>>(),
        d::FRAMEWORK => rows.iter().map(|a| a.framework.as_str()).collect::<Vec<_>>(),
        d::CHARACTERISTIC => rows.iter().map(|a| a.characteristic.as_str()).collect::<Vec<_>>(),
        d::MATURITY_LEVEL => rows.iter().map(|a| a.level).collect::<Vec<_>>(),
        d::ASSESSMENT_DATE => rows.iter().map(|a| a.date.as_str()).collect::<Vec<_>>(),
        d::EVIDENCE => rows.iter().map(|a| a.evidence.as_str()).collect::<Vec<_>>(),
        d::SOURCE_FILE => rows.iter().map(|a| a.source_file.as_str()).collect::<Vec<_>>(),
        d::SOURCE_LINE => rows.iter().map(|a| a.source_line).collect::<Vec<_>>(),
        d::FILE_SHA256 => rows.iter().map(|a| a.file_sha256.as_str()).collect::<Vec<_>>(),
        "ingest_seq" => rows.iter().map(|a| a.ingest_seq).collect::<Vec<_>>(),
    )
}

/// Ingest one self-assessment file (the caller holds the workspace lock).
pub fn ingest(ws: &Workspace, registry: &Registry, path: &Path, force: bool) -> Result<Outcome> {
    let (sha, _) = crate::digest::sha256_file(path)?;
    let text = crate::input::read_text(path, "a self-assessment CSV file")?;
    let mut stored = load(ws)?;
    let mut log = ingest_log(ws)?;
    let display = path.display().to_string();
    if !force && log.iter().any(|r| r.sha256 == sha) {
        return Ok(Outcome {
            file: display,
            rows_read: 0,
            rows_accepted: 0,
            rows_rejected: 0,
            rejected_file: None,
            ignored_columns: Vec::new(),
            duplicate: true,
            examples: Vec::new(),
        });
    }
    let Parsed {
        mut accepted,
        rejected,
        read,
        ignored,
    } = parse(&text, path, registry)?;
    let seq = log.iter().map(|r| r.seq).max().unwrap_or(0) + 1;
    for a in &mut accepted {
        a.file_sha256 = sha.clone();
        a.ingest_seq = seq;
    }
    assert_eq!(
        accepted.len() as u64 + rejected.len() as u64,
        read,
        "accepted + rejected = rows read"
    );
    let mut rejected_file = None;
    if !rejected.is_empty() {
        let dir = ws.rejected_dir();
        std::fs::create_dir_all(&dir).at(&dir)?;
        let name = format!("{ASSESSMENTS_REJECTED_PREFIX}{seq}-{}.csv", &sha[..12]);
        let p = dir.join(&name);
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header = vec!["source_file", "line", "field", "reason"];
        header.extend(FILE_COLUMNS);
        w.write_record(&header)
            .map_err(|e| Error::input(&p, e.to_string()))?;
        for r in &rejected {
            // opened in spreadsheets: formula-leading cells get a leading quote
            let cell = |s: &str| crate::text::spreadsheet_cell(s).into_owned();
            let mut rec = vec![
                cell(display.as_str()),
                r.line.to_string(),
                r.field.clone(),
                cell(r.reason.as_str()),
            ];
            rec.extend(r.fields.iter().map(|f| cell(f.as_str())));
            w.write_record(&rec)
                .map_err(|e| Error::input(&p, e.to_string()))?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| Error::input(&p, e.to_string()))?;
        crate::store::atomic_write(&p, &bytes)?;
        rejected_file = Some(format!("rejected/{name}"));
    }
    if !accepted.is_empty() {
        stored.extend(accepted.iter().cloned());
        let mut df = to_frame(&stored).map_err(|e| Error::polars(path, e))?;
        let out = ws.root().join(STORE_FILE);
        let tmp = crate::store::temp_path(&out);
        let f = std::fs::File::create(&tmp).at(&tmp)?;
        ParquetWriter::new(f)
            .finish(&mut df)
            .map_err(|e| Error::polars(&out, e))?;
        std::fs::File::open(&tmp).at(&tmp)?.sync_all().at(&tmp)?;
        crate::store::commit_rename(&tmp, &out)?;
    }
    // the log is the commit point of the ingest: a file is "already ingested" once here
    log.push(IngestRecord {
        seq,
        file: display.clone(),
        sha256: sha.clone(),
        rows_read: read,
        rows_accepted: accepted.len() as u64,
        rows_rejected: rejected.len() as u64,
        rejected_file: rejected_file.clone(),
        ingested_at: chrono::Utc::now().to_rfc3339(),
    });
    let json = serde_json::to_vec_pretty(&log).map_err(|e| Error::Usage(e.to_string()))?;
    crate::store::atomic_write(&ws.root().join(LOG_FILE), &json)?;
    Ok(Outcome {
        file: display,
        rows_read: read,
        rows_accepted: accepted.len() as u64,
        rows_rejected: rejected.len() as u64,
        rejected_file,
        ignored_columns: ignored,
        duplicate: false,
        examples: rejected
            .iter()
            .take(5)
            .map(|r| (r.line, r.field.clone(), r.reason.clone()))
            .collect(),
    })
}

/// The current rows: for each (city, framework, characteristic, date) the row of the
/// latest ingest (the last line within it), sorted by city, framework, characteristic, date.
pub fn current(rows: &[Assessment]) -> Vec<Assessment> {
    let mut best: BTreeMap<(String, Framework, String, String), &Assessment> = BTreeMap::new();
    for a in rows {
        let k = (
            a.city_id.clone(),
            a.framework,
            a.characteristic.clone(),
            a.date.clone(),
        );
        match best.get(&k) {
            Some(b) if (b.ingest_seq, b.source_line) > (a.ingest_seq, a.source_line) => {}
            _ => {
                best.insert(k, a);
            }
        }
    }
    best.into_values().cloned().collect()
}

/// One current assessment with its staircase checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub a: Assessment,
    /// The previous assessed level of the same characteristic, and its date.
    pub previous: Option<(i32, String)>,
    /// Rose by more than one level since `previous` ("no leapfrogging").
    pub leapfrog: bool,
    /// Highest minus lowest level of the city's assessment (this framework) as of this
    /// date: for each characteristic its latest assessed level on or before the date.
    pub spread: Option<i32>,
    /// `spread > 1` ("no isolated advances").
    pub isolated_advance: bool,
}

/// The staircase checks of the current rows ([`current`]).
pub fn checks(current: &[Assessment]) -> Vec<Checked> {
    let mut out = Vec::with_capacity(current.len());
    let mut by_city: BTreeMap<(&str, Framework), Vec<&Assessment>> = BTreeMap::new();
    for a in current {
        by_city
            .entry((a.city_id.as_str(), a.framework))
            .or_default()
            .push(a);
    }
    for rows in by_city.values() {
        for a in rows {
            let previous = rows
                .iter()
                .filter(|b| b.characteristic == a.characteristic && b.date < a.date)
                .filter_map(|b| b.level.map(|l| (l, b.date.clone())))
                .max_by(|x, y| x.1.cmp(&y.1));
            let leapfrog = matches!((a.level, &previous), (Some(l), Some((p, _))) if l - p > 1);
            let mut latest: BTreeMap<&str, (&str, Option<i32>)> = BTreeMap::new();
            for b in rows.iter().filter(|b| b.date <= a.date) {
                match latest.get(b.characteristic.as_str()) {
                    Some((date, _)) if *date > b.date.as_str() => {}
                    _ => {
                        latest.insert(&b.characteristic, (&b.date, b.level));
                    }
                }
            }
            let levels: Vec<i32> = latest.values().filter_map(|(_, l)| *l).collect();
            let spread = match (levels.iter().max(), levels.iter().min()) {
                (Some(hi), Some(lo)) => Some(hi - lo),
                _ => None,
            };
            out.push(Checked {
                a: (*a).clone(),
                previous,
                leapfrog,
                spread,
                isolated_advance: spread.is_some_and(|s| s > 1),
            });
        }
    }
    out
}

/// The checked assessments as the `derived/assessments.parquet` table.
pub fn checked_frame(rows: &[Checked]) -> Result<DataFrame> {
    let pe = |e| Error::polars("assessments", e);
    df!(
        d::CITY_ID => rows.iter().map(|c| c.a.city_id.as_str()).collect::<Vec<_>>(),
        d::FRAMEWORK => rows.iter().map(|c| c.a.framework.as_str()).collect::<Vec<_>>(),
        d::CHARACTERISTIC => rows.iter().map(|c| c.a.characteristic.as_str()).collect::<Vec<_>>(),
        d::ASSESSMENT_DATE => rows.iter().map(|c| c.a.date.as_str()).collect::<Vec<_>>(),
        d::MATURITY_LEVEL => rows.iter().map(|c| c.a.level).collect::<Vec<_>>(),
        d::LEVEL_NAME => rows.iter().map(|c| c.a.framework.level_name(c.a.level)).collect::<Vec<_>>(),
        d::EVIDENCE => rows.iter().map(|c| c.a.evidence.as_str()).collect::<Vec<_>>(),
        d::PREVIOUS_LEVEL => rows.iter().map(|c| c.previous.as_ref().map(|p| p.0)).collect::<Vec<_>>(),
        d::PREVIOUS_DATE => rows.iter().map(|c| c.previous.as_ref().map(|p| p.1.as_str())).collect::<Vec<_>>(),
        d::LEAPFROG => rows.iter().map(|c| c.leapfrog).collect::<Vec<_>>(),
        d::SPREAD => rows.iter().map(|c| c.spread).collect::<Vec<_>>(),
        d::ISOLATED_ADVANCE => rows.iter().map(|c| c.isolated_advance).collect::<Vec<_>>(),
        d::SOURCE_FILE => rows.iter().map(|c| c.a.source_file.as_str()).collect::<Vec<_>>(),
        d::SOURCE_LINE => rows.iter().map(|c| c.a.source_line).collect::<Vec<_>>(),
    )
    .map_err(pe)
}

/// Each city's latest answer per characteristic of `framework` (the most recent date).
pub fn latest_per_characteristic(
    current: &[Assessment],
    framework: Framework,
) -> BTreeMap<String, BTreeMap<String, Option<i32>>> {
    let mut out: BTreeMap<String, BTreeMap<String, (String, Option<i32>)>> = BTreeMap::new();
    for a in current.iter().filter(|a| a.framework == framework) {
        let city = out.entry(a.city_id.clone()).or_default();
        match city.get(&a.characteristic) {
            Some((date, _)) if *date > a.date => {}
            _ => {
                city.insert(a.characteristic.clone(), (a.date.clone(), a.level));
            }
        }
    }
    out.into_iter()
        .map(|(c, m)| (c, m.into_iter().map(|(k, (_, l))| (k, l)).collect()))
        .collect()
}

/// The share of cities at each level per characteristic and group (Figure 3 of the
/// EU-China white paper). A city counts in a group when it assessed anything in this
/// framework; a characteristic it did not assess counts as "not assessed". `group_of`
/// gives a city's group (None: in no group, left out).
pub fn distribution(
    current: &[Assessment],
    framework: Framework,
    group_of: &dyn Fn(&str) -> Option<String>,
) -> crate::output::Rows {
    let latest = latest_per_characteristic(current, framework);
    let levels: Vec<&str> = (0..=framework.max_level())
        .map(|l| framework.level_name(Some(l)))
        .collect();
    let mut columns = vec![
        d::CHARACTERISTIC.to_string(),
        d::GROUP.to_string(),
        "cities".to_string(),
    ];
    columns.extend(levels.iter().map(|l| format!("{l} %")));
    columns.push(format!("{NOT_ASSESSED} %"));
    let mut rows = crate::output::Rows::new(columns);
    let mut groups: BTreeMap<String, Vec<&BTreeMap<String, Option<i32>>>> = BTreeMap::new();
    for (city, answers) in &latest {
        if let Some(g) = group_of(city) {
            groups.entry(g).or_default().push(answers);
        }
    }
    for ch in framework.characteristics() {
        for (g, cities) in &groups {
            let n = cities.len();
            let mut counts = vec![0usize; levels.len() + 1];
            for answers in cities {
                match answers.get(*ch).copied().flatten() {
                    Some(l) => counts[l as usize] += 1,
                    None => counts[levels.len()] += 1,
                }
            }
            let mut row = vec![
                serde_json::Value::from(*ch),
                serde_json::Value::from(g.as_str()),
                serde_json::Value::from(n as u64),
            ];
            row.extend(counts.iter().map(|&c| {
                let pct = (c as f64 * 1000.0 / n as f64).round() / 10.0;
                serde_json::Number::from_f64(pct)
                    .map(serde_json::Value::Number)
                    .unwrap_or(serde_json::Value::Null)
            }));
            rows.push(row);
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(city: &str, fw: Framework, ch: &str, level: Option<i32>, date: &str) -> Assessment {
        Assessment {
            city_id: city.into(),
            framework: fw,
            characteristic: ch.into(),
            level,
            date: date.into(),
            evidence: String::new(),
            source_file: "f.csv".into(),
            source_line: 2,
            file_sha256: String::new(),
            ingest_seq: 1,
        }
    }

    #[test]
    fn names_and_levels_parse_loosely() {
        let y = Framework::Y4904;
        let e = Framework::EuChina;
        assert_eq!(Framework::parse("ITU-T Y.4904"), Some(y));
        assert_eq!(Framework::parse("EU-China"), Some(e));
        assert_eq!(
            y.characteristic("Services and Applications"),
            Some("services_and_applications")
        );
        assert_eq!(e.characteristic("Smart City Strategy"), Some("strategy"));
        assert_eq!(
            e.characteristic("Legal and Regulatory Policies"),
            Some("legal_and_regulatory")
        );
        assert_eq!(
            e.characteristic("ICT Infrastructure"),
            Some("ict_infrastructure")
        );
        assert_eq!(y.characteristic("governance"), None);
        assert_eq!(y.level("Integration"), Ok(Some(4)));
        assert_eq!(y.level("0"), Ok(Some(0)));
        assert_eq!(e.level("More Advanced"), Ok(Some(3)));
        assert_eq!(e.level("state-of-the-art"), Ok(Some(4)));
        assert_eq!(e.level("Not assessed"), Ok(None));
        assert_eq!(
            y.level("6"),
            Err("'6' is outside 0-5; accepted for y4904: 0-5 or pre-maturity, planning, alignment, development, integration, optimization".into())
        );
        assert_eq!(
            e.level("5"),
            Err("'5' is outside 0-4; accepted for eu_china: not yet addressed, basic, average, more advanced, state of the art, not assessed (or 0-4)".into())
        );
    }

    /// Leapfrogging: basic (1) -> state of the art (4) between two assessments; isolated
    /// advance: one characteristic two levels above another as of a date.
    #[test]
    fn staircase_checks() {
        let e = Framework::EuChina;
        let rows = current(&[
            a("1", e, "strategy", Some(1), "2022-01-01"),
            a("1", e, "funding", Some(1), "2022-01-01"),
            a("1", e, "strategy", Some(2), "2023-01-01"),
            a("1", e, "strategy", Some(4), "2024-01-01"),
            a("1", e, "funding", None, "2024-01-01"),
        ]);
        let c = checks(&rows);
        let find = |ch: &str, date: &str| {
            c.iter()
                .find(|x| x.a.characteristic == ch && x.a.date == date)
                .unwrap()
        };
        let s22 = find("strategy", "2022-01-01");
        assert_eq!(
            (s22.previous.clone(), s22.leapfrog, s22.spread),
            (None, false, Some(0))
        );
        let s23 = find("strategy", "2023-01-01");
        assert_eq!(s23.previous, Some((1, "2022-01-01".into())));
        assert!(!s23.leapfrog);
        assert_eq!(s23.spread, Some(1)); // strategy 2, funding 1
        let s24 = find("strategy", "2024-01-01");
        assert!(s24.leapfrog); // 2 -> 4
        // funding is "not assessed" on 2024-01-01: only strategy (4) is assessed then
        assert_eq!(s24.spread, Some(0));
        assert!(!s24.isolated_advance);
        let rows = current(&[
            a("2", e, "strategy", Some(4), "2024-01-01"),
            a("2", e, "funding", Some(2), "2023-06-01"),
        ]);
        let c = checks(&rows);
        let s = c.iter().find(|x| x.a.characteristic == "strategy").unwrap();
        assert_eq!(s.spread, Some(2));
        assert!(s.isolated_advance);
    }

    #[test]
    fn a_later_ingest_supersedes_the_same_key() {
        let y = Framework::Y4904;
        let mut late = a("1", y, "data", Some(3), "2024-01-01");
        late.ingest_seq = 2;
        let rows = current(&[a("1", y, "data", Some(2), "2024-01-01"), late]);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].level, Some(3));
    }

    /// Shares per level, "not assessed" for a characteristic a city left out.
    #[test]
    fn distribution_by_group() {
        let e = Framework::EuChina;
        let rows = current(&[
            a("1", e, "strategy", Some(3), "2024-01-01"),
            a("2", e, "strategy", Some(3), "2024-01-01"),
            a("3", e, "strategy", Some(1), "2024-01-01"),
            a("3", e, "funding", Some(2), "2024-01-01"),
            a("4", e, "strategy", Some(4), "2024-01-01"),
        ]);
        let group = |c: &str| -> Option<String> {
            match c {
                "4" => Some("EU".into()),
                "9" => None,
                _ => Some("China".into()),
            }
        };
        let t = distribution(&rows, e, &group);
        let r: Vec<_> = t.records().collect();
        // strategy x China: 3 cities; 2 more advanced, 1 basic
        assert_eq!(r[0].str("characteristic").as_deref(), Some("strategy"));
        assert_eq!(r[0].str("group").as_deref(), Some("China"));
        assert_eq!(r[0].i64("cities"), Some(3));
        assert_eq!(r[0].f64("basic %"), Some(33.3));
        assert_eq!(r[0].f64("more advanced %"), Some(66.7));
        assert_eq!(r[0].f64("not assessed %"), Some(0.0));
        // funding x China: only city 3 answered; the two others count as not assessed
        let f = r
            .iter()
            .find(|x| {
                x.str("characteristic").as_deref() == Some("funding")
                    && x.str("group").as_deref() == Some("China")
            })
            .unwrap();
        assert_eq!(f.f64("average %"), Some(33.3));
        assert_eq!(f.f64("not assessed %"), Some(66.7));
    }
}
