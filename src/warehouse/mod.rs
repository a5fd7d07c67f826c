//! DuckDB over the pipeline's outputs.
//!
//! Each publication (`run`, `verify`, `index`; [`crate::store::publish`]) builds the
//! database of its generation, `generations/<id>/citybench.duckdb` ([`build_in`]): Rust
//! registers each of the generation's Parquet files as a source view `src_<table>` (an
//! absolute path, so the database opens from any working directory and from any DuckDB
//! client); then the SQL files of `queries/` create the staging views and the marts, in
//! the order of [`MODELS`]. Each file is one `SELECT`; the view is named after the file
//! (dbt style). SQL files never contain file paths. The workspace's `citybench.duckdb` is a
//! link to the published generation's database.
//!
//! Ad-hoc queries ([`Warehouse::open_read_only`]) run on a read-only connection that may
//! read only the workspace's files (`allowed_directories`, `enable_external_access =
//! false`, `lock_configuration = true`), and each statement must be a single `SELECT`
//! (run through DuckDB's `query()` table function, which accepts nothing else): no
//! `COPY`, `ATTACH`, `INSTALL`, `LOAD` or `SET`.

pub mod export;

use std::path::{Path, PathBuf};

use duckdb::arrow::array::{Array, AsArray};
use duckdb::arrow::datatypes::{
    DataType as ADataType, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::arrow::util::display::{ArrayFormatter, FormatOptions};
use duckdb::{AccessMode, Config, Connection};
use serde_json::Value;

use crate::error::{Error, IoContext, Result};
use crate::output::Rows;
use crate::schema::derived::TABLES;
use crate::store::publish::{self, Pinned, Publication};
use crate::store::{DB_FILE, Workspace};

macro_rules! model {
    ($dir:literal, $name:literal) => {
        (
            $name,
            concat!("queries/", $dir, "/", $name, ".sql"),
            include_str!(concat!("../../queries/", $dir, "/", $name, ".sql")),
        )
    };
}

/// The views built from `queries/`, in creation order: (view name, file, SQL).
pub const MODELS: &[(&str, &str, &str)] = &[
    model!("staging", "stg_catalog"),
    model!("staging", "stg_cities"),
    model!("staging", "stg_observations"),
    model!("staging", "stg_aligned"),
    model!("staging", "stg_attainment"),
    model!("staging", "stg_peer_stats"),
    model!("staging", "stg_percentiles"),
    model!("staging", "stg_gaps"),
    model!("staging", "stg_rollups"),
    model!("staging", "stg_rollups_published"),
    model!("staging", "stg_trends"),
    model!("staging", "stg_maturity_levels"),
    model!("staging", "stg_maturity_dimensions"),
    model!("staging", "stg_maturity_dimensions_published"),
    model!("staging", "stg_assessments"),
    model!("staging", "stg_verification_flags"),
    model!("staging", "stg_index_scores"),
    model!("staging", "stg_index_ranks"),
    model!("staging", "stg_index_units"),
    model!("staging", "stg_index_diagnostics"),
    model!("staging", "stg_index_uncertainty"),
    model!("staging", "stg_index_sensitivity"),
    model!("staging", "stg_index_correlations"),
    model!("staging", "stg_index_aggregates"),
    model!("staging", "stg_index_denominator_correlations"),
    model!("staging", "stg_index_unit_diagnostics"),
    model!("staging", "stg_index_strengths"),
    model!("marts", "city_scorecard"),
    model!("marts", "peer_benchmarks"),
    model!("marts", "kpi_gaps"),
    model!("marts", "kpi_trends"),
    model!("marts", "category_rollups"),
    model!("marts", "maturity_levels"),
    model!("marts", "maturity_distribution"),
    model!("marts", "verification_flags"),
    model!("marts", "index_scores"),
    model!("marts", "index_ranks"),
    model!("marts", "index_uncertainty"),
    model!("marts", "index_sensitivity"),
    model!("marts", "index_diagnostics"),
    model!("marts", "index_screening"),
    model!("marts", "index_correlations"),
    model!("marts", "index_aggregates"),
    model!("marts", "index_denominator_correlations"),
    model!("marts", "index_unit_diagnostics"),
    model!("marts", "index_strengths"),
];

/// `queries/checks/assert_*.sql`: each must return zero rows on a valid workspace. The
/// slowest first ([`run_checks`] runs them on two connections, each taking the next).
pub const CHECKS: &[(&str, &str, &str)] = &[
    model!("checks", "assert_maturity_levels"),
    model!("checks", "assert_unique_keys"),
    model!("checks", "assert_finite_values"),
    model!("checks", "assert_percentile_range"),
    model!("checks", "assert_points_range"),
    model!("checks", "assert_coverage_range"),
    model!("checks", "assert_suppressed_without_values"),
    model!("checks", "assert_rollup_score"),
    model!("checks", "assert_quantiles_ordered"),
    model!("checks", "assert_index_ranges"),
];

/// `queries/examples/*.sql`: ad-hoc analyses to copy (each runs in the tests).
pub const EXAMPLES: &[(&str, &str, &str)] = &[
    model!("examples", "peers_beating_me_on_water_loss"),
    model!("examples", "europe_median_misses_target"),
    model!("examples", "top_cities_overall"),
    model!("examples", "worsening_trends_by_continent"),
    model!("examples", "low_coverage_dimensions"),
    model!("examples", "distribution_by_population_band"),
    model!("examples", "kpi_maturity_by_continent"),
    model!("examples", "verification_worklist"),
    model!("examples", "staircase_violations"),
    model!("examples", "index_rank_intervals"),
    model!("examples", "index_leaders_by_continent"),
];

/// What an example answers, for `sql --examples`: the first sentence (to the first `?`
/// or `.` before a space) of its leading comment, without a leading `<name>: `, first
/// letter upper case.
pub fn example_summary(name: &str, sql: &str) -> String {
    let comment: Vec<&str> = sql
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty())
        .map_while(|l| l.strip_prefix("--"))
        .map(str::trim)
        .collect();
    let comment = comment.join(" ");
    let text = comment
        .strip_prefix(name)
        .and_then(|r| r.strip_prefix(':'))
        .map_or(comment.as_str(), str::trim_start);
    let end = text
        .char_indices()
        .find(|&(i, c)| {
            matches!(c, '?' | '.') && text[i + 1..].chars().next().is_none_or(char::is_whitespace)
        })
        .map_or(text.len(), |(i, _)| i + 1);
    let mut c = text[..end].chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Source tables that exist only after another command (`citybench verify` writes
/// `derived/verification_flags.parquet`, `citybench index` the `index_*` tables): until
/// then their view is empty, with the table's columns and types.
pub const OPTIONAL_SOURCES: &[(&str, &str)] = &[
    (
        "verification_flags",
        "SELECT * FROM (VALUES (NULL::VARCHAR, NULL::VARCHAR, NULL::INTEGER, NULL::VARCHAR, \
         NULL::VARCHAR, NULL::DOUBLE, NULL::DOUBLE, NULL::DOUBLE, NULL::VARCHAR, NULL::BOOLEAN, \
         NULL::VARCHAR, NULL::VARCHAR)) AS t(city_id, data_point_id, year, rule, severity, value, \
         reference, reference_2, reference_id, confidential, message, public_message) WHERE false",
    ),
    (
        "index_scores",
        "SELECT * FROM (VALUES (NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::INTEGER, NULL::VARCHAR, NULL::VARCHAR, NULL::DOUBLE, NULL::DOUBLE, NULL::BOOLEAN, NULL::DOUBLE, NULL::DOUBLE, NULL::INTEGER)) AS t(unit_id, unit_name, code, name, level, level_name, parent, weight, raw, imputed, treated, score, rank) WHERE false",
    ),
    (
        "index_ranks",
        "SELECT * FROM (VALUES (NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::DOUBLE, NULL::INTEGER, NULL::INTEGER)) AS t(unit_id, unit_name, code, grouping, \"group\", score, rank, n) WHERE false",
    ),
    (
        "index_units",
        "SELECT * FROM (VALUES (NULL::VARCHAR, NULL::VARCHAR, NULL::INTEGER, NULL::DOUBLE, NULL::BOOLEAN, NULL::VARCHAR, NULL::BOOLEAN)) AS t(unit_id, unit_name, indicators_present, availability, included, reason, confidential_entered) WHERE false",
    ),
    (
        "index_diagnostics",
        "SELECT * FROM (VALUES (NULL::VARCHAR, NULL::VARCHAR, NULL::INTEGER, NULL::VARCHAR, NULL::VARCHAR, NULL::DOUBLE, NULL::INTEGER, NULL::INTEGER, NULL::DOUBLE, NULL::DOUBLE, NULL::DOUBLE, NULL::DOUBLE, NULL::DOUBLE, NULL::DOUBLE, NULL::DOUBLE, NULL::DOUBLE, NULL::VARCHAR, NULL::INTEGER, NULL::INTEGER, NULL::DOUBLE, NULL::DOUBLE, NULL::DOUBLE, NULL::DOUBLE, NULL::DOUBLE, NULL::DOUBLE, NULL::INTEGER, NULL::DOUBLE, NULL::DOUBLE)) AS t(code, name, level, level_name, parent, weight, direction, n, availability, min, max, mean, median, sd, skew, kurtosis, treatment, clipped_high, clipped_low, skew_treated, kurtosis_treated, pearson_parent, spearman_parent, removal_mean_rank_change, removal_max_rank_change, winsorise_attempted, skew_winsorised, kurtosis_winsorised) WHERE false",
    ),
    (
        "index_uncertainty",
        "SELECT * FROM (VALUES (NULL::VARCHAR, NULL::VARCHAR, NULL::DOUBLE, NULL::INTEGER, NULL::DOUBLE, NULL::DOUBLE, NULL::DOUBLE, NULL::DOUBLE, NULL::DOUBLE, NULL::INTEGER)) AS t(unit_id, unit_name, nominal_score, nominal_rank, median_rank, mean_rank, rank_p05, rank_p95, rank_interval, samples) WHERE false",
    ),
    (
        "index_sensitivity",
        "SELECT * FROM (VALUES (NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::DOUBLE, NULL::DOUBLE, NULL::DOUBLE, NULL::DOUBLE, NULL::DOUBLE, NULL::DOUBLE, NULL::DOUBLE, NULL::INTEGER)) AS t(target, unit_id, unit_name, factor, first_order, total_effect, first_order_p05, first_order_p95, total_effect_p05, total_effect_p95, variance, samples_per_factor) WHERE false",
    ),
    (
        "index_correlations",
        "SELECT * FROM (VALUES (NULL::VARCHAR, NULL::INTEGER, NULL::VARCHAR, NULL::VARCHAR, NULL::INTEGER, NULL::DOUBLE, NULL::DOUBLE, NULL::VARCHAR)) AS t(parent, level, code_1, code_2, n, pearson, spearman, flag) WHERE false",
    ),
    (
        "index_aggregates",
        "SELECT * FROM (VALUES (NULL::VARCHAR, NULL::VARCHAR, NULL::INTEGER, NULL::INTEGER, NULL::DOUBLE, NULL::INTEGER, NULL::DOUBLE, NULL::DOUBLE)) AS t(code, name, level, children, cronbach_alpha, pca_units, pc1_eigenvalue, pc1_variance_share) WHERE false",
    ),
    (
        "index_denominator_correlations",
        "SELECT * FROM (VALUES (NULL::VARCHAR, NULL::VARCHAR, NULL::INTEGER, NULL::DOUBLE, NULL::BOOLEAN)) AS t(code, denominator, n, pearson, flagged) WHERE false",
    ),
    (
        "index_unit_diagnostics",
        "SELECT * FROM (VALUES (NULL::VARCHAR, NULL::VARCHAR, NULL::INTEGER, NULL::INTEGER, NULL::DOUBLE, NULL::INTEGER)) AS t(unit_id, unit_name, n_missing, n_zero, non_zero_share, n_imputed) WHERE false",
    ),
    (
        "index_strengths",
        "SELECT * FROM (VALUES (NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::INTEGER, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::INTEGER, NULL::DOUBLE)) AS t(unit_id, unit_name, kind, position, code, name, parent, rank, value) WHERE false",
    ),
];

fn db_err(context: &str, e: duckdb::Error) -> Error {
    Error::Input {
        path: PathBuf::from(context),
        message: e.to_string(),
    }
}

/// An SQL string literal.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Remove comments' trailing semicolons and whitespace so a file's single statement can
/// be wrapped in a view or in `query()`.
pub fn strip_statement(sql: &str) -> String {
    let mut s = sql.trim_end().to_string();
    while s.ends_with(';') {
        s.pop();
        s = s.trim_end().to_string();
    }
    s
}

/// Start a generation ([`Publication::begin`]) after converting a workspace from before
/// generations into one with a database of its own ([`publish::adopt_legacy`]): how `run`,
/// `verify` and `index` begin publishing.
pub fn begin_publication(ws: &Workspace, command: &'static str) -> Result<Publication> {
    publish::adopt_legacy(ws, |dir| build_in(dir).map(drop))?;
    Publication::begin(ws, command)
}

/// Build `dir/citybench.duckdb`, the database of a generation being published (`dir`:
/// `generations/<id>`, absolute): a view `src_<table>` over each `dir/<table>.parquet` by
/// that path (never through the `derived` link, so a reader that opened this database keeps
/// reading these files after the next publication), then the staging views and the marts.
/// An optional source missing from `dir` is an empty view with its columns.
pub fn build_in(dir: &Path) -> Result<PathBuf> {
    let path = dir.join(DB_FILE);
    let _ = std::fs::remove_file(&path);
    {
        let conn = Connection::open(&path).map_err(|e| db_err(&path.display().to_string(), e))?;
        // one transaction for every view: committed one by one they took a third longer
        // (0.12 s against 0.09 s at 5 000 cities)
        conn.execute_batch("BEGIN TRANSACTION")
            .map_err(|e| db_err(&path.display().to_string(), e))?;
        for (name, _) in TABLES {
            let file = dir.join(format!("{name}.parquet"));
            let sql = format!(
                "CREATE VIEW src_{name} AS SELECT * FROM read_parquet({})",
                quote(&file.to_string_lossy())
            );
            conn.execute_batch(&sql)
                .map_err(|e| db_err(&file.display().to_string(), e))?;
        }
        for (name, empty) in OPTIONAL_SOURCES {
            let file = dir.join(format!("{name}.parquet"));
            let select = if file.exists() {
                format!(
                    "SELECT * FROM read_parquet({})",
                    quote(&file.to_string_lossy())
                )
            } else {
                empty.to_string()
            };
            conn.execute_batch(&format!("CREATE VIEW src_{name} AS {select}"))
                .map_err(|e| db_err(&file.display().to_string(), e))?;
        }
        for (name, file, sql) in MODELS {
            let create = format!("CREATE VIEW {name} AS\n{}", strip_statement(sql));
            conn.execute_batch(&create).map_err(|e| db_err(file, e))?;
        }
        conn.execute_batch(&audience_comments())
            .map_err(|e| db_err(&path.display().to_string(), e))?;
        conn.execute_batch("COMMIT")
            .map_err(|e| db_err(&path.display().to_string(), e))?;
        conn.execute_batch("CHECKPOINT")
            .map_err(|e| db_err(&path.display().to_string(), e))?;
    }
    let f = std::fs::File::open(&path).at(&path)?;
    f.sync_all().at(&path)?;
    Ok(path)
}

/// The comment of a custodian-only view (`src_*`, `stg_*`), shown by DuckDB clients
/// (`duckdb_views()`, DBeaver): the boundary of METHODOLOGY section 10, in the database.
pub const CUSTODIAN_COMMENT: &str = "custodian only: every value, confidential ones included (METHODOLOGY section 10); publish the marts (citybench export), not this view";
/// The comment of a mart.
pub const PUBLISHED_COMMENT: &str = "published: confidential values withheld, every statistic computed without them (METHODOLOGY section 10)";

/// `COMMENT ON VIEW` statements marking each source and staging view as the custodian's
/// and each mart as published.
fn audience_comments() -> String {
    let mut views: Vec<String> = TABLES
        .iter()
        .map(|(n, _)| format!("src_{n}"))
        .chain(OPTIONAL_SOURCES.iter().map(|(n, _)| format!("src_{n}")))
        .collect();
    views.extend(MODELS.iter().map(|(n, _, _)| n.to_string()));
    views
        .iter()
        .map(|v| {
            let c = if v.starts_with("src_") || v.starts_with("stg_") {
                CUSTODIAN_COMMENT
            } else {
                PUBLISHED_COMMENT
            };
            format!("COMMENT ON VIEW {v} IS {};\n", quote(c))
        })
        .collect()
}

/// A read-only, locked-down connection to a workspace's database.
pub struct Warehouse {
    conn: Connection,
    /// The publication it reads, held until the connection is dropped.
    pinned: Pinned,
}

impl Warehouse {
    /// Open the published `citybench.duckdb` read-only; ad-hoc SQL may read only the
    /// workspace's files. The publication is resolved once and held ([`publish::pin`]):
    /// every query of this connection reads the same run, whatever is published meanwhile.
    pub fn open_read_only(ws: &Workspace) -> Result<Self> {
        let root = publish::absolute_root(ws)?;
        let pinned = publish::pin(ws)?;
        if !pinned.database().is_file() {
            return Err(Error::Usage(format!(
                "{} does not exist yet; run `citybench -w {} run` first",
                root.join(DB_FILE).display(),
                ws.root().display()
            )));
        }
        Self::open(pinned, &root)
    }

    /// Open the database of a generation not yet published (`run` checks it before the
    /// switch), locked down the same way.
    pub fn open_unpublished(dir: &Path, root: &Path) -> Result<Self> {
        Self::open(Pinned::unpublished(dir), root)
    }

    fn open(pinned: Pinned, root: &Path) -> Result<Self> {
        let path = pinned.database().to_path_buf();
        let config = Config::default()
            .access_mode(AccessMode::ReadOnly)
            .map_err(|e| db_err(&path.display().to_string(), e))?;
        let conn = Connection::open_with_flags(&path, config)
            .map_err(|e| db_err(&path.display().to_string(), e))?;
        let mut dir = root.to_string_lossy().to_string();
        if !dir.ends_with('/') {
            dir.push('/');
        }
        conn.execute_batch(&format!(
            "SET allowed_directories = [{}]; SET enable_external_access = false; SET lock_configuration = true;",
            quote(&dir)
        ))
        .map_err(|e| db_err(&path.display().to_string(), e))?;
        Ok(Warehouse { conn, pinned })
    }

    /// The directory of the tables this database reads (the generation it was opened on).
    pub fn dir(&self) -> &Path {
        self.pinned.dir()
    }

    /// The record of the run whose tables this database reads: the generation's
    /// `run.json`; `None` for a workspace from before generations (its newest `runs/`
    /// record is the one).
    pub fn run_record(&self) -> Option<PathBuf> {
        self.pinned.run_record()
    }

    /// Run one read-only statement (a `SELECT`, `WITH`, `FROM`, `DESCRIBE`, `SHOW`,
    /// `SUMMARIZE`, ...) and return its rows. DuckDB's message is the error.
    pub fn query(&self, sql: &str) -> Result<Rows> {
        let stmt = strip_statement(sql);
        if stmt.trim().is_empty() {
            return Err(Error::Usage("empty query".into()));
        }
        let wrapped = format!("SELECT * FROM query({})", quote(&stmt));
        let fail = |e: duckdb::Error| match refuse(e, &stmt) {
            Error::Sql(m) => Error::Sql(self.in_user_terms(m, &stmt)),
            other => other,
        };
        let mut prepared = self.conn.prepare(&wrapped).map_err(fail)?;
        let batches: Vec<RecordBatch> = prepared.query_arrow([]).map_err(fail)?.collect();
        let columns: Vec<String> = prepared.column_names();
        Ok(to_rows(columns, &batches))
    }

    /// DuckDB's message `m` about the wrapped statement, in terms of the user's own text:
    /// where it quotes the wrapper (`LINE 1: SELECT * FROM query('...`), the user's single
    /// statement is prepared on its own (parsed and bound, never run: `query()` has already
    /// accepted it as one read-only query) for DuckDB's message with the line and caret in
    /// the user's text; if that does not fail the same way (an error raised while running),
    /// the message without the wrapper's context.
    fn in_user_terms(&self, m: String, stmt: &str) -> String {
        if !quotes_wrapper(&m) {
            return m;
        }
        if statement_starts(stmt).len() == 1
            && !m.starts_with("refused: ")
            && let Err(e) = self.conn.prepare(stmt)
        {
            let own = e.to_string();
            if error_kind(&own) == error_kind(&m) {
                return own;
            }
        }
        without_wrapper_context(&m)
    }

    /// Run one of citybench's own parameterised queries (`queries/report/`; `$1`, `$2`, ...
    /// bound to `params`) on the same locked-down connection. `file` names it in errors.
    pub fn query_params(&self, file: &str, sql: &str, params: &[&str]) -> Result<Rows> {
        query_params_on(&self.conn, file, sql, params)
    }
}

/// [`Warehouse::query_params`] on `conn`, a warehouse's connection or a clone of it.
fn query_params_on(conn: &Connection, file: &str, sql: &str, params: &[&str]) -> Result<Rows> {
    let fail = |e: duckdb::Error| Error::Input {
        path: PathBuf::from(file),
        message: e.to_string(),
    };
    let mut prepared = conn.prepare(&strip_statement(sql)).map_err(fail)?;
    let batches: Vec<RecordBatch> = prepared
        .query_arrow(duckdb::params_from_iter(params.iter()))
        .map_err(fail)?
        .collect();
    let columns: Vec<String> = prepared.column_names();
    Ok(to_rows(columns, &batches))
}

/// DuckDB's message; a statement that is not a single SELECT gets citybench's reason too:
/// several statements are named as such, one other statement by its keyword.
fn refuse(e: duckdb::Error, stmt: &str) -> Error {
    let m = e.to_string();
    if m.contains("Expected a single SELECT statement") {
        const ONE: &str = "refused: citybench sql runs one read-only query at a time (SELECT, WITH, FROM, DESCRIBE, SHOW, SUMMARIZE)";
        let statements = statement_starts(stmt);
        if statements.len() > 1 {
            let firsts: Vec<String> = statements.iter().map(|s| first_word(s)).collect();
            return Error::Sql(format!(
                "{ONE}; this input holds {} statements ({}) separated by ';': run them one by one\n{m}",
                statements.len(),
                firsts.join(", ")
            ));
        }
        return Error::Sql(format!(
            "{ONE}; {} statements are not allowed\n{m}",
            first_word(stmt)
        ));
    }
    Error::Sql(m)
}

/// Whether DuckDB's message has a `LINE n:` context: in [`Warehouse::query`] it quotes the
/// `SELECT * FROM query('...')` wrapper (whole, or cut to a window around the error that
/// starts with `...`), never the user's text as they wrote it.
fn quotes_wrapper(m: &str) -> bool {
    m.contains("\nLINE ")
}

/// The kind of a DuckDB message, the text before its first `: ` (`Binder Error`).
fn error_kind(m: &str) -> &str {
    m.split_once(": ").map_or(m, |(k, _)| k)
}

/// DuckDB's message without its `LINE n:` context and caret (which quote the wrapper).
fn without_wrapper_context(m: &str) -> String {
    match m.find("\nLINE ") {
        Some(i) => m[..i].trim_end().to_string(),
        None => m.to_string(),
    }
}

/// The first keyword of a statement, upper case.
fn first_word(stmt: &str) -> String {
    stmt.split_whitespace().next().unwrap_or("").to_uppercase()
}

/// The non-empty statements of `sql`, split at `;` outside quotes ('...', "...") and
/// comments (`--` to the end of the line, `/* ... */`). Only for messages: what may run is
/// decided by DuckDB's `query()`.
fn statement_starts(sql: &str) -> Vec<&str> {
    let b = sql.as_bytes();
    let (mut out, mut start, mut i) = (Vec::new(), 0, 0);
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b';' => {
                out.push(&sql[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(&sql[start.min(sql.len())..]);
    out.into_iter().filter(|s| !s.trim().is_empty()).collect()
}

/// Arrow batches to JSON-valued rows (numbers stay numbers; other types print as DuckDB
/// would show them).
pub fn to_rows(columns: Vec<String>, batches: &[RecordBatch]) -> Rows {
    let mut rows = Rows::new(columns);
    let opts = FormatOptions::default().with_null("");
    for b in batches {
        let cols: Vec<_> = b.columns().iter().collect();
        let fmts: Vec<Option<ArrayFormatter>> = cols
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &opts).ok())
            .collect();
        for i in 0..b.num_rows() {
            let mut row = Vec::with_capacity(cols.len());
            for (c, f) in cols.iter().zip(&fmts) {
                row.push(cell(c.as_ref(), i, f.as_ref()));
            }
            rows.push(row);
        }
    }
    rows
}

fn cell(a: &dyn Array, i: usize, f: Option<&ArrayFormatter>) -> Value {
    if a.is_null(i) {
        return Value::Null;
    }
    macro_rules! int {
        ($t:ty) => {
            Value::from(a.as_primitive::<$t>().value(i))
        };
    }
    match a.data_type() {
        ADataType::Boolean => Value::Bool(a.as_boolean().value(i)),
        ADataType::Int8 => int!(Int8Type),
        ADataType::Int16 => int!(Int16Type),
        ADataType::Int32 => int!(Int32Type),
        ADataType::Int64 => int!(Int64Type),
        ADataType::UInt8 => int!(UInt8Type),
        ADataType::UInt16 => int!(UInt16Type),
        ADataType::UInt32 => int!(UInt32Type),
        ADataType::UInt64 => int!(UInt64Type),
        ADataType::Float32 => float(a.as_primitive::<Float32Type>().value(i) as f64),
        ADataType::Float64 => float(a.as_primitive::<Float64Type>().value(i)),
        ADataType::Utf8 => Value::String(a.as_string::<i32>().value(i).to_string()),
        ADataType::LargeUtf8 => Value::String(a.as_string::<i64>().value(i).to_string()),
        ADataType::Utf8View => Value::String(a.as_string_view().value(i).to_string()),
        _ => Value::String(f.map(|f| f.value(i).to_string()).unwrap_or_default()),
    }
}

fn float(v: f64) -> Value {
    serde_json::Number::from_f64(v)
        .map(Value::Number)
        .unwrap_or_else(|| Value::String(v.to_string()))
}

/// Run every check; returns (check name, violating rows) for the failing ones, in the
/// order of [`CHECKS`].
///
/// The checks run on two connections to the one database at once, each taking the next
/// check when it is done with one: DuckDB runs most of them on one thread (their tables
/// are a row group or a few), and they were a tenth of `run`'s time at 5 000 cities.
pub fn run_checks(w: &Warehouse) -> Result<Vec<(&'static str, Rows)>> {
    let other = w
        .conn
        .try_clone()
        .map_err(|e| db_err(&w.pinned.database().display().to_string(), e))?;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let take = |conn: &Connection| -> Result<Vec<(usize, Rows)>> {
        let mut failed = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some((_, file, sql)) = CHECKS.get(i) else {
                return Ok(failed);
            };
            let rows = query_params_on(conn, file, sql, &[])?;
            if !rows.rows.is_empty() {
                failed.push((i, rows));
            }
        }
    };
    let (theirs, ours) = std::thread::scope(|s| {
        let take = &take;
        let theirs = s.spawn(move || take(&other));
        let ours = take(&w.conn);
        (theirs.join().expect("a check thread does not panic"), ours)
    });
    let mut failed = ours?;
    failed.extend(theirs?);
    failed.sort_by_key(|(i, _)| *i);
    Ok(failed
        .into_iter()
        .map(|(i, rows)| (CHECKS[i].0, rows))
        .collect())
}

#[cfg(test)]
mod statement_tests {
    use super::statement_starts;

    #[test]
    fn statements_split_outside_quotes_and_comments() {
        assert_eq!(statement_starts("select 1"), ["select 1"]);
        assert_eq!(statement_starts("select 1;"), ["select 1"]);
        assert_eq!(
            statement_starts("select ';' as a; copy x to 'y'"),
            ["select ';' as a", " copy x to 'y'"]
        );
        assert_eq!(
            statement_starts("select 1 -- a; b\n; /* ; */ select \"x;y\""),
            ["select 1 -- a; b\n", " /* ; */ select \"x;y\""]
        );
    }
}

#[cfg(test)]
mod wrapper_tests {
    use super::{error_kind, example_summary, quotes_wrapper, without_wrapper_context};

    #[test]
    fn an_example_is_summarised_by_the_first_sentence_of_its_comment() {
        assert_eq!(
            example_summary(
                "top",
                "-- top: which 20 cities (0.5 of\n--   them) lead? More.\nSELECT 1"
            ),
            "Which 20 cities (0.5 of them) lead?"
        );
        assert_eq!(
            example_summary("x", "\n  -- The three best. Then\nSELECT 1 -- no."),
            "The three best."
        );
        assert_eq!(example_summary("x", "-- no end\nSELECT 1"), "No end");
        assert_eq!(example_summary("x", "SELECT 1"), "");
    }

    const BINDER: &str = "Binder Error: Referenced column \"x\" not found in FROM clause!\nCandidate bindings: \"a\"\n\nLINE 1: SELECT * FROM query('select x from t')\n               ^^^^^^^^^";

    #[test]
    fn the_wrapper_context_is_recognised_and_cut() {
        assert!(quotes_wrapper(BINDER));
        assert!(quotes_wrapper(
            "Binder Error: x\n\nLINE 1: ... * FROM query('select data_point from t')\n                     ^^^"
        ));
        assert!(!quotes_wrapper("Permission Error: Cannot access file"));
        assert_eq!(
            without_wrapper_context(BINDER),
            "Binder Error: Referenced column \"x\" not found in FROM clause!\nCandidate bindings: \"a\""
        );
        assert_eq!(
            without_wrapper_context("Out of Range Error: x"),
            "Out of Range Error: x"
        );
        assert_eq!(error_kind(BINDER), "Binder Error");
        assert_eq!(error_kind("no colon"), "no colon");
    }
}
