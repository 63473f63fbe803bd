//! Helpers for the models' unit tests: finite-difference gradient checks.
use crate::btyd::Model;

/// Largest relative difference between the analytic gradient of `row`'s log-likelihood
/// and central differences.
pub fn gradient_error<M: Model>(model: &M, params: &[f64], row: &[f64]) -> f64 {
    let n = params.len();
    let mut g = vec![0.0; n];
    model.loglik_grad(params, row, &mut g);
    let mut worst: f64 = 0.0;
    for j in 0..n {
        let h = 1e-6 * params[j];
        let (mut up, mut dn) = (params.to_vec(), params.to_vec());
        up[j] += h;
        dn[j] -= h;
        let mut scratch = vec![0.0; n];
        let fd = (model.loglik_grad(&up, row, &mut scratch)
            - model.loglik_grad(&dn, row, &mut scratch))
            / (2.0 * h);
        worst = worst.max((fd - g[j]).abs() / (1.0 + g[j].abs()));
    }
    worst
}
