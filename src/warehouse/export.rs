//! `citybench export`: the analyst-facing marts as a dataset other engines read as is.
//!
//! Each mart becomes a directory `<out>/<mart>/`, hive-partitioned by its year column
//! (`analysis_year=2024/data_0.parquet`, or `year=` for the verification flags); marts
//! without a year (the index tables, the maturity distribution) are one file
//! `<mart>/data_0.parquet`, and so is an empty mart (its file keeps the columns).
//! `<out>/_schema.json` lists every table with its partition column, row count, files and
//! column types. The marts are the views `citybench sql` serves, so confidential values are
//! withheld exactly as there (METHODOLOGY section 10).
//!
//! DuckDB writes the files (`COPY ... TO ... (PARTITION_BY ...)`) on one thread with the
//! rows ordered by every column, so the same workspace exports byte-identical files. The
//! export is written into a temporary directory beside `<out>` and renamed into place; an
//! earlier export at `<out>` (it has a `_schema.json`, and nothing its schema does not list)
//! is replaced, any other non-empty directory is refused.

use std::path::{Path, PathBuf};

use duckdb::{AccessMode, Config, Connection};
use serde::Serialize;

use super::{MODELS, db_err, quote};
use crate::error::{Error, IoContext, Result};
use crate::store::DB_FILE;
use crate::store::Workspace;

/// The file written beside the tables.
pub const SCHEMA_FILE: &str = "_schema.json";
/// Layout version of the export (in `_schema.json`).
pub const EXPORT_VERSION: u32 = 1;
/// Year columns a mart is partitioned by, in order of preference.
const PARTITION_COLUMNS: [&str; 2] = ["analysis_year", "year"];

/// File format of the exported tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DatasetFormat {
    Parquet,
    Csv,
}

impl DatasetFormat {
    fn extension(self) -> &'static str {
        match self {
            DatasetFormat::Parquet => "parquet",
            DatasetFormat::Csv => "csv",
        }
    }

    /// The select list of a table's export: CSV is opened in spreadsheets, so text cells a
    /// spreadsheet would read as a formula (a city name or a target source starting with
    /// `=`, `+`, `-`, `@`) get a leading single quote ([`crate::text::spreadsheet_cell_sql`]).
    fn projection(self, columns: &[ColumnInfo]) -> String {
        let text: Vec<String> = columns
            .iter()
            .filter(|c| self == DatasetFormat::Csv && c.type_name == "VARCHAR")
            .map(|c| {
                let id = format!("\"{}\"", c.name.replace('"', "\"\""));
                format!("{} AS {id}", crate::text::spreadsheet_cell_sql(&id))
            })
            .collect();
        if text.is_empty() {
            "*".to_string()
        } else {
            format!("* REPLACE ({})", text.join(", "))
        }
    }

    fn copy_options(self) -> &'static str {
        match self {
            DatasetFormat::Parquet => "FORMAT parquet, COMPRESSION zstd",
            DatasetFormat::Csv => "FORMAT csv, HEADER true",
        }
    }
}

/// One column in `_schema.json`.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnInfo {
    pub name: String,
    /// DuckDB's type name (`VARCHAR`, `DOUBLE`, `INTEGER`, `BOOLEAN`, ...).
    #[serde(rename = "type")]
    pub type_name: String,
}

/// One exported table.
#[derive(Debug, Clone, Serialize)]
pub struct TableInfo {
    pub name: String,
    /// Directory of the table, relative to the export.
    pub path: String,
    /// Hive partition column (`analysis_year=2024/`), if any.
    pub partition_by: Vec<String>,
    pub rows: u64,
    /// Data files, relative to the export, sorted.
    pub files: Vec<String>,
    /// Columns as the view has them (partition columns included).
    pub columns: Vec<ColumnInfo>,
}

/// `_schema.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub export_version: u32,
    pub engine_version: String,
    pub format: DatasetFormat,
    pub hive_partitioning: bool,
    pub confidentiality: String,
    pub tables: Vec<TableInfo>,
}

/// The marts an export may contain, in model order.
pub fn exportable() -> Vec<&'static str> {
    MODELS
        .iter()
        .filter(|(_, file, _)| file.starts_with("queries/marts/"))
        .map(|(name, _, _)| *name)
        .collect()
}

/// The marts named in `tables` (all when empty), in model order; an unknown name is an
/// error listing the valid ones.
fn choose(tables: &[String]) -> Result<Vec<&'static str>> {
    let all = exportable();
    for t in tables {
        if !all.contains(&t.as_str()) {
            return Err(Error::Usage(format!(
                "unknown table '{t}' for --tables; valid: {}",
                all.join(", ")
            )));
        }
    }
    Ok(if tables.is_empty() {
        all
    } else {
        all.into_iter()
            .filter(|a| tables.iter().any(|t| t == a))
            .collect()
    })
}

/// The published run's database (held while the caller reads it: the returned pin keeps
/// its generation from being removed), which must exist.
fn workspace_db(ws: &Workspace) -> Result<(crate::store::publish::Pinned, PathBuf)> {
    let root = crate::store::publish::absolute_root(ws)?;
    let pinned = crate::store::publish::pin(ws)?;
    let db = pinned.database().to_path_buf();
    if !db.is_file() {
        return Err(Error::Usage(format!(
            "{} does not exist yet; run `citybench -w {} run` first",
            root.join(DB_FILE).display(),
            ws.root().display()
        )));
    }
    Ok((pinned, db))
}

/// Export `tables` (all marts when empty) of `ws` to `out`.
pub fn export(
    ws: &Workspace,
    out: &Path,
    tables: &[String],
    format: DatasetFormat,
) -> Result<Manifest> {
    let chosen = choose(tables)?;
    let (_pinned, db) = workspace_db(ws)?;
    check_destination(out)?;
    let out = std::path::absolute(out).at(out)?;
    let parent = out
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&parent).at(&parent)?;
    let tmp = crate::store::temp_path(&out);
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).at(&tmp)?;
    let result = write_tables(&db, &tmp, &chosen, format);
    let manifest = match result {
        Ok(m) => m,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    let json = serde_json::to_vec_pretty(&manifest).expect("serialises");
    crate::store::atomic_write(&tmp.join(SCHEMA_FILE), &json)?;
    replace_dir(&tmp, &out)?;
    Ok(manifest)
}

/// `out` must not exist, be empty, or hold an earlier export and nothing else (an
/// export is replaced whole: a file added to it would be lost).
fn check_destination(out: &Path) -> Result<()> {
    if std::fs::symlink_metadata(out).is_err() {
        return Ok(());
    }
    if !out.is_dir() {
        return Err(Error::Usage(format!(
            "--out {} is a file; name a directory",
            out.display()
        )));
    }
    let empty = std::fs::read_dir(out).at(out)?.next().is_none();
    if empty {
        return Ok(());
    }
    let schema = out.join(SCHEMA_FILE);
    if !schema.is_file() {
        return Err(Error::Usage(format!(
            "--out {} is a directory that is neither empty nor an earlier citybench export (no {SCHEMA_FILE}); choose another directory",
            out.display()
        )));
    }
    match foreign_entry(out, &schema)? {
        None => Ok(()),
        Some(name) => Err(Error::Usage(format!(
            "--out {} holds an earlier export and also {name}, which the export did not write; an export is replaced whole, so move {name} out or choose another directory",
            out.display()
        ))),
    }
}

/// The first entry of an earlier export `out` its `_schema.json` does not list (the
/// tables' directories and files), if any.
fn foreign_entry(out: &Path, schema: &Path) -> Result<Option<String>> {
    let text = std::fs::read_to_string(schema).at(schema)?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error::input(schema, format!("not a citybench export schema: {e}")))?;
    let mut listed: std::collections::BTreeSet<String> = [SCHEMA_FILE.to_string()].into();
    for t in v["tables"].as_array().into_iter().flatten() {
        if let Some(p) = t["path"].as_str() {
            listed.insert(p.to_string());
        }
        for f in t["files"].as_array().into_iter().flatten() {
            listed.extend(f.as_str().map(str::to_string));
        }
    }
    let mut found = Vec::new();
    list_entries(out, out, &mut found)?;
    found.sort();
    Ok(found.into_iter().find(|rel| {
        // a directory on the way to a listed file is the export's own
        !listed.contains(rel) && !listed.iter().any(|l| l.starts_with(&format!("{rel}/")))
    }))
}

/// Every file and directory under `dir`, relative to `base`.
fn list_entries(base: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    for e in std::fs::read_dir(dir).at(dir)? {
        let p = e.at(dir)?.path();
        let rel = p.strip_prefix(base).unwrap_or(&p);
        out.push(rel.to_string_lossy().replace('\\', "/"));
        if p.is_dir() && !p.is_symlink() {
            list_entries(base, &p, out)?;
        }
    }
    Ok(())
}

/// Move `tmp` to `out`, replacing an earlier export.
fn replace_dir(tmp: &Path, out: &Path) -> Result<()> {
    if let Some(old) = crate::store::publish::swap(tmp, out)? {
        std::fs::remove_dir_all(&old).at(&old)?;
    }
    Ok(())
}

fn write_tables(db: &Path, dir: &Path, tables: &[&str], format: DatasetFormat) -> Result<Manifest> {
    let ctx = db.display().to_string();
    let config = Config::default()
        .access_mode(AccessMode::ReadOnly)
        .map_err(|e| db_err(&ctx, e))?;
    let conn = Connection::open_with_flags(db, config).map_err(|e| db_err(&ctx, e))?;
    // one thread: the same rows give the same files
    conn.execute_batch("SET threads = 1; SET preserve_insertion_order = true;")
        .map_err(|e| db_err(&ctx, e))?;
    let mut infos = Vec::new();
    for &t in tables {
        let columns: Vec<ColumnInfo> = {
            let mut st = conn
                .prepare(&format!("DESCRIBE SELECT * FROM {t}"))
                .map_err(|e| db_err(t, e))?;
            st.query_map([], |r| {
                Ok(ColumnInfo {
                    name: r.get(0)?,
                    type_name: r.get(1)?,
                })
            })
            .map_err(|e| db_err(t, e))?
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| db_err(t, e))?
        };
        let tdir = dir.join(t);
        std::fs::create_dir_all(&tdir).at(&tdir)?;
        let select = format!(
            "SELECT {} FROM {t} ORDER BY ALL",
            format.projection(&columns)
        );
        let copy = |partition: Option<&str>| -> Result<usize> {
            let sql = match partition {
                Some(p) => format!(
                    "COPY ({select}) TO {} ({}, PARTITION_BY (\"{p}\"), FILENAME_PATTERN 'data_{{i}}')",
                    quote(&tdir.to_string_lossy()),
                    format.copy_options()
                ),
                None => format!(
                    "COPY ({select}) TO {} ({})",
                    quote(
                        &tdir
                            .join(format!("data_0.{}", format.extension()))
                            .to_string_lossy()
                    ),
                    format.copy_options()
                ),
            };
            // COPY reports the rows it wrote: the mart is computed once
            conn.execute(&sql, []).map_err(|e| db_err(t, e))
        };
        let year_column = PARTITION_COLUMNS
            .iter()
            .find(|p| columns.iter().any(|c| c.name == **p))
            .copied();
        let (rows, partition) = match year_column {
            Some(p) => match copy(Some(p))? {
                // an empty mart writes no partition: one empty file keeps its columns
                0 => (copy(None)?, None),
                n => (n, Some(p.to_string())),
            },
            None => (copy(None)?, None),
        };
        let mut files = Vec::new();
        list_files(dir, &tdir, &mut files)?;
        files.sort();
        infos.push(TableInfo {
            name: t.to_string(),
            path: t.to_string(),
            partition_by: partition.into_iter().collect(),
            rows: rows as u64,
            files,
            columns,
        });
    }
    Ok(Manifest {
        export_version: EXPORT_VERSION,
        engine_version: env!("CARGO_PKG_VERSION").to_string(),
        format,
        hive_partitioning: true,
        confidentiality: "the analyst-facing marts of `citybench sql`: confidential values withheld (METHODOLOGY section 10)".to_string(),
        tables: infos,
    })
}

/// The table of a publishable database that says what it is.
pub const PUBLICATION_TABLE: &str = "_publication";

/// `citybench export --format duckdb`: the published surface as one DuckDB database file
/// for analysts and any DuckDB client: each chosen mart becomes a table (its rows, ordered
/// by every column), plus [`PUBLICATION_TABLE`] (engine version, tables, rows and the
/// confidentiality note). Nothing else: no `src_`/`stg_` views, no view that reads the
/// workspace's files, no path of the workspace, so the file can be handed on as it is
/// (the workspace's own `citybench.duckdb` is the custodian's). Written to a temporary
/// file and renamed into place; an existing `out` is refused (nothing is replaced).
/// Returns (table, rows) in model order.
pub fn database(ws: &Workspace, out: &Path, tables: &[String]) -> Result<Vec<(String, u64)>> {
    let chosen = choose(tables)?;
    let (_pinned, db) = workspace_db(ws)?;
    if out.exists() {
        return Err(Error::Usage(format!(
            "--out {} exists; citybench does not replace it: remove it or choose another file name",
            out.display()
        )));
    }
    let out = std::path::absolute(out).at(out)?;
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).at(parent)?;
    }
    let tmp = crate::store::temp_path(&out);
    let _ = std::fs::remove_file(&tmp);
    let written = write_database(&db, &tmp, &chosen);
    let counts = match written {
        Ok(c) => c,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    std::fs::File::open(&tmp).at(&tmp)?.sync_all().at(&tmp)?;
    crate::store::commit_rename(&tmp, &out)?;
    Ok(counts)
}

fn write_database(db: &Path, path: &Path, tables: &[&str]) -> Result<Vec<(String, u64)>> {
    let ctx = path.display().to_string();
    let conn = Connection::open(path).map_err(|e| db_err(&ctx, e))?;
    // one thread: the same workspace gives the same tables in the same order
    conn.execute_batch(&format!(
        "SET threads = 1; SET preserve_insertion_order = true; ATTACH {} AS ws (READ_ONLY);",
        quote(&db.to_string_lossy())
    ))
    .map_err(|e| db_err(&db.display().to_string(), e))?;
    let mut counts = Vec::new();
    for &t in tables {
        conn.execute_batch(&format!(
            "CREATE TABLE main.{t} AS SELECT * FROM ws.main.{t} ORDER BY ALL"
        ))
        .map_err(|e| db_err(t, e))?;
        let n: i64 = conn
            .query_row(&format!("SELECT count(*) FROM main.{t}"), [], |r| r.get(0))
            .map_err(|e| db_err(t, e))?;
        counts.push((t.to_string(), n as u64));
    }
    let values: Vec<String> = counts
        .iter()
        .map(|(t, n)| format!("({}, {n})", quote(t)))
        .collect();
    let note = "the published surface of a citybench workspace: the marts, with confidential values withheld and every statistic computed without them (METHODOLOGY section 10)";
    conn.execute_batch(&format!(
        "DETACH ws;
         CREATE TABLE main.{PUBLICATION_TABLE} AS
         SELECT {} AS engine_version, {} AS confidentiality, t.table_name, t.row_count
         FROM (VALUES {}) AS t(table_name, row_count);
         CHECKPOINT;",
        quote(env!("CARGO_PKG_VERSION")),
        quote(note),
        values.join(", ")
    ))
    .map_err(|e| db_err(&ctx, e))?;
    Ok(counts)
}

fn list_files(base: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    for e in std::fs::read_dir(dir).at(dir)? {
        let p = e.at(dir)?.path();
        if p.is_dir() {
            list_files(base, &p, out)?;
        } else {
            let rel = p.strip_prefix(base).unwrap_or(&p);
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}
