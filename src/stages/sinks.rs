//! Output windows of a snapshot pass: each parallel task writes its rows into its own
//! disjoint window of the preallocated output columns (summaries or stages).

use super::assign::{classify, Row, StageParams};
use super::history::PAlive;

/// One (customer, snapshot) summary.
pub(super) struct SnapRow {
    pub(super) customer: i64,
    pub(super) snapshot: i32,
    pub(super) frequency: f64,
    pub(super) recency: f64,
    pub(super) t: f64,
    pub(super) gap_before_last: f64,
}

/// Disjoint mutable windows on an output, so tasks fill them in parallel.
pub(super) trait Sink: Sized + Send {
    fn split_at(self, k: usize) -> (Self, Self);
    fn put(&mut self, at: usize, row: &SnapRow);
}

pub(super) struct RowsMut<'a> {
    pub(super) customer: &'a mut [i64],
    pub(super) snapshot: &'a mut [i32],
    pub(super) frequency: &'a mut [f64],
    pub(super) recency: &'a mut [f64],
    pub(super) t: &'a mut [f64],
    pub(super) gap_before_last: &'a mut [f64],
}

impl Sink for RowsMut<'_> {
    fn split_at(self, k: usize) -> (Self, Self) {
        let (c0, c1) = self.customer.split_at_mut(k);
        let (s0, s1) = self.snapshot.split_at_mut(k);
        let (f0, f1) = self.frequency.split_at_mut(k);
        let (r0, r1) = self.recency.split_at_mut(k);
        let (t0, t1) = self.t.split_at_mut(k);
        let (g0, g1) = self.gap_before_last.split_at_mut(k);
        (
            RowsMut {
                customer: c0,
                snapshot: s0,
                frequency: f0,
                recency: r0,
                t: t0,
                gap_before_last: g0,
            },
            RowsMut {
                customer: c1,
                snapshot: s1,
                frequency: f1,
                recency: r1,
                t: t1,
                gap_before_last: g1,
            },
        )
    }

    fn put(&mut self, at: usize, row: &SnapRow) {
        self.customer[at] = row.customer;
        self.snapshot[at] = row.snapshot;
        self.frequency[at] = row.frequency;
        self.recency[at] = row.recency;
        self.t[at] = row.t;
        self.gap_before_last[at] = row.gap_before_last;
    }
}

pub(super) struct StagesMut<'a> {
    pub(super) customer: &'a mut [i64],
    pub(super) snapshot: &'a mut [i32],
    pub(super) stage: &'a mut [i32],
    pub(super) reason: &'a mut [i32],
    /// Output of the model's P(alive): one per row with a model, empty without.
    pub(super) p_alive: &'a mut [f64],
    pub(super) model: Option<PAlive<'a>>,
    pub(super) params: &'a StageParams,
}

impl Sink for StagesMut<'_> {
    fn split_at(self, k: usize) -> (Self, Self) {
        let (c0, c1) = self.customer.split_at_mut(k);
        let (s0, s1) = self.snapshot.split_at_mut(k);
        let (g0, g1) = self.stage.split_at_mut(k);
        let (r0, r1) = self.reason.split_at_mut(k);
        // without a model the P(alive) output is empty: both halves stay empty
        let at = if self.model.is_some() { k } else { 0 };
        let (p0, p1) = self.p_alive.split_at_mut(at);
        let (params, model) = (self.params, self.model);
        (
            StagesMut {
                customer: c0,
                snapshot: s0,
                stage: g0,
                reason: r0,
                p_alive: p0,
                model,
                params,
            },
            StagesMut {
                customer: c1,
                snapshot: s1,
                stage: g1,
                reason: r1,
                p_alive: p1,
                model,
                params,
            },
        )
    }

    fn put(&mut self, at: usize, row: &SnapRow) {
        let p_alive = self.model.map(|f| f(row.frequency, row.recency, row.t));
        if let Some(value) = p_alive {
            self.p_alive[at] = value;
        }
        let input = Row {
            repeats: row.frequency,
            recency: row.recency,
            t: row.t,
            gap_before_last: row.gap_before_last,
            p_alive,
            custom: -1,
        };
        self.customer[at] = row.customer;
        self.snapshot[at] = row.snapshot;
        (self.stage[at], self.reason[at]) = classify(&input, self.params);
    }
}
