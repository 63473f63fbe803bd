//! The optimisers of a covariate fit: damped Newton on the exact Hessian
//! ([`super::hessian`]) where it is cheap (BG family), BHHH then L-BFGS otherwise and as the
//! fallback; the exact Hessian at the optimum gives the final step and standard errors.

use super::objective::CovObjective;
use crate::btyd::{diagnose, FitOptions};
use crate::error::{ClmError, Result};
use crate::numeric::optimize::newton::{self, End, NewtonOptions, Rules};
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

/// Damped Newton with the exact Hessian from `theta0` under the BTYD rules (the largest
/// gradient component below `opts.tol`, L-BFGS's test); the minimum and the total Hessian
/// there. Falls back to [`bhhh_lbfgs`] when Newton does not converge.
pub fn newton_fit(
    objective: &CovObjective<'_>,
    theta0: &[f64],
    opts: &FitOptions,
    options: &Options,
) -> Result<(Minimum, Vec<f64>)> {
    let rules = Rules::btyd(opts.tol, opts.max_iter.min(200));
    let start =
        warm_start(objective, theta0, opts, options, true).unwrap_or_else(|| theta0.to_vec());
    let run = newton::run(&start, &rules, &mut |x: &[f64]| {
        Ok(objective.newton_point(x))
    });
    if let Ok(r) = run {
        if r.end == End::Converged {
            let w = objective.total_weight;
            let hessian = r.point.hessian.iter().map(|v| v * w).collect();
            let min = Minimum {
                x: r.x,
                value: r.point.value,
                grad: r.point.gradient,
                n_iter: r.n_iter,
                n_eval: r.n_iter + 1,
            };
            return Ok((min, hessian));
        }
    }
    let min = bhhh_lbfgs(objective, theta0, opts, options)?;
    let hessian = total_hessian(objective, &min.x);
    Ok((min, hessian))
}

/// Cells in the sample that gives large Newton fits their starting point.
pub const WARM_CELLS: usize = 50_000;

/// The optimum on a systematic sample of about [`WARM_CELLS`] cells when there are at
/// least four times as many (as the plain BG/NBD fit's warm start), by Newton (`newton`) or
/// BHHH then L-BFGS: it is within a few standard errors of the whole's optimum, where the
/// fit on every cell converges in two or three steps instead of five or more from the
/// covariate-free fit. None for smaller data or when the sample's fit fails.
pub fn warm_start(
    objective: &CovObjective<'_>,
    theta0: &[f64],
    opts: &FitOptions,
    options: &Options,
    newton: bool,
) -> Option<Vec<f64>> {
    let n = objective.design.cells.len();
    if n < 4 * WARM_CELLS {
        return None;
    }
    let sample = objective.design.sample(n / WARM_CELLS);
    let sub = CovObjective {
        design: &sample,
        total_weight: sample.patterns.weights.iter().sum(),
        ..*objective
    };
    let x = if newton {
        let rules = Rules::btyd(opts.tol, opts.max_iter.min(200));
        let r = newton::run(theta0, &rules, &mut |x: &[f64]| Ok(sub.newton_point(x))).ok()?;
        (r.end == End::Converged).then_some(r.x)?
    } else {
        bhhh_lbfgs(&sub, theta0, opts, options).ok()?.x
    };
    x.iter().all(|v| v.is_finite()).then_some(x)
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
