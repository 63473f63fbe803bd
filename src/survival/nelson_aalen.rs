//! Nelson-Aalen estimator of the cumulative hazard, H(t) = sum_{t_j <= t} d_j / n_j, with
//! the variance sum d_j (n_j - d_j) / n_j^3 (Klein 1991, the estimator lifelines uses without
//! smoothing) and log-transformed bounds H exp(+-z sd / H), as lifelines reports them.

use rayon::prelude::*;

use super::kaplan_meier::EventTable;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CumulativeHazard {
    pub cumulative_hazard: Vec<f64>,
    pub variance: Vec<f64>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
}

pub fn nelson_aalen(table: &EventTable, z: f64) -> CumulativeHazard {
    let m = table.times.len();
    let mut cumulative_hazard = Vec::with_capacity(m);
    let mut variance = Vec::with_capacity(m);
    let (mut h, mut v) = (0.0f64, 0.0f64);
    for k in 0..m {
        let (d, n) = (table.observed[k], table.risk_set(k));
        if d > 0.0 && n > 0.0 {
            h += d / n;
            v += d * (n - d) / (n * n * n);
        }
        cumulative_hazard.push(h);
        variance.push(v);
    }
    // pointwise bounds: parallel over rows with the same bits
    let (lower, upper) = cumulative_hazard
        .par_iter()
        .zip(&variance)
        .with_min_len(crate::numeric::grain::ITEMS_POINTWISE)
        .map(|(&h, &v)| {
            if h > 0.0 {
                let f = (z * v.sqrt() / h).exp();
                (h / f, h * f)
            } else {
                (0.0, 0.0)
            }
        })
        .unzip();
    CumulativeHazard {
        cumulative_hazard,
        variance,
        lower,
        upper,
    }
}

#[cfg(test)]
mod tests {
    use super::super::events::Events;
    use super::super::kaplan_meier::event_table;
    use super::*;

    #[test]
    fn matches_hand_computation() {
        let tab = event_table(
            &[1.0, 2.0, 2.0, 3.0],
            Events::F64(&[1.0, 1.0, 0.0, 1.0]),
            None,
            None,
        )
        .unwrap();
        let na = nelson_aalen(&tab, 1.96);
        let expected = [0.25, 0.25 + 1.0 / 3.0, 0.25 + 1.0 / 3.0 + 1.0];
        for (h, e) in na.cumulative_hazard.iter().zip(expected) {
            assert!((h - e).abs() < 1e-15);
        }
        assert!((na.variance[0] - 3.0 / 64.0).abs() < 1e-15);
        assert!(na.lower[2] < na.cumulative_hazard[2] && na.upper[2] > na.cumulative_hazard[2]);
    }
}
