//! The tabulated Pareto/NBD likelihood: index tables of the patterns' distinct frequencies,
//! times and tails (see the parent module for why), their weighted sums, and the objective
//! on log-parameters the fit minimises.

use rayon::prelude::*;

use super::super::{alive_term, combine, dead_term, ln_tail, Constants, Params};
use crate::btyd::diagnose::outside_box;
use crate::btyd::Patterns;
use crate::numeric::optimize::Objective;

/// Patterns per task of the parallel sum (the shared fit's chunk, so sums agree bitwise).
pub(super) use crate::numeric::grain::FIT_CHUNK;

/// Marks a pattern with t_x = T (no death between t_x and T).
const NO_TAIL: u32 = u32::MAX;

/// Index tables of a set of (rescaled) patterns sorted by (x, t_x, T).
pub(crate) struct Layout {
    pub data: Patterns,
    xs: Vec<f64>,
    x_index: Vec<u32>,
    ts: Vec<f64>,
    t_index: Vec<u32>,
    /// Distinct tails: (index into xs, u).
    tails: Vec<(u32, f64)>,
    tail_tx: Vec<u32>,
    tail_t: Vec<u32>,
}

fn sorted_distinct(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_unstable_by(f64::total_cmp);
    v.dedup();
    v
}

fn position(sorted: &[f64], v: f64) -> u32 {
    sorted.partition_point(|w| w.total_cmp(&v).is_lt()) as u32
}

/// The tails one frequency group needs: its distinct u (every T, and t_x where t_x < T),
/// and for each pattern the position of its t_x (NO_TAIL if none) and T among them.
fn group_tails(tx: &[f64], t: &[f64]) -> (Vec<f64>, Vec<u32>, Vec<u32>) {
    let mut us: Vec<f64> = t.to_vec();
    us.extend(tx.iter().zip(t).filter(|(a, b)| a < b).map(|(a, _)| *a));
    let us = sorted_distinct(us);
    let at_tx = tx
        .iter()
        .zip(t)
        .map(|(&a, &b)| if a < b { position(&us, a) } else { NO_TAIL })
        .collect();
    let at_t = t.iter().map(|&b| position(&us, b)).collect();
    (us, at_tx, at_t)
}

impl Layout {
    /// `data` has columns (x, t_x, T), sorted as `Patterns::compress` leaves them. Groups of
    /// equal x are tabulated in parallel and concatenated in order (same layout for any
    /// thread count).
    pub fn new(data: Patterns) -> Layout {
        let n = data.len();
        let col = |c: usize| (0..n).map(|i| data.rows[i * 3 + c]).collect::<Vec<f64>>();
        let (x, tx, t) = (col(0), col(1), col(2));
        // Patterns are sorted by x: one group per distinct frequency, in increasing order.
        let mut bounds = vec![0];
        bounds.extend((1..n).filter(|&i| x[i] != x[i - 1]));
        bounds.push(n);
        let xs: Vec<f64> = bounds[..bounds.len() - 1].iter().map(|&i| x[i]).collect();
        let (ts, groups) = rayon::join(
            || sorted_distinct(t.clone()),
            || {
                (0..xs.len())
                    .into_par_iter()
                    .map(|g| {
                        group_tails(&tx[bounds[g]..bounds[g + 1]], &t[bounds[g]..bounds[g + 1]])
                    })
                    .collect::<Vec<_>>()
            },
        );
        let mut t_index = vec![0u32; n];
        t_index
            .par_iter_mut()
            .zip(&t)
            .for_each(|(k, &v)| *k = position(&ts, v));
        let (mut tails, mut tail_tx, mut tail_t, mut x_index) = (
            Vec::new(),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for (g, (us, at_tx, at_t)) in groups.into_iter().enumerate() {
            let base = tails.len() as u32;
            tails.extend(us.iter().map(|&u| (g as u32, u)));
            tail_tx.extend(
                at_tx
                    .iter()
                    .map(|&k| if k == NO_TAIL { NO_TAIL } else { base + k }),
            );
            tail_t.extend(at_t.iter().map(|&k| base + k));
            x_index.resize(x_index.len() + at_t.len(), g as u32);
        }
        Layout {
            data,
            xs,
            x_index,
            ts,
            t_index,
            tails,
            tail_tx,
            tail_t,
        }
    }

    /// Number of distinct tails evaluated per likelihood evaluation.
    #[cfg(test)]
    pub fn n_tails(&self) -> usize {
        self.tails.len()
    }

    /// Weighted log-likelihood of all patterns at natural parameters `p` and its gradient.
    pub fn total(&self, p: &Params) -> (f64, [f64; 4]) {
        let sums = self.sums(p, false);
        (sums[0], [sums[1], sums[2], sums[3], sums[4]])
    }

    /// Sums over patterns of w·ll, w·∇ll and, when `opg`, of the outer products w·∇ll ∇llᵀ
    /// (upper triangle, row-major: the BHHH approximation of the information).
    pub fn sums(&self, p: &Params, opg: bool) -> [f64; 15] {
        let c = Constants::new(p);
        let freq: Vec<(f64, f64)> = self.xs.iter().map(|&x| c.frequency(x)).collect();
        let t_logs: Vec<(f64, f64)> = self
            .ts
            .iter()
            .map(|&t| ((p[1] + t).ln(), (p[3] + t).ln()))
            .collect();
        let tails: Vec<(f64, [f64; 4])> = self
            .tails
            .par_iter()
            .with_min_len(crate::numeric::grain::ITEMS_COSTLY)
            .map(|&(k, u)| ln_tail(p, self.xs[k as usize], u))
            .collect();
        let n = self.data.len();
        let partial: Vec<[f64; 15]> = (0..n.div_ceil(FIT_CHUNK))
            .into_par_iter()
            .map(|chunk| {
                let mut acc = [0.0; 15];
                for i in chunk * FIT_CHUNK..((chunk + 1) * FIT_CHUNK).min(n) {
                    let row = self.data.row(i);
                    let (la, lb) = t_logs[self.t_index[i] as usize];
                    let alive = alive_term(p, row[0], row[2], la, lb);
                    let dead = match self.tail_tx[i] {
                        NO_TAIL => (f64::NEG_INFINITY, [0.0; 4]),
                        k => dead_term(
                            c.ln_s,
                            c.inv_s,
                            tails[k as usize],
                            tails[self.tail_t[i] as usize],
                        ),
                    };
                    let mut g = [0.0; 4];
                    let ll = combine(p, &c, freq[self.x_index[i] as usize], alive, dead, &mut g);
                    let w = self.data.weights[i];
                    acc[0] += w * ll;
                    for j in 0..4 {
                        acc[j + 1] += w * g[j];
                    }
                    if opg {
                        add_outer(&mut acc[5..], w, &g);
                    }
                }
                acc
            })
            .collect();
        let mut sums = [0.0; 15];
        for acc in &partial {
            for (s, a) in sums.iter_mut().zip(acc) {
                *s += a;
            }
        }
        sums
    }
}

/// Adds w g gᵀ (upper triangle, row-major) to `out`.
#[inline]
pub(super) fn add_outer(out: &mut [f64], w: f64, g: &[f64; 4]) {
    let mut k = 0;
    for a in 0..4 {
        let wa = w * g[a];
        for gb in &g[a..] {
            out[k] += wa * gb;
            k += 1;
        }
    }
}

/// Mean penalised negative log-likelihood over rescaled patterns as a function of
/// log-parameters (the shared fit's objective).
#[derive(Clone, Copy)]
pub(crate) struct ParetoObjective<'a> {
    pub layout: &'a Layout,
    pub penalizer: f64,
    pub total_weight: f64,
}

impl Objective for ParetoObjective<'_> {
    fn dim(&self) -> usize {
        4
    }

    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        if outside_box(x) {
            grad.iter_mut().for_each(|g| *g = f64::NAN);
            return f64::INFINITY;
        }
        let params = [x[0].exp(), x[1].exp(), x[2].exp(), x[3].exp()];
        let (ll, g) = self.layout.total(&params);
        let mut value = -ll / self.total_weight;
        for j in 0..4 {
            let p = params[j];
            value += self.penalizer * p * p;
            // Chain rule to log scale: d/dlog p = p d/dp.
            grad[j] = -g[j] * p / self.total_weight + 2.0 * self.penalizer * p * p;
        }
        value
    }
}
