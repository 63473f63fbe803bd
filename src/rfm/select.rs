//! Order statistics by multi-selection.
//!
//! Quantile edges and rank cut points need the values at a handful of sorted positions, not
//! a full sort: recursive `select_nth_unstable` around the middle requested position costs
//! O(n log m) for m positions, and the two halves are independent so they run in parallel.
//! The value at a sorted position is unique, so the result does not depend on the thread
//! count or on how the halves were scheduled.

use rayon::prelude::*;

/// Copies `values` with `-0.0` folded into `0.0`, so the total order used for selection
/// agrees with IEEE equality (pandas and numpy treat the two zeros as equal).
pub(crate) fn normalized_copy(values: &[f64]) -> Vec<f64> {
    values
        .par_iter()
        .with_min_len(crate::numeric::grain::ITEMS_MAP)
        .map(|&v| v + 0.0)
        .collect()
}

/// Returns the values at the given 0-based positions of the ascending sort of `values`
/// (NaN-free). `positions` may be unsorted and repeat; each must be `< values.len()`.
pub(crate) fn order_statistics(values: &[f64], positions: &[usize]) -> Vec<f64> {
    let mut wanted: Vec<usize> = positions.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    let mut data = normalized_copy(values);
    let found = select_many(&mut data, 0, &wanted);
    positions
        .iter()
        .map(|p| {
            let at = wanted.partition_point(|w| w < p);
            found[at]
        })
        .collect()
}

/// Values at `positions` (sorted, distinct, absolute) within `data`, which starts at
/// absolute position `offset`; returned in the order of `positions`.
fn select_many(data: &mut [f64], offset: usize, positions: &[usize]) -> Vec<f64> {
    if positions.is_empty() {
        return Vec::new();
    }
    let mid = positions.len() / 2;
    let local = positions[mid] - offset;
    let (left, nth, right) = data.select_nth_unstable_by(local, f64::total_cmp);
    let pivot = *nth;
    let (mut below, above) = rayon::join(
        || select_many(left, offset, &positions[..mid]),
        || select_many(right, offset + local + 1, &positions[mid + 1..]),
    );
    below.push(pivot);
    below.extend(above);
    below
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_full_sort() {
        let values: Vec<f64> = (0..10_007)
            .map(|i| ((i * 7919) % 1013) as f64 * 0.5 - 100.0)
            .collect();
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let positions = [10_006, 0, 5000, 17, 17, 9999, 1];
        let got = order_statistics(&values, &positions);
        let want: Vec<f64> = positions.iter().map(|&p| sorted[p]).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn negative_zero_counts_as_zero() {
        let got = order_statistics(&[0.0, -0.0, 1.0], &[0, 1]);
        assert!(got.iter().all(|v| v.to_bits() == 0.0f64.to_bits()));
    }
}
