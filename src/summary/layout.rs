//! The layout of a customer row: one 64-byte line holding the accumulators while the log is
//! folded, then the output fields written over them (see [`super::kernel`] for why), and the
//! log and window the fold reads. Shared by the fold (`scan`), the recount, the checks and
//! the finisher, so none of them depends on the driver in `kernel`.

use super::freq::Freq;
use super::slots::Slots;

/// f64 fields per customer row.
pub const WIDTH: usize = 8;

/// Smallest parallel task (customers or log rows): waking a second thread costs more than
/// folding a few thousand rows, and on a loaded machine much more.
pub(super) use crate::numeric::grain::SUMMARY_ROWS_PER_TASK as MIN_ROWS_PER_TASK;

// Accumulation layout (integers stored as f64 bit patterns).
pub(super) const FIRST_T: usize = 0;
pub(super) const LAST_T: usize = 1;
pub(super) const FIRST_VALUE: usize = 2;
/// Sum of the values after the first period, kept apart from FIRST_VALUE: a mean of repeat
/// values computed as (total - first) / n loses them to cancellation when the first purchase
/// is large (1e13 then 0.10 and 0.20 gave 0.1494, not 0.15).
pub(super) const REPEAT_VALUE: usize = 3;
pub(super) const FIRST_P: usize = 4;
pub(super) const LAST_P: usize = 5;
pub(super) const SECOND_P: usize = 6;
pub(super) const COUNT: usize = 7;

/// Output layout of a finished row.
pub const FREQUENCY: usize = 0;
pub const RECENCY: usize = 1;
pub const T: usize = 2;
pub const MONETARY_VALUE: usize = 3;
pub const N_PERIODS: usize = 4;
pub const TOTAL_VALUE: usize = 5;
pub const INACTIVITY: usize = 6;
pub const GAP_BEFORE_LAST: usize = 7;
/// The output fields' names, in row order: what the door hands to Python with the rows, so
/// no caller depends on the positions above.
pub const FIELDS: [&str; WIDTH] = [
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "n_periods",
    "total_value",
    "inactivity",
    "gap_before_last",
];

/// Set in COUNT when a customer's periods arrived out of order: the streamed count of
/// distinct periods is then only a bound and is recomputed exactly.
pub(super) const OUT_OF_ORDER: i64 = 1 << 62;

pub(super) type Row = [f64; WIDTH];

#[inline(always)]
pub(super) fn geti(r: &Row, k: usize) -> i64 {
    r[k].to_bits() as i64
}

#[inline(always)]
pub(super) fn seti(r: &mut Row, k: usize, v: i64) {
    r[k] = f64::from_bits(v as u64);
}

/// Rows of the log, in the caller's units.
pub struct Log<'a> {
    pub slots: &'a Slots<'a>,
    pub n_slots: usize,
    pub times: &'a [i64],
    /// Ticks of `times` per second (1, 1e3, 1e6 or 1e9).
    pub ticks_per_second: i64,
    pub values: Option<&'a [f64]>,
}

pub struct Options {
    pub freq: Freq,
    pub freq_multiplier: f64,
    pub include_first_transaction: bool,
    /// Observation end in ns since the epoch; None = the last transaction.
    pub observation_end_ns: Option<i64>,
    /// Transactions later than this time (in the log's ticks) are left out, even within
    /// the end's period: lifetimes' calibration cut (`datetime <= calibration_period_end`).
    /// Their values are still checked. None = no cut beyond the end's period.
    pub last_tick: Option<i64>,
}

/// The transactions a summary keeps: periods up to the end's, times up to `last_tick`.
#[derive(Clone, Copy)]
pub(super) struct Window {
    pub end_p: i64,
    pub last_tick: i64,
}

impl Window {
    #[inline(always)]
    pub(super) fn contains(&self, t: i64, p: i64) -> bool {
        p <= self.end_p && t <= self.last_tick
    }
}
