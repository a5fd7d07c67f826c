//! Reading the raw batches for a run: the columns [`super::normalise`] keeps, decoded
//! from the Parquet pages with the ids already encoded ([`Keys`]).
//!
//! A raw batch stores `city_id`, `data_point_id` and `quality` dictionary-encoded. Polars'
//! reader turns such a column into a categorical by looking up the text of every row in
//! the batch's string map (a tenth of `run`'s CPU time at 5 000 cities), and the run then
//! translated those categories to its own codes. Here the Parquet decoder hands over the
//! dictionary and the keys: each dictionary entry is encoded once and the keys translated
//! through a table. The row groups of all batches are read on two threads.
//!
//! A part whose columns are not of the types ingest writes (a batch from an older
//! version) is read through Polars' scan instead, with the same result.

use std::fs::File;
use std::io::Cursor;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use polars::prelude::*;
use polars_arrow::array::DictionaryArray;
use polars_arrow::datatypes::{ArrowDataType, Field as ArrowField};
use polars_parquet::read::{
    BasicDecompressor, FileMetadata, PageReader, column_iter_to_arrays, infer_schema, read_metadata,
};

use super::keys::Keys;
use crate::error::{Error, IoContext, Result};
use crate::schema::{derived as d, raw as r};
use crate::store::Workspace;

/// The columns read, in the order of [`super::normalise::normalise`]'s output.
const COLUMNS: [&str; 7] = [
    r::CITY_ID,
    r::DATA_POINT_ID,
    r::YEAR,
    r::VALUE,
    r::QUALITY,
    r::VERIFIED,
    r::CONFIDENTIAL,
];

/// Threads decoding row groups.
const READERS: usize = 2;

/// One part of a batch, opened.
struct Part {
    path: PathBuf,
    seq: u32,
    file: File,
    len: u64,
    meta: FileMetadata,
    /// Per column of [`COLUMNS`]: its Arrow field as ingest wrote it.
    fields: Vec<ArrowField>,
}

/// The raw batches of `ws` in manifest order as the frame [`super::normalise::normalise`]
/// makes of them: ids and quality encoded by `keys`, [`d::BATCH_SEQ`] the batch's position.
/// An error when the workspace has no batch, or names an id outside the vocabulary.
pub fn read_keyed(ws: &Workspace, keys: &Keys) -> Result<DataFrame> {
    let manifest = ws.manifest()?;
    // every part opened, in manifest order: its row groups, or the part through Polars
    let mut parts: Vec<std::result::Result<Part, (PathBuf, u32)>> = Vec::new();
    for (seq, b) in manifest.batches.iter().enumerate() {
        for part in &b.parts {
            let path = ws.root().join(part);
            parts.push(open(&path, seq as u32)?.ok_or((path, seq as u32)));
        }
    }
    if parts.is_empty() {
        return Err(Error::Usage(format!(
            "{} has no batches; ingest a submission file first (citybench ingest FILE)",
            ws.root().display()
        )));
    }
    let tasks: Vec<Task<'_>> = parts
        .iter()
        .flat_map(|p| match p {
            Ok(part) => (0..part.meta.row_groups.len())
                .map(|rg| Task::RowGroup(part, rg))
                .collect::<Vec<_>>(),
            Err((path, seq)) => vec![Task::Polars(path, *seq)],
        })
        .collect();
    let next = AtomicUsize::new(0);
    let work = || -> Result<Vec<(usize, DataFrame)>> {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(task) = tasks.get(i) else {
                return Ok(done);
            };
            let df = match *task {
                Task::RowGroup(part, rg) => row_group(part, rg, keys)?,
                Task::Polars(path, seq) => through_polars(path, seq, keys)?,
            };
            done.push((i, df));
        }
    };
    let mut frames: Vec<(usize, DataFrame)> = std::thread::scope(|s| {
        let work = &work;
        let helpers: Vec<_> = (1..READERS).map(|_| s.spawn(work)).collect();
        let mut all = work()?;
        for h in helpers {
            all.extend(h.join().expect("a reader thread does not panic")?);
        }
        Ok::<_, Error>(all)
    })?;
    // in manifest order, row groups in file order
    frames.sort_by_key(|(i, _)| *i);
    let mut frames = frames.into_iter().map(|(_, df)| df);
    let mut out = frames.next().expect("at least one part");
    for df in frames {
        out.vstack_mut_owned(df)
            .map_err(|e| Error::polars("raw batches", e))?;
    }
    Ok(out)
}

/// One piece of [`read_keyed`]'s work.
enum Task<'p> {
    /// Row group `.1` of a part in ingest's layout.
    RowGroup(&'p Part, usize),
    /// A whole part of another layout, the batch's position.
    Polars(&'p Path, u32),
}

/// `path` opened with its footer read; None when one of [`COLUMNS`] is missing or not of
/// the type ingest writes.
fn open(path: &Path, seq: u32) -> Result<Option<Part>> {
    let mut file = File::open(path).at(path)?;
    let len = file.metadata().at(path)?.len();
    let meta = read_metadata(&mut file).map_err(|e| Error::polars(path, e))?;
    let schema = infer_schema(&meta).map_err(|e| Error::polars(path, e))?;
    let mut fields = Vec::with_capacity(COLUMNS.len());
    for name in COLUMNS {
        let Some(field) = schema.get(name) else {
            return Ok(None);
        };
        let expected = match name {
            r::CITY_ID | r::DATA_POINT_ID | r::QUALITY => matches!(
                &field.dtype,
                ArrowDataType::Dictionary(_, values, _) if **values == ArrowDataType::Utf8View
            ),
            r::YEAR => field.dtype == ArrowDataType::Int32,
            r::VALUE => field.dtype == ArrowDataType::Float64,
            _ => field.dtype == ArrowDataType::Boolean,
        };
        if !expected {
            return Ok(None);
        }
        fields.push(field.clone());
    }
    Ok(Some(Part {
        path: path.to_path_buf(),
        seq,
        file,
        len,
        meta,
        fields,
    }))
}

/// Row group `rg` of `part` as a frame of [`COLUMNS`] (ids encoded) and [`d::BATCH_SEQ`].
fn row_group(part: &Part, rg: usize, keys: &Keys) -> Result<DataFrame> {
    let path = &part.path;
    let group = &part.meta.row_groups[rg];
    let rows = group.num_rows();
    let mut columns = Vec::with_capacity(COLUMNS.len() + 1);
    for (name, field) in COLUMNS.iter().zip(&part.fields) {
        let chunks: Vec<_> = group
            .columns_under_root_iter(name)
            .into_iter()
            .flatten()
            .collect();
        let [chunk] = chunks.as_slice() else {
            return Err(Error::Usage(format!(
                "{}: row group {rg} has {} column chunks named {name}, expected one",
                path.display(),
                chunks.len()
            )));
        };
        let range = chunk.byte_range();
        if range.end > part.len || range.start > range.end {
            return Err(Error::Usage(format!(
                "{}: column {name} of row group {rg} lies outside the file (bytes {}..{} of {}); the file is damaged",
                path.display(),
                range.start,
                range.end,
                part.len
            )));
        }
        let mut bytes = vec![0u8; (range.end - range.start) as usize];
        part.file.read_exact_at(&mut bytes, range.start).at(path)?;
        let pages = PageReader::new(Cursor::new(bytes.into()), chunk, vec![], usize::MAX);
        let (arrays, _) = column_iter_to_arrays(
            vec![BasicDecompressor::new(pages, vec![])],
            vec![&chunk.descriptor().descriptor.primitive_type],
            field.clone(),
            None,
        )
        .map_err(|e| Error::polars(path, e))?;
        let column = match *name {
            r::CITY_ID | r::DATA_POINT_ID | r::QUALITY => {
                let dictionaries: Vec<&DictionaryArray<u32>> = arrays
                    .iter()
                    .map(|a| a.as_any().downcast_ref::<DictionaryArray<u32>>())
                    .collect::<Option<_>>()
                    .ok_or_else(|| {
                        Error::Usage(format!(
                            "{}: column {name} is not dictionary-encoded with 32-bit keys",
                            path.display()
                        ))
                    })?;
                keys.encode_dictionaries(name, &dictionaries)
                    .map_err(|e| Error::polars(path, e))?
            }
            _ => Series::try_from((PlSmallStr::from(*name), arrays))
                .map_err(|e| Error::polars(path, e))?
                .into_column(),
        };
        if column.len() != rows {
            return Err(Error::Usage(format!(
                "{}: column {name} of row group {rg} has {} rows, the row group {rows}; the file is damaged",
                path.display(),
                column.len()
            )));
        }
        columns.push(column);
    }
    columns.push(Column::new_scalar(
        d::BATCH_SEQ.into(),
        Scalar::new(DataType::UInt32, AnyValue::UInt32(part.seq)),
        rows,
    ));
    DataFrame::new(rows, columns).map_err(|e| Error::polars(path, e))
}

/// A part not of ingest's column types, read through Polars' scan.
fn through_polars(path: &Path, seq: u32, keys: &Keys) -> Result<DataFrame> {
    let scan = LazyFrame::scan_parquet(
        PlRefPath::new(path.to_string_lossy().as_ref()),
        ScanArgsParquet::default(),
    )
    .map_err(|e| Error::polars(path, e))?
    .with_column(lit(seq).cast(DataType::UInt32).alias(d::BATCH_SEQ));
    super::normalise::normalise(scan, keys)
        .collect()
        .map_err(|e| Error::polars(path, e))
}
