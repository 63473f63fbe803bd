//! The models by the names the Python classes use, and the checks of what a caller passes
//! by name (parameter vectors, data columns).

use super::{bgbb, bgnbd, fit, gammagamma, mbgnbd, paretonbd, Fit, FitOptions, Model, MAX_PARAMS};
use crate::error::{ClmError, Result};
use crate::parallel;

/// The model registered under `name` (the names the Python classes use). A new model adds
/// one line here (and one in `predict::count_model` if it predicts purchase counts).
pub fn model_by_name(name: &str) -> Result<&'static dyn Model> {
    match name {
        "bgnbd" => Ok(&bgnbd::BgNbd),
        "mbgnbd" => Ok(&mbgnbd::MbgNbd),
        "paretonbd" => Ok(&paretonbd::ParetoNbd),
        "bgbb" => Ok(&bgbb::Bgbb),
        "gammagamma" => Ok(&gammagamma::GammaGamma),
        _ => Err(ClmError::InvalidArgument(format!("unknown model {name:?}"))),
    }
}

/// Parameter names of the model registered under `name`.
pub fn model_names(name: &str) -> Result<&'static [&'static str]> {
    Ok(model_by_name(name)?.names())
}

/// Fits the model registered under `name`.
pub fn fit_named(
    name: &str,
    columns: &[&[f64]],
    weights: Option<&[f64]>,
    opts: &FitOptions,
) -> Result<Fit> {
    match name {
        // Pareto/NBD's likelihood has limits (s, beta -> infinity) an optimiser can run into:
        // it restarts from other points when that happens.
        "paretonbd" => paretonbd::fit_multistart(columns, weights, opts),
        // Gamma-Gamma fits without compression, by Newton with its analytic Hessian.
        "gammagamma" => gammagamma::fit(columns, weights, opts),
        _ => fit(model_by_name(name)?, columns, weights, opts),
    }
}

/// Log-likelihood of each customer row at natural parameters `params`.
pub fn loglik_rows(name: &str, params: &[f64], columns: &[&[f64]]) -> Result<Vec<f64>> {
    loglik_rows_of(model_by_name(name)?, params, columns)
}

/// [`loglik_rows`] of a model already resolved (the typed door's `BtydFit.loglik_rows`).
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
