//! The per-customer inputs of the stage rules and their validation (one error naming the
//! argument, the lowest bad row and its value, whatever the thread count).

use rayon::prelude::*;

use crate::error::{check_same_length, ClmError, Result};
/// Per-customer inputs. `t` NaN marks a prospect (no purchase yet); `repeats` is the number
/// of purchase periods after the first; `gap_before_last` is NaN for one-period buyers.
pub struct StageInputs<'a> {
    pub repeats: &'a [f64],
    pub recency: &'a [f64],
    pub t: &'a [f64],
    pub gap_before_last: &'a [f64],
    pub p_alive: Option<&'a [f64]>,
    /// Index of the first custom rule that fired for the row, or -1.
    pub custom: Option<&'a [i32]>,
}

impl StageInputs<'_> {
    pub(super) fn validate(&self) -> Result<usize> {
        let n = self.t.len();
        let mut lengths = vec![
            ("T", n),
            ("frequency", self.repeats.len()),
            ("recency", self.recency.len()),
            ("gap_before_last", self.gap_before_last.len()),
        ];
        if let Some(p) = self.p_alive {
            lengths.push(("p_alive", p.len()));
        }
        if let Some(c) = self.custom {
            lengths.push(("custom rules", c.len()));
        }
        check_same_length(&lengths)?;
        // Fixed chunks scanned in parallel; the lowest bad row wins whatever the thread count.
        let chunk = crate::parallel::CHUNK;
        let first_bad = (0..n.div_ceil(chunk))
            .into_par_iter()
            .map(|c| (c * chunk..((c + 1) * chunk).min(n)).find(|&i| self.row_is_bad(i)))
            .collect::<Vec<Option<usize>>>()
            .into_iter()
            .flatten()
            .next();
        match first_bad.and_then(|row| self.row_error(row)) {
            Some(err) => Err(err),
            None => Ok(n),
        }
    }

    #[inline]
    fn row_is_bad(&self, i: usize) -> bool {
        let t = self.t[i];
        if t.is_nan() {
            return false;
        }
        let r = self.recency[i];
        let f = self.repeats[i];
        let p_bad = self.p_alive.is_some_and(|p| !(p[i] >= 0.0 && p[i] <= 1.0));
        let g = self.gap_before_last[i];
        let gap_bad = !(g.is_nan() || (g.is_finite() && g >= 0.0));
        !(t.is_finite() && t >= 0.0 && r >= 0.0 && r <= t && f.is_finite() && f >= 0.0)
            || p_bad
            || gap_bad
    }

    fn row_error(&self, i: usize) -> Option<ClmError> {
        let t = self.t[i];
        if t.is_nan() {
            return None;
        }
        let ok = |v: f64| v.is_finite() && v >= 0.0;
        if !ok(t) {
            return Some(ClmError::invalid_value(
                "T",
                i,
                t,
                "must be finite and >= 0",
            ));
        }
        if !ok(self.recency[i]) || self.recency[i] > t {
            return Some(ClmError::invalid_value(
                "recency",
                i,
                self.recency[i],
                "must be in [0, T]",
            ));
        }
        if !ok(self.repeats[i]) {
            return Some(ClmError::invalid_value(
                "frequency",
                i,
                self.repeats[i],
                "must be finite and >= 0",
            ));
        }
        let g = self.gap_before_last[i];
        if !(g.is_nan() || (g.is_finite() && g >= 0.0)) {
            return Some(ClmError::invalid_value(
                "gap_before_last",
                i,
                g,
                "must be finite and >= 0, or NaN for a one-period buyer",
            ));
        }
        match self.p_alive {
            Some(p) if !(p[i] >= 0.0 && p[i] <= 1.0) => Some(ClmError::invalid_value(
                "p_alive",
                i,
                p[i],
                "must be in [0, 1]",
            )),
            _ => None,
        }
    }
}
