//! Binding of the survival models, the concordance index and the churn data set.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;

use super::{run, to_pyerr};
use crate::summary::Freq;
use crate::survival::churn_dataset::{churn_dataset, ChurnOptions};
use crate::survival::concordance::concordance_counts;
use crate::survival::cox::{fit_cox_design, CoxOptions, Ties};
use crate::survival::design::{check_design_size, standardize};
use crate::survival::events::Events;
use crate::survival::kaplan_meier::{
    add_origin_row, event_table, kaplan_meier, CiTransform, EventTable,
};
use crate::survival::nelson_aalen::nelson_aalen;
use crate::survival::weibull::fit_weibull;

type F64s<'py> = PyReadonlyArray1<'py, f64>;
/// (params, information (row-major), log-likelihood, iterations) of a Weibull fit.
type WeibullTuple<'py> = (
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    f64,
    usize,
);

/// Event table and estimate of a Kaplan-Meier or Nelson-Aalen fit, on the table's times.
#[pyclass(frozen, module = "clmkit._core")]
pub(crate) struct CurveFit {
    #[pyo3(get)]
    times: Py<PyArray1<f64>>,
    #[pyo3(get)]
    removed: Py<PyArray1<f64>>,
    #[pyo3(get)]
    observed: Py<PyArray1<f64>>,
    #[pyo3(get)]
    censored: Py<PyArray1<f64>>,
    #[pyo3(get)]
    entrance: Py<PyArray1<f64>>,
    #[pyo3(get)]
    at_risk: Py<PyArray1<f64>>,
    /// S(t) (Kaplan-Meier) or H(t) (Nelson-Aalen).
    #[pyo3(get)]
    estimate: Py<PyArray1<f64>>,
    /// Greenwood's sum (Var log S / ...) or Var H.
    #[pyo3(get)]
    variance: Py<PyArray1<f64>>,
    #[pyo3(get)]
    lower: Py<PyArray1<f64>>,
    #[pyo3(get)]
    upper: Py<PyArray1<f64>>,
}

type Curve = (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>);

fn curve_fit(py: Python<'_>, t: EventTable, c: Curve) -> CurveFit {
    let arr = |v: Vec<f64>| v.into_pyarray(py).unbind();
    CurveFit {
        times: arr(t.times),
        removed: arr(t.removed),
        observed: arr(t.observed),
        censored: arr(t.censored),
        entrance: arr(t.entrance),
        at_risk: arr(t.at_risk),
        estimate: arr(c.0),
        variance: arr(c.1),
        lower: arr(c.2),
        upper: arr(c.3),
    }
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

/// The event table of (durations, events, weights, entry), with lifelines' time-0
/// row when there is no left truncation, and `curve` computed from it (both in the core, GIL
/// released).
fn event_table_and<'py, C: Send>(
    py: Python<'py>,
    durations: &F64s<'py>,
    events: Option<&EventArray<'py>>,
    weights: Option<&F64s<'py>>,
    entry: Option<&F64s<'py>>,
    curve: impl FnOnce(&EventTable) -> C + Send,
) -> PyResult<(EventTable, C)> {
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
    Ok((table, c))
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
) -> PyResult<CurveFit> {
    let transform = CiTransform::parse(ci_transform).map_err(to_pyerr)?;
    let (table, c) = event_table_and(
        py,
        &durations,
        events.as_ref(),
        weights.as_ref(),
        entry.as_ref(),
        |t| kaplan_meier(t, z, transform),
    )?;
    Ok(curve_fit(
        py,
        table,
        (c.survival, c.greenwood, c.lower, c.upper),
    ))
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
) -> PyResult<CurveFit> {
    let (table, h) = event_table_and(
        py,
        &durations,
        events.as_ref(),
        weights.as_ref(),
        entry.as_ref(),
        |t| nelson_aalen(t, z),
    )?;
    Ok(curve_fit(
        py,
        table,
        (h.cumulative_hazard, h.variance, h.lower, h.upper),
    ))
}

/// A Cox fit on the caller's covariates (standardised inside), results on the caller's scale.
#[pyclass(frozen, module = "clmkit._core")]
pub(crate) struct CoxResult {
    #[pyo3(get)]
    params: Py<PyArray1<f64>>,
    #[pyo3(get)]
    standard_errors: Py<PyArray1<f64>>,
    /// Row-major p x p.
    #[pyo3(get)]
    covariance: Py<PyArray1<f64>>,
    #[pyo3(get)]
    mean: Py<PyArray1<f64>>,
    #[pyo3(get)]
    train_log_hazard: Py<PyArray1<f64>>,
    #[pyo3(get)]
    log_likelihood: f64,
    #[pyo3(get)]
    n_iter: usize,
    #[pyo3(get)]
    baseline_stratum: Py<PyArray1<i64>>,
    #[pyo3(get)]
    baseline_time: Py<PyArray1<f64>>,
    #[pyo3(get)]
    baseline_hazard: Py<PyArray1<f64>>,
}

/// Cox PH fit on raw covariates (n x p, C order) named by `names` (quoted as the caller
/// prints them); size, constant and collinear columns checked before the fit.
#[pyfunction]
#[pyo3(signature = (x, names, durations, events, weights, strata, ties, penalizer, l1_ratio, max_iter))]
#[allow(clippy::too_many_arguments)]
fn cox_fit<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    names: Vec<String>,
    durations: F64s<'py>,
    events: F64s<'py>,
    weights: Option<F64s<'py>>,
    strata: Option<PyReadonlyArray1<'py, i64>>,
    ties: &str,
    penalizer: f64,
    l1_ratio: f64,
    max_iter: usize,
) -> PyResult<CoxResult> {
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
    let m = run(py, || fit_cox_design(xs, p, &names, d, e, w, s, &opts))?;
    let arr = |v: Vec<f64>| v.into_pyarray(py).unbind();
    let fit = m.standardized;
    Ok(CoxResult {
        params: arr(m.params),
        standard_errors: arr(m.standard_errors),
        covariance: arr(m.covariance),
        mean: arr(m.mean),
        train_log_hazard: arr(m.train_log_hazard),
        log_likelihood: fit.log_likelihood,
        n_iter: fit.n_iter,
        baseline_stratum: fit.baseline_stratum.into_pyarray(py).unbind(),
        baseline_time: arr(fit.baseline_time),
        baseline_hazard: arr(fit.baseline_hazard),
    })
}

/// Checks an n x `len(names)` design (size, constant and, unless `allow_collinear`, collinear
/// columns) and returns the column means.
#[pyfunction]
#[pyo3(signature = (x, names, allow_collinear, hint))]
fn check_covariates<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    names: Vec<String>,
    allow_collinear: bool,
    hint: &str,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let p = x.shape()[1];
    let xs = x.as_slice()?;
    let mean = run(py, || {
        let s = standardize(xs, p)?;
        s.check_identifiable(xs, &names, allow_collinear, hint)?;
        Ok(s.mean)
    })?;
    Ok(mean.into_pyarray(py))
}

/// Refuses an n x p design too large to fit, before the caller builds it.
#[pyfunction]
fn check_design_shape(n: usize, p: usize, arg: &str) -> PyResult<()> {
    check_design_size(n, p, arg).map_err(to_pyerr)
}

/// Weibull AFT fit: design n x k (C order) with an intercept column at `intercept`; returns
/// (params, information (row-major), log-likelihood, iterations).
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
) -> PyResult<WeibullTuple<'py>> {
    let k = x.shape()[1];
    let xs = x.as_slice()?;
    let (d, e) = (durations.as_slice()?, events.as_slice()?);
    let w = weights.as_ref().map(|w| w.as_slice()).transpose()?;
    let fit = run(py, || fit_weibull(xs, k, intercept, d, e, w, max_iter))?;
    Ok((
        fit.params.into_pyarray(py),
        fit.information.into_pyarray(py),
        fit.log_likelihood,
        fit.n_iter,
    ))
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

/// A churn data set: one row per customer code, in code order.
#[pyclass(frozen, module = "clmkit._core")]
pub(crate) struct ChurnTable {
    #[pyo3(get)]
    customer: Py<PyArray1<i64>>,
    #[pyo3(get)]
    duration: Py<PyArray1<f64>>,
    #[pyo3(get)]
    event: Py<PyArray1<f64>>,
    #[pyo3(get)]
    first_purchase_ns: Py<PyArray1<i64>>,
    #[pyo3(get)]
    last_purchase_ns: Py<PyArray1<i64>>,
    #[pyo3(get)]
    frequency: Py<PyArray1<f64>>,
    #[pyo3(get)]
    recency: Py<PyArray1<f64>>,
    #[pyo3(get)]
    monetary_value: Py<PyArray1<f64>>,
    #[pyo3(get)]
    first_value: Py<PyArray1<f64>>,
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
) -> PyResult<ChurnTable> {
    let opts = ChurnOptions {
        freq: Freq::parse(freq).map_err(to_pyerr)?,
        observation_end_ns,
        threshold,
        window,
    };
    let (c, t) = (codes.as_slice()?, times_ns.as_slice()?);
    let v = values.as_ref().map(|v| v.as_slice()).transpose()?;
    let d = run(py, || churn_dataset(c, n_customers, t, v, &opts))?;
    let f = |v: Vec<f64>| v.into_pyarray(py).unbind();
    let i = |v: Vec<i64>| v.into_pyarray(py).unbind();
    Ok(ChurnTable {
        customer: i(d.customer),
        duration: f(d.duration),
        event: f(d.event),
        first_purchase_ns: i(d.first_purchase_ns),
        last_purchase_ns: i(d.last_purchase_ns),
        frequency: f(d.frequency),
        recency: f(d.recency),
        monetary_value: f(d.monetary_value),
        first_value: f(d.first_value),
    })
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(km_fit, m)?)?;
    m.add_function(wrap_pyfunction!(na_fit, m)?)?;
    m.add_function(wrap_pyfunction!(cox_fit, m)?)?;
    m.add_class::<CurveFit>()?;
    m.add_class::<CoxResult>()?;
    m.add_class::<ChurnTable>()?;
    m.add_function(wrap_pyfunction!(check_covariates, m)?)?;
    m.add_function(wrap_pyfunction!(check_design_shape, m)?)?;
    m.add_function(wrap_pyfunction!(weibull_fit, m)?)?;
    m.add_function(wrap_pyfunction!(concordance_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(churn_dataset_codes, m)?)
}
