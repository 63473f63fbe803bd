//! The exact Hessian of the covariate log-likelihood in one pass over the customers.
//!
//! Every link is log-linear: the log-parameters of cell c are u_c = J_c theta + const, with
//! J_c a constant design block (k x dim: the identity on the log base parameters, and
//! sign z_c on the coefficients of each block's parameter). Hence, exactly,
//!   d^2 ll / d theta^2 = sum_c J_c' H_c J_c,   H_c = d^2 ll_c / du^2 (k x k, k <= 4),
//! and H_c is analytic for the BG family ([`super::bgcell`]) and otherwise comes from
//! central differences of the model's own analytic cell gradient in u (2k extra cell
//! evaluations, local to the cell) instead of 2 dim whole-data passes.
//! Chunks are fixed and combined in order, so the sums do not depend on the thread count.

use rayon::prelude::*;

use super::objective::{CellTerms, CovObjective};
use super::{bgcell, paretocell};
use crate::btyd::{diagnose, MAX_PARAMS};
use crate::numeric::optimize::newton::Evaluation;

/// Step in log-parameters of the per-cell central differences: truncation error ~h^2/6
/// and rounding ~eps/h relative, both ~1e-11.
const LOG_STEP: f64 = 1e-5;

/// Total log-likelihood, gradient and Hessian (row-major, dim x dim) in theta.
pub struct Second {
    pub ll: f64,
    pub grad: Vec<f64>,
    pub hessian: Vec<f64>,
}

impl CovObjective<'_> {
    /// Gradient of a cell's log-likelihood in its log-parameters at natural parameters `p`
    /// over `range` (written to `out`, length k); returns the log-likelihood.
    pub(super) fn cell_log_grad(
        &self,
        p: &[f64],
        range: std::ops::Range<usize>,
        out: &mut [f64],
    ) -> f64 {
        let k = p.len();
        let mut cell = [0.0; MAX_PARAMS + 1];
        self.model
            .accumulate(p, &self.design.patterns, range, &mut cell[..k + 1]);
        for j in 0..k {
            out[j] = p[j] * cell[1 + j];
        }
        cell[0]
    }

    /// [`cell_log_grad`](Self::cell_log_grad) by the pass's first-order route (the
    /// Pareto/NBD frequency `table` when there is one, as [`CovObjective::total`]).
    fn cell_first_order(
        &self,
        p: &[f64],
        range: &std::ops::Range<usize>,
        table: Option<&crate::btyd::paretonbd::second::FrequencyTable>,
        out: &mut [f64],
    ) -> f64 {
        let Some(t) = table else {
            return self.cell_log_grad(p, range.clone(), out);
        };
        let k = p.len();
        let mut cell = [0.0; MAX_PARAMS + 1];
        paretocell::accumulate(
            p,
            &self.design.patterns,
            range.clone(),
            t,
            &mut cell[..k + 1],
        );
        for j in 0..k {
            out[j] = p[j] * cell[1 + j];
        }
        cell[0]
    }

    /// Hessian of a cell's log-likelihood in its log-parameters (k x k, row-major, into `h`)
    /// by central differences of [`cell_log_grad`](Self::cell_log_grad), symmetrised.
    fn cell_log_hessian(&self, p: &[f64], range: &std::ops::Range<usize>, h: &mut [f64]) {
        let k = p.len();
        let mut shifted = [0.0; MAX_PARAMS];
        shifted[..k].copy_from_slice(p);
        let (mut gp, mut gm) = ([0.0; MAX_PARAMS], [0.0; MAX_PARAMS]);
        for j in 0..k {
            shifted[j] = p[j] * LOG_STEP.exp();
            self.cell_log_grad(&shifted[..k], range.clone(), &mut gp[..k]);
            shifted[j] = p[j] * (-LOG_STEP).exp();
            self.cell_log_grad(&shifted[..k], range.clone(), &mut gm[..k]);
            shifted[j] = p[j];
            for i in 0..k {
                h[i * k + j] = (gp[i] - gm[i]) / (2.0 * LOG_STEP);
            }
        }
        crate::numeric::linalg::symmetrize(h, k);
    }

    /// [`Second`] at `theta`: the log-likelihood, its gradient and its exact Hessian.
    pub fn second(&self, theta: &[f64]) -> Second {
        self.second_every(theta, 1)
    }

    /// [`Second`] with the Hessian summed over every `every`-th cell only (times `every`):
    /// the log-likelihood and gradient stay exact, the Hessian is a systematic sample's
    /// estimate, good enough for a Newton step far from the end (see `solve`) and a
    /// fraction of its cost. `every` = 1 is the exact Hessian.
    pub fn second_every(&self, theta: &[f64], every: usize) -> Second {
        let (k, dim) = (self.layout.k, theta.len());
        let every = every.max(1);
        let params = self.cell_params(theta);
        let table = self.pareto_table(theta);
        let width = 1 + dim + dim * dim;
        let partial: Vec<Vec<f64>> = self
            .design
            .chunks
            .par_iter()
            .map(|items| {
                let mut acc = vec![0.0; width];
                // J_c row by row: (theta index, entry) pairs of each log-parameter.
                let mut rows: Vec<Vec<(usize, f64)>> = vec![Vec::with_capacity(dim); k];
                let mut t = vec![0.0; dim * k];
                for (c, range) in items {
                    let p = &params[c * k..(c + 1) * k];
                    let z = self.design.z_of(*c);
                    let mut g0 = [0.0; MAX_PARAMS];
                    let mut h = [0.0; MAX_PARAMS * MAX_PARAMS];
                    for (j, row) in rows.iter_mut().enumerate() {
                        row.clear();
                        row.push((j, 1.0));
                    }
                    for b in &self.layout.blocks {
                        for &(col, free) in &b.covs {
                            rows[b.param].push((k + free, b.sign * z[col]));
                        }
                    }
                    if c % every != 0 {
                        acc[0] += self.cell_first_order(p, range, table.as_ref(), &mut g0[..k]);
                        for (j, row) in rows.iter().enumerate() {
                            for &(a, e) in row {
                                acc[1 + a] += e * g0[j];
                            }
                        }
                        continue;
                    }
                    let analytic = match self.cell {
                        CellTerms::BgFamily(shift) => Some(bgcell::cell_log_terms(
                            p,
                            &self.design.patterns,
                            range.clone(),
                            shift,
                            &mut g0[..k],
                            &mut h[..k * k],
                        )),
                        CellTerms::ParetoNbd => table.as_ref().and_then(|t| {
                            paretocell::cell_log_terms(
                                p,
                                &self.design.patterns,
                                range.clone(),
                                t,
                                &mut g0[..k],
                                &mut h[..k * k],
                            )
                        }),
                        CellTerms::Differences => None,
                    };
                    acc[0] += match analytic {
                        Some(ll) => ll,
                        None => {
                            let ll = self.cell_log_grad(p, range.clone(), &mut g0[..k]);
                            self.cell_log_hessian(p, range, &mut h[..k * k]);
                            ll
                        }
                    };
                    if every > 1 {
                        h[..k * k].iter_mut().for_each(|v| *v *= every as f64);
                    }
                    add_chain(&mut acc[1..], &rows, &g0[..k], &h[..k * k], &mut t, dim);
                }
                acc
            })
            .collect();
        let mut sums = vec![0.0; width];
        for acc in &partial {
            for (s, a) in sums.iter_mut().zip(acc) {
                *s += a;
            }
        }
        let mut hessian = sums.split_off(1 + dim);
        // add_chain fills the upper triangle only.
        for a in 0..dim {
            for b in 0..a {
                hessian[a * dim + b] = hessian[b * dim + a];
            }
        }
        Second {
            ll: sums[0],
            grad: sums[1..].to_vec(),
            hessian,
        }
    }

    /// Mean penalised objective with its gradient and exact Hessian, for the shared damped
    /// Newton; None outside the parameter box or where anything is not finite.
    pub fn newton_point(&self, theta: &[f64]) -> Option<Evaluation> {
        if diagnose::outside_box(theta) {
            return None;
        }
        self.evaluation_of(theta, &self.second(theta))
    }

    /// The mean penalised objective's [`Evaluation`] from the totals `s` at `theta`.
    pub fn evaluation_of(&self, theta: &[f64], s: &Second) -> Option<Evaluation> {
        let (k, dim, w) = (self.layout.k, theta.len(), self.total_weight);
        let mut gradient = vec![0.0; dim];
        let value = self.penalised(theta, s.ll, &s.grad, &mut gradient);
        let mut hessian: Vec<f64> = s.hessian.iter().map(|v| -v / w).collect();
        for j in 0..dim {
            hessian[j * dim + j] += if j < k {
                let p = theta[j].exp();
                4.0 * self.base_penalizer * p * p
            } else {
                2.0 * self.layout.penalty[j - k]
            };
        }
        let finite = value.is_finite() && gradient.iter().chain(&hessian).all(|v| v.is_finite());
        finite.then_some(Evaluation {
            value,
            gradient,
            hessian,
        })
    }
}

/// Adds J' g0 to `out[..dim]` and the upper triangle of J' H J to `out[dim..]` (dim x dim,
/// row-major; the caller mirrors it), J given by its sparse `rows`; `t` (dim x k) is scratch
/// for J' H.
fn add_chain(
    out: &mut [f64],
    rows: &[Vec<(usize, f64)>],
    g0: &[f64],
    h: &[f64],
    t: &mut [f64],
    dim: usize,
) {
    let k = rows.len();
    let (grad, hess) = out.split_at_mut(dim);
    t.iter_mut().for_each(|v| *v = 0.0);
    for (j, row) in rows.iter().enumerate() {
        for &(a, e) in row {
            grad[a] += e * g0[j];
            for l in 0..k {
                t[a * k + l] += e * h[j * k + l];
            }
        }
    }
    for a in 0..dim {
        let ta = &t[a * k..(a + 1) * k];
        let hrow = &mut hess[a * dim..(a + 1) * dim];
        for (l, row) in rows.iter().enumerate() {
            let v = ta[l];
            if v != 0.0 {
                for &(b, e) in row {
                    if b >= a {
                        hrow[b] += v * e;
                    }
                }
            }
        }
    }
}
