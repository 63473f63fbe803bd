//! The damped Newton method every Newton fit of clmkit runs: Cox's partial likelihood, the
//! Weibull AFT, the contractual and Gamma-Gamma likelihoods (rules [`Rules::halving`]), the
//! BTYD models with an analytic Hessian ([`Rules::btyd`]) and the Dask likelihood driver
//! ([`Rules::distributed`]). Minimises `f`; callers pass the negative log-likelihood.
//!
//! Each iteration solves H d = -g by Cholesky. When H is not positive definite (far from the
//! optimum of a non-convex problem) a ridge is added until it is (Levenberg's fix). The step
//! may be capped (a trust region in the max norm) and is then shortened by the shared
//! backtracking line search ([`super::line_search`]) until the rule set accepts it. The rule
//! sets differ only in how convergence is judged and what a line search accepts, which is
//! what keeps each caller's results unchanged by the fold.

use super::line_search::{max_abs, Accept, Backtrack, Flat, Trial};
use crate::error::{ClmError, Result};
use crate::numeric::linalg;

/// Value, gradient and Hessian (row-major, n x n) of the objective at a point.
pub struct Evaluation {
    pub value: f64,
    pub gradient: Vec<f64>,
    pub hessian: Vec<f64>,
}

#[derive(Debug, Clone, Copy)]
pub struct NewtonOptions {
    pub max_iter: usize,
    /// Converged when the Newton decrement g' H^-1 g falls below this (it estimates twice the
    /// distance to the minimum in objective units, so 1e-12 leaves parameters exact to ~1e-6
    /// relative to their standard errors, and the next step makes them exact).
    pub tol: f64,
    pub max_halvings: usize,
}

impl Default for NewtonOptions {
    fn default() -> Self {
        NewtonOptions {
            max_iter: 100,
            tol: 1e-14,
            max_halvings: 30,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewtonResult {
    pub x: Vec<f64>,
    pub value: f64,
    pub gradient: Vec<f64>,
    pub hessian: Vec<f64>,
    pub n_iter: usize,
    pub converged: bool,
}

/// Cholesky of H, or of H + ridge I with the smallest tried ridge that works.
pub fn factor_with_ridge(h: &[f64], n: usize) -> Option<Vec<f64>> {
    if let Ok(l) = linalg::cholesky(h, n) {
        return Some(l);
    }
    let scale = (0..n).map(|i| h[i * n + i].abs()).fold(1e-12, f64::max);
    let mut ridge = scale * 1e-8;
    while ridge < scale * 1e8 {
        let mut shifted = h.to_vec();
        for i in 0..n {
            shifted[i * n + i] += ridge;
        }
        if let Ok(l) = linalg::cholesky(&shifted, n) {
            return Some(l);
        }
        ridge *= 10.0;
    }
    None
}

/// Largest log-scale change a final Newton step may make: beyond it the point is not close
/// enough to an optimum for the quadratic model to be trusted without evaluating.
const MAX_FINAL_STEP: f64 = 1e-3;

/// One Newton step `x - H^-1 g` from a converged point (`grad` and `hessian` of the same
/// objective, any common scale), taken without evaluating there. An optimiser stopping on a
/// gradient tolerance leaves an error ~H^-1 g (1e-7 relative on flat BTYD ridges) that
/// depends on its path and on the rounding of the sums it saw; near the optimum Newton
/// converges quadratically (Nocedal & Wright 2006, Thm 3.5), so this step lands at the optimum
/// to rounding whatever the summation order (clmkit.dask's partition sums agree with the
/// in-memory fit to ~1e-13). `x` is returned unchanged when `hessian` is not positive definite
/// or the step is not small.
pub fn final_step(x: &[f64], grad: &[f64], hessian: &[f64]) -> Vec<f64> {
    let neg_g: Vec<f64> = grad.iter().map(|g| -g).collect();
    match linalg::solve_spd(hessian, x.len(), &neg_g) {
        Ok(step) if step.iter().all(|s| s.abs() <= MAX_FINAL_STEP) => {
            x.iter().zip(&step).map(|(a, s)| a + s).collect()
        }
        _ => x.to_vec(),
    }
}

/// How a run decides it has converged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stop {
    /// The Newton decrement g' H^-1 g is below `tol`; the last, tiny step is taken without
    /// evaluating there (see [`minimize`]).
    Decrement,
    /// The largest gradient component is below `tol` (L-BFGS's test, so the BTYD fallbacks
    /// agree on what converged means).
    MaxGradient,
    /// Iterate to rounding level: stop when the step vanishes (< 1e-15) or when no trial is
    /// accepted with the largest gradient component below `tol`. While the decrement is
    /// below `slack · max(|f|, 1)` only the full step is tried and only the flat rule accepts
    /// it. For sums whose rounding differs from the in-memory fit's (Dask partitions): both
    /// end at the optimum itself.
    Polish { slack: f64 },
}

/// A damped-Newton rule set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rules {
    pub max_iter: usize,
    pub tol: f64,
    pub stop: Stop,
    /// Largest change of any coordinate in one step (None = the full Newton step).
    pub max_step: Option<f64>,
    pub search: Backtrack,
    /// Stop as converged when an accepted step changes `f` by at most this relative amount
    /// (the objective no longer changes in double precision).
    pub stall: Option<f64>,
}

impl Rules {
    /// Step halving until no increase (R's `coxph`, lifelines), decrement test, stall stop.
    pub fn halving(opts: &NewtonOptions) -> Rules {
        Rules {
            max_iter: opts.max_iter,
            tol: opts.tol,
            stop: Stop::Decrement,
            max_step: None,
            search: Backtrack {
                max_tries: opts.max_halvings + 1,
                shrink: 0.5,
                shrink_nonfinite: 0.5,
                accept: Accept::NoIncrease { slack: 1e-12 },
                flat: Flat::Off,
            },
            stall: Some(1e-15),
        }
    }

    /// BTYD log-parameters: steps capped at 3 (a factor e^3 on a parameter, so a poor start
    /// cannot overflow the likelihood's terms), Armijo with the flat rule, 40 halvings.
    pub fn btyd(tol: f64, max_iter: usize) -> Rules {
        Rules {
            max_iter,
            tol,
            stop: Stop::MaxGradient,
            max_step: Some(3.0),
            search: Backtrack {
                max_tries: 40,
                shrink: 0.5,
                shrink_nonfinite: 0.5,
                accept: Accept::Armijo { c: 1e-4 },
                flat: Flat::Below(1e-13),
            },
            stall: None,
        }
    }

    /// The Dask likelihood driver: each trial is a pass over the cluster, so few and
    /// coarse trials (t = 1, 1/4, 1/16, 1/64), steps capped at 1, iteration to rounding
    /// level with a slack of 1e-11 (partition sums carry ~sqrt(n) eps of rounding).
    pub fn distributed(tol: f64, max_iter: usize) -> Rules {
        Rules {
            max_iter,
            tol,
            stop: Stop::Polish { slack: 1e-11 },
            max_step: Some(1.0),
            search: Backtrack {
                max_tries: 4,
                shrink: 0.25,
                shrink_nonfinite: 0.25,
                accept: Accept::Lower,
                flat: Flat::Below(1e-11),
            },
            stall: None,
        }
    }
}

/// A point with the curvature a Newton step needs.
pub trait Curved: Trial {
    /// Row-major n x n Hessian.
    fn hessian(&self) -> &[f64];
}

impl Trial for Evaluation {
    fn value(&self) -> f64 {
        self.value
    }
    fn gradient(&self) -> &[f64] {
        &self.gradient
    }
}

impl Curved for Evaluation {
    fn hessian(&self) -> &[f64] {
        &self.hessian
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum End {
    Converged,
    /// Converged by the decrement test: the final step `x_final` (not evaluated) lowers
    /// the value by `decrement / 2` up to O(|step|^3).
    Decrement {
        x_final: Vec<f64>,
        decrement: f64,
    },
    /// `max_iter` steps without meeting the test.
    MaxIter,
}

/// The last accepted point of a run, its evaluation and the steps taken.
pub struct Run<E> {
    pub x: Vec<f64>,
    pub point: E,
    pub n_iter: usize,
    pub end: End,
}

fn convergence(message: String, x: &[f64], grad: &[f64]) -> ClmError {
    ClmError::Convergence {
        message,
        params: x.to_vec(),
        grad_norm: super::norm(grad),
    }
}

/// Runs damped Newton from `x0` under `rules`. `eval(x)` returns `Ok(None)` outside the
/// domain (an infinitely bad point: the step is shortened) and `Err` for problems with the
/// data. Errors are `Convergence` when the Hessian cannot be factorised or no trial is
/// accepted (except under [`Stop::Polish`] with a small gradient, which is convergence).
pub fn run<E: Curved>(
    x0: &[f64],
    rules: &Rules,
    eval: &mut dyn FnMut(&[f64]) -> Result<Option<E>>,
) -> Result<Run<E>> {
    let n = x0.len();
    let mut x = x0.to_vec();
    let mut cur = eval(&x)?.filter(|e| e.finite()).ok_or_else(|| {
        convergence(
            "the objective is not finite at the initial parameters".into(),
            &x,
            &[f64::NAN],
        )
    })?;
    let done = |x: Vec<f64>, point: E, n_iter: usize, end: End| {
        Ok(Run {
            x,
            point,
            n_iter,
            end,
        })
    };
    for iter in 0..rules.max_iter {
        crate::parallel::check_interrupt()?;
        if rules.stop == Stop::MaxGradient && max_abs(cur.gradient()) < rules.tol {
            return done(x, cur, iter, End::Converged);
        }
        let l = factor_with_ridge(cur.hessian(), n).ok_or_else(|| {
            let message = format!(
                "Newton iteration {}: the Hessian cannot be factorised",
                iter + 1
            );
            convergence(message, &x, cur.gradient())
        })?;
        let neg_g: Vec<f64> = cur.gradient().iter().map(|g| -g).collect();
        let mut step = linalg::cholesky_solve(&l, n, &neg_g);
        if rules.stop == Stop::Decrement {
            let decrement: f64 = -step
                .iter()
                .zip(cur.gradient())
                .map(|(s, g)| s * g)
                .sum::<f64>();
            if decrement.abs() < rules.tol {
                let x_final = x.iter().zip(&step).map(|(a, s)| a + s).collect();
                let end = End::Decrement { x_final, decrement };
                return done(x, cur, iter + 1, end);
            }
        }
        if let Some(limit) = rules.max_step {
            let longest = max_abs(&step);
            if longest > limit {
                step.iter_mut().for_each(|s| *s *= limit / longest);
            }
        }
        let slope: f64 = step.iter().zip(cur.gradient()).map(|(s, g)| s * g).sum();
        let mut search = rules.search;
        if let Stop::Polish { slack } = rules.stop {
            if max_abs(&step) < 1e-15 {
                return done(x, cur, iter, End::Converged);
            }
            if -slope <= slack * cur.value().abs().max(1.0) {
                search.max_tries = 1;
                search.accept = Accept::FlatOnly;
            }
        }
        let from = (cur.value(), cur.gradient(), slope);
        match search.search(&x, &step, 1.0, from, eval)? {
            Ok(next) => {
                let stalled = rules.stall.is_some_and(|rel| {
                    (cur.value() - next.point.value()).abs() <= rel * cur.value().abs().max(1.0)
                });
                x = next.x;
                cur = next.point;
                if stalled {
                    return done(x, cur, iter + 1, End::Converged);
                }
            }
            Err(_)
                if matches!(rules.stop, Stop::Polish { .. })
                    && max_abs(cur.gradient()) < rules.tol =>
            {
                return done(x, cur, iter, End::Converged);
            }
            Err(refused) => {
                let message = format!(
                    "Newton iteration {}: no decrease of the objective after {} step halvings \
                     (last step size {:.3e} x {:.3e}); the data may separate perfectly",
                    iter + 1,
                    search.max_tries - 1,
                    refused.t,
                    super::norm(&step)
                );
                return Err(convergence(message, &x, cur.gradient()));
            }
        }
    }
    if matches!(rules.stop, Stop::Polish { .. }) {
        if max_abs(cur.gradient()) < rules.tol {
            return done(x, cur, rules.max_iter, End::Converged);
        }
        let message = format!("no convergence in {} Newton iterations", rules.max_iter);
        return Err(convergence(message, &x, cur.gradient()));
    }
    done(x, cur, rules.max_iter, End::MaxIter)
}

/// Minimises `eval` from `x0` with step halving ([`Rules::halving`]). `eval(x)` returns
/// `Ok(None)` outside the domain (treated as an infinitely bad point, so the step is halved)
/// and `Err` for problems with the data.
pub fn minimize(
    x0: &[f64],
    opts: &NewtonOptions,
    eval: &mut dyn FnMut(&[f64]) -> Result<Option<Evaluation>>,
) -> Result<NewtonResult> {
    let n = x0.len();
    let r = run(x0, &Rules::halving(opts), eval)?;
    Ok(match r.end {
        // Take the last, tiny Newton step without evaluating there: convergence is
        // quadratic, so it leaves the parameters exact to rounding, the objective drops by
        // decrement / 2 up to O(|step|^3), and the Hessian moves by O(|step|) (relative
        // ~1e-7 at tol = 1e-14): far below what standard errors are quoted to.
        End::Decrement { x_final, decrement } => NewtonResult {
            x: x_final,
            value: r.point.value - 0.5 * decrement,
            gradient: vec![0.0; n],
            hessian: r.point.hessian,
            n_iter: r.n_iter,
            converged: true,
        },
        end => NewtonResult {
            x: r.x,
            value: r.point.value,
            gradient: r.point.gradient,
            hessian: r.point.hessian,
            n_iter: r.n_iter,
            converged: end == End::Converged,
        },
    })
}

#[cfg(test)]
mod tests;
