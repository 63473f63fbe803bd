//! Event indicators as callers hold them (float 0/1, integers, bools as bytes, or "every row
//! is an event"), read in place: converting a million int64 or bool flags to float64 first costs
//! more than counting them.

use std::borrow::Cow;

/// An event-indicator column; `All` means every row is an observed event.
#[derive(Debug, Clone, Copy)]
pub enum Events<'a> {
    All,
    F64(&'a [f64]),
    I64(&'a [i64]),
    I32(&'a [i32]),
    /// One byte per row, nonzero = event: numpy's bool array read as its bytes.
    Bool(&'a [u8]),
}

/// Reads one row's flag: `(1.0 or 0.0, valid)`, where valid means the stored value is 0 or 1.
/// Branch-free so a column of random flags costs no mispredictions.
pub(crate) trait FlagColumn: Sync {
    fn flag(&self, i: usize) -> (f64, bool);
}

/// Every row an event.
pub(crate) struct AllEvents;

impl FlagColumn for AllEvents {
    #[inline(always)]
    fn flag(&self, _: usize) -> (f64, bool) {
        (1.0, true)
    }
}

impl FlagColumn for &[f64] {
    #[inline(always)]
    fn flag(&self, i: usize) -> (f64, bool) {
        let v = self[i];
        (v, v == 0.0 || v == 1.0)
    }
}

impl FlagColumn for &[i64] {
    #[inline(always)]
    fn flag(&self, i: usize) -> (f64, bool) {
        let v = self[i];
        (v as f64, (v as u64) <= 1)
    }
}

impl FlagColumn for &[i32] {
    #[inline(always)]
    fn flag(&self, i: usize) -> (f64, bool) {
        let v = self[i];
        (f64::from(v), (v as u32) <= 1)
    }
}

impl FlagColumn for &[u8] {
    #[inline(always)]
    fn flag(&self, i: usize) -> (f64, bool) {
        (f64::from(u8::from(self[i] != 0)), true)
    }
}

impl<'a> Events<'a> {
    /// Rows held (`None` for `All`, which fits any length).
    #[allow(clippy::len_without_is_empty)] // `All` has no length, so "empty" means nothing
    pub fn len(&self) -> Option<usize> {
        match self {
            Events::All => None,
            Events::F64(e) => Some(e.len()),
            Events::I64(e) => Some(e.len()),
            Events::I32(e) => Some(e.len()),
            Events::Bool(e) => Some(e.len()),
        }
    }

    /// The flags as float64 (borrowed when they already are): for the sorting paths and
    /// error messages, which read every row anyway.
    pub fn to_f64(&self, n: usize) -> Cow<'a, [f64]> {
        match *self {
            Events::All => Cow::Owned(vec![1.0; n]),
            Events::F64(e) => Cow::Borrowed(e),
            Events::I64(e) => Cow::Owned(e.iter().map(|&v| v as f64).collect()),
            Events::I32(e) => Cow::Owned(e.iter().map(|&v| f64::from(v)).collect()),
            Events::Bool(e) => Cow::Owned(e.iter().map(|&v| f64::from(u8::from(v != 0))).collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_validity_agree_with_the_float_rule() {
        let f: &[f64] = &[0.0, 1.0, 2.0, -1.0, 0.5, f64::NAN];
        let i: &[i64] = &[0, 1, 2, -1, i64::MIN, i64::MAX];
        let j: &[i32] = &[0, 1, 2, -1, i32::MIN, i32::MAX];
        for k in 0..6 {
            assert_eq!(f.flag(k).1, k < 2);
            assert_eq!(i.flag(k), (i[k] as f64, k < 2));
            assert_eq!(j.flag(k), (f64::from(j[k]), k < 2));
        }
        let b: &[u8] = &[0, 1, 2];
        assert_eq!(
            (b.flag(0), b.flag(1), b.flag(2)),
            ((0.0, true), (1.0, true), (1.0, true))
        );
        assert_eq!(Events::Bool(b).to_f64(3).as_ref(), &[0.0, 1.0, 1.0]);
        assert_eq!(
            Events::I32(j).to_f64(6).as_ref(),
            &[
                0.0,
                1.0,
                2.0,
                -1.0,
                f64::from(i32::MIN),
                f64::from(i32::MAX)
            ]
        );
        assert_eq!(Events::All.to_f64(2).as_ref(), &[1.0, 1.0]);
    }
}
