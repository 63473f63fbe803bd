//! The covariate engine against brute-force references: the chain-rule gradient against
//! central differences of the objective, the grouped likelihood against the plain model's
//! per-customer likelihood at each customer's parameters, and zero covariates against the
//! covariate-free fit.

use super::design::Design;
use super::layout::Layout;
use super::objective::CovObjective;
use super::*;
use crate::btyd::{bgbb, fit_kind, paretonbd, Model, ModelKind, MAX_PARAMS};
use crate::numeric::optimize::{numerical_hessian, Objective};

const MODELS: [ModelKind; 5] = ModelKind::ALL;

/// Deterministic uniform(0, 1) stream (splitmix64), for test data only.
struct Uniform(u64);
impl Uniform {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Data columns of `model` for `n` customers and covariates (a 0/1 channel, a continuous
/// score), row-major.
fn data(model: ModelKind, n: usize, seed: u64) -> (Vec<Vec<f64>>, Vec<f64>) {
    let mut u = Uniform(seed);
    let mut z = Vec::with_capacity(2 * n);
    for _ in 0..n {
        z.push(if u.next() < 0.4 { 1.0 } else { 0.0 });
        z.push((u.next() - 0.5) * 2.0);
    }
    let cols = match model {
        ModelKind::GammaGamma => {
            // Note 025's process: nu ~ Gamma(q = 4, rate v = 15), spends ~ Gamma(p = 6, rate nu).
            use rand_distr::{Distribution, Gamma};
            let x: Vec<f64> = (0..n).map(|_| 1.0 + (u.next() * 6.0).floor()).collect();
            let m: Vec<f64> = (0..n)
                .map(|i| {
                    let mut rng = crate::numeric::random::stream(seed, i as u64);
                    let nu = Gamma::new(4.0, 1.0 / 15.0).unwrap().sample(&mut rng);
                    let spend = Gamma::new(6.0, 1.0 / nu).unwrap();
                    (0..x[i] as usize)
                        .map(|_| spend.sample(&mut rng))
                        .sum::<f64>()
                        / x[i]
                })
                .collect();
            vec![x, m]
        }
        ModelKind::Bgbb => {
            let periods = vec![6.0; n];
            let sims = bgbb::generate(&[1.2, 0.75, 0.66, 2.8], &periods, seed).unwrap();
            let mut cols: Vec<Vec<f64>> = (0..2)
                .map(|c| sims.iter().map(|s| s[c]).collect())
                .collect();
            cols.push(periods);
            cols
        }
        _ => {
            let t: Vec<f64> = (0..n).map(|_| 20.0 + (u.next() * 20.0).floor()).collect();
            let sims = paretonbd::generate(&[0.55, 10.6, 0.61, 11.7], &t, seed).unwrap();
            let mut cols: Vec<Vec<f64>> = (0..2)
                .map(|c| sims.iter().map(|s| s[c]).collect())
                .collect();
            cols.push(t);
            cols
        }
    };
    (cols, z)
}

fn spec(model: ModelKind) -> CovariateSpec {
    let both = vec!["channel".to_string(), "score".to_string()];
    let mut s = CovariateSpec {
        names: both.clone(),
        ..Default::default()
    };
    if model == ModelKind::GammaGamma {
        s.spend = both;
    } else {
        s.purchase = both.clone();
        s.dropout = both;
    }
    s
}

/// `data` with the score rounded to halves (5 levels), so customers group into cells.
fn discrete(model: ModelKind) -> (Vec<Vec<f64>>, Vec<f64>) {
    let (cols, mut z) = data(model, 400, 7);
    z.iter_mut()
        .skip(1)
        .step_by(2)
        .for_each(|v| *v = (*v * 2.0).round() / 2.0);
    (cols, z)
}

fn objective_parts(model: ModelKind, group: bool) -> (Layout, Design, &'static dyn Model) {
    let (cols, z) = discrete(model);
    let cols: Vec<&[f64]> = cols.iter().map(|c| c.as_slice()).collect();
    let m = model.model();
    let layout = Layout::new(model, m.names().len(), &spec(model)).unwrap();
    let design = Design::new(&cols, None, &z, 2, Some(group)).unwrap();
    (layout, design, m)
}

fn theta(layout: &Layout) -> Vec<f64> {
    let mut t: Vec<f64> = (0..layout.k).map(|j| 0.3 - 0.2 * j as f64).collect();
    t.extend(
        (0..layout.n_free).map(|f| 0.15 * (f as f64 + 1.0) * if f % 2 == 0 { 1.0 } else { -1.0 }),
    );
    t
}

#[test]
fn zero_covariates_reproduce_the_plain_fit() {
    for model in MODELS {
        let (cols, z) = data(model, 300, 11);
        let cols: Vec<&[f64]> = cols.iter().map(|c| c.as_slice()).collect();
        let zeros = vec![0.0; z.len()];
        let opts = FitOptions::default();
        let plain = fit_kind(model, &cols, None, &opts).unwrap();
        let cov = fit(model, &cols, None, &zeros, &spec(model), &opts, None).unwrap();
        let k = plain.params.len();
        for j in 0..k {
            let (a, b) = (plain.params[j], cov.fit.params[j]);
            assert!(
                (a - b).abs() <= 1e-10 * a.abs(),
                "{model} param {j}: {a} vs {b}"
            );
        }
        assert!(cov.fit.params[k..].iter().all(|&g| g == 0.0));
        let (a, b) = (plain.log_likelihood, cov.fit.log_likelihood);
        assert!((a - b).abs() <= 1e-10 * a.abs(), "{model} ll: {a} vs {b}");
        // Unidentified coefficients: reported, not hidden.
        assert!(cov.fit.standard_errors.iter().all(|s| s.is_nan()));
        assert!(!cov.fit.warnings.is_empty());
    }
}

#[test]
fn covariates_shift_the_fit_and_give_finite_standard_errors() {
    for model in MODELS {
        let (cols, z) = data(model, 600, 3);
        let cols: Vec<&[f64]> = cols.iter().map(|c| c.as_slice()).collect();
        let opts = FitOptions::default();
        let plain = fit_kind(model, &cols, None, &opts).unwrap();
        let cov = fit(model, &cols, None, &z, &spec(model), &opts, None).unwrap();
        assert!(
            cov.fit.log_likelihood >= plain.log_likelihood - 1e-6,
            "{model}"
        );
        assert!(
            cov.fit
                .standard_errors
                .iter()
                .all(|s| s.is_finite() && *s > 0.0),
            "{model}: {:?} {:?}",
            cov.fit.standard_errors,
            cov.fit.warnings
        );
        assert!(!cov.grouped, "a continuous covariate is not grouped");
        let saved = CovariateFit::from_json(&cov.to_json().unwrap()).unwrap();
        assert_eq!(saved.fit.params, cov.fit.params);
        assert_eq!(
            saved.coefficients().unwrap().len(),
            cov.coefficients().unwrap().len()
        );
    }
}

#[test]
fn a_constant_covariate_is_reported_singular() {
    let (cols, z) = data(ModelKind::BgNbd, 300, 5);
    let cols: Vec<&[f64]> = cols.iter().map(|c| c.as_slice()).collect();
    let ones: Vec<f64> = z
        .iter()
        .enumerate()
        .map(|(i, v)| if i % 2 == 0 { 1.0 } else { *v })
        .collect();
    let cov = fit(
        ModelKind::BgNbd,
        &cols,
        None,
        &ones,
        &spec(ModelKind::BgNbd),
        &FitOptions::default(),
        None,
    )
    .unwrap();
    assert!(cov.fit.standard_errors.iter().all(|s| s.is_nan()));
    assert!(cov.fit.warnings.iter().any(|w| w.contains("channel")));
}

#[test]
fn constraints_share_one_parameter_and_bad_specs_are_refused() {
    let mut s = spec(ModelKind::ParetoNbd);
    s.constrained = vec!["channel".into()];
    let layout = Layout::new(ModelKind::ParetoNbd, 4, &s).unwrap();
    assert_eq!(layout.n_free, 3);
    let shared: Vec<usize> = layout
        .rows
        .iter()
        .filter(|r| r.1 == "channel")
        .map(|r| r.2)
        .collect();
    assert_eq!(shared.len(), 2);
    assert_eq!(shared[0], shared[1]);
    let mut bad = spec(ModelKind::GammaGamma);
    bad.purchase = vec!["score".into()];
    assert!(Layout::new(ModelKind::GammaGamma, 3, &bad).is_err());
    let mut unknown = spec(ModelKind::BgNbd);
    unknown.dropout.push("age".into());
    assert!(Layout::new(ModelKind::BgNbd, 4, &unknown).is_err());
    let (cols, mut z) = data(ModelKind::BgNbd, 50, 1);
    z[7] = f64::NAN;
    let cols: Vec<&[f64]> = cols.iter().map(|c| c.as_slice()).collect();
    match fit(
        ModelKind::BgNbd,
        &cols,
        None,
        &z,
        &spec(ModelKind::BgNbd),
        &FitOptions::default(),
        None,
    ) {
        Err(ClmError::InvalidValue { arg, row, .. }) => {
            assert_eq!((arg.as_str(), row), ("score", 3))
        }
        other => panic!("expected an invalid value, got {other:?}"),
    }
}

#[test]
fn predictions_at_zero_coefficients_equal_the_plain_kernels() {
    let (cols, z) = data(ModelKind::ParetoNbd, 200, 9);
    let c: Vec<&[f64]> = cols.iter().map(|c| c.as_slice()).collect();
    let zeros = vec![0.0; z.len()];
    let cov = fit(
        ModelKind::ParetoNbd,
        &c,
        None,
        &zeros,
        &spec(ModelKind::ParetoNbd),
        &FitOptions::default(),
        None,
    )
    .unwrap();
    let m = crate::btyd::predict::count_model(ModelKind::ParetoNbd).unwrap();
    let rows = crate::btyd::predict::Rows {
        x: c[0],
        tx: c[1],
        t: c[2],
    };
    let plain = crate::btyd::predict::p_alive(m, &cov.fit.params[..4], &rows).unwrap();
    let ours = cov
        .predict(predict::Quantity::PAlive { ahead: 0.0 }, &c, &z)
        .unwrap();
    assert_eq!(plain, ours);
}

mod objective;
