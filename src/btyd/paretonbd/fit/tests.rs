//! The tabulated likelihood and the Pareto/NBD fit driver against the per-pattern path and
//! the shared fit.

use super::super::{generate, loglik_grad, model::ParetoNbd, Params};
use super::layout::{add_outer, FIT_CHUNK};
use super::*;
use crate::btyd::{fit, Model};

/// CDNOW's calibration summary (weeks): frequency, recency, T.
fn cdnow() -> [Vec<f64>; 3] {
    let text = include_str!(
        "../../../../python/clmkit/datasets/data/cdnow_customers_summary_with_transactions.csv"
    );
    let mut cols = [vec![], vec![], vec![]];
    for line in text.lines().skip(1) {
        let v: Vec<f64> = line
            .split(',')
            .map(|f| f.trim().parse().unwrap_or(f64::NAN))
            .collect();
        for c in 0..3 {
            cols[c].push(v[c + 1]);
        }
    }
    cols
}

/// Simulated customers with fractional, varied T: thousands of patterns, several chunks.
fn simulated(n: usize) -> [Vec<f64>; 3] {
    let t: Vec<f64> = (0..n).map(|i| 5.0 + (i % 97) as f64 * 0.37).collect();
    let sims = generate(&[0.7, 3.0, 0.8, 9.0], &t, 11).unwrap();
    [
        sims.iter().map(|c| c[0]).collect(),
        sims.iter().map(|c| c[1]).collect(),
        t,
    ]
}

fn rescaled_patterns(cols: &[Vec<f64>; 3]) -> Patterns {
    let data = Patterns::compress(
        &["frequency", "recency", "T"],
        &[&cols[0], &cols[1], &cols[2]],
        None,
    )
    .unwrap();
    let scale = data.max_of(2);
    data.rescaled(&[1, 2], scale)
}

/// The shared fit's sum: per-pattern `loglik_grad` in chunks of FIT_CHUNK, chunks in order.
fn per_pattern_total(p: &Params, data: &Patterns) -> [f64; 5] {
    let mut sums = [0.0; 5];
    for start in (0..data.len()).step_by(FIT_CHUNK) {
        let mut acc = [0.0; 5];
        ParetoNbd.accumulate(
            p,
            data,
            start..(start + FIT_CHUNK).min(data.len()),
            &mut acc,
        );
        for (s, a) in sums.iter_mut().zip(acc) {
            *s += a;
        }
    }
    sums
}

const PARAMS: [Params; 4] = [
    [0.55, 0.27, 0.61, 0.3],
    [0.55, 0.3, 0.61, 0.27],
    [1.3, 0.05, 0.4, 0.05],
    [10.465, 0.0002, 3.05, 0.07],
];

#[test]
fn tabulated_totals_equal_the_per_pattern_sums_bit_for_bit() {
    for cols in [cdnow(), simulated(5_000)] {
        let data = rescaled_patterns(&cols);
        let layout = Layout::new(data.clone());
        assert!(layout.n_tails() < 2 * data.len());
        for p in PARAMS {
            let (ll, g) = layout.total(&p);
            let want = per_pattern_total(&p, &data);
            assert!(ll.is_finite(), "{p:?}");
            assert_eq!(
                ll.to_bits(),
                want[0].to_bits(),
                "{p:?}: {ll} vs {}",
                want[0]
            );
            for j in 0..4 {
                assert_eq!(g[j].to_bits(), want[j + 1].to_bits(), "{p:?} gradient {j}");
            }
        }
    }
}

#[test]
fn outer_products_match_the_per_pattern_scores() {
    let data = rescaled_patterns(&simulated(3000));
    let layout = Layout::new(data.clone());
    for p in PARAMS {
        let sums = layout.sums(&p, true);
        let mut want = [0.0; 10];
        for i in 0..data.len() {
            let row = data.row(i);
            let mut g = [0.0; 4];
            loglik_grad(&p, row[0], row[1], row[2], &mut g);
            add_outer(&mut want, data.weights[i], &g);
        }
        for k in 0..10 {
            assert!(
                (sums[5 + k] - want[k]).abs() <= 1e-10 * want[k].abs().max(1.0),
                "{p:?} {k}"
            );
        }
    }
}

#[test]
fn fit_agrees_with_the_shared_fit_and_the_published_estimates() {
    let cols = cdnow();
    let columns: [&[f64]; 3] = [&cols[0], &cols[1], &cols[2]];
    let opts = FitOptions::default();
    let ours = super::super::fit_multistart(&columns, None, &opts).unwrap();
    let shared = fit(&ParetoNbd, &columns, None, &opts).unwrap();
    for j in 0..4 {
        assert!(
            (ours.params[j] - shared.params[j]).abs() < 1e-6 * shared.params[j],
            "{:?}",
            ours.params
        );
        // Forward vs central differences of the gradient for the information.
        let (a, b) = (ours.standard_errors[j], shared.standard_errors[j]);
        assert!(
            (a - b).abs() < 1e-4 * b,
            "{:?} vs {:?}",
            ours.standard_errors,
            shared.standard_errors
        );
    }
    assert!((ours.log_likelihood - shared.log_likelihood).abs() < 1e-6);
    // Fader & Hardie's Pareto/NBD estimates on CDNOW.
    for (p, want) in ours.params.iter().zip([0.5534, 10.5802, 0.6061, 11.6562]) {
        assert!((p - want).abs() < 5e-3 * want, "{:?}", ours.params);
    }
    assert!(
        (ours.log_likelihood + 9595.0).abs() < 0.1,
        "{}",
        ours.log_likelihood
    );
    assert_eq!(
        (ours.n_patterns, ours.n_customers),
        (shared.n_patterns, shared.n_customers)
    );
}

#[test]
fn fit_is_bit_identical_for_one_and_two_threads() {
    let cols = simulated(4_000);
    let columns: [&[f64]; 3] = [&cols[0], &cols[1], &cols[2]];
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| super::super::fit_multistart(&columns, None, &FitOptions::default()))
            .unwrap()
    };
    let (one, two) = (run(1), run(2));
    assert!(one.n_patterns > 2 * FIT_CHUNK, "{}", one.n_patterns);
    let bits = |f: &Fit| {
        let mut v: Vec<u64> = f
            .params
            .iter()
            .chain(&f.covariance)
            .map(|v| v.to_bits())
            .collect();
        v.push(f.log_likelihood.to_bits());
        v
    };
    assert_eq!(bits(&one), bits(&two));
}

#[test]
fn the_quasi_newton_fit_matches_lbfgs_from_a_far_start() {
    let cols = simulated(1_500);
    let columns: [&[f64]; 3] = [&cols[0], &cols[1], &cols[2]];
    let prep = prepare(&columns, None, &FitOptions::default()).unwrap();
    let total_weight = prep.data.total_weight();
    // From this start the BHHH iteration drifts towards the boundary: the fit falls back to
    // L-BFGS after BHHH_MAX_ITER iterations and must agree with it.
    let far_natural = [5.0, 0.01 * prep.scale, 0.05, 50.0 * prep.scale];
    let far = to_log_scaled(&far_natural, prep.scale);
    let objective = ParetoObjective {
        layout: &prep.layout,
        penalizer: 0.0,
        total_weight,
    };
    let lbfgs = minimize(&objective, &far, &Options::default()).unwrap();
    let fitted = fit_from(&prep, &far_natural, &FitOptions::default(), 1000).unwrap();
    let want = from_log_scaled(&lbfgs.x, prep.scale);
    for j in 0..4 {
        assert!(
            (fitted.params[j] - want[j]).abs() < 1e-5 * want[j],
            "{:?} vs {want:?}",
            fitted.params
        );
    }
    // With a penalty both minimise the same penalised objective.
    let pen = LogScale {
        layout: &prep.layout,
        penalizer: 0.01,
        total_weight,
    };
    let run = minimize_bhhh(&pen, [0.0; 4], 1e-8, 1000).unwrap();
    assert_eq!(run.status, super::super::opt::Status::Converged);
    let a = run.min;
    let b = minimize(
        &ParetoObjective {
            penalizer: 0.01,
            ..objective
        },
        &[0.0; 4],
        &Options::default(),
    )
    .unwrap();
    for j in 0..4 {
        assert!((a.x[j] - b.x[j]).abs() < 1e-5, "{:?} vs {:?}", a.x, b.x);
    }
}
