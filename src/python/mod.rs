//! The only door between Python and the core: argument conversion, GIL release, thread pool,
//! panic capture and error mapping live here; each submodule binds one area of the core.

use std::panic::{catch_unwind, AssertUnwindSafe};

use numpy::IntoPyArray;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::error::ClmError;
use crate::parallel;

mod bgbb;
mod bootstrap;
mod btyd;
mod btyd_hooks;
mod btyd_pareto;
mod clv;
mod rfm;
mod stages;
mod summary;
mod survival;

/// Maps the core's error enum to Python exceptions: the one place this happens. The
/// exception classes are Python's (`clmkit.exceptions`), so they carry their fields as
/// attributes and pickle like any Python exception.
pub(crate) fn to_pyerr(err: ClmError) -> PyErr {
    Python::attach(|py| match public_error(py, &err) {
        Ok(e) => e,
        Err(import_failed) => import_failed,
    })
}

fn public_error(py: Python<'_>, err: &ClmError) -> PyResult<PyErr> {
    let exceptions = py.import("clmkit.exceptions")?;
    let instance = match err {
        ClmError::InvalidValue {
            arg,
            row,
            value,
            reason,
        } => exceptions.getattr("InvalidValueError")?.call1((
            arg.as_str(),
            *row,
            value.as_str(),
            reason.as_str(),
        ))?,
        ClmError::Convergence {
            params, grad_norm, ..
        } => exceptions.getattr("ConvergenceError")?.call1((
            err.to_string(),
            params.clone(),
            *grad_norm,
        ))?,
        ClmError::LengthMismatch(_) | ClmError::InvalidArgument(_) => {
            return Ok(PyValueError::new_err(bounded(&err.to_string())));
        }
    };
    Ok(PyErr::from_value(instance))
}

/// Messages are bounded: a huge value quoted in an error must not make a huge message.
fn bounded(text: &str) -> String {
    const LIMIT: usize = 500;
    if text.chars().count() <= LIMIT {
        return text.to_string();
    }
    let head: String = text.chars().take(LIMIT / 2).collect();
    let tail: Vec<char> = text.chars().rev().take(LIMIT / 2 - 1).collect();
    format!("{head}…{}", tail.into_iter().rev().collect::<String>())
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

/// Runs core work with the GIL released inside clmkit's thread pool. A panic anywhere in it
/// (including rayon workers) becomes a `RuntimeError`, never an abort.
pub(crate) fn run<T: Send>(
    py: Python<'_>,
    work: impl FnOnce() -> crate::Result<T> + Send,
) -> PyResult<T> {
    let outcome = py.detach(|| catch_unwind(AssertUnwindSafe(|| parallel::install(work))));
    match outcome {
        Ok(Ok(Ok(value))) => Ok(value),
        Ok(Ok(Err(err))) | Ok(Err(err)) => Err(to_pyerr(err)),
        Err(payload) => Err(PyRuntimeError::new_err(format!(
            "internal error in clmkit's Rust core (please report it): {}",
            panic_message(payload)
        ))),
    }
}

/// Simulated customers (one fixed-width row each) as a dict of column arrays named `names`.
pub(crate) fn columns_dict<'py, const N: usize>(
    py: Python<'py>,
    names: [&str; N],
    rows: &[[f64; N]],
) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    for (k, name) in names.iter().enumerate() {
        let column: Vec<f64> = rows.iter().map(|c| c[k]).collect();
        out.set_item(*name, column.into_pyarray(py))?;
    }
    Ok(out)
}

/// Sets the number of threads clmkit's kernels use (overrides CLMKIT_NUM_THREADS).
#[pyfunction]
fn set_num_threads(n: usize) -> PyResult<()> {
    parallel::set_num_threads(n).map_err(to_pyerr)
}

/// Returns the number of threads clmkit's kernels use.
#[pyfunction]
fn get_num_threads() -> usize {
    parallel::num_threads()
}

/// Panics inside the pool on purpose, so tests can check that panics become exceptions.
#[pyfunction]
fn _panic_for_test(py: Python<'_>) -> PyResult<()> {
    run(py, || -> crate::Result<()> {
        panic!("deliberate test panic")
    })
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(get_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_for_test, m)?)?;
    rfm::register(m)?;
    summary::register(m)?;
    survival::register(m)?;
    stages::register(m)?;
    btyd::register(m)?;
    btyd_pareto::register(m)?;
    bgbb::register(m)?;
    bootstrap::register(m)?;
    btyd_hooks::register(m)?;
    clv::register(m)?;
    Ok(())
}
