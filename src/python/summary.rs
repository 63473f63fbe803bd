//! Binding of the transaction summary.

use numpy::{IntoPyArray, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::{run, to_pyerr};
use crate::summary::kernel::{self, CustomerIds, Log, Options};
use crate::summary::{slots, summarize, Freq, SummaryOptions};

/// Summarises a log given as dense customer codes, int64 nanosecond timestamps and optional
/// float64 values. Returns a dict of column arrays, one row per customer with a transaction
/// in the observation window (`customer` holds the codes of those rows).
#[pyfunction]
#[pyo3(signature = (codes, n_customers, times_ns, values, freq, freq_multiplier, include_first_transaction, observation_end_ns))]
#[allow(clippy::too_many_arguments)]
fn summarize_codes<'py>(
    py: Python<'py>,
    codes: PyReadonlyArray1<'py, i64>,
    n_customers: usize,
    times_ns: PyReadonlyArray1<'py, i64>,
    values: Option<PyReadonlyArray1<'py, f64>>,
    freq: &str,
    freq_multiplier: f64,
    include_first_transaction: bool,
    observation_end_ns: i64,
) -> PyResult<Bound<'py, PyDict>> {
    let opts = SummaryOptions {
        freq: Freq::parse(freq).map_err(to_pyerr)?,
        freq_multiplier,
        include_first_transaction,
        observation_end_ns,
    };
    let codes = codes.as_slice()?;
    let times = times_ns.as_slice()?;
    let values = values.as_ref().map(|v| v.as_slice()).transpose()?;
    let s = run(py, || summarize(codes, n_customers, times, values, &opts))?;
    let out = PyDict::new(py);
    out.set_item("customer", s.customer.into_pyarray(py))?;
    out.set_item("frequency", s.frequency.into_pyarray(py))?;
    out.set_item("recency", s.recency.into_pyarray(py))?;
    out.set_item("T", s.t.into_pyarray(py))?;
    out.set_item("monetary_value", s.monetary_value.into_pyarray(py))?;
    out.set_item("n_periods", s.n_periods.into_pyarray(py))?;
    out.set_item("total_value", s.total_value.into_pyarray(py))?;
    out.set_item("gap_before_last", s.gap_before_last.into_pyarray(py))?;
    out.set_item("first_purchase_ns", s.first_purchase_ns.into_pyarray(py))?;
    out.set_item("last_purchase_ns", s.last_purchase_ns.into_pyarray(py))?;
    Ok(out)
}

/// Summarises a log given as int64 customer ids (or dense codes when `n_codes` is given),
/// int64 timestamps in ticks of `1 / ticks_per_second` s and optional float64 values.
///
/// Returns a dict: `ids` (ascending customer ids, or codes) or, when they are consecutive,
/// `id_start` (ids `id_start .. id_start + n`), `block` and `offset` (the rows:
/// `block[offset:offset + 8 * n].reshape(n, 8)`), `fields` (the names of the 8 values of a
/// row, in order: frequency, recency, T, monetary_value, n_periods, total_value, inactivity,
/// gap_before_last), `first_ns`,
/// `last_ns` (int64 ns) and `end_ns` (the observation end used). With `columns=True`,
/// `columns` (the 8 columns as contiguous arrays) replaces `block` and `offset`.
/// `last_tick` leaves out transactions after that time (ticks), values still checked.
#[pyfunction]
#[pyo3(signature = (ids, n_codes, times, ticks_per_second, values, freq, freq_multiplier, include_first_transaction, observation_end_ns, columns=false, last_tick=None))]
#[allow(clippy::too_many_arguments)]
fn summarize_log<'py>(
    py: Python<'py>,
    ids: PyReadonlyArray1<'py, i64>,
    n_codes: Option<usize>,
    times: PyReadonlyArray1<'py, i64>,
    ticks_per_second: i64,
    values: Option<PyReadonlyArray1<'py, f64>>,
    freq: &str,
    freq_multiplier: f64,
    include_first_transaction: bool,
    observation_end_ns: Option<i64>,
    columns: bool,
    last_tick: Option<i64>,
) -> PyResult<Bound<'py, PyDict>> {
    let opts = Options {
        freq: Freq::parse(freq).map_err(to_pyerr)?,
        freq_multiplier,
        include_first_transaction,
        observation_end_ns,
        last_tick,
    };
    let ids = ids.as_slice()?;
    let times = times.as_slice()?;
    let values = values.as_ref().map(|v| v.as_slice()).transpose()?;
    let mut table = run(py, || {
        crate::error::check_same_length(&[
            ("customer ids", ids.len()),
            ("datetimes", times.len()),
        ])?;
        let (slots, n_slots) = match n_codes {
            Some(n) => slots::from_codes(ids, n)?,
            None => slots::from_ids(ids)?,
        };
        let log = Log {
            slots: &slots,
            n_slots,
            times,
            ticks_per_second,
            values,
        };
        kernel::run(&log, &opts)
    })?;
    let out = PyDict::new(py);
    out.set_item("n", table.n)?;
    out.set_item("fields", crate::summary::FIELDS.to_vec())?;
    if columns {
        let cols = py.detach(|| table.take_columns());
        let arrays: Vec<_> = cols.into_iter().map(|c| c.into_pyarray(py)).collect();
        out.set_item("columns", arrays)?;
    } else {
        out.set_item("block", table.buffer.into_pyarray(py))?;
    }
    out.set_item("offset", table.offset)?;
    out.set_item("end_ns", table.end_ns)?;
    match table.ids {
        CustomerIds::Consecutive { start } => out.set_item("id_start", start)?,
        CustomerIds::Listed(ids) => out.set_item("ids", ids.into_pyarray(py))?,
    }
    out.set_item("first_ns", table.first_ns.into_pyarray(py))?;
    out.set_item("last_ns", table.last_ns.into_pyarray(py))?;
    Ok(out)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(summarize_codes, m)?)?;
    m.add_function(wrap_pyfunction!(summarize_log, m)?)
}
