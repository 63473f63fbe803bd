//! Every prediction of a fitted BTYD model, dispatched on its [`ModelKind`] (resolved from
//! the model's name once, when the fitted model is built or loaded). The door's `BtydFit`
//! methods call these with the fit's own parameters; a prediction the model does not make
//! is refused with a message naming both.

use super::{
    conditional_expected_purchases_grid, conditional_expected_purchases_horizons,
    conditional_probability_of_n_purchases, expected_purchases, p_alive, p_alive_grid,
    probability_of_n_purchases, CountModel, Grid, Rows,
};
use crate::btyd::{bgbb, check_params, gammagamma, paretonbd, ModelKind};
use crate::error::{ClmError, Result};

impl ModelKind {
    fn unsupported(self, what: &str) -> ClmError {
        ClmError::InvalidArgument(format!(
            "{what} is not a prediction of the {} model",
            self.name()
        ))
    }

    fn count_or(self, what: &str) -> Result<&'static dyn CountModel> {
        self.count().ok_or_else(|| self.unsupported(what))
    }

    /// P(alive) per customer: at the end of observation, or (BG/BB only) `periods_ahead`
    /// opportunities later (FHS 2010 eq. 11).
    pub fn p_alive(self, params: &[f64], rows: &Rows, periods_ahead: f64) -> Result<Vec<f64>> {
        match self {
            ModelKind::Bgbb => bgbb::p_alive_rows(params, periods_ahead, &bgbb_rows(rows)),
            _ if periods_ahead != 0.0 => Err(self.unsupported("p_alive with periods_ahead")),
            _ => p_alive(self.count_or("p_alive")?, params, rows),
        }
    }

    /// E[purchases in the next t] for every horizon in `ts` (opportunities for BG/BB) and
    /// every customer, horizon-major.
    pub fn conditional_expected_purchases(
        self,
        params: &[f64],
        ts: &[f64],
        rows: &Rows,
    ) -> Result<Vec<f64>> {
        if let ModelKind::Bgbb = self {
            // FHS 2010 eq. 13 is a closed form per horizon: nothing to share across them.
            let rows = bgbb_rows(rows);
            let mut out = Vec::new();
            for &m in ts {
                out.extend(bgbb::conditional_expected_purchases_rows(params, m, &rows)?);
            }
            return Ok(out);
        }
        let model = self.count_or("conditional_expected_purchases")?;
        conditional_expected_purchases_horizons(model, params, ts, rows)
    }

    /// P(n purchases in the next t) per customer.
    pub fn conditional_probability_of_n_purchases(
        self,
        params: &[f64],
        t: f64,
        n: f64,
        rows: &Rows,
    ) -> Result<Vec<f64>> {
        let model = self.count_or("conditional_probability_of_n_purchases")?;
        conditional_probability_of_n_purchases(model, params, t, n, rows)
    }

    /// E[X(t)] of a new customer per horizon (opportunities for BG/BB).
    pub fn expected_purchases(self, params: &[f64], t: &[f64]) -> Result<Vec<f64>> {
        match self {
            ModelKind::Bgbb => bgbb::expected_purchases_many(params, t),
            _ => expected_purchases(self.count_or("expected_purchases")?, params, t),
        }
    }

    /// P(X(t[i]) = n[i]) of a new customer (opportunities for BG/BB).
    pub fn probability_of_n_purchases(
        self,
        params: &[f64],
        t: &[f64],
        n: &[f64],
    ) -> Result<Vec<f64>> {
        match self {
            ModelKind::Bgbb => bgbb::probability_of_n_purchases_many(params, t, n),
            _ => {
                let model = self.count_or("probability_of_n_purchases")?;
                probability_of_n_purchases(model, params, t, n)
            }
        }
    }

    /// P(alive) on the heat-map grid, row-major.
    pub fn p_alive_grid(self, params: &[f64], grid: &Grid) -> Result<Vec<f64>> {
        p_alive_grid(self.count_or("p_alive_matrix")?, params, grid)
    }

    /// Conditional expected purchases on the heat-map grid, row-major.
    pub fn conditional_expected_purchases_grid(
        self,
        params: &[f64],
        t: f64,
        grid: &Grid,
    ) -> Result<Vec<f64>> {
        let model = self.count_or("expected_purchases_matrix")?;
        conditional_expected_purchases_grid(model, params, t, grid)
    }

    /// Gamma-Gamma's conditional expected spend per customer (note 025 eq. 5).
    pub fn conditional_expected_spend(
        self,
        params: &[f64],
        x: &[f64],
        m: &[f64],
    ) -> Result<Vec<f64>> {
        match self {
            ModelKind::GammaGamma => gammagamma::conditional_expected_spend_many(params, x, m),
            _ => Err(self.unsupported("conditional_expected_spend")),
        }
    }

    /// Pareto/NBD's discounted expected residual transactions per customer.
    pub fn dert(
        self,
        params: &[f64],
        discount_rate: f64,
        horizon: f64,
        rows: &Rows,
    ) -> Result<Vec<f64>> {
        match self {
            ModelKind::ParetoNbd => {
                let p = four(paretonbd::NAMES, params)?;
                paretonbd::dert_rows(&p, discount_rate, horizon, rows.x, rows.tx, rows.t)
            }
            _ => Err(self.unsupported("discounted_expected_residual_transactions")),
        }
    }

    /// Simulated customers, one per entry of `t` (T for Pareto/NBD, n_periods for BG/BB):
    /// (frequency, recency, alive, and the two latent rates) per customer.
    pub fn generate(self, params: &[f64], t: &[f64], seed: u64) -> Result<Vec<[f64; 5]>> {
        match self {
            ModelKind::ParetoNbd => paretonbd::generate(&four(paretonbd::NAMES, params)?, t, seed),
            ModelKind::Bgbb => bgbb::generate(&four(bgbb::NAMES, params)?, t, seed),
            _ => Err(self.unsupported("generate")),
        }
    }

    /// Names of the latent columns of [`ModelKind::generate`].
    pub fn latent_names(self) -> [&'static str; 2] {
        match self {
            ModelKind::Bgbb => ["p", "theta"],
            _ => ["lambda", "mu"],
        }
    }
}

fn bgbb_rows<'a>(rows: &Rows<'a>) -> bgbb::Rows<'a> {
    bgbb::Rows {
        x: rows.x,
        tx: rows.tx,
        n: rows.t,
    }
}

/// Four checked parameters (finite, > 0) as the fixed-size array the model modules take.
fn four(names: &[&str], params: &[f64]) -> Result<[f64; 4]> {
    check_params(names, params)?;
    Ok([params[0], params[1], params[2], params[3]])
}
