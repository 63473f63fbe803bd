"""Acquisition-cohort retention and period retention / churn rates from a transaction log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Optional, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._io import (
    Output,
    column_codes,
    column_ns,
    deliver,
    extract_columns,
    library_of,
)
from .._keyed import CallerFrame
from .._typing import NumpyTable

Int64Array = npt.NDArray[np.int64]

if TYPE_CHECKING:
    import polars as pl

    from .._typing import PolarsFrame

__all__ = ["cohort_retention", "retention_rate"]


def _periods(times_ns: Int64Array, freq: str, name: str) -> Int64Array:
    """pandas Period ordinals (int64) of UTC ns timestamps."""
    try:
        ordinals: Int64Array = (
            pd.DatetimeIndex(times_ns.view("datetime64[ns]")).to_period(freq).asi8
        )
        return ordinals
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"{name}: {freq!r} is not a pandas period frequency (e.g. 'D', 'W', 'M', 'Q', 'Y')"
        ) from exc


def _log(
    transactions: object,
    customer_id_col: str,
    datetime_col: str,
    datetime_format: Optional[str],
) -> tuple[Int64Array, pd.Index, Int64Array]:
    ids, times, _, names = extract_columns(transactions, customer_id_col, datetime_col, None)
    times_ns, _ = column_ns(times, names["datetime"], datetime_format)
    if not len(times_ns):
        raise ValueError("transactions: the log is empty")
    codes, uniques = column_codes(ids, names["customer_id"])
    return codes, uniques, times_ns


@overload
def cohort_retention(
    transactions: pd.DataFrame,
    customer_id_col: str,
    datetime_col: str,
    cohort_freq: str = ...,
    period_freq: str = ...,
    datetime_format: Optional[str] = ...,
    values: str = ...,
    output: Optional[Literal["pandas"]] = ...,
) -> pd.DataFrame: ...


@overload
def cohort_retention(
    transactions: PolarsFrame,
    customer_id_col: str,
    datetime_col: str,
    cohort_freq: str = ...,
    period_freq: str = ...,
    datetime_format: Optional[str] = ...,
    values: str = ...,
    output: Optional[Literal["polars"]] = ...,
) -> pl.DataFrame: ...


@overload
def cohort_retention(
    transactions: object,
    customer_id_col: str,
    datetime_col: str,
    cohort_freq: str = ...,
    period_freq: str = ...,
    datetime_format: Optional[str] = ...,
    values: str = ...,
    *,
    output: Literal["pandas"],
) -> pd.DataFrame: ...


@overload
def cohort_retention(
    transactions: object,
    customer_id_col: str,
    datetime_col: str,
    cohort_freq: str = ...,
    period_freq: str = ...,
    datetime_format: Optional[str] = ...,
    values: str = ...,
    *,
    output: Literal["polars"],
) -> pl.DataFrame: ...


@overload
def cohort_retention(
    transactions: object,
    customer_id_col: str,
    datetime_col: str,
    cohort_freq: str = ...,
    period_freq: str = ...,
    datetime_format: Optional[str] = ...,
    values: str = ...,
    *,
    output: Literal["numpy"],
) -> NumpyTable: ...


@overload
def cohort_retention(
    transactions: object,
    customer_id_col: str,
    datetime_col: str,
    cohort_freq: str = ...,
    period_freq: str = ...,
    datetime_format: Optional[str] = ...,
    values: str = ...,
    output: Optional[Output] = ...,
) -> CallerFrame: ...


def cohort_retention(
    transactions: object,
    customer_id_col: str,
    datetime_col: str,
    cohort_freq: str = "M",
    period_freq: str = "M",
    datetime_format: Optional[str] = None,
    values: str = "share",
    output: Optional[Output] = None,
) -> CallerFrame:
    """Cohort x period matrix of the share of each acquisition cohort still active.

    A customer's cohort is the ``cohort_freq`` period of their first purchase. Period k
    of a customer is the k-th ``period_freq`` period after the one of their first purchase
    (so period 0 is always 100 %); the customer is active in period k when they bought in
    it. A cell is ``active / observable``: customers of the cohort whose period k has
    started by the last transaction's period (later cells are right-censored: NaN).

    Parameters
    ----------
    transactions, customer_id_col, datetime_col, datetime_format
        As in :func:`clmkit.summarize`.
    cohort_freq, period_freq : str
        pandas period frequencies ('D', 'W', 'M', 'Q', 'Y', ...).
    values : {"share", "count"}
        Share of observable customers (default) or number of active customers.

    output : {"pandas", "polars", "arrow", "numpy"}, optional
        Library of the returned table; by default that of the input (pandas for arrays).

    Returns
    -------
    pandas.DataFrame
        Index ``cohort`` (a PeriodIndex), columns ``period`` 0..K; ``attrs["cohort_size"]``
        holds the customers per cohort.

    Examples
    --------
    >>> import clmkit
    >>> log = clmkit.datasets.load_cdnow_sample()
    >>> ret = clmkit.cohort_retention(log, "customer_id", "date")
    >>> float(ret.iloc[0, 0])
    1.0
    """
    if values not in ("share", "count"):
        raise ValueError(f"values must be 'share' or 'count', got {values!r}")
    codes, uniques, times_ns = _log(transactions, customer_id_col, datetime_col, datetime_format)
    n = len(uniques)
    first_ns = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first_ns, codes, times_ns)
    cohort = _periods(first_ns, cohort_freq, "cohort_freq")
    start = _periods(first_ns, period_freq, "period_freq")
    offset = _periods(times_ns, period_freq, "period_freq") - start[codes]
    last = _periods(np.array([times_ns.max()]), period_freq, "period_freq")[0]
    cohorts, cohort_code = np.unique(cohort, return_inverse=True)
    horizon = last - start  # last observable period of each customer
    n_k = int(horizon.max()) + 1
    # Distinct (customer, period) pairs: a customer is active at most once per period.
    active_pairs = np.unique(codes.astype(np.int64) * n_k + offset)
    cust, off = np.divmod(active_pairs, n_k)
    active = np.zeros((len(cohorts), n_k))
    np.add.at(active, (cohort_code[cust], off), 1.0)
    observable = np.zeros((len(cohorts), n_k + 1))
    np.add.at(observable, (cohort_code, np.minimum(horizon, n_k - 1) + 1), -1.0)
    observable[:, 0] = np.bincount(cohort_code, minlength=len(cohorts))
    observable = np.cumsum(observable, axis=1)[:, :n_k]
    if values == "share":
        table = np.divide(
            active, observable, out=np.full_like(active, np.nan), where=observable > 0
        )
    else:
        table = np.where(observable > 0, active, np.nan)
    index = pd.PeriodIndex(
        pd.arrays.PeriodArray(cohorts, dtype=pd.PeriodDtype(cohort_freq)), name="cohort"
    )
    out = pd.DataFrame(table, index=index, columns=pd.RangeIndex(n_k, name="period"))
    out.attrs["cohort_size"] = pd.Series(
        np.bincount(cohort_code, minlength=len(cohorts)), index=index, name="customers"
    )
    result: CallerFrame = deliver(out, library_of(transactions), output)
    return result


@overload
def retention_rate(
    transactions: pd.DataFrame,
    customer_id_col: str,
    datetime_col: str,
    period_freq: str = ...,
    datetime_format: Optional[str] = ...,
    output: Optional[Literal["pandas"]] = ...,
) -> pd.DataFrame: ...


@overload
def retention_rate(
    transactions: PolarsFrame,
    customer_id_col: str,
    datetime_col: str,
    period_freq: str = ...,
    datetime_format: Optional[str] = ...,
    output: Optional[Literal["polars"]] = ...,
) -> pl.DataFrame: ...


@overload
def retention_rate(
    transactions: object,
    customer_id_col: str,
    datetime_col: str,
    period_freq: str = ...,
    datetime_format: Optional[str] = ...,
    *,
    output: Literal["pandas"],
) -> pd.DataFrame: ...


@overload
def retention_rate(
    transactions: object,
    customer_id_col: str,
    datetime_col: str,
    period_freq: str = ...,
    datetime_format: Optional[str] = ...,
    *,
    output: Literal["polars"],
) -> pl.DataFrame: ...


@overload
def retention_rate(
    transactions: object,
    customer_id_col: str,
    datetime_col: str,
    period_freq: str = ...,
    datetime_format: Optional[str] = ...,
    *,
    output: Literal["numpy"],
) -> NumpyTable: ...


@overload
def retention_rate(
    transactions: object,
    customer_id_col: str,
    datetime_col: str,
    period_freq: str = ...,
    datetime_format: Optional[str] = ...,
    output: Optional[Output] = ...,
) -> CallerFrame: ...


def retention_rate(
    transactions: object,
    customer_id_col: str,
    datetime_col: str,
    period_freq: str = "M",
    datetime_format: Optional[str] = None,
    output: Optional[Output] = None,
) -> CallerFrame:
    """Retention and churn rate per calendar period.

    ``retention_rate[t] = |active(t-1) & active(t)| / |active(t-1)|`` and
    ``churn_rate = 1 - retention_rate``, with active(t) the customers who bought in period
    t; the first period has NaN rates.

    output : {"pandas", "polars", "arrow", "numpy"}, optional
        Library of the returned table; by default that of the input (pandas for arrays).

    Returns
    -------
    pandas.DataFrame
        Index ``period`` (PeriodIndex, every period from the first to the last
        transaction), columns ``active``, ``new`` (first purchase in the period),
        ``retained``, ``retention_rate``, ``churn_rate``.

    Examples
    --------
    >>> import clmkit
    >>> log = clmkit.datasets.load_cdnow_sample()
    >>> r = clmkit.retention_rate(log, "customer_id", "date")
    >>> bool(((r.retention_rate + r.churn_rate).dropna().round(12) == 1).all())
    True
    """
    codes, _uniques, times_ns = _log(transactions, customer_id_col, datetime_col, datetime_format)
    period = _periods(times_ns, period_freq, "period_freq")
    p0 = period.min()
    n_p = int(period.max() - p0) + 1
    pairs = np.unique(codes.astype(np.int64) * n_p + (period - p0))
    cust, off = np.divmod(pairs, n_p)
    active = np.bincount(off, minlength=n_p).astype(float)
    first = np.r_[True, cust[1:] != cust[:-1]]
    new = np.bincount(off[first], minlength=n_p).astype(float)
    consecutive = np.r_[False, (cust[1:] == cust[:-1]) & (off[1:] == off[:-1] + 1)]
    retained = np.bincount(off[consecutive], minlength=n_p).astype(float)
    prev = np.r_[np.nan, active[:-1]]
    rate = np.divide(retained, prev, out=np.full(n_p, np.nan), where=prev > 0)
    index = pd.PeriodIndex(
        pd.arrays.PeriodArray(np.arange(n_p) + p0, dtype=pd.PeriodDtype(period_freq)), name="period"
    )
    result: CallerFrame = deliver(
        pd.DataFrame(
            {
                "active": active,
                "new": new,
                "retained": retained,
                "retention_rate": rate,
                "churn_rate": 1.0 - rate,
            },
            index=index,
        ),
        library_of(transactions),
        output,
    )
    return result
