//! Binding of the CLV kernels (`crate::clv`): discounted value over a horizon and the time
//! to the next expected purchase, both from a fitted purchase-count model (a `BtydFit`).

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use super::btyd::{vec_out, BtydFit};
use super::run;
use crate::btyd::predict::Rows;
use crate::clv;

/// Discounted CLV per customer: spend x sum_k weight_k E[purchases in (T, T + time_k]].
/// With `spend_params` (a Gamma-Gamma model's p, q, v), `spend` holds the customers' mean
/// monetary values and the spend is the Gamma-Gamma conditional expectation, in the same pass.
#[pyfunction]
#[pyo3(signature = (fit, spend, frequency, recency, big_t, horizon, period, discount_rate, continuous, spend_params=None))]
#[allow(clippy::too_many_arguments)]
fn clv_customer_lifetime_value<'py>(
    py: Python<'py>,
    fit: PyRef<'py, BtydFit>,
    spend: PyReadonlyArray1<'py, f64>,
    frequency: PyReadonlyArray1<'py, f64>,
    recency: PyReadonlyArray1<'py, f64>,
    big_t: PyReadonlyArray1<'py, f64>,
    horizon: usize,
    period: f64,
    discount_rate: f64,
    continuous: bool,
    spend_params: Option<Vec<f64>>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (m, params) = fit.count_model("customer_lifetime_value")?;
    let rows = Rows {
        x: frequency.as_slice()?,
        tx: recency.as_slice()?,
        t: big_t.as_slice()?,
    };
    let values = spend.as_slice()?;
    let spend = match &spend_params {
        Some(gg) => clv::Spend::GammaGamma {
            params: gg,
            monetary: values,
        },
        None => clv::Spend::Values(values),
    };
    let out = run(py, || {
        let schedule = clv::Schedule::new(horizon, period, discount_rate, continuous)?;
        clv::customer_lifetime_value(m, params, &rows, &spend, &schedule)
    })?;
    Ok(vec_out(py, out))
}

/// Time (model units) at which each customer's conditional expected purchases reach
/// `target`, bracketed on `points` grid times in (0, horizon] by one multi-horizon kernel call
/// per customer; NaN when fewer than `target` purchases are expected within `horizon`.
#[pyfunction]
#[pyo3(signature = (fit, frequency, recency, big_t, target, horizon, points))]
#[allow(clippy::too_many_arguments)]
fn clv_time_to_expected_purchases<'py>(
    py: Python<'py>,
    fit: PyRef<'py, BtydFit>,
    frequency: PyReadonlyArray1<'py, f64>,
    recency: PyReadonlyArray1<'py, f64>,
    big_t: PyReadonlyArray1<'py, f64>,
    target: f64,
    horizon: f64,
    points: usize,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (m, params) = fit.count_model("time_to_expected_purchases")?;
    let rows = Rows {
        x: frequency.as_slice()?,
        tx: recency.as_slice()?,
        t: big_t.as_slice()?,
    };
    let out = run(py, || {
        clv::time_to_expected_purchases(m, params, &rows, target, horizon, points)
    })?;
    Ok(vec_out(py, out))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(clv_customer_lifetime_value, m)?)?;
    m.add_function(wrap_pyfunction!(clv_time_to_expected_purchases, m)?)
}
