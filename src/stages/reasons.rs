//! Reason texts with the numbers that decided each stage (`"churned: inactivity 41 d > churn
//! window 28 d"`), for a million customers in one pass.
//!
//! The caller gives one template per reason code, with `{a}`, `{b}` and `{c}` where the row's
//! numbers go (the text policy lives in Python, `clmkit.stages.reasons`), and per row the three
//! numbers. Numbers are rounded for display first, so rows repeat: every distinct (reason,
//! a, b, c) is formatted once and the result is a categorical (codes plus distinct texts), the
//! same for any thread count since the pass is sequential.

use std::collections::HashMap;

use crate::error::{check_same_length, ClmError, Result};

/// How a template's `{a}` is shown: a probability (two decimals) or a duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberKind {
    Probability,
    Duration,
}

/// Display rounding: probabilities to 0.01, durations to whole units from 10 on, else 0.1.
fn rounded(x: f64, kind: NumberKind) -> f64 {
    match kind {
        NumberKind::Probability => (x * 100.0).round() / 100.0,
        NumberKind::Duration if x.abs() >= 10.0 => x.round(),
        NumberKind::Duration => (x * 10.0).round() / 10.0,
    }
}

fn text(x: f64, kind: NumberKind, unit: &str) -> String {
    match kind {
        NumberKind::Probability => format!("{x:.2}"),
        NumberKind::Duration if x.fract() == 0.0 => format!("{x:.0}{unit}"),
        NumberKind::Duration => format!("{x:.1}{unit}"),
    }
}

/// Category code per row and the distinct texts. `templates[code]` is the text of reason
/// `code`; `a_kinds[code]` says how its `{a}` is shown (`{b}` and `{c}` are durations).
pub fn reason_texts(
    codes: &[i32],
    a: &[f64],
    b: &[f64],
    c: &[f64],
    templates: &[String],
    a_kinds: &[NumberKind],
    unit: &str,
) -> Result<(Vec<i32>, Vec<String>)> {
    check_same_length(&[
        ("reason codes", codes.len()),
        ("a", a.len()),
        ("b", b.len()),
        ("c", c.len()),
    ])?;
    check_same_length(&[("templates", templates.len()), ("a_kinds", a_kinds.len())])?;
    if let Some(i) = codes
        .iter()
        .position(|&c| c < 0 || c as usize >= templates.len())
    {
        return Err(ClmError::invalid_value(
            "reason codes",
            i,
            codes[i],
            "no template for this reason",
        ));
    }
    // std's SipHash, not FxHash: f64 bit patterns of whole numbers end in long runs of zero
    // bits, which FxHash spreads so badly that 200,000 distinct keys took seconds.
    let mut by_key: HashMap<(i32, u64, u64, u64), i32> = HashMap::new();
    let mut by_text: HashMap<String, i32> = HashMap::new();
    let has_a: Vec<bool> = templates.iter().map(|t| t.contains("{a}")).collect();
    let has_b: Vec<bool> = templates.iter().map(|t| t.contains("{b}")).collect();
    let has_c: Vec<bool> = templates.iter().map(|t| t.contains("{c}")).collect();
    let mut texts: Vec<String> = Vec::new();
    let mut out = Vec::with_capacity(codes.len());
    for i in 0..codes.len() {
        let code = codes[i];
        let template = &templates[code as usize];
        let kind = a_kinds[code as usize];
        let (ra, rb) = (rounded(a[i], kind), rounded(b[i], NumberKind::Duration));
        let rc = rounded(c[i], NumberKind::Duration);
        let used = |has: &[bool], x: f64| if has[code as usize] { x.to_bits() } else { 0 };
        // Templates without a number share one text whatever the row's numbers.
        let key = (code, used(&has_a, ra), used(&has_b, rb), used(&has_c, rc));
        let next = texts.len() as i32;
        let category = *by_key.entry(key).or_insert_with(|| {
            let filled = template
                .replace("{a}", &text(ra, kind, unit))
                .replace("{b}", &text(rb, NumberKind::Duration, unit))
                .replace("{c}", &text(rc, NumberKind::Duration, unit));
            // Two keys may give one text (e.g. two custom rules of one name): one category.
            *by_text.entry(filled.clone()).or_insert_with(|| {
                texts.push(filled);
                next
            })
        });
        out.push(category);
    }
    Ok((out, texts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_rounded_and_texts_shared() {
        let templates = vec![
            "churned: inactivity {a} > churn window {b}".to_string(),
            "churned: P(alive) {a} < churn_p 0.1, inactivity {c} > {b}".to_string(),
            "mature: buying on cadence".to_string(),
        ];
        let kinds = [
            NumberKind::Duration,
            NumberKind::Probability,
            NumberKind::Duration,
        ];
        let (codes, texts) = reason_texts(
            &[0, 0, 1, 2, 2, 0],
            &[41.2, 40.8, 0.0512, 3.0, 9.0, 4.24],
            &[28.0, 28.4, 20.0, 1.0, 2.0, 3.0],
            &[0.0, 0.0, 139.4, 0.0, 0.0, 0.0],
            &templates,
            &kinds,
            " d",
        )
        .unwrap();
        assert_eq!(codes, vec![0, 0, 1, 2, 2, 3]);
        assert_eq!(
            texts,
            vec![
                "churned: inactivity 41 d > churn window 28 d",
                "churned: P(alive) 0.05 < churn_p 0.1, inactivity 139 d > 20 d",
                "mature: buying on cadence",
                "churned: inactivity 4.2 d > churn window 3 d",
            ]
        );
        let err = reason_texts(&[3], &[0.0], &[0.0], &[0.0], &templates, &kinds, "").unwrap_err();
        assert!(err.to_string().starts_with("reason codes: row 0"), "{err}");
    }
}
