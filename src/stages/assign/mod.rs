//! The lifecycle rule kernel. A customer's stage is the FIRST rule that fires, in this order
//! (the one place the precedence is defined; the Python docs repeat it):
//!
//! 1. `prospect`    — known customer without a purchase (T is NaN);
//! 2. custom rules  — user-added stages, in the order given;
//! 3. `churned`     — inactivity > the churn window and, with P(alive), P(alive) < churn_p;
//! 4. `at_risk`     — P(alive) < at_risk_p, else inactivity > the at-risk window;
//! 5. `reactivated` — the gap before the last purchase exceeded the churn window;
//! 6. `new`         — first purchase within new_window, or a single-period buyer not overdue;
//! 7. `growing`     — repeat buyer with tenure (T) below maturity_window;
//! 8. `mature`      — tenure at least maturity_window (and, by 3-4, buying on cadence).
//!
//! With a model, "churned" needs two witnesses: the model (P(alive) < churn_p) and the
//! customer's own cadence (silent beyond the churn window). A model may call a customer
//! gone whose silence is still within their usual rhythm (a misfit, or a cadence the model
//! pools away); such a customer is `at_risk`, never `churned`, so a stage never contradicts
//! the customer's own purchase history.
//!
//! Churn outranks risk (the stronger signal wins) and both outrank reactivation: a win-back
//! customer who has gone quiet again is reported by how quiet, not by the old win-back.
//! A dropped stage's rule is skipped, so its customers fall through to the next rule.
//!
//! Windows are per customer. A customer's expected gap between purchases is the mean of
//! their observed gaps shrunk towards the population's typical gap `g0` by one prior gap,
//! `gap = (recency + g0) / (repeats + 1)` (one-period buyers get `g0`): the posterior mean
//! gap of a Poisson purchase process with a conjugate prior worth one gap of `g0`. If gaps
//! were exponential with that mean, an active customer stays silent longer than `k x gap`
//! with probability `exp(-k)`: `at_risk_factor = ln 10` (10 %) and `churn_factor = ln 100`
//! (1 %) by default. Floors keep very frequent buyers from churning after a day's silence:
//! the at-risk window is at least `g0`, the churn window at least `2 g0`. A fixed
//! `churn_window` replaces the per-customer churn window for everyone.

mod inputs;

use rayon::prelude::*;

use crate::error::{ClmError, Result};
pub use inputs::StageInputs;

pub const PROSPECT: i32 = 0;
pub const NEW: i32 = 1;
pub const GROWING: i32 = 2;
pub const MATURE: i32 = 3;
pub const AT_RISK: i32 = 4;
pub const CHURNED: i32 = 5;
pub const REACTIVATED: i32 = 6;
/// Stage code of a customer no enabled rule matched (a missing value in pandas).
pub const UNASSIGNED: i32 = -1;

/// Built-in stages, in lifecycle order (their codes are their positions).
pub const STAGE_NAMES: [&str; 7] = [
    "prospect",
    "new",
    "growing",
    "mature",
    "at_risk",
    "churned",
    "reactivated",
];

/// Why a stage was assigned; codes are positions. Custom rule k has reason `REASON_NAMES.len() + k`.
pub const REASON_NAMES: [&str; 12] = [
    "prospect: known customer without a purchase",
    "churned: p_alive < churn_p and inactivity > churn window",
    "churned: inactivity > churn window",
    "at_risk: p_alive < at_risk_p",
    "at_risk: inactivity > at-risk window (own cadence)",
    "at_risk: inactivity > at-risk window (typical cadence, one purchase)",
    "reactivated: gap before last purchase > churn window",
    "new: first purchase within new_window",
    "new: single purchase, not yet overdue",
    "growing: repeat buyer, tenure < maturity_window",
    "mature: tenure >= maturity_window, buying on cadence",
    "unassigned: no enabled rule matched",
];

const R_PROSPECT: i32 = 0;
const R_UNASSIGNED: i32 = 11;

/// Thresholds of a resolved scheme, in the summary's time unit.
#[derive(Debug, Clone, PartialEq)]
pub struct StageParams {
    pub new_window: f64,
    pub maturity_window: f64,
    /// One churn window for everyone; `None`: per customer, `churn_factor` x expected gap.
    pub churn_window: Option<f64>,
    /// At risk when inactivity exceeds this many expected gaps (and `median_ipt`).
    pub at_risk_factor: f64,
    /// Churned when inactivity exceeds this many expected gaps (and `2 median_ipt`).
    pub churn_factor: f64,
    /// The population's typical gap between purchases `g0`: the prior of every customer's
    /// expected gap and the cadence assumed for one-period buyers.
    pub median_ipt: f64,
    pub at_risk_p: f64,
    pub churn_p: f64,
    /// Apply the P(alive) rules to single-period buyers too. BG/NBD-type models give every
    /// one-period buyer P(alive) = 1 (Fader, Hardie & Lee 2005, eq. 13 with x = 0), so by
    /// default those buyers are judged by inactivity instead.
    pub p_alive_for_one_time: bool,
    /// Which built-in stages are enabled, indexed by stage code.
    pub enabled: [bool; 7],
}

impl StageParams {
    pub fn validate(&self) -> Result<()> {
        let positive = [
            ("new_window", self.new_window),
            ("maturity_window", self.maturity_window),
            ("churn_window", self.churn_window.unwrap_or(1.0)),
            ("at_risk_factor", self.at_risk_factor),
            ("churn_factor", self.churn_factor),
            ("median_ipt", self.median_ipt),
        ];
        for (name, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                return Err(ClmError::InvalidArgument(format!(
                    "{name} must be a finite number > 0, got {v}"
                )));
            }
        }
        let churn = self.churn_window.unwrap_or(f64::INFINITY);
        if self.new_window > self.maturity_window || self.new_window >= churn {
            return Err(ClmError::InvalidArgument(format!(
                "windows must increase: new_window ({}) <= maturity_window ({}) and new_window < churn_window ({churn})",
                self.new_window, self.maturity_window
            )));
        }
        if self.at_risk_factor >= self.churn_factor {
            return Err(ClmError::InvalidArgument(format!(
                "need at_risk_factor < churn_factor, got {} and {}",
                self.at_risk_factor, self.churn_factor
            )));
        }
        let p_ok = |p: f64| p.is_finite() && p > 0.0 && p < 1.0;
        if !(p_ok(self.churn_p) && p_ok(self.at_risk_p) && self.churn_p < self.at_risk_p) {
            return Err(ClmError::InvalidArgument(format!(
                "need 0 < churn_p < at_risk_p < 1, got churn_p={} and at_risk_p={}",
                self.churn_p, self.at_risk_p
            )));
        }
        Ok(())
    }
}

/// Stage and reason codes for every row (see the module docs for the precedence).
pub fn assign_stages(inputs: &StageInputs, params: &StageParams) -> Result<(Vec<i32>, Vec<i32>)> {
    params.validate()?;
    let n = inputs.validate()?;
    let mut stages = vec![0i32; n];
    let mut reasons = vec![0i32; n];
    let chunk = crate::parallel::CHUNK;
    stages
        .par_chunks_mut(chunk)
        .zip(reasons.par_chunks_mut(chunk))
        .enumerate()
        .for_each(|(c, (s, r))| {
            for (k, (s, r)) in s.iter_mut().zip(r.iter_mut()).enumerate() {
                (*s, *r) = assign_one(inputs, params, c * chunk + k);
            }
        });
    Ok((stages, reasons))
}

fn assign_one(x: &StageInputs, p: &StageParams, i: usize) -> (i32, i32) {
    let row = Row {
        repeats: x.repeats[i],
        recency: x.recency[i],
        t: x.t[i],
        gap_before_last: x.gap_before_last[i],
        p_alive: x.p_alive.map(|v| v[i]),
        custom: x.custom.map_or(-1, |c| c[i]),
    };
    classify(&row, p)
}

/// One customer's inputs to the rules (see `StageInputs` for the meaning of each field).
#[derive(Debug, Clone, Copy)]
pub struct Row {
    pub repeats: f64,
    pub recency: f64,
    pub t: f64,
    pub gap_before_last: f64,
    pub p_alive: Option<f64>,
    pub custom: i32,
}

/// Stage of each reason code (`REASON_NAMES` order).
const STAGE_OF_REASON: [i32; 12] = [
    PROSPECT,
    CHURNED,
    CHURNED,
    AT_RISK,
    AT_RISK,
    AT_RISK,
    REACTIVATED,
    NEW,
    NEW,
    GROWING,
    MATURE,
    UNASSIGNED,
];

/// A customer's expected gap between purchases and the windows derived from it (see the
/// module docs for the reasoning).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Windows {
    pub expected_gap: f64,
    pub at_risk: f64,
    pub churn: f64,
}

impl Windows {
    #[inline]
    pub fn of(x: &Row, p: &StageParams) -> Windows {
        let g0 = p.median_ipt;
        let expected_gap = (x.recency + g0) / (x.repeats + 1.0);
        Windows {
            expected_gap,
            at_risk: (p.at_risk_factor * expected_gap).max(g0),
            churn: p
                .churn_window
                .unwrap_or_else(|| (p.churn_factor * expected_gap).max(2.0 * g0)),
        }
    }
}

/// (stage, reason) of one validated row: the first rule that fires, in the module's order.
///
/// Rules 3-8 are evaluated together into a bit mask whose lowest set bit is the first rule
/// that fires (bit k = reason k + 1): no data-dependent branches, which matters on real
/// data where consecutive customers fall into different stages.
#[inline]
pub fn classify(x: &Row, p: &StageParams) -> (i32, i32) {
    let on = |stage: i32| p.enabled[stage as usize];
    let t = x.t;
    if t.is_nan() {
        return if on(PROSPECT) {
            (PROSPECT, R_PROSPECT)
        } else {
            (UNASSIGNED, R_UNASSIGNED)
        };
    }
    if x.custom >= 0 {
        return (
            STAGE_NAMES.len() as i32 + x.custom,
            REASON_NAMES.len() as i32 + x.custom,
        );
    }
    let repeats = x.repeats;
    let inactivity = t - x.recency;
    let use_p = x.p_alive.is_some() && (repeats > 0.0 || p.p_alive_for_one_time);
    let pa = x.p_alive.unwrap_or(1.0);
    let windows = Windows::of(x, p);
    let (churn, risk) = (on(CHURNED), on(AT_RISK));
    let rules = [
        churn && use_p && pa < p.churn_p && inactivity > windows.churn,
        churn && !use_p && inactivity > windows.churn,
        risk && use_p && pa < p.at_risk_p,
        risk && !use_p && repeats > 0.0 && inactivity > windows.at_risk,
        risk && !use_p && repeats == 0.0 && inactivity > windows.at_risk,
        on(REACTIVATED) && x.gap_before_last > windows.churn,
        on(NEW) && t <= p.new_window,
        on(NEW) && repeats == 0.0,
        on(GROWING) && t < p.maturity_window,
        on(MATURE) && t >= p.maturity_window,
        true,
    ];
    let mask = rules
        .iter()
        .enumerate()
        .fold(0u32, |m, (k, &fires)| m | (u32::from(fires) << k));
    let reason = mask.trailing_zeros() as i32 + 1;
    (STAGE_OF_REASON[reason as usize], reason)
}

#[cfg(test)]
mod tests;
