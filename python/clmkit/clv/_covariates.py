"""Customer lifetime value with covariate fits: each customer's expected purchases (and, with a
covariate Gamma-Gamma, spend) at their own parameters, discounted period by period."""

from __future__ import annotations

from typing import Union

import numpy as np
import numpy.typing as npt

from .. import _core
from ..btyd import _covariates
from ..btyd._count import CountModel
from ..btyd.gammagamma import GammaGamma

FloatArray = npt.NDArray[np.float64]
#: Per-customer spend: the values themselves, or a covariate Gamma-Gamma fit with the
#: (frequency, monetary) it predicts from.
Spend = Union[FloatArray, tuple[GammaGamma, FloatArray, FloatArray]]
#: Covariates of a prediction: a table, a DataFrame or a 2-D array (None: the fitted columns
#: of ``data``).
Covariates = object


def uses_covariates(model: object, spend_model: object) -> bool:
    """True when either fit has covariates."""
    return any(
        isinstance(getattr(m, "_state", None), _core.BtydCovariateFit) for m in (model, spend_model)
    )


def lifetime_value(
    model: CountModel,
    spend: Spend,
    data: object,
    rows: list[FloatArray],
    horizon: int,
    period: float,
    rate: float,
    continuous: bool,
    covariates: Covariates,
) -> FloatArray:
    """CLV = spend x sum_k (E[Y(kP)] - E[Y((k-1)P)]) / (1 + rate)^k per customer.

    ``spend`` is either the per-customer spend array, or a ``(GammaGamma, frequency,
    monetary)`` triple for a covariate spend model (customers without usable spend history
    have frequency 0 there and get their own prior mean).
    """
    if continuous:
        raise ValueError(
            "continuous=True is not available with covariate fits; use the period sum "
            "(continuous=False)"
        )
    n = len(rows[0])
    if isinstance(spend, tuple):
        gg, f, m = spend
        z = _covariates.for_prediction(gg, data, covariates, n)
        values = np.asarray(gg._state.predict("conditional_expected_spend", [], [f, m], z))
    else:
        values = np.asarray(spend, dtype=float)
    if model._has_covariates():
        z = _covariates.for_prediction(model, data, covariates, n)

        def expected(t: float) -> FloatArray:
            out: FloatArray = model._state.predict("conditional_expected_purchases", [t], rows, z)
            return out
    else:

        def expected(t: float) -> FloatArray:
            out: FloatArray = _core.btyd_conditional_expected_purchases(
                model._core_name, model._params(), t, *rows
            )
            return out

    total = np.zeros(n)
    previous = np.zeros(n)
    for k in range(1, horizon + 1):
        current = expected(k * period)
        total += (current - previous) / (1.0 + rate) ** k
        previous = current
    result: FloatArray = values * total
    return result


__all__ = ["uses_covariates", "lifetime_value"]
