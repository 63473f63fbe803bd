//! Predictions of a fitted retention model: survival, retention rates, churn probabilities,
//! residual lifetimes and the discounted expected residual lifetime (DERL).
//!
//! DERL (Fader & Hardie 2010, eq. 6): for a customer who has made r renewals and is about to
//! face renewal r + 1, the expected number of further payments, each discounted by
//! 1 / (1 + d) per period after the first:
//!   DERL(d | r) = sum_{k>=0} S(r + 1 + k) / S(r) / (1 + d)^k.
//! For the sBG the terms are a Gauss series:
//!   DERL = (beta + r) / (alpha + beta + r) 2F1(1, beta + r + 1; alpha + beta + r + 1; 1/(1+d)).
//! For the BdW there is no closed form: the series is summed term by term. S is
//! non-increasing, so after K terms the rest is at most term_K z / (1 - z) with
//! z = 1 / (1 + d); summation stops when that bound is below 1e-13 of the sum (or after
//! MAX_TERMS terms), and the bound is returned as the truncation error.

use rayon::prelude::*;

use super::likelihood::{ln_churn, ln_survival};
use super::Kind;
use crate::error::{ClmError, Result};
use crate::numeric::hypergeometric::ln_hyp2f1;
use crate::numeric::quadrature::ln_integral;

/// Most terms of a DERL series (d = 1e-4 per period needs ~3.5e5 terms).
pub const MAX_TERMS: usize = 10_000_000;
const REL_TOL: f64 = 1e-13;

fn check_times(arg: &str, t: &[f64], min: f64) -> Result<()> {
    crate::error::first_invalid(arg, t, &format!("must be finite and >= {min}"), |v| {
        !(v.is_finite() && v >= min)
    })
}

/// S(t) for each t >= 0.
pub fn survival(kind: Kind, params: &[f64], t: &[f64]) -> Result<Vec<f64>> {
    kind.check_params(params)?;
    check_times("t", t, 0.0)?;
    Ok(t.par_iter()
        .map(|&x| ln_survival(kind, params, x).exp())
        .collect())
}

/// P(T = t) for each t >= 1.
pub fn churn_pmf(kind: Kind, params: &[f64], t: &[f64]) -> Result<Vec<f64>> {
    kind.check_params(params)?;
    check_times("t", t, 1.0)?;
    Ok(t.par_iter()
        .map(|&x| ln_churn(kind, params, x).exp())
        .collect())
}

/// Retention rate r(t) = S(t) / S(t - 1) for each t >= 1; for the sBG
/// (beta + t - 1) / (alpha + beta + t - 1) (Fader & Hardie 2007, eq. 8).
pub fn retention_rate(kind: Kind, params: &[f64], t: &[f64]) -> Result<Vec<f64>> {
    kind.check_params(params)?;
    check_times("t", t, 1.0)?;
    Ok(t.par_iter()
        .map(|&x| match kind {
            Kind::Sbg => (params[1] + x - 1.0) / (params[0] + params[1] + x - 1.0),
            Kind::Bdw => (ln_survival(kind, params, x) - ln_survival(kind, params, x - 1.0)).exp(),
        })
        .collect())
}

/// P(T > t | T > n) = S(t) / S(n) for t >= n (1 for t < n), row by row.
pub fn conditional_survival(kind: Kind, params: &[f64], t: &[f64], n: &[f64]) -> Result<Vec<f64>> {
    kind.check_params(params)?;
    crate::error::check_same_length(&[("t", t.len()), ("renewals", n.len())])?;
    check_times("t", t, 0.0)?;
    check_times("renewals", n, 0.0)?;
    Ok(t.par_iter()
        .zip(n)
        .map(|(&t, &n)| {
            if t <= n {
                1.0
            } else {
                (ln_survival(kind, params, t) - ln_survival(kind, params, n)).exp()
            }
        })
        .collect())
}

/// DERL and its truncation error bound for a customer with `renewals` renewals.
pub fn derl_one(kind: Kind, params: &[f64], renewals: f64, discount: f64) -> (f64, f64) {
    let z = 1.0 / (1.0 + discount);
    let r = renewals;
    if kind == Kind::Sbg {
        let (a, b) = (params[0], params[1]);
        let ln_f = ln_hyp2f1(1.0, b + r + 1.0, a + b + r + 1.0, z);
        return ((b + r) / (a + b + r) * ln_f.exp(), 0.0);
    }
    let base = ln_survival(kind, params, r);
    let mut sum = 0.0;
    let mut zk = 1.0;
    for k in 0..MAX_TERMS {
        let term = (ln_survival(kind, params, r + 1.0 + k as f64) - base).exp() * zk;
        sum += term;
        let bound = term * z / (1.0 - z);
        if bound <= REL_TOL * sum {
            return (sum, bound);
        }
        zk *= z;
    }
    let last = (ln_survival(kind, params, r + MAX_TERMS as f64) - base).exp() * zk;
    (sum, last * z / (1.0 - z))
}

/// DERL (values, truncation error bounds) for each renewal count; `discount` > 0 per period.
pub fn derl(
    kind: Kind,
    params: &[f64],
    renewals: &[f64],
    discount: f64,
) -> Result<(Vec<f64>, Vec<f64>)> {
    kind.check_params(params)?;
    if !(discount.is_finite() && discount > 0.0) {
        return Err(ClmError::InvalidArgument(format!(
            "discount_rate must be finite and > 0 (per period), got {discount}"
        )));
    }
    check_times("renewals", renewals, 0.0)?;
    Ok(renewals
        .par_iter()
        .map(|&r| derl_one(kind, params, r, discount))
        .unzip())
}

/// Expected number of further renewals, sum_{k>=1} S(r + k) / S(r), for each r: infinite
/// when the series diverges (alpha c <= 1, where S(t) ~ t^(-alpha c)). sBG: (beta + r) /
/// (alpha - 1) (the residual lifetime of a survivor is an sBG with beta + r). BdW: the first
/// 2000 terms summed, the rest by the integral of S with the Euler-Maclaurin half-term.
pub fn expected_residual_lifetime(
    kind: Kind,
    params: &[f64],
    renewals: &[f64],
) -> Result<Vec<f64>> {
    kind.check_params(params)?;
    check_times("renewals", renewals, 0.0)?;
    let (alpha, beta, c) = kind.abc(params);
    Ok(renewals
        .par_iter()
        .map(|&r| {
            if alpha * c <= 1.0 {
                return f64::INFINITY;
            }
            if kind == Kind::Sbg {
                return (beta + r) / (alpha - 1.0);
            }
            const HEAD: usize = 2000;
            let base = ln_survival(kind, params, r);
            let head: f64 = (1..HEAD)
                .map(|k| (ln_survival(kind, params, r + k as f64) - base).exp())
                .sum();
            let start = r + HEAD as f64;
            // int_start^inf S(x) dx with x = e^y: integrand S(e^y) e^y.
            // Beyond e^300 periods S^(1/alpha c) underflows: the integrand is 0 there.
            let log_f = |y: f64| {
                let v = ln_survival(kind, params, y.exp()) + y - base;
                if v.is_finite() {
                    v
                } else {
                    f64::NEG_INFINITY
                }
            };
            let tail = ln_integral(&log_f, start.ln(), 300.0, start.ln()).exp();
            head + tail + 0.5 * (ln_survival(kind, params, start) - base).exp()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sbg_derl_closed_form_matches_the_direct_sum() {
        let p = [0.704, 1.182];
        for r in [0.0, 1.0, 4.0, 12.0] {
            let d = 0.1;
            let (closed, _) = derl_one(Kind::Sbg, &p, r, d);
            let base = ln_survival(Kind::Sbg, &p, r);
            let direct: f64 = (0..5000)
                .map(|k| {
                    (ln_survival(Kind::Sbg, &p, r + 1.0 + k as f64) - base).exp()
                        / (1.0 + d).powi(k)
                })
                .sum();
            assert!((closed - direct).abs() < 1e-10, "{r}: {closed} {direct}");
            // The BdW series with c = 1 is the same quantity.
            let (series, err) = derl_one(Kind::Bdw, &[0.704, 1.182, 1.0], r, d);
            assert!(
                (series - closed).abs() < 1e-9 && err < 1e-11,
                "{series} {closed}"
            );
        }
    }

    #[test]
    fn retention_rises_with_tenure_and_matches_survival_ratios() {
        let p = [0.668, 3.806];
        let t: Vec<f64> = (1..13).map(|x| x as f64).collect();
        let r = retention_rate(Kind::Sbg, &p, &t).unwrap();
        assert!(r.windows(2).all(|w| w[1] > w[0]));
        let s = survival(Kind::Sbg, &p, &[0.0, 1.0, 2.0]).unwrap();
        assert!((r[1] - s[2] / s[1]).abs() < 1e-13 && s[0] == 1.0);
        let rb = retention_rate(Kind::Bdw, &[0.668, 3.806, 1.0], &t).unwrap();
        assert!(r.iter().zip(&rb).all(|(a, b)| (a - b).abs() < 1e-10));
    }

    #[test]
    fn residual_lifetime_closed_form_and_bdw_agree_and_diverge_below_one() {
        let sbg = expected_residual_lifetime(Kind::Sbg, &[2.5, 4.0], &[0.0, 3.0]).unwrap();
        let bdw = expected_residual_lifetime(Kind::Bdw, &[2.5, 4.0, 1.0], &[0.0, 3.0]).unwrap();
        assert!((sbg[0] - 4.0 / 1.5).abs() < 1e-12);
        for (a, b) in sbg.iter().zip(&bdw) {
            assert!((a - b).abs() < 1e-6 * a, "{a} {b}");
        }
        let inf = expected_residual_lifetime(Kind::Sbg, &[0.7, 1.2], &[0.0]).unwrap();
        assert!(inf[0].is_infinite());
        assert!(derl(Kind::Sbg, &[0.7, 1.2], &[0.0], 0.0).is_err());
        assert!(survival(Kind::Sbg, &[0.7, 1.2], &[-1.0]).is_err());
    }
}
