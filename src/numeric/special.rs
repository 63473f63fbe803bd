//! Special functions shared by the models. Gamma-family functions come from statrs; the small
//! log-space helpers are here so every model uses the same stable forms.

pub use statrs::function::gamma::{digamma, ln_gamma};

/// ln B(a, b).
pub fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// ln(e^a + e^b) without overflow.
pub fn log_add_exp(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let m = a.max(b);
    m + ((a - m).exp() + (b - m).exp()).ln()
}

/// ln(e^a - e^b) for a >= b; -inf when they are equal.
pub fn log_sub_exp(a: f64, b: f64) -> f64 {
    if b == f64::NEG_INFINITY {
        return a;
    }
    a + (-(b - a).exp()).ln_1p()
}

/// ln(sum e^x_i) without overflow.
pub fn log_sum_exp(values: &[f64]) -> f64 {
    let m = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY || m.is_infinite() {
        return m;
    }
    m + values.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
}

/// Survival function of the chi-square distribution with `df` degrees of freedom,
/// P(X > x) = Q(df / 2, x / 2), the regularised upper incomplete gamma function (statrs'
/// continued fraction / series). 1 for x <= 0; NaN for df <= 0 or NaN input. Used by the
/// likelihood-ratio test.
pub fn chi2_sf(x: f64, df: f64) -> f64 {
    if x.is_nan() || df.is_nan() || df <= 0.0 || df.is_infinite() {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x.is_infinite() {
        return 0.0;
    }
    statrs::function::gamma::checked_gamma_ur(df / 2.0, x / 2.0).unwrap_or(f64::NAN)
}

/// Trigamma psi'(x) for x > 0: the recurrence psi'(x) = psi'(x + 1) + 1 / x^2 up to x >= 20,
/// then the asymptotic series 1/x + 1/(2x^2) + sum B_2k / x^(2k+1) (Abramowitz & Stegun
/// 6.4.12), whose first omitted term is below 1e-16 relative there.
pub fn trigamma(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    let mut acc = 0.0;
    let mut x = x;
    while x < 20.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let z = 1.0 / (x * x);
    // B_2 = 1/6, B_4 = -1/30, B_6 = 1/42, B_8 = -1/30, B_10 = 5/66.
    let series =
        1.0 / 6.0 + z * (-1.0 / 30.0 + z * (1.0 / 42.0 + z * (-1.0 / 30.0 + z * (5.0 / 66.0))));
    acc + (1.0 + 1.0 / (2.0 * x) + series * z) / x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chi2_sf_matches_closed_forms() {
        // df = 2: exp(-x/2); df = 1: erfc(sqrt(x/2)), at x = 3.841458820694124 it is 0.05.
        for x in [0.1, 1.0, 5.0, 30.0] {
            assert!((chi2_sf(x, 2.0) - (-x / 2.0).exp()).abs() < 1e-14);
        }
        assert!((chi2_sf(3.841458820694124, 1.0) - 0.05).abs() < 1e-12);
        assert_eq!(chi2_sf(0.0, 3.0), 1.0);
        assert!(chi2_sf(1.0, 0.0).is_nan());
    }

    #[test]
    fn log_space_helpers_match_direct_forms() {
        assert!((log_add_exp(1.0, 2.0) - (1f64.exp() + 2f64.exp()).ln()).abs() < 1e-14);
        assert!((log_sub_exp(2.0, 1.0) - (2f64.exp() - 1f64.exp()).ln()).abs() < 1e-14);
        assert!((log_sum_exp(&[1000.0, 1000.0]) - (1000.0 + 2f64.ln())).abs() < 1e-12);
        assert_eq!(log_add_exp(f64::NEG_INFINITY, 3.0), 3.0);
    }

    #[test]
    fn trigamma_matches_known_values_and_digamma() {
        // psi'(1) = pi^2 / 6, psi'(1/2) = pi^2 / 2.
        let pi2 = std::f64::consts::PI.powi(2);
        assert!((trigamma(1.0) - pi2 / 6.0).abs() < 1e-13);
        assert!((trigamma(0.5) - pi2 / 2.0).abs() < 1e-13);
        for x in [1e-3, 0.3, 2.5, 9.99, 10.0, 57.0, 1e4] {
            let h = 1e-5 * x;
            let fd = (digamma(x + h) - digamma(x - h)) / (2.0 * h);
            assert!((trigamma(x) - fd).abs() < 1e-7 * trigamma(x), "{x}");
        }
        assert!(trigamma(0.0).is_nan());
    }

    #[test]
    fn ln_beta_matches_known_value() {
        // B(2, 3) = 1/12
        assert!((ln_beta(2.0, 3.0) - (1.0f64 / 12.0).ln()).abs() < 1e-13);
    }
}
