//! Domain checks shared by the continuous-time BTYD models (frequency, recency, T) and the
//! prediction arguments (t, n). Python validates first with friendlier messages; these keep
//! the core safe when called directly.

use crate::error::{check_nonnegative, check_same_length, first_invalid, ClmError, Result};

/// frequency: whole numbers >= 0; recency, T: finite >= 0; recency <= T; recency == 0 when
/// frequency == 0 (lifetimes' summary semantics: no repeat purchase, no recency).
pub fn check_frequency_recency_t(frequency: &[f64], recency: &[f64], t: &[f64]) -> Result<()> {
    check_same_length(&[("frequency", frequency.len()), ("recency", recency.len()), ("T", t.len())])?;
    check_nonnegative("frequency", frequency)?;
    first_invalid("frequency", frequency, "must be a whole number", |v| v.fract() != 0.0)?;
    check_nonnegative("recency", recency)?;
    check_nonnegative("T", t)?;
    if let Some(i) = (0..t.len()).find(|&i| recency[i] > t[i]) {
        return Err(ClmError::invalid_value("recency", i, recency[i], &format!("must be <= T ({})", t[i])));
    }
    if let Some(i) = (0..t.len()).find(|&i| frequency[i] == 0.0 && recency[i] != 0.0) {
        return Err(ClmError::invalid_value(
            "recency",
            i,
            recency[i],
            "must be 0 when frequency is 0 (no repeat purchase)",
        ));
    }
    Ok(())
}

/// A prediction horizon: finite and >= 0.
pub fn check_horizon(name: &str, t: f64) -> Result<()> {
    if t.is_finite() && t >= 0.0 {
        Ok(())
    } else {
        Err(ClmError::InvalidArgument(format!("{name} must be finite and >= 0, got {t}")))
    }
}

/// A number of purchases: a whole number >= 0.
pub fn check_count(name: &str, n: f64) -> Result<()> {
    if n.is_finite() && n >= 0.0 && n.fract() == 0.0 {
        Ok(())
    } else {
        Err(ClmError::InvalidArgument(format!("{name} must be a whole number >= 0, got {n}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_names_argument_and_row() {
        let ok = check_frequency_recency_t(&[0.0, 2.0], &[0.0, 3.0], &[1.0, 4.0]);
        assert!(ok.is_ok());
        let e = check_frequency_recency_t(&[0.0, 2.0], &[0.0, 5.0], &[1.0, 4.0]).unwrap_err();
        assert!(e.to_string().starts_with("recency: row 1"), "{e}");
        let e = check_frequency_recency_t(&[0.0, 1.5], &[0.0, 3.0], &[1.0, 4.0]).unwrap_err();
        assert!(e.to_string().starts_with("frequency: row 1"), "{e}");
        let e = check_frequency_recency_t(&[0.0], &[0.5], &[1.0]).unwrap_err();
        assert!(e.to_string().contains("must be 0 when frequency is 0"), "{e}");
        assert!(check_frequency_recency_t(&[0.0], &[0.0], &[f64::NAN]).is_err());
        assert!(check_horizon("t", -1.0).is_err());
        assert!(check_count("n", 1.5).is_err());
    }
}
