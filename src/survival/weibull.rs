//! Weibull accelerated failure time model in lifelines' parameterisation:
//! S(t | x) = exp(-(t / lambda)^rho), log lambda = x' beta (x includes the intercept column),
//! log rho = alpha constant. Equivalent to R's survreg(dist = "weibull") with
//! scale = 1 / rho. Fitted by Newton-Raphson with step halving on the exact Hessian.

use super::check_survival_data;
use crate::error::{first_invalid, ClmError, Result};
use crate::numeric::optimize::newton::{minimize, Evaluation, NewtonOptions};
use crate::parallel;

#[derive(Debug, Clone)]
pub struct WeibullFit {
    /// beta (one per design column) followed by alpha = log rho.
    pub params: Vec<f64>,
    /// Minus the Hessian of the log-likelihood at the fit.
    pub information: Vec<f64>,
    pub log_likelihood: f64,
    pub n_iter: usize,
}

/// Log-likelihood (value, gradient, Hessian in one deterministic pass).
/// With u = rho (log t - x'beta), row i contributes w [e (alpha - log t + u) - e^u]: the
/// log density for events and log survival for censored rows (Klein & Moeschberger 12.2).
fn log_likelihood(
    x: &[f64],
    k: usize,
    time: &[f64],
    event: &[f64],
    weight: Option<&[f64]>,
    theta: &[f64],
) -> Option<(f64, Vec<f64>, Vec<f64>)> {
    let m = k + 1;
    let alpha = theta[k];
    let rho = alpha.exp();
    let acc = parallel::sum_vec(time.len(), 1 + m + m * m, |i, acc| {
        let xi = &x[i * k..(i + 1) * k];
        let w = weight.map_or(1.0, |w| w[i]);
        let e = event[i];
        let z = time[i].ln();
        let mu: f64 = xi.iter().zip(theta).map(|(a, b)| a * b).sum();
        let u = rho * (z - mu);
        let eu = u.exp();
        acc[0] += w * (e * (alpha - z + u) - eu);
        let d_mu = -w * rho * (e - eu);
        let d_alpha = w * (e + (e - eu) * u);
        let h_mumu = -w * eu * rho * rho;
        let h_mualpha = w * rho * (u * eu - e + eu);
        let h_alphaalpha = w * u * (e - eu - u * eu);
        let (grad, hess) = acc[1..].split_at_mut(m);
        for a in 0..k {
            grad[a] += d_mu * xi[a];
            for b in a..k {
                hess[a * m + b] += h_mumu * xi[a] * xi[b];
            }
            hess[a * m + k] += h_mualpha * xi[a];
        }
        grad[k] += d_alpha;
        hess[k * m + k] += h_alphaalpha;
    });
    let (value, rest) = acc.split_first()?;
    if !value.is_finite() {
        return None;
    }
    let grad = rest[..m].to_vec();
    let mut hess = rest[m..].to_vec();
    for a in 0..m {
        for b in 0..a {
            hess[a * m + b] = hess[b * m + a];
        }
    }
    Some((*value, grad, hess))
}

/// Fits the model. `x` is row-major n x k and should contain a column of ones (its index is
/// `intercept`, used for the starting value log(sum t / sum events) of an exponential fit).
pub fn fit_weibull(
    x: &[f64],
    k: usize,
    intercept: usize,
    time: &[f64],
    event: &[f64],
    weight: Option<&[f64]>,
    max_iter: usize,
) -> Result<WeibullFit> {
    check_survival_data(time, event, weight, None)?;
    first_invalid("durations", time, "must be > 0 for a Weibull model", |v| {
        v <= 0.0
    })?;
    if x.len() != time.len() * k || intercept >= k {
        return Err(ClmError::LengthMismatch(format!(
            "covariates have {} values, expected {} x {k}",
            x.len(),
            time.len()
        )));
    }
    crate::error::check_finite("covariates", x)?;
    let w = |i: usize| weight.map_or(1.0, |w| w[i]);
    let events: f64 = (0..time.len()).map(|i| w(i) * event[i]).sum();
    if events == 0.0 {
        return Err(ClmError::InvalidArgument(
            "event_observed: every row is censored; the Weibull model is not identified".into(),
        ));
    }
    let exposure: f64 = (0..time.len()).map(|i| w(i) * time[i]).sum();
    let mut theta0 = vec![0.0; k + 1];
    theta0[intercept] = (exposure / events).ln();
    let mut eval = |theta: &[f64]| -> Result<Option<Evaluation>> {
        Ok(
            log_likelihood(x, k, time, event, weight, theta).map(|(v, g, h)| Evaluation {
                value: -v,
                gradient: g.iter().map(|a| -a).collect(),
                hessian: h.iter().map(|a| -a).collect(),
            }),
        )
    };
    let opts = NewtonOptions {
        max_iter,
        ..Default::default()
    };
    let r = minimize(&theta0, &opts, &mut eval)?;
    if !r.converged {
        return Err(ClmError::Convergence {
            message: format!("Weibull AFT did not converge in {max_iter} Newton iterations"),
            params: r.x,
            grad_norm: crate::numeric::optimize::norm(&r.gradient),
        });
    }
    Ok(WeibullFit {
        params: r.x,
        information: r.hessian,
        log_likelihood: -r.value,
        n_iter: r.n_iter,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intercept_only_fit_has_the_closed_form_without_censoring_when_rho_is_one() {
        // Exponential data are Weibull with rho = 1 only in expectation; instead check the
        // score equations: with an intercept only, lambda^rho = sum t^rho / d at the optimum.
        let t = [0.5, 1.2, 2.0, 3.5, 0.8, 4.1, 2.2, 1.7];
        let e = [1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0];
        let x = vec![1.0; t.len()];
        let fit = fit_weibull(&x, 1, 0, &t, &e, None, 100).unwrap();
        let rho = fit.params[1].exp();
        let lambda = fit.params[0].exp();
        let s: f64 = t.iter().map(|v| v.powf(rho)).sum();
        let d: f64 = e.iter().sum();
        assert!((lambda.powf(rho) - s / d).abs() < 1e-8);
    }

    #[test]
    fn analytic_gradient_matches_finite_differences() {
        let t = [0.5, 1.2, 2.0, 3.5, 0.8];
        let e = [1.0, 0.0, 1.0, 1.0, 0.0];
        let x = [1.0, 0.3, 1.0, -1.0, 1.0, 0.7, 1.0, 2.0, 1.0, -0.4];
        let theta = [0.2, -0.1, 0.3];
        let (_, g, h) = log_likelihood(&x, 2, &t, &e, None, &theta).unwrap();
        let f = |th: &[f64]| log_likelihood(&x, 2, &t, &e, None, th).unwrap();
        for j in 0..3 {
            let mut a = theta;
            let mut b = theta;
            a[j] += 1e-6;
            b[j] -= 1e-6;
            assert!(((f(&a).0 - f(&b).0) / 2e-6 - g[j]).abs() < 1e-6);
            for i in 0..3 {
                assert!(((f(&a).1[i] - f(&b).1[i]) / 2e-6 - h[i * 3 + j]).abs() < 1e-5);
            }
        }
    }
}
