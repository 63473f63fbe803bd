//! The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987): purchases at Poisson rate λ
//! while alive, exponential lifetimes of rate μ, λ ~ Gamma(r, α), μ ~ Gamma(s, β).
//! Parameters are ordered (r, alpha, s, beta).
//!
//! The likelihood follows Fader & Hardie's note "A Note on Deriving the Pareto/NBD Model and
//! Related Expressions" (2005): with a customer alive at T or dead at τ in (t_x, T],
//!   L = Γ(r+x) α^r β^s / Γ(r) · [ (α+T)^-(r+x) (β+T)^-s + s ∫_{t_x}^T (α+τ)^-(r+x) (β+τ)^-(s+1) dτ ]
//! and the integral is F(t_x) - F(T) with F(u) = ∫_u^∞, a 2F1(a, b; a+1; z) times a power
//! (note eq. 22 - 24; see `hypergeometric`). Everything is kept as logarithms.

use rand::RngExt;
use rand_distr::{Distribution, Exp, Gamma, Poisson};

use super::predict::CountModel;
use super::validate::check_frequency_recency_t;
use super::{fit, Fit, FitOptions, Model, Patterns};
use crate::error::{ClmError, Result};
use crate::hypergeometric::{ln_hyperu, unit_series};
use crate::random::{stream, Stream};
use crate::quadrature::ln_integral;
use crate::special::{digamma, ln_gamma, log_add_exp};

/// Natural parameters (r, alpha, s, beta).
pub type Params = [f64; 4];

pub const NAMES: &[&str] = &["r", "alpha", "s", "beta"];

/// ln F(u) = ln ∫_u^∞ (α+τ)^-(r+x) (β+τ)^-(s+1) dτ and its gradient in (r, α, s, β).
///
/// With W = max(α, β) and z = |α - β| / (W + u) in [0, 1), F(u) = (W+u)^-a / a ·
/// 2F1(a, b; a+1; z), a = r+s+x, b = s+1 (α >= β) or r+x (α < β); Euler's transformation
/// makes the power (1-z)^(1-b) explicit, which combines with (W+u)^-a into the two powers
/// below, so only the bounded unit series remains.
pub fn ln_tail(p: &Params, x: f64, u: f64) -> (f64, [f64; 4]) {
    let [r, alpha, s, beta] = *p;
    tail(p, x, u, (alpha + u).ln(), (beta + u).ln(), (r + s + x).ln())
}

/// `ln_tail` with ln(α+u), ln(β+u) and ln(r+s+x) already computed.
fn tail(p: &Params, x: f64, u: f64, la: f64, lb: f64, ln_a: f64) -> (f64, [f64; 4]) {
    let [r, alpha, s, beta] = *p;
    let a = r + s + x;
    let (power, mut grad, series, dz) = if alpha >= beta {
        let z = (alpha - beta) / (alpha + u);
        let series = unit_series(r + x, a + 1.0, z);
        let power = -(r + x) * la - s * lb;
        let grad = [
            -la + series.d_p + series.d_g,
            -(r + x) / (alpha + u),
            -lb + series.d_g,
            -s / (beta + u),
        ];
        // dz/dα = (β+u)/(α+u)², dz/dβ = -1/(α+u)
        (power, grad, series, [0.0, (beta + u) / (alpha + u).powi(2), 0.0, -1.0 / (alpha + u)])
    } else {
        let z = (beta - alpha) / (beta + u);
        let series = unit_series(s + 1.0, a + 1.0, z);
        let power = (1.0 - r - x) * la - (s + 1.0) * lb;
        let grad = [
            -la + series.d_g,
            (1.0 - r - x) / (alpha + u),
            -lb + series.d_p + series.d_g,
            -(s + 1.0) / (beta + u),
        ];
        // dz/dα = -1/(β+u), dz/dβ = (α+u)/(β+u)²
        (power, grad, series, [0.0, -1.0 / (beta + u), 0.0, (alpha + u) / (beta + u).powi(2)])
    };
    for j in 0..4 {
        grad[j] += series.d_z * dz[j];
    }
    grad[0] -= 1.0 / a;
    grad[2] -= 1.0 / a;
    (power - ln_a + series.ln_value, grad)
}

/// The two log terms of the likelihood without the common factor Γ(r+x) α^r β^s / Γ(r):
/// (alive at T, died in (t_x, T]), each with its gradient. The second is -inf when t_x = T.
fn ln_terms(p: &Params, x: f64, tx: f64, t: f64) -> ((f64, [f64; 4]), (f64, [f64; 4])) {
    let [r, alpha, s, beta] = *p;
    let (la, lb) = ((alpha + t).ln(), (beta + t).ln());
    let alive = (-(r + x) * la - s * lb, [-la, -(r + x) / (alpha + t), -lb, -s / (beta + t)]);
    if tx >= t {
        return (alive, (f64::NEG_INFINITY, [0.0; 4]));
    }
    let ln_a = (r + s + x).ln();
    let (f_tx, g_tx) = tail(p, x, tx, (alpha + tx).ln(), (beta + tx).ln(), ln_a);
    let (f_t, g_t) = tail(p, x, t, la, lb, ln_a);
    // ln(F(t_x) - F(T)) and d = (F_tx dlnF_tx - F_T dlnF_T) / (F_tx - F_T)
    let ratio = (f_t - f_tx).exp();
    let ln_integral = f_tx + (-ratio).ln_1p();
    let mut grad = [0.0; 4];
    for j in 0..4 {
        grad[j] = (g_tx[j] - ratio * g_t[j]) / (1.0 - ratio);
    }
    grad[2] += 1.0 / s;
    (alive, (s.ln() + ln_integral, grad))
}

/// Terms of the likelihood that depend on the parameters only, memoised per thread: a fit
/// evaluates them for every pattern at the same parameters.
#[derive(Clone, Copy)]
struct Constants {
    params: Params,
    ln_gamma_r: f64,
    digamma_r: f64,
    ln_alpha: f64,
    ln_beta: f64,
}

thread_local! {
    static CONSTANTS: std::cell::Cell<Option<Constants>> = const { std::cell::Cell::new(None) };
}

fn constants(p: &Params) -> Constants {
    CONSTANTS.with(|cell| match cell.get() {
        Some(c) if c.params == *p => c,
        _ => {
            let c = Constants {
                params: *p,
                ln_gamma_r: ln_gamma(p[0]),
                digamma_r: digamma(p[0]),
                ln_alpha: p[1].ln(),
                ln_beta: p[3].ln(),
            };
            cell.set(Some(c));
            c
        }
    })
}

/// Log-likelihood of one customer (x repeat purchases, last at t_x, observed for T);
/// adds its gradient in (r, α, s, β) to `grad`.
pub fn loglik_grad(p: &Params, x: f64, tx: f64, t: f64, grad: &mut [f64]) -> f64 {
    let [r, alpha, s, beta] = *p;
    let c = constants(p);
    let ((ln_alive, g_alive), (ln_dead, g_dead)) = ln_terms(p, x, tx, t);
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
    let (ln_gamma_ratio, digamma_diff) =
        if x == 0.0 { (0.0, 0.0) } else { (ln_gamma(r + x) - c.ln_gamma_r, digamma(r + x) - c.digamma_r) };
    let common = [digamma_diff + c.ln_alpha, r / alpha, c.ln_beta, s / beta];
    for j in 0..4 {
        grad[j] += common[j] + w_alive * g_alive[j] + w_dead * g_dead[j];
    }
    ln_gamma_ratio + r * c.ln_alpha + s * c.ln_beta + total
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

/// E[X(T, T+t) | x, t_x, T] = P(alive) · (r+x)(β+T)/(α+T) · (1 - ((β+T)/(β+T+t))^(s-1)) / (s-1)
/// (SMC 1987 eq. 22; Fader & Hardie note eq. 27).
pub fn conditional_expected_purchases(p: &Params, t: f64, x: f64, tx: f64, big_t: f64) -> f64 {
    let [r, alpha, s, beta] = *p;
    let updated = [r + x, alpha + big_t, s, beta + big_t];
    p_alive(p, x, tx, big_t) * expected_purchases(&updated, t)
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
    let ln_alive = ln_nb_const - (r + n) * (alpha + t).ln() + n * t.ln() + s * (beta / (beta + t)).ln();
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
pub fn conditional_probability_of_n_purchases(p: &Params, t: f64, n: f64, x: f64, tx: f64, big_t: f64) -> f64 {
    let [r, alpha, s, beta] = *p;
    let alive = p_alive(p, x, tx, big_t);
    let updated = [r + x, alpha + big_t, s, beta + big_t];
    let dead = if n == 0.0 { 1.0 - alive } else { 0.0 };
    alive * probability_of_n_purchases(&updated, t, n) + dead
}

/// ln[(β+T)^s δ^(s-1) U(s, s; δ(β+T))] = ln E[1 / (δ + μ)] for μ ~ Gamma(s, β+T).
fn ln_discounted_lifetime(s: f64, beta: f64, delta: f64, big_t: f64) -> f64 {
    s * (beta + big_t).ln() + (s - 1.0) * delta.ln() + ln_hyperu(s, s, delta * (beta + big_t))
}

/// Discounted expected residual transactions with continuous discount rate δ (Fader, Hardie &
/// Lee 2005, "RFM and CLV", eq. 2): given alive, λ ~ Gamma(r+x, α+T) and μ ~ Gamma(s, β+T), and
/// E[λ / (δ + μ)] = (r+x)/(α+T) · (β+T)^s δ^(s-1) U(s, s; δ(β+T)).
pub fn dert(p: &Params, delta: f64, x: f64, tx: f64, big_t: f64) -> f64 {
    let [r, alpha, s, beta] = *p;
    let ln_rate = (r + x).ln() - (alpha + big_t).ln();
    p_alive(p, x, tx, big_t) * (ln_rate + ln_discounted_lifetime(s, beta, delta, big_t)).exp()
}

/// DERT per customer; `delta` is the continuous discount rate per unit of time.
pub fn dert_rows(p: &Params, delta: f64, x: &[f64], tx: &[f64], t: &[f64]) -> Result<Vec<f64>> {
    if !(delta.is_finite() && delta > 0.0) {
        return Err(ClmError::InvalidArgument(format!("discount_rate must be finite and > 0, got {delta}")));
    }
    check_frequency_recency_t(x, tx, t)?;
    let [r, alpha, s, beta] = *p;
    // U depends on the customer only through T, and logs have few distinct T: evaluate the
    // (quadrature-based) U once per distinct T.
    let mut distinct: Vec<f64> = t.to_vec();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    let mut ln_life = vec![0.0; distinct.len()];
    crate::parallel::map_into(&mut ln_life, |k| ln_discounted_lifetime(s, beta, delta, distinct[k]));
    let mut out = vec![0.0; x.len()];
    crate::parallel::map_into(&mut out, |i| {
        let k = distinct.partition_point(|v| *v < t[i]);
        let ln_rate = (r + x[i]).ln() - (alpha + t[i]).ln();
        p_alive(p, x[i], tx[i], t[i]) * (ln_rate + ln_life[k]).exp()
    });
    Ok(out)
}

/// One simulated customer of the Pareto/NBD process observed for `big_t`: λ ~ Gamma(r, α),
/// μ ~ Gamma(s, β), lifetime ~ Exp(μ), Poisson purchases at rate λ while alive. Returns
/// (frequency, recency, alive at big_t, λ, μ). Given N purchases in the active window h,
/// their times are uniform on it, so the last is h · U^(1/N).
pub fn simulate_customer(p: &Params, big_t: f64, rng: &mut Stream) -> Result<[f64; 5]> {
    let [r, alpha, s, beta] = *p;
    let bad = |e: &dyn std::fmt::Display| ClmError::InvalidArgument(format!("cannot simulate: {e}"));
    let lambda: f64 = Gamma::new(r, 1.0 / alpha).map_err(|e| bad(&e))?.sample(rng);
    let mu: f64 = Gamma::new(s, 1.0 / beta).map_err(|e| bad(&e))?.sample(rng);
    let lifetime: f64 = if mu > 0.0 { Exp::new(mu).map_err(|e| bad(&e))?.sample(rng) } else { f64::INFINITY };
    let window = lifetime.min(big_t);
    let mean = lambda * window;
    let count: f64 = if mean > 0.0 { Poisson::new(mean).map_err(|e| bad(&e))?.sample(rng) } else { 0.0 };
    let recency = if count > 0.0 {
        let u: f64 = rng.random();
        window * u.powf(1.0 / count)
    } else {
        0.0
    };
    Ok([count, recency, if lifetime > big_t { 1.0 } else { 0.0 }, lambda, mu])
}

/// Simulates customers observed for `t[i]`; customer i draws from `stream(seed, i)`, so the
/// result does not depend on the thread count.
pub fn generate(p: &Params, t: &[f64], seed: u64) -> Result<Vec<[f64; 5]>> {
    crate::error::check_nonnegative("T", t)?;
    crate::btyd::bootstrap::replicate(t.len(), |i| simulate_customer(p, t[i], &mut stream(seed, i as u64)))
}

/// The Pareto/NBD model over (frequency, recency, T) patterns.
pub struct ParetoNbd;

fn as_params(p: &[f64]) -> Params {
    [p[0], p[1], p[2], p[3]]
}

impl Model for ParetoNbd {
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
    /// α and β are Gamma rate parameters of per-unit-time rates: they carry one unit of time.
    fn time_powers(&self) -> &'static [i32] {
        &[0, 1, 0, 1]
    }
    fn check_data(&self, c: &[&[f64]]) -> Result<()> {
        check_frequency_recency_t(c[0], c[1], c[2])
    }
    /// r = s = 1 and α = β = the longest observation (1 after rescaling).
    fn initial_params(&self, data: &Patterns) -> Vec<f64> {
        let scale = data.max_of(2).max(f64::MIN_POSITIVE);
        vec![1.0, scale, 1.0, scale]
    }
    fn loglik_grad(&self, p: &[f64], row: &[f64], g: &mut [f64]) -> f64 {
        loglik_grad(&as_params(p), row[0], row[1], row[2], g)
    }
}

impl CountModel for ParetoNbd {
    fn p_alive(&self, p: &[f64], x: f64, tx: f64, big_t: f64) -> f64 {
        p_alive(&as_params(p), x, tx, big_t)
    }
    fn expected_purchases(&self, p: &[f64], t: f64) -> Result<f64> {
        Ok(expected_purchases(&as_params(p), t))
    }
    fn conditional_expected_purchases(&self, p: &[f64], t: f64, x: f64, tx: f64, big_t: f64) -> Result<f64> {
        Ok(conditional_expected_purchases(&as_params(p), t, x, tx, big_t))
    }
    fn probability_of_n_purchases(&self, p: &[f64], t: f64, n: f64) -> f64 {
        probability_of_n_purchases(&as_params(p), t, n)
    }
    fn conditional_probability_of_n_purchases(&self, p: &[f64], t: f64, n: f64, x: f64, tx: f64, big_t: f64) -> f64 {
        conditional_probability_of_n_purchases(&as_params(p), t, n, x, tx, big_t)
    }
}

/// Starting points (in rescaled time, where the longest T is 1) tried when the first fit
/// fails or ends on the boundary of the parameter space.
const RESTARTS: [[f64; 4]; 4] = [[0.5, 0.1, 0.5, 0.1], [1.0, 0.05, 0.2, 2.0], [0.2, 1.0, 1.0, 0.05], [2.0, 2.0, 2.0, 2.0]];

/// A parameter beyond e^±9 of the time scale: the optimiser is heading for a limit (e.g.
/// s, β -> ∞ with s/β fixed), where another start may find an interior maximum.
fn on_boundary(fit: &Fit) -> bool {
    let powers = ParetoNbd.time_powers();
    fit.params.iter().zip(powers).any(|(p, &k)| (p / fit.time_scale.powi(k)).ln().abs() > 9.0)
}

/// Maximum likelihood with restarts: the default start first; if that fit fails or lands on
/// the boundary, each of RESTARTS too, keeping the best log-likelihood. A user-given start
/// is used alone.
pub fn fit_multistart(columns: &[&[f64]], weights: Option<&[f64]>, opts: &FitOptions) -> Result<Fit> {
    let first = fit(&ParetoNbd, columns, weights, opts);
    if opts.initial.is_some() || matches!(&first, Ok(f) if !on_boundary(f)) {
        return first;
    }
    let scale = columns[2].iter().copied().fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    let mut best = first;
    for start in RESTARTS {
        let initial = vec![start[0], start[1] * scale, start[2], start[3] * scale];
        let trial = fit(&ParetoNbd, columns, weights, &FitOptions { initial: Some(initial), ..opts.clone() });
        best = match (best, trial) {
            (Ok(b), Ok(t)) => Ok(if better(&t, &b) { t } else { b }),
            (Err(_), Ok(t)) => Ok(t),
            (b, Err(_)) => b,
        };
    }
    best
}

/// An interior fit beats one on the boundary; otherwise the higher log-likelihood wins.
fn better(candidate: &Fit, incumbent: &Fit) -> bool {
    match (on_boundary(candidate), on_boundary(incumbent)) {
        (false, true) => true,
        (true, false) => false,
        _ => candidate.log_likelihood > incumbent.log_likelihood + 1e-9,
    }
}

#[cfg(test)]
#[path = "paretonbd_tests.rs"]
mod tests;
