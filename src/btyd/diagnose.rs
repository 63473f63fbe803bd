//! What a finished fit says about itself: whether it ended on the boundary of the parameter
//! space, and whether its information matrix supports standard errors. Every BTYD fit passes
//! through [`diagnose`], so the rules (and the words of the warnings) are written once.
//!
//! A maximum on the boundary is common with small or degenerate data: identical customers
//! have no heterogeneity (r, α -> ∞ with r/α fixed), and logs without visible dropout put
//! the Pareto/NBD maximum at s -> 0, β -> ∞ (no dropout). The optimiser then walks along a
//! ridge towards the limit; the point it stops at is not a maximum, the information there is
//! (nearly) singular, and inverse-Hessian intervals such as [0, ∞] mean nothing. Like R's
//! `optim`-based BTYD fits and lifelines (which warn on a singular Hessian), such a fit is
//! reported: `converged` is false, the standard errors NaN, and a warning names the cause.

use super::Fit;

/// A rescaled parameter (time rescaled so that the longest T is 1) beyond e^±9 is taken as
/// heading to 0 or ∞: interior maxima of these models on real data are far inside (CDNOW's
/// extremes are ~e^±2.5), and the ridge limits above push parameters well past it.
pub const BOUNDARY_LOG: f64 = 9.0;

/// The optimisers never step beyond e^±LOG_LIMIT (rescaled): further along a ridge the
/// likelihood does not change in double precision, and beyond ~e^±700 parameters underflow
/// to 0 or overflow (a fit must never return s = 0 exactly).
pub const LOG_LIMIT: f64 = 30.0;

/// Variance inflation H_jj (H⁻¹)_jj above which the information is taken as singular: the
/// parameter is then determined to fewer than ~3 significant digits by the data's curvature.
const MAX_INFLATION: f64 = 1e10;

/// True when any log-parameter is beyond [`LOG_LIMIT`] (objectives return +∞ there).
pub fn outside_box(x: &[f64]) -> bool {
    x.iter().any(|v| v.abs() > LOG_LIMIT)
}

/// Parameters of `fit` on the boundary, as "name -> 0" / "name -> inf".
pub fn boundary_of(fit: &Fit, names: &[&str], powers: &[i32]) -> Vec<String> {
    fit.params
        .iter()
        .zip(names.iter().zip(powers))
        .filter_map(|(p, (name, &k))| {
            let scaled = (p / fit.time_scale.powi(k)).ln();
            if scaled > BOUNDARY_LOG {
                Some(format!("{name} -> inf"))
            } else if scaled < -BOUNDARY_LOG || scaled.is_nan() {
                Some(format!("{name} -> 0"))
            } else {
                None
            }
        })
        .collect()
}

/// True when the log-scale `hessian` (row-major) is numerically singular: the inverse
/// (`covariance` divided back to the log scale) is missing or inflates some variance beyond
/// [`MAX_INFLATION`].
fn singular(hessian: &[f64], fit: &Fit) -> bool {
    let n = fit.params.len();
    (0..n).any(|j| {
        let p = fit.params[j];
        let log_var = fit.covariance[j * n + j] / (p * p);
        let inflation = hessian[j * n + j] * log_var;
        !(log_var.is_finite() && log_var > 0.0 && inflation.is_finite())
            || inflation > MAX_INFLATION
    })
}

/// Marks a finished fit: on the boundary -> not converged, with a warning naming the limit;
/// boundary or singular information -> NaN covariance and standard errors, with a warning
/// saying why. `hessian` is the log-scale observed information the covariance came from.
pub fn diagnose(fit: &mut Fit, names: &[&str], powers: &[i32], hessian: &[f64]) {
    let limits = boundary_of(fit, names, powers);
    mark(fit, limits, hessian);
}

/// [`diagnose`] with the boundary parameters `limits` already found (empty for models
/// without a natural scale, like Gamma-Gamma's spend scale v).
pub fn mark(fit: &mut Fit, limits: Vec<String>, hessian: &[f64]) {
    let singular = singular(hessian, fit);
    if !limits.is_empty() {
        fit.converged = false;
        fit.warnings.push(format!(
            "the maximum likelihood lies on the boundary of the parameter space ({}): the \
             parameters are where the optimiser stopped along a ridge, not a maximum, and \
             their standard errors are NaN",
            limits.join(", ")
        ));
    } else if singular {
        fit.warnings.push(
            "the information matrix is singular at the fitted parameters (the data do not \
             identify them all): standard errors are NaN"
                .to_string(),
        );
    }
    if singular || !limits.is_empty() {
        fit.covariance.iter_mut().for_each(|v| *v = f64::NAN);
        fit.standard_errors.iter_mut().for_each(|v| *v = f64::NAN);
    }
}
