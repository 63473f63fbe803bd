//! Binding of the lifecycle stage kernels.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use super::btyd::BtydFit;
use super::{run, to_pyerr};
use crate::stages::reasons::{self, NumberKind};
use crate::stages::{
    assign_stages, SnapshotIndex, StageInputs, StageParams, REASON_NAMES, STAGE_NAMES,
};
use crate::summary::Freq;

/// Two float columns.
type FloatPair<'py> = (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>);

/// Stage and reason codes.
type CodePair<'py> = (Bound<'py, PyArray1<i32>>, Bound<'py, PyArray1<i32>>);

/// A resolved stage scheme's thresholds, built once from keyword arguments and validated
/// (the error names the bad threshold); every stage kernel takes it.
#[pyclass(name = "StageParams", module = "clmkit._core", frozen, from_py_object)]
#[derive(Clone)]
struct PyStageParams {
    inner: StageParams,
}

#[pymethods]
impl PyStageParams {
    #[new]
    #[pyo3(signature = (*, new_window, maturity_window, churn_window, at_risk_factor,
        churn_factor, median_ipt, at_risk_p, churn_p, p_alive_for_one_time, enabled))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        new_window: f64,
        maturity_window: f64,
        churn_window: Option<f64>,
        at_risk_factor: f64,
        churn_factor: f64,
        median_ipt: f64,
        at_risk_p: f64,
        churn_p: f64,
        p_alive_for_one_time: bool,
        enabled: [bool; 7],
    ) -> PyResult<Self> {
        let inner = StageParams {
            new_window,
            maturity_window,
            churn_window,
            at_risk_factor,
            churn_factor,
            median_ipt,
            at_risk_p,
            churn_p,
            p_alive_for_one_time,
            enabled,
        };
        inner.validate().map_err(to_pyerr)?;
        Ok(PyStageParams { inner })
    }
}

/// Summaries of every (customer, snapshot) row, sorted by customer then snapshot.
#[pyclass(name = "SnapshotSummaries", module = "clmkit._core", frozen, get_all)]
struct PySnapshotSummaries {
    customer: Py<PyArray1<i64>>,
    snapshot: Py<PyArray1<i32>>,
    frequency: Py<PyArray1<f64>>,
    recency: Py<PyArray1<f64>>,
    #[pyo3(name = "T")]
    t: Py<PyArray1<f64>>,
    gap_before_last: Py<PyArray1<f64>>,
}

/// Stages of every (customer, snapshot) row, in the order of `SnapshotSummaries`; with a
/// model, its P(alive) of each row (else None).
#[pyclass(name = "SnapshotStages", module = "clmkit._core", frozen, get_all)]
struct PySnapshotStages {
    customer: Py<PyArray1<i64>>,
    snapshot: Py<PyArray1<i32>>,
    stage: Py<PyArray1<i32>>,
    reason: Py<PyArray1<i32>>,
    p_alive: Option<Py<PyArray1<f64>>>,
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
    params: PyRef<'py, PyStageParams>,
) -> PyResult<CodePair<'py>> {
    let params = params.inner.clone();
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

/// Reason texts with their numbers: a category code per row and the distinct texts (see
/// `crate::stages::reasons`). `probability[k]` says whether template k's `{a}` is a P(alive).
#[pyfunction]
#[allow(clippy::too_many_arguments)] // one array per number of the templates, as in the kernel
fn stage_reason_texts<'py>(
    py: Python<'py>,
    codes: PyReadonlyArray1<'py, i32>,
    a: PyReadonlyArray1<'py, f64>,
    b: PyReadonlyArray1<'py, f64>,
    c: PyReadonlyArray1<'py, f64>,
    templates: Vec<String>,
    probability: Vec<bool>,
    unit: &str,
) -> PyResult<(Bound<'py, PyArray1<i32>>, Vec<String>)> {
    let (codes, a, b, c) = (
        codes.as_slice()?,
        a.as_slice()?,
        b.as_slice()?,
        c.as_slice()?,
    );
    let kinds: Vec<NumberKind> = probability
        .iter()
        .map(|&p| {
            if p {
                NumberKind::Probability
            } else {
                NumberKind::Duration
            }
        })
        .collect();
    let (out, texts) = run(py, || {
        reasons::reason_texts(codes, a, b, c, &templates, &kinds, unit)
    })?;
    Ok((out.into_pyarray(py), texts))
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

    /// Every (customer, snapshot) summary; refused (naming `snapshots`) when the rows
    /// would exceed `crate::stages::history::MAX_ROWS` or memory.
    fn summaries(&self, py: Python<'_>) -> PyResult<PySnapshotSummaries> {
        let r = run(py, || self.inner.summaries())?;
        Ok(PySnapshotSummaries {
            customer: r.customer.into_pyarray(py).unbind(),
            snapshot: r.snapshot.into_pyarray(py).unbind(),
            frequency: r.frequency.into_pyarray(py).unbind(),
            recency: r.recency.into_pyarray(py).unbind(),
            t: r.t.into_pyarray(py).unbind(),
            gap_before_last: r.gap_before_last.into_pyarray(py).unbind(),
        })
    }

    /// Every (customer, snapshot) stage in one pass, without custom rules; with `model` (a
    /// fitted continuous-time count model in the index's time unit) its P(alive) of each row
    /// is computed in the same pass and drives the P(alive) rules.
    #[pyo3(signature = (params, model=None))]
    fn stages(
        &self,
        py: Python<'_>,
        params: PyRef<'_, PyStageParams>,
        model: Option<PyRef<'_, BtydFit>>,
    ) -> PyResult<PySnapshotStages> {
        let params = params.inner.clone();
        let counting = match &model {
            Some(fit) => {
                let (count, p) = fit.count_model("the stage history's P(alive)")?;
                Some((count, p.to_vec()))
            }
            None => None,
        };
        let r = run(py, || match &counting {
            Some((count, p)) => {
                let p_alive = |x: f64, tx: f64, t: f64| count.p_alive(p, x, tx, t);
                self.inner.stages(&params, Some(&p_alive))
            }
            None => self.inner.stages(&params, None),
        })?;
        let with_model = counting.is_some();
        Ok(PySnapshotStages {
            customer: r.customer.into_pyarray(py).unbind(),
            snapshot: r.snapshot.into_pyarray(py).unbind(),
            stage: r.stage.into_pyarray(py).unbind(),
            reason: r.reason.into_pyarray(py).unbind(),
            p_alive: with_model.then(|| r.p_alive.into_pyarray(py).unbind()),
        })
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
    m.add_function(wrap_pyfunction!(stage_reason_texts, m)?)?;
    m.add_class::<PySnapshotIndex>()?;
    m.add_class::<PyStageParams>()?;
    m.add_class::<PySnapshotSummaries>()?;
    m.add_class::<PySnapshotStages>()
}
