//! The beta-geometric/beta-Bernoulli model (Fader, Hardie & Shang 2010) for discrete
//! transaction opportunities: while alive a customer transacts at each opportunity with
//! probability p ~ Beta(α, β) and dies before each opportunity with probability
//! θ ~ Beta(γ, δ). Parameters are ordered (alpha, beta, gamma, delta); a customer is
//! (x transactions, last at opportunity t_x, n opportunities).
//!
//! The likelihood is FHS eq. 5: alive through n, plus died after opportunity t_x + i,
//!   L = B(α+x, β+n-x) B(γ, δ+n) / (B(α,β) B(γ,δ))
//!     + Σ_{i=0}^{n-t_x-1} B(α+x, β+t_x-x+i) B(γ+1, δ+t_x+i) / (B(α,β) B(γ,δ)),
//! summed by log-sum-exp. Successive terms differ by Γ ratios, so their logarithms and
//! digamma values are updated by recurrence (ln Γ(z+1) = ln Γ(z) + ln z, ψ(z+1) = ψ(z) + 1/z).

use rand::RngExt;
use rand_distr::{Beta, Distribution};

use super::validate::check_count;
use super::{check_params, Model, Patterns};
use crate::error::{check_nonnegative, check_same_length, first_invalid, ClmError, Result};
use crate::numeric::random::{stream, Stream};
use crate::numeric::special::{digamma, ln_beta, ln_gamma, log_add_exp};
use crate::parallel;

/// Natural parameters (alpha, beta, gamma, delta).
pub type Params = [f64; 4];

pub const NAMES: &[&str] = &["alpha", "beta", "gamma", "delta"];

/// Online log-sum-exp of terms with gradients: Σ e^{l_i} and Σ e^{l_i} g_i, scaled by e^-max.
struct LogSum {
    max: f64,
    sum: f64,
    grad: [f64; 4],
}

impl LogSum {
    fn new() -> Self {
        LogSum {
            max: f64::NEG_INFINITY,
            sum: 0.0,
            grad: [0.0; 4],
        }
    }

    fn add(&mut self, l: f64, g: &[f64; 4]) {
        if l > self.max {
            let scale = (self.max - l).exp();
            self.sum *= scale;
            self.grad.iter_mut().for_each(|v| *v *= scale);
            self.max = l;
        }
        let w = (l - self.max).exp();
        self.sum += w;
        for (acc, gj) in self.grad.iter_mut().zip(g) {
            *acc += w * gj;
        }
    }

    fn ln(&self) -> f64 {
        self.max + self.sum.ln()
    }
}

/// -ln B(α, β) - ln B(γ, δ) and its gradient.
fn ln_normaliser(p: &Params) -> (f64, [f64; 4]) {
    let [a, b, g, d] = *p;
    let (pab, pgd) = (digamma(a + b), digamma(g + d));
    (
        -ln_beta(a, b) - ln_beta(g, d),
        [
            pab - digamma(a),
            pab - digamma(b),
            pgd - digamma(g),
            pgd - digamma(d),
        ],
    )
}

/// ln B(α+x, β+n-x) + ln B(γ, δ+n + ahead): the customer is alive at opportunity n + ahead.
fn ln_alive(p: &Params, x: f64, n: f64, ahead: f64) -> f64 {
    let [a, b, g, d] = *p;
    ln_beta(a + x, b + n - x) + ln_beta(g, d + n + ahead)
}

/// Log-likelihood of one customer; adds its gradient in (α, β, γ, δ) to `grad`.
pub fn loglik_grad(p: &Params, x: f64, tx: f64, n: f64, grad: &mut [f64]) -> f64 {
    let [a, b, g, d] = *p;
    let mut terms = LogSum::new();
    let alive_grad = [
        digamma(a + x) - digamma(a + b + n),
        digamma(b + n - x) - digamma(a + b + n),
        digamma(g) - digamma(g + d + n),
        digamma(d + n) - digamma(g + d + n),
    ];
    terms.add(ln_alive(p, x, n, 0.0), &alive_grad);
    // Died right after opportunity m = t_x + i, i = 0 .. n - t_x - 1 (recurrences in m).
    let mut m = tx;
    let (mut lg_b, mut lg_ab, mut lg_d, mut lg_gd) = (
        ln_gamma(b + m - x),
        ln_gamma(a + b + m),
        ln_gamma(d + m),
        ln_gamma(g + d + m + 1.0),
    );
    let (mut ps_b, mut ps_ab, mut ps_d, mut ps_gd) = (
        digamma(b + m - x),
        digamma(a + b + m),
        digamma(d + m),
        digamma(g + d + m + 1.0),
    );
    let (lg_ax, lg_g1, ps_ax, ps_g1) = (
        ln_gamma(a + x),
        ln_gamma(g + 1.0),
        digamma(a + x),
        digamma(g + 1.0),
    );
    while m < n {
        let l = lg_ax + lg_b - lg_ab + lg_g1 + lg_d - lg_gd;
        terms.add(
            l,
            &[ps_ax - ps_ab, ps_b - ps_ab, ps_g1 - ps_gd, ps_d - ps_gd],
        );
        lg_b += (b + m - x).ln();
        ps_b += 1.0 / (b + m - x);
        lg_ab += (a + b + m).ln();
        ps_ab += 1.0 / (a + b + m);
        lg_d += (d + m).ln();
        ps_d += 1.0 / (d + m);
        lg_gd += (g + d + m + 1.0).ln();
        ps_gd += 1.0 / (g + d + m + 1.0);
        m += 1.0;
    }
    let (norm, norm_grad) = ln_normaliser(p);
    for j in 0..4 {
        grad[j] += norm_grad[j] + terms.grad[j] / terms.sum;
    }
    terms.ln() + norm
}

/// Log-likelihood without gradient.
pub fn loglik(p: &Params, x: f64, tx: f64, n: f64) -> f64 {
    loglik_grad(p, x, tx, n, &mut [0.0; 4])
}

/// P(alive at opportunity n + ahead | x, t_x, n) (FHS eq. 11 for ahead = 1).
pub fn p_alive(p: &Params, x: f64, tx: f64, n: f64, ahead: f64) -> f64 {
    let (norm, _) = ln_normaliser(p);
    (ln_alive(p, x, n, ahead) + norm - loglik(p, x, tx, n))
        .exp()
        .min(1.0)
}

/// E[X(n, n + m) | x, t_x, n]: a transaction at opportunity n + i needs the customer alive
/// then, and p given alive at n is Beta(α+x, β+n-x), so the expectation is
/// (α+x)/(α+β+n) Σ_{i=1}^m P(alive at n+i) — FHS eq. 13 written as its finite sum, which
/// has no γ = 1 singularity.
pub fn conditional_expected_purchases(p: &Params, m: f64, x: f64, tx: f64, n: f64) -> f64 {
    let [a, b, g, d] = *p;
    let (norm, _) = ln_normaliser(p);
    let ln_base = ln_beta(a + x, b + n - x) + norm - loglik(p, x, tx, n);
    let mut ln_theta = ln_beta(g, d + n);
    let mut total = 0.0;
    let mut i = 0.0;
    while i < m {
        // B(γ, δ+k+1) = B(γ, δ+k) (δ+k) / (γ+δ+k)
        ln_theta += (d + n + i).ln() - (g + d + n + i).ln();
        total += (ln_base + ln_theta).exp();
        i += 1.0;
    }
    (a + x) / (a + b + n) * total
}

/// E[X(n)] for a new customer: Σ_{i=1}^n α/(α+β) B(γ, δ+i)/B(γ, δ) (FHS eq. 9 as a sum).
pub fn expected_purchases(p: &Params, n: f64) -> f64 {
    let [a, b, g, d] = *p;
    let mut ln_survive = 0.0;
    let mut total = 0.0;
    let mut i = 0.0;
    while i < n {
        ln_survive += (d + i).ln() - (g + d + i).ln();
        total += ln_survive.exp();
        i += 1.0;
    }
    a / (a + b) * total
}

/// ln C(n, k).
fn ln_choose(n: f64, k: f64) -> f64 {
    ln_gamma(n + 1.0) - ln_gamma(k + 1.0) - ln_gamma(n - k + 1.0)
}

/// P(X(n) = k) for a new customer (FHS eq. 7): alive through n with k transactions, or dead
/// after opportunity i >= k having made k of the first i.
pub fn probability_of_n_purchases(p: &Params, n: f64, k: f64) -> f64 {
    if k > n {
        return 0.0;
    }
    let [a, b, g, d] = *p;
    let (norm, _) = ln_normaliser(p);
    let mut total = ln_choose(n, k) + ln_alive(p, k, n, 0.0);
    let mut i = k;
    while i < n {
        let l = ln_choose(i, k) + ln_beta(a + k, b + i - k) + ln_beta(g + 1.0, d + i);
        total = log_add_exp(total, l);
        i += 1.0;
    }
    (total + norm).exp().min(1.0)
}

/// One simulated customer over `n` opportunities: p ~ Beta(α, β), θ ~ Beta(γ, δ); before each
/// opportunity the customer dies with probability θ, and while alive transacts with
/// probability p. Returns (frequency, recency, alive after n, p, θ).
pub fn simulate_customer(params: &Params, n: f64, rng: &mut Stream) -> Result<[f64; 5]> {
    let [a, b, g, d] = *params;
    let bad =
        |e: &dyn std::fmt::Display| ClmError::InvalidArgument(format!("cannot simulate: {e}"));
    let p: f64 = Beta::new(a, b).map_err(|e| bad(&e))?.sample(rng);
    let theta: f64 = Beta::new(g, d).map_err(|e| bad(&e))?.sample(rng);
    let (mut x, mut tx, mut alive) = (0.0, 0.0, true);
    let mut k = 1.0;
    while k <= n {
        if rng.random::<f64>() < theta {
            alive = false;
            break;
        }
        if rng.random::<f64>() < p {
            x += 1.0;
            tx = k;
        }
        k += 1.0;
    }
    Ok([x, tx, if alive { 1.0 } else { 0.0 }, p, theta])
}

/// Simulates customers with `n_periods[i]` opportunities, customer i from `stream(seed, i)`.
pub fn generate(params: &Params, n_periods: &[f64], seed: u64) -> Result<Vec<[f64; 5]>> {
    crate::error::check_nonnegative("n_periods", n_periods)?;
    n_periods
        .iter()
        .try_for_each(|&v| check_opportunities("n_periods", v.ceil()))?;
    crate::btyd::bootstrap::replicate(n_periods.len(), |i| {
        simulate_customer(params, n_periods[i], &mut stream(seed, i as u64))
    })
}

/// (frequency, recency, n_periods): whole numbers >= 0 with frequency <= recency <= n_periods
/// and recency = 0 exactly when frequency = 0 (the last transaction is at opportunity t_x,
/// and x transactions need at least x opportunities).
pub fn check_data(x: &[f64], tx: &[f64], n: &[f64]) -> Result<()> {
    check_same_length(&[
        ("frequency", x.len()),
        ("recency", tx.len()),
        ("n_periods", n.len()),
    ])?;
    for (name, col) in [("frequency", x), ("recency", tx), ("n_periods", n)] {
        check_nonnegative(name, col)?;
        first_invalid(name, col, "must be a whole number", |v| v.fract() != 0.0)?;
    }
    first_invalid("n_periods", n, &too_many(), |v| v > MAX_OPPORTUNITIES)?;
    if let Some(i) = (0..x.len()).find(|&i| tx[i] > n[i]) {
        return Err(ClmError::invalid_value(
            "recency",
            i,
            tx[i],
            &format!("must be <= n_periods ({})", n[i]),
        ));
    }
    if let Some(i) = (0..x.len()).find(|&i| x[i] > tx[i]) {
        return Err(ClmError::invalid_value(
            "frequency",
            i,
            x[i],
            &format!("must be <= recency ({})", tx[i]),
        ));
    }
    if let Some(i) = (0..x.len()).find(|&i| x[i] == 0.0 && tx[i] != 0.0) {
        return Err(ClmError::invalid_value(
            "recency",
            i,
            tx[i],
            "must be 0 when frequency is 0",
        ));
    }
    Ok(())
}

/// Most transaction opportunities in any count: the likelihood and the predictions sum
/// over opportunities one by one (FHS eq. 5, 9, 13 as finite sums), so this bounds their
/// work (1e6 terms, a few milliseconds per customer). BG/BB opportunities are discrete
/// occasions (years, events, issues), far fewer than this.
pub const MAX_OPPORTUNITIES: f64 = 1e6;

fn too_many() -> String {
    format!("must be <= {MAX_OPPORTUNITIES:.0} (BG/BB sums over every opportunity)")
}

/// A whole number of opportunities in [0, MAX_OPPORTUNITIES].
fn check_opportunities(name: &str, v: f64) -> Result<()> {
    check_count(name, v)?;
    if v > MAX_OPPORTUNITIES {
        return Err(ClmError::InvalidArgument(format!(
            "{name} {}, got {v}",
            too_many()
        )));
    }
    Ok(())
}

/// The BG/BB model over (frequency, recency, n_periods) patterns (no time scale).
pub struct Bgbb;

impl Model for Bgbb {
    fn names(&self) -> &'static [&'static str] {
        NAMES
    }
    fn columns(&self) -> &'static [&'static str] {
        &["frequency", "recency", "n_periods"]
    }
    fn time_powers(&self) -> &'static [i32] {
        &[0, 0, 0, 0]
    }
    fn check_data(&self, c: &[&[f64]]) -> Result<()> {
        check_data(c[0], c[1], c[2])
    }
    fn initial_params(&self, _data: &Patterns) -> Vec<f64> {
        vec![1.0, 1.0, 1.0, 1.0]
    }
    fn loglik_grad(&self, p: &[f64], row: &[f64], g: &mut [f64]) -> f64 {
        loglik_grad(&[p[0], p[1], p[2], p[3]], row[0], row[1], row[2], g)
    }
}

/// Customer rows (frequency, recency, n_periods) for the array kernels below.
pub struct Rows<'a> {
    pub x: &'a [f64],
    pub tx: &'a [f64],
    pub n: &'a [f64],
}

fn checked(params: &[f64], rows: &Rows) -> Result<Params> {
    check_params(NAMES, params)?;
    check_data(rows.x, rows.tx, rows.n)?;
    Ok([params[0], params[1], params[2], params[3]])
}

fn map_rows(rows: &Rows, f: impl Fn(f64, f64, f64) -> f64 + Sync) -> Vec<f64> {
    let mut out = vec![0.0; rows.x.len()];
    parallel::map_into(&mut out, |i| f(rows.x[i], rows.tx[i], rows.n[i]));
    out
}

/// P(alive at opportunity n + periods_ahead) per customer.
pub fn p_alive_rows(params: &[f64], periods_ahead: f64, rows: &Rows) -> Result<Vec<f64>> {
    check_opportunities("periods_ahead", periods_ahead)?;
    let p = checked(params, rows)?;
    Ok(map_rows(rows, |x, tx, n| {
        p_alive(&p, x, tx, n, periods_ahead)
    }))
}

/// Expected transactions in the next `m_periods` opportunities per customer.
pub fn conditional_expected_purchases_rows(
    params: &[f64],
    m_periods: f64,
    rows: &Rows,
) -> Result<Vec<f64>> {
    check_opportunities("m_periods", m_periods)?;
    let p = checked(params, rows)?;
    Ok(map_rows(rows, |x, tx, n| {
        conditional_expected_purchases(&p, m_periods, x, tx, n)
    }))
}

/// E[X(n)] of a new customer for each n, and P(X(n) = k) for paired (n, k).
pub fn expected_purchases_many(params: &[f64], n: &[f64]) -> Result<Vec<f64>> {
    check_params(NAMES, params)?;
    n.iter()
        .try_for_each(|&v| check_opportunities("n_periods", v))?;
    let p = [params[0], params[1], params[2], params[3]];
    let mut out = vec![0.0; n.len()];
    parallel::map_into(&mut out, |i| expected_purchases(&p, n[i]));
    Ok(out)
}

/// P(X(n_i) = k_i) of a new customer.
pub fn probability_of_n_purchases_many(params: &[f64], n: &[f64], k: &[f64]) -> Result<Vec<f64>> {
    check_params(NAMES, params)?;
    check_same_length(&[("n_periods", n.len()), ("n", k.len())])?;
    n.iter()
        .try_for_each(|&v| check_opportunities("n_periods", v))?;
    k.iter().try_for_each(|&v| check_count("n", v))?;
    let p = [params[0], params[1], params[2], params[3]];
    let mut out = vec![0.0; n.len()];
    parallel::map_into(&mut out, |i| probability_of_n_purchases(&p, n[i], k[i]));
    Ok(out)
}

#[cfg(test)]
mod tests;
