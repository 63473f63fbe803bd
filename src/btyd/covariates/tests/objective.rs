//! The covariate likelihood, its gradient, its exact Hessian and the sampled start, checked
//! against the plain model, central differences and the full data.

use super::*;

#[test]
fn gradient_matches_central_differences_for_every_model() {
    for model in MODELS {
        let (layout, design, m) = objective_parts(model, false);
        let obj = CovObjective {
            model: m,
            layout: &layout,
            design: &design,
            base_penalizer: 0.01,
            total_weight: 400.0,
            cell: CellTerms::Differences,
        };
        let th = theta(&layout);
        let mut g = vec![0.0; th.len()];
        obj.value_grad(&th, &mut g);
        let mut scratch = vec![0.0; th.len()];
        for j in 0..th.len() {
            let h = 1e-6;
            let (mut up, mut dn) = (th.clone(), th.clone());
            up[j] += h;
            dn[j] -= h;
            let fd =
                (obj.value_grad(&up, &mut scratch) - obj.value_grad(&dn, &mut scratch)) / (2.0 * h);
            assert!(
                (fd - g[j]).abs() <= 1e-6 * (1.0 + g[j].abs()),
                "{model} theta[{j}]: analytic {} vs differences {fd}",
                g[j]
            );
        }
    }
}

#[test]
fn likelihood_is_the_plain_model_at_each_customers_params_grouped_or_not() {
    for model in MODELS {
        let (cols, z) = discrete(model);
        let (layout, ungrouped, m) = objective_parts(model, false);
        let (_, grouped, _) = objective_parts(model, true);
        let th = theta(&layout);
        let k = layout.k;
        // Brute reference: the plain model's per-customer likelihood at each one's parameters.
        let base: Vec<f64> = th[..k].iter().map(|v| v.exp()).collect();
        let mut brute = 0.0;
        for i in 0..400 {
            let mut p = vec![0.0; k];
            layout.params_at(&base, &th[k..], &z[2 * i..2 * i + 2], &mut p);
            let row: Vec<f64> = cols.iter().map(|c| c[i]).collect();
            brute += m.loglik_grad(&p, &row, &mut [0.0; MAX_PARAMS][..k]);
        }
        let total = |d: &Design| {
            CovObjective {
                model: m,
                layout: &layout,
                design: d,
                base_penalizer: 0.0,
                total_weight: 400.0,
                cell: CellTerms::Differences,
            }
            .total(&th)
        };
        let (a, ga) = total(&ungrouped);
        let (b, gb) = total(&grouped);
        assert!(grouped.cells.len() < 400 && grouped.patterns.len() <= 400);
        assert!(
            (a - brute).abs() <= 1e-9 * brute.abs(),
            "{model}: {a} vs brute {brute}"
        );
        assert!(
            (a - b).abs() <= 1e-9 * brute.abs(),
            "{model}: grouping changes ll"
        );
        for (x, y) in ga.iter().zip(&gb) {
            assert!(
                (x - y).abs() <= 1e-8 * (1.0 + x.abs()),
                "{model}: grouping changes grad"
            );
        }
        // The BHHH outer product sum_i w_i g_i g_i' is the same over customers one by one
        // (weight 1 each) and over weighted patterns.
        let opg = |d: &Design| {
            CovObjective {
                model: m,
                layout: &layout,
                design: d,
                base_penalizer: 0.0,
                total_weight: 400.0,
                cell: CellTerms::Differences,
            }
            .total_opg(&th)
            .2
        };
        let (oa, ob) = (opg(&ungrouped), opg(&grouped));
        let scale = oa.iter().fold(0.0f64, |s, v| s.max(v.abs()));
        assert!(scale > 0.0);
        for (x, y) in oa.iter().zip(&ob) {
            assert!(
                (x - y).abs() <= 1e-9 * scale,
                "{model}: outer product {x} vs {y}"
            );
        }
    }
}

#[test]
fn exact_hessian_matches_differences_of_the_gradient_for_every_model() {
    for model in MODELS {
        let shifts = match model {
            ModelKind::BgNbd | ModelKind::MbgNbd | ModelKind::ParetoNbd => {
                vec![CellTerms::Differences, CellTerms::of(model)]
            }
            _ => vec![CellTerms::Differences],
        };
        for (group, cell) in [false, true]
            .into_iter()
            .flat_map(|g| shifts.iter().map(move |&s| (g, s)))
        {
            let (layout, design, m) = objective_parts(model, group);
            let obj = CovObjective {
                model: m,
                layout: &layout,
                design: &design,
                base_penalizer: 0.0,
                total_weight: 400.0,
                cell,
            };
            let th = theta(&layout);
            let second = obj.second(&th);
            let (ll, grad) = obj.total(&th);
            assert!((second.ll - ll).abs() <= 1e-12 * ll.abs(), "{model}");
            for (a, b) in second.grad.iter().zip(&grad) {
                assert!(
                    (a - b).abs() <= 1e-10 * (1.0 + b.abs()),
                    "{model}: {a} vs {b}"
                );
            }
            let mut total_grad = |x: &[f64], g: &mut [f64]| g.copy_from_slice(&obj.total(x).1);
            let reference = numerical_hessian(&th, 1e-5, &mut total_grad);
            let scale = reference.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for (i, (a, b)) in second.hessian.iter().zip(&reference).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-6 * scale,
                    "{model} group {group} {cell:?} entry {i}: exact {a} vs differences {b}"
                );
            }
        }
    }
}

#[test]
fn a_sample_of_cells_keeps_their_data_and_scales_their_weights() {
    let (layout, design, m) = objective_parts(ModelKind::BgNbd, false);
    let sample = design.sample(3);
    assert_eq!(sample.cells.len(), design.cells.len().div_ceil(3));
    let weight: f64 = sample.patterns.weights.iter().sum();
    assert_eq!(weight, 3.0 * sample.cells.len() as f64);
    for (s, c) in (0..design.cells.len()).step_by(3).enumerate() {
        assert_eq!(sample.z_of(s), design.z_of(c));
        let (a, b) = (&sample.cells[s], &design.cells[c]);
        assert_eq!(a.len(), b.len());
        assert_eq!(sample.patterns.row(a.start), design.patterns.row(b.start));
    }
    // The sample's log-likelihood is 3 times that of the cells it keeps.
    fn objective<'a>(
        m: &'a dyn Model,
        layout: &'a Layout,
        d: &'a Design,
        w: f64,
    ) -> CovObjective<'a> {
        CovObjective {
            model: m,
            layout,
            design: d,
            base_penalizer: 0.0,
            total_weight: w,
            cell: CellTerms::Differences,
        }
    }
    let th = theta(&layout);
    let params = objective(m, &layout, &design, 400.0).cell_params(&th);
    let kept: f64 = (0..design.cells.len())
        .step_by(3)
        .map(|c| {
            let p = &params[c * 4..c * 4 + 4];
            let mut acc = [0.0; 5];
            m.accumulate(p, &design.patterns, design.cells[c].clone(), &mut acc);
            acc[0]
        })
        .sum();
    let ll = objective(m, &layout, &sample, weight).total(&th).0;
    assert!(
        (ll - 3.0 * kept).abs() <= 1e-10 * ll.abs(),
        "{ll} vs {}",
        3.0 * kept
    );
}

#[test]
fn a_sampled_hessian_keeps_the_exact_value_and_gradient() {
    for model in [ModelKind::BgNbd, ModelKind::ParetoNbd, ModelKind::Bgbb] {
        let (layout, design, m) = objective_parts(model, false);
        let obj = CovObjective {
            model: m,
            layout: &layout,
            design: &design,
            base_penalizer: 0.0,
            total_weight: 400.0,
            cell: CellTerms::of(model),
        };
        let th = theta(&layout);
        let exact = obj.second(&th);
        let sampled = obj.second_every(&th, 3);
        let (ll, grad) = obj.total(&th);
        assert!((sampled.ll - ll).abs() <= 1e-12 * ll.abs(), "{model}");
        for (a, b) in sampled.grad.iter().zip(&grad) {
            assert!(
                (a - b).abs() <= 1e-10 * (1.0 + b.abs()),
                "{model}: {a} vs {b}"
            );
        }
        // The Hessian is 3 times that of every third cell, computed by hand from their terms.
        let dim = th.len();
        let kept = Design {
            patterns: design.patterns.clone(),
            z: design.z.clone(),
            n_covariates: design.n_covariates,
            cells: design.cells.clone(),
            chunks: vec![(0..design.cells.len())
                .step_by(3)
                .map(|c| (c, design.cells[c].clone()))
                .collect()],
            grouped: design.grouped,
        };
        let by_hand = CovObjective {
            design: &kept,
            ..obj
        }
        .second(&th);
        let scale = exact.hessian.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for i in 0..dim * dim {
            let want = 3.0 * by_hand.hessian[i];
            assert!(
                (sampled.hessian[i] - want).abs() <= 1e-12 * scale,
                "{model} entry {i}: {} vs {want}",
                sampled.hessian[i]
            );
        }
        // ... and it is a fair estimate of the exact one (within a factor 2 on the diagonal).
        for j in 0..dim {
            let (s, e) = (sampled.hessian[j * dim + j], exact.hessian[j * dim + j]);
            assert!(
                s / e > 0.5 && s / e < 2.0,
                "{model} diagonal {j}: {s} vs {e}"
            );
        }
        assert_eq!(obj.second_every(&th, 1).hessian, exact.hessian, "{model}");
    }
}
