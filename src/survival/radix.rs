//! Stable LSD radix sort of u64 keys carrying row indices: O(n) passes over 11-bit digits,
//! skipping digits that are equal in every key. Stability makes ties come out in row order,
//! so the result never depends on the thread count. Used for the one sort each estimator
//! needs (about 5x faster than a comparison sort at a million rows).

const BITS: u32 = 11;
const BUCKETS: usize = 1 << BITS;

/// Keys in ascending order and the row each came from.
pub(crate) fn radix_sort(keys: Vec<u64>) -> (Vec<u64>, Vec<usize>) {
    let n = keys.len();
    let mut keys = keys;
    let mut rows: Vec<usize> = (0..n).collect();
    let mut keys_tmp = vec![0u64; n];
    let mut rows_tmp = vec![0usize; n];
    let mut shift = 0;
    while shift < 64 {
        let mut counts = vec![0usize; BUCKETS];
        for &k in &keys {
            counts[((k >> shift) as usize) & (BUCKETS - 1)] += 1;
        }
        if counts.contains(&n) {
            shift += BITS;
            continue;
        }
        let mut total = 0;
        for c in counts.iter_mut() {
            let here = *c;
            *c = total;
            total += here;
        }
        for i in 0..n {
            let digit = ((keys[i] >> shift) as usize) & (BUCKETS - 1);
            let pos = counts[digit];
            counts[digit] += 1;
            keys_tmp[pos] = keys[i];
            rows_tmp[pos] = rows[i];
        }
        std::mem::swap(&mut keys, &mut keys_tmp);
        std::mem::swap(&mut rows, &mut rows_tmp);
        shift += BITS;
    }
    (keys, rows)
}

/// Keys in ascending order without their rows: half the memory traffic of `radix_sort`, and
/// the digit histograms of every pass come from one read of the keys.
pub(crate) fn radix_sort_keys(keys: Vec<u64>) -> Vec<u64> {
    const DIGITS: usize = 64usize.div_ceil(BITS as usize);
    let n = keys.len();
    let mut keys = keys;
    let mut counts = vec![[0usize; BUCKETS]; DIGITS];
    for &k in &keys {
        for (d, c) in counts.iter_mut().enumerate() {
            c[((k >> (d as u32 * BITS)) as usize) & (BUCKETS - 1)] += 1;
        }
    }
    let mut tmp = vec![0u64; n];
    for (d, c) in counts.iter_mut().enumerate() {
        // a digit equal in every key leaves the order as it is
        if c.contains(&n) {
            continue;
        }
        let mut total = 0;
        for slot in c.iter_mut() {
            let here = *slot;
            *slot = total;
            total += here;
        }
        let shift = d as u32 * BITS;
        for &k in &keys {
            let digit = ((k >> shift) as usize) & (BUCKETS - 1);
            tmp[c[digit]] = k;
            c[digit] += 1;
        }
        std::mem::swap(&mut keys, &mut tmp);
    }
    keys
}

/// Order-preserving map of a finite f64 to u64 (flip the sign bit of positives, all bits of
/// negatives); -0.0 is folded into 0.0.
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

    proptest! {
        #[test]
        fn keys_alone_sort_like_the_standard_library(v in proptest::collection::vec(any::<u64>().prop_map(|x| (x % 5000).wrapping_mul(0x0100_2003_0001)), 0..400)) {
            let mut expected = v.clone();
            expected.sort_unstable();
            prop_assert_eq!(radix_sort_keys(v), expected);
        }

        #[test]
        fn sorts_stably_like_the_standard_library(v in proptest::collection::vec(any::<u64>().prop_map(|x| x % 1000 * 0x1_0000_0001), 0..300)) {
            let (keys, rows) = radix_sort(v.clone());
            let mut expected: Vec<(u64, usize)> = v.iter().copied().zip(0..).collect();
            expected.sort();
            prop_assert_eq!(keys, expected.iter().map(|e| e.0).collect::<Vec<_>>());
            prop_assert_eq!(rows, expected.iter().map(|e| e.1).collect::<Vec<_>>());
        }
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
