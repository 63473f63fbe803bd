use super::*;
use crate::numeric::quadrature::integrate;

const DONATIONS: Params = [1.2035, 0.7497, 0.6567, 2.7834];

/// L by integrating the individual-level likelihood over Beta(α, β) × Beta(γ, δ) numerically.
fn brute_likelihood(p: &Params, x: f64, tx: f64, n: f64) -> f64 {
    let [a, b, g, d] = *p;
    let individual = |prob: f64, theta: f64| {
        let mut l = prob.powf(x) * (1.0 - prob).powf(n - x) * (1.0 - theta).powf(n);
        let mut i = 0.0;
        while tx + i < n {
            l += prob.powf(x) * (1.0 - prob).powf(tx - x + i) * theta * (1.0 - theta).powf(tx + i);
            i += 1.0;
        }
        l
    };
    let density = |v: f64, u: f64, w: f64| {
        ((u - 1.0) * v.ln() + (w - 1.0) * (1.0 - v).ln() - ln_beta(u, w)).exp()
    };
    let inner = |prob: f64| {
        let f = |theta: f64| individual(prob, theta) * density(theta, g, d);
        density(prob, a, b) * integrate(&f, 0.0, 1.0, 1e-12, 0.0)
    };
    integrate(&inner, 0.0, 1.0, 1e-11, 0.0)
}

#[test]
fn likelihood_matches_numerical_integration() {
    let p = [2.5, 1.7, 1.3, 3.1]; // all > 1: smooth Beta densities for the brute force
    for &(x, tx, n) in &[
        (0.0, 0.0, 6.0),
        (2.0, 4.0, 6.0),
        (6.0, 6.0, 6.0),
        (3.0, 5.0, 9.0),
    ] {
        let want = brute_likelihood(&p, x, tx, n).ln();
        let got = loglik(&p, x, tx, n);
        assert!((got - want).abs() < 1e-8, "{x} {tx} {n}: {got} vs {want}");
    }
}

#[test]
fn gradient_matches_finite_differences() {
    for p in [DONATIONS, [2.5, 1.7, 1.3, 3.1], [0.3, 5.0, 0.05, 40.0]] {
        for &(x, tx, n) in &[
            (0.0, 0.0, 6.0),
            (2.0, 4.0, 6.0),
            (6.0, 6.0, 6.0),
            (40.0, 90.0, 120.0),
        ] {
            let mut g = [0.0; 4];
            loglik_grad(&p, x, tx, n, &mut g);
            for j in 0..4 {
                // ln Γ terms of size ~100 limit finite differences to ~1e-7 absolute accuracy.
                let h = 1e-5 * p[j];
                let (mut up, mut dn) = (p, p);
                up[j] += h;
                dn[j] -= h;
                let fd = (loglik(&up, x, tx, n) - loglik(&dn, x, tx, n)) / (2.0 * h);
                assert!(
                    (g[j] - fd).abs() < 2e-6 * (1.0 + fd.abs()),
                    "{p:?} {x} {tx} {n} j={j}: {} vs {fd}",
                    g[j]
                );
            }
        }
    }
}

#[test]
fn published_new_donor_expectations() {
    let want = [
        0.4985, 0.9233, 1.2969, 1.6323, 1.9381, 2.2202, 2.4826, 2.7285, 2.9603, 3.1798, 3.3887,
    ];
    for (i, w) in want.iter().enumerate() {
        let got = expected_purchases(&DONATIONS, (i + 1) as f64);
        assert!((got - w).abs() < 5e-4, "n={}: {got} vs {w}", i + 1);
    }
}

#[test]
fn pmf_sums_to_one_and_to_the_mean() {
    for n in [1.0, 6.0, 25.0] {
        let probs: Vec<f64> = (0..=n as usize)
            .map(|k| probability_of_n_purchases(&DONATIONS, n, k as f64))
            .collect();
        let total: f64 = probs.iter().sum();
        let mean: f64 = probs.iter().enumerate().map(|(k, q)| k as f64 * q).sum();
        assert!((total - 1.0).abs() < 1e-12, "{total}");
        assert!((mean - expected_purchases(&DONATIONS, n)).abs() < 1e-12);
    }
    assert_eq!(probability_of_n_purchases(&DONATIONS, 3.0, 4.0), 0.0);
}

#[test]
fn likelihood_of_all_histories_sums_to_one() {
    // Summing P(history) over every (x, t_x) summary with its number of binary sequences.
    let n = 7.0;
    let mut total = loglik(&DONATIONS, 0.0, 0.0, n).exp();
    for tx in 1..=7 {
        for x in 1..=tx {
            let sequences = ln_choose(tx as f64 - 1.0, x as f64 - 1.0).exp();
            total += sequences * loglik(&DONATIONS, x as f64, tx as f64, n).exp();
        }
    }
    assert!((total - 1.0).abs() < 1e-12, "{total}");
}

#[test]
fn conditional_expectation_matches_closed_form() {
    // FHS eq. 13 in Γ form (valid for γ != 1).
    let [a, b, g, d] = DONATIONS;
    for &(x, tx, n, m) in &[
        (0.0, 0.0, 6.0, 5.0),
        (2.0, 4.0, 6.0, 5.0),
        (6.0, 6.0, 6.0, 10.0),
    ] {
        let ll = loglik(&DONATIONS, x, tx, n);
        let bracket = (ln_gamma(1.0 + d + n) - ln_gamma(g + d + n)).exp()
            - (ln_gamma(1.0 + d + n + m) - ln_gamma(g + d + n + m)).exp();
        let want = (ln_beta(a + x + 1.0, b + n - x) - ln_beta(a, b) - ll).exp() * d / (g - 1.0)
            * (ln_gamma(g + d) - ln_gamma(1.0 + d)).exp()
            * bracket;
        let got = conditional_expected_purchases(&DONATIONS, m, x, tx, n);
        assert!((got - want).abs() < 1e-10 * want, "{got} vs {want}");
    }
}

#[test]
fn p_alive_decreases_with_horizon_and_is_one_for_certain_survivors() {
    let now = p_alive(&DONATIONS, 2.0, 4.0, 6.0, 0.0);
    let next = p_alive(&DONATIONS, 2.0, 4.0, 6.0, 1.0);
    assert!(now > next && next > 0.0);
    assert!((p_alive(&DONATIONS, 6.0, 6.0, 6.0, 0.0) - 1.0).abs() < 1e-14);
    // Published next-period values (FHS 2010): 0.11, 0.59, 0.93.
    for &(x, tx, want) in &[(0.0, 0.0, 0.11), (2.0, 4.0, 0.59), (6.0, 6.0, 0.93)] {
        let got = p_alive(&DONATIONS, x, tx, 6.0, 1.0);
        assert!((got - want).abs() < 5e-3, "{x} {tx}: {got}");
    }
}

#[test]
fn simulated_histories_follow_the_likelihood() {
    let n = 6.0;
    let sims = generate(&DONATIONS, &vec![n; 50_000], 9).unwrap();
    let total = sims.len() as f64;
    for &(x, tx) in &[(0.0, 0.0), (1.0, 1.0), (2.0, 4.0), (6.0, 6.0)] {
        let seen = sims.iter().filter(|c| c[0] == x && c[1] == tx).count() as f64 / total;
        let sequences = if x == 0.0 {
            1.0
        } else {
            ln_choose(tx - 1.0, x - 1.0).exp()
        };
        let want = sequences * loglik(&DONATIONS, x, tx, n).exp();
        assert!(
            (seen - want).abs() < 4.0 * (want * (1.0 - want) / total).sqrt(),
            "{x} {tx}: {seen} vs {want}"
        );
    }
    let alive = sims.iter().map(|c| c[2]).sum::<f64>() / total;
    let predicted = sims
        .iter()
        .map(|c| p_alive(&DONATIONS, c[0], c[1], n, 0.0))
        .sum::<f64>()
        / total;
    assert!((alive - predicted).abs() < 0.01, "{alive} vs {predicted}");
}

#[test]
fn opportunity_counts_are_bounded_before_any_loop() {
    let huge = 1e17;
    let rows = |n: f64| (vec![1.0], vec![1.0], vec![n]);
    let (x, tx, n) = rows(huge);
    let rows_huge = Rows {
        x: &x,
        tx: &tx,
        n: &n,
    };
    let p = DONATIONS.to_vec();
    let message = |e: ClmError| e.to_string();
    assert!(message(p_alive_rows(&p, 0.0, &rows_huge).unwrap_err()).contains("n_periods"));
    let (x, tx, n) = rows(6.0);
    let ok = Rows {
        x: &x,
        tx: &tx,
        n: &n,
    };
    assert!(message(p_alive_rows(&p, huge, &ok).unwrap_err()).contains("periods_ahead"));
    assert!(
        message(conditional_expected_purchases_rows(&p, huge, &ok).unwrap_err())
            .contains("m_periods")
    );
    assert!(message(expected_purchases_many(&p, &[huge]).unwrap_err()).contains("n_periods"));
    assert!(generate(&DONATIONS, &[huge], 1).is_err());
    // The bound itself is accepted.
    assert!(expected_purchases_many(&p, &[MAX_OPPORTUNITIES]).is_ok());
}
