//! Customer summaries at many snapshot dates from ONE sort of the log and one parallel pass.
//!
//! Each (customer, snapshot) row equals what `summary::summarize` gives with
//! `observation_end_ns = snapshot` and `include_first_transaction = false`: transactions
//! are floored to their `freq` period and only periods up to the snapshot's period count.
//! After sorting the (customer, period) pairs once, a customer's distinct periods are walked
//! with one pointer across the ascending snapshots, so the cost is O(n log n + rows).

use rayon::prelude::*;

use crate::error::{check_same_length, ClmError, Result};
use crate::summary::Freq;

/// Customers per parallel task; results are concatenated in customer order (deterministic).
const CUSTOMERS_PER_TASK: usize = 2048;

/// Long table sorted by (customer, snapshot); only rows with a purchase by the snapshot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SnapshotRows {
    pub customer: Vec<i64>,
    /// Position of the snapshot in the caller's list.
    pub snapshot: Vec<i64>,
    pub frequency: Vec<f64>,
    pub recency: Vec<f64>,
    pub t: Vec<f64>,
    pub gap_before_last: Vec<f64>,
    pub n_periods: Vec<f64>,
}

impl SnapshotRows {
    fn append(&mut self, other: SnapshotRows) {
        self.customer.extend(other.customer);
        self.snapshot.extend(other.snapshot);
        self.frequency.extend(other.frequency);
        self.recency.extend(other.recency);
        self.t.extend(other.t);
        self.gap_before_last.extend(other.gap_before_last);
        self.n_periods.extend(other.n_periods);
    }
}

/// Summaries of the log (customer codes in `0..n_customers`, ns timestamps) at every
/// snapshot (ns, strictly increasing).
pub fn snapshot_summaries(
    codes: &[i64],
    n_customers: usize,
    times_ns: &[i64],
    snapshots_ns: &[i64],
    freq: Freq,
    freq_multiplier: f64,
) -> Result<SnapshotRows> {
    check_same_length(&[("customer ids", codes.len()), ("datetimes", times_ns.len())])?;
    if !(freq_multiplier.is_finite() && freq_multiplier > 0.0) {
        return Err(ClmError::InvalidArgument(format!(
            "freq_multiplier must be a positive number, got {freq_multiplier}"
        )));
    }
    if let Some(row) = codes.iter().position(|&c| c < 0 || c as usize >= n_customers) {
        return Err(ClmError::invalid_value("customer ids", row, codes[row], "code out of range"));
    }
    if let Some(i) = snapshots_ns.windows(2).position(|w| w[1] <= w[0]) {
        return Err(ClmError::invalid_value("snapshots", i + 1, snapshots_ns[i + 1], "snapshots must be strictly increasing"));
    }
    let ends: Vec<i64> = snapshots_ns.iter().map(|&s| freq.period_start(s)).collect();
    let mut pairs: Vec<(i64, i64)> = codes
        .par_iter()
        .zip(times_ns.par_iter())
        .with_min_len(4096)
        .map(|(&c, &t)| (c, freq.period_start(t)))
        .collect();
    pairs.par_sort_unstable();
    pairs.dedup();
    let starts = customer_starts(&pairs);
    let scale = 1.0 / (freq.unit_ns() * freq_multiplier);
    let n_groups = starts.len().saturating_sub(1);

    let parts: Vec<SnapshotRows> = (0..n_groups.div_ceil(CUSTOMERS_PER_TASK))
        .into_par_iter()
        .map(|task| {
            let mut rows = SnapshotRows::default();
            let last = ((task + 1) * CUSTOMERS_PER_TASK).min(n_groups);
            for g in task * CUSTOMERS_PER_TASK..last {
                let group = &pairs[starts[g]..starts[g + 1]];
                walk_customer(group, &ends, scale, &mut rows);
            }
            rows
        })
        .collect();
    let mut out = SnapshotRows::default();
    for part in parts {
        out.append(part);
    }
    Ok(out)
}

/// Offsets where each customer's run of sorted (customer, period) pairs begins, plus the end.
fn customer_starts(pairs: &[(i64, i64)]) -> Vec<usize> {
    let mut starts = Vec::new();
    for (i, p) in pairs.iter().enumerate() {
        if i == 0 || p.0 != pairs[i - 1].0 {
            starts.push(i);
        }
    }
    starts.push(pairs.len());
    starts
}

/// Emits one row per snapshot at or after the customer's first period; `group` holds the
/// customer's distinct periods in ascending order.
fn walk_customer(group: &[(i64, i64)], ends: &[i64], scale: f64, rows: &mut SnapshotRows) {
    let first = group[0].1;
    let mut seen = 0usize; // periods <= current end
    for (s, &end) in ends.iter().enumerate() {
        while seen < group.len() && group[seen].1 <= end {
            seen += 1;
        }
        if seen == 0 {
            continue;
        }
        let last = group[seen - 1].1;
        rows.customer.push(group[0].0);
        rows.snapshot.push(s as i64);
        rows.frequency.push((seen - 1) as f64);
        rows.recency.push((last - first) as f64 * scale);
        rows.t.push((end - first) as f64 * scale);
        rows.gap_before_last.push(if seen > 1 { (last - group[seen - 2].1) as f64 * scale } else { f64::NAN });
        rows.n_periods.push(seen as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::{summarize, SummaryOptions};

    const DAY: i64 = 86_400_000_000_000;

    /// Tiny deterministic generator (no extra dependency) for random logs.
    fn lcg(state: &mut u64) -> u64 {
        *state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        *state >> 33
    }

    #[test]
    fn equals_summarize_at_every_snapshot() {
        let mut st = 7u64;
        for freq in [Freq::Day, Freq::Week, Freq::Month] {
            let n = 400;
            let codes: Vec<i64> = (0..n).map(|_| (lcg(&mut st) % 37) as i64).collect();
            let times: Vec<i64> = (0..n).map(|_| (lcg(&mut st) % 700) as i64 * DAY + (lcg(&mut st) % 1000) as i64).collect();
            let snaps: Vec<i64> = (1..8).map(|k| k * 100 * DAY + 5).collect();
            let rows = snapshot_summaries(&codes, 40, &times, &snaps, freq, 1.5).unwrap();
            for (s, &snap) in snaps.iter().enumerate() {
                let opts = SummaryOptions { freq, freq_multiplier: 1.5, include_first_transaction: false, observation_end_ns: snap };
                let want = summarize(&codes, 40, &times, None, &opts).unwrap();
                let idx: Vec<usize> = (0..rows.customer.len()).filter(|&i| rows.snapshot[i] == s as i64).collect();
                let got: Vec<i64> = idx.iter().map(|&i| rows.customer[i]).collect();
                assert_eq!(got, want.customer);
                for (k, &i) in idx.iter().enumerate() {
                    assert_eq!(rows.frequency[i], want.frequency[k]);
                    assert_eq!(rows.recency[i], want.recency[k]);
                    assert_eq!(rows.t[i], want.t[k]);
                    assert_eq!(rows.n_periods[i], want.n_periods[k]);
                    assert_eq!(rows.gap_before_last[i].to_bits(), want.gap_before_last[k].to_bits());
                }
            }
        }
    }

    #[test]
    fn snapshots_must_increase() {
        let err = snapshot_summaries(&[0], 1, &[0], &[5, 5], Freq::Day, 1.0).unwrap_err();
        assert!(err.to_string().contains("snapshots: row 1"));
        assert!(snapshot_summaries(&[3], 1, &[0], &[5], Freq::Day, 1.0).is_err());
    }
}
