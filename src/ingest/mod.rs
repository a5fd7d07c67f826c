//! `ingest`: read a submission file, validate every row, and commit an immutable batch.
//!
//! ```text
//! file --sha256 (on a thread of its own, while the file is read)--> the batch id <seq>-<sha>;
//!                                     already ingested? (refuse unless --force; reading stops)
//!      --read (csv | json | ndjson | parquet streamed; xlsx template)--> slices (parquet, csv) | RawRow
//!      --validate: columnar fast path (columnar.rs), else the row validator (hard rules, units)
//!                                    --> Accepted  --> raw/.tmp-batch=<seq>-<pid>/part-0.parquet
//!                                    |-> Statement --> (spill) raw/.tmp-batch=<seq>-<pid>/statements/not-reported.parquet
//!                                    \-> Problem   --> rejected/.tmp-<seq>-<pid>.csv
//!      --commit: rename batch dir, rename rejection file, replace manifest.json (the commit point)
//! ```
//! The rows are written before the hash names the batch: the batch id column, first in the
//! file, is added by the writer ([`BatchWriter`]), which keeps the row groups encoded
//! before that in memory. A file ingested before is still refused, with nothing staged
//! left, whatever its reading found meanwhile.
//!
//! Rows read = rows accepted + rows not reported + rows rejected, always. A statement ("Not
//! reported", "Not verified" in the value cell) is kept with its status and no value. Inside
//! one file an exact repeat of a
//! (city, data point, year, value) is rejected as a duplicate; two different values for the
//! same (city, data point, year) are both rejected as conflicting (the first one is removed
//! from the batch before it is committed).

pub mod batch;
pub mod columnar;
pub mod json_numbers;
pub mod parquet_guard;
pub mod raw_writer;
pub mod read;
pub mod validate;
pub mod xlsx;

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::{self, File};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use polars::prelude::*;

use crate::catalog::{Catalog, UnitRegistry};
use crate::config::Config;
use crate::digest::FileHasher;
use crate::encoding;
use crate::error::{Error, IoContext, Result};
use crate::registry::Registry;
use crate::schema::raw as col;
use crate::store::{BatchRecord, TMP_PREFIX, Workspace, commit_rename};
use crate::workbook;
pub use batch::{BatchWriter, Buffers, Named, Naming, RejectWriter, StatementSpill};
pub use read::{Cell, Format, RawRow, ReadOptions};
pub use validate::{Accepted, Checked, Dedupe, Problem, Statement, Validator};

/// Everything validation needs.
pub struct Context {
    pub catalog: Catalog,
    pub units: UnitRegistry,
    pub registry: Registry,
    pub config: Config,
}

/// Options of one ingest.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    pub read: ReadOptions,
    /// Ingest even when a byte-identical file was ingested before.
    pub force: bool,
    /// Latest accepted year (default: the current year + 1).
    pub year_max: Option<i32>,
    /// Check every Parquet row with the row validator alone, without the columnar fast
    /// path ([`columnar`]): the reference the tests compare the fast path with.
    pub row_by_row: bool,
}

/// How often each kind of rejection happened, with one example message.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReasonCount {
    pub field: String,
    pub kind: String,
    pub count: u64,
    pub example: String,
}

/// What happened to one file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileOutcome {
    pub file: String,
    /// The new batch, or None when the file was refused as already ingested.
    pub batch_id: Option<String>,
    /// The earlier batch with the same content, when refused.
    pub duplicate_of: Option<String>,
    pub format: String,
    pub rows_read: u64,
    pub rows_accepted: u64,
    /// Rows stating "not reported" / "not verified" instead of a value.
    pub rows_not_reported: u64,
    pub rows_rejected: u64,
    pub rejected_file: Option<String>,
    pub ignored_columns: Vec<String>,
    /// Rejection reasons, most frequent first.
    pub reasons: Vec<ReasonCount>,
    /// Why nothing was stored although the file was read (an empty template).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The current year (UTC).
pub fn current_year() -> i32 {
    use chrono::Datelike;
    chrono::Utc::now().year()
}

/// Ingest one file into the workspace. The caller holds the workspace lock.
pub fn ingest_file(
    ws: &Workspace,
    ctx: &Context,
    path: &Path,
    opts: &IngestOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<FileOutcome> {
    crate::input::check(path, crate::input::SUBMISSION)?;
    // what the first bytes say, before the whole file is read
    let format = read::detect_format(path)?;
    read::check_first_line(path, format)?;
    let mut manifest = ws.manifest()?;
    let display = path.display().to_string();
    let seq = manifest.next_seq();
    // the batch id ends with the file's hash, computed on a thread of its own while the
    // file is read: the batch is staged under a name of its own until then
    let stage = format!("{seq:06}-{}", std::process::id());
    let tmp_dir = ws.raw_dir().join(format!("{TMP_PREFIX}batch={stage}"));
    fs::create_dir_all(&tmp_dir).at(&tmp_dir)?;
    let rej_tmp = ws.rejected_dir().join(format!("{TMP_PREFIX}{stage}.csv"));
    let naming: Arc<Naming> = Arc::default();
    let refused = AtomicBool::new(false);
    let handover = AtomicBool::new(false);
    let hash_error: RefCell<Option<Error>> = RefCell::new(None);
    // the batch's name from the file's hash; a file ingested before stops the reading at
    // its next slice
    let name = |h: FileHasher| {
        let (sha, size) = h.finish();
        refused.store(
            !opts.force && manifest.find_sha(&sha).is_some(),
            Ordering::Relaxed,
        );
        let batch_id = format!("{seq:06}-{}", &sha[..12]);
        let metadata = vec![
            ("citybench.batch_id".to_string(), batch_id.clone()),
            ("citybench.source_file".to_string(), display.clone()),
            ("citybench.source_sha256".to_string(), sha.clone()),
            ("citybench.catalog".to_string(), ctx.catalog.origin.clone()),
            (
                "citybench.engine_version".to_string(),
                env!("CARGO_PKG_VERSION").to_string(),
            ),
        ];
        naming.set(Named {
            batch_id,
            sha,
            size,
            metadata,
        });
    };
    let result = std::thread::scope(|s| {
        // hashed on a thread yielding to the reading (the thread ingest waits on), which
        // hands what is left over when the reading is done
        let hashing = s.spawn(|| -> Result<Option<FileHasher>> {
            let _guard = naming.fail_on_panic();
            yield_to_reading();
            let hashed = (|| {
                let mut h = FileHasher::open(path)?;
                while !handover.load(Ordering::Relaxed) {
                    if !h.step()? {
                        name(h);
                        return Ok(None);
                    }
                }
                Ok(Some(h))
            })();
            if hashed.is_err() {
                // the writer may be waiting for the name
                naming.fail();
            }
            hashed
        });
        let hashing = RefCell::new(Some(hashing));
        // the batch's name, once the hash is done (None when hashing failed: the error is
        // kept in `hash_error`)
        let wait = || -> Option<&Named> {
            if let Some(thread) = hashing.borrow_mut().take() {
                handover.store(true, Ordering::Relaxed);
                let rest = thread.join().unwrap_or_else(|_| {
                    Err(Error::input(path, "the thread hashing the file panicked"))
                });
                let done = rest.and_then(|rest| {
                    if let Some(mut h) = rest {
                        while h.step()? {}
                        name(h);
                    }
                    Ok(())
                });
                if let Err(e) = done {
                    naming.fail();
                    *hash_error.borrow_mut() = Some(e);
                }
            }
            naming.get()
        };
        let staging = Staging {
            naming: &naming,
            refused: &refused,
            seq,
            tmp_dir: &tmp_dir,
            rej_tmp: &rej_tmp,
        };
        let result = ingest_into(ctx, path, &display, format, opts, &staging, &wait, progress);
        wait();
        result
    });
    let clean = || {
        let _ = fs::remove_dir_all(&tmp_dir);
        let _ = fs::remove_file(&rej_tmp);
    };
    // the hash decides first, as when it was computed before reading: a file that cannot
    // be hashed is an error, one ingested before is refused, whatever reading it found
    if let Some(e) = hash_error.into_inner() {
        clean();
        return Err(e);
    }
    let (batch_id, sha, size) = {
        let n = naming.get().expect("named when hashing succeeded");
        (n.batch_id.clone(), n.sha.clone(), n.size)
    };
    if let Some(prev) = manifest.find_sha(&sha)
        && !opts.force
    {
        clean();
        return Ok(FileOutcome {
            file: display,
            batch_id: None,
            duplicate_of: Some(prev.id.clone()),
            format: prev.format.clone(),
            rows_read: 0,
            rows_accepted: 0,
            rows_not_reported: 0,
            rows_rejected: 0,
            rejected_file: None,
            ignored_columns: vec![],
            reasons: vec![],
            note: None,
        });
    }
    let staged = match result {
        Ok(s) => s,
        Err(e) => {
            clean();
            return Err(e);
        }
    };
    if staged.read == 0 && format == Format::Xlsx {
        // an empty template: nothing to store, and no batch, so the filled template
        // is not refused later as already ingested
        clean();
        return Ok(FileOutcome {
            file: display,
            batch_id: None,
            duplicate_of: None,
            format: format.as_str().to_string(),
            rows_read: 0,
            rows_accepted: 0,
            rows_not_reported: 0,
            rows_rejected: 0,
            rejected_file: None,
            ignored_columns: staged.ignored,
            reasons: vec![],
            note: Some(format!(
                "the template has no filled rows (no value in column {} of sheet {}); nothing ingested",
                workbook::column_letter(workbook::column_index(crate::schema::submission::VALUE)),
                workbook::DATA_SHEET
            )),
        });
    }
    // commit: batch directory, rejection file, then the manifest (the commit point)
    let batch_rel = format!("raw/batch={batch_id}");
    let mut parts = vec![];
    if staged.accepted > 0 || staged.not_reported > 0 {
        commit_rename(&tmp_dir, &ws.batch_dir(&batch_id))?;
        if staged.accepted > 0 {
            parts.push(format!("{batch_rel}/part-0.parquet"));
        }
    } else {
        fs::remove_dir_all(&tmp_dir).at(&tmp_dir)?;
    }
    let not_reported_file = (staged.not_reported > 0)
        .then(|| format!("{batch_rel}/{}", crate::store::NOT_REPORTED_FILE));
    let rejected_file = if staged.rejected > 0 {
        let dest = ws.rejected_dir().join(format!("{batch_id}.csv"));
        commit_rename(&rej_tmp, &dest)?;
        Some(format!("rejected/{batch_id}.csv"))
    } else {
        None
    };
    manifest.format_version = 1;
    let forced = opts.force && manifest.find_sha(&sha).is_some();
    manifest.batches.push(BatchRecord {
        id: batch_id.clone(),
        source_file: display.clone(),
        sha256: sha,
        size_bytes: size,
        format: format.as_str().to_string(),
        rows_read: staged.read,
        rows_accepted: staged.accepted,
        rows_rejected: staged.rejected,
        rows_not_reported: staged.not_reported,
        parts,
        not_reported_file,
        rejected_file: rejected_file.clone(),
        ignored_columns: staged.ignored.clone(),
        catalog: ctx.catalog.origin.clone(),
        ingested_at: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        engine_version: env!("CARGO_PKG_VERSION").to_string(),
        forced,
    });
    ws.write_manifest(&manifest)?;
    Ok(FileOutcome {
        file: display,
        batch_id: Some(batch_id),
        duplicate_of: None,
        format: format.as_str().to_string(),
        rows_read: staged.read,
        rows_accepted: staged.accepted,
        rows_not_reported: staged.not_reported,
        rows_rejected: staged.rejected,
        rejected_file,
        ignored_columns: staged.ignored,
        reasons: staged.reasons,
        note: None,
    })
}

/// The nice value of the thread hashing a submission while it is read ([`yield_to_reading`]):
/// at 10 it gets a tenth of the share of a thread of nice 0 on a busy core (nice 19, a
/// seventieth, measured no faster: 3.43-3.78 s against 3.31-3.73 s for 10.3 M CSV rows).
const HASHING_NICE: i32 = 10;

/// The calling thread (the one hashing the file) yields the CPU to the threads reading and
/// validating it (on Linux, where a thread has its own nice value): the reader is the
/// thread ingest waits on, so the hash takes the CPU time the others leave. What is left
/// when the reading is done is hashed by the reading thread at its own priority, so a busy
/// machine does not starve it.
fn yield_to_reading() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority changes the calling thread's nice value (who = 0); a failure
    // (not permitted) leaves it as it was, which is only slower
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, HASHING_NICE);
    }
}

/// Where and under which name [`ingest_into`] stages a batch.
struct Staging<'a> {
    /// The batch's name, set when the file's hash is done.
    naming: &'a Arc<Naming>,
    /// Set when the hash shows the file was ingested before (and --force is not given):
    /// reading stops.
    refused: &'a AtomicBool,
    /// The batch's sequence number (the start of its id).
    seq: usize,
    tmp_dir: &'a Path,
    rej_tmp: &'a Path,
}

impl Staging<'_> {
    /// An error stopping the reading when the file was ingested before (the caller
    /// answers with the earlier batch instead).
    fn check(&self, path: &Path) -> Result<()> {
        match self.refused.load(Ordering::Relaxed) {
            true => Err(Error::input(path, "the file was ingested before")),
            false => Ok(()),
        }
    }
}

struct Staged {
    read: u64,
    accepted: u64,
    not_reported: u64,
    rejected: u64,
    ignored: Vec<String>,
    reasons: Vec<ReasonCount>,
}

/// Reason counts keyed by (field, kind), with the first example message.
type Reasons = HashMap<(&'static str, &'static str), (u64, String)>;

fn count_reason(reasons: &mut Reasons, p: &Problem) {
    let e = reasons
        .entry((p.field, p.kind))
        .or_insert_with(|| (0, p.reason.clone()));
    e.0 += 1;
}

/// What one worker made of a chunk of rows.
struct ChunkOut {
    /// Rows the columnar path accepted, as batch columns.
    fast: Option<DataFrame>,
    /// Rows the row validator accepted.
    rows: Buffers,
    statements: Vec<Statement>,
    dedupe: Dedupe,
    /// Rejected rows: line, original cells as text, problem.
    rejects: Vec<(u64, Vec<String>, Problem)>,
}

/// Rows of a Parquet slice given to the two validation workers at a time.
const PARQUET_CHUNK: usize = 131_072;

/// One validation worker: the columnar fast path (none when every row is to be checked by
/// the row validator) and the row validator for the rest.
#[derive(Clone)]
struct Worker<'a> {
    rows: Validator<'a>,
    fast: Option<columnar::Columnar<'a>>,
}

fn validate_range(
    w: &mut Worker<'_>,
    ctx: &Context,
    slice: &read::ParquetSlice,
    range: std::ops::Range<usize>,
    path: &Path,
) -> Result<ChunkOut> {
    let mut out = ChunkOut {
        fast: None,
        rows: Buffers::with_capacity(0),
        statements: Vec::new(),
        dedupe: Dedupe::default(),
        rejects: Vec::new(),
    };
    let slow: Vec<usize> = match &mut w.fast {
        Some(f) => {
            let r = f
                .check(slice, range.start, range.len())
                .map_err(|e| Error::polars(path, e))?;
            out.fast = r.frame;
            out.dedupe.extend_records(r.keys);
            r.slow
        }
        None => range.collect(),
    };
    for i in slow {
        let row = &slice.row(i);
        match w.rows.check(row) {
            Ok(Checked::Value(a)) => {
                out.dedupe.push(a.key(), row.line, a.value);
                out.rows
                    .push(row.line, a, &ctx.catalog, &ctx.registry, &ctx.units);
            }
            Ok(Checked::Statement(s)) => {
                out.dedupe.push_bits(s.key(), row.line, s.bits());
                out.statements.push(s);
            }
            Err(p) => out.rejects.push((
                row.line,
                row.cells.iter().map(|c| c.text().into_owned()).collect(),
                shorten_echoes(p, row),
            )),
        }
    }
    Ok(out)
}

/// The accepted rows of a chunk as one frame in file order: the columnar path's, with the
/// row validator's merged in by line.
fn chunk_frame(
    out_fast: Option<DataFrame>,
    rows: Buffers,
    source_file: &str,
    types: &batch::RawTypes,
    path: &Path,
) -> Result<Option<DataFrame>> {
    let pe = |e: PolarsError| Error::polars(path, e);
    let slow = if rows.is_empty() {
        None
    } else {
        Some(
            types
                .conform(rows.into_frame(source_file, path)?)
                .map_err(pe)?,
        )
    };
    Ok(match (out_fast, slow) {
        (None, None) => None,
        (Some(f), None) => Some(f),
        (None, Some(s)) => Some(s),
        (Some(mut f), Some(s)) => {
            f.vstack_mut_owned(s).map_err(pe)?;
            Some(
                f.sort([col::SOURCE_LINE], SortMultipleOptions::default())
                    .map_err(pe)?,
            )
        }
    })
}

/// Slices of a Parquet submission decoded ahead of the one being checked: none waits in the
/// channel, so at most one decoded slice (up to [`read::PARQUET_MAX_SLICE`] rows) waits for
/// the checking thread.
const PARQUET_IN_FLIGHT: usize = 0;

/// Slices of a CSV submission parsed ahead: one waits in the channel (slices are
/// [`PARQUET_CHUNK`] rows).
const CSV_IN_FLIGHT: usize = 1;

/// Run `read` on this thread and `process` on another, `read` handing over each slice it
/// makes through `send` (a channel holding `in_flight` slices): the next slice is read
/// while the one before is checked. A Parquet ingest decoded each slice (on Polars'
/// threads) while the checking threads waited: on average 1.6 of the 2 cores were busy,
/// now 1.75.
/// When `process` fails, `send` fails too and `process`'s error is the one returned (it
/// says why reading stopped).
fn overlapped<S: Send, H>(
    path: &Path,
    in_flight: usize,
    mut process: impl FnMut(S) -> Result<()> + Send,
    read: impl FnOnce(&mut dyn FnMut(S) -> Result<()>) -> Result<H>,
) -> Result<H> {
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<S>(in_flight);
        let worker = s.spawn(move || -> Result<()> {
            for slice in rx {
                process(slice)?;
            }
            Ok(())
        });
        let stopped = || Error::input(path, "validation stopped");
        let read = read(&mut |slice| tx.send(slice).map_err(|_| stopped()));
        drop(tx);
        let validated = worker.join().expect("validation thread");
        // the validation's own error says why the reader stopped
        validated?;
        read
    })
}

/// `p` with every long cell of `row` it quotes shortened ([`crate::suggest::shorten`]): a
/// 100 KB `city_id` is kept whole in the rejection file's own columns, not repeated in the
/// reason and on the terminal.
fn shorten_echoes(mut p: Problem, row: &RawRow<'_>) -> Problem {
    for c in &row.cells {
        if let Cell::Str(t) = c {
            let t = t.trim();
            if t.len() > crate::suggest::ECHO_MAX
                && let std::borrow::Cow::Owned(short) = crate::suggest::shorten(t)
            {
                p.reason = p.reason.replace(t, &short);
            }
        }
    }
    p
}

fn owned_row(line: u64, cells: &[String]) -> RawRow<'_> {
    let mut c = [Cell::Null; read::field::COUNT];
    for (k, t) in cells.iter().enumerate().take(read::field::COUNT) {
        c[k] = Cell::Str(t);
    }
    RawRow {
        line,
        cells: c,
        problem: None,
    }
}

/// Read, validate and stage `path` as a batch; `wait` waits for the file's hash to name
/// it (the name, or None when hashing failed).
#[allow(clippy::too_many_arguments)]
fn ingest_into<'a>(
    ctx: &Context,
    path: &Path,
    display: &str,
    format: Format,
    opts: &IngestOptions,
    staging: &Staging<'_>,
    wait: &dyn Fn() -> Option<&'a Named>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Staged> {
    let year_max = opts.year_max.unwrap_or_else(|| current_year() + 1);
    let year_min = ctx.config.validation.year_min;
    let tmp_dir = staging.tmp_dir;
    let mut validator = Validator::new(&ctx.catalog, &ctx.units, &ctx.registry, year_min, year_max);
    let part = tmp_dir.join("part-0.parquet");
    let source_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| display.to_string());
    // the types' names (stored in the file) need only be distinct from other batches'
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let types = batch::RawTypes::new(&format!("{:06}-{nanos:x}", staging.seq));
    let mut writer = BatchWriter::new(&part, &source_name, types.clone(), staging.naming.clone());
    let mut rejects = RejectWriter::new(staging.rej_tmp, &source_name);
    let mut dedupe = Dedupe::default();
    let mut statements = batch::StatementSpill::new(&tmp_dir.join(STATEMENT_SPILL));
    let mut read_rows = 0u64;
    let mut reasons: Reasons = HashMap::new();
    let total = match format {
        Format::Parquet => 0,
        // the progress bar's total (the hash counts the bytes it read)
        _ => fs::metadata(path).map_or(0, |m| m.len()),
    };
    let mut prog = |done: u64| progress(done, total);
    let sheet = match format {
        Format::Xlsx => Some(xlsx::Sheet::open(path, &ctx.catalog)?),
        _ => None,
    };
    // rejections of template rows name their cell (Data!J37)
    let place = |line: u64, p: Problem| match &sheet {
        Some(s) => s.locate(line, p),
        None => p,
    };
    // Parquet, and CSV unless every row is to be checked alone: validation is pure; two
    // workers each take half of every chunk of a slice, checking it column by column and
    // leaving uncommon rows to the row validator; their output is appended in file order
    let columnar = format == Format::Parquet || (format == Format::Csv && !opts.row_by_row);
    let fast = match opts.row_by_row || !columnar {
        true => None,
        false => Some(
            columnar::Columnar::new(
                &ctx.catalog,
                &ctx.units,
                &ctx.registry,
                year_min,
                year_max,
                &types,
                &source_name,
            )
            .map_err(|e| Error::polars(path, e))?,
        ),
    };
    let mut first_w = Worker {
        rows: validator.clone().without_suggestions(),
        fast,
    };
    let mut second_w = first_w.clone();
    // the second validation worker lives as long as the file is read (one thread, not one
    // per chunk: about 80 for 10 M rows before; no measurable change in time)
    type Job = (std::sync::Arc<read::ParquetSlice>, std::ops::Range<usize>);
    let header = std::thread::scope(|scope| -> Result<read::HeaderInfo> {
        let (job_tx, job_rx) = std::sync::mpsc::sync_channel::<Job>(1);
        let (done_tx, done_rx) = std::sync::mpsc::sync_channel::<Result<ChunkOut>>(1);
        let done_rx = std::sync::Mutex::new(done_rx);
        let second = columnar.then(|| {
            scope.spawn(move || {
                for (slice, range) in job_rx {
                    let out = validate_range(&mut second_w, ctx, &slice, range, path);
                    if done_tx.send(out).is_err() {
                        break;
                    }
                }
            })
        });
        let stopped = || Error::input(path, "the validation worker stopped");
        let job_tx_ref = &job_tx;
        let done_rx = &done_rx;
        let process = |slice: read::ParquetSlice| -> Result<()> {
            staging.check(path)?;
            let slice = std::sync::Arc::new(slice);
            let mut start = 0;
            while start < slice.len() {
                let end = (start + PARQUET_CHUNK).min(slice.len());
                let mid = start + (end - start) / 2;
                job_tx_ref
                    .send((slice.clone(), mid..end))
                    .map_err(|_| stopped())?;
                let first = validate_range(&mut first_w, ctx, &slice, start..mid, path);
                let later = done_rx
                    .lock()
                    .expect("one reader")
                    .recv()
                    .map_err(|_| stopped())?;
                for out in [first?, later?] {
                    for (line, cells, p) in out.rejects {
                        let row = owned_row(line, &cells);
                        // the "did you mean" of an unknown city, in file order
                        let p = match p.kind {
                            validate::UNKNOWN_CITY => shorten_echoes(
                                validator.unknown_city(
                                    row.cells[read::field::CITY_ID].trimmed().as_ref(),
                                ),
                                &row,
                            ),
                            _ => p,
                        };
                        count_reason(&mut reasons, &p);
                        rejects.write(&row, &p)?;
                    }
                    dedupe.extend(out.dedupe);
                    for st in &out.statements {
                        statements.push(st)?;
                    }
                    if let Some(df) = chunk_frame(out.fast, out.rows, &source_name, &types, path)? {
                        writer.append_frame(df)?;
                    }
                }
                start = end;
            }
            Ok(())
        };
        let header = match format {
            Format::Parquet => overlapped(path, PARQUET_IN_FLIGHT, process, |send| {
                read::read_parquet(path, &mut prog, &mut |slice| {
                    read_rows += slice.len() as u64;
                    send(slice)
                })
            }),
            Format::Csv if columnar => {
                // records are parsed on this thread into slices of text columns
                let mut batch = read::SliceBuilder::new(PARQUET_CHUNK);
                overlapped(path, CSV_IN_FLIGHT, process, |send| {
                    let header = read::read_csv(path, &opts.read, &mut prog, &mut |row| {
                        read_rows += 1;
                        batch.push(row);
                        if batch.is_full() {
                            send(batch.take())?;
                        }
                        Ok(())
                    })?;
                    if !batch.is_empty() {
                        send(batch.take())?;
                    }
                    Ok(header)
                })
            }
            _ => Ok(read::HeaderInfo::default()),
        };
        drop(job_tx);
        if let Some(h) = second {
            h.join().expect("validation worker");
        }
        header
    })?;
    let header = match format {
        Format::Parquet => header,
        Format::Csv if columnar => header,
        _ => {
            let mut on_row = |row: &RawRow<'_>| -> Result<()> {
                read_rows += 1;
                if read_rows.is_multiple_of(4096) {
                    staging.check(path)?;
                }
                match validator.check(row) {
                    Ok(Checked::Value(a)) => {
                        dedupe.push(a.key(), row.line, a.value);
                        writer.push(row.line, a, &ctx.catalog, &ctx.registry, &ctx.units)
                    }
                    Ok(Checked::Statement(s)) => {
                        dedupe.push_bits(s.key(), row.line, s.bits());
                        statements.push(&s)
                    }
                    Err(p) => {
                        let p = place(row.line, shorten_echoes(p, row));
                        count_reason(&mut reasons, &p);
                        rejects.write(row, &p)
                    }
                }
            };
            match (format, &sheet) {
                (Format::Csv, _) => read::read_csv(path, &opts.read, &mut prog, &mut on_row)?,
                (Format::Json, _) => read::read_json_array(path, &mut on_row)?,
                (Format::Xlsx, Some(s)) => s.read(&mut on_row)?,
                _ => read::read_ndjson(path, &mut on_row)?,
            }
        }
    };
    // the hash names the batch before its file is closed
    let named = wait().ok_or_else(|| Error::input(path, "the file could not be hashed"))?;
    staging.check(path)?;
    let (batch_id, metadata) = (named.batch_id.as_str(), &named.metadata);
    let written = writer.finish()?;
    let retract: rustc_hash::FxHashMap<u64, Problem> = dedupe
        .finish(&ctx.catalog, &ctx.registry, format.line_word())
        .into_iter()
        .map(|(line, p)| (line, place(line, p)))
        .collect();
    let mut accepted = written;
    // statements a duplicate or conflict retracts leave the batch like values do; the rest
    // stream from the spill into the batch's statements file
    let spilled = statements.rows();
    let mut removed: Vec<(u64, Vec<String>)> = Vec::new();
    let not_reported = statements.finish(
        &tmp_dir.join(crate::store::NOT_REPORTED_FILE),
        &retract,
        &mut removed,
        batch_id,
        &source_name,
        &ctx.catalog,
        &ctx.registry,
        metadata,
    )?;
    debug_assert_eq!(not_reported + removed.len() as u64, spilled);
    if retract.len() > removed.len() {
        let gone = retract_lines(&part, &retract, metadata)?;
        accepted -= gone.len() as u64;
        removed.extend(gone);
    }
    removed.sort_by_key(|r| r.0);
    for (line, cells) in &removed {
        let p = &retract[line];
        count_reason(&mut reasons, p);
        rejects.write(&owned_row(*line, cells), p)?;
    }
    let rejected = rejects.rows();
    rejects.finish()?;
    if read_rows != accepted + not_reported + rejected {
        return Err(Error::input(
            path,
            format!(
                "internal accounting error: {read_rows} read != {accepted} accepted + {not_reported} not reported + {rejected} rejected"
            ),
        ));
    }
    let mut reasons: Vec<ReasonCount> = reasons
        .into_iter()
        .map(|((f, k), (n, ex))| ReasonCount {
            field: f.to_string(),
            kind: k.to_string(),
            count: n,
            example: ex,
        })
        .collect();
    reasons.sort_by(|a, b| b.count.cmp(&a.count).then(a.kind.cmp(&b.kind)));
    Ok(Staged {
        read: read_rows,
        accepted,
        not_reported,
        rejected,
        ignored: header.ignored_columns,
        reasons,
    })
}

/// The staging file of a file's statements ([`batch::StatementSpill`]), deleted before the
/// batch directory is committed.
const STATEMENT_SPILL: &str = "statements.spill.csv";

/// Remove duplicate and conflicting rows from the staged part file, slice by slice (bounded
/// memory). Returns the removed rows (line, original fields) for the rejection file.
fn retract_lines(
    part: &Path,
    retract: &rustc_hash::FxHashMap<u64, Problem>,
    metadata: &[(String, String)],
) -> Result<Vec<(u64, Vec<String>)>> {
    let pe = |e: PolarsError| Error::polars(part, e);
    let mut reader = ParquetReader::new(File::open(part).at(part)?);
    let md = reader.get_metadata().map_err(pe)?.clone();
    let tmp = part.with_file_name("part-0.rewrite.parquet");
    let mut out: Option<polars::io::parquet::write::BatchedWriter<File>> = None;
    let mut removed: Vec<(u64, Vec<String>)> = Vec::new();
    let mut offset = 0usize;
    for rg in &md.row_groups {
        let n = rg.num_rows();
        let df = ParquetReader::new(File::open(part).at(part)?)
            .with_slice(Some((offset, n)))
            .finish()
            .map_err(pe)?;
        offset += n;
        let lines = df
            .column(col::SOURCE_LINE)
            .map_err(pe)?
            .u64()
            .map_err(pe)?
            .clone();
        let keep: BooleanChunked = lines
            .iter()
            .map(|l| l.is_none_or(|l| !retract.contains_key(&l)))
            .collect();
        let gone = df.filter(&!&keep).map_err(pe)?;
        if gone.height() > 0 {
            let text: Vec<StringChunked> = col::ORIGINAL_FIELDS
                .iter()
                .map(|nm| -> Result<StringChunked> {
                    Ok(gone
                        .column(nm)
                        .map_err(pe)?
                        .cast(&DataType::String)
                        .map_err(pe)?
                        .str()
                        .map_err(pe)?
                        .clone())
                })
                .collect::<Result<_>>()?;
            let gl = gone
                .column(col::SOURCE_LINE)
                .map_err(pe)?
                .u64()
                .map_err(pe)?
                .clone();
            for (i, l) in gl.iter().enumerate() {
                let cells = text
                    .iter()
                    .map(|c| c.get(i).unwrap_or("").to_string())
                    .collect();
                removed.push((l.unwrap_or(0), cells));
            }
        }
        let kept = df.filter(&keep).map_err(pe)?;
        if kept.height() > 0 {
            if out.is_none() {
                let f = File::create(&tmp).at(&tmp)?;
                out = Some(
                    ParquetWriter::new(f)
                        .with_compression(batch::RAW_COMPRESSION)
                        .with_key_value_metadata(Some(KeyValueMetadata::from_static(
                            metadata.to_vec(),
                        )))
                        .batched(kept.schema())
                        .map_err(|e| Error::polars(&tmp, e))?,
                );
            }
            out.as_mut()
                .expect("created above")
                .write_batch(&kept)
                .map_err(|e| Error::polars(&tmp, e))?;
        }
    }
    match out {
        Some(w) => {
            w.finish().map_err(|e| Error::polars(&tmp, e))?;
            File::open(&tmp).at(&tmp)?.sync_all().at(&tmp)?;
            fs::rename(&tmp, part).at(part)?;
        }
        None => fs::remove_file(part).at(part)?,
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checking thread fails on the second slice: reading stops (its next hand-over
    /// fails) and the checking thread's error is the one returned, not the reader's.
    #[test]
    fn the_checking_threads_error_is_the_one_returned() {
        let path = Path::new("s.parquet");
        for in_flight in [PARQUET_IN_FLIGHT, CSV_IN_FLIGHT] {
            let mut checked = Vec::new();
            let mut sent = 0;
            let result = overlapped(
                path,
                in_flight,
                |slice: u32| {
                    if slice == 2 {
                        return Err(Error::input(path, "slice 2 is bad"));
                    }
                    checked.push(slice);
                    Ok(())
                },
                |send| {
                    for slice in 1..=100 {
                        send(slice)?;
                        sent += 1;
                    }
                    Ok("read to the end")
                },
            );
            let e = result.expect_err("the check failed");
            assert_eq!(e.to_string(), "s.parquet: slice 2 is bad");
            assert_eq!(checked, vec![1]);
            // reading stopped soon after: at most the slices in flight were read ahead
            assert!(sent <= 3 + in_flight, "{sent} slices sent");
        }
    }

    /// When reading fails, the slices handed over before are checked and the reader's
    /// error is returned.
    #[test]
    fn a_reading_error_comes_after_the_slices_before_it() {
        let path = Path::new("s.parquet");
        let mut checked = Vec::new();
        let result: Result<()> = overlapped(
            path,
            PARQUET_IN_FLIGHT,
            |slice: u32| {
                checked.push(slice);
                Ok(())
            },
            |send| {
                send(1)?;
                send(2)?;
                Err(Error::input(path, "row group 3 of 3 is damaged"))
            },
        );
        let e = result.expect_err("reading failed");
        assert_eq!(e.to_string(), "s.parquet: row group 3 of 3 is damaged");
        assert_eq!(checked, vec![1, 2]);
    }
}
