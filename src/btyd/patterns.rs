//! Compression of customer rows into distinct patterns with weights.
//!
//! BTYD likelihoods depend on a customer only through a few numbers (frequency, recency, T
//! or frequency, monetary value), so identical rows contribute identical terms: CDNOW's
//! 2,357 customers are ~1,000 patterns and daily logs compress far more. Fitting on the
//! patterns is exact (each term is multiplied by its weight).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

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

/// The multiply-rotate combine of rustc's FxHasher with MurmurHash3's 64-bit finaliser: keys
/// are bit patterns of floats, whose low bits are often all zero (whole numbers), and the
/// finaliser moves the high bits down so hash-table buckets stay spread. The keys come from
/// the user's own data, so a fast non-cryptographic hash is enough.
#[derive(Default)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut buf = [0u8; 8];
            buf[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(buf));
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
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
        let mut index: HashMap<Key, usize, BuildHasherDefault<FxHasher>> = HashMap::default();
        let mut keys: Vec<Key> = Vec::new();
        let mut sums: Vec<f64> = Vec::new();
        for i in 0..columns[0].len() {
            let w = weights.map_or(1.0, |w| w[i]);
            if w == 0.0 {
                continue;
            }
            let kk = key(i);
            let slot = *index.entry(kk).or_insert_with(|| {
                keys.push(kk);
                sums.push(0.0);
                sums.len() - 1
            });
            sums[slot] += w;
        }
        // Keys are distinct and compare like the values (ordered_bits), so the sorted order
        // is unique: the same for any input order or thread count.
        let mut order: Vec<usize> = (0..keys.len()).collect();
        order.sort_unstable_by_key(|&slot| keys[slot]);
        let mut rows = Vec::with_capacity(order.len() * k);
        let mut out_weights = Vec::with_capacity(order.len());
        for slot in order {
            rows.extend(keys[slot][..k].iter().map(|&b| from_ordered_bits(b)));
            out_weights.push(sums[slot]);
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
