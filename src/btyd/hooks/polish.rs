//! Newton polish of a converged fit, so the fitted parameters are the optimum itself (to
//! rounding) rather than wherever L-BFGS met its stopping rule.
//!
//! L-BFGS stops when the largest gradient component of the mean objective is below `tol`
//! (1e-8): on a flat ridge (BG/NBD's (r, alpha), smallest Hessian eigenvalue ~1e-2..1e-3 on
//! 100k simulated customers) that point is up to ~1e-7 relative away from the optimum, and
//! where exactly depends on the optimiser's path and on rounding of the sums it saw. A fit
//! whose log-likelihood is summed in another order (clmkit.dask sums partitions) then stops
//! elsewhere. Newton steps with the observed information converge quadratically (Nocedal &
//! Wright 2006, Thm 3.5): from the L-BFGS point one step lands at rounding level, where the
//! gradient is ~1e-16 and the parameters are pinned to ~1e-13 whatever the summation order.
//! The inverse Hessian comes from the fit's covariance (already computed for the standard
//! errors), so a polish costs one gradient evaluation per step.

use super::super::{fit_named, model_by_name, scale_params, Fit, FitOptions, LogObjective, Model, Patterns};
use crate::error::Result;
use crate::optimize::{norm, Objective};

/// Most Newton steps; from a converged L-BFGS point the first lands at rounding level and
/// the next ones confirm it (or are refused).
const MAX_STEPS: usize = 3;

/// Relative change of the mean objective below which its value cannot rank two points: the
/// sums carry rounding of ~sqrt(n) eps (1e-14 at 1e6 rows), while a step in a wrong
/// direction larger than ~1e-4 changes the value by more than this.
pub const VALUE_SLACK: f64 = 1e-11;

/// A polished point: log-parameters, objective value and gradient there, accepted steps.
#[derive(Debug, Clone)]
pub struct Polished {
    pub x: Vec<f64>,
    pub value: f64,
    pub grad: Vec<f64>,
    pub steps: usize,
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

/// Newton steps `x <- x - inverse * g(x)` from `x` with a fixed inverse Hessian `inverse`
/// (n x n, row-major) of `objective`. A step is kept only while it lowers the largest
/// gradient component and does not raise the value by more than [`VALUE_SLACK`] (near the
/// optimum the value changes by ~g^2/H, below its own rounding, so the gradient decides);
/// stops at a step below 1e-15 (log scale: relative change) or the first refused step.
pub fn newton_polish(objective: &dyn Objective, x: &[f64], inverse: &[f64]) -> Polished {
    let n = x.len();
    let mut grad = vec![0.0; n];
    let value = objective.value_grad(x, &mut grad);
    let mut best = Polished { x: x.to_vec(), value, grad, steps: 0 };
    if !value.is_finite() || inverse.len() != n * n || inverse.iter().any(|v| !v.is_finite()) {
        return best;
    }
    for _ in 0..MAX_STEPS {
        let step: Vec<f64> =
            (0..n).map(|i| -(0..n).map(|j| inverse[i * n + j] * best.grad[j]).sum::<f64>()).collect();
        if max_abs(&step) < 1e-15 {
            break;
        }
        let trial: Vec<f64> = best.x.iter().zip(&step).map(|(a, s)| a + s).collect();
        let mut grad = vec![0.0; n];
        let value = objective.value_grad(&trial, &mut grad);
        let slack = VALUE_SLACK * best.value.abs().max(1.0);
        if !(value.is_finite() && value <= best.value + slack && max_abs(&grad) < max_abs(&best.grad)) {
            break;
        }
        best = Polished { x: trial, value, grad, steps: best.steps + 1 };
    }
    best
}

/// `fit` (the result of [`super::super::fit`] on these data and options) polished by
/// [`newton_polish`]; unchanged when its covariance is not finite or no step is accepted.
/// The log-likelihood and gradient norm are re-evaluated at the polished parameters; the
/// covariance is kept (it moves by ~1e-7 relative, far below its own finite-difference error).
pub fn polish_fit(model: &dyn Model, columns: &[&[f64]], weights: Option<&[f64]>, opts: &FitOptions, fit: Fit) -> Result<Fit> {
    let data = Patterns::compress(model.columns(), columns, weights)?;
    let scaled = data.rescaled(model.time_columns(), fit.time_scale);
    let total_weight = data.total_weight();
    let objective = LogObjective { model, data: &scaled, penalizer: opts.penalizer, total_weight };
    let powers = model.time_powers();
    let x: Vec<f64> = scale_params(powers, &fit.params, fit.time_scale).iter().map(|p| p.ln()).collect();
    // fit.covariance = p_i p_j [H_total^-1]_ij on the log scale, and H_mean = H_total / W.
    let n = x.len();
    let inverse: Vec<f64> = (0..n * n)
        .map(|k| total_weight * fit.covariance.get(k).copied().unwrap_or(f64::NAN) / (fit.params[k / n] * fit.params[k % n]))
        .collect();
    let polished = newton_polish(&objective, &x, &inverse);
    if polished.steps == 0 {
        return Ok(fit);
    }
    let natural: Vec<f64> = polished.x.iter().map(|v| v.exp()).collect();
    let params = scale_params(powers, &natural, 1.0 / fit.time_scale);
    let unscaled = LogObjective { model, data: &data, penalizer: 0.0, total_weight: 1.0 };
    let (log_likelihood, _) = unscaled.total(&params);
    Ok(Fit { params, log_likelihood, grad_norm: norm(&polished.grad), n_iter: fit.n_iter + polished.steps, ..fit })
}

/// [`fit_named`] followed by [`polish_fit`]: the in-memory fit Python calls. (Inside
/// `btyd::fit`, after `covariance`, `newton_polish(&objective, &min.x, ..)` would save the
/// second pattern compression done here.)
pub fn fit_polished_named(name: &str, columns: &[&[f64]], weights: Option<&[f64]>, opts: &FitOptions) -> Result<Fit> {
    let fit = fit_named(name, columns, weights, opts)?;
    polish_fit(model_by_name(name)?, columns, weights, opts, fit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btyd::{bgnbd, fit, gammagamma};

    /// The objective summed over two row blocks compressed separately: another summation
    /// order of the same function (as clmkit.dask's partitions).
    struct Split<'a> {
        halves: [LogObjective<'a, bgnbd::BgNbd>; 2],
    }

    impl Objective for Split<'_> {
        fn dim(&self) -> usize {
            4
        }
        fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
            let mut g2 = vec![0.0; 4];
            let v = self.halves[1].value_grad(x, &mut g2) + self.halves[0].value_grad(x, grad);
            grad.iter_mut().zip(&g2).for_each(|(a, b)| *a += b);
            v
        }
    }

    #[test]
    fn polish_reaches_the_optimum_whatever_the_summation_order() {
        let (x, tx, t, _) = crate::btyd::fit_tests::cdnow();
        let opts = FitOptions::default();
        let f = fit(&bgnbd::BgNbd, &[&x, &tx, &t], None, &opts).unwrap();
        let p = polish_fit(&bgnbd::BgNbd, &[&x, &tx, &t], None, &opts, f.clone()).unwrap();
        assert!(p.log_likelihood >= f.log_likelihood - 1e-9 * f.log_likelihood.abs());
        for (a, b) in p.params.iter().zip(&f.params) {
            assert!((a / b - 1.0).abs() < 1e-5, "{:?} {:?}", p.params, f.params);
        }
        // The same objective summed over two blocks, polished from a perturbed start.
        let w = x.len() as f64;
        let k = 900;
        let cols = |a: usize, b: usize| [x[a..b].to_vec(), tx[a..b].to_vec(), t[a..b].to_vec()];
        let (lo, hi) = (cols(0, k), cols(k, x.len()));
        let compress = |c: &[Vec<f64>; 3]| {
            Patterns::compress(&["x", "tx", "T"], &[&c[0], &c[1], &c[2]], None).unwrap().rescaled(&[1, 2], f.time_scale)
        };
        let (a, b) = (compress(&lo), compress(&hi));
        let half = |d| LogObjective { model: &bgnbd::BgNbd, data: d, penalizer: 0.0, total_weight: w };
        let split = Split { halves: [half(&a), half(&b)] };
        let n = 4;
        let inverse: Vec<f64> = (0..n * n).map(|i| w * f.covariance[i] / (f.params[i / n] * f.params[i % n])).collect();
        let start: Vec<f64> = scale_params(&[0, 1, 0, 0], &f.params, f.time_scale).iter().map(|v| v.ln() + 3e-7).collect();
        let q = newton_polish(&split, &start, &inverse);
        assert!(q.steps >= 1 && max_abs(&q.grad) < 1e-13, "{q:?}");
        let params = scale_params(&[0, 1, 0, 0], &q.x.iter().map(|v| v.exp()).collect::<Vec<_>>(), 1.0 / f.time_scale);
        for (u, v) in params.iter().zip(&p.params) {
            assert!((u / v - 1.0).abs() < 1e-11, "{params:?} {:?}", p.params);
        }
    }

    #[test]
    fn refused_steps_leave_the_fit_alone() {
        let (x, _, _, m) = crate::btyd::fit_tests::cdnow();
        let (xs, ms): (Vec<f64>, Vec<f64>) = x.iter().zip(&m).filter(|(x, _)| **x > 0.0).map(|(a, b)| (*a, *b)).unzip();
        let opts = FitOptions::default();
        let f = fit(&gammagamma::GammaGamma, &[&xs, &ms], None, &opts).unwrap();
        let nan = Fit { covariance: vec![f64::NAN; 9], ..f.clone() };
        let same = polish_fit(&gammagamma::GammaGamma, &[&xs, &ms], None, &opts, nan).unwrap();
        assert_eq!((same.params, same.n_iter), (f.params.clone(), f.n_iter));
        let p = fit_polished_named("gammagamma", &[&xs, &ms], None, &opts).unwrap();
        assert!(p.grad_norm <= f.grad_norm && p.log_likelihood >= f.log_likelihood - 1e-9);
    }
}
