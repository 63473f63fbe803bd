//! Small dense linear algebra for parameter vectors (a handful to a few hundred parameters):
//! Cholesky factorisation, solves and inverses of symmetric positive-definite matrices.
//! Matrices are row-major `Vec<f64>` of size n x n.

use crate::error::{ClmError, Result};

/// Lower-triangular Cholesky factor L with A = L L^T.
pub fn cholesky(a: &[f64], n: usize) -> Result<Vec<f64>> {
    if a.len() != n * n {
        return Err(ClmError::InvalidArgument(format!(
            "matrix has {} entries, expected {}",
            a.len(),
            n * n
        )));
    }
    let mut l = vec![0.0; n * n];
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= l[j * n + k] * l[j * n + k];
        }
        if !(d > 0.0 && d.is_finite()) {
            return Err(ClmError::InvalidArgument(format!(
                "matrix is not positive definite (pivot {j} is {d:.3e}): parameters may be \
                 collinear or unidentified"
            )));
        }
        let d = d.sqrt();
        l[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            l[i * n + j] = s / d;
        }
    }
    Ok(l)
}

/// Solves A x = b given the Cholesky factor L of A.
pub fn cholesky_solve(l: &[f64], n: usize, b: &[f64]) -> Vec<f64> {
    let mut y = b.to_vec();
    for i in 0..n {
        for k in 0..i {
            y[i] -= l[i * n + k] * y[k];
        }
        y[i] /= l[i * n + i];
    }
    for i in (0..n).rev() {
        for k in i + 1..n {
            y[i] -= l[k * n + i] * y[k];
        }
        y[i] /= l[i * n + i];
    }
    y
}

/// Solves A x = b for symmetric positive-definite A.
pub fn solve_spd(a: &[f64], n: usize, b: &[f64]) -> Result<Vec<f64>> {
    Ok(cholesky_solve(&cholesky(a, n)?, n, b))
}

/// Inverse of a symmetric positive-definite matrix (e.g. covariance = inverse information).
pub fn inverse_spd(a: &[f64], n: usize) -> Result<Vec<f64>> {
    let l = cholesky(a, n)?;
    let mut inv = vec![0.0; n * n];
    let mut e = vec![0.0; n];
    for j in 0..n {
        e.iter_mut().for_each(|x| *x = 0.0);
        e[j] = 1.0;
        let col = cholesky_solve(&l, n, &e);
        for i in 0..n {
            inv[i * n + j] = col[i];
        }
    }
    // Symmetrise away rounding so covariances are exactly symmetric.
    symmetrize(&mut inv, n);
    Ok(inv)
}

/// Covariance from an information matrix (negative Hessian of the log-likelihood) in the
/// optimiser's coordinates theta, mapped by the delta method through an elementwise
/// reparametrisation with derivatives `jacobian` (d natural_i / d theta_i):
/// cov_ij = inv(I)_ij * jacobian_i * jacobian_j. All NaN when the information is not positive
/// definite (a singular fit: the caller reports it).
pub fn covariance_from_information(information: &[f64], jacobian: &[f64]) -> Vec<f64> {
    let n = jacobian.len();
    match inverse_spd(information, n) {
        Ok(inv) => (0..n * n)
            .map(|k| inv[k] * jacobian[k / n] * jacobian[k % n])
            .collect(),
        Err(_) => vec![f64::NAN; n * n],
    }
}

/// Replaces each off-diagonal pair of the row-major n x n matrix `a` by its mean.
pub fn symmetrize(a: &mut [f64], n: usize) {
    for i in 0..n {
        for j in 0..i {
            let m = 0.5 * (a[i * n + j] + a[j * n + i]);
            a[i * n + j] = m;
            a[j * n + i] = m;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covariance_from_information_is_the_delta_method_by_hand() {
        // I = [[4, 2], [2, 3]]: I^-1 = [[3, -2], [-2, 4]] / 8; jacobian (2, 0.5).
        let cov = covariance_from_information(&[4.0, 2.0, 2.0, 3.0], &[2.0, 0.5]);
        let expected = [3.0 / 8.0 * 4.0, -2.0 / 8.0, -2.0 / 8.0, 4.0 / 8.0 * 0.25];
        for (c, e) in cov.iter().zip(expected) {
            assert!((c - e).abs() < 1e-15, "{cov:?}");
        }
        // singular information: every entry NaN, nothing panics
        let singular = covariance_from_information(&[1.0, 1.0, 1.0, 1.0], &[1.0, 1.0]);
        assert!(singular.iter().all(|v| v.is_nan()));
    }

    #[test]
    fn solve_and_inverse_agree_with_hand_values() {
        // A = [[4, 2], [2, 3]], det = 8, A^-1 = [[3, -2], [-2, 4]] / 8
        let a = [4.0, 2.0, 2.0, 3.0];
        let x = solve_spd(&a, 2, &[2.0, 1.0]).unwrap();
        assert!((x[0] - 0.5).abs() < 1e-14 && x[1].abs() < 1e-14);
        let inv = inverse_spd(&a, 2).unwrap();
        let expected = [3.0 / 8.0, -0.25, -0.25, 0.5];
        for (u, v) in inv.iter().zip(expected) {
            assert!((u - v).abs() < 1e-14);
        }
    }

    #[test]
    fn indefinite_matrix_is_an_error() {
        assert!(cholesky(&[1.0, 2.0, 2.0, 1.0], 2).is_err());
        assert!(cholesky(&[1.0, 2.0, 3.0], 2).is_err());
    }
}
