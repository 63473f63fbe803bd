//! Binding of the shared optimiser (`crate::numeric::optimize`) for drivers whose objective
//! lives outside the core: the Dask likelihood fit evaluates its objective with one cluster
//! pass per point, and the damped Newton here decides every point it asks for.

use pyo3::prelude::*;

use super::to_pyerr;
use crate::error::ClmError;
use crate::numeric::optimize::newton::{self, Evaluation, Rules};

/// `(x, value, gradient, hessian, n_iter)` at the end of a run.
type NewtonEnd = (Vec<f64>, f64, Vec<f64>, Vec<f64>, usize);

/// Damped Newton under the distributed rule set (`Rules::distributed`) from `x0`.
/// `evaluate(x)` returns `(value, gradient, hessian_row_major)` at `x` (a list of floats);
/// an exception it raises ends the run and is re-raised here. Returns `(x, value, gradient,
/// hessian, n_iter)` at the last accepted point; raises `ConvergenceError` when the gradient
/// does not reach `tol` within `max_iter` iterations.
#[pyfunction]
fn optimize_newton(
    evaluate: &Bound<'_, PyAny>,
    x0: Vec<f64>,
    tol: f64,
    max_iter: usize,
) -> PyResult<NewtonEnd> {
    if !(tol.is_finite() && tol > 0.0) {
        return Err(to_pyerr(ClmError::InvalidArgument(format!(
            "tol must be finite and > 0, got {tol}"
        ))));
    }
    let n = x0.len();
    // The callback's own exception, kept to re-raise it unchanged.
    let mut raised: Option<PyErr> = None;
    let mut eval = |x: &[f64]| -> crate::Result<Option<Evaluation>> {
        let outcome = evaluate
            .call1((x.to_vec(),))
            .and_then(|r| r.extract::<(f64, Vec<f64>, Vec<f64>)>());
        match outcome {
            Ok((value, gradient, hessian)) if gradient.len() == n && hessian.len() == n * n => {
                Ok(Some(Evaluation {
                    value,
                    gradient,
                    hessian,
                }))
            }
            Ok((_, gradient, hessian)) => Err(ClmError::InvalidArgument(format!(
                "evaluate returned a gradient of {} and a Hessian of {} values for {n} \
                 parameters",
                gradient.len(),
                hessian.len()
            ))),
            Err(err) => {
                raised = Some(err);
                Err(ClmError::Interrupted)
            }
        }
    };
    let result = newton::run(&x0, &Rules::distributed(tol, max_iter), &mut eval);
    if let Some(err) = raised {
        return Err(err);
    }
    let run = result.map_err(to_pyerr)?;
    Ok((
        run.x,
        run.point.value,
        run.point.gradient,
        run.point.hessian,
        run.n_iter,
    ))
}

/// Covariance of natural parameters from the Hessian of the total negative log-likelihood in
/// log-parameters (row-major): the inverse observed information mapped by the delta method,
/// NaN when the information is not positive definite (the in-memory fits' one routine).
#[pyfunction]
fn optimize_covariance(hessian: Vec<f64>, params: Vec<f64>) -> PyResult<Vec<f64>> {
    let n = params.len();
    if hessian.len() != n * n {
        return Err(to_pyerr(ClmError::InvalidArgument(format!(
            "hessian has {} values; {n} parameters need {}",
            hessian.len(),
            n * n
        ))));
    }
    Ok(crate::btyd::covariance(&hessian, &params))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(optimize_newton, m)?)?;
    m.add_function(wrap_pyfunction!(optimize_covariance, m)?)
}
