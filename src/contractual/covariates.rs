//! Covariates on the churn probability of the sBG and BdW models (individual-level fits).
//!
//! Fader & Hardie (2007, section 6, "How to project customer retention") let the beta
//! mixing distribution depend on customer characteristics through an exponential link:
//!   alpha_i = alpha_0 exp(x_i' gamma_alpha),   beta_i = beta_0 exp(x_i' gamma_beta),
//! so x_i = 0 is the baseline customer; c (BdW) is shared. The likelihood of customer i is
//! the plain one (src/contractual/likelihood.rs) at (alpha_i, beta_i, c), and by the chain
//! rule d ll_i / d ln alpha_0 = alpha_i d ll_i / d alpha_i and
//! d ll_i / d gamma_alpha_j = alpha_i x_ij d ll_i / d alpha_i (the same for beta).
//!
//! The parameter vector theta is [ln alpha_0, ln beta_0, (ln c,) gamma_alpha (k),
//! gamma_beta (k)]. The fit starts from the plain fit (gamma = 0) and runs the shared Newton
//! optimiser with the analytic gradient (a deterministic parallel sum over customers) and a
//! Hessian from central differences of it. Standard errors are those of theta (inverse
//! observed information); the baseline's natural-scale errors follow by the delta method.

use super::fit::{fit as plain_fit, FitOptions};
use super::likelihood::{ln_churn_abc, ln_survival_abc};
use super::tenures::Tenures;
use super::Kind;
use crate::error::{ClmError, Result};
use crate::numeric::linalg;
use crate::numeric::optimize::newton::{self, Evaluation, NewtonOptions};
use crate::numeric::optimize::{norm, numerical_hessian};
use crate::parallel;

/// Largest |x_i' gamma| or |ln parameter| a point may have: beyond it exp() of it is treated as
/// outside the domain (no overflow to inf in the likelihood).
const LINK_LIMIT: f64 = 25.0;

/// Individual customers with a design matrix (row-major, n x k).
pub struct CovariateData<'a> {
    pub renewals: &'a [f64],
    pub churned: &'a [f64],
    pub weights: Option<&'a [f64]>,
    pub x: &'a [f64],
    pub k: usize,
}

impl CovariateData<'_> {
    fn n(&self) -> usize {
        self.renewals.len()
    }

    /// Checks the sizes and that every covariate is finite (naming the first bad row).
    fn check(&self) -> Result<()> {
        if self.k == 0 {
            return Err(ClmError::InvalidArgument(
                "covariates: at least one covariate column is needed".into(),
            ));
        }
        if self.x.len() != self.n() * self.k {
            return Err(ClmError::LengthMismatch(format!(
                "covariates has {} values, expected {} rows x {} columns",
                self.x.len(),
                self.n(),
                self.k
            )));
        }
        check_covariates(self.x, self.k)
    }
}

/// Every covariate finite; the error names the customer's row (not the flat position).
fn check_covariates(x: &[f64], k: usize) -> Result<()> {
    crate::error::check_finite("covariates", x).map_err(|e| match e {
        ClmError::InvalidValue {
            arg,
            row,
            value,
            reason,
        } => ClmError::InvalidValue {
            arg,
            row: row / k.max(1),
            value,
            reason,
        },
        other => other,
    })
}

/// Number of baseline parameters (alpha, beta[, c]).
pub fn n_base(kind: Kind) -> usize {
    kind.param_names().len()
}

/// (alpha_i, beta_i, c) of a customer with covariates `xi` at `theta`.
pub fn individual_abc(kind: Kind, theta: &[f64], xi: &[f64]) -> (f64, f64, f64) {
    let (nb, k) = (n_base(kind), xi.len());
    let dot = |g: &[f64]| -> f64 { g.iter().zip(xi).map(|(a, b)| a * b).sum() };
    let alpha = (theta[0] + dot(&theta[nb..nb + k])).exp();
    let beta = (theta[1] + dot(&theta[nb + k..nb + 2 * k])).exp();
    let c = if kind == Kind::Bdw {
        theta[2].exp()
    } else {
        1.0
    };
    (alpha, beta, c)
}

/// Weighted log-likelihood at `theta`; writes its gradient in theta to `grad`.
pub fn log_likelihood(kind: Kind, theta: &[f64], data: &CovariateData, grad: &mut [f64]) -> f64 {
    let (nb, k) = (n_base(kind), data.k);
    let dim = theta.len();
    let total = parallel::sum_vec(data.n(), dim + 1, |i, acc| {
        let w = data.weights.map_or(1.0, |w| w[i]);
        if w == 0.0 {
            return;
        }
        let xi = &data.x[i * k..(i + 1) * k];
        let (a, b, c) = individual_abc(kind, theta, xi);
        let r = data.renewals[i];
        let (v, d) = if data.churned[i] == 1.0 {
            ln_churn_abc(kind, a, b, c, r + 1.0)
        } else {
            ln_survival_abc(a, b, c, r)
        };
        let (ga, gb) = (w * d[0] * a, w * d[1] * b);
        acc[0] += w * v;
        acc[1] += ga;
        acc[2] += gb;
        if kind == Kind::Bdw {
            acc[3] += w * d[2] * c;
        }
        for j in 0..k {
            acc[1 + nb + j] += ga * xi[j];
            acc[1 + nb + k + j] += gb * xi[j];
        }
    });
    grad.copy_from_slice(&total[1..]);
    total[0]
}

/// A fitted covariate model.
#[derive(Debug, Clone)]
pub struct CovariateFit {
    pub kind: Kind,
    pub k: usize,
    /// [ln alpha_0, ln beta_0, (ln c,) gamma_alpha, gamma_beta].
    pub theta: Vec<f64>,
    pub log_likelihood: f64,
    /// Covariance of theta (row-major); NaN when the information is singular.
    pub covariance: Vec<f64>,
    pub n_iter: usize,
    pub converged: bool,
    pub singular_information: bool,
    pub grad_norm: f64,
    pub n_customers: f64,
}

/// Fits `kind` with covariates on alpha and beta.
pub fn fit(kind: Kind, data: &CovariateData, opts: &FitOptions) -> Result<CovariateFit> {
    // The plain fit validates renewals / churned / weights and gives the starting point.
    let tenures = Tenures::from_customers(data.renewals, data.churned, data.weights)?;
    data.check()?;
    let start = plain_fit(kind, &tenures, opts)?;
    let total_weight = tenures.total_weight();
    let (nb, k) = (n_base(kind), data.k);
    let mut x0: Vec<f64> = start.params.iter().map(|p| p.ln()).collect();
    x0.resize(nb + 2 * k, 0.0);
    let value_grad = |x: &[f64], g: &mut [f64]| -> f64 {
        let ll = log_likelihood(kind, x, data, g);
        g.iter_mut().for_each(|v| *v = -*v / total_weight);
        -ll / total_weight
    };
    let mut eval = |x: &[f64]| -> Result<Option<Evaluation>> {
        parallel::check_interrupt()?;
        if x.iter().any(|v| !v.is_finite() || v.abs() > LINK_LIMIT) {
            return Ok(None);
        }
        let mut gradient = vec![0.0; x.len()];
        let value = value_grad(x, &mut gradient);
        if !value.is_finite() || gradient.iter().any(|g| !g.is_finite()) {
            return Ok(None);
        }
        let mut grad_at = |p: &[f64], g: &mut [f64]| {
            value_grad(p, g);
        };
        let hessian = numerical_hessian(x, 1e-5, &mut grad_at);
        Ok(Some(Evaluation {
            value,
            gradient,
            hessian,
        }))
    };
    let options = NewtonOptions {
        max_iter: if opts.max_iter == 0 {
            100
        } else {
            opts.max_iter
        },
        tol: 1e-14,
        max_halvings: 60,
    };
    let result = newton::minimize(&x0, &options, &mut eval)?;
    let dim = result.x.len();
    let mut g = vec![0.0; dim];
    let ll = log_likelihood(kind, &result.x, data, &mut g);
    let info: Vec<f64> = result.hessian.iter().map(|h| h * total_weight).collect();
    let covariance = linalg::covariance_from_information(&info, &vec![1.0; dim]);
    Ok(CovariateFit {
        kind,
        k,
        singular_information: covariance.iter().any(|v| !v.is_finite())
            || (0..dim).any(|j| covariance[j * dim + j] <= 0.0),
        theta: result.x,
        log_likelihood: ll,
        covariance,
        n_iter: result.n_iter,
        converged: result.converged,
        grad_norm: norm(&g),
        n_customers: total_weight,
    })
}

/// Per-row natural parameters: (alpha_i, beta_i, c) for each row of `x` (n x k).
pub fn individual_params(kind: Kind, theta: &[f64], x: &[f64], k: usize) -> Result<Vec<[f64; 3]>> {
    let nb = n_base(kind);
    if k == 0 || theta.len() != nb + 2 * k || !x.len().is_multiple_of(k) {
        return Err(ClmError::InvalidArgument(format!(
            "covariates: {k} columns do not match the {} fitted coefficients",
            theta.len().saturating_sub(nb)
        )));
    }
    check_covariates(x, k)?;
    Ok(x.chunks(k)
        .map(|xi| {
            let (a, b, c) = individual_abc(kind, theta, xi);
            [a, b, c]
        })
        .collect())
}

/// A per-customer prediction (see [`rowwise`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prediction {
    /// S(t).
    Survival,
    /// r(t) = S(t) / S(t - 1), t >= 1.
    RetentionRate,
    /// Expected further renewals after t renewals.
    ResidualLifetime,
    /// DERL after t renewals at the discount rate.
    Derl,
}

impl Prediction {
    pub fn parse(name: &str) -> Result<Prediction> {
        Ok(match name {
            "survival" => Prediction::Survival,
            "retention_rate" => Prediction::RetentionRate,
            "residual_lifetime" => Prediction::ResidualLifetime,
            "derl" => Prediction::Derl,
            _ => {
                return Err(ClmError::InvalidArgument(format!(
                    "unknown prediction {name:?}"
                )))
            }
        })
    }
}

/// `what` for customer i at its own (alpha_i, beta_i, c) and time `t[i]`: (values, DERL
/// truncation bounds (0 for the other predictions)). Rows in parallel, each with the plain
/// model's formula (src/contractual/predict.rs), so a customer at x = 0 gets exactly the
/// baseline model's prediction.
pub fn rowwise(
    kind: Kind,
    params: &[[f64; 3]],
    t: &[f64],
    what: Prediction,
    discount: f64,
) -> Result<(Vec<f64>, Vec<f64>)> {
    use super::predict;
    use rayon::prelude::*;
    crate::error::check_same_length(&[("covariates", params.len()), ("t", t.len())])?;
    let one = |i: usize| -> Result<(f64, f64)> {
        let p = &params[i][..n_base(kind)];
        let ti = &t[i..i + 1];
        Ok(match what {
            Prediction::Survival => (predict::survival(kind, p, ti)?[0], 0.0),
            Prediction::RetentionRate => (predict::retention_rate(kind, p, ti)?[0], 0.0),
            Prediction::ResidualLifetime => {
                (predict::expected_residual_lifetime(kind, p, ti)?[0], 0.0)
            }
            Prediction::Derl => {
                let (v, e) = predict::derl(kind, p, ti, discount)?;
                (v[0], e[0])
            }
        })
    };
    // Any error (bad t or discount) is that of the lowest failing row, recomputed in order.
    let out: Vec<Option<(f64, f64)>> = (0..t.len())
        .into_par_iter()
        .with_min_len(crate::numeric::grain::ITEMS_COSTLY)
        .map(|i| one(i).ok())
        .collect();
    if let Some(bad) = out.iter().position(|o| o.is_none()) {
        one(bad)?;
    }
    Ok(out
        .into_iter()
        .map(|o| o.unwrap_or((f64::NAN, 0.0)))
        .unzip())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contractual::simulate::simulate;

    fn design(n: usize) -> Vec<f64> {
        // Two covariates: a 0/1 flag and a centred smooth value.
        (0..n)
            .flat_map(|i| [(i % 2) as f64, ((i % 7) as f64 - 3.0) / 3.0])
            .collect()
    }

    fn data(kind: Kind, n: usize) -> (Vec<f64>, Vec<f64>) {
        let params: Vec<f64> = match kind {
            Kind::Sbg => vec![0.9, 2.0],
            Kind::Bdw => vec![0.9, 2.0, 0.8],
        };
        let horizons: Vec<f64> = (0..n).map(|i| (4 + i % 9) as f64).collect();
        simulate(kind, &params, &horizons, 11).unwrap()
    }

    #[test]
    fn gradient_matches_central_differences() {
        for kind in [Kind::Sbg, Kind::Bdw] {
            let (r, e) = data(kind, 400);
            let x = design(400);
            let w: Vec<f64> = (0..400).map(|i| 1.0 + (i % 3) as f64).collect();
            let d = CovariateData {
                renewals: &r,
                churned: &e,
                weights: Some(&w),
                x: &x,
                k: 2,
            };
            // [ln a0, ln b0, (ln c,) gamma_alpha (2), gamma_beta (2)]
            let mut theta = vec![-0.2, 0.6];
            if kind == Kind::Bdw {
                theta.push(0.3);
            }
            theta.extend([-0.4, 0.5, 0.2, 0.1]);
            let mut g = vec![0.0; theta.len()];
            log_likelihood(kind, &theta, &d, &mut g);
            let mut scratch = g.clone();
            for j in 0..theta.len() {
                let (mut up, mut down) = (theta.clone(), theta.clone());
                up[j] += 1e-6;
                down[j] -= 1e-6;
                let fd = (log_likelihood(kind, &up, &d, &mut scratch)
                    - log_likelihood(kind, &down, &d, &mut scratch))
                    / 2e-6;
                assert!((g[j] - fd).abs() < 1e-5 * fd.abs().max(1.0), "{kind:?} {j}");
            }
        }
    }

    #[test]
    fn zero_covariates_give_the_plain_fit_and_bad_values_are_named() {
        let (r, e) = data(Kind::Sbg, 2000);
        let x = vec![0.0; 2000];
        let d = CovariateData {
            renewals: &r,
            churned: &e,
            weights: None,
            x: &x,
            k: 1,
        };
        let plain = plain_fit(
            Kind::Sbg,
            &Tenures::from_customers(&r, &e, None).unwrap(),
            &FitOptions::default(),
        )
        .unwrap();
        let f = fit(Kind::Sbg, &d, &FitOptions::default()).unwrap();
        assert!((f.theta[0].exp() - plain.params[0]).abs() < 1e-10 * plain.params[0]);
        assert!((f.theta[1].exp() - plain.params[1]).abs() < 1e-10 * plain.params[1]);
        assert_eq!(&f.theta[2..], &[0.0, 0.0]);
        assert!((f.log_likelihood - plain.log_likelihood).abs() < 1e-8);
        let mut bad = x.clone();
        bad[7] = f64::NAN;
        let d = CovariateData { x: &bad, ..d };
        match fit(Kind::Sbg, &d, &FitOptions::default()) {
            Err(ClmError::InvalidValue { arg, row, .. }) => {
                assert_eq!((arg.as_str(), row), ("covariates", 7))
            }
            other => panic!("{other:?}"),
        }
    }
}
