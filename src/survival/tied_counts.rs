//! Event counts per distinct time by hashing, for durations with many ties (whole days,
//! weeks, cents): O(n), parallel over fixed chunks, where sorting every row costs O(n) passes
//! of a radix sort. Times that are mostly distinct fall back to the sort.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

/// Rows per chunk; each chunk counts into its own small map.
const CHUNK_ROWS: usize = 1 << 16;
/// A chunk with more distinct times than this is "mostly distinct": hashing stops paying.
const MAX_DISTINCT_PER_CHUNK: usize = CHUNK_ROWS / 8;

/// One distinct time with the (weighted) events and censorings at it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeCounts {
    pub time: f64,
    pub observed: f64,
    pub censored: f64,
}

/// Mixed key -> (time, observed, censored).
type Counts = FxHashMap<u64, (f64, f64, f64)>;

/// splitmix64's finaliser: a bijection that spreads the bits of a double over the whole word.
/// Durations in whole days or cents have all-zero low mantissa bits, which would otherwise
/// pile into a few buckets of the table.
fn mix(bits: u64) -> u64 {
    let mut z = bits;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Counts per distinct time in ascending time order, or `None` when the times are mostly
/// distinct. Durations must be validated (finite, >= 0) by the caller. Per-time sums add the
/// chunks in chunk order, so the result does not depend on the thread count.
pub fn tied_event_counts(durations: &[f64], events: &[f64], weights: Option<&[f64]>) -> Option<Vec<TimeCounts>> {
    let n = durations.len();
    let chunks: Option<Vec<Counts>> = (0..n.div_ceil(CHUNK_ROWS))
        .into_par_iter()
        .map(|c| count_chunk(c * CHUNK_ROWS..((c + 1) * CHUNK_ROWS).min(n), durations, events, weights))
        .collect();
    let mut total = Counts::default();
    for chunk in chunks? {
        for (key, (time, observed, censored)) in chunk {
            let slot = total.entry(key).or_insert((time, 0.0, 0.0));
            slot.1 += observed;
            slot.2 += censored;
        }
    }
    let mut rows: Vec<TimeCounts> = total
        .into_iter()
        .map(|(_, (time, observed, censored))| TimeCounts { time, observed, censored })
        .collect();
    rows.sort_unstable_by(|a, b| a.time.total_cmp(&b.time));
    Some(rows)
}

fn count_chunk(rows: std::ops::Range<usize>, durations: &[f64], events: &[f64], weights: Option<&[f64]>) -> Option<Counts> {
    let mut counts = Counts::default();
    for i in rows {
        let weight = weights.map_or(1.0, |w| w[i]);
        // + 0.0 folds -0.0 into 0.0 so both land on one key
        let time = durations[i] + 0.0;
        let slot = counts.entry(mix(time.to_bits())).or_insert((time, 0.0, 0.0));
        if events[i] == 1.0 {
            slot.1 += weight;
        } else {
            slot.2 += weight;
        }
        if counts.len() > MAX_DISTINCT_PER_CHUNK {
            return None;
        }
    }
    Some(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_a_brute_force_tally() {
        let durations: Vec<f64> = (0..200_000).map(|i| ((i * 7919) % 97) as f64 * 0.5).collect();
        let events: Vec<f64> = (0..200_000).map(|i| f64::from(i % 3 != 0)).collect();
        let rows = tied_event_counts(&durations, &events, None).unwrap();
        assert_eq!(rows.len(), 97);
        for r in &rows {
            let (mut o, mut c) = (0.0, 0.0);
            for (d, e) in durations.iter().zip(&events) {
                if *d == r.time {
                    if *e == 1.0 { o += 1.0 } else { c += 1.0 }
                }
            }
            assert_eq!((r.observed, r.censored), (o, c));
        }
        assert!(rows.windows(2).all(|w| w[0].time < w[1].time));
    }

    #[test]
    fn mostly_distinct_times_fall_back() {
        let durations: Vec<f64> = (0..100_000).map(|i| i as f64 * 0.001).collect();
        let events = vec![1.0; durations.len()];
        assert!(tied_event_counts(&durations, &events, None).is_none());
    }

    #[test]
    fn negative_zero_and_zero_are_one_time() {
        let rows = tied_event_counts(&[0.0, -0.0, 1.0], &[1.0, 0.0, 1.0], None).unwrap();
        assert_eq!(rows[0], TimeCounts { time: 0.0, observed: 1.0, censored: 1.0 });
    }
}
