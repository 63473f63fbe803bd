"""Discrete-time summaries of a transaction log for the BG/BB model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Optional, overload

import numpy as np
import pandas as pd

from .. import _core
from .._io import (
    Output,
    column_codes,
    column_ns,
    deliver,
    extract_columns,
    library_of,
    period_end_ns,
    timestamp_of,
)
from .._typing import Column, DateLike, NumpyTable, PandasInput, Table
from .units import _FREQ_ALIASES, _FREQ_DAYS

if TYPE_CHECKING:
    import polars as pl

    from .._typing import PolarsFrame

__all__ = ["summarize_discrete"]

_PERIODS = sorted(_FREQ_DAYS)


def _period_code(period: object) -> str:
    code = _FREQ_ALIASES.get(period, period) if isinstance(period, str) else period
    if code not in _FREQ_DAYS or not isinstance(code, str):
        raise ValueError(
            f"period: unknown period {period!r}; accepted: {_PERIODS} "
            "(hour, day, week starting Monday, calendar month, calendar year)"
        )
    return code


@overload
def summarize_discrete(
    transactions: PandasInput,
    customer_id_col: Column = ...,
    datetime_col: Column = ...,
    period: str = ...,
    observation_period_end: DateLike = ...,
    datetime_format: Optional[str] = ...,
    aggregate: bool = ...,
    output: Optional[Literal["pandas"]] = ...,
) -> pd.DataFrame: ...


@overload
def summarize_discrete(
    transactions: PolarsFrame,
    customer_id_col: Column = ...,
    datetime_col: Column = ...,
    period: str = ...,
    observation_period_end: DateLike = ...,
    datetime_format: Optional[str] = ...,
    aggregate: bool = ...,
    output: Optional[Literal["polars"]] = ...,
) -> pl.DataFrame: ...


@overload
def summarize_discrete(
    transactions: object,
    customer_id_col: Column = ...,
    datetime_col: Column = ...,
    period: str = ...,
    observation_period_end: DateLike = ...,
    datetime_format: Optional[str] = ...,
    aggregate: bool = ...,
    *,
    output: Literal["pandas"],
) -> pd.DataFrame: ...


@overload
def summarize_discrete(
    transactions: object,
    customer_id_col: Column = ...,
    datetime_col: Column = ...,
    period: str = ...,
    observation_period_end: DateLike = ...,
    datetime_format: Optional[str] = ...,
    aggregate: bool = ...,
    *,
    output: Literal["polars"],
) -> pl.DataFrame: ...


@overload
def summarize_discrete(
    transactions: object,
    customer_id_col: Column = ...,
    datetime_col: Column = ...,
    period: str = ...,
    observation_period_end: DateLike = ...,
    datetime_format: Optional[str] = ...,
    aggregate: bool = ...,
    *,
    output: Literal["numpy"],
) -> NumpyTable: ...


@overload
def summarize_discrete(
    transactions: object,
    customer_id_col: Column = ...,
    datetime_col: Column = ...,
    period: str = ...,
    observation_period_end: DateLike = ...,
    datetime_format: Optional[str] = ...,
    aggregate: bool = ...,
    output: Optional[Output] = ...,
) -> Table: ...


def summarize_discrete(
    transactions: object,
    customer_id_col: Column = None,
    datetime_col: Column = None,
    period: str = "Y",
    observation_period_end: DateLike = None,
    datetime_format: Optional[str] = None,
    aggregate: bool = True,
    output: Optional[Output] = None,
) -> Table:
    """Summarise a transaction log into discrete-time (BG/BB) histories.

    Each customer's first purchase period is their birth; every later period up to the
    period of ``observation_period_end`` is one transaction opportunity (Fader, Hardie &
    Shang 2010). ``frequency`` counts the opportunities with at least one transaction,
    ``recency`` is the opportunity (1..n) of the last one (0 without repeat transactions)
    and ``n_periods`` the number of opportunities. Several transactions in one period count
    once. The grouping reuses clmkit's Rust summary kernel.

    Parameters
    ----------
    transactions : DataFrame or None
        The log (pandas, polars or pyarrow). When None, the ``*_col`` arguments are arrays.
    customer_id_col, datetime_col : str or array-like
        Column names (or the columns themselves with ``transactions=None``).
    period : {"H", "D", "W", "M", "Y"}
        Length of one opportunity: hour, day, week (starting Monday), calendar month or
        calendar year ("A" is accepted for "Y").
    observation_period_end : date-like, optional
        Last day observed; later transactions are ignored. Default: the last transaction.
    datetime_format : str, optional
        ``strftime`` format for string datetimes.
    aggregate : bool
        When True (default), return the distinct ``(frequency, recency, n_periods)``
        patterns with ``weights`` (number of customers), the compact form BG/BB is fitted
        on; when False, one row per customer (indexed by id) with ``first_period`` too.

    output : {"pandas", "polars", "arrow", "numpy"}, optional
        Library of the returned table; by default that of the input (pandas for arrays).

    Returns
    -------
    pandas.DataFrame
        ``frequency``, ``recency``, ``n_periods`` (float64) and ``weights`` or
        ``first_period``. ``attrs["clmkit"]`` records the period.

    Raises
    ------
    ValueError
        Unknown ``period`` (listing the accepted ones), unknown columns, unparseable or
        missing dates or ids (naming the column and first bad row).

    Examples
    --------
    >>> import clmkit
    >>> log = clmkit.datasets.load_cdnow_sample()
    >>> pat = clmkit.summarize_discrete(log, "customer_id", "date", period="M",
    ...                                 observation_period_end="1997-12-31")
    >>> int(pat["weights"].sum()), int(pat["n_periods"].max())
    (2357, 11)
    """
    code = _period_code(period)
    ids, times, _, names = extract_columns(transactions, customer_id_col, datetime_col, None)
    times_ns, tz = column_ns(times, names["datetime"], datetime_format)
    end_ns = period_end_ns(
        observation_period_end, times_ns, datetime_format, tz, "observation_period_end"
    )
    codes, uniques = column_codes(ids, names["customer_id"])
    raw = _core.summarize_codes(codes, len(uniques), times_ns, None, code, 1.0, False, int(end_ns))
    if len(times_ns) and not len(raw["customer"]):
        raise ValueError(
            f"observation_period_end ({timestamp_of(end_ns, tz)}) is before the "
            f"first transaction ({timestamp_of(int(times_ns.min()), tz)})"
        )
    # The kernel measures in numpy's average month / year; calendar periods differ from it
    # by under two days in total, so rounding recovers the whole number of periods.
    frame = pd.DataFrame(
        {
            "frequency": raw["frequency"],
            "recency": np.rint(raw["recency"]),
            "n_periods": np.rint(raw["T"]),
        }
    )
    frame.attrs["clmkit"] = {
        "period": code,
        "observation_period_end": str(timestamp_of(end_ns, tz)),
    }
    if not aggregate:
        frame.index = pd.Index(uniques.take(raw["customer"]), name=names["customer_id"])
        first = pd.to_datetime(raw["first_purchase_ns"].view("datetime64[ns]"))
        frame["first_period"] = first.to_period({"H": "h", "Y": "Y"}.get(code, code))
        return deliver(frame, library_of(transactions), output)
    patterns = (
        frame.groupby(["frequency", "recency", "n_periods"], sort=True)
        .size()
        .rename("weights")
        .reset_index()
    )
    patterns["weights"] = patterns["weights"].astype(np.float64)
    patterns.attrs = frame.attrs
    return deliver(patterns, library_of(transactions), output)
