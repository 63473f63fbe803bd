//! The grouping behind [`Patterns::compress`](super::Patterns::compress), without a
//! comparison sort of the rows.
//!
//! Each column's values are replaced by their rank among the column's distinct values (its
//! "levels"); a row's ranks, packed into one integer with column 0 most significant, order
//! rows exactly as comparing their values column by column does. A stable LSD radix sort on
//! that integer then brings equal rows together in input order. The parallel steps are
//! exact in any order (min/max, per-row lookups, per-group fills) and the sort and weight sums
//! are sequential, so the result (pattern order and the order in which weights are summed)
//! does not depend on the thread count.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::numeric::sort::f64_key;

/// Most entries of the direct rank table of a whole-valued column (the fast path).
const DIRECT_MIN_RANGE: u64 = 1 << 16;

/// Sorted distinct values of `col` and the rank of each row's value among them. Whole
/// numbers over a small range (counts, integer days) take a direct table; other columns a
/// hash map from value to first-seen id, remapped to ranks.
pub(super) fn levels_and_codes(col: &[f64]) -> (Vec<f64>, Codes) {
    // Min, max and "all whole" are exact in any order: reduced over parallel chunks.
    let (lo, hi, whole) = col
        .par_chunks(1 << 16)
        .map(|chunk| {
            chunk.iter().fold(
                (f64::INFINITY, f64::NEG_INFINITY, true),
                |(lo, hi, whole), &v| (lo.min(v), hi.max(v), whole && super::validate::is_whole(v)),
            )
        })
        .reduce(
            || (f64::INFINITY, f64::NEG_INFINITY, true),
            |a, b| (a.0.min(b.0), a.1.max(b.1), a.2 && b.2),
        );
    let range_limit = DIRECT_MIN_RANGE.max(2 * col.len() as u64) as f64;
    if col.is_empty() {
        return (Vec::new(), Codes::Ranked(Vec::new()));
    }
    if whole && hi - lo < range_limit {
        direct_codes(col, lo, (hi - lo) as usize + 1)
    } else {
        let (levels, codes) = hashed_codes(col);
        (levels, Codes::Ranked(codes))
    }
}

/// Each row's rank among its column's levels: looked up in the direct table when the rows
/// are read (not stored: one pass over the values instead of writing and reading codes), or
/// stored for hashed columns.
pub(super) enum Codes {
    Direct { lo: f64, rank: Vec<u32> },
    Ranked(Vec<u32>),
}

impl Codes {
    /// Code of row `i` of `col` (the column these codes were made from).
    #[inline]
    pub(super) fn get(&self, col: &[f64], i: usize) -> u32 {
        match self {
            Codes::Direct { lo, rank } => rank[(col[i] - lo) as usize],
            Codes::Ranked(codes) => codes[i],
        }
    }
}

fn direct_codes(col: &[f64], lo: f64, range: usize) -> (Vec<f64>, Codes) {
    let mut rank = vec![0u32; range];
    for &v in col {
        rank[(v - lo) as usize] = 1;
    }
    let mut levels = Vec::new();
    for (offset, slot) in rank.iter_mut().enumerate() {
        if *slot != 0 {
            *slot = levels.len() as u32;
            levels.push(lo + offset as f64 + 0.0);
        }
    }
    (levels, Codes::Direct { lo, rank })
}

fn hashed_codes(col: &[f64]) -> (Vec<f64>, Vec<u32>) {
    let mut ids: FxHashMap<u64, u32> = FxHashMap::default();
    // (ordered key, value) of each distinct value, in order of first appearance.
    let mut first: Vec<(u64, f64)> = Vec::new();
    let mut codes: Vec<u32> = col
        .iter()
        .map(|&v| {
            let key = f64_key(v);
            *ids.entry(key).or_insert_with(|| {
                first.push((key, v + 0.0));
                (first.len() - 1) as u32
            })
        })
        .collect();
    let mut order: Vec<u32> = (0..first.len() as u32).collect();
    order.sort_unstable_by_key(|&id| first[id as usize].0);
    let mut rank_of_id = vec![0u32; first.len()];
    for (rank, &id) in order.iter().enumerate() {
        rank_of_id[id as usize] = rank as u32;
    }
    codes.iter_mut().for_each(|c| *c = rank_of_id[*c as usize]);
    let levels = order.iter().map(|&id| first[id as usize].1).collect();
    (levels, codes)
}

/// Bits needed to store ranks below `levels`.
pub(super) fn bits_for(levels: usize) -> u32 {
    usize::BITS - levels.saturating_sub(1).leading_zeros()
}
