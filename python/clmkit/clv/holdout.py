"""Holdout evaluation of purchase-count models: predicted vs observed holdout purchases."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._io import to_pandas
from .._validation import as_float_array, check_int, check_same_length, require_columns
from ..btyd._count import CountModel
from .value import _check_model

__all__ = ["HoldoutEvaluation", "evaluate_holdout"]


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


def evaluate_holdout(
    model: CountModel, cal_holdout: object, max_frequency: int = 7
) -> HoldoutEvaluation:
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
        predicted[sel] = model._fit_state().conditional_expected_purchases(
            [float(d)], *[np.ascontiguousarray(r[sel]) for r in rows]
        )[0]
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
