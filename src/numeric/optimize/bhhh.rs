//! Newton-type minimisation with the BHHH matrix (Berndt, Hall, Hall & Hausman 1974): the
//! outer products of the per-observation scores approximate the information, come with the
//! gradient at no extra pass, and capture strong parameter correlations (the s-β ridge of the
//! Pareto/NBD likelihood) that make L-BFGS crawl. The BHHH matrix is corrected towards the
//! true curvature by L-BFGS pairs, and steps are shortened by the shared backtracking line
//! search ([`super::line_search`]) inside a box on the (log-)parameters.

use super::line_search::{max_abs, Accept, Backtrack, Flat, Trial};
use super::Minimum;
use crate::error::{ClmError, Result};
use crate::numeric::linalg::solve_spd;

/// Objective value, gradient and BHHH matrix (row-major N x N) at a point.
pub struct Point<const N: usize> {
    pub x: [f64; N],
    /// Total weighted log-likelihood (without the penalty).
    pub log_likelihood: f64,
    pub value: f64,
    pub grad: [f64; N],
    pub bhhh: Vec<f64>,
}

impl<const N: usize> Trial for Point<N> {
    fn value(&self) -> f64 {
        self.value
    }
    fn gradient(&self) -> &[f64] {
        &self.grad
    }
    /// The gradient can overflow where the value does not: both must be finite.
    fn finite(&self) -> bool {
        self.value.is_finite() && self.grad.iter().all(|v| v.is_finite())
    }
}

/// An objective that evaluates its value, gradient and BHHH matrix together.
pub trait Objective<const N: usize> {
    fn point(&self, x: [f64; N]) -> Point<N>;
}

/// The box the iterates stay in and where a run counts as heading for a limit.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Coordinates never leave [-inside, inside].
    pub inside: f64,
    /// Beyond this a coordinate is on the boundary of the parameter space.
    pub boundary: f64,
}

/// Correction pairs kept.
const MEMORY: usize = 8;

/// Longest step in any coordinate (a factor e^3 per iteration on log-parameters).
const MAX_STEP: f64 = 3.0;

/// Armijo with the two-sided flat rule, 40 trials, shrinking 10x after an overflow.
const SEARCH: Backtrack = Backtrack {
    max_tries: 40,
    shrink: 0.5,
    shrink_nonfinite: 0.1,
    accept: Accept::Armijo { c: 1e-4 },
    flat: Flat::Within(1e-13),
};

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

type Pair<const N: usize> = ([f64; N], [f64; N], f64);

/// -H g by the L-BFGS two-loop recursion (Nocedal & Wright 2006, Algorithm 7.4) with the
/// inverse BHHH matrix as the initial Hessian approximation: the pairs correct the BHHH
/// matrix towards the true curvature where the model is misspecified.
fn direction<const N: usize>(cur: &Point<N>, pairs: &[Pair<N>]) -> Option<Vec<f64>> {
    let mut q = cur.grad;
    let mut alphas = Vec::with_capacity(pairs.len());
    for (s, y, rho) in pairs.iter().rev() {
        let a = rho * dot(s, &q);
        q.iter_mut().zip(y).for_each(|(qi, yi)| *qi -= a * yi);
        alphas.push(a);
    }
    let mut r = solve_spd(&cur.bhhh, N, &q).ok()?;
    for ((s, y, rho), a) in pairs.iter().zip(alphas.iter().rev()) {
        let b = rho * dot(y, &r);
        r.iter_mut().zip(s).for_each(|(ri, si)| *ri += (a - b) * si);
    }
    r.iter_mut().for_each(|v| *v = -*v);
    (dot(&r, &cur.grad) < 0.0).then_some(r)
}

/// How a run of [`minimize`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The largest gradient component is below the tolerance.
    Converged,
    /// Walking along a ridge towards a limit of the parameter space (a coordinate beyond
    /// `Limits::boundary` with no representable progress, or at the box).
    Boundary,
    /// Iterations used up or no descent step: the caller tries L-BFGS.
    Failed,
}

/// The last point of a run, how it ended and the iterations used.
pub struct Run<const N: usize> {
    pub min: Minimum,
    pub point: Point<N>,
    pub status: Status,
}

/// Largest step factor along `d` keeping every coordinate inside the box; components
/// pushing out of the box at its face are dropped first (a projected step).
fn fit_in_box<const N: usize>(x: &[f64; N], d: &mut [f64], inside: f64) -> f64 {
    for j in 0..N {
        if x[j].abs() >= inside - 1e-9 && d[j] * x[j] > 0.0 {
            d[j] = 0.0;
        }
    }
    let mut t: f64 = 1.0;
    for j in 0..N {
        if d[j] != 0.0 {
            let room = (inside * d[j].signum() - x[j]) / d[j];
            t = t.min(room.max(0.0));
        }
    }
    t
}

fn minimum<const N: usize>(pt: &Point<N>, n_iter: usize, n_eval: usize) -> Minimum {
    Minimum {
        x: pt.x.to_vec(),
        value: pt.value,
        grad: pt.grad.to_vec(),
        n_iter,
        n_eval,
    }
}

/// Minimises from `x0` until the largest gradient component is below `tol`, for at most
/// `max_iter` iterations. Never leaves the box, and stops early (`Boundary`) when the
/// objective has stopped improving beyond `limits.boundary`. Fails with
/// `ClmError::Convergence` only when the objective is not finite at `x0`.
pub fn minimize<const N: usize>(
    obj: &dyn Objective<N>,
    x0: [f64; N],
    limits: Limits,
    tol: f64,
    max_iter: usize,
) -> Result<Run<N>> {
    let mut cur = obj.point(x0);
    let mut n_eval = 1;
    if !cur.finite() {
        return Err(ClmError::Convergence {
            message: "objective is not finite at the initial parameters".to_string(),
            params: cur.x.to_vec(),
            grad_norm: super::norm(&cur.grad),
        });
    }
    let on_boundary = |pt: &Point<N>| pt.x.iter().any(|v| v.abs() > limits.boundary);
    let end = |cur: Point<N>, iter: usize, n_eval: usize, status: Status| Run {
        min: minimum(&cur, iter, n_eval),
        point: cur,
        status,
    };
    let stuck = |cur: &Point<N>| {
        if on_boundary(cur) {
            Status::Boundary
        } else {
            Status::Failed
        }
    };
    let mut eval = |x: &[f64]| -> Result<Option<Point<N>>> {
        Ok(Some(obj.point(std::array::from_fn(|j| x[j]))))
    };
    let mut pairs: Vec<Pair<N>> = Vec::new();
    for iter in 0..max_iter {
        if max_abs(&cur.grad) < tol {
            return Ok(end(cur, iter, n_eval, Status::Converged));
        }
        let Some(mut d) = direction(&cur, &pairs) else {
            let status = stuck(&cur);
            return Ok(end(cur, iter, n_eval, status));
        };
        let longest = max_abs(&d);
        if longest > MAX_STEP {
            d.iter_mut().for_each(|v| *v *= MAX_STEP / longest);
        }
        let step = fit_in_box(&cur.x, &mut d, limits.inside);
        let slope: f64 = d.iter().zip(&cur.grad).map(|(a, b)| a * b).sum();
        let mut accepted = None;
        if step > 0.0 && slope < 0.0 {
            match SEARCH.search(&cur.x, &d, step, (cur.value, &cur.grad, slope), &mut eval)? {
                Ok(next) => {
                    n_eval += next.n_eval;
                    accepted = Some(next.point);
                }
                Err(refused) => n_eval += refused.n_eval,
            }
        }
        let Some(next) = accepted else {
            let status = stuck(&cur);
            return Ok(end(cur, iter, n_eval, status));
        };
        // Along a ridge to a limit the objective stops changing in double precision.
        if on_boundary(&next) && cur.value - next.value <= 1e-12 * cur.value.abs().max(1.0) {
            return Ok(end(next, iter + 1, n_eval, Status::Boundary));
        }
        let sv: [f64; N] = std::array::from_fn(|j| next.x[j] - cur.x[j]);
        let yv: [f64; N] = std::array::from_fn(|j| next.grad[j] - cur.grad[j]);
        let sy: f64 = sv.iter().zip(&yv).map(|(a, b)| a * b).sum();
        if sy > 1e-12 * super::norm(&sv) * super::norm(&yv) {
            if pairs.len() == MEMORY {
                pairs.remove(0);
            }
            pairs.push((sv, yv, 1.0 / sy));
        }
        cur = next;
    }
    let status = if max_abs(&cur.grad) < tol {
        Status::Converged
    } else {
        stuck(&cur)
    };
    Ok(end(cur, max_iter, n_eval, status))
}
