use super::*;

/// f(x) = sum exp(x_i) - a_i x_i, minimised at x_i = ln a_i: a convex but non-quadratic test.
fn objective(a: &[f64]) -> impl FnMut(&[f64]) -> Result<Option<Evaluation>> + '_ {
    move |x: &[f64]| {
        let n = x.len();
        let mut h = vec![0.0; n * n];
        let mut g = vec![0.0; n];
        let mut v = 0.0;
        for i in 0..n {
            v += x[i].exp() - a[i] * x[i];
            g[i] = x[i].exp() - a[i];
            h[i * n + i] = x[i].exp();
        }
        Ok(Some(Evaluation {
            value: v,
            gradient: g,
            hessian: h,
        }))
    }
}

#[test]
fn converges_to_the_minimum_with_far_start() {
    let a = [0.5, 3.0, 20.0];
    let mut f = objective(&a);
    let r = minimize(&[8.0, -6.0, 0.0], &NewtonOptions::default(), &mut f).unwrap();
    assert!(r.converged);
    for (x, ai) in r.x.iter().zip(a) {
        assert!((x - ai.ln()).abs() < 1e-10, "{x} vs {}", ai.ln());
    }
}

#[test]
fn final_step_squares_the_error_near_the_optimum_and_refuses_far_or_indefinite_points() {
    let a = [0.5, 3.0, 20.0];
    let mut f = objective(&a);
    let near: Vec<f64> = a.iter().map(|v| v.ln() + 1e-5).collect();
    let e = f(&near).unwrap().unwrap();
    let stepped = final_step(&near, &e.gradient, &e.hessian);
    for (x, ai) in stepped.iter().zip(a) {
        // error 1e-5 -> ~(1e-5)^2 / 2 for exp(x) - a x
        assert!((x - ai.ln()).abs() < 1e-9, "{x} vs {}", ai.ln());
    }
    let far = [3.0, 3.0, 3.0];
    let e = f(&far).unwrap().unwrap();
    assert_eq!(final_step(&far, &e.gradient, &e.hessian), far.to_vec());
    assert_eq!(final_step(&[0.0], &[1e-6], &[-1.0]), vec![0.0]);
}

#[test]
fn unbounded_objective_is_a_convergence_error_or_unconverged() {
    // f(x) = exp(-x) has no minimum: Newton walks off and must not loop forever.
    let mut f = |x: &[f64]| -> Result<Option<Evaluation>> {
        let e = (-x[0]).exp();
        Ok(Some(Evaluation {
            value: e,
            gradient: vec![-e],
            hessian: vec![e],
        }))
    };
    let opts = NewtonOptions {
        max_iter: 50,
        ..Default::default()
    };
    match minimize(&[0.0], &opts, &mut f) {
        Ok(r) => assert!(r.x[0] > 10.0),
        Err(e) => assert!(matches!(e, ClmError::Convergence { .. })),
    }
}
