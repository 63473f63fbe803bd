//! Maximum likelihood fits of the sBG and BdW models.
//!
//! The objective is the mean negative log-likelihood over the compressed tenures as a
//! function of log-parameters (so alpha, beta, c stay positive); the shared Newton optimiser
//! minimises it with the analytic gradient and a Hessian from central differences of that
//! gradient (the data are a few hundred patterns at most, so this costs microseconds).
//! Standard errors come from the inverse observed information by the delta method (the
//! routine every BTYD fit uses). A BdW fit starts from the sBG optimum with c = 1.

use serde::{Deserialize, Serialize};

use super::likelihood::log_likelihood;
use super::tenures::Tenures;
use super::Kind;
use crate::error::{ClmError, Result};
use crate::numeric::optimize::newton::{self, Evaluation, NewtonOptions};
use crate::numeric::optimize::{norm, numerical_hessian};

/// Log-parameters are kept within +-LOG_LIMIT (e^25 ~ 7e10): beyond it a point is treated as
/// outside the domain, so a likelihood whose supremum is at infinity cannot run away.
const LOG_LIMIT: f64 = 25.0;
/// A fitted parameter beyond e^+-BOUNDARY (1e6, 1e-6) is on the boundary of the parameter
/// space: the likelihood is flat towards infinity (e.g. a homogeneous population, alpha and
/// beta -> infinity with alpha / (alpha + beta) fixed) and the estimates are not meaningful.
const BOUNDARY: f64 = 13.815510557964274;

/// Hyperparameters of a fit.
#[derive(Debug, Clone, Default)]
pub struct FitOptions {
    /// Starting parameters (natural scale); (1, 1[, 1]) or the sBG optimum when None.
    pub initial: Option<Vec<f64>>,
    /// Newton iterations before the fit stops unconverged.
    pub max_iter: usize,
}

/// A fitted model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fit {
    pub kind: Kind,
    pub params: Vec<f64>,
    pub log_likelihood: f64,
    /// Covariance of the natural parameters (row-major); NaN when the information is singular.
    pub covariance: Vec<f64>,
    pub standard_errors: Vec<f64>,
    pub n_iter: usize,
    pub converged: bool,
    /// A parameter ended beyond 1e6 or below 1e-6 (see [`BOUNDARY`]).
    pub on_boundary: bool,
    /// The observed information is not positive definite at the optimum (a flat ridge, e.g.
    /// a homogeneous population whose alpha and beta grow without bound): no standard errors.
    pub singular_information: bool,
    pub grad_norm: f64,
    pub n_customers: f64,
    pub n_patterns: usize,
}

struct Objective<'a> {
    kind: Kind,
    data: &'a Tenures,
    total_weight: f64,
}

impl Objective<'_> {
    /// Mean negative log-likelihood and its gradient in log-parameters.
    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        let params: Vec<f64> = x.iter().map(|v| v.exp()).collect();
        let mut g = vec![0.0; x.len()];
        let ll = log_likelihood(self.kind, &params, self.data, &mut g);
        for j in 0..x.len() {
            grad[j] = -g[j] * params[j] / self.total_weight;
        }
        -ll / self.total_weight
    }

    fn evaluate(&self, x: &[f64]) -> Option<Evaluation> {
        if x.iter().any(|v| v.is_nan() || v.abs() > LOG_LIMIT) {
            return None;
        }
        let mut gradient = vec![0.0; x.len()];
        let value = self.value_grad(x, &mut gradient);
        if !value.is_finite() || gradient.iter().any(|g| !g.is_finite()) {
            return None;
        }
        let mut grad_at = |p: &[f64], g: &mut [f64]| {
            self.value_grad(p, g);
        };
        let hessian = numerical_hessian(x, 1e-5, &mut grad_at);
        Some(Evaluation {
            value,
            gradient,
            hessian,
        })
    }
}

/// Fits `kind` to compressed tenures.
pub fn fit(kind: Kind, data: &Tenures, opts: &FitOptions) -> Result<Fit> {
    let total_weight = data.total_weight();
    if total_weight.is_nan() || total_weight <= 0.0 {
        return Err(ClmError::InvalidArgument(
            "no customers to fit (empty data or all weights 0)".into(),
        ));
    }
    if data.churned_weight().is_nan() || data.churned_weight() <= 0.0 {
        return Err(ClmError::InvalidArgument(
            "no customer churned: the retention model is not identified (its likelihood \
             grows without bound as alpha -> 0)"
                .into(),
        ));
    }
    let max_iter = if opts.max_iter == 0 {
        100
    } else {
        opts.max_iter
    };
    let initial = match (&opts.initial, kind) {
        (Some(p), _) => {
            kind.check_params(p)?;
            p.clone()
        }
        (None, Kind::Sbg) => vec![1.0, 1.0],
        (None, Kind::Bdw) => {
            let sbg = fit(
                Kind::Sbg,
                data,
                &FitOptions {
                    initial: None,
                    max_iter,
                },
            )?;
            let inside = |v: f64| v.ln().abs() < BOUNDARY;
            if sbg.params.iter().all(|v| inside(*v)) {
                vec![sbg.params[0], sbg.params[1], 1.0]
            } else {
                vec![1.0, 1.0, 1.0]
            }
        }
    };
    let objective = Objective {
        kind,
        data,
        total_weight,
    };
    let x0: Vec<f64> = initial.iter().map(|p| p.ln()).collect();
    let options = NewtonOptions {
        max_iter,
        tol: 1e-14,
        max_halvings: 60,
    };
    let mut eval = |x: &[f64]| -> Result<Option<Evaluation>> { Ok(objective.evaluate(x)) };
    let result = newton::minimize(&x0, &options, &mut eval)?;
    let params: Vec<f64> = result.x.iter().map(|v| v.exp()).collect();
    let mut g = vec![0.0; params.len()];
    let ll = log_likelihood(kind, &params, data, &mut g);
    let n = params.len();
    let total_hessian: Vec<f64> = result.hessian.iter().map(|h| h * total_weight).collect();
    let covariance = crate::btyd::covariance(&total_hessian, &params);
    let standard_errors = (0..n).map(|j| covariance[j * n + j].sqrt()).collect();
    let grad_log: Vec<f64> = g.iter().zip(&params).map(|(gj, p)| gj * p).collect();
    Ok(Fit {
        kind,
        on_boundary: result.x.iter().any(|v| v.abs() > BOUNDARY),
        singular_information: covariance.iter().any(|v| !v.is_finite()),
        params,
        log_likelihood: ll,
        covariance,
        standard_errors,
        n_iter: result.n_iter,
        converged: result.converged,
        grad_norm: norm(&grad_log),
        n_customers: total_weight,
        n_patterns: data.n_patterns(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fader & Hardie (2007), Table 1: survivors of 1,000 customers per segment, years 0-7.
    const REGULAR: [f64; 8] = [1000.0, 631.0, 468.0, 382.0, 326.0, 289.0, 262.0, 241.0];
    const HIGH_END: [f64; 8] = [1000.0, 869.0, 743.0, 653.0, 593.0, 551.0, 517.0, 491.0];

    #[test]
    fn reproduces_fader_hardie_2007_estimates() {
        // Published: regular alpha 0.704, beta 1.182; high end alpha 0.668, beta 3.806. The
        // log-likelihoods are this implementation's (checked against scipy in the Python tests).
        for (counts, alpha, beta, ll) in [
            (REGULAR, 0.704, 1.182, -1680.27),
            (HIGH_END, 0.668, 3.806, -1611.16),
        ] {
            let data = Tenures::from_survivors(&counts).unwrap();
            let f = fit(Kind::Sbg, &data, &FitOptions::default()).unwrap();
            assert!(f.converged && !f.on_boundary);
            assert!((f.params[0] - alpha).abs() < 5e-4, "{:?}", f.params);
            assert!((f.params[1] - beta).abs() < 5e-4, "{:?}", f.params);
            assert!((f.log_likelihood - ll).abs() < 0.05, "{}", f.log_likelihood);
            assert!(f.grad_norm < 1e-6);
            assert!(f.standard_errors.iter().all(|s| s.is_finite() && *s > 0.0));
        }
    }

    #[test]
    fn bdw_nests_the_sbg_and_does_not_fit_worse() {
        let data = Tenures::from_survivors(&HIGH_END).unwrap();
        let sbg = fit(Kind::Sbg, &data, &FitOptions::default()).unwrap();
        let bdw = fit(Kind::Bdw, &data, &FitOptions::default()).unwrap();
        assert!(bdw.converged);
        assert!(bdw.log_likelihood >= sbg.log_likelihood - 1e-9);
        assert_eq!(bdw.params.len(), 3);
    }

    #[test]
    fn a_homogeneous_population_ends_on_the_boundary_and_no_churn_is_an_error() {
        // Exactly geometric survivors (theta = 0.3 for everyone): alpha, beta -> infinity.
        let counts: Vec<f64> = (0..12).map(|t| 1e6 * 0.7f64.powi(t)).collect();
        let data = Tenures::from_survivors(&counts).unwrap();
        let f = fit(Kind::Sbg, &data, &FitOptions::default()).unwrap();
        assert!(
            f.on_boundary || f.singular_information || !f.converged,
            "{f:?}"
        );
        let mean = f.params[0] / (f.params[0] + f.params[1]);
        assert!((mean - 0.3).abs() < 1e-3, "{mean}");
        let none = Tenures::from_survivors(&[5.0, 5.0, 5.0]).unwrap();
        assert!(fit(Kind::Sbg, &none, &FitOptions::default()).is_err());
    }
}
