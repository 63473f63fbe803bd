//! The covariate likelihood as a function of (log base parameters, coefficients), with its
//! gradient by the chain rule from the model's own gradient in its natural parameters:
//! with p_ij = base_j exp(s_j z_i'g_b),
//!   d ll_i / d log base_j = p_ij d ll_i / d p_ij,
//!   d ll_i / d g_bk      = sum over j in block b of s_j z_ik p_ij d ll_i / d p_ij.

use rayon::prelude::*;

use super::design::Design;
use super::layout::Layout;
use super::paretocell;
use crate::btyd::paretonbd::second::FrequencyTable;
use crate::btyd::{diagnose, Model, ModelKind, MAX_PARAMS};
use crate::numeric::optimize::Objective;

/// Mean penalised negative log-likelihood over a [`Design`].
pub struct CovObjective<'a> {
    pub model: &'a dyn Model,
    pub layout: &'a Layout,
    pub design: &'a Design,
    /// The plain fit's L2 penalty on the natural base parameters (rescaled time).
    pub base_penalizer: f64,
    pub total_weight: f64,
    /// Where cells take their Hessian from ([`super::hessian`]).
    pub cell: CellTerms,
}

/// The source of a cell's Hessian in its log-parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CellTerms {
    /// Central differences of the model's analytic cell gradient.
    Differences,
    /// The analytic BG-family terms ([`super::bgcell`]); the shift is 0 for BG/NBD and 1
    /// for MBG/NBD.
    BgFamily(f64),
    /// The analytic Pareto/NBD terms ([`super::paretocell`]), differences for the cells
    /// whose tails need quadrature.
    ParetoNbd,
}

impl CellTerms {
    /// The analytic terms of model `kind` where there are some.
    pub fn of(kind: ModelKind) -> CellTerms {
        match kind {
            ModelKind::BgNbd => CellTerms::BgFamily(0.0),
            ModelKind::MbgNbd => CellTerms::BgFamily(1.0),
            ModelKind::ParetoNbd => CellTerms::ParetoNbd,
            ModelKind::Bgbb | ModelKind::GammaGamma => CellTerms::Differences,
        }
    }
}

impl CovObjective<'_> {
    /// The Pareto/NBD frequency table of a pass at `theta` (every cell has the base r).
    pub(super) fn pareto_table(&self, theta: &[f64]) -> Option<FrequencyTable> {
        (self.cell == CellTerms::ParetoNbd)
            .then(|| paretocell::table(theta[0].exp(), &self.design.patterns))
    }

    /// Natural parameters of every cell at `theta` (row-major, cells x k).
    pub fn cell_params(&self, theta: &[f64]) -> Vec<f64> {
        let k = self.layout.k;
        let base: Vec<f64> = theta[..k].iter().map(|v| v.exp()).collect();
        let coefs = &theta[k..];
        let mut out = vec![0.0; self.design.cells.len() * k];
        out.par_chunks_mut(k)
            .enumerate()
            .with_min_len(4096)
            .for_each(|(c, p)| self.layout.params_at(&base, coefs, self.design.z_of(c), p));
        out
    }

    /// Total weighted log-likelihood and its gradient in `theta`. Fixed chunks, each summed
    /// in order and combined in order: the same bits for any thread count.
    pub fn total(&self, theta: &[f64]) -> (f64, Vec<f64>) {
        let (ll, grad, _) = self.sums(theta, false);
        (ll, grad)
    }

    /// [`total`](Self::total) with the outer product of the per-customer gradients
    /// sum_i w_i g_i g_i' (row-major), the BHHH estimate of the information (Berndt, Hall,
    /// Hall & Hausman 1974): a Newton-like step without second derivatives.
    pub fn total_opg(&self, theta: &[f64]) -> (f64, Vec<f64>, Vec<f64>) {
        self.sums(theta, true)
    }

    fn sums(&self, theta: &[f64], opg: bool) -> (f64, Vec<f64>, Vec<f64>) {
        let (k, dim) = (self.layout.k, theta.len());
        let params = self.cell_params(theta);
        let table = self.pareto_table(theta);
        let width = 1 + dim + if opg { dim * dim } else { 0 };
        let partial: Vec<Vec<f64>> = self
            .design
            .chunks
            .par_iter()
            .map(|items| {
                let mut acc = vec![0.0; width];
                let mut g = vec![0.0; dim];
                for (c, range) in items {
                    let p = &params[c * k..(c + 1) * k];
                    let z = self.design.z_of(*c);
                    // With the outer product every pattern needs its own gradient.
                    let n_pieces = if opg { range.len() } else { 1 };
                    for i in 0..n_pieces {
                        let piece = if opg {
                            range.start + i..range.start + i + 1
                        } else {
                            range.clone()
                        };
                        let mut cell = [0.0; MAX_PARAMS + 1];
                        let w = if opg {
                            self.design.patterns.weights[piece.start]
                        } else {
                            1.0
                        };
                        let (data, acc1) = (&self.design.patterns, &mut cell[..k + 1]);
                        match &table {
                            Some(t) => paretocell::accumulate(p, data, piece, t, acc1),
                            None => self.model.accumulate(p, data, piece, acc1),
                        }
                        acc[0] += cell[0];
                        g.iter_mut().for_each(|v| *v = 0.0);
                        for j in 0..k {
                            g[j] = p[j] * cell[1 + j];
                        }
                        for b in &self.layout.blocks {
                            let t = b.sign * p[b.param] * cell[1 + b.param];
                            for &(col, free) in &b.covs {
                                g[k + free] += t * z[col];
                            }
                        }
                        for (a, v) in acc[1..1 + dim].iter_mut().zip(&g) {
                            *a += v;
                        }
                        if opg && w > 0.0 {
                            // cell holds w * (per-customer gradient): w g g' = (w g)(w g)' / w.
                            let out = &mut acc[1 + dim..];
                            for i in 0..dim {
                                for j in 0..dim {
                                    out[i * dim + j] += g[i] * g[j] / w;
                                }
                            }
                        }
                    }
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
        let opg_part = sums.split_off(1 + dim);
        (sums[0], sums[1..].to_vec(), opg_part)
    }

    /// Mean penalised objective, its gradient and the BHHH Hessian estimate (outer product
    /// plus the penalties' exact second derivatives), for `newton::minimize`.
    pub fn bhhh(&self, theta: &[f64]) -> Option<crate::numeric::optimize::newton::Evaluation> {
        if diagnose::outside_box(theta) {
            return None;
        }
        let (k, dim, w) = (self.layout.k, theta.len(), self.total_weight);
        let (ll, g, outer) = self.total_opg(theta);
        let mut gradient = vec![0.0; dim];
        let value = self.penalised(theta, ll, &g, &mut gradient);
        if !value.is_finite() || gradient.iter().any(|g| !g.is_finite()) {
            return None;
        }
        let mut hessian: Vec<f64> = outer.iter().map(|v| v / w).collect();
        for j in 0..dim {
            hessian[j * dim + j] += if j < k {
                let p = theta[j].exp();
                4.0 * self.base_penalizer * p * p
            } else {
                2.0 * self.layout.penalty[j - k]
            };
        }
        Some(crate::numeric::optimize::newton::Evaluation {
            value,
            gradient,
            hessian,
        })
    }
}

impl CovObjective<'_> {
    /// Mean penalised objective and its gradient (one first-order pass); None outside the
    /// parameter box.
    pub fn first_order(&self, theta: &[f64]) -> Option<(f64, Vec<f64>)> {
        if diagnose::outside_box(theta) {
            return None;
        }
        let (ll, g) = self.total(theta);
        let mut grad = vec![0.0; theta.len()];
        let value = self.penalised(theta, ll, &g, &mut grad);
        Some((value, grad))
    }
}

impl Objective for CovObjective<'_> {
    fn dim(&self) -> usize {
        self.layout.k + self.layout.n_free
    }

    fn value_grad(&self, theta: &[f64], grad: &mut [f64]) -> f64 {
        if diagnose::outside_box(theta) {
            grad.iter_mut().for_each(|g| *g = f64::NAN);
            return f64::INFINITY;
        }
        let (ll, g) = self.total(theta);
        self.penalised(theta, ll, &g, grad)
    }
}

impl CovObjective<'_> {
    /// Mean negative log-likelihood plus the penalties, from the total `ll` and its gradient
    /// `g`; writes the objective's gradient into `grad`.
    pub(super) fn penalised(&self, theta: &[f64], ll: f64, g: &[f64], grad: &mut [f64]) -> f64 {
        let k = self.layout.k;
        let w = self.total_weight;
        let mut value = -ll / w;
        for j in 0..theta.len() {
            grad[j] = -g[j] / w;
            if j < k {
                // As the plain fit: penalizer * p^2 on the natural parameter, d/dlog p = 2 pen p^2.
                let p = theta[j].exp();
                value += self.base_penalizer * p * p;
                grad[j] += 2.0 * self.base_penalizer * p * p;
            } else {
                let lambda = self.layout.penalty[j - k];
                value += lambda * theta[j] * theta[j];
                grad[j] += 2.0 * lambda * theta[j];
            }
        }
        if !value.is_finite() {
            return f64::INFINITY;
        }
        value
    }
}
