"""The CLV interval of :func:`clmkit.analyze`, without refitting anything.

The fit's normal approximation, N(log params, covariance of the log params) from the observed
information (``variance_matrix_`` divided by params_i x params_j, the scale the models are
estimated on), is carried to each customer's expected purchases by the delta method on the
log scale: with g the gradient of log E[purchases] in the log parameters (forward
differences),

    se(log E) = sqrt(g' Sigma_log g),   interval = E x exp(-+ z se),

so bounds stay positive. It costs k + 1 evaluations per distinct (frequency, recency, T)
pattern (k = 4 parameters) where drawing parameters costs one per draw (200); for a
well-identified fit both give the same interval (``tests/analyze/test_intervals_delta.py``
compares them). The CLV is spend x discounted purchases and the discount factors vary little
over one horizon, so the CLV interval is the CLV scaled by the same relative bounds (the
spend is held at its estimate: Gamma-Gamma is fitted separately).
"""

from __future__ import annotations

from statistics import NormalDist
from typing import TYPE_CHECKING, Optional

import numpy as np
import pandas as pd

from .._typing import FloatArray
from .patterns import Patterns, patterns_of

if TYPE_CHECKING:
    from ..btyd import CountModel

#: Step of the differences in log parameters: small against the standard errors of any
#: usable fit (>= 1e-3 on the log scale; the truncation error is ~step x curvature) and large
#: against rounding (1e-16 / 1e-4).
_STEP = 1e-4


def log_purchase_se(
    model: CountModel,
    horizon_units: float,
    f: FloatArray,
    r: FloatArray,
    T: FloatArray,
    expected: Optional[np.ndarray] = None,
) -> np.ndarray:
    """Standard error of log E[purchases in the horizon] per row, by the delta method
    (``expected``: E[purchases] at the fitted parameters when the caller has it)."""
    params = model.params_.to_numpy(dtype=float)
    cov = np.asarray(model.variance_matrix_, dtype=float)
    cov_log = cov / np.outer(params, params)
    names = list(model.params_.index)
    unit = getattr(model, "time_unit_", None)

    def log_e(p: np.ndarray) -> np.ndarray:
        shifted = type(model).from_params(dict(zip(names, p)), time_unit=unit)
        e = np.asarray(shifted.conditional_expected_purchases(horizon_units, f, r, T), float)
        logs: np.ndarray = np.log(np.maximum(e, 1e-300))
        return logs

    base = log_e(params) if expected is None else np.log(np.maximum(expected, 1e-300))
    grad = np.empty((len(params), len(base)))
    for i in range(len(params)):
        step = np.zeros(len(params))
        step[i] = _STEP
        grad[i] = (log_e(params * np.exp(step)) - base) / _STEP
    var = np.einsum("in,ij,jn->n", grad, cov_log, grad)
    se: np.ndarray = np.sqrt(np.maximum(var, 0.0))
    return se


def clv_interval(
    model: CountModel,
    clv: np.ndarray,
    table: pd.DataFrame,
    horizon_units: float,
    level: float,
    pat: Optional[Patterns] = None,
    expected: Optional[np.ndarray] = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of each customer's CLV at coverage ``level``.

    ``pat`` (the table's patterns) and ``expected`` (each customer's expected purchases in
    the horizon at the fitted parameters) save recomputing what the prediction step has.

    Raises
    ------
    ValueError
        When the fit has no finite covariance matrix.

    Examples
    --------
    >>> import clmkit
    >>> s = clmkit.summarize(clmkit.datasets.load_cdnow_sample(), "customer_id", "date")
    >>> bg = clmkit.ModifiedBetaGeo().fit(s)
    >>> low, high = clv_interval(bg, np.ones(len(s)), s, 365.0, 0.9)
    >>> bool((low < 1).all() and (high > 1).all())
    True
    """
    if not np.isfinite(np.asarray(model.variance_matrix_, dtype=float)).all():
        raise ValueError("the fit has no finite covariance matrix")
    pat = patterns_of(table) if pat is None else pat
    per_pattern = None
    if expected is not None:  # every customer of a pattern has its value: scatter back
        per_pattern = np.empty(len(pat.f))
        per_pattern[pat.inverse] = expected
    z = NormalDist().inv_cdf(0.5 + level / 2)
    se = pat.expand(log_purchase_se(model, horizon_units, pat.f, pat.r, pat.T, per_pattern))
    return clv * np.exp(-z * se), clv * np.exp(z * se)
