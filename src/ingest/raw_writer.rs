//! The Parquet writer of raw batches and of `run`'s tables: Polars' page encoders, with
//! the choice of encoding for text and float columns, the min/max statistics of plain
//! floats, the export of categorical columns ([`dictionary_of_codes`]) and the keys of
//! every dictionary-encoded column ([`dictionary_pages`]) done here.
//!
//! Polars' writer tries a dictionary for every string and float column: it estimates the
//! column's cardinality (hashing every value), then hashes and compares every value of
//! every row group again to build one. For `value_reported` (a number's text per row),
//! `source` and `conversion` that was a fifth of ingest's CPU time at 10.3 M rows, and for
//! `run`'s tables a third of their writing time. Here a text column is either
//! - plain-encoded ([`Encoding::Plain`]: the bytes copied), for text that is mostly distinct
//!   (`value_reported`) or mostly missing (`denominator`, `notes`), as the caller names; or
//! - dictionary-encoded by runs ([`dictionary_by_runs`], every text column the caller does
//!   not name): a value equal to the one before (the same 16-byte view) takes its code
//!   without hashing, so a `source` repeated on every row costs one comparison per row, and
//!   stays a dictionary of one entry on disk. A column whose first values are mostly
//!   distinct ([`mostly_distinct`]) is written plain without trying.
//!
//! A float column goes to a dictionary of its values' bits ([`dictionary_of_floats`])
//! unless mostly distinct; then it is written plain, with the min and max computed here
//! ([`with_min_max`]: Polars' fold was 6 % of `run`'s CPU time).
//!
//! A 32-bit integer column whose values lie at most [`INT_RANGE`] apart goes to a dictionary
//! of its values ([`dictionary_of_ints`], as Polars decides it), and a 64-bit one the caller
//! names [`ColumnEncoding::Delta`] is delta-encoded. Every dictionary, the categorical
//! columns' included, has its keys encoded here ([`dictionary_pages`], Polars making the
//! dictionary page and the statistics). Every other column keeps Polars' encodings (wider
//! integers, RLE booleans) and statistics; the file keeps its Arrow schema in the footer
//! (so Polars reads the categorical columns back as they were written) and the caller's
//! key-value metadata.
//! Row groups can be encoded on several threads ([`RawWriter::encode`]) and written in
//! order ([`RawWriter::write_encoded`]).

use std::io::Write;

use polars::io::parquet::write::get_encodings;
use polars::prelude::*;
use polars_arrow::array::{
    Array, DictionaryArray, MutableBinaryViewArray, PrimitiveArray, Utf8ViewArray,
};
use polars_arrow::bitmap::Bitmap;
use polars_arrow::datatypes::{ArrowDataType, IntegerType};
use polars_parquet::parquet::CowBuffer;
use polars_parquet::parquet::encoding::bitpacked;
use polars_parquet::parquet::page::{DataPage, DataPageHeader, DataPageHeaderV1};
use polars_parquet::parquet::schema::Repetition;
use polars_parquet::write::{
    CompressedPage, DynIter, DynStreamingIterator, Encoding, FallibleStreamingIterator, FileWriter,
    KeyValue, Page, ParquetType, StatisticsOptions, Version, WriteOptions, array_to_columns,
    compress, schema_to_metadata_key, write_def_levels,
};
use rustc_hash::FxHashMap;

/// How a caller asks a text or float column to be written (a column not named goes to a
/// dictionary unless mostly distinct).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnEncoding {
    /// Parquet's plain encoding.
    Plain,
    /// A dictionary unless mostly distinct: for text built by runs of equal values
    /// ([`dictionary_by_runs`]), for floats by their bits ([`dictionary_of_floats`]).
    Dictionary,
    /// Parquet's DELTA_BINARY_PACKED, for a 64-bit integer column whose values step
    /// evenly (a file's line numbers: a few bytes a page instead of eight a row).
    Delta,
}

/// One row group encoded and compressed by [`RawWriter::encode`]: per column its pages.
/// One encoded by [`RawWriter::encode_from`] lacks its first `first` columns until
/// [`RawWriter::prepend`] adds them.
pub struct RowGroup {
    rows: usize,
    first: usize,
    columns: Vec<Vec<CompressedPage>>,
}

impl RowGroup {
    /// The rows of the row group.
    pub fn rows(&self) -> usize {
        self.rows
    }
}

/// The pages of one column of a [`RowGroup`], handed to the file writer one at a time.
struct Pages {
    pages: std::vec::IntoIter<CompressedPage>,
    current: Option<CompressedPage>,
}

impl FallibleStreamingIterator for Pages {
    type Item = CompressedPage;
    type Error = PolarsError;

    fn advance(&mut self) -> PolarsResult<()> {
        self.current = self.pages.next();
        Ok(())
    }

    fn get(&self) -> Option<&CompressedPage> {
        self.current.as_ref()
    }
}

/// A Parquet file written one frame (one or more row groups) at a time.
pub struct RawWriter<W: Write> {
    writer: FileWriter<W>,
    fields: Vec<ParquetType>,
    encodings: Vec<Vec<Encoding>>,
    /// Per column: how the caller asks it to be written (text and floats only).
    asked: Vec<Option<ColumnEncoding>>,
    options: WriteOptions,
    metadata: Vec<KeyValue>,
}

impl<W: Write> RawWriter<W> {
    /// A writer of frames of `schema` to `w`; the text and float columns named in `asked`
    /// are written as given there (the others to a dictionary unless mostly distinct),
    /// `metadata` goes to the footer as key-value pairs.
    pub fn new(
        w: W,
        schema: &Schema,
        asked: &[(&str, ColumnEncoding)],
        compression: ParquetCompression,
        metadata: Vec<(String, String)>,
    ) -> PolarsResult<Self> {
        let arrow: ArrowSchema = schema
            .iter_fields()
            .map(|f| {
                let field = f
                    .dtype()
                    .to_arrow_field(f.name().clone(), CompatLevel::newest());
                (field.name.clone(), field)
            })
            .collect();
        let encodings: Vec<Vec<Encoding>> = get_encodings(&arrow).iter().cloned().collect();
        let asked = arrow
            .iter_values()
            .map(|f| {
                asked
                    .iter()
                    .find(|(n, _)| *n == f.name.as_str())
                    .filter(|(_, e)| match e {
                        ColumnEncoding::Delta => {
                            matches!(f.dtype, ArrowDataType::Int64 | ArrowDataType::UInt64)
                        }
                        _ => matches!(f.dtype, ArrowDataType::Utf8View | ArrowDataType::Float64),
                    })
                    .map(|(_, e)| *e)
            })
            .collect();
        let options = WriteOptions {
            statistics: StatisticsOptions::default(),
            version: Version::V1,
            compression: compression.into(),
            data_page_size: None,
        };
        let writer = FileWriter::try_new(w, arrow, options)?;
        let fields = writer.parquet_schema().fields().to_vec();
        let mut w = RawWriter {
            writer,
            fields,
            encodings,
            asked,
            options,
            metadata: Vec::new(),
        };
        w.set_metadata(metadata);
        Ok(w)
    }

    /// Write `df` (of the writer's schema) as one row group.
    pub fn write(&mut self, df: &DataFrame) -> PolarsResult<()> {
        let group = self.encode(df)?;
        self.write_encoded(group)
    }

    /// Write a row group [`encode`](Self::encode)d by this writer (row groups go to the file
    /// in the order they are written, whatever order they were encoded in).
    pub fn write_encoded(&mut self, group: RowGroup) -> PolarsResult<()> {
        if group.rows == 0 {
            return Ok(());
        }
        polars_ensure!(
            group.first == 0,
            ComputeError: "a row group lacks its first {} column(s)", group.first
        );
        let columns = group.columns.into_iter().map(|pages| {
            Ok(DynStreamingIterator::new(Pages {
                pages: pages.into_iter(),
                current: None,
            }))
        });
        self.writer.write(group.rows as u64, DynIter::new(columns))
    }

    /// `df` (of the writer's schema) encoded and compressed as one row group, not yet
    /// written: several threads may encode row groups of one file at once.
    pub fn encode(&self, df: &DataFrame) -> PolarsResult<RowGroup> {
        self.encode_from(df, 0)
    }

    /// `df`, holding the writer's columns from the `first`-th on, encoded and compressed as
    /// a row group that [`prepend`](Self::prepend) completes before it is written: a raw
    /// batch's first column (its id) is known only once the file's hash is, and the rows
    /// read meanwhile wait encoded (about 21 bytes a row in a raw batch).
    pub fn encode_from(&self, df: &DataFrame, first: usize) -> PolarsResult<RowGroup> {
        polars_ensure!(
            first + df.width() == self.fields.len(),
            ShapeMismatch: "{} column(s) from column {first} of a file of {}",
            df.width(), self.fields.len()
        );
        let rows = df.height();
        if rows == 0 {
            return Ok(RowGroup {
                rows,
                first,
                columns: Vec::new(),
            });
        }
        let mut df = df.clone();
        df.rechunk_mut_par();
        let mut columns = Vec::with_capacity(df.width());
        for (i, column) in df.columns().iter().enumerate() {
            columns.append(&mut self.encode_column(first + i, column)?);
        }
        Ok(RowGroup {
            rows,
            first,
            columns,
        })
    }

    /// `group` with its missing first columns encoded from `df` (as many columns, of as
    /// many rows) in front.
    pub fn prepend(&self, group: RowGroup, df: &DataFrame) -> PolarsResult<RowGroup> {
        polars_ensure!(
            df.width() == group.first && df.height() == group.rows,
            ShapeMismatch: "{} x {} in front of a row group lacking {} x {}",
            df.width(), df.height(), group.first, group.rows
        );
        let mut df = df.clone();
        df.rechunk_mut_par();
        let mut columns = Vec::with_capacity(group.first + group.columns.len());
        for (i, column) in df.columns().iter().enumerate() {
            columns.append(&mut self.encode_column(i, column)?);
        }
        columns.extend(group.columns);
        Ok(RowGroup {
            rows: group.rows,
            first: 0,
            columns,
        })
    }

    /// The pages of `column`, the writer's `i`-th (one rechunked column of a row group).
    fn encode_column(&self, i: usize, column: &Column) -> PolarsResult<Vec<Vec<CompressedPage>>> {
        let (type_, encoding, asked) = (&self.fields[i], &self.encodings[i], self.asked[i]);
        // the text columns' statistics (the min and max of every `value_reported`) are
        // never read; their null counts are kept. Plain float columns get theirs from
        // `with_min_max`.
        let no_min_max = WriteOptions {
            statistics: StatisticsOptions {
                min_value: false,
                max_value: false,
                ..self.options.statistics
            },
            ..self.options
        };
        let series = column.as_materialized_series();
        let array: Box<dyn Array> = match series.dtype() {
            DataType::Categorical(_, mapping)
                if series.dtype().cat_physical().ok() == Some(CategoricalPhysical::U32) =>
            {
                let codes = series.to_physical_repr();
                let codes = codes.u32()?;
                Box::new(dictionary_of_codes(codes.downcast_as_array(), mapping))
            }
            _ => series.to_arrow(0, CompatLevel::newest()),
        };
        if !array.is_empty()
            && array.null_count() == array.len()
            && matches!(
                array.dtype(),
                ArrowDataType::Utf8View | ArrowDataType::Float64
            )
        {
            let pages = null_pages(array.as_ref(), type_, no_min_max)?;
            let compressed = pages
                .into_iter()
                .map(|page| compress(page, Vec::new(), no_min_max.compression))
                .collect::<Result<_, _>>()?;
            return Ok(vec![compressed]);
        }
        let dictionary;
        let (array, encoding, options, floats): (&dyn Array, &[Encoding], _, _) =
            match column_plan(array.as_ref(), asked) {
                Plan::AsPolars => (array.as_ref(), encoding.as_slice(), self.options, None),
                Plan::Delta => (
                    array.as_ref(),
                    &[Encoding::DeltaBinaryPacked],
                    self.options,
                    None,
                ),
                Plan::PlainText => (array.as_ref(), &[Encoding::Plain], no_min_max, None),
                Plan::PlainFloats(values) => {
                    (array.as_ref(), &[Encoding::Plain], no_min_max, Some(values))
                }
                Plan::Dictionary(d) => {
                    dictionary = d;
                    let options = if matches!(array.dtype(), ArrowDataType::Utf8View) {
                        no_min_max
                    } else {
                        // the dictionary's min and max: as cheap as its length
                        self.options
                    };
                    (&dictionary, &[Encoding::RleDictionary], options, None)
                }
            };
        if let Some(d) = array.as_any().downcast_ref::<DictionaryArray<u32>>() {
            let pages = dictionary_pages(d, type_, options)?;
            let compressed = pages
                .into_iter()
                .map(|page| compress(page, Vec::new(), options.compression))
                .collect::<Result<_, _>>()?;
            return Ok(vec![compressed]);
        }
        let mut columns = Vec::new();
        for pages in array_to_columns(array, type_.clone(), options, encoding)? {
            let mut offset = 0;
            let mut compressed = Vec::new();
            for page in pages {
                let page = match &floats {
                    Some(values) => with_min_max(page?, values, &mut offset),
                    None => page?,
                };
                compressed.push(compress(page, Vec::new(), options.compression)?);
            }
            columns.push(compressed);
        }
        Ok(columns)
    }

    /// The key-value pairs the footer will hold (after the Arrow schema), instead of those
    /// given to [`new`](Self::new).
    pub fn set_metadata(&mut self, metadata: Vec<(String, String)>) {
        self.metadata = metadata
            .into_iter()
            .map(|(key, value)| KeyValue {
                key,
                value: Some(value),
            })
            .collect();
    }

    /// Write the footer (the Arrow schema first, then the caller's metadata) and return the
    /// inner writer.
    pub fn finish(mut self) -> PolarsResult<W> {
        let mut metadata = vec![schema_to_metadata_key(self.writer.schema())];
        metadata.append(&mut self.metadata);
        self.writer.end(Some(metadata))?;
        Ok(self.writer.into_inner())
    }
}

/// How one column of one row group is encoded.
enum Plan {
    /// As Polars' writer encodes it (booleans, integers other than [`dictionary_of_ints`]
    /// takes).
    AsPolars,
    /// Plain text, without min/max statistics.
    PlainText,
    /// Delta-encoded integers ([`ColumnEncoding::Delta`]).
    Delta,
    /// Plain floats, with min/max statistics computed by [`with_min_max`].
    PlainFloats(PrimitiveArray<f64>),
    /// A dictionary built here ([`dictionary_by_runs`], [`dictionary_of_floats`],
    /// [`dictionary_of_ints`]).
    Dictionary(DictionaryArray<u32>),
}

/// The plan for `array`: text and floats as `asked`, else in a dictionary unless mostly
/// distinct; every other type as Polars writes it.
///
/// Polars' writer decides on a dictionary for text and floats by estimating the column's
/// cardinality (hashing every value) and then builds it by hashing every value again; at
/// 5 000 cities that was a third of `run`'s writing time.
fn column_plan(array: &dyn Array, asked: Option<ColumnEncoding>) -> Plan {
    if asked == Some(ColumnEncoding::Delta) {
        return Plan::Delta;
    }
    let dictionary = asked != Some(ColumnEncoding::Plain);
    match array.dtype() {
        ArrowDataType::Utf8View => {
            let a = array
                .as_any()
                .downcast_ref::<Utf8ViewArray>()
                .expect("a Utf8View array");
            match dictionary.then(|| dictionary_by_runs(a)).flatten() {
                Some(d) => Plan::Dictionary(d),
                None => Plan::PlainText,
            }
        }
        ArrowDataType::Float64 => {
            let a = array
                .as_any()
                .downcast_ref::<PrimitiveArray<f64>>()
                .expect("a Float64 array");
            match dictionary.then(|| dictionary_of_floats(a)).flatten() {
                Some(d) => Plan::Dictionary(d),
                None => Plan::PlainFloats(a.clone()),
            }
        }
        ArrowDataType::Int32 => {
            dictionary_of_ints::<i32>(array).map_or(Plan::AsPolars, Plan::Dictionary)
        }
        ArrowDataType::UInt32 => {
            dictionary_of_ints::<u32>(array).map_or(Plan::AsPolars, Plan::Dictionary)
        }
        _ => Plan::AsPolars,
    }
}

/// The widest range (greatest minus least value) of an integer column that
/// [`dictionary_of_ints`] takes: Polars' threshold for 32-bit integers.
const INT_RANGE: i64 = 512;

/// The 32-bit integer column `array` as a dictionary of its values in ascending order, as
/// Polars' writer builds it for a column whose values span at most [`INT_RANGE`] (a table
/// indexed by value; then its own key encoder, which [`dictionary_pages`] replaces). None
/// for a wider range or no valid value: Polars' writer decides then.
fn dictionary_of_ints<T>(array: &dyn Array) -> Option<DictionaryArray<u32>>
where
    T: polars_arrow::types::NativeType + Ord + Into<i64> + TryFrom<i64>,
{
    let a = array.as_any().downcast_ref::<PrimitiveArray<T>>()?;
    let (min, max) = if a.null_count() == 0 {
        let v = a.values();
        (v.iter().copied().min()?, v.iter().copied().max()?)
    } else {
        let mut valid = a.non_null_values_iter();
        let first = valid.next()?;
        valid.fold((first, first), |(lo, hi), v| (lo.min(v), hi.max(v)))
    };
    let (lo, hi): (i64, i64) = (min.into(), max.into());
    if hi - lo > INT_RANGE {
        return None;
    }
    let slot = |v: T| (v.clamp(min, max).into() - lo) as usize;
    // first 1 for a value present, then its key
    let mut table = vec![0u32; (hi - lo) as usize + 1];
    if a.null_count() == 0 {
        a.values().iter().for_each(|&v| table[slot(v)] = 1);
    } else {
        a.non_null_values_iter().for_each(|v| table[slot(v)] = 1);
    }
    let mut dictionary: Vec<T> = Vec::new();
    for (i, t) in table.iter_mut().enumerate() {
        if *t != 0 {
            *t = dictionary.len() as u32;
            dictionary.push(T::try_from(lo + i as i64).ok()?);
        }
    }
    // a null's value is any, clamped into the table (as Polars does)
    let keys: Vec<u32> = a.values().iter().map(|&v| table[slot(v)]).collect();
    let keys =
        PrimitiveArray::<u32>::new(ArrowDataType::UInt32, keys.into(), a.validity().cloned());
    let values = PrimitiveArray::<T>::from_vec(dictionary);
    Some(dictionary_array(keys, values.boxed()))
}

/// How many of the first values are sampled to tell a mostly distinct column.
const SAMPLE: usize = 1024;

/// Of the first [`SAMPLE`] valid values, more than three quarters are distinct (then a
/// dictionary would not pay, and building one would hash half the column before giving
/// up). False for a column of fewer valid values: the dictionary builders decide exactly.
fn mostly_distinct<T: std::hash::Hash + Eq>(values: impl Iterator<Item = T>) -> bool {
    let mut seen = rustc_hash::FxHashSet::default();
    let mut n = 0usize;
    for v in values.take(SAMPLE) {
        seen.insert(v);
        n += 1;
    }
    n == SAMPLE && 4 * seen.len() > 3 * n
}

/// The codes of a dictionary built by runs: a value whose run key (a text's 16-byte view, a
/// float's bits) equals the previous value's takes that value's code without a lookup;
/// another is looked up by its index key (the text, the bits) and, when new, gets the next
/// code, unless the dictionary would then hold more than `max` values.
struct Runs<R, K> {
    last: Option<(R, u32)>,
    index: FxHashMap<K, u32>,
    max: usize,
}

impl<R: PartialEq + Copy, K: std::hash::Hash + Eq> Runs<R, K> {
    fn new(max: usize) -> Self {
        Runs {
            last: None,
            index: FxHashMap::default(),
            max,
        }
    }

    /// The code of the value with run key `run` and index key `key()`; `add` stores a
    /// value seen for the first time. None when that value would be one more than `max`.
    fn code(&mut self, run: R, key: impl FnOnce() -> K, add: impl FnOnce(&K)) -> Option<u32> {
        if let Some((r, k)) = self.last
            && r == run
        {
            return Some(k);
        }
        let key = key();
        let k = match self.index.get(&key) {
            Some(&k) => k,
            None => {
                if self.index.len() + 1 > self.max {
                    return None;
                }
                let k = self.index.len() as u32;
                add(&key);
                self.index.insert(key, k);
                k
            }
        };
        self.last = Some((run, k));
        Some(k)
    }
}

/// `array` as a dictionary of its values by their bits (so `-0.0` and `0.0` stay apart),
/// built by runs as [`dictionary_by_runs`] does. None when mostly distinct (sampled, then
/// more than three quarters of the values), the threshold of Polars' writer.
fn dictionary_of_floats(array: &PrimitiveArray<f64>) -> Option<DictionaryArray<u32>> {
    if array.len() - array.null_count() == 0
        || mostly_distinct(array.non_null_values_iter().map(f64::to_bits))
    {
        return None;
    }
    let valid = |i: usize| array.validity().is_none_or(|v| v.get_bit(i));
    let mut keys: Vec<u32> = Vec::with_capacity(array.len());
    let mut values: Vec<f64> = Vec::new();
    let mut runs = Runs::new(3 * array.len() / 4);
    for (i, &v) in array.values().iter().enumerate() {
        if !valid(i) {
            keys.push(0);
            continue;
        }
        let bits = v.to_bits();
        keys.push(runs.code(bits, || bits, |_| values.push(v))?);
    }
    let keys = PrimitiveArray::<u32>::new(
        ArrowDataType::UInt32,
        keys.into(),
        array.validity().cloned(),
    );
    let values = PrimitiveArray::<f64>::from_vec(values);
    Some(dictionary_array(keys, values.boxed()))
}

/// Rows per data page of a dictionary-encoded column: the 1 MiB of keys of Polars' writer.
const DICTIONARY_PAGE_ROWS: usize = 1 << 18;

/// The pages of the dictionary-encoded column `d`: its dictionary page and statistics as
/// Polars' writer makes them (from the dictionary and the first row), then data pages of
/// [`DICTIONARY_PAGE_ROWS`] rows whose keys are encoded here ([`encode_keys`]). Polars'
/// encoder walks the keys one at a time through an iterator (a pass for the bit width,
/// another to encode, buffering every value): it was the top function of ingest's writer
/// thread. Each page's statistics count the nulls of that page (Polars' count the column's
/// on every page, so a chunk of several pages with nulls summed them more than once).
fn dictionary_pages(
    d: &DictionaryArray<u32>,
    type_: &ParquetType,
    options: WriteOptions,
) -> PolarsResult<Vec<Page>> {
    let head: Box<dyn Array> = d.clone().sliced(0, d.len().min(1)).boxed();
    let mut polars = Vec::new();
    for column in array_to_columns(&head, type_.clone(), options, &[Encoding::RleDictionary])? {
        for page in column {
            polars.push(page?);
        }
    }
    let mut polars = polars.into_iter();
    let (Some(Page::Dict(dictionary)), Some(Page::Data(first))) = (polars.next(), polars.next())
    else {
        polars_bail!(ComputeError: "no dictionary and data page for column {}", type_.name());
    };
    let DataPageHeader::V1(template) = first.header().clone() else {
        polars_bail!(ComputeError: "column {} has no version 1 data page", type_.name());
    };
    let optional = type_.get_field_info().repetition == Repetition::Optional;
    let keys = d.keys();
    let mut pages = vec![Page::Dict(dictionary)];
    let mut offset = 0;
    while offset < d.len() {
        let rows = DICTIONARY_PAGE_ROWS.min(d.len() - offset);
        let validity = keys.validity().map(|v| v.clone().sliced(offset, rows));
        let nulls = validity.as_ref().map_or(0, Bitmap::unset_bits);
        let mut buffer = Vec::new();
        write_def_levels(&mut buffer, optional, validity.as_ref(), rows, Version::V1)?;
        encode_keys(
            &mut buffer,
            &keys.values()[offset..offset + rows],
            validity.as_ref().filter(|_| nulls > 0),
        );
        pages.push(data_page(&template, &first, buffer, rows, nulls));
        offset += rows;
    }
    Ok(pages)
}

/// A data page of `rows` rows, `nulls` of them null, holding `buffer` (definition levels
/// and values), with the header and statistics of Polars' page `first` (`template`, its
/// version 1 header) but its own row and null counts.
fn data_page(
    template: &DataPageHeaderV1,
    first: &DataPage,
    buffer: Vec<u8>,
    rows: usize,
    nulls: usize,
) -> Page {
    let mut header = template.clone();
    header.num_values = rows as i32;
    if let Some(statistics) = header.statistics.as_mut() {
        statistics.null_count = Some(nulls as i64);
    }
    Page::Data(DataPage::new(
        DataPageHeader::V1(header),
        CowBuffer::Owned(buffer),
        first.descriptor.clone(),
        rows,
    ))
}

/// The pages of `array`, every row of it null: the first as Polars' writer makes it from
/// one row (header, statistics), then data pages of [`DICTIONARY_PAGE_ROWS`] rows, each
/// its definition levels as one run of zeros and no values. Polars' encoders walk every
/// row's validity bit: the raw batch's empty `denominator`, `notes` and
/// `denominator_value` took 70 ms of ingest's writer at 10.3 M rows.
fn null_pages(
    array: &dyn Array,
    type_: &ParquetType,
    options: WriteOptions,
) -> PolarsResult<Vec<Page>> {
    let head = array.sliced(0, 1);
    let first = array_to_columns(head.as_ref(), type_.clone(), options, &[Encoding::Plain])?
        .into_iter()
        .flatten()
        .next()
        .transpose()?;
    let Some(Page::Data(first)) = first else {
        polars_bail!(ComputeError: "no data page for column {}", type_.name());
    };
    let DataPageHeader::V1(template) = first.header().clone() else {
        polars_bail!(ComputeError: "column {} has no version 1 data page", type_.name());
    };
    let mut pages = Vec::new();
    let mut offset = 0;
    while offset < array.len() {
        let rows = DICTIONARY_PAGE_ROWS.min(array.len() - offset);
        // definition levels (bit width 1): their length, then one run of `rows` zeros
        let mut run = Vec::new();
        let mut header = (rows as u64) << 1;
        while header >= 0x80 {
            run.push((header as u8) | 0x80);
            header >>= 7;
        }
        run.push(header as u8);
        run.push(0);
        let mut buffer = (run.len() as u32).to_le_bytes().to_vec();
        buffer.extend(run);
        pages.push(data_page(&template, &first, buffer, rows, rows));
        offset += rows;
    }
    Ok(pages)
}

/// The most keys in one bit-packed run (as Polars' encoder).
const MAX_LITERAL: usize = 8 * 1024;

/// Append the dictionary keys of one data page to `out`, as Parquet's RLE_DICTIONARY data
/// holds them: the bit width of the page's largest key in one byte, then the keys of the
/// valid rows in the RLE / bit-packing hybrid.
///
/// The keys are taken eight at a time, the unit of a bit-packed run: a group of eight equal
/// keys starts a run-length encoded run, which takes every following equal key; other
/// groups are bit-packed. So a run shorter than 15 keys may be bit-packed, and the test of a
/// group is one comparison of eight keys (Polars' encoder tests and buffers each key, with
/// branches that a column changing on every row mispredicts).
fn encode_keys(out: &mut Vec<u8>, keys: &[u32], validity: Option<&Bitmap>) {
    let valid: Vec<u32>;
    let keys = match validity {
        Some(v) => {
            valid = keys
                .iter()
                .zip(v.iter())
                .filter_map(|(&k, ok)| ok.then_some(k))
                .collect();
            &valid[..]
        }
        None => keys,
    };
    let width = 32 - keys.iter().copied().max().unwrap_or(0).leading_zeros() as usize;
    out.push(width as u8);
    let n = keys.len();
    let (mut literal, mut i) = (0, 0);
    while i + 8 <= n {
        let group: &[u32; 8] = keys[i..i + 8].try_into().expect("eight keys");
        let v = group[0];
        if group.iter().fold(true, |all, &k| all & (k == v)) {
            let mut j = i + 8;
            while j < n && keys[j] == v {
                j += 1;
            }
            bit_packed(out, &keys[literal..i], width);
            run_length(out, j - i, v, width);
            (literal, i) = (j, j);
        } else {
            i += 8;
            if i - literal >= MAX_LITERAL {
                bit_packed(out, &keys[literal..i], width);
                literal = i;
            }
        }
    }
    bit_packed(out, &keys[literal..], width);
}

/// Append `keys` as one bit-packed run of `width` bits each (the last group of eight
/// padded with zeros).
fn bit_packed(out: &mut Vec<u8>, keys: &[u32], width: usize) {
    if keys.is_empty() {
        return;
    }
    let groups = keys.len().div_ceil(8);
    uleb128(out, ((groups as u64) << 1) | 1);
    if width == 0 {
        return;
    }
    let start = out.len();
    out.resize(start + keys.len().div_ceil(32) * 4 * width, 0);
    bitpacked::encode::<u32>(keys, width, &mut out[start..]);
    out.truncate(start + groups * width);
}

/// Append a run of `len` keys `key` of `width` bits.
fn run_length(out: &mut Vec<u8>, len: usize, key: u32, width: usize) {
    uleb128(out, (len as u64) << 1);
    out.extend_from_slice(&key.to_le_bytes()[..width.div_ceil(8)]);
}

/// Append `value` as an unsigned LEB128 varint.
fn uleb128(out: &mut Vec<u8>, value: u64) {
    let mut container = [0u8; 10];
    let used = polars_parquet::parquet::encoding::uleb128::encode(value, &mut container);
    out.extend_from_slice(&container[..used]);
}

/// `page` (the next data page of the plain float column `values`, `offset` rows in) with
/// the min and max statistics Polars' writer would give it: NaN when the page holds a NaN,
/// a zero minimum as `-0.0` and a zero maximum as `+0.0` (the Parquet specification), none
/// when every value is null (the column chunk's statistics are reduced from the pages' by
/// polars-parquet). Polars computes them with a scalar fold that walks the validity bit by
/// bit (without its nightly-only `simd` feature): 6 % of `run`'s CPU time.
fn with_min_max(page: Page, values: &PrimitiveArray<f64>, offset: &mut usize) -> Page {
    let Page::Data(mut page) = page else {
        return page;
    };
    let rows = page.num_values();
    let slice = values.clone().sliced(*offset, rows);
    *offset += rows;
    let min_max = float_min_max(&slice);
    let mut header = page.header().clone();
    let statistics = match &mut header {
        DataPageHeader::V1(h) => h.statistics.as_mut(),
        DataPageHeader::V2(h) => h.statistics.as_mut(),
    };
    let Some(statistics) = statistics else {
        return Page::Data(page);
    };
    let (min, max) = match min_max {
        Some((min, max)) => (
            Some((if min == 0.0 { -0.0 } else { min }).to_le_bytes().to_vec()),
            Some(
                (if max == 0.0 { 0.0f64 } else { max })
                    .to_le_bytes()
                    .to_vec(),
            ),
        ),
        None => (None, None),
    };
    statistics.min_value = min;
    statistics.max_value = max;
    let buffer = std::mem::take(page.buffer_mut());
    let descriptor = page.descriptor.clone();
    Page::Data(DataPage::new(
        header,
        CowBuffer::Owned(buffer),
        descriptor,
        rows,
    ))
}

/// The least and greatest valid value of `a` (both NaN when one is NaN); None when every
/// value is null.
fn float_min_max(a: &PrimitiveArray<f64>) -> Option<(f64, f64)> {
    let (mut min, mut max, mut nan, mut any) = (f64::INFINITY, f64::NEG_INFINITY, false, false);
    let mut see = |v: f64| {
        any = true;
        nan |= v.is_nan();
        min = if v < min { v } else { min };
        max = if v > max { v } else { max };
    };
    match a.validity().filter(|v| v.unset_bits() > 0) {
        None => a.values().iter().for_each(|&v| see(v)),
        Some(validity) => a.values().iter().zip(validity.iter()).for_each(|(&v, ok)| {
            if ok {
                see(v)
            }
        }),
    }
    match (any, nan) {
        (false, _) => None,
        (true, true) => Some((f64::NAN, f64::NAN)),
        (true, false) => Some((min, max)),
    }
}

/// `array` as a dictionary array whose dictionary is built by runs ([`Runs`]): a value whose
/// view equals the previous value's (same length and inline bytes, or the same bytes of the
/// same buffer) takes its code without hashing; other values are looked up by their text.
/// None when its first values are mostly distinct ([`mostly_distinct`]) or more than half
/// of the values are (then plain encoding is smaller).
fn dictionary_by_runs(array: &Utf8ViewArray) -> Option<DictionaryArray<u32>> {
    if mostly_distinct(array.non_null_values_iter()) {
        return None;
    }
    let mut keys: Vec<u32> = Vec::with_capacity(array.len());
    let mut values = MutableBinaryViewArray::<str>::new();
    let mut runs = Runs::new(array.len() / 2);
    for (i, &view) in array.views().iter().enumerate() {
        if !array.is_valid(i) {
            keys.push(0);
            continue;
        }
        // SAFETY: i < array.len() (one view per value)
        let text = || unsafe { array.value_unchecked(i) };
        keys.push(runs.code(view, text, |t| values.push_value(*t))?);
    }
    Some(text_dictionary(keys, array.validity(), values))
}

/// The codes of a categorical column as a dictionary array holding the texts it uses
/// (Polars' own export builds it through a hash set probed per row; here a table indexed
/// by code). Without nulls, in two passes without a branch per row: one marks the codes
/// used, the other looks up each row's key, and the texts are in code order. With nulls,
/// in the order of first use, a run of equal codes costing one comparison.
fn dictionary_of_codes(
    codes: &PrimitiveArray<u32>,
    mapping: &CategoricalMapping,
) -> DictionaryArray<u32> {
    if codes.null_count() == 0 {
        let codes = codes.values();
        let max = codes.iter().copied().max().unwrap_or(0) as usize;
        // first 1 for a code used, then its key
        let mut local = vec![0u32; mapping.num_cats_upper_bound().max(max + 1)];
        for &c in codes.iter() {
            local[c as usize] = 1;
        }
        let mut values = MutableBinaryViewArray::<str>::new();
        for (c, slot) in local.iter_mut().enumerate() {
            if *slot != 0 {
                *slot = values.len() as u32;
                values.push_value(mapping.cat_to_str(c as u32).unwrap_or_default());
            }
        }
        let keys = codes.iter().map(|&c| local[c as usize]).collect();
        return text_dictionary(keys, None, values);
    }
    const UNSET: u32 = u32::MAX;
    let mut local = vec![UNSET; mapping.num_cats_upper_bound()];
    let mut values = MutableBinaryViewArray::<str>::new();
    let mut last = (UNSET, 0u32);
    let valid = |i: usize| codes.validity().is_none_or(|v| v.get_bit(i));
    let keys: Vec<u32> = codes
        .values_iter()
        .enumerate()
        .map(|(i, &c)| {
            if c == last.0 {
                return last.1;
            }
            if !valid(i) {
                // a null's code is no category's
                return 0;
            }
            if c as usize >= local.len() {
                local.resize(c as usize + 1, UNSET);
            }
            let slot = &mut local[c as usize];
            if *slot == UNSET {
                *slot = values.len() as u32;
                values.push_value(mapping.cat_to_str(c).unwrap_or_default());
            }
            last = (c, *slot);
            *slot
        })
        .collect();
    text_dictionary(keys, codes.validity(), values)
}

/// A dictionary array of texts from its keys (one per row, any value where `validity` says
/// null) and its values.
fn text_dictionary(
    keys: Vec<u32>,
    validity: Option<&Bitmap>,
    mut values: MutableBinaryViewArray<str>,
) -> DictionaryArray<u32> {
    if values.len() == 0 {
        // every row null: key 0 must still index a value
        values.push_value("");
    }
    let keys = PrimitiveArray::<u32>::new(ArrowDataType::UInt32, keys.into(), validity.cloned());
    let values: Utf8ViewArray = values.into();
    dictionary_array(keys, values.boxed())
}

/// The dictionary array of `keys` into `values`, every key of which (a null's included)
/// indexes a value: the builders here give each row a key of a value they pushed, and a
/// null key 0 with at least one value. Not checked again row by row (Polars' checked
/// constructor was 1 % of ingest's and `run`'s CPU time), except in the unit tests.
fn dictionary_array(keys: PrimitiveArray<u32>, values: Box<dyn Array>) -> DictionaryArray<u32> {
    let dtype =
        ArrowDataType::Dictionary(IntegerType::UInt32, Box::new(values.dtype().clone()), false);
    if cfg!(test) {
        return DictionaryArray::try_new(dtype, keys, values).expect("every key indexes a value");
    }
    // SAFETY: every key is below `values.len()` (see above; checked in the unit tests)
    unsafe { DictionaryArray::try_new_unchecked(dtype, keys, values) }
        .expect("a dictionary of u32 keys")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Column `col` of row group `rg` has a dictionary page.
    fn dictionary(meta: &polars_parquet::read::FileMetadata, rg: usize, col: &str) -> bool {
        let c = meta.row_groups[rg]
            .columns_under_root_iter(col)
            .unwrap()
            .next()
            .unwrap();
        c.dictionary_page_offset().is_some()
    }

    /// What is written reads back equal, categorical columns included; plain columns are
    /// plain-encoded, run columns dictionary-encoded (or plain when mostly distinct), the
    /// others as Polars encodes them, and the metadata is kept.
    #[test]
    fn text_columns_are_encoded_as_asked_and_the_file_reads_back_equal() {
        let cats = DataType::from_categories(Categories::new(
            "raw_writer_test".into(),
            "citybench-test".into(),
            CategoricalPhysical::U32,
        ));
        let long = "a source longer than twelve bytes";
        let mut df = df![
            "id" => [Some("a"), Some("b"), Some("a"), None],
            "none" => [None::<&str>, None, None, None],
            "text" => [Some("1.5"), None, Some("1.5"), Some("2")],
            "source" => [Some(long), Some(long), None, Some("short")],
            "distinct" => ["w", "x", "y", "z"],
            "n" => [1.0, 2.0, 3.0, 4.0],
            "repeated" => [1.0, 1.0, 1.0, 1.0],
        ]
        .unwrap();
        df.apply("id", |c| c.cast(&cats).unwrap()).unwrap();
        df.apply("none", |c| c.cast(&cats).unwrap()).unwrap();
        let text = [
            ("text", ColumnEncoding::Plain),
            ("source", ColumnEncoding::Dictionary),
            ("distinct", ColumnEncoding::Dictionary),
            // a float asked plain: plain although repeated
            ("repeated", ColumnEncoding::Plain),
        ];
        let mut w = RawWriter::new(
            Vec::new(),
            df.schema(),
            &text,
            ParquetCompression::Uncompressed,
            vec![("citybench.test".into(), "yes".into())],
        )
        .unwrap();
        w.write(&df.slice(0, 2)).unwrap();
        w.write(&df.slice(2, 2)).unwrap();
        let bytes = w.finish().unwrap();

        let back = ParquetReader::new(std::io::Cursor::new(bytes.clone()))
            .finish()
            .unwrap();
        assert!(back.equals_missing(&df), "{back}\n{df}");
        assert_eq!(back.column("id").unwrap().dtype(), &cats);

        let meta = polars_parquet::read::read_metadata(&mut std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(meta.row_groups.len(), 2);
        for rg in 0..2 {
            assert!(!dictionary(&meta, rg, "text"));
            assert!(dictionary(&meta, rg, "source"));
            assert!(dictionary(&meta, rg, "id"));
            // two distinct values of two: more than half distinct, so plain
            assert!(!dictionary(&meta, rg, "distinct"));
            assert!(!dictionary(&meta, rg, "repeated"));
        }
        let kv = meta.key_value_metadata.unwrap();
        assert_eq!(kv[0].key, "ARROW:schema");
        assert!(
            kv.iter()
                .any(|k| k.key == "citybench.test" && k.value.as_deref() == Some("yes"))
        );
    }

    /// Equal texts get one code whether their views are equal (a run) or not (the same long
    /// text stored twice), nulls keep their place, and a mostly distinct column is refused.
    #[test]
    fn dictionary_by_runs_codes_equal_texts_once() {
        let long = "a value longer than twelve bytes";
        let mut m = MutableBinaryViewArray::<str>::new();
        for v in [Some(long), Some(long), None, Some("x"), Some(long)] {
            m.push(v);
        }
        let a: Utf8ViewArray = m.into();
        let d = dictionary_by_runs(&a).unwrap();
        let keys: Vec<Option<u32>> = d.keys().iter().map(|k| k.copied()).collect();
        assert_eq!(keys, [Some(0), Some(0), None, Some(1), Some(0)]);
        let values = d.values().as_any().downcast_ref::<Utf8ViewArray>().unwrap();
        assert_eq!(values.values_iter().collect::<Vec<_>>(), [long, "x"]);

        let distinct: Utf8ViewArray =
            MutableBinaryViewArray::<str>::from_values_iter(["a", "b", "c", "d"].into_iter())
                .into();
        assert!(dictionary_by_runs(&distinct).is_none());

        // a column of nulls only (a file without `source`)
        let mut m = MutableBinaryViewArray::<str>::new();
        for _ in 0..4 {
            m.push_null();
        }
        let nulls: Utf8ViewArray = m.into();
        let d = dictionary_by_runs(&nulls).unwrap();
        assert_eq!(d.keys().null_count(), 4);
    }

    /// `df` written in row groups of 8 rows, uncompressed, by this writer (the bytes, also
    /// in `dir/ours.parquet`) and by Polars' own writer (`dir/polars.parquet`).
    fn ours_and_polars(
        df: &DataFrame,
        dir: &std::path::Path,
    ) -> (Vec<u8>, std::path::PathBuf, std::path::PathBuf) {
        let ours = dir.join("ours.parquet");
        let mut w = RawWriter::new(
            Vec::new(),
            df.schema(),
            &[],
            ParquetCompression::Uncompressed,
            vec![],
        )
        .unwrap();
        for rg in 0..df.height().div_ceil(8) {
            w.write(&df.slice(rg as i64 * 8, 8)).unwrap();
        }
        let bytes = w.finish().unwrap();
        std::fs::write(&ours, &bytes).unwrap();
        let polars = dir.join("polars.parquet");
        ParquetWriter::new(std::fs::File::create(&polars).unwrap())
            .with_row_group_size(Some(8))
            .finish(&mut df.clone())
            .unwrap();
        (bytes, ours, polars)
    }

    /// The min and max statistics of every (row group, column) of the Parquet file `path`,
    /// as DuckDB reads them.
    fn min_max(path: &std::path::Path) -> Vec<(i64, String, Option<String>, Option<String>)> {
        let conn = duckdb::Connection::open_in_memory().unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT row_group_id, path_in_schema, stats_min_value, stats_max_value \
                 FROM parquet_metadata(?) ORDER BY 1, 2",
            )
            .unwrap();
        stmt.query_map([path.to_string_lossy().to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    }

    /// Float columns: mostly distinct row groups are written plain with min/max statistics
    /// computed here, and a reader sees the same statistics as in the file Polars' own
    /// writer makes (nulls skipped, a zero minimum -0.0 and a zero maximum +0.0, none with
    /// a NaN or for nulls only); a repeated value goes to a dictionary; every value reads
    /// back bit for bit.
    #[test]
    fn float_columns_get_polars_statistics_and_a_dictionary_when_repeated() {
        let nan = f64::NAN;
        let x: Vec<Option<f64>> = [
            // plain, with a null
            [
                Some(1.5),
                None,
                Some(-2.0),
                Some(4.0),
                Some(5.0),
                Some(6.0),
                Some(7.0),
                Some(8.0),
            ],
            // plain, the maximum a zero
            [-1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0, 0.0].map(Some),
            // plain, the minimum a zero
            [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0].map(Some),
            // nulls only
            [None; 8],
            // a NaN
            [3.0, nan, 1.0, 2.0, 4.0, 5.0, 6.0, 7.0].map(Some),
            // one value repeated: a dictionary
            [
                Some(7.0),
                Some(7.0),
                None,
                Some(7.0),
                Some(-0.0),
                Some(7.0),
                Some(0.0),
                Some(7.0),
            ],
        ]
        .concat();
        let df = df!["x" => x].unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (bytes, ours, polars) = ours_and_polars(&df, dir.path());

        assert_eq!(min_max(&ours), min_max(&polars));
        let ours_stats = min_max(&ours);
        assert_eq!(ours_stats[1].3.as_deref(), Some("0.0"));
        assert_eq!(ours_stats[2].2.as_deref(), Some("-0.0"));
        assert_eq!(ours_stats[3].2, None);

        let meta = polars_parquet::read::read_metadata(&mut std::io::Cursor::new(&bytes)).unwrap();
        let plans: Vec<bool> = (0..6).map(|rg| dictionary(&meta, rg, "x")).collect();
        assert_eq!(plans, [false, false, false, false, false, true]);

        let back = ParquetReader::new(std::io::Cursor::new(bytes))
            .finish()
            .unwrap();
        let bits = |df: &DataFrame| -> Vec<Option<u64>> {
            df.column("x")
                .unwrap()
                .f64()
                .unwrap()
                .iter()
                .map(|v| v.map(f64::to_bits))
                .collect()
        };
        assert_eq!(bits(&back), bits(&df));
    }

    /// A text column not named is written as a dictionary by runs; a long mostly distinct
    /// one is refused after the sample, before any dictionary is built.
    #[test]
    fn text_not_named_goes_to_a_dictionary_unless_the_sample_is_mostly_distinct() {
        let repeated: Vec<&str> = ["on track", "off track"].repeat(SAMPLE);
        let distinct: Vec<String> = (0..2 * SAMPLE).map(|i| format!("v{i}")).collect();
        let df = df!["state" => repeated, "name" => distinct].unwrap();
        let mut w = RawWriter::new(
            Vec::new(),
            df.schema(),
            &[],
            ParquetCompression::Snappy,
            vec![],
        )
        .unwrap();
        w.write(&df).unwrap();
        let bytes = w.finish().unwrap();
        let meta = polars_parquet::read::read_metadata(&mut std::io::Cursor::new(&bytes)).unwrap();
        assert!(dictionary(&meta, 0, "state"));
        assert!(!dictionary(&meta, 0, "name"));
        let back = ParquetReader::new(std::io::Cursor::new(bytes))
            .finish()
            .unwrap();
        assert!(back.equals_missing(&df));

        assert!(mostly_distinct(0..SAMPLE as u64));
        assert!(!mostly_distinct((0..SAMPLE as u64).map(|i| i % 700)));
        // fewer values than the sample: left to the exact decision
        assert!(!mostly_distinct(0..10u64));
    }

    /// A Snappy writer into memory of frames of `df`'s schema, with footer `metadata`.
    fn writer_of(df: &DataFrame, metadata: Vec<(String, String)>) -> RawWriter<Vec<u8>> {
        RawWriter::new(
            Vec::new(),
            df.schema(),
            &[],
            ParquetCompression::Snappy,
            metadata,
        )
        .unwrap()
    }

    /// Row groups encoded on other threads and written in order give the same bytes as
    /// written one after the other.
    #[test]
    fn row_groups_encoded_apart_write_the_same_file() {
        let df = df![
            "n" => (0..100).map(|i| (i % 7) as f64).collect::<Vec<_>>(),
            "t" => (0..100).map(|i| format!("t{}", i % 3)).collect::<Vec<_>>(),
        ]
        .unwrap();
        let new = || writer_of(&df, vec![]);
        let mut one = new();
        one.write(&df.slice(0, 50)).unwrap();
        one.write(&df.slice(50, 50)).unwrap();
        let mut apart = new();
        let groups: Vec<RowGroup> = std::thread::scope(|s| {
            let a = s.spawn(|| apart.encode(&df.slice(0, 50)).unwrap());
            let b = s.spawn(|| apart.encode(&df.slice(50, 50)).unwrap());
            vec![a.join().unwrap(), b.join().unwrap()]
        });
        for g in groups {
            apart.write_encoded(g).unwrap();
        }
        assert_eq!(one.finish().unwrap(), apart.finish().unwrap());
    }

    /// Row groups encoded without their first column and completed in front give the same
    /// bytes as encoded whole; an incomplete row group and mismatched shapes are refused.
    #[test]
    fn a_row_group_completed_in_front_writes_the_same_file_and_an_incomplete_one_is_refused() {
        let df = df![
            "id" => vec!["b-1"; 60],
            "n" => (0..60).map(|i| (i % 7) as f64).collect::<Vec<_>>(),
            "t" => (0..60).map(|i| format!("t{}", i % 3)).collect::<Vec<_>>(),
        ]
        .unwrap();
        let new = || writer_of(&df, vec![("k".into(), "v".into())]);
        let mut whole = new();
        whole.write(&df.slice(0, 40)).unwrap();
        whole.write(&df.slice(40, 20)).unwrap();
        let mut front = new();
        let rest = df.select(["n", "t"]).unwrap();
        let ids = df.select(["id"]).unwrap();
        let late: Vec<RowGroup> = [(0, 40), (40, 20)]
            .iter()
            .map(|&(o, n)| front.encode_from(&rest.slice(o, n), 1).unwrap())
            .collect();
        for (g, (o, n)) in late.into_iter().zip([(0, 40), (40, 20)]) {
            assert_eq!(g.rows(), n);
            let g = front.prepend(g, &ids.slice(o, n)).unwrap();
            front.write_encoded(g).unwrap();
        }
        assert_eq!(whole.finish().unwrap(), front.finish().unwrap());

        let mut w = new();
        let incomplete = w.encode_from(&rest.slice(0, 10), 1).unwrap();
        assert_eq!(
            w.write_encoded(incomplete).unwrap_err().to_string(),
            "a row group lacks its first 1 column(s)"
        );
        assert_eq!(
            w.encode_from(&rest, 0).err().unwrap().to_string(),
            "lengths don't match: 2 column(s) from column 0 of a file of 3"
        );
        let g = w.encode_from(&rest.slice(0, 10), 1).unwrap();
        assert_eq!(
            w.prepend(g, &ids.slice(0, 9)).err().unwrap().to_string(),
            "lengths don't match: 1 x 9 in front of a row group lacking 1 x 10"
        );
    }

    /// 32-bit integer columns spanning at most [`INT_RANGE`] go to a dictionary of their
    /// values in ascending order (nulls in place, a null's arbitrary value ignored), with
    /// the statistics of Polars' own writer; a wider one is left to Polars.
    #[test]
    fn narrow_integer_columns_go_to_a_dictionary_with_polars_statistics() {
        let year: Vec<Option<i32>> = (0..24)
            .map(|i| (i % 5 != 2).then_some(2024 - (i % 20)))
            .collect();
        let seq: Vec<u32> = vec![7; 24];
        let negative: Vec<i32> = (0..24).map(|i| -300 + 25 * (i % 3)).collect();
        let wide: Vec<i32> = (0..24).map(|i| i * 1000).collect();
        let nulls: Vec<Option<u32>> = vec![None; 24];
        let df = df![
            "year" => year, "seq" => seq, "negative" => negative, "wide" => wide, "nulls" => nulls,
        ]
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (bytes, ours, polars) = ours_and_polars(&df, dir.path());
        assert_eq!(min_max(&ours), min_max(&polars));

        let back = ParquetReader::new(std::io::Cursor::new(bytes.clone()))
            .finish()
            .unwrap();
        assert!(back.equals_missing(&df), "{back}\n{df}");
        let a = df
            .column("year")
            .unwrap()
            .i32()
            .unwrap()
            .downcast_as_array()
            .clone();
        let d = dictionary_of_ints::<i32>(&a).unwrap();
        let values = d
            .values()
            .as_any()
            .downcast_ref::<PrimitiveArray<i32>>()
            .unwrap();
        assert_eq!(
            values.values().as_slice(),
            (2005..=2024)
                .filter(|y| ![2007, 2012, 2017, 2022].contains(y))
                .collect::<Vec<_>>()
        );
        let meta = polars_parquet::read::read_metadata(&mut std::io::Cursor::new(&bytes)).unwrap();
        for rg in 0..3 {
            assert!(dictionary(&meta, rg, "year"));
            assert!(dictionary(&meta, rg, "seq"));
            assert!(dictionary(&meta, rg, "negative"));
        }
        let wide = df
            .column("wide")
            .unwrap()
            .i32()
            .unwrap()
            .downcast_as_array()
            .clone();
        assert!(dictionary_of_ints::<i32>(&wide).is_none());
        let nulls = df
            .column("nulls")
            .unwrap()
            .u32()
            .unwrap()
            .downcast_as_array()
            .clone();
        assert!(dictionary_of_ints::<u32>(&nulls).is_none());
    }

    /// A 64-bit integer column asked [`ColumnEncoding::Delta`] is delta-encoded and reads
    /// back equal; asked of a text column, the request is ignored.
    #[test]
    fn line_numbers_asked_delta_are_delta_encoded() {
        let df = df![
            "line" => (1..=1000u64).collect::<Vec<_>>(),
            "text" => (0..1000).map(|i| format!("t{}", i % 3)).collect::<Vec<_>>(),
        ]
        .unwrap();
        let mut w = RawWriter::new(
            Vec::new(),
            df.schema(),
            &[
                ("line", ColumnEncoding::Delta),
                ("text", ColumnEncoding::Delta),
            ],
            ParquetCompression::Uncompressed,
            vec![],
        )
        .unwrap();
        w.write(&df).unwrap();
        let bytes = w.finish().unwrap();
        let back = ParquetReader::new(std::io::Cursor::new(bytes.clone()))
            .finish()
            .unwrap();
        assert!(back.equals(&df));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lines.parquet");
        std::fs::write(&path, &bytes).unwrap();
        let conn = duckdb::Connection::open_in_memory().unwrap();
        let encodings = |column: &str| -> String {
            conn.query_row(
                "SELECT encodings FROM parquet_metadata(?) WHERE path_in_schema = ?",
                [path.to_string_lossy().to_string(), column.to_string()],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert!(
            encodings("line").contains("DELTA_BINARY_PACKED"),
            "{}",
            encodings("line")
        );
        assert!(
            encodings("text").contains("RLE_DICTIONARY"),
            "{}",
            encodings("text")
        );
    }

    /// A categorical column of more rows than one data page holds, with and without nulls,
    /// reads back equal in Polars and DuckDB, and every row group's null count (the sum of
    /// its pages') is the number of nulls in it.
    #[test]
    fn dictionary_columns_of_several_pages_read_back_with_their_null_counts() {
        let rows = DICTIONARY_PAGE_ROWS + DICTIONARY_PAGE_ROWS / 2 + 3;
        let cats = DataType::from_categories(Categories::new(
            "raw_writer_pages".into(),
            "citybench-test".into(),
            CategoricalPhysical::U32,
        ));
        let names = ["alpha", "a category longer than twelve", "c", "d"];
        // runs of 1 to 29 equal values, a null every 7th row in `some_null`
        let text = |i: usize| names[(i / (1 + i % 29)) % names.len()];
        let full: Vec<&str> = (0..rows).map(text).collect();
        let some_null: Vec<Option<&str>> =
            (0..rows).map(|i| (i % 7 != 3).then(|| text(i))).collect();
        let mut df = df!["full" => full, "some_null" => some_null].unwrap();
        df.apply("full", |c| c.cast(&cats).unwrap()).unwrap();
        df.apply("some_null", |c| c.cast(&cats).unwrap()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pages.parquet");
        let mut w = writer_of(&df, Vec::new());
        w.write(&df).unwrap();
        std::fs::write(&path, w.finish().unwrap()).unwrap();

        let back = ParquetReader::new(std::fs::File::open(&path).unwrap())
            .finish()
            .unwrap();
        assert!(back.equals_missing(&df));
        let conn = duckdb::Connection::open_in_memory().unwrap();
        let p = path.to_string_lossy();
        let (nulls, pages): (i64, i64) = conn
            .query_row(
                &format!(
                    "SELECT stats_null_count, (SELECT count(*) FROM parquet_metadata('{p}')) \
                     FROM parquet_metadata('{p}') WHERE path_in_schema = 'some_null'"
                ),
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(nulls as usize, (0..rows).filter(|i| i % 7 == 3).count());
        assert_eq!(pages, 2, "one row group of two columns");
        // against the same frame as Polars' own writer writes it
        let polars = dir.path().join("polars.parquet");
        ParquetWriter::new(std::fs::File::create(&polars).unwrap())
            .finish(&mut df.clone())
            .unwrap();
        let q = polars.to_string_lossy();
        let differ: i64 = conn
            .query_row(
                &format!(
                    "SELECT count(*) FROM read_parquet('{p}', file_row_number = true) a \
                     FULL JOIN read_parquet('{q}', file_row_number = true) b USING (file_row_number) \
                     WHERE a.full IS DISTINCT FROM b.full OR a.some_null IS DISTINCT FROM b.some_null"
                ),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(differ, 0);
    }

    #[test]
    fn columns_of_nulls_are_a_run_of_definition_levels_per_page() {
        let rows = DICTIONARY_PAGE_ROWS + DICTIONARY_PAGE_ROWS / 2 + 3;
        let df = df![
            "text" => vec![None::<&str>; rows],
            "number" => vec![None::<f64>; rows],
            "some" => (0..rows).map(|i| (i % 5 == 0).then_some(i as f64)).collect::<Vec<_>>(),
        ]
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nulls.parquet");
        let mut w = writer_of(&df, Vec::new());
        w.write(&df).unwrap();
        // a row group of 8 rows too: one short page each
        w.write(&df.slice(0, 8)).unwrap();
        let bytes = w.finish().unwrap();
        std::fs::write(&path, &bytes).unwrap();

        let back = ParquetReader::new(std::io::Cursor::new(bytes.clone()))
            .finish()
            .unwrap();
        assert!(back.equals_missing(&df.vstack(&df.slice(0, 8)).unwrap()));
        // two pages in the first row group, each with one run of zeros as its levels
        let pages = null_pages(
            df.column("text")
                .unwrap()
                .as_materialized_series()
                .to_arrow(0, CompatLevel::newest())
                .as_ref(),
            &writer_of(&df, Vec::new()).fields[0],
            writer_of(&df, Vec::new()).options,
        )
        .unwrap();
        assert_eq!(pages.len(), 2);
        let conn = duckdb::Connection::open_in_memory().unwrap();
        let p = path.to_string_lossy();
        let counts: Vec<(String, i64, i64)> = conn
            .prepare(&format!(
                "SELECT path_in_schema, sum(stats_null_count)::BIGINT, sum(num_values)::BIGINT \
                 FROM parquet_metadata('{p}') GROUP BY 1 ORDER BY 1"
            ))
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let all = (rows + 8) as i64;
        let some_nulls = (0..rows).chain(0..8).filter(|i| i % 5 != 0).count();
        assert_eq!(
            counts,
            [
                ("number".to_string(), all, all),
                ("some".to_string(), some_nulls as i64, all),
                ("text".to_string(), all, all),
            ]
        );
        let (text, number): (i64, i64) = conn
            .query_row(
                &format!("SELECT count(text), count(number) FROM '{p}'"),
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((text, number), (0, 0));
    }

    use proptest::prelude::*;

    proptest! {
        /// The keys of a page decode back (with Polars' decoder) to the keys of its valid
        /// rows, at the bit width of the largest; a run of 15 equal keys or more, which
        /// holds a whole group of eight, is run-length encoded.
        #[test]
        fn keys_decode_back(
            runs in proptest::collection::vec((0u32..u32::MAX, 1usize..40), 0..60),
            width in 0u32..=32,
            nulls in proptest::collection::vec(any::<bool>(), 0..64),
        ) {
            let mask = if width == 32 { u32::MAX } else { (1u32 << width) - 1 };
            let keys: Vec<u32> = runs.iter().flat_map(|&(v, n)| std::iter::repeat_n(v & mask, n)).collect();
            let validity = (!nulls.is_empty()).then(|| {
                Bitmap::from_iter((0..keys.len()).map(|i| !nulls[i % nulls.len()]))
            });
            let valid: Vec<u32> = keys
                .iter()
                .enumerate()
                .filter(|&(i, _)| validity.as_ref().is_none_or(|v| v.get_bit(i)))
                .map(|(_, &k)| k)
                .collect();
            let mut out = Vec::new();
            encode_keys(&mut out, &keys, validity.as_ref());
            let max = valid.iter().copied().max().unwrap_or(0);
            prop_assert_eq!(out[0] as u32, 32 - max.leading_zeros());
            let decoder = || {
                polars_parquet::parquet::encoding::hybrid_rle::HybridRleDecoder::new(
                    &out[1..],
                    out[0] as u32,
                    valid.len(),
                )
            };
            prop_assert_eq!(decoder().collect().unwrap(), valid.clone());
            let long_run = valid.chunk_by(|a, b| a == b).any(|r| r.len() >= 15);
            let mut rle = false;
            for chunk in decoder().into_chunk_iter() {
                rle |= matches!(
                    chunk.unwrap(),
                    polars_parquet::parquet::encoding::hybrid_rle::HybridRleChunk::Rle(..)
                );
            }
            if long_run {
                prop_assert!(rle, "a run of 15 keys or more is not run-length encoded");
            }
            // (Polars' decoder reads keys of no bits as one run)
            if rle && out[0] > 0 {
                prop_assert!(valid.chunk_by(|a, b| a == b).any(|r| r.len() >= 8));
            }
        }

        /// The float and text dictionaries decode back to every value (bit for bit, nulls in
        /// place), give codes in order of first use, and refuse only a column with more
        /// distinct values than their bound (three quarters, half).
        #[test]
        fn dictionaries_by_runs_decode_back(
            picks in proptest::collection::vec(proptest::option::of(0usize..12), 0..300)
        ) {
            let pool = [0.0, -0.0, 1.5, f64::NAN, -7.25, 1e300, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
            let floats = PrimitiveArray::<f64>::from(
                picks.iter().map(|p| p.map(|i| pool[i])).collect::<Vec<_>>(),
            );
            let bits = |v: Option<f64>| v.map(f64::to_bits);
            let mut seen = Vec::new();
            for v in floats.iter().flatten() {
                if !seen.contains(&v.to_bits()) {
                    seen.push(v.to_bits());
                }
            }
            let refused_floats = 4 * seen.len() > 3 * floats.len();
            match dictionary_of_floats(&floats) {
                None => prop_assert!(refused_floats || seen.is_empty()),
                Some(d) => {
                    prop_assert!(!refused_floats);
                    let values = d.values().as_any().downcast_ref::<PrimitiveArray<f64>>().unwrap();
                    let got: Vec<u64> = values.values().iter().map(|v| v.to_bits()).collect();
                    prop_assert_eq!(&got, &seen);
                    for (i, want) in floats.iter().enumerate() {
                        let back = d.keys().get(i).map(|k| values.value(k as usize));
                        prop_assert_eq!(bits(back), bits(want.copied()));
                    }
                }
            }

            let words = ["a", "a value longer than twelve", "b", "", "c", "d", "e", "f", "g", "h", "i", "j"];
            let mut m = MutableBinaryViewArray::<str>::new();
            for p in &picks {
                m.push(p.map(|i| words[i]));
            }
            let texts: Utf8ViewArray = m.into();
            let mut distinct: Vec<&str> = Vec::new();
            for t in texts.iter().flatten() {
                if !distinct.contains(&t) {
                    distinct.push(t);
                }
            }
            match dictionary_by_runs(&texts) {
                None => prop_assert!(2 * distinct.len() > texts.len()),
                Some(d) => {
                    prop_assert!(2 * distinct.len() <= texts.len());
                    let values = d.values().as_any().downcast_ref::<Utf8ViewArray>().unwrap();
                    prop_assert_eq!(values.values_iter().filter(|_| !distinct.is_empty()).collect::<Vec<_>>(), distinct.clone());
                    for (i, want) in texts.iter().enumerate() {
                        let back = d.keys().get(i).map(|k| values.value(k as usize));
                        prop_assert_eq!(back, want);
                    }
                }
            }
        }
    }
}
