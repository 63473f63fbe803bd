//! Bindings of the BTYD models: the generic fit, the fitted state (serialisable), the count
//! models' prediction kernels (dispatched by model name), Gamma-Gamma spend and CLV.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use crate::btyd::predict::{self, count_model, Grid, Rows};
use crate::btyd::saved::{SavedModel, TimeUnit};
use crate::btyd::{fit_named, gammagamma, FitOptions};
use crate::python::{run, to_pyerr};

/// A fitted BTYD model's state: parameters, likelihood, covariance and hyperparameters.
#[pyclass(module = "clmkit._core", name = "BtydFit", frozen)]
pub(crate) struct BtydFit {
    saved: SavedModel,
}

fitted_pymethods!(BtydFit(SavedModel) {
    #[getter]
    fn params(&self) -> Vec<f64> {
        self.saved.fit.params.clone()
    }
    /// A model state with given parameters (not fitted).
    #[staticmethod]
    #[pyo3(signature = (model, params, time_unit=None))]
    fn from_params(
        model: &str,
        params: Vec<f64>,
        time_unit: Option<(String, f64)>,
    ) -> PyResult<BtydFit> {
        let unit = time_unit.map(|(freq, multiplier)| TimeUnit { freq, multiplier });
        Ok(BtydFit {
            saved: SavedModel::from_params(model, params, unit).map_err(to_pyerr)?,
        })
    }
});

/// Fits the model `model` ("bgnbd", "mbgnbd", "gammagamma", ...) to its data columns.
#[pyfunction]
#[pyo3(signature = (model, columns, weights, penalizer, initial_params, tol, max_iter, time_unit))]
#[allow(clippy::too_many_arguments)]
fn btyd_fit(
    py: Python<'_>,
    model: &str,
    columns: Vec<PyReadonlyArray1<'_, f64>>,
    weights: Option<PyReadonlyArray1<'_, f64>>,
    penalizer: f64,
    initial_params: Option<Vec<f64>>,
    tol: f64,
    max_iter: usize,
    time_unit: Option<(String, f64)>,
) -> PyResult<BtydFit> {
    let cols: Vec<&[f64]> = columns
        .iter()
        .map(|c| c.as_slice())
        .collect::<Result<_, _>>()?;
    let w = weights.as_ref().map(|w| w.as_slice()).transpose()?;
    let options = FitOptions {
        penalizer,
        initial: initial_params,
        tol,
        max_iter,
    };
    let fit = run(py, || fit_named(model, &cols, w, &options))?;
    let unit = time_unit.map(|(freq, multiplier)| TimeUnit { freq, multiplier });
    Ok(BtydFit {
        saved: SavedModel::new(model, options, fit, unit).map_err(to_pyerr)?,
    })
}

/// Log-likelihood of each row at natural parameters.
#[pyfunction]
fn btyd_loglik<'py>(
    py: Python<'py>,
    model: &str,
    params: Vec<f64>,
    columns: Vec<PyReadonlyArray1<'py, f64>>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let cols: Vec<&[f64]> = columns
        .iter()
        .map(|c| c.as_slice())
        .collect::<Result<_, _>>()?;
    Ok(vec_out(
        py,
        run(py, || crate::btyd::loglik_rows(model, &params, &cols))?,
    ))
}

pub(crate) fn vec_out<'py>(py: Python<'py>, v: Vec<f64>) -> Bound<'py, PyArray1<f64>> {
    v.into_pyarray(py)
}

#[pyfunction]
fn btyd_p_alive<'py>(
    py: Python<'py>,
    model: &str,
    params: Vec<f64>,
    frequency: PyReadonlyArray1<'py, f64>,
    recency: PyReadonlyArray1<'py, f64>,
    t: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let m = count_model(model).map_err(to_pyerr)?;
    let rows = Rows {
        x: frequency.as_slice()?,
        tx: recency.as_slice()?,
        t: t.as_slice()?,
    };
    Ok(vec_out(
        py,
        run(py, || predict::p_alive(m, &params, &rows))?,
    ))
}

#[pyfunction]
#[pyo3(signature = (model, params, t, frequency, recency, big_t))]
fn btyd_conditional_expected_purchases<'py>(
    py: Python<'py>,
    model: &str,
    params: Vec<f64>,
    t: f64,
    frequency: PyReadonlyArray1<'py, f64>,
    recency: PyReadonlyArray1<'py, f64>,
    big_t: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let m = count_model(model).map_err(to_pyerr)?;
    let rows = Rows {
        x: frequency.as_slice()?,
        tx: recency.as_slice()?,
        t: big_t.as_slice()?,
    };
    Ok(vec_out(
        py,
        run(py, || {
            predict::conditional_expected_purchases(m, &params, t, &rows)
        })?,
    ))
}

/// P(alive) on the (recency x frequency) heat-map grid, row-major, impossible cells included.
#[pyfunction]
#[pyo3(signature = (model, params, max_frequency, max_recency, big_t))]
fn btyd_p_alive_grid<'py>(
    py: Python<'py>,
    model: &str,
    params: Vec<f64>,
    max_frequency: usize,
    max_recency: usize,
    big_t: f64,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let m = count_model(model).map_err(to_pyerr)?;
    let grid = Grid {
        max_frequency,
        max_recency,
        big_t,
    };
    Ok(vec_out(
        py,
        run(py, || predict::p_alive_grid(m, &params, &grid))?,
    ))
}

/// Conditional expected purchases on the heat-map grid, row-major, impossible cells included.
#[pyfunction]
#[pyo3(signature = (model, params, t, max_frequency, max_recency, big_t))]
fn btyd_conditional_expected_purchases_grid<'py>(
    py: Python<'py>,
    model: &str,
    params: Vec<f64>,
    t: f64,
    max_frequency: usize,
    max_recency: usize,
    big_t: f64,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let m = count_model(model).map_err(to_pyerr)?;
    let grid = Grid {
        max_frequency,
        max_recency,
        big_t,
    };
    Ok(vec_out(
        py,
        run(py, || {
            predict::conditional_expected_purchases_grid(m, &params, t, &grid)
        })?,
    ))
}

#[pyfunction]
#[pyo3(signature = (model, params, t, n, frequency, recency, big_t))]
#[allow(clippy::too_many_arguments)]
fn btyd_conditional_probability_of_n_purchases<'py>(
    py: Python<'py>,
    model: &str,
    params: Vec<f64>,
    t: f64,
    n: f64,
    frequency: PyReadonlyArray1<'py, f64>,
    recency: PyReadonlyArray1<'py, f64>,
    big_t: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let m = count_model(model).map_err(to_pyerr)?;
    let rows = Rows {
        x: frequency.as_slice()?,
        tx: recency.as_slice()?,
        t: big_t.as_slice()?,
    };
    Ok(vec_out(
        py,
        run(py, || {
            predict::conditional_probability_of_n_purchases(m, &params, t, n, &rows)
        })?,
    ))
}

#[pyfunction]
fn btyd_expected_purchases<'py>(
    py: Python<'py>,
    model: &str,
    params: Vec<f64>,
    t: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let m = count_model(model).map_err(to_pyerr)?;
    let t = t.as_slice()?;
    Ok(vec_out(
        py,
        run(py, || predict::expected_purchases(m, &params, t))?,
    ))
}

#[pyfunction]
fn btyd_probability_of_n_purchases<'py>(
    py: Python<'py>,
    model: &str,
    params: Vec<f64>,
    t: PyReadonlyArray1<'py, f64>,
    n: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let m = count_model(model).map_err(to_pyerr)?;
    let (t, n) = (t.as_slice()?, n.as_slice()?);
    Ok(vec_out(
        py,
        run(py, || predict::probability_of_n_purchases(m, &params, t, n))?,
    ))
}

#[pyfunction]
fn gammagamma_conditional_expected_spend<'py>(
    py: Python<'py>,
    params: Vec<f64>,
    frequency: PyReadonlyArray1<'py, f64>,
    monetary_value: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (x, m) = (frequency.as_slice()?, monetary_value.as_slice()?);
    Ok(vec_out(
        py,
        run(py, || {
            gammagamma::conditional_expected_spend_many(&params, x, m)
        })?,
    ))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<BtydFit>()?;
    m.add_function(wrap_pyfunction!(btyd_fit, m)?)?;
    m.add_function(wrap_pyfunction!(btyd_loglik, m)?)?;
    m.add_function(wrap_pyfunction!(btyd_p_alive, m)?)?;
    m.add_function(wrap_pyfunction!(btyd_conditional_expected_purchases, m)?)?;
    m.add_function(wrap_pyfunction!(btyd_p_alive_grid, m)?)?;
    m.add_function(wrap_pyfunction!(
        btyd_conditional_expected_purchases_grid,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(
        btyd_conditional_probability_of_n_purchases,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(btyd_expected_purchases, m)?)?;
    m.add_function(wrap_pyfunction!(btyd_probability_of_n_purchases, m)?)?;
    m.add_function(wrap_pyfunction!(gammagamma_conditional_expected_spend, m)?)?;
    Ok(())
}
