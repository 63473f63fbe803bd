//! Exact distinct-period counts for customers whose transactions arrived out of time order.
//!
//! The streaming fold counts a new period whenever a transaction is later than every earlier
//! one of its customer, which is exact for logs sorted by time within each customer (the
//! usual case). Customers for which that failed are flagged; here their (customer, period)
//! pairs are packed into u64 keys, radix-sorted (a few sequential passes, unlike a
//! comparison sort) and counted. Flags are read from a bitmap small enough for L2, not from
//! the customer rows.

use rayon::prelude::*;

use crate::numeric::sort::radix_sort_by_key;

use super::freq::Freq;
use super::layout::{geti, seti, Log, Row, Window, COUNT, MIN_ROWS_PER_TASK, OUT_OF_ORDER};

/// Recounts the flagged rows of `window`; `min_t..=max_t` bound its times (ticks).
pub(super) fn recount_periods(
    rows: &mut [Row],
    log: &Log<'_>,
    freq: Freq,
    window: Window,
    min_t: i64,
    max_t: i64,
) {
    let flags: Vec<u64> = rows
        .par_chunks(64)
        .with_min_len(MIN_ROWS_PER_TASK / 64)
        .map(|c| {
            c.iter().enumerate().fold(0u64, |m, (j, r)| {
                m | (u64::from(geti(r, COUNT) & OUT_OF_ORDER != 0) << j)
            })
        })
        .collect();
    let flagged = |s: usize| flags[s / 64] >> (s % 64) & 1 == 1;
    let tps = log.ticks_per_second;
    let p_lo = freq.period_of_tick_rate(min_t, tps);
    let p_span = (freq.period_of_tick_rate(max_t, tps) - p_lo) as u64;
    let p_bits = u64::BITS - p_span.leading_zeros();
    let slot_bits = usize::BITS - rows.len().leading_zeros();
    if p_bits + slot_bits > u64::BITS {
        return recount_by_pairs(rows, log, freq, window, &flagged);
    }
    let mut keys: Vec<u64> = (0..log.times.len())
        .into_par_iter()
        .with_min_len(MIN_ROWS_PER_TASK)
        .filter_map(|i| {
            let s = log.slots.slot(i);
            if !flagged(s) {
                return None;
            }
            let t = log.times[i];
            let p = freq.period_of_tick_rate(t, tps);
            window
                .contains(t, p)
                .then(|| (s as u64) << p_bits | (p - p_lo) as u64)
        })
        .collect();
    radix_sort_by_key(&mut keys, p_bits + slot_bits, |&k| k);
    let mut k = 0;
    while k < keys.len() {
        let s = keys[k] >> p_bits;
        let mut distinct = 0;
        let mut previous = None;
        while k < keys.len() && keys[k] >> p_bits == s {
            if previous != Some(keys[k]) {
                distinct += 1;
                previous = Some(keys[k]);
            }
            k += 1;
        }
        seti(&mut rows[s as usize], COUNT, distinct);
    }
}

/// Fallback when (customer, period) does not fit 64 bits: a comparison sort of pairs.
fn recount_by_pairs(
    rows: &mut [Row],
    log: &Log<'_>,
    freq: Freq,
    window: Window,
    flagged: &(dyn Fn(usize) -> bool + Sync),
) {
    let tps = log.ticks_per_second;
    let mut pairs: Vec<(usize, i64)> = (0..log.times.len())
        .into_par_iter()
        .with_min_len(MIN_ROWS_PER_TASK)
        .filter_map(|i| {
            let s = log.slots.slot(i);
            let t = log.times[i];
            let p = freq.period_of_tick_rate(t, tps);
            (flagged(s) && window.contains(t, p)).then_some((s, p))
        })
        .collect();
    pairs.par_sort_unstable();
    pairs.dedup();
    let mut k = 0;
    while k < pairs.len() {
        let s = pairs[k].0;
        let start = k;
        while k < pairs.len() && pairs[k].0 == s {
            k += 1;
        }
        seti(&mut rows[s], COUNT, (k - start) as i64);
    }
}
