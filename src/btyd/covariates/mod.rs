//! Time-invariant covariates for every BTYD and spend model, by one generic wrapper around
//! [`Model`]: each customer's parameters are the base parameters scaled by exp(+-z'g)
//! ([`layout`]), the likelihood and its gradient come from the model's own per-pattern
//! terms by the chain rule ([`objective`]), over customers grouped into cells of equal
//! covariates ([`design`]). The fit starts at the covariate-free fit with g = 0, runs
//! damped Newton on (log base, g) in rescaled time (coefficients are unit-free) where the
//! cells have analytic Hessians (BG family, Pareto/NBD), BHHH then L-BFGS otherwise, and
//! takes standard errors from the exact Hessian, summed cell by cell in one pass
//! ([`hessian`]).

mod bgcell;
pub mod design;
pub mod hessian;
pub mod layout;
pub mod objective;
mod paretocell;
pub mod per_customer;
pub mod predict;
mod solve;

use serde::{Deserialize, Serialize};

use self::design::Design;
use self::hessian::Second;
pub use self::layout::CovariateSpec;
use self::layout::Layout;
use self::objective::{CellTerms, CovObjective};
use self::solve::{bhhh_lbfgs, newton_fit, total_hessian, warm_start};
use super::saved::TimeUnit;
use super::{check_columns, check_options, diagnose, fit_kind, Fit, FitOptions, ModelKind};
use crate::error::{ClmError, Result};
use crate::numeric::linalg::covariance_from_information;
use crate::numeric::optimize::{newton, norm, Options};

const FORMAT: &str = "clmkit.btyd_covariates";

/// (block, covariate, value, standard error, free index) of one reported coefficient.
pub type Coefficient = (String, String, f64, f64, usize);
const FORMAT_VERSION: u32 = 1;

/// A fitted covariate model: `fit.params` are the natural base parameters followed by the
/// free coefficients; `fit.covariance` covers both (delta method for the base parameters).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CovariateFit {
    pub format: String,
    pub format_version: u32,
    /// Written as the model's name (`"bgnbd"`), parsed back by [`ModelKind::parse`].
    pub model: ModelKind,
    pub param_names: Vec<String>,
    pub spec: CovariateSpec,
    pub options: FitOptions,
    pub fit: Fit,
    pub time_unit: Option<TimeUnit>,
    /// True when customers were grouped by (covariate row, data row).
    pub grouped: bool,
}

/// Checks a row-major covariate matrix: `n` rows of the spec's columns, all finite.
pub fn check_covariates(spec: &CovariateSpec, z: &[f64], n: usize) -> Result<()> {
    let k = spec.names.len();
    if z.len() != n * k {
        return Err(ClmError::LengthMismatch(format!(
            "covariates have {} values, expected {n} rows x {k} columns {:?}",
            z.len(),
            spec.names
        )));
    }
    if let Some(i) = z.iter().position(|v| !v.is_finite()) {
        return Err(ClmError::invalid_value(
            &spec.names[i % k],
            i / k,
            z[i],
            "covariates must be finite",
        ));
    }
    Ok(())
}

/// Covariates that take one value for every customer: colinear with the base parameter
/// they scale, so the data cannot tell them apart.
fn constant_covariates(layout: &Layout, spec: &CovariateSpec, design: &Design) -> Vec<String> {
    let n_cov = design.n_covariates;
    let used: Vec<usize> = layout
        .blocks
        .iter()
        .flat_map(|b| b.covs.iter().map(|c| c.0))
        .collect();
    (0..n_cov)
        .filter(|c| used.contains(c))
        .filter(|&c| {
            let first = design.z.get(c).copied().unwrap_or(0.0);
            design.z.iter().skip(c).step_by(n_cov).all(|&v| v == first)
        })
        .map(|c| spec.names[c].clone())
        .collect()
}

/// Rows of the covariate-free fit that starts a large covariate fit.
const START_ROWS: usize = 20_000;

/// The covariate-free fit the covariate fit starts from: on a systematic sample of about
/// [`START_ROWS`] rows (weights times the sampling step) when there are at least four times
/// as many, else (or when the sample's fit fails) on all rows. Only the start depends on it.
fn plain_start(
    kind: ModelKind,
    columns: &[&[f64]],
    weights: Option<&[f64]>,
    opts: &FitOptions,
) -> Result<Fit> {
    let n = columns[0].len();
    if n >= 4 * START_ROWS {
        let every = n / START_ROWS;
        let cols: Vec<Vec<f64>> = columns
            .iter()
            .map(|c| c.iter().step_by(every).copied().collect())
            .collect();
        let w: Vec<f64> = (0..n)
            .step_by(every)
            .map(|i| weights.map_or(1.0, |w| w[i]) * every as f64)
            .collect();
        let cols: Vec<&[f64]> = cols.iter().map(|c| c.as_slice()).collect();
        if let Ok(fit) = fit_kind(kind, &cols, Some(&w), opts) {
            return Ok(fit);
        }
    }
    fit_kind(kind, columns, weights, opts)
}

/// Maximum likelihood fit of model `kind` with covariates `z` (row-major, rows x
/// `spec.names`). `group`: None groups customers when every covariate is discrete.
pub fn fit(
    kind: ModelKind,
    columns: &[&[f64]],
    weights: Option<&[f64]>,
    z: &[f64],
    spec: &CovariateSpec,
    opts: &FitOptions,
    group: Option<bool>,
) -> Result<CovariateFit> {
    let model = kind.model();
    check_options(model, opts)?;
    check_columns(model, columns)?;
    let layout = Layout::new(kind, model.names().len(), spec)?;
    let n = columns[0].len();
    check_covariates(spec, z, n)?;
    model.check_data(columns)?;
    let plain = plain_start(kind, columns, weights, opts)?;
    let mut design = Design::new(columns, weights, z, spec.names.len(), group)?;
    let total_weight: f64 = design.patterns.weights.iter().sum();
    let scale = match model.scale_column() {
        Some(c) if design.max_of(c) > 0.0 => design.max_of(c),
        _ => 1.0,
    };
    let powers = model.time_powers();
    let original_rows = design.patterns.rows.clone();
    design.rescale(model.time_columns(), scale);
    let k = layout.k;
    let mut theta0: Vec<f64> = plain
        .params
        .iter()
        .zip(powers)
        .map(|(p, &e)| (p / scale.powi(e)).ln())
        .collect();
    theta0.resize(k + layout.n_free, 0.0);
    let objective = CovObjective {
        model,
        layout: &layout,
        design: &design,
        base_penalizer: opts.penalizer,
        total_weight,
        cell: CellTerms::of(kind),
    };
    let options = Options {
        tol: opts.tol,
        max_iter: opts.max_iter,
        memory: 10,
    };
    // With an analytic cell Hessian (BG family, Pareto/NBD) damped Newton from the plain fit
    // (large data: from a sample's optimum, see `newton_fit`). Otherwise BHHH then L-BFGS to
    // the optimum. The exact Hessian there (one pass, see `hessian`) gives the final Newton
    // step and the standard errors.
    let (min, hessian, second) = if objective.cell != CellTerms::Differences {
        let end = newton_fit(&objective, &theta0, opts, &options)?;
        (end.min, end.hessian, end.second)
    } else {
        let min = match warm_start(&objective, &theta0, opts, &options) {
            Some(start) => bhhh_lbfgs(&objective, &start, opts, &options)
                .or_else(|_| bhhh_lbfgs(&objective, &theta0, opts, &options))?,
            None => bhhh_lbfgs(&objective, &theta0, opts, &options)?,
        };
        let hessian = total_hessian(&objective, &min.x);
        (min, hessian, None)
    };
    let scaled_grad: Vec<f64> = min.grad.iter().map(|g| g * total_weight).collect();
    let theta = newton::final_step(&min.x, &scaled_grad, &hessian);
    let mut params: Vec<f64> = theta[..k]
        .iter()
        .zip(powers)
        .map(|(v, &e)| v.exp() * scale.powi(e))
        .collect();
    params.extend_from_slice(&theta[k..]);
    let shift = time_shift(kind, &design.patterns, scale);
    design.patterns.rows = original_rows;
    let log_likelihood = match (second, shift) {
        // The last exact pass was at min.x: its quadratic model gives the log-likelihood at
        // the final step's point (the step is ~H^-1 g with g below tol, so the cubic term is
        // negligible), and the time unit shifts it by a constant.
        (Some(s), Some(shift)) => quadratic_at(&s, &min.x, &theta) + shift,
        _ => {
            let mut at = theta.clone();
            at[..k]
                .iter_mut()
                .zip(&params)
                .for_each(|(t, p)| *t = p.ln());
            CovObjective {
                model,
                layout: &layout,
                design: &design,
                base_penalizer: 0.0,
                total_weight,
                cell: CellTerms::Differences,
            }
            .total(&at)
            .0
        }
    };
    let mut fit = Fit {
        covariance: covariance(&hessian, &params, k),
        standard_errors: Vec::new(),
        params,
        log_likelihood,
        n_iter: min.n_iter,
        converged: true,
        grad_norm: norm(&min.grad),
        n_patterns: design.patterns.len(),
        n_customers: total_weight,
        time_scale: scale,
        warnings: Vec::new(),
    };
    mark(&mut fit, model.names(), powers, &hessian, &theta, k);
    let constant = constant_covariates(&layout, spec, &design);
    if !constant.is_empty() {
        fit.warnings.push(format!(
            "covariates {constant:?} take one value for every customer: they are colinear \
             with the base parameters they scale, so the information matrix is singular and \
             standard errors are NaN"
        ));
        fit.covariance.iter_mut().for_each(|v| *v = f64::NAN);
    }
    let dim = fit.params.len();
    fit.standard_errors = (0..dim)
        .map(|j| fit.covariance[j * dim + j].sqrt())
        .collect();
    Ok(CovariateFit {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        model: kind,
        param_names: model.names().iter().map(|s| s.to_string()).collect(),
        spec: spec.clone(),
        options: opts.clone(),
        fit,
        time_unit: None,
        grouped: design.grouped,
    })
}

/// ln L in the data's time unit minus ln L in rescaled time (a unit `scale` times longer)
/// for the models whose likelihood is a density of the x purchase times (BG family,
/// Pareto/NBD: each purchase time carries a factor 1 / scale), from the frequency column.
fn time_shift(kind: ModelKind, data: &crate::btyd::Patterns, scale: f64) -> Option<f64> {
    match kind {
        ModelKind::BgNbd | ModelKind::MbgNbd | ModelKind::ParetoNbd => {}
        ModelKind::Bgbb | ModelKind::GammaGamma => return None,
    }
    let purchases: f64 = (0..data.len())
        .map(|i| data.weights[i] * data.row(i)[0])
        .sum();
    Some(-purchases * scale.ln())
}

/// The second-order Taylor model of the log-likelihood from totals `s` at `x`, at `to`.
fn quadratic_at(s: &Second, x: &[f64], to: &[f64]) -> f64 {
    let n = x.len();
    let d: Vec<f64> = to.iter().zip(x).map(|(a, b)| a - b).collect();
    let linear: f64 = s.grad.iter().zip(&d).map(|(g, v)| g * v).sum();
    let quad: f64 = (0..n)
        .map(|i| d[i] * (0..n).map(|j| s.hessian[i * n + j] * d[j]).sum::<f64>())
        .sum();
    s.ll + linear + 0.5 * quad
}

/// Inverse of the (log base, g) information, mapped to (natural base, g) by the delta method.
fn covariance(hessian: &[f64], params: &[f64], k: usize) -> Vec<f64> {
    let jacobian: Vec<f64> = (0..params.len())
        .map(|j| if j < k { params[j] } else { 1.0 })
        .collect();
    covariance_from_information(hessian, &jacobian)
}

/// Boundary and singularity through [`diagnose`]: the base parameters are checked for the
/// boundary, and the whole (log base, g) information for singularity (on a stand-in fit
/// whose parameters are exp(theta), so its log-scale variances are those of theta).
fn mark(fit: &mut Fit, names: &[&str], powers: &[i32], hessian: &[f64], theta: &[f64], k: usize) {
    let base = Fit {
        params: fit.params[..k].to_vec(),
        ..fit.clone()
    };
    let limits = diagnose::boundary_of(&base, names, powers);
    let n = theta.len();
    let e: Vec<f64> = theta.iter().map(|v| v.exp()).collect();
    let mut stand_in = Fit {
        params: e.clone(),
        covariance: covariance_from_information(hessian, &e),
        standard_errors: vec![0.0; n],
        warnings: Vec::new(),
        ..fit.clone()
    };
    diagnose::mark(&mut stand_in, limits, hessian);
    fit.converged = stand_in.converged;
    fit.warnings = stand_in.warnings;
    if stand_in.standard_errors.iter().any(|v| v.is_nan()) {
        fit.covariance.iter_mut().for_each(|v| *v = f64::NAN);
    }
}

impl CovariateFit {
    /// The coefficient layout of this fit.
    pub fn layout(&self) -> Result<Layout> {
        Layout::new(self.model, self.param_names.len(), &self.spec)
    }

    /// Names of the base parameters (borrowed from the model).
    pub fn fit_names(&self) -> Vec<&str> {
        self.param_names.iter().map(|s| s.as_str()).collect()
    }

    /// (block, covariate, value, standard error, free index) of every reported coefficient
    /// (a constrained covariate's shared parameter is reported in each block it enters).
    pub fn coefficients(&self) -> Result<Vec<Coefficient>> {
        let k = self.param_names.len();
        Ok(self
            .layout()?
            .rows
            .into_iter()
            .map(|(b, c, f)| {
                let (v, se) = (self.fit.params[k + f], self.fit.standard_errors[k + f]);
                (b, c, v, se, f)
            })
            .collect())
    }

    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self)
            .map_err(|e| ClmError::InvalidArgument(format!("cannot serialise model: {e}")))
    }

    /// Parses and checks a saved covariate model.
    pub fn from_json(text: &str) -> Result<CovariateFit> {
        let saved: CovariateFit = serde_json::from_str(text).map_err(|e| {
            ClmError::InvalidArgument(format!("not a saved clmkit covariate model: {e}"))
        })?;
        if saved.format != FORMAT || saved.format_version > FORMAT_VERSION {
            return Err(ClmError::InvalidArgument(format!(
                "not a saved clmkit covariate model (format {:?} version {}); upgrade clmkit",
                saved.format, saved.format_version
            )));
        }
        let names = saved.model.param_names();
        let layout = saved.layout()?;
        let dim = names.len() + layout.n_free;
        let f = &saved.fit;
        if saved.param_names != names
            || f.params.len() != dim
            || f.standard_errors.len() != dim
            || f.covariance.len() != dim * dim
        {
            return Err(ClmError::InvalidArgument(format!(
                "saved {} covariate model does not match its layout ({dim} parameters)",
                saved.model
            )));
        }
        super::check_params(names, &f.params[..names.len()])?;
        if let Some(j) = f.params.iter().position(|v| !v.is_finite()) {
            return Err(ClmError::InvalidArgument(format!(
                "fit.params[{j}] must be finite"
            )));
        }
        Ok(saved)
    }
}

#[cfg(test)]
mod tests;
