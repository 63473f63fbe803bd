//! CLV for models whose conditional expectation factorises as P(alive | x, t_x, T) g(t; x, T)
//! (BG/NBD family, FHL 2005 eq. 10): the series behind g, the expensive part, is summed once
//! per distinct (x, T) (daily summaries of a million customers have a few tens of thousands),
//! and each customer only adds P(alive) and its spend.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::{weighted_total, Schedule, Spend};
use crate::btyd::predict::{CountModel, Rows};
use crate::error::{ClmError, Result};
use crate::parallel;

use crate::numeric::grain::CLV_GROUP_CHUNK as GROUP_CHUNK;

/// Distinct keys of one chunk in order of first appearance (with the row of each first
/// appearance) and the local group of every row.
struct LocalGroups {
    keys: Vec<(u64, u64)>,
    first: Vec<usize>,
    groups: Vec<u32>,
}

fn local_groups(x: &[f64], t: &[f64], start: usize) -> LocalGroups {
    let mut index: FxHashMap<(u64, u64), u32> = FxHashMap::default();
    let (mut keys, mut first) = (Vec::new(), Vec::new());
    let groups = x
        .iter()
        .zip(t)
        .enumerate()
        .map(|(i, (&xi, &ti))| {
            // + 0.0 folds -0.0 into 0.0 (equal values, one key).
            let key = ((xi + 0.0).to_bits(), (ti + 0.0).to_bits());
            *index.entry(key).or_insert_with(|| {
                keys.push(key);
                first.push(start + i);
                (keys.len() - 1) as u32
            })
        })
        .collect();
    LocalGroups {
        keys,
        first,
        groups,
    }
}

/// Largest table of the dense grouping (u32 entries: 16 MB).
const DENSE_CELLS: usize = 1 << 22;

/// Distinct (x, T) pairs in order of first appearance: the first row of each, and the group
/// of every row. Numbering by first appearance makes the lowest failing group the one of the
/// lowest failing row, so errors name the same row as the per-customer path.
fn group_rows(x: &[f64], t: &[f64]) -> (Vec<usize>, Vec<u32>) {
    dense_groups(x, t).unwrap_or_else(|| hashed_groups(x, t))
}

/// Whole-number x and T in a small range (daily summaries: x in the hundreds, T in days)
/// index a table directly, one sequential pass without hashing. None otherwise.
fn dense_groups(x: &[f64], t: &[f64]) -> Option<(Vec<usize>, Vec<u32>)> {
    let whole = |v: f64| v >= 0.0 && v.fract() == 0.0 && v < DENSE_CELLS as f64;
    let (max_x, max_t) = x
        .par_iter()
        .zip(t)
        .with_min_len(crate::numeric::grain::ITEMS_SCAN)
        .map(|(&a, &b)| {
            if whole(a) && whole(b) {
                (a, b)
            } else {
                (f64::INFINITY, f64::INFINITY)
            }
        })
        .reduce(|| (0.0, 0.0), |a, b| (a.0.max(b.0), a.1.max(b.1)));
    if !(max_x.is_finite() && max_t.is_finite()) {
        return None;
    }
    // Both maxima are whole numbers below DENSE_CELLS here.
    let width = max_t as usize + 1;
    if (max_x as usize + 1).saturating_mul(width) > DENSE_CELLS {
        return None;
    }
    let mut table = vec![u32::MAX; (max_x as usize + 1) * width];
    let mut first = Vec::new();
    let groups = x
        .iter()
        .zip(t)
        .enumerate()
        .map(|(i, (&xi, &ti))| {
            let cell = &mut table[xi as usize * width + ti as usize];
            if *cell == u32::MAX {
                *cell = first.len() as u32;
                first.push(i);
            }
            *cell
        })
        .collect();
    Some((first, groups))
}

/// The general case: chunks grouped by hashing in parallel, merged in order (which keeps
/// the first-appearance numbering for any thread count).
fn hashed_groups(x: &[f64], t: &[f64]) -> (Vec<usize>, Vec<u32>) {
    let chunks: Vec<LocalGroups> = x
        .par_chunks(GROUP_CHUNK)
        .zip(t.par_chunks(GROUP_CHUNK))
        .enumerate()
        .map(|(c, (xc, tc))| local_groups(xc, tc, c * GROUP_CHUNK))
        .collect();
    let mut index: FxHashMap<(u64, u64), u32> = FxHashMap::default();
    let mut first = Vec::new();
    let translations: Vec<Vec<u32>> = chunks
        .iter()
        .map(|local| {
            local
                .keys
                .iter()
                .zip(&local.first)
                .map(|(key, &row)| {
                    *index.entry(*key).or_insert_with(|| {
                        first.push(row);
                        (first.len() - 1) as u32
                    })
                })
                .collect()
        })
        .collect();
    let mut groups = vec![0u32; x.len()];
    groups
        .par_chunks_mut(GROUP_CHUNK)
        .zip(&chunks)
        .zip(&translations)
        .for_each(|((out, local), global)| {
            for (o, &g) in out.iter_mut().zip(&local.groups) {
                *o = global[g as usize];
            }
        });
    (first, groups)
}

/// Same values (bit for bit) as the per-customer path of [`super::customer_lifetime_value`];
/// the caller has checked the data and that the model factorises.
pub fn customer_lifetime_value(
    model: &dyn CountModel,
    params: &[f64],
    rows: &Rows,
    spend: &Spend,
    schedule: &Schedule,
) -> Result<Vec<f64>> {
    let (first, groups) = group_rows(rows.x, rows.t);
    let h = schedule.times.len();
    let mut table = vec![0.0; first.len() * h];
    let first_bad = table
        .par_chunks_mut(h)
        .enumerate()
        .with_min_len(crate::numeric::grain::ITEMS_GROUP)
        .filter_map(|(g, out)| {
            let i = first[g];
            match model.alive_window_expectations(
                params,
                &schedule.times,
                rows.x[i],
                rows.t[i],
                out,
            ) {
                Some(Ok(())) => None,
                _ => Some(g),
            }
        })
        .min();
    if let Some(g) = first_bad {
        // Re-run the failing row through the per-customer kernel for its error message.
        let i = first[g];
        let mut scratch = vec![0.0; h];
        model.conditional_expected_purchases_many(
            params,
            &schedule.times,
            rows.x[i],
            rows.tx[i],
            rows.t[i],
            &mut scratch,
        )?;
        return Err(ClmError::InvalidArgument(format!(
            "row {i}: the purchase-count model cannot evaluate this customer"
        )));
    }
    let mut out = vec![0.0; rows.x.len()];
    parallel::map_into(&mut out, |i| {
        let g = groups[i] as usize;
        let alive = model.p_alive(params, rows.x[i], rows.tx[i], rows.t[i]);
        spend.at(i, rows.x[i])
            * weighted_total(&table[g * h..(g + 1) * h], alive, &schedule.weights)
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_and_hashed_grouping_number_groups_by_first_appearance() {
        let n = 3 * GROUP_CHUNK + 17;
        let x: Vec<f64> = (0..n).map(|i| ((i * 31 + i / 1000) % 97) as f64).collect();
        let t: Vec<f64> = (0..n)
            .map(|i| {
                if i % 5 == 0 {
                    -0.0
                } else {
                    ((i * 7) % 13) as f64
                }
            })
            .collect();
        let mut fractional = t.clone();
        fractional[GROUP_CHUNK + 5] = 0.5;
        for (t, dense) in [(&t, true), (&fractional, false)] {
            check_grouping(&x, t);
            assert_eq!(dense_groups(&x, t).is_some(), dense);
            assert_eq!(group_rows(&x, t), hashed_groups(&x, t));
        }
    }

    /// Groups against a sequential reference: one map over all rows.
    fn check_grouping(x: &[f64], t: &[f64]) {
        let n = x.len();
        let (first, groups) = group_rows(x, t);
        let mut index = std::collections::HashMap::new();
        let mut want_first = Vec::new();
        for i in 0..n {
            let key = ((x[i] + 0.0).to_bits(), (t[i] + 0.0).to_bits());
            let g = *index.entry(key).or_insert_with(|| {
                want_first.push(i);
                want_first.len() - 1
            });
            assert_eq!(groups[i] as usize, g, "row {i}");
        }
        assert_eq!(first, want_first);
    }
}
