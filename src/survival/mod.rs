//! Survival analysis for churn: Kaplan-Meier and Nelson-Aalen estimators, Cox proportional
//! hazards, the Weibull accelerated failure time model, Harrell's concordance index and the
//! construction of a churn data set from a transaction log. Conventions follow lifelines.

pub mod churn_dataset;
pub mod concordance;
pub mod cox;
mod cox_risk;
pub mod design;
pub mod events;
pub mod kaplan_meier;
pub mod nelson_aalen;
mod tied_counts;
pub mod weibull;

use crate::error::{first_invalid, ClmError, Result};

/// Validates the (duration, event, weight, entry) quadruple every estimator takes, once, in
/// the order and words users see: lengths, then non-finite before out-of-range values (each the
/// first bad row), events, weights, entry. Values are quoted as Python prints them.
pub(crate) fn check_survival_data(
    durations: &[f64],
    events: &[f64],
    weights: Option<&[f64]>,
    entry: Option<&[f64]>,
) -> Result<()> {
    same_length("event_observed", durations.len(), events.len())?;
    if let Some(w) = weights {
        same_length("weights", durations.len(), w.len())?;
    }
    if let Some(e) = entry {
        same_length("entry", durations.len(), e.len())?;
    }
    if durations.is_empty() {
        return Err(ClmError::InvalidArgument("durations is empty".into()));
    }
    finite_then("durations", durations, "must be >= 0", |v| v < 0.0)?;
    first_bad("event_observed", events, "must be 0 or 1 (or bool)", |v| {
        v != 0.0 && v != 1.0
    })?;
    if let Some(w) = weights {
        finite_then("weights", w, "must be > 0", |v| v <= 0.0)?;
    }
    if let Some(e) = entry {
        finite_then("entry", e, "must be >= 0", |v| v < 0.0)?;
        check_entry(durations, events, e)?;
    }
    Ok(())
}

/// A subject entering at age e > 0 is at risk only after e, so it must leave (event or
/// censoring) strictly later: a row with 0 < entry >= duration never is at risk, and counting it
/// would empty the risk set (S = 0 for every t). R's `Surv(entry, time)` rejects such rows
/// ("Stop time must be > start time") and lifelines raises; so do we, naming the first one.
fn check_entry(durations: &[f64], events: &[f64], entry: &[f64]) -> Result<()> {
    if let Some(row) = (0..entry.len()).find(|&i| entry[i] > durations[i]) {
        return Err(ClmError::invalid_value(
            "entry",
            row,
            py_float(entry[row]),
            &format!(
                "must be <= the duration, {}: a subject must enter before it leaves",
                py_float(durations[row])
            ),
        ));
    }
    if let Some(row) = (0..entry.len()).find(|&i| entry[i] > 0.0 && entry[i] == durations[i]) {
        let what = if events[row] == 1.0 {
            "equals the time of an event: a subject must enter before its event"
        } else {
            "equals the censoring time: a subject must enter before it leaves"
        };
        return Err(ClmError::invalid_value(
            "entry",
            row,
            py_float(entry[row]),
            what,
        ));
    }
    Ok(())
}

fn same_length(name: &str, n: usize, len: usize) -> Result<()> {
    if n == len {
        return Ok(());
    }
    Err(ClmError::InvalidArgument(format!(
        "arrays must have the same length: durations has {n}, {name} has {len}"
    )))
}

/// The first non-finite value (reason "must be finite"), then the first one where `bad` holds.
fn finite_then(
    arg: &str,
    values: &[f64],
    reason: &str,
    bad: impl Fn(f64) -> bool + Sync,
) -> Result<()> {
    first_bad(arg, values, "must be finite", |v| !v.is_finite())?;
    first_bad(arg, values, reason, bad)
}

/// `first_invalid` (parallel, first row), with the value quoted as Python prints it.
fn first_bad(
    arg: &str,
    values: &[f64],
    reason: &str,
    bad: impl Fn(f64) -> bool + Sync,
) -> Result<()> {
    first_invalid(arg, values, reason, bad).map_err(|err| match err {
        ClmError::InvalidValue { row, .. } => {
            ClmError::invalid_value(arg, row, py_float(values[row]), reason)
        }
        other => other,
    })
}

/// A float as Python's `repr` writes it (`-2.0`, `nan`, `inf`, `1e+16`), so messages read the
/// same whichever floor raised them.
pub(crate) fn py_float(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let a = v.abs();
    if a != 0.0 && !(1e-4..1e16).contains(&a) {
        let s = format!("{v:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let mantissa = mantissa.trim_end_matches(".0");
        return format!(
            "{mantissa}e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        );
    }
    format!("{v:?}")
}

/// Row order by ascending `key` (non-negative, finite), ties by row index, so every later
/// floating-point sum runs in one order whatever the thread count.
pub(crate) fn argsort_nonnegative(key: &[f64]) -> Vec<usize> {
    crate::numeric::sort::sort_with_rows(
        key.iter()
            .map(|&k| crate::numeric::sort::f64_key(k))
            .collect(),
    )
    .1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_quoted_as_python_prints_them() {
        let cases = [
            (-2.0, "-2.0"),
            (0.5, "0.5"),
            (f64::NAN, "nan"),
            (f64::NEG_INFINITY, "-inf"),
            (1e16, "1e+16"),
            (1.5e-5, "1.5e-05"),
            (1e-300, "1e-300"),
            (123456.75, "123456.75"),
            (0.0001, "0.0001"),
        ];
        for (v, text) in cases {
            assert_eq!(py_float(v), text);
        }
    }

    #[test]
    fn entry_at_or_after_the_exit_is_rejected_naming_the_row() {
        let d = [3.0, 2.0, 4.0];
        let e = [1.0, 0.0, 1.0];
        let err = |entry: &[f64]| check_survival_data(&d, &e, None, Some(entry)).unwrap_err();
        let msg = err(&[0.0, 2.0, 0.0]).to_string();
        assert!(
            msg.contains("entry: row 1") && msg.contains("censoring time"),
            "{msg}"
        );
        let msg = err(&[0.0, 0.0, 5.0]).to_string();
        assert!(msg.contains("entry: row 2 has invalid value 5.0"), "{msg}");
        assert!(err(&[3.0, 0.0, 0.0])
            .to_string()
            .contains("before its event"));
        // entry 0 = duration 0 is an ordinary subject leaving at once (no truncation)
        assert!(check_survival_data(&[0.0, 1.0], &[0.0, 1.0], None, Some(&[0.0, 0.0])).is_ok());
    }

    #[test]
    fn non_finite_values_are_named_before_out_of_range_ones() {
        let d = [1.0, -1.0, f64::INFINITY];
        let msg = check_survival_data(&d, &[1.0; 3], None, None)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("row 2 has invalid value inf (must be finite)"),
            "{msg}"
        );
        let msg = check_survival_data(&[1.0], &[1.0], Some(&[0.0]), None)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("weights: row 0 has invalid value 0.0 (must be > 0)"),
            "{msg}"
        );
    }
}
