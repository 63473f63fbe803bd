//! Binning one dimension into scores 1..=bins.
//!
//! Every method reduces to inner edges `e_1 <= ... <= e_{bins-1}` and one rule: a value's
//! bin is the number of edges strictly below it (intervals closed on the right, as in
//! `pd.cut`/`pd.qcut`). Equal values therefore always share a bin, bins are monotone in the
//! value, and when edges coincide (heavy ties) some bins stay empty. Ascending scores are
//! `1 + bin`; descending scores reverse the labels, `bins - bin`, over the same intervals.

use rayon::prelude::*;

use super::select::order_statistics;
use crate::error::{check_finite, ClmError, Result};

pub const MIN_BINS: usize = 2;
pub const MAX_BINS: usize = 10;

/// Rejects a bin count outside 2..=10 (scores must fit the one- or two-digit codes).
pub fn check_bins(bins: usize) -> Result<()> {
    if (MIN_BINS..=MAX_BINS).contains(&bins) {
        Ok(())
    } else {
        Err(ClmError::InvalidArgument(format!(
            "bins must be between {MIN_BINS} and {MAX_BINS}, got {bins}"
        )))
    }
}

/// Rejects edges that are not finite, not non-decreasing, or not `bins - 1` long.
pub fn check_edges(name: &str, edges: &[f64], bins: usize) -> Result<()> {
    check_bins(bins)?;
    if edges.len() != bins - 1 {
        return Err(ClmError::InvalidArgument(format!(
            "edges for {name} must have bins - 1 = {} values, got {}",
            bins - 1,
            edges.len()
        )));
    }
    check_finite(&format!("edges for {name}"), edges)?;
    match edges.windows(2).position(|w| w[1] < w[0]) {
        Some(i) => Err(ClmError::invalid_value(
            &format!("edges for {name}"),
            i + 1,
            edges[i + 1],
            "edges must be non-decreasing",
        )),
        None => Ok(()),
    }
}

/// numpy's linear interpolation `_lerp`, including its switch to the upper end for
/// `t >= 0.5`, so edges agree with `np.quantile` to the bit.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// Inner quantile edges at `k / bins`, `k = 1..bins`, with numpy's default ("linear",
/// Hyndman & Fan type 7) rule: position `h = (n - 1) q`, interpolating the order statistics
/// at `floor(h)` and `floor(h) + 1`. Errors on empty or non-finite input.
pub fn quantile_edges(values: &[f64], bins: usize) -> Result<Vec<f64>> {
    check_bins(bins)?;
    if values.is_empty() {
        return Err(ClmError::InvalidArgument(
            "cannot compute quantile edges of no values".into(),
        ));
    }
    check_finite("values", values)?;
    let n = values.len();
    let spots: Vec<(usize, usize, f64)> = (1..bins)
        .map(|k| {
            let h = (n - 1) as f64 * (k as f64 / bins as f64);
            let lo = h.floor() as usize;
            (lo, (lo + 1).min(n - 1), h - lo as f64)
        })
        .collect();
    let positions: Vec<usize> = spots.iter().flat_map(|&(lo, hi, _)| [lo, hi]).collect();
    let stats = order_statistics(values, &positions);
    Ok(spots
        .iter()
        .enumerate()
        .map(|(k, &(_, _, g))| lerp(stats[2 * k], stats[2 * k + 1], g))
        .collect())
}

fn label(bin: usize, bins: usize, ascending: bool) -> i8 {
    // bins <= 10, so both labels fit an i8.
    if ascending {
        (1 + bin) as i8
    } else {
        (bins - bin) as i8
    }
}

/// Scores with given inner edges (`edges.len() + 1` bins); see the module rule.
pub fn score_with_edges(values: &[f64], edges: &[f64], ascending: bool) -> Result<Vec<i8>> {
    let bins = edges.len() + 1;
    check_edges("values", edges, bins)?;
    check_finite("values", values)?;
    Ok(values
        .par_iter()
        .with_min_len(crate::numeric::grain::ITEMS_MAP)
        .map(|&v| label(edges.iter().filter(|&&e| e < v).count(), bins, ascending))
        .collect())
}

/// Quantile scores: `quantile_edges` then `score_with_edges` on the same data.
pub fn score_quantile(values: &[f64], bins: usize, ascending: bool) -> Result<Vec<i8>> {
    check_bins(bins)?;
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let edges = quantile_edges(values, bins)?;
    score_with_edges(values, &edges, ascending)
}

/// Cut point of one rank edge: rows whose (value, row) key is at or above
/// `(value, first_row)` have a rank above the edge.
struct RankCut {
    value: f64,
    first_row: usize,
}

/// Equal-sized groups by rank, identical to
/// `pd.qcut(pd.Series(x).rank(method="first"), bins, labels=False)` (pandas 3).
///
/// Ranks are 1..n with ties broken by row order, and a rank lies in bin k when it is above
/// k of qcut's inner edges on the ranks. Those edges are reproduced to the bit (see
/// `qcut_rank_edge`), and a rank r is above edge e iff `r > m = floor(e)`. So the rows above
/// an edge are those whose (value, row) key is at least the key at sorted position m: no
/// argsort is needed, only order statistics and counts.
pub fn score_rank(values: &[f64], bins: usize, ascending: bool) -> Result<Vec<i8>> {
    check_bins(bins)?;
    check_finite("values", values)?;
    let n = values.len();
    let cut_positions: Vec<usize> = (1..bins)
        .map(|k| qcut_rank_edge(n, k, bins).floor().max(0.0) as usize)
        .filter(|&m| m < n)
        .collect();
    // The cut values come from a copy with -0.0 folded into 0.0; IEEE comparisons below treat
    // the two zeros as equal anyway, so the caller's values are used as they are.
    let cut_values = order_statistics(values, &cut_positions);
    let cuts = locate_cuts(values, &cut_positions, &cut_values);
    Ok(values
        .par_iter()
        .enumerate()
        .with_min_len(crate::numeric::grain::ITEMS_MAP)
        .map(|(row, &v)| {
            let bin = cuts
                .iter()
                .filter(|c| v > c.value || (v == c.value && row >= c.first_row))
                .count();
            label(bin, bins, ascending)
        })
        .collect())
}

/// qcut's k-th inner edge on the ranks 1..n, computed as pandas 3 and numpy do: levels from
/// `np.linspace(0, 1, bins + 1)` (`k * (1 / bins)`), nudged up one ulp where
/// `bins * level != k`, then `np.quantile`'s linear rule on the sorted ranks. Exact integer
/// arithmetic would differ from pandas whenever `(n - 1) k / bins` is a whole number that the
/// floating-point level misses (e.g. n = 19, bins = 6, k = 5 gives 15.999999999999998).
fn qcut_rank_edge(n: usize, k: usize, bins: usize) -> f64 {
    let mut level = k as f64 * (1.0 / bins as f64);
    if level * bins as f64 != k as f64 {
        level = level.next_up();
    }
    let h = n.saturating_sub(1) as f64 * level;
    let lo = h.floor();
    let hi = (lo + 1.0).min(n.saturating_sub(1) as f64);
    lerp(lo + 1.0, hi + 1.0, h - lo)
}

use crate::numeric::grain::COUNT_CHUNK;

/// The cut of each sorted position `m` (holding `value`): the row of the `(m - below)`-th
/// occurrence of `value`, where `below` counts smaller values. One parallel pass counts, per
/// chunk and cut, the values below and equal; then only the chunk holding the wanted
/// occurrence is scanned.
fn locate_cuts(values: &[f64], positions: &[usize], cut_values: &[f64]) -> Vec<RankCut> {
    let counts: Vec<Vec<(usize, usize)>> = values
        .par_chunks(COUNT_CHUNK)
        .map(|chunk| {
            cut_values
                .iter()
                .map(|&cut| {
                    chunk.iter().fold((0, 0), |(below, equal), &v| {
                        (below + usize::from(v < cut), equal + usize::from(v == cut))
                    })
                })
                .collect()
        })
        .collect();
    positions
        .iter()
        .zip(cut_values)
        .enumerate()
        .map(|(k, (&m, &value))| {
            let below: usize = counts.iter().map(|c| c[k].0).sum();
            let per_chunk: Vec<usize> = counts.iter().map(|c| c[k].1).collect();
            RankCut {
                value,
                first_row: nth_equal_row(values, value, m - below, &per_chunk),
            }
        })
        .collect()
}

/// Row of the `j`-th (0-based) occurrence of `value`, given its count in each chunk.
fn nth_equal_row(values: &[f64], value: f64, j: usize, per_chunk: &[usize]) -> usize {
    let mut seen = 0;
    for (c, &count) in per_chunk.iter().enumerate() {
        if seen + count > j {
            let start = c * COUNT_CHUNK;
            let mut hits = values[start..]
                .iter()
                .enumerate()
                .filter(|&(_, &v)| v == value);
            if let Some((i, _)) = hits.nth(j - seen) {
                return start + i;
            }
        }
        seen += count;
    }
    // Unreachable when `j` counts occurrences of a value present in `values`.
    values.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute_rank(values: &[f64], bins: usize) -> Vec<i8> {
        let n = values.len();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| values[a].partial_cmp(&values[b]).unwrap().then(a.cmp(&b)));
        let mut out = vec![0i8; n];
        for (pos, &row) in order.iter().enumerate() {
            let rank = (pos + 1) as f64;
            let edges = (1..bins).map(|k| qcut_rank_edge(n, k, bins));
            out[row] = 1 + edges.filter(|&e| e < rank).count() as i8;
        }
        out
    }

    #[test]
    fn rank_scores_match_brute_force_with_ties() {
        for n in [1usize, 2, 3, 7, 10, 11, 50, 101, 1000, 70_001] {
            let values: Vec<f64> = (0..n).map(|i| ((i * 37) % 13) as f64).collect();
            for bins in [2, 3, 5, 7, 10] {
                assert_eq!(
                    score_rank(&values, bins, true).unwrap(),
                    brute_rank(&values, bins),
                    "n={n} bins={bins}"
                );
            }
        }
    }

    #[test]
    fn rank_edges_round_like_pandas() {
        // pd.qcut(pd.Series(range(1, 20)), 6, retbins=True)[1][5] == 15.999999999999998
        assert_eq!(qcut_rank_edge(19, 5, 6), 15.999999999999998);
        assert_eq!(qcut_rank_edge(19, 1, 6), 4.0);
        assert_eq!(qcut_rank_edge(1, 1, 5), 1.0);
    }

    #[test]
    fn quantile_edges_interpolate_like_numpy() {
        // np.quantile([1, 2, 3, 4, 10], [0.25, 0.5, 0.75]) == [2, 3, 4]
        assert_eq!(
            quantile_edges(&[10.0, 1.0, 3.0, 2.0, 4.0], 4).unwrap(),
            vec![2.0, 3.0, 4.0]
        );
        // np.quantile([0, 1], [0.2, 0.4, 0.6, 0.8])
        let e = quantile_edges(&[1.0, 0.0], 5).unwrap();
        assert!((e[0] - 0.2).abs() < 1e-15 && (e[3] - 0.8).abs() < 1e-15);
    }

    #[test]
    fn ties_share_a_score_and_descending_reverses() {
        let values = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 9.0];
        let up = score_quantile(&values, 5, true).unwrap();
        let down = score_quantile(&values, 5, false).unwrap();
        assert!(up[..6].iter().all(|&s| s == 1));
        assert!(up.windows(2).all(|w| w[0] <= w[1]));
        assert!(up.iter().zip(&down).all(|(u, d)| u + d == 6));
    }

    proptest::proptest! {
        #[test]
        fn quantile_scores_match_full_sort(
            values in proptest::collection::vec(proptest::sample::select(vec![-1.0, 0.0, 0.5, 2.0, 7.0, 1e9]), 1..200),
            bins in 2usize..=10,
        ) {
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let n = sorted.len();
            let edges: Vec<f64> = (1..bins).map(|k| {
                let h = (n - 1) as f64 * (k as f64 / bins as f64);
                let lo = h.floor() as usize;
                lerp(sorted[lo], sorted[(lo + 1).min(n - 1)], h - lo as f64)
            }).collect();
            let want: Vec<i8> = values.iter().map(|&v| 1 + edges.iter().filter(|&&e| e < v).count() as i8).collect();
            proptest::prop_assert_eq!(score_quantile(&values, bins, true).unwrap(), want);
            proptest::prop_assert_eq!(score_rank(&values, bins, true).unwrap(), brute_rank(&values, bins));
        }
    }

    #[test]
    fn bad_arguments_are_rejected() {
        assert!(check_bins(1).is_err() && check_bins(11).is_err());
        assert!(score_with_edges(&[1.0], &[2.0, 1.0], true).is_err());
        assert!(score_quantile(&[1.0, f64::NAN], 3, true)
            .unwrap_err()
            .to_string()
            .contains("row 1"));
    }
}
