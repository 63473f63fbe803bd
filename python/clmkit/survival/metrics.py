"""Discrimination and calibration of survival predictions: Harrell's concordance index and
the IPCW Brier score."""

from __future__ import annotations

from typing import Optional, Protocol, Union, cast

import numpy as np
import numpy.typing as npt

from .. import _core
from .._validation import as_float_array, check_same_length
from ._data import step_lookup, survival_arrays
from ._persist import FloatArray
from ._regression import Rows


class SurvivalModel(Protocol):
    """A fitted clmkit survival model: S(times | rows of X), one time or row of times per
    row (KaplanMeier and NelsonAalen ignore X)."""

    def _survival_at(self, X: Rows, times: FloatArray) -> FloatArray: ...


__all__ = ["concordance_index", "brier_score"]


def concordance_index(
    durations: npt.ArrayLike,
    predicted_scores: npt.ArrayLike,
    event_observed: Optional[npt.ArrayLike] = None,
) -> float:
    """Harrell's concordance index, with lifelines' convention.

    .. warning::
       A HIGHER score must mean a LONGER survival (a predicted time, a survival probability).
       For risk scores such as Cox partial hazards pass their negative. scikit-survival's
       ``concordance_index_censored`` uses the opposite convention (higher = riskier).

    A pair (i, j) is comparable when i has an event and ``t_i < t_j``, or ``t_i == t_j`` and
    j is censored; it is concordant when ``score_i < score_j`` and counts one half when the
    scores tie. Tied event times of two events are not comparable. The count runs in
    O(n log n) (Fenwick tree over score ranks) and equals the O(n^2) definition exactly.

    Parameters
    ----------
    durations : array-like
        Observed times.
    predicted_scores : array-like
        Predictions, higher = longer survival.
    event_observed : array-like of {0, 1}, optional
        Default: every row is an event.

    Returns
    -------
    float
        (concordant + tied / 2) / comparable pairs; 0.5 is random, 1 perfect.

    Raises
    ------
    ValueError
        NaN values, events not in {0, 1}, mismatched lengths, or no comparable pair.

    Examples
    --------
    >>> import clmkit
    >>> clmkit.concordance_index([1, 2, 3, 4], [1, 3, 2, 4], [1, 1, 1, 0])
    0.8333333333333334
    """
    d = as_float_array(durations, "durations")
    s = as_float_array(predicted_scores, "predicted_scores")
    e = (
        np.ones_like(d)
        if event_observed is None
        else as_float_array(event_observed, "event_observed")
    )
    check_same_length(durations=d, predicted_scores=s, event_observed=e)
    concordant, tied, pairs = _core.concordance_pairs(d, s, e)
    if pairs == 0:
        raise ValueError("concordance_index: no comparable pair (no event before another time)")
    return (concordant + 0.5 * tied) / pairs


def survival_matrix(model: object, X: Optional[Rows], times: FloatArray, n: int) -> FloatArray:
    """S(times[k] | x_i) as an (n, len(times)) array for any clmkit survival model."""
    if not hasattr(model, "_survival_at"):
        raise TypeError(
            f"{type(model).__name__} is not a fitted clmkit survival model "
            "(KaplanMeier, NelsonAalen, CoxPH, WeibullAFT)"
        )
    grid = np.broadcast_to(times, (n, len(times)))
    fitted = cast(SurvivalModel, model)
    return np.asarray(fitted._survival_at(X, np.array(grid)), dtype=float).reshape(n, len(times))


def brier_score(
    model: SurvivalModel,
    X: Optional[Rows],
    durations: npt.ArrayLike,
    events: npt.ArrayLike,
    times: npt.ArrayLike,
) -> Union[float, FloatArray]:
    """Brier score of predicted survival at ``times`` with inverse-probability-of-censoring
    weights (Graf, Schmoor, Sauerbrei & Schumacher 1999, eq. 6).

    BS(t) = mean_i [ S(t|x_i)^2 1(T_i <= t, event) / G(T_i-) + (1 - S(t|x_i))^2 1(T_i > t) / G(t) ]
    where G is the Kaplan-Meier estimate of the censoring distribution from ``durations`` and
    ``events``. Rows censored before t contribute 0 (their weight moves to the others).

    Parameters
    ----------
    model : KaplanMeier, NelsonAalen, CoxPH or WeibullAFT
        A fitted model.
    X : DataFrame or None
        Covariates of the evaluation rows (ignored by KaplanMeier / NelsonAalen).
    durations, events : array-like
        Observed times and 0/1 events of the evaluation rows.
    times : float or array-like
        Evaluation times.

    Returns
    -------
    float or numpy.ndarray
        One score per time (0 is perfect; 0.25 is an uninformative S = 0.5).

    Examples
    --------
    >>> import clmkit
    >>> rossi = clmkit.datasets.load_rossi()
    >>> cox = clmkit.CoxPH().fit(rossi, "week", "arrest")
    >>> bs = clmkit.brier_score(cox, rossi, rossi["week"], rossi["arrest"], [20, 40])
    >>> bool(0 < bs[0] < 0.25)
    True
    """
    d, e = survival_arrays(durations, events, "durations", "events")
    t = as_float_array(times, "times", nonnegative=True)
    censoring = _core.km_fit(d, np.ascontiguousarray(1.0 - e), None, None, 1.959964, "log-log")
    ct, cs = censoring.times, censoring.estimate
    g_at_t = step_lookup(ct, cs, t, 1.0)
    # G(T_i-): the censoring survival just before the subject's own time.
    k = np.searchsorted(ct, d, side="left") - 1
    g_before = np.where(k >= 0, cs[np.clip(k, 0, None)], 1.0)
    s = survival_matrix(model, X, t, len(d))
    died = (d[:, None] <= t[None, :]) & (e[:, None] == 1)
    alive = d[:, None] > t[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(died, s**2 / g_before[:, None], 0.0) + np.where(
            alive, (1.0 - s) ** 2 / g_at_t[None, :], 0.0
        )
    out = term.mean(axis=0)
    return float(out[0]) if np.ndim(times) == 0 else out
