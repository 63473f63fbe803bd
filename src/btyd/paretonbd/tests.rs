use super::model::{better, on_boundary};
use super::*;
use crate::btyd::{Fit, FitOptions};
use crate::numeric::quadrature::integrate;

const CDNOW: Params = [0.5534, 10.5802, 0.6061, 11.6562];
const OVERFLOW: Params = [10.465, 0.00798565181, 3.0516, 2.820];

/// ∫_u^∞ by Simpson's rule on w = (1 + (τ - u)/c)^-a in (0, 1], a = r + s + x and
/// c = max(α, β) + u, where the integrand is nearly constant; independent of the 2F1 route.
fn brute_tail(p: &Params, x: f64, u: f64) -> f64 {
    let [r, alpha, s, beta] = *p;
    let a = r + s + x;
    let c = alpha.max(beta) + u;
    let f = |w: f64| {
        if w <= 0.0 {
            return c.powf(-a) / a; // the integrand tends to τ^-(a+1) as τ -> ∞
        }
        let tau = u + c * (w.powf(-1.0 / a) - 1.0);
        let jacobian = c * w.powf(-1.0 / a - 1.0) / a;
        (alpha + tau).powf(-(r + x)) * (beta + tau).powf(-(s + 1.0)) * jacobian
    };
    let n = 20_000;
    let h = 1.0 / n as f64;
    let mut acc = f(0.0) + f(1.0);
    for i in 1..n {
        acc += f(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    acc * h / 3.0
}

fn fd_gradient(p: &Params, x: f64, tx: f64, t: f64) -> [f64; 4] {
    let mut g = [0.0; 4];
    for j in 0..4 {
        let h = 1e-6 * p[j];
        let (mut up, mut dn) = (*p, *p);
        up[j] += h;
        dn[j] -= h;
        let mut scratch = [0.0; 4];
        g[j] = (loglik_grad(&up, x, tx, t, &mut scratch)
            - loglik_grad(&dn, x, tx, t, &mut scratch))
            / (2.0 * h);
    }
    g
}

#[test]
fn tail_integral_matches_brute_force_on_both_branches() {
    for p in [
        CDNOW,
        [0.55, 11.67, 0.61, 10.58],
        [1.3, 2.0, 0.4, 2.0],
        [2.0, 0.5, 1.5, 6.0],
    ] {
        for &(x, u) in &[(0.0, 0.0), (2.0, 30.4), (7.0, 3.0)] {
            let got = ln_tail(&p, x, u).0;
            let want = brute_tail(&p, x, u).ln();
            assert!(
                (got - want).abs() < 1e-5,
                "{p:?} x={x} u={u}: {got} vs {want}"
            );
        }
    }
}

#[test]
fn gradient_matches_finite_differences() {
    let cases = [
        (CDNOW, 0.0, 0.0, 38.86),
        (CDNOW, 2.0, 30.43, 38.86),
        (CDNOW, 26.0, 31.0, 31.0),
        ([0.55, 11.67, 0.61, 10.58], 5.0, 12.0, 35.0),
        ([1.3, 2.0, 0.4, 2.0], 3.0, 10.0, 20.0),
        (OVERFLOW, 50.0, 4.0, 37.0),
        ([0.24, 4.4, 0.79, 2.4], 150.0, 38.0, 39.0),
    ];
    for (p, x, tx, t) in cases {
        let mut g = [0.0; 4];
        let ll = loglik_grad(&p, x, tx, t, &mut g);
        assert!(ll.is_finite());
        let fd = fd_gradient(&p, x, tx, t);
        for j in 0..4 {
            assert!(
                (g[j] - fd[j]).abs() < 1e-5 * (1.0 + fd[j].abs()),
                "{p:?} {x} {tx} {t} j={j}: {g:?} vs {fd:?}"
            );
        }
    }
}

#[test]
fn likelihood_matches_direct_integration_over_lifetimes() {
    // L = C [(α+T)^-(r+x)(β+T)^-s + s ∫_{t_x}^T (α+τ)^-(r+x)(β+τ)^-(s+1) dτ], integrated directly.
    let p = [0.8, 3.0, 1.4, 9.0];
    let (x, tx, t) = (4.0, 6.5, 20.0);
    let [r, alpha, s, beta] = p;
    let f = |tau: f64| (alpha + tau).powf(-(r + x)) * (beta + tau).powf(-(s + 1.0));
    let integral = integrate(&f, tx, t, 1e-14, 0.0);
    let c = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + s * beta.ln();
    let want = c + ((alpha + t).powf(-(r + x)) * (beta + t).powf(-s) + s * integral).ln();
    let got = loglik_grad(&p, x, tx, t, &mut [0.0; 4]);
    assert!((got - want).abs() < 1e-11, "{got} vs {want}");
}

#[test]
fn published_walkthrough_customer() {
    let pa = p_alive(&CDNOW, 26.0, 30.86, 31.0);
    assert!((pa - 0.9979).abs() < 5e-5, "{pa}");
    // 25.46 is quoted at the unrounded estimates (the printed walkthrough parameters,
    // rounded to 4 decimals, give 25.455).
    let precise = [0.55315, 10.57633, 0.60625, 11.6715];
    let ce = conditional_expected_purchases(&precise, 52.0, 26.0, 30.86, 31.0);
    assert!((ce - 25.46).abs() < 5e-3, "{ce}");
}

#[test]
fn overflow_regression_cases_are_probabilities() {
    for &(x, tx, t) in &[(40.0, 5.0, 6.0), (50.0, 1.0, 37.0), (50.0, 4.0, 37.0)] {
        let pa = p_alive(&OVERFLOW, x, tx, t);
        assert!(
            pa.is_finite() && (0.0..=1.0).contains(&pa),
            "{x} {tx} {t}: {pa}"
        );
    }
    // With α this small the purchase rate is ~1300 per unit time: any silence means death.
    assert!(p_alive(&OVERFLOW, 50.0, 1.0, 37.0) < 1e-6);
    assert!(p_alive(&OVERFLOW, 40.0, 6.0, 6.0) > 0.5);
}

#[test]
fn conditional_expectation_is_smooth_in_frequency() {
    for p in [CDNOW, OVERFLOW, [0.24, 4.4, 0.79, 2.4]] {
        let ce: Vec<f64> = (128..138)
            .map(|x| conditional_expected_purchases(&p, 10.0, x as f64, 38.0, 39.0))
            .collect();
        for w in ce.windows(3) {
            let second = (w[2] - 2.0 * w[1] + w[0]).abs();
            assert!(second < 1e-3 * w[1].abs().max(1e-12), "{p:?}: {ce:?}");
        }
    }
}

#[test]
fn pmf_sums_to_one_and_to_the_mean() {
    for p in [CDNOW, [1.3, 2.0, 0.4, 2.0], [2.0, 0.5, 1.5, 6.0]] {
        let t = 20.0;
        let probs: Vec<f64> = (0..3000)
            .map(|n| probability_of_n_purchases(&p, t, n as f64))
            .collect();
        let total: f64 = probs.iter().sum();
        let mean: f64 = probs.iter().enumerate().map(|(n, q)| n as f64 * q).sum();
        assert!((total - 1.0).abs() < 1e-9, "{p:?} total {total}");
        let want = expected_purchases(&p, t);
        assert!(
            (mean - want).abs() < 1e-8 * want.max(1.0),
            "{p:?} mean {mean} vs {want}"
        );
    }
}

#[test]
fn conditional_pmf_sums_to_one_and_to_the_conditional_mean() {
    let (x, tx, t, horizon) = (3.0, 20.0, 38.0, 26.0);
    let probs: Vec<f64> = (0..300)
        .map(|n| conditional_probability_of_n_purchases(&CDNOW, horizon, n as f64, x, tx, t))
        .collect();
    let total: f64 = probs.iter().sum();
    let mean: f64 = probs.iter().enumerate().map(|(n, q)| n as f64 * q).sum();
    assert!((total - 1.0).abs() < 1e-9);
    let want = conditional_expected_purchases(&CDNOW, horizon, x, tx, t);
    assert!((mean - want).abs() < 1e-8, "{mean} vs {want}");
}

#[test]
fn expectation_is_continuous_at_s_equal_one() {
    let below = expected_purchases(&[0.5, 10.0, 1.0 - 1e-10, 12.0], 30.0);
    let at = expected_purchases(&[0.5, 10.0, 1.0, 12.0], 30.0);
    assert!((below - at).abs() < 1e-8 && at > 0.0);
}

#[test]
fn dert_matches_direct_discounting_integral() {
    // DERT = P(alive) E[λ] ∫_0^∞ e^-δt ((β+T)/(β+T+t))^s dt.
    for &(delta, x, tx, t) in &[
        (0.1, 2.0, 30.43, 38.86),
        (0.01, 0.0, 0.0, 20.0),
        (1.5, 26.0, 30.86, 31.0),
    ] {
        let [r, alpha, s, beta] = CDNOW;
        let b = beta + t;
        let f = |y: f64| (-delta * y).exp() * (b / (b + y)).powf(s);
        let integral = integrate(&f, 0.0, 60.0 / delta, 1e-14, 0.0)
            + integrate(&f, 60.0 / delta, 4000.0 / delta, 1e-12, 0.0);
        let want = p_alive(&CDNOW, x, tx, t) * (r + x) / (alpha + t) * integral;
        let got = dert(&CDNOW, delta, x, tx, t);
        assert!((got - want).abs() < 1e-9 * want, "{delta}: {got} vs {want}");
    }
}

#[test]
fn simulated_customers_match_the_model_moments() {
    let p = [0.8, 4.0, 0.7, 9.0];
    let t = vec![30.0; 40_000];
    let sims = generate(&p, &t, 42).unwrap();
    let n = sims.len() as f64;
    let mean = sims.iter().map(|c| c[0]).sum::<f64>() / n;
    let sd = (sims.iter().map(|c| (c[0] - mean).powi(2)).sum::<f64>() / n).sqrt();
    let want = expected_purchases(&p, 30.0);
    assert!(
        (mean - want).abs() < 4.0 * sd / n.sqrt(),
        "{mean} vs {want}"
    );
    // P(X(T) = 0) against the pmf.
    let zeros = sims.iter().filter(|c| c[0] == 0.0).count() as f64 / n;
    let p0 = probability_of_n_purchases(&p, 30.0, 0.0);
    assert!(
        (zeros - p0).abs() < 4.0 * (p0 * (1.0 - p0) / n).sqrt(),
        "{zeros} vs {p0}"
    );
    // The mean of P(alive) over simulated histories is the fraction alive.
    let alive = sims.iter().map(|c| c[2]).sum::<f64>() / n;
    let predicted = sims
        .iter()
        .map(|c| p_alive(&p, c[0], c[1], 30.0))
        .sum::<f64>()
        / n;
    assert!((alive - predicted).abs() < 0.01, "{alive} vs {predicted}");
    assert_eq!(generate(&p, &t[..100], 42).unwrap(), sims[..100].to_vec());
}

#[test]
#[ignore]
fn bench_loglik() {
    let p = [0.55, 74.0, 0.6, 76.0];
    let n = 300_000;
    let rows: Vec<(f64, f64, f64)> = (0..n)
        .map(|i| {
            let t = 30.0 + (i % 700) as f64;
            let x = (i % 13) as f64;
            let tx = if x == 0.0 {
                0.0
            } else {
                ((i * 7919) % (t as usize)) as f64
            };
            (x, tx, t)
        })
        .collect();
    let start = std::time::Instant::now();
    let mut acc = 0.0;
    let mut g = [0.0; 4];
    for &(x, tx, t) in &rows {
        acc += loglik_grad(&p, x, tx, t, &mut g);
    }
    eprintln!(
        "loglik_grad: {:.3} us/row ({acc})",
        start.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let start = std::time::Instant::now();
    for &(x, _tx, t) in &rows {
        acc += ln_tail(&p, x, t).0;
    }
    eprintln!(
        "ln_tail: {:.3} us/row",
        start.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let start = std::time::Instant::now();
    for &(x, _, _) in &rows {
        acc += ln_gamma(0.55 + x) + digamma(0.55 + x);
    }
    eprintln!(
        "lgamma+digamma: {:.3} us/row {acc}",
        start.elapsed().as_secs_f64() * 1e6 / n as f64
    );
}

fn fit_with(params: Vec<f64>, ll: f64, scale: f64) -> Fit {
    Fit {
        params,
        log_likelihood: ll,
        covariance: vec![],
        standard_errors: vec![],
        n_iter: 1,
        converged: true,
        grad_norm: 0.0,
        n_patterns: 1,
        n_customers: 1.0,
        time_scale: scale,
        warnings: Vec::new(),
    }
}

#[test]
fn restarts_prefer_interior_fits_then_likelihood() {
    let interior = fit_with(vec![0.5, 10.0, 0.6, 12.0], -100.0, 40.0);
    // beta / scale = e^10: the optimiser ran off towards s, beta -> infinity.
    let boundary = fit_with(vec![0.5, 10.0, 1e5, 40.0 * 22026.5 * 1.5], -99.0, 40.0);
    assert!(!on_boundary(&interior) && on_boundary(&boundary));
    assert!(better(&interior, &boundary) && !better(&boundary, &interior));
    let improved = fit_with(vec![0.5, 10.0, 0.6, 12.0], -99.5, 40.0);
    assert!(better(&improved, &interior) && !better(&interior, &improved));
}

#[test]
fn multistart_fit_recovers_simulated_parameters() {
    let truth = [0.7, 5.0, 0.8, 9.0];
    let t: Vec<f64> = (0..8000).map(|i| 20.0 + (i % 40) as f64).collect();
    let sims = generate(&truth, &t, 3).unwrap();
    let x: Vec<f64> = sims.iter().map(|c| c[0]).collect();
    let tx: Vec<f64> = sims.iter().map(|c| c[1]).collect();
    let fit = fit_multistart(&[&x, &tx, &t], None, &FitOptions::default()).unwrap();
    for ((p, t), se) in fit.params.iter().zip(truth).zip(&fit.standard_errors) {
        assert!((p - t).abs() < 4.0 * se, "{:?}", fit.params);
    }
    // A start far out on the boundary, given explicitly, is used alone and still converges.
    let far = FitOptions {
        initial: Some(vec![0.7, 5.0, 50.0, 600.0]),
        ..FitOptions::default()
    };
    let from_far = fit_multistart(&[&x, &tx, &t], None, &far).unwrap();
    assert!(from_far.log_likelihood <= fit.log_likelihood + 1e-6);
}

#[test]
fn memoised_terms_give_the_same_bits_as_fresh_ones() {
    let rows = [
        (0.0, 0.0, 30.0),
        (3.0, 12.0, 30.0),
        (3.0, 12.0, 35.0),
        (7.0, 29.0, 30.0),
    ];
    let other = [0.9, 3.0, 1.1, 8.0];
    let fresh: Vec<f64> = rows
        .iter()
        .map(|&(x, tx, t)| loglik_grad(&CDNOW, x, tx, t, &mut [0.0; 4]))
        .collect();
    // Interleave other parameters so every memo is overwritten and refilled.
    for _ in 0..3 {
        for (&(x, tx, t), want) in rows.iter().zip(&fresh) {
            loglik_grad(&other, x, tx, t, &mut [0.0; 4]);
            let again = loglik_grad(&CDNOW, x, tx, t, &mut [0.0; 4]);
            let cached = loglik_grad(&CDNOW, x, tx, t, &mut [0.0; 4]);
            assert_eq!(again.to_bits(), want.to_bits());
            assert_eq!(cached.to_bits(), want.to_bits());
        }
    }
    let (direct, _) = ln_tail(&CDNOW, 3.0, 12.0);
    assert_eq!(cached_tail(&CDNOW, 3.0, 12.0).0.to_bits(), direct.to_bits());
}
