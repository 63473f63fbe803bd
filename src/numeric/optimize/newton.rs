//! Newton-Raphson with step halving for smooth, (near-)convex objectives whose Hessian is
//! cheap next to the objective itself: Cox's partial likelihood and the Weibull AFT
//! likelihood. Minimises `f`; the caller passes the negative log-likelihood.
//!
//! Each iteration solves H d = -g by Cholesky. When H is not positive definite (far from the
//! optimum of a non-convex problem) a ridge is added until it is (Levenberg's fix). A step
//! that does not decrease `f` (or gives NaN) is halved, as R's `coxph` and lifelines do; after
//! `max_halvings` halvings the fit stops with a `Convergence` error.

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

/// Minimises `eval` from `x0`. `eval(x)` returns `Ok(None)` outside the domain (treated as an
/// infinitely bad point, so the step is halved) and `Err` for problems with the data.
pub fn minimize(
    x0: &[f64],
    opts: &NewtonOptions,
    eval: &mut dyn FnMut(&[f64]) -> Result<Option<Evaluation>>,
) -> Result<NewtonResult> {
    let n = x0.len();
    let mut x = x0.to_vec();
    let mut cur = eval(&x)?.ok_or_else(|| ClmError::Convergence {
        message: "the objective is not finite at the initial parameters".into(),
        params: x.clone(),
        grad_norm: f64::NAN,
    })?;
    for iter in 1..=opts.max_iter {
        crate::parallel::check_interrupt()?;
        let l = factor_with_ridge(&cur.hessian, n).ok_or_else(|| ClmError::Convergence {
            message: format!("Newton iteration {iter}: the Hessian cannot be factorised"),
            params: x.clone(),
            grad_norm: super::norm(&cur.gradient),
        })?;
        let neg_g: Vec<f64> = cur.gradient.iter().map(|g| -g).collect();
        let step = linalg::cholesky_solve(&l, n, &neg_g);
        let decrement: f64 = -step
            .iter()
            .zip(&cur.gradient)
            .map(|(s, g)| s * g)
            .sum::<f64>();
        if decrement.abs() < opts.tol {
            // Take the last, tiny Newton step without evaluating there: convergence is
            // quadratic, so it leaves the parameters exact to rounding, the objective drops by
            // decrement / 2 up to O(|step|^3), and the Hessian moves by O(|step|) (relative
            // ~1e-7 at tol = 1e-14): far below what standard errors are quoted to.
            let x_final: Vec<f64> = x.iter().zip(&step).map(|(a, s)| a + s).collect();
            let value = cur.value - 0.5 * decrement;
            let gradient = vec![0.0; n];
            return Ok(NewtonResult {
                x: x_final,
                value,
                gradient,
                hessian: cur.hessian,
                n_iter: iter,
                converged: true,
            });
        }
        let (next_x, next) = halve_until_better(&x, &step, &cur, opts, iter, eval)?;
        let stalled = (cur.value - next.value).abs() <= 1e-15 * cur.value.abs().max(1.0);
        x = next_x;
        cur = next;
        if stalled {
            // The objective no longer changes in double precision: we are at the minimum up
            // to rounding even if the decrement test is too strict for this problem's scale.
            return Ok(NewtonResult {
                x,
                value: cur.value,
                gradient: cur.gradient,
                hessian: cur.hessian,
                n_iter: iter,
                converged: true,
            });
        }
    }
    Ok(NewtonResult {
        x,
        value: cur.value,
        gradient: cur.gradient,
        hessian: cur.hessian,
        n_iter: opts.max_iter,
        converged: false,
    })
}

fn halve_until_better(
    x: &[f64],
    step: &[f64],
    cur: &Evaluation,
    opts: &NewtonOptions,
    iter: usize,
    eval: &mut dyn FnMut(&[f64]) -> Result<Option<Evaluation>>,
) -> Result<(Vec<f64>, Evaluation)> {
    let mut scale = 1.0;
    for _ in 0..=opts.max_halvings {
        let trial: Vec<f64> = x.iter().zip(step).map(|(a, s)| a + scale * s).collect();
        if let Some(e) = eval(&trial)? {
            if e.value.is_finite() && e.value <= cur.value + 1e-12 * cur.value.abs().max(1.0) {
                return Ok((trial, e));
            }
        }
        scale *= 0.5;
    }
    Err(ClmError::Convergence {
        message: format!(
            "Newton iteration {iter}: no decrease of the objective after {} step halvings \
             (last step size {scale:.3e} x {:.3e}); the data may separate perfectly",
            opts.max_halvings,
            super::norm(step)
        ),
        params: x.to_vec(),
        grad_norm: super::norm(&cur.gradient),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// f(x) = sum exp(x_i) - a_i x_i, minimised at x_i = ln a_i: a convex but non-quadratic test.
    fn objective(a: &[f64]) -> impl FnMut(&[f64]) -> Result<Option<Evaluation>> + '_ {
        move |x: &[f64]| {
            let n = x.len();
            let mut h = vec![0.0; n * n];
            let mut g = vec![0.0; n];
            let mut v = 0.0;
            for i in 0..n {
                v += x[i].exp() - a[i] * x[i];
                g[i] = x[i].exp() - a[i];
                h[i * n + i] = x[i].exp();
            }
            Ok(Some(Evaluation {
                value: v,
                gradient: g,
                hessian: h,
            }))
        }
    }

    #[test]
    fn converges_to_the_minimum_with_far_start() {
        let a = [0.5, 3.0, 20.0];
        let mut f = objective(&a);
        let r = minimize(&[8.0, -6.0, 0.0], &NewtonOptions::default(), &mut f).unwrap();
        assert!(r.converged);
        for (x, ai) in r.x.iter().zip(a) {
            assert!((x - ai.ln()).abs() < 1e-10, "{x} vs {}", ai.ln());
        }
    }

    #[test]
    fn final_step_squares_the_error_near_the_optimum_and_refuses_far_or_indefinite_points() {
        let a = [0.5, 3.0, 20.0];
        let mut f = objective(&a);
        let near: Vec<f64> = a.iter().map(|v| v.ln() + 1e-5).collect();
        let e = f(&near).unwrap().unwrap();
        let stepped = final_step(&near, &e.gradient, &e.hessian);
        for (x, ai) in stepped.iter().zip(a) {
            // error 1e-5 -> ~(1e-5)^2 / 2 for exp(x) - a x
            assert!((x - ai.ln()).abs() < 1e-9, "{x} vs {}", ai.ln());
        }
        let far = [3.0, 3.0, 3.0];
        let e = f(&far).unwrap().unwrap();
        assert_eq!(final_step(&far, &e.gradient, &e.hessian), far.to_vec());
        assert_eq!(final_step(&[0.0], &[1e-6], &[-1.0]), vec![0.0]);
    }

    #[test]
    fn unbounded_objective_is_a_convergence_error_or_unconverged() {
        // f(x) = exp(-x) has no minimum: Newton walks off and must not loop forever.
        let mut f = |x: &[f64]| -> Result<Option<Evaluation>> {
            let e = (-x[0]).exp();
            Ok(Some(Evaluation {
                value: e,
                gradient: vec![-e],
                hessian: vec![e],
            }))
        };
        let opts = NewtonOptions {
            max_iter: 50,
            ..Default::default()
        };
        match minimize(&[0.0], &opts, &mut f) {
            Ok(r) => assert!(r.x[0] > 10.0),
            Err(e) => assert!(matches!(e, ClmError::Convergence { .. })),
        }
    }
}
