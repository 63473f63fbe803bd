"""Histories lifetimes computes with and clmkit's pointwise kernels reject: no repeat
purchase (frequency 0) but recency > 0.

No customer has such a history (recency is the age at the last *repeat* purchase), but
lifetimes evaluates its formulas there, and its users' heat maps and loops over grids do
too. clmkit's native API stays strict; the façade gives lifetimes' number from the core:

* P(alive) and the conditional expectation at (0, R, T) are the core's grid kernels
  (``p_alive_matrix`` / ``expected_purchases_matrix`` with ``impossible="evaluate"``), which
  evaluate the closed forms on such cells: cell (R, 0) of the grid of age T. A non-integer R
  is made the integer 1 by measuring time in units of R (the models are invariant when all
  times and the rate parameters are rescaled together; lifetimes' own ``_scale`` does this).
* P(n purchases) uses the law of total probability every BTYD model satisfies, given the
  history: P(n) = [n = 0] P(dead) + P(alive) P(n | alive, x, T), where the second factor
  does not depend on recency; it is read off the core's value at the valid history (0, 0, T).
"""

from __future__ import annotations

import warnings

import numpy as np

from ....btyd import CountModel
from ....exceptions import ClmkitWarning

__all__ = ["odd_rows", "evaluate", "probability_of_n"]

# The largest absolute error accepted in P(0 purchases) at such histories.
_MAX_ERROR = 1e-9


def odd_rows(frequency: np.ndarray, recency: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Rows with no repeat purchase but recency > 0 (and recency <= T: others stay errors)."""
    mask: np.ndarray = (frequency == 0) & (recency > 0) & (recency <= T)
    return mask


def _grid_model(model: CountModel, time_params: tuple[str, ...], unit: float) -> CountModel:
    """The native model with time measured in units of ``unit`` (rates' scales divided)."""
    if unit == 1.0:
        return model
    params = model.params_.copy()
    for name in time_params:
        params[name] = params[name] / unit
    return type(model).from_params(params.to_dict())


def evaluate(
    model: CountModel,
    time_params: tuple[str, ...],
    kind: str,
    recency: np.ndarray,
    T: np.ndarray,
    t: float = 0.0,
) -> np.ndarray:
    """P(alive) (``kind="p_alive"``) or the expected purchases in the next ``t`` (``kind=
    "expected"``) at the histories (0, recency, T), one grid per distinct (recency, T)."""
    out = np.empty(len(recency))
    pairs, inverse = np.unique(np.stack([recency, T], axis=1), axis=0, return_inverse=True)
    for k, (rec, age) in enumerate(pairs):
        unit = 1.0 if float(rec).is_integer() and rec <= 10_000 else float(rec)
        grid_model = _grid_model(model, time_params, unit)
        row = round(float(rec) / unit)
        if kind == "p_alive":
            grid = grid_model.p_alive_matrix(0, row, T=age / unit, impossible="evaluate")
        else:
            grid = grid_model.expected_purchases_matrix(
                t / unit, 0, row, T=age / unit, impossible="evaluate"
            )
        out[np.ravel(inverse) == k] = grid.to_numpy(dtype=float)[row, 0]
    return out


def probability_of_n(
    at_valid: np.ndarray, p_alive_valid: np.ndarray, p_alive_odd: np.ndarray, n: int
) -> np.ndarray:
    """P(n purchases | 0, R, T) from the core's P(n | 0, 0, T) (``at_valid``) and P(alive)
    at both histories, by the law of total probability (see the module docstring)."""
    dead = 1.0 if n == 0 else 0.0
    given_alive = (at_valid - dead * (1.0 - p_alive_valid)) / p_alive_valid
    if n == 0:
        # P(0 | alive) comes from a difference whose rounding error (~1e-16 / P(alive | 0, 0,
        # T)) is multiplied by P(alive | 0, R, T): NaN (and a warning) rather than a number
        # whose error may exceed _MAX_ERROR.
        lost = p_alive_odd * np.finfo(float).eps > _MAX_ERROR * p_alive_valid
        if lost.any():
            warnings.warn(
                f"{int(lost.sum())} histories with frequency 0 and recency > 0: P(0 purchases) "
                f"cannot be computed to {_MAX_ERROR:g} (P(alive) at recency 0 is too small); "
                "NaN returned",
                ClmkitWarning,
                stacklevel=4,
            )
            given_alive = np.where(lost, np.nan, given_alive)
    out: np.ndarray = dead * (1.0 - p_alive_odd) + p_alive_odd * given_alive
    return out
