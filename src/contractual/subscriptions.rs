//! A subscription log to one censored tenure per customer.
//!
//! Rows are subscriptions (customer code, start, end or open) with their calendar periods
//! (ordinals of the chosen period: the period of the start, and the last period the
//! subscription covers, i.e. that of end - 1 ns). Per customer, rows sorted by start form
//! spells: a row starting no later than the period after the spell's last one continues it
//! (renewals logged as back-to-back rows, with inclusive or exclusive end dates). The first
//! spell is the customer's tenure (churn is absorbing in the sBG/BdW sense); later spells are
//! counted as reactivations. A customer is active (censored) when the first spell is open or
//! reaches the observation period; renewals = last active period - cohort period.
//!
//! Without end dates each row is one paid period (its start's period).

use crate::error::{ClmError, Result};

/// One row of the log (positions refer to the caller's rows).
pub struct Rows<'a> {
    pub codes: &'a [i64],
    pub start_ns: &'a [i64],
    /// End instants; `None` when the log has no end column. `i64::MIN` marks an open row.
    pub end_ns: Option<&'a [i64]>,
    pub start_period: &'a [i64],
    /// Last period covered (period of end - 1 ns); ignored for open rows.
    pub last_period: Option<&'a [i64]>,
}

/// One customer's tenure.
#[derive(Debug, Clone, PartialEq)]
pub struct Tenure {
    pub code: i64,
    /// Row of the customer's first subscription.
    pub first_row: usize,
    pub cohort_period: i64,
    pub renewals: i64,
    pub churned: bool,
    /// Later spells after a gap (not part of the modelled tenure).
    pub reactivations: usize,
}

pub const OPEN: i64 = i64::MIN;

/// Tenures of every customer with a subscription starting at or before `obs_ns`, in code
/// order. Errors name the first bad row: an end not after its start, two subscriptions of one
/// customer starting at the same time (or period, without ends), or overlapping ones.
pub fn tenures(rows: &Rows<'_>, obs_ns: i64, obs_period: i64) -> Result<Vec<Tenure>> {
    let n = rows.codes.len();
    let mut lengths = vec![
        ("customer ids", n),
        ("start", rows.start_ns.len()),
        ("start periods", rows.start_period.len()),
    ];
    if let (Some(e), Some(l)) = (rows.end_ns, rows.last_period) {
        lengths.push(("end", e.len()));
        lengths.push(("end periods", l.len()));
    }
    crate::error::check_same_length(&lengths)?;
    if let Some(end) = rows.end_ns {
        if let Some(i) = (0..n).find(|&i| end[i] != OPEN && end[i] <= rows.start_ns[i]) {
            return Err(ClmError::invalid_value(
                "end_col",
                i,
                end[i],
                "the subscription ends before (or when) it starts",
            ));
        }
    }
    let mut order: Vec<usize> = (0..n).filter(|&i| rows.start_ns[i] <= obs_ns).collect();
    order.sort_unstable_by_key(|&i| (rows.codes[i], rows.start_ns[i], i));
    let mut out = Vec::new();
    let mut k = 0;
    while k < order.len() {
        let code = rows.codes[order[k]];
        let mut j = k;
        while j < order.len() && rows.codes[order[j]] == code {
            j += 1;
        }
        out.push(customer(rows, &order[k..j], obs_ns, obs_period)?);
        k = j;
    }
    Ok(out)
}

fn customer(rows: &Rows<'_>, idx: &[usize], obs_ns: i64, obs_period: i64) -> Result<Tenure> {
    let first = idx[0];
    let cohort = rows.start_period[first];
    // The last period each row covers, and whether it is still running at the observation end.
    let span = |i: usize| -> (i64, bool) {
        match (rows.end_ns, rows.last_period) {
            (Some(end), Some(last)) => {
                if end[i] == OPEN || end[i] > obs_ns {
                    (obs_period, true)
                } else {
                    (last[i], false)
                }
            }
            _ => (rows.start_period[i], rows.start_period[i] >= obs_period),
        }
    };
    let (mut spell_last, mut open) = span(first);
    let mut in_first_spell = true;
    let mut reactivations = 0;
    for w in idx.windows(2) {
        let (prev, row) = (w[0], w[1]);
        let same = match rows.end_ns {
            Some(_) => rows.start_ns[row] == rows.start_ns[prev],
            None => rows.start_period[row] == rows.start_period[prev],
        };
        if same {
            return Err(ClmError::invalid_value(
                "start_col",
                row,
                rows.start_ns[row],
                "duplicated subscription: the customer has another one starting at the same time",
            ));
        }
        if let Some(end) = rows.end_ns {
            if end[prev] == OPEN || rows.start_ns[row] < end[prev] {
                return Err(ClmError::invalid_value(
                    "start_col",
                    row,
                    rows.start_ns[row],
                    "overlaps the customer's previous subscription",
                ));
            }
        }
        let (last, row_open) = span(row);
        if in_first_spell && rows.start_period[row] <= spell_last + 1 {
            spell_last = spell_last.max(last);
            open |= row_open;
        } else {
            if in_first_spell || rows.start_period[row] > spell_last + 1 {
                reactivations += 1;
            }
            in_first_spell = false;
            spell_last = spell_last.max(last);
        }
    }
    Ok(Tenure {
        code: rows.codes[first],
        first_row: first,
        cohort_period: cohort,
        renewals: spell_last_of_first(rows, idx, obs_period) - cohort,
        churned: !open,
        reactivations,
    })
}

/// The last period of the first spell (recomputed: the loop above moves on after it ends).
fn spell_last_of_first(rows: &Rows<'_>, idx: &[usize], obs_period: i64) -> i64 {
    let last_of = |i: usize| match (rows.end_ns, rows.last_period) {
        (Some(end), Some(last)) if end[i] != OPEN => last[i].min(obs_period),
        (Some(_), Some(_)) => obs_period,
        _ => rows.start_period[i].min(obs_period),
    };
    let mut spell_last = last_of(idx[0]);
    for &i in &idx[1..] {
        if rows.start_period[i] > spell_last + 1 {
            break;
        }
        spell_last = spell_last.max(last_of(i));
    }
    spell_last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spells_renewals_censoring_and_reactivation() {
        // Customer 0: Jan-Mar then ended (churned, 2 renewals); back in Jun (a reactivation).
        // Customer 1: open since Feb, observed to May: active with 3 renewals.
        let codes = [0, 1, 0, 0];
        let start_ns = [0, 10, 5, 50];
        let end_ns = [5, OPEN, 9, 60];
        let start_period = [0, 1, 1, 5];
        let last_period = [1, 0, 2, 5];
        let rows = Rows {
            codes: &codes,
            start_ns: &start_ns,
            end_ns: Some(&end_ns),
            start_period: &start_period,
            last_period: Some(&last_period),
        };
        let t = tenures(&rows, 100, 4).unwrap();
        assert_eq!(
            (t[0].renewals, t[0].churned, t[0].reactivations),
            (2, true, 1)
        );
        assert_eq!(
            (t[1].renewals, t[1].churned, t[1].cohort_period),
            (3, false, 1)
        );
    }

    #[test]
    fn bad_logs_are_named_by_row() {
        let rows = |end: &'static [i64]| Rows {
            codes: &[0, 0],
            start_ns: &[0, 3],
            end_ns: Some(end),
            start_period: &[0, 0],
            last_period: Some(&[0, 0]),
        };
        let e = tenures(&rows(&[5, 4]), 100, 1).unwrap_err();
        assert!(e.to_string().contains("start_col: row 1"), "{e}");
        let e = tenures(&rows(&[0, 4]), 100, 1).unwrap_err();
        assert!(e.to_string().contains("end_col: row 0"), "{e}");
        let dup = Rows {
            codes: &[0, 0],
            start_ns: &[1, 2],
            end_ns: None,
            start_period: &[0, 0],
            last_period: None,
        };
        assert!(tenures(&dup, 100, 1)
            .unwrap_err()
            .to_string()
            .contains("duplicated"));
    }
}
