//! Risk-set sums of Cox's partial likelihood in O(n p^2) after one O(n log n) sort.
//!
//! Rows are sorted by stratum, then by decreasing time; scanning that order, the risk set of a
//! time is everything seen so far, so S0 = sum w e^eta, S1 = sum w e^eta x and
//! S2 = sum w e^eta x x' are running sums. Ties: Breslow (1974) or Efron (1977), with R's
//! weighting of tied deaths (their mean weight multiplies each Efron term; Therneau &
//! Grambsch 2000, 3.3).

use rayon::prelude::*;

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
    pub fn new(x: &[f64], p: usize, time: &[f64], event: &[f64], weight: Option<&[f64]>, strata: Option<&[i64]>) -> Self {
        let n = time.len();
        let mut keys: Vec<(i64, u64, usize)> =
            (0..n).map(|i| (strata.map_or(0, |s| s[i]), !(time[i] + 0.0).to_bits(), i)).collect();
        keys.par_sort_unstable();
        let order: Vec<usize> = keys.iter().map(|k| k.2).collect();
        let mut xs = vec![0.0; n * p];
        xs.par_chunks_mut(p.max(1)).zip(order.par_iter()).for_each(|(row, &i)| {
            row.copy_from_slice(&x[i * p..(i + 1) * p]);
        });
        let time: Vec<f64> = order.iter().map(|&i| time[i]).collect();
        let event_sorted: Vec<bool> = order.iter().map(|&i| event[i] == 1.0).collect();
        let stratum: Vec<i64> = keys.iter().map(|k| k.0).collect();
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
            weight: order.iter().map(|&i| weight.map_or(1.0, |w| w[i])).collect(),
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
        parallel::map_into(&mut eta, |i| self.x[i * p..(i + 1) * p].iter().zip(beta).map(|(a, b)| a * b).sum());
        if eta.iter().any(|e| !(e.abs() < 700.0)) {
            return None;
        }
        let mut r = vec![0.0; n];
        parallel::map_into(&mut r, |i| self.weight[i] * eta[i].exp());
        Some((eta, r))
    }

    pub fn evaluate(&self, beta: &[f64], ties: Ties) -> Option<PartialLikelihood> {
        let p = self.p;
        let (eta, r) = self.risk_scores(beta)?;
        let mut out = PartialLikelihood { loglik: 0.0, score: vec![0.0; p], information: vec![0.0; p * p] };
        let mut s = Sums::new(p);
        let mut d = Sums::new(p);
        let mut a = vec![0.0; p];
        for g in &self.groups {
            if g.new_stratum {
                s.clear();
            }
            d.clear();
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
            match ties {
                Ties::Breslow => out.subtract_term(death_weight, &s, &d, 0.0, &mut a),
                Ties::Efron => {
                    let mean_weight = death_weight / g.n_deaths as f64;
                    for k in 0..g.n_deaths {
                        out.subtract_term(mean_weight, &s, &d, k as f64 / g.n_deaths as f64, &mut a);
                    }
                }
            }
        }
        for i in 0..p {
            for j in 0..i {
                out.information[i * p + j] = out.information[j * p + i];
            }
        }
        if out.loglik.is_finite() { Some(out) } else { None }
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
            let deaths: f64 = (g.start..g.end).filter(|&i| self.event[i]).map(|i| self.weight[i]).sum();
            out.push(if deaths > 0.0 { deaths / s0 } else { 0.0 });
        }
        Some(out)
    }
}

impl PartialLikelihood {
    /// Subtracts one log-denominator term weighted by `w`, with a fraction `f` of the tied
    /// deaths' sums removed from the risk set (f = 0 for Breslow; k/d for Efron's k-th term).
    fn subtract_term(&mut self, w: f64, s: &Sums, d: &Sums, f: f64, a: &mut [f64]) {
        let p = a.len();
        let den = s.s0 - f * d.s0;
        self.loglik -= w * den.ln();
        for j in 0..p {
            a[j] = (s.s1[j] - f * d.s1[j]) / den;
            self.score[j] -= w * a[j];
        }
        for i in 0..p {
            for j in i..p {
                let second = (s.s2[i * p + j] - f * d.s2[i * p + j]) / den;
                self.information[i * p + j] += w * (second - a[i] * a[j]);
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
        Sums { s0: 0.0, s1: vec![0.0; p], s2: vec![0.0; p * p] }
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
        for i in 0..p {
            let rx = r * x[i];
            self.s1[i] += rx;
            let row = &mut self.s2[i * p..(i + 1) * p];
            for j in i..p {
                row[j] += rx * x[j];
            }
        }
    }
}
