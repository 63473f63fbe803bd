//! Maximum likelihood for the Pareto/NBD model over compressed patterns, with the terms of
//! the likelihood tabulated once per evaluation.
//!
//! A pattern (x, t_x, T) needs the alive term at T, the frequency terms at x and the tails
//! F(u) = ∫_u^∞ (α+τ)^-(r+x) (β+τ)^-(s+1) dτ at u = t_x and u = T (a 2F1 series each, the
//! expensive part). Summaries of daily logs have ~100 distinct x and ~700 distinct times, so
//! 100k customers are ~50k patterns but only ~15k distinct (x, u) tails, ~400 distinct T and
//! ~80 distinct x: each is computed once per evaluation and the patterns only combine them.
//! The per-pattern arithmetic is the same functions `loglik_grad` uses, and the patterns
//! are summed in the same fixed chunks as the shared fit, so totals match it bit for bit.

mod layout;

pub(crate) use layout::{Layout, ParetoObjective};

use super::opt::{minimize_bhhh, LogScale, Status};
use super::NAMES;
use crate::btyd::diagnose::{diagnose, BOUNDARY_LOG, LOG_LIMIT};
use crate::btyd::validate::check_frequency_recency_t;
use crate::btyd::{Fit, FitOptions, Patterns};
use crate::error::{ClmError, Result};
use crate::numeric::optimize::{minimize, norm, Minimum, Objective, Options};

/// Validated, compressed fitting data: the patterns in the data's time unit and the time
/// scale (largest T) the fit runs in.
pub(crate) struct Prepared {
    pub data: Patterns,
    pub layout: Layout,
    pub scale: f64,
}

/// Checks options and data as the shared fit does (same messages) and compresses the rows.
pub(crate) fn prepare(
    columns: &[&[f64]],
    weights: Option<&[f64]>,
    opts: &FitOptions,
) -> Result<Prepared> {
    crate::btyd::check_options(&super::ParetoNbd, opts)?;
    crate::btyd::check_columns(&super::ParetoNbd, columns)?;
    let data = Patterns::compress(&["frequency", "recency", "T"], columns, weights)?;
    check_frequency_recency_t(columns[0], columns[1], columns[2])?;
    if data.is_empty() || data.total_weight() <= 0.0 {
        return Err(ClmError::InvalidArgument(
            "no customers to fit (empty data or all weights 0)".into(),
        ));
    }
    let scale = if data.max_of(2) > 0.0 {
        data.max_of(2)
    } else {
        1.0
    };
    let layout = Layout::new(data.rescaled(&[1, 2], scale));
    Ok(Prepared {
        data,
        layout,
        scale,
    })
}

/// Natural parameters in the data's time unit -> log-parameters in rescaled time (α and β
/// carry one unit of time).
fn to_log_scaled(p: &[f64], scale: f64) -> Vec<f64> {
    vec![
        p[0].ln(),
        (p[1] / scale).ln(),
        p[2].ln(),
        (p[3] / scale).ln(),
    ]
}

fn from_log_scaled(x: &[f64], scale: f64) -> Vec<f64> {
    // Divided by 1/scale, as the shared fit converts back (same bits).
    let inv = 1.0 / scale;
    vec![x[0].exp(), x[1].exp() / inv, x[2].exp(), x[3].exp() / inv]
}

/// A starting point (natural parameters, data's time unit) from the mean purchase rate:
/// r = 1/2 with r/α the mean of x/T (the NBD moment), s = 1, β = the longest T. Measured on
/// simulated daily summaries it needs about half the iterations of (1, T, 1, T).
pub(crate) fn moment_start(prep: &Prepared) -> [f64; 4] {
    let data = &prep.layout.data;
    let (mut num, mut den) = (0.0, 0.0);
    for i in 0..data.len() {
        let row = data.row(i);
        if row[2] > 0.0 {
            num += data.weights[i] * row[0] / row[2];
            den += data.weights[i];
        }
    }
    let rate = num / den;
    let alpha = if rate.is_finite() && rate > 0.0 {
        (0.5 / rate).clamp(1e-3, 1e3)
    } else {
        1.0
    };
    [0.5, alpha * prep.scale, 1.0, prep.scale]
}

/// Iterations of the quasi-Newton method before falling back to L-BFGS: it converges in
/// 10-20 from interior starts; more means it is drifting towards a boundary.
const BHHH_MAX_ITER: usize = 100;

/// One maximum likelihood fit from `initial` (natural parameters in the data's time unit)
/// using at most `budget` iterations: quasi-Newton on log-parameters (BHHH-initialised, see
/// `opt`), L-BFGS with the rest of the budget if that fails; standard errors from the
/// observed information. A fit that ends on the boundary of the parameter space is returned
/// with `converged` false and a warning (`diagnose`); one that fails inside it is a
/// `ClmError::Convergence`.
pub(crate) fn fit_from(
    prep: &Prepared,
    initial: &[f64],
    opts: &FitOptions,
    budget: usize,
) -> Result<Fit> {
    let total_weight = prep.data.total_weight();
    let x0 = to_log_scaled(initial, prep.scale);
    let log_scale = LogScale {
        layout: &prep.layout,
        penalizer: opts.penalizer,
        total_weight,
    };
    let objective = ParetoObjective {
        layout: &prep.layout,
        penalizer: opts.penalizer,
        total_weight,
    };
    let start: [f64; 4] = std::array::from_fn(|j| x0[j].clamp(-LOG_LIMIT, LOG_LIMIT));
    let run = minimize_bhhh(&log_scale, start, opts.tol, budget.min(BHHH_MAX_ITER))
        .map_err(|err| convergence_in_data_units(err, prep.scale))?;
    let (min, log_likelihood_scaled, converged) = match run.status {
        Status::Converged => (run.min, run.point.log_likelihood, true),
        Status::Boundary => (run.min, run.point.log_likelihood, false),
        Status::Failed => {
            let used = run.min.n_iter;
            let options = Options {
                tol: opts.tol,
                max_iter: budget.saturating_sub(used).max(1),
                memory: 8,
            };
            match minimize(&objective, &run.min.x, &options) {
                Ok(mut min) => {
                    min.n_iter += used;
                    let ll = log_scale
                        .point(std::array::from_fn(|j| min.x[j]))
                        .log_likelihood;
                    (min, ll, true)
                }
                Err(ClmError::Convergence { params, .. })
                    if params.iter().any(|v| v.abs() > BOUNDARY_LOG) =>
                {
                    let point = log_scale.point(std::array::from_fn(|j| params[j]));
                    let min = Minimum {
                        x: params,
                        value: point.value,
                        grad: point.grad.to_vec(),
                        n_iter: budget,
                        n_eval: 0,
                    };
                    (min, point.log_likelihood, false)
                }
                Err(err) => return Err(convergence_in_data_units(err, prep.scale)),
            }
        }
    };
    let hessian = log_hessian(&objective, &min.x, &min.grad);
    let x_min = if converged {
        crate::numeric::optimize::newton::final_step(&min.x, &min.grad, &hessian)
    } else {
        min.x.clone()
    };
    let params = from_log_scaled(&x_min, prep.scale);
    // Rescaling time by c multiplies each pattern's likelihood by c^-x (the density of x
    // purchase times): ln L = ln L_rescaled - x ln c.
    let purchases: f64 = (0..prep.data.len())
        .map(|i| prep.data.weights[i] * prep.data.row(i)[0])
        .sum();
    let log_likelihood = log_likelihood_scaled - purchases * prep.scale.ln();
    let hessian_total: Vec<f64> = hessian.iter().map(|h| h * total_weight).collect();
    let covariance = crate::btyd::covariance(&hessian_total, &params);
    let standard_errors = (0..4).map(|j| covariance[j * 4 + j].sqrt()).collect();
    let mut fit = Fit {
        params,
        log_likelihood,
        covariance,
        standard_errors,
        n_iter: min.n_iter,
        converged,
        grad_norm: norm(&min.grad),
        n_patterns: prep.data.len(),
        n_customers: total_weight,
        time_scale: prep.scale,
        warnings: Vec::new(),
    };
    diagnose(&mut fit, NAMES, &[0, 1, 0, 1], &hessian_total);
    if !converged && fit.warnings.is_empty() {
        fit.warnings
            .push("the optimiser stopped before the gradient tolerance was met".to_string());
    }
    Ok(fit)
}

/// Reports the last point of a failed fit as natural parameters in the data's time unit
/// (the shared fit's conversion).
fn convergence_in_data_units(err: ClmError, scale: f64) -> ClmError {
    crate::btyd::in_data_units(err, &super::ParetoNbd, scale)
}

/// Relative step of the forward differences of the Hessian: with the gradient computed to
/// ~1e-14 relative, truncation (~h) and rounding (~1e-14/h) errors are both ~1e-7 or below.
const HESSIAN_STEP: f64 = 1e-6;

/// Hessian of the mean objective on the log scale, by forward differences of the analytic
/// gradient from the optimum (whose gradient is known: 4 evaluations instead of 8).
fn log_hessian(objective: &ParetoObjective<'_>, x: &[f64], grad: &[f64]) -> Vec<f64> {
    let mut hessian = vec![0.0; 16];
    let mut xp = x.to_vec();
    let mut gp = vec![0.0; 4];
    for j in 0..4 {
        let step = HESSIAN_STEP * x[j].abs().max(1.0);
        xp[j] = x[j] + step;
        objective.value_grad(&xp, &mut gp);
        xp[j] = x[j];
        for i in 0..4 {
            hessian[i * 4 + j] = (gp[i] - grad[i]) / step;
        }
    }
    crate::numeric::linalg::symmetrize(&mut hessian, 4);
    hessian
}

#[cfg(test)]
mod tests;
