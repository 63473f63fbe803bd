//! When will a customer's next purchase be expected? The time t at which the conditional
//! expected number of purchases E[Y(t)] in (T, T + t] reaches a target (one purchase).
//!
//! E[Y(t)] increases in t, so the crossing is bracketed on a grid of `points` equally spaced
//! times in (0, horizon] and linearly interpolated between the two grid times around it (with
//! E[Y(0)] = 0). All grid times of one customer come from ONE multi-horizon kernel call
//! (`CountModel::conditional_expected_purchases_many`, which sums the series behind the
//! expectation once for all horizons) instead of one pass over all customers per grid time;
//! customers who do not reach the target within the horizon need one evaluation only.

use crate::btyd::predict::{CountModel, Rows};
use crate::error::{ClmError, Result};
use crate::parallel;

/// Most grid points per customer (the grid is allocated per parallel task).
pub const MAX_POINTS: usize = 10_000;

/// Time (model units) at which E[Y(t)] reaches `target` for each customer, or NaN when it
/// stays below `target` up to `horizon`.
pub fn time_to_expected_purchases(
    model: &dyn CountModel,
    params: &[f64],
    rows: &Rows,
    target: f64,
    horizon: f64,
    points: usize,
) -> Result<Vec<f64>> {
    if !(target.is_finite() && target > 0.0) {
        return Err(ClmError::InvalidArgument(format!(
            "target must be a finite number > 0, got {target}"
        )));
    }
    if !(horizon.is_finite() && horizon > 0.0) {
        return Err(ClmError::InvalidArgument(format!(
            "horizon must be a finite number > 0, got {horizon}"
        )));
    }
    if points == 0 || points > MAX_POINTS {
        return Err(ClmError::InvalidArgument(format!(
            "points must be 1 to {MAX_POINTS}, got {points}"
        )));
    }
    crate::btyd::check_params(model.names(), params)?;
    model.check_data(&[rows.x, rows.tx, rows.t])?;
    // The same grid as np.linspace(0, horizon, points + 1)[1:].
    let step = horizon / points as f64;
    let times: Vec<f64> = (1..=points)
        .map(|k| {
            if k == points {
                horizon
            } else {
                k as f64 * step
            }
        })
        .collect();
    parallel::try_map(rows.x.len(), |i| {
        // Most customers never reach the target within the horizon: one evaluation there
        // settles them (E[Y] increases in t) before the grid is computed.
        let within = model
            .conditional_expected_purchases(params, horizon, rows.x[i], rows.tx[i], rows.t[i])?;
        if within.is_nan() || within < target {
            return Ok(f64::NAN);
        }
        let mut expected = vec![0.0; points];
        model.conditional_expected_purchases_many(
            params,
            &times,
            rows.x[i],
            rows.tx[i],
            rows.t[i],
            &mut expected,
        )?;
        Ok(crossing(&times, &expected, target))
    })
}

/// First grid time where `expected` reaches `target`, interpolated from the previous point.
fn crossing(times: &[f64], expected: &[f64], target: f64) -> f64 {
    let (mut prev_t, mut prev_e) = (0.0, 0.0);
    for (&t, &e) in times.iter().zip(expected) {
        if e >= target {
            let frac = (target - prev_e) / (e - prev_e).max(1e-300);
            return prev_t + frac.clamp(0.0, 1.0) * (t - prev_t);
        }
        (prev_t, prev_e) = (t, e);
    }
    f64::NAN
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btyd::bgnbd::{conditional_expected_purchases, BgNbd};

    const P: [f64; 4] = [0.2425945, 4.4136019 * 7.0, 0.7929199, 2.4258881];

    #[test]
    fn equals_one_horizon_at_a_time_and_brackets_the_crossing() {
        let (x, tx, t) = (
            [12.0, 2.0, 30.0, 0.0],
            [250.0, 30.0, 260.0, 0.0],
            [270.0, 270.0, 270.0, 100.0],
        );
        let rows = Rows {
            x: &x,
            tx: &tx,
            t: &t,
        };
        let got = time_to_expected_purchases(&BgNbd, &P, &rows, 1.0, 365.0, 48).unwrap();
        let grid: Vec<f64> = (0..=48).map(|k| 365.0 * k as f64 / 48.0).collect();
        for i in 0..4 {
            let e = |u: f64| {
                if u == 0.0 {
                    0.0
                } else {
                    conditional_expected_purchases(&P, u, x[i], tx[i], t[i]).unwrap()
                }
            };
            // The reference: scan the grid one horizon at a time, as Python did.
            let want = (1..=48).find(|&k| e(grid[k]) >= 1.0).map_or(f64::NAN, |k| {
                let (a, b) = (e(grid[k - 1]), e(grid[k]));
                grid[k - 1] + ((1.0 - a) / (b - a)).clamp(0.0, 1.0) * (grid[k] - grid[k - 1])
            });
            if want.is_nan() {
                assert!(got[i].is_nan(), "row {i}: {}", got[i]);
            } else {
                assert!(
                    (got[i] - want).abs() < 1e-9,
                    "row {i}: {} vs {want}",
                    got[i]
                );
                // The expectation at the interpolated time is close to the target.
                assert!((e(got[i]) - 1.0).abs() < 0.05, "row {i}");
            }
        }
        assert!(got[0].is_finite() && got[3].is_nan());
    }

    #[test]
    fn bad_options_are_errors() {
        let rows = Rows {
            x: &[1.0],
            tx: &[1.0],
            t: &[2.0],
        };
        assert!(time_to_expected_purchases(&BgNbd, &P, &rows, 0.0, 1.0, 4).is_err());
        assert!(time_to_expected_purchases(&BgNbd, &P, &rows, 1.0, f64::INFINITY, 4).is_err());
        assert!(time_to_expected_purchases(&BgNbd, &P, &rows, 1.0, 1.0, 1 << 40).is_err());
    }
}
