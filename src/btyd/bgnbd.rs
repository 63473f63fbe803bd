//! BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way", Marketing
//! Science 24(2)). Parameters: r, alpha (Gamma heterogeneity of the purchase rate) and a, b
//! (Beta heterogeneity of the drop-out probability after each purchase).

use std::ops::Range;

use super::nbd::{alive_count_pmf, expected_alive_purchases, nb_ln_pmf, nb_sf};
use super::Patterns;
use crate::error::Result;
use crate::numeric::special::{digamma, ln_beta, ln_gamma};

pub const NAMES: &[&str] = &["r", "alpha", "a", "b"];

/// The BG/NBD model over (frequency, recency, T) patterns.
pub struct BgNbd;

/// The two exponents of Hardie's note 027 log-sum-exp form of FHL eq. 6:
/// L = C [ (alpha + T)^-(r + x) + [x > 0] a / (b + x - 1) (alpha + t_x)^-(r + x) ], so heavy
/// buyers never evaluate (alpha + T)^(r + x) directly.
fn exponents(p: &[f64], x: f64, tx: f64, t: f64) -> (f64, f64) {
    let (r, alpha, a, b) = (p[0], p[1], p[2], p[3]);
    let u1 = -(r + x) * (alpha + t).ln();
    let u2 = if x > 0.0 {
        a.ln() - (b + x - 1.0).ln() - (r + x) * (alpha + tx).ln()
    } else {
        f64::NEG_INFINITY
    };
    (u1, u2)
}

/// The [`Model`](super::Model) impl of BG/NBD (`shift` 0) and MBG/NBD (`shift` 1: one more drop-out
/// opportunity, at the first purchase): same parameters (r, alpha, a, b), data layout and
/// likelihood terms.
macro_rules! bg_family_model {
    ($model:ty, $shift:expr) => {
        impl $crate::btyd::Model for $model {
            fn names(&self) -> &'static [&'static str] {
                NAMES // the calling module's
            }
            $crate::btyd::validate::frequency_recency_t_layout!();
            fn time_powers(&self) -> &'static [i32] {
                &[0, 1, 0, 0]
            }
            fn initial_params(&self, _data: &$crate::btyd::Patterns) -> Vec<f64> {
                vec![1.0, 1.0, 1.0, 1.0]
            }
            fn loglik_grad(&self, p: &[f64], row: &[f64], g: &mut [f64]) -> f64 {
                $crate::btyd::bgnbd::loglik_grad_family(p, row, g, $shift)
            }
            fn accumulate(
                &self,
                p: &[f64],
                data: &$crate::btyd::Patterns,
                range: std::ops::Range<usize>,
                acc: &mut [f64],
            ) {
                $crate::btyd::bgnbd::accumulate_family(p, data, range, acc, $shift);
            }
            fn totals(
                &self,
                p: &[f64],
                data: &$crate::btyd::Patterns,
            ) -> Option<$crate::btyd::Totals> {
                Some($crate::btyd::bgfamily::totals(p, data, $shift))
            }
            fn loglik_time_shift(&self, data: &$crate::btyd::Patterns, scale: f64) -> Option<f64> {
                // L is a density in the x purchase times: (alpha / s)^r (alpha / s + T / s)^-(r + x)
                // = s^x alpha^r (alpha + T)^-(r + x), so ln L drops by x ln s per customer.
                let purchases: f64 = (0..data.len())
                    .map(|i| data.weights[i] * data.row(i)[0])
                    .sum();
                Some(-purchases * scale.ln())
            }
        }
    };
}
pub(super) use bg_family_model;

bg_family_model!(BgNbd, 0.0);

/// One pattern's log-likelihood for BG/NBD (`shift` 0) or MBG/NBD (`shift` 1); adds the
/// gradient to `g`.
pub(super) fn loglik_grad_family(p: &[f64], row: &[f64], g: &mut [f64], shift: f64) -> f64 {
    let c = Consts::new(p);
    let xt = XTerms::new(p, row[0], shift);
    let mut acc = [0.0; 5];
    term(p, &c, &xt, row, 1.0, &mut acc);
    for (gj, a) in g.iter_mut().zip(&acc[1..]) {
        *gj += a;
    }
    acc[0]
}

/// Sum over patterns for BG/NBD (`shift` 0) and MBG/NBD (`shift` 1, one more drop-out
/// opportunity: at the first purchase), caching the frequency terms.
pub(super) fn accumulate_family(
    p: &[f64],
    data: &Patterns,
    range: Range<usize>,
    acc: &mut [f64],
    shift: f64,
) {
    let c = Consts::new(p);
    let mut xt = XTerms::new(p, f64::NAN, shift);
    for i in range {
        let row = data.row(i);
        if row[0] != xt.x {
            xt = XTerms::new(p, row[0], shift);
        }
        term(p, &c, &xt, row, data.weights[i], acc);
    }
}

/// Terms of the likelihood that depend on the parameters only.
pub(super) struct Consts {
    ln_alpha: f64,
    ln_gamma_r: f64,
    ln_beta_ab: f64,
    psi_r: f64,
    psi_b: f64,
    psi_ab: f64,
}

impl Consts {
    pub(super) fn new(p: &[f64]) -> Consts {
        let (r, alpha, a, b) = (p[0], p[1], p[2], p[3]);
        Consts {
            ln_alpha: alpha.ln(),
            ln_gamma_r: ln_gamma(r),
            ln_beta_ab: ln_beta(a, b),
            psi_r: digamma(r),
            psi_b: digamma(b),
            psi_ab: digamma(a + b),
        }
    }
}

/// Terms that depend on the parameters and the frequency x only. `shift` is the number of
/// drop-out opportunities besides the x repeat purchases (0 for BG/NBD, 1 for MBG/NBD).
pub(super) struct XTerms {
    x: f64,
    ln_gamma_rx: f64,
    ln_beta_abx: f64,
    psi_rx: f64,
    psi_bx: f64,
    psi_abx: f64,
    /// ln(a / (b + x + shift - 1)), weight of the "dropped out after the last purchase"
    /// term (-inf when there is no such term: BG/NBD with x = 0).
    ln_drop: f64,
    drop_denominator: f64,
}

impl XTerms {
    pub(super) fn new(p: &[f64], x: f64, shift: f64) -> XTerms {
        let (r, a, b) = (p[0], p[2], p[3]);
        let xb = x + shift;
        let drop_denominator = b + xb - 1.0;
        XTerms {
            x,
            ln_gamma_rx: ln_gamma(r + x),
            ln_beta_abx: ln_beta(a, b + xb),
            psi_rx: digamma(r + x),
            psi_bx: digamma(b + xb),
            psi_abx: digamma(a + b + xb),
            ln_drop: if xb > 0.0 {
                a.ln() - drop_denominator.ln()
            } else {
                f64::NEG_INFINITY
            },
            drop_denominator,
        }
    }
}

/// Adds w x (ll, d ll / d(r, alpha, a, b)) of one pattern to `acc`, from note 027's form
/// ll = ln C + ln(e^u1 + e^u2) with u1 = -(r + x) ln(alpha + T) and
/// u2 = ln(a / (b + x - 1)) - (r + x) ln(alpha + t_x).
pub(super) fn term(p: &[f64], c: &Consts, xt: &XTerms, row: &[f64], w: f64, acc: &mut [f64]) {
    let (r, alpha, a) = (p[0], p[1], p[2]);
    let (x, tx, t) = (row[0], row[1], row[2]);
    let lt = (alpha + t).ln();
    let u1 = -(r + x) * lt;
    let has_drop = xt.ln_drop > f64::NEG_INFINITY;
    let (lse, w1, w2, ltx) = if has_drop {
        let ltx = (alpha + tx).ln();
        let u2 = xt.ln_drop - (r + x) * ltx;
        // Weights e^(u - lse) of the two terms, computed from e^-|u1 - u2| so neither the
        // larger nor the smaller loses precision.
        let e = (-(u1 - u2).abs()).exp();
        let (w1, w2) = if u1 >= u2 {
            (1.0 / (1.0 + e), e / (1.0 + e))
        } else {
            (e / (1.0 + e), 1.0 / (1.0 + e))
        };
        (u1.max(u2) + e.ln_1p(), w1, w2, ltx)
    } else {
        (u1, 1.0, 0.0, 0.0)
    };
    let ll = xt.ln_gamma_rx - c.ln_gamma_r + r * c.ln_alpha + xt.ln_beta_abx - c.ln_beta_ab + lse;
    acc[0] += w * ll;
    acc[1] += w * (xt.psi_rx - c.psi_r + c.ln_alpha - w1 * lt - w2 * ltx);
    acc[2] += w * (r / alpha - (r + x) * (w1 / (alpha + t) + w2 / (alpha + tx)));
    acc[3] += w * (c.psi_ab - xt.psi_abx + w2 / a);
    let drop_b = if has_drop {
        w2 / xt.drop_denominator
    } else {
        0.0
    };
    acc[4] += w * (xt.psi_bx - c.psi_b + c.psi_ab - xt.psi_abx - drop_b);
}

/// P(alive at T | x, t_x, T) = 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x))
/// (FHL 2005 eq. 13; note 027's exponent difference keeps it finite).
pub fn p_alive(p: &[f64], x: f64, tx: f64, t: f64) -> f64 {
    let (u1, u2) = exponents(p, x, tx, t);
    if u2 == f64::NEG_INFINITY {
        return 1.0;
    }
    1.0 / (1.0 + (u2 - u1).exp())
}

/// E[X(t)] for a new customer (FHL 2005 eq. 9), via the alive-window kernel with the prior.
pub fn expected_purchases(p: &[f64], t: f64) -> Result<f64> {
    expected_alive_purchases(p[0], p[1], t, p[2], p[3])
}

/// E[Y(t) | x, t_x, T] (FHL 2005 eq. 10): P(alive) times the expected purchases of an alive
/// customer with posterior Gamma(r + x, alpha + T) rate and Beta(a, b + x) drop-out.
pub fn conditional_expected_purchases(
    p: &[f64],
    t: f64,
    x: f64,
    tx: f64,
    big_t: f64,
) -> Result<f64> {
    let alive = p_alive(p, x, tx, big_t);
    Ok(alive * expected_alive_purchases(p[0] + x, p[1] + big_t, t, p[2], p[3] + x)?)
}

/// P(X(t) = n) for a new customer (FHL 2005 eq. 8).
pub fn probability_of_n_purchases(p: &[f64], t: f64, n: f64) -> f64 {
    let (r, alpha, a, b) = (p[0], p[1], p[2], p[3]);
    let lb = ln_beta(a, b);
    let alive = (ln_beta(a, b + n) - lb + nb_ln_pmf(n, r, alpha, t)).exp();
    if n == 0.0 {
        return alive;
    }
    (alive + (ln_beta(a + 1.0, b + n - 1.0) - lb).exp() * nb_sf(n, r, alpha, t)).clamp(0.0, 1.0)
}

/// P(Y(t) = n | x, t_x, T): a customer who is dead at T makes none; an alive one follows
/// the BG/NBD process with posterior parameters.
pub fn conditional_probability_of_n_purchases(
    p: &[f64],
    t: f64,
    n: f64,
    x: f64,
    tx: f64,
    big_t: f64,
) -> f64 {
    let alive = p_alive(p, x, tx, big_t);
    let dead = if n == 0.0 { 1.0 - alive } else { 0.0 };
    (dead + alive * alive_count_pmf(n, p[0] + x, p[1] + big_t, t, p[2], p[3] + x)).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btyd::tests::testing::gradient_error;
    use crate::btyd::Model;

    const PRECISE: [f64; 4] = [0.2425945, 4.4136019, 0.7929199, 2.4258881];

    #[test]
    fn gradient_matches_finite_differences() {
        for row in [
            [0.0, 0.0, 38.86],
            [2.0, 30.43, 38.86],
            [1.0, 0.5, 0.5],
            [200.0, 38.0, 40.0],
        ] {
            assert!(gradient_error(&BgNbd, &PRECISE, &row) < 1e-6, "{row:?}");
        }
    }

    #[test]
    fn note_027_stable_logliks() {
        let p = [0.25, 4.0, 0.8, 2.5];
        let mut g = [0.0; 4];
        assert!((BgNbd.loglik_grad(&p, &[0.0, 0.0, 40.0], &mut g) + 0.59947382).abs() < 1e-7);
        assert!((BgNbd.loglik_grad(&p, &[200.0, 38.0, 40.0], &mut g) - 100.7957).abs() < 1e-4);
    }

    #[test]
    fn published_predictions() {
        let e = conditional_expected_purchases(&PRECISE, 39.0, 2.0, 30.43, 38.86).unwrap();
        assert!((e - 1.226).abs() < 5e-4, "{e}");
        let e = expected_purchases(&PRECISE, 78.0).unwrap();
        // FHL eq. 9 by scipy.special.hyp2f1 at these parameters: 1.8579560091180436.
        assert!((e - 1.8579560091180436).abs() < 1e-11, "{e}");
    }

    #[test]
    fn a_plus_b_below_one_is_finite_for_zero_frequency() {
        let p = [0.3, 2.0, 0.4, 0.3];
        let e = conditional_expected_purchases(&p, 10.0, 0.0, 0.0, 5.0).unwrap();
        assert!(e.is_finite() && e > 0.0);
    }
}
