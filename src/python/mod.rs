//! The only door between Python and the core: argument conversion, GIL release, thread pool,
//! panic capture and error mapping live here; each submodule binds one area of the core.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use numpy::IntoPyArray;
use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::types::{PyBool, PyInt};

use crate::error::ClmError;
use crate::parallel;

mod btyd;
mod clv;
mod contractual;
mod numeric;
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
        ClmError::Interrupted => return Ok(PyKeyboardInterrupt::new_err("interrupted")),
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

/// How often a waiting call looks for Ctrl-C (Python runs signal handlers only when asked).
const SIGNAL_POLL: Duration = Duration::from_millis(100);

/// Calls in flight, so an interrupt request is cleared only when none is running.
static ACTIVE: AtomicUsize = AtomicUsize::new(0);

/// Runs core work with the GIL released inside clmkit's thread pool.
///
/// The work runs on a helper thread while this one waits and, every [`SIGNAL_POLL`], lets
/// Python run its signal handlers: on Ctrl-C the core is asked to stop (loops poll
/// [`parallel::check_interrupt`]), the work is joined (it borrows the caller's arrays, so
/// it must end before we return) and `KeyboardInterrupt` is raised. A panic anywhere
/// (including rayon workers) becomes a `RuntimeError`, never an abort.
pub(crate) fn run<T: Send>(
    py: Python<'_>,
    work: impl FnOnce() -> crate::Result<T> + Send,
) -> PyResult<T> {
    if ACTIVE.fetch_add(1, Ordering::SeqCst) == 0 {
        parallel::clear_interrupt();
    }
    let (outcome, signal) = py.detach(|| {
        std::thread::scope(|scope| {
            let (done, finished) = mpsc::channel();
            scope.spawn(move || {
                let result = catch_unwind(AssertUnwindSafe(|| parallel::install(work)));
                let _ = done.send(result);
            });
            let mut signal: Option<PyErr> = None;
            loop {
                match finished.recv_timeout(SIGNAL_POLL) {
                    Ok(result) => return (Some(result), signal),
                    Err(mpsc::RecvTimeoutError::Disconnected) => return (None, signal),
                    Err(mpsc::RecvTimeoutError::Timeout) if signal.is_none() => {
                        if let Err(err) = Python::attach(|py| py.check_signals()) {
                            parallel::request_interrupt();
                            signal = Some(err);
                        }
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                }
            }
        })
    });
    ACTIVE.fetch_sub(1, Ordering::SeqCst);
    if let Some(err) = signal {
        return Err(err);
    }
    match outcome {
        Some(Ok(Ok(Ok(value)))) => Ok(value),
        Some(Ok(Ok(Err(err)))) | Some(Ok(Err(err))) => Err(to_pyerr(err)),
        Some(Err(payload)) => Err(PyRuntimeError::new_err(format!(
            "internal error in clmkit's Rust core (please report it): {}",
            panic_message(payload)
        ))),
        None => Err(PyRuntimeError::new_err(
            "internal error in clmkit's Rust core: the worker ended without a result",
        )),
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

/// Sets the number of threads clmkit's kernels use, 1 to 1024 (overrides CLMKIT_NUM_THREADS).
#[pyfunction]
fn set_num_threads(n: &Bound<'_, PyAny>) -> PyResult<()> {
    if n.is_instance_of::<PyBool>() || !n.is_instance_of::<PyInt>() {
        return Err(PyTypeError::new_err(format!(
            "n must be an int, got {}",
            n.get_type().name()?
        )));
    }
    let count = n
        .extract::<i64>()
        .ok()
        .and_then(|v| usize::try_from(v).ok())
        .filter(|&v| (1..=parallel::MAX_THREADS).contains(&v))
        .ok_or_else(|| {
            PyValueError::new_err(format!(
                "n must be from 1 to {}, got {}",
                parallel::MAX_THREADS,
                bounded(&n.to_string())
            ))
        })?;
    parallel::set_num_threads(count).map_err(to_pyerr)
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

/// Works for `seconds` while polling for interrupts, so tests can check that Ctrl-C stops a
/// long computation promptly.
#[pyfunction]
fn _busy_for_test(py: Python<'_>, seconds: f64) -> PyResult<()> {
    let limit = Duration::from_secs_f64(seconds.clamp(0.0, 60.0));
    run(py, move || {
        let start = std::time::Instant::now();
        while start.elapsed() < limit {
            parallel::check_interrupt()?;
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(())
    })
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(get_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_for_test, m)?)?;
    m.add_function(wrap_pyfunction!(_busy_for_test, m)?)?;
    rfm::register(m)?;
    summary::register(m)?;
    survival::register(m)?;
    stages::register(m)?;
    btyd::register(m)?;
    clv::register(m)?;
    contractual::register(m)?;
    numeric::register(m)?;
    Ok(())
}
