//! Event counts per distinct time by hashing, for durations with many ties (whole days,
//! weeks, cents): one pass over the rows, parallel over fixed chunks, that also checks every
//! value, where sorting every row costs O(n) passes of a radix sort plus the validation scans.
//! Times that are mostly distinct fall back to the sort.

use rayon::prelude::*;

use super::events::FlagColumn;

use crate::numeric::grain::TIED_COUNT_CHUNK as CHUNK_ROWS;
/// A chunk with more distinct times than this is "mostly distinct": hashing stops paying.
const MAX_DISTINCT_PER_CHUNK: usize = CHUNK_ROWS / 16;
/// Slots a chunk's table starts with (a power of two; grows by doubling).
const INITIAL_SLOTS: usize = 1 << 12;
/// Marks an empty slot: the bits of a negative NaN, never the key of a valid duration.
const EMPTY: u64 = u64::MAX;

/// One distinct time with the (weighted) events and censorings at it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeCounts {
    pub time: f64,
    pub observed: f64,
    pub censored: f64,
}

/// Why the hashing pass gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Some row holds an invalid duration, event or weight: the caller's full check names it.
    Invalid,
    /// The times are mostly distinct: sort instead.
    Distinct,
}

#[derive(Clone, Copy)]
struct Slot {
    key: u64,
    observed: f64,
    censored: f64,
}

/// Open addressing with linear probing on the bits of the time. The table of a chunk stays in
/// L1/L2 cache for the few hundred or thousand distinct times of tied data.
struct TimeTable {
    slots: Vec<Slot>,
    /// 64 - log2(slots)
    shift: u32,
    len: usize,
}

const EMPTY_SLOT: Slot = Slot {
    key: EMPTY,
    observed: 0.0,
    censored: 0.0,
};

/// Fibonacci (multiplicative) hashing, Knuth TAOCP 6.4: the top bits of key * 2^64/phi. Every
/// bit of the key reaches the top bits, so durations in whole days or cents (all-zero low
/// mantissa bits) spread too, and grids of equally spaced times spread near perfectly.
#[inline(always)]
fn slot_of(key: u64, shift: u32) -> usize {
    (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> shift) as usize
}

impl TimeTable {
    fn new(slots: usize) -> TimeTable {
        TimeTable {
            slots: vec![EMPTY_SLOT; slots],
            shift: 64 - slots.trailing_zeros(),
            len: 0,
        }
    }

    /// Adds to the counts of `key`. A new key starts from 0.0 + the addends, which is the
    /// addends exactly, so sums are those of adding rows one by one in order.
    #[inline(always)]
    fn add(&mut self, key: u64, observed: f64, censored: f64) {
        let mask = self.slots.len() - 1;
        let mut h = slot_of(key, self.shift);
        loop {
            let slot = &mut self.slots[h];
            if slot.key == key {
                slot.observed += observed;
                slot.censored += censored;
                return;
            }
            if slot.key == EMPTY {
                *slot = Slot {
                    key,
                    observed,
                    censored,
                };
                self.len += 1;
                // a quarter full at most: few collisions, so the first probe almost always hits
                if 4 * self.len > self.slots.len() {
                    self.grow();
                }
                return;
            }
            h = (h + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let bigger = vec![EMPTY_SLOT; 2 * self.slots.len()];
        let old = std::mem::replace(&mut self.slots, bigger);
        self.shift -= 1;
        self.len = 0;
        for s in old.into_iter().filter(|s| s.key != EMPTY) {
            self.add(s.key, s.observed, s.censored);
        }
    }

    fn occupied(&self) -> impl Iterator<Item = &Slot> {
        self.slots.iter().filter(|s| s.key != EMPTY)
    }
}

/// Counts per distinct time in ascending time order. Checks on the way that durations are
/// finite and >= 0, events 0/1 and weights finite and > 0 (`Stop::Invalid` otherwise: the
/// caller's full check then names the first bad row). Per-time sums add the chunks in chunk
/// order, so the result does not depend on the thread count.
pub fn tied_event_counts<E: FlagColumn>(
    durations: &[f64],
    events: &E,
    weights: Option<&[f64]>,
) -> Result<Vec<TimeCounts>, Stop> {
    let n = durations.len();
    let count = |c: usize| {
        let rows = c * CHUNK_ROWS..((c + 1) * CHUNK_ROWS).min(n);
        match weights {
            None => count_chunk(rows, durations, events, |_| (1.0, true)),
            Some(w) => count_chunk(rows, durations, events, |i| {
                (w[i], w[i] > 0.0 && w[i] < f64::INFINITY)
            }),
        }
    };
    let chunks: Vec<TimeTable> = (0..n.div_ceil(CHUNK_ROWS))
        .into_par_iter()
        .map(count)
        .collect::<Result<_, _>>()?;
    let mut total = TimeTable::new(INITIAL_SLOTS);
    for chunk in &chunks {
        for s in chunk.occupied() {
            total.add(s.key, s.observed, s.censored);
        }
    }
    let mut rows: Vec<TimeCounts> = total
        .occupied()
        .map(|s| TimeCounts {
            time: f64::from_bits(s.key),
            observed: s.observed,
            censored: s.censored,
        })
        .collect();
    // the bits of non-negative doubles order like the numbers
    rows.sort_unstable_by_key(|r| r.time.to_bits());
    Ok(rows)
}

/// One chunk's table. The event split is arithmetic, not a branch (random 0/1 flags would
/// mispredict): w * 1 = w, w * 0 = 0 and x + 0 = x, so the sums equal the branchy ones bit
/// for bit. Invalid rows are counted under key 0 and only flagged; the chunk is discarded.
fn count_chunk<E: FlagColumn>(
    rows: std::ops::Range<usize>,
    durations: &[f64],
    events: &E,
    weight: impl Fn(usize) -> (f64, bool),
) -> Result<TimeTable, Stop> {
    let mut table = TimeTable::new(INITIAL_SLOTS);
    let mut valid = true;
    for i in rows {
        let d = durations[i];
        let (flag, flag_ok) = events.flag(i);
        let (w, w_ok) = weight(i);
        // NaN fails both comparisons
        let d_ok = (0.0..f64::INFINITY).contains(&d);
        valid &= d_ok & flag_ok & w_ok;
        // + 0.0 folds -0.0 into 0.0 so both land on one key
        let key = if d_ok { (d + 0.0).to_bits() } else { 0 };
        let observed = w * flag;
        table.add(key, observed, w - observed);
        if table.len > MAX_DISTINCT_PER_CHUNK {
            return Err(Stop::Distinct);
        }
    }
    if valid {
        Ok(table)
    } else {
        Err(Stop::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(d: &[f64], e: &[f64], w: Option<&[f64]>) -> Result<Vec<TimeCounts>, Stop> {
        tied_event_counts(d, &e, w)
    }

    #[test]
    fn counts_match_a_brute_force_tally() {
        let durations: Vec<f64> = (0..200_000)
            .map(|i| ((i * 7919) % 97) as f64 * 0.5)
            .collect();
        let events: Vec<f64> = (0..200_000).map(|i| f64::from(i % 3 != 0)).collect();
        let weights: Vec<f64> = (0..200_000).map(|i| 0.1 + (i % 7) as f64 * 0.3).collect();
        for w in [None, Some(&weights[..])] {
            let rows = counts(&durations, &events, w).unwrap();
            assert_eq!(rows.len(), 97);
            for r in &rows {
                let (mut o, mut c) = (0.0, 0.0);
                for (i, (d, e)) in durations.iter().zip(&events).enumerate() {
                    if *d == r.time {
                        let wi = w.map_or(1.0, |w| w[i]);
                        if *e == 1.0 {
                            o += wi
                        } else {
                            c += wi
                        }
                    }
                }
                if w.is_none() {
                    assert_eq!((r.observed, r.censored), (o, c));
                } else {
                    assert!(
                        (r.observed - o).abs() < 1e-9 * o.max(1.0)
                            && (r.censored - c).abs() < 1e-9 * c.max(1.0)
                    );
                }
            }
            assert!(rows.windows(2).all(|w| w[0].time < w[1].time));
        }
    }

    #[test]
    fn mostly_distinct_times_fall_back() {
        let durations: Vec<f64> = (0..100_000).map(|i| i as f64 * 0.001).collect();
        let events = vec![1.0; durations.len()];
        assert_eq!(counts(&durations, &events, None), Err(Stop::Distinct));
    }

    #[test]
    fn invalid_rows_stop_the_count() {
        let mut d: Vec<f64> = (0..150_000).map(|i| (i % 10) as f64).collect();
        let mut e = vec![1.0; d.len()];
        let w = vec![1.0; d.len()];
        assert!(counts(&d, &e, Some(&w)).is_ok());
        for bad in [f64::NAN, -1.0, f64::INFINITY] {
            d[140_000] = bad;
            assert_eq!(counts(&d, &e, None), Err(Stop::Invalid), "{bad}");
        }
        d[140_000] = 1.0;
        e[7] = 2.0;
        assert_eq!(counts(&d, &e, None), Err(Stop::Invalid));
        e[7] = 1.0;
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let mut w2 = w.clone();
            w2[99_999] = bad;
            assert_eq!(counts(&d, &e, Some(&w2)), Err(Stop::Invalid), "{bad}");
        }
    }

    #[test]
    fn negative_zero_and_zero_are_one_time() {
        let rows = counts(&[0.0, -0.0, 1.0], &[1.0, 0.0, 1.0], None).unwrap();
        assert_eq!(
            rows[0],
            TimeCounts {
                time: 0.0,
                observed: 1.0,
                censored: 1.0
            }
        );
    }

    #[test]
    fn tables_grow_past_their_initial_size() {
        // 3000 distinct times: past a quarter of 4096 and of 8192 slots
        let d: Vec<f64> = (0..60_000).map(|i| (i % 3000) as f64 * 0.25).collect();
        let e: Vec<i64> = (0..60_000)
            .map(|i| i64::from((i / 3000) % 2 == 0))
            .collect();
        let rows = tied_event_counts(&d, &&e[..], None).unwrap();
        assert_eq!(rows.len(), 3000);
        assert!(rows
            .iter()
            .all(|r| r.observed == 10.0 && r.censored == 10.0));
    }
}
