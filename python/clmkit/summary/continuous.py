"""Per-customer summaries of a transaction log (frequency, recency, T, monetary value)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any, Literal, Optional, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import _core
from .._io import (
    LogNames,
    Output,
    TimeZone,
    column_ids,
    column_ticks,
    datetime_values,
    deliver,
    extract_columns,
    library_of,
    log_error,
    log_id_dtype,
    period_end_ns,
    timestamp_of,
)
from .._typing import Column, DateLike, NumpyTable, PandasInput, Table
from ..exceptions import InvalidValueError
from .units import TimeUnit, normalize_freq

if TYPE_CHECKING:
    import polars as pl

    from .._typing import PolarsFrame

__all__ = ["summarize"]

_PANDAS_PERIOD = {"H": "h", "D": "D", "W": "W", "M": "M", "Y": "Y"}


@overload
def summarize(
    transactions: PandasInput,
    customer_id_col: Column = ...,
    datetime_col: Column = ...,
    monetary_value_col: Column = ...,
    datetime_format: Optional[str] = ...,
    observation_period_end: DateLike = ...,
    freq: str = ...,
    freq_multiplier: float = ...,
    include_first_transaction: bool = ...,
    output: Optional[Literal["pandas"]] = ...,
) -> pd.DataFrame: ...


@overload
def summarize(
    transactions: PolarsFrame,
    customer_id_col: Column = ...,
    datetime_col: Column = ...,
    monetary_value_col: Column = ...,
    datetime_format: Optional[str] = ...,
    observation_period_end: DateLike = ...,
    freq: str = ...,
    freq_multiplier: float = ...,
    include_first_transaction: bool = ...,
    output: Optional[Literal["polars"]] = ...,
) -> pl.DataFrame: ...


@overload
def summarize(
    transactions: object,
    customer_id_col: Column = ...,
    datetime_col: Column = ...,
    monetary_value_col: Column = ...,
    datetime_format: Optional[str] = ...,
    observation_period_end: DateLike = ...,
    freq: str = ...,
    freq_multiplier: float = ...,
    include_first_transaction: bool = ...,
    *,
    output: Literal["pandas"],
) -> pd.DataFrame: ...


@overload
def summarize(
    transactions: object,
    customer_id_col: Column = ...,
    datetime_col: Column = ...,
    monetary_value_col: Column = ...,
    datetime_format: Optional[str] = ...,
    observation_period_end: DateLike = ...,
    freq: str = ...,
    freq_multiplier: float = ...,
    include_first_transaction: bool = ...,
    *,
    output: Literal["polars"],
) -> pl.DataFrame: ...


@overload
def summarize(
    transactions: object,
    customer_id_col: Column = ...,
    datetime_col: Column = ...,
    monetary_value_col: Column = ...,
    datetime_format: Optional[str] = ...,
    observation_period_end: DateLike = ...,
    freq: str = ...,
    freq_multiplier: float = ...,
    include_first_transaction: bool = ...,
    *,
    output: Literal["numpy"],
) -> NumpyTable: ...


@overload
def summarize(
    transactions: object,
    customer_id_col: Column = ...,
    datetime_col: Column = ...,
    monetary_value_col: Column = ...,
    datetime_format: Optional[str] = ...,
    observation_period_end: DateLike = ...,
    freq: str = ...,
    freq_multiplier: float = ...,
    include_first_transaction: bool = ...,
    output: Optional[Output] = ...,
) -> Table: ...


def summarize(
    transactions: object,
    customer_id_col: Column = None,
    datetime_col: Column = None,
    monetary_value_col: Column = None,
    datetime_format: Optional[str] = None,
    observation_period_end: DateLike = None,
    freq: str = "D",
    freq_multiplier: float = 1,
    include_first_transaction: bool = False,
    output: Optional[Output] = None,
) -> Table:
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
    # NaN/inf values and NaT dates are found by the kernel's fold (no validation pass here).
    ids, times, values, names = extract_columns(
        transactions, customer_id_col, datetime_col, monetary_value_col, finite=False
    )
    ticks, ticks_per_second, tz = column_ticks(
        times, names["datetime"], datetime_format, check_nat=False
    )
    end_ns = (
        None
        if observation_period_end is None
        else period_end_ns(
            observation_period_end, None, datetime_format, tz, "observation_period_end"
        )
    )
    id_values, uniques = column_ids(ids, names["customer_id"])
    to_polars = (output or library_of(transactions)) == "polars"
    # Integer ids go to Rust as they are (no factorisation); others as sorted codes. polars
    # results take contiguous columns (zero-copy for polars), pandas ones views of the rows.
    try:
        raw = _core.summarize_log(
            id_values,
            None if uniques is None else len(uniques),
            ticks,
            ticks_per_second,
            values,
            freq,
            mult,
            bool(include_first_transaction),
            end_ns,
            to_polars,
        )
    except InvalidValueError as err:
        # validated once, by the kernel's fold: told with the caller's names and row labels
        raise log_error(err, ids, names, values) from None
    if len(ticks) and not raw["n"]:
        first_ns = int(ticks.min()) * (10**9 // ticks_per_second)
        raise ValueError(
            f"observation_period_end ({timestamp_of(raw['end_ns'], tz)}) is before the first "
            f"transaction ({timestamp_of(first_ns, tz)})"
        )
    index = _index(raw, uniques, log_id_dtype(ids), names["customer_id"])
    result = _frame(raw, index, values is not None, tz, freq, mult)
    if to_polars:
        return _to_polars(result)
    return deliver(result, library_of(transactions), output)


def _to_polars(df: pd.DataFrame) -> pl.DataFrame:
    """``deliver(df, "polars")`` built column by column from the numpy views: the same
    table (NaN as null, timezones kept) without the pandas -> Arrow -> polars round trip,
    which costs about as much as the summary itself at 1M customers."""
    import polars as pl

    # the index is named by the id column (a str: names come from extract_columns)
    series = [pl.Series(str(df.index.name), df.index.to_numpy())]
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


def _index(
    raw: dict[str, Any],  # the door's rows: arrays and counts by name (_core.summarize_log)
    uniques: Optional[pd.Index],
    dtype: Optional[np.dtype[Any]],
    name: Hashable,
) -> pd.Index:
    """The customer ids of the summary rows (codes mapped back to ``uniques`` if given)."""
    index: pd.Index
    if "id_start" in raw:  # consecutive ids: no array was built
        start: int = raw["id_start"]
        stop = start + int(raw["n"])
        if uniques is not None:
            index = uniques[start:stop].rename(name)
        elif dtype == np.int64:
            index = pd.RangeIndex(start, stop, name=name)
        else:
            index = pd.Index(np.arange(start, stop, dtype=np.int64).astype(dtype), name=name)
    elif uniques is not None:
        index = pd.Index(uniques.take(raw["ids"]), name=name)
    else:
        index = pd.Index(raw["ids"].astype(dtype, copy=False), name=name, copy=False)
    return index


def _check_multiplier(freq_multiplier: float) -> float:
    mult = float(freq_multiplier)
    if not np.isfinite(mult) or mult <= 0:
        raise ValueError(f"freq_multiplier must be a positive number, got {freq_multiplier!r}")
    return mult


def _frame(
    raw: dict[str, Any], index: pd.Index, with_values: bool, tz: TimeZone, freq: str, mult: float
) -> pd.DataFrame:
    """The summary DataFrame over the Rust rows without copying them (columns are views)."""
    fields: list[str] = raw["fields"]
    if "columns" in raw:
        rows = raw["columns"]
    else:
        n, offset, width = raw["n"], raw["offset"], len(fields)
        rows = raw["block"][offset : offset + width * n].reshape(n, width).T
    field = dict(zip(fields, rows))
    cols: dict[str, npt.ArrayLike] = {name: field[name] for name in ("frequency", "recency", "T")}
    if with_values:
        cols["monetary_value"] = field["monetary_value"]
    cols["n_periods"] = field["n_periods"]
    cols["first_purchase"] = datetime_values(raw["first_ns"], tz)
    cols["last_purchase"] = datetime_values(raw["last_ns"], tz)
    if with_values:
        cols["total_value"] = field["total_value"]
    cols["inactivity"] = field["inactivity"]
    cols["gap_before_last"] = field["gap_before_last"]
    out: pd.DataFrame = pd.DataFrame(cols, index=index, copy=False)
    out.attrs["clmkit"] = {
        **TimeUnit(freq, mult).to_dict(),
        "freq_multiplier": mult,
        "observation_period_end": str(timestamp_of(raw["end_ns"], tz)),
    }
    return out


def _summarize_arrays(
    codes: npt.NDArray[np.int64],
    uniques: pd.Index,
    times_ns: npt.NDArray[np.int64],
    values: Optional[npt.NDArray[np.float64]],
    tz: TimeZone,
    end_ns: int,
    freq: str,
    freq_multiplier: float,
    include_first_transaction: bool,
    names: LogNames,
) -> pd.DataFrame:
    mult = _check_multiplier(freq_multiplier)
    raw = _core.summarize_log(
        codes,
        len(uniques),
        times_ns,
        10**9,
        values,
        freq,
        mult,
        bool(include_first_transaction),
        int(end_ns),
    )
    if len(times_ns) and not raw["n"]:
        raise ValueError(
            f"observation_period_end ({timestamp_of(end_ns, tz)}) is before the first "
            f"transaction ({timestamp_of(int(times_ns.min()), tz)})"
        )
    return _frame(
        raw, _index(raw, uniques, None, names["customer_id"]), values is not None, tz, freq, mult
    )
