//! Bindings of the BG/BB model's predictions and simulation (fitting goes through the
//! model-name dispatch of `models.rs` with the name "bgbb").

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::btyd::bgbb::{self, Rows};
use crate::btyd::check_params;
use crate::python::{columns_dict, run};

#[pyfunction]
fn bgbb_p_alive<'py>(
    py: Python<'py>,
    params: Vec<f64>,
    periods_ahead: f64,
    frequency: PyReadonlyArray1<'py, f64>,
    recency: PyReadonlyArray1<'py, f64>,
    n_periods: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let rows = Rows {
        x: frequency.as_slice()?,
        tx: recency.as_slice()?,
        n: n_periods.as_slice()?,
    };
    Ok(run(py, || bgbb::p_alive_rows(&params, periods_ahead, &rows))?.into_pyarray(py))
}

#[pyfunction]
fn bgbb_conditional_expected_purchases<'py>(
    py: Python<'py>,
    params: Vec<f64>,
    m_periods: f64,
    frequency: PyReadonlyArray1<'py, f64>,
    recency: PyReadonlyArray1<'py, f64>,
    n_periods: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let rows = Rows {
        x: frequency.as_slice()?,
        tx: recency.as_slice()?,
        n: n_periods.as_slice()?,
    };
    Ok(run(py, || {
        bgbb::conditional_expected_purchases_rows(&params, m_periods, &rows)
    })?
    .into_pyarray(py))
}

#[pyfunction]
fn bgbb_expected_purchases<'py>(
    py: Python<'py>,
    params: Vec<f64>,
    n_periods: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let n = n_periods.as_slice()?;
    Ok(run(py, || bgbb::expected_purchases_many(&params, n))?.into_pyarray(py))
}

#[pyfunction]
fn bgbb_probability_of_n_purchases<'py>(
    py: Python<'py>,
    params: Vec<f64>,
    n_periods: PyReadonlyArray1<'py, f64>,
    n: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (periods, k) = (n_periods.as_slice()?, n.as_slice()?);
    Ok(run(py, || {
        bgbb::probability_of_n_purchases_many(&params, periods, k)
    })?
    .into_pyarray(py))
}

/// Simulated customers: dict of frequency, recency, alive, p, theta.
#[pyfunction]
fn bgbb_generate<'py>(
    py: Python<'py>,
    params: Vec<f64>,
    n_periods: PyReadonlyArray1<'py, f64>,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let n = n_periods.as_slice()?;
    let sims = run(py, || {
        check_params(bgbb::NAMES, &params)?;
        bgbb::generate(&[params[0], params[1], params[2], params[3]], n, seed)
    })?;
    columns_dict(py, ["frequency", "recency", "alive", "p", "theta"], &sims)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(bgbb_p_alive, m)?)?;
    m.add_function(wrap_pyfunction!(bgbb_conditional_expected_purchases, m)?)?;
    m.add_function(wrap_pyfunction!(bgbb_expected_purchases, m)?)?;
    m.add_function(wrap_pyfunction!(bgbb_probability_of_n_purchases, m)?)?;
    m.add_function(wrap_pyfunction!(bgbb_generate, m)?)
}
