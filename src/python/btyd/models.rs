//! The fitted BTYD model crossing the door as a typed object: the generic fit, the fitted
//! state (serialisable) and every prediction as a method. The state holds the model's
//! [`ModelKind`] (parsed once, when the fit is made or its JSON is loaded); a method
//! dispatches on it (`crate::btyd::predict`), never on a name.

use numpy::{IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::kind::Kind;
use super::slices;
use crate::btyd::predict::{CountModel, Grid, Rows};
use crate::btyd::saved::{SavedModel, TimeUnit};
use crate::btyd::{check_params, fit_kind, loglik_rows_of, FitOptions, ModelKind};
use crate::error::{ClmError, Result};
use crate::python::{columns_dict, run, to_pyerr};

type Column<'py> = PyReadonlyArray1<'py, f64>;
type Out<'py> = PyResult<Bound<'py, PyArray1<f64>>>;

/// A fitted BTYD model's state (parameters, likelihood, covariance, hyperparameters) and its
/// predictions at its own parameters.
#[pyclass(module = "clmkit._core", name = "BtydFit", frozen)]
pub(crate) struct BtydFit {
    saved: SavedModel,
}

impl BtydFit {
    /// The fitted model of a checked saved state (the macro's `from_json` loads through it).
    fn from_saved(saved: SavedModel) -> PyResult<BtydFit> {
        Ok(BtydFit { saved })
    }

    /// The model's kind: every prediction dispatches on it.
    fn model_kind(&self) -> ModelKind {
        self.saved.model
    }

    /// The continuous-time count model and its parameters, for the CLV kernels.
    pub(crate) fn count_model(&self, what: &str) -> PyResult<(&'static dyn CountModel, &[f64])> {
        match self.model_kind().count() {
            Some(model) => Ok((model, &self.saved.fit.params)),
            None => Err(to_pyerr(ClmError::InvalidArgument(format!(
                "{what} needs a purchase-count model in continuous time (BG/NBD, MBG/NBD, \
                 Pareto/NBD), not {}",
                self.saved.model
            )))),
        }
    }

    fn p(&self) -> &[f64] {
        &self.saved.fit.params
    }

    /// The one shape of every per-customer prediction: the customer rows read from the
    /// three columns, `predict(kind, params, rows)` run with the GIL released, an array out.
    fn per_row<'py>(
        &self,
        py: Python<'py>,
        (x, tx, t): (&Column<'py>, &Column<'py>, &Column<'py>),
        predict: impl FnOnce(ModelKind, &[f64], &Rows) -> Result<Vec<f64>> + Send,
    ) -> Out<'py> {
        let rows = Rows {
            x: x.as_slice()?,
            tx: tx.as_slice()?,
            t: t.as_slice()?,
        };
        let out = run(py, || predict(self.model_kind(), self.p(), &rows))?;
        Ok(out.into_pyarray(py))
    }

    /// [`BtydFit::per_row`] for the predictions with no customer rows (new customers, the
    /// heat-map grid).
    fn computed<'py>(
        &self,
        py: Python<'py>,
        predict: impl FnOnce(ModelKind, &[f64]) -> Result<Vec<f64>> + Send,
    ) -> Out<'py> {
        let out = run(py, || predict(self.model_kind(), self.p()))?;
        Ok(out.into_pyarray(py))
    }
}

fn grid(max_frequency: usize, max_recency: usize, big_t: f64) -> Grid {
    Grid {
        max_frequency,
        max_recency,
        big_t,
    }
}

fitted_pymethods!(BtydFit(SavedModel) {
    #[getter]
    fn params(&self) -> Vec<f64> {
        self.saved.fit.params.clone()
    }
    /// A model state with given parameters (not fitted).
    #[staticmethod]
    #[pyo3(signature = (model, params, time_unit=None))]
    fn from_params(
        model: Kind,
        params: Vec<f64>,
        time_unit: Option<(String, f64)>,
    ) -> PyResult<BtydFit> {
        let unit = time_unit.map(|(freq, multiplier)| TimeUnit { freq, multiplier });
        BtydFit::from_saved(SavedModel::from_params(model.0, params, unit).map_err(to_pyerr)?)
    }
    /// The same fitted model predicting at other parameters (bootstrap replicates): a copy
    /// of a few hundred bytes, so each replicate runs the same typed methods.
    fn with_params(&self, params: Vec<f64>) -> PyResult<BtydFit> {
        check_params(self.model_kind().param_names(), &params).map_err(to_pyerr)?;
        let mut saved = self.saved.clone();
        saved.fit.params = params;
        Ok(BtydFit { saved })
    }
    /// Log-likelihood of each row of the model's data columns.
    fn loglik_rows<'py>(&self, py: Python<'py>, columns: Vec<Column<'py>>) -> Out<'py> {
        let cols = slices(&columns)?;
        self.computed(py, |k, p| loglik_rows_of(k.model(), p, &cols))
    }
    /// P(alive) per customer (BG/BB: `periods_ahead` opportunities after n_periods).
    #[pyo3(signature = (frequency, recency, t, periods_ahead=0.0))]
    fn p_alive<'py>(
        &self,
        py: Python<'py>,
        frequency: Column<'py>,
        recency: Column<'py>,
        t: Column<'py>,
        periods_ahead: f64,
    ) -> Out<'py> {
        let columns = (&frequency, &recency, &t);
        self.per_row(py, columns, |k, p, rows| k.p_alive(p, rows, periods_ahead))
    }
    /// Conditional expected purchases at every horizon of `ts` (len(ts) x customers), each
    /// customer's horizons in one pass of the multi-horizon kernel.
    fn conditional_expected_purchases<'py>(
        &self,
        py: Python<'py>,
        ts: Vec<f64>,
        frequency: Column<'py>,
        recency: Column<'py>,
        t: Column<'py>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let n = frequency.len()?;
        let columns = (&frequency, &recency, &t);
        let out = self.per_row(py, columns, |k, p, rows| {
            k.conditional_expected_purchases(p, &ts, rows)
        })?;
        out.reshape([ts.len(), n])
    }
    fn conditional_probability_of_n_purchases<'py>(
        &self,
        py: Python<'py>,
        t: f64,
        n: f64,
        frequency: Column<'py>,
        recency: Column<'py>,
        big_t: Column<'py>,
    ) -> Out<'py> {
        let columns = (&frequency, &recency, &big_t);
        self.per_row(py, columns, |k, p, rows| {
            k.conditional_probability_of_n_purchases(p, t, n, rows)
        })
    }
    /// E[X(t)] of a new customer per horizon.
    fn expected_purchases<'py>(&self, py: Python<'py>, t: Column<'py>) -> Out<'py> {
        let t = t.as_slice()?;
        self.computed(py, |k, p| k.expected_purchases(p, t))
    }
    /// P(X(t[i]) = n[i]) of a new customer.
    fn probability_of_n_purchases<'py>(
        &self,
        py: Python<'py>,
        t: Column<'py>,
        n: Column<'py>,
    ) -> Out<'py> {
        let (t, n) = (t.as_slice()?, n.as_slice()?);
        self.computed(py, |k, p| k.probability_of_n_purchases(p, t, n))
    }
    /// P(alive) on the (recency x frequency) heat-map grid, row-major, impossible cells included.
    fn p_alive_grid<'py>(
        &self,
        py: Python<'py>,
        max_frequency: usize,
        max_recency: usize,
        big_t: f64,
    ) -> Out<'py> {
        let g = grid(max_frequency, max_recency, big_t);
        self.computed(py, |k, p| k.p_alive_grid(p, &g))
    }
    /// Conditional expected purchases on the heat-map grid, row-major.
    fn conditional_expected_purchases_grid<'py>(
        &self,
        py: Python<'py>,
        t: f64,
        max_frequency: usize,
        max_recency: usize,
        big_t: f64,
    ) -> Out<'py> {
        let g = grid(max_frequency, max_recency, big_t);
        self.computed(py, |k, p| k.conditional_expected_purchases_grid(p, t, &g))
    }
    /// Gamma-Gamma: conditional expected spend per customer.
    fn conditional_expected_spend<'py>(
        &self,
        py: Python<'py>,
        frequency: Column<'py>,
        monetary_value: Column<'py>,
    ) -> Out<'py> {
        let (x, m) = (frequency.as_slice()?, monetary_value.as_slice()?);
        self.computed(py, |k, p| k.conditional_expected_spend(p, x, m))
    }
    /// Pareto/NBD: discounted expected residual transactions (continuous `discount_rate`)
    /// over `horizon` time units (infinity: the classic DERT).
    fn dert<'py>(
        &self,
        py: Python<'py>,
        discount_rate: f64,
        horizon: f64,
        frequency: Column<'py>,
        recency: Column<'py>,
        big_t: Column<'py>,
    ) -> Out<'py> {
        let columns = (&frequency, &recency, &big_t);
        self.per_row(py, columns, |k, p, rows| k.dert(p, discount_rate, horizon, rows))
    }
    /// Simulated customers (Pareto/NBD: one per T; BG/BB: one per n_periods): a dict of
    /// frequency, recency, alive and the two latent rates (lambda, mu or p, theta).
    fn generate<'py>(&self, py: Python<'py>, t: Column<'py>, seed: u64) -> PyResult<Bound<'py, PyDict>> {
        let t = t.as_slice()?;
        let sims = run(py, || self.model_kind().generate(self.p(), t, seed))?;
        let [a, b] = self.model_kind().latent_names();
        columns_dict(py, ["frequency", "recency", "alive", a, b], &sims)
    }
});

/// Fits model `model` (a `ModelKind`, or its name) to its data columns.
#[pyfunction]
#[pyo3(signature = (model, columns, weights, penalizer, initial_params, tol, max_iter, time_unit))]
#[allow(clippy::too_many_arguments)]
fn btyd_fit(
    py: Python<'_>,
    model: Kind,
    columns: Vec<PyReadonlyArray1<'_, f64>>,
    weights: Option<PyReadonlyArray1<'_, f64>>,
    penalizer: f64,
    initial_params: Option<Vec<f64>>,
    tol: f64,
    max_iter: usize,
    time_unit: Option<(String, f64)>,
) -> PyResult<BtydFit> {
    let cols = slices(&columns)?;
    let w = weights.as_ref().map(|w| w.as_slice()).transpose()?;
    let options = FitOptions {
        penalizer,
        initial: initial_params,
        tol,
        max_iter,
    };
    let fit = run(py, || fit_kind(model.0, &cols, w, &options))?;
    let unit = time_unit.map(|(freq, multiplier)| TimeUnit { freq, multiplier });
    BtydFit::from_saved(SavedModel::new(model.0, options, fit, unit))
}

pub(crate) fn vec_out<'py>(py: Python<'py>, v: Vec<f64>) -> Bound<'py, PyArray1<f64>> {
    v.into_pyarray(py)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<BtydFit>()?;
    m.add_function(wrap_pyfunction!(btyd_fit, m)?)?;
    Ok(())
}
