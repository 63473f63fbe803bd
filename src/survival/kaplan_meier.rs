//! The event table (lifelines' `event_table`) and the Kaplan-Meier product-limit estimator
//! with Greenwood's variance and R's confidence transforms (survival::survfit).

use rayon::prelude::*;

use super::events::{AllEvents, Events};
use super::tied_counts::{tied_event_counts, TimeCounts};
use super::{argsort_nonnegative, check_survival_data};
use crate::error::{ClmError, Result};
use crate::numeric::sort::{sort_keys, sort_with_rows};

/// Counts per distinct time (durations, and entry times under left truncation), weighted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventTable {
    pub times: Vec<f64>,
    /// Subjects leaving at the time (events + censored).
    pub removed: Vec<f64>,
    pub observed: Vec<f64>,
    pub censored: Vec<f64>,
    /// Subjects entering at the time (left truncation); all enter at 0 without `entry`.
    pub entrance: Vec<f64>,
    /// Entered at or before the time and not yet removed (lifelines' event-table column).
    pub at_risk: Vec<f64>,
}

impl EventTable {
    /// Size of the risk set of the estimators at row k: subjects entering AT a time t > 0 are
    /// not yet at risk for events at t (entry < t <= duration, R's counting-process rule and
    /// what lifelines' estimators use); entries at 0 are at risk from the start.
    pub fn risk_set(&self, k: usize) -> f64 {
        if self.times[k] > 0.0 {
            self.at_risk[k] - self.entrance[k]
        } else {
            self.at_risk[k]
        }
    }
}

/// Builds the event table (lifelines' columns; see `risk_set` for the estimators' risk set).
/// Tied data without left truncation take one hashing pass that also validates; anything
/// else (and any invalid input, so the error names the first bad row) takes the full check.
pub fn event_table(
    durations: &[f64],
    events: Events<'_>,
    weights: Option<&[f64]>,
    entry: Option<&[f64]>,
) -> Result<EventTable> {
    let lengths_match = events.len().is_none_or(|n| n == durations.len())
        && weights.is_none_or(|w| w.len() == durations.len());
    if entry.is_none() && lengths_match && !durations.is_empty() {
        let counted = match events {
            Events::All => tied_event_counts(durations, &AllEvents, weights),
            Events::F64(e) => tied_event_counts(durations, &e, weights),
            Events::I64(e) => tied_event_counts(durations, &e, weights),
            Events::I32(e) => tied_event_counts(durations, &e, weights),
            Events::Bool(e) => tied_event_counts(durations, &e, weights),
        };
        if let Ok(rows) = counted {
            return Ok(table_from_counts(
                &rows,
                total_weight(durations.len(), weights),
            ));
        }
    }
    let events = events.to_f64(durations.len());
    check_survival_data(durations, &events, weights, entry)?;
    Ok(sorted_event_table(durations, &events, weights, entry))
}

/// Prepends lifelines' first row at time 0, where everyone enters, to the table of data
/// without left truncation (or marks the entrance on an existing 0 row). Curves computed on
/// the table then start with S = 1, H = 0 and zero variance at 0.
pub fn add_origin_row(table: &mut EventTable) {
    // without left truncation the first row's risk set is everyone
    let Some(&total) = table.at_risk.first() else {
        return;
    };
    if table.times.first().is_some_and(|&t| t > 0.0) {
        table.times.insert(0, 0.0);
        table.removed.insert(0, 0.0);
        table.observed.insert(0, 0.0);
        table.censored.insert(0, 0.0);
        table.entrance.insert(0, total);
        table.at_risk.insert(0, total);
    } else if let Some(first) = table.entrance.first_mut() {
        *first = total;
    }
}

pub(crate) fn total_weight(n: usize, weights: Option<&[f64]>) -> f64 {
    weights.map_or(n as f64, |w| w.iter().sum())
}

/// The event table of data without left truncation from counts per distinct time.
fn table_from_counts(rows: &[TimeCounts], entered: f64) -> EventTable {
    let mut table = EventTable::default();
    let mut left = 0.0;
    for r in rows {
        table.times.push(r.time);
        table.at_risk.push(entered - left);
        table.entrance.push(0.0);
        table.observed.push(r.observed);
        table.censored.push(r.censored);
        table.removed.push(r.observed + r.censored);
        left += r.observed + r.censored;
    }
    table
}

/// The event table by one sort of every row: any data, left truncation included.
fn sorted_event_table(
    durations: &[f64],
    events: &[f64],
    weights: Option<&[f64]>,
    entry: Option<&[f64]>,
) -> EventTable {
    let w = |i: usize| weights.map_or(1.0, |w| w[i]);
    // One radix sort of (duration bits, event) keys: non-negative doubles leave the top bit
    // free, so the event flag rides in the lowest bit and the scan below reads times and
    // events sequentially.
    let keys: Vec<u64> = durations
        .iter()
        .zip(events)
        .map(|(&d, &e)| ((d + 0.0).to_bits() << 1) | u64::from(e == 1.0))
        .collect();
    // rows are only needed to look up weights
    let (sorted, order) = match weights {
        Some(_) => sort_with_rows(keys),
        None => (sort_keys(keys), Vec::new()),
    };
    let time_of = |k: u64| f64::from_bits(k >> 1);
    let entry_order = entry.map(argsort_nonnegative);
    let mut table = EventTable::default();
    let (mut i, mut j) = (0usize, 0usize);
    let n = durations.len();
    let mut entered = 0.0;
    let mut left = 0.0;
    if entry.is_none() {
        entered = total_weight(n, weights);
    }
    while i < n || entry_order.as_ref().is_some_and(|eo| j < eo.len()) {
        let next_exit = if i < n {
            time_of(sorted[i])
        } else {
            f64::INFINITY
        };
        let next_entry = match (&entry_order, entry) {
            (Some(eo), Some(e)) if j < eo.len() => e[eo[j]],
            _ => f64::INFINITY,
        };
        let t = next_exit.min(next_entry);
        let mut entrance = 0.0;
        if let (Some(eo), Some(e)) = (&entry_order, entry) {
            while j < eo.len() && e[eo[j]] == t {
                entrance += w(eo[j]);
                j += 1;
            }
        }
        entered += entrance;
        let (mut observed, mut censored) = (0.0, 0.0);
        while i < n && time_of(sorted[i]) == t {
            let weight = if weights.is_some() { w(order[i]) } else { 1.0 };
            if sorted[i] & 1 == 1 {
                observed += weight;
            } else {
                censored += weight;
            }
            i += 1;
        }
        table.times.push(t);
        table.at_risk.push(entered - left);
        table
            .entrance
            .push(if entry.is_none() { 0.0 } else { entrance });
        table.observed.push(observed);
        table.censored.push(censored);
        table.removed.push(observed + censored);
        left += observed + censored;
    }
    table
}

/// Pointwise confidence-interval transform of the survival curve (R's `conf.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CiTransform {
    /// log(-log S): R's `"log-log"` and lifelines' ("exponential Greenwood") default.
    LogLog,
    /// log S: R's default `"log"`, bounds capped at 1.
    Log,
    /// S itself ("plain"), bounds clipped to [0, 1].
    Plain,
}

impl CiTransform {
    pub fn parse(name: &str) -> Result<CiTransform> {
        match name {
            "log-log" => Ok(CiTransform::LogLog),
            "log" => Ok(CiTransform::Log),
            "plain" => Ok(CiTransform::Plain),
            other => Err(ClmError::InvalidArgument(format!(
                "ci_transform must be 'log-log', 'log' or 'plain', got {other:?}"
            ))),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct KaplanMeierCurve {
    pub survival: Vec<f64>,
    /// Greenwood's sum of d / (n (n - d)): Var(log S) (Greenwood 1926, Kalbfleisch-Prentice 1.4).
    pub greenwood: Vec<f64>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
}

/// Product-limit estimate over the rows of an event table, with pointwise bounds at normal
/// quantile `z` (1.959964 for 95%).
pub fn kaplan_meier(table: &EventTable, z: f64, transform: CiTransform) -> KaplanMeierCurve {
    let m = table.times.len();
    let mut survival = Vec::with_capacity(m);
    let mut greenwood = Vec::with_capacity(m);
    let (mut s, mut g) = (1.0f64, 0.0f64);
    for k in 0..m {
        let (d, n) = (table.observed[k], table.risk_set(k));
        if d > 0.0 && n > 0.0 {
            s *= 1.0 - d / n;
            g += if n > d {
                d / (n * (n - d))
            } else {
                f64::INFINITY
            };
        }
        survival.push(s);
        greenwood.push(g);
    }
    // the bounds are pointwise (a log and two exps per row: the cost of a table of a million
    // distinct times), so they split over threads with the same bits
    let (lower, upper) = survival
        .par_iter()
        .zip(&greenwood)
        .with_min_len(crate::numeric::grain::ITEMS_POINTWISE)
        .map(|(&s, &g)| confidence_bounds(s, g, z, transform))
        .unzip();
    KaplanMeierCurve {
        survival,
        greenwood,
        lower,
        upper,
    }
}

/// Bounds of S from Var(log S) = `g` under a transform (Kalbfleisch & Prentice 2002, 1.4.2).
pub fn confidence_bounds(s: f64, g: f64, z: f64, transform: CiTransform) -> (f64, f64) {
    if s <= 0.0 || !g.is_finite() {
        return (0.0, if s <= 0.0 { 0.0 } else { 1.0 });
    }
    if g == 0.0 {
        return (s, s);
    }
    match transform {
        CiTransform::LogLog => {
            // se of log(-log S) by the delta method: sqrt(g) / |log S|
            let ls = s.ln();
            if ls == 0.0 {
                return (s, s);
            }
            let half = z * g.sqrt() / ls.abs();
            ((-(-ls * half.exp())).exp(), (-(-ls * (-half).exp())).exp())
        }
        CiTransform::Log => {
            let half = z * g.sqrt();
            (s * (-half).exp(), (s * half.exp()).min(1.0))
        }
        CiTransform::Plain => {
            let half = z * s * g.sqrt();
            ((s - half).max(0.0), (s + half).min(1.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(d: &[f64], e: &[f64], w: Option<&[f64]>, entry: Option<&[f64]>) -> Result<EventTable> {
        event_table(d, Events::F64(e), w, entry)
    }

    #[test]
    fn hashed_and_sorted_event_tables_agree_on_tied_data() {
        let durations: Vec<f64> = (0..150_000u64)
            .map(|i| ((i * 104_729) % 500) as f64 / 4.0)
            .collect();
        let events: Vec<f64> = (0..150_000).map(|i| f64::from(i % 5 < 3)).collect();
        let hashed = table(&durations, &events, None, None).unwrap();
        assert_eq!(hashed, sorted_event_table(&durations, &events, None, None));
        let weights: Vec<f64> = (0..150_000).map(|i| 1.0 + (i % 4) as f64).collect();
        let hashed = table(&durations, &events, Some(&weights), None).unwrap();
        assert_eq!(
            hashed,
            sorted_event_table(&durations, &events, Some(&weights), None)
        );
    }

    #[test]
    fn every_event_dtype_gives_the_same_table() {
        let d: Vec<f64> = (0..100_000u64).map(|i| ((i * 7919) % 300) as f64).collect();
        let b: Vec<u8> = (0..100_000).map(|i| u8::from(i % 3 != 1)).collect();
        let f: Vec<f64> = b.iter().map(|&x| f64::from(x)).collect();
        let i64s: Vec<i64> = b.iter().map(|&x| i64::from(x)).collect();
        let i32s: Vec<i32> = b.iter().map(|&x| i32::from(x)).collect();
        let reference = table(&d, &f, None, None).unwrap();
        for e in [Events::Bool(&b), Events::I64(&i64s), Events::I32(&i32s)] {
            assert_eq!(event_table(&d, e, None, None).unwrap(), reference);
        }
        let ones = vec![1.0; d.len()];
        assert_eq!(
            event_table(&d, Events::All, None, None).unwrap(),
            table(&d, &ones, None, None).unwrap()
        );
    }

    #[test]
    fn table_counts_ties_and_censoring() {
        let t = [3.0, 1.0, 3.0, 2.0, 3.0];
        let e = [1.0, 1.0, 0.0, 0.0, 1.0];
        let tab = table(&t, &e, None, None).unwrap();
        assert_eq!(tab.times, vec![1.0, 2.0, 3.0]);
        assert_eq!(tab.observed, vec![1.0, 0.0, 2.0]);
        assert_eq!(tab.censored, vec![0.0, 1.0, 1.0]);
        assert_eq!(tab.at_risk, vec![5.0, 4.0, 3.0]);
        let km = kaplan_meier(&tab, 1.96, CiTransform::LogLog);
        assert!((km.survival[2] - 0.8 * (1.0 / 3.0)).abs() < 1e-15);
    }

    #[test]
    fn origin_row_is_where_everyone_enters() {
        let mut tab = table(&[3.0, 1.0], &[1.0, 0.0], None, None).unwrap();
        add_origin_row(&mut tab);
        assert_eq!(tab.times, vec![0.0, 1.0, 3.0]);
        assert_eq!(
            (tab.entrance[0], tab.at_risk[0], tab.removed[0]),
            (2.0, 2.0, 0.0)
        );
        let km = kaplan_meier(&tab, 1.96, CiTransform::LogLog);
        assert_eq!(
            (km.survival[0], km.lower[0], km.upper[0], km.greenwood[0]),
            (1.0, 1.0, 1.0, 0.0)
        );
        let mut tab = table(&[0.0, 1.0], &[1.0, 0.0], None, None).unwrap();
        add_origin_row(&mut tab);
        assert_eq!(
            (tab.times.len(), tab.entrance[0], tab.removed[0]),
            (2, 2.0, 1.0)
        );
    }

    #[test]
    fn entry_delays_the_risk_set() {
        // subject 2 enters at 2: not at risk at time 1
        let t = [1.0, 3.0, 4.0];
        let e = [1.0, 1.0, 1.0];
        let entry = [0.0, 0.0, 2.0];
        let tab = table(&t, &e, None, Some(&entry)).unwrap();
        assert_eq!(tab.times, vec![0.0, 1.0, 2.0, 3.0, 4.0]);
        assert_eq!(tab.at_risk, vec![2.0, 2.0, 2.0, 2.0, 1.0]);
        assert_eq!(tab.entrance, vec![2.0, 0.0, 1.0, 0.0, 0.0]);
        // entering at 2 counts for events after 2: S(3) = (1 - 1/2) (1 - 1/2)
        let km = kaplan_meier(&tab, 1.96, CiTransform::LogLog);
        assert_eq!(km.survival[3], 0.25);
        let b = [1u8, 7, 1];
        assert_eq!(
            event_table(&t, Events::Bool(&b), None, Some(&entry)).unwrap(),
            tab
        );
    }

    #[test]
    fn weights_equal_replicated_rows() {
        let a = table(
            &[1.0, 2.0, 2.0],
            &[1.0, 0.0, 1.0],
            Some(&[2.0, 1.0, 3.0]),
            None,
        )
        .unwrap();
        let b = table(
            &[1.0, 1.0, 2.0, 2.0, 2.0, 2.0],
            &[1.0, 1.0, 0.0, 1.0, 1.0, 1.0],
            None,
            None,
        )
        .unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn bad_input_names_the_first_bad_row() {
        let err = |d: &[f64], e: Events<'_>, w: Option<&[f64]>| {
            event_table(d, e, w, None).unwrap_err().to_string()
        };
        assert!(err(&[1.0, -1.0], Events::F64(&[1.0, 1.0]), None).contains("durations: row 1"));
        assert!(err(&[1.0, 1.0], Events::F64(&[1.0, 2.0]), None).contains("event_observed: row 1"));
        assert!(err(&[1.0, 1.0, 1.0], Events::I64(&[1, 0, -1]), None)
            .contains("event_observed: row 2 has invalid value -1"));
        assert!(
            err(&[1.0, 1.0], Events::I32(&[1, 0]), Some(&[1.0, 0.0])).contains("weights: row 1")
        );
        assert!(err(&[1.0, 1.0], Events::I32(&[1]), None).contains("same length"));
        assert!(err(&[], Events::All, None).contains("empty"));
        assert!(table(&[1.0], &[1.0], None, Some(&[2.0])).is_err());
        // a bad duration far in a large input, behind a bad event in another chunk: durations first
        let mut d = vec![1.0; 300_000];
        let mut e = vec![0i64; 300_000];
        d[250_001] = f64::NAN;
        d[290_000] = -2.0;
        e[3] = 7;
        assert!(
            err(&d, Events::I64(&e), None).contains("durations: row 250001 has invalid value nan")
        );
    }
}
