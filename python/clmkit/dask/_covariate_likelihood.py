"""The distributed-likelihood fit of clmkit.dask.fit with covariates.

The objective is the in-memory covariate fit's (``src/btyd/covariates``): with times divided
by the largest T (``scale``) and base parameters in that unit, the mean negative
log-likelihood over customers at their own parameters, plus ``penalizer * sum(base**2)`` and
each coefficient's L2 penalty, as a function of theta = (log base parameters, coefficients).
Every partition first compresses its rows to distinct (data row, covariate row) patterns with
counts (persisted in the cluster). One Dask pass then gives, per partition, the
log-likelihood, its gradient and its exact Hessian in theta (Rust hook
``btyd_covariate_second``, the engine's own one-pass Hessian); the client sums them and the
core's damped Newton (``_core.optimize_newton``, as the plain distributed path) decides the
next point, so an iteration is one pass. Standard errors come from the summed exact Hessian
at the optimum (delta method for the base parameters, as in memory). The optimum is then
diagnosed as the in-memory fit is (``_covariate_diagnostics``: boundary, singular
information, constant covariates; a boundary start caps the passes), with the same warnings.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Optional, TypeVar

import numpy as np
import pandas as pd

from .. import _core
from .._errors import ClmkitWarning, ConvergenceError
from .._validation import check_int, check_positive_float
from ..btyd._base import BTYDFitter
from ..btyd._covariates import BOUNDARY_ITER, Covariates, penalizers
from ..summary.units import TimeUnit
from . import _covariate_diagnostics as diagnostics
from ._likelihood import FloatArray, compress_partitions
from ._partitions import compute, dd, delayed, persist, to_delayed

if TYPE_CHECKING:
    from ._fit import PatternStats

__all__ = ["fit_covariate_likelihood"]

#: The model being fitted (returned fitted).
M = TypeVar("M", bound=BTYDFitter)

_COUNT = "__clmkit_count"
_STATUS = "__clmkit_status"
_MAX_ITER = 100
_SAMPLE = 20_000


class _Spec:
    """The covariate layout of the fit as the core's functions take it."""

    def __init__(
        self, model: BTYDFitter, names: list[str], processes: dict[str, list[str]]
    ) -> None:
        constrained = model.constrain_covariates
        if isinstance(constrained, str):
            constrained = [constrained]
        self.names = names
        self.purchase = list(processes.get("purchase", []))
        self.dropout = list(processes.get("dropout", []))
        self.spend = list(processes.get("spend", []))
        self.constrained = [str(c) for c in constrained]
        self.penalizers = penalizers(model.covariate_penalizer)

    def second(
        self,
        core_name: str,
        cols: list[FloatArray],
        weights: Optional[FloatArray],
        z: FloatArray,
        theta: list[float],
        scale: float,
    ) -> tuple[float, list[float], list[float], list[float]]:
        """The core's (log-likelihood, gradient, Hessian, coefficient penalties) at theta."""
        return _core.btyd_covariate_second(
            core_name,
            cols,
            weights,
            z,
            self.names,
            self.purchase,
            self.dropout,
            self.spend,
            self.constrained,
            self.penalizers,
            theta,
            scale,
        )


def _partition_second(
    table: pd.DataFrame,
    core_name: str,
    data_names: list[str],
    spec: _Spec,
    theta: list[float],
    scale: float,
) -> tuple[float, FloatArray, FloatArray]:
    """(log-likelihood, gradient, Hessian) of one partition's patterns at theta."""
    dim = len(theta)
    if not len(table):
        return 0.0, np.zeros(dim), np.zeros(dim * dim)
    cols = [
        np.require(table[n].to_numpy(dtype=np.float64), np.float64, ["C", "A"]) for n in data_names
    ]
    z = np.ascontiguousarray(table[spec.names].to_numpy(dtype=np.float64))
    weights = np.require(table[_COUNT].to_numpy(dtype=np.float64), np.float64, ["C", "A"])
    ll, grad, hess, _ = spec.second(core_name, cols, weights, z, theta, scale)
    return float(ll), np.asarray(grad, dtype=float), np.asarray(hess, dtype=float)


def _sum(parts: list[tuple[float, FloatArray, FloatArray]]) -> tuple[float, FloatArray, FloatArray]:
    ll, grad, hess = parts[0][0], parts[0][1].copy(), parts[0][2].copy()
    for p in parts[1:]:
        ll += p[0]
        grad += p[1]
        hess += p[2]
    return ll, grad, hess


class _Evaluator:
    """Sums the partitions' log-likelihood, gradient and Hessian in one Dask pass."""

    def __init__(self, model: BTYDFitter, patterns: dd.DataFrame, spec: _Spec) -> None:
        self.core_name = model._core_name
        self.data_names = list(model._data_names)
        self.parts = to_delayed(patterns)
        self.spec = spec

    def __call__(self, theta: FloatArray, scale: float) -> tuple[float, FloatArray, FloatArray]:
        point = [float(v) for v in theta]
        chunks = [
            delayed(_partition_second)(p, self.core_name, self.data_names, self.spec, point, scale)
            for p in self.parts
        ]
        while len(chunks) > 1:
            chunks = [delayed(_sum)(chunks[i : i + 8]) for i in range(0, len(chunks), 8)]
        (total,) = compute(chunks[0])
        ll, grad, hess = total
        return float(ll), grad, hess


def fit_covariate_likelihood(
    model: M,
    rows: dd.DataFrame,
    stats: PatternStats,
    unit: Optional[TimeUnit],
    names: list[str],
    processes: dict[str, list[str]],
) -> M:
    """Fits ``model`` with covariates ``names`` (per process: ``processes``) by distributed
    likelihood on the validated ``rows``; returns it fitted."""
    penalizer = check_positive_float(model.penalizer, "penalizer", allow_zero=True)
    tol = check_positive_float(model.tol, "tol")
    max_iter = check_int(model.max_iter, "max_iter", low=1)
    spec = _Spec(model, names, processes)
    layout = _core.btyd_model_layout(model._core_name)
    powers = np.array(layout[4], dtype=float)
    k = len(powers)
    n = float(stats["n"])
    maxima = stats["max"]
    if n <= 0 or maxima is None:
        raise ValueError("no customers to fit (empty data)")
    scale_col = layout[3]
    scale = float(maxima[scale_col]) if scale_col is not None else 1.0
    scale = scale if scale > 0 else 1.0
    data_names = list(model._data_names)
    patterns = persist(compress_partitions(rows, data_names + names))
    evaluate = _Evaluator(model, patterns, spec)
    probe = _sample_fit(model, rows, n, spec)
    if probe is None:
        raise ValueError(
            "the distributed covariate fit starts from an in-memory fit on a sample of the "
            "data, and that fit failed: check the covariates (constant or colinear?)"
        )
    base = probe.params_.to_numpy(dtype=np.float64)
    coefs = np.asarray(probe._state.all_params, dtype=np.float64)[k:]
    theta0 = np.concatenate([np.log(np.asarray(base) / scale**powers), coefs])
    # The penalties' weights per free coefficient, from the core's layout.
    penalty: FloatArray = np.asarray(
        spec.second(
            model._core_name,
            [np.zeros(0) for _ in data_names],
            None,
            np.zeros((0, len(names))),
            [float(v) for v in theta0],
            1.0,
        )[3],
        dtype=np.float64,
    )

    def at(y_list: list[float]) -> tuple[float, list[float], list[float]]:
        y = np.asarray(y_list, dtype=np.float64)
        ll, g, h = evaluate(y, scale)
        dim = len(y)
        p2 = np.exp(2.0 * y[:k])
        value = -ll / n + penalizer * p2.sum() + float((penalty * y[k:] ** 2).sum())
        grad = -g / n
        grad[:k] += 2.0 * penalizer * p2
        grad[k:] += 2.0 * penalty * y[k:]
        hess = -h.reshape(dim, dim) / n
        hess[np.arange(k), np.arange(k)] += 4.0 * penalizer * p2
        hess[np.arange(k, dim), np.arange(k, dim)] += 2.0 * penalty
        return value, grad.tolist(), hess.ravel().tolist()

    base_names = list(layout[0])
    ridge = diagnostics.on_boundary(base_names, theta0[:k], list(probe._state.warnings))
    theta, grad, hessian, n_iter = _newton(at, theta0, tol, min(max_iter, _MAX_ITER), ridge, k)
    params = np.exp(theta[:k]) * scale**powers
    natural = np.concatenate([np.log(params), theta[k:]])
    ll = evaluate(natural, 1.0)[0]
    jacobian = np.concatenate([params, np.ones(len(theta) - k)])
    covariance = np.asarray(
        _core.optimize_covariance((hessian * n).tolist(), jacobian.tolist()), dtype=np.float64
    )
    # The sample fit's saved state is the template: same model, covariates, options.
    state = json.loads(probe._state.to_json())
    dim = len(theta)
    state["options"].update(
        {"penalizer": penalizer, "initial": model._checked_initial(), "tol": tol}
    )
    state["options"]["max_iter"] = max_iter
    state["fit"].update(
        {
            "params": [*params.tolist(), *theta[k:].tolist()],
            "log_likelihood": ll,
            "covariance": _json_floats(covariance),
            "standard_errors": _json_floats(np.sqrt(np.abs(np.diag(covariance.reshape(dim, dim))))),
            "n_iter": n_iter,
            "converged": True,
            "grad_norm": float(np.linalg.norm(grad)),
            "n_patterns": int(n),
            "n_customers": n,
            "time_scale": scale,
            "warnings": [],
        }
    )
    state["time_unit"] = (
        None if unit is None else {"freq": unit.freq, "multiplier": float(unit.multiplier)}
    )
    constant = diagnostics.constant_covariates(patterns, names)
    said = diagnostics.diagnose(state["fit"], base_names, theta[:k], hessian * n, constant)
    model._set_state(_core.BtydCovariateFit.from_json(json.dumps(state)))
    diagnostics.warn(model, said)
    return model


def _newton(
    at: Callable[[list[float]], tuple[float, list[float], list[float]]],
    theta0: FloatArray,
    tol: float,
    limit: int,
    ridge: bool,
    k: int,
) -> tuple[FloatArray, FloatArray, FloatArray, int]:
    """(theta, gradient, Hessian, iterations) of the damped Newton from ``theta0``. From a
    sample fit on the boundary (``ridge``) it gets the in-memory fit's ``BOUNDARY_ITER``
    passes first, and an end on the boundary is kept (the diagnostics mark it) rather than
    walked for all ``limit`` passes; an end inside continues with the full limit."""
    start, first = theta0, min(limit, BOUNDARY_ITER) if ridge else limit
    for cap in (first, limit):
        try:
            end = _core.optimize_newton(at, start.tolist(), tol, cap)
        except ConvergenceError as err:
            stop = np.asarray(err.params, dtype=np.float64)
            if ridge and diagnostics.boundary_limits(["-"] * k, stop[:k]):
                _, g, h = at(stop.tolist())
                return stop, np.asarray(g), np.asarray(h), cap
            if cap == limit:
                raise ConvergenceError(
                    f"distributed covariate likelihood: {err}", list(err.params), err.grad_norm
                ) from None
            start = stop
            continue
        theta = np.asarray(end[0], dtype=np.float64)
        return theta, np.asarray(end[2]), np.asarray(end[3]), int(end[4])
    raise AssertionError("unreachable: the last pass returns or raises")


def _sample_fit(
    model: BTYDFitter, rows: dd.DataFrame, n: float, spec: _Spec
) -> Optional[BTYDFitter]:
    """The covariate fit in memory on a random sample of about 20,000 rows (None when it
    fails): the start of the Newton iteration, a few passes from the optimum, and the
    template of the saved state."""
    (sample,) = compute(rows.sample(frac=min(1.0, _SAMPLE / n), random_state=0))  # type: ignore[no-untyped-call]
    sample = sample[sample[_STATUS].to_numpy() == 1]
    arrays = [
        np.require(sample[c].to_numpy(dtype=np.float64), np.float64, ["C", "A"])
        for c in model._data_names
    ]
    z = np.ascontiguousarray(sample[spec.names].to_numpy(dtype=np.float64))
    processes = {"purchase": spec.purchase, "dropout": spec.dropout, "spend": spec.spend}
    cov = Covariates(z, spec.names, {p: c for p, c in processes.items() if c})
    probe = type(model)(**model._hyperparameters())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ClmkitWarning)
            probe._fit_arrays(arrays, None, None, cov)
    except (ValueError, RuntimeError):
        return None
    return probe


def _json_floats(values: FloatArray) -> list[float | None]:
    return [None if not math.isfinite(v) else float(v) for v in np.ravel(values)]
