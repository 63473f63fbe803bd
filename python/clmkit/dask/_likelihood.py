"""The distributed-likelihood fit of clmkit.dask.fit (see ``_fit``'s module docstring).

The objective is the one ``src/btyd/mod.rs`` minimises in memory: with times divided by the
largest T (``scale``) and parameters converted to that unit, the mean negative
log-likelihood plus ``penalizer * sum(params**2)``, as a function of log-parameters. Each
partition first compresses its rows to distinct patterns with counts (persisted in the
cluster), so an evaluation costs one pass over patterns, not rows.

The core's damped Newton (``numeric::optimize::newton``, rules ``Rules::distributed``, bound
as ``_core.optimize_newton``) drives the objective to its optimum and decides every point;
this client only evaluates them: each point is one Dask pass evaluating it and its 2k
central-difference points (Hessian from the analytic gradient, steps
``1e-5 * max(|y|, 1)`` as the in-memory standard errors use). Near the optimum the objective
changes by ~g^2/H, far below its own rounding, so a step is also accepted when it lowers the
largest gradient component: the iteration stops at rounding level, where any summation order
pins the parameters to ~1e-13 relative and so agrees with the in-memory fit (which ends with
a Newton step from its converged point, ``optimize::newton::final_step``). The covariance is
the core's one covariance-from-information routine (``_core.optimize_covariance``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Optional, TypeVar, cast

import numpy as np
import pandas as pd

from .. import _core
from .._errors import ConvergenceError
from ..btyd._base import BTYDFitter
from ..summary.units import TimeUnit
from ._partitions import dd, persist
from ._passes import (
    COUNT,
    MAX_ITER,
    FitSetup,
    FloatArray,
    compress_partitions,
    float_columns,
    json_floats,
    one_pass,
    sample_rows,
    unit_json,
)

if TYPE_CHECKING:
    from ._fit import PatternStats

__all__ = ["fit_likelihood"]

#: The model being fitted (returned fitted).
M = TypeVar("M", bound=BTYDFitter)
# (partition totals, log-parameter rows) -> (objective values, gradients)
_Objective = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]

_STEP = 1e-5


class _Evaluator:
    """Sums log-likelihood and gradient over the partitions' persisted pattern tables."""

    def __init__(self, model: BTYDFitter, patterns: dd.DataFrame, time_columns: list[int]) -> None:
        self.kind = model._model_kind
        self.names = list(model._data_names)
        self.patterns = patterns
        self.time_columns = time_columns

    def __call__(self, points: FloatArray, scale: float) -> FloatArray:
        """(k, 1 + dim) array: log-likelihood and gradient at each natural-parameter row,
        with time columns divided by ``scale``."""
        totals = partial(
            _partition_totals,
            kind=self.kind,
            names=self.names,
            time_columns=self.time_columns,
            scale=scale,
            points=points,
        )
        return one_pass(self.patterns, totals, _sum)


def _partition_totals(
    table: pd.DataFrame,
    kind: _core.ModelKind,
    names: list[str],
    time_columns: list[int],
    scale: float,
    points: FloatArray,
) -> FloatArray:
    cols = float_columns(table, names)
    for c in time_columns:
        cols[c] = cols[c] / scale
    weights = float_columns(table, [COUNT])[0]
    out = np.zeros((len(points), points.shape[1] + 1))
    if len(table):
        for i, p in enumerate(points):
            ll, grad = _core.btyd_loglik_grad(kind, [float(v) for v in p], cols, weights)
            out[i, 0], out[i, 1:] = ll, grad
    return out


def _sum(chunks: Sequence[FloatArray]) -> FloatArray:
    total = chunks[0].copy()
    for c in chunks[1:]:
        total += c
    return cast(FloatArray, total)


def fit_likelihood(
    model: M, rows: dd.DataFrame, stats: PatternStats, unit: Optional[TimeUnit]
) -> M:
    """Fits ``model`` by distributed likelihood on the validated ``rows``; returns it fitted."""
    fit = FitSetup(model, stats)
    penalizer, n, scale, powers, layout = fit.penalizer, fit.n, fit.scale, fit.powers, fit.layout
    patterns = persist(compress_partitions(rows, list(model._data_names)))
    evaluate = _Evaluator(model, patterns, list(layout[2]))
    initial = model._checked_initial() or _warm_start(model, rows, n) or [1.0] * len(powers)
    y = np.log(np.asarray(initial) / scale**powers)

    def objective(values: FloatArray, ys: FloatArray) -> tuple[FloatArray, FloatArray]:
        p = np.exp(ys)
        f = -values[:, 0] / n + penalizer * (p * p).sum(axis=1)
        g = -values[:, 1:] * p / n + 2.0 * penalizer * p * p
        return f, g

    max_iter = min(fit.max_iter, MAX_ITER)
    y, g, hessian, n_iter = _newton(evaluate, objective, y, fit.tol, max_iter, scale)
    params = np.exp(y) * scale**powers
    ll = float(evaluate(params[None, :], 1.0)[0, 0])
    covariance = np.asarray(
        _core.optimize_covariance((hessian * n).ravel().tolist(), params.tolist()), dtype=np.float64
    ).reshape(len(params), len(params))
    state = {
        "format": "clmkit.btyd",
        "format_version": 1,
        "model": model._core_name,
        "param_names": list(layout[0]),
        "options": {
            "penalizer": penalizer,
            "initial": model._checked_initial(),
            "tol": fit.tol,
            "max_iter": fit.max_iter,
        },
        "fit": {
            "params": params.tolist(),
            "log_likelihood": ll,
            "covariance": json_floats(covariance),
            "standard_errors": json_floats(np.sqrt(np.diag(covariance))),
            "n_iter": n_iter,
            "converged": True,
            "grad_norm": float(np.linalg.norm(g)),
            "n_patterns": int(n),
            "n_customers": n,
            "time_scale": scale,
        },
        "time_unit": unit_json(unit),
    }
    model._set_state(_core.BtydFit.from_json(json.dumps(state)))
    return model


def _warm_start(model: BTYDFitter, rows: dd.DataFrame, n: float) -> Optional[list[float]]:
    """Parameters fitted in memory on a random sample of about 20,000 rows (None when that
    fit fails): a start close to the optimum saves most Newton passes."""
    sample = sample_rows(rows, n)
    try:
        probe = type(model)(penalizer=model.penalizer)
        probe._fit_arrays(float_columns(sample, model._data_names), None, None)
    except (ValueError, RuntimeError):
        return None
    return [float(v) for v in probe.params_]


def _steps(y: FloatArray) -> FloatArray:
    """Central-difference steps per log-parameter, as ``optimize::numerical_hessian``."""
    return _STEP * np.maximum(np.abs(y), 1.0)


def _points(y: FloatArray) -> FloatArray:
    """The point and its central-difference neighbours, in log-parameters."""
    k = len(y)
    h = np.diag(_steps(y))
    return y + np.vstack([np.zeros(k), h, -h])


def _newton(
    evaluate: _Evaluator,
    objective: _Objective,
    y0: FloatArray,
    tol: float,
    max_iter: int,
    scale: float,
) -> tuple[FloatArray, FloatArray, FloatArray, int]:
    """The core's damped Newton (``Rules::distributed``) driven from the client: every point
    it asks for is evaluated with its central-difference points in ONE Dask pass, so an
    accepted full step costs one pass. Returns (point, gradient, Hessian, iterations)."""
    k = len(y0)

    def at(y_list: list[float]) -> tuple[float, list[float], list[float]]:
        y = np.asarray(y_list, dtype=np.float64)
        ys = _points(y)
        f_all, g_all = objective(evaluate(np.exp(ys), scale), ys)
        hessian = (g_all[1 : k + 1] - g_all[k + 1 :]).T / (2 * _steps(y))
        hessian = (hessian + hessian.T) / 2
        return float(f_all[0]), g_all[0].tolist(), hessian.ravel().tolist()

    try:
        x, _, g, h, n_iter = _core.optimize_newton(at, [float(v) for v in y0], tol, max_iter)
    except ConvergenceError as err:
        last = [math.exp(v) for v in err.params]
        raise ConvergenceError(
            f"distributed likelihood: {err}; last parameters {last}", last, err.grad_norm
        ) from None
    return (
        np.asarray(x, dtype=np.float64),
        np.asarray(g, dtype=np.float64),
        np.asarray(h, dtype=np.float64).reshape(k, k),
        int(n_iter),
    )
