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
/// (`n_periods` is `frequency + 1`.)
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SnapshotRows {
    pub customer: Vec<i64>,
    /// Position of the snapshot in the caller's list.
    pub snapshot: Vec<i32>,
    pub frequency: Vec<f64>,
    pub recency: Vec<f64>,
    pub t: Vec<f64>,
    pub gap_before_last: Vec<f64>,
}

/// Disjoint mutable windows on the output columns, so tasks fill them in parallel.
struct RowsMut<'a> {
    customer: &'a mut [i64],
    snapshot: &'a mut [i32],
    frequency: &'a mut [f64],
    recency: &'a mut [f64],
    t: &'a mut [f64],
    gap_before_last: &'a mut [f64],
}

impl<'a> RowsMut<'a> {
    fn of(rows: &'a mut SnapshotRows) -> Self {
        RowsMut {
            customer: &mut rows.customer,
            snapshot: &mut rows.snapshot,
            frequency: &mut rows.frequency,
            recency: &mut rows.recency,
            t: &mut rows.t,
            gap_before_last: &mut rows.gap_before_last,
        }
    }

    fn split_at(self, k: usize) -> (Self, Self) {
        let (c0, c1) = self.customer.split_at_mut(k);
        let (s0, s1) = self.snapshot.split_at_mut(k);
        let (f0, f1) = self.frequency.split_at_mut(k);
        let (r0, r1) = self.recency.split_at_mut(k);
        let (t0, t1) = self.t.split_at_mut(k);
        let (g0, g1) = self.gap_before_last.split_at_mut(k);
        (
            RowsMut { customer: c0, snapshot: s0, frequency: f0, recency: r0, t: t0, gap_before_last: g0 },
            RowsMut { customer: c1, snapshot: s1, frequency: f1, recency: r1, t: t1, gap_before_last: g1 },
        )
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
    if snapshots_ns.len() > i32::MAX as usize {
        return Err(ClmError::InvalidArgument("too many snapshots".into()));
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
    let n_groups = starts.len().saturating_sub(1);
    let n_tasks = n_groups.div_ceil(CUSTOMERS_PER_TASK);
    // Rows per task (a customer has one row per snapshot from its first period on), so
    // every task writes its own window of the preallocated output.
    let task_rows: Vec<usize> = (0..n_tasks)
        .into_par_iter()
        .map(|task| {
            let groups = task * CUSTOMERS_PER_TASK..((task + 1) * CUSTOMERS_PER_TASK).min(n_groups);
            groups.map(|g| ends.len() - ends.partition_point(|&e| e < pairs[starts[g]].1)).sum()
        })
        .collect();
    let total: usize = task_rows.iter().sum();
    let mut out = SnapshotRows {
        customer: vec![0; total],
        snapshot: vec![0; total],
        frequency: vec![0.0; total],
        recency: vec![0.0; total],
        t: vec![0.0; total],
        gap_before_last: vec![0.0; total],
    };
    let mut windows = Vec::with_capacity(n_tasks);
    let mut rest = RowsMut::of(&mut out);
    for &k in &task_rows {
        let (head, tail) = rest.split_at(k);
        windows.push(head);
        rest = tail;
    }
    let scale = 1.0 / (freq.unit_ns() * freq_multiplier);
    windows.into_par_iter().enumerate().for_each(|(task, mut w)| {
        let mut at = 0usize;
        for g in task * CUSTOMERS_PER_TASK..((task + 1) * CUSTOMERS_PER_TASK).min(n_groups) {
            at = walk_customer(&pairs[starts[g]..starts[g + 1]], &ends, scale, &mut w, at);
        }
    });
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

/// Writes one row per snapshot at or after the customer's first period, from row `at` of
/// `w`, and returns the next free row; `group` holds the customer's distinct periods in
/// ascending order.
fn walk_customer(group: &[(i64, i64)], ends: &[i64], scale: f64, w: &mut RowsMut, mut at: usize) -> usize {
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
        w.customer[at] = group[0].0;
        w.snapshot[at] = s as i32;
        w.frequency[at] = (seen - 1) as f64;
        w.recency[at] = (last - first) as f64 * scale;
        w.t[at] = (end - first) as f64 * scale;
        w.gap_before_last[at] = if seen > 1 { (last - group[seen - 2].1) as f64 * scale } else { f64::NAN };
        at += 1;
    }
    at
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
                let idx: Vec<usize> = (0..rows.customer.len()).filter(|&i| rows.snapshot[i] == s as i32).collect();
                let got: Vec<i64> = idx.iter().map(|&i| rows.customer[i]).collect();
                assert_eq!(got, want.customer);
                for (k, &i) in idx.iter().enumerate() {
                    assert_eq!(rows.frequency[i], want.frequency[k]);
                    assert_eq!(rows.recency[i], want.recency[k]);
                    assert_eq!(rows.t[i], want.t[k]);
                    assert_eq!(rows.frequency[i] + 1.0, want.n_periods[k]);
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
