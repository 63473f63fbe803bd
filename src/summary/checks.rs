//! Validation of the log fused into the fold: the fold already reads every time and value,
//! so it gathers the minimum time and the sum of the values, and a bad log is only searched
//! (for its first bad row) when those say so. No pass over the columns on good input.

use rayon::prelude::*;

use super::layout::Log;
use crate::error::{check_finite, ClmError, Result};

/// Rejects missing dates (NaT, stored as i64::MIN, is always the minimum and always in the
/// window) and NaN / infinite values, from what the fold gathered: no pass of its own
/// unless the log is bad.
pub(super) fn check_log(log: &Log<'_>, min_t: i64, value_sum: f64) -> Result<()> {
    if min_t == i64::MIN {
        let row = log
            .times
            .par_iter()
            .with_min_len(crate::numeric::grain::ITEMS_SCAN)
            .position_first(|&t| t == i64::MIN)
            .unwrap_or(0);
        return Err(ClmError::invalid_value(
            "datetimes",
            row,
            "NaT",
            "missing date (NaT)",
        ));
    }
    match log.values {
        Some(values) if !value_sum.is_finite() => check_finite("monetary values", values),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::slots;

    fn check(times: &[i64], values: &[f64]) -> Result<()> {
        let codes = vec![0i64; times.len()];
        let (s, n_slots) = slots::from_codes(&codes, 1).unwrap();
        let log = Log {
            slots: &s,
            n_slots,
            times,
            ticks_per_second: 1_000_000,
            values: Some(values),
        };
        let min_t = times.iter().copied().min().unwrap_or(i64::MAX);
        check_log(&log, min_t, values.iter().sum())
    }

    #[test]
    fn first_bad_row_is_named() {
        assert!(check(&[5, 6, 7], &[1.0, -2.0, 0.0]).is_ok());
        let nat = check(&[5, i64::MIN, i64::MIN], &[1.0, 2.0, 3.0])
            .unwrap_err()
            .to_string();
        assert!(nat.contains("datetimes") && nat.contains("row 1"), "{nat}");
        let nan = check(&[5, 6, 7, 8], &[1.0, 2.0, f64::NAN, f64::INFINITY])
            .unwrap_err()
            .to_string();
        assert!(
            nan.contains("monetary values") && nan.contains("row 2"),
            "{nan}"
        );
        // A sum that overflows is no error when every value is finite.
        assert!(check(&[5, 6], &[f64::MAX, f64::MAX]).is_ok());
    }
}
