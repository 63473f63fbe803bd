//! Bindings of the Pareto/NBD extras (DERT, simulation) and of the special functions behind
//! them (exposed for testing against scipy). Fitting and the shared predictions go through
//! the model-name dispatch of `models.rs`.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::btyd::paretonbd;
use crate::error::{check_same_length, ClmError, Result};
use crate::numeric::hypergeometric;
use crate::parallel;
use crate::python::{columns_dict, run};

/// Elementwise map over equally long argument arrays in clmkit's pool.
fn map_n(names: &[&str], args: &[&[f64]], f: impl Fn(&[f64]) -> f64 + Sync) -> Result<Vec<f64>> {
    let lengths: Vec<(&str, usize)> = names.iter().zip(args).map(|(n, a)| (*n, a.len())).collect();
    check_same_length(&lengths)?;
    let mut out = vec![0.0; args.first().map_or(0, |a| a.len())];
    parallel::map_into(&mut out, |i| {
        let row: Vec<f64> = args.iter().map(|a| a[i]).collect();
        f(&row)
    });
    Ok(out)
}

/// ln 2F1(a, b; c; z) elementwise (a, b, c > 0, 0 <= z < 1; NaN outside).
#[pyfunction]
fn ln_hyp2f1<'py>(
    py: Python<'py>,
    a: PyReadonlyArray1<'py, f64>,
    b: PyReadonlyArray1<'py, f64>,
    c: PyReadonlyArray1<'py, f64>,
    z: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let args = [a.as_slice()?, b.as_slice()?, c.as_slice()?, z.as_slice()?];
    let out = run(py, || {
        map_n(&["a", "b", "c", "z"], &args, |v| {
            hypergeometric::ln_hyp2f1(v[0], v[1], v[2], v[3])
        })
    })?;
    Ok(out.into_pyarray(py))
}

/// Trigamma ψ'(x) elementwise (x > 0; NaN outside): the one shared implementation.
#[pyfunction]
fn trigamma<'py>(
    py: Python<'py>,
    x: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let args = [x.as_slice()?];
    let out = run(py, || {
        map_n(&["x"], &args, |v| crate::numeric::special::trigamma(v[0]))
    })?;
    Ok(out.into_pyarray(py))
}

/// ln U(a, b, z) elementwise (a > 0, z > 0; NaN outside).
#[pyfunction]
fn ln_hyperu<'py>(
    py: Python<'py>,
    a: PyReadonlyArray1<'py, f64>,
    b: PyReadonlyArray1<'py, f64>,
    z: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let args = [a.as_slice()?, b.as_slice()?, z.as_slice()?];
    let out = run(py, || {
        map_n(&["a", "b", "z"], &args, |v| {
            hypergeometric::ln_hyperu(v[0], v[1], v[2])
        })
    })?;
    Ok(out.into_pyarray(py))
}

fn pareto_params(params: &[f64]) -> Result<paretonbd::Params> {
    let p: paretonbd::Params = params.try_into().map_err(|_| {
        ClmError::InvalidArgument(format!("expected 4 parameters, got {}", params.len()))
    })?;
    if let Some(j) = p.iter().position(|v| !(v.is_finite() && *v > 0.0)) {
        return Err(ClmError::InvalidArgument(format!(
            "parameter {} must be finite and > 0, got {}",
            paretonbd::NAMES[j],
            p[j]
        )));
    }
    Ok(p)
}

/// Discounted expected residual transactions per customer (continuous discount rate), over
/// `horizon` time units (infinity: the classic DERT).
#[pyfunction]
#[pyo3(signature = (params, discount_rate, horizon, frequency, recency, big_t))]
fn paretonbd_dert<'py>(
    py: Python<'py>,
    params: Vec<f64>,
    discount_rate: f64,
    horizon: f64,
    frequency: PyReadonlyArray1<'py, f64>,
    recency: PyReadonlyArray1<'py, f64>,
    big_t: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (x, tx, t) = (
        frequency.as_slice()?,
        recency.as_slice()?,
        big_t.as_slice()?,
    );
    let out = run(py, || {
        paretonbd::dert_rows(&pareto_params(&params)?, discount_rate, horizon, x, tx, t)
    })?;
    Ok(out.into_pyarray(py))
}

/// Simulated customers: dict of frequency, recency, T, alive, lambda, mu.
#[pyfunction]
fn paretonbd_generate<'py>(
    py: Python<'py>,
    params: Vec<f64>,
    big_t: PyReadonlyArray1<'py, f64>,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let t = big_t.as_slice()?;
    let sims = run(py, || {
        paretonbd::generate(&pareto_params(&params)?, t, seed)
    })?;
    columns_dict(py, ["frequency", "recency", "alive", "lambda", "mu"], &sims)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(ln_hyp2f1, m)?)?;
    m.add_function(wrap_pyfunction!(trigamma, m)?)?;
    m.add_function(wrap_pyfunction!(ln_hyperu, m)?)?;
    m.add_function(wrap_pyfunction!(paretonbd_dert, m)?)?;
    m.add_function(wrap_pyfunction!(paretonbd_generate, m)?)
}
