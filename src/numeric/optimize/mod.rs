//! Shared optimisation machinery: every model's fit goes through here, so numerical
//! derivatives, convergence checks and standard errors are written once.

pub mod bhhh;
pub mod lbfgs;
pub mod line_search;
pub mod newton;

pub use lbfgs::{minimize, Minimum, Objective, Options};

/// Hessian of a function by central differences of its analytic gradient, symmetrised.
/// `grad(x, out)` writes the gradient at `x`. Steps are relative to |x_i| (at least `h`).
pub fn numerical_hessian(x: &[f64], h: f64, grad: &mut dyn FnMut(&[f64], &mut [f64])) -> Vec<f64> {
    let n = x.len();
    let mut hess = vec![0.0; n * n];
    let mut xp = x.to_vec();
    let (mut gp, mut gm) = (vec![0.0; n], vec![0.0; n]);
    for j in 0..n {
        let step = h * x[j].abs().max(1.0);
        xp[j] = x[j] + step;
        grad(&xp, &mut gp);
        xp[j] = x[j] - step;
        grad(&xp, &mut gm);
        xp[j] = x[j];
        for i in 0..n {
            hess[i * n + j] = (gp[i] - gm[i]) / (2.0 * step);
        }
    }
    crate::numeric::linalg::symmetrize(&mut hess, n);
    hess
}

/// Euclidean norm, used for gradient-based convergence tests and error messages.
pub fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hessian_of_a_quadratic_is_exact() {
        // f = x0^2 + 3 x0 x1 + 2 x1^2, grad = (2 x0 + 3 x1, 3 x0 + 4 x1)
        let mut grad = |x: &[f64], g: &mut [f64]| {
            g[0] = 2.0 * x[0] + 3.0 * x[1];
            g[1] = 3.0 * x[0] + 4.0 * x[1];
        };
        let h = numerical_hessian(&[0.3, -1.2], 1e-5, &mut grad);
        for (u, v) in h.iter().zip([2.0, 3.0, 3.0, 4.0]) {
            assert!((u - v).abs() < 1e-8);
        }
    }
}
