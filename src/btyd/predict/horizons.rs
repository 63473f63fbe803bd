//! The multi-horizon kernel: every customer's conditional expected purchases at several
//! horizons in one pass, for the typed door's `conditional_expected_purchases(ts, ...)`.

use rayon::prelude::*;

use super::{check_horizon, CountModel, Rows};
use crate::error::{ClmError, Result};

/// E[purchases in (T, T + t]] for every horizon t in `ts` and every customer, horizon-major
/// (`ts.len()` rows of `rows.x.len()` values). Each customer's horizons come from one call of
/// [`CountModel::conditional_expected_purchases_many`], which shares the per-customer work
/// (P(alive), the posterior, the series terms) across horizons.
pub fn conditional_expected_purchases_horizons(
    model: &dyn CountModel,
    params: &[f64],
    ts: &[f64],
    rows: &Rows,
) -> Result<Vec<f64>> {
    for &t in ts {
        check_horizon("t", t)?;
    }
    rows.check(model, params)?;
    let (n, k) = (rows.x.len(), ts.len());
    let mut by_customer = zeros(n, k)?;
    if k == 0 {
        return Ok(by_customer);
    }
    let customer = |i: usize, out: &mut [f64]| {
        model.conditional_expected_purchases_many(params, ts, rows.x[i], rows.tx[i], rows.t[i], out)
    };
    let first_bad = by_customer
        .par_chunks_mut(k)
        .enumerate()
        .with_min_len(crate::numeric::grain::ITEMS_FORMULA)
        .filter_map(|(i, out)| customer(i, out).err().map(|_| i))
        .min();
    if let Some(i) = first_bad {
        // The lowest failing customer's error, whatever the thread count.
        customer(i, &mut vec![0.0; k])?;
    }
    if k == 1 {
        return Ok(by_customer);
    }
    let mut out = zeros(n, k)?;
    for (i, values) in by_customer.chunks_exact(k).enumerate() {
        for (j, &v) in values.iter().enumerate() {
            out[j * n + i] = v;
        }
    }
    Ok(out)
}

/// A zeroed n x k buffer, refused (not aborted) when it cannot be allocated.
fn zeros(n: usize, k: usize) -> Result<Vec<f64>> {
    let too_large = || {
        ClmError::InvalidArgument(format!(
            "{n} customers x {k} horizons is too large to allocate"
        ))
    };
    let size = n.checked_mul(k).ok_or_else(too_large)?;
    let mut v = Vec::new();
    v.try_reserve_exact(size).map_err(|_| too_large())?;
    v.resize(size, 0.0);
    Ok(v)
}
