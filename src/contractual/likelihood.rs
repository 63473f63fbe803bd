//! Survival and churn probabilities of the sBG and BdW models with their gradients.
//!
//! Beta-discrete-Weibull (Fader, Hardie, Liu, Davin & Steenburgh 2018, eq. 4): a customer
//! with churn probability theta survives t periods with probability (1 - theta)^(t^c), and
//! theta ~ Beta(alpha, beta) across customers, so
//!   S(t) = B(alpha, beta + t^c) / B(alpha, beta),   P(T = t) = S(t - 1) - S(t).
//! With c = 1 this is the shifted-beta-geometric (Fader & Hardie 2007, eqs. 5 and 7), for which
//! P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta) is used as it is (no difference of
//! two close survival values).
//!
//! Gradients are with respect to the natural parameters (alpha, beta[, c]) and come from
//! d ln Gamma = digamma: d ln S / d alpha = psi(alpha + beta) - psi(alpha + beta + u),
//! d ln S / d beta = psi(beta + u) - psi(alpha + beta + u) - psi(beta) + psi(alpha + beta),
//! d ln S / d c = (psi(beta + u) - psi(alpha + beta + u)) u ln t, with u = t^c.

use super::tenures::Tenures;
use super::Kind;
use crate::numeric::special::{digamma, ln_gamma};

/// Beyond this u, ln Gamma(beta + u) - ln Gamma(alpha + beta + u) is taken from its
/// asymptotic expansion: the difference of two huge ln Gamma values would lose every digit.
const ASYMPTOTIC_U: f64 = 1e7;

/// (ln Gamma(u + a) - ln Gamma(u + b), psi(u + a) - psi(u + b)) for large u: the expansions
/// (a - b) ln u + (a - b)(a + b - 1) / (2u) and (a - b) / u - (a - b)(a + b - 1) / (2u^2)
/// (Abramowitz & Stegun 6.1.47), whose next terms are O(u^-2) and O(u^-3).
fn gamma_ratio_large(u: f64, a: f64, b: f64) -> (f64, f64) {
    let (diff, sum1) = (a - b, a + b - 1.0);
    (
        diff * u.ln() + diff * sum1 / (2.0 * u),
        diff / u - diff * sum1 / (2.0 * u * u),
    )
}

/// ln S(t) at (alpha, beta, c) with its gradient in (alpha, beta, c); t >= 0 (real t allowed).
pub fn ln_survival_abc(alpha: f64, beta: f64, c: f64, t: f64) -> (f64, [f64; 3]) {
    if t <= 0.0 {
        return (0.0, [0.0; 3]);
    }
    let u = t.powf(c);
    let ab = alpha + beta;
    // ln Gamma(beta + u) - ln Gamma(alpha + beta + u) and the matching digamma difference.
    let (ratio, psi_diff) = if u > ASYMPTOTIC_U {
        gamma_ratio_large(u, beta, ab)
    } else {
        (
            ln_gamma(beta + u) - ln_gamma(ab + u),
            digamma(beta + u) - digamma(ab + u),
        )
    };
    let value = ratio - ln_gamma(beta) + ln_gamma(ab);
    let psi_ab = digamma(ab);
    // psi(alpha + beta + u) ~ ln u is accurate at any size; only the differences above are not.
    let d_alpha = psi_ab - digamma(ab + u);
    let d_beta = psi_diff - digamma(beta) + psi_ab;
    let d_c = psi_diff * u * t.ln();
    (value, [d_alpha, d_beta, d_c])
}

/// ln P(T = t) at (alpha, beta, c) with its gradient; t >= 1.
pub fn ln_churn_abc(kind: Kind, alpha: f64, beta: f64, c: f64, t: f64) -> (f64, [f64; 3]) {
    if kind == Kind::Sbg {
        // Fader & Hardie (2007) eq. 5: B(alpha + 1, beta + t - 1) / B(alpha, beta).
        let (ab, abt, bt) = (alpha + beta, alpha + beta + t, beta + t - 1.0);
        let value = alpha.ln() + ln_gamma(bt) - ln_gamma(abt) - ln_gamma(beta) + ln_gamma(ab);
        let psi_ab = digamma(ab);
        let psi_abt = digamma(abt);
        let d_alpha = 1.0 / alpha - psi_abt + psi_ab;
        let d_beta = digamma(bt) - psi_abt - digamma(beta) + psi_ab;
        return (value, [d_alpha, d_beta, 0.0]);
    }
    // P = S(t-1) (1 - e^delta), delta = ln S(t) - ln S(t-1) < 0; expm1 keeps 1 - e^delta exact.
    let (a, ga) = ln_survival_abc(alpha, beta, c, t - 1.0);
    let (b, gb) = ln_survival_abc(alpha, beta, c, t);
    let delta = b - a;
    let one_minus = -delta.exp_m1();
    let e = delta.exp();
    let mut grad = [0.0; 3];
    for j in 0..3 {
        grad[j] = (ga[j] - e * gb[j]) / one_minus;
    }
    (a + one_minus.ln(), grad)
}

/// ln S(t) of a model at natural parameters.
pub fn ln_survival(kind: Kind, params: &[f64], t: f64) -> f64 {
    let (alpha, beta, c) = kind.abc(params);
    ln_survival_abc(alpha, beta, c, t).0
}

/// ln P(T = t) of a model at natural parameters (t >= 1).
pub fn ln_churn(kind: Kind, params: &[f64], t: f64) -> f64 {
    let (alpha, beta, c) = kind.abc(params);
    ln_churn_abc(kind, alpha, beta, c, t).0
}

/// Total weighted log-likelihood of compressed tenures; writes its gradient in the natural
/// parameters to `grad` (length = number of parameters). Fader & Hardie (2007) eq. 6 with
/// the still-active customers contributing ln S(k).
pub fn log_likelihood(kind: Kind, params: &[f64], data: &Tenures, grad: &mut [f64]) -> f64 {
    let (alpha, beta, c) = kind.abc(params);
    let mut total = 0.0;
    let mut g = [0.0; 3];
    for (t, &w) in data.churned.iter().enumerate().skip(1) {
        if w > 0.0 {
            let (v, d) = ln_churn_abc(kind, alpha, beta, c, t as f64);
            total += w * v;
            g.iter_mut().zip(d).for_each(|(a, b)| *a += w * b);
        }
    }
    for (k, &w) in data.active.iter().enumerate() {
        if w > 0.0 {
            let (v, d) = ln_survival_abc(alpha, beta, c, k as f64);
            total += w * v;
            g.iter_mut().zip(d).for_each(|(a, b)| *a += w * b);
        }
    }
    grad.copy_from_slice(&g[..params.len()]);
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beta_fn(a: f64, b: f64) -> f64 {
        (ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)).exp()
    }

    #[test]
    fn sbg_matches_the_recursion_of_fader_hardie_2007() {
        // P(T=1) = alpha / (alpha + beta); P(T=t) = (beta + t - 2) / (alpha + beta + t - 1) P(t-1).
        let (a, b) = (0.704, 1.182);
        let mut p = a / (a + b);
        let mut s = 1.0 - p;
        for t in 1..40 {
            if t > 1 {
                p *= (b + t as f64 - 2.0) / (a + b + t as f64 - 1.0);
                s -= p;
            }
            assert!((ln_churn(Kind::Sbg, &[a, b], t as f64) - p.ln()).abs() < 1e-12);
            assert!((ln_survival(Kind::Sbg, &[a, b], t as f64) - s.ln()).abs() < 1e-10);
        }
    }

    #[test]
    fn bdw_with_c_one_is_the_sbg_and_probabilities_sum_to_one() {
        for t in 1..30 {
            let t = t as f64;
            let sbg = ln_churn(Kind::Sbg, &[1.3, 2.1], t);
            let bdw = ln_churn(Kind::Bdw, &[1.3, 2.1, 1.0], t);
            assert!((sbg - bdw).abs() < 1e-10, "{t}: {sbg} {bdw}");
        }
        // sum_t P(T = t) over t <= 200 plus S(200) is 1; S(t) = B(a, b + t^c) / B(a, b).
        let p = [0.9, 1.7, 0.6];
        let sum: f64 = (1..=200)
            .map(|t| ln_churn(Kind::Bdw, &p, t as f64).exp())
            .sum();
        let tail = ln_survival(Kind::Bdw, &p, 200.0).exp();
        assert!((sum + tail - 1.0).abs() < 1e-12);
        let direct = beta_fn(0.9, 1.7 + 7f64.powf(0.6)) / beta_fn(0.9, 1.7);
        assert!((ln_survival(Kind::Bdw, &p, 7.0).exp() - direct).abs() < 1e-13);
    }

    #[test]
    fn gradients_match_central_differences() {
        for kind in [Kind::Sbg, Kind::Bdw] {
            let params: Vec<f64> = match kind {
                Kind::Sbg => vec![0.7, 3.8],
                Kind::Bdw => vec![0.7, 3.8, 1.3],
            };
            let data = Tenures {
                churned: vec![0.0, 131.0, 126.0, 90.0, 60.0, 42.0, 34.0, 26.0],
                active: vec![0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 491.0],
            };
            let mut g = vec![0.0; params.len()];
            log_likelihood(kind, &params, &data, &mut g);
            for j in 0..params.len() {
                let h = 1e-6 * params[j];
                let (mut up, mut down) = (params.clone(), params.clone());
                up[j] += h;
                down[j] -= h;
                let mut scratch = vec![0.0; params.len()];
                let fd = (log_likelihood(kind, &up, &data, &mut scratch)
                    - log_likelihood(kind, &down, &data, &mut scratch))
                    / (2.0 * h);
                assert!(
                    (g[j] - fd).abs() < 1e-5 * fd.abs().max(1.0),
                    "{kind:?} {j}: {} vs {fd}",
                    g[j]
                );
            }
        }
    }
}
