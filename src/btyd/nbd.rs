//! Count kernels shared by the BG/NBD family.
//!
//! Given a customer who is alive at the start of a window of length t, whose purchase rate
//! has posterior Gamma(s, rate A) and whose drop-out probability after each purchase has
//! posterior Beta(a, b) (FHL 2005 sec. 3-4: s = r + x, A = alpha + T, b = b + x), the number
//! N of purchases the rate alone would produce in the window is negative binomial,
//! P(N = n) = Gamma(s + n) / (Gamma(s) n!) (A / (A + t))^s (t / (A + t))^n, and the number
//! actually made is min(N, G) where G, the purchase after which the customer drops out, is
//! geometric in p. Everything below is written from that representation, which needs no
//! Gauss hypergeometric function and stays finite where FHL eq. 10 has 0/0 (a = 1) or a
//! 2F1 with a non-positive third parameter (x = 0, a + b <= 1).

use statrs::function::beta::checked_beta_reg;

use crate::error::{ClmError, Result};
use crate::numeric::special::{ln_beta, ln_gamma};

/// Largest expected number of potential purchases a single evaluation will sum over.
const MAX_TERMS: f64 = 5.0e7;

/// ln P(N = n) for N ~ NB(s, A / (A + t)).
pub fn nb_ln_pmf(n: f64, s: f64, big_a: f64, t: f64) -> f64 {
    if t == 0.0 {
        return if n == 0.0 { 0.0 } else { f64::NEG_INFINITY };
    }
    let ln_total = (big_a + t).ln();
    ln_gamma(s + n) - ln_gamma(s) - ln_gamma(n + 1.0)
        + s * (big_a.ln() - ln_total)
        + n * (t.ln() - ln_total)
}

/// P(N >= n) = I_z(n, s) with z = t / (A + t) (the NB tail as a regularised incomplete beta).
pub fn nb_sf(n: f64, s: f64, big_a: f64, t: f64) -> f64 {
    if n <= 0.0 {
        return 1.0;
    }
    if t == 0.0 {
        return 0.0;
    }
    checked_beta_reg(n, s, t / (big_a + t))
        .unwrap_or(f64::NAN)
        .clamp(0.0, 1.0)
}

/// P(n purchases in the window | alive at its start) for the BG/NBD process (FHL 2005 eq. 8
/// with posterior parameters): B(a, b + n) / B(a, b) P(N = n) + [n > 0] B(a + 1, b + n - 1) /
/// B(a, b) P(N >= n). The first term: still alive after n purchases; the second: dropped out
/// right after the n-th.
pub fn alive_count_pmf(n: f64, s: f64, big_a: f64, t: f64, a: f64, b: f64) -> f64 {
    let lb = ln_beta(a, b);
    let survive = (ln_beta(a, b + n) - lb + nb_ln_pmf(n, s, big_a, t)).exp();
    if n == 0.0 {
        return survive;
    }
    let dropped = (ln_beta(a + 1.0, b + n - 1.0) - lb).exp() * nb_sf(n, s, big_a, t);
    (survive + dropped).clamp(0.0, 1.0)
}

/// E[min(N, G)] for a customer alive at the window start: sum over n >= 1 of P(N = n) S_n
/// with S_n = sum_{j < n} E[(1 - p)^j] = sum_{j < n} (b)_j / (a + b)_j. Equals FHL 2005
/// eq. 10's bracket, (a + b - 1) / (a - 1) [1 - (A / (A + t))^s 2F1(s, b; a + b - 1; z)],
/// for every a > 0, b > 0 (all terms are positive, no cancellation).
pub fn expected_alive_purchases(s: f64, big_a: f64, t: f64, a: f64, b: f64) -> Result<f64> {
    let mut series = [Series::new(s, big_a, big_a.ln(), t)?];
    sum_series(s, a, b, &mut series);
    Ok(series[0].value())
}

/// [`expected_alive_purchases`] for several horizons at once (CLV): S_n and the NB ratio
/// are shared, so each extra horizon costs a multiply-add per term.
pub fn expected_alive_purchases_many(
    s: f64,
    big_a: f64,
    ts: &[f64],
    a: f64,
    b: f64,
    out: &mut [f64],
) -> Result<()> {
    let ln_a = big_a.ln();
    let mut series = ts
        .iter()
        .map(|&t| Series::new(s, big_a, ln_a, t))
        .collect::<Result<Vec<_>>>()?;
    sum_series(s, a, b, &mut series);
    for (o, q) in out.iter_mut().zip(&series) {
        *o = q.value();
    }
    Ok(())
}

/// Per-horizon state of the series: z, the mean of N, the index past which only underflowed
/// terms remain, the scale exp(offset) of the terms and the sum once the series converged.
struct Series {
    z: f64,
    mean: f64,
    last: f64,
    offset: f64,
    pmf: f64,
    result: Option<f64>,
}

impl Series {
    fn new(s: f64, big_a: f64, ln_a: f64, t: f64) -> Result<Series> {
        let z = t / (big_a + t);
        let mean = s * t / big_a;
        let spread = (s * z).sqrt() / (1.0 - z);
        let last = mean + 40.0 * spread + 10.0;
        if t > 0.0 && (!(last + 50.0 / (1.0 - z)).is_finite() || last > MAX_TERMS) {
            return Err(ClmError::InvalidArgument(format!(
                "horizon t = {t} is too long for this customer (about {mean:.3e} expected potential \
                 purchases); use a shorter horizon"
            )));
        }
        // Terms are accumulated on a moving scale exp(offset) so heavy buyers (P(N = 0)
        // underflows, the peak term would overflow) stay finite.
        let offset = s * (ln_a - (big_a + t).ln());
        let result = if t > 0.0 { None } else { Some(0.0) };
        Ok(Series {
            z,
            mean,
            last,
            offset,
            pmf: 1.0,
            result,
        })
    }

    fn value(&self) -> f64 {
        self.result.unwrap_or(0.0) * self.offset.exp()
    }
}

/// Horizons summed together in fixed-width arrays (the compiler vectorises the update).
const LANES: usize = 16;

fn sum_series(s: f64, a: f64, b: f64, series: &mut [Series]) {
    for chunk in series.chunks_mut(LANES) {
        match chunk.len() {
            1 => sum_lanes::<1>(s, a, b, chunk),
            2..=4 => sum_lanes::<4>(s, a, b, chunk),
            5..=8 => sum_lanes::<8>(s, a, b, chunk),
            9..=12 => sum_lanes::<12>(s, a, b, chunk),
            _ => sum_lanes::<LANES>(s, a, b, chunk),
        }
    }
}

/// Sums up to `W` series in lock-step: S_n and the NB ratio are shared; every lane is
/// updated each term (unused lanes have z = 0) and converged lanes keep a frozen result.
fn sum_lanes<const W: usize>(s: f64, a: f64, b: f64, series: &mut [Series]) {
    let (mut z, mut pmf, mut sum) = ([0.0; W], [0.0; W], [0.0; W]);
    for (k, q) in series.iter().enumerate() {
        z[k] = q.z;
        pmf[k] = q.pmf;
    }
    let (mut s_n, mut u) = (0.0, 1.0); // S_n and (b)_n / (a + b)_n
    let mut n = 0.0;
    let mut active = series.iter().filter(|q| q.result.is_none()).count();
    let mut step = 0u32;
    while active > 0 {
        // `Series::new` refuses horizons needing more than MAX_TERMS terms; this cap only
        // guards the loop against a series that fails to meet its test (NaN result).
        if n > 2.0 * MAX_TERMS {
            for q in series.iter_mut().filter(|q| q.result.is_none()) {
                q.result = Some(f64::NAN);
            }
            break;
        }
        // (s + n) / (n + 1) and (b + n) / (a + b + n) with one division.
        let inv = 1.0 / ((n + 1.0) * (a + b + n));
        let ratio = (s + n) * (a + b + n) * inv;
        s_n += u;
        u *= (b + n) * (n + 1.0) * inv;
        n += 1.0;
        step += 1;
        for k in 0..W {
            pmf[k] *= ratio * z[k];
            sum[k] += pmf[k] * s_n;
        }
        if !step.is_multiple_of(4) {
            continue;
        }
        for (k, q) in series.iter_mut().enumerate() {
            if pmf[k] > 1e250 {
                pmf[k] *= 1e-250;
                sum[k] *= 1e-250;
                q.offset += 250.0 * std::f64::consts::LN_10;
                q.result = q.result.map(|r| r * 1e-250);
            }
            if q.result.is_some() {
                continue;
            }
            // Past the mode the terms fall at least geometrically with ratio `bound`, so the
            // tail is below term * bound / (1 - bound).
            let term = pmf[k] * s_n;
            let bound = z[k] * (s + n) / n;
            let converged =
                n > q.mean && bound < 1.0 && term * bound <= 1e-16 * sum[k] * (1.0 - bound);
            if converged || (term == 0.0 && n > q.last) {
                q.result = Some(sum[k]);
                active -= 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force: E[min(N, G)] by double sum over n and the drop-out purchase g, with p
    /// integrated by the midpoint rule on a fine grid.
    fn brute_expected(s: f64, big_a: f64, t: f64, a: f64, b: f64) -> f64 {
        let m = 20_000;
        let mut total = 0.0;
        let lb = ln_beta(a, b);
        let pmf: Vec<f64> = (0..400)
            .map(|n| nb_ln_pmf(n as f64, s, big_a, t).exp())
            .collect();
        for k in 0..m {
            let p = (k as f64 + 0.5) / m as f64;
            let dens = ((a - 1.0) * p.ln() + (b - 1.0) * (1.0 - p).ln() - lb).exp() / m as f64;
            // E[min(N,G) | p] = sum_n P(N=n) (1 - (1-p)^n) / p
            let mut e = 0.0;
            for (n, pn) in pmf.iter().enumerate().skip(1) {
                e += pn * (1.0 - (1.0 - p).powi(n as i32)) / p;
            }
            total += dens * e;
        }
        total
    }

    #[test]
    fn expected_purchases_match_brute_force() {
        for &(s, big_a, t, a, b) in &[(2.24, 40.0, 39.0, 1.5, 4.0), (1.0, 10.0, 5.0, 2.0, 3.0)] {
            let e = expected_alive_purchases(s, big_a, t, a, b).unwrap();
            let brute = brute_expected(s, big_a, t, a, b);
            assert!((e - brute).abs() < 2e-4 * brute, "{e} vs {brute}");
        }
    }

    #[test]
    fn pmf_sums_to_one_and_mean_matches() {
        let (s, big_a, t, a, b) = (0.7, 5.0, 12.0, 0.6, 0.3);
        let mut total = 0.0;
        let mut mean = 0.0;
        for n in 0..5000 {
            let p = alive_count_pmf(n as f64, s, big_a, t, a, b);
            total += p;
            mean += n as f64 * p;
        }
        assert!((total - 1.0).abs() < 1e-10, "{total}");
        let e = expected_alive_purchases(s, big_a, t, a, b).unwrap();
        assert!((mean - e).abs() < 1e-8 * e, "{mean} vs {e}");
    }

    #[test]
    fn heavy_buyers_stay_finite() {
        let e = expected_alive_purchases(10_000.25, 100_004.4, 5_000.0, 0.8, 10_002.4).unwrap();
        assert!(e.is_finite() && e > 0.0);
        assert!((e - 10_000.25 * 5_000.0 / 100_004.4).abs() < 0.02 * e);
        assert!(expected_alive_purchases(1.0, 1.0, 1e300, 1.0, 1.0).is_err());
    }

    #[test]
    fn many_horizons_equal_single_evaluations() {
        let ts = [0.0, 1.0, 30.0, 365.0, 2000.0];
        let mut out = [0.0; 5];
        expected_alive_purchases_many(2.3, 150.0, &ts, 0.7, 4.0, &mut out).unwrap();
        for (t, o) in ts.iter().zip(out) {
            assert_eq!(
                o.to_bits(),
                expected_alive_purchases(2.3, 150.0, *t, 0.7, 4.0)
                    .unwrap()
                    .to_bits()
            );
        }
    }
}
