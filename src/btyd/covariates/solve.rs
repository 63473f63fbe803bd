//! The optimisers of a covariate fit: damped Newton on the exact Hessian
//! ([`super::hessian`]) where it is cheap (BG family, Pareto/NBD), BHHH then L-BFGS
//! otherwise and as the fallback; the exact Hessian at the optimum gives the final step and
//! standard errors.

use std::cell::RefCell;

use super::hessian::Second;
use super::objective::CovObjective;
use crate::btyd::{diagnose, FitOptions};
use crate::error::{ClmError, Result};
use crate::numeric::optimize::newton::{self, End, Evaluation, NewtonOptions, Rules, Stop};
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

/// The end of a Newton fit: the minimum, the total Hessian there and, when the last pass
/// was exact, its totals (so the log-likelihood needs no further pass).
pub struct NewtonEnd {
    pub min: Minimum,
    pub hessian: Vec<f64>,
    pub second: Option<Second>,
}

/// Newton decrement g' H^-1 g (mean objective) below which the run stops before evaluating
/// again, provided the remaining step is below [`LAST_STEP`].
const DECREMENT: f64 = 1e-10;
/// Largest log-scale step left to the final Newton step without evaluating after it:
/// Newton converges quadratically (Nocedal & Wright 2006, Thm 3.5), and measured on the
/// 1M-customer benchmark the step after a step d is ~0.5 |d|^2, so this leaves the
/// parameters ~1e-10 from the optimum (the old extra pass moved them by less than that).
const LAST_STEP: f64 = 1e-5;

/// Damped Newton with the exact Hessian from `theta0`; falls back to [`bhhh_lbfgs`].
///
/// Large data start from a sample's optimum ([`warm_start_newton`]) moved by one
/// first-order pass with the sample's Hessian (far from the optimum that step is as good as
/// an exact one; a first-order pass costs about 0.6 of an exact one), then by passes with
/// the exact gradient and a sampled Hessian ([`sampled_hessian_steps`], ~0.65 of an exact
/// pass) until their step is small. Then exact passes until the Newton decrement is below
/// [`DECREMENT`] with a step below [`LAST_STEP`]: that last step is the caller's
/// `final_step`, so the point is not evaluated again (on the 1M-customer benchmark: one
/// first-order, one sampled and one exact pass, where two exact passes followed the
/// first-order one before). When the
/// decrement rule does not end the run, Newton under the BTYD rules (largest gradient
/// component below `opts.tol`) continues from where it stopped.
pub fn newton_fit(
    objective: &CovObjective<'_>,
    theta0: &[f64],
    opts: &FitOptions,
    options: &Options,
) -> Result<NewtonEnd> {
    let w = objective.total_weight;
    let warm = warm_start_newton(objective, theta0, opts).map(|(x, hessian)| {
        let x = first_order_step(objective, &x, &hessian).unwrap_or(x);
        sampled_hessian_steps(objective, x)
    });
    let last: RefCell<Option<Second>> = RefCell::new(None);
    let mut eval = |x: &[f64]| -> Result<Option<Evaluation>> {
        if diagnose::outside_box(x) {
            return Ok(None);
        }
        let s = objective.second(x);
        let e = objective.evaluation_of(x, &s);
        *last.borrow_mut() = Some(s);
        Ok(e)
    };
    let btyd = Rules::btyd(opts.tol, opts.max_iter.min(200));
    let by_decrement = Rules {
        stop: Stop::Decrement,
        tol: DECREMENT,
        ..btyd
    };
    let mut from = warm.clone().unwrap_or_else(|| theta0.to_vec());
    let mut run = newton::run(&from, &by_decrement, &mut eval);
    if run.is_err() && warm.is_some() {
        from = theta0.to_vec();
        run = newton::run(&from, &by_decrement, &mut eval);
    }
    let mut spent = 0;
    if let Ok(r) = run {
        if let End::Decrement { x_final, .. } = &r.end {
            let step = x_final
                .iter()
                .zip(&r.x)
                .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
            if step <= LAST_STEP {
                // The run's last evaluation is the point it accepted last: r.x.
                return Ok(newton_end(r.x, r.point, r.n_iter, w, last.take()));
            }
            from = x_final.clone();
        } else {
            from = r.x;
        }
        spent = r.n_iter;
    }
    let rules = Rules {
        max_iter: btyd.max_iter.saturating_sub(spent).max(1),
        ..btyd
    };
    if let Ok(r) = newton::run(&from, &rules, &mut eval) {
        if r.end == End::Converged {
            return Ok(newton_end(r.x, r.point, spent + r.n_iter, w, last.take()));
        }
    }
    let min = bhhh_lbfgs(objective, theta0, opts, options)?;
    let hessian = total_hessian(objective, &min.x);
    Ok(NewtonEnd {
        min,
        hessian,
        second: None,
    })
}

fn newton_end(
    x: Vec<f64>,
    point: Evaluation,
    n_iter: usize,
    w: f64,
    second: Option<Second>,
) -> NewtonEnd {
    NewtonEnd {
        hessian: point.hessian.iter().map(|v| v * w).collect(),
        min: Minimum {
            x,
            value: point.value,
            grad: point.gradient,
            n_iter,
            n_eval: n_iter + 1,
        },
        second,
    }
}

/// `x` moved by the Newton step of one first-order pass with `hessian` (the sample's,
/// capped at 3 in log-scale as the BTYD rules); None where the pass is not finite.
fn first_order_step(objective: &CovObjective<'_>, x: &[f64], hessian: &[f64]) -> Option<Vec<f64>> {
    let (value, gradient) = objective.first_order(x)?;
    let finite = value.is_finite() && gradient.iter().all(|g| g.is_finite());
    let l = newton::factor_with_ridge(hessian, x.len()).filter(|_| finite)?;
    let neg_g: Vec<f64> = gradient.iter().map(|g| -g).collect();
    let mut step = crate::numeric::linalg::cholesky_solve(&l, x.len(), &neg_g);
    let longest = step.iter().fold(0.0f64, |m, s| m.max(s.abs()));
    if longest > 3.0 {
        step.iter_mut().for_each(|s| *s *= 3.0 / longest);
    }
    Some(x.iter().zip(&step).map(|(a, s)| a + s).collect())
}

/// Every how many cells the Hessian of [`sampled_hessian_steps`] is summed over: a quarter
/// of the cells estimates the whole's Hessian to ~1% (measured on the 1M-customer
/// benchmark: the step after a step d is ~0.01 d), for a quarter of the exact Hessian's cost.
const HESSIAN_EVERY: usize = 4;
/// A sampled-Hessian step at most this long leaves the point within ~1e-5 of the optimum
/// (~1% of the step): exact Newton then ends after one pass ([`LAST_STEP`]).
const SAMPLED_UNTIL: f64 = 1e-3;
/// Sampled-Hessian passes at most (the exact passes take over after them).
const SAMPLED_PASSES: usize = 3;

/// Newton steps with the exact gradient and a Hessian summed over every
/// [`HESSIAN_EVERY`]-th cell, from `x` until a step is at most [`SAMPLED_UNTIL`]: far from
/// the end a Newton step needs only a rough Hessian (the step's error is the Hessian's
/// relative error times the step), and the exact passes after it then start ~1e-5 from the
/// optimum, so one of them ends the run. The gradient is exact, so the optimum is the
/// same; the standard errors come from the exact pass. Returns the last point whose
/// evaluation was finite and whose step was (capped at 3 in log-scale as the BTYD rules).
fn sampled_hessian_steps(objective: &CovObjective<'_>, mut x: Vec<f64>) -> Vec<f64> {
    let n = x.len();
    for _ in 0..SAMPLED_PASSES {
        let s = objective.second_every(&x, HESSIAN_EVERY);
        let Some(e) = objective.evaluation_of(&x, &s) else {
            return x;
        };
        let Some(l) = newton::factor_with_ridge(&e.hessian, n) else {
            return x;
        };
        let neg_g: Vec<f64> = e.gradient.iter().map(|g| -g).collect();
        let mut step = crate::numeric::linalg::cholesky_solve(&l, n, &neg_g);
        let longest = step.iter().fold(0.0f64, |m, s| m.max(s.abs()));
        if !longest.is_finite() {
            return x;
        }
        if longest > 3.0 {
            step.iter_mut().for_each(|s| *s *= 3.0 / longest);
        }
        x.iter_mut().zip(&step).for_each(|(a, s)| *a += s);
        if longest <= SAMPLED_UNTIL {
            break;
        }
    }
    x
}

/// Cells in the sample that gives large Newton fits their starting point.
pub const WARM_CELLS: usize = 50_000;

/// The systematic sample of about [`WARM_CELLS`] cells of a large design (at least four
/// times as many cells), as an objective over it; None for smaller data.
fn with_sample<T>(
    objective: &CovObjective<'_>,
    then: impl FnOnce(&CovObjective<'_>) -> Option<T>,
) -> Option<T> {
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
    then(&sub)
}

/// Newton's optimum on the sample ([`with_sample`]) and the sample's mean Hessian there:
/// the start and the fixed Hessian of [`newton_fit`]'s first-order passes.
fn warm_start_newton(
    objective: &CovObjective<'_>,
    theta0: &[f64],
    opts: &FitOptions,
) -> Option<(Vec<f64>, Vec<f64>)> {
    with_sample(objective, |sub| {
        // The sample's optimum is ~4 standard errors (~4e-2 in log-scale on the 1M
        // benchmark) from the whole's: a decrement of 1e-6 (steps ~1e-3) is close enough
        // for the first-order step that follows, and saves the sample's last passes.
        let rules = Rules {
            stop: Stop::Decrement,
            tol: 1e-6,
            ..Rules::btyd(opts.tol, opts.max_iter.min(200))
        };
        let r = newton::run(theta0, &rules, &mut |x: &[f64]| Ok(sub.newton_point(x))).ok()?;
        let x = match r.end {
            End::Decrement { x_final, .. } => x_final,
            End::Converged => r.x,
            End::MaxIter => return None,
        };
        x.iter()
            .all(|v| v.is_finite())
            .then_some((x, r.point.hessian))
    })
}

/// The optimum on a systematic sample of about [`WARM_CELLS`] cells when there are at
/// least four times as many (as the plain BG/NBD fit's warm start), by BHHH then L-BFGS:
/// it is within a few standard errors of the whole's optimum. None for smaller data or
/// when the sample's fit fails.
pub fn warm_start(
    objective: &CovObjective<'_>,
    theta0: &[f64],
    opts: &FitOptions,
    options: &Options,
) -> Option<Vec<f64>> {
    with_sample(objective, |sub| {
        let x = bhhh_lbfgs(sub, theta0, opts, options).ok()?.x;
        x.iter().all(|v| v.is_finite()).then_some(x)
    })
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
