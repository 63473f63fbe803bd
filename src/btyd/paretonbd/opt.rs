//! The Pareto/NBD objective on log-parameters with its BHHH matrix (Berndt, Hall, Hall &
//! Hausman 1974), for the shared BHHH quasi-Newton (`numeric::optimize::bhhh`): the outer
//! products of the per-pattern scores approximate the information, come with the gradient at
//! no extra pass, and capture the strong s-β correlation that makes L-BFGS crawl along the
//! ridge of this likelihood.

use super::fit::Layout;
use crate::btyd::diagnose::{outside_box, BOUNDARY_LOG, LOG_LIMIT};
use crate::error::Result;
pub(crate) use crate::numeric::optimize::bhhh::Status;
use crate::numeric::optimize::bhhh::{self, Limits, Objective};

/// Objective value, gradient and BHHH matrix (row-major 4x4) on the log-parameter scale.
pub(crate) type Point = bhhh::Point<4>;

/// Mean penalised negative log-likelihood over `layout` as a function of log-parameters.
#[derive(Clone, Copy)]
pub(crate) struct LogScale<'a> {
    pub layout: &'a Layout,
    pub penalizer: f64,
    pub total_weight: f64,
}

impl LogScale<'_> {
    pub fn point(&self, x: [f64; 4]) -> Point {
        if outside_box(&x) {
            return Point {
                x,
                log_likelihood: f64::NEG_INFINITY,
                value: f64::INFINITY,
                grad: [f64::NAN; 4],
                bhhh: vec![f64::NAN; 16],
            };
        }
        let p = x.map(f64::exp);
        let sums = self.layout.sums(&p, true);
        let w = self.total_weight;
        let mut value = -sums[0] / w;
        let mut grad = [0.0; 4];
        let mut bhhh = vec![0.0; 16];
        let mut k = 5;
        for a in 0..4 {
            value += self.penalizer * p[a] * p[a];
            grad[a] = -sums[a + 1] * p[a] / w + 2.0 * self.penalizer * p[a] * p[a];
            for b in a..4 {
                let v = sums[k] * p[a] * p[b] / w
                    + if a == b {
                        4.0 * self.penalizer * p[a] * p[a]
                    } else {
                        0.0
                    };
                bhhh[a * 4 + b] = v;
                bhhh[b * 4 + a] = v;
                k += 1;
            }
        }
        Point {
            x,
            log_likelihood: sums[0],
            value,
            grad,
            bhhh,
        }
    }
}

impl Objective<4> for LogScale<'_> {
    fn point(&self, x: [f64; 4]) -> Point {
        LogScale::point(self, x)
    }
}

/// Minimises from `x0` (log-parameters) by the shared BHHH quasi-Newton inside the
/// `LOG_LIMIT` box, stopping early at `BOUNDARY_LOG` (see [`bhhh::minimize`]).
pub(crate) fn minimize_bhhh(
    obj: &LogScale<'_>,
    x0: [f64; 4],
    tol: f64,
    max_iter: usize,
) -> Result<bhhh::Run<4>> {
    let limits = Limits {
        inside: LOG_LIMIT,
        boundary: BOUNDARY_LOG,
    };
    bhhh::minimize(obj, x0, limits, tol, max_iter)
}
