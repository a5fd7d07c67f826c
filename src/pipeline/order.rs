//! Ordering observations by (city, data point, year) and letting the latest batch win,
//! over packed integer keys.
//!
//! Each row's (city code, data point code, year) is packed into one integer `key` whose
//! order is the triple's. When the rows are already in key order with no repeated key
//! (one batch written in order) nothing moves. When each city's rows lie together (how
//! submissions list them) the rows are ordered city by city ([`in_city_runs`]). Otherwise
//! an LSD radix sort orders `key << 32 | row` (stable by construction: equal keys keep
//! their row order), which on this 2-core machine is several times faster than a
//! comparison sort of millions of rows. The columns are then gathered straight from the
//! reader's chunks ([`gather`]).

use polars::prelude::*;
use polars::series::IsSorted;

use crate::error::{Error, Result};
use crate::schema::derived as d;

/// How the key of a row is packed: `((city * data_points) + data_point) * years + (year -
/// first_year)`; the series (city, data point) is `key / years`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Packing {
    pub data_points: u64,
    pub first_year: i32,
    pub years: u64,
}

impl Packing {
    pub fn key(&self, city: u32, data_point: u32, year: i32) -> u64 {
        ((city as u64 * self.data_points) + data_point as u64) * self.years
            + (year - self.first_year) as u64
    }
}

/// The permutation that orders `keys` ascending, stable (rows with equal keys stay in
/// their order). `keys` must be below 2^32 (rows are packed in the low 32 bits).
pub fn radix_order(keys: &[u64]) -> Vec<IdxSize> {
    radix_sorted(keys)
        .into_iter()
        .map(|v| (v & 0xFFFF_FFFF) as IdxSize)
        .collect()
}

/// `key << 32 | row` for every row, sorted ascending (so stable by key).
fn radix_sorted(keys: &[u64]) -> Vec<u64> {
    const DIGIT: u32 = 11;
    let n = keys.len();
    let max = keys.iter().copied().max().unwrap_or(0);
    assert!(
        max < 1 << 32 && (n as u64) < 1 << 32,
        "keys and rows fit 32 bits"
    );
    let key_bits = 64 - max.leading_zeros();
    let mut a: Vec<u64> = keys
        .iter()
        .enumerate()
        .map(|(i, &k)| (k << 32) | i as u64)
        .collect();
    let mut b = vec![0u64; n];
    let mut shift = 32;
    while shift < 32 + key_bits {
        let mut counts = vec![0usize; 1 << DIGIT];
        let digit = |v: u64| ((v >> shift) & ((1 << DIGIT) - 1)) as usize;
        for &v in &a {
            counts[digit(v)] += 1;
        }
        if counts.iter().all(|&c| c == 0 || c == n) {
            shift += DIGIT;
            continue;
        }
        let mut pos = 0;
        for c in counts.iter_mut() {
            let here = *c;
            *c = pos;
            pos += here;
        }
        for &v in &a {
            let slot = &mut counts[digit(v)];
            b[*slot] = v;
            *slot += 1;
        }
        std::mem::swap(&mut a, &mut b);
        shift += DIGIT;
    }
    a
}

fn pe(e: PolarsError) -> Error {
    Error::polars("pipeline", e)
}

/// Rows of `df` (encoded CITY_ID, DATA_POINT_ID, YEAR, BATCH_SEQ) ordered by (city, data
/// point, year), keeping for a repeated (city, data point, year) only the row of the
/// latest batch; adds [`d::SERIES`], flagged sorted.
pub fn order_observations(df: DataFrame, data_points: usize) -> Result<DataFrame> {
    // Every buffer here is as large as the panel; on a virtual machine first-touching
    // memory is expensive, so the columns are read in place and nothing is copied twice.
    let cat = |name: &str| -> Result<UInt32Chunked> {
        Ok(df
            .column(name)
            .map_err(pe)?
            .as_materialized_series()
            .cat32()
            .map_err(pe)?
            .physical()
            .clone())
    };
    let city = cat(d::CITY_ID)?;
    let point = cat(d::DATA_POINT_ID)?;
    let year = df.column(d::YEAR).map_err(pe)?.i32().map_err(pe)?.clone();
    let batch = df
        .column(d::BATCH_SEQ)
        .map_err(pe)?
        .u32()
        .map_err(pe)?
        .clone();
    let (lo, hi) = (year.min().unwrap_or(0), year.max().unwrap_or(0));
    let packing = Packing {
        data_points: data_points.max(1) as u64,
        first_year: lo,
        years: (hi - lo + 1) as u64,
    };
    let keys: Vec<u64> = city
        .into_no_null_iter()
        .zip(point.into_no_null_iter())
        .zip(year.into_no_null_iter())
        .map(|((c, p), y)| packing.key(c, p, y))
        .collect();
    drop((city, point, year));
    let batches: Option<Vec<u32>> =
        (batch.min() != batch.max()).then(|| batch.into_no_null_iter().collect());
    let (order, sorted) = order_keys(keys, &packing, batches.as_deref());
    let series: Vec<u64> = sorted.iter().map(|k| k / packing.years).collect();
    drop(sorted);
    let mut df = match order {
        None => {
            let mut df = df;
            df.rechunk_mut_par();
            df
        }
        Some(o) => gather(&df, &o)?,
    };
    let mut s = UInt64Chunked::from_vec(d::SERIES.into(), series);
    s.set_sorted_flag(IsSorted::Ascending);
    df.with_column(s.into_column()).map_err(pe)?;
    Ok(df)
}

/// The rows of `keys` (packed by `packing`) in key order, keeping for a repeated key only
/// the row of the latest batch (`batches`, per row; None: all one batch), the last row among
/// equals: None when `keys` are strictly ascending already (every row kept, in place), else
/// the rows kept; and their keys, ascending.
pub(super) fn order_keys(
    keys: Vec<u64>,
    packing: &Packing,
    batches: Option<&[u32]>,
) -> (Option<Vec<IdxSize>>, Vec<u64>) {
    if keys.windows(2).all(|w| w[0] < w[1]) {
        return (None, keys);
    }
    let (keep, sorted) = in_city_runs(&keys, packing, batches, MIN_RUN)
        .unwrap_or_else(|| sorted_latest(&keys, batches));
    (Some(keep), sorted)
}

/// Fewer rows per city run on average than this and [`in_city_runs`] leaves the
/// ordering to [`sorted_latest`].
const MIN_RUN: usize = 64;

/// The order and sorted keys of [`order_keys`] for any row order: the whole panel sorted
/// by key (a radix sort below 2^32, a comparison sort beyond), keeping the latest batch of
/// a repeated key (ties: the last row).
fn sorted_latest(keys: &[u64], batches: Option<&[u32]>) -> (Vec<IdxSize>, Vec<u64>) {
    let latest = |n: usize, at: &dyn Fn(usize) -> (u64, IdxSize)| {
        let mut keep = Vec::with_capacity(n);
        let mut sorted = Vec::with_capacity(n);
        let mut i = 0;
        while i < n {
            let (k, mut best) = at(i);
            let mut j = i + 1;
            while j < n && at(j).0 == k {
                let row = at(j).1;
                if batches.is_none_or(|bs| bs[row as usize] >= bs[best as usize]) {
                    best = row;
                }
                j += 1;
            }
            keep.push(best);
            sorted.push(k);
            i = j;
        }
        (keep, sorted)
    };
    if keys.iter().all(|&k| k < 1 << 32) {
        // key << 32 | row
        let sorted = radix_sorted(keys);
        latest(sorted.len(), &|i| {
            (sorted[i] >> 32, (sorted[i] & 0xFFFF_FFFF) as IdxSize)
        })
    } else {
        let mut idx: Vec<IdxSize> = (0..keys.len() as IdxSize).collect();
        idx.sort_by_key(|&i| keys[i as usize]);
        latest(idx.len(), &|i| (keys[idx[i] as usize], idx[i]))
    }
}

/// A maximal run of consecutive rows of one city: rows `start..end`.
#[derive(Debug, Clone, Copy)]
struct Run {
    city: u64,
    start: u32,
    end: u32,
}

/// The order and sorted keys of [`order_keys`] when each city's rows lie in a few runs
/// of consecutive rows (a submission lists a city's values together, whatever their order
/// inside); `None` when the runs are shorter than `min_run` rows on average (it would not
/// pay), or rows or a city's keys exceed 32 bits.
///
/// Each city's rows are gathered from its runs and sorted in cache by (data point, year,
/// row), the cities taken in code order and split over the available cores. Against the
/// radix sort of the whole panel (three passes over 200 MB at 13 000 cities) this is one
/// pass to find the runs and a small sort per city. Within a (city, data point, year) the
/// rows stay in row order, so the latest batch wins exactly as in the radix sort.
fn in_city_runs(
    keys: &[u64],
    packing: &Packing,
    batches: Option<&[u32]>,
    min_run: usize,
) -> Option<(Vec<IdxSize>, Vec<u64>)> {
    let n = keys.len();
    let per_city = packing.data_points * packing.years;
    if n as u64 >= 1 << 32 || per_city >= 1 << 32 {
        return None;
    }
    let mut runs: Vec<Run> = Vec::new();
    for (i, &k) in keys.iter().enumerate() {
        let city = k / per_city;
        match runs.last_mut() {
            Some(r) if r.city == city => r.end = i as u32 + 1,
            _ => {
                if runs.len() * min_run > n {
                    return None;
                }
                runs.push(Run {
                    city,
                    start: i as u32,
                    end: i as u32 + 1,
                });
            }
        }
    }
    // stable: a city's runs stay in row order
    runs.sort_by_key(|r| r.city);

    // split the cities over the cores at city boundaries, about equal rows each
    let parts = std::thread::available_parallelism()
        .map_or(1, |p| p.get())
        .clamp(1, 8);
    let mut bounds = vec![0usize];
    let mut rows = 0usize;
    for (i, r) in runs.iter().enumerate() {
        let next_city = runs.get(i + 1).map(|n| n.city) != Some(r.city);
        rows += (r.end - r.start) as usize;
        if next_city && rows * parts >= n * bounds.len() && bounds.len() < parts {
            bounds.push(i + 1);
        }
    }
    if *bounds.last().expect("non-empty") != runs.len() {
        bounds.push(runs.len());
    }

    let mut keep: Vec<IdxSize> = vec![0; n];
    let mut sorted: Vec<u64> = vec![0; n];
    // each part writes at most its row count, from its first row's offset
    let mut counts = Vec::new();
    std::thread::scope(|scope| {
        let (mut keep_rest, mut sorted_rest) = (&mut keep[..], &mut sorted[..]);
        let mut handles = Vec::new();
        for w in bounds.windows(2) {
            let part = &runs[w[0]..w[1]];
            let len: usize = part.iter().map(|r| (r.end - r.start) as usize).sum();
            let (k, kr) = keep_rest.split_at_mut(len);
            let (s, sr) = sorted_rest.split_at_mut(len);
            (keep_rest, sorted_rest) = (kr, sr);
            handles.push((
                len,
                scope.spawn(move || order_runs(part, keys, batches, per_city, k, s)),
            ));
        }
        for (len, h) in handles {
            counts.push((len, h.join().expect("an ordering thread does not panic")));
        }
    });
    // close the gaps left by dropped repeats
    let (mut from, mut to) = (0usize, 0usize);
    for (len, written) in counts {
        keep.copy_within(from..from + written, to);
        sorted.copy_within(from..from + written, to);
        from += len;
        to += written;
    }
    keep.truncate(to);
    sorted.truncate(to);
    Some((keep, sorted))
}

/// A city with at least one row per this many of its possible (data point, year) pairs
/// is ordered through a table of those pairs, a sparser one by a sort.
const SLOTS_PER_ROW: usize = 4;

/// Order the rows of `runs` (whole cities, in code order) into `keep`/`sorted` (their
/// keys); returns how many rows were written.
fn order_runs(
    runs: &[Run],
    keys: &[u64],
    batches: Option<&[u32]>,
    per_city: u64,
    keep: &mut [IdxSize],
    sorted: &mut [u64],
) -> usize {
    let mut out = 0;
    let mut buf: Vec<u64> = Vec::new();
    // per (data point, year) of a city: its kept row, or EMPTY (see below)
    const EMPTY: u32 = u32::MAX;
    let mut slots: Vec<u32> = Vec::new();
    let mut i = 0;
    while i < runs.len() {
        let city = runs[i].city;
        let first = i;
        let mut rows = 0usize;
        while i < runs.len() && runs[i].city == city {
            rows += (runs[i].end - runs[i].start) as usize;
            i += 1;
        }
        let city_runs = &runs[first..i];
        if per_city as usize <= SLOTS_PER_ROW * rows {
            // a city holding most of its (data point, year) pairs: each row goes to its
            // pair's slot and the slots are read in order (no sort; a sort per city was
            // 4 % of `run`'s CPU time at 5 000 cities), rows met in row order
            if slots.is_empty() {
                slots = vec![EMPTY; per_city as usize];
            }
            for r in city_runs {
                for row in r.start..r.end {
                    let slot = &mut slots[(keys[row as usize] % per_city) as usize];
                    // a later row of an equal or later batch wins
                    if *slot == EMPTY
                        || batches.is_none_or(|bs| bs[row as usize] >= bs[*slot as usize])
                    {
                        *slot = row;
                    }
                }
            }
            for (within, slot) in slots.iter_mut().enumerate() {
                if *slot != EMPTY {
                    keep[out] = *slot as IdxSize;
                    sorted[out] = city * per_city + within as u64;
                    out += 1;
                    *slot = EMPTY;
                }
            }
            continue;
        }
        buf.clear();
        for r in city_runs {
            buf.extend(
                (r.start..r.end).map(|row| ((keys[row as usize] % per_city) << 32) | row as u64),
            );
        }
        buf.sort_unstable();
        let mut a = 0;
        while a < buf.len() {
            let within = buf[a] >> 32;
            let mut best = buf[a] as u32;
            let mut b = a + 1;
            while b < buf.len() && buf[b] >> 32 == within {
                let row = buf[b] as u32;
                // rows in row order: a later row of an equal or later batch wins
                if batches.is_none_or(|bs| bs[row as usize] >= bs[best as usize]) {
                    best = row;
                }
                b += 1;
            }
            keep[out] = best as IdxSize;
            sorted[out] = city * per_city + within;
            out += 1;
            a = b;
        }
    }
    out
}

/// `df`'s rows `rows` (positions in the whole frame), gathered straight from its chunks
/// into contiguous columns, one column per thread.
///
/// The streaming reader hands over the panel in hundreds of chunks. Concatenating them
/// first and then gathering copied the panel twice (at 13 000 cities 750 MB more touched
/// memory, a second on this machine); Polars' ordinary `take` on a many-chunk column
/// locates each row's chunk itself and was slower still. Here each row's (chunk, offset)
/// is found once, by a binary search over the chunk starts, and every column gathers with
/// it.
fn gather(df: &DataFrame, rows: &[IdxSize]) -> Result<DataFrame> {
    use polars::prelude::{ChunkId, TakeChunkedHorPar};
    let mut df = df.clone();
    // one chunk layout for every column (a no-op when the reader already aligned them)
    df.align_chunks_par();
    let Some(first) = df.columns().first() else {
        return Ok(df);
    };
    let lengths: Vec<IdxSize> = first
        .as_materialized_series()
        .chunk_lengths()
        .map(|l| l as IdxSize)
        .collect();
    if lengths.len() >= 1 << 24 {
        let mut df = df;
        df.rechunk_mut_par();
        return df.take(&IdxCa::from_slice("".into(), rows)).map_err(pe);
    }
    // starts[c] = first row of chunk c
    let mut starts = Vec::with_capacity(lengths.len());
    let mut at: IdxSize = 0;
    for l in &lengths {
        starts.push(at);
        at += l;
    }
    // (chunk, offset) of each row, on every core; consecutive rows mostly fall in the same
    // chunk (a city's rows are near each other), so the last chunk is tried first
    // (written in place by the threads: filling it first would touch 8 bytes a row twice)
    let mut ids: Vec<ChunkId> = Vec::with_capacity(rows.len());
    let parts = std::thread::available_parallelism()
        .map_or(1, |p| p.get())
        .clamp(1, 8);
    let per_part = rows.len().div_ceil(parts).max(1);
    std::thread::scope(|scope| {
        let spare = &mut ids.spare_capacity_mut()[..rows.len()];
        for (out, rows) in spare.chunks_mut(per_part).zip(rows.chunks(per_part)) {
            let starts = &starts;
            scope.spawn(move || {
                let mut c = 0usize;
                for (id, &r) in out.iter_mut().zip(rows) {
                    let inside = starts[c] <= r && starts.get(c + 1).is_none_or(|&e| r < e);
                    if !inside {
                        c = starts.partition_point(|&s| s <= r) - 1;
                    }
                    id.write(ChunkId::store(c as IdxSize, r - starts[c]));
                }
            });
        }
    });
    // SAFETY: the threads above wrote every one of the first rows.len() elements
    unsafe { ids.set_len(rows.len()) };
    // SAFETY: every id names a row inside its chunk (rows < height, chunks aligned above)
    Ok(unsafe { df._take_chunked_unchecked_hor_par(&ids, IsSorted::Not) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn radix_order_is_a_stable_sort(keys in proptest::collection::vec(0u64..5000, 0..2000)) {
            let mut expected: Vec<IdxSize> = (0..keys.len() as IdxSize).collect();
            expected.sort_by_key(|&i| keys[i as usize]);
            prop_assert_eq!(radix_order(&keys), expected);
        }

        #[test]
        fn radix_order_handles_wide_keys(keys in proptest::collection::vec(0u64..(1 << 32), 0..500)) {
            let mut expected: Vec<IdxSize> = (0..keys.len() as IdxSize).collect();
            expected.sort_by_key(|&i| keys[i as usize]);
            prop_assert_eq!(radix_order(&keys), expected);
        }
    }

    /// Rows (city, data point, year, batch), in random order or grouped by city.
    fn rows_strategy() -> impl Strategy<Value = (Vec<(u32, u32, i32, u32)>, bool)> {
        (
            proptest::collection::vec((0u32..6, 0u32..4, 2020i32..2025, 0u32..3), 1..200),
            any::<bool>(),
        )
    }

    fn keys_of(rows: &[(u32, u32, i32, u32)], packing: &Packing) -> (Vec<u64>, Vec<u32>) {
        let keys = rows
            .iter()
            .map(|&(c, p, y, _)| packing.key(c, p, y))
            .collect();
        (keys, rows.iter().map(|r| r.3).collect())
    }

    proptest! {
        /// Ordering city by city gives the whole-panel sort's rows and keys, repeats
        /// resolved to the latest batch alike.
        #[test]
        fn city_runs_order_like_the_whole_sort((mut rows, grouped) in rows_strategy()) {
            if grouped {
                rows.sort_by_key(|r| r.0);
            }
            let packing = Packing { data_points: 4, first_year: 2020, years: 5 };
            let (keys, batch) = keys_of(&rows, &packing);
            let fast = in_city_runs(&keys, &packing, Some(&batch), 1).expect("runs of one row allowed");
            prop_assert_eq!(fast, sorted_latest(&keys, Some(&batch)));
        }

        /// Ordering a frame in many chunks gives the rows of ordering it in one.
        #[test]
        fn many_chunks_order_like_one((rows, _) in rows_strategy(), pieces in 1usize..6) {
            // VALUE: the row's position in `rows`, so the kept row can be told apart
            let frame = |rows: &[(u32, u32, i32, u32)], first: usize| {
                let keys = crate::pipeline::keys::Keys::new(
                    ["c0", "c1", "c2", "c3", "c4", "c5"],
                    ["p0", "p1", "p2", "p3"],
                )
                .unwrap();
                let df = df!(
                    d::CITY_ID => rows.iter().map(|r| format!("c{}", r.0)).collect::<Vec<_>>(),
                    d::DATA_POINT_ID => rows.iter().map(|r| format!("p{}", r.1)).collect::<Vec<_>>(),
                    d::YEAR => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
                    d::VALUE => (first..first + rows.len()).map(|i| i as f64).collect::<Vec<_>>(),
                    d::BATCH_SEQ => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
                )
                .unwrap();
                keys.encode_frame(df).unwrap()
            };
            let whole = order_observations(frame(&rows, 0), 4).unwrap();
            let size = rows.len().div_ceil(pieces);
            let mut chunked = frame(&rows[..size.min(rows.len())], 0);
            for (i, piece) in rows.chunks(size).enumerate().skip(1) {
                chunked.vstack_mut(&frame(piece, i * size)).unwrap();
            }
            prop_assert_eq!(chunked.first_col_n_chunks(), rows.len().div_ceil(size));
            let ordered = order_observations(chunked, 4).unwrap();
            prop_assert!(ordered.equals(&whole), "{ordered}\n{whole}");
        }
    }

    #[test]
    fn packing_orders_like_the_triple() {
        let p = Packing {
            data_points: 3,
            first_year: 2020,
            years: 5,
        };
        assert_eq!(p.key(0, 0, 2020), 0);
        assert_eq!(p.key(0, 0, 2024), 4);
        assert_eq!(p.key(0, 1, 2020), 5);
        assert_eq!(p.key(1, 0, 2020), 15);
        assert!(p.key(0, 2, 2024) < p.key(1, 0, 2020));
    }
}
