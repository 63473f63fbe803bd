//! The one sort module of the core (issue 16): a stable least-significant-digit radix sort
//! on the bits a key uses (for keys packed into a few bits), and the two shapes the other
//! callers need, each backed by what measured fastest (keys alone; keys with the row each
//! came from). Stability makes ties come out in input order, so results never depend on the
//! thread count. Measured against `slice::sort_unstable` and the `radsort` crate by
//! `numeric::measure` (benchmarks/bench_internals.sh; figures in benchmarks/RESULTS.md,
//! "internals").

/// Largest digit: 2^14 counters stay in cache while scattering.
const MAX_DIGIT_BITS: u32 = 14;

/// Stable LSD radix sort of `items` on the low `bits` bits of `key(item)` (higher bits are
/// ignored). The digits split `bits` evenly (27 bits: two digits of 14 bits); one reading
/// pass counts every digit, and a digit shared by every key is skipped.
pub(crate) fn radix_sort_by_key<T: Copy + Default>(
    items: &mut Vec<T>,
    bits: u32,
    key: impl Fn(&T) -> u64,
) {
    let bits = bits.min(u64::BITS);
    if bits == 0 || items.len() < 2 {
        return;
    }
    let digits = bits.div_ceil(MAX_DIGIT_BITS);
    let width = bits.div_ceil(digits);
    let buckets = 1usize << width;
    let mask = (buckets - 1) as u64;
    let mut counts = vec![vec![0usize; buckets]; digits as usize];
    for item in items.iter() {
        let k = key(item);
        for (d, count) in counts.iter_mut().enumerate() {
            count[((k >> (d as u32 * width)) & mask) as usize] += 1;
        }
    }
    let mut scratch = vec![T::default(); items.len()];
    for (d, count) in counts.iter_mut().enumerate() {
        // A digit shared by every key leaves the order as it is: skip the pass.
        if count.contains(&items.len()) {
            continue;
        }
        let shift = d as u32 * width;
        let mut start = 0;
        for c in count.iter_mut() {
            let here = *c;
            *c = start;
            start += here;
        }
        for item in items.iter() {
            let b = ((key(item) >> shift) & mask) as usize;
            scratch[count[b]] = *item;
            count[b] += 1;
        }
        std::mem::swap(items, &mut scratch);
    }
}

/// Keys in ascending order (equal keys are indistinguishable, so stability is moot).
/// `slice::sort_unstable`: measured 1.7x faster than the radix on 10M keys (RESULTS.md).
pub(crate) fn sort_keys(keys: Vec<u64>) -> Vec<u64> {
    let mut keys = keys;
    keys.sort_unstable();
    keys
}

/// Keys in ascending order and the row each came from; ties keep row order. The stable
/// `radsort::sort_by_key`: measured 2.0x faster than the radix on 10M keys with rows and
/// 1.4x faster than `sort_unstable` of (key, row) pairs (RESULTS.md).
pub(crate) fn sort_with_rows(keys: Vec<u64>) -> (Vec<u64>, Vec<usize>) {
    let mut items: Vec<(u64, usize)> = keys.into_iter().zip(0..).collect();
    radsort::sort_by_key(&mut items, |item| item.0);
    items.into_iter().unzip()
}

/// Order-preserving map of a finite f64 to u64 (IEEE total order: flip the sign bit of
/// positives, all bits of negatives); -0.0 is folded into 0.0 first so equal values share a
/// key.
pub(crate) fn f64_key(v: f64) -> u64 {
    let bits = (v + 0.0).to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lcg(state: &mut u64) -> u64 {
        *state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        *state >> 11
    }

    proptest! {
        #[test]
        fn keys_alone_sort_like_the_standard_library(v in proptest::collection::vec(any::<u64>().prop_map(|x| (x % 5000).wrapping_mul(0x0100_2003_0001)), 0..400)) {
            let mut expected = v.clone();
            expected.sort();
            prop_assert_eq!(sort_keys(v), expected);
        }

        #[test]
        fn rows_come_out_stably_like_the_standard_library(v in proptest::collection::vec(any::<u64>().prop_map(|x| x % 1000 * 0x1_0000_0001), 0..300)) {
            let (keys, rows) = sort_with_rows(v.clone());
            let mut expected: Vec<(u64, usize)> = v.iter().copied().zip(0..).collect();
            expected.sort_by_key(|e| e.0);
            prop_assert_eq!(keys, expected.iter().map(|e| e.0).collect::<Vec<_>>());
            prop_assert_eq!(rows, expected.iter().map(|e| e.1).collect::<Vec<_>>());
        }
    }

    #[test]
    fn radix_sort_is_a_stable_sort_for_every_width() {
        let mut s = 11;
        for bits in [1u32, 7, 13, 14, 15, 27, 28, 32, 40, 64] {
            let mask = if bits == 64 {
                u64::MAX
            } else {
                (1u64 << bits) - 1
            };
            let items: Vec<(u64, u32)> = (0..3000)
                .map(|i| (lcg(&mut s).wrapping_mul(2049) & mask, i))
                .collect();
            let mut sorted = items.clone();
            radix_sort_by_key(&mut sorted, bits, |item| item.0);
            let mut expected = items;
            expected.sort_by_key(|item| item.0);
            assert_eq!(sorted, expected, "{bits} bits");
        }
    }

    #[test]
    fn ten_thousand_keys_on_forty_bits_match_slice_sort() {
        let mut x: u64 = 99;
        let mut keys: Vec<u64> = (0..10_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x >> 24
            })
            .collect();
        let mut want = keys.clone();
        want.sort();
        radix_sort_by_key(&mut keys, 40, |&k| k);
        assert_eq!(keys, want);
    }

    #[test]
    fn empty_and_single_inputs_are_left_alone() {
        assert_eq!(sort_keys(Vec::new()), Vec::<u64>::new());
        assert_eq!(sort_with_rows(vec![5]), (vec![5], vec![0]));
        assert_eq!(sort_keys(vec![0, 0, 0]), vec![0, 0, 0]);
    }

    #[test]
    fn float_keys_order_like_the_numbers() {
        let v = [-3.5, -0.0, 0.0, 1e-300, -1e-300, 2.0, f64::MIN, f64::MAX];
        for a in v {
            for b in v {
                assert_eq!(
                    a.partial_cmp(&b).unwrap(),
                    f64_key(a).cmp(&f64_key(b)),
                    "{a} {b}"
                );
            }
        }
    }
}
