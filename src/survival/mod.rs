//! Survival analysis for churn: Kaplan-Meier and Nelson-Aalen estimators, Cox proportional
//! hazards, the Weibull accelerated failure time model, Harrell's concordance index and the
//! construction of a churn data set from a transaction log. Conventions follow lifelines.

pub mod churn_dataset;
pub mod concordance;
pub mod cox;
mod cox_risk;
pub mod events;
pub mod kaplan_meier;
pub mod nelson_aalen;
mod radix;
mod tied_counts;
pub mod weibull;

use crate::error::{check_same_length, first_invalid, ClmError, Result};

/// Validates the (duration, event, weight, entry) quadruple every estimator takes.
pub(crate) fn check_survival_data(
    durations: &[f64],
    events: &[f64],
    weights: Option<&[f64]>,
    entry: Option<&[f64]>,
) -> Result<()> {
    check_same_length(&[
        ("durations", durations.len()),
        ("event_observed", events.len()),
    ])?;
    if durations.is_empty() {
        return Err(ClmError::InvalidArgument("durations is empty".into()));
    }
    first_invalid("durations", durations, "must be finite and >= 0", |v| {
        !(v.is_finite() && v >= 0.0)
    })?;
    first_invalid("event_observed", events, "must be 0 or 1", |v| {
        v != 0.0 && v != 1.0
    })?;
    if let Some(w) = weights {
        check_same_length(&[("durations", durations.len()), ("weights", w.len())])?;
        first_invalid("weights", w, "must be finite and > 0", |v| {
            !(v.is_finite() && v > 0.0)
        })?;
    }
    if let Some(e) = entry {
        check_same_length(&[("durations", durations.len()), ("entry", e.len())])?;
        first_invalid("entry", e, "must be finite and >= 0", |v| {
            !(v.is_finite() && v >= 0.0)
        })?;
        if let Some(row) = (0..e.len()).find(|&i| e[i] > durations[i]) {
            return Err(ClmError::invalid_value(
                "entry",
                row,
                e[row],
                "must be <= the duration",
            ));
        }
        if let Some(row) =
            (0..e.len()).find(|&i| e[i] > 0.0 && e[i] == durations[i] && events[i] == 1.0)
        {
            return Err(ClmError::invalid_value(
                "entry",
                row,
                e[row],
                "equals the time of an event: a subject must enter before its event",
            ));
        }
    }
    Ok(())
}

/// Row order by ascending `key` (non-negative, finite), ties by row index, so every later
/// floating-point sum runs in one order whatever the thread count.
pub(crate) fn argsort_nonnegative(key: &[f64]) -> Vec<usize> {
    radix::radix_sort(key.iter().map(|&k| radix::f64_key(k)).collect()).1
}
