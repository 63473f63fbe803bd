//! Compression of customer rows into distinct patterns with weights.
//!
//! BTYD likelihoods depend on a customer only through a few numbers (frequency, recency, T
//! or frequency, monetary value), so identical rows contribute identical terms: CDNOW's
//! 2,357 customers are ~1,000 patterns and daily logs compress far more. Fitting on the
//! patterns is exact (each term is multiplied by its weight).

use rayon::prelude::*;

use super::grouping::{bits_for, levels_and_codes, Codes};
use crate::error::{check_same_length, ClmError, Result};
use crate::numeric::sort::radix_sort_by_key;

/// Most columns a pattern may have.
pub const MAX_COLUMNS: usize = 4;

/// Distinct rows of `k` columns, stored row-major, with the summed weight of each.
/// Patterns are sorted lexicographically, so the order (and every sum over patterns)
/// does not depend on the order of the input rows or on the thread count.
///
/// Each column's distinct values are also kept sorted (`levels`), with every pattern's
/// value given as its index there (`codes`): models evaluate terms that depend on one column
/// (like ln(alpha + T)) once per distinct value instead of once per pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Patterns {
    pub k: usize,
    pub rows: Vec<f64>,
    pub weights: Vec<f64>,
    /// Sorted distinct values of each column, over the patterns.
    pub levels: Vec<Vec<f64>>,
    /// Row-major like `rows`: `levels[c][codes[i * k + c]] == rows[i * k + c]`.
    pub codes: Vec<u32>,
}

impl Patterns {
    /// Groups identical rows of `columns` (all of one length, at most 4), summing `weights`
    /// (1 per row when None). Rows with weight 0 are kept out.
    pub fn compress(
        names: &[&str],
        columns: &[&[f64]],
        weights: Option<&[f64]>,
    ) -> Result<Patterns> {
        let k = columns.len();
        if k == 0 || k > MAX_COLUMNS || names.len() != k {
            return Err(ClmError::InvalidArgument(format!(
                "patterns need 1 to {MAX_COLUMNS} named columns"
            )));
        }
        let mut lengths: Vec<(&str, usize)> = names
            .iter()
            .zip(columns)
            .map(|(n, c)| (*n, c.len()))
            .collect();
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
        // Columns are coded independently, so in parallel.
        let coded: Vec<(Vec<f64>, Codes)> =
            columns.par_iter().map(|c| levels_and_codes(c)).collect();
        let (levels, codes): (Vec<Vec<f64>>, Vec<Codes>) = coded.into_iter().unzip();
        let groups = group_rows(columns, &levels, &codes, weights);
        Ok(Patterns::from_groups(levels, groups, weights.is_none()))
    }

    /// Patterns from (codes, weight) groups sorted by codes, dropping levels no group uses
    /// (values seen only in rows of weight 0). With `all_used` (no weights: every row is in
    /// a group, so every level is used) the codes are kept as they are.
    fn from_groups(
        mut levels: Vec<Vec<f64>>,
        groups: Vec<([u32; MAX_COLUMNS], f64)>,
        all_used: bool,
    ) -> Patterns {
        let k = levels.len();
        let remap = if all_used {
            None
        } else {
            Some(drop_unused_levels(&mut levels, &groups))
        };
        // Each group writes its own slots: filled in parallel, same values for any thread count.
        let mut rows = vec![0.0; groups.len() * k];
        let mut codes = vec![0u32; groups.len() * k];
        rows.par_chunks_mut(k)
            .zip(codes.par_chunks_mut(k))
            .zip(groups.par_iter())
            .with_min_len(crate::numeric::grain::ITEMS_SCAN)
            .for_each(|((row, code), (key, _))| {
                for c in 0..k {
                    code[c] = remap.as_ref().map_or(key[c], |r| r[c][key[c] as usize]);
                    row[c] = levels[c][code[c] as usize];
                }
            });
        let weights = groups.iter().map(|g| g.1).collect();
        Patterns {
            k,
            rows,
            weights,
            levels,
            codes,
        }
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
        out.rescale_in_place(columns, scale);
        out
    }

    /// `rescaled` without the copy.
    pub fn rescale_in_place(&mut self, columns: &[usize], scale: f64) {
        let k = self.k;
        self.rows
            .par_chunks_mut(k)
            .with_min_len(crate::numeric::grain::ITEMS_SCAN)
            .for_each(|row| columns.iter().for_each(|&c| row[c] /= scale));
        for &c in columns {
            self.levels[c].iter_mut().for_each(|v| *v /= scale);
        }
    }

    /// The same patterns with the columns' levels replaced by `levels` (same length and
    /// order) and the rows rebuilt from them: undoes `rescale_in_place` exactly.
    pub fn with_levels(&self, levels: Vec<Vec<f64>>) -> Patterns {
        let k = self.k;
        let rows = self
            .codes
            .iter()
            .enumerate()
            .map(|(j, &code)| levels[j % k][code as usize])
            .collect();
        Patterns {
            k,
            rows,
            weights: self.weights.clone(),
            levels,
            codes: self.codes.clone(),
        }
    }

    /// Largest value of column `c` (0 when empty).
    pub fn max_of(&self, c: usize) -> f64 {
        // Levels are the column's sorted distinct values over the patterns: the last is the
        // largest (the same as a scan of the rows, without reading them).
        self.levels[c].last().map_or(0.0, |&v| v.max(0.0))
    }
}

/// Keeps the levels some group uses; returns each old code's new code.
fn drop_unused_levels(
    levels: &mut [Vec<f64>],
    groups: &[([u32; MAX_COLUMNS], f64)],
) -> Vec<Vec<u32>> {
    let k = levels.len();
    let mut remap: Vec<Vec<u32>> = levels.iter().map(|l| vec![u32::MAX; l.len()]).collect();
    for (key, _) in groups {
        for c in 0..k {
            remap[c][key[c] as usize] = 0;
        }
    }
    for c in 0..k {
        let mut kept = Vec::new();
        for (j, slot) in remap[c].iter_mut().enumerate() {
            if *slot == 0 {
                *slot = kept.len() as u32;
                kept.push(levels[c][j]);
            }
        }
        levels[c] = kept;
    }
    remap
}

/// Groups the rows of `columns` by their codes (one `Codes` per column), in increasing order
/// of codes, summing the weights of each group in input order; rows of weight 0 are left out.
/// Codes packed into one u64 are radix sorted; wider keys take a stable comparison sort.
fn group_rows(
    columns: &[&[f64]],
    levels: &[Vec<f64>],
    codes: &[Codes],
    weights: Option<&[f64]>,
) -> Vec<([u32; MAX_COLUMNS], f64)> {
    let k = codes.len();
    let n = columns[0].len();
    let bits: Vec<u32> = levels.iter().map(|l| bits_for(l.len())).collect();
    let total_bits: u32 = bits.iter().sum();
    let weight = |i: usize| weights.map_or(1.0, |w| w[i]);
    let mut groups: Vec<([u32; MAX_COLUMNS], f64)> = Vec::new();
    if total_bits <= 64 {
        // Column 0 in the most significant bits: integer order = lexicographic order.
        let mut shifts = vec![0u32; k];
        let mut s = 0;
        for c in (0..k).rev() {
            shifts[c] = s;
            s += bits[c];
        }
        let packed = |i: usize| {
            (0..k).fold(0u64, |key, c| {
                key | (codes[c].get(columns[c], i) as u64) << shifts[c]
            })
        };
        let unpack = |packed: u64| {
            let mut key = [0u32; MAX_COLUMNS];
            for c in 0..k {
                key[c] = ((packed >> shifts[c]) & ((1u64 << bits[c]) - 1)) as u32;
            }
            key
        };
        match weights {
            // Unit weights: sort the keys alone (4 or 8 bytes per row instead of 16); each
            // group's weight is its count, as summing ones would give.
            None if total_bits <= 32 => {
                let mut keys: Vec<u32> = (0..n)
                    .into_par_iter()
                    .with_min_len(crate::numeric::grain::ITEMS_STREAM)
                    .map(|i| packed(i) as u32)
                    .collect();
                radix_sort_by_key(&mut keys, total_bits, |&key| key as u64);
                groups = runs(&keys, |key, count| (unpack(key as u64), count as f64));
            }
            None => {
                let mut keys: Vec<u64> = (0..n)
                    .into_par_iter()
                    .with_min_len(crate::numeric::grain::ITEMS_STREAM)
                    .map(packed)
                    .collect();
                radix_sort_by_key(&mut keys, total_bits, |&key| key);
                groups = runs(&keys, |key, count| (unpack(key), count as f64));
            }
            Some(_) => {
                let mut items: Vec<(u64, f64)> = (0..n)
                    .filter(|&i| weight(i) != 0.0)
                    .map(|i| (packed(i), weight(i)))
                    .collect();
                radix_sort_by_key(&mut items, total_bits, |item| item.0);
                let mut last = None;
                for (key, w) in items {
                    match groups.last_mut() {
                        Some(group) if last == Some(key) => group.1 += w,
                        _ => groups.push((unpack(key), w)),
                    }
                    last = Some(key);
                }
            }
        }
    } else {
        let mut items: Vec<([u32; MAX_COLUMNS], f64)> = (0..n)
            .filter(|&i| weight(i) != 0.0)
            .map(|i| {
                let mut key = [0u32; MAX_COLUMNS];
                (0..k).for_each(|c| key[c] = codes[c].get(columns[c], i));
                (key, weight(i))
            })
            .collect();
        // Stable: equal rows keep input order, so their weights sum in that order.
        items.par_sort_by_key(|item| item.0);
        for (key, w) in items {
            match groups.last_mut() {
                Some(last) if last.0 == key => last.1 += w,
                _ => groups.push((key, w)),
            }
        }
    }
    groups
}

/// `group(key, count)` for each run of equal keys in sorted `keys`, in order: the run
/// starts are found in one pass, the groups are then built in parallel.
fn runs<K: Copy + PartialEq + Sync, G: Send>(
    keys: &[K],
    group: impl Fn(K, usize) -> G + Sync,
) -> Vec<G> {
    let mut starts: Vec<usize> = (0..keys.len())
        .filter(|&i| i == 0 || keys[i] != keys[i - 1])
        .collect();
    starts.push(keys.len());
    starts
        .par_windows(2)
        .with_min_len(crate::numeric::grain::ITEMS_SCAN)
        .map(|w| group(keys[w[0]], w[1] - w[0]))
        .collect()
}

#[cfg(test)]
mod tests;
