"""A transaction log's three columns (customer id, datetime, value) for the Rust kernels:
shared by every entry point that takes a raw log (summaries, churn data, stage history,
cohorts, Dask partitions). The log is read through :func:`read` like every other table, or
was read before into a :class:`TransactionLog`, whose arrays are then handed on as they are
(:class:`LogIds`, :class:`LogTimes`): the conversions below return them without a pass."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
import pandas as pd

from .._validation import invalid_value_error
from ..exceptions import InvalidValueError, bounded, with_row_label
from ._columns import (
    as_series,
    datetime_ticks,
    datetimes_ns,
    factorize_ids,
    id_array,
    id_dtype,
    numeric_values,
    row_index,
)
from ._read import library_of as table_library
from ._read import read
from ._transaction_log import LogIds, LogTimes, TransactionLog


def extract_columns(
    transactions: Any,
    customer_id_col: Any,
    datetime_col: Any,
    monetary_value_col: Any,
    finite: bool = True,
) -> tuple[Any, Any, Optional[np.ndarray], dict]:
    """(ids, datetimes) as narwhals Series over the caller's buffers, the values as float64
    (a view when they are float64) and the column names for messages. With
    ``transactions=None`` the ``*_col`` arguments are the columns themselves.
    ``finite=False`` leaves NaN/inf values to a kernel that checks them in its own pass.
    A :class:`TransactionLog` gives its own arrays (ids as :class:`LogIds`, datetimes as
    :class:`LogTimes`) and names; its values only when ``monetary_value_col`` asks for them."""
    if isinstance(transactions, TransactionLog):
        log = transactions
        values = log.check_columns(customer_id_col, datetime_col, monetary_value_col)
        names = {
            "customer_id": log.customer_id_col,
            "datetime": log.datetime_col,
            "monetary": log.monetary_value_col if values is not None else None,
        }
        ids = LogIds(log.codes, log.uniques, log.id_dtype, log.row_index)
        return ids, LogTimes(log.times_ns, log.tz), values, names
    for arg, col in (("customer_id_col", customer_id_col), ("datetime_col", datetime_col)):
        if col is None:
            raise ValueError(f"{arg} is required (it may be left out for a TransactionLog only)")
    if transactions is None:
        columns = {"customer_id_col": customer_id_col, "datetime_col": datetime_col}
        if monetary_value_col is not None:
            columns["monetary_value_col"] = monetary_value_col
        shapes = {arg: _shape(column) for arg, column in columns.items()}
        for arg, shape in shapes.items():
            if len(shape) != 1:
                raise ValueError(
                    f"with transactions=None, {arg} must be a 1-dimensional array, "
                    f"got shape {shape}"
                )
        lengths = {arg: shape[0] for arg, shape in shapes.items()}
        if len(set(lengths.values())) > 1:
            detail = ", ".join(f"{arg} has {n}" for arg, n in lengths.items())
            raise ValueError(f"the columns must have the same length: {detail}")
        ids, times = as_series(customer_id_col, "customer_id"), as_series(datetime_col, "datetime")
        values = None if monetary_value_col is None else as_series(monetary_value_col)
        names = {
            "customer_id": ids.name or "customer_id",
            "datetime": times.name or "datetime",
            "monetary": "monetary_value",
        }
    else:
        table = read(
            transactions,
            {
                "customer_id_col": customer_id_col,
                "datetime_col": datetime_col,
                "monetary_value_col": monetary_value_col,
            },
        )
        ids, times = table.frame[customer_id_col], table.frame[datetime_col]
        values = None if monetary_value_col is None else table.frame[monetary_value_col]
        names = {
            "customer_id": customer_id_col,
            "datetime": datetime_col,
            "monetary": monetary_value_col,
        }
    if values is not None:
        label = f"monetary_value_col {names['monetary']!r}"
        values = (
            numeric_values(values, label) if finite else numeric_values(values, label, finite=False)
        )
    return ids, times, values, names


def _shape(column: Any) -> tuple[int, ...]:
    """The shape of an array-like column without converting it (Arrow arrays have no shape)."""
    shape = getattr(column, "shape", None)
    if shape is not None:
        return tuple(shape)
    if isinstance(column, (str, bytes)) or not hasattr(column, "__len__"):
        return ()
    return tuple(np.shape(column)) if isinstance(column, (list, tuple)) else (len(column),)


def row_labels(ids: Any) -> Optional[pd.Index]:
    """The caller's row labels of a log (its pandas index), None for other libraries."""
    if isinstance(ids, LogIds):
        return ids.row_index
    return row_index(ids)


# The core's names of the log columns (src/summary/checks.rs) -> the caller's.
_CORE_COLUMNS = {
    "customer ids": "customer_id",
    "datetimes": "datetime",
    "monetary values": "monetary",
}


def log_error(
    err: InvalidValueError, ids: Any, names: dict[str, Any], values: Optional[np.ndarray]
) -> InvalidValueError:
    """The core's error about a log column, told as the caller sees it: the column by the
    name the caller gave, the row by its index label and a missing date as None, as the
    table layer's own null checks do."""
    key = _CORE_COLUMNS.get(err.arg)
    if key is None or not isinstance(err.row, int):
        return with_row_label(err, row_labels(ids))
    row = err.row
    value: object = err.value
    if key == "datetime":
        value = None
    elif key == "monetary" and values is not None and 0 <= row < len(values):
        value = values[row].item()
    arg = {"customer_id": "customer_id_col", "datetime": "datetime_col"}.get(
        key, "monetary_value_col"
    )
    return invalid_value_error(f"{arg} {names[key]!r}", row, value, err.reason, row_labels(ids))


def library_of(data: Any) -> str:
    """The library results go back in: that of the table a :class:`TransactionLog` was read
    from, else that of ``data`` itself."""
    if isinstance(data, TransactionLog):
        return data.library
    return table_library(data)


# The entry points' names for the column conversions (labels built from the column name).
def column_ticks(
    times: Any, name: Any, datetime_format: Optional[str], check_nat: bool = True
) -> tuple[np.ndarray, int, Any]:
    if isinstance(times, LogTimes):
        return times.ns, 10**9, times.tz
    return datetime_ticks(times, f"datetime_col {name!r}", datetime_format, check_nat)


def column_ns(times: Any, name: Any, datetime_format: Optional[str]) -> tuple[np.ndarray, Any]:
    if isinstance(times, LogTimes):
        return times.ns, times.tz
    return datetimes_ns(times, f"datetime_col {name!r}", datetime_format)


def column_ids(ids: Any, name: Any) -> tuple[np.ndarray, Optional[pd.Index]]:
    if isinstance(ids, LogIds):
        return ids.codes, ids.uniques
    return id_array(ids, f"customer_id_col {name!r}")


def column_codes(ids: Any, name: Any) -> tuple[np.ndarray, pd.Index]:
    if isinstance(ids, LogIds):
        return ids.codes, ids.uniques
    return factorize_ids(ids, f"customer_id_col {name!r}")


def log_id_dtype(ids: Any) -> np.dtype:
    if isinstance(ids, LogIds):
        return ids.dtype
    return id_dtype(ids)


def period_end_ns(
    value: Any,
    times_ns: Any,
    datetime_format: Optional[str],
    tz: Any,
    arg: str = "date",
) -> int:
    """An observation/calibration end as ns since the epoch (UTC); the last date when None.
    ``arg`` names the argument in the ValueError raised for a value that is not a date."""
    if value is None:
        if times_ns is None or not len(times_ns):
            return 0
        return int(times_ns.max())
    try:
        ts = (
            pd.to_datetime(value, format=datetime_format)
            if isinstance(value, str)
            else pd.Timestamp(value)
        )
    except (ValueError, TypeError, OverflowError) as exc:
        # pandas' DateParseError / OutOfBoundsDatetime are ValueErrors without the argument
        raise ValueError(
            f"{arg}={bounded(repr(value), 60)} is not a date"
            + (
                f" in datetime_format {datetime_format!r}"
                if isinstance(value, str) and datetime_format
                else ""
            )
            + f" ({bounded(exc, 120)})"
        ) from None
    if ts is pd.NaT:
        raise ValueError(f"{arg}={bounded(repr(value), 60)} is not a date")
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return timestamp_ns(ts)


def timestamp_ns(ts: pd.Timestamp) -> int:
    """A naive timestamp as int64 nanoseconds, on pandas 1.5 (always ns) and 2+ (any unit)."""
    return int(ts.as_unit("ns").value) if hasattr(ts, "as_unit") else int(ts.value)


def index_ns(idx: pd.DatetimeIndex) -> np.ndarray:
    """A naive DatetimeIndex as int64 nanoseconds, on pandas 1.5 and 2+."""
    if hasattr(idx, "as_unit"):
        idx = idx.as_unit("ns")
    return np.asarray(idx.asi8, dtype=np.int64)


def timestamp_of(ns: int, tz: Any) -> pd.Timestamp:
    ts = pd.Timestamp(ns)
    return ts.tz_localize("UTC").tz_convert(tz) if tz is not None else ts


def datetime_values(ns: np.ndarray, tz: Any) -> Any:
    values = ns.view("datetime64[ns]")  # a view: DataFrame(copy=False) keeps it as is
    if tz is None:
        return values
    return pd.DatetimeIndex(values, copy=False).tz_localize("UTC").tz_convert(tz)
