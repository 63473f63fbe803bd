//! Domain checks shared by the continuous-time BTYD models (frequency, recency, T) and the
//! prediction arguments (t, n). Python validates first with friendlier messages; these keep
//! the core safe when called directly.

use crate::error::{check_nonnegative, check_same_length, first_invalid, ClmError, Result};

/// `v.fract() == 0.0` without `trunc`, which baseline x86-64 (no SSE4.1) calls in libm: a
/// round trip through i64 is exact below 2^63, and every finite value of magnitude >= 2^52
/// is whole.
#[inline]
pub(crate) fn is_whole(v: f64) -> bool {
    v == (v as i64) as f64 || (v.is_finite() && v.abs() >= 4_503_599_627_370_496.0)
}

/// frequency: whole numbers >= 0; recency, T: finite >= 0; recency <= T; recency == 0 when
/// frequency == 0 (lifetimes' summary semantics: no repeat purchase, no recency).
pub fn check_frequency_recency_t(frequency: &[f64], recency: &[f64], t: &[f64]) -> Result<()> {
    check_same_length(&[
        ("frequency", frequency.len()),
        ("recency", recency.len()),
        ("T", t.len()),
    ])?;
    check_nonnegative("frequency", frequency)?;
    first_invalid("frequency", frequency, "must be a whole number", |v| {
        !is_whole(v)
    })?;
    check_nonnegative("recency", recency)?;
    check_nonnegative("T", t)?;
    if let Some(i) = first_bad_row(t.len(), |i| recency[i] > t[i]) {
        return Err(ClmError::invalid_value(
            "recency",
            i,
            recency[i],
            &format!("must be <= T ({})", t[i]),
        ));
    }
    if let Some(i) = first_bad_row(t.len(), |i| (frequency[i] == 0.0) & (recency[i] != 0.0)) {
        return Err(ClmError::invalid_value(
            "recency",
            i,
            recency[i],
            "must be 0 when frequency is 0 (no repeat purchase)",
        ));
    }
    Ok(())
}

/// First row `i < n` where `bad(i)` holds: chunks tested in parallel with a branch-free fold
/// (as `first_invalid`), the first one with a hit searched again for the row.
fn first_bad_row(n: usize, bad: impl Fn(usize) -> bool + Sync) -> Option<usize> {
    use crate::numeric::grain::VALIDATE_CHUNK as CHUNK;
    use rayon::prelude::*;
    let c = (0..n.div_ceil(CHUNK)).into_par_iter().position_first(|c| {
        (c * CHUNK..((c + 1) * CHUNK).min(n)).fold(false, |any, i| any | bad(i))
    })?;
    (c * CHUNK..n).find(|&i| bad(i))
}

/// The data layout of the continuous-time count models (BG/NBD, MBG/NBD, Pareto/NBD): the
/// [`Model`](super::Model) methods naming the columns (frequency, recency, T), rescaling
/// recency and T by the largest T, and checking the domain. Expands inside `impl Model`.
macro_rules! frequency_recency_t_layout {
    () => {
        fn columns(&self) -> &'static [&'static str] {
            &["frequency", "recency", "T"]
        }
        fn time_columns(&self) -> &'static [usize] {
            &[1, 2]
        }
        fn scale_column(&self) -> Option<usize> {
            Some(2)
        }
        fn check_data(&self, c: &[&[f64]]) -> $crate::error::Result<()> {
            $crate::btyd::validate::check_frequency_recency_t(c[0], c[1], c[2])
        }
    };
}
pub(super) use frequency_recency_t_layout;

/// A prediction horizon: finite and >= 0.
pub fn check_horizon(name: &str, t: f64) -> Result<()> {
    if t.is_finite() && t >= 0.0 {
        Ok(())
    } else {
        Err(ClmError::InvalidArgument(format!(
            "{name} must be finite and >= 0, got {t}"
        )))
    }
}

#[cfg(test)]
mod whole_tests {
    #[test]
    fn is_whole_matches_fract() {
        let values = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            -0.5,
            1e-300,
            4503599627370495.5,
            4503599627370496.0,
            9.3e18,
            -9.3e18,
            9223372036854775807.0,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE,
            2.0f64.powi(63),
            -(2.0f64.powi(63)),
        ];
        for v in values {
            assert_eq!(super::is_whole(v), v.fract() == 0.0, "{v}");
        }
    }
}

/// A number of purchases: a whole number >= 0.
pub fn check_count(name: &str, n: f64) -> Result<()> {
    if n.is_finite() && n >= 0.0 && n.fract() == 0.0 {
        Ok(())
    } else {
        Err(ClmError::InvalidArgument(format!(
            "{name} must be a whole number >= 0, got {n}"
        )))
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
        assert!(
            e.to_string().contains("must be 0 when frequency is 0"),
            "{e}"
        );
        assert!(check_frequency_recency_t(&[0.0], &[0.0], &[f64::NAN]).is_err());
        // The first bad row is found past the first parallel chunk too.
        let n = 100_000;
        let (mut f, mut r, t) = (vec![1.0; n], vec![1.0; n], vec![2.0; n]);
        r[70_001] = 3.0;
        r[90_000] = 3.0;
        let e = check_frequency_recency_t(&f, &r, &t).unwrap_err();
        assert!(e.to_string().starts_with("recency: row 70001"), "{e}");
        r[70_001] = 1.0;
        r[90_000] = 1.0;
        f[40_000] = 0.0;
        let e = check_frequency_recency_t(&f, &r, &t).unwrap_err();
        assert!(e.to_string().starts_with("recency: row 40000"), "{e}");
        f[50_000] = 1.5;
        f[99_999] = -1.0;
        let e = check_frequency_recency_t(&f, &r, &t).unwrap_err();
        assert!(e.to_string().starts_with("frequency: row 99999"), "{e}");
        f[99_999] = 1.0;
        let e = check_frequency_recency_t(&f, &r, &t).unwrap_err();
        assert!(e.to_string().starts_with("frequency: row 50000"), "{e}");
        assert!(check_horizon("t", -1.0).is_err());
        assert!(check_count("n", 1.5).is_err());
    }
}
