//! Per-customer summary of a transaction log, with the semantics of lifetimes'
//! `summary_data_from_transaction_data`: transactions are floored to their `freq` period,
//! those in one period merge (values summed), and times are differences of period starts
//! divided by numpy's length of one `freq` unit and by `freq_multiplier`.

mod checks;
mod finish;
pub mod freq;
pub mod kernel;
mod layout;
mod recount;
mod rows;
mod scan;
pub mod slots;

pub use freq::{civil_from_days, days_from_civil, Freq};
pub use layout::FIELDS;

use crate::error::{check_same_length, Result};

#[derive(Debug, Clone, Copy)]
pub struct SummaryOptions {
    pub freq: Freq,
    pub freq_multiplier: f64,
    pub include_first_transaction: bool,
    /// Observation end (ns); transactions in later periods are ignored.
    pub observation_end_ns: i64,
}

/// One row per customer code that has a transaction in the observation window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerSummary {
    /// Customer codes (indices into the caller's unique ids) of the rows below, ascending.
    pub customer: Vec<i64>,
    pub frequency: Vec<f64>,
    pub recency: Vec<f64>,
    pub t: Vec<f64>,
    pub monetary_value: Vec<f64>,
    pub n_periods: Vec<f64>,
    pub total_value: Vec<f64>,
    /// Time between the last two distinct purchase periods (NaN for one-period customers).
    pub gap_before_last: Vec<f64>,
    pub first_purchase_ns: Vec<i64>,
    pub last_purchase_ns: Vec<i64>,
}

/// Summarises a log given as customer codes in `0..n_customers`, timestamps in ns and
/// optional values (`None` = every transaction worth 0).
pub fn summarize(
    codes: &[i64],
    n_customers: usize,
    times_ns: &[i64],
    values: Option<&[f64]>,
    opts: &SummaryOptions,
) -> Result<CustomerSummary> {
    check_same_length(&[("customer ids", codes.len()), ("datetimes", times_ns.len())])?;
    let (slots, n_slots) = slots::from_codes(codes, n_customers)?;
    let log = kernel::Log {
        slots: &slots,
        n_slots,
        times: times_ns,
        ticks_per_second: 1_000_000_000,
        values,
    };
    let kopts = kernel::Options {
        freq: opts.freq,
        freq_multiplier: opts.freq_multiplier,
        include_first_transaction: opts.include_first_transaction,
        observation_end_ns: Some(opts.observation_end_ns),
        last_tick: None,
    };
    let table = kernel::run(&log, &kopts)?;
    let rows = table.rows();
    let column = |k: usize| rows.iter().map(|r| r[k]).collect::<Vec<f64>>();
    Ok(CustomerSummary {
        customer: table.id_vec(),
        frequency: column(kernel::FREQUENCY),
        recency: column(kernel::RECENCY),
        t: column(kernel::T),
        monetary_value: column(kernel::MONETARY_VALUE),
        n_periods: column(kernel::N_PERIODS),
        total_value: column(kernel::TOTAL_VALUE),
        gap_before_last: column(kernel::GAP_BEFORE_LAST),
        first_purchase_ns: table.first_ns.clone(),
        last_purchase_ns: table.last_ns.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::freq::{NS_PER_DAY, NS_PER_HOUR};
    use super::*;

    const DAY: i64 = NS_PER_DAY;

    fn day_of(y: i64, m: u32, d: u32) -> i64 {
        days_from_civil(y, m, d) * DAY
    }

    fn opts(freq: Freq, end: i64) -> SummaryOptions {
        SummaryOptions {
            freq,
            freq_multiplier: 1.0,
            include_first_transaction: false,
            observation_end_ns: end,
        }
    }

    #[test]
    fn civil_round_trip() {
        for days in [-800_000i64, -1, 0, 59, 365, 10_956, 20_000, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn period_starts_follow_pandas() {
        let t = day_of(1997, 9, 30) + 5 * NS_PER_HOUR + 17; // a Tuesday
        assert_eq!(Freq::Day.period_start(t), day_of(1997, 9, 30));
        assert_eq!(Freq::Week.period_start(t), day_of(1997, 9, 29)); // Monday
        assert_eq!(
            Freq::Week.period_start(day_of(1997, 9, 28)),
            day_of(1997, 9, 22)
        ); // Sunday
        assert_eq!(Freq::Month.period_start(t), day_of(1997, 9, 1));
        assert_eq!(Freq::Year.period_start(t), day_of(1997, 1, 1));
        assert_eq!(
            Freq::Hour.period_start(t),
            day_of(1997, 9, 30) + 5 * NS_PER_HOUR
        );
        assert_eq!(Freq::Day.period_start(-1), -DAY);
    }

    #[test]
    fn same_period_merges_and_first_period_is_excluded_from_value() {
        // customer 0: two buys on day 0 (10 + 5), one on day 3 (7), one on day 10 (9)
        let codes = [0, 0, 0, 0, 1];
        let times = [0, 3 * DAY, 2 * NS_PER_HOUR, 10 * DAY, 4 * DAY];
        let values = [10.0, 7.0, 5.0, 9.0, 2.0];
        let s = summarize(&codes, 2, &times, Some(&values), &opts(Freq::Day, 12 * DAY)).unwrap();
        assert_eq!(s.customer, vec![0, 1]);
        assert_eq!(s.frequency, vec![2.0, 0.0]);
        assert_eq!(s.recency, vec![10.0, 0.0]);
        assert_eq!(s.t, vec![12.0, 8.0]);
        assert_eq!(s.monetary_value, vec![8.0, 0.0]);
        assert_eq!(s.total_value, vec![31.0, 2.0]);
        assert_eq!(s.n_periods, vec![3.0, 1.0]);
        assert_eq!(s.gap_before_last[0], 7.0);
        assert!(s.gap_before_last[1].is_nan());
        assert_eq!(s.first_purchase_ns[0], 0);
        assert_eq!(s.last_purchase_ns[0], 10 * DAY);
    }

    #[test]
    fn repeat_values_are_summed_not_total_minus_first() {
        // (total - first) / 2 = (1e13 + 0.1 + 0.2 - 1e13) / 2 = 0.1494..., not 0.15; the
        // same in log order and with the large first purchase arriving last.
        let values = [1e13, 0.10, 0.20];
        for (times, vals) in [
            ([0, DAY, 2 * DAY], values),
            ([DAY, 2 * DAY, 0], [0.10, 0.20, 1e13]),
        ] {
            let s = summarize(
                &[0, 0, 0],
                1,
                &times,
                Some(&vals),
                &opts(Freq::Day, 3 * DAY),
            )
            .unwrap();
            assert!((s.monetary_value[0] - 0.15).abs() < 1e-15, "{s:?}");
            assert_eq!(s.total_value[0], 1e13 + 0.30000000000000004);
        }
    }

    #[test]
    fn transactions_after_the_end_are_ignored_and_empty_customers_dropped() {
        let codes = [0, 0, 1];
        let times = [0, 20 * DAY, 30 * DAY];
        let s = summarize(&codes, 2, &times, None, &opts(Freq::Day, 10 * DAY)).unwrap();
        assert_eq!(s.customer, vec![0]);
        assert_eq!(s.frequency, vec![0.0]);
        assert_eq!(s.t, vec![10.0]);
    }

    #[test]
    fn include_first_and_multiplier() {
        let codes = [0, 0];
        let times = [0, 14 * DAY];
        let values = [4.0, 6.0];
        let mut o = opts(Freq::Day, 21 * DAY);
        o.include_first_transaction = true;
        o.freq_multiplier = 7.0;
        let s = summarize(&codes, 1, &times, Some(&values), &o).unwrap();
        assert_eq!(s.frequency, vec![2.0]);
        assert_eq!(s.recency, vec![2.0]);
        assert_eq!(s.t, vec![3.0]);
        assert_eq!(s.monetary_value, vec![5.0]);
    }

    #[test]
    fn months_use_numpy_average_month_length() {
        let codes = [0, 0];
        let times = [day_of(2020, 1, 15), day_of(2020, 3, 2)];
        let s = summarize(
            &codes,
            1,
            &times,
            None,
            &opts(Freq::Month, day_of(2020, 3, 31)),
        )
        .unwrap();
        let days = (day_of(2020, 3, 1) - day_of(2020, 1, 1)) as f64 / DAY as f64;
        assert!((s.recency[0] - days / 30.436875).abs() < 1e-12);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert!(summarize(&[0, 5], 2, &[0, 0], None, &opts(Freq::Day, 0)).is_err());
        assert!(summarize(&[0], 1, &[0, 0], None, &opts(Freq::Day, 0)).is_err());
        assert!(Freq::parse("Q").is_err());
    }
}
