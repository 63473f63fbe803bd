//! Churn data set from a transaction log, one row per customer.
//!
//! Transactions are floored to their `freq` period (as in `summary.rs`) and times are in
//! `freq` units from the customer's first purchase period. With purchase periods
//! u_0 = 0 < u_1 < ... < u_m and the observation end at age T, the customer churns at the
//! FIRST purchase u_i after which a full `threshold` passes without a purchase:
//! (u_i, u_i + threshold] holds no purchase and u_i + threshold <= T. Then
//! `duration = u_i + threshold` and `event = 1`; otherwise `duration = T`, `event = 0`
//! (censored: still active, or inactive for less than the threshold). A purchase exactly at
//! u_i + threshold keeps the customer alive. Later reactivations do not undo the first churn.
//!
//! Covariates describe the customer's first `window` time units, [0, window): repeat purchase
//! periods (`frequency`), age at the last purchase in the window (`recency`), mean value of
//! those repeat periods (`monetary_value`, 0 without one) and the value of the first period
//! (`first_value`). With window <= threshold they are known before any churn can happen.

use rayon::prelude::*;

use crate::error::{check_same_length, ClmError, Result};
use crate::numeric::buckets::Buckets;
use crate::summary::Freq;

#[derive(Debug, Clone, Copy)]
pub struct ChurnOptions {
    pub freq: Freq,
    pub observation_end_ns: i64,
    /// Inactivity threshold in `freq` units.
    pub threshold: f64,
    /// Covariate window in `freq` units.
    pub window: f64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChurnDataset {
    pub customer: Vec<i64>,
    pub duration: Vec<f64>,
    pub event: Vec<f64>,
    pub first_purchase_ns: Vec<i64>,
    pub last_purchase_ns: Vec<i64>,
    pub frequency: Vec<f64>,
    pub recency: Vec<f64>,
    pub monetary_value: Vec<f64>,
    pub first_value: Vec<f64>,
}

struct Row {
    duration: f64,
    event: f64,
    first_ns: i64,
    last_ns: i64,
    frequency: f64,
    recency: f64,
    monetary_value: f64,
    first_value: f64,
}

pub fn churn_dataset(
    codes: &[i64],
    n_customers: usize,
    times_ns: &[i64],
    values: Option<&[f64]>,
    opts: &ChurnOptions,
) -> Result<ChurnDataset> {
    check_same_length(&[("customer ids", codes.len()), ("datetimes", times_ns.len())])?;
    if let Some(v) = values {
        check_same_length(&[("customer ids", codes.len()), ("monetary values", v.len())])?;
        crate::error::check_finite("monetary values", v)?;
    }
    for (name, v) in [
        ("inactivity_threshold", opts.threshold),
        ("covariate_window", opts.window),
    ] {
        if !(v.is_finite() && v > 0.0) {
            return Err(ClmError::InvalidArgument(format!(
                "{name} must be a positive number of periods, got {v}"
            )));
        }
    }
    let end_period = opts.freq.period_start(opts.observation_end_ns);
    let periods: Vec<i64> = times_ns
        .par_iter()
        .with_min_len(crate::numeric::grain::ITEMS_MAP)
        .map(|&t| opts.freq.period_start(t))
        .collect();
    // (period start, timestamp, value) of each transaction up to the end, by customer.
    let mut buckets = Buckets::by_code(codes, n_customers, |i| {
        (periods[i] <= end_period).then(|| (periods[i], times_ns[i], values.map_or(0.0, |v| v[i])))
    })?;
    let scale = 1.0 / opts.freq.unit_ns();
    let rows: Vec<Option<Row>> = buckets
        .buckets_mut()
        .into_par_iter()
        .with_min_len(crate::numeric::grain::ITEMS_COSTLY)
        .map(|txns| churn_row(txns, end_period, scale, opts))
        .collect();
    let mut out = ChurnDataset::default();
    for (code, row) in rows.into_iter().enumerate() {
        if let Some(r) = row {
            out.customer.push(code as i64);
            out.duration.push(r.duration);
            out.event.push(r.event);
            out.first_purchase_ns.push(r.first_ns);
            out.last_purchase_ns.push(r.last_ns);
            out.frequency.push(r.frequency);
            out.recency.push(r.recency);
            out.monetary_value.push(r.monetary_value);
            out.first_value.push(r.first_value);
        }
    }
    Ok(out)
}

fn churn_row(
    txns: &mut [(i64, i64, f64)],
    end_period: i64,
    scale: f64,
    opts: &ChurnOptions,
) -> Option<Row> {
    if txns.is_empty() {
        return None;
    }
    txns.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then(a.2.total_cmp(&b.2)));
    let first_period = txns[0].0;
    let age = |period: i64| (period - first_period) as f64 * scale;
    let t_end = age(end_period);
    // Distinct purchase periods with their summed values.
    let mut periods: Vec<(f64, f64)> = Vec::new();
    for &(period, _, value) in txns.iter() {
        let u = age(period);
        match periods.last_mut() {
            Some(last) if last.0 == u => last.1 += value,
            _ => periods.push((u, value)),
        }
    }
    let mut duration = t_end;
    let mut event = 0.0;
    for (k, &(u, _)) in periods.iter().enumerate() {
        let next = periods.get(k + 1).map_or(f64::INFINITY, |p| p.0);
        if next > u + opts.threshold && u + opts.threshold <= t_end {
            duration = u + opts.threshold;
            event = 1.0;
            break;
        }
    }
    let early: Vec<&(f64, f64)> = periods.iter().filter(|p| p.0 < opts.window).collect();
    let repeats = early.len() - 1;
    let repeat_value: f64 = early[1..].iter().map(|p| p.1).sum();
    Some(Row {
        duration,
        event,
        first_ns: txns[0].1,
        last_ns: txns.iter().map(|x| x.1).max().unwrap_or(txns[0].1),
        frequency: repeats as f64,
        recency: early.last().map_or(0.0, |p| p.0),
        monetary_value: if repeats > 0 {
            repeat_value / repeats as f64
        } else {
            0.0
        },
        first_value: periods[0].1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000_000_000;

    fn opts(end_day: i64, threshold: f64) -> ChurnOptions {
        ChurnOptions {
            freq: Freq::Day,
            observation_end_ns: end_day * DAY,
            threshold,
            window: threshold,
        }
    }

    #[test]
    fn first_long_gap_is_the_churn() {
        // customer 0: days 0, 5, 20, 22; threshold 10 -> churns at 5 + 10 = 15
        // customer 1: days 3, 13 (gap exactly 10: alive), then 13 + 10 = 23 <= 30 -> churns at age 20
        // customer 2: day 25; 25 + 10 > 30 -> censored at age 5
        let codes = [0, 0, 0, 0, 1, 1, 2];
        let days = [0, 5, 20, 22, 3, 13, 25];
        let times: Vec<i64> = days.iter().map(|d| d * DAY).collect();
        let values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
        let d = churn_dataset(&codes, 3, &times, Some(&values), &opts(30, 10.0)).unwrap();
        assert_eq!(d.duration, vec![15.0, 20.0, 5.0]);
        assert_eq!(d.event, vec![1.0, 1.0, 0.0]);
        // window [0, 10): customer 0 has days 0 and 5
        assert_eq!(d.frequency, vec![1.0, 0.0, 0.0]);
        assert_eq!(d.recency, vec![5.0, 0.0, 0.0]);
        assert_eq!(d.monetary_value, vec![2.0, 0.0, 0.0]);
        assert_eq!(d.first_value, vec![1.0, 5.0, 7.0]);
    }

    #[test]
    fn transactions_after_the_end_are_ignored() {
        let d = churn_dataset(&[0, 0], 1, &[0, 40 * DAY], None, &opts(30, 10.0)).unwrap();
        assert_eq!((d.duration[0], d.event[0]), (10.0, 1.0));
        assert!(churn_dataset(&[0], 1, &[0], None, &opts(30, 0.0)).is_err());
    }
}
