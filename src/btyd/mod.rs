//! Buy-till-you-die models and their shared fitting machinery.
//!
//! A model is one file implementing [`Model`]: its parameter names, how parameters scale with
//! time, the log-likelihood of one data pattern and its gradient. Everything else is here,
//! once: pattern compression, time rescaling, the L2 penalizer, maximum likelihood on the
//! log scale and standard errors from the observed information.

pub mod bgbb;
mod bgfamily;
pub mod bgnbd;
pub mod bootstrap;
pub mod covariates;
pub mod diagnose;
pub mod gammagamma;
pub mod hooks;
mod kind;
pub mod mbgnbd;
pub mod nbd;
mod newton_fit;
pub mod paretonbd;

pub(crate) mod grouping;
pub mod patterns;
pub mod predict;
mod registry;
pub mod saved;
pub mod validate;

use std::ops::Range;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{ClmError, Result};
use crate::numeric::linalg::covariance_from_information;
use crate::numeric::optimize::{minimize, norm, numerical_hessian, Objective, Options};
pub use kind::ModelKind;
pub use patterns::Patterns;
pub(crate) use registry::check_columns;
pub use registry::{check_params, fit_kind, loglik_rows, loglik_rows_of};

use crate::numeric::grain::FIT_CHUNK;

/// Most parameters a model fitted here may have.
pub const MAX_PARAMS: usize = 8;

/// Weighted log-likelihood of all patterns with its gradient and Hessian (row-major), at
/// natural parameters.
pub struct Totals {
    pub ll: f64,
    pub grad: Vec<f64>,
    pub hessian: Vec<f64>,
}

/// A likelihood model fitted by the shared routine.
pub trait Model: Sync {
    /// Parameter names in the order of every parameter vector.
    fn names(&self) -> &'static [&'static str];
    /// Names of the data columns of a pattern (e.g. frequency, recency, T).
    fn columns(&self) -> &'static [&'static str];
    /// Data columns measured in time; they are divided by the largest value of
    /// `scale_column` before fitting. Empty for models without a time scale.
    fn time_columns(&self) -> &'static [usize] {
        &[]
    }
    /// The column whose maximum defines the time scale (T).
    fn scale_column(&self) -> Option<usize> {
        None
    }
    /// Power of time in each parameter's unit: a parameter with power 1 (a rate's scale,
    /// like BG/NBD's alpha) is multiplied by the time scale when time is rescaled.
    fn time_powers(&self) -> &'static [i32];
    /// Rejects data outside the model's domain (first bad row named).
    fn check_data(&self, columns: &[&[f64]]) -> Result<()>;
    /// Starting point (natural parameters, in the time units of `data`).
    fn initial_params(&self, data: &Patterns) -> Vec<f64>;
    /// Log-likelihood of one pattern at natural parameters; adds d ll / d param to `grad`.
    fn loglik_grad(&self, params: &[f64], row: &[f64], grad: &mut [f64]) -> f64;

    /// Adds the weighted log-likelihood of patterns `range` to `acc[0]` and its gradient to
    /// `acc[1..]`. The default calls `loglik_grad` per pattern; models override it to reuse
    /// terms that depend only on parameters, or on the frequency (patterns are sorted by
    /// their first column, so equal frequencies are consecutive).
    fn accumulate(&self, params: &[f64], data: &Patterns, range: Range<usize>, acc: &mut [f64]) {
        let dim = params.len();
        for i in range {
            let mut g = [0.0; MAX_PARAMS];
            let ll = self.loglik_grad(params, data.row(i), &mut g[..dim]);
            let w = data.weights[i];
            acc[0] += w * ll;
            for (a, gj) in acc[1..].iter_mut().zip(&g[..dim]) {
                *a += w * gj;
            }
        }
    }

    /// [`Totals`] over all patterns, for models with an analytic Hessian: `fit` then runs
    /// Newton's method on them and takes standard errors from this Hessian. None (the
    /// default): L-BFGS on `accumulate` and a finite-difference Hessian.
    fn totals(&self, _params: &[f64], _data: &Patterns) -> Option<Totals> {
        None
    }

    /// ln L in the data's time unit minus ln L in a unit `scale` times longer, for models
    /// whose likelihood is a density of the purchase times (a factor 1 / scale per
    /// purchase), so `fit` can report the log-likelihood without another pass over the
    /// data. None: `fit` evaluates it.
    fn loglik_time_shift(&self, _data: &Patterns, _scale: f64) -> Option<f64> {
        None
    }
}

/// Hyperparameters of a fit.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FitOptions {
    /// L2 penalty on the natural parameters (in rescaled time), as lifetimes' `penalizer_coef`:
    /// the objective is the mean negative log-likelihood plus `penalizer * sum(params^2)`.
    pub penalizer: f64,
    /// Starting parameters in the data's time units; the model's default when None.
    pub initial: Option<Vec<f64>>,
    pub tol: f64,
    pub max_iter: usize,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            penalizer: 0.0,
            initial: None,
            tol: 1e-8,
            max_iter: 1000,
        }
    }
}

/// A fitted model: everything needed to predict, report and serialise.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fit {
    /// Natural parameters (a NaN read from a document as null is refused by the loader).
    #[serde(with = "saved::nan_vec")]
    pub params: Vec<f64>,
    /// Total (weighted) log-likelihood of the data at `params`, without the penalty.
    #[serde(with = "saved::nan_f64")]
    pub log_likelihood: f64,
    /// Covariance of the natural parameters (row-major), by the delta method from the
    /// inverse observed information on the log scale. NaN when the information is singular.
    #[serde(with = "saved::nan_vec")]
    pub covariance: Vec<f64>,
    #[serde(with = "saved::nan_vec")]
    pub standard_errors: Vec<f64>,
    pub n_iter: usize,
    pub converged: bool,
    #[serde(with = "saved::nan_f64")]
    pub grad_norm: f64,
    pub n_patterns: usize,
    pub n_customers: f64,
    pub time_scale: f64,
    /// Why the fit is not to be trusted as it stands (boundary, singular information);
    /// emitted as warnings when the fit is made.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// The optimiser's view of a model: mean penalised negative log-likelihood over rescaled
/// patterns, as a function of log-parameters.
struct LogObjective<'a, M: Model + ?Sized> {
    model: &'a M,
    data: &'a Patterns,
    penalizer: f64,
    total_weight: f64,
}

impl<M: Model + ?Sized> LogObjective<'_, M> {
    /// Total weighted log-likelihood and its gradient with respect to natural parameters.
    /// Deterministic for any thread count: fixed chunks of patterns, each summed in order,
    /// partial sums combined in order.
    fn total(&self, params: &[f64]) -> (f64, Vec<f64>) {
        let dim = params.len();
        let n = self.data.len();
        let partial: Vec<Vec<f64>> = (0..n.div_ceil(FIT_CHUNK))
            .into_par_iter()
            .map(|c| {
                let mut acc = vec![0.0; dim + 1];
                self.model.accumulate(
                    params,
                    self.data,
                    c * FIT_CHUNK..((c + 1) * FIT_CHUNK).min(n),
                    &mut acc,
                );
                acc
            })
            .collect();
        let mut sums = vec![0.0; dim + 1];
        for acc in &partial {
            for (s, a) in sums.iter_mut().zip(acc) {
                *s += a;
            }
        }
        (sums[0], sums[1..].to_vec())
    }
}

impl<M: Model + ?Sized> Objective for LogObjective<'_, M> {
    fn dim(&self) -> usize {
        self.model.names().len()
    }

    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        if diagnose::outside_box(x) {
            grad.iter_mut().for_each(|g| *g = f64::NAN);
            return f64::INFINITY;
        }
        let params: Vec<f64> = x.iter().map(|v| v.exp()).collect();
        let (ll, g) = self.total(&params);
        let mut value = -ll / self.total_weight;
        for j in 0..params.len() {
            let p = params[j];
            value += self.penalizer * p * p;
            // Chain rule to log scale: d/dlog p = p d/dp.
            grad[j] = -g[j] * p / self.total_weight + 2.0 * self.penalizer * p * p;
        }
        value
    }
}

/// Converts parameters to a time unit `scale` times longer (a parameter with time power k is
/// divided by scale^k).
fn scale_params(powers: &[i32], params: &[f64], scale: f64) -> Vec<f64> {
    params
        .iter()
        .zip(powers)
        .map(|(p, &k)| p / scale.powi(k))
        .collect()
}

/// Maximum likelihood fit of `model` to data `columns` (one slice per model column).
pub fn fit<M: Model + ?Sized>(
    model: &M,
    columns: &[&[f64]],
    weights: Option<&[f64]>,
    opts: &FitOptions,
) -> Result<Fit> {
    check_options(model, opts)?;
    if model.names().len() > MAX_PARAMS || model.time_powers().len() != model.names().len() {
        return Err(ClmError::InvalidArgument(
            "model declares an unsupported parameter layout".into(),
        ));
    }
    check_columns(model, columns)?;
    let data = Patterns::compress(model.columns(), columns, weights)?;
    model.check_data(columns)?;
    if data.is_empty() || data.total_weight() <= 0.0 {
        return Err(ClmError::InvalidArgument(
            "no customers to fit (empty data or all weights 0)".into(),
        ));
    }
    let scale = match model.scale_column() {
        Some(c) if data.max_of(c) > 0.0 => data.max_of(c),
        _ => 1.0,
    };
    let initial = opts
        .initial
        .clone()
        .unwrap_or_else(|| model.initial_params(&data));
    let (total_weight, n_patterns, shift, levels) = (
        data.total_weight(),
        data.len(),
        model.loglik_time_shift(&data, scale),
        data.levels.clone(),
    );
    // Rescaled in place (no copy of the patterns); `with_levels` restores the data exactly.
    let mut scaled = data;
    scaled.rescale_in_place(model.time_columns(), scale);
    let x0: Vec<f64> = scale_params(model.time_powers(), &initial, scale)
        .iter()
        .map(|p| p.ln())
        .collect();
    let objective = LogObjective {
        model,
        data: &scaled,
        penalizer: opts.penalizer,
        total_weight,
    };
    let (x_min, grad, n_iter, hessian, scaled_ll) = match newton_fit::minimize_warm(
        model,
        &scaled,
        &x0,
        opts,
        total_weight,
        newton_fit::WARM_START_PATTERNS,
    ) {
        Some(nf) => (nf.x, nf.grad, nf.n_iter, nf.hessian, Some(nf.ll)),
        None => {
            let options = Options {
                tol: opts.tol,
                max_iter: opts.max_iter,
                memory: 8,
            };
            let min = match minimize(&objective, &x0, &options) {
                Ok(min) => min,
                // Stopped on a ridge towards the boundary: a result, marked by `diagnose`.
                Err(ClmError::Convergence { params, .. })
                    if params.iter().any(|v| v.abs() > diagnose::BOUNDARY_LOG) =>
                {
                    let mut grad = vec![0.0; params.len()];
                    let value = objective.value_grad(&params, &mut grad);
                    crate::numeric::optimize::Minimum {
                        x: params,
                        value,
                        grad,
                        n_iter: opts.max_iter,
                        n_eval: 0,
                    }
                }
                Err(err) => return Err(in_data_units(err, model, scale)),
            };
            let hessian = numerical_log_hessian(&objective, &min.x);
            (min.x, min.grad, min.n_iter, hessian, None)
        }
    };
    // hessian is of the total objective, grad of the mean one.
    let total_grad: Vec<f64> = grad.iter().map(|g| g * total_weight).collect();
    let x_min = crate::numeric::optimize::newton::final_step(&x_min, &total_grad, &hessian);
    let params = scale_params(
        model.time_powers(),
        &x_min.iter().map(|v| v.exp()).collect::<Vec<_>>(),
        1.0 / scale,
    );
    let data = || scaled.with_levels(levels.clone()); // only when the shortcut is unavailable
    let log_likelihood = match (scaled_ll, shift) {
        (Some(ll), Some(shift)) => ll + shift,
        _ => match model.totals(&params, &data()) {
            Some(t) => t.ll,
            None => {
                LogObjective {
                    model,
                    data: &data(),
                    penalizer: 0.0,
                    total_weight: 1.0,
                }
                .total(&params)
                .0
            }
        },
    };
    let covariance = covariance(&hessian, &params);
    let standard_errors = (0..params.len())
        .map(|j| covariance[j * params.len() + j].sqrt())
        .collect();
    let mut fit = Fit {
        params,
        log_likelihood,
        covariance,
        standard_errors,
        n_iter,
        converged: true,
        grad_norm: norm(&grad),
        n_patterns,
        n_customers: total_weight,
        time_scale: scale,
        warnings: Vec::new(),
    };
    diagnose::diagnose(&mut fit, model.names(), model.time_powers(), &hessian);
    Ok(fit)
}

/// A convergence failure with its last point as natural parameters in the data's time unit.
pub(crate) fn in_data_units<M: Model + ?Sized>(err: ClmError, model: &M, scale: f64) -> ClmError {
    match err {
        ClmError::Convergence {
            message,
            params,
            grad_norm,
        } => ClmError::Convergence {
            message: format!("{message} fitting ({})", model.names().join(", ")),
            params: scale_params(
                model.time_powers(),
                &params.iter().map(|v| v.exp()).collect::<Vec<_>>(),
                1.0 / scale,
            ),
            grad_norm,
        },
        other => other,
    }
}

/// Hessian of the total penalised negative log-likelihood on the log scale by differences
/// of the analytic gradient. It does not depend on the time scale (rescaling only shifts
/// log-parameters), so the rescaled objective is used.
fn numerical_log_hessian<M: Model + ?Sized>(
    objective: &LogObjective<'_, M>,
    x: &[f64],
) -> Vec<f64> {
    let mut grad = |p: &[f64], g: &mut [f64]| {
        objective.value_grad(p, g);
        g.iter_mut().for_each(|v| *v *= objective.total_weight);
    };
    numerical_hessian(x, 1e-5, &mut grad)
}

/// Inverse observed information (the log-scale Hessian `hessian`), mapped to natural
/// parameters by the delta method: Cov(p_i, p_j) = p_i p_j Cov(log p_i, log p_j).
pub(crate) fn covariance(hessian: &[f64], params: &[f64]) -> Vec<f64> {
    // theta = ln(params): d params / d theta = params.
    covariance_from_information(hessian, params)
}

pub(crate) fn check_options<M: Model + ?Sized>(model: &M, opts: &FitOptions) -> Result<()> {
    if !(opts.penalizer.is_finite() && opts.penalizer >= 0.0) {
        return Err(ClmError::InvalidArgument(format!(
            "penalizer must be finite and >= 0, got {}",
            opts.penalizer
        )));
    }
    if !(opts.tol.is_finite() && opts.tol > 0.0) {
        return Err(ClmError::InvalidArgument(format!(
            "tol must be finite and > 0, got {}",
            opts.tol
        )));
    }
    if let Some(p) = &opts.initial {
        let names = model.names();
        if p.len() != names.len() {
            return Err(ClmError::InvalidArgument(format!(
                "initial_params must have {} values ({:?}), got {}",
                names.len(),
                names,
                p.len()
            )));
        }
        if let Some(j) = p.iter().position(|v| !(v.is_finite() && *v > 0.0)) {
            return Err(ClmError::InvalidArgument(format!(
                "initial_params: {} must be finite and > 0, got {}",
                names[j], p[j]
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests;
