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

use rayon::prelude::*;

use super::opt::{minimize_bhhh, LogScale, Status};
use super::{alive_term, combine, dead_term, ln_tail, Constants, Params, NAMES};
use crate::btyd::diagnose::{diagnose, outside_box, BOUNDARY_LOG, LOG_LIMIT};
use crate::btyd::validate::check_frequency_recency_t;
use crate::btyd::{Fit, FitOptions, Patterns};
use crate::error::{ClmError, Result};
use crate::numeric::optimize::{minimize, norm, Minimum, Objective, Options};

/// Patterns per task of the parallel sum (the shared fit's chunk, so sums agree bitwise).
const FIT_CHUNK: usize = 1024;

/// Marks a pattern with t_x = T (no death between t_x and T).
const NO_TAIL: u32 = u32::MAX;

/// Index tables of a set of (rescaled) patterns sorted by (x, t_x, T).
pub(crate) struct Layout {
    pub data: Patterns,
    xs: Vec<f64>,
    x_index: Vec<u32>,
    ts: Vec<f64>,
    t_index: Vec<u32>,
    /// Distinct tails: (index into xs, u).
    tails: Vec<(u32, f64)>,
    tail_tx: Vec<u32>,
    tail_t: Vec<u32>,
}

fn sorted_distinct(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_unstable_by(f64::total_cmp);
    v.dedup();
    v
}

fn position(sorted: &[f64], v: f64) -> u32 {
    sorted.partition_point(|w| w.total_cmp(&v).is_lt()) as u32
}

/// The tails one frequency group needs: its distinct u (every T, and t_x where t_x < T),
/// and for each pattern the position of its t_x (NO_TAIL if none) and T among them.
fn group_tails(tx: &[f64], t: &[f64]) -> (Vec<f64>, Vec<u32>, Vec<u32>) {
    let mut us: Vec<f64> = t.to_vec();
    us.extend(tx.iter().zip(t).filter(|(a, b)| a < b).map(|(a, _)| *a));
    let us = sorted_distinct(us);
    let at_tx = tx
        .iter()
        .zip(t)
        .map(|(&a, &b)| if a < b { position(&us, a) } else { NO_TAIL })
        .collect();
    let at_t = t.iter().map(|&b| position(&us, b)).collect();
    (us, at_tx, at_t)
}

impl Layout {
    /// `data` has columns (x, t_x, T), sorted as `Patterns::compress` leaves them. Groups of
    /// equal x are tabulated in parallel and concatenated in order (same layout for any
    /// thread count).
    pub fn new(data: Patterns) -> Layout {
        let n = data.len();
        let col = |c: usize| (0..n).map(|i| data.rows[i * 3 + c]).collect::<Vec<f64>>();
        let (x, tx, t) = (col(0), col(1), col(2));
        // Patterns are sorted by x: one group per distinct frequency, in increasing order.
        let mut bounds = vec![0];
        bounds.extend((1..n).filter(|&i| x[i] != x[i - 1]));
        bounds.push(n);
        let xs: Vec<f64> = bounds[..bounds.len() - 1].iter().map(|&i| x[i]).collect();
        let (ts, groups) = rayon::join(
            || sorted_distinct(t.clone()),
            || {
                (0..xs.len())
                    .into_par_iter()
                    .map(|g| {
                        group_tails(&tx[bounds[g]..bounds[g + 1]], &t[bounds[g]..bounds[g + 1]])
                    })
                    .collect::<Vec<_>>()
            },
        );
        let mut t_index = vec![0u32; n];
        t_index
            .par_iter_mut()
            .zip(&t)
            .for_each(|(k, &v)| *k = position(&ts, v));
        let (mut tails, mut tail_tx, mut tail_t, mut x_index) = (
            Vec::new(),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for (g, (us, at_tx, at_t)) in groups.into_iter().enumerate() {
            let base = tails.len() as u32;
            tails.extend(us.iter().map(|&u| (g as u32, u)));
            tail_tx.extend(
                at_tx
                    .iter()
                    .map(|&k| if k == NO_TAIL { NO_TAIL } else { base + k }),
            );
            tail_t.extend(at_t.iter().map(|&k| base + k));
            x_index.resize(x_index.len() + at_t.len(), g as u32);
        }
        Layout {
            data,
            xs,
            x_index,
            ts,
            t_index,
            tails,
            tail_tx,
            tail_t,
        }
    }

    /// Number of distinct tails evaluated per likelihood evaluation.
    #[cfg(test)]
    pub fn n_tails(&self) -> usize {
        self.tails.len()
    }

    /// Weighted log-likelihood of all patterns at natural parameters `p` and its gradient.
    pub fn total(&self, p: &Params) -> (f64, [f64; 4]) {
        let sums = self.sums(p, false);
        (sums[0], [sums[1], sums[2], sums[3], sums[4]])
    }

    /// Sums over patterns of w·ll, w·∇ll and, when `opg`, of the outer products w·∇ll ∇llᵀ
    /// (upper triangle, row-major: the BHHH approximation of the information).
    pub fn sums(&self, p: &Params, opg: bool) -> [f64; 15] {
        let c = Constants::new(p);
        let freq: Vec<(f64, f64)> = self.xs.iter().map(|&x| c.frequency(x)).collect();
        let t_logs: Vec<(f64, f64)> = self
            .ts
            .iter()
            .map(|&t| ((p[1] + t).ln(), (p[3] + t).ln()))
            .collect();
        let tails: Vec<(f64, [f64; 4])> = self
            .tails
            .par_iter()
            .with_min_len(256)
            .map(|&(k, u)| ln_tail(p, self.xs[k as usize], u))
            .collect();
        let n = self.data.len();
        let partial: Vec<[f64; 15]> = (0..n.div_ceil(FIT_CHUNK))
            .into_par_iter()
            .map(|chunk| {
                let mut acc = [0.0; 15];
                for i in chunk * FIT_CHUNK..((chunk + 1) * FIT_CHUNK).min(n) {
                    let row = self.data.row(i);
                    let (la, lb) = t_logs[self.t_index[i] as usize];
                    let alive = alive_term(p, row[0], row[2], la, lb);
                    let dead = match self.tail_tx[i] {
                        NO_TAIL => (f64::NEG_INFINITY, [0.0; 4]),
                        k => dead_term(
                            c.ln_s,
                            c.inv_s,
                            tails[k as usize],
                            tails[self.tail_t[i] as usize],
                        ),
                    };
                    let mut g = [0.0; 4];
                    let ll = combine(p, &c, freq[self.x_index[i] as usize], alive, dead, &mut g);
                    let w = self.data.weights[i];
                    acc[0] += w * ll;
                    for j in 0..4 {
                        acc[j + 1] += w * g[j];
                    }
                    if opg {
                        add_outer(&mut acc[5..], w, &g);
                    }
                }
                acc
            })
            .collect();
        let mut sums = [0.0; 15];
        for acc in &partial {
            for (s, a) in sums.iter_mut().zip(acc) {
                *s += a;
            }
        }
        sums
    }
}

/// Adds w g gᵀ (upper triangle, row-major) to `out`.
#[inline]
fn add_outer(out: &mut [f64], w: f64, g: &[f64; 4]) {
    let mut k = 0;
    for a in 0..4 {
        let wa = w * g[a];
        for gb in &g[a..] {
            out[k] += wa * gb;
            k += 1;
        }
    }
}

/// Mean penalised negative log-likelihood over rescaled patterns as a function of
/// log-parameters (the shared fit's objective).
#[derive(Clone, Copy)]
pub(crate) struct ParetoObjective<'a> {
    pub layout: &'a Layout,
    pub penalizer: f64,
    pub total_weight: f64,
}

impl Objective for ParetoObjective<'_> {
    fn dim(&self) -> usize {
        4
    }

    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        if outside_box(x) {
            grad.iter_mut().for_each(|g| *g = f64::NAN);
            return f64::INFINITY;
        }
        let params = [x[0].exp(), x[1].exp(), x[2].exp(), x[3].exp()];
        let (ll, g) = self.layout.total(&params);
        let mut value = -ll / self.total_weight;
        for j in 0..4 {
            let p = params[j];
            value += self.penalizer * p * p;
            // Chain rule to log scale: d/dlog p = p d/dp.
            grad[j] = -g[j] * p / self.total_weight + 2.0 * self.penalizer * p * p;
        }
        value
    }
}

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

/// Reports the last point of a failed fit as natural parameters in the data's time unit.
fn convergence_in_data_units(err: ClmError, scale: f64) -> ClmError {
    match err {
        ClmError::Convergence {
            message,
            params,
            grad_norm,
        } => ClmError::Convergence {
            message: format!("{message} fitting ({})", NAMES.join(", ")),
            params: from_log_scaled(&params, scale),
            grad_norm,
        },
        other => other,
    }
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
