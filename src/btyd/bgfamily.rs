//! Whole-data log-likelihood of BG/NBD and MBG/NBD with its gradient and analytic Hessian,
//! for Newton's method in [`super::fit`].
//!
//! Note 027's form of FHL 2005 eq. 6 (and Batislam et al. eq. 4) is
//! ll = A(x) + ln(e^u1 + e^u2), u1 = -(r + x) ln(alpha + T),
//! u2 = ln(a / (b + x + shift - 1)) - (r + x) ln(alpha + t_x), with
//! A(x) = ln Gamma(r + x) - ln Gamma(r) + r ln alpha + ln B(a, b + x + shift) - ln B(a, b).
//! A depends on x only and ln(alpha + v), 1/(alpha + v) on one time value only, so they are
//! tabulated once per distinct value (the patterns' `levels`); per pattern one exp, one
//! log and a few products remain. The Hessian of ln(e^u1 + e^u2) is
//! w1 H(u1) + w2 H(u2) + w1 w2 (grad u1 - grad u2)(grad u1 - grad u2)^T with w_i = e^(u_i - lse).

use rayon::prelude::*;

use super::{Patterns, Totals};
use crate::numeric::special::{digamma, ln_beta, ln_gamma, trigamma};

use crate::numeric::grain::BG_FAMILY_CHUNK as CHUNK;

/// Sums kept per chunk: ll, gradient, Hessian upper triangle (row-major), each over the
/// parameters (r, alpha, a, b).
pub(crate) const N: usize = 15;

/// Index in the upper triangle of the Hessian, row-major, for i <= j.
pub(crate) const fn ut(i: usize, j: usize) -> usize {
    // Rows start at 0, 4, 7, 9.
    [0, 4, 7, 9][i] + j - i
}

/// Terms of one frequency level: A(x), its gradient and Hessian, and the drop-out weight.
pub(crate) struct Level {
    pub(crate) rx: f64,
    pub(crate) a: [f64; N],
    /// ln(a / (b + x + shift - 1)); -inf when there is no drop-out term (BG/NBD, x = 0).
    pub(crate) ln_drop: f64,
    pub(crate) inv_drop: f64,
}

impl Level {
    /// The level of terms `a` with its drop-out weight a / (b + xb - 1), which exists only
    /// when xb = x + shift > 0.
    pub(crate) fn new(rx: f64, a_terms: [f64; N], a: f64, b: f64, xb: f64) -> Level {
        let has_drop = xb > 0.0;
        Level {
            rx,
            a: a_terms,
            ln_drop: if has_drop {
                a.ln() - (b + xb - 1.0).ln()
            } else {
                f64::NEG_INFINITY
            },
            inv_drop: if has_drop { 1.0 / (b + xb - 1.0) } else { 0.0 },
        }
    }
}

pub(crate) fn level(p: &[f64], x: f64, shift: f64) -> Level {
    let (r, alpha, a, b) = (p[0], p[1], p[2], p[3]);
    let xb = x + shift;
    let ab = a + b;
    let mut t = [0.0; N];
    t[0] = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + ln_beta(a, b + xb) - ln_beta(a, b);
    t[1] = digamma(r + x) - digamma(r) + alpha.ln();
    t[2] = r / alpha;
    t[3] = digamma(ab) - digamma(ab + xb);
    t[4] = digamma(b + xb) - digamma(b) + t[3];
    let h = &mut t[5..];
    h[ut(0, 0)] = trigamma(r + x) - trigamma(r);
    h[ut(0, 1)] = 1.0 / alpha;
    h[ut(1, 1)] = -r / (alpha * alpha);
    let beta_aa = trigamma(ab) - trigamma(ab + xb);
    h[ut(2, 2)] = beta_aa;
    h[ut(2, 3)] = beta_aa;
    h[ut(3, 3)] = trigamma(b + xb) - trigamma(b) + beta_aa;
    Level::new(r + x, t, a, b, xb)
}

/// ln(alpha + v) and 1/(alpha + v) for each level v of a time column.
fn time_table(alpha: f64, levels: &[f64]) -> Vec<(f64, f64)> {
    levels
        .par_iter()
        .with_min_len(crate::numeric::grain::ITEMS_MAP)
        .map(|&v| ((alpha + v).ln(), 1.0 / (alpha + v)))
        .collect()
}

/// Total weighted log-likelihood of BG/NBD (`shift` 0) or MBG/NBD (`shift` 1) over `data`
/// (columns frequency, recency, T) at natural parameters `p`, with gradient and Hessian.
pub(super) fn totals(p: &[f64], data: &Patterns, shift: f64) -> Totals {
    let levels: Vec<Level> = data.levels[0]
        .par_iter()
        .map(|&x| level(p, x, shift))
        .collect();
    let ttx = time_table(p[1], &data.levels[1]);
    let tt = time_table(p[1], &data.levels[2]);
    let n = data.len();
    let partial: Vec<[f64; N]> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            chunk_sums(
                p[2],
                data,
                c * CHUNK..((c + 1) * CHUNK).min(n),
                &levels,
                &ttx,
                &tt,
            )
        })
        .collect();
    let mut s = [0.0; N];
    for acc in &partial {
        s.iter_mut().zip(acc).for_each(|(s, a)| *s += a);
    }
    let mut hessian = vec![0.0; 16];
    for i in 0..4 {
        for j in i..4 {
            hessian[i * 4 + j] = s[5 + ut(i, j)];
            hessian[j * 4 + i] = s[5 + ut(i, j)];
        }
    }
    Totals {
        ll: s[0],
        grad: s[1..5].to_vec(),
        hessian,
    }
}

/// Sums of one chunk of patterns. The frequency terms A(x) are added once per run of equal
/// frequency (patterns are sorted by frequency), times the run's weight.
fn chunk_sums(
    a: f64,
    data: &Patterns,
    range: std::ops::Range<usize>,
    levels: &[Level],
    ttx: &[(f64, f64)],
    tt: &[(f64, f64)],
) -> [f64; N] {
    let mut s = [0.0; N];
    let mut run = (u32::MAX, 0.0);
    let flush = |s: &mut [f64; N], run: (u32, f64)| {
        if run.0 != u32::MAX {
            let lv = &levels[run.0 as usize];
            s.iter_mut().zip(&lv.a).for_each(|(s, t)| *s += run.1 * t);
        }
    };
    let inv_a = 1.0 / a;
    for i in range {
        let code = &data.codes[3 * i..3 * i + 3];
        let w = data.weights[i];
        if code[0] != run.0 {
            flush(&mut s, run);
            run = (code[0], 0.0);
        }
        run.1 += w;
        let lv = &levels[code[0] as usize];
        add_pattern(
            &mut s,
            w,
            lv,
            tt[code[2] as usize],
            ttx[code[1] as usize],
            inv_a,
        );
    }
    flush(&mut s, run);
    s
}

/// Adds one pattern's terms besides A(x) (weight `w`, frequency level `lv`, ln(alpha + T)
/// and 1/(alpha + T) in `tt`, the same of t_x in `ttx`, `inv_a` = 1/a) to the sums `s`.
#[inline]
pub(crate) fn add_pattern(
    s: &mut [f64; N],
    w: f64,
    lv: &Level,
    (lt, it): (f64, f64),
    (ltx, itx): (f64, f64),
    inv_a: f64,
) {
    let rx = lv.rx;
    let u1 = -rx * lt;
    if lv.ln_drop == f64::NEG_INFINITY {
        // Only the "alive at T" term: ll = A - (r + x) ln(alpha + T).
        s[0] += w * u1;
        s[1] -= w * lt;
        s[2] -= w * rx * it;
        s[5 + ut(0, 1)] -= w * it;
        s[5 + ut(1, 1)] += w * rx * it * it;
        return;
    }
    let u2 = lv.ln_drop - rx * ltx;
    let d = u1 - u2;
    // e^-|u1 - u2| keeps both weights exact whichever term dominates.
    let e = (-d.abs()).exp();
    let inv = 1.0 / (1.0 + e);
    let w2 = if d >= 0.0 { e * inv } else { inv };
    let q = e * inv * inv; // w1 w2
                           // ln(1 + e) rather than ln_1p(e), about twice as fast in glibc: with e <= 1 the two
                           // differ by at most ~2e-16 absolute per pattern, far below the fit's tolerance.
    s[0] += w * (u1.max(u2) + (1.0 + e).ln());
    // Directions of grad u1 - grad u2 and the weighted mean of the two terms' derivatives.
    let (dr, dit) = (ltx - lt, itx - it);
    let dal = rx * dit;
    let db = lv.inv_drop;
    let mean_it = it + w2 * dit;
    s[1] -= w * (lt + w2 * dr);
    s[2] -= w * rx * mean_it;
    s[3] += w * w2 * inv_a;
    s[4] -= w * w2 * db;
    let wq = w * q;
    let h = &mut s[5..];
    h[ut(0, 0)] += wq * dr * dr;
    h[ut(0, 1)] += wq * dr * dal - w * mean_it;
    h[ut(0, 2)] -= wq * dr * inv_a;
    h[ut(0, 3)] += wq * dr * db;
    h[ut(1, 1)] += wq * dal * dal + w * rx * (it * it + w2 * (itx * itx - it * it));
    h[ut(1, 2)] -= wq * dal * inv_a;
    h[ut(1, 3)] += wq * dal * db;
    h[ut(2, 2)] += (wq - w * w2) * inv_a * inv_a;
    h[ut(2, 3)] -= wq * inv_a * db;
    h[ut(3, 3)] += (wq + w * w2) * db * db;
}
