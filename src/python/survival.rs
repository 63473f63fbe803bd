//! Binding of the survival models, the concordance index and the churn data set.

use numpy::{IntoPyArray, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::{run, to_pyerr};
use crate::summary::Freq;
use crate::survival::churn_dataset::{churn_dataset, ChurnOptions};
use crate::survival::concordance::concordance_counts;
use crate::survival::cox::{fit_cox, standardize, CoxOptions, Ties};
use crate::survival::events::Events;
use crate::survival::kaplan_meier::{
    add_origin_row, event_table, kaplan_meier, CiTransform, EventTable,
};
use crate::survival::nelson_aalen::nelson_aalen;
use crate::survival::weibull::fit_weibull;

type F64s<'py> = PyReadonlyArray1<'py, f64>;

fn table_dict<'py>(py: Python<'py>, t: EventTable) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    out.set_item("times", t.times.into_pyarray(py))?;
    out.set_item("removed", t.removed.into_pyarray(py))?;
    out.set_item("observed", t.observed.into_pyarray(py))?;
    out.set_item("censored", t.censored.into_pyarray(py))?;
    out.set_item("entrance", t.entrance.into_pyarray(py))?;
    out.set_item("at_risk", t.at_risk.into_pyarray(py))?;
    Ok(out)
}

/// An event-indicator array in the dtype the caller holds (read in place by the core).
#[derive(FromPyObject)]
enum EventArray<'py> {
    F64(PyReadonlyArray1<'py, f64>),
    I64(PyReadonlyArray1<'py, i64>),
    I32(PyReadonlyArray1<'py, i32>),
    /// numpy bool viewed as uint8 by the caller (no Rust `bool` over bytes numpy may hold as 2..255)
    Bool(PyReadonlyArray1<'py, u8>),
}

impl<'py> EventArray<'py> {
    fn events(&self) -> PyResult<Events<'_>> {
        Ok(match self {
            EventArray::F64(a) => Events::F64(a.as_slice()?),
            EventArray::I64(a) => Events::I64(a.as_slice()?),
            EventArray::I32(a) => Events::I32(a.as_slice()?),
            EventArray::Bool(a) => Events::Bool(a.as_slice()?),
        })
    }
}

/// The event table of (durations, events, weights, entry) as a dict, with lifelines' time-0
/// row when there is no left truncation, and `curve` computed from it (both in the core, GIL
/// released).
fn event_table_and<'py, C: Send>(
    py: Python<'py>,
    durations: &F64s<'py>,
    events: Option<&EventArray<'py>>,
    weights: Option<&F64s<'py>>,
    entry: Option<&F64s<'py>>,
    curve: impl FnOnce(&EventTable) -> C + Send,
) -> PyResult<(Bound<'py, PyDict>, C)> {
    let d = durations.as_slice()?;
    let e = events
        .map(|e| e.events())
        .transpose()?
        .unwrap_or(Events::All);
    let w = weights.map(|w| w.as_slice()).transpose()?;
    let en = entry.map(|x| x.as_slice()).transpose()?;
    let (table, c) = run(py, || {
        let mut table = event_table(d, e, w, en)?;
        if en.is_none() {
            add_origin_row(&mut table);
        }
        let c = curve(&table);
        Ok((table, c))
    })?;
    Ok((table_dict(py, table)?, c))
}

/// Event table and Kaplan-Meier curve with Greenwood variance and pointwise bounds.
#[pyfunction]
#[pyo3(signature = (durations, events, weights, entry, z, ci_transform))]
fn km_fit<'py>(
    py: Python<'py>,
    durations: F64s<'py>,
    events: Option<EventArray<'py>>,
    weights: Option<F64s<'py>>,
    entry: Option<F64s<'py>>,
    z: f64,
    ci_transform: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let transform = CiTransform::parse(ci_transform).map_err(to_pyerr)?;
    let (out, curve) = event_table_and(
        py,
        &durations,
        events.as_ref(),
        weights.as_ref(),
        entry.as_ref(),
        |t| kaplan_meier(t, z, transform),
    )?;
    out.set_item("survival", curve.survival.into_pyarray(py))?;
    out.set_item("greenwood", curve.greenwood.into_pyarray(py))?;
    out.set_item("lower", curve.lower.into_pyarray(py))?;
    out.set_item("upper", curve.upper.into_pyarray(py))?;
    Ok(out)
}

/// Event table and Nelson-Aalen cumulative hazard with variance and log-transformed bounds.
#[pyfunction]
#[pyo3(signature = (durations, events, weights, entry, z))]
fn na_fit<'py>(
    py: Python<'py>,
    durations: F64s<'py>,
    events: Option<EventArray<'py>>,
    weights: Option<F64s<'py>>,
    entry: Option<F64s<'py>>,
    z: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let (out, h) = event_table_and(
        py,
        &durations,
        events.as_ref(),
        weights.as_ref(),
        entry.as_ref(),
        |t| nelson_aalen(t, z),
    )?;
    out.set_item("cumulative_hazard", h.cumulative_hazard.into_pyarray(py))?;
    out.set_item("variance", h.variance.into_pyarray(py))?;
    out.set_item("lower", h.lower.into_pyarray(py))?;
    out.set_item("upper", h.upper.into_pyarray(py))?;
    Ok(out)
}

/// Cox PH fit on standardised covariates (n x p, C order).
#[pyfunction]
#[pyo3(signature = (x, durations, events, weights, strata, ties, penalizer, l1_ratio, max_iter))]
#[allow(clippy::too_many_arguments)]
fn cox_fit<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    durations: F64s<'py>,
    events: F64s<'py>,
    weights: Option<F64s<'py>>,
    strata: Option<PyReadonlyArray1<'py, i64>>,
    ties: &str,
    penalizer: f64,
    l1_ratio: f64,
    max_iter: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let opts = CoxOptions {
        ties: Ties::parse(ties).map_err(to_pyerr)?,
        penalizer,
        l1_ratio,
        max_iter,
    };
    let p = x.shape()[1];
    let xs = x.as_slice()?;
    let (d, e) = (durations.as_slice()?, events.as_slice()?);
    let w = weights.as_ref().map(|w| w.as_slice()).transpose()?;
    let s = strata.as_ref().map(|s| s.as_slice()).transpose()?;
    let fit = run(py, || fit_cox(xs, p, d, e, w, s, &opts))?;
    let out = PyDict::new(py);
    out.set_item("params", fit.params.into_pyarray(py))?;
    out.set_item("information", fit.information.into_pyarray(py))?;
    out.set_item("log_likelihood", fit.log_likelihood)?;
    out.set_item("n_iter", fit.n_iter)?;
    out.set_item("baseline_stratum", fit.baseline_stratum.into_pyarray(py))?;
    out.set_item("baseline_time", fit.baseline_time.into_pyarray(py))?;
    out.set_item("baseline_hazard", fit.baseline_hazard.into_pyarray(py))?;
    Ok(out)
}

/// Standardised covariates (n x p, C order) with column means, sd (ddof = 1) and Gram matrix.
#[pyfunction]
fn standardize_columns<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
) -> PyResult<Bound<'py, PyDict>> {
    let (n, p) = (x.shape()[0], x.shape()[1]);
    let xs = x.as_slice()?;
    let s = run(py, || standardize(xs, p))?;
    let out = PyDict::new(py);
    let z = numpy::ndarray::Array2::from_shape_vec((n, p), s.z)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    out.set_item("z", z.into_pyarray(py))?;
    out.set_item("mean", s.mean.into_pyarray(py))?;
    out.set_item("std", s.std.into_pyarray(py))?;
    out.set_item("gram", s.gram.into_pyarray(py))?;
    Ok(out)
}

/// Weibull AFT fit: design n x k (C order) with an intercept column at `intercept`.
#[pyfunction]
#[pyo3(signature = (x, intercept, durations, events, weights, max_iter))]
fn weibull_fit<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    intercept: usize,
    durations: F64s<'py>,
    events: F64s<'py>,
    weights: Option<F64s<'py>>,
    max_iter: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let k = x.shape()[1];
    let xs = x.as_slice()?;
    let (d, e) = (durations.as_slice()?, events.as_slice()?);
    let w = weights.as_ref().map(|w| w.as_slice()).transpose()?;
    let fit = run(py, || fit_weibull(xs, k, intercept, d, e, w, max_iter))?;
    let out = PyDict::new(py);
    out.set_item("params", fit.params.into_pyarray(py))?;
    out.set_item("information", fit.information.into_pyarray(py))?;
    out.set_item("log_likelihood", fit.log_likelihood)?;
    out.set_item("n_iter", fit.n_iter)?;
    Ok(out)
}

/// (concordant, tied, comparable) pair counts, lifelines' convention.
#[pyfunction]
fn concordance_pairs<'py>(
    py: Python<'py>,
    durations: F64s<'py>,
    scores: F64s<'py>,
    events: F64s<'py>,
) -> PyResult<(u64, u64, u64)> {
    let (d, s, e) = (
        durations.as_slice()?,
        scores.as_slice()?,
        events.as_slice()?,
    );
    let c = run(py, || concordance_counts(d, s, e))?;
    Ok((c.concordant, c.tied, c.pairs))
}

/// Churn data set from dense customer codes and int64 ns timestamps.
#[pyfunction]
#[pyo3(signature = (codes, n_customers, times_ns, values, freq, observation_end_ns, threshold, window))]
#[allow(clippy::too_many_arguments)]
fn churn_dataset_codes<'py>(
    py: Python<'py>,
    codes: PyReadonlyArray1<'py, i64>,
    n_customers: usize,
    times_ns: PyReadonlyArray1<'py, i64>,
    values: Option<F64s<'py>>,
    freq: &str,
    observation_end_ns: i64,
    threshold: f64,
    window: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let opts = ChurnOptions {
        freq: Freq::parse(freq).map_err(to_pyerr)?,
        observation_end_ns,
        threshold,
        window,
    };
    let (c, t) = (codes.as_slice()?, times_ns.as_slice()?);
    let v = values.as_ref().map(|v| v.as_slice()).transpose()?;
    let d = run(py, || churn_dataset(c, n_customers, t, v, &opts))?;
    let out = PyDict::new(py);
    out.set_item("customer", d.customer.into_pyarray(py))?;
    out.set_item("duration", d.duration.into_pyarray(py))?;
    out.set_item("event", d.event.into_pyarray(py))?;
    out.set_item("first_purchase_ns", d.first_purchase_ns.into_pyarray(py))?;
    out.set_item("last_purchase_ns", d.last_purchase_ns.into_pyarray(py))?;
    out.set_item("frequency", d.frequency.into_pyarray(py))?;
    out.set_item("recency", d.recency.into_pyarray(py))?;
    out.set_item("monetary_value", d.monetary_value.into_pyarray(py))?;
    out.set_item("first_value", d.first_value.into_pyarray(py))?;
    Ok(out)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(km_fit, m)?)?;
    m.add_function(wrap_pyfunction!(na_fit, m)?)?;
    m.add_function(wrap_pyfunction!(cox_fit, m)?)?;
    m.add_function(wrap_pyfunction!(standardize_columns, m)?)?;
    m.add_function(wrap_pyfunction!(weibull_fit, m)?)?;
    m.add_function(wrap_pyfunction!(concordance_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(churn_dataset_codes, m)?)
}
