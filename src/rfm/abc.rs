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

/// Smallest values still in class A and in class A or B (`f64::INFINITY` when none is).
fn class_thresholds(descending: &[f64], a_cut: f64, b_cut: f64) -> (f64, f64) {
    let total: f64 = descending.iter().fold(0.0, |acc, &v| acc + v);
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
            before += descending[i];
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
        .with_min_len(4096)
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

    #[test]
    fn bad_input_is_rejected() {
        assert!(abc_classes(&[1.0], 0.9, 0.8).is_err());
        assert!(abc_classes(&[1.0, -1.0], 0.8, 0.95)
            .unwrap_err()
            .to_string()
            .contains("row 1"));
    }
}
