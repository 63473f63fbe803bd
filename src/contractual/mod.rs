//! Contractual churn: retention models of subscription customers who leave at an observed
//! moment (a renewal they do not make).
//!
//! - [`tenures`]: the data. The likelihood of the shifted-beta-geometric and beta-discrete-
//!   Weibull models depends on a customer only through (renewals observed, churned or still
//!   active), so millions of subscribers compress into two count vectors.
//! - [`likelihood`]: ln S(t) and ln P(T = t) with analytic gradients (Fader & Hardie 2007;
//!   Fader, Hardie, Liu, Davin & Steenburgh 2018).
//! - [`fit`]: maximum likelihood on log-parameters (the shared Newton optimiser) and
//!   standard errors from the observed information (the shared covariance routine).
//! - [`covariates`]: covariates on alpha and beta (exp link), individual-level fits.
//! - [`predict`]: survival, retention rates, residual lifetimes and DERL (Fader & Hardie 2010).
//! - [`simulate`]: seeded simulation of censored tenures, for tests, benchmarks and examples.

pub mod covariates;
pub mod fit;
pub mod likelihood;
pub mod predict;
pub mod simulate;
pub mod subscriptions;
pub mod tenures;

use serde::{Deserialize, Serialize};

use crate::error::{ClmError, Result};

/// The retention models of this domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// Shifted-beta-geometric: parameters (alpha, beta).
    Sbg,
    /// Beta-discrete-Weibull: parameters (alpha, beta, c); c = 1 is the sBG.
    Bdw,
}

impl Kind {
    /// The model registered under `name` ("sbg" or "bdw").
    pub fn parse(name: &str) -> Result<Kind> {
        match name {
            "sbg" => Ok(Kind::Sbg),
            "bdw" => Ok(Kind::Bdw),
            _ => Err(ClmError::InvalidArgument(format!(
                "unknown contractual model {name:?} (expected \"sbg\" or \"bdw\")"
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Sbg => "sbg",
            Kind::Bdw => "bdw",
        }
    }

    pub fn param_names(self) -> &'static [&'static str] {
        match self {
            Kind::Sbg => &["alpha", "beta"],
            Kind::Bdw => &["alpha", "beta", "c"],
        }
    }

    /// Checks a parameter vector: the right length, every value finite and > 0.
    pub fn check_params(self, params: &[f64]) -> Result<()> {
        let names = self.param_names();
        if params.len() != names.len() {
            return Err(ClmError::InvalidArgument(format!(
                "{} takes {} parameters {:?}, got {}",
                self.name(),
                names.len(),
                names,
                params.len()
            )));
        }
        if let Some(j) = params.iter().position(|v| !(v.is_finite() && *v > 0.0)) {
            return Err(ClmError::InvalidArgument(format!(
                "parameter {} must be finite and > 0, got {}",
                names[j], params[j]
            )));
        }
        Ok(())
    }

    /// (alpha, beta, c) with c = 1 for the sBG.
    pub(crate) fn abc(self, params: &[f64]) -> (f64, f64, f64) {
        match self {
            Kind::Sbg => (params[0], params[1], 1.0),
            Kind::Bdw => (params[0], params[1], params[2]),
        }
    }
}
