"""``generate`` for covariate fits: customers simulated at their own parameters.

Each simulated customer gets a covariate row (one profile for all, or one row per customer),
hence their own natural parameters under the fitted links (``BtydCovariateFit.customer_params``),
and is drawn from the plain model's process at those parameters: BG/NBD and MBG/NBD by the
vectorised draws of :mod:`clmkit.btyd.bgnbd` (numpy takes per-customer parameter arrays),
Pareto/NBD and BG/BB by the core's per-customer simulators (customer i from stream
(seed, i), as the plain ``generate``). The covariate columns are added to the result, so
``type(model)().fit(sim, purchase_covariates=..., ...)`` refits it directly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Optional

import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import _core
from .._typing import CovariateData
from .._validation import check_int, check_per_customer
from ..exceptions import InvalidValueError, with_row_label
from . import _covariates
from ._intervals import random_seed

if TYPE_CHECKING:
    from ._base import BTYDFitter

__all__ = ["generate", "covariate_rows", "Draw"]

#: A model's vectorised simulator: (per-customer parameter columns, n, lengths, seed) ->
#: the simulated frame.
Draw = Callable[
    [list[npt.NDArray[np.float64]], int, npt.NDArray[np.float64], Optional[int]], pd.DataFrame
]


def covariate_rows(model: BTYDFitter, covariates: CovariateData, n: int) -> np.ndarray:
    """The n x (fitted columns) covariate matrix of ``n`` simulated customers: ``covariates``
    as one profile (a dict, a sequence or a one-row table, repeated) or one row each."""
    names = list(model._state.covariates[0])
    if covariates is None:
        raise ValueError(
            f"this model was fitted with covariates {names}: generate needs covariates= (one "
            "profile as a dict or sequence, or one row per simulated customer)"
        )
    if isinstance(covariates, Mapping):
        missing = [c for c in names if c not in covariates]
        if missing:
            raise ValueError(f"covariates lacks the fitted columns {missing}")
        z = _covariates.for_prediction(model, None, [[covariates[c] for c in names]], None)
    else:
        z = _covariates.for_prediction(model, None, covariates, None)
    if len(z) == 1 and n != 1:
        return np.ascontiguousarray(np.repeat(z, n, axis=0))
    if len(z) != n:
        raise ValueError(
            f"covariates have {len(z)} rows: give one profile or one row per simulated "
            f"customer (n={n})"
        )
    return z


def generate(
    model: BTYDFitter,
    n: int,
    length: npt.ArrayLike,
    seed: Optional[int],
    covariates: CovariateData,
    length_name: str,
    draw: Optional[Draw] = None,
) -> pd.DataFrame:
    """``n`` customers simulated from a covariate fit, observed for ``length`` (T, or BG/BB's
    opportunities); the same ``seed`` as the plain model's ``generate``. ``draw`` is the
    model's own vectorised simulator (BG/NBD family) given per-customer parameter columns;
    without it the core simulates (Pareto/NBD, BG/BB)."""
    if not model._has_covariates():
        raise ValueError(
            f"covariates= is for models fitted with covariates; this {type(model).__name__} "
            "has none (fit it with purchase_covariates= / dropout_covariates=)"
        )
    n = check_int(n, "n", low=0)
    discrete = model._model_kind == _core.ModelKind.BG_BB
    periods = check_per_customer(length, length_name, n, integer=discrete)
    z = covariate_rows(model, covariates, n)
    names = list(model._state.covariates[0])
    if draw is not None:
        params = np.asarray(model._state.customer_params(z), dtype=float).reshape(n, -1)
        columns = [np.ascontiguousarray(params[:, j]) for j in range(params.shape[1])]
        frame = draw(columns, n, periods, seed)
    else:
        try:
            sims = _core.btyd_covariate_generate(model._state, z, periods, random_seed(seed))
        except InvalidValueError as err:
            raise with_row_label(err, None) from None
        latent = ("p", "theta") if discrete else ("lambda", "mu")
        frame = pd.DataFrame(
            {
                "frequency": sims["frequency"],
                "recency": sims["recency"],
                length_name: periods,
                latent[0]: sims[latent[0]],
                latent[1]: sims[latent[1]],
                "alive": sims["alive"].astype(bool),
            }
        )
    return _with_covariates(frame, z, names)


def _with_covariates(frame: pd.DataFrame, z: np.ndarray, names: list[str]) -> pd.DataFrame:
    """The simulated frame with the covariate columns after the data columns."""
    clash = [c for c in names if c in frame.columns]
    if clash:
        raise ValueError(
            f"covariates {clash} are named like the simulated columns: rename them to simulate"
        )
    at = 3
    for j, c in enumerate(names):
        frame.insert(at + j, c, z[:, j])
    return frame
