//! Per-customer quantities of a covariate fit beyond [`predict`](super::predict): each
//! customer's log-likelihood and discounted expected purchases, both at the customer's own
//! natural parameters (base parameters scaled by exp(+-z'g), [`Layout::params_at`]).
//!
//! [`Layout::params_at`]: super::layout::Layout::params_at

use super::CovariateFit;
use crate::btyd::predict::count_model;
use crate::btyd::{check_columns, Model, MAX_PARAMS};
use crate::clv::Schedule;
use crate::error::{check_same_length, Result};
use crate::parallel;

impl CovariateFit {
    /// Each customer's natural parameters (row-major, `k` per customer, `n` customers) after
    /// checking the data columns and that they have one row per covariate row.
    fn checked_params<M: Model + ?Sized>(
        &self,
        model: &M,
        columns: &[&[f64]],
        z: &[f64],
    ) -> Result<(Vec<f64>, usize, usize)> {
        check_columns(model, columns)?;
        let params = self.customer_params(z)?;
        let k = self.param_names.len();
        let n = params.len() / k;
        check_same_length(&[("data", columns[0].len()), ("covariates", n)])?;
        model.check_data(columns)?;
        Ok((params, k, n))
    }

    /// Log-likelihood of each customer's data row (`columns`, the model's data columns) at
    /// their own parameters (covariate rows `z`): the terms whose sum is the fit's
    /// log-likelihood (without the penalties) when the data are the fit's.
    pub fn loglik_rows(&self, columns: &[&[f64]], z: &[f64]) -> Result<Vec<f64>> {
        let model = self.model.model();
        let (params, k, n) = self.checked_params(model, columns, z)?;
        parallel::try_map(n, |i| {
            let mut row = [0.0; MAX_PARAMS];
            for (r, c) in row.iter_mut().zip(columns) {
                *r = c[i];
            }
            let mut g = [0.0; MAX_PARAMS];
            let p = &params[i * k..(i + 1) * k];
            Ok(model.loglik_grad(p, &row[..columns.len()], &mut g[..k]))
        })
    }

    /// sum_j weights_j E_i[Y(times_j)] per customer, with the discounting schedule of
    /// `crate::clv` (`horizon` periods of length `period`, `discount_rate` per period, per
    /// period or continuous): the CLV of customer i per unit of spend, at their own
    /// parameters. Count models only (`columns` = frequency, recency, T).
    pub fn discounted_purchases(
        &self,
        columns: &[&[f64]],
        z: &[f64],
        horizon: usize,
        period: f64,
        discount_rate: f64,
        continuous: bool,
    ) -> Result<Vec<f64>> {
        let model = count_model(self.model)?;
        let schedule = Schedule::new(horizon, period, discount_rate, continuous)?;
        let (params, k, n) = self.checked_params(model, columns, z)?;
        let (x, tx, t) = (columns[0], columns[1], columns[2]);
        parallel::try_map(n, |i| {
            let mut expected = vec![0.0; schedule.times.len()];
            let p = &params[i * k..(i + 1) * k];
            model.conditional_expected_purchases_many(
                p,
                &schedule.times,
                x[i],
                tx[i],
                t[i],
                &mut expected,
            )?;
            Ok(expected
                .iter()
                .zip(&schedule.weights)
                .map(|(e, w)| e * w)
                .sum())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{fit, CovariateSpec};
    use crate::btyd::{loglik_rows, FitOptions, ModelKind};

    fn spec() -> CovariateSpec {
        CovariateSpec {
            names: vec!["z".into()],
            purchase: vec!["z".into()],
            dropout: vec!["z".into()],
            ..CovariateSpec::default()
        }
    }

    #[test]
    fn per_customer_loglik_is_the_plain_loglik_at_the_customers_parameters() {
        let x = [0.0, 1.0, 3.0, 2.0, 0.0, 5.0, 1.0, 4.0];
        let tx = [0.0, 10.0, 30.0, 20.0, 0.0, 35.0, 5.0, 38.0];
        let t = [40.0, 40.0, 39.0, 38.0, 40.0, 39.0, 40.0, 39.0];
        let z = [0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0];
        let cols: [&[f64]; 3] = [&x, &tx, &t];
        let saved = fit(
            ModelKind::BgNbd,
            &cols,
            None,
            &z,
            &spec(),
            &FitOptions::default(),
            None,
        )
        .unwrap();
        let rows = saved.loglik_rows(&cols, &z).unwrap();
        let params = saved.customer_params(&z).unwrap();
        for i in 0..x.len() {
            let one: [&[f64]; 3] = [&x[i..=i], &tx[i..=i], &t[i..=i]];
            let plain = loglik_rows(ModelKind::BgNbd, &params[i * 4..i * 4 + 4], &one).unwrap()[0];
            assert!(
                (rows[i] - plain).abs() < 1e-12,
                "{i}: {} vs {plain}",
                rows[i]
            );
        }
        let total: f64 = rows.iter().sum();
        assert!((total - saved.fit.log_likelihood).abs() < 1e-8 * total.abs());
    }
}
