//! BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way", Marketing
//! Science 24(2)). Parameters: r, alpha (Gamma heterogeneity of the purchase rate) and a, b
//! (Beta heterogeneity of the drop-out probability after each purchase).

use super::nbd::{alive_count_pmf, expected_alive_purchases, nb_ln_pmf, nb_sf};
use super::validate::check_frequency_recency_t;
use super::{Model, Patterns};
use crate::error::Result;
use crate::special::{digamma, ln_beta, ln_gamma, log_add_exp};

pub const NAMES: &[&str] = &["r", "alpha", "a", "b"];

/// The BG/NBD model over (frequency, recency, T) patterns.
pub struct BgNbd;

/// The two exponents of Hardie's note 027 log-sum-exp form of FHL eq. 6:
/// L = C [ (alpha + T)^-(r + x) + [x > 0] a / (b + x - 1) (alpha + t_x)^-(r + x) ], so heavy
/// buyers never evaluate (alpha + T)^(r + x) directly.
fn exponents(p: &[f64], x: f64, tx: f64, t: f64) -> (f64, f64) {
    let (r, alpha, a, b) = (p[0], p[1], p[2], p[3]);
    let u1 = -(r + x) * (alpha + t).ln();
    let u2 = if x > 0.0 { a.ln() - (b + x - 1.0).ln() - (r + x) * (alpha + tx).ln() } else { f64::NEG_INFINITY };
    (u1, u2)
}

impl Model for BgNbd {
    fn names(&self) -> &'static [&'static str] {
        NAMES
    }
    fn columns(&self) -> &'static [&'static str] {
        &["frequency", "recency", "T"]
    }
    fn time_columns(&self) -> &'static [usize] {
        &[1, 2]
    }
    fn scale_column(&self) -> Option<usize> {
        Some(2)
    }
    fn time_powers(&self) -> &'static [i32] {
        &[0, 1, 0, 0]
    }
    fn check_data(&self, c: &[&[f64]]) -> Result<()> {
        check_frequency_recency_t(c[0], c[1], c[2])
    }
    fn initial_params(&self, _data: &Patterns) -> Vec<f64> {
        vec![1.0, 1.0, 1.0, 1.0]
    }

    fn loglik_grad(&self, p: &[f64], row: &[f64], g: &mut [f64]) -> f64 {
        let (r, alpha, a, b) = (p[0], p[1], p[2], p[3]);
        let (x, tx, t) = (row[0], row[1], row[2]);
        let (u1, u2) = exponents(p, x, tx, t);
        let lse = log_add_exp(u1, u2);
        let (w1, w2) = ((u1 - lse).exp(), (u2 - lse).exp());
        let ll = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + ln_beta(a, b + x) - ln_beta(a, b) + lse;
        let (lt, ltx) = ((alpha + t).ln(), (alpha + tx).ln());
        g[0] += digamma(r + x) - digamma(r) + alpha.ln() - w1 * lt - w2 * ltx;
        g[1] += r / alpha - (r + x) * (w1 / (alpha + t) + w2 / (alpha + tx));
        let psi_ab = digamma(a + b);
        let psi_abx = digamma(a + b + x);
        g[2] += psi_ab - psi_abx + w2 / a;
        let w2_over = if x > 0.0 { w2 / (b + x - 1.0) } else { 0.0 };
        g[3] += digamma(b + x) - digamma(b) + psi_ab - psi_abx - w2_over;
        ll
    }
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
pub fn conditional_expected_purchases(p: &[f64], t: f64, x: f64, tx: f64, big_t: f64) -> Result<f64> {
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
pub fn conditional_probability_of_n_purchases(p: &[f64], t: f64, n: f64, x: f64, tx: f64, big_t: f64) -> f64 {
    let alive = p_alive(p, x, tx, big_t);
    let dead = if n == 0.0 { 1.0 - alive } else { 0.0 };
    (dead + alive * alive_count_pmf(n, p[0] + x, p[1] + big_t, t, p[2], p[3] + x)).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::super::testing::gradient_error;
    use super::*;

    const PRECISE: [f64; 4] = [0.2425945, 4.4136019, 0.7929199, 2.4258881];

    #[test]
    fn gradient_matches_finite_differences() {
        for row in [[0.0, 0.0, 38.86], [2.0, 30.43, 38.86], [1.0, 0.5, 0.5], [200.0, 38.0, 40.0]] {
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
