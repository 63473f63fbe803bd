//! The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987): purchases at Poisson rate λ
//! while alive, exponential lifetimes of rate μ, λ ~ Gamma(r, α), μ ~ Gamma(s, β).
//! Parameters are ordered (r, alpha, s, beta).
//!
//! The likelihood follows Fader & Hardie's note "A Note on Deriving the Pareto/NBD Model and
//! Related Expressions" (2005): with a customer alive at T or dead at τ in (t_x, T],
//!   L = Γ(r+x) α^r β^s / Γ(r) · [ (α+T)^-(r+x) (β+T)^-s + s ∫_{t_x}^T (α+τ)^-(r+x) (β+τ)^-(s+1) dτ ]
//! and the integral is F(t_x) - F(T) with F(u) = ∫_u^∞, a 2F1(a, b; a+1; z) times a power
//! (note eq. 22 - 24; see `hypergeometric`). Everything is kept as logarithms.

use super::validate::check_frequency_recency_t;
use crate::error::{ClmError, Result};
use crate::numeric::hypergeometric::ln_hyperu;
use crate::numeric::quadrature::ln_integral;
use crate::numeric::special::{digamma, ln_gamma, log_add_exp};

/// Natural parameters (r, alpha, s, beta).
pub type Params = [f64; 4];

pub const NAMES: &[&str] = &["r", "alpha", "s", "beta"];

/// The two log terms of the likelihood without the common factor Γ(r+x) α^r β^s / Γ(r):
/// (alive at T, died in (t_x, T]), each with its gradient. The second is -inf when t_x = T.
fn ln_terms(p: &Params, x: f64, tx: f64, t: f64) -> ((f64, [f64; 4]), (f64, [f64; 4])) {
    let alive = alive_term(p, x, t, (p[1] + t).ln(), (p[3] + t).ln());
    if tx >= t {
        return (alive, (f64::NEG_INFINITY, [0.0; 4]));
    }
    (
        alive,
        dead_term(
            p[2].ln(),
            1.0 / p[2],
            cached_tail(p, x, tx),
            cached_tail(p, x, t),
        ),
    )
}

/// ln[(α+T)^-(r+x) (β+T)^-s] and its gradient, given la = ln(α+T) and lb = ln(β+T).
#[inline]
pub(crate) fn alive_term(p: &Params, x: f64, t: f64, la: f64, lb: f64) -> (f64, [f64; 4]) {
    let [r, alpha, s, beta] = *p;
    (
        -(r + x) * la - s * lb,
        [-la, -(r + x) / (alpha + t), -lb, -s / (beta + t)],
    )
}

/// ln[s (F(t_x) - F(T))] and its gradient from the two tails (t_x < T), given ln s and 1/s.
#[inline]
pub(crate) fn dead_term(
    ln_s: f64,
    inv_s: f64,
    tail_tx: (f64, [f64; 4]),
    tail_t: (f64, [f64; 4]),
) -> (f64, [f64; 4]) {
    let ((f_tx, g_tx), (f_t, g_t)) = (tail_tx, tail_t);
    // ln(F(t_x) - F(T)) and d = (F_tx dlnF_tx - F_T dlnF_T) / (F_tx - F_T)
    let ratio = (f_t - f_tx).exp();
    let ln_integral = f_tx + (-ratio).ln_1p();
    let mut grad = [0.0; 4];
    for j in 0..4 {
        grad[j] = (g_tx[j] - ratio * g_t[j]) / (1.0 - ratio);
    }
    grad[2] += inv_s;
    (ln_s + ln_integral, grad)
}

/// Slots of the per-thread memo of tails.
const TAIL_SLOTS: usize = 4096;

#[derive(Clone, Copy)]
struct TailEntry {
    key: [u64; 6],
    value: (f64, [f64; 4]),
}

thread_local! {
    static TAILS: std::cell::RefCell<Vec<Option<TailEntry>>> = std::cell::RefCell::new(vec![None; TAIL_SLOTS]);
}

/// `ln_tail` through a per-thread direct-mapped memo keyed by (parameters, x, u). Patterns
/// are sorted by (x, t_x, T), so neighbours share the t_x tail and many share the T tail:
/// a fit evaluates the series once per distinct (x, u) instead of twice per pattern. The
/// memo returns exactly what `ln_tail` computes, so results do not depend on hits.
fn cached_tail(p: &Params, x: f64, u: f64) -> (f64, [f64; 4]) {
    let key = [
        p[0].to_bits(),
        p[1].to_bits(),
        p[2].to_bits(),
        p[3].to_bits(),
        x.to_bits(),
        u.to_bits(),
    ];
    let mut h = key[4].wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ key[5];
    h = (h ^ (h >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let slot = (h >> 40) as usize % TAIL_SLOTS;
    TAILS.with(|cell| {
        let mut table = cell.borrow_mut();
        match table[slot] {
            Some(entry) if entry.key == key => entry.value,
            _ => {
                let value = ln_tail(p, x, u);
                table[slot] = Some(TailEntry { key, value });
                value
            }
        }
    })
}

/// Terms of the likelihood that depend on the parameters only, memoised per thread: a fit
/// evaluates them for every pattern at the same parameters.
#[derive(Clone, Copy)]
pub(crate) struct Constants {
    params: Params,
    ln_gamma_r: f64,
    digamma_r: f64,
    ln_alpha: f64,
    ln_beta: f64,
    ln_s: f64,
    inv_s: f64,
    r_over_alpha: f64,
    s_over_beta: f64,
}

thread_local! {
    static CONSTANTS: std::cell::Cell<Option<Constants>> = const { std::cell::Cell::new(None) };
    /// (parameters, x) -> (ln Γ(r+x) - ln Γ(r), ψ(r+x) - ψ(r)) of the last pattern: patterns
    /// are sorted by x, so consecutive ones share it.
    static BY_FREQUENCY: std::cell::Cell<Option<(Params, f64, f64, f64)>> = const { std::cell::Cell::new(None) };
}

fn frequency_terms(p: &Params, c: &Constants, x: f64) -> (f64, f64) {
    if x == 0.0 {
        return (0.0, 0.0);
    }
    BY_FREQUENCY.with(|cell| match cell.get() {
        Some((q, y, lg, dg)) if q == *p && y == x => (lg, dg),
        _ => {
            let (lg, dg) = c.frequency(x);
            cell.set(Some((*p, x, lg, dg)));
            (lg, dg)
        }
    })
}

impl Constants {
    pub(crate) fn new(p: &Params) -> Constants {
        let [r, alpha, s, beta] = *p;
        Constants {
            params: *p,
            ln_gamma_r: ln_gamma(r),
            digamma_r: digamma(r),
            ln_alpha: alpha.ln(),
            ln_beta: beta.ln(),
            ln_s: s.ln(),
            inv_s: 1.0 / s,
            r_over_alpha: r / alpha,
            s_over_beta: s / beta,
        }
    }

    /// (ln Γ(r+x) - ln Γ(r), ψ(r+x) - ψ(r)); zeros at x = 0.
    pub(crate) fn frequency(&self, x: f64) -> (f64, f64) {
        if x == 0.0 {
            return (0.0, 0.0);
        }
        let r = self.params[0];
        (
            ln_gamma(r + x) - self.ln_gamma_r,
            digamma(r + x) - self.digamma_r,
        )
    }
}

fn constants(p: &Params) -> Constants {
    CONSTANTS.with(|cell| match cell.get() {
        Some(c) if c.params == *p => c,
        _ => {
            let c = Constants::new(p);
            cell.set(Some(c));
            c
        }
    })
}

/// Log-likelihood of one customer (x repeat purchases, last at t_x, observed for T);
/// adds its gradient in (r, α, s, β) to `grad`.
pub fn loglik_grad(p: &Params, x: f64, tx: f64, t: f64, grad: &mut [f64]) -> f64 {
    let c = constants(p);
    let (alive, dead) = ln_terms(p, x, tx, t);
    combine(p, &c, frequency_terms(p, &c, x), alive, dead, grad)
}

/// The log-likelihood from its pieces: ln Γ(r+x)/Γ(r) + r ln α + s ln β + ln(e^A + e^D),
/// adding the gradient to `grad`. `freq` is (ln Γ(r+x) - ln Γ(r), ψ(r+x) - ψ(r)).
#[inline]
pub(crate) fn combine(
    p: &Params,
    c: &Constants,
    freq: (f64, f64),
    alive: (f64, [f64; 4]),
    dead: (f64, [f64; 4]),
    grad: &mut [f64],
) -> f64 {
    let s = p[2];
    let ((ln_alive, g_alive), (ln_dead, g_dead)) = (alive, dead);
    // ln(e^A + e^D) = A + ln(1 + e^(D-A)); the weights are the logistic of D - A.
    let d = ln_dead - ln_alive;
    let (total, w_dead) = if d <= 0.0 {
        let e = d.exp();
        (ln_alive + e.ln_1p(), e / (1.0 + e))
    } else {
        let e = (-d).exp();
        (ln_dead + e.ln_1p(), 1.0 / (1.0 + e))
    };
    let w_alive = 1.0 - w_dead;
    let (ln_gamma_ratio, digamma_diff) = freq;
    let common = [
        digamma_diff + c.ln_alpha,
        c.r_over_alpha,
        c.ln_beta,
        c.s_over_beta,
    ];
    for j in 0..4 {
        grad[j] += common[j] + w_alive * g_alive[j] + w_dead * g_dead[j];
    }
    ln_gamma_ratio + p[0] * c.ln_alpha + s * c.ln_beta + total
}

/// P(alive at T | x, t_x, T) = alive term / (alive + dead terms) (note eq. 18).
pub fn p_alive(p: &Params, x: f64, tx: f64, t: f64) -> f64 {
    let ((ln_alive, _), (ln_dead, _)) = ln_terms(p, x, tx, t);
    1.0 / (1.0 + (ln_dead - ln_alive).exp())
}

/// (1 - (b / (b + t))^(s-1)) / (s - 1), continuous through s = 1 (limit ln(1 + t/b)).
fn survival_integral(s: f64, b: f64, t: f64) -> f64 {
    let l = (t / b).ln_1p();
    let k = s - 1.0;
    if (k * l).abs() < 1e-8 {
        l * (1.0 - 0.5 * k * l)
    } else {
        -(-k * l).exp_m1() / k
    }
}

/// E[X(t)] for a new customer: r β / α · (1 - (β/(β+t))^(s-1)) / (s-1) (SMC 1987 eq. 17).
pub fn expected_purchases(p: &Params, t: f64) -> f64 {
    let [r, alpha, s, beta] = *p;
    r * beta / alpha * survival_integral(s, beta, t)
}

/// The posterior parameters (r+x, α+T, s, β+T) of a customer with x purchases in T, alive
/// at T: the one place the three conditional predictions take them from (SMC 1987 §3).
pub(crate) fn posterior(p: &Params, x: f64, big_t: f64) -> Params {
    let [r, alpha, s, beta] = *p;
    [r + x, alpha + big_t, s, beta + big_t]
}

/// E[X(T, T+t) | x, t_x, T] = P(alive) · (r+x)(β+T)/(α+T) · (1 - ((β+T)/(β+T+t))^(s-1)) / (s-1)
/// (SMC 1987 eq. 22; Fader & Hardie note eq. 27).
pub fn conditional_expected_purchases(p: &Params, t: f64, x: f64, tx: f64, big_t: f64) -> f64 {
    p_alive(p, x, tx, big_t) * expected_purchases(&posterior(p, x, big_t), t)
}

/// P(X(t) = n) for a new customer (Fader, Hardie & Lee 2006 note on the Pareto/NBD pmf): the
/// customer is alive throughout (NBD term) or dies at τ < t after n purchases,
/// ∫_0^t s β^s (β+τ)^-(s+1) NB(n; r, α/(α+τ)) dτ, integrated in y = ln τ.
pub fn probability_of_n_purchases(p: &Params, t: f64, n: f64) -> f64 {
    let [r, alpha, s, beta] = *p;
    if t <= 0.0 {
        return if n == 0.0 { 1.0 } else { 0.0 };
    }
    let ln_nb_const = ln_gamma(r + n) - ln_gamma(r) - ln_gamma(n + 1.0) + r * alpha.ln();
    let ln_alive =
        ln_nb_const - (r + n) * (alpha + t).ln() + n * t.ln() + s * (beta / (beta + t)).ln();
    let ln_dead_const = s.ln() + s * beta.ln() + ln_nb_const;
    let log_f = |y: f64| {
        let tau = y.exp();
        ln_dead_const - (s + 1.0) * (beta + tau).ln() - (r + n) * (alpha + tau).ln() + (n + 1.0) * y
    };
    let guess = t.ln().min((n.max(0.5) * alpha / r).ln());
    let ln_dead = ln_integral(&log_f, f64::NEG_INFINITY, t.ln(), guess);
    log_add_exp(ln_alive, ln_dead).exp().min(1.0)
}

/// P(X(T, T+t) = n | x, t_x, T): alive customers follow the model with updated parameters
/// (r+x, α+T, s, β+T); dead ones make no purchase.
pub fn conditional_probability_of_n_purchases(
    p: &Params,
    t: f64,
    n: f64,
    x: f64,
    tx: f64,
    big_t: f64,
) -> f64 {
    let alive = p_alive(p, x, tx, big_t);
    let dead = if n == 0.0 { 1.0 - alive } else { 0.0 };
    alive * probability_of_n_purchases(&posterior(p, x, big_t), t, n) + dead
}

/// ln[(β+T)^s δ^(s-1) U(s, s; δ(β+T))] = ln E[1 / (δ + μ)] for μ ~ Gamma(s, β+T).
fn ln_discounted_lifetime(s: f64, beta: f64, delta: f64, big_t: f64, horizon: f64) -> f64 {
    let b = beta + big_t;
    let ln_infinite = s * b.ln() + (s - 1.0) * delta.ln() + ln_hyperu(s, s, delta * b);
    if horizon.is_infinite() {
        return ln_infinite;
    }
    // Up to a finite horizon H: E[(1 - e^-(δ+μ)H) / (δ + μ)], and with μ ~ Gamma(s, b),
    // E[e^-μH / (δ + μ)] = b^s δ^(s-1) U(s, s; δ(b + H)) (the Gamma kernel absorbs e^-μH).
    let ln_beyond = s * b.ln() + (s - 1.0) * delta.ln() - delta * horizon
        + ln_hyperu(s, s, delta * (b + horizon));
    ln_infinite + (-(ln_beyond - ln_infinite).exp()).ln_1p()
}

/// Discounted expected residual transactions with continuous discount rate δ (Fader, Hardie &
/// Lee 2005, "RFM and CLV", eq. 2): given alive, λ ~ Gamma(r+x, α+T) and μ ~ Gamma(s, β+T), and
/// E[λ / (δ + μ)] = (r+x)/(α+T) · (β+T)^s δ^(s-1) U(s, s; δ(β+T)).
pub fn dert(p: &Params, delta: f64, x: f64, tx: f64, big_t: f64) -> f64 {
    let [r, alpha, s, beta] = *p;
    let ln_rate = (r + x).ln() - (alpha + big_t).ln();
    p_alive(p, x, tx, big_t)
        * (ln_rate + ln_discounted_lifetime(s, beta, delta, big_t, f64::INFINITY)).exp()
}

/// DERT per customer; `delta` is the continuous discount rate per unit of time and `horizon`
/// the time over which purchases count (infinity for the classic DERT).
pub fn dert_rows(
    p: &Params,
    delta: f64,
    horizon: f64,
    x: &[f64],
    tx: &[f64],
    t: &[f64],
) -> Result<Vec<f64>> {
    if !(delta.is_finite() && delta > 0.0) {
        return Err(ClmError::InvalidArgument(format!(
            "discount_rate must be finite and > 0, got {delta}"
        )));
    }
    if horizon.is_nan() || horizon <= 0.0 {
        return Err(ClmError::InvalidArgument(format!(
            "horizon must be > 0, got {horizon}"
        )));
    }
    check_frequency_recency_t(x, tx, t)?;
    let [r, alpha, s, beta] = *p;
    // U depends on the customer only through T, and logs have few distinct T: evaluate the
    // (quadrature-based) U once per distinct T.
    let mut distinct: Vec<f64> = t.to_vec();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    let mut ln_life = vec![0.0; distinct.len()];
    crate::parallel::map_into(&mut ln_life, |k| {
        ln_discounted_lifetime(s, beta, delta, distinct[k], horizon)
    });
    let mut out = vec![0.0; x.len()];
    crate::parallel::map_into(&mut out, |i| {
        let k = distinct.partition_point(|v| *v < t[i]);
        let ln_rate = (r + x[i]).ln() - (alpha + t[i]).ln();
        p_alive(p, x[i], tx[i], t[i]) * (ln_rate + ln_life[k]).exp()
    });
    Ok(out)
}

mod fit;
mod model;
mod opt;
pub mod second;
mod tail;
pub use model::{fit_multistart, generate, simulate_customer, ParetoNbd};
pub use tail::ln_tail;

#[cfg(test)]
mod tests;
