//! Bindings of the BTYD evaluation hooks (`crate::btyd::hooks`) used by clmkit.dask's
//! distributed-likelihood fit.

use numpy::PyReadonlyArray1;
use pyo3::prelude::*;

use super::kind::Kind;
use crate::btyd::hooks::{check_data, loglik_grad_of, model_layout};
use crate::python::run;

/// Total weighted log-likelihood of the rows and its gradient w.r.t. the natural parameters.
#[pyfunction]
#[pyo3(signature = (model, params, columns, weights=None))]
fn btyd_loglik_grad(
    py: Python<'_>,
    model: Kind,
    params: Vec<f64>,
    columns: Vec<PyReadonlyArray1<'_, f64>>,
    weights: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<(f64, Vec<f64>)> {
    let cols: Vec<&[f64]> = columns
        .iter()
        .map(|c| c.as_slice())
        .collect::<Result<_, _>>()?;
    let w = weights.as_ref().map(|w| w.as_slice()).transpose()?;
    run(py, || loglik_grad_of(model.0, &params, &cols, w))
}

/// Checks data columns by the model's own rules (raises InvalidValueError naming the row).
#[pyfunction]
fn btyd_check_data(
    py: Python<'_>,
    model: Kind,
    columns: Vec<PyReadonlyArray1<'_, f64>>,
) -> PyResult<()> {
    let cols: Vec<&[f64]> = columns
        .iter()
        .map(|c| c.as_slice())
        .collect::<Result<_, _>>()?;
    run(py, || check_data(model.0, &cols))
}

/// (parameter names, data columns, time columns, scale column, time powers) of a model.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn btyd_model_layout(
    model: Kind,
) -> PyResult<(
    Vec<String>,
    Vec<String>,
    Vec<usize>,
    Option<usize>,
    Vec<i32>,
)> {
    let l = model_layout(model.0);
    Ok((
        l.names,
        l.columns,
        l.time_columns,
        l.scale_column,
        l.time_powers,
    ))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(btyd_loglik_grad, m)?)?;
    m.add_function(wrap_pyfunction!(btyd_check_data, m)?)?;
    m.add_function(wrap_pyfunction!(btyd_model_layout, m)?)
}
