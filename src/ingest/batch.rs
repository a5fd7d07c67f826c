//! Writes accepted observations to a batch Parquet file in bounded memory (row groups of
//! [`FLUSH_ROWS`]), and rejected rows to a CSV.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};

use polars::prelude::*;

use super::raw_writer::{ColumnEncoding, RawWriter, RowGroup};
use super::read::{FIELD_NAMES, RawRow, field};
use super::validate::{Accepted, Problem};
use crate::catalog::{Catalog, UnitRegistry};
use crate::error::{Error, IoContext, Result};
use crate::registry::Registry;
use crate::schema::{raw as col, rejected as rcol};

/// Rows buffered before a row group is written.
pub const FLUSH_ROWS: usize = 131_072;
/// Compression of raw batches: none. Ingest is CPU-bound and `run` reads every batch whole,
/// so the encoding cheapest to write and read wins: at 10.3 M Parquet rows Snappy cost 0.2 s
/// of ingest's 2.6-2.8 s of CPU (about 0.15 s of its wall time) and LZ4 as much, for files
/// of 119 MB instead of 218 MB (docs/performance.md). The dictionary and RLE encodings of
/// the columns stay.
pub const RAW_COMPRESSION: ParquetCompression = ParquetCompression::Uncompressed;
/// Frames at least this large are written as their own row group.
pub const MIN_ROW_GROUP: usize = 32_768;

/// Raw batch columns stored dictionary-encoded (Polars `Categorical`): the few distinct
/// ids, units and quality levels of a file are written once per row group with 32-bit
/// codes per row, instead of the Parquet writer hashing every value again to build the same
/// dictionary. DuckDB, pandas and Polars read them back as text. Only columns whose values
/// are bounded (by the registry, the catalogue, the unit spellings, the quality levels)
/// are here: a dictionary holds every value of the file, so `source`, `conversion` (which
/// names each denominator) and the free text stay plain text, written a row group at a time.
pub const DICTIONARY_COLUMNS: [&str; 7] = [
    col::BATCH_ID,
    col::SOURCE_FILE,
    col::CITY_ID,
    col::DATA_POINT_ID,
    col::UNIT,
    col::UNIT_REPORTED,
    col::QUALITY,
];

/// How the raw batch's free-text columns and its values are written ([`RawWriter`]) instead
/// of by Polars' writer, which hashed every value to build a dictionary (a fifth of ingest's
/// CPU time): mostly distinct or mostly missing text plain, text repeated row after row
/// (`source`, the `conversion` of a unit) as a dictionary built by runs, and the values
/// plain (a raw batch is written to be cheap to write and read: a dictionary of values
/// would be smaller on disk, a fifth at 10.3 M rows, for 0.15 s more CPU time). The line
/// numbers are delta-encoded: at 10.3 M rows the batch is 197 MB instead of 279 MB, for
/// the same time.
pub const COLUMN_ENCODINGS: [(&str, ColumnEncoding); 7] = [
    (col::SOURCE_LINE, ColumnEncoding::Delta),
    (col::VALUE_REPORTED, ColumnEncoding::Plain),
    (col::DENOMINATOR, ColumnEncoding::Plain),
    (col::NOTES, ColumnEncoding::Plain),
    (col::SOURCE, ColumnEncoding::Dictionary),
    (col::CONVERSION, ColumnEncoding::Dictionary),
    (col::VALUE, ColumnEncoding::Plain),
];

/// The categorical types of one batch's [`DICTIONARY_COLUMNS`], each with a mapping of its
/// own that holds the values of this file only (the type's name is stored in the file).
#[derive(Clone)]
pub struct RawTypes {
    types: Vec<(&'static str, DataType)>,
}

impl RawTypes {
    /// The types of batch `batch_id`. Two ingests in one process never share a mapping.
    pub fn new(batch_id: &str) -> Self {
        static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let types = DICTIONARY_COLUMNS
            .iter()
            .map(|&c| {
                let cats = Categories::new(
                    format!("{c}@{batch_id}#{seq}").into(),
                    "citybench-raw".into(),
                    CategoricalPhysical::U32,
                );
                (c, DataType::from_categories(cats))
            })
            .collect();
        RawTypes { types }
    }

    /// The type of dictionary column `name`.
    pub fn dtype(&self, name: &str) -> &DataType {
        &self
            .types
            .iter()
            .find(|(c, _)| *c == name)
            .expect("a dictionary column")
            .1
    }

    /// The mapping (value <-> code) of dictionary column `name`.
    pub fn mapping(&self, name: &str) -> Arc<CategoricalMapping> {
        self.dtype(name)
            .cat_mapping()
            .expect("a categorical type")
            .clone()
    }

    /// A column of `name` from codes of its mapping.
    ///
    /// Every code must come from [`CategoricalMapping::insert_cat`] on [`Self::mapping`]
    /// (crate-private for that reason).
    pub(crate) fn column(&self, name: &str, codes: Vec<u32>) -> Column {
        let phys = UInt32Chunked::from_vec(name.into(), codes);
        // SAFETY: every code was handed out by this type's mapping (the caller's contract),
        // so each one names a category; checking that per row cost 1.4 % of a CSV ingest
        unsafe {
            Categorical32Chunked::from_cats_and_dtype_unchecked(phys, self.dtype(name).clone())
        }
        .into_series()
        .into_column()
    }

    /// [`Self::column`] with missing values where `valid` is false.
    pub(crate) fn column_with_validity(
        &self,
        name: &str,
        codes: Vec<u32>,
        valid: Vec<bool>,
    ) -> Column {
        if valid.iter().all(|v| *v) {
            return self.column(name, codes);
        }
        let phys: UInt32Chunked = codes
            .into_iter()
            .zip(valid)
            .map(|(c, v)| v.then_some(c))
            .collect();
        let phys = phys.with_name(name.into());
        // SAFETY: as in [`Self::column`]
        unsafe {
            Categorical32Chunked::from_cats_and_dtype_unchecked(phys, self.dtype(name).clone())
        }
        .into_series()
        .into_column()
    }

    /// `df` with its dictionary columns in these types (text columns are encoded); a frame
    /// of accepted rows has every column but the batch id, which the [`BatchWriter`] adds.
    pub fn conform(&self, df: DataFrame) -> PolarsResult<DataFrame> {
        let mut df = df;
        for (c, dt) in self.types.iter().filter(|(c, _)| *c != col::BATCH_ID) {
            let cur = df.column(c)?;
            if cur.dtype() != dt {
                let enc = cur.cast(dt)?;
                df.replace(c, enc)?;
            }
        }
        Ok(df)
    }
}

/// Column builders for accepted rows: strings are appended straight into Arrow buffers,
/// with no per-row allocation. Workers validating chunks in parallel each fill one.
pub struct Buffers {
    source_line: Vec<u64>,
    city_id: StringChunkedBuilder,
    data_point_id: StringChunkedBuilder,
    year: Vec<i32>,
    value: Vec<f64>,
    unit: StringChunkedBuilder,
    value_reported: StringChunkedBuilder,
    unit_reported: StringChunkedBuilder,
    conversion: StringChunkedBuilder,
    denominator: StringChunkedBuilder,
    denominator_value: Vec<Option<f64>>,
    source: StringChunkedBuilder,
    quality: StringChunkedBuilder,
    verified: Vec<bool>,
    confidential: Vec<bool>,
    notes: StringChunkedBuilder,
}

impl Buffers {
    /// Empty builders with room for `cap` rows.
    pub fn with_capacity(cap: usize) -> Self {
        let sb = |n: &str| StringChunkedBuilder::new(n.into(), cap);
        Buffers {
            source_line: Vec::with_capacity(cap),
            city_id: sb(col::CITY_ID),
            data_point_id: sb(col::DATA_POINT_ID),
            year: Vec::with_capacity(cap),
            value: Vec::with_capacity(cap),
            unit: sb(col::UNIT),
            value_reported: sb(col::VALUE_REPORTED),
            unit_reported: sb(col::UNIT_REPORTED),
            conversion: sb(col::CONVERSION),
            denominator: sb(col::DENOMINATOR),
            denominator_value: Vec::with_capacity(cap),
            source: sb(col::SOURCE),
            quality: sb(col::QUALITY),
            verified: Vec::with_capacity(cap),
            confidential: Vec::with_capacity(cap),
            notes: sb(col::NOTES),
        }
    }

    /// Rows buffered.
    pub fn len(&self) -> usize {
        self.source_line.len()
    }

    /// Whether nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.source_line.is_empty()
    }

    /// Buffer one accepted row.
    pub fn push(
        &mut self,
        line: u64,
        a: Accepted<'_>,
        catalog: &Catalog,
        registry: &Registry,
        units: &UnitRegistry,
    ) {
        let b = self;
        let sp = &units.spellings()[a.spelling];
        b.source_line.push(line);
        b.city_id.append_value(&registry.cities()[a.city].city_id);
        b.data_point_id
            .append_value(&catalog.data_points()[a.data_point].data_point_id);
        b.year.push(a.year);
        b.value.push(a.value);
        b.unit.append_value(&sp.canonical_unit);
        b.value_reported.append_value(&a.value_reported);
        b.unit_reported.append_value(&a.unit_reported);
        match &a.conversion {
            Some(c) => b.conversion.append_value(c),
            None => b.conversion.append_value(&sp.conversion),
        }
        b.denominator.append_option(a.denominator.as_deref());
        b.denominator_value.push(a.denominator_value);
        b.source.append_option(a.source.as_deref());
        b.quality.append_value(a.quality);
        b.verified.push(a.verified);
        b.confidential.push(a.confidential);
        b.notes.append_option(a.notes.as_deref());
    }

    /// The rows as a DataFrame in the raw batch schema without its first column, the batch
    /// id (the [`BatchWriter`] adds it once the file's hash names the batch).
    pub fn into_frame(self, source_file: &str, path: &Path) -> Result<DataFrame> {
        let b = self;
        let n = b.source_line.len();
        let cols = vec![
            Column::new(col::SOURCE_FILE.into(), vec![source_file; n]),
            Column::new(col::SOURCE_LINE.into(), b.source_line),
            b.city_id.finish().into_column(),
            b.data_point_id.finish().into_column(),
            Column::new(col::YEAR.into(), b.year),
            Column::new(col::VALUE.into(), b.value),
            b.unit.finish().into_column(),
            b.value_reported.finish().into_column(),
            b.unit_reported.finish().into_column(),
            b.conversion.finish().into_column(),
            b.denominator.finish().into_column(),
            Column::new(col::DENOMINATOR_VALUE.into(), b.denominator_value),
            b.source.finish().into_column(),
            b.quality.finish().into_column(),
            Column::new(col::VERIFIED.into(), b.verified),
            Column::new(col::CONFIDENTIAL.into(), b.confidential),
            b.notes.finish().into_column(),
        ];
        DataFrame::new(n, cols).map_err(|e| Error::polars(path, e))
    }
}

/// A batch's name and provenance, known once its file's hash is: the hash is computed on
/// a thread of its own while the file is read and validated (half a second of CPU time on
/// a 1 GB CSV file, which the reader no longer waits for).
#[derive(Debug)]
pub struct Named {
    /// The batch id (`000007-<the first 12 hex digits of the hash>`).
    pub batch_id: String,
    /// The SHA-256 of the file (hex).
    pub sha: String,
    /// The bytes hashed.
    pub size: u64,
    /// The Parquet footer's key-value provenance.
    pub metadata: Vec<(String, String)>,
}

/// A batch's name, set by whichever thread finishes hashing its file, or given up when
/// hashing fails: the batch's writer waits on it when too many row groups wait encoded.
#[derive(Debug, Default)]
pub struct Naming {
    named: OnceLock<Named>,
    failed: AtomicBool,
    lock: Mutex<()>,
    changed: Condvar,
}

impl Naming {
    /// Name the batch (the first name stays).
    pub fn set(&self, named: Named) {
        let _ = self.named.set(named);
        self.wake();
    }

    /// Hashing failed: the batch will not be named.
    pub fn fail(&self) {
        self.failed.store(true, Ordering::Release);
        self.wake();
    }

    /// Wake the threads waiting for the name (to look again: at the name, the failure,
    /// their `give_up`).
    pub fn wake(&self) {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.changed.notify_all();
    }

    /// A guard giving the name up if the thread holding it panics (so a writer waiting for
    /// the name is not left waiting).
    pub fn fail_on_panic(&self) -> impl Drop + '_ {
        struct Guard<'a>(&'a Naming);
        impl Drop for Guard<'_> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    self.0.fail();
                }
            }
        }
        Guard(self)
    }

    /// The name, if set.
    pub fn get(&self) -> Option<&Named> {
        self.named.get()
    }

    /// The name once set, or None once hashing failed or `give_up` is set (and
    /// [`Self::wake`] called).
    pub fn wait(&self, give_up: &AtomicBool) -> Option<&Named> {
        let mut guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(n) = self.named.get() {
                return Some(n);
            }
            if self.failed.load(Ordering::Acquire) || give_up.load(Ordering::Acquire) {
                return None;
            }
            guard = self.changed.wait(guard).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// Row groups a [`BatchWriter`] keeps encoded while its batch is not named, before it
/// waits for the name (about 45 MB at 131 072 rows each): the hash is computed on a thread
/// of low priority, which a busy machine may leave behind the reading.
const WAITING_ROW_GROUPS: usize = 16;

/// Streams accepted rows into one Parquet file. Encoding and compression run on a writer
/// thread fed through a bounded channel, overlapping with reading and validation. The rows
/// come without the batch id: the thread adds it as the file's first column once the batch
/// is named ([`Naming`]), keeping the row groups encoded before in memory until then.
pub struct BatchWriter {
    path: PathBuf,
    source_file: String,
    buf: Buffers,
    tx: Option<std::sync::mpsc::SyncSender<DataFrame>>,
    handle: Option<std::thread::JoinHandle<Result<()>>>,
    naming: Arc<Naming>,
    /// Set when the writer is dropped unfinished: its thread stops without a file.
    abandoned: Arc<AtomicBool>,
    rows: u64,
    pending: Vec<DataFrame>,
    pending_rows: usize,
    types: RawTypes,
}

impl BatchWriter {
    /// A writer to `path`, stamping every row with the source file name and, once `naming`
    /// is set, the batch id (the footer gets its metadata). The batch must be named (or
    /// its hashing failed) before [`finish`](Self::finish).
    pub fn new(path: &Path, source_file: &str, types: RawTypes, naming: Arc<Naming>) -> Self {
        BatchWriter {
            types,
            path: path.to_path_buf(),
            source_file: source_file.to_string(),
            buf: Buffers::with_capacity(0),
            tx: None,
            handle: None,
            naming,
            abandoned: Arc::default(),
            rows: 0,
            pending: Vec::new(),
            pending_rows: 0,
        }
    }

    /// Rows written so far (including buffered).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Buffer one row; writes a row group when the buffer is full.
    pub fn push(
        &mut self,
        line: u64,
        a: Accepted<'_>,
        catalog: &Catalog,
        registry: &Registry,
        units: &UnitRegistry,
    ) -> Result<()> {
        self.buf.push(line, a, catalog, registry, units);
        self.rows += 1;
        if self.buf.len() >= FLUSH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    /// Append rows already in the batch schema ([`Buffers::into_frame`]), in order.
    pub fn append_frame(&mut self, df: DataFrame) -> Result<()> {
        if df.height() == 0 {
            return Ok(());
        }
        let df = self
            .types
            .conform(df)
            .map_err(|e| Error::polars(&self.path, e))?;
        self.rows += df.height() as u64;
        if self.pending.is_empty() && self.buf.is_empty() && df.height() >= MIN_ROW_GROUP {
            // large enough to be a row group of its own: no copy
            return self.write(df);
        }
        self.pending_rows += df.height();
        self.pending.push(df);
        if self.pending_rows >= FLUSH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn frame(&mut self) -> Result<DataFrame> {
        let mut frames = std::mem::take(&mut self.pending);
        self.pending_rows = 0;
        if !self.buf.is_empty() {
            // the row path fills whole buffers: the next one is allocated whole (the
            // columnar path appends frames and never allocates one)
            let b = std::mem::replace(&mut self.buf, Buffers::with_capacity(FLUSH_ROWS));
            let df = b.into_frame(&self.source_file, &self.path)?;
            frames.push(
                self.types
                    .conform(df)
                    .map_err(|e| Error::polars(&self.path, e))?,
            );
        }
        let mut it = frames.into_iter();
        let mut df = it.next().unwrap_or_default();
        for f in it {
            df.vstack_mut_owned(f)
                .map_err(|e| Error::polars(&self.path, e))?;
        }
        df.rechunk_mut_par();
        Ok(df)
    }

    fn flush(&mut self) -> Result<()> {
        if self.buf.is_empty() && self.pending.is_empty() {
            return Ok(());
        }
        let df = self.frame()?;
        self.write(df)
    }

    fn write(&mut self, df: DataFrame) -> Result<()> {
        if self.tx.is_none() {
            let (tx, rx) = std::sync::mpsc::sync_channel::<DataFrame>(2);
            let path = self.path.clone();
            let naming = self.naming.clone();
            let types = self.types.clone();
            let abandoned = self.abandoned.clone();
            let handle =
                std::thread::spawn(move || write_batch(&path, rx, &naming, &types, &abandoned));
            self.tx = Some(tx);
            self.handle = Some(handle);
        }
        if self.tx.as_ref().expect("created above").send(df).is_err() {
            // the writer thread stopped: its error says why
            return self.join();
        }
        Ok(())
    }

    fn join(&mut self) -> Result<()> {
        self.tx = None;
        match self.handle.take() {
            Some(h) => h.join().unwrap_or_else(|_| {
                Err(Error::input(
                    &self.path,
                    "the Parquet writer thread panicked",
                ))
            }),
            None => Ok(()),
        }
    }

    /// Write what is buffered and close the file; returns the rows written. No file is
    /// created when no row was accepted.
    pub fn finish(mut self) -> Result<u64> {
        self.flush()?;
        self.join()?;
        Ok(self.rows)
    }
}

impl Drop for BatchWriter {
    /// A writer dropped unfinished (the ingest failed or stopped) stops its thread and
    /// waits for it, so no thread is left writing into a staging directory that the next
    /// ingest may reuse.
    fn drop(&mut self) {
        if self.handle.is_some() {
            self.abandoned.store(true, Ordering::Release);
            self.naming.wake();
            let _ = self.join();
        }
    }
}

/// The writer thread of a [`BatchWriter`]: each frame of rows (every column but the batch
/// id) encoded as it comes, and written with the batch id in front once the batch is named;
/// until then the row groups wait encoded (at most [`WAITING_ROW_GROUPS`], then the
/// thread waits for the name). The batch is named, or its hashing failed, when `rx` closes,
/// unless `abandoned` is set: then the thread stops, leaving an unfinished file.
fn write_batch(
    path: &Path,
    rx: std::sync::mpsc::Receiver<DataFrame>,
    naming: &Naming,
    types: &RawTypes,
    abandoned: &AtomicBool,
) -> Result<()> {
    let pe = |e: PolarsError| Error::polars(path, e);
    let unnamed = || {
        Error::input(
            path,
            "the file could not be hashed, so the batch has no name",
        )
    };
    let mut w: Option<RawWriter<BufWriter<File>>> = None;
    // the file again, to start writing its pages to disk after each row group
    let mut disk: Option<File> = None;
    // the batch id's code, once the batch is named, and the row groups encoded before
    let mut id: Option<u32> = None;
    let mut waiting: Vec<RowGroup> = Vec::new();
    let put = |w: &mut RawWriter<BufWriter<File>>, group: RowGroup, code: u32| -> Result<()> {
        let rows = group.rows();
        let ids = DataFrame::new(rows, vec![types.column(col::BATCH_ID, vec![code; rows])])
            .map_err(pe)?;
        let group = w.prepend(group, &ids).map_err(pe)?;
        w.write_encoded(group).map_err(pe)
    };
    let code = |n: &Named| {
        types
            .mapping(col::BATCH_ID)
            .insert_cat(&n.batch_id)
            .map_err(pe)
    };
    for df in rx {
        if abandoned.load(Ordering::Acquire) {
            return Ok(());
        }
        if w.is_none() {
            let f = File::create(path).at(path)?;
            disk = Some(f.try_clone().at(path)?);
            let mut schema = Schema::with_capacity(df.width() + 1);
            schema.insert(col::BATCH_ID.into(), types.dtype(col::BATCH_ID).clone());
            schema.merge(df.schema().as_ref().clone());
            w = Some(
                RawWriter::new(
                    BufWriter::with_capacity(1 << 20, f),
                    &schema,
                    &COLUMN_ENCODINGS,
                    RAW_COMPRESSION,
                    Vec::new(),
                )
                .map_err(pe)?,
            );
        }
        let w = w.as_mut().expect("created above");
        let group = w.encode_from(&df, 1).map_err(pe)?;
        drop(df);
        if id.is_none() {
            let named = match waiting.len() < WAITING_ROW_GROUPS {
                true => naming.get(),
                false => match naming.wait(abandoned) {
                    Some(n) => Some(n),
                    None if abandoned.load(Ordering::Acquire) => return Ok(()),
                    None => return Err(unnamed()),
                },
            };
            id = named.map(code).transpose()?;
        }
        match id {
            None => waiting.push(group),
            Some(code) => {
                for g in waiting.drain(..) {
                    put(w, g, code)?;
                }
                put(w, group, code)?;
                if let Some(d) = &disk {
                    crate::store::start_writeback(d);
                }
            }
        }
    }
    let Some(mut w) = w.filter(|_| !abandoned.load(Ordering::Acquire)) else {
        return Ok(());
    };
    let named = naming.get().ok_or_else(unnamed)?;
    let code = match id {
        Some(c) => c,
        None => code(named)?,
    };
    for g in waiting.drain(..) {
        put(&mut w, g, code)?;
    }
    w.set_metadata(named.metadata.clone());
    let f = w
        .finish()
        .map_err(pe)?
        .into_inner()
        .map_err(|e| e.into_error())
        .at(path)?;
    f.sync_all().at(path)?;
    Ok(())
}

/// Streams rejected rows to a CSV with the original fields. City officers open the file in a
/// spreadsheet, so a cell that would be read as a formula (`=cmd|' /C calc'!A0`) is written
/// with a leading single quote ([`crate::text::spreadsheet_cell`]); the raw batch and the
/// reason keep the value as submitted.
pub struct RejectWriter {
    path: PathBuf,
    source_file: String,
    writer: Option<csv::Writer<BufWriter<File>>>,
    rows: u64,
}

impl RejectWriter {
    /// A writer to `path` (created on the first rejection).
    pub fn new(path: &Path, source_file: &str) -> Self {
        RejectWriter {
            path: path.to_path_buf(),
            source_file: source_file.to_string(),
            writer: None,
            rows: 0,
        }
    }

    /// Rows written.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    fn writer(&mut self) -> Result<&mut csv::Writer<BufWriter<File>>> {
        if self.writer.is_none() {
            let f = File::create(&self.path).at(&self.path)?;
            let mut w = csv::WriterBuilder::new().from_writer(BufWriter::new(f));
            w.write_record(rcol::HEADER)
                .map_err(|e| Error::input(&self.path, e.to_string()))?;
            self.writer = Some(w);
        }
        Ok(self.writer.as_mut().expect("created above"))
    }

    /// Write one rejected row.
    pub fn write(&mut self, row: &RawRow<'_>, p: &Problem) -> Result<()> {
        use crate::text::spreadsheet_cell;
        let mut rec: Vec<String> = Vec::with_capacity(4 + field::COUNT);
        rec.push(spreadsheet_cell(&self.source_file).into_owned());
        rec.push(row.line.to_string());
        rec.push(p.field.to_string());
        rec.push(spreadsheet_cell(&p.reason).into_owned());
        for k in 0..field::COUNT {
            rec.push(spreadsheet_cell(&row.cells[k].text()).into_owned());
        }
        debug_assert_eq!(FIELD_NAMES.len(), field::COUNT);
        self.rows += 1;
        let path = self.path.clone();
        self.writer()?
            .write_record(&rec)
            .map_err(|e| Error::input(&path, e.to_string()))
    }

    /// Flush and fsync; returns whether a file was written.
    pub fn finish(mut self) -> Result<bool> {
        if let Some(w) = self.writer.take() {
            let inner = w
                .into_inner()
                .map_err(|e| Error::input(&self.path, e.to_string()))?;
            let f = inner
                .into_inner()
                .map_err(|e| Error::io(&self.path, e.into_error()))?;
            f.sync_all().at(&self.path)?;
            return Ok(true);
        }
        Ok(false)
    }
}

/// A batch's statements ([`super::validate::Statement`], in line order) as a frame of the
/// [`crate::schema::not_reported`] schema.
fn statements_frame(
    path: &Path,
    batch_id: &str,
    source_file: &str,
    statements: &[super::validate::Statement],
    catalog: &Catalog,
    registry: &Registry,
) -> Result<DataFrame> {
    use crate::schema::not_reported as nr;
    let n = statements.len();
    let text = |k: usize| -> Vec<Option<&str>> {
        statements
            .iter()
            .map(|s| {
                let t = s.cells[k].trim();
                (!t.is_empty()).then_some(t)
            })
            .collect()
    };
    let cols = vec![
        Column::new(nr::BATCH_ID.into(), vec![batch_id; n]),
        Column::new(nr::SOURCE_FILE.into(), vec![source_file; n]),
        Column::new(
            nr::SOURCE_LINE.into(),
            statements.iter().map(|s| s.line).collect::<Vec<u64>>(),
        ),
        Column::new(
            nr::CITY_ID.into(),
            statements
                .iter()
                .map(|s| registry.cities()[s.city].city_id.as_str())
                .collect::<Vec<&str>>(),
        ),
        Column::new(
            nr::DATA_POINT_ID.into(),
            statements
                .iter()
                .map(|s| catalog.data_points()[s.data_point].data_point_id.as_str())
                .collect::<Vec<&str>>(),
        ),
        Column::new(
            nr::YEAR.into(),
            statements.iter().map(|s| s.year).collect::<Vec<i32>>(),
        ),
        Column::new(
            nr::STATUS.into(),
            statements.iter().map(|s| s.status).collect::<Vec<&str>>(),
        ),
        Column::new(nr::STATEMENT.into(), text(field::VALUE)),
        Column::new(nr::SOURCE.into(), text(field::SOURCE)),
        Column::new(nr::NOTES.into(), text(field::NOTES)),
    ];
    DataFrame::new(n, cols).map_err(|e| Error::polars(path, e))
}

/// Statements per row group of `not-reported.parquet` (and per read of the spill).
const STATEMENT_GROUP: usize = 65_536;

/// The statements of a file on their way to `not-reported.parquet`: spilled to a CSV in the
/// staging directory as they are found, so that a file of millions of "Not reported" rows
/// holds none of them in memory; [`StatementSpill::finish`] streams them back in groups of
/// [`STATEMENT_GROUP`], leaving out the lines a duplicate or conflict retracted.
pub struct StatementSpill {
    path: PathBuf,
    writer: Option<csv::Writer<BufWriter<File>>>,
    rows: u64,
}

impl StatementSpill {
    /// A spill at `path` (created on the first statement).
    pub fn new(path: &Path) -> Self {
        StatementSpill {
            path: path.to_path_buf(),
            writer: None,
            rows: 0,
        }
    }

    /// Statements spilled so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Spill one statement: line, city, data point, year, status, then every field as read.
    pub fn push(&mut self, s: &super::validate::Statement) -> Result<()> {
        if self.writer.is_none() {
            let f = File::create(&self.path).at(&self.path)?;
            self.writer = Some(
                csv::WriterBuilder::new()
                    .has_headers(false)
                    .from_writer(BufWriter::new(f)),
            );
        }
        let w = self.writer.as_mut().expect("created above");
        let head = [
            s.line.to_string(),
            s.city.to_string(),
            s.data_point.to_string(),
            s.year.to_string(),
            s.status.to_string(),
        ];
        self.rows += 1;
        w.write_record(
            head.iter()
                .map(String::as_str)
                .chain(s.cells.iter().map(String::as_str)),
        )
        .map_err(|e| Error::input(&self.path, e.to_string()))
    }

    /// Stream the spill back: statements on a `retract` line go to `removed` (line, fields
    /// as read), the others to `out` (the [`crate::schema::not_reported`] schema, with the
    /// batch's Parquet provenance; no file when none is left). The spill is deleted. Returns
    /// the statements written.
    #[allow(clippy::too_many_arguments)]
    pub fn finish(
        mut self,
        out: &Path,
        retract: &rustc_hash::FxHashMap<u64, Problem>,
        removed: &mut Vec<(u64, Vec<String>)>,
        batch_id: &str,
        source_file: &str,
        catalog: &Catalog,
        registry: &Registry,
        metadata: &[(String, String)],
    ) -> Result<u64> {
        use super::validate::{STATEMENT_BITS, Statement};
        let Some(w) = self.writer.take() else {
            return Ok(0);
        };
        let bad = |e: &dyn std::fmt::Display| Error::input(&self.path, e.to_string());
        w.into_inner()
            .map_err(|e| bad(&e))?
            .into_inner()
            .map_err(|e| Error::io(&self.path, e.into_error()))?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(false)
            .from_path(&self.path)
            .map_err(|e| bad(&e))?;
        let mut writer: Option<polars::io::parquet::write::BatchedWriter<BufWriter<File>>> = None;
        let mut group: Vec<Statement> = Vec::with_capacity(STATEMENT_GROUP);
        let mut written = 0u64;
        let mut flush = |group: &mut Vec<Statement>| -> Result<()> {
            if group.is_empty() {
                return Ok(());
            }
            let df = statements_frame(out, batch_id, source_file, group, catalog, registry)?;
            if writer.is_none() {
                if let Some(dir) = out.parent() {
                    std::fs::create_dir_all(dir).at(dir)?;
                }
                let f = File::create(out).at(out)?;
                writer = Some(
                    ParquetWriter::new(BufWriter::new(f))
                        .with_compression(RAW_COMPRESSION)
                        .with_key_value_metadata(Some(KeyValueMetadata::from_static(
                            metadata.to_vec(),
                        )))
                        .batched(df.schema())
                        .map_err(|e| Error::polars(out, e))?,
                );
            }
            writer
                .as_mut()
                .expect("created above")
                .write_batch(&df)
                .map_err(|e| Error::polars(out, e))?;
            written += group.len() as u64;
            group.clear();
            Ok(())
        };
        for rec in reader.records() {
            let rec = rec.map_err(|e| bad(&e))?;
            let num = |k: usize| -> Result<u64> {
                rec.get(k)
                    .and_then(|t| t.parse().ok())
                    .ok_or_else(|| bad(&"the statements spill is damaged"))
            };
            let line = num(0)?;
            let cells: Vec<String> = rec.iter().skip(5).map(str::to_string).collect();
            if retract.contains_key(&line) {
                removed.push((line, cells));
                continue;
            }
            let status = STATEMENT_BITS
                .iter()
                .map(|(_, s)| *s)
                .find(|s| Some(*s) == rec.get(4))
                .ok_or_else(|| bad(&"the statements spill is damaged"))?;
            group.push(Statement {
                line,
                city: num(1)? as usize,
                data_point: num(2)? as usize,
                year: rec
                    .get(3)
                    .and_then(|t| t.parse().ok())
                    .ok_or_else(|| bad(&"the statements spill is damaged"))?,
                status,
                cells,
            });
            if group.len() == STATEMENT_GROUP {
                flush(&mut group)?;
            }
        }
        flush(&mut group)?;
        drop(reader);
        std::fs::remove_file(&self.path).at(&self.path)?;
        if let Some(w) = writer {
            w.finish().map_err(|e| Error::polars(out, e))?;
            File::options()
                .read(true)
                .open(out)
                .at(out)?
                .sync_all()
                .at(out)?;
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::sync_channel;

    fn named() -> Named {
        Named {
            batch_id: "000001-0123456789ab".into(),
            sha: "0123456789ab".into(),
            size: 3,
            metadata: vec![("citybench.batch_id".into(), "000001-0123456789ab".into())],
        }
    }

    fn frame(from: u64, n: u64) -> DataFrame {
        df![
            col::SOURCE_LINE => (from..from + n).collect::<Vec<u64>>(),
            col::VALUE => (from..from + n).map(|i| i as f64 / 2.0).collect::<Vec<f64>>(),
        ]
        .unwrap()
    }

    /// The bytes `write_batch` writes for `frames` frames of two rows, the batch named
    /// before the first frame (`named_after` None) or once the writer took frame
    /// `named_after` (the frames go through a rendezvous, so the ones before it were
    /// encoded unnamed; past [`WAITING_ROW_GROUPS`] the writer waits for the name).
    fn written(types: &RawTypes, frames: u64, named_after: Option<u64>) -> Vec<u8> {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("part.parquet");
        let name = Naming::default();
        if named_after.is_none() {
            name.set(named());
        }
        std::thread::scope(|s| {
            let (tx, rx) = sync_channel(0);
            // the sender says when the writer took frame `named_after`, and goes on once
            // the batch is named (as ingest names it before closing the writer)
            let (taken_tx, taken_rx) = sync_channel(0);
            let (go_tx, go_rx) = sync_channel(0);
            let writer = s.spawn(|| write_batch(&path, rx, &name, types, &AtomicBool::new(false)));
            s.spawn(move || {
                for i in 1..=frames {
                    tx.send(frame(2 * i - 1, 2)).unwrap();
                    if Some(i) == named_after {
                        taken_tx.send(()).unwrap();
                        go_rx.recv().unwrap();
                    }
                }
            });
            if named_after.is_some() {
                taken_rx.recv().unwrap();
                name.set(named());
                go_tx.send(()).unwrap();
            }
            writer.join().unwrap().unwrap();
        });
        std::fs::read(&path).unwrap()
    }

    #[test]
    fn rows_encoded_before_the_batch_is_named_are_written_with_its_id() {
        let types = RawTypes::new("t");
        let early = written(&types, 3, None);
        assert_eq!(written(&types, 3, Some(2)), early);
        let df = ParquetReader::new(std::io::Cursor::new(early.clone()))
            .finish()
            .unwrap();
        assert_eq!(
            df.get_column_names(),
            [col::BATCH_ID, col::SOURCE_LINE, col::VALUE]
        );
        let ids = df
            .column(col::BATCH_ID)
            .unwrap()
            .cast(&DataType::String)
            .unwrap();
        assert_eq!(
            ids.str().unwrap().iter().collect::<Vec<_>>(),
            vec![Some("000001-0123456789ab"); 6]
        );
        let meta = ParquetReader::new(std::io::Cursor::new(early))
            .get_metadata()
            .unwrap()
            .clone();
        assert_eq!(meta.row_groups.len(), 3);
        let kv = meta.key_value_metadata().as_ref().unwrap();
        assert!(
            kv.iter().any(|k| k.key == "citybench.batch_id"
                && k.value.as_deref() == Some("000001-0123456789ab"))
        );
    }

    /// More row groups than [`WAITING_ROW_GROUPS`] before the batch is named: the writer
    /// waits for the name (the frames' sender blocks meanwhile), then writes them all.
    #[test]
    fn a_writer_with_too_many_row_groups_waiting_waits_for_the_name() {
        let types = RawTypes::new("t");
        let frames = WAITING_ROW_GROUPS as u64 + 3;
        let early = written(&types, frames, None);
        assert_eq!(written(&types, frames, Some(frames - 2)), early);
        let meta = ParquetReader::new(std::io::Cursor::new(early))
            .get_metadata()
            .unwrap()
            .clone();
        assert_eq!(meta.row_groups.len() as u64, frames);
    }

    /// A writer waiting for a name that does not come (its ingest failed or stopped) stops
    /// when abandoned, without a file footer, instead of waiting for ever.
    #[test]
    fn an_abandoned_writer_waiting_for_the_name_stops() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("part.parquet");
        let naming = Arc::new(Naming::default());
        let abandoned = Arc::new(AtomicBool::new(false));
        let (tx, rx) = sync_channel(0);
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let thread = {
            let (naming, abandoned, path) = (naming.clone(), abandoned.clone(), path.clone());
            std::thread::spawn(move || {
                let r = write_batch(&path, rx, &naming, &RawTypes::new("t"), &abandoned);
                done_tx.send(r.is_ok()).unwrap();
            })
        };
        // one frame more than may wait: the writer is then waiting for the name
        for i in 0..=WAITING_ROW_GROUPS as u64 {
            tx.send(frame(1 + 2 * i, 2)).unwrap();
        }
        abandoned.store(true, Ordering::Release);
        naming.wake();
        drop(tx);
        let ok = done_rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the abandoned writer stopped");
        assert!(ok);
        thread.join().unwrap();
        assert!(naming.get().is_none());
        // no footer was written: the file does not read as Parquet
        assert!(
            ParquetReader::new(std::fs::File::open(&path).unwrap())
                .finish()
                .is_err()
        );
    }

    #[test]
    fn a_batch_whose_hashing_failed_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("part.parquet");
        let (tx, rx) = sync_channel(1);
        tx.send(frame(1, 2)).unwrap();
        drop(tx);
        let naming = Naming::default();
        naming.fail();
        let e = write_batch(
            &path,
            rx,
            &naming,
            &RawTypes::new("t"),
            &AtomicBool::new(false),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: the file could not be hashed, so the batch has no name",
                path.display()
            )
        );
    }
}
