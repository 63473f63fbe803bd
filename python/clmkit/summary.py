"""Per-customer summaries of a transaction log (frequency, recency, T, monetary value)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
import pandas as pd

from . import _core
from ._frames import deliver, library_of, to_pandas
from ._units import TimeUnit, normalize_freq
from ._validation import as_float_array, invalid_value_error, require_columns

__all__ = ["summarize", "calibration_and_holdout"]

_PANDAS_PERIOD = {"H": "h", "D": "D", "W": "W", "M": "M", "Y": "Y"}


def summarize(
    transactions: Any,
    customer_id_col: Any,
    datetime_col: Any,
    monetary_value_col: Any = None,
    datetime_format: Optional[str] = None,
    observation_period_end: Any = None,
    freq: str = "D",
    freq_multiplier: float = 1,
    include_first_transaction: bool = False,
    output: Optional[str] = None,
) -> Any:
    """Summarise a transaction log into one row per customer.

    The semantics are those of lifetimes' ``summary_data_from_transaction_data``:
    transactions are floored to their ``freq`` period and merged within a period (values
    summed); times are differences of period starts in ``freq`` units divided by
    ``freq_multiplier``. The grouping runs in Rust, in parallel.

    Parameters
    ----------
    transactions : DataFrame or None
        The log (pandas, polars or pyarrow). When None, the ``*_col`` arguments are arrays.
    customer_id_col, datetime_col : str or array-like
        Column names (or, with ``transactions=None``, the columns themselves). Ids may be of
        any hashable type; datetimes are datetime64 of any unit, tz-aware (taken in UTC) or
        strings parsed with ``datetime_format``.
    monetary_value_col : str or array-like, optional
        Transaction values. Zero and negative values (returns) are summed as given.
    datetime_format : str, optional
        ``strftime`` format for string datetimes.
    observation_period_end : date-like, optional
        End of observation; later transactions are ignored. Default: the last date.
    freq : {"H", "D", "W", "M", "Y"}
        Period length; "W" weeks start on Monday, "M"/"Y" use numpy's average lengths
        (30.436875 / 365.2425 days) for times, as lifetimes does.
    freq_multiplier : float
        Divides all times, e.g. ``freq="D", freq_multiplier=7`` gives fractional weeks.
    include_first_transaction : bool
        Count the first purchase in ``frequency`` and ``monetary_value``.

    output : {"pandas", "polars", "arrow", "numpy"}, optional
        Library of the returned table; by default that of the input (pandas for arrays).

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id (sorted), with ``frequency`` (repeat periods), ``recency``
        (age at the last purchase), ``T`` (age at the observation end), ``monetary_value``
        (mean value of the repeat periods, 0 when frequency is 0; only with a monetary
        column), and beyond lifetimes ``n_periods``, ``first_purchase``, ``last_purchase``,
        ``total_value`` (with a monetary column), ``inactivity`` (T - recency: the
        "recency" of RFM) and ``gap_before_last`` (time between the last two purchase
        periods, NaN with one period). ``attrs["clmkit"]`` records the time unit.

    Raises
    ------
    ValueError
        Unknown column names (listing the available ones), missing ids or dates, NaN or
        infinite values (naming the column and first bad row), or an
        ``observation_period_end`` before the first transaction.

    Examples
    --------
    >>> import clmkit
    >>> log = clmkit.datasets.load_cdnow_sample()
    >>> s = clmkit.summarize(log, "customer_id", "date", observation_period_end="1997-09-30",
    ...                      freq="D", freq_multiplier=7)
    >>> s[["frequency", "recency", "T"]].loc[1].round(2).tolist()
    [2.0, 30.43, 38.86]
    """
    freq = normalize_freq(freq)
    mult = _check_multiplier(freq_multiplier)
    ids, times, values, names = _extract_columns(transactions, customer_id_col, datetime_col,
                                                 monetary_value_col)
    ticks, ticks_per_second, tz = _datetime_ticks(times, names["datetime"], datetime_format)
    end_ns = (None if observation_period_end is None
              else _end_ns(observation_period_end, None, datetime_format, tz))
    id_values, uniques = _id_array(ids, names["customer_id"])
    to_polars = (output or library_of(transactions)) == "polars"
    # Integer ids go to Rust as they are (no factorisation); others as sorted codes. polars
    # results take contiguous columns (zero-copy for polars), pandas ones views of the rows.
    raw = _core.summarize_log(id_values, None if uniques is None else len(uniques), ticks,
                              ticks_per_second, values, freq, mult,
                              bool(include_first_transaction), end_ns, to_polars)
    if len(ticks) and not raw["n"]:
        first_ns = int(ticks.min()) * (10**9 // ticks_per_second)
        raise ValueError(
            f"observation_period_end ({_timestamp(raw['end_ns'], tz)}) is before the first "
            f"transaction ({_timestamp(first_ns, tz)})")
    index = _index(raw, uniques, _id_dtype(ids), names["customer_id"])
    result = _frame(raw, index, values is not None, tz, freq, mult)
    if to_polars:
        return _to_polars(result)
    return deliver(result, library_of(transactions), output)


def _to_polars(df: pd.DataFrame) -> Any:
    """``deliver(df, "polars")`` built column by column from the numpy views: the same
    table (NaN as null, timezones kept) without the pandas -> Arrow -> polars round trip,
    which costs about as much as the summary itself at 1M customers."""
    import polars as pl

    series = [pl.Series(df.index.name, df.index.to_numpy())]
    for name in df.columns:
        col = df[name]
        tz = getattr(col.dtype, "tz", None)
        if tz is not None:
            utc = pl.Series(name, col.array.asi8.view("datetime64[ns]"))
            series.append(utc.dt.replace_time_zone("UTC").dt.convert_time_zone(str(tz)))
            continue
        values = pl.Series(name, col.to_numpy())
        series.append(values.fill_nan(None) if values.dtype == pl.Float64 else values)
    return pl.DataFrame(series)


def _index(raw: dict, uniques: Optional[pd.Index], dtype: Any, name: Any) -> pd.Index:
    """The customer ids of the summary rows (codes mapped back to ``uniques`` if given)."""
    if "id_start" in raw:  # consecutive ids: no array was built
        start, n = raw["id_start"], raw["n"]
        if uniques is not None:
            return uniques[start:start + n].rename(name)
        if dtype == np.int64:
            return pd.RangeIndex(start, start + n, name=name)
        return pd.Index(np.arange(start, start + n, dtype=np.int64).astype(dtype), name=name)
    if uniques is not None:
        return pd.Index(uniques.take(raw["ids"]), name=name)
    return pd.Index(raw["ids"].astype(dtype, copy=False), name=name, copy=False)


def _check_multiplier(freq_multiplier: Any) -> float:
    mult = float(freq_multiplier)
    if not np.isfinite(mult) or mult <= 0:
        raise ValueError(f"freq_multiplier must be a positive number, got {freq_multiplier!r}")
    return mult


def _frame(raw: dict, index: pd.Index, with_values: bool, tz: Any, freq: str,
           mult: float) -> pd.DataFrame:
    """The summary DataFrame over the Rust rows without copying them (columns are views)."""
    if "columns" in raw:
        rows = raw["columns"]
    else:
        n, offset = raw["n"], raw["offset"]
        rows = raw["block"][offset:offset + 8 * n].reshape(n, 8).T
    cols: dict[str, Any] = {"frequency": rows[0], "recency": rows[1], "T": rows[2]}
    if with_values:
        cols["monetary_value"] = rows[3]
    cols["n_periods"] = rows[4]
    cols["first_purchase"] = _datetimes(raw["first_ns"], tz)
    cols["last_purchase"] = _datetimes(raw["last_ns"], tz)
    if with_values:
        cols["total_value"] = rows[5]
    cols["inactivity"] = rows[6]
    cols["gap_before_last"] = rows[7]
    out = pd.DataFrame(cols, index=index, copy=False)
    out.attrs["clmkit"] = {
        **TimeUnit(freq, mult).to_dict(),
        "freq_multiplier": mult,
        "observation_period_end": str(_timestamp(raw["end_ns"], tz)),
    }
    return out


def _summarize_arrays(codes, uniques, times_ns, values, tz, end_ns, freq, freq_multiplier,
                      include_first_transaction, names) -> pd.DataFrame:
    mult = _check_multiplier(freq_multiplier)
    raw = _core.summarize_log(codes, len(uniques), times_ns, 10**9, values, freq, mult,
                              bool(include_first_transaction), int(end_ns))
    if len(times_ns) and not raw["n"]:
        raise ValueError(
            f"observation_period_end ({_timestamp(end_ns, tz)}) is before the first "
            f"transaction ({_timestamp(int(times_ns.min()), tz)})")
    return _frame(raw, _index(raw, uniques, None, names["customer_id"]), values is not None, tz,
                  freq, mult)


def calibration_and_holdout(
    transactions: Any,
    customer_id_col: Any,
    datetime_col: Any,
    calibration_period_end: Any,
    observation_period_end: Any = None,
    freq: str = "D",
    freq_multiplier: float = 1,
    datetime_format: Optional[str] = None,
    monetary_value_col: Any = None,
    include_first_transaction: bool = False,
    output: Optional[str] = None,
) -> Any:
    """Split a log into a calibration summary and holdout counts, as lifetimes'
    ``calibration_and_holdout_data`` does.

    output : {"pandas", "polars", "arrow", "numpy"}, optional
        Library of the returned table; by default that of the input (pandas for arrays).

    Returns
    -------
    pandas.DataFrame
        One row per customer seen in the calibration period with ``frequency_cal``,
        ``recency_cal``, ``T_cal`` (and ``monetary_value_cal``), ``frequency_holdout``
        (distinct purchase periods in the holdout), ``monetary_value_holdout`` (mean holdout
        transaction value) and ``duration_holdout`` (holdout length in periods divided by
        ``freq_multiplier``).

    Raises
    ------
    ValueError
        As :func:`summarize`; also when the holdout period holds no transaction or ends
        before the calibration period.

    Examples
    --------
    >>> import clmkit
    >>> log = clmkit.datasets.load_cdnow_sample()
    >>> ch = clmkit.calibration_and_holdout(log, "customer_id", "date", "1997-09-30",
    ...                                     "1998-06-30", freq="W")
    >>> int(ch["duration_holdout"].iloc[0])
    39
    """
    freq = normalize_freq(freq)
    ids, times, values, names = _extract_columns(transactions, customer_id_col, datetime_col,
                                                 monetary_value_col)
    times_ns, tz = _to_datetime_ns(times, names["datetime"], datetime_format)
    codes, uniques = _factorize_ids(ids, names["customer_id"])
    cal_end = _end_ns(calibration_period_end, times_ns, datetime_format, tz)
    obs_end = _end_ns(observation_period_end, times_ns, datetime_format, tz)
    if obs_end < cal_end:
        raise ValueError("observation_period_end is before calibration_period_end")

    in_cal = times_ns <= cal_end
    cal = _summarize_arrays(codes[in_cal], uniques, times_ns[in_cal],
                            None if values is None else values[in_cal], tz, cal_end, freq,
                            freq_multiplier, include_first_transaction, names)
    keep = ["frequency", "recency", "T"] + (["monetary_value"] if values is not None else [])
    out = cal[keep].add_suffix("_cal")

    in_hold = (times_ns > cal_end) & (times_ns <= obs_end)
    if not in_hold.any():
        raise ValueError("the holdout period (calibration_period_end, observation_period_end] "
                         "holds no transaction")
    hold_codes = codes[in_hold]
    # Distinct purchase periods per customer = n_periods of a summary of the holdout rows.
    hold = _core.summarize_codes(hold_codes, len(uniques), times_ns[in_hold], None, freq, 1.0,
                                 True, int(obs_end))
    counts = np.zeros(len(uniques))
    counts[hold["customer"]] = hold["n_periods"]
    cal_codes = uniques.get_indexer(out.index)
    out["frequency_holdout"] = counts[cal_codes]
    if values is not None:
        n_txn = np.bincount(hold_codes, minlength=len(uniques))
        total = np.bincount(hold_codes, weights=values[in_hold], minlength=len(uniques))
        mean = np.divide(total, n_txn, out=np.zeros(len(uniques)), where=n_txn > 0)
        out["monetary_value_holdout"] = mean[cal_codes]
    period = _PANDAS_PERIOD[freq]
    n_periods = (pd.Period(_timestamp(obs_end, None), period)
                 - pd.Period(_timestamp(cal_end, None), period)).n
    out["duration_holdout"] = n_periods / float(freq_multiplier)
    out.attrs = dict(cal.attrs)
    return deliver(out, library_of(transactions), output)


# --- column handling -------------------------------------------------------------------------

def _extract_columns(transactions, customer_id_col, datetime_col, monetary_value_col):
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
        values = _numeric_values(values, f"monetary_value_col {names['monetary']!r}")
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


def _datetime_ticks(times: Any, name: str,
                    datetime_format: Optional[str]) -> tuple[np.ndarray, int, Any]:
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
    if len(ticks) and ticks.min() == np.iinfo(np.int64).min:
        row = int(np.argmax(ticks == np.iinfo(np.int64).min))
        raise invalid_value_error(f"datetime_col {name!r}", row, None, "missing date (NaT)")
    return ticks, _TICKS_PER_SECOND[unit], tz


def _parsed_ticks(s: pd.Series, name: str, datetime_format: Optional[str]):
    ns, tz = _to_datetime_ns(s, name, datetime_format)
    return ns, 10**9, tz


def _numeric_values(values: Any, name: str) -> np.ndarray:
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
    if s.dtype == np.float64 and np.isfinite(s.to_numpy().sum()):
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
