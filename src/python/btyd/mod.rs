//! The door of the BTYD domain (`crate::btyd`): one file per area of the core.

mod bgbb;
mod bootstrap;
mod covariates;
mod hooks;
mod models;
mod paretonbd;

use pyo3::prelude::*;

pub(crate) use models::vec_out;

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    models::register(m)?;
    covariates::register(m)?;
    paretonbd::register(m)?;
    bgbb::register(m)?;
    bootstrap::register(m)?;
    hooks::register(m)
}
