//! ABC classes by cumulative share of value (Pareto analysis).
//!
//! Customers are ordered by value, largest first, and the value before each customer's *group
//! of equal values* decides its class: with `before(v)` the total of values strictly greater
//! than `v` divided by the grand total, a customer is A if `before(v) < a_cut`, else B if
//! `before(v) < b_cut`, else C. So A is every customer with some of their value inside the
//! first `a_cut` share (the customer who crosses 80% is still A), equal values always share a
//! class, and customers with zero value are C. Totals are summed sequentially in descending
//! order, the same order as `np.cumsum` over the sorted values, so results are reproducible
//! to the bit for any thread count.

use rayon::prelude::*;

use super::select::normalized_copy;
use crate::error::{check_nonnegative, ClmError, Result};

pub const CLASS_A: i8 = 0;
pub const CLASS_B: i8 = 1;
pub const CLASS_C: i8 = 2;

fn check_cutoffs(a_cut: f64, b_cut: f64) -> Result<()> {
    if a_cut > 0.0 && a_cut < b_cut && b_cut <= 1.0 {
        Ok(())
    } else {
        Err(ClmError::InvalidArgument(format!(
            "cutoffs must satisfy 0 < a < b <= 1, got ({a_cut}, {b_cut})"
        )))
    }
}

/// 2^-e with 2^e the power of two just above `max`: scaling by it is exact (barring values
/// 2^1074 times smaller than the largest, which cannot move a share) and keeps a sum of n
/// scaled values below n, so a total of values near `f64::MAX` does not overflow to inf.
fn scale_for(max: f64) -> f64 {
    if !(max.is_finite() && max > 0.0) {
        return 1.0;
    }
    // frexp: max = m 2^e with m in [0.5, 1); 2^-e is built from its exponent bits.
    let e = ((max.to_bits() >> 52) & 0x7ff) as i32 - 1022;
    let half = |k: i32| f64::from_bits(((1023 + k) as u64) << 52);
    let k = -e;
    if (-1022..=1023).contains(&k) {
        half(k)
    } else {
        // Maxima in [2^1023, f64::MAX] need 2^-1024, which is subnormal: two exact steps.
        half(k / 2) * half(k - k / 2)
    }
}

/// Smallest values still in class A and in class A or B (`f64::INFINITY` when none is).
/// Shares are sums of scaled values (see [`scale_for`]); for totals that do not overflow they
/// are bit for bit the shares of the unscaled sums, since a power-of-two factor commutes with
/// rounding.
fn class_thresholds(descending: &[f64], a_cut: f64, b_cut: f64) -> (f64, f64) {
    let scale = scale_for(descending.first().copied().unwrap_or(0.0));
    let total: f64 = descending.iter().fold(0.0, |acc, &v| acc + v * scale);
    let (mut min_a, mut min_b) = (f64::INFINITY, f64::INFINITY);
    if total <= 0.0 {
        return (min_a, min_b);
    }
    let mut before = 0.0;
    let mut i = 0;
    while i < descending.len() {
        let value = descending[i];
        let share = before / total;
        if share >= b_cut || value <= 0.0 {
            break;
        }
        if share < a_cut {
            min_a = value;
        }
        min_b = value;
        while i < descending.len() && descending[i] == value {
            before += descending[i] * scale;
            i += 1;
        }
    }
    (min_a, min_b)
}

/// Class per row (0 = A, 1 = B, 2 = C) of non-negative finite `values`.
pub fn abc_classes(values: &[f64], a_cut: f64, b_cut: f64) -> Result<Vec<i8>> {
    check_cutoffs(a_cut, b_cut)?;
    check_nonnegative("values", values)?;
    let mut descending = normalized_copy(values);
    descending.par_sort_unstable_by(|a, b| b.total_cmp(a));
    let (min_a, min_b) = class_thresholds(&descending, a_cut, b_cut);
    Ok(values
        .par_iter()
        .with_min_len(crate::numeric::grain::ITEMS_MAP)
        .map(|&v| {
            if v >= min_a {
                CLASS_A
            } else if v >= min_b {
                CLASS_B
            } else {
                CLASS_C
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossing_customer_and_ties() {
        // Shares before each value: 50 -> 0, 30 -> .5, 10 -> .8 (not < .8: B), 5,5 -> .9 (B), 0 -> 1.
        let values = [5.0, 50.0, 10.0, 30.0, 5.0, 0.0];
        assert_eq!(
            abc_classes(&values, 0.8, 0.95).unwrap(),
            vec![1, 0, 1, 0, 1, 2]
        );
        assert_eq!(abc_classes(&[0.0, 0.0], 0.8, 0.95).unwrap(), vec![2, 2]);
    }

    proptest::proptest! {
        #[test]
        fn classes_match_brute_force(
            values in proptest::collection::vec(proptest::sample::select(vec![0.0, 1.0, 2.5, 10.0, 40.0]), 0..100),
            a_cut in 0.05f64..0.9,
        ) {
            let b_cut = (a_cut + 0.08).min(1.0);
            let mut desc = values.clone();
            desc.sort_by(|x: &f64, y: &f64| y.total_cmp(x));
            let total = desc.iter().fold(0.0, |acc, &v| acc + v);
            let want: Vec<i8> = values.iter().map(|&v| {
                let before = desc.iter().take_while(|&&d| d > v).fold(0.0, |acc, &d| acc + d);
                let share = if total > 0.0 { before / total } else { 1.0 };
                if v > 0.0 && share < a_cut { CLASS_A } else if v > 0.0 && share < b_cut { CLASS_B } else { CLASS_C }
            }).collect();
            proptest::prop_assert_eq!(abc_classes(&values, a_cut, b_cut).unwrap(), want);
        }
    }

    /// Exact reference for values `k_i 2^1013`: the share before a value is the rational
    /// `sum(k before) / sum(k)` and a cut is `c / 2^20`, so every comparison is an exact
    /// integer comparison (no floating-point total at all).
    fn exact_classes(ks: &[u64], a_num: u64, b_num: u64) -> Vec<i8> {
        let total: u128 = ks.iter().map(|&k| k as u128).sum();
        ks.iter()
            .map(|&k| {
                let before: u128 = ks.iter().filter(|&&d| d > k).map(|&d| d as u128).sum();
                let below = |num: u64| (before << 20) < num as u128 * total;
                if k > 0 && below(a_num) {
                    CLASS_A
                } else if k > 0 && below(b_num) {
                    CLASS_B
                } else {
                    CLASS_C
                }
            })
            .collect()
    }

    #[test]
    fn totals_beyond_f64_max_do_not_overflow() {
        // 3 x 2^1023 overflows an f64 sum to inf; unscaled, every share was 0 (all class A).
        let ks = [4u64, 4, 2, 1, 1];
        let values: Vec<f64> = ks.iter().map(|&k| k as f64 * 2f64.powi(1021)).collect();
        // Shares before: 0, 0, 8/12, 10/12, 10/12 with cuts .8 / .95 -> A A A B B.
        let got = abc_classes(&values, 0.8, 0.95).unwrap();
        assert_eq!(got, vec![CLASS_A, CLASS_A, CLASS_A, CLASS_B, CLASS_B]);
    }

    proptest::proptest! {
        #[test]
        fn huge_values_match_exact_rationals(
            ks in proptest::collection::vec(0u64..1024, 1..60),
            a_num in 1u64..900_000,
        ) {
            let values: Vec<f64> = ks.iter().map(|&k| k as f64 * 2f64.powi(1013)).collect();
            let b_num = (a_num + 104_858).min(1 << 20);
            let (a_cut, b_cut) = (a_num as f64 / 1048576.0, b_num as f64 / 1048576.0);
            proptest::prop_assert_eq!(
                abc_classes(&values, a_cut, b_cut).unwrap(),
                exact_classes(&ks, a_num, b_num)
            );
        }
    }

    #[test]
    fn bad_input_is_rejected() {
        assert!(abc_classes(&[1.0], 0.9, 0.8).is_err());
        assert!(abc_classes(&[1.0, -1.0], 0.8, 0.95)
            .unwrap_err()
            .to_string()
            .contains("row 1"));
    }
}
