//! Newton's method on the log-parameters for models with an analytic Hessian
//! ([`Model::totals`]): the model's objective in log-parameters, driven by the shared damped
//! Newton of `numeric::optimize::newton`. Near the maximum it converges quadratically: on
//! BG/NBD it needs a handful of whole-data evaluations where L-BFGS needs tens, and the
//! Hessian at the optimum gives the standard errors without finite differences.

use super::{FitOptions, Model, Patterns};
use crate::numeric::optimize::line_search::Trial;
use crate::numeric::optimize::newton::{self, Curved, End, Rules};

/// The minimum found: log-parameters, gradient of the mean objective, Hessian of the total
/// penalised negative log-likelihood (row-major, log scale), iterations.
pub(super) struct NewtonFit {
    pub x: Vec<f64>,
    /// Total log-likelihood (without the penalty) at `x`.
    pub ll: f64,
    pub grad: Vec<f64>,
    pub hessian: Vec<f64>,
    pub n_iter: usize,
}

struct Point {
    ll: f64,
    value: f64,
    grad: Vec<f64>,
    hess: Vec<f64>,
}

/// Mean penalised negative log-likelihood at log-parameters `x` with its gradient and
/// Hessian in `x` (chain rule: p = e^x, d/dx_i = p_i d/dp_i, and the second derivative gains
/// p_i d f / d p_i on the diagonal). None when the model has no analytic Hessian or the
/// value is not finite.
fn evaluate<M: Model + ?Sized>(
    model: &M,
    data: &Patterns,
    x: &[f64],
    penalizer: f64,
    total_weight: f64,
) -> Option<Point> {
    if super::diagnose::outside_box(x) {
        return None;
    }
    let p: Vec<f64> = x.iter().map(|v| v.exp()).collect();
    let t = model.totals(&p, data)?;
    let n = p.len();
    let mut value = -t.ll / total_weight;
    let mut grad = vec![0.0; n];
    let mut hess = vec![0.0; n * n];
    for i in 0..n {
        value += penalizer * p[i] * p[i];
        grad[i] = -t.grad[i] * p[i] / total_weight + 2.0 * penalizer * p[i] * p[i];
        for j in 0..n {
            hess[i * n + j] = -t.hessian[i * n + j] * p[i] * p[j] / total_weight;
        }
        hess[i * n + i] += -t.grad[i] * p[i] / total_weight + 4.0 * penalizer * p[i] * p[i];
    }
    let finite = value.is_finite() && grad.iter().chain(&hess).all(|v| v.is_finite());
    finite.then_some(Point {
        ll: t.ll,
        value,
        grad,
        hess,
    })
}

impl Trial for Point {
    fn value(&self) -> f64 {
        self.value
    }
    fn gradient(&self) -> &[f64] {
        &self.grad
    }
}

impl Curved for Point {
    fn hessian(&self) -> &[f64] {
        &self.hess
    }
}

/// Patterns in the subsample that gives large fits their starting point.
pub(super) const WARM_START_PATTERNS: usize = 20_000;

/// A systematic subsample of about `n / k` patterns standing for the whole: patterns of
/// weight >= k are kept as they are; the others are walked in order, and one is kept with
/// weight k each time their running weight passes another k (sampling proportional to
/// weight, so the subsample's log-likelihood estimates the full one without bias).
pub(super) fn subsample(data: &Patterns, k: f64) -> Patterns {
    let mut out = Patterns {
        k: data.k,
        rows: vec![],
        weights: vec![],
        levels: data.levels.clone(),
        codes: vec![],
    };
    let mut pending = 0.0;
    for i in 0..data.len() {
        let w = data.weights[i];
        let kept = if w >= k {
            w
        } else {
            pending += w;
            if pending < k {
                continue;
            }
            pending -= k;
            k
        };
        out.rows.extend_from_slice(data.row(i));
        out.codes
            .extend_from_slice(&data.codes[i * data.k..(i + 1) * data.k]);
        out.weights.push(kept);
    }
    out
}

/// Newton from `x0` on a subsample of about `warm` patterns first when the data have at least
/// 4 `warm` patterns (`WARM_START_PATTERNS` in fits): the subsample's maximum is
/// within a few standard errors of the full one, where Newton on all patterns converges in
/// two or three steps instead of the seven or so from a default start.
pub(super) fn minimize_warm<M: Model + ?Sized>(
    model: &M,
    data: &Patterns,
    x0: &[f64],
    opts: &FitOptions,
    total_weight: f64,
    warm: usize,
) -> Option<NewtonFit> {
    let mut start = x0.to_vec();
    if data.len() >= 4 * warm {
        let sample = subsample(data, (data.len() / warm) as f64);
        let loose = FitOptions {
            tol: opts.tol.max(1e-6),
            ..opts.clone()
        };
        if let Some(warm) = minimize(model, &sample, x0, &loose, sample.total_weight()) {
            start = warm.x;
        }
    }
    minimize(model, data, &start, opts, total_weight)
}

/// Minimises the mean penalised negative log-likelihood from `x0` (log-parameters) until the
/// largest gradient component is below `opts.tol` (L-BFGS's test), by the shared damped Newton
/// under [`Rules::btyd`]. None when the model has no analytic Hessian or Newton fails (no
/// decrease along the step, or `max_iter` reached): the caller then runs L-BFGS, which
/// reports failures with its own diagnostics.
pub(super) fn minimize<M: Model + ?Sized>(
    model: &M,
    data: &Patterns,
    x0: &[f64],
    opts: &FitOptions,
    total_weight: f64,
) -> Option<NewtonFit> {
    let mut eval = |x: &[f64]| Ok(evaluate(model, data, x, opts.penalizer, total_weight));
    let run = newton::run(x0, &Rules::btyd(opts.tol, opts.max_iter), &mut eval).ok()?;
    (run.end == End::Converged).then(|| NewtonFit {
        hessian: run.point.hess.iter().map(|h| h * total_weight).collect(),
        x: run.x,
        ll: run.point.ll,
        grad: run.point.grad,
        n_iter: run.n_iter,
    })
}
