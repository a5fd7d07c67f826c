//! Polars helpers the stages use: a window over static keys ([`over`]), join arguments
//! that keep a deterministic row order ([`ordered`]) and a choice between two text
//! columns that does not copy their texts ([`choose_text`]). A ground-floor leaf.

use polars::prelude::*;
use polars_arrow::array::{Array, Utf8ViewArray, View};
use polars_arrow::bitmap::MutableBitmap;
use polars_buffer::Buffer;

/// `e.over(keys)`: a window over a non-empty list of key columns (the only way `over`
/// can fail is an empty partition, which these static key lists never are).
pub(crate) fn over<const N: usize>(e: Expr, keys: [Expr; N]) -> Expr {
    const { assert!(N > 0) };
    e.over(keys).expect("a non-empty partition")
}

/// Join arguments that keep a deterministic row order (left rows in order, then right).
pub(crate) fn ordered(how: JoinType) -> JoinArgs {
    let mut a = JoinArgs::new(how);
    a.maintain_order = MaintainOrderJoin::LeftRight;
    a
}

/// `when(mask).then(a).otherwise(b)` for two text columns, without copying their texts.
///
/// Polars' `when` copies every text longer than 12 bytes into its result. A stage that
/// picks a long text per row (a target's source, 150 bytes a row on average) copied it for
/// every city and data point: 220 MB at 13 000 cities. Here the result holds the views of
/// the texts chosen and the buffers of both sides. A null `mask` row takes `b`.
pub(crate) fn choose_text(mask: Expr, a: Expr, b: Expr) -> Expr {
    mask.map_many(
        |cols: &mut [Column]| {
            // a literal (one row) is broadcast to the others' length, which may be 0
            let n = match cols.iter().any(|c| c.is_empty()) {
                true => 0,
                false => cols.iter().map(|c| c.len()).max().unwrap_or(0),
            };
            let full = |c: &Column| {
                if c.len() == n {
                    c.clone()
                } else {
                    c.new_from_index(0, n)
                }
            };
            let (mask, a, b) = (full(&cols[0]), full(&cols[1]), full(&cols[2]));
            let mask = mask.bool()?.rechunk();
            let (a, b) = (a.str()?.rechunk(), b.str()?.rechunk());
            let name = cols[1].name().clone();
            let (Some(mask), Some(a), Some(b)) = (
                mask.downcast_iter().next(),
                a.downcast_iter().next(),
                b.downcast_iter().next(),
            ) else {
                return Ok(Column::full_null(name, 0, &DataType::String));
            };
            Ok(StringChunked::with_chunk(name, chosen(mask, a, b)).into_column())
        },
        &[a, b],
        |_, fields| Ok(fields[1].clone()),
    )
}

/// The rows of `a` where `mask` is true, of `b` elsewhere (the body of [`choose_text`]).
fn chosen(
    mask: &polars_arrow::array::BooleanArray,
    a: &Utf8ViewArray,
    b: &Utf8ViewArray,
) -> Utf8ViewArray {
    let shift = a.data_buffers().len() as u32;
    let mut views: Vec<View> = Vec::with_capacity(a.len());
    let mut validity = MutableBitmap::with_capacity(a.len());
    let mut bytes = 0usize;
    for i in 0..a.len() {
        let take_a = mask.is_valid(i) && mask.value(i);
        let (side, valid) = if take_a {
            (a, a.is_valid(i))
        } else {
            (b, b.is_valid(i))
        };
        let mut v = side.views()[i];
        if !take_a && v.length > View::MAX_INLINE_SIZE {
            v.buffer_idx += shift;
        }
        if valid {
            bytes += v.length as usize;
        } else {
            v = View::default();
        }
        views.push(v);
        validity.push(valid);
    }
    let buffers: Buffer<Buffer<u8>> = a
        .data_buffers()
        .iter()
        .chain(b.data_buffers().iter())
        .cloned()
        .collect();
    let total_buffer_len = buffers.iter().map(|b| b.len()).sum();
    let validity = (validity.unset_bits() > 0).then(|| validity.into());
    // SAFETY: every view is a view of `a` (whose buffers come first, indices kept) or of
    // `b` (indices shifted past `a`'s), or the empty inline view of a null row
    unsafe {
        Utf8ViewArray::new_unchecked(
            ArrowDataType::Utf8View,
            views.into(),
            buffers,
            validity,
            Some(bytes),
            total_buffer_len,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A literal text longer than a view holds inline.
    const LONG: &str = "a literal text longer than twelve bytes";

    proptest! {
        /// The choice gives the rows `when/then/otherwise` gives, texts short and long,
        /// nulls in the mask and on both sides.
        #[test]
        fn choose_text_is_when_then_otherwise(
            rows in proptest::collection::vec(
                (proptest::option::of(any::<bool>()),
                 proptest::option::of("[a-z]{0,30}"),
                 proptest::option::of("[A-Z]{0,30}")),
                0..60,
            )
        ) {
            let df = df!(
                "m" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
                "a" => rows.iter().map(|r| r.1.clone()).collect::<Vec<_>>(),
                "b" => rows.iter().map(|r| r.2.clone()).collect::<Vec<_>>(),
            )
            .unwrap();
            let out = df
                .lazy()
                .select([
                    choose_text(col("m"), col("a"), col("b")).alias("ours"),
                    when(col("m")).then(col("a")).otherwise(col("b")).alias("polars"),
                    choose_text(col("m"), col("a"), lit(LONG)).alias("ours_lit"),
                    when(col("m")).then(col("a")).otherwise(lit(LONG)).alias("polars_lit"),
                ])
                .collect()
                .unwrap();
            let texts = |c: &str| -> Vec<Option<String>> {
                let s = out.column(c).unwrap().str().unwrap();
                s.iter().map(|t| t.map(str::to_string)).collect()
            };
            prop_assert_eq!(texts("ours").len(), rows.len());
            prop_assert_eq!(texts("ours"), texts("polars"));
            // a literal on one side (broadcast to every row)
            prop_assert_eq!(texts("ours_lit"), texts("polars_lit"));
        }
    }
}
