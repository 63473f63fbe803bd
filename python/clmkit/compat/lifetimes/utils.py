"""lifetimes' ``utils`` module over clmkit's engine: same names, arguments and outputs."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
import pandas as pd

from ... import summary as _summary
from ..._units import normalize_freq

__all__ = ["summary_data_from_transaction_data", "calibration_and_holdout_data",
           "find_first_transactions", "calculate_alive_path", "expected_cumulative_transactions",
           "customer_lifetime_value"]

_PERIOD = {"H": "h", "D": "D", "W": "W", "M": "M", "Y": "Y"}


def summary_data_from_transaction_data(
    transactions: pd.DataFrame, customer_id_col: str, datetime_col: str,
    monetary_value_col: Optional[str] = None, datetime_format: Optional[str] = None,
    observation_period_end: Any = None, freq: str = "D", freq_multiplier: float = 1,
    include_first_transaction: bool = False,
) -> pd.DataFrame:
    """lifetimes' summary: ``frequency, recency, T[, monetary_value]`` as floats.

    Computed by :func:`clmkit.summarize` (which adds more columns; this keeps lifetimes' four).

    Examples
    --------
    >>> from clmkit.compat.lifetimes.datasets import load_transaction_data
    >>> from clmkit.compat.lifetimes.utils import summary_data_from_transaction_data
    >>> s = summary_data_from_transaction_data(load_transaction_data(), "id", "date")
    >>> s.columns.tolist(), len(s)
    (['frequency', 'recency', 'T'], 5000)
    """
    full = _summary.summarize(transactions, customer_id_col, datetime_col, monetary_value_col,
                              datetime_format, observation_period_end, freq, freq_multiplier,
                              include_first_transaction)
    cols = ["frequency", "recency", "T"] + (["monetary_value"] if monetary_value_col else [])
    out = full[cols].astype(float)
    out.attrs = dict(full.attrs)
    return out


def calibration_and_holdout_data(
    transactions: pd.DataFrame, customer_id_col: str, datetime_col: str,
    calibration_period_end: Any, observation_period_end: Any = None, freq: str = "D",
    freq_multiplier: float = 1, datetime_format: Optional[str] = None,
    monetary_value_col: Optional[str] = None, include_first_transaction: bool = False,
) -> pd.DataFrame:
    """lifetimes' calibration/holdout split (computed by :func:`clmkit.calibration_and_holdout`).

    Examples
    --------
    >>> from clmkit.compat.lifetimes.datasets import load_transaction_data
    >>> from clmkit.compat.lifetimes.utils import calibration_and_holdout_data
    >>> ch = calibration_and_holdout_data(load_transaction_data(), "id", "date", "2014-09-01",
    ...                                   "2014-12-31")
    >>> ch.columns.tolist()
    ['frequency_cal', 'recency_cal', 'T_cal', 'frequency_holdout', 'duration_holdout']
    """
    return _summary.calibration_and_holdout(
        transactions, customer_id_col, datetime_col, calibration_period_end,
        observation_period_end, freq, freq_multiplier, datetime_format, monetary_value_col,
        include_first_transaction)


def find_first_transactions(
    transactions: pd.DataFrame, customer_id_col: str, datetime_col: str,
    monetary_value_col: Optional[str] = None, datetime_format: Optional[str] = None,
    observation_period_end: Any = None, freq: str = "D",
) -> pd.DataFrame:
    """One row per customer and purchase period (values summed), ``first`` marking each
    customer's first period; periods after ``observation_period_end`` are dropped.

    Examples
    --------
    >>> import pandas as pd
    >>> from clmkit.compat.lifetimes.utils import find_first_transactions
    >>> log = pd.DataFrame({"id": [1, 1, 2], "date": ["2020-01-01", "2020-01-03", "2020-01-02"]})
    >>> find_first_transactions(log, "id", "date")["first"].tolist()
    [True, False, True]
    """
    period = _PERIOD[normalize_freq(freq)]
    cols = [customer_id_col, datetime_col] + ([monetary_value_col] if monetary_value_col else [])
    frame = transactions[cols].copy()
    frame[datetime_col] = pd.to_datetime(frame[datetime_col], format=datetime_format).dt.to_period(period)
    end = frame[datetime_col].max() if observation_period_end is None else \
        pd.Period(pd.to_datetime(observation_period_end, format=datetime_format), period)
    frame = frame[frame[datetime_col] <= end]
    grouped = frame.groupby([customer_id_col, datetime_col], sort=True)
    out = (grouped[monetary_value_col].sum() if monetary_value_col else grouped.size()).reset_index()
    out = out[[customer_id_col, datetime_col] + ([monetary_value_col] if monetary_value_col else [])]
    out["first"] = ~out[customer_id_col].duplicated()
    return out


def calculate_alive_path(model: Any, transactions: pd.DataFrame, datetime_col: str, t: int,
                         freq: str = "D") -> pd.Series:
    """P(alive) of one customer at each period from their first purchase, over
    ``max(t + 1, periods with history)`` periods as lifetimes gives, computed in one
    vectorised call (lifetimes evaluates it row by row).

    Parameters
    ----------
    model : fitted BTYD model
        Anything with ``conditional_probability_alive(frequency, recency, T)``.
    transactions : DataFrame
        The customer's transactions.
    """
    dates = pd.to_datetime(transactions[datetime_col])
    period = _PERIOD[normalize_freq(freq)]
    index = (dates.dt.to_period(period) - dates.min().to_period(period)).map(lambda d: d.n)
    bought = np.zeros(max(t + 1, int(index.max()) + 1), dtype=bool)
    bought[index.to_numpy()] = True
    T = np.arange(len(bought), dtype=float)
    frequency = np.cumsum(bought) - 1.0
    recency = np.maximum.accumulate(np.where(bought, T, 0.0))
    return pd.Series(np.asarray(model.conditional_probability_alive(frequency, recency, T)))
