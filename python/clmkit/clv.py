"""Customer lifetime value and holdout evaluation of purchase-count models.

No hidden units: horizons and periods are numbers of the transaction model's time unit, or
duration strings such as ``"30D"`` converted with the model's ``time_unit_``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
import pandas as pd

from . import _core
from ._io import read, to_pandas
from ._units import to_units
from ._validation import as_float_array, check_int, check_same_length, require_columns
from .btyd._base import _is_table
from .btyd._count import CountModel
from .btyd.gammagamma import GammaGamma

__all__ = ["customer_lifetime_value", "expected_value", "evaluate_holdout", "HoldoutEvaluation"]


def _customers(
    data: Any, need_monetary: bool
) -> tuple[list[np.ndarray], Optional[np.ndarray], Optional[pd.Index], Any]:
    """(frequency, recency, T), monetary_value and the index from a table or a tuple/dict."""
    names = ["frequency", "recency", "T"] + (["monetary_value"] if need_monetary else [])
    if _is_table(data):
        table = read(data, {n: n for n in names})
        cols = [table.values(n, n) for n in names]
        index = table.index if table.index is not None else pd.RangeIndex(len(table))
    elif isinstance(data, dict):
        missing = [n for n in names if n not in data]
        if missing:
            raise ValueError(f"data is missing {missing}")
        cols, index = [data[n] for n in names], None
    elif isinstance(data, (tuple, list)) and len(data) in (3, 4):
        if need_monetary and len(data) != 4:
            raise ValueError(
                "data must be (frequency, recency, T, monetary_value) with a GammaGamma spend model"
            )
        cols, index = list(data)[: len(names)], None
    else:
        raise TypeError(
            "data must be a summary table, a dict of columns or a tuple "
            "(frequency, recency, T[, monetary_value])"
        )
    monetary = cols[3] if need_monetary else None
    return cols[:3], monetary, index, cols[0]


def _spend(spend_model: Any, frequency: Any, monetary: Any, n: int) -> np.ndarray:
    if isinstance(spend_model, GammaGamma):
        spend = np.asarray(spend_model.conditional_expected_spend(frequency, monetary), dtype=float)
    else:
        spend = as_float_array(spend_model, "spend_model")
        spend = np.broadcast_to(spend, (n,)) if spend.shape == (1,) else spend
    if len(spend) != n:
        raise ValueError(f"spend_model gives {len(spend)} values for {n} customers")
    return np.ascontiguousarray(spend, dtype=float)


def _check_model(model: Any) -> CountModel:
    if not isinstance(model, CountModel):
        raise TypeError(
            f"transaction_model must be a clmkit purchase-count model (e.g. BetaGeo), got {type(model).__name__}"
        )
    model._check_fitted()
    return model


def customer_lifetime_value(
    transaction_model: Any,
    spend_model: Any,
    data: Any,
    horizon: int,
    period: Any,
    discount_rate: float,
    continuous: bool = False,
) -> Any:
    """Discounted value of each customer's purchases over ``horizon`` periods.

    CLV = spend x sum_{k=1..horizon} (E[Y(k P)] - E[Y((k-1) P)]) / (1 + discount_rate)^k,
    where E[Y(t)] is the model's conditional expected purchases in the next t units and P
    is ``period``. With data in days, ``period=30, horizon=12, discount_rate=0.01`` equals
    lifetimes' ``customer_lifetime_value(model, ..., time=12, discount_rate=0.01, freq="D")``
    (lifetimes' months are 30 days). ``continuous=True`` integrates dE[Y(u)] against the
    continuous discount factor (1 + discount_rate)^(-u/P) instead.

    Parameters
    ----------
    transaction_model : BetaGeo, ModifiedBetaGeo or another fitted count model
    spend_model : GammaGamma, float or array-like
        A fitted Gamma-Gamma model (its conditional expected spend is used), or the expected
        value per purchase (one number or one per customer).
    data : DataFrame, dict or tuple
        ``frequency``, ``recency``, ``T`` (and ``monetary_value`` with a GammaGamma).
    horizon : int
        Number of discounting periods.
    period : float or str
        Length of one period in the model's time unit, or a duration such as ``"30D"``
        converted with the model's ``time_unit_``.
    discount_rate : float
        Discount rate per period (e.g. 0.01 per month).
    continuous : bool, default False
        Continuous instead of per-period discounting.

    Returns
    -------
    pandas.Series or numpy.ndarray
        One value per customer (a Series named ``clv`` with the table's index).

    Examples
    --------
    >>> import clmkit
    >>> data = clmkit.datasets.load_cdnow_summary(with_monetary_value=True)
    >>> bg = clmkit.BetaGeo().fit(data)
    >>> gg = clmkit.GammaGamma().fit(data)
    >>> clv = clmkit.customer_lifetime_value(bg, gg, data, horizon=12, period="30D", discount_rate=0.01)
    >>> round(float(clv.iloc[0]), 2) > 0
    True
    """
    model = _check_model(transaction_model)
    horizon = check_int(horizon, "horizon", low=1)
    period_units = to_units(period, model.time_unit_, "period")
    rate = float(discount_rate)
    if not (np.isfinite(rate) and rate > -1):
        raise ValueError(f"discount_rate must be a finite number > -1, got {discount_rate!r}")
    cols, monetary, index, _like = _customers(data, isinstance(spend_model, GammaGamma))
    rows = model._validate(cols)
    if isinstance(spend_model, GammaGamma) and not (
        continuous and rate > 0 and hasattr(model, "discounted_expected_residual_transactions")
    ):
        # One Rust pass computes the Gamma-Gamma spend and the CLV (no spend array between).
        values = as_float_array(monetary, "monetary_value")
        check_same_length(frequency=rows[0], monetary_value=values)
        out = _core.btyd_customer_lifetime_value(
            model._core_name,
            model._params(),
            values,
            *rows,
            horizon,
            period_units,
            rate,
            bool(continuous),
            spend_params=spend_model._params(),
        )
        return pd.Series(out, index=index, name="clv") if index is not None else out
    spend = _spend(spend_model, cols[0], monetary, len(rows[0]))
    if continuous and rate > 0 and hasattr(model, "discounted_expected_residual_transactions"):
        # Pareto/NBD has a closed form (DERT over the horizon, with Tricomi's U).
        delta = float(np.log1p(rate)) / period_units
        out = spend * model.discounted_expected_residual_transactions(
            *rows, discount_rate=delta, horizon=horizon * period_units
        )
        return pd.Series(out, index=index, name="clv") if index is not None else out
    out = _core.btyd_customer_lifetime_value(
        model._core_name,
        model._params(),
        spend,
        *rows,
        horizon,
        period_units,
        rate,
        bool(continuous),
    )
    return pd.Series(out, index=index, name="clv") if index is not None else out


def expected_value(transaction_model: Any, spend_model: Any, data: Any, t: Any) -> Any:
    """Undiscounted expected value of each customer's purchases in the next ``t``
    (e.g. ``"365D"``): spend x E[Y(t)].

    Parameters
    ----------
    transaction_model, spend_model, data
        As in :func:`customer_lifetime_value`.
    t : float or str
        Horizon in model time units or as a duration string.

    Returns
    -------
    pandas.Series or numpy.ndarray

    Examples
    --------
    >>> import clmkit
    >>> data = clmkit.datasets.load_cdnow_summary(with_monetary_value=True)
    >>> bg = clmkit.BetaGeo().fit(data)
    >>> v = clmkit.expected_value(bg, 20.0, data, "365D")
    >>> bool((v >= 0).all())
    True
    """
    model = _check_model(transaction_model)
    units = to_units(t, model.time_unit_, "t")
    cols, monetary, index, _ = _customers(data, isinstance(spend_model, GammaGamma))
    rows = model._validate(cols)
    spend = _spend(spend_model, cols[0], monetary, len(rows[0]))
    purchases = _core.btyd_conditional_expected_purchases(
        model._core_name, model._params(), float(units), *rows
    )
    out = spend * purchases
    return pd.Series(out, index=index, name="expected_value") if index is not None else out


@dataclass
class HoldoutEvaluation:
    """Predicted vs actual holdout purchases.

    Attributes
    ----------
    per_customer : pandas.DataFrame
        ``frequency_cal``, ``actual``, ``predicted``, ``error`` (predicted - actual).
    mae, rmse : float
        Per-customer mean absolute and root mean squared errors.
    total_actual, total_predicted : float
        Holdout purchases of all customers, observed and predicted.
    aggregate_error : float
        (total_predicted - total_actual) / total_actual.
    by_frequency : pandas.DataFrame
        Mean actual and predicted holdout purchases by calibration frequency (the last row
        pools all frequencies >= ``max_frequency``): the calibration-vs-holdout plot.
    """

    per_customer: pd.DataFrame
    mae: float
    rmse: float
    total_actual: float
    total_predicted: float
    aggregate_error: float
    by_frequency: pd.DataFrame


def evaluate_holdout(model: Any, cal_holdout: Any, max_frequency: int = 7) -> HoldoutEvaluation:
    """Compares a model's predicted holdout purchases with the observed ones.

    Parameters
    ----------
    model : fitted count model (fitted on the calibration columns)
    cal_holdout : DataFrame
        Output of :func:`clmkit.calibration_and_holdout`: ``frequency_cal``,
        ``recency_cal``, ``T_cal``, ``frequency_holdout`` and ``duration_holdout``.
    max_frequency : int, default 7
        Calibration frequencies at or above this are pooled in ``by_frequency``.

    Returns
    -------
    HoldoutEvaluation

    Examples
    --------
    >>> import clmkit
    >>> log = clmkit.datasets.load_cdnow_sample()
    >>> ch = clmkit.calibration_and_holdout(log, "customer_id", "date", "1997-09-30",
    ...                                     observation_period_end="1998-06-30", freq="W")
    >>> bg = clmkit.BetaGeo().fit(ch["frequency_cal"], ch["recency_cal"], ch["T_cal"])
    >>> ev = clmkit.evaluate_holdout(bg, ch)
    >>> ev.mae < 1.0
    True
    """
    model = _check_model(model)
    max_frequency = check_int(max_frequency, "max_frequency", low=1)
    frame = to_pandas(
        cal_holdout,
        ["frequency_cal", "recency_cal", "T_cal", "frequency_holdout", "duration_holdout"],
    )
    need = ["frequency_cal", "recency_cal", "T_cal", "frequency_holdout", "duration_holdout"]
    require_columns(list(frame.columns), {n: n for n in need})
    rows = model._validate([frame["frequency_cal"], frame["recency_cal"], frame["T_cal"]])
    actual = as_float_array(frame["frequency_holdout"], "frequency_holdout", nonnegative=True)
    duration = as_float_array(frame["duration_holdout"], "duration_holdout", nonnegative=True)
    check_same_length(frequency_cal=rows[0], frequency_holdout=actual, duration_holdout=duration)
    predicted = np.empty(len(actual))
    for d in np.unique(duration):
        sel = duration == d
        predicted[sel] = _core.btyd_conditional_expected_purchases(
            model._core_name,
            model._params(),
            float(d),
            *[np.ascontiguousarray(r[sel]) for r in rows],
        )
    error = predicted - actual
    per = pd.DataFrame(
        {"frequency_cal": rows[0], "actual": actual, "predicted": predicted, "error": error},
        index=frame.index,
    )
    group = np.minimum(rows[0], max_frequency).astype(int)
    by = per.groupby(group)[["actual", "predicted"]].mean()
    by.index.name = "frequency_cal"
    total_actual, total_predicted = float(actual.sum()), float(predicted.sum())
    return HoldoutEvaluation(
        per_customer=per,
        mae=float(np.abs(error).mean()),
        rmse=float(np.sqrt((error**2).mean())),
        total_actual=total_actual,
        total_predicted=total_predicted,
        aggregate_error=(total_predicted - total_actual) / total_actual
        if total_actual
        else float("nan"),
        by_frequency=by,
    )
