"""Calibration / holdout split of a transaction log, as lifetimes'
``calibration_and_holdout_data``: a summary of the calibration period and the holdout
purchases of the same customers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Optional, overload

import numpy as np
import pandas as pd

from .. import _core
from .._io import (
    column_codes,
    column_ns,
    deliver,
    extract_columns,
    library_of,
    period_end_ns,
    timestamp_of,
)
from .._typing import Column, DateLike, NumpyTable, Output, PandasInput, Table
from .continuous import _PANDAS_PERIOD, _summarize_arrays
from .units import normalize_freq

if TYPE_CHECKING:
    import polars as pl

    from .._typing import PolarsFrame

__all__ = ["calibration_and_holdout"]


@overload
def calibration_and_holdout(
    transactions: PandasInput,
    customer_id_col: Column = ...,
    datetime_col: Column = ...,
    calibration_period_end: DateLike = ...,
    observation_period_end: DateLike = ...,
    freq: str = ...,
    freq_multiplier: float = ...,
    datetime_format: Optional[str] = ...,
    monetary_value_col: Column = ...,
    include_first_transaction: bool = ...,
    output: Optional[Literal["pandas"]] = ...,
) -> pd.DataFrame: ...


@overload
def calibration_and_holdout(
    transactions: PolarsFrame,
    customer_id_col: Column = ...,
    datetime_col: Column = ...,
    calibration_period_end: DateLike = ...,
    observation_period_end: DateLike = ...,
    freq: str = ...,
    freq_multiplier: float = ...,
    datetime_format: Optional[str] = ...,
    monetary_value_col: Column = ...,
    include_first_transaction: bool = ...,
    output: Optional[Literal["polars"]] = ...,
) -> pl.DataFrame: ...


@overload
def calibration_and_holdout(
    transactions: object,
    customer_id_col: Column = ...,
    datetime_col: Column = ...,
    calibration_period_end: DateLike = ...,
    observation_period_end: DateLike = ...,
    freq: str = ...,
    freq_multiplier: float = ...,
    datetime_format: Optional[str] = ...,
    monetary_value_col: Column = ...,
    include_first_transaction: bool = ...,
    *,
    output: Literal["pandas"],
) -> pd.DataFrame: ...


@overload
def calibration_and_holdout(
    transactions: object,
    customer_id_col: Column = ...,
    datetime_col: Column = ...,
    calibration_period_end: DateLike = ...,
    observation_period_end: DateLike = ...,
    freq: str = ...,
    freq_multiplier: float = ...,
    datetime_format: Optional[str] = ...,
    monetary_value_col: Column = ...,
    include_first_transaction: bool = ...,
    *,
    output: Literal["polars"],
) -> pl.DataFrame: ...


@overload
def calibration_and_holdout(
    transactions: object,
    customer_id_col: Column = ...,
    datetime_col: Column = ...,
    calibration_period_end: DateLike = ...,
    observation_period_end: DateLike = ...,
    freq: str = ...,
    freq_multiplier: float = ...,
    datetime_format: Optional[str] = ...,
    monetary_value_col: Column = ...,
    include_first_transaction: bool = ...,
    *,
    output: Literal["numpy"],
) -> NumpyTable: ...


@overload
def calibration_and_holdout(
    transactions: object,
    customer_id_col: Column = ...,
    datetime_col: Column = ...,
    calibration_period_end: DateLike = ...,
    observation_period_end: DateLike = ...,
    freq: str = ...,
    freq_multiplier: float = ...,
    datetime_format: Optional[str] = ...,
    monetary_value_col: Column = ...,
    include_first_transaction: bool = ...,
    output: Optional[Output] = ...,
) -> Table: ...


def calibration_and_holdout(
    transactions: object,
    customer_id_col: Column = None,
    datetime_col: Column = None,
    calibration_period_end: DateLike = None,
    observation_period_end: DateLike = None,
    freq: str = "D",
    freq_multiplier: float = 1,
    datetime_format: Optional[str] = None,
    monetary_value_col: Column = None,
    include_first_transaction: bool = False,
    output: Optional[Output] = None,
) -> Table:
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
    ids, times, values, names = extract_columns(
        transactions, customer_id_col, datetime_col, monetary_value_col
    )
    times_ns, tz = column_ns(times, names["datetime"], datetime_format)
    codes, uniques = column_codes(ids, names["customer_id"])
    if calibration_period_end is None:
        raise ValueError("calibration_period_end is required (a date inside the log)")
    cal_end = period_end_ns(
        calibration_period_end, times_ns, datetime_format, tz, "calibration_period_end"
    )
    obs_end = period_end_ns(
        observation_period_end, times_ns, datetime_format, tz, "observation_period_end"
    )
    if obs_end < cal_end:
        raise ValueError(
            f"observation_period_end ({timestamp_of(obs_end, tz)}) is before "
            f"calibration_period_end ({timestamp_of(cal_end, tz)})"
        )
    if len(times_ns) and cal_end < int(times_ns.min()):
        first = timestamp_of(int(times_ns.min()), tz)
        if obs_end < int(times_ns.min()):
            raise ValueError(
                f"calibration_period_end ({timestamp_of(cal_end, tz)}) and observation_period_end "
                f"({timestamp_of(obs_end, tz)}) are before the first transaction ({first}): the "
                "calibration and holdout periods hold no transaction"
            )
        raise ValueError(
            f"calibration_period_end ({timestamp_of(cal_end, tz)}) is before the first "
            f"transaction ({first}): the calibration period holds no transaction"
        )

    in_cal = times_ns <= cal_end
    cal = _summarize_arrays(
        codes[in_cal],
        uniques,
        times_ns[in_cal],
        None if values is None else values[in_cal],
        tz,
        cal_end,
        freq,
        freq_multiplier,
        include_first_transaction,
        names,
    )
    keep = ["frequency", "recency", "T"] + (["monetary_value"] if values is not None else [])
    out = cal[keep].add_suffix("_cal")

    in_hold = (times_ns > cal_end) & (times_ns <= obs_end)
    if not in_hold.any():
        raise ValueError(
            "the holdout period (calibration_period_end, observation_period_end] "
            "holds no transaction"
        )
    hold_codes = codes[in_hold]
    # Distinct purchase periods per customer = n_periods of a summary of the holdout rows.
    hold = _core.summarize_codes(
        hold_codes, len(uniques), times_ns[in_hold], None, freq, 1.0, True, int(obs_end)
    )
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
    n_periods = (
        pd.Period(timestamp_of(obs_end, None), period)
        - pd.Period(timestamp_of(cal_end, None), period)
    ).n
    out["duration_holdout"] = n_periods / float(freq_multiplier)
    out.attrs = dict(cal.attrs)
    return deliver(out, library_of(transactions), output)
