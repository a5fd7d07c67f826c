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
//! `run` reads the observations in their final order ([`read_observations`]): the key
//! columns first, their order, then every other value decoded straight into its row's
//! place, so the panel is never held twice. [`read_keyed`] reads every row in file order
//! (for `verify`, and as the reference the tests compare with).
//!
//! A part whose columns are not of the types ingest writes (a batch from an older
//! version) is read through Polars' scan instead, with the same result.

use std::fs::File;
use std::io::Cursor;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use polars::prelude::*;
use polars::series::IsSorted;
use polars_arrow::array::{Array, BooleanArray, DictionaryArray, PrimitiveArray};
use polars_arrow::bitmap::MutableBitmap;
use polars_arrow::datatypes::{ArrowDataType, Field as ArrowField};
use polars_parquet::read::{
    BasicDecompressor, FileMetadata, PageReader, column_iter_to_arrays, infer_schema, read_metadata,
};

use super::keys::Keys;
use super::order::{self, Packing};
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
    meta: FileMetadata,
    /// Per column of [`COLUMNS`]: its Arrow field as ingest wrote it.
    fields: Vec<ArrowField>,
}

/// The raw batches of `ws` in manifest order as the frame [`super::normalise::normalise`]
/// makes of them: ids and quality encoded by `keys`, [`d::BATCH_SEQ`] the batch's position.
/// An error when the workspace has no batch, or names an id outside the vocabulary.
pub fn read_keyed(ws: &Workspace, keys: &Keys) -> Result<DataFrame> {
    let parts = open_parts(ws)?;
    let tasks: Vec<Task<'_>> = parts
        .iter()
        .flat_map(|p| match p {
            Ok(part) => (0..part.meta.row_groups.len())
                .map(|rg| Task::RowGroup(part, rg))
                .collect::<Vec<_>>(),
            Err((path, seq)) => vec![Task::Polars(path, *seq)],
        })
        .collect();
    // in manifest order, row groups in file order
    let frames = on_readers(tasks.len(), |i| match tasks[i] {
        Task::RowGroup(part, rg) => row_group(part, rg, keys),
        Task::Polars(path, seq) => through_polars(path, seq, keys),
    })?;
    let mut frames = frames.into_iter();
    let mut out = frames.next().expect("at least one part");
    for df in frames {
        out.vstack_mut_owned(df)
            .map_err(|e| Error::polars("raw batches", e))?;
    }
    Ok(out)
}

/// The observations of `ws`: what [`super::observations`] makes of [`read_keyed`]'s frame
/// (ordered by (city, data point, year), the latest batch winning a repeated key, with
/// [`d::SERIES`]), built in their order instead of read and then gathered.
///
/// The key columns (city, data point, year) are decoded first and packed into one key a
/// row ([`Packing`]); the keys are ordered ([`order::order_keys`]); the ordered key
/// columns are unpacked from the ordered keys; then the other columns are decoded row group
/// by row group and each value written straight to its row's place. Reading the whole
/// frame and then gathering it held the panel twice: the ordering after the reading
/// touched about 0.6 GB of fresh memory at 5 000 cities (1.5 GB at 13 000), a page fault
/// every 4 KB.
///
/// Batches are read in manifest order, so a later row is of the same or a later batch and
/// the last row of a repeated key is the latest batch's. Falls back to [`read_keyed`] and
/// [`super::observations`] when a part is not in ingest's layout, a key column has nulls
/// (never written by ingest), or the rows do not fit 32-bit positions.
pub fn read_observations(ws: &Workspace, keys: &Keys) -> Result<DataFrame> {
    let fallback = || super::observations(read_keyed(ws, keys)?.lazy(), keys);
    let parts: Vec<Part> = match open_parts(ws)?.into_iter().collect() {
        Ok(parts) => parts,
        Err(_) => return fallback(),
    };
    // (part, row group, first row)
    let mut slots: Vec<(usize, usize, usize)> = Vec::new();
    let mut n = 0usize;
    for (p, part) in parts.iter().enumerate() {
        for (rg, group) in part.meta.row_groups.iter().enumerate() {
            slots.push((p, rg, n));
            n += group.num_rows();
        }
    }
    if n == 0 || n >= u32::MAX as usize {
        return fallback();
    }

    // 1. the keys of every row
    const KEY_COLUMNS: [usize; 3] = [0, 1, 2];
    let key_columns = on_readers(slots.len(), |t| {
        let (p, rg, _) = slots[t];
        KEY_COLUMNS
            .iter()
            .map(|&i| column(&parts[p], rg, i, keys))
            .collect::<Result<Vec<Column>>>()
    })?;
    if key_columns.iter().flatten().any(|c| c.null_count() > 0) {
        return fallback();
    }
    let pe = |e| Error::polars("raw batches", e);
    let mut years = (i32::MAX, i32::MIN);
    for cols in &key_columns {
        let y = cols[2].i32().map_err(pe)?;
        if let (Some(lo), Some(hi)) = (y.min(), y.max()) {
            years = (years.0.min(lo), years.1.max(hi));
        }
    }
    let packing = Packing {
        data_points: keys.data_points().max(1) as u64,
        first_year: years.0,
        years: (years.1 as i64 - years.0 as i64 + 1) as u64,
    };
    let mut packed: Vec<u64> = vec![0; n];
    split_rows(&mut packed, |from, out| {
        pack(&key_columns, &slots, &packing, from, out)
    })
    .map_err(pe)?;
    drop(key_columns);

    // 2. their order, and the key columns in it
    let (order, sorted) = order::order_keys(packed, &packing, None);
    let m = sorted.len();
    let (mut city, mut point) = (vec![0u32; m], vec![0u32; m]);
    let (mut year, mut series) = (vec![0i32; m], vec![0u64; m]);
    unpack(
        &sorted,
        &packing,
        &mut city,
        &mut point,
        &mut year,
        &mut series,
    );
    drop(sorted);
    // the batch of each kept row: its part's
    let part_of_row = |row: usize| slots[slots.partition_point(|s| s.2 <= row) - 1].0;
    let batch = if parts.iter().all(|p| p.seq == parts[0].seq) {
        Column::new_scalar(
            d::BATCH_SEQ.into(),
            Scalar::new(DataType::UInt32, AnyValue::UInt32(parts[0].seq)),
            m,
        )
    } else {
        let rows: Box<dyn Iterator<Item = usize>> = match &order {
            Some(o) => Box::new(o.iter().map(|&r| r as usize)),
            None => Box::new(0..n),
        };
        Column::new(
            d::BATCH_SEQ.into(),
            rows.map(|r| parts[part_of_row(r)].seq)
                .collect::<Vec<u32>>(),
        )
    };
    // where each row goes (u32::MAX: a repeat dropped); None: where it is
    let place: Option<Vec<u32>> = order.map(|o| {
        let mut place = vec![u32::MAX; n];
        for (i, &r) in o.iter().enumerate() {
            place[r as usize] = i as u32;
        }
        place
    });
    let to = |row: usize| match &place {
        None => Some(row),
        Some(place) => {
            let p = place[row];
            (p != u32::MAX).then_some(p as usize)
        }
    };

    // 3. the other columns, each value written to its row's place: value and verified on
    // one thread, quality and confidential on the other (each thread owns its columns)
    let each_row_group = |i: usize, scatter: &mut dyn FnMut(&Column, usize) -> PolarsResult<()>| {
        for &(p, rg, first) in &slots {
            let c = column(&parts[p], rg, i, keys)?;
            scatter(&c, first).map_err(pe)?;
        }
        Ok::<_, Error>(())
    };
    let mut value = Scattered::new(vec![0f64; m]);
    let mut quality = Scattered::new(vec![0u32; m]);
    let mut verified = Scattered::new(MutableBitmap::from_len_zeroed(m));
    let mut confidential = Scattered::new(MutableBitmap::from_len_zeroed(m));
    std::thread::scope(|s| {
        let other = s.spawn(|| {
            each_row_group(4, &mut |c, first| {
                let codes = c.as_materialized_series().cat32()?.physical().clone();
                quality.primitives(&codes, first, &to)
            })?;
            each_row_group(6, &mut |c, first| confidential.flags(c.bool()?, first, &to))
        });
        let ours = each_row_group(3, &mut |c, first| value.primitives(c.f64()?, first, &to))
            .and_then(|()| {
                each_row_group(5, &mut |c, first| verified.flags(c.bool()?, first, &to))
            });
        other
            .join()
            .expect("a reader thread does not panic")
            .and(ours)
    })?;

    let mut series = UInt64Chunked::from_vec(d::SERIES.into(), series);
    series.set_sorted_flag(IsSorted::Ascending);
    let flags = |name: &str, s: Scattered<MutableBitmap>| {
        BooleanChunked::with_chunk(
            name.into(),
            BooleanArray::new(
                ArrowDataType::Boolean,
                s.values.into(),
                s.validity.map(Into::into),
            ),
        )
        .into_column()
    };
    let columns = vec![
        keys.column(d::CITY_ID, city, None).map_err(pe)?,
        keys.column(d::DATA_POINT_ID, point, None).map_err(pe)?,
        Column::new(d::YEAR.into(), year),
        Float64Chunked::with_chunk(
            d::VALUE.into(),
            PrimitiveArray::new(
                ArrowDataType::Float64,
                value.values.into(),
                value.validity.map(Into::into),
            ),
        )
        .into_column(),
        keys.column(d::QUALITY, quality.values, quality.validity.map(Into::into))
            .map_err(pe)?,
        flags(d::VERIFIED, verified),
        flags(d::CONFIDENTIAL, confidential),
        batch,
        series.into_column(),
    ];
    DataFrame::new(m, columns).map_err(pe)
}

/// `fill(from, out)` over the two halves of `out` at once (`from`: the first row of `out`).
fn split_rows<T: Send>(
    out: &mut [T],
    fill: impl Fn(usize, &mut [T]) -> PolarsResult<()> + Sync,
) -> PolarsResult<()> {
    let half = out.len() / 2;
    let (a, b) = out.split_at_mut(half);
    std::thread::scope(|s| {
        let other = s.spawn(|| fill(half, b));
        let ours = fill(0, a);
        other.join().expect("a thread does not panic").and(ours)
    })
}

/// The packed keys of rows `from..from + out.len()` of the row groups' key columns
/// (`slots`: each row group's first row) into `out`.
fn pack(
    columns: &[Vec<Column>],
    slots: &[(usize, usize, usize)],
    packing: &Packing,
    from: usize,
    out: &mut [u64],
) -> PolarsResult<()> {
    let end = from + out.len();
    for (cols, &(_, _, first)) in columns.iter().zip(slots) {
        let len = cols[0].len();
        let (lo, hi) = (first.max(from), (first + len).min(end));
        if lo >= hi {
            continue;
        }
        let codes = |c: &Column| -> PolarsResult<UInt32Chunked> {
            Ok(c.as_materialized_series()
                .cat32()?
                .physical()
                .rechunk()
                .into_owned())
        };
        let (city, point) = (codes(&cols[0])?, codes(&cols[1])?);
        let year = cols[2].i32()?.rechunk();
        let (city, point, year) = (city.cont_slice()?, point.cont_slice()?, year.cont_slice()?);
        for (r, o) in (lo..hi).zip(&mut out[lo - from..hi - from]) {
            let j = r - first;
            *o = packing.key(city[j], point[j], year[j]);
        }
    }
    Ok(())
}

/// The (city, data point, year) codes and series of the packed `sorted` keys, on two
/// threads; 32-bit division when the keys allow (a 64-bit one costs several times more).
fn unpack(
    sorted: &[u64],
    packing: &Packing,
    city: &mut [u32],
    point: &mut [u32],
    year: &mut [i32],
    series: &mut [u64],
) {
    let (dps, years) = (packing.data_points, packing.years);
    let narrow = sorted.last().is_none_or(|&k| k < 1 << 32);
    let fill = |sorted: &[u64],
                city: &mut [u32],
                point: &mut [u32],
                year: &mut [i32],
                series: &mut [u64]| {
        for (i, &k) in sorted.iter().enumerate() {
            let (s, y) = if narrow {
                let s = k as u32 / years as u32;
                (s as u64, k as u32 - s * years as u32)
            } else {
                (k / years, (k % years) as u32)
            };
            let c = if narrow {
                s as u32 / dps as u32
            } else {
                (s / dps) as u32
            };
            city[i] = c;
            point[i] = (s - c as u64 * dps) as u32;
            year[i] = y as i32 + packing.first_year;
            series[i] = s;
        }
    };
    let half = sorted.len() / 2;
    let (s0, s1) = sorted.split_at(half);
    let (c0, c1) = city.split_at_mut(half);
    let (p0, p1) = point.split_at_mut(half);
    let (y0, y1) = year.split_at_mut(half);
    let (e0, e1) = series.split_at_mut(half);
    std::thread::scope(|s| {
        s.spawn(|| fill(s1, c1, p1, y1, e1));
        fill(s0, c0, p0, y0, e0);
    });
}

/// One column of [`read_observations`] filled at the rows' places: its values, and its
/// validity once a null is met.
struct Scattered<V> {
    values: V,
    validity: Option<MutableBitmap>,
}

impl<V> Scattered<V> {
    fn new(values: V) -> Self {
        Scattered {
            values,
            validity: None,
        }
    }

    /// Row `at` of `len` is null.
    fn null(&mut self, len: usize, at: usize) {
        self.validity
            .get_or_insert_with(|| MutableBitmap::from_len_set(len))
            .set(at, false);
    }
}

impl<T: polars_arrow::types::NativeType> Scattered<Vec<T>> {
    /// The values of `ca` (rows `first..`) at their places `to(row)`.
    fn primitives<P>(
        &mut self,
        ca: &ChunkedArray<P>,
        first: usize,
        to: &dyn Fn(usize) -> Option<usize>,
    ) -> PolarsResult<()>
    where
        P: PolarsNumericType<Native = T>,
    {
        let len = self.values.len();
        let mut row = first;
        for arr in ca.downcast_iter() {
            for (i, &v) in arr.values().iter().enumerate() {
                if let Some(at) = to(row + i) {
                    self.values[at] = v;
                    if !arr.is_valid(i) {
                        self.null(len, at);
                    }
                }
            }
            row += arr.len();
        }
        Ok(())
    }
}

impl Scattered<MutableBitmap> {
    /// The flags of `ca` (rows `first..`) at their places `to(row)`.
    fn flags(
        &mut self,
        ca: &BooleanChunked,
        first: usize,
        to: &dyn Fn(usize) -> Option<usize>,
    ) -> PolarsResult<()> {
        let len = self.values.len();
        let mut row = first;
        for arr in ca.downcast_iter() {
            for (i, v) in arr.values().iter().enumerate() {
                if let Some(at) = to(row + i) {
                    self.values.set(at, v);
                    if !arr.is_valid(i) {
                        self.null(len, at);
                    }
                }
            }
            row += arr.len();
        }
        Ok(())
    }
}

/// Every part of `ws`'s batches opened, in manifest order: in ingest's layout, or (its path
/// and batch position) to be read through Polars. An error when there is no batch.
fn open_parts(ws: &Workspace) -> Result<Vec<std::result::Result<Part, (PathBuf, u32)>>> {
    let manifest = ws.manifest()?;
    let mut parts = Vec::new();
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
    Ok(parts)
}

/// `work(0..tasks)` on [`READERS`] threads, each taking the next task when done; the
/// results in task order, or the first error.
fn on_readers<T: Send>(tasks: usize, work: impl Fn(usize) -> Result<T> + Sync) -> Result<Vec<T>> {
    let next = AtomicUsize::new(0);
    let take = || -> Result<Vec<(usize, T)>> {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= tasks {
                return Ok(done);
            }
            done.push((i, work(i)?));
        }
    };
    let mut all: Vec<(usize, T)> = std::thread::scope(|s| {
        let take = &take;
        let helpers: Vec<_> = (1..READERS).map(|_| s.spawn(take)).collect();
        let mut all = take()?;
        for h in helpers {
            all.extend(h.join().expect("a reader thread does not panic")?);
        }
        Ok::<_, Error>(all)
    })?;
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, t)| t).collect())
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
    // every chunk read inside the file, before any is decoded: a footer of a file whose
    // middle was lost is named by its first chunk outside (in row group, then column
    // order), not by the garbage read from inside what is left
    for (rg, group) in meta.row_groups.iter().enumerate() {
        for name in COLUMNS {
            for chunk in group.columns_under_root_iter(name).into_iter().flatten() {
                let range = chunk.byte_range();
                if range.end > len || range.start > range.end {
                    return Err(Error::Usage(format!(
                        "{}: column {name} of row group {rg} lies outside the file (bytes {}..{} of {len}); the file is damaged",
                        path.display(),
                        range.start,
                        range.end,
                    )));
                }
            }
        }
    }
    Ok(Some(Part {
        path: path.to_path_buf(),
        seq,
        file,
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
    for i in 0..COLUMNS.len() {
        columns.push(column(part, rg, i, keys)?);
    }
    columns.push(Column::new_scalar(
        d::BATCH_SEQ.into(),
        Scalar::new(DataType::UInt32, AnyValue::UInt32(part.seq)),
        rows,
    ));
    DataFrame::new(rows, columns).map_err(|e| Error::polars(path, e))
}

/// Column `COLUMNS[i]` of row group `rg` of `part` (ids encoded).
fn column(part: &Part, rg: usize, i: usize, keys: &Keys) -> Result<Column> {
    let (name, field) = (&COLUMNS[i], &part.fields[i]);
    let path = &part.path;
    let group = &part.meta.row_groups[rg];
    let rows = group.num_rows();
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
    // inside the file ([`open`] checked every chunk)
    let range = chunk.byte_range();
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
    Ok(column)
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
