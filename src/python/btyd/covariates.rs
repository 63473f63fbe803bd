//! Bindings of the covariate BTYD engine (`crate::btyd::covariates`): the fit, its saved
//! state with per-customer parameters and predictions, and the chi-square survival function
//! of the likelihood-ratio test.

use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use super::kind::Kind;
use super::slices;
use crate::btyd::covariates::predict::Quantity;
use crate::btyd::covariates::{self, CovariateFit, CovariateSpec};
use crate::btyd::saved::TimeUnit;
use crate::btyd::FitOptions;
use crate::btyd::ModelKind;
use crate::error::ClmError;
use crate::python::{run, to_pyerr};

/// A fitted covariate model: base parameters, coefficients, covariance, hyperparameters.
#[pyclass(module = "clmkit._core", name = "BtydCovariateFit", frozen)]
pub(crate) struct BtydCovariateFit {
    saved: CovariateFit,
}

impl BtydCovariateFit {
    fn from_saved(saved: CovariateFit) -> PyResult<BtydCovariateFit> {
        Ok(BtydCovariateFit { saved })
    }
}

fn matrix(z: &PyReadonlyArray2<'_, f64>) -> PyResult<Vec<f64>> {
    Ok(z.as_array().iter().copied().collect())
}

/// The covariate specification both entry points take as separate arguments: covariate
/// `names` (the columns of `z`), the covariates of each process, the shared (constrained)
/// ones and the (purchase, dropout, spend) L2 penalties.
fn spec(
    names: Vec<String>,
    purchase: Vec<String>,
    dropout: Vec<String>,
    spend: Vec<String>,
    constrained: Vec<String>,
    penalizers: (f64, f64, f64),
) -> CovariateSpec {
    CovariateSpec {
        names,
        purchase,
        dropout,
        spend,
        constrained,
        penalizer_purchase: penalizers.0,
        penalizer_dropout: penalizers.1,
        penalizer_spend: penalizers.2,
    }
}

fitted_pymethods!(BtydCovariateFit(CovariateFit) {
    /// Natural base parameters (a customer with all covariates 0).
    #[getter]
    fn params(&self) -> Vec<f64> {
        self.saved.fit.params[..self.saved.param_names.len()].to_vec()
    }
    /// Base parameters then free coefficients.
    #[getter]
    fn all_params(&self) -> Vec<f64> {
        self.saved.fit.params.clone()
    }
    #[getter]
    fn grouped(&self) -> bool {
        self.saved.grouped
    }
    /// (names, purchase, dropout, spend, constrained) covariate lists.
    #[getter]
    #[allow(clippy::type_complexity)]
    fn covariates(
        &self,
    ) -> (
        Vec<String>,
        Vec<String>,
        Vec<String>,
        Vec<String>,
        Vec<String>,
    ) {
        let s = &self.saved.spec;
        (
            s.names.clone(),
            s.purchase.clone(),
            s.dropout.clone(),
            s.spend.clone(),
            s.constrained.clone(),
        )
    }
    /// (purchase, dropout, spend) L2 penalties on the coefficients.
    #[getter]
    fn covariate_penalizer(&self) -> (f64, f64, f64) {
        let s = &self.saved.spec;
        (s.penalizer_purchase, s.penalizer_dropout, s.penalizer_spend)
    }
    /// (block, covariate, value, standard error, free index) of every coefficient.
    #[getter]
    fn coefficients(&self) -> PyResult<Vec<covariates::Coefficient>> {
        self.saved.coefficients().map_err(to_pyerr)
    }
    /// The same model at other (base, coefficient) parameters, for bootstrap replicates.
    fn with_params(&self, all_params: Vec<f64>) -> PyResult<BtydCovariateFit> {
        let k = self.saved.param_names.len();
        let n = self.saved.fit.params.len();
        if all_params.len() != n || all_params.iter().any(|v| !v.is_finite()) {
            return Err(to_pyerr(ClmError::InvalidArgument(format!(
                "expected {n} finite parameters (base then coefficients), got {all_params:?}"
            ))));
        }
        crate::btyd::check_params(&self.saved.fit_names()[..k], &all_params[..k])
            .map_err(to_pyerr)?;
        let mut saved = self.saved.clone();
        saved.fit.params = all_params;
        Ok(BtydCovariateFit { saved })
    }
    /// Natural parameters of each customer (rows of `z`), n x k.
    fn customer_params<'py>(
        &self,
        py: Python<'py>,
        z: PyReadonlyArray2<'py, f64>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let flat = matrix(&z)?;
        let k = self.saved.param_names.len();
        let params = run(py, || self.saved.customer_params(&flat))?;
        let n = params.len() / k;
        let array = ndarray::Array2::from_shape_vec((n, k), params)
            .map_err(|e| to_pyerr(ClmError::InvalidArgument(format!("parameters: {e}"))))?;
        Ok(array.into_pyarray(py))
    }
    /// `quantity` per customer ("p_alive", "conditional_expected_purchases",
    /// "conditional_probability_of_n_purchases", "expected_purchases",
    /// "probability_of_n_purchases", "dert", "conditional_expected_spend", "expected_spend")
    /// with its scalar `args`, data `columns` (empty for new customers) and covariates `z`.
    fn predict<'py>(
        &self,
        py: Python<'py>,
        quantity: &str,
        args: Vec<f64>,
        columns: Vec<PyReadonlyArray1<'py, f64>>,
        z: PyReadonlyArray2<'py, f64>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let arg = |i: usize| args.get(i).copied().unwrap_or(f64::NAN);
        let q = match quantity {
            "p_alive" => Quantity::PAlive { ahead: arg(0) },
            "conditional_expected_purchases" => Quantity::ConditionalExpected { t: arg(0) },
            "conditional_probability_of_n_purchases" => Quantity::ConditionalProbability {
                t: arg(0),
                n: arg(1),
            },
            "expected_purchases" => Quantity::Expected { t: arg(0) },
            "probability_of_n_purchases" => Quantity::Probability {
                t: arg(0),
                n: arg(1),
            },
            "dert" => Quantity::Dert {
                delta: arg(0),
                horizon: arg(1),
            },
            "conditional_expected_spend" => Quantity::ConditionalSpend,
            "expected_spend" => Quantity::Spend,
            other => {
                return Err(to_pyerr(ClmError::InvalidArgument(format!(
                    "unknown quantity {other:?}"
                ))))
            }
        };
        let cols = slices(&columns)?;
        let flat = matrix(&z)?;
        let out = run(py, || self.saved.predict(q, &cols, &flat))?;
        Ok(out.into_pyarray(py))
    }
});

/// Fits `model` with covariates `z` (rows x `names`). `penalizers` are the (purchase,
/// dropout, spend) L2 penalties; `group` forces grouping on or off (None: automatic).
#[pyfunction]
#[pyo3(signature = (model, columns, weights, z, names, purchase, dropout, spend, constrained,
    penalizers, penalizer, initial_params, tol, max_iter, time_unit, group=None))]
#[allow(clippy::too_many_arguments)]
fn btyd_covariate_fit(
    py: Python<'_>,
    model: Kind,
    columns: Vec<PyReadonlyArray1<'_, f64>>,
    weights: Option<PyReadonlyArray1<'_, f64>>,
    z: PyReadonlyArray2<'_, f64>,
    names: Vec<String>,
    purchase: Vec<String>,
    dropout: Vec<String>,
    spend: Vec<String>,
    constrained: Vec<String>,
    penalizers: (f64, f64, f64),
    penalizer: f64,
    initial_params: Option<Vec<f64>>,
    tol: f64,
    max_iter: usize,
    time_unit: Option<(String, f64)>,
    group: Option<bool>,
) -> PyResult<BtydCovariateFit> {
    let cols = slices(&columns)?;
    let w = weights.as_ref().map(|w| w.as_slice()).transpose()?;
    let flat = matrix(&z)?;
    let spec = spec(names, purchase, dropout, spend, constrained, penalizers);
    let options = FitOptions {
        penalizer,
        initial: initial_params,
        tol,
        max_iter,
    };
    let mut saved = run(py, || {
        covariates::fit(model.0, &cols, w, &flat, &spec, &options, group)
    })?;
    saved.time_unit = time_unit.map(|(freq, multiplier)| TimeUnit { freq, multiplier });
    Ok(BtydCovariateFit { saved })
}

/// P(X > x) for X chi-square with `df` degrees of freedom.
#[pyfunction]
fn chi2_sf(x: f64, df: f64) -> f64 {
    crate::numeric::special::chi2_sf(x, df)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<BtydCovariateFit>()?;
    m.add_function(wrap_pyfunction!(btyd_covariate_fit, m)?)?;
    m.add_function(wrap_pyfunction!(chi2_sf, m)?)?;
    m.add_function(wrap_pyfunction!(btyd_covariate_loglik, m)?)?;
    m.add_function(wrap_pyfunction!(btyd_covariate_discounted_purchases, m)?)?;
    m.add_function(wrap_pyfunction!(btyd_covariate_generate, m)?)?;
    m.add_function(wrap_pyfunction!(btyd_covariate_second, m)?)?;
    Ok(())
}

/// Log-likelihood of each customer (data `columns`, covariate rows `z`) at their own
/// parameters under the covariate fit `fit`.
#[pyfunction]
fn btyd_covariate_loglik<'py>(
    py: Python<'py>,
    fit: PyRef<'py, BtydCovariateFit>,
    columns: Vec<PyReadonlyArray1<'py, f64>>,
    z: PyReadonlyArray2<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let cols = slices(&columns)?;
    let flat = matrix(&z)?;
    let saved = &fit.saved;
    let out = run(py, || saved.loglik_rows(&cols, &flat))?;
    Ok(out.into_pyarray(py))
}

/// Discounted expected purchases per customer (the CLV per unit of spend) at their own
/// parameters: `horizon` periods of length `period`, `discount_rate` per period.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn btyd_covariate_discounted_purchases<'py>(
    py: Python<'py>,
    fit: PyRef<'py, BtydCovariateFit>,
    columns: Vec<PyReadonlyArray1<'py, f64>>,
    z: PyReadonlyArray2<'py, f64>,
    horizon: usize,
    period: f64,
    discount_rate: f64,
    continuous: bool,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let cols = slices(&columns)?;
    let flat = matrix(&z)?;
    let saved = &fit.saved;
    let out = run(py, || {
        saved.discounted_purchases(&cols, &flat, horizon, period, discount_rate, continuous)
    })?;
    Ok(out.into_pyarray(py))
}

/// Simulated Pareto/NBD or BG/BB customers, customer i at their own parameters (covariate
/// row i of `z`) observed for `length[i]` (T, or BG/BB opportunities). Customer i draws from
/// `stream(seed, i)` as the plain `generate` does, so with all covariates 0 the draws are the
/// plain model's. Columns: frequency, recency, alive and the two latent rates.
#[pyfunction]
fn btyd_covariate_generate<'py>(
    py: Python<'py>,
    fit: PyRef<'py, BtydCovariateFit>,
    z: PyReadonlyArray2<'py, f64>,
    length: PyReadonlyArray1<'py, f64>,
    seed: u64,
) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
    use crate::btyd::{bgbb, paretonbd};
    use crate::numeric::random::stream;
    let flat = matrix(&z)?;
    let t = length.as_slice()?;
    let saved = &fit.saved;
    let model = saved.model;
    let sims = run(py, || {
        let k = saved.param_names.len();
        let params = saved.customer_params(&flat)?;
        if params.len() != t.len() * k {
            return Err(ClmError::LengthMismatch(format!(
                "covariates have {} rows but {} customers are simulated",
                params.len() / k.max(1),
                t.len()
            )));
        }
        // Both models have four parameters (r, alpha, s, beta / alpha, beta, gamma, delta).
        let p = |i: usize| -> [f64; 4] {
            let mut one = [0.0; 4];
            one.copy_from_slice(&params[i * k..i * k + 4]);
            one
        };
        match model {
            ModelKind::ParetoNbd => {
                crate::error::check_nonnegative("T", t)?;
                crate::btyd::bootstrap::replicate(t.len(), |i| {
                    paretonbd::simulate_customer(&p(i), t[i], &mut stream(seed, i as u64))
                })
            }
            ModelKind::Bgbb => {
                // The BG/BB data check bounds the opportunities (whole, <= its maximum).
                let zeros = vec![0.0; t.len()];
                bgbb::check_data(&zeros, &zeros, t)?;
                crate::btyd::bootstrap::replicate(t.len(), |i| {
                    bgbb::simulate_customer(&p(i), t[i], &mut stream(seed, i as u64))
                })
            }
            ModelKind::BgNbd | ModelKind::MbgNbd | ModelKind::GammaGamma => {
                Err(ClmError::InvalidArgument(format!(
                    "the core simulates Pareto/NBD and BG/BB customers, not {:?}",
                    model.name()
                )))
            }
        }
    })?;
    let [a, b] = model.latent_names();
    let latent = ["frequency", "recency", "alive", a, b];
    crate::python::columns_dict(py, latent, &sims)
}

/// (log-likelihood, gradient, Hessian row-major, L2 penalty of each free coefficient).
type Second = (f64, Vec<f64>, Vec<f64>, Vec<f64>);

/// The covariate log-likelihood of `model` over `columns` (with `weights` and covariate rows
/// `z`), its gradient and exact Hessian in theta = (log base parameters, coefficients), with
/// time columns divided by `scale` and base parameters in that unit: totals (not means) and
/// without penalties, so partitions' values add up. Also returns each free coefficient's L2
/// penalty. The in-memory fit's objective is -ll / n plus the penalties, so a distributed
/// fit summing these per partition reaches the same optimum.
#[pyfunction]
#[pyo3(signature = (model, columns, weights, z, names, purchase, dropout, spend, constrained,
    penalizers, theta, scale))]
#[allow(clippy::too_many_arguments)]
fn btyd_covariate_second(
    py: Python<'_>,
    model: Kind,
    columns: Vec<PyReadonlyArray1<'_, f64>>,
    weights: Option<PyReadonlyArray1<'_, f64>>,
    z: PyReadonlyArray2<'_, f64>,
    names: Vec<String>,
    purchase: Vec<String>,
    dropout: Vec<String>,
    spend: Vec<String>,
    constrained: Vec<String>,
    penalizers: (f64, f64, f64),
    theta: Vec<f64>,
    scale: f64,
) -> PyResult<Second> {
    use crate::btyd::covariates::design::Design;
    use crate::btyd::covariates::layout::Layout;
    use crate::btyd::covariates::objective::{CellTerms, CovObjective};
    let cols = slices(&columns)?;
    let w = weights.as_ref().map(|w| w.as_slice()).transpose()?;
    let flat = matrix(&z)?;
    let spec = spec(names, purchase, dropout, spend, constrained, penalizers);
    let out = run(py, || {
        let m = model.0.model();
        crate::btyd::check_columns(m, &cols)?;
        let layout = Layout::new(model.0, m.names().len(), &spec)?;
        let n = cols[0].len();
        covariates::check_covariates(&spec, &flat, n)?;
        m.check_data(&cols)?;
        let dim = layout.k + layout.n_free;
        if theta.len() != dim || theta.iter().any(|v| !v.is_finite()) {
            return Err(ClmError::InvalidArgument(format!(
                "theta must hold {dim} finite values (log base parameters, coefficients)"
            )));
        }
        if !(scale.is_finite() && scale > 0.0) {
            return Err(ClmError::InvalidArgument(format!(
                "scale must be finite and > 0, got {scale}"
            )));
        }
        let mut design = Design::new(&cols, w, &flat, spec.names.len(), None)?;
        design.rescale(m.time_columns(), scale);
        let objective = CovObjective {
            model: m,
            layout: &layout,
            design: &design,
            base_penalizer: 0.0,
            total_weight: 1.0,
            cell: CellTerms::of(model.0),
        };
        let s = objective.second(&theta);
        Ok((s.ll, s.grad, s.hessian, layout.penalty.clone()))
    })?;
    Ok(out)
}
