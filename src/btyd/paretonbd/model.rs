//! Fitting and simulation glue of the Pareto/NBD model: the `Model` / `CountModel`
//! implementations used by the shared machinery, the fit with restarts, and the simulator.

use rand::RngExt;
use rand_distr::{Distribution, Exp, Gamma, Poisson};

use super::fit::{fit_from, moment_start, prepare};
use super::{
    conditional_expected_purchases, conditional_probability_of_n_purchases, expected_purchases,
    loglik_grad, p_alive, posterior, probability_of_n_purchases, Params, NAMES,
};
use crate::btyd::predict::CountModel;
use crate::btyd::validate::frequency_recency_t_layout;
use crate::btyd::{Fit, FitOptions, Model, Patterns};
use crate::error::{ClmError, Result};
use crate::numeric::random::{stream, Stream};

/// One simulated customer of the Pareto/NBD process observed for `big_t`: λ ~ Gamma(r, α),
/// μ ~ Gamma(s, β), lifetime ~ Exp(μ), Poisson purchases at rate λ while alive. Returns
/// (frequency, recency, alive at big_t, λ, μ). Given N purchases in the active window h,
/// their times are uniform on it, so the last is h · U^(1/N).
pub fn simulate_customer(p: &Params, big_t: f64, rng: &mut Stream) -> Result<[f64; 5]> {
    let [r, alpha, s, beta] = *p;
    let bad =
        |e: &dyn std::fmt::Display| ClmError::InvalidArgument(format!("cannot simulate: {e}"));
    let lambda: f64 = Gamma::new(r, 1.0 / alpha).map_err(|e| bad(&e))?.sample(rng);
    let mu: f64 = Gamma::new(s, 1.0 / beta).map_err(|e| bad(&e))?.sample(rng);
    let lifetime: f64 = if mu > 0.0 {
        Exp::new(mu).map_err(|e| bad(&e))?.sample(rng)
    } else {
        f64::INFINITY
    };
    let window = lifetime.min(big_t);
    let mean = lambda * window;
    let count: f64 = if mean > 0.0 {
        Poisson::new(mean).map_err(|e| bad(&e))?.sample(rng)
    } else {
        0.0
    };
    let recency = if count > 0.0 {
        let u: f64 = rng.random();
        window * u.powf(1.0 / count)
    } else {
        0.0
    };
    Ok([
        count,
        recency,
        if lifetime > big_t { 1.0 } else { 0.0 },
        lambda,
        mu,
    ])
}

/// Simulates customers observed for `t[i]`; customer i draws from `stream(seed, i)`, so the
/// result does not depend on the thread count.
pub fn generate(p: &Params, t: &[f64], seed: u64) -> Result<Vec<[f64; 5]>> {
    crate::error::check_nonnegative("T", t)?;
    crate::btyd::bootstrap::replicate(t.len(), |i| {
        simulate_customer(p, t[i], &mut stream(seed, i as u64))
    })
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
    frequency_recency_t_layout!();
    /// α and β are Gamma rate parameters of per-unit-time rates: they carry one unit of time.
    fn time_powers(&self) -> &'static [i32] {
        &[0, 1, 0, 1]
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
    fn conditional_expected_purchases(
        &self,
        p: &[f64],
        t: f64,
        x: f64,
        tx: f64,
        big_t: f64,
    ) -> Result<f64> {
        Ok(conditional_expected_purchases(
            &as_params(p),
            t,
            x,
            tx,
            big_t,
        ))
    }
    fn probability_of_n_purchases(&self, p: &[f64], t: f64, n: f64) -> f64 {
        probability_of_n_purchases(&as_params(p), t, n)
    }
    /// P(alive) (the 2F1 part) once for all horizons.
    fn conditional_expected_purchases_many(
        &self,
        p: &[f64],
        ts: &[f64],
        x: f64,
        tx: f64,
        big_t: f64,
        out: &mut [f64],
    ) -> Result<()> {
        let alive = p_alive(&as_params(p), x, tx, big_t);
        let updated = posterior(&as_params(p), x, big_t);
        for (o, &t) in out.iter_mut().zip(ts) {
            *o = alive * expected_purchases(&updated, t);
        }
        Ok(())
    }
    fn conditional_probability_of_n_purchases(
        &self,
        p: &[f64],
        t: f64,
        n: f64,
        x: f64,
        tx: f64,
        big_t: f64,
    ) -> f64 {
        conditional_probability_of_n_purchases(&as_params(p), t, n, x, tx, big_t)
    }
}

/// Starting points (in rescaled time, where the longest T is 1) tried when the first fit
/// fails or ends on the boundary of the parameter space.
const RESTARTS: [[f64; 4]; 4] = [
    [0.5, 0.1, 0.5, 0.1],
    [1.0, 0.05, 0.2, 2.0],
    [0.2, 1.0, 1.0, 0.05],
    [2.0, 2.0, 2.0, 2.0],
];

/// A parameter beyond e^±9 of the time scale: the optimiser is heading for a limit (e.g.
/// s, β -> ∞ with s/β fixed), where another start may find an interior maximum.
pub(crate) fn on_boundary(fit: &Fit) -> bool {
    let powers = ParetoNbd.time_powers();
    fit.params
        .iter()
        .zip(powers)
        .any(|(p, &k)| (p / fit.time_scale.powi(k)).ln().abs() > 9.0)
}

/// Maximum likelihood with restarts: the default start first; if that fit fails or lands on
/// the boundary, each of RESTARTS too, keeping the best log-likelihood. A user-given start
/// is used alone. The data are validated, compressed and tabulated once for all starts, and
/// all starts share the iteration budget `opts.max_iter`.
pub fn fit_multistart(
    columns: &[&[f64]],
    weights: Option<&[f64]>,
    opts: &FitOptions,
) -> Result<Fit> {
    let prep = prepare(columns, weights, opts)?;
    let scale = prep.data.max_of(2).max(f64::MIN_POSITIVE);
    let default = moment_start(&prep);
    let mut budget = opts.max_iter;
    let first = fit_from(
        &prep,
        opts.initial.as_deref().unwrap_or(&default),
        opts,
        budget,
    );
    if opts.initial.is_some() || matches!(&first, Ok(f) if !on_boundary(f)) {
        return first;
    }
    // A failed fit has used what it was given.
    let spent = |fit: &Result<Fit>, budget: usize| match fit {
        Ok(f) => f.n_iter.max(1),
        Err(_) => budget,
    };
    budget = budget.saturating_sub(spent(&first, budget));
    let mut best = first;
    for start in RESTARTS {
        if budget == 0 {
            break;
        }
        let initial = [start[0], start[1] * scale, start[2], start[3] * scale];
        let trial = fit_from(&prep, &initial, opts, budget);
        budget = budget.saturating_sub(spent(&trial, budget));
        best = match (best, trial) {
            (Ok(b), Ok(t)) => Ok(if better(&t, &b) { t } else { b }),
            (Err(_), Ok(t)) => Ok(t),
            (b, Err(_)) => b,
        };
    }
    best
}

/// An interior fit beats one on the boundary; otherwise the higher log-likelihood wins.
pub(crate) fn better(candidate: &Fit, incumbent: &Fit) -> bool {
    match (on_boundary(candidate), on_boundary(incumbent)) {
        (false, true) => true,
        (true, false) => false,
        _ => candidate.log_likelihood > incumbent.log_likelihood + 1e-9,
    }
}
