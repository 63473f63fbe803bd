//! The fit of each model kind, and the checks of what a caller passes with a kind (parameter
//! vectors, data columns).

use super::{fit, gammagamma, paretonbd, Fit, FitOptions, Model, ModelKind, MAX_PARAMS};
use crate::error::{ClmError, Result};
use crate::parallel;

/// Fits model `kind` to its data columns.
pub fn fit_kind(
    kind: ModelKind,
    columns: &[&[f64]],
    weights: Option<&[f64]>,
    opts: &FitOptions,
) -> Result<Fit> {
    match kind {
        // Pareto/NBD's likelihood has limits (s, beta -> infinity) an optimiser can run into:
        // it restarts from other points when that happens.
        ModelKind::ParetoNbd => paretonbd::fit_multistart(columns, weights, opts),
        // Gamma-Gamma fits without compression, by Newton with its analytic Hessian.
        ModelKind::GammaGamma => gammagamma::fit(columns, weights, opts),
        ModelKind::BgNbd | ModelKind::MbgNbd | ModelKind::Bgbb => {
            fit(kind.model(), columns, weights, opts)
        }
    }
}

/// Log-likelihood of each customer row of model `kind` at natural parameters `params`.
pub fn loglik_rows(kind: ModelKind, params: &[f64], columns: &[&[f64]]) -> Result<Vec<f64>> {
    loglik_rows_of(kind.model(), params, columns)
}

/// [`loglik_rows`] of a model's likelihood.
pub fn loglik_rows_of(model: &dyn Model, params: &[f64], columns: &[&[f64]]) -> Result<Vec<f64>> {
    check_params(model.names(), params)?;
    check_columns(model, columns)?;
    model.check_data(columns)?;
    let mut out = vec![0.0; columns[0].len()];
    parallel::map_into(&mut out, |i| {
        let row: Vec<f64> = columns.iter().map(|c| c[i]).collect();
        let mut g = [0.0; MAX_PARAMS];
        model.loglik_grad(params, &row, &mut g[..params.len()])
    });
    Ok(out)
}

pub(crate) fn check_columns<M: Model + ?Sized>(model: &M, columns: &[&[f64]]) -> Result<()> {
    let names = model.columns();
    if columns.len() != names.len() {
        return Err(ClmError::InvalidArgument(format!(
            "expected {} data columns ({names:?}), got {}",
            names.len(),
            columns.len()
        )));
    }
    let lengths: Vec<(&str, usize)> = names
        .iter()
        .zip(columns)
        .map(|(n, c)| (*n, c.len()))
        .collect();
    crate::error::check_same_length(&lengths)
}

/// Checks a natural parameter vector passed to a prediction (length and positivity).
pub fn check_params(names: &[&str], params: &[f64]) -> Result<()> {
    if params.len() != names.len() {
        return Err(ClmError::InvalidArgument(format!(
            "expected {} parameters {:?}, got {}",
            names.len(),
            names,
            params.len()
        )));
    }
    match params.iter().position(|v| !(v.is_finite() && *v > 0.0)) {
        Some(j) => Err(ClmError::InvalidArgument(format!(
            "parameter {} must be finite and > 0, got {}",
            names[j], params[j]
        ))),
        None => Ok(()),
    }
}
