//! Bindings of the special functions behind the Pareto/NBD model (exposed for testing against
//! scipy). Its predictions, DERT and simulation included, are methods of `BtydFit`.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use crate::error::{check_same_length, Result};
use crate::numeric::hypergeometric;
use crate::parallel;
use crate::python::run;

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

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(ln_hyp2f1, m)?)?;
    m.add_function(wrap_pyfunction!(trigamma, m)?)?;
    m.add_function(wrap_pyfunction!(ln_hyperu, m)?)
}
