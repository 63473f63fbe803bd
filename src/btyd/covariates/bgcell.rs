//! BG/NBD and MBG/NBD cells with their analytic Hessian: the whole-data sums of
//! [`crate::btyd::bgfamily`] (Hardie's note 027 form, exact second derivatives) run over one
//! cell's patterns at the cell's parameters, with ln(alpha + t) computed per pattern (a cell
//! has too few patterns for tables), then moved to log-parameters. The frequency terms are
//! ratios of Gamma functions at integer offsets, so for the usual small frequencies they are
//! finite sums of the recurrence (no special functions per customer, [`summed_level`]).

use std::ops::Range;

use crate::btyd::bgfamily::{add_pattern, level, ut, Level, N};
use crate::btyd::Patterns;

/// Log-likelihood of patterns `range` (sorted by frequency) at natural BG-family parameters
/// `p` (`shift` 0: BG/NBD, 1: MBG/NBD); writes its gradient in the log-parameters to `g`
/// (length 4) and its Hessian in them to `h` (4 x 4, row-major).
pub fn cell_log_terms(
    p: &[f64],
    data: &Patterns,
    range: Range<usize>,
    shift: f64,
    g: &mut [f64],
    h: &mut [f64],
) -> f64 {
    let mut s = [0.0; N];
    let (alpha, inv_a) = (p[1], 1.0 / p[2]);
    let mut i = range.start;
    while i < range.end {
        let x = data.row(i)[0];
        let lv = summed_level(p, x, shift).unwrap_or_else(|| level(p, x, shift));
        let mut run = 0.0;
        while i < range.end && data.row(i)[0] == x {
            let (row, w) = (data.row(i), data.weights[i]);
            let tt = ((alpha + row[2]).ln(), 1.0 / (alpha + row[2]));
            let ttx = if lv.ln_drop > f64::NEG_INFINITY {
                ((alpha + row[1]).ln(), 1.0 / (alpha + row[1]))
            } else {
                (0.0, 0.0)
            };
            add_pattern(&mut s, w, &lv, tt, ttx, inv_a);
            run += w;
            i += 1;
        }
        s.iter_mut().zip(&lv.a).for_each(|(s, t)| *s += run * t);
    }
    // d/du_j = p_j d/dp_j; d^2/du_i du_j = p_i p_j d^2/dp_i dp_j + [i = j] p_j d/dp_j.
    for a in 0..4 {
        g[a] = p[a] * s[1 + a];
        for b in 0..4 {
            let hp = s[5 + ut(a.min(b), a.max(b))];
            h[a * 4 + b] = p[a] * p[b] * hp + if a == b { g[a] } else { 0.0 };
        }
    }
    s[0]
}

/// Largest whole frequency (plus shift) whose terms [`summed_level`] sums.
const MAX_SUMMED: f64 = 64.0;

/// ln(Gamma(z + n) / Gamma(z)), psi(z + n) - psi(z), psi'(z) - psi'(z + n): the recurrence
/// Gamma(z + 1) = z Gamma(z) summed over n steps (A&S 6.1.15, 6.3.5, 6.4.6). Products of 8
/// factors stay finite for z in the optimiser's box (e^+-30).
fn rising(z: f64, n: usize) -> (f64, f64, f64) {
    let (mut ln, mut psi, mut tri, mut prod) = (0.0, 0.0, 0.0, 1.0);
    for j in 0..n {
        let v = z + j as f64;
        let inv = 1.0 / v;
        psi += inv;
        tri += inv * inv;
        prod *= v;
        if j % 8 == 7 {
            ln += prod.ln();
            prod = 1.0;
        }
    }
    (ln + prod.ln(), psi, tri)
}

/// The BG-family frequency level of [`level`] with every Gamma-function difference summed by
/// [`rising`]: None unless x and x + shift are whole, at most [`MAX_SUMMED`], and the
/// parameters moderate (then [`level`] evaluates the special functions).
fn summed_level(p: &[f64], x: f64, shift: f64) -> Option<Level> {
    let (r, alpha, a, b) = (p[0], p[1], p[2], p[3]);
    let xb = x + shift;
    let whole = |v: f64| (0.0..=MAX_SUMMED).contains(&v) && v.fract() == 0.0;
    let moderate = p.iter().all(|&v| (1e-14..=1e14).contains(&v));
    if !(whole(x) && whole(xb) && moderate) {
        return None;
    }
    let ab = a + b;
    let (lr, dr, tr) = rising(r, x as usize);
    let (lb, db, tb) = rising(b, xb as usize);
    let (lab, dab, tab) = rising(ab, xb as usize);
    let ln_alpha = alpha.ln();
    let mut t = [0.0; N];
    // ln B(a, b + xb) - ln B(a, b) = ln Gamma(b + xb)/Gamma(b) - ln Gamma(ab + xb)/Gamma(ab).
    t[0] = lr + r * ln_alpha + lb - lab;
    t[1] = dr + ln_alpha;
    t[2] = r / alpha;
    t[3] = -dab;
    t[4] = db + t[3];
    let h = &mut t[5..];
    h[ut(0, 0)] = -tr;
    h[ut(0, 1)] = 1.0 / alpha;
    h[ut(1, 1)] = -r / (alpha * alpha);
    h[ut(2, 2)] = tab;
    h[ut(2, 3)] = tab;
    h[ut(3, 3)] = tab - tb;
    Some(Level::new(r + x, t, a, b, xb))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summed_levels_equal_the_special_function_levels() {
        for p in [
            [0.8, 6.0, 0.9, 3.0],
            [0.05, 0.2, 2e-3, 40.0],
            [12.0, 1e3, 7.0, 0.3],
        ] {
            for shift in [0.0, 1.0] {
                for x in [0.0, 1.0, 2.0, 7.0, 8.0, 9.0, 30.0, 63.0] {
                    let (fast, slow) = (summed_level(&p, x, shift).unwrap(), level(&p, x, shift));
                    assert_eq!(fast.ln_drop, slow.ln_drop);
                    for (i, (u, v)) in fast.a.iter().zip(&slow.a).enumerate() {
                        assert!(
                            (u - v).abs() <= 1e-11 * v.abs().max(1.0),
                            "{p:?} x {x} shift {shift} term {i}: summed {u} vs {v}"
                        );
                    }
                }
            }
        }
        assert!(summed_level(&[0.8, 6.0, 0.9, 3.0], 2.5, 0.0).is_none());
        assert!(summed_level(&[0.8, 6.0, 0.9, 3.0], 64.0, 1.0).is_none());
    }
}
