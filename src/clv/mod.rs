//! Discounted customer lifetime value from a purchase-count model and a spend per purchase.
//!
//! CLV = spend x sum over discounting periods k = 1..H of (E[Y(kP)] - E[Y((k-1)P)]) / (1 + d)^k,
//! where E[Y(t)] is the conditional expected number of purchases in (T, T + t]. This is
//! lifetimes' `customer_lifetime_value(time=H, discount_rate=d, freq=...)` with P its period
//! (30 days for freq="D"). Summation by parts turns it into a weighted sum of E[Y] at the
//! period ends, so each customer needs H expectations. The continuous version integrates
//! dE[Y(u)] (1 + d)^(-u/P) over [0, HP].

use crate::btyd::gammagamma;
use crate::btyd::predict::{CountModel, Rows};
use crate::error::{check_finite, check_same_length, first_invalid, ClmError, Result};
use crate::parallel;

mod grouped;
mod next_purchase;
mod schedule;

pub use next_purchase::time_to_expected_purchases;
pub use schedule::{Schedule, MAX_HORIZON};

/// Spend per purchase of each customer.
pub enum Spend<'a> {
    /// One value per customer.
    Values(&'a [f64]),
    /// Gamma-Gamma conditional expected spend (note 025 eq. 5) from (p, q, v) and each
    /// customer's mean monetary value, computed in the CLV pass instead of as a separate array.
    /// Customers without a usable spend history (no repeat purchase, or a mean repeat spend
    /// <= 0 from refunds, which Gamma-Gamma's positive spends cannot describe) get the
    /// model's population mean, eq. 5 with x = 0: p v / (q - 1).
    GammaGamma {
        params: &'a [f64],
        monetary: &'a [f64],
    },
}

impl Spend<'_> {
    fn check(&self, x: &[f64]) -> Result<()> {
        match self {
            Spend::Values(s) => {
                check_same_length(&[("frequency", x.len()), ("spend", s.len())])?;
                check_finite("spend", s)
            }
            Spend::GammaGamma { params, monetary } => {
                crate::btyd::check_params(&["p", "q", "v"], params)?;
                check_same_length(&[("frequency", x.len()), ("monetary_value", monetary.len())])?;
                first_invalid("frequency", x, "must be a whole number >= 0", |v| {
                    !(v.is_finite() && v >= 0.0 && v.fract() == 0.0)
                })?;
                match (0..x.len()).find(|&i| x[i] > 0.0 && !monetary[i].is_finite()) {
                    Some(i) => Err(ClmError::invalid_value(
                        "monetary_value",
                        i,
                        monetary[i],
                        "must be finite for repeat buyers",
                    )),
                    None => Ok(()),
                }
            }
        }
    }

    fn at(&self, i: usize, x: f64) -> f64 {
        match self {
            Spend::Values(s) => s[i],
            Spend::GammaGamma { params, monetary } => {
                let usable = x > 0.0 && monetary[i] > 0.0;
                let (x, m) = if usable { (x, monetary[i]) } else { (0.0, 0.0) };
                gammagamma::conditional_expected_spend(params, x, m)
            }
        }
    }
}

/// CLV of each customer: spend[i] x sum_j weights[j] E[Y_i(times[j])].
pub fn customer_lifetime_value(
    model: &dyn CountModel,
    params: &[f64],
    rows: &Rows,
    spend: &Spend,
    schedule: &Schedule,
) -> Result<Vec<f64>> {
    spend.check(rows.x)?;
    crate::btyd::check_params(model.names(), params)?;
    model.check_data(&[rows.x, rows.tx, rows.t])?;
    // An empty probe asks the model whether it factorises without computing anything.
    let factorises = !rows.x.is_empty()
        && model
            .alive_window_expectations(params, &[], 1.0, 1.0, &mut [])
            .is_some();
    if factorises && rows.x.len() < u32::MAX as usize {
        return grouped::customer_lifetime_value(model, params, rows, spend, schedule);
    }
    per_customer(model, params, rows, spend, schedule)
}

/// CLV with the expectations evaluated for each customer (checked data).
fn per_customer(
    model: &dyn CountModel,
    params: &[f64],
    rows: &Rows,
    spend: &Spend,
    schedule: &Schedule,
) -> Result<Vec<f64>> {
    parallel::try_map(rows.x.len(), |i| {
        let mut expected = vec![0.0; schedule.times.len()];
        model.conditional_expected_purchases_many(
            params,
            &schedule.times,
            rows.x[i],
            rows.tx[i],
            rows.t[i],
            &mut expected,
        )?;
        Ok(spend.at(i, rows.x[i]) * weighted_total(&expected, 1.0, &schedule.weights))
    })
}

/// sum_j (e_j alive) w_j, in the order the per-customer path multiplies, so the grouped
/// and per-customer paths give the same bits.
fn weighted_total(expected: &[f64], alive: f64, weights: &[f64]) -> f64 {
    expected
        .iter()
        .zip(weights)
        .map(|(e, w)| e * alive * w)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btyd::bgnbd::BgNbd;

    const P: [f64; 4] = [0.2425945, 4.4136019 * 7.0, 0.7929199, 2.4258881];

    #[test]
    fn discrete_schedule_equals_lifetimes_loop() {
        let (x, tx, t) = ([2.0, 0.0, 7.0], [213.0, 0.0, 250.0], [272.0, 100.0, 270.0]);
        let rows = Rows {
            x: &x,
            tx: &tx,
            t: &t,
        };
        let spend = [30.0, 20.0, 55.0];
        let s = Schedule::new(12, 30.0, 0.01, false).unwrap();
        let clv = customer_lifetime_value(&BgNbd, &P, &rows, &Spend::Values(&spend), &s).unwrap();
        for i in 0..3 {
            let e = |u: f64| {
                crate::btyd::bgnbd::conditional_expected_purchases(&P, u, x[i], tx[i], t[i])
                    .unwrap()
            };
            let mut direct = 0.0;
            for k in 1..=12 {
                let k = k as f64;
                direct += spend[i] * (e(30.0 * k) - e(30.0 * (k - 1.0))) / 1.01f64.powf(k);
            }
            assert!(
                (clv[i] - direct).abs() < 1e-10 * direct,
                "{} vs {direct}",
                clv[i]
            );
        }
    }

    #[test]
    fn continuous_discounting_is_close_to_fine_discrete_discounting() {
        let rows = Rows {
            x: &[3.0],
            tx: &[200.0],
            t: &[260.0],
        };
        let cont = Schedule::new(12, 30.0, 0.01, true).unwrap();
        let c =
            customer_lifetime_value(&BgNbd, &P, &rows, &Spend::Values(&[1.0]), &cont).unwrap()[0];
        // Daily discounting periods with the equivalent daily rate approach the integral.
        let daily = Schedule::new(360, 1.0, 1.01f64.powf(1.0 / 30.0) - 1.0, false).unwrap();
        let d =
            customer_lifetime_value(&BgNbd, &P, &rows, &Spend::Values(&[1.0]), &daily).unwrap()[0];
        assert!((c - d).abs() < 2e-3 * c, "{c} vs {d}");
        // Without discounting, both are E[Y(360)].
        let flat = Schedule::new(12, 30.0, 0.0, true).unwrap();
        let f =
            customer_lifetime_value(&BgNbd, &P, &rows, &Spend::Values(&[1.0]), &flat).unwrap()[0];
        let e = crate::btyd::bgnbd::conditional_expected_purchases(&P, 360.0, 3.0, 200.0, 260.0)
            .unwrap();
        assert!((f - e).abs() < 1e-12);
    }

    #[test]
    fn grouped_path_equals_per_customer_path_bit_for_bit() {
        // Many repeated (x, T) with different recencies, and a Gamma-Gamma spend.
        let n = 20_000;
        let x: Vec<f64> = (0..n).map(|i| ((i * 7) % 13) as f64).collect();
        let t: Vec<f64> = (0..n).map(|i| 30.0 + ((i * 11) % 50) as f64).collect();
        let tx: Vec<f64> = (0..n)
            .map(|i| {
                if x[i] > 0.0 {
                    ((i * 5) % 30) as f64
                } else {
                    0.0
                }
            })
            .collect();
        let monetary: Vec<f64> = (0..n)
            .map(|i| {
                if x[i] > 0.0 {
                    5.0 + (i % 17) as f64
                } else {
                    -1.0
                }
            })
            .collect();
        let rows = Rows {
            x: &x,
            tx: &tx,
            t: &t,
        };
        let gg = [6.25, 3.74, 15.44];
        let spend = Spend::GammaGamma {
            params: &gg,
            monetary: &monetary,
        };
        let s = Schedule::new(12, 30.0, 0.01, false).unwrap();
        for model in [&BgNbd as &dyn CountModel, &crate::btyd::mbgnbd::MbgNbd] {
            let grouped = customer_lifetime_value(model, &P, &rows, &spend, &s).unwrap();
            let direct = per_customer(model, &P, &rows, &spend, &s).unwrap();
            let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&grouped), bits(&direct));
            // Spend from the Gamma-Gamma kernel as a separate array gives the same values.
            let values = gammagamma::conditional_expected_spend_many(&gg, &x, &monetary).unwrap();
            let given =
                customer_lifetime_value(model, &P, &rows, &Spend::Values(&values), &s).unwrap();
            assert_eq!(bits(&grouped), bits(&given));
            let threads = |k: usize| {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(k)
                    .build()
                    .unwrap();
                pool.install(|| customer_lifetime_value(model, &P, &rows, &spend, &s).unwrap())
            };
            assert_eq!(bits(&threads(1)), bits(&threads(2)));
        }
    }

    #[test]
    fn customers_without_usable_spend_get_the_population_mean() {
        // Row 1 is a repeat buyer whose mean spend is <= 0 (refunds), row 2 a one-time buyer:
        // both are valued with p v / (q - 1), the Gamma-Gamma mean of a new customer.
        let gg = [6.25, 3.74, 15.44];
        let rows = Rows {
            x: &[2.0, 3.0, 0.0],
            tx: &[20.0, 25.0, 0.0],
            t: &[30.0, 30.0, 30.0],
        };
        let s = Schedule::new(3, 10.0, 0.0, false).unwrap();
        let monetary = [12.0, -4.0, 0.0];
        let spend = Spend::GammaGamma {
            params: &gg,
            monetary: &monetary,
        };
        let clv = customer_lifetime_value(&BgNbd, &P, &rows, &spend, &s).unwrap();
        let mean = gg[0] * gg[2] / (gg[1] - 1.0);
        let purchases = |i: usize| {
            crate::btyd::bgnbd::conditional_expected_purchases(
                &P, 30.0, rows.x[i], rows.tx[i], 30.0,
            )
            .unwrap()
        };
        for i in [1, 2] {
            assert!(
                (clv[i] - mean * purchases(i)).abs() < 1e-9 * clv[i],
                "row {i}"
            );
        }
        let own = gammagamma::conditional_expected_spend(&gg, 2.0, 12.0);
        assert!((clv[0] - own * purchases(0)).abs() < 1e-9 * clv[0]);
    }

    #[test]
    fn grouped_path_reports_the_first_bad_row() {
        // Row 2 asks for a horizon the series cannot sum; rows 0-1 are fine.
        let rows = Rows {
            x: &[1.0, 2.0, 3.0, 3.0],
            tx: &[1.0, 1.0, 2.0, 2.0],
            t: &[5.0, 5.0, 5.0, 5.0],
        };
        let s = Schedule::new(1, 1e300, 0.0, false).unwrap();
        let spend = Spend::Values(&[1.0; 4]);
        let grouped = customer_lifetime_value(&BgNbd, &P, &rows, &spend, &s)
            .unwrap_err()
            .to_string();
        let direct = per_customer(&BgNbd, &P, &rows, &spend, &s)
            .unwrap_err()
            .to_string();
        assert_eq!(grouped, direct);
        let bad_monetary = Spend::GammaGamma {
            params: &[6.25, 3.74, 15.44],
            monetary: &[1.0, f64::NAN, 1.0, 1.0],
        };
        let err = customer_lifetime_value(&BgNbd, &P, &rows, &bad_monetary, &s)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("monetary_value") && err.contains("row 1"),
            "{err}"
        );
    }
}
