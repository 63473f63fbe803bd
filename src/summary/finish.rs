//! Turns an accumulated customer row into its output fields, in place.

use super::layout::{
    geti, Options, Row, COUNT, FIRST_P, FIRST_T, FIRST_VALUE, FREQUENCY, GAP_BEFORE_LAST,
    INACTIVITY, LAST_P, LAST_T, MONETARY_VALUE, N_PERIODS, OUT_OF_ORDER, RECENCY, REPEAT_VALUE,
    SECOND_P, T, TOTAL_VALUE,
};
/// Turns accumulated rows into output rows.
pub(super) struct Finisher {
    include_first: bool,
    end_p: i64,
    /// Length of one period-index step in ns (a day, or an hour for freq="H").
    step_ns: f64,
    scale: f64,
    ns_per_tick: i64,
}

impl Finisher {
    pub(super) fn new(opts: &Options, end_p: i64, ns_per_tick: i64) -> Self {
        Finisher {
            include_first: opts.include_first_transaction,
            end_p,
            step_ns: opts.freq.index_step_ns() as f64,
            scale: 1.0 / (opts.freq.unit_ns() * opts.freq_multiplier),
            ns_per_tick,
        }
    }

    /// Time between two period starts in `freq` units / multiplier (ns difference times
    /// 1 / (unit * multiplier), bit-identical to the other modules that compute times).
    fn units(&self, from_p: i64, to_p: i64) -> f64 {
        (to_p - from_p) as f64 * self.step_ns * self.scale
    }

    /// Writes the output fields over `r`; returns the first and last purchase times (ns).
    pub(super) fn row(&self, r: &mut Row) -> (i64, i64) {
        let first_ns = geti(r, FIRST_T).saturating_mul(self.ns_per_tick);
        let last_ns = geti(r, LAST_T).saturating_mul(self.ns_per_tick);
        let (first_p, last_p, second_p) = (geti(r, FIRST_P), geti(r, LAST_P), geti(r, SECOND_P));
        let n = (geti(r, COUNT) & !OUT_OF_ORDER) as f64;
        let (first_value, repeat_value) = (r[FIRST_VALUE], r[REPEAT_VALUE]);
        let total = first_value + repeat_value;
        let (frequency, monetary) = if self.include_first {
            (n, total / n)
        } else if n > 1.0 {
            (n - 1.0, repeat_value / (n - 1.0))
        } else {
            (0.0, 0.0)
        };
        let recency = self.units(first_p, last_p);
        let t = self.units(first_p, self.end_p);
        r[FREQUENCY] = frequency;
        r[RECENCY] = recency;
        r[T] = t;
        r[MONETARY_VALUE] = monetary;
        r[N_PERIODS] = n;
        r[TOTAL_VALUE] = total;
        r[INACTIVITY] = t - recency;
        r[GAP_BEFORE_LAST] = if n > 1.0 {
            self.units(second_p, last_p)
        } else {
            f64::NAN
        };
        (first_ns, last_ns)
    }
}
