//! The compression-free Newton fit against the generic fit (L-BFGS on compressed patterns,
//! numerical Hessian) and against the per-row formula.

use super::*;
use crate::btyd::tests::fit::cdnow;

fn repeat_buyers() -> (Vec<f64>, Vec<f64>) {
    let (x, _, _, m) = cdnow();
    (0..x.len())
        .filter(|&i| x[i] > 0.0)
        .map(|i| (x[i], m[i]))
        .unzip()
}

/// CDNOW's repeat buyers copied `copies` times, each copy's spends scaled a little
/// (many rows, realistic heterogeneity, several chunks).
fn synthetic(copies: usize) -> (Vec<f64>, Vec<f64>) {
    let (x, m) = repeat_buyers();
    (0..copies)
        .flat_map(|k| {
            x.iter()
                .zip(&m)
                .map(move |(&xi, &mi)| (xi, mi * (1.0 + 0.01 * (k % 7) as f64)))
        })
        .unzip()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-300)
}

#[test]
fn agrees_with_the_generic_fit_on_cdnow() {
    let (x, m) = repeat_buyers();
    for penalizer in [0.0, 0.05] {
        let opts = FitOptions {
            penalizer,
            ..FitOptions::default()
        };
        let fast = fit(&[&x, &m], None, &opts).unwrap();
        let generic = crate::btyd::fit(&GammaGamma, &[&x, &m], None, &opts).unwrap();
        for j in 0..3 {
            assert!(
                close(fast.params[j], generic.params[j], 1e-6),
                "{:?} vs {:?}",
                fast.params,
                generic.params
            );
            // Analytic vs finite-difference Hessian.
            assert!(
                close(fast.standard_errors[j], generic.standard_errors[j], 1e-4),
                "{:?} vs {:?}",
                fast.standard_errors,
                generic.standard_errors
            );
        }
        let diff = fast.log_likelihood - generic.log_likelihood;
        // Unpenalised, the Newton fit is at the maximum to rounding and L-BFGS stops at
        // |gradient| < tol, just below it; penalised, the log-likelihood is not maximised.
        let low = if penalizer == 0.0 { -1e-9 } else { -1e-5 };
        assert!(
            diff > low && diff < 1e-5,
            "{} vs {}",
            fast.log_likelihood,
            generic.log_likelihood
        );
        assert_eq!(fast.n_customers, generic.n_customers);
    }
    let f = fit(&[&x, &m], None, &FitOptions::default()).unwrap();
    for (p, e) in f.params.iter().zip([6.25, 3.74, 15.44]) {
        assert!((p - e).abs() < 0.01, "{:?}", f.params);
    }
    assert!((f.log_likelihood + 4055.92).abs() < 0.1);
}

#[test]
fn derivatives_match_the_per_row_formula_and_finite_differences() {
    let (x, m) = synthetic(5);
    let w: Vec<f64> = (0..x.len()).map(|i| (i % 3) as f64).collect();
    let data = Data::new(&x, &m, Some(&w));
    let params = [4.1, 2.7, 11.3];
    let (ll, g, h) = data.derivatives(&params);
    let (mut brute_ll, mut brute_g) = (0.0, [0.0; 3]);
    for i in 0..x.len() {
        let mut gi = [0.0; 3];
        let li = GammaGamma.loglik_grad(&params, &[x[i], m[i]], &mut gi);
        brute_ll += w[i] * li;
        (0..3).for_each(|j| brute_g[j] += w[i] * gi[j]);
    }
    assert!(close(ll, brute_ll, 1e-12), "{ll} vs {brute_ll}");
    for j in 0..3 {
        assert!(
            (g[j] - brute_g[j]).abs() < 1e-9 * (1.0 + brute_g[j].abs()),
            "{g:?} vs {brute_g:?}"
        );
        let step = 1e-5 * params[j];
        let (mut up, mut down) = (params, params);
        up[j] += step;
        down[j] -= step;
        let (gu, gd) = (data.derivatives(&up).1, data.derivatives(&down).1);
        for k in 0..3 {
            let fd = (gu[k] - gd[k]) / (2.0 * step);
            assert!(
                (h[j][k] - fd).abs() < 1e-5 * (1.0 + fd.abs()),
                "h[{j}][{k}] = {} vs {fd}",
                h[j][k]
            );
        }
    }
}

#[test]
fn weights_equal_repeated_rows_and_zero_weights_drop_rows() {
    let (x, m) = synthetic(3);
    let doubled: (Vec<f64>, Vec<f64>) = (
        x.iter().chain(&x).copied().collect(),
        m.iter().chain(&m).copied().collect(),
    );
    let mut w: Vec<f64> = vec![2.0; x.len()];
    w.extend(vec![0.0; 10]);
    let (xw, mw): (Vec<f64>, Vec<f64>) = (
        x.iter().chain(&[1.0; 10]).copied().collect(),
        m.iter().chain(&[1e6; 10]).copied().collect(),
    );
    let a = fit(&[&doubled.0, &doubled.1], None, &FitOptions::default()).unwrap();
    let b = fit(&[&xw, &mw], Some(&w), &FitOptions::default()).unwrap();
    for j in 0..3 {
        assert!(
            close(a.params[j], b.params[j], 1e-9),
            "{:?} vs {:?}",
            a.params,
            b.params
        );
    }
    assert!(close(a.log_likelihood, b.log_likelihood, 1e-12));
    assert_eq!(
        (b.n_patterns, b.n_customers),
        (x.len(), 2.0 * x.len() as f64)
    );
}

#[test]
fn fit_is_bit_identical_for_one_and_two_threads() {
    let (x, m) = synthetic(50);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| fit(&[&x, &m], None, &FitOptions::default()).unwrap())
    };
    let (one, two) = (run(1), run(2));
    let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&one.params), bits(&two.params));
    assert_eq!(bits(&one.covariance), bits(&two.covariance));
    assert_eq!(one.log_likelihood.to_bits(), two.log_likelihood.to_bits());
}

#[test]
fn bad_input_gives_the_generic_fit_errors() {
    let opts = FitOptions::default();
    type Case = (Vec<f64>, Vec<f64>, Option<Vec<f64>>);
    let cases: Vec<Case> = vec![
        (vec![1.0, 0.0], vec![2.0, 3.0], None),
        (vec![1.0, 2.5], vec![2.0, 3.0], None),
        (vec![1.0, 2.0], vec![2.0, -3.0], None),
        (vec![1.0, 2.0], vec![2.0, f64::NAN], None),
        (vec![1.0, 2.0], vec![2.0], None),
        (vec![1.0, 2.0], vec![2.0, 3.0], Some(vec![1.0, -1.0])),
        (vec![1.0, 2.0], vec![2.0, 3.0], Some(vec![1.0])),
        (vec![1.0, 2.0], vec![2.0, 3.0], Some(vec![0.0, 0.0])),
        (vec![], vec![], None),
    ];
    for (x, m, w) in &cases {
        let fast = fit(&[x, m], w.as_deref(), &opts).unwrap_err().to_string();
        let generic = crate::btyd::fit(&GammaGamma, &[x, m], w.as_deref(), &opts)
            .unwrap_err()
            .to_string();
        assert_eq!(fast, generic);
    }
    let bad_tol = FitOptions {
        tol: 0.0,
        ..FitOptions::default()
    };
    assert!(fit(&[&[1.0], &[2.0]], None, &bad_tol).is_err());
    let few = FitOptions {
        max_iter: 1,
        ..FitOptions::default()
    };
    let (x, m) = repeat_buyers();
    assert!(matches!(
        fit(&[&x, &m], None, &few),
        Err(ClmError::Convergence { .. })
    ));
}

/// Repeat buyers drawn from the model (p, q, v) = (6, 4, 15).
fn simulated(n: usize) -> (Vec<f64>, Vec<f64>) {
    use rand_distr::{Distribution, Gamma};
    let mut rng = crate::numeric::random::stream(7, 0);
    let nu_dist = Gamma::new(4.0, 1.0 / 15.0).unwrap();
    (0..n)
        .map(|i| {
            let x = 1.0 + (i % 10) as f64;
            let nu: f64 = nu_dist.sample(&mut rng);
            let m: f64 = Gamma::new(6.0 * x, 1.0 / (nu * x))
                .unwrap()
                .sample(&mut rng);
            (x, m)
        })
        .unzip()
}

#[test]
fn moment_start_and_the_default_start_reach_the_same_maximum() {
    let (x, m) = simulated(20_000);
    let start = Data::new(&x, &m, None).moment_start().unwrap();
    // p and v trade off in a sample this size; their mean spend p v / (q - 1) is sharp.
    assert!(
        close(start[0] * start[2] / (start[1] - 1.0), 30.0, 0.05),
        "{start:?}"
    );
    let from_moments = fit(&[&x, &m], None, &FitOptions::default()).unwrap();
    let from_ones = fit(
        &[&x, &m],
        None,
        &FitOptions {
            initial: Some(vec![1.0; 3]),
            ..FitOptions::default()
        },
    )
    .unwrap();
    for j in 0..3 {
        assert!(
            close(from_moments.params[j], from_ones.params[j], 1e-9),
            "{:?} vs {:?}",
            from_moments.params,
            from_ones.params
        );
    }
    assert!(from_moments.n_iter <= from_ones.n_iter);
    // CDNOW's spends are not Gamma-Gamma enough for the moments (negative slope): the
    // default start is used. One distinct frequency: the regression is undefined.
    let (x, m) = repeat_buyers();
    assert!(Data::new(&x, &m, None).moment_start().is_none());
    let same_x = vec![2.0; x.len()];
    assert!(Data::new(&same_x, &m, None).moment_start().is_none());
    assert!(fit(&[&same_x, &m], None, &FitOptions::default()).is_ok());
}
