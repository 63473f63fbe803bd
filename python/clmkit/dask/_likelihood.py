"""The distributed-likelihood fit of clmkit.dask.fit (see ``_fit``'s module docstring).

The objective is the one ``src/btyd/mod.rs`` minimises in memory: with times divided by the
largest T (``scale``) and parameters converted to that unit, the mean negative
log-likelihood plus ``penalizer * sum(params**2)``, as a function of log-parameters. Each
partition first compresses its rows to distinct patterns with counts (persisted in the
cluster), so an evaluation costs one pass over patterns, not rows.

A damped Newton iteration (Hessian by central differences of the analytic gradient, steps
``1e-5 * max(|y|, 1)`` as the in-memory standard errors use) drives the objective to its
optimum; each iteration is one Dask pass evaluating the trial point and its 2k difference
points. Near the optimum the objective changes by ~g^2/H, far below its own rounding, so a
step is also accepted when it lowers the largest gradient component: the iteration stops at
rounding level, where any summation order pins the parameters to ~1e-13 relative and so
agrees with the in-memory fit (which ends with a Newton step from its converged point,
``optimize::newton::final_step``).
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
_COUNT = "__clmkit_count"


def compress_partitions(rows: dd.DataFrame, names: list[str]) -> dd.DataFrame:
    """Per partition, the distinct (used) data rows with their counts (-0.0 folded into 0.0
    as the Rust compression does)."""
    meta = pd.DataFrame(
        {**{n: pd.Series(dtype="float64") for n in names}, _COUNT: pd.Series(dtype="float64")}
    )
    return rows.map_partitions(_partition_patterns, names, meta=meta)


def _partition_patterns(rows: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    used = rows.loc[rows[_STATUS].to_numpy() == 1, names] + 0.0
    table = used.groupby(names, sort=False).size().rename(_COUNT).reset_index()
    return table.astype({_COUNT: "float64"})


class _Evaluator:
    """Sums log-likelihood and gradient over the partitions' persisted pattern tables."""

    def __init__(self, model: Any, patterns: dd.DataFrame, layout: tuple) -> None:
        self.name = model._core_name
        self.names = list(model._data_names)
        self.parts = patterns.to_delayed()
        self.time_columns = layout[2]

    def __call__(self, points: np.ndarray, scale: float) -> np.ndarray:
        """(k, 1 + dim) array: log-likelihood and gradient at each natural-parameter row,
        with time columns divided by ``scale``."""
        chunks = [
            dask.delayed(_partition_totals)(
                p, self.name, self.names, self.time_columns, scale, points
            )
            for p in self.parts
        ]
        while len(chunks) > 1:
            chunks = [dask.delayed(_sum)(chunks[i : i + 8]) for i in range(0, len(chunks), 8)]
        (total,) = dask.compute(chunks[0])
        return total


def _partition_totals(
    table: pd.DataFrame,
    name: str,
    names: list[str],
    time_columns: list[int],
    scale: float,
    points: np.ndarray,
) -> np.ndarray:
    cols = [np.require(table[n].to_numpy(dtype=np.float64), np.float64, ["C", "A"]) for n in names]
    for c in time_columns:
        cols[c] = cols[c] / scale
    weights = np.require(table[_COUNT].to_numpy(dtype=np.float64), np.float64, ["C", "A"])
    out = np.zeros((len(points), points.shape[1] + 1))
    if len(table):
        for i, p in enumerate(points):
            ll, grad = _core.btyd_loglik_grad(name, [float(v) for v in p], cols, weights)
            out[i, 0], out[i, 1:] = ll, grad
    return out


def _sum(chunks: list[np.ndarray]) -> np.ndarray:
    total = chunks[0].copy()
    for c in chunks[1:]:
        total += c
    return total


def fit_likelihood(model: Any, rows: dd.DataFrame, stats: dict, unit: Any) -> Any:
    """Fits ``model`` by distributed likelihood on the validated ``rows``; returns it fitted."""
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
    patterns = compress_partitions(rows, list(model._data_names)).persist()
    evaluate = _Evaluator(model, patterns, layout)
    initial = model._checked_initial() or _warm_start(model, rows, n) or [1.0] * len(powers)
    y = np.log(np.asarray(initial) / scale**powers)

    def objective(values: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = np.exp(ys)
        f = -values[:, 0] / n + penalizer * (p * p).sum(axis=1)
        g = -values[:, 1:] * p / n + 2.0 * penalizer * p * p
        return f, g

    y, g, hessian, n_iter = _newton(evaluate, objective, y, tol, min(max_iter, _MAX_ITER), scale)
    params = np.exp(y) * scale**powers
    ll = float(evaluate(params[None, :], 1.0)[0, 0])
    covariance = _covariance(hessian * n, params)
    state = {
        "format": "clmkit.btyd",
        "format_version": 1,
        "model": model._core_name,
        "param_names": list(layout[0]),
        "options": {
            "penalizer": penalizer,
            "initial": model._checked_initial(),
            "tol": tol,
            "max_iter": max_iter,
        },
        "fit": {
            "params": params.tolist(),
            "log_likelihood": ll,
            "covariance": _json_floats(covariance.ravel()),
            "standard_errors": _json_floats(np.sqrt(np.diag(covariance))),
            "n_iter": n_iter,
            "converged": True,
            "grad_norm": float(np.linalg.norm(g)),
            "n_patterns": int(n),
            "n_customers": n,
            "time_scale": scale,
        },
        "time_unit": None
        if unit is None
        else {"freq": unit.freq, "multiplier": float(unit.multiplier)},
    }
    model._set_state(_core.BtydFit.from_json(json.dumps(state)))
    return model


def _warm_start(model: Any, rows: dd.DataFrame, n: float, size: int = 20_000) -> Any:
    """Parameters fitted in memory on a random sample of about ``size`` rows (None when that
    fit fails): a start close to the optimum saves most Newton passes."""
    sample = rows.sample(frac=min(1.0, size / n), random_state=0).compute()
    sample = sample[sample[_STATUS].to_numpy() == 1]
    try:
        probe = type(model)(penalizer=model.penalizer)
        probe._fit_arrays(
            [
                np.require(sample[c].to_numpy(dtype=np.float64), np.float64, ["C", "A"])
                for c in model._data_names
            ],
            None,
            None,
        )
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


def _steps(y: np.ndarray) -> np.ndarray:
    """Central-difference steps per log-parameter, as ``optimize::numerical_hessian``."""
    return _STEP * np.maximum(np.abs(y), 1.0)


def _points(y: np.ndarray) -> np.ndarray:
    """The point and its central-difference neighbours, in log-parameters."""
    k = len(y)
    h = np.diag(_steps(y))
    return y + np.vstack([np.zeros(k), h, -h])


def _newton(evaluate, objective, y0, tol, max_iter, scale):
    """Damped Newton with backtracking; returns (point, gradient, Hessian, iterations).
    A trial point is evaluated together with its difference points, so an accepted full
    step costs one Dask pass."""
    k = len(y0)

    def at(y):
        ys = _points(y)
        f_all, g_all = objective(evaluate(np.exp(ys), scale), ys)
        hessian = (g_all[1 : k + 1] - g_all[k + 1 :]).T / (2 * _steps(y))
        return f_all[0], g_all[0], (hessian + hessian.T) / 2

    y = np.asarray(y0, dtype=float)
    f, g, hessian = at(y)
    for it in range(max_iter):
        step = _newton_step(hessian, g)
        if np.max(np.abs(step)) < 1e-15:
            return y, g, hessian, it
        # Polish regime: the predicted change of the value (the Newton decrement) is too
        # small to test, so only the full step is tried and only a smaller gradient accepts
        # it; the first refusal means the gradient is at rounding level.
        polish = -float(g @ step) <= _slack(f)
        for t in (1.0,) if polish else (1.0, 0.25, 0.0625, 0.015625):
            trial = at(y + t * step)
            if _accept(trial[0], trial[1], f, g, polish):
                y, (f, g, hessian) = y + t * step, trial
                break
        else:
            if np.max(np.abs(g)) < tol:
                return y, g, hessian, it
            raise ConvergenceError(
                f"distributed likelihood: no descent step; last parameters "
                f"{np.exp(y).tolist()}, gradient norm {np.linalg.norm(g):.3e}"
            )
    if np.max(np.abs(g)) < tol:
        return y, g, hessian, max_iter
    raise ConvergenceError(
        f"distributed likelihood: no convergence in {max_iter} iterations; "
        f"last parameters {np.exp(y).tolist()}"
    )


def _slack(f: float) -> float:
    """Change of the mean objective too small to rank two points by value (its sums carry
    rounding of ~sqrt(n) eps)."""
    return 1e-11 * max(abs(f), 1.0)


def _accept(f_new: float, g_new: np.ndarray, f: float, g: np.ndarray, polish: bool) -> bool:
    """Away from the optimum a lower value; in the polish regime (or within rounding of
    the value) a smaller largest gradient component."""
    if not np.isfinite(f_new):
        return False
    if f_new < f and not polish:
        return True
    return bool(f_new <= f + _slack(f) and np.max(np.abs(g_new)) < np.max(np.abs(g)))


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
