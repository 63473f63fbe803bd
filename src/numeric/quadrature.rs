//! Adaptive Gauss-Kronrod quadrature, and integrals of log-space integrands.
//!
//! Used where a model quantity has no convenient closed form (the "died within the window"
//! part of the Pareto/NBD count distribution) and for Tricomi's U, whose Laplace integral is
//! smooth after the change of variable t = e^y. Integrands are given as logarithms so that
//! the largest value can be factored out before exponentiating.

/// Kronrod nodes on [0, 1] (symmetric), the last one is the centre.
const XGK: [f64; 8] = [
    0.991_455_371_120_812_6,
    0.949_107_912_342_758_5,
    0.864_864_423_359_769_1,
    0.741_531_185_599_394_4,
    0.586_087_235_467_691_1,
    0.405_845_151_377_397_2,
    0.207_784_955_007_898_5,
    0.0,
];
const WGK: [f64; 8] = [
    0.022_935_322_010_529_22,
    0.063_092_092_629_978_55,
    0.104_790_010_322_250_2,
    0.140_653_259_715_525_9,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_4,
    0.204_432_940_075_298_9,
    0.209_482_141_084_727_8,
];
/// Gauss weights of the embedded 7-point rule (nodes XGK[1], XGK[3], XGK[5], XGK[7]).
const WG: [f64; 4] = [
    0.129_484_966_168_869_7,
    0.279_705_391_489_276_7,
    0.381_830_050_505_118_9,
    0.417_959_183_673_469_4,
];

/// One G7-K15 panel: (Kronrod estimate, |Kronrod - Gauss| error estimate).
fn gk15(f: &dyn Fn(f64) -> f64, a: f64, b: f64) -> (f64, f64) {
    let centre = 0.5 * (a + b);
    let half = 0.5 * (b - a);
    let fc = f(centre);
    let mut kronrod = WGK[7] * fc;
    let mut gauss = WG[3] * fc;
    for (j, (&x, &w)) in XGK[..7].iter().zip(&WGK[..7]).enumerate() {
        let pair = f(centre - half * x) + f(centre + half * x);
        kronrod += w * pair;
        if j % 2 == 1 {
            gauss += WG[j / 2] * pair;
        }
    }
    (kronrod * half, ((kronrod - gauss) * half).abs())
}

/// Integral of `f` over the finite interval [a, b] by adaptive bisection until the summed
/// error estimate is below `rel_tol` times the integral (or `abs_tol`).
pub fn integrate(f: &dyn Fn(f64) -> f64, a: f64, b: f64, rel_tol: f64, abs_tol: f64) -> f64 {
    if a.is_nan() || b.is_nan() || b <= a {
        return 0.0;
    }
    let mut panels = vec![(a, b, gk15(f, a, b))];
    for _ in 0..2000 {
        let total: f64 = panels.iter().map(|p| p.2 .0).sum();
        let error: f64 = panels.iter().map(|p| p.2 .1).sum();
        if error <= (rel_tol * total.abs()).max(abs_tol) || !error.is_finite() {
            break;
        }
        // Split the panel with the largest error estimate.
        let worst = panels
            .iter()
            .enumerate()
            .max_by(|x, y| x.1 .2 .1.total_cmp(&y.1 .2 .1))
            .map(|(i, _)| i)
            .unwrap_or(0);
        let (lo, hi, _) = panels.swap_remove(worst);
        let mid = 0.5 * (lo + hi);
        panels.push((lo, mid, gk15(f, lo, mid)));
        panels.push((mid, hi, gk15(f, mid, hi)));
    }
    // Sum in order of position so the result does not depend on the refinement history.
    panels.sort_by(|x, y| x.0.total_cmp(&y.0));
    panels.iter().map(|p| p.2 .0).sum()
}

/// Walks from `start` in direction `dir` (+1 / -1) while `log_f` increases, with doubling
/// steps, and returns the best point found (a rough mode, good enough to scale by).
fn climb(log_f: &dyn Fn(f64) -> f64, start: f64, dir: f64, lo: f64, hi: f64) -> (f64, f64) {
    let (mut y, mut fy) = (start, log_f(start));
    let mut step = 0.5;
    for _ in 0..200 {
        let next = (y + dir * step).clamp(lo, hi);
        let fnext = log_f(next);
        if next != y && fnext > fy {
            y = next;
            fy = fnext;
            step *= 2.0;
        } else if step > 1e-3 {
            step *= 0.25;
        } else {
            break;
        }
    }
    (y, fy)
}

/// Walks from the mode until `log_f` has dropped by `drop` (or the bound is reached).
fn extent(
    log_f: &dyn Fn(f64) -> f64,
    mode: f64,
    f_mode: f64,
    dir: f64,
    bound: f64,
    drop: f64,
) -> f64 {
    let mut y = mode;
    let mut step = 0.25;
    for _ in 0..10_000 {
        let next = y + dir * step;
        if (dir > 0.0 && next >= bound) || (dir < 0.0 && next <= bound) {
            return bound;
        }
        y = next;
        if log_f(y) < f_mode - drop {
            return y;
        }
        step *= 1.2;
    }
    y
}

/// ln ∫_lo^hi exp(log_f(y)) dy for a unimodal log-integrand whose tails decay at least
/// exponentially (bounds may be infinite). `guess` should be near the mode. The maximum is
/// factored out, so integrands of size e^±1000 are fine.
pub fn ln_integral(log_f: &dyn Fn(f64) -> f64, lo: f64, hi: f64, guess: f64) -> f64 {
    let start = guess.clamp(lo.max(-1e300), hi.min(1e300));
    let right = climb(log_f, start, 1.0, lo, hi);
    let left = climb(log_f, start, -1.0, lo, hi);
    let (mode, f_mode) = if right.1 >= left.1 { right } else { left };
    if !f_mode.is_finite() {
        return f_mode;
    }
    // e^-50 relative: far below double precision of the integral.
    let a = extent(log_f, mode, f_mode, -1.0, lo, 50.0);
    let b = extent(log_f, mode, f_mode, 1.0, hi, 50.0);
    let scaled = |y: f64| (log_f(y) - f_mode).exp();
    let value = integrate(&scaled, a, b, 1e-13, 0.0);
    f_mode + value.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrates_polynomials_and_exponentials() {
        let v = integrate(&|x: f64| x.powi(5), 0.0, 2.0, 1e-14, 0.0);
        assert!((v - 64.0 / 6.0).abs() < 1e-12);
        let v = integrate(&|x: f64| (-x).exp(), 0.0, 30.0, 1e-14, 0.0);
        assert!((v - (1.0 - (-30f64).exp())).abs() < 1e-13);
    }

    #[test]
    fn log_integral_of_a_gamma_density_kernel() {
        // ∫_0^∞ t^(a-1) e^(-b t) dt = Γ(a) / b^a; with t = e^y the log-integrand is a y - b e^y.
        for &(a, b) in &[(0.05, 2.0), (3.5, 0.01), (400.0, 7.0)] {
            let got = ln_integral(
                &|y: f64| a * y - b * y.exp(),
                f64::NEG_INFINITY,
                f64::INFINITY,
                0.0,
            );
            let want = crate::numeric::special::ln_gamma(a) - a * f64::ln(b);
            assert!(
                (got - want).abs() < 1e-11 * want.abs().max(1.0),
                "{a} {b}: {got} vs {want}"
            );
        }
    }
}
