//! The optimisers of a covariate fit: BHHH then L-BFGS to the optimum, and the exact
//! Hessian there ([`super::hessian`]) for the final Newton step and the standard errors.

use super::objective::CovObjective;
use crate::btyd::{diagnose, FitOptions};
use crate::error::{ClmError, Result};
use crate::numeric::optimize::newton::{self, NewtonOptions};
use crate::numeric::optimize::{minimize, Minimum, Objective, Options};

/// The Hessian of the total penalised negative log-likelihood at `x` (the mean objective's
/// exact Hessian times the total weight), or NaN where it is not finite.
pub fn total_hessian(objective: &CovObjective<'_>, x: &[f64]) -> Vec<f64> {
    let w = objective.total_weight;
    match objective.newton_point(x) {
        Some(e) => e.hessian.iter().map(|v| v * w).collect(),
        None => vec![f64::NAN; x.len() * x.len()],
    }
}

/// BHHH (Newton with the outer product of per-customer gradients) from `theta0`, then
/// L-BFGS from its point under the same stopping rule as every BTYD fit (at once when
/// BHHH converged), and from the start when BHHH fails.
pub fn bhhh_lbfgs(
    objective: &CovObjective<'_>,
    theta0: &[f64],
    opts: &FitOptions,
    options: &Options,
) -> Result<Minimum> {
    let bhhh = newton::minimize(
        theta0,
        &NewtonOptions {
            max_iter: 50,
            tol: 1e-12,
            max_halvings: 30,
        },
        &mut |x: &[f64]| Ok(objective.bhhh(x)),
    );
    let (start, bhhh_iter) = match bhhh {
        Ok(r) if r.x.iter().all(|v| v.is_finite()) => (r.x, r.n_iter),
        _ => (theta0.to_vec(), 0),
    };
    let min = match minimize(objective, &start, options) {
        Ok(min) => min,
        Err(_) if bhhh_iter > 0 => minimize(objective, theta0, options)
            .or_else(|err| boundary_or(err, objective, opts.max_iter))?,
        Err(err) => boundary_or(err, objective, opts.max_iter)?,
    };
    Ok(Minimum {
        n_iter: min.n_iter + bhhh_iter,
        ..min
    })
}

/// A convergence failure on a ridge towards the boundary is a result (marked by `mark`);
/// any other error is returned.
fn boundary_or(err: ClmError, objective: &CovObjective<'_>, max_iter: usize) -> Result<Minimum> {
    match err {
        ClmError::Convergence { params, .. }
            if params.iter().any(|v| v.abs() > diagnose::BOUNDARY_LOG) =>
        {
            let mut grad = vec![0.0; params.len()];
            let value = objective.value_grad(&params, &mut grad);
            Ok(Minimum {
                x: params,
                value,
                grad,
                n_iter: max_iter,
                n_eval: 0,
            })
        }
        err => Err(err),
    }
}
