//! Tests of the prediction kernels: grids against rows, the multi-horizon kernel against
//! the one-horizon kernel, and the predictions of each model kind.

use super::*;

const BG: [f64; 4] = [0.243, 4.414, 0.793, 2.426];

#[test]
fn grid_matches_row_kernels_on_possible_histories() {
    let grid = Grid {
        max_frequency: 3,
        max_recency: 5,
        big_t: 6.0,
    };
    let model = count_model(ModelKind::ParetoNbd).unwrap();
    let p = [0.553, 10.578, 0.606, 11.668];
    let alive = p_alive_grid(model, &p, &grid).unwrap();
    let expected = conditional_expected_purchases_grid(model, &p, 4.0, &grid).unwrap();
    assert_eq!(alive.len(), 6 * 4);
    for (i, (&a, &e)) in alive.iter().zip(&expected).enumerate() {
        let (x, tx) = grid.cell(i);
        assert_eq!(tx as usize, i / 4);
        if x == 0.0 && tx > 0.0 {
            assert!(
                a.is_finite() && (0.0..=1.0).contains(&a),
                "impossible cell evaluated: {a}"
            );
            continue;
        }
        let rows = Rows {
            x: &[x],
            tx: &[tx],
            t: &[6.0],
        };
        assert_eq!(a, p_alive(model, &p, &rows).unwrap()[0]);
        assert_eq!(
            e,
            conditional_expected_purchases(model, &p, 4.0, &rows).unwrap()[0]
        );
    }
}

#[test]
fn grid_checks_its_shape() {
    let model = count_model(ModelKind::BgNbd).unwrap();
    let too_old = Grid {
        max_frequency: 2,
        max_recency: 7,
        big_t: 6.0,
    };
    assert!(p_alive_grid(model, &BG, &too_old).is_err());
    let bad_age = Grid {
        max_frequency: 2,
        max_recency: 0,
        big_t: f64::NAN,
    };
    assert!(p_alive_grid(model, &BG, &bad_age).is_err());
    // BG/NBD: no repeat purchase means alive, whatever the recency cell says.
    let grid = Grid {
        max_frequency: 1,
        max_recency: 3,
        big_t: 3.0,
    };
    let alive = p_alive_grid(model, &BG, &grid).unwrap();
    assert_eq!(alive[2], 1.0);
}

/// The multi-horizon kernel gives, bit for bit, what the one-horizon kernel gives at each
/// horizon (customers with and without repeat purchases, zero horizon included), for every
/// continuous-time count model.
#[test]
fn horizons_equal_one_horizon_kernel_bit_for_bit() {
    let x = [0.0, 1.0, 2.0, 7.0, 30.0];
    let tx = [0.0, 5.5, 30.43, 35.0, 38.0];
    let t = [38.86, 20.0, 38.86, 39.0, 38.5];
    let rows = Rows {
        x: &x,
        tx: &tx,
        t: &t,
    };
    let ts = [0.0, 1.0, 39.0, 52.0, 520.0];
    for (name, p) in [
        (ModelKind::BgNbd, BG),
        (ModelKind::MbgNbd, [0.525, 6.183, 0.891, 1.614]),
        (ModelKind::ParetoNbd, [0.553, 10.578, 0.606, 11.668]),
    ] {
        let model = count_model(name).unwrap();
        let all = conditional_expected_purchases_horizons(model, &p, &ts, &rows).unwrap();
        assert_eq!(all.len(), ts.len() * x.len());
        for (j, &h) in ts.iter().enumerate() {
            let one = conditional_expected_purchases(model, &p, h, &rows).unwrap();
            let row = &all[j * x.len()..(j + 1) * x.len()];
            for (a, b) in row.iter().zip(&one) {
                assert_eq!(a.to_bits(), b.to_bits(), "{name} t={h}: {a} vs {b}");
            }
        }
        // The horizons are checked like the one-horizon argument, and the rows as always.
        assert!(conditional_expected_purchases_horizons(model, &p, &[1.0, -1.0], &rows).is_err());
        let bad = Rows {
            x: &[1.0],
            tx: &[50.0],
            t: &[38.0],
        };
        assert!(conditional_expected_purchases_horizons(model, &p, &[1.0], &bad).is_err());
        let none = conditional_expected_purchases_horizons(model, &p, &[], &rows).unwrap();
        assert!(none.is_empty());
    }
}

#[test]
fn count_models_are_the_continuous_time_kinds() {
    for kind in [ModelKind::BgNbd, ModelKind::MbgNbd, ModelKind::ParetoNbd] {
        let model = kind.count().unwrap();
        assert_eq!(model.names(), kind.param_names());
        assert_eq!(model.columns(), kind.model().columns());
    }
    assert!(ModelKind::Bgbb.count().is_none() && ModelKind::GammaGamma.count().is_none());
    let err = count_model(ModelKind::GammaGamma)
        .err()
        .map(|e| e.to_string());
    let err = err.unwrap_or_default();
    assert!(
        err.contains("gammagamma is not a purchase-count model"),
        "{err}"
    );
}

/// A prediction the model does not make is refused, naming it and the model; BG/BB and
/// Gamma-Gamma reach their own kernels through the same predictor.
#[test]
fn predictor_refuses_what_the_model_does_not_predict() {
    let rows = Rows {
        x: &[2.0],
        tx: &[4.0],
        t: &[6.0],
    };
    let gg = ModelKind::GammaGamma;
    let err = gg.p_alive(&[6.0, 4.0, 16.0], &rows, 0.0).unwrap_err();
    assert!(err
        .to_string()
        .contains("p_alive is not a prediction of the gammagamma model"));
    let bg = ModelKind::BgNbd;
    assert!(bg.p_alive(&BG, &rows, 1.0).is_err());
    assert!(bg.dert(&BG, 0.01, f64::INFINITY, &rows).is_err());
    assert!(bg.generate(&BG, &[5.0], 1).is_err());
    assert!(bg.conditional_expected_spend(&BG, &[1.0], &[2.0]).is_err());
    let bgbb = ModelKind::Bgbb;
    let p = [1.2, 0.75, 0.66, 2.78];
    let ahead = bgbb.p_alive(&p, &rows, 1.0).unwrap();
    let rows_b = crate::btyd::bgbb::Rows {
        x: rows.x,
        tx: rows.tx,
        n: rows.t,
    };
    assert_eq!(
        ahead,
        crate::btyd::bgbb::p_alive_rows(&p, 1.0, &rows_b).unwrap()
    );
    let both = bgbb
        .conditional_expected_purchases(&p, &[1.0, 5.0], &rows)
        .unwrap();
    let five = crate::btyd::bgbb::conditional_expected_purchases_rows(&p, 5.0, &rows_b).unwrap();
    assert_eq!(both.len(), 2);
    assert_eq!(both[1], five[0]);
    assert!(bgbb
        .conditional_probability_of_n_purchases(&p, 1.0, 0.0, &rows)
        .is_err());
    let spend = gg.conditional_expected_spend(&[6.0, 4.0, 16.0], &[0.0, 2.0], &[0.0, 30.0]);
    assert_eq!(
        spend.unwrap(),
        crate::btyd::gammagamma::conditional_expected_spend_many(
            &[6.0, 4.0, 16.0],
            &[0.0, 2.0],
            &[0.0, 30.0]
        )
        .unwrap()
    );
}
