"""Columns to the arrays the Rust kernels take, the same way for every library.

Input columns are narwhals Series over the caller's buffers. Null-free contiguous numeric,
integer-id and datetime columns become numpy views of those buffers (no copy); categorical
ids use the dictionary codes they already have. A null (polars/Arrow null, pandas NA, NaT or
None) gives the same message in every library; a NaN in a float column is a value, reported
by the finite check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Union

import narwhals.stable.v1 as nw
import numpy as np
import pandas as pd

from .._typing import FloatArray, IntArray, TimeZone
from .._validation import as_float_array, invalid_value_error

if TYPE_CHECKING:
    from collections.abc import Hashable

    from .._typing import NwSeries

_TICKS_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}
_NS_PER_DAY = 86_400 * 10**9
NULL_REASON = {
    "id": "missing customer id",
    "date": "missing date (NaT)",
    "value": "missing value (null)",
}


def as_series(x: object, name: Hashable = None) -> NwSeries:
    """A narwhals Series over any column: narwhals, pandas, polars or Arrow series, or an
    array-like (wrapped in pandas without a copy). Big-endian numpy data (e.g. read from
    FITS or network-order files) is byte-swapped to native order: the kernels and the
    dtype checks read native numbers only."""
    if isinstance(x, nw.Series):
        native = nw.to_native(x)
        if not _foreign_byte_order(native):
            return x
        x = native
    dtype = getattr(x, "dtype", None)
    if _foreign_byte_order(x) and isinstance(dtype, np.dtype):
        native_dtype = dtype.newbyteorder("=")
        if isinstance(x, pd.Series):
            x = pd.Series(x.to_numpy().astype(native_dtype), index=x.index, name=x.name)
        else:
            x = np.asarray(x).astype(native_dtype)
    try:
        return nw.from_native(x, series_only=True)
    except TypeError:
        arr = x if isinstance(x, np.ndarray) else np.asarray(x)
        if _foreign_byte_order(arr):
            arr = arr.astype(arr.dtype.newbyteorder("="))
        return nw.from_native(pd.Series(arr, name=name, copy=False), series_only=True)


def _foreign_byte_order(x: object) -> bool:
    """True for a numpy array or numpy-backed pandas Series stored in non-native byte order."""
    dtype = getattr(x, "dtype", None)
    return isinstance(dtype, np.dtype) and not dtype.isnative


def row_index(s: NwSeries) -> Optional[pd.Index]:
    """The pandas index of a pandas-backed column (row labels in messages), else None."""
    native = nw.to_native(s)
    return native.index if isinstance(native, pd.Series) else None


def _nan_is_a_value(s: NwSeries) -> bool:
    # numpy-backed pandas columns have no null of their own: NaN/NaT there are values caught
    # by the finite / NaT checks below (as a polars NaN is), so no mask over the column.
    dtype = getattr(nw.to_native(s), "dtype", None)
    return isinstance(dtype, np.dtype) and dtype.kind != "O"


def check_nulls(s: NwSeries, label: str, kind: str = "value") -> None:
    """ValueError naming ``label`` and the first null row (polars/Arrow null, pandas NA/None)."""
    if _nan_is_a_value(s) or not s.null_count():
        return
    row = int(s.is_null().arg_true()[0])
    raise invalid_value_error(label, row, None, NULL_REASON[kind], row_index(s))


def checked_values(s: NwSeries, label: str) -> Union[pd.Series, np.ndarray]:
    """A null-checked column for the array validators: the pandas Series (row labels) or numpy."""
    check_nulls(s, label)
    native = nw.to_native(s)
    return native if isinstance(native, pd.Series) else s.to_numpy()


def numeric_values(s: object, label: str, **checks: bool) -> FloatArray:
    """A numeric column as float64 (a view when it already is float64); object columns holding
    only numbers are accepted; others raise TypeError naming the column and its type."""
    s = as_series(s)
    check_nulls(s, label)
    if s.dtype == nw.Object:
        converted = pd.to_numeric(s.to_pandas(), errors="coerce")
        bad = converted.isna().to_numpy()
        if bad.any():
            row = int(np.argmax(bad))
            raise TypeError(f"{label} must be numeric: row {row} holds {s[row]!r}")
        return as_float_array(converted.to_numpy(np.float64), label, **checks)
    if not (s.dtype.is_numeric() or s.dtype == nw.Boolean):
        raise TypeError(f"{label} must be numeric, got type {s.dtype}")
    arr = s.to_numpy()
    if arr.dtype == object:  # a nullable extension type without nulls
        arr = s.cast(nw.Float64).to_numpy()
    if not checks and arr.dtype == np.float64 and np.isfinite(arr.sum()):
        # A finite sum proves every value finite without a mask over the column.
        return as_float_array(arr, label, finite=False)
    index = row_index(s)
    # pandas row labels go with the values so a bad value's message names its index.
    labelled = arr if index is None else pd.Series(arr, index=index, copy=False)
    return as_float_array(labelled, label, **checks)


def datetime_ticks(
    s: object, label: str, datetime_format: Optional[str] = None, check_nat: bool = True
) -> tuple[IntArray, int, TimeZone]:
    """Datetimes as int64 ticks since the epoch (UTC) in their own resolution (a view of
    the column's buffer for datetime columns), the ticks per second and the timezone.
    ``check_nat=False`` leaves pandas NaT (int64 minimum) to a kernel that checks it."""
    s = as_series(s)
    check_nulls(s, label, "date")
    dtype = s.dtype
    if isinstance(dtype, nw.Datetime) and dtype.time_unit in _TICKS_PER_SECOND:
        ticks = np.ascontiguousarray(s.cast(nw.Int64).to_numpy(), dtype=np.int64)
        if check_nat and len(ticks) and ticks.min() == np.iinfo(np.int64).min:  # pandas NaT
            row = int(np.argmax(ticks == np.iinfo(np.int64).min))
            raise invalid_value_error(label, row, None, NULL_REASON["date"], row_index(s))
        return ticks, _TICKS_PER_SECOND[dtype.time_unit], dtype.time_zone
    if dtype == nw.Date:
        days = s.cast(nw.Int32).to_numpy().astype(np.int64)
        return days * np.int64(86_400), 1, None
    if dtype in (nw.String, nw.Object):
        ns, tz = _parse(s, label, datetime_format)
        return ns, 10**9, tz
    raise TypeError(f"{label} must hold datetimes or date strings, got type {dtype}")


def datetimes_ns(
    s: object, label: str, datetime_format: Optional[str] = None
) -> tuple[IntArray, TimeZone]:
    """Datetimes as int64 ns since the epoch (UTC) and the timezone (a view for ns columns)."""
    ticks, per_second, tz = datetime_ticks(s, label, datetime_format)
    if per_second == 10**9:
        return ticks, tz
    return ticks * np.int64(10**9 // per_second), tz


def _parse(s: NwSeries, label: str, datetime_format: Optional[str]) -> tuple[IntArray, TimeZone]:
    values = s.to_pandas()
    parsed = pd.to_datetime(values, format=datetime_format, errors="coerce")
    bad = (parsed.isna() & values.notna()).to_numpy()
    if bad.any():
        row = int(np.argmax(bad))
        raise invalid_value_error(
            label,
            row,
            values.iloc[row],
            "cannot be parsed as a date"
            + (f" with format {datetime_format!r}" if datetime_format else ""),
            row_index(s),
        )
    missing = parsed.isna().to_numpy()
    if missing.any():
        row = int(np.argmax(missing))
        raise invalid_value_error(label, row, None, NULL_REASON["date"], row_index(s))
    tz = getattr(parsed.dt, "tz", None)
    if tz is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return np.ascontiguousarray(parsed.to_numpy(dtype="datetime64[ns]").view(np.int64)), tz


# --- customer ids ------------------------------------------------------------------------
_INTEGER_IDS = {
    nw.Int8: np.int8,
    nw.Int16: np.int16,
    nw.Int32: np.int32,
    nw.Int64: np.int64,
    nw.UInt8: np.uint8,
    nw.UInt16: np.uint16,
    nw.UInt32: np.uint32,
    nw.UInt64: np.uint64,
}


def id_dtype(s: object) -> np.dtype:
    """The numpy dtype of integer ids (results keep it), object for any other id type."""
    for nw_type, np_type in _INTEGER_IDS.items():
        if as_series(s).dtype == nw_type:
            return np.dtype(np_type)
    return np.dtype(object)


def id_array(s: object, label: str) -> tuple[IntArray, Optional[pd.Index]]:
    """int64 ids as they are (a view when already int64, no factorisation) and None, or
    sorted codes and the sorted unique ids for any other id type."""
    s = as_series(s)
    check_nulls(s, label, "id")
    if id_dtype(s) != object:  # noqa: E721 (a numpy dtype, compared by value)
        arr = s.to_numpy()
        if arr.dtype != np.uint64 or not len(arr) or arr.max() <= np.iinfo(np.int64).max:
            return np.ascontiguousarray(arr, dtype=np.int64), None
    return factorize_ids(s, label)


def factorize_ids(s: object, label: str) -> tuple[IntArray, pd.Index]:
    """Dense int64 codes in sorted-id order and the sorted unique ids."""
    s = as_series(s)
    check_nulls(s, label, "id")
    codes: np.ndarray
    uniques: Union[pd.Index, np.ndarray]
    if isinstance(s.dtype, (nw.Categorical, nw.Enum)):
        ids = nw.to_native(s)  # the library's own pandas view keeps the dictionary
        codes, uniques = _categorical_codes(ids if isinstance(ids, pd.Series) else ids.to_pandas())
    else:
        values = s.to_pandas()
        dense = _dense_int_codes(values)
        codes, uniques = dense if dense is not None else pd.factorize(values, sort=True)
    if len(codes) and codes.min() < 0:  # NaN ids of numpy-backed pandas columns
        row = int(np.argmax(codes < 0))
        raise invalid_value_error(label, row, None, NULL_REASON["id"], row_index(s))
    return np.ascontiguousarray(codes, dtype=np.int64), pd.Index(uniques)


def _dense_int_codes(ids: pd.Series) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """What ``pd.factorize(ids, sort=True)`` gives for integer ids spanning a range at most
    four times their count (the usual numbered customers), by marking the range: no hashing
    nor sorting (a third of reading a 3M-row log). None for other ids."""
    dtype = ids.dtype
    if not isinstance(dtype, np.dtype) or dtype.kind not in "iu" or len(ids) == 0:
        return None
    values = ids.to_numpy()
    lo, hi = int(values.min()), int(values.max())
    if hi - lo > 4 * len(values) or hi > np.iinfo(np.int64).max:
        return None
    offset = values.astype(np.int64) - lo
    present = np.zeros(hi - lo + 1, dtype=bool)
    present[offset] = True
    rank = np.cumsum(present, dtype=np.int64) - 1
    return rank[offset], (np.flatnonzero(present) + lo).astype(dtype)


def _categorical_codes(ids: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """The dictionary codes a categorical id column already has (pandas Categorical, Arrow
    dictionary, polars Categorical/Enum), remapped to sorted-category order: no hashing of
    the ids themselves. Unused categories are dropped later with the customers without rows."""
    codes = ids.cat.codes.to_numpy()
    categories = ids.cat.categories
    order = np.argsort(categories.to_numpy(), kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    sorted_codes = np.where(codes < 0, -1, rank[np.maximum(codes, 0)])
    return sorted_codes, pd.Index(categories.take(order))
