"""The numbers behind the population plots of the BTYD models: mean holdout purchases by
calibration frequency, and the expected number of customers by repeat purchases. With a
covariate fit every customer is evaluated at their own covariates (``covariates=``)."""

from __future__ import annotations

from typing import Optional, Protocol, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._validation import as_float_array, check_int, require_columns
from ._covariates import customer_covariates

__all__ = ["calibration_vs_holdout_table", "expected_frequency_counts"]

_Floats = npt.NDArray[np.float64]


# What the plots call on a model (positional: any parameter names), so any model with these
# methods is drawn, clmkit's or not.
class ExpectedPurchasesModel(Protocol):
    def conditional_expected_purchases(
        self, t: float, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike, /
    ) -> npt.ArrayLike: ...


class CountModel(Protocol):
    # t and n broadcast against each other (arrays of equal length: element by element)
    def probability_of_n_purchases(
        self, t: npt.ArrayLike, n: npt.ArrayLike, /
    ) -> npt.ArrayLike: ...


class _WithCovariates(Protocol):
    """A clmkit model fitted with covariates: its predictions take ``covariates=``."""

    def conditional_expected_purchases(
        self,
        t: float,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        /,
        covariates: npt.ArrayLike = ...,
    ) -> npt.ArrayLike: ...

    def probability_of_n_purchases(
        self, t: npt.ArrayLike, n: npt.ArrayLike, /, covariates: npt.ArrayLike = ...
    ) -> npt.ArrayLike: ...


def calibration_vs_holdout_table(
    model: ExpectedPurchasesModel,
    cal_holdout: pd.DataFrame,
    n: int = 7,
    covariates: object = None,
) -> pd.DataFrame:
    """Mean actual and predicted holdout purchases by calibration frequency (capped at
    ``n``); a covariate fit predicts each customer at their ``covariates`` (one row per row
    of ``cal_holdout``; default: its fitted columns)."""
    require_columns(
        list(cal_holdout.columns),
        {
            "cal_holdout": "frequency_cal",
            "recency": "recency_cal",
            "T": "T_cal",
            "holdout": "frequency_holdout",
            "duration": "duration_holdout",
        },
    )
    n = check_int(n, "n", low=1)
    what = "plot_calibration_purchases_vs_holdout_purchases"
    z = customer_covariates(model, covariates, cal_holdout, len(cal_holdout), what)
    duration = as_float_array(cal_holdout["duration_holdout"], "duration_holdout")
    args = (
        float(duration[0]) if len(duration) else 0.0,
        cal_holdout["frequency_cal"].to_numpy(float),
        cal_holdout["recency_cal"].to_numpy(float),
        cal_holdout["T_cal"].to_numpy(float),
    )
    if z is None:
        predicted = model.conditional_expected_purchases(*args)
    else:
        fitted = cast(_WithCovariates, model)  # customer_covariates found it a covariate fit
        predicted = fitted.conditional_expected_purchases(*args, covariates=z)
    group = np.minimum(cal_holdout["frequency_cal"].to_numpy(float), n)
    frame = pd.DataFrame(
        {
            "frequency_cal": group,
            "actual": cal_holdout["frequency_holdout"].to_numpy(float),
            "predicted": np.asarray(predicted, dtype=float),
        }
    )
    means: pd.DataFrame = frame.groupby("frequency_cal")[["actual", "predicted"]].mean()
    return means


def expected_frequency_counts(
    model: CountModel,
    T: npt.ArrayLike,
    max_frequency: int = 7,
    covariates: Optional[np.ndarray] = None,
) -> _Floats:
    """Expected number of customers with 0, 1, ..., ``max_frequency``+ repeat purchases.

    Sums ``probability_of_n_purchases(T_i, n)`` over customers, once per distinct age (per
    distinct (age, covariate row) with ``covariates``, one row per customer, for a
    covariate fit).
    """
    ages = as_float_array(T, "T", nonnegative=True)
    if covariates is not None:
        keys = np.column_stack([ages, np.asarray(covariates, dtype=float)])
        rows, counts = np.unique(keys, axis=0, return_counts=True)
        ages, z = rows[:, 0], np.ascontiguousarray(rows[:, 1:])
    else:
        ages, counts = np.unique(ages, return_counts=True)
    expected = np.zeros(max_frequency + 1)
    # one call for the whole (age, n) grid: a call per cell costs a door crossing each
    # (365 ages x 7 counts at 1M customers took a second)
    t_grid = np.repeat(ages, max_frequency)
    n_grid = np.tile(np.arange(max_frequency, dtype=float), len(ages))
    if covariates is None:
        values = model.probability_of_n_purchases(t_grid, n_grid)
    else:  # a covariate fit: a new customer with each row's covariates, element by element
        values = cast(_WithCovariates, model).probability_of_n_purchases(
            t_grid, n_grid, covariates=np.repeat(z, max_frequency, axis=0)
        )
    grid = np.asarray(values, dtype=float).reshape(len(ages), max_frequency)
    for count, probs in zip(counts, grid):
        expected[:max_frequency] += count * probs
        expected[max_frequency] += count * max(0.0, 1.0 - probs.sum())
    return expected
