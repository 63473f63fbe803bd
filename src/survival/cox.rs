//! Cox proportional hazards (Cox 1972) fitted by Newton-Raphson with step halving on the
//! partial likelihood, with Efron or Breslow ties, strata, case weights and lifelines'
//! elastic-net penalty. Covariates arrive standardised (centred and scaled by the caller), so
//! the penalty applies to standardised coefficients, as in lifelines.

use super::check_survival_data;
use super::cox_risk::RiskData;
pub use super::cox_risk::Ties;
use super::design::{check_design_size, standardize};
use crate::error::{check_same_length, ClmError, Result};
use crate::numeric::linalg::covariance_from_information;
use crate::numeric::optimize::newton::{minimize, Evaluation, NewtonOptions};

/// Sharpness `a` of the smooth |b| (Schmidt, Fung & Rosales 2009, eq. 6:
/// |b| ~ (log(1 + e^{-ab}) + log(1 + e^{ab})) / a). Coefficients the L1 part would zero come
/// out with |b| below ~1/a on the standardised scale instead of exactly 0.
pub const SOFT_ABS_SHARPNESS: f64 = 1000.0;

#[derive(Debug, Clone, Copy)]
pub struct CoxOptions {
    pub ties: Ties,
    pub penalizer: f64,
    pub l1_ratio: f64,
    pub max_iter: usize,
}

impl Ties {
    pub fn parse(name: &str) -> Result<Ties> {
        match name {
            "efron" => Ok(Ties::Efron),
            "breslow" => Ok(Ties::Breslow),
            other => Err(ClmError::InvalidArgument(format!(
                "ties must be 'efron' or 'breslow', got {other:?}"
            ))),
        }
    }
}

#[derive(Debug, Clone)]
pub struct CoxFit {
    /// Coefficients on the scale of the covariates given.
    pub params: Vec<f64>,
    /// Observed information (minus the Hessian of the penalised partial log-likelihood).
    pub information: Vec<f64>,
    /// Partial log-likelihood minus the penalty (what lifelines reports).
    pub log_likelihood: f64,
    pub n_iter: usize,
    /// Breslow baseline: per distinct (stratum, time), ascending time within stratum.
    pub baseline_stratum: Vec<i64>,
    pub baseline_time: Vec<f64>,
    pub baseline_hazard: Vec<f64>,
}

/// lifelines' elastic net: n * penalizer * sum(l1 |b|_soft + (1 - l1) b^2 / 2); returns the
/// value and adds its gradient and Hessian diagonal.
fn add_penalty(beta: &[f64], n: f64, opts: &CoxOptions, grad: &mut [f64], hess: &mut [f64]) -> f64 {
    if opts.penalizer == 0.0 {
        return 0.0;
    }
    let p = beta.len();
    let a = SOFT_ABS_SHARPNESS;
    let c = n * opts.penalizer;
    let mut value = 0.0;
    for j in 0..p {
        let b = beta[j];
        let soft_abs = (softplus(-a * b) + softplus(a * b)) / a;
        let th = (0.5 * a * b).tanh();
        value += c * (opts.l1_ratio * soft_abs + 0.5 * (1.0 - opts.l1_ratio) * b * b);
        grad[j] += c * (opts.l1_ratio * th + (1.0 - opts.l1_ratio) * b);
        hess[j * p + j] += c * (opts.l1_ratio * 0.5 * a * (1.0 - th * th) + (1.0 - opts.l1_ratio));
    }
    value
}

fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

fn check_options(opts: &CoxOptions) -> Result<()> {
    if !(opts.penalizer.is_finite() && opts.penalizer >= 0.0) {
        return Err(ClmError::InvalidArgument(format!(
            "penalizer must be >= 0, got {}",
            opts.penalizer
        )));
    }
    if !(0.0..=1.0).contains(&opts.l1_ratio) {
        return Err(ClmError::InvalidArgument(format!(
            "l1_ratio must be in [0, 1], got {}",
            opts.l1_ratio
        )));
    }
    Ok(())
}

/// Fits the model. `x` is row-major n x p (standardised by the caller).
pub fn fit_cox(
    x: &[f64],
    p: usize,
    time: &[f64],
    event: &[f64],
    weight: Option<&[f64]>,
    strata: Option<&[i64]>,
    opts: &CoxOptions,
) -> Result<CoxFit> {
    check_survival_data(time, event, weight, None)?;
    check_options(opts)?;
    if x.len() != time.len() * p {
        return Err(ClmError::LengthMismatch(format!(
            "covariates have {} values, expected {} x {p}",
            x.len(),
            time.len()
        )));
    }
    if let Some(s) = strata {
        check_same_length(&[("durations", time.len()), ("strata", s.len())])?;
    }
    crate::error::check_finite("covariates", x)?;
    if !event.contains(&1.0) {
        return Err(ClmError::InvalidArgument(
            "event_observed: every row is censored, the partial likelihood has no information"
                .into(),
        ));
    }
    let data = RiskData::new(x, p, time, event, weight, strata);
    let n = time.len() as f64;
    let mut eval = |beta: &[f64]| -> Result<Option<Evaluation>> {
        let Some(pl) = data.evaluate(beta, opts.ties) else {
            return Ok(None);
        };
        let mut gradient: Vec<f64> = pl.score.iter().map(|s| -s).collect();
        let mut hessian = pl.information;
        let penalty = add_penalty(beta, n, opts, &mut gradient, &mut hessian);
        Ok(Some(Evaluation {
            value: penalty - pl.loglik,
            gradient,
            hessian,
        }))
    };
    let newton = NewtonOptions {
        max_iter: opts.max_iter,
        ..Default::default()
    };
    let result = minimize(&vec![0.0; p], &newton, &mut eval)?;
    if !result.converged {
        return Err(ClmError::Convergence {
            message: format!(
                "Cox model did not converge in {} Newton iterations",
                opts.max_iter
            ),
            params: result.x,
            grad_norm: crate::numeric::optimize::norm(&result.gradient),
        });
    }
    let increments = data
        .baseline_hazard(&result.x)
        .ok_or_else(|| ClmError::Convergence {
            message: "fitted risk scores overflow".into(),
            params: result.x.clone(),
            grad_norm: crate::numeric::optimize::norm(&result.gradient),
        })?;
    let mut fit = CoxFit {
        params: result.x,
        information: result.hessian,
        log_likelihood: -result.value,
        n_iter: result.n_iter,
        baseline_stratum: Vec::with_capacity(data.groups.len()),
        baseline_time: Vec::with_capacity(data.groups.len()),
        baseline_hazard: Vec::with_capacity(data.groups.len()),
    };
    // Groups run backwards in time within each stratum: reverse each stratum's block.
    let mut block_start = 0;
    for k in 0..data.groups.len() {
        let last = k + 1 == data.groups.len() || data.groups[k + 1].new_stratum;
        if last {
            for j in (block_start..=k).rev() {
                let gj = data.groups[j];
                fit.baseline_stratum.push(data.stratum[gj.start]);
                fit.baseline_time.push(data.time[gj.start]);
                fit.baseline_hazard.push(increments[j]);
            }
            block_start = k + 1;
        }
    }
    Ok(fit)
}

/// A fit on the caller's covariates: standardised internally (any unit works; lifelines'
/// penalty acts on the standardised coefficients), results on the caller's scale.
#[derive(Debug, Clone)]
pub struct CoxModel {
    /// Coefficients per unit of each covariate (standardised ones divided by the sd).
    pub params: Vec<f64>,
    /// Standard errors, sqrt(diag(I^-1)) / sd, taken before the division so huge units do not
    /// underflow the variance first. NaN when the information matrix is singular.
    pub standard_errors: Vec<f64>,
    /// Covariance of `params` (row-major p x p): I^-1 / (sd_i sd_j).
    pub covariance: Vec<f64>,
    /// Covariate means (predictions use x - mean, lifelines' centring of the baseline).
    pub mean: Vec<f64>,
    /// (x - mean)' beta of the training rows, in their order (for the concordance index).
    pub train_log_hazard: Vec<f64>,
    /// The fit on the standardised covariates (its baseline is on the caller's scale already:
    /// the baseline is at the mean covariates, which centring and scaling leave in place).
    pub standardized: CoxFit,
}

/// A coefficient beyond this many log-units per standard deviation of its covariate (a hazard
/// ratio of e^15 per SD) only arises when the likelihood keeps increasing towards infinity.
const DIVERGENT_STD_COEF: f64 = 15.0;

/// Fits on row-major n x p covariates in the caller's units. `names` are the columns as the
/// caller quotes them (for messages). Checks the size before allocating, then standardises,
/// rejects constant and (without a penalizer) collinear columns and monotone likelihoods.
#[allow(clippy::too_many_arguments)]
pub fn fit_cox_design(
    x: &[f64],
    p: usize,
    names: &[String],
    time: &[f64],
    event: &[f64],
    weight: Option<&[f64]>,
    strata: Option<&[i64]>,
    opts: &CoxOptions,
) -> Result<CoxModel> {
    check_design_size(time.len(), p, "df")?;
    let s = standardize(x, p)?;
    s.check_identifiable(
        x,
        names,
        opts.penalizer > 0.0,
        ", or fit with a penalizer > 0 (e.g. penalizer=0.01)",
    )?;
    let fit = fit_cox(&s.z, p, time, event, weight, strata, opts)?;
    let divergent: Vec<&str> = (0..p)
        .filter(|&j| fit.params[j].abs() > DIVERGENT_STD_COEF)
        .map(|j| names.get(j).map_or("?", String::as_str))
        .collect();
    if !divergent.is_empty() {
        return Err(ClmError::Convergence {
            message: format!(
                "the partial likelihood increases without bound along [{}] (monotone \
                 likelihood: these covariates separate early from late events perfectly); \
                 their coefficients are infinite. Fit with a penalizer (e.g. penalizer=0.01) \
                 or drop them",
                divergent.join(", ")
            ),
            params: fit.params.clone(),
            grad_norm: 0.0, // Newton converged: the gradient is at its tolerance
        });
    }
    let inv = covariance_from_information(&fit.information, &vec![1.0; p]);
    let sd = &s.std;
    let mut train_log_hazard = vec![0.0; time.len()];
    crate::parallel::map_into(&mut train_log_hazard, |i| {
        s.z[i * p..(i + 1) * p]
            .iter()
            .zip(&fit.params)
            .map(|(a, b)| a * b)
            .sum()
    });
    Ok(CoxModel {
        params: (0..p).map(|j| fit.params[j] / sd[j]).collect(),
        standard_errors: (0..p).map(|j| inv[j * p + j].sqrt() / sd[j]).collect(),
        covariance: (0..p * p).map(|k| inv[k] / sd[k / p] / sd[k % p]).collect(),
        mean: s.mean,
        train_log_hazard,
        standardized: fit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(ties: Ties) -> CoxOptions {
        CoxOptions {
            ties,
            penalizer: 0.0,
            l1_ratio: 0.0,
            max_iter: 50,
        }
    }

    /// One binary covariate, no ties: the score equation can be checked by brute force.
    #[test]
    fn score_is_zero_at_the_fit_and_matches_finite_differences() {
        let x = [0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0];
        let t = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let e = [1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0];
        let fit = fit_cox(&x, 1, &t, &e, None, None, &opts(Ties::Breslow)).unwrap();
        let data = RiskData::new(&x, 1, &t, &e, None, None);
        let b = fit.params[0];
        let ll = |b: f64| data.evaluate(&[b], Ties::Breslow).unwrap().loglik;
        let h = 1e-5;
        assert!(((ll(b + h) - ll(b - h)) / (2.0 * h)).abs() < 1e-6);
        let second = (ll(b + h) - 2.0 * ll(b) + ll(b - h)) / (h * h);
        assert!((second + fit.information[0]).abs() < 1e-3 * fit.information[0]);
    }

    #[test]
    fn efron_equals_breslow_without_ties() {
        let x = [0.3, -1.0, 2.0, 0.5, -0.2, 1.1];
        let t = [5.0, 3.0, 1.0, 4.0, 2.0, 6.0];
        let e = [1.0, 1.0, 1.0, 0.0, 1.0, 1.0];
        let a = fit_cox(&x, 1, &t, &e, None, None, &opts(Ties::Efron)).unwrap();
        let b = fit_cox(&x, 1, &t, &e, None, None, &opts(Ties::Breslow)).unwrap();
        assert!((a.params[0] - b.params[0]).abs() < 1e-12);
    }

    #[test]
    fn all_censored_is_an_error() {
        let err = fit_cox(
            &[1.0, 2.0],
            1,
            &[1.0, 2.0],
            &[0.0, 0.0],
            None,
            None,
            &opts(Ties::Efron),
        )
        .unwrap_err();
        assert!(err.to_string().contains("censored"));
    }

    #[test]
    fn strata_reset_the_risk_set() {
        // Two identical strata: the fit equals that of one stratum, loglik doubles.
        let x = [0.3, -1.0, 2.0, 0.5, -0.2];
        let t = [5.0, 3.0, 1.0, 4.0, 2.0];
        let e = [1.0, 1.0, 1.0, 0.0, 1.0];
        let one = fit_cox(&x, 1, &t, &e, None, None, &opts(Ties::Efron)).unwrap();
        let x2: Vec<f64> = x.iter().chain(x.iter()).copied().collect();
        let t2: Vec<f64> = t.iter().chain(t.iter()).copied().collect();
        let e2: Vec<f64> = e.iter().chain(e.iter()).copied().collect();
        let s2 = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1];
        let two = fit_cox(&x2, 1, &t2, &e2, None, Some(&s2), &opts(Ties::Efron)).unwrap();
        assert!((one.params[0] - two.params[0]).abs() < 1e-10);
        assert!((2.0 * one.log_likelihood - two.log_likelihood).abs() < 1e-9);
        assert_eq!(
            two.baseline_time,
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 1.0, 2.0, 3.0, 4.0, 5.0]
        );
    }
}
