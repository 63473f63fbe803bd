//! Per-customer predictions of the purchase-count models as parallel kernels over arrays.
//!
//! A count model implements [`CountModel`] (closed forms for one customer); the kernels here
//! validate the arrays once, then map the closed form over customers in clmkit's pool.

use super::nbd::expected_alive_purchases_many;
use super::validate::{check_count, check_horizon};
use super::{bgnbd, check_params, mbgnbd, Model, ModelKind};
use crate::error::{ClmError, Result};
use crate::parallel;

/// One customer's predictions of a purchase-count model at natural parameters `p`.
/// `x, tx, big_t` are the model's three data columns (frequency, recency, T or n_periods).
pub trait CountModel: Model {
    fn p_alive(&self, p: &[f64], x: f64, tx: f64, big_t: f64) -> f64;
    fn expected_purchases(&self, p: &[f64], t: f64) -> Result<f64>;
    fn conditional_expected_purchases(
        &self,
        p: &[f64],
        t: f64,
        x: f64,
        tx: f64,
        big_t: f64,
    ) -> Result<f64>;
    fn probability_of_n_purchases(&self, p: &[f64], t: f64, n: f64) -> f64;
    fn conditional_probability_of_n_purchases(
        &self,
        p: &[f64],
        t: f64,
        n: f64,
        x: f64,
        tx: f64,
        big_t: f64,
    ) -> f64;
    /// Conditional expected purchases for several horizons `ts` into `out` (used by CLV);
    /// models override it when horizons can share work.
    #[allow(clippy::too_many_arguments)]
    fn conditional_expected_purchases_many(
        &self,
        p: &[f64],
        ts: &[f64],
        x: f64,
        tx: f64,
        big_t: f64,
        out: &mut [f64],
    ) -> Result<()> {
        for (o, &t) in out.iter_mut().zip(ts) {
            *o = self.conditional_expected_purchases(p, t, x, tx, big_t)?;
        }
        Ok(())
    }
    /// For models whose conditional expectation factorises as P(alive | x, t_x, T) g(t; x, T)
    /// (the BG/NBD family: an alive customer's window depends on x and T only), writes g at
    /// the horizons `ts` into `out` and returns `Some`; `None` when the model does not factorise.
    /// CLV then evaluates g once per distinct (x, T) instead of once per customer.
    fn alive_window_expectations(
        &self,
        _p: &[f64],
        _ts: &[f64],
        _x: f64,
        _big_t: f64,
        _out: &mut [f64],
    ) -> Option<Result<()>> {
        None
    }
}

/// BG/NBD and MBG/NBD forward to their module's closed forms; they differ only in the number
/// of drop-out chances survived (`shift`: MBG/NBD adds one, at time 0), which sets the posterior
/// Beta(a, b + x + shift) of the alive-window expectation.
macro_rules! bg_family_count_model {
    ($model:ty, $module:ident, $shift:expr) => {
        impl CountModel for $model {
            fn p_alive(&self, p: &[f64], x: f64, tx: f64, big_t: f64) -> f64 {
                $module::p_alive(p, x, tx, big_t)
            }
            fn expected_purchases(&self, p: &[f64], t: f64) -> Result<f64> {
                $module::expected_purchases(p, t)
            }
            fn conditional_expected_purchases(
                &self,
                p: &[f64],
                t: f64,
                x: f64,
                tx: f64,
                big_t: f64,
            ) -> Result<f64> {
                $module::conditional_expected_purchases(p, t, x, tx, big_t)
            }
            fn probability_of_n_purchases(&self, p: &[f64], t: f64, n: f64) -> f64 {
                $module::probability_of_n_purchases(p, t, n)
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
                $module::conditional_probability_of_n_purchases(p, t, n, x, tx, big_t)
            }
            fn conditional_expected_purchases_many(
                &self,
                p: &[f64],
                ts: &[f64],
                x: f64,
                tx: f64,
                big_t: f64,
                out: &mut [f64],
            ) -> Result<()> {
                expected_alive_purchases_many(
                    p[0] + x,
                    p[1] + big_t,
                    ts,
                    p[2],
                    p[3] + x + $shift,
                    out,
                )?;
                let alive = $module::p_alive(p, x, tx, big_t);
                out.iter_mut().for_each(|o| *o *= alive);
                Ok(())
            }
            fn alive_window_expectations(
                &self,
                p: &[f64],
                ts: &[f64],
                x: f64,
                big_t: f64,
                out: &mut [f64],
            ) -> Option<Result<()>> {
                Some(expected_alive_purchases_many(
                    p[0] + x,
                    p[1] + big_t,
                    ts,
                    p[2],
                    p[3] + x + $shift,
                    out,
                ))
            }
        }
    };
}

bg_family_count_model!(bgnbd::BgNbd, bgnbd, 0.0);
bg_family_count_model!(mbgnbd::MbgNbd, mbgnbd, 1.0);

/// The count model of `kind` (BG/NBD, MBG/NBD, Pareto/NBD), or an error naming the model.
pub fn count_model(kind: ModelKind) -> Result<&'static dyn CountModel> {
    kind.count()
        .ok_or_else(|| ClmError::InvalidArgument(format!("{kind} is not a purchase-count model")))
}

impl ModelKind {
    /// The continuous-time count model, for the kernels of this module (None for BG/BB and
    /// Gamma-Gamma, which predict other quantities). Every prediction of a fitted model
    /// dispatches on its kind (`fitted.rs`), never on a name.
    pub fn count(self) -> Option<&'static dyn CountModel> {
        match self {
            ModelKind::BgNbd => Some(&bgnbd::BgNbd),
            ModelKind::MbgNbd => Some(&mbgnbd::MbgNbd),
            ModelKind::ParetoNbd => Some(&super::paretonbd::ParetoNbd),
            ModelKind::Bgbb | ModelKind::GammaGamma => None,
        }
    }
}

/// Customer rows (frequency, recency, T) checked against the model's domain.
pub struct Rows<'a> {
    pub x: &'a [f64],
    pub tx: &'a [f64],
    pub t: &'a [f64],
}

impl Rows<'_> {
    fn check(&self, model: &dyn CountModel, params: &[f64]) -> Result<()> {
        check_params(model.names(), params)?;
        model.check_data(&[self.x, self.tx, self.t])
    }
}

/// P(alive) per customer.
pub fn p_alive(model: &dyn CountModel, params: &[f64], rows: &Rows) -> Result<Vec<f64>> {
    rows.check(model, params)?;
    let mut out = vec![0.0; rows.x.len()];
    parallel::map_into(&mut out, |i| {
        model.p_alive(params, rows.x[i], rows.tx[i], rows.t[i])
    });
    Ok(out)
}

/// E[purchases in (T, T + t]] per customer.
pub fn conditional_expected_purchases(
    model: &dyn CountModel,
    params: &[f64],
    t: f64,
    rows: &Rows,
) -> Result<Vec<f64>> {
    check_horizon("t", t)?;
    rows.check(model, params)?;
    parallel::try_map(rows.x.len(), |i| {
        model.conditional_expected_purchases(params, t, rows.x[i], rows.tx[i], rows.t[i])
    })
}

/// P(n purchases in (T, T + t]) per customer.
pub fn conditional_probability_of_n_purchases(
    model: &dyn CountModel,
    params: &[f64],
    t: f64,
    n: f64,
    rows: &Rows,
) -> Result<Vec<f64>> {
    check_horizon("t", t)?;
    check_count("n", n)?;
    rows.check(model, params)?;
    let mut out = vec![0.0; rows.x.len()];
    parallel::map_into(&mut out, |i| {
        model.conditional_probability_of_n_purchases(params, t, n, rows.x[i], rows.tx[i], rows.t[i])
    });
    Ok(out)
}

/// The (recency, frequency) grid of the classic heat maps: recency 0..=max_recency (rows) by
/// frequency 0..=max_frequency (columns), every customer of age `big_t`. Cells with frequency
/// 0 and recency > 0 are no possible history; the grid kernels evaluate the closed forms there
/// anyway (lifetimes' matrices show those values), so they check the grid, not `Rows`.
pub struct Grid {
    pub max_frequency: usize,
    pub max_recency: usize,
    pub big_t: f64,
}

impl Grid {
    fn check(&self, model: &dyn CountModel, params: &[f64]) -> Result<usize> {
        check_params(model.names(), params)?;
        check_horizon("T", self.big_t)?;
        if self.max_recency as f64 > self.big_t {
            return Err(ClmError::InvalidArgument(format!(
                "max_recency ({}) must be <= T ({})",
                self.max_recency, self.big_t
            )));
        }
        (self.max_recency + 1)
            .checked_mul(self.max_frequency + 1)
            .ok_or_else(|| ClmError::InvalidArgument("the grid is too large".to_string()))
    }
    /// (frequency, recency) of row-major cell `i`.
    fn cell(&self, i: usize) -> (f64, f64) {
        let columns = self.max_frequency + 1;
        ((i % columns) as f64, (i / columns) as f64)
    }
}

/// P(alive) over the grid, row-major.
pub fn p_alive_grid(model: &dyn CountModel, params: &[f64], grid: &Grid) -> Result<Vec<f64>> {
    let mut out = vec![0.0; grid.check(model, params)?];
    parallel::map_into(&mut out, |i| {
        let (x, tx) = grid.cell(i);
        model.p_alive(params, x, tx, grid.big_t)
    });
    Ok(out)
}

/// E[purchases in (T, T + t]] over the grid, row-major.
pub fn conditional_expected_purchases_grid(
    model: &dyn CountModel,
    params: &[f64],
    t: f64,
    grid: &Grid,
) -> Result<Vec<f64>> {
    check_horizon("t", t)?;
    let n = grid.check(model, params)?;
    parallel::try_map(n, |i| {
        let (x, tx) = grid.cell(i);
        model.conditional_expected_purchases(params, t, x, tx, grid.big_t)
    })
}

/// E[X(t)] of a new customer for each horizon in `t`.
pub fn expected_purchases(model: &dyn CountModel, params: &[f64], t: &[f64]) -> Result<Vec<f64>> {
    check_params(model.names(), params)?;
    for &ti in t {
        check_horizon("t", ti)?;
    }
    parallel::try_map(t.len(), |i| model.expected_purchases(params, t[i]))
}

/// P(X(t) = n) of a new customer for each pair (t[i], n[i]).
pub fn probability_of_n_purchases(
    model: &dyn CountModel,
    params: &[f64],
    t: &[f64],
    n: &[f64],
) -> Result<Vec<f64>> {
    check_params(model.names(), params)?;
    crate::error::check_same_length(&[("t", t.len()), ("n", n.len())])?;
    for (&ti, &ni) in t.iter().zip(n) {
        check_horizon("t", ti)?;
        check_count("n", ni)?;
    }
    let mut out = vec![0.0; t.len()];
    parallel::map_into(&mut out, |i| {
        model.probability_of_n_purchases(params, t[i], n[i])
    });
    Ok(out)
}

mod fitted;
mod horizons;
pub use horizons::conditional_expected_purchases_horizons;

#[cfg(test)]
mod tests;
