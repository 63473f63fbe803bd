//! Censored tenures compressed to counts.
//!
//! A subscriber who started at period 0 and made k renewals either churned at T = k + 1
//! (did not make renewal k + 1) or is still active after k renewals (right-censored). The
//! sBG and BdW likelihoods depend on a customer only through that pair (Fader & Hardie 2007,
//! eq. 3 and its censored form), so any number of subscribers becomes two count vectors
//! indexed by period: `churned[t]` customers lost at T = t and `active[k]` customers still
//! active after k renewals. A cohort's survivor counts n_0 >= n_1 >= ... >= n_T give the same
//! vectors (churned[t] = n_{t-1} - n_t, active[T] = n_T).

use rayon::prelude::*;

use crate::error::{check_same_length, ClmError, Result};

/// The largest number of renewals a customer may have: a bound on the count vectors' size.
pub const MAX_RENEWALS: usize = 100_000;

/// Rows per chunk of the compression; fixed by the data size only (never by the thread
/// count), so weighted sums are bit-identical for any number of threads.
fn chunk_len(n: usize) -> usize {
    (n / 64).max(1 << 16)
}

/// Weighted counts of churned and still-active customers by period.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tenures {
    /// `churned[t]`: weight of customers who churned at T = t (index 0 is always 0).
    pub churned: Vec<f64>,
    /// `active[k]`: weight of customers still active after k renewals.
    pub active: Vec<f64>,
}

impl Tenures {
    /// Compresses individual customers: `renewals` (integers >= 0), `churned` (0 or 1) and
    /// optional `weights` (finite, >= 0). The first bad row is named in the error.
    pub fn from_customers(
        renewals: &[f64],
        churned: &[f64],
        weights: Option<&[f64]>,
    ) -> Result<Tenures> {
        let mut lengths = vec![("renewals", renewals.len()), ("churned", churned.len())];
        if let Some(w) = weights {
            lengths.push(("weights", w.len()));
        }
        check_same_length(&lengths)?;
        let n = renewals.len();
        let size = chunk_len(n);
        // Pass 1: validate and find the largest period (chunks in order: first error wins).
        let checks: Vec<Result<usize>> = (0..n.div_ceil(size))
            .into_par_iter()
            .map(|c| {
                check_chunk(
                    renewals,
                    churned,
                    weights,
                    c * size..((c + 1) * size).min(n),
                )
            })
            .collect();
        let mut max_period = 0;
        for check in checks {
            max_period = max_period.max(check?);
        }
        // Pass 2: per-chunk counts, summed in chunk order.
        let partial: Vec<Tenures> = (0..n.div_ceil(size))
            .into_par_iter()
            .map(|c| {
                let mut t = Tenures::zeros(max_period);
                for i in c * size..((c + 1) * size).min(n) {
                    let w = weights.map_or(1.0, |w| w[i]);
                    let k = renewals[i] as usize;
                    if churned[i] == 1.0 {
                        t.churned[k + 1] += w;
                    } else {
                        t.active[k] += w;
                    }
                }
                t
            })
            .collect();
        let mut total = Tenures::zeros(max_period);
        for p in &partial {
            total.add(p);
        }
        Ok(total)
    }

    /// One cohort's survivor counts n_0, n_1, ..., n_T (non-increasing, finite, >= 0).
    pub fn from_survivors(counts: &[f64]) -> Result<Tenures> {
        if counts.len() > MAX_RENEWALS + 1 {
            return Err(ClmError::InvalidArgument(format!(
                "survivors has {} periods, more than {}",
                counts.len(),
                MAX_RENEWALS + 1
            )));
        }
        crate::error::check_nonnegative("survivors", counts)?;
        if let Some(t) = (1..counts.len()).find(|&t| counts[t] > counts[t - 1]) {
            return Err(ClmError::invalid_value(
                "survivors",
                t,
                counts[t],
                &format!(
                    "exceeds the previous period's {} (survivors cannot grow)",
                    counts[t - 1]
                ),
            ));
        }
        let last = counts.len().saturating_sub(1);
        let mut out = Tenures::zeros(last);
        for t in 1..counts.len() {
            out.churned[t] = counts[t - 1] - counts[t];
        }
        if let Some(&n) = counts.last() {
            out.active[last] = n;
        }
        Ok(out)
    }

    /// Empty counts for periods up to `max_period` (churn at T = max_period + 1 included).
    pub fn zeros(max_period: usize) -> Tenures {
        Tenures {
            churned: vec![0.0; max_period + 2],
            active: vec![0.0; max_period + 1],
        }
    }

    /// Adds another set of counts (e.g. another cohort's), growing as needed.
    pub fn add(&mut self, other: &Tenures) {
        if other.churned.len() > self.churned.len() {
            self.churned.resize(other.churned.len(), 0.0);
        }
        if other.active.len() > self.active.len() {
            self.active.resize(other.active.len(), 0.0);
        }
        for (a, b) in self.churned.iter_mut().zip(&other.churned) {
            *a += b;
        }
        for (a, b) in self.active.iter_mut().zip(&other.active) {
            *a += b;
        }
    }

    pub fn total_weight(&self) -> f64 {
        self.churned.iter().sum::<f64>() + self.active.iter().sum::<f64>()
    }

    /// Weight of customers who churned (the events).
    pub fn churned_weight(&self) -> f64 {
        self.churned.iter().sum()
    }

    /// Number of distinct (period, churned) patterns with positive weight.
    pub fn n_patterns(&self) -> usize {
        self.churned
            .iter()
            .chain(&self.active)
            .filter(|w| **w > 0.0)
            .count()
    }
}

fn check_chunk(
    renewals: &[f64],
    churned: &[f64],
    weights: Option<&[f64]>,
    rows: std::ops::Range<usize>,
) -> Result<usize> {
    let mut max_period = 0usize;
    for i in rows {
        let k = renewals[i];
        if !(k.is_finite() && k >= 0.0 && k.fract() == 0.0 && k <= MAX_RENEWALS as f64) {
            return Err(ClmError::invalid_value(
                "renewals",
                i,
                k,
                &format!("must be a whole number of renewals in 0..={MAX_RENEWALS}"),
            ));
        }
        let e = churned[i];
        if e != 0.0 && e != 1.0 {
            return Err(ClmError::invalid_value("churned", i, e, "must be 0 or 1"));
        }
        if let Some(w) = weights {
            if !(w[i].is_finite() && w[i] >= 0.0) {
                return Err(ClmError::invalid_value(
                    "weights",
                    i,
                    w[i],
                    "must be finite and >= 0",
                ));
            }
        }
        max_period = max_period.max(k as usize);
    }
    Ok(max_period)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customers_and_survivors_give_the_same_counts() {
        // Survivors 10, 7, 4: 3 churn at T=1, 3 at T=2, 4 still active after 2 renewals.
        let from_counts = Tenures::from_survivors(&[10.0, 7.0, 4.0]).unwrap();
        let mut renewals = vec![0.0; 3];
        renewals.extend([1.0; 3]);
        renewals.extend([2.0; 4]);
        let mut churned = vec![1.0; 6];
        churned.extend([0.0; 4]);
        let from_rows = Tenures::from_customers(&renewals, &churned, None).unwrap();
        assert_eq!(from_rows.churned[..3], from_counts.churned[..3]);
        assert_eq!(from_rows.active, from_counts.active);
        assert_eq!(from_rows.total_weight(), 10.0);
        assert_eq!(from_rows.n_patterns(), 3);
    }

    #[test]
    fn bad_rows_are_named() {
        let e = Tenures::from_customers(&[0.0, 1.5], &[1.0, 0.0], None).unwrap_err();
        assert!(
            e.to_string()
                .contains("renewals: row 1 has invalid value 1.5"),
            "{e}"
        );
        let e = Tenures::from_customers(&[0.0, 1.0], &[1.0, 2.0], None).unwrap_err();
        assert!(e.to_string().contains("churned: row 1"), "{e}");
        let e = Tenures::from_customers(&[0.0], &[1.0], Some(&[-1.0])).unwrap_err();
        assert!(e.to_string().contains("weights: row 0"), "{e}");
        let e = Tenures::from_survivors(&[10.0, 11.0]).unwrap_err();
        assert!(e.to_string().contains("survivors: row 1"), "{e}");
        assert!(Tenures::from_customers(&[0.0], &[1.0, 0.0], None).is_err());
    }

    #[test]
    fn weights_add_and_chunks_do_not_change_the_sum() {
        let n = 200_000;
        let renewals: Vec<f64> = (0..n).map(|i| (i % 7) as f64).collect();
        let churned: Vec<f64> = (0..n).map(|i| (i % 3 == 0) as u8 as f64).collect();
        let w: Vec<f64> = (0..n).map(|i| 0.5 + (i % 5) as f64).collect();
        let t = Tenures::from_customers(&renewals, &churned, Some(&w)).unwrap();
        let total: f64 = w.iter().sum();
        assert!((t.total_weight() - total).abs() < 1e-9 * total);
    }
}
