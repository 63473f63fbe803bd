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
    """CLV = spend x sum_k (E[Y(kP)] - E[Y((k-1)P)]) / (1 + rate)^k per customer, or with
    ``continuous`` the integral of (1 + rate)^(-u/P) dE[Y(u)] over [0, horizon P] (Pareto/NBD:
    its closed-form DERT at delta = ln(1 + rate) / P, as for plain fits).

    ``spend`` is either the per-customer spend array, or a ``(GammaGamma, frequency,
    monetary)`` triple for a covariate spend model (customers without usable spend history
    have frequency 0 there and get their own prior mean).
    """
    n = len(rows[0])
    values = spend_values(spend, data, covariates, n)
    z = _covariates.for_prediction(model, data, covariates, n)
    if continuous and rate > 0 and model._model_kind == _core.ModelKind.PARETO_NBD:
        delta = float(np.log1p(rate)) / period
        per_unit = model._state.predict("dert", [delta, horizon * period], rows, z)
    else:
        per_unit = _core.btyd_covariate_discounted_purchases(
            model._state, rows, z, horizon, period, rate, continuous
        )
    result: FloatArray = values * np.asarray(per_unit, dtype=float)
    return result


def spend_values(spend: Spend, data: object, covariates: Covariates, n: int) -> FloatArray:
    """Each customer's spend: the array as given, or a covariate Gamma-Gamma's conditional
    expected spend at their own parameters for a ``(GammaGamma, frequency, monetary)``."""
    if isinstance(spend, tuple):
        gg, f, m = spend
        z = _covariates.for_prediction(gg, data, covariates, n)
        out: FloatArray = np.asarray(
            gg._state.predict("conditional_expected_spend", [], [f, m], z), dtype=float
        )
        return out
    return np.asarray(spend, dtype=float)


for_prediction = _covariates.for_prediction

__all__ = ["uses_covariates", "lifetime_value", "spend_values", "for_prediction"]
