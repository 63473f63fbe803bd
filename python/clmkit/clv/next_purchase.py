"""When is each customer's next purchase expected? The time at which the conditional
expected purchases reach one (or ``target``), from a fitted purchase-count model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
import numpy.typing as npt

from .. import _core
from .._typing import CovariateData
from .._validation import as_float_array, check_int, check_positive_float, check_same_length
from ..btyd import _covariates
from ..btyd._count import CountModel

__all__ = ["time_to_expected_purchases"]

FloatArray = npt.NDArray[np.float64]


class ExpectsPurchases(Protocol):
    """Anything with lifetimes' ``conditional_expected_purchases(t, frequency, recency, T)``."""

    def conditional_expected_purchases(
        self, t: float, frequency: FloatArray, recency: FloatArray, T: FloatArray
    ) -> npt.ArrayLike: ...


def time_to_expected_purchases(
    model: ExpectsPurchases,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    horizon: float,
    target: float = 1.0,
    points: int = 48,
    covariates: CovariateData = None,
) -> FloatArray:
    """Time (model units) at which each customer's expected purchases reach ``target``.

    E[Y(t)], the expected purchases in (T, T + t], increases in t: the crossing of ``target``
    is bracketed on ``points`` equally spaced times in (0, ``horizon``] and linearly
    interpolated between the two grid times around it (E[Y(0)] = 0). For clmkit's count
    models all grid times of a customer come from one call of the core's multi-horizon kernel
    (the series behind E[Y] is summed once for all horizons); other models with lifetimes'
    ``conditional_expected_purchases`` are evaluated one grid time at a time.

    Parameters
    ----------
    model : fitted count model
        e.g. :class:`clmkit.BetaGeo`.
    frequency, recency, T : array-like
        Customer histories in the model's time unit.
    horizon : float
        Longest wait considered (> 0).
    target : float, default 1.0
        Expected purchases to reach (> 0).
    points : int, default 48
        Grid times, 1 to 10,000.
    covariates : table or 2-D array, optional
        For models fitted with covariates (required there): each customer's covariate row,
        in the order of the fitted columns; every customer is evaluated at their own
        parameters (the same grid, one vectorised evaluation per grid time).

    Returns
    -------
    numpy.ndarray
        One time per customer; NaN when fewer than ``target`` purchases are expected
        within ``horizon``.

    Examples
    --------
    >>> import clmkit
    >>> data = clmkit.datasets.load_cdnow_summary()
    >>> bg = clmkit.BetaGeo().fit(data)
    >>> wait = time_to_expected_purchases(bg, [10.0, 0.0], [35.0, 0.0], [38.0, 38.0], 52.0)
    >>> bool(0 < wait[0] < 52), bool(np.isnan(wait[1]))
    (True, True)
    """
    horizon = check_positive_float(horizon, "horizon")
    target = check_positive_float(target, "target")
    points = check_int(points, "points", low=1, high=10_000)
    f = as_float_array(frequency, "frequency", finite=False)
    r = as_float_array(recency, "recency", finite=False)
    t = as_float_array(T, "T", finite=False)
    check_same_length(frequency=f, recency=r, T=t)
    if isinstance(model, CountModel) and getattr(model, "_model_kind", None) is not None:
        model._check_fitted()
        rows = model._validate([f, r, t])
        if model._has_covariates():
            z = _covariates.for_prediction(model, None, covariates, len(f))
            state = model._state

            def own(h: float, todo: npt.NDArray[np.bool_]) -> npt.ArrayLike:
                sub = [np.ascontiguousarray(c[todo]) for c in rows]
                out: npt.ArrayLike = state.predict(
                    "conditional_expected_purchases", [h], sub, np.ascontiguousarray(z[todo])
                )
                return out

            return _grid_scan(own, len(f), horizon, target, points)
        if covariates is not None:
            raise ValueError("covariates= is for models fitted with covariates")
        return _core.clv_time_to_expected_purchases(
            model._fit_state(), rows[0], rows[1], rows[2], target, horizon, points
        )
    if covariates is not None:
        raise ValueError("covariates= is for clmkit count models fitted with covariates")

    def expected(h: float, todo: npt.NDArray[np.bool_]) -> npt.ArrayLike:
        return model.conditional_expected_purchases(h, f[todo], r[todo], t[todo])

    return _grid_scan(expected, len(f), horizon, target, points)


def _grid_scan(
    expected: Callable[[float, npt.NDArray[np.bool_]], npt.ArrayLike],
    n: int,
    horizon: float,
    target: float,
    points: int,
) -> FloatArray:
    """The same crossing for any model, one grid time per call: ``expected(t, todo)`` gives
    E[Y(t)] of the customers not yet crossed (the rows where ``todo`` is True)."""
    grid = np.linspace(0.0, horizon, points + 1)
    out = np.full(n, np.nan)
    todo = np.ones(n, dtype=bool)
    prev = np.zeros(n)
    for k in range(1, points + 1):
        if not todo.any():
            break
        cur = np.zeros(n)
        cur[todo] = np.asarray(expected(float(grid[k]), todo), dtype=float)
        hit = todo & (cur >= target)
        frac = (target - prev[hit]) / np.maximum(cur[hit] - prev[hit], 1e-300)
        out[hit] = grid[k - 1] + np.clip(frac, 0.0, 1.0) * (grid[k] - grid[k - 1])
        todo &= ~hit
        prev = cur
    return out
