//! Risk-set sums of Cox's partial likelihood in O(n p^2) after one O(n log n) sort.
//!
//! Rows are sorted by stratum, then by decreasing time; scanning that order, the risk set of a
//! time is everything seen so far, so S0 = sum w e^eta, S1 = sum w e^eta x and
//! S2 = sum w e^eta x x' are running sums. Ties: Breslow (1974) or Efron (1977), with R's
//! weighting of tied deaths (their mean weight multiplies each Efron term; Therneau &
//! Grambsch 2000, 3.3).

use rayon::prelude::*;

use crate::numeric::sort::{f64_key, sort_with_rows};
use crate::parallel;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ties {
    Efron,
    Breslow,
}

/// A run of rows with one stratum and one time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TieGroup {
    pub start: usize,
    pub end: usize,
    pub new_stratum: bool,
    pub n_deaths: usize,
}

/// Rows in scan order (stratum ascending, time descending).
pub(crate) struct RiskData {
    pub p: usize,
    pub x: Vec<f64>,
    pub time: Vec<f64>,
    pub weight: Vec<f64>,
    pub event: Vec<bool>,
    pub stratum: Vec<i64>,
    pub groups: Vec<TieGroup>,
}

/// Partial log-likelihood, score and observed information (row-major p x p).
pub(crate) struct PartialLikelihood {
    pub loglik: f64,
    pub score: Vec<f64>,
    pub information: Vec<f64>,
}

impl RiskData {
    /// `x` is row-major n x p; inputs are assumed validated.
    pub fn new(
        x: &[f64],
        p: usize,
        time: &[f64],
        event: &[f64],
        weight: Option<&[f64]>,
        strata: Option<&[i64]>,
    ) -> Self {
        let n = time.len();
        // Two stable radix passes (LSD order): by decreasing time, then by stratum.
        let (_, by_time) = sort_with_rows(time.iter().map(|&t| !(t + 0.0).to_bits()).collect());
        let order: Vec<usize> = match strata {
            None => by_time,
            Some(s) => {
                let (_, by_stratum) =
                    sort_with_rows(by_time.iter().map(|&i| f64_key(s[i] as f64)).collect());
                by_stratum.into_iter().map(|k| by_time[k]).collect()
            }
        };
        let mut xs = vec![0.0; n * p];
        xs.par_chunks_mut(p.max(1))
            .zip(order.par_iter())
            .for_each(|(row, &i)| {
                row.copy_from_slice(&x[i * p..(i + 1) * p]);
            });
        let time: Vec<f64> = order.iter().map(|&i| time[i]).collect();
        let event_sorted: Vec<bool> = order.iter().map(|&i| event[i] == 1.0).collect();
        let stratum: Vec<i64> = order.iter().map(|&i| strata.map_or(0, |s| s[i])).collect();
        let mut groups = Vec::new();
        let mut start = 0;
        while start < n {
            let mut end = start + 1;
            while end < n && stratum[end] == stratum[start] && time[end] == time[start] {
                end += 1;
            }
            groups.push(TieGroup {
                start,
                end,
                new_stratum: start == 0 || stratum[start] != stratum[start - 1],
                n_deaths: event_sorted[start..end].iter().filter(|&&e| e).count(),
            });
            start = end;
        }
        RiskData {
            p,
            x: xs,
            weight: order
                .iter()
                .map(|&i| weight.map_or(1.0, |w| w[i]))
                .collect(),
            time,
            event: event_sorted,
            stratum,
            groups,
        }
    }

    /// Linear predictors in scan order; None when exp would overflow.
    fn risk_scores(&self, beta: &[f64]) -> Option<(Vec<f64>, Vec<f64>)> {
        let n = self.time.len();
        let p = self.p;
        let mut eta = vec![0.0; n];
        parallel::map_into(&mut eta, |i| {
            self.x[i * p..(i + 1) * p]
                .iter()
                .zip(beta)
                .map(|(a, b)| a * b)
                .sum()
        });
        if eta.iter().any(|e| e.is_nan() || e.abs() >= 700.0) {
            return None;
        }
        let mut r = vec![0.0; n];
        parallel::map_into(&mut r, |i| self.weight[i] * eta[i].exp());
        Some((eta, r))
    }

    pub fn evaluate(&self, beta: &[f64], ties: Ties) -> Option<PartialLikelihood> {
        let p = self.p;
        let (eta, r) = self.risk_scores(beta)?;
        let mut out = PartialLikelihood {
            loglik: 0.0,
            score: vec![0.0; p],
            information: vec![0.0; p * p],
        };
        let mut s = Sums::new(p);
        let mut d = Sums::new(p);
        let mut a = vec![0.0; p];
        for g in &self.groups {
            if g.new_stratum {
                s.clear();
            }
            if g.n_deaths > 0 {
                d.clear();
            }
            let mut death_weight = 0.0;
            for i in g.start..g.end {
                let xi = &self.x[i * p..(i + 1) * p];
                s.add(r[i], xi);
                if self.event[i] {
                    d.add(r[i], xi);
                    death_weight += self.weight[i];
                    out.loglik += self.weight[i] * eta[i];
                    for (sc, xv) in out.score.iter_mut().zip(xi) {
                        *sc += self.weight[i] * xv;
                    }
                }
            }
            if g.n_deaths == 0 {
                continue;
            }
            let tie = match ties {
                Ties::Breslow => TieSums::breslow(death_weight, s.s0),
                Ties::Efron => TieSums::efron(death_weight, g.n_deaths, s.s0, d.s0),
            };
            out.subtract(&tie, &s, &d, &mut a);
        }
        for i in 0..p {
            for j in 0..i {
                out.information[i * p + j] = out.information[j * p + i];
            }
        }
        if out.loglik.is_finite() {
            Some(out)
        } else {
            None
        }
    }

    /// Breslow's baseline hazard increments at each tie group (scan order): deaths' weight
    /// over S0 (Breslow 1972), with the covariates as given (centred by the caller, as
    /// lifelines' baseline is).
    pub fn baseline_hazard(&self, beta: &[f64]) -> Option<Vec<f64>> {
        let (_, r) = self.risk_scores(beta)?;
        let mut s0 = 0.0;
        let mut out = Vec::with_capacity(self.groups.len());
        for g in &self.groups {
            if g.new_stratum {
                s0 = 0.0;
            }
            s0 += r[g.start..g.end].iter().sum::<f64>();
            let deaths: f64 = (g.start..g.end)
                .filter(|&i| self.event[i])
                .map(|i| self.weight[i])
                .sum();
            out.push(if deaths > 0.0 { deaths / s0 } else { 0.0 });
        }
        Some(out)
    }
}

/// Scalar sums over the log-denominator terms of one tie group. With m the deaths' mean
/// weight and den_k = S0 - f_k D0 (f_k = k / d for Efron, f = 0 once for Breslow), the group
/// subtracts m sum_k log den_k from the log-likelihood, m sum_k (S1 - f_k D1) / den_k from the
/// score, and adds m sum_k [(S2 - f_k D2) / den_k - a_k a_k'] (a_k = (S1 - f_k D1) / den_k) to
/// the information. Expanding a_k a_k' turns the d matrix updates into one, with the five
/// scalar sums below, so a group costs O(d + p^2) instead of O(d p^2).
struct TieSums {
    weight: f64,
    log_den: f64,
    inv: f64,
    f_inv: f64,
    inv2: f64,
    f_inv2: f64,
    f2_inv2: f64,
}

impl TieSums {
    fn breslow(death_weight: f64, s0: f64) -> Self {
        let inv = 1.0 / s0;
        TieSums {
            weight: death_weight,
            log_den: s0.ln(),
            inv,
            f_inv: 0.0,
            inv2: inv * inv,
            f_inv2: 0.0,
            f2_inv2: 0.0,
        }
    }

    fn efron(death_weight: f64, n_deaths: usize, s0: f64, d0: f64) -> Self {
        let mut t = TieSums {
            weight: death_weight / n_deaths as f64,
            log_den: 0.0,
            inv: 0.0,
            f_inv: 0.0,
            inv2: 0.0,
            f_inv2: 0.0,
            f2_inv2: 0.0,
        };
        for k in 0..n_deaths {
            let f = k as f64 / n_deaths as f64;
            let inv = 1.0 / (s0 - f * d0);
            t.log_den -= inv.ln();
            t.inv += inv;
            t.f_inv += f * inv;
            t.inv2 += inv * inv;
            t.f_inv2 += f * inv * inv;
            t.f2_inv2 += f * f * inv * inv;
        }
        t
    }
}

impl PartialLikelihood {
    fn subtract(&mut self, t: &TieSums, s: &Sums, d: &Sums, mean: &mut [f64]) {
        let p = mean.len();
        self.loglik -= t.weight * t.log_den;
        for (j, m) in mean.iter_mut().enumerate() {
            *m = s.s1[j] * t.inv - d.s1[j] * t.f_inv;
            self.score[j] -= t.weight * *m;
        }
        for i in 0..p {
            for j in i..p {
                let second = s.s2[i * p + j] * t.inv - d.s2[i * p + j] * t.f_inv;
                let outer = s.s1[i] * s.s1[j] * t.inv2
                    - (s.s1[i] * d.s1[j] + d.s1[i] * s.s1[j]) * t.f_inv2
                    + d.s1[i] * d.s1[j] * t.f2_inv2;
                self.information[i * p + j] += t.weight * (second - outer);
            }
        }
    }
}

/// Running S0, S1 and the upper triangle of S2.
struct Sums {
    s0: f64,
    s1: Vec<f64>,
    s2: Vec<f64>,
}

impl Sums {
    fn new(p: usize) -> Self {
        Sums {
            s0: 0.0,
            s1: vec![0.0; p],
            s2: vec![0.0; p * p],
        }
    }

    fn clear(&mut self) {
        self.s0 = 0.0;
        self.s1.iter_mut().for_each(|v| *v = 0.0);
        self.s2.iter_mut().for_each(|v| *v = 0.0);
    }

    #[inline]
    fn add(&mut self, r: f64, x: &[f64]) {
        let p = x.len();
        self.s0 += r;
        // Row i of the upper triangle starts at i * p + i; walk it with zipped iterators so the
        // compiler drops bounds checks in this innermost loop (it runs n times per evaluation).
        for (i, (s1, &xi)) in self.s1.iter_mut().zip(x).enumerate() {
            let rx = r * xi;
            *s1 += rx;
            for (s2, &xj) in self.s2[i * p + i..(i + 1) * p].iter_mut().zip(&x[i..]) {
                *s2 += rx * xj;
            }
        }
    }
}
