//! The summary kernel: one streaming pass of the log into one cache-line row per customer,
//! then the same rows are turned, in place, into the output columns.
//!
//! Why this shape: the cost of a group-by over a log much larger than the caches is the
//! random access to per-customer state. Keeping all of a customer's state in one 64-byte,
//! 64-byte-aligned row costs one cache miss per transaction, and writing the outputs over
//! the same rows keeps the peak memory at one row (plus two timestamps) per customer. The
//! customers are split into contiguous slot ranges, one per thread; every thread streams the
//! whole log and keeps its own customers, so each customer's rows are folded in log order by
//! one thread and the result is bit-identical for any thread count.

use rayon::prelude::*;

use super::checks::check_log;
use super::finish::Finisher;
use super::layout::{geti, Row, Window, COUNT, MIN_ROWS_PER_TASK};
pub use super::layout::{
    Log, Options, FREQUENCY, GAP_BEFORE_LAST, INACTIVITY, MONETARY_VALUE, N_PERIODS, RECENCY, T,
    TOTAL_VALUE, WIDTH,
};
use super::recount::recount_periods;
use super::rows::empty_rows;
use super::scan::scan;
use super::slots::Slots;
use crate::error::{ClmError, Result};

/// The finished table: `rows()` holds one output row per customer with a transaction in
/// the window, in ascending id order.
pub struct Table {
    /// Backing buffer; rows start at `offset` (chosen so rows are cache-line aligned).
    pub buffer: Vec<f64>,
    pub offset: usize,
    pub n: usize,
    pub ids: CustomerIds,
    pub first_ns: Vec<i64>,
    pub last_ns: Vec<i64>,
    /// The observation end used (ns).
    pub end_ns: i64,
}

/// Ids of the output rows.
#[derive(Debug, Clone, PartialEq)]
pub enum CustomerIds {
    /// `start, start + 1, ...`: dense ids (or codes) all present; no array is built, so
    /// Python can index the result with a RangeIndex (no memory).
    Consecutive {
        start: i64,
    },
    Listed(Vec<i64>),
}

impl Table {
    pub fn rows(&self) -> &[Row] {
        self.buffer[self.offset..self.offset + self.n * WIDTH]
            .as_chunks::<WIDTH>()
            .0
    }

    /// Moves the rows into one contiguous vector per output column (for consumers that
    /// take columns without copying, e.g. polars). Rows are consumed from the end and the
    /// row buffer shrinks behind them, so the peak stays near one copy of the table.
    pub fn take_columns(&mut self) -> Vec<Vec<f64>> {
        const STEP: usize = 1 << 16;
        let n = self.n;
        // Zeroed allocations are mapped lazily: pages become resident only when written.
        let mut columns: Vec<Vec<f64>> = (0..WIDTH).map(|_| vec![0.0; n]).collect();
        let mut end = n;
        while end > 0 {
            let start = end.saturating_sub(STEP);
            let rows = self.buffer[self.offset + start * WIDTH..self.offset + end * WIDTH]
                .as_chunks::<WIDTH>()
                .0;
            for (k, column) in columns.iter_mut().enumerate() {
                for (out, row) in column[start..end].iter_mut().zip(rows) {
                    *out = row[k];
                }
            }
            self.buffer.truncate(self.offset + start * WIDTH);
            self.buffer.shrink_to_fit();
            end = start;
        }
        self.n = 0;
        columns
    }

    /// The output ids as a vector.
    pub fn id_vec(&self) -> Vec<i64> {
        match &self.ids {
            CustomerIds::Consecutive { start } => (0..self.n as i64).map(|k| start + k).collect(),
            CustomerIds::Listed(ids) => ids.clone(),
        }
    }
}

/// Summarises the log (see the module docs for the method).
pub fn run(log: &Log<'_>, opts: &Options) -> Result<Table> {
    if !(opts.freq_multiplier.is_finite() && opts.freq_multiplier > 0.0) {
        return Err(ClmError::InvalidArgument(format!(
            "freq_multiplier must be a positive number, got {}",
            opts.freq_multiplier
        )));
    }
    crate::error::check_same_length(&[
        ("customer ids", log.slots.len()),
        ("datetimes", log.times.len()),
    ])?;
    if let Some(v) = log.values {
        crate::error::check_same_length(&[
            ("datetimes", log.times.len()),
            ("monetary values", v.len()),
        ])?;
    }
    let ns_per_tick = ns_per_tick(log.ticks_per_second)?;
    let window = Window {
        end_p: opts
            .observation_end_ns
            .map_or(i64::MAX, |e| opts.freq.period_index(e)),
        last_tick: opts.last_tick.unwrap_or(i64::MAX),
    };
    let (mut buffer, offset) = empty_rows(log.n_slots);
    let rows = buffer[offset..offset + log.n_slots * WIDTH]
        .as_chunks_mut::<WIDTH>()
        .0;
    let stats = scan(rows, log, opts.freq, window);
    check_log(log, stats.min_t, stats.value_sum)?;
    if stats.out_of_order {
        recount_periods(rows, log, opts.freq, window, stats.min_t, stats.max_t);
    }
    let end_ns = match opts.observation_end_ns {
        Some(e) => e,
        None if stats.max_t < stats.min_t => 0, // empty log
        None => to_ns(stats.max_t, ns_per_tick)?,
    };
    if stats.max_t >= stats.min_t {
        to_ns(stats.min_t, ns_per_tick)?;
        to_ns(stats.max_t, ns_per_tick)?;
    }
    let end_p = opts.freq.period_index(end_ns);
    let (n, ids) = compact(rows, log.slots, stats.customers);
    // Written once each below: no zeroing pass (a reused heap block would be memset).
    let mut first_ns: Vec<i64> = Vec::with_capacity(n);
    let mut last_ns: Vec<i64> = Vec::with_capacity(n);
    let finish = Finisher::new(opts, end_p, ns_per_tick);
    let (first_out, last_out) = (
        &mut first_ns.spare_capacity_mut()[..n],
        &mut last_ns.spare_capacity_mut()[..n],
    );
    rows[..n]
        .par_iter_mut()
        .zip(first_out.par_iter_mut().zip(last_out.par_iter_mut()))
        .with_min_len(MIN_ROWS_PER_TASK)
        .for_each(|(r, (f, l))| {
            let (first, last) = finish.row(r);
            f.write(first);
            l.write(last);
        });
    // SAFETY: the zip above has exactly n items, so every element 0..n was written.
    unsafe {
        first_ns.set_len(n);
        last_ns.set_len(n);
    }
    Ok(Table {
        buffer,
        offset,
        n,
        ids,
        first_ns,
        last_ns,
        end_ns,
    })
}

fn ns_per_tick(ticks_per_second: i64) -> Result<i64> {
    match ticks_per_second {
        1 | 1_000 | 1_000_000 | 1_000_000_000 => Ok(1_000_000_000 / ticks_per_second),
        other => Err(ClmError::InvalidArgument(format!(
            "datetimes: unsupported resolution of {other} ticks per second"
        ))),
    }
}

fn to_ns(t: i64, ns_per_tick: i64) -> Result<i64> {
    t.checked_mul(ns_per_tick).ok_or_else(|| {
        ClmError::InvalidArgument(format!(
            "datetimes: {t} ticks of 1/{} s is outside the range of datetime64[ns] (years 1678-2261)",
            1_000_000_000 / ns_per_tick
        ))
    })
}

/// Moves the `present` rows of customers with a transaction to the front (keeping id
/// order) and returns their number and ids.
fn compact(rows: &mut [Row], slots: &Slots<'_>, present: usize) -> (usize, CustomerIds) {
    if present == rows.len() {
        return match slots {
            Slots::Codes(_) | Slots::Range { .. } => (
                present,
                CustomerIds::Consecutive {
                    start: slots.id_of(0),
                },
            ),
            Slots::Ranked { sorted, .. } => (present, CustomerIds::Listed(sorted.clone())),
        };
    }
    let mut ids = Vec::with_capacity(present);
    let mut n = 0;
    for s in 0..rows.len() {
        if geti(&rows[s], COUNT) != 0 {
            rows[n] = rows[s];
            ids.push(slots.id_of(s));
            n += 1;
        }
    }
    (n, CustomerIds::Listed(ids))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::freq::Freq;
    use crate::summary::slots;
    use proptest::prelude::*;

    /// Brute force: group by customer, sort each customer's distinct periods.
    fn brute(
        codes: &[i64],
        n: usize,
        times: &[i64],
        tps: i64,
        values: &[f64],
        opts: &Options,
    ) -> Vec<(i64, [f64; WIDTH])> {
        let ns = 1_000_000_000 / tps;
        let end_ns = opts
            .observation_end_ns
            .unwrap_or_else(|| times.iter().map(|t| t * ns).max().unwrap_or(0));
        let end_p = opts.freq.period_index(end_ns);
        let units = |a: i64, b: i64| {
            ((b - a) * opts.freq.index_step_ns()) as f64
                * (1.0 / (opts.freq.unit_ns() * opts.freq_multiplier))
        };
        let mut out = Vec::new();
        for c in 0..n as i64 {
            let rows: Vec<usize> = (0..codes.len())
                .filter(|&i| {
                    codes[i] == c
                        && opts.freq.period_index(times[i] * ns) <= end_p
                        && times[i] <= opts.last_tick.unwrap_or(i64::MAX)
                })
                .collect();
            if rows.is_empty() {
                continue;
            }
            let mut periods: Vec<i64> = rows
                .iter()
                .map(|&i| opts.freq.period_index(times[i] * ns))
                .collect();
            periods.sort_unstable();
            periods.dedup();
            let k = periods.len();
            let (first_p, last_p) = (periods[0], periods[k - 1]);
            let mut total = 0.0;
            let mut repeat = 0.0;
            for &i in &rows {
                total += values[i];
                if opts.freq.period_index(times[i] * ns) != first_p {
                    repeat += values[i];
                }
            }
            let nf = k as f64;
            let (f, m) = if opts.include_first_transaction {
                (nf, total / nf)
            } else if k > 1 {
                (nf - 1.0, repeat / (nf - 1.0))
            } else {
                (0.0, 0.0)
            };
            let (r, t) = (units(first_p, last_p), units(first_p, end_p));
            let gap = if k > 1 {
                units(periods[k - 2], last_p)
            } else {
                f64::NAN
            };
            out.push((c, [f, r, t, m, nf, total, t - r, gap]));
        }
        out
    }

    fn run_codes(
        codes: &[i64],
        n: usize,
        times: &[i64],
        tps: i64,
        values: &[f64],
        opts: &Options,
    ) -> Table {
        let (s, n_slots) = slots::from_codes(codes, n).unwrap();
        let log = Log {
            slots: &s,
            n_slots,
            times,
            ticks_per_second: tps,
            values: Some(values),
        };
        run(&log, opts).unwrap()
    }

    fn same(a: f64, b: f64) -> bool {
        a.to_bits() == b.to_bits() || (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn matches_brute_force(
            rows in prop::collection::vec((0i64..12, -400_000i64..400_000, -50i32..200), 0..120),
            tps_pick in 0usize..4,
            freq_pick in 0usize..5,
            mult in prop::sample::select(vec![1.0, 7.0, 2.5]),
            include_first in any::<bool>(),
            end_shift in prop::option::of(-200_000i64..200_000),
            cut_shift in prop::option::of(-3_000i64..3_000),
        ) {
            let tps = [1i64, 1_000, 1_000_000, 1_000_000_000][tps_pick];
            let freq = [Freq::Hour, Freq::Day, Freq::Week, Freq::Month, Freq::Year][freq_pick];
            let codes: Vec<i64> = rows.iter().map(|r| r.0).collect();
            // minutes around 2000-01-01, in ticks
            let times: Vec<i64> = rows.iter().map(|r| (946_684_800 + r.1 * 60) * tps).collect();
            let values: Vec<f64> = rows.iter().map(|r| f64::from(r.2) / 4.0).collect();
            let end = end_shift.map(|s| (946_684_800 + s * 60) * 1_000_000_000);
            // an exact cut within minutes of the end (only with an end: the default end is
            // the last kept transaction)
            let last_tick = end_shift.zip(cut_shift).map(|(e, c)| (946_684_800 + e * 60 + c) * tps);
            let opts = Options { freq, freq_multiplier: mult, include_first_transaction: include_first, observation_end_ns: end, last_tick };
            let want = brute(&codes, 12, &times, tps, &values, &opts);
            let got = run_codes(&codes, 12, &times, tps, &values, &opts);
            prop_assert_eq!(got.n, want.len());
            for (k, (id, row)) in want.iter().enumerate() {
                prop_assert_eq!(got.id_vec()[k], *id);
                for (j, (&g, &w)) in got.rows()[k].iter().zip(row).enumerate() {
                    prop_assert!(same(g, w), "customer {} field {}: {} vs {}", id, j, g, w);
                }
            }
        }
    }

    #[test]
    fn identical_bits_for_any_thread_count_on_unsorted_input() {
        let n = 200_000usize;
        let mut x: u64 = 7;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let ids: Vec<i64> = (0..n)
            .map(|_| (next() % 9_000) as i64 * 3 + 1_000)
            .collect();
        let times: Vec<i64> = (0..n)
            .map(|_| 1_600_000_000_000 + (next() % 40_000_000_000) as i64)
            .collect();
        let values: Vec<f64> = (0..n).map(|_| (next() % 10_000) as f64 / 7.0).collect();
        let opts = Options {
            freq: Freq::Day,
            freq_multiplier: 7.0,
            include_first_transaction: false,
            observation_end_ns: None,
            last_tick: None,
        };
        let go = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let (s, n_slots) = slots::from_ids(&ids).unwrap();
                let log = Log {
                    slots: &s,
                    n_slots,
                    times: &times,
                    ticks_per_second: 1_000,
                    values: Some(&values),
                };
                let t = run(&log, &opts).unwrap();
                (
                    t.id_vec(),
                    t.rows()
                        .iter()
                        .flatten()
                        .map(|v| v.to_bits())
                        .collect::<Vec<_>>(),
                    t.first_ns.clone(),
                )
            })
        };
        let one = go(1);
        {
            let (s, n_slots) = slots::from_ids(&ids).unwrap();
            let log = Log {
                slots: &s,
                n_slots,
                times: &times,
                ticks_per_second: 1_000,
                values: Some(&values),
            };
            let mut t = run(&log, &opts).unwrap();
            let rows: Vec<Row> = t.rows().to_vec();
            let columns = t.take_columns();
            for (k, column) in columns.iter().enumerate() {
                assert!(column
                    .iter()
                    .zip(&rows)
                    .all(|(c, r)| c.to_bits() == r[k].to_bits()));
            }
        }
        assert_eq!(one, go(2));
        assert_eq!(one, go(5));
        let mut distinct = ids.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(one.0, distinct);
    }
}
