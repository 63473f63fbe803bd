//! MBG/NBD (Batislam, Denizel & Filiztekin 2007, "Empirical validation and comparison of
//! models for customer base analysis", IJRM 24(3)). As BG/NBD, but a customer may also drop
//! out right after the first purchase (time 0), so zero-repeat customers can be dead.

use super::bgnbd::bg_family_model;
use super::nbd::{alive_count_pmf, expected_alive_purchases, nb_ln_pmf, nb_sf};
use crate::error::Result;
use crate::numeric::special::ln_beta;

pub const NAMES: &[&str] = &["r", "alpha", "a", "b"];

/// The MBG/NBD model over (frequency, recency, T) patterns.
pub struct MbgNbd;

/// Exponents of the log-sum-exp form of Batislam et al. eq. 4:
/// L = C [ (alpha + T)^-(r + x) + a / (b + x) (alpha + t_x)^-(r + x) ] with
/// C = Gamma(r + x) alpha^r / Gamma(r) B(a, b + x + 1) / B(a, b) (for every x, including 0).
fn exponents(p: &[f64], x: f64, tx: f64, t: f64) -> (f64, f64) {
    let (r, alpha, a, b) = (p[0], p[1], p[2], p[3]);
    let u1 = -(r + x) * (alpha + t).ln();
    let u2 = a.ln() - (b + x).ln() - (r + x) * (alpha + tx).ln();
    (u1, u2)
}

// Batislam et al.'s likelihood is BG/NBD's with one more drop-out opportunity (x + 1 in the
// Beta terms, and the drop-out term present for every x).
bg_family_model!(MbgNbd, 1.0);

/// P(alive at T) = 1 / (1 + a / (b + x) ((alpha + T) / (alpha + t_x))^(r + x)) (Batislam et al. eq. 5).
pub fn p_alive(p: &[f64], x: f64, tx: f64, t: f64) -> f64 {
    let (u1, u2) = exponents(p, x, tx, t);
    1.0 / (1.0 + (u2 - u1).exp())
}

/// E[X(t)] for a new customer: survives time 0 with E[1 - p] = b / (a + b), then follows the
/// BG/NBD process with drop-out posterior Beta(a, b + 1).
pub fn expected_purchases(p: &[f64], t: f64) -> Result<f64> {
    let (r, alpha, a, b) = (p[0], p[1], p[2], p[3]);
    Ok(b / (a + b) * expected_alive_purchases(r, alpha, t, a, b + 1.0)?)
}

/// E[Y(t) | x, t_x, T]: P(alive) times the alive-window expectation with posterior
/// Gamma(r + x, alpha + T) and Beta(a, b + x + 1) (x + 1 survived drop-out chances).
pub fn conditional_expected_purchases(
    p: &[f64],
    t: f64,
    x: f64,
    tx: f64,
    big_t: f64,
) -> Result<f64> {
    let alive = p_alive(p, x, tx, big_t);
    Ok(alive * expected_alive_purchases(p[0] + x, p[1] + big_t, t, p[2], p[3] + x + 1.0)?)
}

/// P(X(t) = n) for a new customer: B(a, b + n + 1) / B(a, b) P(N = n) (alive after n + 1
/// drop-out chances) + B(a + 1, b + n) / B(a, b) P(N >= n) (dropped right after the n-th
/// purchase, or at time 0 when n = 0).
pub fn probability_of_n_purchases(p: &[f64], t: f64, n: f64) -> f64 {
    let (r, alpha, a, b) = (p[0], p[1], p[2], p[3]);
    let lb = ln_beta(a, b);
    let alive = (ln_beta(a, b + n + 1.0) - lb + nb_ln_pmf(n, r, alpha, t)).exp();
    let dropped = (ln_beta(a + 1.0, b + n) - lb).exp() * nb_sf(n, r, alpha, t);
    (alive + dropped).clamp(0.0, 1.0)
}

/// P(Y(t) = n | x, t_x, T).
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
    (dead + alive * alive_count_pmf(n, p[0] + x, p[1] + big_t, t, p[2], p[3] + x + 1.0))
        .clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btyd::tests::testing::gradient_error;

    const P: [f64; 4] = [0.525, 6.183, 0.891, 1.614];

    #[test]
    fn gradient_matches_finite_differences() {
        for row in [
            [0.0, 0.0, 38.86],
            [2.0, 30.43, 38.86],
            [1.0, 0.5, 0.5],
            [200.0, 38.0, 40.0],
        ] {
            assert!(gradient_error(&MbgNbd, &P, &row) < 1e-6, "{row:?}");
        }
    }

    #[test]
    fn new_customer_pmf_is_consistent_with_the_mean() {
        let t = 20.0;
        let (mut total, mut mean) = (0.0, 0.0);
        for n in 0..3000 {
            let q = probability_of_n_purchases(&P, t, n as f64);
            total += q;
            mean += n as f64 * q;
        }
        assert!((total - 1.0).abs() < 1e-10);
        let e = expected_purchases(&P, t).unwrap();
        assert!((mean - e).abs() < 1e-8 * e, "{mean} vs {e}");
    }
}
