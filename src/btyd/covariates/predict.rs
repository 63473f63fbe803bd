//! Predictions of a covariate fit: each customer's natural parameters from their covariate
//! row, then the plain model's closed forms for one customer (the same functions the
//! covariate-free kernels map), in parallel.

use super::CovariateFit;
use crate::btyd::predict::count_model;
use crate::btyd::validate::{check_count, check_horizon};
use crate::btyd::{bgbb, check_params, gammagamma, paretonbd, ModelKind, MAX_PARAMS};
use crate::error::{check_same_length, ClmError, Result};
use crate::parallel;

/// What to predict, with its scalar arguments.
#[derive(Debug, Clone, Copy)]
pub enum Quantity {
    /// Count models: P(alive) (BG/BB: at `ahead` opportunities on).
    PAlive { ahead: f64 },
    /// E[purchases in the next `t`] (BG/BB: `t` opportunities).
    ConditionalExpected { t: f64 },
    /// P(n purchases in the next `t`) (count models).
    ConditionalProbability { t: f64, n: f64 },
    /// A new customer's E[purchases in `t`] (BG/BB: `t` opportunities).
    Expected { t: f64 },
    /// A new customer's P(n purchases in `t`).
    Probability { t: f64, n: f64 },
    /// Pareto/NBD DERT at continuous discount rate `delta` over `horizon`.
    Dert { delta: f64, horizon: f64 },
    /// Gamma-Gamma: E[spend | x, m].
    ConditionalSpend,
    /// Gamma-Gamma: mean spend of a new customer.
    Spend,
}

impl CovariateFit {
    /// Natural parameters of each row of `z` (row-major, rows x covariate columns), rows x k.
    pub fn customer_params(&self, z: &[f64]) -> Result<Vec<f64>> {
        let n_cov = self.spec.names.len();
        if n_cov == 0 || !z.len().is_multiple_of(n_cov) {
            return Err(ClmError::InvalidArgument(format!(
                "covariates must have the {n_cov} fitted columns {:?}",
                self.spec.names
            )));
        }
        let n = z.len() / n_cov;
        super::check_covariates(&self.spec, z, n)?;
        let layout = self.layout()?;
        let k = layout.k;
        let (base, coefs) = self.fit.params.split_at(k);
        let mut out = vec![0.0; n * k];
        for (row, p) in z.chunks_exact(n_cov).zip(out.chunks_exact_mut(k)) {
            layout.params_at(base, coefs, row, p);
        }
        if let Some(i) = out.iter().position(|v| !(v.is_finite() && *v > 0.0)) {
            return Err(ClmError::invalid_value(
                "covariates",
                i / k,
                out[i],
                "gives a parameter outside (0, inf): covariate values far outside the data",
            ));
        }
        Ok(out)
    }

    /// `quantity` per customer: `columns` are the model's data columns (empty for new
    /// customers), `z` their covariate rows.
    pub fn predict(&self, quantity: Quantity, columns: &[&[f64]], z: &[f64]) -> Result<Vec<f64>> {
        let params = self.customer_params(z)?;
        let k = self.param_names.len();
        let n = params.len() / k;
        let kind = self.model;
        let model = kind.model();
        let conditional = !matches!(
            quantity,
            Quantity::Expected { .. } | Quantity::Probability { .. } | Quantity::Spend
        );
        if conditional {
            if columns.len() != model.columns().len() {
                return Err(ClmError::InvalidArgument(format!(
                    "expected the data columns {:?}",
                    model.columns()
                )));
            }
            let mut lengths: Vec<(&str, usize)> = model
                .columns()
                .iter()
                .zip(columns)
                .map(|(name, c)| (*name, c.len()))
                .collect();
            lengths.push(("covariates", n));
            check_same_length(&lengths)?;
            if kind == ModelKind::GammaGamma {
                gammagamma::check_spend_data(&params[..k], columns[0], columns[1])?;
            } else {
                model.check_data(columns)?;
            }
        }
        check_quantity(quantity)?;
        let col = |c: usize, i: usize| columns[c][i];
        parallel::try_map(n, |i| {
            let p = &params[i * k..(i + 1) * k];
            check_params(model.names(), p)?;
            let mut q = [0.0; MAX_PARAMS];
            q[..k].copy_from_slice(p);
            let four = [q[0], q[1], q[2], q[3]];
            Ok(match (kind, quantity) {
                (ModelKind::GammaGamma, Quantity::ConditionalSpend) => {
                    gammagamma::conditional_expected_spend(p, col(0, i), col(1, i))
                }
                (ModelKind::GammaGamma, Quantity::Spend) => gammagamma::expected_spend(p),
                (ModelKind::Bgbb, Quantity::PAlive { ahead }) => {
                    bgbb::p_alive(&four, col(0, i), col(1, i), col(2, i), ahead)
                }
                (ModelKind::Bgbb, Quantity::ConditionalExpected { t }) => {
                    bgbb::conditional_expected_purchases(&four, t, col(0, i), col(1, i), col(2, i))
                }
                (ModelKind::Bgbb, Quantity::Expected { t }) => bgbb::expected_purchases(&four, t),
                (ModelKind::Bgbb, Quantity::Probability { t, n }) => {
                    bgbb::probability_of_n_purchases(&four, t, n)
                }
                (ModelKind::ParetoNbd, Quantity::Dert { delta, horizon }) => paretonbd::dert_rows(
                    &four,
                    delta,
                    horizon,
                    &[col(0, i)],
                    &[col(1, i)],
                    &[col(2, i)],
                )?[0],
                (ModelKind::BgNbd | ModelKind::MbgNbd | ModelKind::ParetoNbd, _) => {
                    let m = count_model(kind)?;
                    match quantity {
                        Quantity::PAlive { .. } => m.p_alive(p, col(0, i), col(1, i), col(2, i)),
                        Quantity::ConditionalExpected { t } => {
                            m.conditional_expected_purchases(p, t, col(0, i), col(1, i), col(2, i))?
                        }
                        Quantity::ConditionalProbability { t, n } => m
                            .conditional_probability_of_n_purchases(
                                p,
                                t,
                                n,
                                col(0, i),
                                col(1, i),
                                col(2, i),
                            ),
                        Quantity::Expected { t } => m.expected_purchases(p, t)?,
                        Quantity::Probability { t, n } => m.probability_of_n_purchases(p, t, n),
                        _ => return Err(unsupported(kind, quantity)),
                    }
                }
                (ModelKind::Bgbb | ModelKind::GammaGamma, _) => {
                    return Err(unsupported(kind, quantity))
                }
            })
        })
    }
}

fn unsupported(model: ModelKind, quantity: Quantity) -> ClmError {
    ClmError::InvalidArgument(format!("{model} does not predict {quantity:?}"))
}

fn check_quantity(quantity: Quantity) -> Result<()> {
    match quantity {
        Quantity::PAlive { ahead } => check_count("periods_ahead", ahead),
        Quantity::ConditionalExpected { t } | Quantity::Expected { t } => check_horizon("t", t),
        Quantity::ConditionalProbability { t, n } | Quantity::Probability { t, n } => {
            check_horizon("t", t)?;
            check_count("n", n)
        }
        _ => Ok(()),
    }
}
