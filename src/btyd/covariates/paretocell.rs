//! Pareto/NBD cells: the exact per-customer second derivatives of
//! [`crate::btyd::paretonbd::second`] (derivation there, from Fader & Hardie's 2005 note on
//! the Pareto/NBD likelihood) summed over one cell's patterns at the cell's parameters, in
//! log-parameters, and the first-order terms the same way. Covariates scale α and β only, so
//! every cell shares r and the frequency terms come from one [`FrequencyTable`] per pass. A
//! cell with a tail on the quadrature route (z > 0.99, near the no-dropout boundary) has no
//! series Hessian: None, and the caller differences the gradient.

use std::ops::Range;

use crate::btyd::paretonbd::second::{loglik_grad_table, loglik_log_second, FrequencyTable};
use crate::btyd::Patterns;

/// The frequency table of a pass at base shape `r` over `data` (frequency in column 0).
pub fn table(r: f64, data: &Patterns) -> FrequencyTable {
    FrequencyTable::new(r, data.max_of(0))
}

/// Log-likelihood of patterns `range` at natural Pareto/NBD parameters `p`; writes its
/// gradient in the log-parameters to `g` (length 4) and its Hessian in them to `h` (4 x 4,
/// row-major). None when a pattern's tails need quadrature.
pub fn cell_log_terms(
    p: &[f64],
    data: &Patterns,
    range: Range<usize>,
    table: &FrequencyTable,
    g: &mut [f64],
    h: &mut [f64],
) -> Option<f64> {
    let params = [p[0], p[1], p[2], p[3]];
    let (mut ll, mut gi, mut hi) = (0.0, [0.0; 4], [0.0; 16]);
    g.iter_mut().for_each(|v| *v = 0.0);
    h.iter_mut().for_each(|v| *v = 0.0);
    for i in range {
        let (row, w) = (data.row(i), data.weights[i]);
        let customer = (row[0], row[1], row[2]);
        ll += w * loglik_log_second(&params, customer, table, &mut gi, &mut hi)?;
        g.iter_mut().zip(&gi).for_each(|(a, b)| *a += w * b);
        h.iter_mut().zip(&hi).for_each(|(a, b)| *a += w * b);
    }
    Some(ll)
}

/// The model's `accumulate` (log-likelihood and natural-parameter gradient added to `acc`,
/// weighted) over patterns `range`, with the frequency terms from `table`.
pub fn accumulate(
    p: &[f64],
    data: &Patterns,
    range: Range<usize>,
    table: &FrequencyTable,
    acc: &mut [f64],
) {
    let params = [p[0], p[1], p[2], p[3]];
    for i in range {
        let mut g = [0.0; 4];
        let row = data.row(i);
        let ll = loglik_grad_table(&params, row[0], row[1], row[2], table, &mut g);
        let w = data.weights[i];
        acc[0] += w * ll;
        for (a, gj) in acc[1..].iter_mut().zip(&g) {
            *a += w * gj;
        }
    }
}
