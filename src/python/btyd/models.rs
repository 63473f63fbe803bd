//! The fitted BTYD model crossing the door as a typed object: the generic fit, the fitted
//! state (serialisable) and every prediction as a method. The model's likelihood and its
//! prediction family are resolved once from its name when the object is built or loaded;
//! a method then dispatches on them (`crate::btyd::predict::Predictor`), never on a name.

use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::btyd::predict::{CountModel, Grid, Predictor, Rows};
use crate::btyd::saved::{SavedModel, TimeUnit};
use crate::btyd::{check_params, fit_named, loglik_rows_of, model_by_name, FitOptions, Model};
use crate::error::ClmError;
use crate::python::{columns_dict, run, to_pyerr};

type Column<'py> = PyReadonlyArray1<'py, f64>;
type Out<'py> = PyResult<Bound<'py, PyArray1<f64>>>;

/// A fitted BTYD model's state (parameters, likelihood, covariance, hyperparameters) and its
/// predictions at its own parameters.
#[pyclass(module = "clmkit._core", name = "BtydFit", frozen)]
pub(crate) struct BtydFit {
    saved: SavedModel,
    /// The model's per-row likelihood, resolved once.
    model: &'static dyn Model,
    /// The model's predictions, resolved once.
    predictor: Predictor,
}

impl BtydFit {
    /// Resolves the saved model's name (checked by `SavedModel`) to its model and predictor.
    fn from_saved(saved: SavedModel) -> PyResult<BtydFit> {
        let model = model_by_name(&saved.model).map_err(to_pyerr)?;
        let predictor = Predictor::of(&saved.model).map_err(to_pyerr)?;
        Ok(BtydFit {
            saved,
            model,
            predictor,
        })
    }

    /// The continuous-time count model and its parameters, for the CLV kernels.
    pub(crate) fn count_model(&self, what: &str) -> PyResult<(&'static dyn CountModel, &[f64])> {
        match self.predictor.count() {
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
}

fn rows<'a>(x: &'a Column<'_>, tx: &'a Column<'_>, t: &'a Column<'_>) -> PyResult<Rows<'a>> {
    Ok(Rows {
        x: x.as_slice()?,
        tx: tx.as_slice()?,
        t: t.as_slice()?,
    })
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
        model: &str,
        params: Vec<f64>,
        time_unit: Option<(String, f64)>,
    ) -> PyResult<BtydFit> {
        let unit = time_unit.map(|(freq, multiplier)| TimeUnit { freq, multiplier });
        BtydFit::from_saved(SavedModel::from_params(model, params, unit).map_err(to_pyerr)?)
    }
    /// The same fitted model predicting at other parameters (bootstrap replicates): a copy
    /// of a few hundred bytes, so each replicate runs the same typed methods.
    fn with_params(&self, params: Vec<f64>) -> PyResult<BtydFit> {
        check_params(self.model.names(), &params).map_err(to_pyerr)?;
        let mut saved = self.saved.clone();
        saved.fit.params = params;
        Ok(BtydFit {
            saved,
            model: self.model,
            predictor: self.predictor,
        })
    }
    /// Log-likelihood of each row of the model's data columns.
    fn loglik_rows<'py>(&self, py: Python<'py>, columns: Vec<Column<'py>>) -> Out<'py> {
        let cols: Vec<&[f64]> = columns.iter().map(|c| c.as_slice()).collect::<Result<_, _>>()?;
        let out = run(py, || loglik_rows_of(self.model, self.p(), &cols))?;
        Ok(out.into_pyarray(py))
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
        let rows = rows(&frequency, &recency, &t)?;
        let out = run(py, || self.predictor.p_alive(self.p(), &rows, periods_ahead))?;
        Ok(out.into_pyarray(py))
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
        let rows = rows(&frequency, &recency, &t)?;
        let n = rows.x.len();
        let out = run(py, || {
            self.predictor
                .conditional_expected_purchases(self.p(), &ts, &rows)
        })?;
        let array = ndarray::Array2::from_shape_vec((ts.len(), n), out)
            .map_err(|e| to_pyerr(ClmError::InvalidArgument(format!("horizons: {e}"))))?;
        Ok(array.into_pyarray(py))
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
        let rows = rows(&frequency, &recency, &big_t)?;
        let p = self.predictor;
        let out = run(py, || p.conditional_probability_of_n_purchases(self.p(), t, n, &rows))?;
        Ok(out.into_pyarray(py))
    }
    /// E[X(t)] of a new customer per horizon.
    fn expected_purchases<'py>(&self, py: Python<'py>, t: Column<'py>) -> Out<'py> {
        let t = t.as_slice()?;
        let out = run(py, || self.predictor.expected_purchases(self.p(), t))?;
        Ok(out.into_pyarray(py))
    }
    /// P(X(t[i]) = n[i]) of a new customer.
    fn probability_of_n_purchases<'py>(
        &self,
        py: Python<'py>,
        t: Column<'py>,
        n: Column<'py>,
    ) -> Out<'py> {
        let (t, n) = (t.as_slice()?, n.as_slice()?);
        let out = run(py, || self.predictor.probability_of_n_purchases(self.p(), t, n))?;
        Ok(out.into_pyarray(py))
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
        let out = run(py, || self.predictor.p_alive_grid(self.p(), &g))?;
        Ok(out.into_pyarray(py))
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
        let p = self.predictor;
        let out = run(py, || p.conditional_expected_purchases_grid(self.p(), t, &g))?;
        Ok(out.into_pyarray(py))
    }
    /// Gamma-Gamma: conditional expected spend per customer.
    fn conditional_expected_spend<'py>(
        &self,
        py: Python<'py>,
        frequency: Column<'py>,
        monetary_value: Column<'py>,
    ) -> Out<'py> {
        let (x, m) = (frequency.as_slice()?, monetary_value.as_slice()?);
        let out = run(py, || self.predictor.conditional_expected_spend(self.p(), x, m))?;
        Ok(out.into_pyarray(py))
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
        let rows = rows(&frequency, &recency, &big_t)?;
        let p = self.predictor;
        let out = run(py, || p.dert(self.p(), discount_rate, horizon, &rows))?;
        Ok(out.into_pyarray(py))
    }
    /// Simulated customers (Pareto/NBD: one per T; BG/BB: one per n_periods): a dict of
    /// frequency, recency, alive and the two latent rates (lambda, mu or p, theta).
    fn generate<'py>(&self, py: Python<'py>, t: Column<'py>, seed: u64) -> PyResult<Bound<'py, PyDict>> {
        let t = t.as_slice()?;
        let sims = run(py, || self.predictor.generate(self.p(), t, seed))?;
        let [a, b] = self.predictor.latent_names();
        columns_dict(py, ["frequency", "recency", "alive", a, b], &sims)
    }
});

/// Fits the model `model` ("bgnbd", "mbgnbd", "gammagamma", ...) to its data columns.
#[pyfunction]
#[pyo3(signature = (model, columns, weights, penalizer, initial_params, tol, max_iter, time_unit))]
#[allow(clippy::too_many_arguments)]
fn btyd_fit(
    py: Python<'_>,
    model: &str,
    columns: Vec<PyReadonlyArray1<'_, f64>>,
    weights: Option<PyReadonlyArray1<'_, f64>>,
    penalizer: f64,
    initial_params: Option<Vec<f64>>,
    tol: f64,
    max_iter: usize,
    time_unit: Option<(String, f64)>,
) -> PyResult<BtydFit> {
    let cols: Vec<&[f64]> = columns
        .iter()
        .map(|c| c.as_slice())
        .collect::<Result<_, _>>()?;
    let w = weights.as_ref().map(|w| w.as_slice()).transpose()?;
    let options = FitOptions {
        penalizer,
        initial: initial_params,
        tol,
        max_iter,
    };
    let fit = run(py, || fit_named(model, &cols, w, &options))?;
    let unit = time_unit.map(|(freq, multiplier)| TimeUnit { freq, multiplier });
    BtydFit::from_saved(SavedModel::new(model, options, fit, unit).map_err(to_pyerr)?)
}

pub(crate) fn vec_out<'py>(py: Python<'py>, v: Vec<f64>) -> Bound<'py, PyArray1<f64>> {
    v.into_pyarray(py)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<BtydFit>()?;
    m.add_function(wrap_pyfunction!(btyd_fit, m)?)?;
    Ok(())
}
