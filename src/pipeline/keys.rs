//! Dictionary-encoded keys. City and data point ids become Polars `Categorical`s whose
//! codes are the positions of the registry's and the catalogue's ids in lexical order, so
//! that
//!
//! - joins, group-bys and windows hash 32-bit codes instead of strings;
//! - sorting by the codes is sorting by the ids' text;
//! - Parquet stores the columns dictionary-encoded (DuckDB, pandas and Polars read them
//!   back as strings).
//!
//! (Not `Enum`: Polars picks an 8- or 16-bit code for small Enums, and this build leaves
//! out Polars' 8- and 16-bit integer types to save compile time. Not a plain cast either:
//! that looks every row up in Polars' shared string map; the encoder here hashes the
//! 16-byte Arrow view of short ids, about five times faster.)

use std::sync::Arc;

use polars::prelude::*;
use polars_arrow::array::{Array, DictionaryArray, Utf8ViewArray, View};
use polars_arrow::bitmap::Bitmap;
use polars_plan::plans::AExprSorted;
use rustc_hash::FxHashMap;

use crate::error::{Error, Result};
use crate::schema::derived as d;

/// A fixed vocabulary (city ids, data point ids, quality levels) as a categorical type of
/// its own whose 32-bit codes 0, 1, ... are the values in lexical order.
#[derive(Clone)]
struct Vocabulary {
    what: &'static str,
    dtype: DataType,
    /// Values of at most 12 bytes, keyed by their whole Arrow view (length + inline bytes,
    /// zero-padded): one integer hash per row instead of hashing strings.
    inline: Arc<FxHashMap<u128, u32>>,
    long: Arc<FxHashMap<String, u32>>,
    len: usize,
    /// The mapping's codes are exactly 0..len (checked when built), so a code below `len`
    /// is a category.
    dense: bool,
}

impl Vocabulary {
    fn new<'a>(what: &'static str, values: impl IntoIterator<Item = &'a str>) -> Result<Self> {
        let mut v: Vec<&str> = values.into_iter().collect();
        v.sort_unstable();
        v.dedup();
        // named after the values, so that the same vocabulary gives the same type in every
        // process (the name is stored in the Parquet files, which must be byte-identical)
        // and two vocabularies never share a mapping
        let mut h = rustc_hash::FxHasher::default();
        for s in &v {
            std::hash::Hash::hash(s, &mut h);
        }
        let name = format!(
            "{}-{:016x}",
            what.replace(' ', "_"),
            std::hash::Hasher::finish(&h)
        );
        let dtype = DataType::from_categories(Categories::new(
            name.into(),
            "citybench".into(),
            CategoricalPhysical::U32,
        ));
        let mapping = dtype.cat_mapping().map_err(|e| Error::polars("keys", e))?;
        let mut inline = FxHashMap::default();
        let mut long = FxHashMap::default();
        let mut codes = Vec::with_capacity(v.len());
        for s in &v {
            let code = mapping
                .insert_cat(s)
                .map_err(|e| Error::polars("keys", e))?;
            codes.push(code);
            if s.len() <= View::MAX_INLINE_SIZE as usize {
                inline.insert(View::new_inline(s.as_bytes()).as_u128(), code);
            } else {
                long.insert(s.to_string(), code);
            }
        }
        codes.sort_unstable();
        let dense = codes.iter().enumerate().all(|(i, &c)| c as usize == i)
            && mapping.num_cats_upper_bound() == v.len();
        Ok(Vocabulary {
            what,
            dtype,
            inline: Arc::new(inline),
            long: Arc::new(long),
            len: v.len(),
            dense,
        })
    }

    /// Codes of a string column; a value outside the vocabulary is an error naming it.
    ///
    /// Per row the 16-byte Arrow view is compared with the previous row's (a submission
    /// lists a city's rows together), then looked up: a short id's view is the id itself;
    /// a long id's view points into the chunk's buffers, and the Parquet reader decodes a
    /// dictionary-encoded column into views sharing one copy of each value, so within a
    /// chunk the views of a long id repeat and are cached, the text hashed once per view.
    fn encode(&self, c: &Column) -> PolarsResult<Column> {
        if c.dtype() == &self.dtype {
            // encoded already ([`super::raw`])
            return Ok(c.clone());
        }
        if let DataType::Categorical(..) = c.dtype() {
            return self.encode_categorical(c);
        }
        let ca = c.str()?;
        let mut codes: Vec<u32> = Vec::with_capacity(ca.len());
        let mut validity: Option<polars_arrow::bitmap::MutableBitmap> = None;
        let mut long_views: FxHashMap<u128, u32> = FxHashMap::default();
        for arr in ca.downcast_iter() {
            long_views.clear();
            let mut prev: Option<(u128, u32)> = None;
            let nulls = arr.null_count() > 0;
            if nulls && validity.is_none() {
                let mut b = polars_arrow::bitmap::MutableBitmap::with_capacity(ca.len());
                b.extend_constant(codes.len(), true);
                validity = Some(b);
            }
            for (i, v) in arr.views().iter().enumerate() {
                if nulls && !arr.is_valid(i) {
                    codes.push(0);
                    if let Some(b) = validity.as_mut() {
                        b.push(false);
                    }
                    continue;
                }
                let key = v.as_u128();
                let code = match prev {
                    Some((p, k)) if p == key => Some(k),
                    _ if v.length <= View::MAX_INLINE_SIZE => self.inline.get(&key).copied(),
                    _ => match long_views.get(&key) {
                        Some(&k) => Some(k),
                        None => {
                            let k = self.long.get(arr.value(i)).copied();
                            if let Some(k) = k {
                                long_views.insert(key, k);
                            }
                            k
                        }
                    },
                };
                let Some(k) = code else {
                    return Err(self.outside(arr.value(i)));
                };
                prev = Some((key, k));
                codes.push(k);
                if let Some(b) = validity.as_mut() {
                    b.push(true);
                }
            }
        }
        Ok(self.column(c.name().as_str(), codes, validity.map(Into::into)))
    }

    /// A column of this vocabulary's type holding `codes` (null where `validity` says).
    fn column(&self, name: &str, codes: Vec<u32>, validity: Option<Bitmap>) -> Column {
        let arr = polars_arrow::array::PrimitiveArray::<u32>::new(
            ArrowDataType::UInt32,
            codes.into(),
            validity,
        );
        let in_range = self.dense
            && arr
                .values()
                .iter()
                .copied()
                .max()
                .is_none_or(|max| (max as usize) < self.len);
        let phys = UInt32Chunked::with_chunk(name.into(), arr);
        if in_range {
            // SAFETY: every code, nulls' included, is below `len`, and the codes 0..len are
            // this vocabulary's categories (`dense`). Polars' checked constructor looks
            // every row up in the mapping: 2 % of `run`'s CPU time at 5 000 cities.
            unsafe { Categorical32Chunked::from_cats_and_dtype_unchecked(phys, self.dtype.clone()) }
        } else {
            Categorical32Chunked::from_cats_and_dtype(phys, self.dtype.clone())
        }
        .into_series()
        .into_column()
    }

    /// The error for `value`, outside the vocabulary.
    fn outside(&self, value: &str) -> PolarsError {
        polars_err!(ComputeError:
            "{} '{}' is not in the registry or catalogue of this run \
             (was a city removed from cities.csv, or the data ingested with another --catalog?)",
            self.what, value)
    }

    /// Codes of a column decoded from Parquet as dictionary arrays (a raw batch's
    /// [`crate::ingest::batch::DICTIONARY_COLUMNS`], [`super::raw`]): per chunk each
    /// dictionary entry is looked up once, and the rows translated through that table; an
    /// entry no row uses is never looked up.
    fn encode_dictionaries(
        &self,
        name: &str,
        chunks: &[&DictionaryArray<u32>],
    ) -> PolarsResult<Column> {
        let len = chunks.iter().map(|c| c.len()).sum();
        let mut codes: Vec<u32> = Vec::with_capacity(len);
        let nulls = chunks.iter().any(|c| c.null_count() > 0);
        let mut validity = nulls.then(|| polars_arrow::bitmap::MutableBitmap::with_capacity(len));
        for chunk in chunks {
            let Some(values) = chunk.values().as_any().downcast_ref::<Utf8ViewArray>() else {
                polars_bail!(ComputeError: "{name}: the dictionary does not hold text");
            };
            const UNSET: u32 = u32::MAX;
            let mut table = vec![UNSET; values.len()];
            let keys = chunk.keys();
            let valid = |i: usize| keys.validity().is_none_or(|v| v.get_bit(i));
            for (i, &k) in keys.values().iter().enumerate() {
                if let Some(b) = validity.as_mut() {
                    b.push(valid(i));
                }
                if nulls && !valid(i) {
                    codes.push(0);
                    continue;
                }
                let Some(slot) = table.get_mut(k as usize) else {
                    polars_bail!(ComputeError:
                        "{name}: dictionary key {k} of {} entries; the file is damaged", values.len());
                };
                if *slot == UNSET {
                    let text = if values.is_valid(k as usize) {
                        values.value(k as usize)
                    } else {
                        ""
                    };
                    *slot = self.code(text).ok_or_else(|| self.outside(text))?;
                }
                codes.push(*slot);
            }
        }
        Ok(self.column(name, codes, validity.map(Into::into)))
    }

    /// The code of one value, if it is in the vocabulary.
    fn code(&self, s: &str) -> Option<u32> {
        if s.len() <= View::MAX_INLINE_SIZE as usize {
            self.inline
                .get(&View::new_inline(s.as_bytes()).as_u128())
                .copied()
        } else {
            self.long.get(s).copied()
        }
    }

    /// Codes of a categorical column (a raw batch stores its ids dictionary-encoded,
    /// [`crate::ingest::batch::DICTIONARY_COLUMNS`]): each category is looked up once and
    /// the rows translated through a table, no text touched per row.
    fn encode_categorical(&self, c: &Column) -> PolarsResult<Column> {
        const UNSET: u32 = u32::MAX;
        let ca = c.as_materialized_series().cat32()?;
        let mapping = ca.get_mapping().clone();
        let mut table = vec![UNSET; mapping.num_cats_upper_bound()];
        let phys = ca.physical();
        let mut codes: Vec<u32> = Vec::with_capacity(phys.len());
        for arr in phys.downcast_iter() {
            for (i, &cat) in arr.values().iter().enumerate() {
                if !arr.is_valid(i) {
                    codes.push(0);
                    continue;
                }
                let slot = cat as usize;
                if slot >= table.len() {
                    table.resize(slot + 1, UNSET);
                }
                let mut k = table[slot];
                if k == UNSET {
                    let s = mapping.cat_to_str(cat).unwrap_or("");
                    let Some(code) = self.code(s) else {
                        return Err(self.outside(s));
                    };
                    table[slot] = code;
                    k = code;
                }
                codes.push(k);
            }
        }
        let validity = phys.has_nulls().then(|| {
            let mut b = polars_arrow::bitmap::MutableBitmap::with_capacity(phys.len());
            for arr in phys.downcast_iter() {
                for i in 0..arr.len() {
                    b.push(arr.is_valid(i));
                }
            }
            b.into()
        });
        let arr = polars_arrow::array::PrimitiveArray::<u32>::new(
            ArrowDataType::UInt32,
            codes.into(),
            validity,
        );
        let phys = UInt32Chunked::with_chunk(c.name().clone(), arr);
        Ok(
            Categorical32Chunked::from_cats_and_dtype(phys, self.dtype.clone())
                .into_series()
                .into_column(),
        )
    }

    /// `col(name)` encoded.
    fn expr(&self, name: &str) -> Expr {
        let me = self.clone();
        let dtype = self.dtype.clone();
        col(name).map(
            move |c| me.encode(&c),
            move |_, f| Ok(Field::new(f.name().clone(), dtype.clone())),
        )
    }
}

/// The encodings of one run.
#[derive(Clone)]
pub struct Keys {
    city: Vocabulary,
    data_point: Vocabulary,
    quality: Vocabulary,
}

impl Keys {
    /// Keys over the given city ids and data point ids (any order, duplicates allowed).
    pub fn new<'a>(
        cities: impl IntoIterator<Item = &'a str>,
        data_points: impl IntoIterator<Item = &'a str>,
    ) -> Result<Keys> {
        Ok(Keys {
            city: Vocabulary::new("city id", cities)?,
            data_point: Vocabulary::new("data point id", data_points)?,
            quality: Vocabulary::new("quality level", crate::quality::QUALITY_LEVELS)?,
        })
    }

    /// Keys of a workspace: its registry's cities and its catalogue's data points.
    pub fn for_inputs(
        registry: &crate::registry::Registry,
        catalog: &crate::catalog::Catalog,
    ) -> Result<Keys> {
        Keys::new(
            registry.cities().iter().map(|c| c.city_id.as_str()),
            catalog
                .data_points()
                .iter()
                .map(|p| p.data_point_id.as_str()),
        )
    }

    /// The dictionary-encoded column `name` ([`d::CITY_ID`], [`d::DATA_POINT_ID`] or
    /// [`d::QUALITY`]) encoded from its chunks ([`super::raw`]).
    pub fn encode_dictionaries(
        &self,
        name: &str,
        chunks: &[&DictionaryArray<u32>],
    ) -> PolarsResult<Column> {
        match name {
            d::CITY_ID => self.city.encode_dictionaries(name, chunks),
            d::DATA_POINT_ID => self.data_point.encode_dictionaries(name, chunks),
            d::QUALITY => self.quality.encode_dictionaries(name, chunks),
            _ => polars_bail!(ComputeError: "{name} is not an encoded key"),
        }
    }

    /// Key column `name` ([`d::CITY_ID`], [`d::DATA_POINT_ID`], [`d::QUALITY`]) holding
    /// `codes` of its vocabulary, null where `validity` says.
    pub fn column(
        &self,
        name: &str,
        codes: Vec<u32>,
        validity: Option<Bitmap>,
    ) -> PolarsResult<Column> {
        Ok(match name {
            d::CITY_ID => self.city.column(name, codes, validity),
            d::DATA_POINT_ID => self.data_point.column(name, codes, validity),
            d::QUALITY => self.quality.column(name, codes, validity),
            _ => polars_bail!(ComputeError: "{name} is not an encoded key"),
        })
    }

    /// How many data point ids there are (codes are 0..this).
    pub fn data_points(&self) -> usize {
        self.data_point.len
    }

    /// `city_id` encoded (an id outside the vocabulary is an error).
    pub fn city(&self) -> Expr {
        self.city.expr(d::CITY_ID)
    }

    /// `data_point_id` encoded.
    pub fn data_point(&self) -> Expr {
        self.data_point.expr(d::DATA_POINT_ID)
    }

    /// `quality` encoded.
    pub fn quality(&self) -> Expr {
        self.quality.expr(d::QUALITY)
    }

    /// Encode whichever key columns ([`d::CITY_ID`], [`d::DATA_POINT_ID`]) `df` has.
    pub fn encode_frame(&self, df: DataFrame) -> Result<DataFrame> {
        let mut exprs = Vec::new();
        if df.column(d::CITY_ID).is_ok() {
            exprs.push(self.city());
        }
        if df.column(d::DATA_POINT_ID).is_ok() {
            exprs.push(self.data_point());
        }
        df.lazy()
            .with_columns(exprs)
            .collect()
            .map_err(|e| Error::polars("keys", e))
    }
}

/// Grouping names and group values of a run as categoricals, over the values of the
/// frames they are built from (memberships and the group targets).
///
/// Percentiles and gaps have a row per (city, data point, grouping): 7 M rows at 13 000
/// cities. As text every group-by over them hashed strings and the Parquet writer built a
/// dictionary of each page by hashing every value again; as codes both work on integers
/// (DuckDB and pandas still read the columns as text).
pub struct GroupKeys {
    grouping: Vocabulary,
    group: Vocabulary,
}

impl GroupKeys {
    /// Vocabularies of the GROUPING and GROUP values found in `frames`.
    pub fn new(frames: &[&DataFrame]) -> Result<GroupKeys> {
        let values = |name: &str| -> Result<Vec<String>> {
            let mut v = Vec::new();
            for df in frames {
                if let Ok(c) = df.column(name) {
                    let ca = c.str().map_err(|e| Error::polars("keys", e))?;
                    v.extend(ca.iter().flatten().map(str::to_string));
                }
            }
            Ok(v)
        };
        let (grouping, group) = (values(d::GROUPING)?, values(d::GROUP)?);
        Ok(GroupKeys {
            grouping: Vocabulary::new("grouping", grouping.iter().map(String::as_str))?,
            group: Vocabulary::new("group", group.iter().map(String::as_str))?,
        })
    }

    /// Encode whichever of GROUPING and GROUP `df` has (a value not in the frames the
    /// vocabularies were built from is an error).
    pub fn encode_frame(&self, df: DataFrame) -> Result<DataFrame> {
        let mut exprs = Vec::new();
        if df.column(d::GROUPING).is_ok() {
            exprs.push(self.grouping.expr(d::GROUPING));
        }
        if df.column(d::GROUP).is_ok() {
            exprs.push(self.group.expr(d::GROUP));
        }
        df.lazy()
            .with_columns(exprs)
            .collect()
            .map_err(|e| Error::polars("keys", e))
    }
}

/// The sortedness of an ascending column, for `set_sorted_flag`.
pub fn ascending() -> AExprSorted {
    AExprSorted {
        descending: Some(false),
        nulls_last: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(c: &Column) -> Vec<Option<u32>> {
        c.as_materialized_series()
            .cat32()
            .unwrap()
            .physical()
            .iter()
            .collect()
    }

    /// Short and long ids, repeats, nulls and several chunks (the per-chunk caches of
    /// long views must not leak between chunks) all encode to the lexical positions.
    #[test]
    fn encodes_short_long_and_missing_values_across_chunks() {
        let long_a = "a-data-point-id-longer-than-twelve";
        let long_b = "b-data-point-id-longer-than-twelve";
        let v = Vocabulary::new("data point id", ["short", long_b, long_a]).unwrap();
        let mut s = Series::new(
            "x".into(),
            [
                Some(long_b),
                Some(long_b),
                None,
                Some("short"),
                Some(long_a),
            ],
        );
        s.append(&Series::new(
            "x".into(),
            [
                Some(long_a),
                Some(long_a),
                Some(long_b),
                None,
                Some("short"),
            ],
        ))
        .unwrap();
        assert_eq!(s.n_chunks(), 2);
        let out = v.encode(&s.into_column()).unwrap();
        assert_eq!(
            codes(&out),
            [
                Some(1),
                Some(1),
                None,
                Some(2),
                Some(0),
                Some(0),
                Some(0),
                Some(1),
                None,
                Some(2)
            ]
        );
        assert_eq!(
            out.as_materialized_series()
                .cast(&DataType::String)
                .unwrap()
                .str()
                .unwrap()
                .get(4),
            Some(long_a)
        );
    }

    /// A column of codes is a column of the vocabulary's values; a code outside the
    /// vocabulary (only a damaged input could give one) reads as null, whichever
    /// constructor the column takes.
    #[test]
    fn columns_of_codes_name_their_values_and_null_a_code_outside() {
        let v = Vocabulary::new("quality", ["b", "a", "c"]).unwrap();
        assert!(v.dense);
        let text = |c: &Column| -> Vec<Option<String>> {
            let s = c.as_materialized_series().cast(&DataType::String).unwrap();
            s.str()
                .unwrap()
                .iter()
                .map(|t| t.map(str::to_string))
                .collect()
        };
        let some =
            |t: &[&str]| -> Vec<Option<String>> { t.iter().map(|t| Some(t.to_string())).collect() };
        assert_eq!(
            text(&v.column("x", vec![2, 0, 1, 0], None)),
            some(&["c", "a", "b", "a"])
        );
        let out = v.column("x", vec![0, 3, 1], None);
        assert_eq!(codes(&out), [Some(0), None, Some(1)]);
        let mut with_null = some(&["c", "c", "c"]);
        with_null[1] = None;
        let validity = Bitmap::from_iter([true, false, true]);
        assert_eq!(
            text(&v.column("x", vec![2, 7, 2], Some(validity))),
            with_null
        );
    }

    #[test]
    fn an_unknown_long_value_is_named() {
        let v = Vocabulary::new("data point id", ["EC-ICT-ICT-4C-3g"]).unwrap();
        let s = Series::new("x".into(), ["EC-ICT-ICT-4C-3g", "EC-ICT-ICT-4C-5g"]);
        let err = v.encode(&s.into_column()).unwrap_err().to_string();
        assert!(
            err.contains(
                "data point id 'EC-ICT-ICT-4C-5g' is not in the registry or catalogue of this run"
            ),
            "{err}"
        );
    }
}
