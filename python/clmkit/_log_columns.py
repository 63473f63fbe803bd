"""Reading a transaction log's three columns (customer id, datetime, value) into the arrays the
Rust kernels take: shared by every entry point that takes a raw log (summaries, churn data,
stage history, cohorts, Dask partitions)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
import pandas as pd

from ._frames import to_pandas
from ._validation import as_float_array, invalid_value_error, require_columns


def _extract_columns(transactions, customer_id_col, datetime_col, monetary_value_col, finite=True):
    # finite=False: NaN/inf values are left to a kernel that checks them in its own pass.
    if transactions is None:
        ids, times = _series(customer_id_col), _series(datetime_col)
        names = {"customer_id": getattr(ids, "name", None) or "customer_id",
                 "datetime": getattr(times, "name", None) or "datetime",
                 "monetary": "monetary_value"}
        values = None if monetary_value_col is None else _series(monetary_value_col)
        lengths = {len(ids), len(times)} | ({len(values)} if values is not None else set())
        if len(lengths) > 1:
            raise ValueError("customer ids, datetimes and monetary values must have the same length")
    else:
        cols = [c for c in (customer_id_col, datetime_col, monetary_value_col) if c is not None]
        frame = _polars_columns(transactions, cols)
        if frame is None:
            frame = to_pandas(transactions, cols)
        require_columns(list(frame.columns), {"customer_id_col": customer_id_col,
                                              "datetime_col": datetime_col,
                                              "monetary_value_col": monetary_value_col})
        ids, times = frame[customer_id_col], frame[datetime_col]
        values = None if monetary_value_col is None else frame[monetary_value_col]
        names = {"customer_id": customer_id_col, "datetime": datetime_col,
                 "monetary": monetary_value_col}
    if values is not None:
        values = _numeric_values(values, f"monetary_value_col {names['monetary']!r}", finite)
    return ids, times, values, names


def _polars_columns(data: Any, cols: list) -> Optional[pd.DataFrame]:
    """A polars frame's columns as a pandas frame over the same buffers (no conversion copy:
    null-free numeric and datetime columns are numpy views of the Arrow buffers)."""
    if type(data).__module__.split(".")[0] != "polars":
        return None
    names = data.collect_schema().names() if hasattr(data, "collect") else data.columns
    missing = [c for c in cols if c not in names]
    if missing:  # let the common path report the unknown column with the available ones
        return pd.DataFrame({c: [] for c in names})
    if hasattr(data, "collect"):
        data = data.select(cols).collect()
    return pd.DataFrame({c: _polars_series(data.get_column(c)) for c in cols}, copy=False)


def _polars_series(column: Any) -> pd.Series:
    # Categorical/Enum ids keep their dictionary (pandas Categorical); others are numpy views.
    if column.dtype.__class__.__name__ in ("Categorical", "Enum"):
        return column.to_pandas()
    return pd.Series(column.to_numpy(), copy=False)


def _id_dtype(ids: Any) -> Any:
    return getattr(ids, "dtype", np.asarray(ids).dtype)


def _id_array(ids: Any, name: str) -> tuple[np.ndarray, Optional[pd.Index]]:
    """int64 ids as they are (a view when already int64), or sorted codes and the uniques."""
    dtype = _id_dtype(ids)
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        arr = ids.to_numpy() if isinstance(ids, pd.Series) else np.asarray(ids)
        if dtype != np.uint64 or not len(arr) or arr.max() <= np.iinfo(np.int64).max:
            return np.ascontiguousarray(arr, dtype=np.int64), None
    codes, uniques = _factorize_ids(ids, name)
    return codes, uniques


_TICKS_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}


def _datetime_ticks(times: Any, name: str, datetime_format: Optional[str],
                    check_nat: bool = True) -> tuple[np.ndarray, int, Any]:
    """Datetimes as int64 ticks since the epoch (UTC) in their own resolution (no copy for
    datetime64 columns), the ticks per second and the input's timezone (or None)."""
    s = times if isinstance(times, pd.Series) else pd.Series(times)
    if not pd.api.types.is_datetime64_any_dtype(s.dtype):
        return _parsed_ticks(s, name, datetime_format)
    tz = getattr(s.dtype, "tz", None)
    unit = getattr(s.dtype, "unit", None) or np.datetime_data(s.dtype)[0]
    if unit not in _TICKS_PER_SECOND:
        s = s.astype(f"datetime64[ns, {tz}]" if tz is not None else "datetime64[ns]")
        unit = "ns"
    ticks = np.ascontiguousarray(s.array.asi8)
    if check_nat and len(ticks) and ticks.min() == np.iinfo(np.int64).min:
        row = int(np.argmax(ticks == np.iinfo(np.int64).min))
        raise invalid_value_error(f"datetime_col {name!r}", row, None, "missing date (NaT)")
    return ticks, _TICKS_PER_SECOND[unit], tz


def _parsed_ticks(s: pd.Series, name: str, datetime_format: Optional[str]):
    ns, tz = _to_datetime_ns(s, name, datetime_format)
    return ns, 10**9, tz


def _numeric_values(values: Any, name: str, finite: bool = True) -> np.ndarray:
    """Monetary values as float64; object columns holding only numbers are accepted."""
    s = _series(values)
    if s.dtype == object:
        converted = pd.to_numeric(s, errors="coerce")
        bad = converted.isna() & s.notna()
        if bad.any():
            row = int(np.argmax(bad.to_numpy()))
            raise TypeError(f"{name} must be numeric: row {row} holds {s.iloc[row]!r}")
        s = converted
    elif not (pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)):
        raise TypeError(f"{name} must be numeric, got dtype {s.dtype}")
    if not finite or (s.dtype == np.float64 and np.isfinite(s.to_numpy().sum())):
        # Fast path: a finite sum proves every value finite without a mask over the column.
        return as_float_array(s, name, finite=False)
    return as_float_array(s, name)


def _series(x: Any) -> pd.Series:
    return x if isinstance(x, pd.Series) else pd.Series(np.asarray(x))


def _factorize_ids(ids: Any, name: str) -> tuple[np.ndarray, pd.Index]:
    if isinstance(getattr(ids, "dtype", None), pd.CategoricalDtype):
        codes, uniques = _categorical_codes(ids)
    else:
        codes, uniques = pd.factorize(ids, sort=True)
    if len(codes) and codes.min() < 0:
        row = int(np.argmax(codes < 0))
        raise invalid_value_error(f"customer_id_col {name!r}", row, None, "missing customer id")
    return np.ascontiguousarray(codes, dtype=np.int64), pd.Index(uniques)


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


def _to_datetime_ns(times: Any, name: str, datetime_format: Optional[str]) -> tuple[np.ndarray, Any]:
    """Datetimes as int64 ns since the epoch (UTC) and the input's timezone (or None)."""
    s = times if isinstance(times, pd.Series) else pd.Series(times)
    if not pd.api.types.is_datetime64_any_dtype(s.dtype):
        parsed = pd.to_datetime(s, format=datetime_format, errors="coerce")
        bad = parsed.isna() & s.notna()
        if bad.any():
            row = int(np.argmax(bad.to_numpy()))
            raise invalid_value_error(f"datetime_col {name!r}", row, s.iloc[row],
                                      "cannot be parsed as a date"
                                      + (f" with format {datetime_format!r}" if datetime_format else ""))
        s = parsed
    tz = getattr(s.dt, "tz", None)
    if tz is not None:
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    if s.isna().any():
        row = int(np.argmax(s.isna().to_numpy()))
        raise invalid_value_error(f"datetime_col {name!r}", row, None, "missing date (NaT)")
    ns = s.to_numpy(dtype="datetime64[ns]").view(np.int64)
    return np.ascontiguousarray(ns), tz


def _end_ns(value: Any, times_ns: np.ndarray, datetime_format: Optional[str], tz: Any) -> int:
    if value is None:
        if not len(times_ns):
            return 0
        return int(times_ns.max())
    ts = pd.to_datetime(value, format=datetime_format) if isinstance(value, str) else pd.Timestamp(value)
    if ts is pd.NaT:
        raise ValueError(f"observation/calibration end {value!r} is not a date")
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return int(ts.as_unit("ns").value) if hasattr(ts, "as_unit") else int(ts.value)


def _timestamp(ns: int, tz: Any) -> pd.Timestamp:
    ts = pd.Timestamp(ns)
    return ts.tz_localize("UTC").tz_convert(tz) if tz is not None else ts


def _datetimes(ns: np.ndarray, tz: Any) -> Any:
    values = ns.view("datetime64[ns]")  # a view: DataFrame(copy=False) keeps it as is
    if tz is None:
        return values
    return pd.DatetimeIndex(values, copy=False).tz_localize("UTC").tz_convert(tz)
