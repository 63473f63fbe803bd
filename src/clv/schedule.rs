//! The discounting schedule of a CLV: the horizons at which E[Y] is evaluated and the
//! weight each gets (see the parent module for the derivation).

use crate::error::{ClmError, Result};

/// Most discounting periods a CLV may have: 10,000 months are 833 years, 10,000 days 27.
/// Every customer (or pattern) needs one expectation per period, so a user-sized horizon
/// is bounded before anything is allocated.
pub const MAX_HORIZON: usize = 10_000;

/// Horizons at which E[Y] is evaluated and the weight each gets.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub times: Vec<f64>,
    pub weights: Vec<f64>,
}

/// Gauss-Legendre nodes and weights on [-1, 1], 4 points (exact for degree 7).
const GL4: [(f64, f64); 4] = [
    (-0.861_136_311_594_052_6, 0.347_854_845_137_453_9),
    (-0.339_981_043_584_856_3, 0.652_145_154_862_546_1),
    (0.339_981_043_584_856_3, 0.652_145_154_862_546_1),
    (0.861_136_311_594_052_6, 0.347_854_845_137_453_9),
];

impl Schedule {
    /// `horizon` periods of length `period` (model time units), `discount_rate` per period.
    pub fn new(
        horizon: usize,
        period: f64,
        discount_rate: f64,
        continuous: bool,
    ) -> Result<Schedule> {
        if horizon == 0 || horizon > MAX_HORIZON {
            return Err(ClmError::InvalidArgument(format!(
                "horizon must be 1 to {MAX_HORIZON} periods, got {horizon}; for a longer \
                 horizon use a longer period (e.g. months instead of days)"
            )));
        }
        if !(period.is_finite() && period > 0.0) {
            return Err(ClmError::InvalidArgument(format!(
                "period must be finite and > 0, got {period}"
            )));
        }
        if !(discount_rate.is_finite() && discount_rate > -1.0) {
            return Err(ClmError::InvalidArgument(format!(
                "discount_rate must be finite and > -1, got {discount_rate}"
            )));
        }
        let discount = |k: f64| (1.0 + discount_rate).powf(-k);
        let (mut times, mut weights) = (Vec::new(), Vec::new());
        if continuous {
            // By parts: int_0^{HP} D(u) dE(u) = E(HP) D(H) + kappa int_0^{HP} E(u) D(u) du,
            // D(u) = (1 + d)^(-u/P), kappa = ln(1 + d) / P; 4-point Gauss-Legendre per period.
            let kappa = (1.0 + discount_rate).ln() / period;
            for k in 0..horizon {
                for (node, w) in GL4 {
                    let u = period * (k as f64 + 0.5 * (node + 1.0));
                    times.push(u);
                    weights.push(kappa * discount(u / period) * w * 0.5 * period);
                }
            }
            times.push(period * horizon as f64);
            weights.push(discount(horizon as f64));
        } else {
            // sum_k (E_k - E_{k-1}) D_k = sum_k E_k (D_k - D_{k+1}) with D_{H+1} = 0, E_0 = 0.
            for k in 1..=horizon {
                times.push(period * k as f64);
                let next = if k == horizon {
                    0.0
                } else {
                    discount(k as f64 + 1.0)
                };
                weights.push(discount(k as f64) - next);
            }
        }
        Ok(Schedule { times, weights })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_schedules_are_errors() {
        assert!(Schedule::new(0, 30.0, 0.01, false).is_err());
        assert!(Schedule::new(12, -1.0, 0.01, false).is_err());
        assert!(Schedule::new(12, 30.0, f64::NAN, false).is_err());
    }

    #[test]
    fn huge_horizons_are_refused_before_allocating() {
        // 10^10 periods would need 160 GB of schedule (800 GB continuous).
        for continuous in [false, true] {
            let err = Schedule::new(10_000_000_000, 1.0, 0.01, continuous)
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("horizon must be 1 to 10000"), "{err}");
        }
        let s = Schedule::new(MAX_HORIZON, 1.0, 0.0, false).unwrap();
        assert_eq!(s.times.len(), MAX_HORIZON);
    }
}
