//! Gauss's hypergeometric function 2F1 and Tricomi's confluent hypergeometric U, evaluated
//! in log space for the Pareto/NBD model.
//!
//! The Pareto/NBD likelihood needs 2F1(a, b; a + 1; z) with a = r + s + x (hundreds for heavy
//! buyers) and z = |α - β| / (max(α, β) + t) in [0, 1) (Fader & Hardie 2005, note on the
//! Pareto/NBD likelihood; choosing the larger of α and β keeps z below one). Euler's
//! transformation 2F1(a, b; c; z) = (1 - z)^(c-a-b) 2F1(c - a, c - b; c; z) with c = a + 1
//! turns it into (1 - z)^(1-b) · 2F1(1, a + 1 - b; a + 1; z), whose series has positive terms
//! with ratios (a + 1 - b + n) z / (a + 1 + n) < z: the sum lies in [1, 1 / (1 - z)] and never
//! overflows, the large power is kept as a logarithm, and z = 0 (α = β) is exact.

use crate::numeric::quadrature::ln_integral;

/// Relative precision at which series are truncated.
const EPS: f64 = 1e-17;
/// Longest series summed (z = 0.9999 needs ~4e5 terms). Beyond it the result is NaN.
const MAX_TERMS: usize = 2_000_000;

/// ln S and the derivatives of ln S for S(p, g, z) = Σ_n (p)_n / (g)_n z^n = 2F1(1, p; g; z).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitSeries {
    pub ln_value: f64,
    pub d_p: f64,
    pub d_g: f64,
    pub d_z: f64,
}

/// Sums S(p, g, z) = 2F1(1, p; g; z) for 0 < p < g and 0 <= z < 1, with the derivatives of
/// ln S in p, g and z (term by term: d ln t_n / dp = Σ_{k<n} 1/(p+k), likewise for g, and
/// d t_n / dz = n t_n / z). Returns NaN fields when the arguments are outside that domain or
/// the series has not converged within MAX_TERMS.
pub fn unit_series(p: f64, g: f64, z: f64) -> UnitSeries {
    let nan = UnitSeries {
        ln_value: f64::NAN,
        d_p: f64::NAN,
        d_g: f64::NAN,
        d_z: f64::NAN,
    };
    if !(p > 0.0 && g > 0.0 && (0.0..1.0).contains(&z)) {
        return nan;
    }
    if z == 0.0 {
        return UnitSeries {
            ln_value: 0.0,
            d_p: 0.0,
            d_g: 0.0,
            d_z: p / g,
        };
    }
    let (mut sum, mut sum_p, mut sum_g, mut sum_z) = (1.0, 0.0, 0.0, 0.0);
    let (mut term, mut harm_p, mut harm_g) = (1.0, 0.0, 0.0);
    for n in 0..MAX_TERMS {
        let k = n as f64;
        let (inv_p, inv_g) = (1.0 / (p + k), 1.0 / (g + k));
        let ratio = (p + k) * inv_g * z;
        harm_p += inv_p;
        harm_g += inv_g;
        term *= ratio;
        sum += term;
        sum_p += term * harm_p;
        sum_g += term * harm_g;
        sum_z += term * (k + 1.0);
        // Ratios increase towards z when p < g (and decrease when p > g), so the tail after
        // this term is at most term · q / (1 - q) with q the larger of the two.
        let q = ratio.max(z);
        if term * (k + 2.0 + harm_p + harm_g) < EPS * sum * (1.0 - q) {
            return UnitSeries {
                ln_value: sum.ln(),
                d_p: sum_p / sum,
                d_g: -sum_g / sum,
                d_z: sum_z / (z * sum),
            };
        }
    }
    nan
}

/// ln 2F1(a, b; a + 1; z) for a > 0, b < a + 1 and 0 <= z < 1 (Euler's transformation onto
/// the positive unit series, see the module notes).
pub fn ln_hyp2f1_a_a1(a: f64, b: f64, z: f64) -> f64 {
    let series = unit_series(a + 1.0 - b, a + 1.0, z);
    (1.0 - b) * (-z).ln_1p() + series.ln_value
}

/// Sum of the Gauss series Σ (a)_n (b)_n / ((c)_n n!) z^n for a, b, c > 0 and 0 <= z < 1,
/// as ln of the sum. Terms are rescaled when they grow large, so only the logarithm is
/// ever formed of a huge value.
fn ln_gauss_series(a: f64, b: f64, c: f64, z: f64) -> f64 {
    const BIG: f64 = 1e250;
    let ln_big = BIG.ln();
    let (mut sum, mut term, mut ln_scale) = (1.0f64, 1.0f64, 0.0f64);
    for n in 0..MAX_TERMS {
        let k = n as f64;
        let ratio = (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z;
        term *= ratio;
        sum += term;
        if term > BIG {
            term /= BIG;
            sum /= BIG;
            ln_scale += ln_big;
        }
        let q = ratio.max(z);
        if q < 1.0 && term / (1.0 - q) < EPS * sum {
            return sum.ln() + ln_scale;
        }
    }
    f64::NAN
}

/// ln 2F1(a, b; c; z) for a, b, c > 0 and 0 <= z < 1 (NaN outside that domain).
///
/// When a + b > c and c exceeds a and b, Euler's transformation gives a series of moderate
/// terms times the large factor (1 - z)^(c-a-b), which is kept as a logarithm; otherwise the
/// positive-term Gauss series is summed directly with rescaling.
pub fn ln_hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    if !(a > 0.0 && b > 0.0 && c > 0.0 && (0.0..1.0).contains(&z)) {
        return f64::NAN;
    }
    if z == 0.0 {
        return 0.0;
    }
    if (c - a - 1.0).abs() < 1e-15 * c && b < c {
        return ln_hyp2f1_a_a1(a, b, z);
    }
    if (c - b - 1.0).abs() < 1e-15 * c && a < c {
        return ln_hyp2f1_a_a1(b, a, z);
    }
    if a + b > c && c > a && c > b {
        return (c - a - b) * (-z).ln_1p() + ln_gauss_series(c - a, c - b, c, z);
    }
    ln_gauss_series(a, b, c, z)
}

/// 2F1(a, b; c; z) for a, b, c > 0 and 0 <= z < 1 (may be +inf when the value exceeds f64).
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    ln_hyp2f1(a, b, c, z).exp()
}

/// ln U(a, b, z), Tricomi's confluent hypergeometric function, for a > 0 and z > 0.
///
/// From the Laplace integral U(a, b, z) = 1/Γ(a) ∫_0^∞ e^(-z t) t^(a-1) (1 + t)^(b-a-1) dt
/// (DLMF 13.4.4) with t = e^y, whose log-integrand a y - z e^y + (b - a - 1) ln(1 + e^y) is
/// smooth and unimodal, integrated adaptively with its maximum factored out.
pub fn ln_hyperu(a: f64, b: f64, z: f64) -> f64 {
    if !(a > 0.0 && z > 0.0 && b.is_finite()) {
        return f64::NAN;
    }
    let log_f = |y: f64| {
        let ln1p_et = if y > 35.0 {
            y + (-y).exp()
        } else {
            y.exp().ln_1p()
        };
        a * y - z * y.exp() + (b - a - 1.0) * ln1p_et
    };
    // The mode of a y - z e^y, a good start for the search of the true mode.
    let guess = (a / z).ln();
    ln_integral(&log_f, f64::NEG_INFINITY, f64::INFINITY, guess)
        - crate::numeric::special::ln_gamma(a)
}

/// U(a, b, z) for a > 0 and z > 0.
pub fn hyperu(a: f64, b: f64, z: f64) -> f64 {
    ln_hyperu(a, b, z).exp()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numeric::special::ln_gamma;

    /// Brute-force 2F1 by the plain series in long summation (only for moderate arguments).
    fn plain_series(a: f64, b: f64, c: f64, z: f64) -> f64 {
        let (mut sum, mut term) = (1.0, 1.0);
        for n in 0..200_000 {
            let k = n as f64;
            term *= (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z;
            sum += term;
            if term.abs() < 1e-18 * sum.abs() && k > a.max(b) {
                break;
            }
        }
        sum
    }

    #[test]
    fn closed_forms() {
        // 2F1(1, 1; 2; z) = -ln(1 - z) / z
        for &z in &[0.0f64, 1e-8, 0.3, 0.9, 0.999] {
            let want = if z == 0.0 { 1.0 } else { -(-z).ln_1p() / z };
            assert!(
                (hyp2f1(1.0, 1.0, 2.0, z) - want).abs() < 1e-13 * want,
                "z={z}"
            );
        }
        // 2F1(a, b; b; z) = (1 - z)^-a
        let got = ln_hyp2f1(350.5, 2.0, 2.0, 0.8);
        assert!((got + 350.5 * 0.2f64.ln()).abs() < 1e-11 * got.abs());
    }

    #[test]
    fn agrees_with_the_plain_series() {
        for &(a, b, c, z) in &[
            (1.5, 2.5, 3.5, 0.4),
            (0.6, 1.6, 1.5, 0.7),
            (27.16, 1.61, 28.16, 0.094),
            (27.16, 26.55, 28.16, 0.3),
            (3.0, 0.5, 10.0, 0.95),
        ] {
            let want = plain_series(a, b, c, z);
            let got = hyp2f1(a, b, c, z);
            assert!(
                (got - want).abs() < 1e-12 * want,
                "{a} {b} {c} {z}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn unit_series_derivatives_match_finite_differences() {
        let (p, g, z) = (3.7, 30.2, 0.81);
        let s = unit_series(p, g, z);
        let h = 1e-6;
        let fd = |f: &dyn Fn(f64) -> f64, x: f64| (f(x + h) - f(x - h)) / (2.0 * h);
        assert!((s.d_p - fd(&|v| unit_series(v, g, z).ln_value, p)).abs() < 1e-7);
        assert!((s.d_g - fd(&|v| unit_series(p, v, z).ln_value, g)).abs() < 1e-7);
        assert!((s.d_z - fd(&|v| unit_series(p, g, v).ln_value, z)).abs() < 1e-6);
        assert!(unit_series(p, g, 1.0).ln_value.is_nan());
    }

    #[test]
    fn huge_parameters_stay_finite_in_log_space() {
        // x = 5000 repeat purchases: 2F1 itself is ~e^6000, its logarithm is fine.
        let v = ln_hyp2f1_a_a1(5000.9, 5000.5, 0.7);
        let want = -5000.5 * 0.3f64.ln(); // leading behaviour (1 - z)^-b up to O(ln a)
        assert!(v.is_finite() && (v - want).abs() < 20.0, "{v} vs {want}");
    }

    #[test]
    fn hyperu_special_cases() {
        // U(1, 1, z) = e^z E1(z); U(a, a + 1, z) = z^-a
        let z: f64 = 2.0;
        let e1_2 = 0.048_900_510_708_061_12; // E1(2)
        assert!((hyperu(1.0, 1.0, z) - z.exp() * e1_2).abs() < 1e-12);
        for &(a, z) in &[(0.3, 0.01), (2.5, 3.0), (60.0, 0.5)] {
            let got = ln_hyperu(a, a + 1.0, z);
            assert!((got + a * f64::ln(z)).abs() < 1e-11 * (a * f64::ln(z)).abs().max(1.0));
        }
        // U(a, b, z) ~ z^-a for large z
        let got = ln_hyperu(0.7, 0.7, 1e6);
        assert!((got + 0.7 * 1e6f64.ln()).abs() < 1e-5);
        assert!(ln_gamma(2.0).abs() < 1e-15);
    }
}
