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

A covariate fit (Fader & Hardie 2007's exp(g'z) links) is the same computation in
theta = (log base parameters, coefficients) with the full covariance of the fit (coefficients
on their own scale): each customer's expected purchases are evaluated at their own linked
parameters for every shifted theta, once per distinct (frequency, recency, T, covariates)
row. A customer whose covariates are all zero has a zero gradient in the coefficients, so
their interval is the plain one with the base block of the covariance.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import TYPE_CHECKING, Optional, cast

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


def covariate_log_purchase_se(
    model: CountModel,
    horizon_units: float,
    f: FloatArray,
    r: FloatArray,
    T: FloatArray,
    z: FloatArray,
    expected: Optional[np.ndarray] = None,
) -> np.ndarray:
    """:func:`log_purchase_se` of a covariate fit: rows of ``z`` are the customers'
    covariates (the fitted columns), the gradient is taken in (log base, coefficients)."""
    state = model._state
    values = np.asarray(state.all_params, dtype=float)
    k = len(state.param_names)
    cov = np.asarray(model.variance_matrix_, dtype=float)
    # theta's scale: log for the base parameters (d p = p d log p), identity for coefficients
    scale = np.where(np.arange(len(values)) < k, values, 1.0)
    cov_theta = cov / np.outer(scale, scale)

    def log_e(all_params: np.ndarray) -> np.ndarray:
        shifted = cast("CountModel", model._with_params(all_params))  # same class as model
        e = shifted.conditional_expected_purchases(horizon_units, f, r, T, covariates=z)
        logs: np.ndarray = np.log(np.maximum(np.asarray(e, dtype=float), 1e-300))
        return logs

    base = log_e(values) if expected is None else np.log(np.maximum(expected, 1e-300))
    grad = np.empty((len(values), len(base)))
    for i in range(len(values)):
        shifted = values.copy()
        shifted[i] = values[i] * np.exp(_STEP) if i < k else values[i] + _STEP
        grad[i] = (log_e(shifted) - base) / _STEP
    var = np.einsum("in,ij,jn->n", grad, cov_theta, grad)
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
    covariates: Optional[pd.DataFrame] = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of each customer's CLV at coverage ``level``.

    ``pat`` (the table's patterns) and ``expected`` (each customer's expected purchases in
    the horizon at the fitted parameters) save recomputing what the prediction step has.
    ``covariates`` (the fitted columns, aligned with ``table``) is required for a model
    fitted with covariates.

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
    z = NormalDist().inv_cdf(0.5 + level / 2)
    if model._has_covariates():
        if covariates is None:
            raise ValueError("the model was fitted with covariates: pass covariates=")
        se = _covariate_se(model, table, covariates, horizon_units, expected)
        return clv * np.exp(-z * se), clv * np.exp(z * se)
    pat = patterns_of(table) if pat is None else pat
    per_pattern = None
    if expected is not None:  # every customer of a pattern has its value: scatter back
        per_pattern = np.empty(len(pat.f))
        per_pattern[pat.inverse] = expected
    se = pat.expand(log_purchase_se(model, horizon_units, pat.f, pat.r, pat.T, per_pattern))
    return clv * np.exp(-z * se), clv * np.exp(z * se)


def _covariate_se(
    model: CountModel,
    table: pd.DataFrame,
    covariates: pd.DataFrame,
    horizon_units: float,
    expected: Optional[np.ndarray],
) -> np.ndarray:
    """Per customer se(log E) of a covariate fit, once per distinct (f, r, T, z) row."""
    data = np.column_stack(
        [table[c].to_numpy(float) for c in ("frequency", "recency", "T")]
        + [covariates.to_numpy(float)]
    )
    rows, first, inverse = np.unique(data, axis=0, return_index=True, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    f, r, T = (np.ascontiguousarray(rows[:, j]) for j in range(3))
    z = np.ascontiguousarray(rows[:, 3:])
    at = None if expected is None else np.asarray(expected, dtype=float)[first]
    se: np.ndarray = covariate_log_purchase_se(model, horizon_units, f, r, T, z, at)[inverse]
    return se
