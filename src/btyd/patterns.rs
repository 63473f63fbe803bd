//! Compression of customer rows into distinct patterns with weights.
//!
//! BTYD likelihoods depend on a customer only through a few numbers (frequency, recency, T
//! or frequency, monetary value), so identical rows contribute identical terms: CDNOW's
//! 2,357 customers are ~1,000 patterns and daily logs compress far more. Fitting on the
//! patterns is exact (each term is multiplied by its weight).

use rayon::prelude::*;

use crate::error::{check_same_length, ClmError, Result};

/// Most columns a pattern may have.
pub const MAX_COLUMNS: usize = 4;

type Key = [u64; MAX_COLUMNS];

/// f64 -> u64 preserving order (IEEE total order); -0.0 is folded into +0.0 first so equal
/// values share a key.
fn ordered_bits(v: f64) -> u64 {
    let bits = (v + 0.0).to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

fn from_ordered_bits(b: u64) -> f64 {
    f64::from_bits(if b >> 63 == 1 { b & !(1 << 63) } else { !b })
}

/// Distinct rows of `k` columns, stored row-major, with the summed weight of each.
/// Patterns are sorted lexicographically, so the order (and every sum over patterns)
/// does not depend on the order of the input rows or on the thread count.
#[derive(Debug, Clone, PartialEq)]
pub struct Patterns {
    pub k: usize,
    pub rows: Vec<f64>,
    pub weights: Vec<f64>,
}

impl Patterns {
    /// Groups identical rows of `columns` (all of one length, at most 4), summing `weights`
    /// (1 per row when None). Rows with weight 0 are kept out.
    pub fn compress(names: &[&str], columns: &[&[f64]], weights: Option<&[f64]>) -> Result<Patterns> {
        let k = columns.len();
        if k == 0 || k > MAX_COLUMNS || names.len() != k {
            return Err(ClmError::InvalidArgument(format!("patterns need 1 to {MAX_COLUMNS} named columns")));
        }
        let mut lengths: Vec<(&str, usize)> = names.iter().zip(columns).map(|(n, c)| (*n, c.len())).collect();
        if let Some(w) = weights {
            lengths.push(("weights", w.len()));
        }
        check_same_length(&lengths)?;
        if let Some(w) = weights {
            crate::error::check_nonnegative("weights", w)?;
        }
        for (name, col) in names.iter().zip(columns) {
            crate::error::check_finite(name, col)?;
        }
        let key = |i: usize| -> Key {
            let mut key = [0u64; MAX_COLUMNS];
            for (slot, c) in key.iter_mut().zip(columns) {
                *slot = ordered_bits(c[i]);
            }
            key
        };
        // A stable parallel sort keeps equal rows in input order, so each pattern's weight is
        // summed in the same order for any thread count; keys compare like the values
        // (ordered_bits), so patterns come out sorted by column 0, then 1, ...
        let n = columns[0].len();
        let mut items: Vec<(Key, f64)> = (0..n)
            .into_par_iter()
            .filter_map(|i| {
                let w = weights.map_or(1.0, |w| w[i]);
                (w != 0.0).then(|| (key(i), w))
            })
            .collect();
        items.par_sort_by_key(|item| item.0);
        let mut rows = Vec::new();
        let mut out_weights: Vec<f64> = Vec::new();
        let mut previous: Option<Key> = None;
        for (row_key, w) in items {
            match out_weights.last_mut() {
                Some(total) if previous == Some(row_key) => *total += w,
                _ => {
                    rows.extend(row_key[..k].iter().map(|&b| from_ordered_bits(b)));
                    out_weights.push(w);
                    previous = Some(row_key);
                }
            }
        }
        Ok(Patterns { k, rows, weights: out_weights })
    }

    /// Number of patterns.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// The values of pattern `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.rows[i * self.k..(i + 1) * self.k]
    }

    /// Total weight (the number of customers when no weights were given).
    pub fn total_weight(&self) -> f64 {
        self.weights.iter().sum()
    }

    /// Divides the listed columns by `scale` (time rescaling before a fit).
    pub fn rescaled(&self, columns: &[usize], scale: f64) -> Patterns {
        let mut out = self.clone();
        for i in 0..out.len() {
            for &c in columns {
                out.rows[i * self.k + c] /= scale;
            }
        }
        out
    }

    /// Largest value of column `c` (0 when empty).
    pub fn max_of(&self, c: usize) -> f64 {
        (0..self.len()).map(|i| self.rows[i * self.k + c]).fold(0.0, f64::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_rows_collapse_with_summed_weights() {
        let x = [1.0, 0.0, 1.0, 2.0, 0.0];
        let t = [5.0, 0.0, 5.0, 3.0, -0.0];
        for v in [-3.5, -0.0, 0.0, 1e-300, 2.0, f64::MAX] {
            assert_eq!(from_ordered_bits(ordered_bits(v)), v + 0.0);
        }
        assert!(ordered_bits(-1.0) < ordered_bits(0.0) && ordered_bits(0.5) < ordered_bits(2.0));
        let p = Patterns::compress(&["x", "t"], &[&x, &t], None).unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!(p.rows, vec![0.0, 0.0, 1.0, 5.0, 2.0, 3.0]);
        assert_eq!(p.weights, vec![2.0, 2.0, 1.0]);
        assert_eq!(p.total_weight(), 5.0);
    }

    #[test]
    fn order_does_not_depend_on_input_order() {
        let a = Patterns::compress(&["x"], &[&[3.0, 1.0, 2.0, 1.0]], Some(&[1.0, 2.0, 0.5, 1.0])).unwrap();
        let b = Patterns::compress(&["x"], &[&[1.0, 2.0, 1.0, 3.0]], Some(&[1.0, 0.5, 2.0, 1.0])).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.weights, vec![3.0, 0.5, 1.0]);
    }

    #[test]
    fn bad_weights_and_lengths_are_errors() {
        assert!(Patterns::compress(&["x"], &[&[1.0]], Some(&[-1.0])).is_err());
        assert!(Patterns::compress(&["x", "t"], &[&[1.0], &[1.0, 2.0]], None).is_err());
        assert!(Patterns::compress(&["x"], &[&[f64::NAN]], None).is_err());
    }
}
