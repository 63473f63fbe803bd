//! Binding of RFM scoring, segments and ABC classes.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::run;
use crate::rfm::{self, Dimension, ScorerState, SegmentRule};

/// Inner quantile edges at k/bins (numpy's linear rule).
#[pyfunction]
fn rfm_quantile_edges<'py>(
    py: Python<'py>,
    values: PyReadonlyArray1<'py, f64>,
    bins: usize,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let values = values.as_slice()?;
    Ok(run(py, || rfm::quantile_edges(values, bins))?.into_pyarray(py))
}

/// Scores 1..=bins with given inner edges (bins = len(edges) + 1).
#[pyfunction]
fn rfm_score_edges<'py>(
    py: Python<'py>,
    values: PyReadonlyArray1<'py, f64>,
    edges: PyReadonlyArray1<'py, f64>,
    ascending: bool,
) -> PyResult<Bound<'py, PyArray1<i8>>> {
    let (values, edges) = (values.as_slice()?, edges.as_slice()?);
    Ok(run(py, || rfm::score_with_edges(values, edges, ascending))?.into_pyarray(py))
}

/// Scores by the data's own quantiles (`method="quantile"`) or ranks (`method="rank"`).
#[pyfunction]
fn rfm_score_values<'py>(
    py: Python<'py>,
    values: PyReadonlyArray1<'py, f64>,
    bins: usize,
    method: &str,
    ascending: bool,
) -> PyResult<Bound<'py, PyArray1<i8>>> {
    let values = values.as_slice()?;
    let by_rank = match method {
        "rank" => true,
        "quantile" => false,
        other => {
            return Err(PyValueError::new_err(format!(
                "method must be 'quantile' or 'rank', got {other:?}"
            )))
        }
    };
    let scores = run(py, || {
        if by_rank {
            rfm::score_rank(values, bins, ascending)
        } else {
            rfm::score_quantile(values, bins, ascending)
        }
    })?;
    Ok(scores.into_pyarray(py))
}

type Combined<'py> = (
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<i16>>,
    Vec<String>,
);

/// Weighted mean score and code index of R, F[, M] scores; also returns the code labels.
#[pyfunction]
fn rfm_combine<'py>(
    py: Python<'py>,
    scores: Vec<PyReadonlyArray1<'py, i8>>,
    weights: Vec<f64>,
    bins: usize,
) -> PyResult<Combined<'py>> {
    let slices = scores
        .iter()
        .map(|s| s.as_slice())
        .collect::<Result<Vec<_>, _>>()?;
    let dims = slices.len();
    let (score, code, labels) = run(py, || {
        let (score, code) = rfm::combine(&slices, &weights, bins)?;
        Ok((score, code, rfm::code_labels(bins, dims)?))
    })?;
    Ok((score.into_pyarray(py), code.into_pyarray(py), labels))
}

type Range = Option<(i64, i64)>;

/// Segment index per row from a scheme given as (name, R range, F range, M range) rules.
#[pyfunction]
#[pyo3(signature = (rules, bins, n_rows, r, f, m=None))]
fn rfm_segment_lookup<'py>(
    py: Python<'py>,
    rules: Vec<(String, Range, Range, Range)>,
    bins: usize,
    n_rows: usize,
    r: Option<PyReadonlyArray1<'py, f64>>,
    f: Option<PyReadonlyArray1<'py, f64>>,
    m: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<Bound<'py, PyArray1<i16>>> {
    let rules: Vec<SegmentRule> = rules
        .into_iter()
        .map(|(name, r, f, m)| SegmentRule {
            name,
            ranges: [r, f, m],
        })
        .collect();
    let r = r.as_ref().map(|a| a.as_slice()).transpose()?;
    let f = f.as_ref().map(|a| a.as_slice()).transpose()?;
    let m = m.as_ref().map(|a| a.as_slice()).transpose()?;
    let codes = run(py, || {
        let grid = rfm::build_grid(&rules, bins)?;
        rfm::lookup(&grid, [r, f, m], n_rows)
    })?;
    Ok(codes.into_pyarray(py))
}

/// ABC class per row (0 = A, 1 = B, 2 = C).
#[pyfunction]
fn rfm_abc_classes<'py>(
    py: Python<'py>,
    values: PyReadonlyArray1<'py, f64>,
    a_cut: f64,
    b_cut: f64,
) -> PyResult<Bound<'py, PyArray1<i8>>> {
    let values = values.as_slice()?;
    Ok(run(py, || rfm::abc_classes(values, a_cut, b_cut))?.into_pyarray(py))
}

/// One scored dimension of a fitted scorer: its name, column, direction and inner edges.
#[pyclass(
    name = "RfmDimension",
    module = "clmkit._core",
    frozen,
    get_all,
    from_py_object
)]
#[derive(Clone)]
struct PyDimension {
    name: String,
    column: String,
    ascending: bool,
    edges: Vec<f64>,
}

#[pymethods]
impl PyDimension {
    #[new]
    fn new(name: String, column: String, ascending: bool, edges: Vec<f64>) -> Self {
        PyDimension {
            name,
            column,
            ascending,
            edges,
        }
    }
}

impl From<PyDimension> for Dimension {
    fn from(d: PyDimension) -> Dimension {
        Dimension {
            name: d.name,
            column: d.column,
            ascending: d.ascending,
            edges: d.edges,
        }
    }
}

/// A fitted scorer as read from JSON (validated): every field present, typed.
#[pyclass(name = "RfmScorerState", module = "clmkit._core", frozen, get_all)]
struct PyScorerState {
    bins: usize,
    method: String,
    weights: Vec<f64>,
    dimensions: Vec<PyDimension>,
}

/// Validates a fitted scorer's state (bins, method, weights, edges per dimension) and returns
/// its JSON document; the error names the first bad field.
#[pyfunction]
fn rfm_scorer_to_json(
    py: Python<'_>,
    bins: usize,
    method: &str,
    weights: Vec<f64>,
    dimensions: Vec<PyDimension>,
) -> PyResult<String> {
    let dimensions = dimensions.into_iter().map(Dimension::from).collect();
    run(py, || {
        ScorerState::new(bins, method, weights, dimensions)?.to_json()
    })
}

/// Reads a scorer's JSON document back (validated).
#[pyfunction]
fn rfm_scorer_from_json(py: Python<'_>, text: &str) -> PyResult<PyScorerState> {
    let state = run(py, || ScorerState::from_json(text))?;
    Ok(PyScorerState {
        bins: state.bins,
        method: state.method,
        weights: state.weights,
        dimensions: state
            .dimensions
            .into_iter()
            .map(|d| PyDimension {
                name: d.name,
                column: d.column,
                ascending: d.ascending,
                edges: d.edges,
            })
            .collect(),
    })
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(rfm_quantile_edges, m)?)?;
    m.add_function(wrap_pyfunction!(rfm_score_edges, m)?)?;
    m.add_function(wrap_pyfunction!(rfm_score_values, m)?)?;
    m.add_function(wrap_pyfunction!(rfm_combine, m)?)?;
    m.add_function(wrap_pyfunction!(rfm_segment_lookup, m)?)?;
    m.add_function(wrap_pyfunction!(rfm_abc_classes, m)?)?;
    m.add_function(wrap_pyfunction!(rfm_scorer_to_json, m)?)?;
    m.add_function(wrap_pyfunction!(rfm_scorer_from_json, m)?)?;
    m.add_class::<PyDimension>()?;
    m.add_class::<PyScorerState>()
}
