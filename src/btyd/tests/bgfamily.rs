//! The whole-data BG/NBD and MBG/NBD kernel (`bgfamily::totals`) against the per-pattern
//! formula, finite differences and the L-BFGS fit; determinism across thread counts.

use crate::btyd::bgnbd::BgNbd;
use crate::btyd::mbgnbd::MbgNbd;
use crate::btyd::*;

/// A small deterministic generator (tests only).
fn lcg(state: &mut u64) -> f64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (*state >> 11) as f64 / (1u64 << 53) as f64
}

/// Random customers with repeated rows and whole-day times, plus a few heavy buyers.
fn random_rows(n: usize, seed: u64) -> [Vec<f64>; 3] {
    let mut s = seed;
    let (mut x, mut tx, mut t) = (vec![], vec![], vec![]);
    for i in 0..n {
        let age = (lcg(&mut s) * 60.0).floor() + 1.0;
        let f = if i % 97 == 0 {
            150.0 + (lcg(&mut s) * 100.0).floor()
        } else {
            (lcg(&mut s).powi(3) * 12.0).floor()
        };
        x.push(f);
        tx.push(if f > 0.0 {
            (lcg(&mut s) * age).floor() + 0.5 * (i % 2) as f64
        } else {
            0.0
        });
        t.push(age + 0.25 * (i % 3) as f64);
    }
    [x, tx, t]
}

fn patterns(rows: &[Vec<f64>; 3]) -> Patterns {
    Patterns::compress(
        &["frequency", "recency", "T"],
        &[&rows[0], &rows[1], &rows[2]],
        None,
    )
    .unwrap()
}

/// The straightforward sum: the per-pattern formula (`loglik_grad`) times each weight.
fn per_pattern(model: &dyn Model, p: &[f64], data: &Patterns) -> (f64, Vec<f64>) {
    let (mut ll, mut g) = (0.0, vec![0.0; 4]);
    for i in 0..data.len() {
        let mut gi = [0.0; 4];
        ll += data.weights[i] * model.loglik_grad(p, data.row(i), &mut gi);
        g.iter_mut()
            .zip(gi)
            .for_each(|(g, v)| *g += data.weights[i] * v);
    }
    (ll, g)
}

const MODELS: [&dyn Model; 2] = [&BgNbd, &MbgNbd];

#[test]
fn totals_match_the_per_pattern_formula() {
    let data = patterns(&random_rows(3000, 11));
    for model in MODELS {
        for p in [
            [0.24, 4.4, 0.79, 2.4],
            [1.3, 0.2, 3.0, 0.4],
            [0.05, 40.0, 0.3, 0.9],
        ] {
            let t = model.totals(&p, &data).unwrap();
            let (ll, g) = per_pattern(model, &p, &data);
            assert!((t.ll - ll).abs() < 1e-11 * ll.abs(), "{} vs {ll}", t.ll);
            for j in 0..4 {
                assert!(
                    (t.grad[j] - g[j]).abs() < 1e-9 * (1.0 + g[j].abs()),
                    "{j}: {:?} vs {g:?}",
                    t.grad
                );
            }
        }
    }
}

#[test]
fn hessian_matches_finite_differences_of_the_gradient() {
    let data = patterns(&random_rows(2000, 5));
    for model in MODELS {
        for p in [[0.24, 4.4, 0.79, 2.4], [1.3, 0.2, 3.0, 0.4]] {
            let t = model.totals(&p, &data).unwrap();
            for j in 0..4 {
                let h = 1e-6 * p[j];
                let (mut up, mut dn) = (p, p);
                up[j] += h;
                dn[j] -= h;
                let (gu, gd) = (
                    model.totals(&up, &data).unwrap().grad,
                    model.totals(&dn, &data).unwrap().grad,
                );
                for i in 0..4 {
                    let fd = (gu[i] - gd[i]) / (2.0 * h);
                    let scale =
                        1.0 + t.hessian[i * 4 + i].abs().sqrt() * t.hessian[j * 4 + j].abs().sqrt();
                    assert!(
                        (t.hessian[i * 4 + j] - fd).abs() < 1e-6 * scale,
                        "H[{i}][{j}] {} vs {fd}",
                        t.hessian[i * 4 + j]
                    );
                }
            }
        }
    }
}

#[test]
fn totals_are_bit_identical_for_any_thread_count() {
    let data = patterns(&random_rows(40_000, 3));
    assert!(data.len() > 2 * 8192, "{}", data.len());
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| BgNbd.totals(&[0.3, 2.0, 0.7, 1.9], &data).unwrap())
    };
    let (one, two) = (run(1), run(2));
    let bits = |t: &Totals| {
        std::iter::once(t.ll)
            .chain(t.grad.clone())
            .chain(t.hessian.clone())
            .map(f64::to_bits)
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(&one), bits(&two));
}

/// A model that hides `totals`, so `fit` takes the L-BFGS path with numerical standard errors.
struct WithoutHessian(&'static dyn Model);

impl Model for WithoutHessian {
    fn names(&self) -> &'static [&'static str] {
        self.0.names()
    }
    fn columns(&self) -> &'static [&'static str] {
        self.0.columns()
    }
    fn time_columns(&self) -> &'static [usize] {
        self.0.time_columns()
    }
    fn scale_column(&self) -> Option<usize> {
        self.0.scale_column()
    }
    fn time_powers(&self) -> &'static [i32] {
        self.0.time_powers()
    }
    fn check_data(&self, columns: &[&[f64]]) -> crate::error::Result<()> {
        self.0.check_data(columns)
    }
    fn initial_params(&self, data: &Patterns) -> Vec<f64> {
        self.0.initial_params(data)
    }
    fn loglik_grad(&self, params: &[f64], row: &[f64], grad: &mut [f64]) -> f64 {
        self.0.loglik_grad(params, row, grad)
    }
}

#[test]
fn newton_fit_agrees_with_the_lbfgs_fit() {
    let (x, tx, t, _) = super::fit::cdnow();
    let cols: [&[f64]; 3] = [&x, &tx, &t];
    for model in [&BgNbd as &'static dyn Model, &MbgNbd] {
        for penalizer in [0.0, 0.05] {
            let opts = FitOptions {
                penalizer,
                ..FitOptions::default()
            };
            let newton = fit(model, &cols, None, &opts).unwrap();
            let lbfgs = fit(&WithoutHessian(model), &cols, None, &opts).unwrap();
            assert!(newton.grad_norm < 1e-8, "{}", newton.grad_norm);
            for j in 0..4 {
                let (u, v) = (newton.params[j], lbfgs.params[j]);
                assert!(
                    (u - v).abs() < 1e-5 * v,
                    "{:?} vs {:?}",
                    newton.params,
                    lbfgs.params
                );
                let (su, sv) = (newton.standard_errors[j], lbfgs.standard_errors[j]);
                assert!(
                    (su - sv).abs() < 1e-3 * sv,
                    "{:?} vs {:?}",
                    newton.standard_errors,
                    lbfgs.standard_errors
                );
            }
            assert!(
                (newton.log_likelihood - lbfgs.log_likelihood).abs()
                    < 1e-6 * lbfgs.log_likelihood.abs()
            );
            assert!(
                newton.log_likelihood >= lbfgs.log_likelihood - 1e-9 * lbfgs.log_likelihood.abs()
            );
        }
    }
}

#[test]
fn warm_start_from_a_subsample_reaches_the_same_maximum() {
    use crate::btyd::newton_fit::{minimize, minimize_warm, subsample};
    let data = patterns(&random_rows(6000, 23));
    let sample = subsample(&data, 7.0);
    assert!(
        sample.len() < data.len() / 4 && (sample.total_weight() - data.total_weight()).abs() <= 7.0
    );
    assert!(sample.codes.len() == 3 * sample.len() && sample.levels == data.levels);
    let (x, tx, t, _) = super::fit::cdnow();
    let data = Patterns::compress(&["frequency", "recency", "T"], &[&x, &tx, &t], None).unwrap();
    let scaled = data.rescaled(&[1, 2], data.max_of(2));
    let x0 = [0.0, -4.0, 0.0, 0.0];
    for penalizer in [0.0, 0.01] {
        let opts = FitOptions {
            penalizer,
            ..FitOptions::default()
        };
        let cold = minimize(&BgNbd, &scaled, &x0, &opts, data.total_weight()).unwrap();
        let warm = minimize_warm(
            &BgNbd,
            &scaled,
            &x0,
            &opts,
            data.total_weight(),
            data.len() / 8,
        )
        .unwrap();
        assert!(
            warm.n_iter < cold.n_iter,
            "{} vs {}",
            warm.n_iter,
            cold.n_iter
        );
        for j in 0..4 {
            assert!(
                (warm.x[j] - cold.x[j]).abs() < 1e-7,
                "{:?} vs {:?}",
                warm.x,
                cold.x
            );
        }
    }
}

#[test]
fn time_shift_gives_the_log_likelihood_in_data_units() {
    let data = patterns(&random_rows(3000, 31));
    let scale = data.max_of(2);
    let scaled = data.rescaled(&[1, 2], scale);
    let p = [0.4, 3.0, 0.7, 2.2];
    let ps = [p[0], p[1] / scale, p[2], p[3]];
    for model in MODELS {
        let direct = model.totals(&p, &data).unwrap().ll;
        let shifted =
            model.totals(&ps, &scaled).unwrap().ll + model.loglik_time_shift(&data, scale).unwrap();
        assert!(
            (direct - shifted).abs() < 1e-10 * direct.abs(),
            "{direct} vs {shifted}"
        );
    }
}
