//! Maximum likelihood for the Gamma-Gamma model without pattern compression.
//!
//! A repeat buyer's log-likelihood (note 025 eq. 3) is
//!   lnΓ(px + q) - lnΓ(px) - lnΓ(q) + q ln v + (px - 1) ln m + px ln x - (px + q) ln(v + x m).
//! Its special functions depend on x only (a few hundred distinct values), and the
//! (px - 1) ln m part is p Σ w x ln m - Σ w ln m: two sums formed once. Per customer and
//! evaluation only ln(v + x m) and 1 / (v + x m) remain. Monetary values are continuous, so
//! sorting a million (x, m) rows into patterns would cost more than it saves. With the
//! likelihood this cheap the analytic Hessian (a few more sums) makes Newton's method the
//! fastest optimiser, and it also gives the observed information for the standard errors.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::{GammaGamma, NAMES};
use crate::btyd::{check_options, Fit, FitOptions, Model};
use crate::error::{check_finite, check_nonnegative, check_same_length, ClmError, Result};
use crate::numeric::optimize::newton::{self, Evaluation, NewtonOptions};
use crate::numeric::special::{digamma, ln_gamma, trigamma};
use crate::parallel::{self, CHUNK};

/// One chunk's sums (weight, Σ w ln m, Σ w x ln m, rows, the five moments) and its
/// distinct x with their weights.
type ChunkSums = ([f64; 9], Vec<(u64, f64)>);

/// Quantities formed once from the data.
struct Data<'a> {
    x: &'a [f64],
    m: &'a [f64],
    w: Option<&'a [f64]>,
    /// Distinct x (ascending) with their total weight.
    by_x: Vec<(f64, f64)>,
    /// Total weight, Σ w ln m and Σ w x ln m.
    total: f64,
    sum_ln_m: f64,
    sum_x_ln_m: f64,
    rows: usize,
    /// Σ w / x, Σ w / x², Σ w m, Σ w m², Σ w m² / x (for the moment starting point).
    moments: [f64; 5],
}

impl<'a> Data<'a> {
    fn new(x: &'a [f64], m: &'a [f64], w: Option<&'a [f64]>) -> Data<'a> {
        let n = x.len();
        let weight = |i: usize| w.map_or(1.0, |w| w[i]);
        // Fixed chunks, each summed in order and combined in order: same bits for any
        // thread count. Weight-0 rows are left out, as pattern compression does.
        let chunks: Vec<ChunkSums> = (0..n.div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                let mut sums = [0.0; 9];
                let mut local: FxHashMap<u64, f64> = FxHashMap::default();
                for i in c * CHUNK..((c + 1) * CHUNK).min(n) {
                    let wi = weight(i);
                    if wi == 0.0 {
                        continue;
                    }
                    let ln_m = m[i].ln();
                    sums[0] += wi;
                    sums[1] += wi * ln_m;
                    sums[2] += wi * x[i] * ln_m;
                    sums[3] += 1.0;
                    let (inv_x, m2) = (1.0 / x[i], m[i] * m[i]);
                    sums[4] += wi * inv_x;
                    sums[5] += wi * inv_x * inv_x;
                    sums[6] += wi * m[i];
                    sums[7] += wi * m2;
                    sums[8] += wi * m2 * inv_x;
                    *local.entry(x[i].to_bits()).or_insert(0.0) += wi;
                }
                let mut local: Vec<(u64, f64)> = local.into_iter().collect();
                local.sort_unstable_by_key(|e| e.0);
                (sums, local)
            })
            .collect();
        let mut sums = [0.0; 9];
        let mut by_x: std::collections::BTreeMap<u64, f64> = Default::default();
        for (s, local) in &chunks {
            for (t, v) in sums.iter_mut().zip(s) {
                *t += v;
            }
            for &(k, v) in local {
                *by_x.entry(k).or_insert(0.0) += v;
            }
        }
        // x > 0, so the bit patterns order like the values.
        let by_x = by_x
            .into_iter()
            .map(|(k, v)| (f64::from_bits(k), v))
            .collect();
        Data {
            x,
            m,
            w,
            by_x,
            total: sums[0],
            sum_ln_m: sums[1],
            sum_x_ln_m: sums[2],
            rows: sums[3] as usize,
            moments: [sums[4], sums[5], sums[6], sums[7], sums[8]],
        }
    }

    /// Method-of-moments start: given nu, m ~ Gamma(px, nu x), so E[m] = p E[1/nu] and
    /// E[m² | x] = (p² + p / x) E[1/nu²], with E[1/nu] = v / (q - 1) and
    /// E[1/nu²] = v² / ((q - 1)(q - 2)). Regressing m² on 1 / x gives p E[1/nu²] (slope) and
    /// p² E[1/nu²] (intercept). None when the moments do not identify a point with q > 2.
    fn moment_start(&self) -> Option<Vec<f64>> {
        let n = self.total;
        let [s_z, s_zz, s_m, s_y, s_zy] = self.moments;
        let slope = (n * s_zy - s_z * s_y) / (n * s_zz - s_z * s_z);
        let intercept = (s_y - slope * s_z) / n;
        let p = intercept / slope;
        let inv_nu2 = slope / p;
        let inv_nu = s_m / n / p;
        let ratio = inv_nu2 / (inv_nu * inv_nu); // (q - 1) / (q - 2)
        let q = (2.0 * ratio - 1.0) / (ratio - 1.0);
        let v = inv_nu * (q - 1.0);
        let start = vec![p, q, v];
        (ratio > 1.0 && start.iter().all(|u| u.is_finite() && *u > 0.0)).then_some(start)
    }

    /// Log-likelihood, its gradient and Hessian in the natural parameters (p, q, v).
    fn derivatives(&self, params: &[f64]) -> (f64, [f64; 3], [[f64; 3]; 3]) {
        let (p, q, v) = (params[0], params[1], params[2]);
        let (x, m, w) = (self.x, self.m, self.w);
        // Σ w L, Σ w x L, Σ w R, Σ w x R, Σ w R², Σ w x R² with L = ln(v + x m), R = 1 / (v + x m).
        let s = parallel::sum_vec(x.len(), 6, |i, acc| {
            let wi = w.map_or(1.0, |w| w[i]);
            let total = v + x[i] * m[i];
            let (l, r) = (total.ln(), 1.0 / total);
            let (wl, wr) = (wi * l, wi * r);
            acc[0] += wl;
            acc[1] += wl * x[i];
            acc[2] += wr;
            acc[3] += wr * x[i];
            acc[4] += wr * r;
            acc[5] += wr * r * x[i];
        });
        let (ln_v, lg_q, psi_q, tri_q) = (v.ln(), ln_gamma(q), digamma(q), trigamma(q));
        let mut ll = p * self.sum_x_ln_m - self.sum_ln_m - p * s[1] - q * s[0];
        let mut g = [
            self.sum_x_ln_m - s[1],
            -s[0],
            self.total * q / v - p * s[3] - q * s[2],
        ];
        let mut h = [[0.0; 3]; 3];
        for &(xv, wx) in &self.by_x {
            let px = p * xv;
            let (psi_pxq, psi_px) = (digamma(px + q), digamma(px));
            let (tri_pxq, tri_px) = (trigamma(px + q), trigamma(px));
            let ln_x = xv.ln();
            ll += wx * (ln_gamma(px + q) - ln_gamma(px) - lg_q + q * ln_v + px * ln_x);
            g[0] += wx * xv * (psi_pxq - psi_px + ln_x);
            g[1] += wx * (psi_pxq - psi_q + ln_v);
            h[0][0] += wx * xv * xv * (tri_pxq - tri_px);
            h[0][1] += wx * xv * tri_pxq;
            h[1][1] += wx * (tri_pxq - tri_q);
        }
        h[0][2] = -s[3];
        h[1][2] = self.total / v - s[2];
        h[2][2] = -self.total * q / (v * v) + p * s[5] + q * s[4];
        for (j, k) in [(1, 0), (2, 0), (2, 1)] {
            h[j][k] = h[k][j];
        }
        (ll, g, h)
    }
}

/// The objective of the generic fit (mean penalised negative log-likelihood on the log
/// scale) with its gradient and Hessian: for u = ln p, d/du = p d/dp and
/// d²/du_j du_k = p_j p_k d²/dp_j dp_k + [j = k] p_j d/dp_j.
fn log_scale(data: &Data, penalizer: f64, u: &[f64]) -> Option<Evaluation> {
    let params: Vec<f64> = u.iter().map(|v| v.exp()).collect();
    if params.iter().any(|p| !(p.is_finite() && *p > 0.0)) {
        return None;
    }
    log_scale_at(&params, data.derivatives(&params), data.total, penalizer)
}

/// [`log_scale`] from the natural-scale derivatives at `params`.
fn log_scale_at(
    params: &[f64],
    (ll, g, h): (f64, [f64; 3], [[f64; 3]; 3]),
    n: f64,
    penalizer: f64,
) -> Option<Evaluation> {
    let mut value = -ll / n;
    let (mut gradient, mut hessian) = (vec![0.0; 3], vec![0.0; 9]);
    for j in 0..3 {
        let pj = params[j];
        value += penalizer * pj * pj;
        gradient[j] = -g[j] * pj / n + 2.0 * penalizer * pj * pj;
        for k in 0..3 {
            hessian[j * 3 + k] = -h[j][k] * pj * params[k] / n;
        }
        hessian[j * 3 + j] += -g[j] * pj / n + 4.0 * penalizer * pj * pj;
    }
    let finite = value.is_finite() && gradient.iter().chain(&hessian).all(|v| v.is_finite());
    finite.then_some(Evaluation {
        value,
        gradient,
        hessian,
    })
}

/// Fits the Gamma-Gamma model to (frequency, monetary_value) columns: the same checks, the
/// same objective and the same fitted quantities as [`crate::btyd::fit`].
pub fn fit(columns: &[&[f64]], weights: Option<&[f64]>, opts: &FitOptions) -> Result<Fit> {
    check_options(&GammaGamma, opts)?;
    if columns.len() != 2 {
        return Err(ClmError::InvalidArgument(format!(
            "expected 2 data columns ([\"frequency\", \"monetary_value\"]), got {}",
            columns.len()
        )));
    }
    let (x, m) = (columns[0], columns[1]);
    let mut lengths = vec![("frequency", x.len()), ("monetary_value", m.len())];
    check_same_length(&lengths)?;
    if let Some(w) = weights {
        lengths.push(("weights", w.len()));
        check_same_length(&lengths)?;
        check_nonnegative("weights", w)?;
    }
    check_finite("frequency", x)?;
    check_finite("monetary_value", m)?;
    GammaGamma.check_data(columns)?;
    let data = Data::new(x, m, weights);
    if data.rows == 0 || data.total <= 0.0 {
        return Err(ClmError::InvalidArgument(
            "no customers to fit (empty data or all weights 0)".into(),
        ));
    }
    // Converged when the Newton decrement (about twice the distance to the minimum in
    // objective units) is below tol²: the gradient is then far below tol.
    let newton_opts = NewtonOptions {
        max_iter: opts.max_iter.max(1),
        tol: (opts.tol * opts.tol).max(1e-30),
        max_halvings: 60,
    };
    let mut eval = |u: &[f64]| Ok(log_scale(&data, opts.penalizer, u));
    let mut run = |start: &[f64]| {
        newton::minimize(
            &start.iter().map(|p| p.ln()).collect::<Vec<_>>(),
            &newton_opts,
            &mut eval,
        )
    };
    // Without initial_params, the moments give a start a few Newton steps from the maximum;
    // the generic default (1, 1, 1) stays the fallback.
    let default = vec![1.0; 3];
    let result = match (&opts.initial, data.moment_start()) {
        (Some(initial), _) => run(initial),
        (None, Some(start)) => match run(&start) {
            Ok(r) if r.converged => Ok(r),
            _ => run(&default),
        },
        (None, None) => run(&default),
    };
    let names = NAMES.join(", ");
    let result = result.map_err(|err| match err {
        ClmError::Convergence {
            message,
            params,
            grad_norm,
        } => ClmError::Convergence {
            message: format!("{message} fitting ({names})"),
            params: params.iter().map(|v| v.exp()).collect(),
            grad_norm,
        },
        other => other,
    })?;
    let params: Vec<f64> = result.x.iter().map(|v| v.exp()).collect();
    let at_end = data.derivatives(&params);
    let log_likelihood = at_end.0;
    let end = log_scale_at(&params, at_end, data.total, opts.penalizer);
    let (Some(end), true) = (end, result.converged) else {
        return Err(ClmError::Convergence {
            message: format!(
                "no convergence in {} Newton iterations fitting ({names})",
                opts.max_iter
            ),
            params,
            grad_norm: crate::numeric::optimize::norm(&result.gradient),
        });
    };
    let hessian: Vec<f64> = end.hessian.iter().map(|h| h * data.total).collect();
    let covariance = crate::btyd::covariance(&hessian, &params);
    let standard_errors = (0..3).map(|j| covariance[j * 3 + j].sqrt()).collect();
    let mut fit = Fit {
        params,
        log_likelihood,
        covariance,
        standard_errors,
        n_iter: result.n_iter,
        converged: true,
        grad_norm: crate::numeric::optimize::norm(&end.gradient),
        n_patterns: data.rows,
        n_customers: data.total,
        time_scale: 1.0,
        warnings: Vec::new(),
    };
    // v carries the spend's currency unit, so no scale-free boundary applies to it.
    crate::btyd::diagnose::mark(&mut fit, Vec::new(), &hessian);
    Ok(fit)
}

#[cfg(test)]
mod tests;
