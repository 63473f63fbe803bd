//! Bootstrap prediction intervals for every BTYD model.
//!
//! Two sources of replicate parameters: the parametric bootstrap draws log-parameters from the
//! normal approximation of the fit, N(log θ̂, Σ_log) with Σ_log = Cov(θ̂)_ij / (θ̂_i θ̂_j) (the
//! fit's delta-method covariance mapped back to the scale it was estimated on, so draws stay
//! positive); the customer bootstrap resamples customers with replacement — a multinomial
//! draw of new pattern weights — and refits. A quantity is evaluated at each replicate and the
//! interval is the pair of empirical quantiles per output.
//!
//! Replicate b always draws from `random::stream(seed, b)` and replicates are collected in
//! order, so intervals are identical for any thread count.

use rand_distr::{Binomial, Distribution, StandardNormal};
use rayon::prelude::*;

use super::{fit_kind, FitOptions, ModelKind, Patterns};
use crate::error::{ClmError, Result};
use crate::numeric::linalg::cholesky;
use crate::numeric::random::{stream, Stream};

/// Runs `f(b)` for b in 0..n in parallel, in order; the error of the lowest failing
/// replicate is returned.
pub fn replicate<T: Send>(
    n: usize,
    f: impl Fn(usize) -> Result<T> + Sync + Send,
) -> Result<Vec<T>> {
    // Reserved fallibly first: a huge n is an error, not an aborted process.
    let mut results: Vec<Result<T>> = Vec::new();
    results
        .try_reserve_exact(n)
        .map_err(|_| ClmError::InvalidArgument(format!("not enough memory for {n} replicates")))?;
    (0..n)
        .into_par_iter()
        .map(|b| {
            crate::parallel::check_interrupt()?;
            f(b)
        })
        .collect_into_vec(&mut results);
    results.into_iter().collect()
}

/// Most bootstrap replicates: far beyond what interval estimates need (a few thousand), and
/// small enough that n_boot x parameters always fits in memory.
pub const MAX_BOOT: usize = 1_000_000;

fn check_n_boot(n_boot: usize) -> Result<()> {
    if n_boot > MAX_BOOT {
        return Err(ClmError::InvalidArgument(format!(
            "n_boot must be <= {MAX_BOOT}, got {n_boot}"
        )));
    }
    Ok(())
}

/// Lower-triangular Cholesky factor of the covariance of the log-parameters.
fn log_scale_factor(params: &[f64], covariance: &[f64]) -> Result<Vec<f64>> {
    let k = params.len();
    if covariance.len() != k * k || covariance.iter().any(|v| !v.is_finite()) {
        return Err(ClmError::InvalidArgument(
            "the fit has no finite covariance matrix (singular information); use method=\"resample\"".into(),
        ));
    }
    let log_cov: Vec<f64> = (0..k * k)
        .map(|ij| covariance[ij] / (params[ij / k] * params[ij % k]))
        .collect();
    cholesky(&log_cov, k)
}

/// Parameters of replicate `b` of the parametric bootstrap (see the module notes).
pub fn parametric_draw(params: &[f64], factor: &[f64], rng: &mut Stream) -> Vec<f64> {
    let k = params.len();
    let z: Vec<f64> = (0..k).map(|_| StandardNormal.sample(rng)).collect();
    (0..k)
        .map(|i| {
            let shift: f64 = (0..=i).map(|j| factor[i * k + j] * z[j]).sum();
            params[i] * shift.exp()
        })
        .collect()
}

/// `n_boot` parameter vectors of the parametric bootstrap.
pub fn parametric_draws(
    params: &[f64],
    covariance: &[f64],
    n_boot: usize,
    seed: u64,
) -> Result<Vec<Vec<f64>>> {
    check_n_boot(n_boot)?;
    let factor = log_scale_factor(params, covariance)?;
    replicate(n_boot, |b| {
        Ok(parametric_draw(
            params,
            &factor,
            &mut stream(seed, b as u64),
        ))
    })
}

/// Pattern weights of one customer-resampling replicate: N = round(sum of weights) customers
/// drawn with replacement, i.e. Multinomial(N, w / Σw), by sequential conditional binomials.
pub fn resampled_weights(weights: &[f64], rng: &mut Stream) -> Result<Vec<f64>> {
    let total: f64 = weights.iter().sum();
    let mut left = total.round() as u64;
    let mut mass = total;
    let mut out = Vec::with_capacity(weights.len());
    for &w in weights {
        let p = if mass > 0.0 {
            (w / mass).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let k = if left == 0 || p == 0.0 {
            0
        } else if p >= 1.0 {
            left
        } else {
            Binomial::new(left, p)
                .map_err(|e| ClmError::InvalidArgument(format!("cannot resample weights: {e}")))?
                .sample(rng)
        };
        out.push(k as f64);
        left -= k;
        mass -= w;
    }
    Ok(out)
}

/// Largest share of customer-resampling refits that may fail before the bootstrap does.
const MAX_FAILED_SHARE: f64 = 0.1;

/// Parameters refitted to `n_boot` customer resamples of the data `columns` (+ `weights`),
/// each started from the full-data estimate `params`. The data are compressed once; a
/// resample only changes the pattern weights.
///
/// A resample can have its likelihood's supremum on the boundary of the parameter space
/// (BG/BB's gamma, delta -> infinity at a fixed ratio: a degenerate dropout distribution),
/// where the refit runs along a flat ridge and whether it meets the stopping rule depends
/// on rounding. Such replicates have no finite estimate and are left out (the caller sees
/// fewer rows than `n_boot`); more than 10% of them is an error (the first one's).
pub fn resample_fits(
    model: ModelKind,
    columns: &[&[f64]],
    weights: Option<&[f64]>,
    params: &[f64],
    opts: &FitOptions,
    n_boot: usize,
    seed: u64,
) -> Result<Vec<Vec<f64>>> {
    check_n_boot(n_boot)?;
    let names: Vec<String> = (0..columns.len()).map(|j| format!("column {j}")).collect();
    let name_refs: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    let data = Patterns::compress(&name_refs, columns, weights)?;
    let pattern_columns: Vec<Vec<f64>> = (0..data.k)
        .map(|j| (0..data.len()).map(|i| data.row(i)[j]).collect())
        .collect();
    let opts = FitOptions {
        initial: Some(params.to_vec()),
        ..opts.clone()
    };
    let fits = replicate(n_boot, |b| {
        let w = resampled_weights(&data.weights, &mut stream(seed, b as u64))?;
        let cols: Vec<&[f64]> = pattern_columns.iter().map(|c| c.as_slice()).collect();
        match fit_kind(model, &cols, Some(&w), &opts) {
            Ok(f) if f.converged => Ok(Ok(f.params)),
            // On the boundary (see above): no finite estimate.
            Ok(f) => Ok(Err(ClmError::Convergence {
                message: format!(
                    "bootstrap replicate {b} (seed {seed}): {}",
                    f.warnings.join("; ")
                ),
                params: f.params,
                grad_norm: f.grad_norm,
            })),
            Err(ClmError::Convergence {
                message,
                params,
                grad_norm,
            }) => Ok(Err(ClmError::Convergence {
                message: format!("bootstrap replicate {b} (seed {seed}): {message}"),
                params,
                grad_norm,
            })),
            Err(other) => Err(other),
        }
    })?;
    let failed = fits.iter().filter(|f| f.is_err()).count();
    if failed as f64 > MAX_FAILED_SHARE * n_boot as f64 {
        if let Some(Err(first)) = fits.into_iter().find(|f| f.is_err()) {
            return Err(first);
        }
        return Err(ClmError::InvalidArgument("bootstrap: refits failed".into()));
    }
    Ok(fits.into_iter().filter_map(|f| f.ok()).collect())
}

/// Linear-interpolation quantile (numpy's default) of sorted values.
fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Central `level` interval per output from replicate values (`values[b][j]`): the
/// (1 - level)/2 and (1 + level)/2 quantiles. NaN replicates make the output NaN.
pub fn intervals(values: &[Vec<f64>], level: f64) -> Result<(Vec<f64>, Vec<f64>)> {
    if !(level > 0.0 && level < 1.0) {
        return Err(ClmError::InvalidArgument(format!(
            "level must be in (0, 1), got {level}"
        )));
    }
    let m = values.first().map_or(0, |v| v.len());
    if values.iter().any(|v| v.len() != m) {
        return Err(ClmError::InvalidArgument(
            "replicates returned outputs of different lengths".into(),
        ));
    }
    let bounds: Vec<(f64, f64)> = (0..m)
        .into_par_iter()
        .with_min_len(crate::numeric::grain::ITEMS_COSTLY)
        .map(|j| {
            let mut column: Vec<f64> = values.iter().map(|v| v[j]).collect();
            if column.iter().any(|v| v.is_nan()) {
                return (f64::NAN, f64::NAN);
            }
            column.sort_by(f64::total_cmp);
            (
                quantile_sorted(&column, 0.5 * (1.0 - level)),
                quantile_sorted(&column, 0.5 * (1.0 + level)),
            )
        })
        .collect();
    Ok(bounds.into_iter().unzip())
}

/// Checks the common options of an interval request.
pub fn check_options(n_boot: usize, level: f64) -> Result<()> {
    if n_boot < 2 {
        return Err(ClmError::InvalidArgument(format!(
            "n_boot must be >= 2, got {n_boot}"
        )));
    }
    check_n_boot(n_boot)?;
    if !(level > 0.0 && level < 1.0) {
        return Err(ClmError::InvalidArgument(format!(
            "level must be in (0, 1), got {level}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parametric_draws_have_the_fitted_log_covariance() {
        let params = [2.0, 0.5];
        // Natural-scale covariance whose log-scale version is [[0.04, 0.01], [0.01, 0.09]].
        let log_cov = [0.04, 0.01, 0.01, 0.09];
        let cov: Vec<f64> = (0..4)
            .map(|ij| log_cov[ij] * params[ij / 2] * params[ij % 2])
            .collect();
        let draws = parametric_draws(&params, &cov, 20_000, 11).unwrap();
        let logs: Vec<[f64; 2]> = draws
            .iter()
            .map(|d| [(d[0] / 2.0).ln(), (d[1] / 0.5).ln()])
            .collect();
        let n = logs.len() as f64;
        let mean0 = logs.iter().map(|l| l[0]).sum::<f64>() / n;
        let var1 = logs.iter().map(|l| l[1] * l[1]).sum::<f64>() / n;
        let cov01 = logs.iter().map(|l| l[0] * l[1]).sum::<f64>() / n;
        assert!(mean0.abs() < 0.005 && (var1 - 0.09).abs() < 0.005 && (cov01 - 0.01).abs() < 0.003);
    }

    #[test]
    fn draws_do_not_depend_on_the_thread_count() {
        let cov = [0.01, 0.0, 0.0, 0.02];
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| parametric_draws(&[1.0, 1.0], &cov, 300, 5).unwrap())
        };
        assert_eq!(run(1), run(3));
    }

    #[test]
    fn resampled_weights_keep_the_total_and_the_proportions() {
        let weights = [3464.0, 1091.0, 277.0, 0.0, 6272.0];
        let mut rng = stream(3, 0);
        let mut mean = [0.0; 5];
        for _ in 0..400 {
            let w = resampled_weights(&weights, &mut rng).unwrap();
            assert_eq!(w.iter().sum::<f64>(), 11104.0);
            assert_eq!(w[3], 0.0);
            mean.iter_mut().zip(&w).for_each(|(m, v)| *m += v / 400.0);
        }
        for (m, w) in mean.iter().zip(&weights) {
            assert!((m - w).abs() < 0.02 * w + 1e-9, "{m} vs {w}");
        }
    }

    #[test]
    fn huge_replicate_counts_are_errors_not_aborts() {
        let err =
            parametric_draws(&[1.0, 2.0], &[0.01, 0.0, 0.0, 0.04], 10_000_000_000, 1).unwrap_err();
        assert!(err.to_string().contains("n_boot"), "{err}");
        // Past any memory: the reservation fails and is reported.
        let err = replicate(usize::MAX / 2, |_| Ok(0.0)).unwrap_err();
        assert!(err.to_string().contains("memory"), "{err}");
    }

    #[test]
    fn refits_that_fail_are_left_out_up_to_a_tenth() {
        let (x, tx, t, _) = crate::btyd::tests::fit::cdnow();
        let cols: [&[f64]; 3] = [&x[..400], &tx[..400], &t[..400]];
        let fit = fit_kind(ModelKind::BgNbd, &cols, None, &FitOptions::default()).unwrap();
        let ok = resample_fits(
            ModelKind::BgNbd,
            &cols,
            None,
            &fit.params,
            &FitOptions::default(),
            8,
            3,
        )
        .unwrap();
        assert_eq!(ok.len(), 8);
        // One iteration cannot converge: every refit fails, so the first failure is reported.
        let opts = FitOptions {
            max_iter: 1,
            ..FitOptions::default()
        };
        let start = [
            fit.params[0] * 2.0,
            fit.params[1],
            fit.params[2],
            fit.params[3],
        ];
        match resample_fits(ModelKind::BgNbd, &cols, None, &start, &opts, 8, 3) {
            Err(ClmError::Convergence { message, .. }) => {
                assert!(message.starts_with("bootstrap replicate 0 "), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn intervals_are_numpy_quantiles() {
        let values: Vec<Vec<f64>> = (0..11).map(|b| vec![b as f64, 10.0 - b as f64]).collect();
        let (lo, hi) = intervals(&values, 0.9).unwrap();
        for (got, want) in lo.iter().chain(&hi).zip([0.5, 0.5, 9.5, 9.5]) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
        assert!(intervals(&values, 1.0).is_err());
    }
}
