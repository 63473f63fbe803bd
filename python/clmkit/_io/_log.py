"""A transaction log's three columns (customer id, datetime, value) for the Rust kernels:
shared by every entry point that takes a raw log (summaries, churn data, stage history,
cohorts, Dask partitions). The log is read through :func:`read` like every other table, or
was read before into a :class:`TransactionLog`, whose arrays are then handed on as they are
(:class:`LogIds`, :class:`LogTimes`): the conversions below return them without a pass."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any, Optional, Union

import narwhals.stable.v1 as nw
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._typing import TimeZone
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

if TYPE_CHECKING:
    from .._typing import NwSeries

#: The caller's names of a log's columns, for messages and result indexes: "customer_id",
#: "datetime" and "monetary" (None without values) -> a column name (any hashable label
#: of a pandas Series given as a column).
LogNames = dict[str, Hashable]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


def extract_columns(
    transactions: object,
    # column names with a table (read() checks them), the columns themselves without one
    customer_id_col: Any,
    datetime_col: Any,
    monetary_value_col: Any,
    finite: bool = True,
) -> tuple[Union[LogIds, NwSeries], Union[LogTimes, NwSeries], Optional[F64], LogNames]:
    """(ids, datetimes) as narwhals Series over the caller's buffers, the values as float64
    (a view when they are float64) and the column names for messages. With
    ``transactions=None`` the ``*_col`` arguments are the columns themselves.
    ``finite=False`` leaves NaN/inf values to a kernel that checks them in its own pass.
    A :class:`TransactionLog` gives its own arrays (ids as :class:`LogIds`, datetimes as
    :class:`LogTimes`) and names; its values only when ``monetary_value_col`` asks for them."""
    if isinstance(transactions, TransactionLog):
        log = transactions
        values = log.check_columns(customer_id_col, datetime_col, monetary_value_col)
        names: LogNames = {
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
        id_col, time_col = (
            as_series(customer_id_col, "customer_id"),
            as_series(datetime_col, "datetime"),
        )
        column = None if monetary_value_col is None else as_series(monetary_value_col)
        names = {
            "customer_id": id_col.name or "customer_id",
            "datetime": time_col.name or "datetime",
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
        id_col, time_col = table.frame[customer_id_col], table.frame[datetime_col]
        column = None if monetary_value_col is None else table.frame[monetary_value_col]
        names = {
            "customer_id": customer_id_col,
            "datetime": datetime_col,
            "monetary": monetary_value_col,
        }
    numbers = None
    if column is not None:
        label = f"monetary_value_col {names['monetary']!r}"
        numbers = (
            numeric_values(column, label) if finite else numeric_values(column, label, finite=False)
        )
    return id_col, time_col, numbers, names


def _shape(column: object) -> tuple[int, ...]:
    """The shape of an array-like column without converting it (Arrow arrays have no shape)."""
    shape = getattr(column, "shape", None)
    if shape is not None:
        return tuple(shape)
    if isinstance(column, (str, bytes)) or not hasattr(column, "__len__"):
        return ()
    return tuple(np.shape(column)) if isinstance(column, (list, tuple)) else (len(column),)


def row_labels(ids: object) -> Optional[pd.Index]:
    """The caller's row labels of a log (its pandas index), None for other libraries."""
    if isinstance(ids, LogIds):
        return ids.row_index
    return row_index(ids) if isinstance(ids, nw.Series) else None


# The core's names of the log columns (src/summary/checks.rs) -> the caller's.
_CORE_COLUMNS = {
    "customer ids": "customer_id",
    "datetimes": "datetime",
    "monetary values": "monetary",
}


def log_error(
    err: InvalidValueError, ids: object, names: LogNames, values: Optional[F64]
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


def library_of(data: object) -> str:
    """The library results go back in: that of the table a :class:`TransactionLog` was read
    from, else that of ``data`` itself."""
    if isinstance(data, TransactionLog):
        return data.library
    return table_library(data)


# The entry points' names for the column conversions (labels built from the column name).
def column_ticks(
    times: object, name: Hashable, datetime_format: Optional[str], check_nat: bool = True
) -> tuple[I64, int, TimeZone]:
    if isinstance(times, LogTimes):
        return times.ns, 10**9, times.tz
    return datetime_ticks(times, f"datetime_col {name!r}", datetime_format, check_nat)


def column_ns(
    times: object, name: Hashable, datetime_format: Optional[str]
) -> tuple[I64, TimeZone]:
    if isinstance(times, LogTimes):
        return times.ns, times.tz
    return datetimes_ns(times, f"datetime_col {name!r}", datetime_format)


def column_ids(ids: object, name: Hashable) -> tuple[I64, Optional[pd.Index]]:
    if isinstance(ids, LogIds):
        return ids.codes, ids.uniques
    return id_array(ids, f"customer_id_col {name!r}")


def column_codes(ids: object, name: Hashable) -> tuple[I64, pd.Index]:
    if isinstance(ids, LogIds):
        return ids.codes, ids.uniques
    return factorize_ids(ids, f"customer_id_col {name!r}")


def log_id_dtype(ids: object) -> np.dtype[Any]:
    if isinstance(ids, LogIds):
        return ids.dtype
    return id_dtype(ids)


# What pd.Timestamp reads as one date: dates and datetimes (Timestamps too), numpy
# datetimes, and numbers (nanoseconds since the epoch, as pandas reads them).
_DATE_TYPES = (_dt.date, np.datetime64, int, float, np.integer)


def period_end_ns(
    value: object,
    times_ns: Optional[I64],
    datetime_format: Optional[str],
    tz: TimeZone,
    arg: str = "date",
) -> int:
    """An observation/calibration end as ns since the epoch (UTC); the last date when None.
    ``arg`` names the argument in the ValueError raised for a value that is not a date."""
    if value is None:
        if times_ns is None or not len(times_ns):
            return 0
        return int(times_ns.max())
    try:
        if isinstance(value, str):
            ts = pd.to_datetime(value, format=datetime_format)
        elif isinstance(value, _DATE_TYPES):
            ts = pd.Timestamp(value)
        else:
            raise TypeError(f"a {type(value).__name__} is not date-like")
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
    if pd.isna(ts):  # 'NaT' and numpy's NaT read as pd.NaT
        raise ValueError(f"{arg}={bounded(repr(value), 60)} is not a date")
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return timestamp_ns(ts)


def timestamp_ns(ts: pd.Timestamp) -> int:
    """A naive timestamp as int64 nanoseconds, on pandas 1.5 (always ns) and 2+ (any unit)."""
    return int(ts.as_unit("ns").value) if hasattr(ts, "as_unit") else int(ts.value)


def index_ns(idx: pd.DatetimeIndex) -> I64:
    """A naive DatetimeIndex as int64 nanoseconds, on pandas 1.5 and 2+."""
    if hasattr(idx, "as_unit"):
        idx = idx.as_unit("ns")
    return np.asarray(idx.asi8, dtype=np.int64)


def timestamp_of(ns: int, tz: TimeZone) -> pd.Timestamp:
    ts: pd.Timestamp = pd.Timestamp(ns)
    if tz is None:
        return ts
    local: pd.Timestamp = ts.tz_localize("UTC").tz_convert(tz)
    return local


def datetime_values(ns: I64, tz: TimeZone) -> npt.NDArray[np.datetime64] | pd.DatetimeIndex:
    values: npt.NDArray[np.datetime64] = ns.view("datetime64[ns]")  # a view: kept by
    if tz is None:  # DataFrame(copy=False) as it is
        return values
    local: pd.DatetimeIndex = pd.DatetimeIndex(values, copy=False).tz_localize("UTC")
    return local.tz_convert(tz)
