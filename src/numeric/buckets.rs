//! Transactions grouped by dense customer code (0..n): a stable counting sort into one flat
//! buffer with bucket offsets, shared by the kernels that walk each customer's purchases in
//! turn (the churn data set, the stage history). One buffer instead of a vector per
//! customer keeps millions of customers to two allocations.

use crate::error::{ClmError, Result};

/// Items in customer order: bucket `c` is `items[starts[c]..starts[c + 1]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Buckets<T> {
    pub items: Vec<T>,
    pub starts: Vec<usize>,
}

impl<T: Copy + Default> Buckets<T> {
    /// Groups `item(i)` by `codes[i]` for every row whose item is `Some`; within a bucket the
    /// input order is kept. Codes must lie in `0..n_codes` (else the first bad row is named).
    pub fn by_code(
        codes: &[i64],
        n_codes: usize,
        item: impl Fn(usize) -> Option<T>,
    ) -> Result<Self> {
        if let Some(row) = codes.iter().position(|&c| c < 0 || c as usize >= n_codes) {
            return Err(ClmError::invalid_value(
                "customer ids",
                row,
                codes[row],
                "code out of range",
            ));
        }
        let mut starts = vec![0usize; n_codes + 1];
        for (i, &c) in codes.iter().enumerate() {
            if item(i).is_some() {
                starts[c as usize + 1] += 1;
            }
        }
        for c in 0..n_codes {
            starts[c + 1] += starts[c];
        }
        let mut cursor = starts[..n_codes].to_vec();
        let mut items = vec![T::default(); starts[n_codes]];
        for (i, &c) in codes.iter().enumerate() {
            if let Some(value) = item(i) {
                let at = &mut cursor[c as usize];
                items[*at] = value;
                *at += 1;
            }
        }
        Ok(Buckets { items, starts })
    }

    /// One mutable slice per customer, for sorting or walking the buckets in parallel.
    pub fn buckets_mut(&mut self) -> Vec<&mut [T]> {
        let mut out = Vec::with_capacity(self.starts.len().saturating_sub(1));
        let mut rest: &mut [T] = &mut self.items;
        for w in self.starts.windows(2) {
            let (head, tail) = rest.split_at_mut(w[1] - w[0]);
            out.push(head);
            rest = tail;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_stably_and_skips_none() {
        let codes = [2, 0, 2, 1, 0, 2];
        let b = Buckets::by_code(&codes, 4, |i| (i != 3).then_some(i as i64 * 10)).unwrap();
        assert_eq!(b.starts, vec![0, 2, 2, 5, 5]);
        assert_eq!(b.items, vec![10, 40, 0, 20, 50]);
        let mut b = b;
        let lens: Vec<usize> = b.buckets_mut().iter().map(|s| s.len()).collect();
        assert_eq!(lens, vec![2, 0, 3, 0]);
    }

    #[test]
    fn names_the_first_code_out_of_range() {
        let err = Buckets::by_code(&[0, 3, -1], 3, Some)
            .unwrap_err()
            .to_string();
        assert!(err.contains("row 1"), "{err}");
    }
}
