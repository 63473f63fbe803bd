//! Bindings of the bootstrap behind `predict_interval` (every BTYD model).

use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use super::kind::Kind;
use crate::btyd::bootstrap;
use crate::btyd::FitOptions;
use crate::error::ClmError;
use crate::python::{run, to_pyerr};

fn to_matrix<'py>(
    py: Python<'py>,
    rows: Vec<Vec<f64>>,
    k: usize,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let n = rows.len();
    let flat: Vec<f64> = rows.into_iter().flatten().collect();
    let array = ndarray::Array2::from_shape_vec((n, k), flat)
        .map_err(|e| to_pyerr(ClmError::InvalidArgument(format!("bootstrap output: {e}"))))?;
    Ok(array.into_pyarray(py))
}

/// `n_boot` x k parameter draws of the parametric bootstrap.
#[pyfunction]
fn btyd_bootstrap_parametric<'py>(
    py: Python<'py>,
    params: Vec<f64>,
    covariance: Vec<f64>,
    n_boot: usize,
    seed: u64,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let k = params.len();
    let draws = run(py, || {
        bootstrap::parametric_draws(&params, &covariance, n_boot, seed)
    })?;
    to_matrix(py, draws, k)
}

/// `n_boot` x k parameters refitted to customer resamples of the data.
#[pyfunction]
#[pyo3(signature = (model, columns, weights, params, penalizer, tol, max_iter, n_boot, seed))]
#[allow(clippy::too_many_arguments)]
fn btyd_bootstrap_resample<'py>(
    py: Python<'py>,
    model: Kind,
    columns: Vec<PyReadonlyArray1<'py, f64>>,
    weights: Option<PyReadonlyArray1<'py, f64>>,
    params: Vec<f64>,
    penalizer: f64,
    tol: f64,
    max_iter: usize,
    n_boot: usize,
    seed: u64,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let cols = columns
        .iter()
        .map(|c| c.as_slice())
        .collect::<Result<Vec<_>, _>>()?;
    let w = weights.as_ref().map(|w| w.as_slice()).transpose()?;
    let opts = FitOptions {
        penalizer,
        initial: None,
        tol,
        max_iter,
    };
    let k = params.len();
    let fits = run(py, || {
        bootstrap::resample_fits(model.0, &cols, w, &params, &opts, n_boot, seed)
    })?;
    to_matrix(py, fits, k)
}

type Bounds<'py> = (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>);

/// Central `level` interval per column of `values` (replicates x outputs).
#[pyfunction]
fn btyd_intervals<'py>(
    py: Python<'py>,
    values: PyReadonlyArray2<'py, f64>,
    level: f64,
) -> PyResult<Bounds<'py>> {
    let rows: Vec<Vec<f64>> = values.as_array().outer_iter().map(|r| r.to_vec()).collect();
    let (lower, upper) = run(py, || bootstrap::intervals(&rows, level))?;
    Ok((lower.into_pyarray(py), upper.into_pyarray(py)))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(btyd_bootstrap_parametric, m)?)?;
    m.add_function(wrap_pyfunction!(btyd_bootstrap_resample, m)?)?;
    m.add_function(wrap_pyfunction!(btyd_intervals, m)?)
}
