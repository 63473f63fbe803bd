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

use rayon::prelude::*;

use crate::error::{check_same_length, ClmError, Result};

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

/// Per-customer inputs. `t` NaN marks a prospect (no purchase yet); `repeats` is the number
/// of purchase periods after the first; `gap_before_last` is NaN for one-period buyers.
pub struct StageInputs<'a> {
    pub repeats: &'a [f64],
    pub recency: &'a [f64],
    pub t: &'a [f64],
    pub gap_before_last: &'a [f64],
    pub p_alive: Option<&'a [f64]>,
    /// Index of the first custom rule that fired for the row, or -1.
    pub custom: Option<&'a [i32]>,
}

impl StageInputs<'_> {
    fn validate(&self) -> Result<usize> {
        let n = self.t.len();
        let mut lengths = vec![
            ("T", n),
            ("frequency", self.repeats.len()),
            ("recency", self.recency.len()),
            ("gap_before_last", self.gap_before_last.len()),
        ];
        if let Some(p) = self.p_alive {
            lengths.push(("p_alive", p.len()));
        }
        if let Some(c) = self.custom {
            lengths.push(("custom rules", c.len()));
        }
        check_same_length(&lengths)?;
        // Fixed chunks scanned in parallel; the lowest bad row wins whatever the thread count.
        let chunk = crate::parallel::CHUNK;
        let first_bad = (0..n.div_ceil(chunk))
            .into_par_iter()
            .map(|c| (c * chunk..((c + 1) * chunk).min(n)).find(|&i| self.row_is_bad(i)))
            .collect::<Vec<Option<usize>>>()
            .into_iter()
            .flatten()
            .next();
        match first_bad.and_then(|row| self.row_error(row)) {
            Some(err) => Err(err),
            None => Ok(n),
        }
    }

    #[inline]
    fn row_is_bad(&self, i: usize) -> bool {
        let t = self.t[i];
        if t.is_nan() {
            return false;
        }
        let r = self.recency[i];
        let f = self.repeats[i];
        let p_bad = self.p_alive.is_some_and(|p| !(p[i] >= 0.0 && p[i] <= 1.0));
        let g = self.gap_before_last[i];
        let gap_bad = !(g.is_nan() || (g.is_finite() && g >= 0.0));
        !(t.is_finite() && t >= 0.0 && r >= 0.0 && r <= t && f.is_finite() && f >= 0.0)
            || p_bad
            || gap_bad
    }

    fn row_error(&self, i: usize) -> Option<ClmError> {
        let t = self.t[i];
        if t.is_nan() {
            return None;
        }
        let ok = |v: f64| v.is_finite() && v >= 0.0;
        if !ok(t) {
            return Some(ClmError::invalid_value(
                "T",
                i,
                t,
                "must be finite and >= 0",
            ));
        }
        if !ok(self.recency[i]) || self.recency[i] > t {
            return Some(ClmError::invalid_value(
                "recency",
                i,
                self.recency[i],
                "must be in [0, T]",
            ));
        }
        if !ok(self.repeats[i]) {
            return Some(ClmError::invalid_value(
                "frequency",
                i,
                self.repeats[i],
                "must be finite and >= 0",
            ));
        }
        let g = self.gap_before_last[i];
        if !(g.is_nan() || (g.is_finite() && g >= 0.0)) {
            return Some(ClmError::invalid_value(
                "gap_before_last",
                i,
                g,
                "must be finite and >= 0, or NaN for a one-period buyer",
            ));
        }
        match self.p_alive {
            Some(p) if !(p[i] >= 0.0 && p[i] <= 1.0) => Some(ClmError::invalid_value(
                "p_alive",
                i,
                p[i],
                "must be in [0, 1]",
            )),
            _ => None,
        }
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
mod tests {
    use super::*;

    const R_CHURN_P: i32 = 1;
    const R_CHURN_INACTIVE: i32 = 2;
    const R_RISK_P: i32 = 3;
    const R_RISK_OWN: i32 = 4;
    const R_RISK_MEDIAN: i32 = 5;
    const R_REACTIVATED: i32 = 6;
    const R_NEW_WINDOW: i32 = 7;
    const R_NEW_SINGLE: i32 = 8;
    const R_GROWING: i32 = 9;
    const R_MATURE: i32 = 10;

    fn params() -> StageParams {
        StageParams {
            new_window: 30.0,
            maturity_window: 180.0,
            churn_window: Some(120.0),
            at_risk_factor: 2.0,
            churn_factor: 100f64.ln(),
            median_ipt: 20.0,
            at_risk_p: 0.5,
            churn_p: 0.1,
            p_alive_for_one_time: false,
            enabled: [true; 7],
        }
    }

    /// (repeats, recency, T, gap) -> (stage, reason) without P(alive).
    fn one(repeats: f64, recency: f64, t: f64, gap: f64) -> (i32, i32) {
        let x = StageInputs {
            repeats: &[repeats],
            recency: &[recency],
            t: &[t],
            gap_before_last: &[gap],
            p_alive: None,
            custom: None,
        };
        let (s, r) = assign_stages(&x, &params()).unwrap();
        (s[0], r[0])
    }

    #[test]
    fn each_rule_fires() {
        assert_eq!(one(0.0, 0.0, f64::NAN, f64::NAN), (PROSPECT, R_PROSPECT));
        assert_eq!(one(0.0, 0.0, 10.0, f64::NAN), (NEW, R_NEW_WINDOW));
        assert_eq!(one(0.0, 0.0, 35.0, f64::NAN), (NEW, R_NEW_SINGLE));
        assert_eq!(one(0.0, 0.0, 41.0, f64::NAN), (AT_RISK, R_RISK_MEDIAN));
        assert_eq!(one(4.0, 100.0, 110.0, 25.0), (GROWING, R_GROWING));
        assert_eq!(one(9.0, 190.0, 200.0, 20.0), (MATURE, R_MATURE));
        assert_eq!(one(4.0, 100.0, 160.0, 25.0), (AT_RISK, R_RISK_OWN));
        assert_eq!(one(4.0, 100.0, 230.0, 25.0), (CHURNED, R_CHURN_INACTIVE));
        assert_eq!(one(1.0, 150.0, 160.0, 150.0), (REACTIVATED, R_REACTIVATED));
    }

    #[test]
    fn reason_table_matches_names() {
        for (reason, &stage) in STAGE_OF_REASON.iter().enumerate() {
            let name = if stage == UNASSIGNED {
                "unassigned"
            } else {
                STAGE_NAMES[stage as usize]
            };
            assert!(
                REASON_NAMES[reason].starts_with(&format!("{name}:")),
                "{}",
                REASON_NAMES[reason]
            );
        }
    }

    #[test]
    fn p_alive_rules_and_precedence() {
        let x = StageInputs {
            repeats: &[3.0, 3.0, 3.0, 0.0, 3.0],
            recency: &[50.0, 50.0, 50.0, 0.0, 50.0],
            t: &[60.0, 60.0, 60.0, 300.0, 200.0],
            gap_before_last: &[200.0, 200.0, 200.0, f64::NAN, 10.0],
            p_alive: Some(&[0.05, 0.3, 0.9, 1.0, 0.05]),
            custom: None,
        };
        let (s, r) = assign_stages(&x, &params()).unwrap();
        // Row 0: the model says gone but 10 days of silence is within the churn window (120):
        // at risk, not churned. Row 4: both witnesses agree (150 days > 120).
        assert_eq!(s, vec![AT_RISK, AT_RISK, REACTIVATED, CHURNED, CHURNED]);
        assert_eq!(
            r,
            vec![
                R_RISK_P,
                R_RISK_P,
                R_REACTIVATED,
                R_CHURN_INACTIVE,
                R_CHURN_P
            ]
        );
    }

    #[test]
    fn dropped_stages_fall_through_and_custom_rules_win() {
        let mut p = params();
        p.enabled[AT_RISK as usize] = false;
        let x = StageInputs {
            repeats: &[4.0, 4.0],
            recency: &[100.0, 100.0],
            t: &[160.0, 160.0],
            gap_before_last: &[25.0, 25.0],
            p_alive: None,
            custom: Some(&[-1, 0]),
        };
        let (s, r) = assign_stages(&x, &p).unwrap();
        assert_eq!(s, vec![GROWING, STAGE_NAMES.len() as i32]);
        assert_eq!(r[1], REASON_NAMES.len() as i32);
    }

    #[test]
    fn per_customer_windows_follow_the_expected_gap() {
        let mut p = params();
        p.churn_window = None;
        p.at_risk_factor = 10f64.ln();
        // 9 repeats over 90 days with g0 = 20: expected gap (90 + 20) / 10 = 11 days.
        let row = Row {
            repeats: 9.0,
            recency: 90.0,
            t: 200.0,
            gap_before_last: 10.0,
            p_alive: None,
            custom: -1,
        };
        let w = Windows::of(&row, &p);
        assert!((w.expected_gap - 11.0).abs() < 1e-12);
        assert!((w.at_risk - 11.0 * 10f64.ln()).abs() < 1e-12);
        assert!((w.churn - 11.0 * 100f64.ln()).abs() < 1e-12);
        // Silence of 55 days: beyond the churn window (50.7), so churned.
        let quiet = Row { t: 145.0, ..row };
        assert_eq!(classify(&quiet, &p).0, CHURNED);
        // The same history stretched 52-fold (weekly -> yearly units) gives the same stage.
        let mut yearly = p.clone();
        yearly.median_ipt *= 52.0;
        yearly.new_window *= 52.0;
        yearly.maturity_window *= 52.0;
        for t in [95.0, 120.0, 145.0, 250.0] {
            let r = Row { t, ..row };
            let stretched = Row {
                recency: r.recency * 52.0,
                t: t * 52.0,
                gap_before_last: r.gap_before_last * 52.0,
                ..r
            };
            assert_eq!(classify(&r, &p), classify(&stretched, &yearly), "t = {t}");
        }
        // Floors: a same-day burst still needs 2 g0 of silence to churn.
        let burst = Row {
            repeats: 50.0,
            recency: 1.0,
            t: 30.0,
            gap_before_last: 0.0,
            p_alive: None,
            custom: -1,
        };
        assert_eq!(Windows::of(&burst, &p).churn, 40.0);
        assert_eq!(classify(&burst, &p).0, AT_RISK);
    }

    #[test]
    fn negative_gap_before_last_is_rejected_naming_the_row() {
        let x = StageInputs {
            repeats: &[1.0, 1.0],
            recency: &[10.0, 10.0],
            t: &[20.0, 20.0],
            gap_before_last: &[10.0, -3.0],
            p_alive: None,
            custom: None,
        };
        let err = assign_stages(&x, &params()).unwrap_err().to_string();
        assert!(
            err.starts_with("gap_before_last: row 1 has invalid value -3"),
            "{err}"
        );
    }

    #[test]
    fn bad_thresholds_and_values_are_errors() {
        let mut p = params();
        p.at_risk_p = 0.05;
        let x = StageInputs {
            repeats: &[0.0],
            recency: &[0.0],
            t: &[1.0],
            gap_before_last: &[f64::NAN],
            p_alive: None,
            custom: None,
        };
        assert!(assign_stages(&x, &p)
            .unwrap_err()
            .to_string()
            .contains("churn_p"));
        let mut p = params();
        p.new_window = 500.0;
        assert!(assign_stages(&x, &p)
            .unwrap_err()
            .to_string()
            .contains("windows must increase"));
        let x = StageInputs {
            repeats: &[0.0],
            recency: &[2.0],
            t: &[1.0],
            gap_before_last: &[f64::NAN],
            p_alive: None,
            custom: None,
        };
        assert!(assign_stages(&x, &params())
            .unwrap_err()
            .to_string()
            .contains("recency: row 0"));
    }
}
