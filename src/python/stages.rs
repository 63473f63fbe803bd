//! Binding of the lifecycle stage kernels.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::{run, to_pyerr};
use crate::stages::{
    assign_stages, SnapshotIndex, StageInputs, StageParams, REASON_NAMES, STAGE_NAMES,
};
use crate::summary::Freq;

/// Two float columns.
type FloatPair<'py> = (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>);

/// Stage codes and reason codes.
type CodePair<'py> = (Bound<'py, PyArray1<i32>>, Bound<'py, PyArray1<i32>>);

/// A resolved scheme as Python passes it: (new_window, maturity_window, churn_window,
/// at_risk_factor, median_ipt, at_risk_p, churn_p, p_alive_for_one_time, enabled[7]).
#[derive(FromPyObject)]
struct ParamsArg(f64, f64, f64, f64, f64, f64, f64, bool, [bool; 7]);

impl From<ParamsArg> for StageParams {
    fn from(a: ParamsArg) -> StageParams {
        StageParams {
            new_window: a.0,
            maturity_window: a.1,
            churn_window: a.2,
            at_risk_factor: a.3,
            median_ipt: a.4,
            at_risk_p: a.5,
            churn_p: a.6,
            p_alive_for_one_time: a.7,
            enabled: a.8,
        }
    }
}

/// Stage and reason codes (int32) for every row; `T` NaN marks a prospect, `custom` holds the
/// index of the first custom rule that fired (-1: none). See `crate::stages::assign`.
#[pyfunction]
#[pyo3(signature = (repeats, recency, t, gap_before_last, p_alive, custom, params))]
#[allow(clippy::too_many_arguments)]
fn assign_stage_codes<'py>(
    py: Python<'py>,
    repeats: PyReadonlyArray1<'py, f64>,
    recency: PyReadonlyArray1<'py, f64>,
    t: PyReadonlyArray1<'py, f64>,
    gap_before_last: PyReadonlyArray1<'py, f64>,
    p_alive: Option<PyReadonlyArray1<'py, f64>>,
    custom: Option<PyReadonlyArray1<'py, i32>>,
    params: ParamsArg,
) -> PyResult<CodePair<'py>> {
    let params = StageParams::from(params);
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

/// A transaction log sorted once by (customer, period) for a list of snapshot dates; its
/// methods summarise / classify every (customer, snapshot) in one parallel pass.
#[pyclass(name = "SnapshotIndex", module = "clmkit._core", frozen)]
struct PySnapshotIndex {
    inner: SnapshotIndex,
}

#[pymethods]
impl PySnapshotIndex {
    #[new]
    #[pyo3(signature = (codes, n_customers, times_ns, snapshots_ns, freq, freq_multiplier))]
    fn new(
        py: Python<'_>,
        codes: PyReadonlyArray1<'_, i64>,
        n_customers: usize,
        times_ns: PyReadonlyArray1<'_, i64>,
        snapshots_ns: PyReadonlyArray1<'_, i64>,
        freq: &str,
        freq_multiplier: f64,
    ) -> PyResult<Self> {
        let freq = Freq::parse(freq).map_err(to_pyerr)?;
        let (codes, times, snaps) = (
            codes.as_slice()?,
            times_ns.as_slice()?,
            snapshots_ns.as_slice()?,
        );
        let inner = run(py, || {
            SnapshotIndex::build(codes, n_customers, times, snaps, freq, freq_multiplier)
        })?;
        Ok(PySnapshotIndex { inner })
    }

    /// Long columns (customer, snapshot, frequency, recency, T, gap_before_last).
    fn summaries<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let r = run(py, || Ok(self.inner.summaries()))?;
        let out = PyDict::new(py);
        out.set_item("customer", r.customer.into_pyarray(py))?;
        out.set_item("snapshot", r.snapshot.into_pyarray(py))?;
        out.set_item("frequency", r.frequency.into_pyarray(py))?;
        out.set_item("recency", r.recency.into_pyarray(py))?;
        out.set_item("T", r.t.into_pyarray(py))?;
        out.set_item("gap_before_last", r.gap_before_last.into_pyarray(py))?;
        Ok(out)
    }

    /// Long columns (customer, snapshot, stage, reason) without P(alive) or custom rules.
    fn stages<'py>(&self, py: Python<'py>, params: ParamsArg) -> PyResult<Bound<'py, PyDict>> {
        let params = StageParams::from(params);
        let r = run(py, || self.inner.stages(&params))?;
        let out = PyDict::new(py);
        out.set_item("customer", r.customer.into_pyarray(py))?;
        out.set_item("snapshot", r.snapshot.into_pyarray(py))?;
        out.set_item("stage", r.stage.into_pyarray(py))?;
        out.set_item("reason", r.reason.into_pyarray(py))?;
        Ok(out)
    }

    /// (frequency, recency) of every customer present at the last snapshot.
    fn at_last_snapshot<'py>(&self, py: Python<'py>) -> PyResult<FloatPair<'py>> {
        let (f, r) = run(py, || Ok(self.inner.at_last_snapshot()))?;
        Ok((f.into_pyarray(py), r.into_pyarray(py)))
    }

    /// Number of (customer, snapshot) rows.
    fn __len__(&self) -> usize {
        self.inner.n_rows()
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(assign_stage_codes, m)?)?;
    m.add_function(wrap_pyfunction!(stage_rule_names, m)?)?;
    m.add_class::<PySnapshotIndex>()
}
