//! Covariate matrices of the regression models (Cox, Weibull AFT): size checks before anything
//! is allocated, standardisation that survives any unit (x 1e160 or x 1e-13), and the
//! identifiability checks (constant and perfectly collinear columns) that name the column.
//!
//! Columns arrive with their names already quoted by the caller (Python's `repr`), so messages
//! read as the caller wrote the frame.

use crate::error::{ClmError, Result};

/// Most covariates a regression model takes: Newton's method holds and factorises a p x p
/// information matrix (p = 5,000 is 200 MB and ~4e10 flops per iteration); more columns are
/// almost always an unreduced one-hot encoding.
pub const MAX_COVARIATES: usize = 5_000;
/// Most cells (rows x covariates) of a design matrix: the fit holds ~3 copies of it (the
/// caller's, the standardised one and the sorted one), 2^28 cells being 2 GiB each.
pub const MAX_DESIGN_CELLS: usize = 1 << 28;
/// Most cells of the parallel sums' accumulators (one (p + 2)^2 block per chunk of
/// `parallel::CHUNK` rows, for the Gram matrix and the Weibull Hessian): 2^27 cells, 1 GiB.
pub const MAX_ACCUMULATOR_CELLS: usize = 1 << 27;

/// Checks that an n x p design fits the bounds above before anything of that size exists.
pub fn check_design_size(n: usize, p: usize, arg: &str) -> Result<()> {
    if p > MAX_COVARIATES {
        return Err(ClmError::InvalidArgument(format!(
            "{arg} has {p} covariate columns; at most {MAX_COVARIATES} are supported (the fit \
             needs a {p} x {p} information matrix, {:.1} GB): reduce the columns, e.g. merge \
             rare categories before one-hot encoding",
            (p as f64).powi(2) * 8e-9
        )));
    }
    let block = (p + 2).saturating_mul(p + 2);
    let accumulators = n.div_ceil(crate::parallel::CHUNK).saturating_mul(block);
    if accumulators > MAX_ACCUMULATOR_CELLS {
        return Err(ClmError::InvalidArgument(format!(
            "{arg} has {n} rows x {p} covariates: the fit's sums would need {:.1} GB of \
             working memory (at most {:.1} GB): sample rows or reduce the columns",
            accumulators as f64 * 8e-9,
            MAX_ACCUMULATOR_CELLS as f64 * 8e-9
        )));
    }
    if n.saturating_mul(p) > MAX_DESIGN_CELLS {
        return Err(ClmError::InvalidArgument(format!(
            "{arg} has {n} rows x {p} covariates = {} cells, more than the {MAX_DESIGN_CELLS} \
             a fit holds in memory: sample rows or reduce the columns",
            n.saturating_mul(p)
        )));
    }
    Ok(())
}

/// Column means, sample standard deviations (ddof = 1, as pandas and so lifelines scale, whose
/// penalty acts on the standardised coefficients), the standardised matrix (x - mean) / sd and
/// its Gram matrix z'z.
pub struct Standardized {
    pub z: Vec<f64>,
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
    pub gram: Vec<f64>,
    /// Largest |x| per column (0 for an all-zero column).
    pub max_abs: Vec<f64>,
}

/// Standardises row-major n x p `x` in deterministic parallel passes. Each column is first
/// divided by a power of two near its largest |value| (exact in binary), so squares neither
/// overflow for huge units nor underflow for tiny ones; the moments are then scaled back.
/// Columns with sd = 0 keep scale 1 (reported as sd 0 for the caller to name).
pub fn standardize(x: &[f64], p: usize) -> Result<Standardized> {
    if p == 0 || !x.len().is_multiple_of(p) {
        return Err(ClmError::InvalidArgument(format!(
            "covariate matrix of {} values cannot have {p} columns",
            x.len()
        )));
    }
    let n = x.len() / p;
    crate::error::check_finite("covariates", x)?;
    let max_abs = crate::parallel::sum_vec(n, p, |i, acc| {
        for (a, v) in acc.iter_mut().zip(&x[i * p..(i + 1) * p]) {
            *a = a.max(v.abs());
        }
    });
    let unit: Vec<f64> = max_abs.iter().map(|&m| power_of_two_below(m)).collect();
    let sums = crate::parallel::sum_vec(n, p, |i, acc| {
        for ((a, v), u) in acc.iter_mut().zip(&x[i * p..(i + 1) * p]).zip(&unit) {
            *a += v / u;
        }
    });
    let unit_mean: Vec<f64> = sums.iter().map(|s| s / n as f64).collect();
    // Two-pass variance (sum of squared deviations), stable where E[x^2] - mean^2 is not.
    let squares = crate::parallel::sum_vec(n, p, |i, acc| {
        let row = &x[i * p..(i + 1) * p];
        for j in 0..p {
            let d = row[j] / unit[j] - unit_mean[j];
            acc[j] += d * d;
        }
    });
    let ddof = if n > 1 { 1.0 } else { 0.0 };
    let unit_std: Vec<f64> = squares
        .iter()
        .map(|s| (s / (n as f64 - ddof)).sqrt())
        .collect();
    let inv: Vec<f64> = unit_std
        .iter()
        .map(|&s| if s > 0.0 { 1.0 / s } else { 1.0 })
        .collect();
    let mut z = vec![0.0; x.len()];
    {
        use rayon::prelude::*;
        z.par_chunks_mut(p)
            .zip(x.par_chunks(p))
            .with_min_len(crate::numeric::grain::ITEMS_FORMULA)
            .for_each(|(zr, xr)| {
                for j in 0..p {
                    zr[j] = (xr[j] / unit[j] - unit_mean[j]) * inv[j];
                }
            });
    }
    let mut gram = crate::parallel::sum_vec(n, p * p, |i, acc| {
        let row = &z[i * p..(i + 1) * p];
        for a in 0..p {
            for b in a..p {
                acc[a * p + b] += row[a] * row[b];
            }
        }
    });
    for a in 0..p {
        for b in 0..a {
            gram[a * p + b] = gram[b * p + a];
        }
    }
    let mean = unit_mean.iter().zip(&unit).map(|(m, u)| m * u).collect();
    let std = unit_std.iter().zip(&unit).map(|(s, u)| s * u).collect();
    Ok(Standardized {
        z,
        mean,
        std,
        gram,
        max_abs,
    })
}

/// 2^floor(log2 m) for finite m > 0, else 1.
fn power_of_two_below(m: f64) -> f64 {
    if !(m > 0.0 && m.is_finite()) {
        return 1.0;
    }
    let e = m.log2().floor().clamp(-1022.0, 1023.0);
    2f64.powi(e as i32)
}

impl Standardized {
    /// Rejects columns that are constant (sd at rounding level of their magnitude) and, unless
    /// `allow_collinear`, columns that are linear combinations of earlier ones. `names` are the
    /// columns as the caller quotes them; `hint` ends the collinearity message.
    pub fn check_identifiable(
        &self,
        x: &[f64],
        names: &[String],
        allow_collinear: bool,
        hint: &str,
    ) -> Result<()> {
        let p = self.mean.len();
        for j in 0..p {
            // (finite inputs, so sd is a number; an all-zero column has sd = max = 0)
            if self.std[j] <= 1e-12 * self.max_abs[j] {
                return Err(ClmError::InvalidArgument(format!(
                    "covariate {} is constant (every row is {}); it is not identifiable next \
                     to the baseline / intercept: drop it",
                    name_of(names, j),
                    super::py_float(x.get(j).copied().unwrap_or(0.0))
                )));
            }
        }
        if allow_collinear || p < 2 {
            return Ok(());
        }
        check_collinear(&self.gram, p, names, hint)
    }
}

fn name_of(names: &[String], j: usize) -> String {
    names
        .get(j)
        .cloned()
        .unwrap_or_else(|| format!("column {j}"))
}

/// Regresses each standardised column on the earlier ones through the Gram matrix G, by an
/// incremental Cholesky factorisation (O(p^3) in all): with L L' the factor of the leading
/// block, y = L^-1 g_j gives the explained part y'y of G_jj; a relative residual below 1e-10
/// means column j is a linear combination of the earlier ones (those with non-zero
/// coefficients L'^-1 y are named), else the residual's root extends L.
fn check_collinear(gram: &[f64], p: usize, names: &[String], hint: &str) -> Result<()> {
    let mut l = vec![0.0; p * p];
    l[0] = gram[0].sqrt();
    for j in 1..p {
        let mut y = vec![0.0; j];
        for a in 0..j {
            let partial: f64 = (0..a).map(|k| l[a * p + k] * y[k]).sum();
            y[a] = (gram[a * p + j] - partial) / l[a * p + a];
        }
        let explained: f64 = y.iter().map(|v| v * v).sum();
        let residual = (gram[j * p + j] - explained) / gram[j * p + j];
        if residual < 1e-10 {
            let mut coef = y;
            for a in (0..j).rev() {
                let later: f64 = (a + 1..j).map(|k| l[k * p + a] * coef[k]).sum();
                coef[a] = (coef[a] - later) / l[a * p + a];
            }
            let parts: Vec<String> = (0..j)
                .filter(|&a| coef[a].abs() > 1e-8)
                .map(|a| name_of(names, a))
                .collect();
            return Err(ClmError::InvalidArgument(format!(
                "covariates are perfectly collinear: {} is a linear combination of [{}]; drop \
                 one of them{hint}",
                name_of(names, j),
                parts.join(", ")
            )));
        }
        l[j * p..j * p + j].copy_from_slice(&y);
        l[j * p + j] = (gram[j * p + j] - explained).sqrt();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(k: usize) -> Vec<String> {
        (0..k).map(|j| format!("'c{j}'")).collect()
    }

    #[test]
    fn standardize_matches_two_pass_formulas() {
        let x = [1.0, 10.0, 2.0, 10.0, 4.0, 10.0];
        let s = standardize(&x, 2).unwrap();
        assert_eq!(s.mean, vec![7.0 / 3.0, 10.0]);
        let var = ((1.0f64 - 7.0 / 3.0).powi(2)
            + (2.0f64 - 7.0 / 3.0).powi(2)
            + (4.0f64 - 7.0 / 3.0).powi(2))
            / 2.0;
        assert!((s.std[0] - var.sqrt()).abs() < 1e-15 && s.std[1] == 0.0);
        assert!((s.gram[0] - 2.0).abs() < 1e-14 && s.gram[1] == 0.0);
    }

    #[test]
    fn any_unit_gives_the_same_standardised_matrix() {
        let x = [0.3, 1.0, -1.2, 2.0, 2.5, 0.0, 0.7, 1.0];
        let base = standardize(&x, 2).unwrap();
        for unit in [1e160, 1e-13, 1e-300, 1e300] {
            let scaled: Vec<f64> = x.iter().map(|v| v * unit).collect();
            let s = standardize(&scaled, 2).unwrap();
            for (a, b) in s.z.iter().zip(&base.z) {
                assert!((a - b).abs() < 1e-13, "{unit}: {a} vs {b}");
            }
            assert!((s.std[0] / unit - base.std[0]).abs() < 1e-13 * base.std[0]);
            assert!((s.mean[1] / unit - base.mean[1]).abs() < 1e-13);
            s.check_identifiable(&scaled, &names(2), false, "").unwrap();
        }
    }

    #[test]
    fn constant_and_collinear_columns_are_named() {
        let x = [1.0, 5.0, 2.0, 5.0, 4.0, 5.0];
        let s = standardize(&x, 2).unwrap();
        let err = s.check_identifiable(&x, &names(2), false, "").unwrap_err();
        assert!(err
            .to_string()
            .contains("'c1' is constant (every row is 5.0)"));
        // c2 = c0 + 2 c1
        let x = [1.0, 0.0, 1.0, 2.0, 1.0, 4.0, 0.5, 3.0, 6.5, 3.0, 2.0, 7.0];
        let s = standardize(&x, 3).unwrap();
        let err = s.check_identifiable(&x, &names(3), false, "!").unwrap_err();
        assert!(
            err.to_string()
                .contains("'c2' is a linear combination of ['c0', 'c1']; drop one of them!"),
            "{err}"
        );
        assert!(s.check_identifiable(&x, &names(3), true, "").is_ok());
    }

    /// The incremental factor agrees with a direct regression (normal equations) on a column
    /// that is nearly, but not exactly, a combination of the others.
    #[test]
    fn near_collinear_columns_pass_and_exact_ones_name_their_parts() {
        let rows = 50;
        let mut x = Vec::new();
        for i in 0..rows {
            let (a, b, c) = ((i as f64).sin(), (i as f64 * 0.37).cos(), (i % 7) as f64);
            x.extend_from_slice(&[a, b, c, 2.0 * a - c + 1e-3 * ((i * i) % 5) as f64]);
        }
        let s = standardize(&x, 4).unwrap();
        assert!(s.check_identifiable(&x, &names(4), false, "").is_ok());
        for i in 0..rows {
            x[i * 4 + 3] = 2.0 * x[i * 4] - x[i * 4 + 2];
        }
        let s = standardize(&x, 4).unwrap();
        let err = s.check_identifiable(&x, &names(4), false, "").unwrap_err();
        assert!(
            err.to_string()
                .contains("'c3' is a linear combination of ['c0', 'c2']"),
            "{err}"
        );
    }

    #[test]
    fn oversized_designs_are_refused_before_allocation() {
        let err = check_design_size(1000, 20_000, "df")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("df has 20000 covariate columns"), "{err}");
        assert!(check_design_size(usize::MAX, 2, "df").is_err());
        assert!(check_design_size(1_000_000, 50, "df").is_ok());
        let err = check_design_size(200_000, 4_000, "df")
            .unwrap_err()
            .to_string();
        assert!(err.contains("working memory"), "{err}");
    }
}
