"""The distributed-likelihood fit of clmkit.dask.fit (see ``_fit``'s module docstring).

The objective is the one ``src/btyd/mod.rs`` minimises in memory: with times divided by the
largest T (``scale``) and parameters converted to that unit, the mean negative
log-likelihood plus ``penalizer * sum(params**2)``, as a function of log-parameters. A damped
Newton iteration (Hessian by central differences of the analytic gradient, step 1e-5 as the
in-memory standard errors use) drives it to rounding level; each iteration costs two Dask
passes: one evaluating the point and its 2k difference points, one evaluating the trial steps.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

from .. import _core
from .._errors import ConvergenceError
from .._validation import check_int, check_positive_float
from ._partitions import dask, dd

_STEP = 1e-5
_MAX_ITER = 100
_STATUS = "__clmkit_status"


class _Evaluator:
    """Sums log-likelihood and gradient over the partitions of the persisted rows."""

    def __init__(self, model: Any, rows: dd.DataFrame, layout: tuple, scale: float) -> None:
        self.name = model._core_name
        self.names = list(model._data_names)
        self.parts = rows.to_delayed()
        self.time_columns = layout[2]
        self.scale = scale

    def __call__(self, points: np.ndarray, scale: float) -> np.ndarray:
        """(k, 1 + dim) array: log-likelihood and gradient at each natural-parameter row."""
        chunks = [dask.delayed(_partition_totals)(p, self.name, self.names, self.time_columns,
                                                  scale, points) for p in self.parts]
        while len(chunks) > 1:
            chunks = [dask.delayed(_sum)(chunks[i:i + 8]) for i in range(0, len(chunks), 8)]
        (total,) = dask.compute(chunks[0])
        return total


def _partition_totals(rows: pd.DataFrame, name: str, names: list[str], time_columns: list[int],
                      scale: float, points: np.ndarray) -> np.ndarray:
    used = rows[rows[_STATUS].to_numpy() == 1]
    cols = [np.require(used[n].to_numpy(dtype=np.float64), np.float64, ["C", "A"]) for n in names]
    for c in time_columns:
        cols[c] = cols[c] / scale
    out = np.zeros((len(points), points.shape[1] + 1))
    if len(used):
        for i, p in enumerate(points):
            ll, grad = _core.btyd_loglik_grad(name, [float(v) for v in p], cols, None)
            out[i, 0], out[i, 1:] = ll, grad
    return out


def _sum(chunks: list[np.ndarray]) -> np.ndarray:
    total = chunks[0].copy()
    for c in chunks[1:]:
        total += c
    return total


def fit_likelihood(model: Any, rows: dd.DataFrame, stats: dict, unit: Any) -> Any:
    """Fits ``model`` by distributed likelihood; returns it fitted."""
    penalizer = check_positive_float(model.penalizer, "penalizer", allow_zero=True)
    tol = check_positive_float(model.tol, "tol")
    max_iter = check_int(model.max_iter, "max_iter", low=1)
    layout = _core.btyd_model_layout(model._core_name)
    powers = np.array(layout[4], dtype=float)
    n = float(stats["n"])
    if n <= 0:
        raise ValueError("no customers to fit (empty data)")
    scale_col = layout[3]
    scale = float(stats["max"][scale_col]) if scale_col is not None else 1.0
    scale = scale if scale > 0 else 1.0
    evaluate = _Evaluator(model, rows, layout, scale)
    initial = model._checked_initial() or _warm_start(model, rows, n) or [1.0] * len(powers)
    y = np.log(np.asarray(initial) / scale ** powers)

    def objective(values: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = np.exp(ys)
        f = -values[:, 0] / n + penalizer * (p * p).sum(axis=1)
        g = -values[:, 1:] * p / n + 2.0 * penalizer * p * p
        return f, g

    y, g, hessian, n_iter = _newton(evaluate, objective, y, tol, max_iter, scale)
    params = np.exp(y) * scale ** powers
    ll = float(evaluate(params[None, :], 1.0)[0, 0])
    covariance = _covariance(hessian * n, params)
    state = {"format": "clmkit.btyd", "format_version": 1, "model": model._core_name,
             "param_names": list(layout[0]),
             "options": {"penalizer": penalizer, "initial": model._checked_initial(),
                         "tol": tol, "max_iter": max_iter},
             "fit": {"params": params.tolist(), "log_likelihood": ll,
                     "covariance": _json_floats(covariance.ravel()),
                     "standard_errors": _json_floats(np.sqrt(np.diag(covariance))),
                     "n_iter": n_iter, "converged": True,
                     "grad_norm": float(np.linalg.norm(g)), "n_patterns": int(n),
                     "n_customers": n, "time_scale": scale},
             "time_unit": None if unit is None else {"freq": unit.freq,
                                                     "multiplier": float(unit.multiplier)}}
    model._set_state(_core.BtydFit.from_json(json.dumps(state)))
    return model


def _warm_start(model: Any, rows: dd.DataFrame, n: float, size: int = 20_000) -> Any:
    """Parameters fitted in memory on a random sample of about ``size`` rows (None when that
    fit fails): a start close to the optimum saves most Newton passes."""
    sample = rows.sample(frac=min(1.0, size / n), random_state=0).compute()
    sample = sample[sample[_STATUS].to_numpy() == 1]
    try:
        probe = type(model)(penalizer=model.penalizer)
        probe._fit_arrays([np.require(sample[c].to_numpy(dtype=np.float64), np.float64,
                                      ["C", "A"]) for c in model._data_names], None, None)
    except (ValueError, RuntimeError):
        return None
    return probe.params_.tolist()


def _json_floats(values: np.ndarray) -> list:
    return [None if not math.isfinite(v) else float(v) for v in values]


def _covariance(hessian: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Delta method from the inverse observed information on the log scale, as in memory."""
    try:
        np.linalg.cholesky(hessian)
        inverse = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return np.full_like(hessian, np.nan)
    return inverse * np.outer(params, params)


def _points(y: np.ndarray) -> np.ndarray:
    """The point and its central-difference neighbours, in log-parameters."""
    k = len(y)
    steps = np.vstack([np.zeros(k), np.eye(k) * _STEP, -np.eye(k) * _STEP])
    return y + steps


def _newton(evaluate, objective, y0, tol, max_iter, scale):
    """Damped Newton with backtracking; returns (point, gradient, Hessian, iterations).
    A trial point is evaluated together with its difference points, so an accepted full
    step costs one Dask pass."""
    k = len(y0)

    def at(y):
        ys = _points(y)
        f_all, g_all = objective(evaluate(np.exp(ys), scale), ys)
        hessian = (g_all[1:k + 1] - g_all[k + 1:]).T / (2 * _STEP)
        return f_all[0], g_all[0], (hessian + hessian.T) / 2

    y = np.asarray(y0, dtype=float)
    f, g, hessian = at(y)
    for it in range(min(max_iter, _MAX_ITER)):
        step = _newton_step(hessian, g)
        if np.max(np.abs(step)) < 1e-12 or np.max(np.abs(g)) < 1e-15:
            return y, g, hessian, it
        for t in (1.0, 0.25, 0.0625, 0.015625):
            trial = at(y + t * step)
            if trial[0] < f:
                y, (f, g, hessian) = y + t * step, trial
                break
        else:
            if np.max(np.abs(g)) < max(tol, 1e-12) * 1e3:
                return y, g, hessian, it
            raise ConvergenceError(f"distributed likelihood: no descent step; last parameters "
                                   f"{np.exp(y).tolist()}, gradient norm {np.linalg.norm(g):.3e}")
    raise ConvergenceError(f"distributed likelihood: no convergence in {it + 1} iterations; "
                           f"last parameters {np.exp(y).tolist()}")


def _newton_step(hessian: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Newton step, regularised towards gradient descent while the Hessian is not positive
    definite; at most 1 in log-parameter units."""
    k = len(g)
    shift = 0.0
    for _ in range(60):
        try:
            chol = np.linalg.cholesky(hessian + shift * np.eye(k))
            step = -np.linalg.solve(chol.T, np.linalg.solve(chol, g))
            break
        except np.linalg.LinAlgError:
            shift = max(1e-8, shift * 10)
    else:
        step = -g
    size = np.max(np.abs(step))
    return step if size <= 1.0 else step / size
