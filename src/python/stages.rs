//! Binding of the lifecycle stage kernels.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::{run, to_pyerr};
use crate::stages::{assign_stages, snapshot_summaries, StageInputs, StageParams, REASON_NAMES, STAGE_NAMES};
use crate::summary::Freq;

/// Stage and reason codes (int32) for every row; `T` NaN marks a prospect, `custom` holds the
/// index of the first custom rule that fired (-1: none). See `crate::stages::assign`.
#[pyfunction]
#[pyo3(signature = (repeats, recency, t, gap_before_last, p_alive, custom, new_window, maturity_window,
                    churn_window, at_risk_factor, median_ipt, at_risk_p, churn_p, p_alive_for_one_time, enabled))]
#[allow(clippy::too_many_arguments)]
fn assign_stage_codes<'py>(
    py: Python<'py>,
    repeats: PyReadonlyArray1<'py, f64>,
    recency: PyReadonlyArray1<'py, f64>,
    t: PyReadonlyArray1<'py, f64>,
    gap_before_last: PyReadonlyArray1<'py, f64>,
    p_alive: Option<PyReadonlyArray1<'py, f64>>,
    custom: Option<PyReadonlyArray1<'py, i32>>,
    new_window: f64,
    maturity_window: f64,
    churn_window: f64,
    at_risk_factor: f64,
    median_ipt: f64,
    at_risk_p: f64,
    churn_p: f64,
    p_alive_for_one_time: bool,
    enabled: [bool; 7],
) -> PyResult<(Bound<'py, PyArray1<i32>>, Bound<'py, PyArray1<i32>>)> {
    let params = StageParams {
        new_window,
        maturity_window,
        churn_window,
        at_risk_factor,
        median_ipt,
        at_risk_p,
        churn_p,
        p_alive_for_one_time,
        enabled,
    };
    let inputs = StageInputs {
        repeats: repeats.as_slice()?,
        recency: recency.as_slice()?,
        t: t.as_slice()?,
        gap_before_last: gap_before_last.as_slice()?,
        p_alive: p_alive.as_ref().map(|v| v.as_slice()).transpose()?,
        custom: custom.as_ref().map(|v| v.as_slice()).transpose()?,
    };
    let (stages, reasons) = run(py, || assign_stages(&inputs, &params))?;
    Ok((stages.into_pyarray(py), reasons.into_pyarray(py)))
}

/// Names of the built-in stages and of the reasons, in code order.
#[pyfunction]
fn stage_rule_names() -> (Vec<&'static str>, Vec<&'static str>) {
    (STAGE_NAMES.to_vec(), REASON_NAMES.to_vec())
}

/// Summaries at every snapshot (strictly increasing ns) from one sort of the log; a dict of
/// long columns sorted by (customer, snapshot).
#[pyfunction]
#[pyo3(signature = (codes, n_customers, times_ns, snapshots_ns, freq, freq_multiplier))]
fn snapshot_summary_codes<'py>(
    py: Python<'py>,
    codes: PyReadonlyArray1<'py, i64>,
    n_customers: usize,
    times_ns: PyReadonlyArray1<'py, i64>,
    snapshots_ns: PyReadonlyArray1<'py, i64>,
    freq: &str,
    freq_multiplier: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let freq = Freq::parse(freq).map_err(to_pyerr)?;
    let codes = codes.as_slice()?;
    let times = times_ns.as_slice()?;
    let snaps = snapshots_ns.as_slice()?;
    let r = run(py, || snapshot_summaries(codes, n_customers, times, snaps, freq, freq_multiplier))?;
    let out = PyDict::new(py);
    out.set_item("customer", r.customer.into_pyarray(py))?;
    out.set_item("snapshot", r.snapshot.into_pyarray(py))?;
    out.set_item("frequency", r.frequency.into_pyarray(py))?;
    out.set_item("recency", r.recency.into_pyarray(py))?;
    out.set_item("T", r.t.into_pyarray(py))?;
    out.set_item("gap_before_last", r.gap_before_last.into_pyarray(py))?;
    out.set_item("n_periods", r.n_periods.into_pyarray(py))?;
    Ok(out)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(assign_stage_codes, m)?)?;
    m.add_function(wrap_pyfunction!(stage_rule_names, m)?)?;
    m.add_function(wrap_pyfunction!(snapshot_summary_codes, m)?)
}
