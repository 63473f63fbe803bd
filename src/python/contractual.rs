//! Binding of the contractual retention models (src/contractual/): fits, the fitted model
//! as a pyclass with its predictions, and simulation. All work runs with the GIL released.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use super::{run, to_pyerr};
use crate::contractual::covariates::{self, CovariateData, Prediction};
use crate::contractual::fit::{fit, Fit, FitOptions};
use crate::contractual::subscriptions::{tenures, Rows, Tenure};
use crate::contractual::tenures::Tenures;
use crate::contractual::{predict, simulate, Kind};

type F64s<'py> = PyReadonlyArray1<'py, f64>;
type Out<'py> = Bound<'py, PyArray1<f64>>;

/// A retention model at given parameters: "sbg" (alpha, beta) or "bdw" (alpha, beta, c).
#[pyclass(module = "clmkit._core", name = "RetentionModel", frozen)]
pub(crate) struct RetentionModel {
    kind: Kind,
    params: Vec<f64>,
}

#[pymethods]
impl RetentionModel {
    #[new]
    fn new(kind: &str, params: Vec<f64>) -> PyResult<Self> {
        let kind = Kind::parse(kind).map_err(to_pyerr)?;
        kind.check_params(&params).map_err(to_pyerr)?;
        Ok(RetentionModel { kind, params })
    }
    #[getter]
    fn kind(&self) -> &'static str {
        self.kind.name()
    }
    #[getter]
    fn params(&self) -> Vec<f64> {
        self.params.clone()
    }
    /// S(t) for each t >= 0.
    fn survival<'py>(&self, py: Python<'py>, t: F64s<'py>) -> PyResult<Out<'py>> {
        let t = t.as_slice()?;
        Ok(run(py, || predict::survival(self.kind, &self.params, t))?.into_pyarray(py))
    }
    /// P(T = t) for each t >= 1.
    fn churn_pmf<'py>(&self, py: Python<'py>, t: F64s<'py>) -> PyResult<Out<'py>> {
        let t = t.as_slice()?;
        Ok(run(py, || predict::churn_pmf(self.kind, &self.params, t))?.into_pyarray(py))
    }
    /// r(t) = S(t) / S(t - 1) for each t >= 1.
    fn retention_rate<'py>(&self, py: Python<'py>, t: F64s<'py>) -> PyResult<Out<'py>> {
        let t = t.as_slice()?;
        Ok(run(py, || predict::retention_rate(self.kind, &self.params, t))?.into_pyarray(py))
    }
    /// S(t) / S(n) row by row (1 for t <= n).
    fn conditional_survival<'py>(
        &self,
        py: Python<'py>,
        t: F64s<'py>,
        renewals: F64s<'py>,
    ) -> PyResult<Out<'py>> {
        let (t, n) = (t.as_slice()?, renewals.as_slice()?);
        let out = run(py, || {
            predict::conditional_survival(self.kind, &self.params, t, n)
        })?;
        Ok(out.into_pyarray(py))
    }
    /// (DERL, truncation error bound) per renewal count at a per-period discount rate.
    fn derl<'py>(
        &self,
        py: Python<'py>,
        renewals: F64s<'py>,
        discount_rate: f64,
    ) -> PyResult<(Out<'py>, Out<'py>)> {
        let r = renewals.as_slice()?;
        let (v, e) = run(py, || {
            predict::derl(self.kind, &self.params, r, discount_rate)
        })?;
        Ok((v.into_pyarray(py), e.into_pyarray(py)))
    }
    /// Expected further renewals per renewal count (inf when the series diverges).
    fn expected_residual_lifetime<'py>(
        &self,
        py: Python<'py>,
        renewals: F64s<'py>,
    ) -> PyResult<Out<'py>> {
        let r = renewals.as_slice()?;
        let out = run(py, || {
            predict::expected_residual_lifetime(self.kind, &self.params, r)
        })?;
        Ok(out.into_pyarray(py))
    }
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let me = slf.get();
        let args = PyTuple::new(
            py,
            [
                me.kind.name().into_pyobject(py)?.into_any(),
                me.params.clone().into_pyobject(py)?.into_any(),
            ],
        )?;
        Ok((slf.get_type().into_any(), args))
    }
}

fn fit_result<'py>(py: Python<'py>, f: Fit) -> PyResult<(RetentionModel, Bound<'py, PyDict>)> {
    let out = PyDict::new(py);
    out.set_item("params", f.params.clone())?;
    out.set_item("log_likelihood", f.log_likelihood)?;
    out.set_item("covariance", f.covariance)?;
    out.set_item("standard_errors", f.standard_errors)?;
    out.set_item("n_iter", f.n_iter)?;
    out.set_item("converged", f.converged)?;
    out.set_item("on_boundary", f.on_boundary)?;
    out.set_item("singular_information", f.singular_information)?;
    out.set_item("grad_norm", f.grad_norm)?;
    out.set_item("n_customers", f.n_customers)?;
    out.set_item("n_patterns", f.n_patterns)?;
    Ok((
        RetentionModel {
            kind: f.kind,
            params: f.params,
        },
        out,
    ))
}

/// Fits from individual customers: renewals (whole numbers), churned (0/1), weights.
#[pyfunction]
#[pyo3(signature = (kind, renewals, churned, weights, initial, max_iter))]
fn contractual_fit<'py>(
    py: Python<'py>,
    kind: &str,
    renewals: F64s<'py>,
    churned: F64s<'py>,
    weights: Option<F64s<'py>>,
    initial: Option<Vec<f64>>,
    max_iter: usize,
) -> PyResult<(RetentionModel, Bound<'py, PyDict>)> {
    let kind = Kind::parse(kind).map_err(to_pyerr)?;
    let (r, e) = (renewals.as_slice()?, churned.as_slice()?);
    let w = weights.as_ref().map(|w| w.as_slice()).transpose()?;
    let opts = FitOptions { initial, max_iter };
    let f = run(py, || {
        let data = Tenures::from_customers(r, e, w)?;
        fit(kind, &data, &opts)
    })?;
    fit_result(py, f)
}

/// Fits from survivor counts, one array per cohort (shared parameters).
#[pyfunction]
#[pyo3(signature = (kind, cohorts, initial, max_iter))]
fn contractual_fit_survivors<'py>(
    py: Python<'py>,
    kind: &str,
    cohorts: Vec<F64s<'py>>,
    initial: Option<Vec<f64>>,
    max_iter: usize,
) -> PyResult<(RetentionModel, Bound<'py, PyDict>)> {
    let kind = Kind::parse(kind).map_err(to_pyerr)?;
    let slices: Vec<&[f64]> = cohorts
        .iter()
        .map(|c| c.as_slice())
        .collect::<Result<_, _>>()?;
    let opts = FitOptions { initial, max_iter };
    let f = run(py, || {
        let mut data = Tenures::default();
        for counts in &slices {
            data.add(&Tenures::from_survivors(counts)?);
        }
        fit(kind, &data, &opts)
    })?;
    fit_result(py, f)
}

/// Fits with covariates on alpha and beta (exp link): `x` is the row-major n x k design.
/// Returns a dict: theta [ln alpha0, ln beta0, (ln c,) gamma_alpha, gamma_beta], covariance
/// of theta, log_likelihood, n_iter, converged, singular_information, grad_norm, n_customers.
#[pyfunction]
#[pyo3(signature = (kind, renewals, churned, weights, x, k, max_iter))]
#[allow(clippy::too_many_arguments)]
fn contractual_fit_covariates<'py>(
    py: Python<'py>,
    kind: &str,
    renewals: F64s<'py>,
    churned: F64s<'py>,
    weights: Option<F64s<'py>>,
    x: F64s<'py>,
    k: usize,
    max_iter: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let kind = Kind::parse(kind).map_err(to_pyerr)?;
    let data = CovariateData {
        renewals: renewals.as_slice()?,
        churned: churned.as_slice()?,
        weights: weights.as_ref().map(|w| w.as_slice()).transpose()?,
        x: x.as_slice()?,
        k,
    };
    let opts = FitOptions {
        initial: None,
        max_iter,
    };
    let f = run(py, || covariates::fit(kind, &data, &opts))?;
    let out = PyDict::new(py);
    out.set_item("theta", f.theta)?;
    out.set_item("covariance", f.covariance)?;
    out.set_item("log_likelihood", f.log_likelihood)?;
    out.set_item("n_iter", f.n_iter)?;
    out.set_item("converged", f.converged)?;
    out.set_item("singular_information", f.singular_information)?;
    out.set_item("grad_norm", f.grad_norm)?;
    out.set_item("n_customers", f.n_customers)?;
    Ok(out)
}

/// Per-customer predictions of a covariate model: `what` ("survival", "retention_rate",
/// "residual_lifetime", "derl") of row i at its covariates (row-major n x k) and time t[i].
/// Returns (values, DERL truncation bounds).
#[pyfunction]
#[pyo3(signature = (kind, theta, x, k, t, what, discount_rate))]
#[allow(clippy::too_many_arguments)]
fn contractual_predict_covariates<'py>(
    py: Python<'py>,
    kind: &str,
    theta: Vec<f64>,
    x: F64s<'py>,
    k: usize,
    t: F64s<'py>,
    what: &str,
    discount_rate: f64,
) -> PyResult<(Out<'py>, Out<'py>)> {
    let kind = Kind::parse(kind).map_err(to_pyerr)?;
    let what = Prediction::parse(what).map_err(to_pyerr)?;
    let (x, t) = (x.as_slice()?, t.as_slice()?);
    let (v, e) = run(py, || {
        let params = covariates::individual_params(kind, &theta, x, k)?;
        covariates::rowwise(kind, &params, t, what, discount_rate)
    })?;
    Ok((v.into_pyarray(py), e.into_pyarray(py)))
}

/// Simulated (renewals, churned) of one customer per observation horizon.
#[pyfunction]
fn contractual_simulate<'py>(
    py: Python<'py>,
    kind: &str,
    params: Vec<f64>,
    horizons: F64s<'py>,
    seed: u64,
) -> PyResult<(Out<'py>, Out<'py>)> {
    let kind = Kind::parse(kind).map_err(to_pyerr)?;
    let h = horizons.as_slice()?;
    let (r, e) = run(py, || simulate::simulate(kind, &params, h, seed))?;
    Ok((r.into_pyarray(py), e.into_pyarray(py)))
}

/// One censored tenure per customer of a subscription log (see src/contractual/subscriptions.rs).
#[pyfunction]
#[pyo3(signature = (codes, start_ns, end_ns, start_period, last_period, obs_ns, obs_period))]
#[allow(clippy::too_many_arguments)]
fn contractual_tenures<'py>(
    py: Python<'py>,
    codes: PyReadonlyArray1<'py, i64>,
    start_ns: PyReadonlyArray1<'py, i64>,
    end_ns: Option<PyReadonlyArray1<'py, i64>>,
    start_period: PyReadonlyArray1<'py, i64>,
    last_period: Option<PyReadonlyArray1<'py, i64>>,
    obs_ns: i64,
    obs_period: i64,
) -> PyResult<Bound<'py, PyDict>> {
    let rows = Rows {
        codes: codes.as_slice()?,
        start_ns: start_ns.as_slice()?,
        end_ns: end_ns.as_ref().map(|e| e.as_slice()).transpose()?,
        start_period: start_period.as_slice()?,
        last_period: last_period.as_ref().map(|e| e.as_slice()).transpose()?,
    };
    let t = run(py, || tenures(&rows, obs_ns, obs_period))?;
    let out = PyDict::new(py);
    let col = |f: &dyn Fn(&Tenure) -> i64| -> Vec<i64> { t.iter().map(f).collect() };
    out.set_item("code", col(&|x| x.code).into_pyarray(py))?;
    out.set_item("first_row", col(&|x| x.first_row as i64).into_pyarray(py))?;
    out.set_item("cohort_period", col(&|x| x.cohort_period).into_pyarray(py))?;
    out.set_item("renewals", col(&|x| x.renewals).into_pyarray(py))?;
    out.set_item("churned", col(&|x| x.churned as i64).into_pyarray(py))?;
    out.set_item(
        "reactivations",
        col(&|x| x.reactivations as i64).into_pyarray(py),
    )?;
    Ok(out)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<RetentionModel>()?;
    m.add_function(wrap_pyfunction!(contractual_fit, m)?)?;
    m.add_function(wrap_pyfunction!(contractual_fit_survivors, m)?)?;
    m.add_function(wrap_pyfunction!(contractual_simulate, m)?)?;
    m.add_function(wrap_pyfunction!(contractual_fit_covariates, m)?)?;
    m.add_function(wrap_pyfunction!(contractual_predict_covariates, m)?)?;
    m.add_function(wrap_pyfunction!(contractual_tenures, m)?)?;
    Ok(())
}
