//! The combined RFM score and the RFM code.
//!
//! The code of a customer ("545") is one of `bins^d` strings for `d` scored dimensions, so it
//! is returned as a category index (`code_index`) plus the ordered list of labels
//! (`code_labels`): a categorical column instead of millions of small strings.

use rayon::prelude::*;

use super::quantiles::check_bins;
use crate::error::{check_same_length, ClmError, Result};

/// Rejects weights that are negative, not finite, or all zero; returns their sum.
pub fn check_weights(weights: &[f64]) -> Result<f64> {
    if let Some(i) = weights.iter().position(|w| !(w.is_finite() && *w >= 0.0)) {
        return Err(ClmError::invalid_value(
            "weights",
            i,
            weights[i],
            "must be finite and >= 0",
        ));
    }
    let total: f64 = weights.iter().sum();
    if total > 0.0 {
        Ok(total)
    } else {
        Err(ClmError::InvalidArgument(format!(
            "weights must not all be zero, got {weights:?}"
        )))
    }
}

/// Width of one score in a code: one digit up to 9 bins, two (zero-padded) for 10 bins, so
/// every code of a table has the same length and reads unambiguously.
fn digits(bins: usize) -> usize {
    if bins >= 10 {
        2
    } else {
        1
    }
}

/// All codes for `dims` dimensions in category order ("111", "112", ..., "555").
pub fn code_labels(bins: usize, dims: usize) -> Result<Vec<String>> {
    check_bins(bins)?;
    let width = digits(bins);
    let count = bins.pow(dims as u32);
    Ok((0..count)
        .map(|mut idx| {
            let mut parts = vec![0usize; dims];
            for part in parts.iter_mut().rev() {
                *part = idx % bins + 1;
                idx /= bins;
            }
            parts.iter().map(|p| format!("{p:0width$}")).collect()
        })
        .collect())
}

/// Weighted mean score and code index for each row. `scores` holds one slice per dimension
/// (R, F[, M]) with values in 1..=bins, `weights` one weight per dimension.
pub fn combine(scores: &[&[i8]], weights: &[f64], bins: usize) -> Result<(Vec<f64>, Vec<i16>)> {
    check_bins(bins)?;
    if scores.is_empty() || scores.len() != weights.len() {
        return Err(ClmError::InvalidArgument(format!(
            "need one weight per scored dimension: {} dimensions, {} weights",
            scores.len(),
            weights.len()
        )));
    }
    let total = check_weights(weights)?;
    let lengths: Vec<(&str, usize)> = ["r", "f", "m"]
        .iter()
        .zip(scores)
        .map(|(n, s)| (*n, s.len()))
        .collect();
    check_same_length(&lengths)?;
    let n = scores[0].len();
    Ok((0..n)
        .into_par_iter()
        .with_min_len(crate::numeric::grain::ITEMS_MAP)
        .map(|i| {
            let mut weighted = 0.0;
            let mut code = 0i16;
            for (s, w) in scores.iter().zip(weights) {
                weighted += w * s[i] as f64;
                code = code * bins as i16 + (s[i] as i16 - 1);
            }
            (weighted / total, code)
        })
        .unzip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_index_their_labels() {
        let labels = code_labels(5, 3).unwrap();
        assert_eq!(labels.len(), 125);
        let (score, code) = combine(&[&[5, 1], &[4, 1], &[5, 2]], &[1.0, 1.0, 2.0], 5).unwrap();
        assert_eq!(labels[code[0] as usize], "545");
        assert_eq!(labels[code[1] as usize], "112");
        assert_eq!(score, vec![19.0 / 4.0, 6.0 / 4.0]);
        assert_eq!(code_labels(10, 2).unwrap()[99], "1010");
    }

    #[test]
    fn weights_are_validated() {
        assert!(check_weights(&[0.0, 0.0]).is_err());
        assert!(check_weights(&[1.0, -1.0])
            .unwrap_err()
            .to_string()
            .contains("row 1"));
        assert!(combine(&[&[1]], &[1.0, 1.0], 5).is_err());
    }
}
