//! The fold of the log into the customer rows.
//!
//! Folding a log much larger than the caches touches a random customer row per transaction,
//! so the cost is memory latency. Two things keep it down: each row is one aligned cache
//! line (one miss per transaction), and the row of the transaction a few places ahead is
//! prefetched so that many misses are in flight at once. (A radix-partitioned fold, as
//! database engines do, was measured too: with ~2.6 transactions per customer it brought
//! no gain, as each customer row is still fetched about once per transaction.) With 4+
//! threads, threads own contiguous ranges of customers; each streams the whole log and
//! keeps its customers, so every customer's transactions are folded in log order by one
//! thread and the result is bit-identical for any thread count.

use rayon::prelude::*;

use super::freq::Freq;
use super::layout::{
    geti, seti, Log, Row, Window, COUNT, FIRST_P, FIRST_T, FIRST_VALUE, LAST_P, LAST_T,
    MIN_ROWS_PER_TASK, OUT_OF_ORDER, REPEAT_VALUE, SECOND_P,
};
use super::slots::Slots;

#[derive(Clone, Copy)]
pub(super) struct ScanStats {
    pub min_t: i64,
    pub max_t: i64,
    pub out_of_order: bool,
    /// Customers with at least one transaction in the window.
    pub customers: usize,
    /// Sum of every value of the log (in or out of the window): finite when all values are
    /// (an overflow to inf is possible and only costs an exact search).
    pub value_sum: f64,
}

impl ScanStats {
    const EMPTY: ScanStats = ScanStats {
        min_t: i64::MAX,
        max_t: i64::MIN,
        out_of_order: false,
        customers: 0,
        value_sum: 0.0,
    };

    fn merge(self, other: ScanStats) -> ScanStats {
        ScanStats {
            min_t: self.min_t.min(other.min_t),
            max_t: self.max_t.max(other.max_t),
            out_of_order: self.out_of_order || other.out_of_order,
            customers: self.customers + other.customers,
            value_sum: self.value_sum + other.value_sum,
        }
    }
}

/// Folds every transaction in the window into `rows`.
pub(super) fn scan(rows: &mut [Row], log: &Log<'_>, freq: Freq, window: Window) -> ScanStats {
    macro_rules! by_unit {
        ($slot:expr) => {
            match log.ticks_per_second {
                1 => scan_with::<_, 1>(rows, log, $slot, freq, window),
                1_000 => scan_with::<_, 1_000>(rows, log, $slot, freq, window),
                1_000_000 => scan_with::<_, 1_000_000>(rows, log, $slot, freq, window),
                _ => scan_with::<_, 1_000_000_000>(rows, log, $slot, freq, window),
            }
        };
    }
    // Monomorphised per id mapping and time resolution: period arithmetic then divides by
    // compile-time constants.
    match log.slots {
        Slots::Codes(codes) => by_unit!(|i: usize| codes[i] as usize),
        Slots::Range { ids, min } => by_unit!(|i: usize| ids[i].wrapping_sub(*min) as usize),
        Slots::Ranked { ranks, .. } => by_unit!(|i: usize| ranks[i] as usize),
    }
}

fn scan_with<S: Fn(usize) -> usize + Sync, const TPS: i64>(
    rows: &mut [Row],
    log: &Log<'_>,
    slot_of: S,
    freq: Freq,
    window: Window,
) -> ScanStats {
    // Every part streams the whole log, so a part must bring more random-access work than
    // the stream costs: on a 2-vCPU machine one part was measured faster than two (83 vs
    // 134 ms at 1M customers, the other phases parallel in both), so parts start at 4
    // threads. Small logs are folded by one thread (see MIN_ROWS_PER_TASK).
    let threads = rayon::current_num_threads();
    let parts = if threads < 4 {
        1
    } else {
        threads.min(log.times.len().div_ceil(MIN_ROWS_PER_TASK).max(1))
    };
    let per_part = rows.len().div_ceil(parts).max(1);
    rows.par_chunks_mut(per_part)
        .enumerate()
        .map(|(k, part)| fold::<S, TPS>(part, k * per_part, log, &slot_of, freq, window))
        .reduce(|| ScanStats::EMPTY, ScanStats::merge)
}

/// Rows ahead whose customer row is prefetched. With the table in huge pages (no TLB
/// misses) the fold is bound by how many row misses are in flight: at 1M customers, CPU time
/// per call measured 63 / 48 / 39 / 37 / 38 ms at distances 8 / 16 / 32 / 64 / 128 (2 vCPUs).
const PREFETCH_DISTANCE: usize = 64;

#[inline(always)]
fn prefetch(row: &Row) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint and never faults; the address is a valid reference.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(row.as_ptr().cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = row;
}

/// Folds the transactions of customers `lo..lo + part.len()` into `part`.
fn fold<S: Fn(usize) -> usize, const TPS: i64>(
    part: &mut [Row],
    lo: usize,
    log: &Log<'_>,
    slot_of: &S,
    freq: Freq,
    window: Window,
) -> ScanStats {
    let mut stats = ScanStats::EMPTY;
    let len = part.len();
    let n = log.times.len();
    for (i, &t) in log.times.iter().enumerate() {
        if i + PREFETCH_DISTANCE < n {
            let ahead = slot_of(i + PREFETCH_DISTANCE).wrapping_sub(lo);
            if ahead < len {
                prefetch(&part[ahead]);
            }
        }
        let local = slot_of(i).wrapping_sub(lo);
        if local >= len {
            continue;
        }
        // Every value is summed, in the window or not, so that one test after the fold
        // replaces a validation pass over the column.
        let value = log.values.map_or(0.0, |v| v[i]);
        stats.value_sum += value;
        let p = freq.period_of_ticks::<TPS>(t);
        if !window.contains(t, p) {
            continue;
        }
        stats.min_t = stats.min_t.min(t);
        stats.max_t = stats.max_t.max(t);
        let row = &mut part[local];
        // The row is in cache now: counting first visits here spares a pass over the table.
        stats.customers += usize::from(geti(row, COUNT) == 0);
        stats.out_of_order |= add(row, t, p, value);
    }
    stats
}

/// Folds one transaction (time `t`, period `p`, value `v`) into a customer's row, written
/// with selects rather than branches. Returns true when the customer's periods arrived out
/// of order (its distinct-period count is then recomputed).
#[inline(always)]
fn add(r: &mut Row, t: i64, p: i64, v: f64) -> bool {
    let first_p = geti(r, FIRST_P);
    // A transaction before the first period makes the old first period a repeat one.
    let (first_value, repeat_value) = (r[FIRST_VALUE], r[REPEAT_VALUE]);
    (r[FIRST_VALUE], r[REPEAT_VALUE]) = if p < first_p {
        (v, repeat_value + first_value)
    } else if p == first_p {
        (first_value + v, repeat_value)
    } else {
        (first_value, repeat_value + v)
    };
    seti(r, FIRST_P, first_p.min(p));
    seti(r, FIRST_T, geti(r, FIRST_T).min(t));
    seti(r, LAST_T, geti(r, LAST_T).max(t));
    let last_p = geti(r, LAST_P);
    let newer = p > last_p;
    let older = p < last_p;
    // The two latest distinct periods do not depend on the order; the count does.
    let second_p = geti(r, SECOND_P);
    seti(
        r,
        SECOND_P,
        if newer {
            last_p
        } else if older {
            second_p.max(p)
        } else {
            second_p
        },
    );
    seti(r, LAST_P, last_p.max(p));
    let count = geti(r, COUNT) + i64::from(newer);
    seti(r, COUNT, if older { count | OUT_OF_ORDER } else { count });
    older
}
