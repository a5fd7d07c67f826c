//! The Parquet writer of raw batches and of `run`'s tables: Polars' own writer, except for
//! the encoding of the raw batch's free-text columns and for how categorical columns are
//! exported ([`dictionary_of_codes`]).
//!
//! Polars' writer tries a dictionary for every string column: it estimates the column's
//! cardinality and then hashes and compares every value of every row group to build one.
//! For `value_reported` (a number's text per row), `source` and `conversion` that was a
//! fifth of ingest's CPU time at 10.3 M rows (2.5 s of user CPU, 1.9-2.1 s without those
//! columns). Here a column is either
//! - plain-encoded ([`Encoding::Plain`]: the bytes copied), for text that is mostly distinct
//!   (`value_reported`) or mostly missing (`denominator`, `notes`); or
//! - dictionary-encoded by runs ([`dictionary_by_runs`]): a value equal to the one before
//!   (the same 16-byte view) takes its code without hashing, so a `source` repeated on every
//!   row costs one comparison per row, and stays a dictionary of one entry on disk.
//!
//! Every other column keeps Polars' encodings (the dictionary-encoded ids, RLE booleans), its
//! statistics, its Arrow schema in the footer (so Polars reads the categorical columns back
//! as they were written) and the caller's key-value metadata.

use std::io::Write;

use polars::io::parquet::write::get_encodings;
use polars::prelude::*;
use polars_arrow::array::{
    Array, DictionaryArray, MutableBinaryViewArray, PrimitiveArray, Utf8ViewArray, View,
};
use polars_arrow::bitmap::Bitmap;
use polars_arrow::datatypes::{ArrowDataType, IntegerType};
use polars_parquet::read::ParquetError;
use polars_parquet::write::{
    Compressor, DynIter, DynStreamingIterator, Encoding, FallibleStreamingIterator, FileWriter,
    KeyValue, ParquetType, StatisticsOptions, Version, WriteOptions, array_to_columns,
    schema_to_metadata_key,
};
use rustc_hash::FxHashMap;

/// How a text column is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// Parquet's plain encoding.
    Plain,
    /// A dictionary built by runs of equal values ([`dictionary_by_runs`]).
    Runs,
}

/// A Parquet file written one frame (one or more row groups) at a time.
pub struct RawWriter<W: Write> {
    writer: FileWriter<W>,
    fields: Vec<ParquetType>,
    encodings: Vec<Vec<Encoding>>,
    /// Per column: how it is written when it is text (None: as Polars writes it).
    text: Vec<Option<TextEncoding>>,
    options: WriteOptions,
    metadata: Vec<KeyValue>,
}

impl<W: Write> RawWriter<W> {
    /// A writer of frames of `schema` to `w`; the text columns named in `text` are written
    /// as given there, `metadata` goes to the footer as key-value pairs.
    pub fn new(
        w: W,
        schema: &Schema,
        text: &[(&str, TextEncoding)],
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
        let text = arrow
            .iter_values()
            .map(|f| {
                text.iter()
                    .find(|(n, _)| *n == f.name.as_str())
                    .filter(|_| f.dtype == ArrowDataType::Utf8View)
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
        let metadata = metadata
            .into_iter()
            .map(|(key, value)| KeyValue {
                key,
                value: Some(value),
            })
            .collect();
        Ok(RawWriter {
            writer,
            fields,
            encodings,
            text,
            options,
            metadata,
        })
    }

    /// Write `df` (of the writer's schema) as one row group.
    pub fn write(&mut self, df: &DataFrame) -> PolarsResult<()> {
        let rows = df.height();
        if rows == 0 {
            return Ok(());
        }
        let mut df = df.clone();
        df.rechunk_mut_par();
        // the text columns' statistics (the min and max of every `value_reported`) are
        // never read; their null counts are kept
        let text_options = WriteOptions {
            statistics: StatisticsOptions {
                min_value: false,
                max_value: false,
                ..self.options.statistics
            },
            ..self.options
        };
        let mut columns = Vec::with_capacity(self.fields.len());
        for (((column, type_), encoding), text) in df
            .columns()
            .iter()
            .zip(&self.fields)
            .zip(&self.encodings)
            .zip(&self.text)
        {
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
            let runs;
            let (array, encoding, options): (&dyn Array, &[Encoding], _) = match text {
                None => (array.as_ref(), encoding, self.options),
                Some(TextEncoding::Plain) => (array.as_ref(), &[Encoding::Plain], text_options),
                Some(TextEncoding::Runs) => {
                    let a = array
                        .as_any()
                        .downcast_ref::<Utf8ViewArray>()
                        .expect("a text column is Utf8View");
                    match dictionary_by_runs(a) {
                        Some(d) => {
                            runs = d;
                            (&runs, &[Encoding::RleDictionary], text_options)
                        }
                        None => (array.as_ref(), &[Encoding::Plain], text_options),
                    }
                }
            };
            for pages in array_to_columns(array, type_.clone(), options, encoding)? {
                let pages = pages.map(|page| {
                    page.map_err(|e| {
                        ParquetError::FeatureNotSupported(format!("reraised in polars: {e}"))
                    })
                });
                let compressed = Compressor::new_from_vec(pages, options.compression, vec![])
                    .map_err(PolarsError::from);
                columns.push(Ok(DynStreamingIterator::new(compressed)));
            }
        }
        self.writer
            .write(rows as u64, DynIter::new(columns.into_iter()))
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

/// `array` as a dictionary array whose dictionary is built by runs: a value whose view
/// equals the previous value's (same length and inline bytes, or the same bytes of the same
/// buffer) takes its code without hashing; other values are looked up by their text. None
/// when more than half of the values are distinct (then plain encoding is smaller).
fn dictionary_by_runs(array: &Utf8ViewArray) -> Option<DictionaryArray<u32>> {
    let views = array.views();
    let mut keys: Vec<u32> = Vec::with_capacity(array.len());
    let mut values = MutableBinaryViewArray::<str>::new();
    let mut index: FxHashMap<&str, u32> = FxHashMap::default();
    let mut last: Option<(View, u32)> = None;
    for (i, &view) in views.iter().enumerate() {
        if !array.is_valid(i) {
            keys.push(0);
            continue;
        }
        if let Some((v, k)) = last
            && v == view
        {
            keys.push(k);
            continue;
        }
        // SAFETY: i < array.len() (one view per value)
        let text = unsafe { array.value_unchecked(i) };
        let k = match index.get(text) {
            Some(&k) => k,
            None => {
                if 2 * (index.len() + 1) > array.len() {
                    return None;
                }
                let k = index.len() as u32;
                values.push_value(text);
                index.insert(text, k);
                k
            }
        };
        last = Some((view, k));
        keys.push(k);
    }
    Some(text_dictionary(keys, array.validity(), values))
}

/// The codes of a categorical column as a dictionary array holding the texts it uses, in
/// the order of first use (what Polars' own export builds, through a hash set probed per
/// row; here a table indexed by code, and a run of equal codes costs one comparison).
fn dictionary_of_codes(
    codes: &PrimitiveArray<u32>,
    mapping: &CategoricalMapping,
) -> DictionaryArray<u32> {
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
    DictionaryArray::try_new(
        ArrowDataType::Dictionary(
            IntegerType::UInt32,
            Box::new(ArrowDataType::Utf8View),
            false,
        ),
        keys,
        values.boxed(),
    )
    .expect("every valid key indexes a value")
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
        ]
        .unwrap();
        df.apply("id", |c| c.cast(&cats).unwrap()).unwrap();
        df.apply("none", |c| c.cast(&cats).unwrap()).unwrap();
        let text = [
            ("text", TextEncoding::Plain),
            ("source", TextEncoding::Runs),
            ("distinct", TextEncoding::Runs),
            // not text: written as Polars writes it
            ("n", TextEncoding::Plain),
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
}
