"""Nonparametric bootstrap of covariate fits: customers resampled with replacement (each
row with its covariates), the model refitted, for ``predict_interval(method="resample")``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import _core
from .._errors import ConvergenceError

if TYPE_CHECKING:
    from ._base import BTYDFitter

__all__ = ["resample_draws"]


def resample_draws(model: BTYDFitter, n_boot: int, seed: int) -> np.ndarray:
    """(base parameters, coefficients) of ``n_boot`` refits, one row each.

    A replicate draws as many customers as the fit had (the sum of the weights, rounded),
    with replacement and in proportion to the weights; the draw is given to the fit as
    multinomial counts, so no data are copied, and the counts depend only on ``seed``.
    Refits that fail (no convergence, a boundary) are left out; the caller warns.
    """
    data = getattr(model, "_training_data_", None)
    cov = getattr(model, "_training_covariates_", None)
    if data is None or cov is None:
        raise ValueError(
            'method="resample" refits the model to resampled customers and needs the data '
            "and covariates of the fit: fit the model in this session (a model loaded from "
            'JSON or a pickle only supports method="parametric")'
        )
    columns, weights = data
    state = model._state
    n_rows = len(columns[0])
    w = np.ones(n_rows) if weights is None else np.asarray(weights, dtype=float)
    total = round(float(w.sum()))
    if total < 2:
        raise ValueError("resampling needs at least 2 customers")
    prob = w / w.sum()
    rng = np.random.default_rng(seed)
    constrained = [str(c) for c in state.covariates[4]]
    base = [float(v) for v in state.params]
    out = []
    for _ in range(n_boot):
        counts = rng.multinomial(total, prob).astype(float)
        keep = counts > 0
        try:
            refit = _core.btyd_covariate_fit(
                model._model_kind,
                [np.ascontiguousarray(c[keep]) for c in columns],
                np.ascontiguousarray(counts[keep]),
                np.ascontiguousarray(cov.z[keep]),
                cov.names,
                cov.processes.get("purchase", []),
                cov.processes.get("dropout", []),
                cov.processes.get("spend", []),
                constrained,
                tuple(state.covariate_penalizer),
                float(state.penalizer),
                base,
                float(state.tol),
                int(state.max_iter),
                None,
            )
        except ConvergenceError:
            continue
        if refit.converged:
            out.append(np.asarray(refit.all_params, dtype=float))
    if not out:
        raise ValueError("no resampled refit converged: no resample interval")
    return np.vstack(out)
