//! Gamma-Gamma model of spend per transaction (Fader & Hardie 2013, note 025 "The
//! Gamma-Gamma Model of Monetary Value"; Colombo & Jiang 1999). Fitted on repeat buyers:
//! x transactions with mean value m; z_i ~ Gamma(p, nu), nu ~ Gamma(q, v).

use std::ops::Range;

use super::{Model, Patterns};
use crate::error::{check_same_length, first_invalid, Result};
use crate::numeric::special::{digamma, ln_gamma};

mod fit;
pub use fit::fit;

pub const NAMES: &[&str] = &["p", "q", "v"];

/// The Gamma-Gamma model over (frequency, monetary_value) patterns.
pub struct GammaGamma;

impl Model for GammaGamma {
    fn names(&self) -> &'static [&'static str] {
        NAMES
    }
    fn columns(&self) -> &'static [&'static str] {
        &["frequency", "monetary_value"]
    }
    fn time_powers(&self) -> &'static [i32] {
        &[0, 0, 0]
    }
    fn check_data(&self, c: &[&[f64]]) -> Result<()> {
        check_same_length(&[("frequency", c[0].len()), ("monetary_value", c[1].len())])?;
        first_invalid(
            "frequency",
            c[0],
            "must be a whole number > 0 (repeat buyers only)",
            |v| !(v.is_finite() && v > 0.0 && v.fract() == 0.0),
        )?;
        first_invalid("monetary_value", c[1], "must be finite and > 0", |v| {
            !(v.is_finite() && v > 0.0)
        })
    }
    fn initial_params(&self, _data: &Patterns) -> Vec<f64> {
        vec![1.0, 1.0, 1.0]
    }

    /// Note 025 eq. 3, the density of the mean m of x values with nu integrated out:
    /// Gamma(px + q) / (Gamma(px) Gamma(q)) v^q m^(px - 1) x^(px) / (v + x m)^(px + q).
    fn loglik_grad(&self, params: &[f64], row: &[f64], g: &mut [f64]) -> f64 {
        let mut acc = [0.0; 4];
        term(params, &XTerms::new(params, row[0]), row, 1.0, &mut acc);
        for (gj, a) in g.iter_mut().zip(&acc[1..]) {
            *gj += a;
        }
        acc[0]
    }

    fn accumulate(&self, params: &[f64], data: &Patterns, range: Range<usize>, acc: &mut [f64]) {
        let mut xt = XTerms::new(params, f64::NAN);
        for i in range {
            let row = data.row(i);
            if row[0] != xt.x {
                xt = XTerms::new(params, row[0]);
            }
            term(params, &xt, row, data.weights[i], acc);
        }
    }
}

/// Terms that depend on the parameters and the number of transactions x only.
struct XTerms {
    x: f64,
    /// ln Gamma(px + q) - ln Gamma(px) - ln Gamma(q) + q ln v + px ln x
    constant: f64,
    psi_pxq: f64,
    psi_px: f64,
    psi_q: f64,
    ln_x: f64,
    ln_v: f64,
}

impl XTerms {
    fn new(params: &[f64], x: f64) -> XTerms {
        let (p, q, v) = (params[0], params[1], params[2]);
        let px = p * x;
        let (ln_x, ln_v) = (x.ln(), v.ln());
        XTerms {
            x,
            constant: ln_gamma(px + q) - ln_gamma(px) - ln_gamma(q) + q * ln_v + px * ln_x,
            psi_pxq: digamma(px + q),
            psi_px: digamma(px),
            psi_q: digamma(q),
            ln_x,
            ln_v,
        }
    }
}

/// Adds w x (ll, gradient in p, q, v) of one (x, m) pattern to `acc`.
fn term(params: &[f64], xt: &XTerms, row: &[f64], w: f64, acc: &mut [f64]) {
    let (p, q, v) = (params[0], params[1], params[2]);
    let (x, m) = (row[0], row[1]);
    let px = p * x;
    let ln_m = m.ln();
    let total = (v + x * m).ln();
    acc[0] += w * (xt.constant + (px - 1.0) * ln_m - (px + q) * total);
    acc[1] += w * x * (xt.psi_pxq - xt.psi_px + ln_m + xt.ln_x - total);
    acc[2] += w * (xt.psi_pxq - xt.psi_q + xt.ln_v - total);
    acc[3] += w * (q / v - (px + q) / (v + x * m));
}

/// E[Z | x, m] = (q - 1) / (px + q - 1) * p v / (q - 1) + px / (px + q - 1) * m
///            = p (v + x m) / (p x + q - 1)   (note 025 eq. 5; x = 0 gives the prior mean).
pub fn conditional_expected_spend(params: &[f64], x: f64, m: f64) -> f64 {
    let (p, q, v) = (params[0], params[1], params[2]);
    let denom = p * x + q - 1.0;
    if denom <= 0.0 {
        return f64::INFINITY;
    }
    p * (v + x * m) / denom
}

/// E[Z] = p v / (q - 1) for a new customer (infinite when q <= 1).
pub fn expected_spend(params: &[f64]) -> f64 {
    conditional_expected_spend(params, 0.0, 0.0)
}

/// Checks the inputs of the conditional expected spend: parameters, lengths, whole
/// frequencies >= 0 and a finite, positive monetary value for every repeat buyer.
pub fn check_spend_data(params: &[f64], x: &[f64], m: &[f64]) -> Result<()> {
    super::check_params(NAMES, params)?;
    check_same_length(&[("frequency", x.len()), ("monetary_value", m.len())])?;
    first_invalid("frequency", x, "must be a whole number >= 0", |v| {
        !(v.is_finite() && v >= 0.0 && v.fract() == 0.0)
    })?;
    if let Some(i) = (0..x.len()).find(|&i| x[i] > 0.0 && !(m[i].is_finite() && m[i] > 0.0)) {
        return Err(crate::error::ClmError::invalid_value(
            "monetary_value",
            i,
            m[i],
            "must be finite and > 0 for repeat buyers",
        ));
    }
    Ok(())
}

/// Conditional expected spend per customer (x = 0 rows get the prior mean; m is ignored there).
pub fn conditional_expected_spend_many(params: &[f64], x: &[f64], m: &[f64]) -> Result<Vec<f64>> {
    check_spend_data(params, x, m)?;
    let mut out = vec![0.0; x.len()];
    crate::parallel::map_into(&mut out, |i| {
        conditional_expected_spend(params, x[i], if x[i] > 0.0 { m[i] } else { 0.0 })
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btyd::tests::testing::gradient_error;

    #[test]
    fn gradient_matches_finite_differences() {
        let p = [6.25, 3.74, 15.44];
        for row in [[1.0, 20.0], [5.0, 3.5], [40.0, 300.0]] {
            assert!(gradient_error(&GammaGamma, &p, &row) < 1e-6, "{row:?}");
        }
    }

    #[test]
    fn conditional_spend_shrinks_towards_the_prior_mean() {
        let p = [6.25, 3.74, 15.44];
        let prior = expected_spend(&p);
        assert!((prior - 6.25 * 15.44 / 2.74).abs() < 1e-12);
        let e = conditional_expected_spend(&p, 2.0, 100.0);
        assert!(e > prior && e < 100.0);
    }
}
