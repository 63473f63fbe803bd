//! The exact second derivatives against central differences of the model's own analytic
//! gradient (an independent route: `loglik_grad` and `unit_series`), on a grid of both
//! branches (α >= β and α < β), x = 0 and heavy buyers, t_x = T and t_x < T.

use super::*;
use crate::btyd::paretonbd::loglik_grad;
use crate::numeric::hypergeometric::unit_series;

const GRID: [Params; 6] = [
    [0.5534, 10.5802, 0.6061, 11.6562],
    [0.55, 11.67, 0.61, 10.58],
    [1.3, 2.0, 0.4, 2.0],
    [2.0, 0.5, 1.5, 6.0],
    [0.8, 0.06, 0.7, 0.1],
    [0.05, 3.0, 2.5, 0.9],
];
const CUSTOMERS: [(f64, f64, f64); 6] = [
    (0.0, 0.0, 1.0),
    (0.0, 0.0, 38.9),
    (1.0, 0.5, 0.7),
    (2.0, 30.4, 38.9),
    (7.0, 3.0, 3.0),
    (60.0, 20.0, 52.0),
];

#[test]
fn series_hessian_matches_differences_of_the_series_gradient() {
    for &(p, g, z) in &[
        (1.5, 3.2, 0.4),
        (0.3, 8.0, 0.05),
        (40.0, 41.5, 0.9),
        (2.0, 1.5, 0.7),
        (1.0, 2.0, 0.99),
    ] {
        let s = unit_series2(p, g, z).unwrap();
        let plain = unit_series(p, g, z);
        assert!((s.ln_value - plain.ln_value).abs() <= 1e-14 * plain.ln_value.abs().max(1.0));
        let d = [plain.d_p, plain.d_g, plain.d_z];
        for (a, b) in s.d.iter().zip(&d) {
            assert!((a - b).abs() <= 1e-13 * b.abs().max(1.0), "{p} {g} {z}");
        }
        // Column j of the Hessian: central differences of the gradient in argument j.
        let at = |q: [f64; 3]| {
            let u = unit_series(q[0], q[1], q[2]);
            [u.d_p, u.d_g, u.d_z]
        };
        let full = [
            [s.h[0], s.h[1], s.h[2]],
            [s.h[1], s.h[3], s.h[4]],
            [s.h[2], s.h[4], s.h[5]],
        ];
        for j in 0..3 {
            let mut q = [p, g, z];
            let step = 1e-5 * q[j];
            q[j] += step;
            let up = at(q);
            q[j] -= 2.0 * step;
            let dn = at(q);
            for i in 0..3 {
                let fd = (up[i] - dn[i]) / (2.0 * step);
                assert!(
                    (fd - full[i][j]).abs() <= 1e-6 * full[i][j].abs().max(1.0),
                    "({p}, {g}, {z}) h[{i}][{j}]: exact {} vs differences {fd}",
                    full[i][j]
                );
            }
        }
    }
    // At z = 0 the limits: derivatives of (p/g) z + (p(p+1)/(g(g+1)) - (p/g)²/2) z².
    let s = unit_series2(1.5, 3.2, 0.0).unwrap();
    let t = unit_series2(1.5, 3.2, 1e-9).unwrap();
    for j in 0..6 {
        assert!(
            (s.h[j] - t.h[j]).abs() <= 1e-7,
            "z = 0 entry {j}: {} vs {}",
            s.h[j],
            t.h[j]
        );
    }
    assert!(unit_series2(1.0, 2.0, 0.995).is_none());
}

/// ll and its log-parameter gradient from the model's first-order code.
fn first(p: &Params, x: f64, tx: f64, t: f64) -> (f64, [f64; 4]) {
    let mut g = [0.0; 4];
    let ll = loglik_grad(p, x, tx, t, &mut g);
    for j in 0..4 {
        g[j] *= p[j];
    }
    (ll, g)
}

#[test]
fn customer_hessian_matches_differences_of_the_analytic_gradient() {
    for p in GRID {
        for &(x, tx, t) in &CUSTOMERS {
            let (mut g, mut h) = ([0.0; 4], [0.0; 16]);
            // A table for another r: the terms are computed directly.
            let other = FrequencyTable::new(p[0] + 1.0, 100.0);
            let ll = loglik_log_second(&p, (x, tx, t), &other, &mut g, &mut h).unwrap();
            let table = FrequencyTable::new(p[0], 100.0);
            let (mut gt, mut ht) = ([0.0; 4], [0.0; 16]);
            let llt = loglik_log_second(&p, (x, tx, t), &table, &mut gt, &mut ht).unwrap();
            assert_eq!((ll, g, h), (llt, gt, ht), "{p:?} ({x}, {tx}, {t}): table");
            let mut g1 = [0.0; 4];
            let first_ll = loglik_grad_table(&p, x, tx, t, &table, &mut g1);
            let mut g2 = [0.0; 4];
            assert_eq!(first_ll, loglik_grad(&p, x, tx, t, &mut g2), "{p:?}");
            assert_eq!(g1, g2, "{p:?} ({x}, {tx}, {t}): first-order gradient");
            let (want, want_g) = first(&p, x, tx, t);
            assert!(
                (ll - want).abs() <= 1e-12 * want.abs().max(1.0),
                "{p:?} ({x}, {tx}, {t}): {ll} vs {want}"
            );
            for j in 0..4 {
                assert!(
                    (g[j] - want_g[j]).abs() <= 1e-10 * want_g[j].abs().max(1.0),
                    "{p:?} ({x}, {tx}, {t}) g{j}: {} vs {}",
                    g[j],
                    want_g[j]
                );
            }
            let scale = h.iter().fold(1.0f64, |m, v| m.max(v.abs()));
            for j in 0..4 {
                let step: f64 = 1e-5;
                let (mut up, mut dn) = (p, p);
                up[j] *= step.exp();
                dn[j] *= (-step).exp();
                let (gu, gd) = (first(&up, x, tx, t).1, first(&dn, x, tx, t).1);
                for i in 0..4 {
                    let fd = (gu[i] - gd[i]) / (2.0 * step);
                    assert!(
                        (fd - h[i * 4 + j]).abs() <= 1e-7 * scale,
                        "{p:?} ({x}, {tx}, {t}) h[{i}][{j}]: exact {} vs differences {fd}",
                        h[i * 4 + j]
                    );
                }
            }
        }
    }
}

#[test]
fn quadrature_customers_are_left_to_the_caller() {
    // z = (1e7 - 0.8) / 1e7 > 0.99 at u = 0: `tail` integrates, so no series Hessian.
    let (mut g, mut h) = ([0.0; 4], [0.0; 16]);
    let p = [0.8, 0.8, 0.5, 1e7];
    let table = FrequencyTable::new(0.8, 10.0);
    assert!(loglik_log_second(&p, (2.0, 0.0, 5.0), &table, &mut g, &mut h).is_none());
    // t_x = T needs no tail at all.
    assert!(loglik_log_second(&p, (2.0, 5.0, 5.0), &table, &mut g, &mut h).is_some());
}

/// (parameters, (x, t_x, T), Hessian upper triangle).
type Case = (Params, (f64, f64, f64), [f64; 10]);

/// Upper triangles (rr, rα, rs, rβ, αα, αs, αβ, ss, sβ, ββ) of the Hessian in log-parameters
/// by mpmath 1.4.1 at 40 digits: `mp.diff` of the note's closed form (Fader & Hardie 2005,
/// ln of Γ(r+x) α^r β^s / Γ(r) [(α+T)^-(r+x) (β+T)^-s + s/(r+s+x) A0], A0 from
/// `mp.hyp2f1`), a route independent of the series and of this crate:
/// `mp.diff(lambda *u: ll(u, x, tx, T), [mp.log(v) for v in p], n)` for each pair n.
const MPMATH: [Case; 3] = [
    (
        [0.5534, 10.5802, 0.6061, 11.6562],
        (2.0, 30.43, 38.86),
        [
            -0.6159783611138028,
            0.4327633452068614,
            0.00696809352144053,
            -0.001827294620169633,
            -0.4331923282533504,
            -0.007355620354038275,
            0.001930684406229925,
            -0.752748308525229,
            0.4315809251336746,
            -0.1250686824207885,
        ],
    ),
    (
        [2.0, 0.5, 1.5, 6.0],
        (0.0, 0.0, 3.0),
        [
            0.06245800705396688,
            0.2296322939618767,
            0.512099290214438,
            -0.5102604136158319,
            -0.05875701501433617,
            -0.1899262958636209,
            0.1958222570799559,
            0.06795904140963185,
            -0.06829268189484429,
            0.03303992339442459,
        ],
    ),
    (
        [0.8, 0.06, 0.7, 0.1],
        (7.0, 0.3, 0.9),
        [
            -0.5418550038404636,
            0.6679409115561663,
            0.01073468221203135,
            -0.004268169985515773,
            -0.9678422785316639,
            -0.01282996973728417,
            0.005372944134734574,
            -1.034420108951134,
            0.5379522495188931,
            -0.2935624599738547,
        ],
    ),
];

#[test]
fn customer_hessian_matches_mpmath() {
    for (p, customer, want) in MPMATH {
        let (mut g, mut h) = ([0.0; 4], [0.0; 16]);
        let table = FrequencyTable::new(p[0], 10.0);
        loglik_log_second(&p, customer, &table, &mut g, &mut h).unwrap();
        let mut k = 0;
        for i in 0..4 {
            for j in i..4 {
                assert!(
                    (h[i * 4 + j] - want[k]).abs() <= 1e-11 * want[k].abs().max(0.1),
                    "{p:?} {customer:?} h[{i}][{j}]: {} vs mpmath {}",
                    h[i * 4 + j],
                    want[k]
                );
                k += 1;
            }
        }
    }
}
