//! Newton-type minimisation of the Pareto/NBD objective with the BHHH matrix (Berndt, Hall,
//! Hall & Hausman 1974): the outer products of the per-pattern scores approximate the
//! information, come with the gradient at no extra pass, and capture the strong s-β
//! correlation that makes L-BFGS crawl along the ridge of this likelihood.

use super::fit::Layout;
use crate::btyd::diagnose::{outside_box, BOUNDARY_LOG, LOG_LIMIT};
use crate::error::{ClmError, Result};
use crate::numeric::linalg::solve_spd;
use crate::numeric::optimize::Minimum;

/// Objective value, gradient and BHHH matrix (row-major 4x4) on the log-parameter scale.
pub(crate) struct Point {
    pub x: [f64; 4],
    /// Total weighted log-likelihood (without the penalty).
    pub log_likelihood: f64,
    pub value: f64,
    pub grad: [f64; 4],
    pub bhhh: [f64; 16],
}

/// Mean penalised negative log-likelihood over `layout` as a function of log-parameters.
#[derive(Clone, Copy)]
pub(crate) struct LogScale<'a> {
    pub layout: &'a Layout,
    pub penalizer: f64,
    pub total_weight: f64,
}

impl LogScale<'_> {
    pub fn point(&self, x: [f64; 4]) -> Point {
        if outside_box(&x) {
            return Point {
                x,
                log_likelihood: f64::NEG_INFINITY,
                value: f64::INFINITY,
                grad: [f64::NAN; 4],
                bhhh: [f64::NAN; 16],
            };
        }
        let p = x.map(f64::exp);
        let sums = self.layout.sums(&p, true);
        let w = self.total_weight;
        let mut value = -sums[0] / w;
        let mut grad = [0.0; 4];
        let mut bhhh = [0.0; 16];
        let mut k = 5;
        for a in 0..4 {
            value += self.penalizer * p[a] * p[a];
            grad[a] = -sums[a + 1] * p[a] / w + 2.0 * self.penalizer * p[a] * p[a];
            for b in a..4 {
                let v = sums[k] * p[a] * p[b] / w
                    + if a == b {
                        4.0 * self.penalizer * p[a] * p[a]
                    } else {
                        0.0
                    };
                bhhh[a * 4 + b] = v;
                bhhh[b * 4 + a] = v;
                k += 1;
            }
        }
        Point {
            x,
            log_likelihood: sums[0],
            value,
            grad,
            bhhh,
        }
    }
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

fn finite(pt: &Point) -> bool {
    pt.value.is_finite() && pt.grad.iter().all(|v| v.is_finite())
}

/// Correction pairs kept.
const MEMORY: usize = 8;

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// -H g by the L-BFGS two-loop recursion (Nocedal & Wright 2006, Algorithm 7.4) with the
/// inverse BHHH matrix as the initial Hessian approximation: the pairs correct the BHHH
/// matrix towards the true curvature where the model is misspecified.
fn direction(cur: &Point, pairs: &[([f64; 4], [f64; 4], f64)]) -> Option<Vec<f64>> {
    let mut q = cur.grad;
    let mut alphas = Vec::with_capacity(pairs.len());
    for (s, y, rho) in pairs.iter().rev() {
        let a = rho * dot(s, &q);
        q.iter_mut().zip(y).for_each(|(qi, yi)| *qi -= a * yi);
        alphas.push(a);
    }
    let mut r = solve_spd(&cur.bhhh, 4, &q).ok()?;
    for ((s, y, rho), a) in pairs.iter().zip(alphas.iter().rev()) {
        let b = rho * dot(y, &r);
        r.iter_mut().zip(s).for_each(|(ri, si)| *ri += (a - b) * si);
    }
    r.iter_mut().for_each(|v| *v = -*v);
    (dot(&r, &cur.grad) < 0.0).then_some(r)
}

/// Longest step in any log-parameter (a factor e^3 per iteration).
const MAX_STEP: f64 = 3.0;

/// How a run of [`minimize_bhhh`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// The largest gradient component is below the tolerance.
    Converged,
    /// Walking along a ridge towards a limit of the parameter space (a log-parameter beyond
    /// `BOUNDARY_LOG` with no representable progress, or at the `LOG_LIMIT` box).
    Boundary,
    /// Iterations used up or no descent step: the caller tries L-BFGS.
    Failed,
}

/// The last point of a run, how it ended and the iterations used.
pub(crate) struct Run {
    pub min: Minimum,
    pub point: Point,
    pub status: Status,
}

/// Largest step factor along `d` keeping every log-parameter inside the `LOG_LIMIT` box;
/// components pushing out of the box at its face are dropped first (a projected step).
fn fit_in_box(x: &[f64; 4], d: &mut [f64]) -> f64 {
    for j in 0..4 {
        if x[j].abs() >= LOG_LIMIT - 1e-9 && d[j] * x[j] > 0.0 {
            d[j] = 0.0;
        }
    }
    let mut t: f64 = 1.0;
    for j in 0..4 {
        if d[j] != 0.0 {
            let room = (LOG_LIMIT * d[j].signum() - x[j]) / d[j];
            t = t.min(room.max(0.0));
        }
    }
    t
}

fn minimum(pt: &Point, n_iter: usize, n_eval: usize) -> Minimum {
    Minimum {
        x: pt.x.to_vec(),
        value: pt.value,
        grad: pt.grad.to_vec(),
        n_iter,
        n_eval,
    }
}

/// Minimises from `x0` until the largest gradient component is below `tol`, for at most
/// `max_iter` iterations. Never leaves the `LOG_LIMIT` box, and stops early (`Boundary`)
/// when the objective has stopped improving beyond `BOUNDARY_LOG`. Fails with
/// `ClmError::Convergence` only when the objective is not finite at `x0`.
pub(crate) fn minimize_bhhh(
    obj: &LogScale<'_>,
    x0: [f64; 4],
    tol: f64,
    max_iter: usize,
) -> Result<Run> {
    let mut cur = obj.point(x0);
    let mut n_eval = 1;
    if !finite(&cur) {
        return Err(ClmError::Convergence {
            message: "objective is not finite at the initial parameters".to_string(),
            params: cur.x.to_vec(),
            grad_norm: crate::numeric::optimize::norm(&cur.grad),
        });
    }
    let on_boundary = |pt: &Point| pt.x.iter().any(|v| v.abs() > BOUNDARY_LOG);
    let end = |cur: Point, iter: usize, n_eval: usize, status: Status| Run {
        min: minimum(&cur, iter, n_eval),
        point: cur,
        status,
    };
    let mut pairs: Vec<([f64; 4], [f64; 4], f64)> = Vec::new();
    for iter in 0..max_iter {
        if max_abs(&cur.grad) < tol {
            return Ok(end(cur, iter, n_eval, Status::Converged));
        }
        let Some(mut d) = direction(&cur, &pairs) else {
            let status = if on_boundary(&cur) {
                Status::Boundary
            } else {
                Status::Failed
            };
            return Ok(end(cur, iter, n_eval, status));
        };
        let longest = max_abs(&d);
        if longest > MAX_STEP {
            d.iter_mut().for_each(|v| *v *= MAX_STEP / longest);
        }
        let mut step = fit_in_box(&cur.x, &mut d);
        let slope: f64 = d.iter().zip(&cur.grad).map(|(a, b)| a * b).sum();
        let mut accepted = None;
        if step > 0.0 && slope < 0.0 {
            for _ in 0..40 {
                let trial = obj.point(std::array::from_fn(|j| cur.x[j] + step * d[j]));
                n_eval += 1;
                let armijo = trial.value <= cur.value + 1e-4 * step * slope;
                // At the optimum f changes below its rounding: a smaller gradient is progress.
                let flat = (trial.value - cur.value).abs() <= 1e-13 * cur.value.abs().max(1.0)
                    && max_abs(&trial.grad) < max_abs(&cur.grad);
                if finite(&trial) && (armijo || flat) {
                    accepted = Some(trial);
                    break;
                }
                step *= if trial.value.is_finite() { 0.5 } else { 0.1 };
            }
        }
        let Some(next) = accepted else {
            let status = if on_boundary(&cur) {
                Status::Boundary
            } else {
                Status::Failed
            };
            return Ok(end(cur, iter, n_eval, status));
        };
        // Along a ridge to a limit the objective stops changing in double precision.
        if on_boundary(&next) && cur.value - next.value <= 1e-12 * cur.value.abs().max(1.0) {
            return Ok(end(next, iter + 1, n_eval, Status::Boundary));
        }
        let sv: [f64; 4] = std::array::from_fn(|j| next.x[j] - cur.x[j]);
        let yv: [f64; 4] = std::array::from_fn(|j| next.grad[j] - cur.grad[j]);
        let sy: f64 = sv.iter().zip(&yv).map(|(a, b)| a * b).sum();
        if sy > 1e-12 * crate::numeric::optimize::norm(&sv) * crate::numeric::optimize::norm(&yv) {
            if pairs.len() == MEMORY {
                pairs.remove(0);
            }
            pairs.push((sv, yv, 1.0 / sy));
        }
        cur = next;
    }
    let status = if max_abs(&cur.grad) < tol {
        Status::Converged
    } else if on_boundary(&cur) {
        Status::Boundary
    } else {
        Status::Failed
    };
    Ok(end(cur, max_iter, n_eval, status))
}
