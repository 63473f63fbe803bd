//! Evaluation hooks for optimiser drivers outside [`super::fit`]: clmkit.dask sums the
//! log-likelihood and gradient over data partitions at each step of its own driver, so it
//! needs one partition's total at given parameters, and the model's time layout to rescale
//! data and parameters as `fit` does.

use super::{check_columns, check_params, LogObjective, Model, ModelKind, Patterns};
use crate::error::{ClmError, Result};

/// What a driver needs to know about a model's parameters and data columns.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelLayout {
    pub names: Vec<String>,
    pub columns: Vec<String>,
    pub time_columns: Vec<usize>,
    pub scale_column: Option<usize>,
    pub time_powers: Vec<i32>,
}

fn layout(model: &dyn Model) -> ModelLayout {
    ModelLayout {
        names: model.names().iter().map(|s| s.to_string()).collect(),
        columns: model.columns().iter().map(|s| s.to_string()).collect(),
        time_columns: model.time_columns().to_vec(),
        scale_column: model.scale_column(),
        time_powers: model.time_powers().to_vec(),
    }
}

/// Total weighted log-likelihood of the rows of `columns` at natural `params`, and its
/// gradient with respect to them; the same sum `fit` maximises, over the rows' patterns.
fn loglik_grad(
    model: &dyn Model,
    params: &[f64],
    columns: &[&[f64]],
    weights: Option<&[f64]>,
) -> Result<(f64, Vec<f64>)> {
    check_params(model.names(), params)?;
    if columns.len() != model.columns().len() {
        return Err(ClmError::InvalidArgument(format!(
            "expected {} data columns ({:?}), got {}",
            model.columns().len(),
            model.columns(),
            columns.len()
        )));
    }
    let data = Patterns::compress(model.columns(), columns, weights)?;
    model.check_data(columns)?;
    Ok(LogObjective {
        model,
        data: &data,
        penalizer: 0.0,
        total_weight: 1.0,
    }
    .total(params))
}

/// Checks one partition's data columns by the rules every fit and prediction of model
/// `kind` applies (so a driver that sees the data in pieces rejects a bad row in the
/// partition that holds it, with the same message).
pub fn check_data(kind: ModelKind, columns: &[&[f64]]) -> Result<()> {
    let model = kind.model();
    check_columns(model, columns)?;
    model.check_data(columns)
}

/// The layout of model `kind`.
pub fn model_layout(kind: ModelKind) -> ModelLayout {
    layout(kind.model())
}

/// [`loglik_grad`] of model `kind`.
pub fn loglik_grad_of(
    kind: ModelKind,
    params: &[f64],
    columns: &[&[f64]],
    weights: Option<&[f64]>,
) -> Result<(f64, Vec<f64>)> {
    loglik_grad(kind.model(), params, columns, weights)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btyd::{bgnbd, fit, FitOptions};

    #[test]
    fn partition_sums_equal_the_whole_and_vanish_at_the_fit() {
        let (x, tx, t, _) = crate::btyd::tests::fit::cdnow();
        let f = fit(&bgnbd::BgNbd, &[&x, &tx, &t], None, &FitOptions::default()).unwrap();
        let (ll, g) = loglik_grad_of(ModelKind::BgNbd, &f.params, &[&x, &tx, &t], None).unwrap();
        assert!((ll - f.log_likelihood).abs() < 1e-9 * ll.abs());
        let (n, k) = (x.len(), 700);
        let (a, ga) = loglik_grad_of(
            ModelKind::BgNbd,
            &f.params,
            &[&x[..k], &tx[..k], &t[..k]],
            None,
        )
        .unwrap();
        let (b, gb) = loglik_grad_of(
            ModelKind::BgNbd,
            &f.params,
            &[&x[k..n], &tx[k..n], &t[k..n]],
            None,
        )
        .unwrap();
        assert!((a + b - ll).abs() < 1e-9 * ll.abs());
        for j in 0..4 {
            assert!((ga[j] + gb[j] - g[j]).abs() < 1e-6, "{ga:?} {gb:?} {g:?}");
            // Stationary point (to fit's tolerance 1e-8 on the mean): p d ll / d p ~ 0.
            assert!((g[j] * f.params[j]).abs() < 1e-6 * n as f64 * 10.0, "{g:?}");
        }
    }

    #[test]
    fn layout_and_bad_input() {
        let l = model_layout(ModelKind::BgNbd);
        assert_eq!(
            (l.time_columns, l.scale_column, l.time_powers),
            (vec![1, 2], Some(2), vec![0, 1, 0, 0])
        );
        assert!(loglik_grad_of(
            ModelKind::BgNbd,
            &[1.0, 1.0, 1.0],
            &[&[1.0], &[1.0], &[2.0]],
            None
        )
        .is_err());
        assert!(
            loglik_grad_of(ModelKind::BgNbd, &[1.0; 4], &[&[1.0], &[3.0], &[2.0]], None).is_err()
        );
    }
}
