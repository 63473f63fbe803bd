//! The door of the BTYD domain (`crate::btyd`): one file per area of the core.

/// One `#[pymethods]` block for a fitted-model pyclass `$ty { saved: $saved }`: the read-only
/// state every fitted BTYD model shares (`saved.model`, `.param_names`, `.fit`, `.options`,
/// `.time_unit`) and its JSON round trip (loading through the type's `from_saved`, which
/// resolves what the type needs from the saved state), followed by the type's own methods. It wraps the
/// whole block because pyo3 takes one `#[pymethods]` per type (without its
/// `multiple-pymethods` feature) and does not expand macros inside one.
macro_rules! fitted_pymethods {
    ($ty:ident($saved:ident) { $($own:tt)* }) => {
        #[pyo3::pymethods]
        impl $ty {
            /// The model's name.
            #[getter]
            fn model(&self) -> &'static str {
                self.saved.model.name()
            }
            #[getter]
            fn kind(&self) -> crate::python::btyd::kind::PyModelKind {
                crate::python::btyd::kind::PyModelKind(self.saved.model)
            }
            #[getter]
            fn param_names(&self) -> Vec<String> {
                self.saved.param_names.clone()
            }
            #[getter]
            fn log_likelihood(&self) -> f64 {
                self.saved.fit.log_likelihood
            }
            /// Row-major covariance of the fitted natural parameters (a covariate fit: base
            /// parameters, then free coefficients).
            #[getter]
            fn covariance(&self) -> Vec<f64> {
                self.saved.fit.covariance.clone()
            }
            #[getter]
            fn standard_errors(&self) -> Vec<f64> {
                self.saved.fit.standard_errors.clone()
            }
            #[getter]
            fn n_iter(&self) -> usize {
                self.saved.fit.n_iter
            }
            #[getter]
            fn converged(&self) -> bool {
                self.saved.fit.converged
            }
            /// Why the fit is not to be trusted as it stands (boundary, singular information).
            #[getter]
            fn warnings(&self) -> Vec<String> {
                self.saved.fit.warnings.clone()
            }
            #[getter]
            fn grad_norm(&self) -> f64 {
                self.saved.fit.grad_norm
            }
            #[getter]
            fn n_patterns(&self) -> usize {
                self.saved.fit.n_patterns
            }
            #[getter]
            fn n_customers(&self) -> f64 {
                self.saved.fit.n_customers
            }
            #[getter]
            fn time_scale(&self) -> f64 {
                self.saved.fit.time_scale
            }
            #[getter]
            fn penalizer(&self) -> f64 {
                self.saved.options.penalizer
            }
            #[getter]
            fn initial_params(&self) -> Option<Vec<f64>> {
                self.saved.options.initial.clone()
            }
            #[getter]
            fn tol(&self) -> f64 {
                self.saved.options.tol
            }
            #[getter]
            fn max_iter(&self) -> usize {
                self.saved.options.max_iter
            }
            /// (freq, multiplier) of the model's time unit, or None.
            #[getter]
            fn time_unit(&self) -> Option<(String, f64)> {
                self.saved
                    .time_unit
                    .as_ref()
                    .map(|u| (u.freq.clone(), u.multiplier))
            }
            fn to_json(&self) -> PyResult<String> {
                self.saved.to_json().map_err(crate::python::to_pyerr)
            }
            #[staticmethod]
            fn from_json(text: &str) -> PyResult<$ty> {
                $ty::from_saved($saved::from_json(text).map_err(crate::python::to_pyerr)?)
            }
            $($own)*
        }
    };
}

mod bootstrap;
mod covariates;
mod hooks;
mod kind;
mod models;
mod paretonbd;

use numpy::PyReadonlyArray1;
use pyo3::prelude::*;

pub(crate) use models::{vec_out, BtydFit};

/// The data columns of a door call as slices (each array must be contiguous).
fn slices<'a>(columns: &'a [PyReadonlyArray1<'_, f64>]) -> PyResult<Vec<&'a [f64]>> {
    Ok(columns
        .iter()
        .map(|c| c.as_slice())
        .collect::<Result<_, _>>()?)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    kind::register(m)?;
    models::register(m)?;
    covariates::register(m)?;
    paretonbd::register(m)?;
    bootstrap::register(m)?;
    hooks::register(m)
}
