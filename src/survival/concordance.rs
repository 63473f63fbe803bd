//! Harrell's concordance index with lifelines' convention: a HIGHER score predicts a LONGER
//! survival. A pair (i, j) is comparable when i has an event and t_i < t_j, or t_i = t_j and
//! j is censored (an event before a censoring at the same time). It is concordant when
//! score_i < score_j and counts 1/2 when the scores tie.
//!
//! Counted in O(n log n): rows are visited by increasing time; earlier events sit in a
//! Fenwick tree indexed by score rank, so each row's concordant and tied partners are two
//! prefix queries.

use rayon::prelude::*;

use crate::error::{check_finite, check_same_length, first_invalid, Result};
use crate::numeric::sort::{f64_key, sort_with_rows};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConcordanceCounts {
    pub concordant: u64,
    pub tied: u64,
    pub pairs: u64,
}

impl ConcordanceCounts {
    /// (concordant + tied / 2) / pairs; NaN when no pair is comparable.
    pub fn index(&self) -> f64 {
        if self.pairs == 0 {
            return f64::NAN;
        }
        (self.concordant as f64 + 0.5 * self.tied as f64) / self.pairs as f64
    }
}

/// Counts fit in u32 (n < 2^32 rows); half the memory of u64 keeps more of the tree cached.
struct Fenwick {
    tree: Vec<u32>,
}

impl Fenwick {
    fn new(n: usize) -> Self {
        Fenwick {
            tree: vec![0; n + 1],
        }
    }

    /// Adds 1 at 0-based position `i`.
    fn add(&mut self, i: usize) {
        let mut k = i + 1;
        while k < self.tree.len() {
            self.tree[k] += 1;
            k += k & k.wrapping_neg();
        }
    }

    /// Count at positions < `i`.
    fn prefix(&self, i: usize) -> u64 {
        let mut k = i;
        let mut s = 0u64;
        while k > 0 {
            s += u64::from(self.tree[k]);
            k -= k & k.wrapping_neg();
        }
        s
    }
}

/// Order of `values` (finite) ascending, ties by row index.
fn argsort(values: &[f64]) -> Vec<usize> {
    sort_with_rows(values.par_iter().map(|&v| f64_key(v)).collect()).1
}

/// Dense ranks 0..m of the scores (equal scores share a rank).
fn dense_ranks(scores: &[f64]) -> Vec<usize> {
    let order = argsort(scores);
    let mut ranks = vec![0usize; scores.len()];
    let mut rank = 0;
    for (k, &i) in order.iter().enumerate() {
        if k > 0 && scores[i] != scores[order[k - 1]] {
            rank += 1;
        }
        ranks[i] = rank;
    }
    ranks
}

pub fn concordance_counts(
    durations: &[f64],
    scores: &[f64],
    events: &[f64],
) -> Result<ConcordanceCounts> {
    check_same_length(&[
        ("durations", durations.len()),
        ("predicted_scores", scores.len()),
        ("event_observed", events.len()),
    ])?;
    check_finite("durations", durations)?;
    check_finite("predicted_scores", scores)?;
    first_invalid("event_observed", events, "must be 0 or 1", |v| {
        v != 0.0 && v != 1.0
    })?;
    let n = durations.len();
    let ranks = dense_ranks(scores);
    let by_time = argsort(durations);
    let mut tree = Fenwick::new(n);
    // Events inserted per rank: the tied partners of a row are one lookup, not a second query.
    let mut at_rank = vec![0u32; n];
    let mut inserted = 0u64;
    let mut c = ConcordanceCounts::default();
    let query =
        |i: usize, tree: &Fenwick, at_rank: &[u32], inserted: u64, c: &mut ConcordanceCounts| {
            c.concordant += tree.prefix(ranks[i]);
            c.tied += u64::from(at_rank[ranks[i]]);
            c.pairs += inserted;
        };
    let mut start = 0;
    while start < n {
        let t = durations[by_time[start]];
        let mut end = start;
        while end < n && durations[by_time[end]] == t {
            end += 1;
        }
        let group = &by_time[start..end];
        // Events at t are compared with events strictly before t, then join the tree, so
        // that rows censored at t are compared with them too.
        for &i in group.iter().filter(|&&i| events[i] == 1.0) {
            query(i, &tree, &at_rank, inserted, &mut c);
        }
        for &i in group.iter().filter(|&&i| events[i] == 1.0) {
            tree.add(ranks[i]);
            at_rank[ranks[i]] += 1;
            inserted += 1;
        }
        for &i in group.iter().filter(|&&i| events[i] != 1.0) {
            query(i, &tree, &at_rank, inserted, &mut c);
        }
        start = end;
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn brute_force(t: &[f64], s: &[f64], e: &[f64]) -> ConcordanceCounts {
        let mut c = ConcordanceCounts::default();
        for i in 0..t.len() {
            for j in 0..t.len() {
                let comparable = e[i] == 1.0 && (t[i] < t[j] || (t[i] == t[j] && e[j] == 0.0));
                if i != j && comparable {
                    c.pairs += 1;
                    if s[i] < s[j] {
                        c.concordant += 1;
                    } else if s[i] == s[j] {
                        c.tied += 1;
                    }
                }
            }
        }
        c
    }

    proptest! {
        #[test]
        fn equals_the_quadratic_definition(rows in proptest::collection::vec((0u8..6, 0u8..5, proptest::bool::ANY), 1..60)) {
            let t: Vec<f64> = rows.iter().map(|r| r.0 as f64).collect();
            let s: Vec<f64> = rows.iter().map(|r| r.1 as f64 - 2.0).collect();
            let e: Vec<f64> = rows.iter().map(|r| if r.2 { 1.0 } else { 0.0 }).collect();
            prop_assert_eq!(concordance_counts(&t, &s, &e).unwrap(), brute_force(&t, &s, &e));
        }
    }

    #[test]
    fn perfect_and_reversed_predictions() {
        let t = [1.0, 2.0, 3.0, 4.0];
        let e = [1.0; 4];
        assert_eq!(concordance_counts(&t, &t, &e).unwrap().index(), 1.0);
        let neg: Vec<f64> = t.iter().map(|v| -v).collect();
        assert_eq!(concordance_counts(&t, &neg, &e).unwrap().index(), 0.0);
    }
}
