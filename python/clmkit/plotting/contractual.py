"""Plots of the contractual retention models: survival curves and retention rates by
period, model against actual, one line per cohort."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np
import pandas as pd

from ._mpl import axes_or_current

if TYPE_CHECKING:
    from collections.abc import Mapping

    import numpy.typing as npt
    from matplotlib.axes import Axes

    from ..contractual._predict import RetentionPredictions

#: Observed survivors: one cohort's counts, counts by cohort label, or cohort_survivors' table.
Survivors = Union[pd.DataFrame, "Mapping[object, npt.ArrayLike]", "npt.ArrayLike", None]

__all__ = ["plot_retention", "plot_survival"]


def _profile_rows(model: object, covariates: object, n: int, what: str) -> Optional[np.ndarray]:
    """``n`` copies of the one covariate profile the curve shows (None for a model fitted
    without covariates); a covariate fit without ``covariates`` is a ValueError."""
    names = getattr(model, "covariate_names_", None)
    if names is None:
        if covariates is not None:
            raise ValueError(f"{what}: covariates= is for models fitted with covariates")
        return None
    if covariates is None:
        raise ValueError(
            f"{what}: the model was fitted with covariates {list(names)} and the curve shows "
            "one kind of customer: pass covariates= with one profile (a dict of these columns, "
            "a one-row table or a sequence in this order; all zeros for the baseline customer)"
        )
    if isinstance(covariates, pd.DataFrame):
        missing = [c for c in names if c not in covariates.columns]
        if missing:
            raise ValueError(f"{what}: covariates lacks the fitted columns {missing}")
        row = covariates[list(names)].to_numpy(dtype=float)
    elif isinstance(covariates, dict):
        missing = [c for c in names if c not in covariates]
        if missing:
            raise ValueError(f"{what}: covariates lacks the fitted columns {missing}")
        row = np.array([[covariates[c] for c in names]], dtype=float)
    else:
        row = np.atleast_2d(np.asarray(covariates, dtype=float))
    if row.shape != (1, len(names)):
        raise ValueError(
            f"{what}: covariates must be one profile of the {len(names)} fitted columns "
            f"{list(names)}, got shape {row.shape}"
        )
    return np.repeat(row, n, axis=0)


def _cohort_rows(survivors: Survivors) -> list[tuple[str, np.ndarray]]:
    """(label, counts) per cohort: one sequence, a mapping, or cohort_survivors' table."""
    if survivors is None:
        return []
    if isinstance(survivors, pd.DataFrame):
        return [(str(c), row.dropna().to_numpy(float)) for c, row in survivors.iterrows()]
    if isinstance(survivors, dict):
        return [(str(k), np.asarray(v, dtype=float)) for k, v in survivors.items()]
    return [("actual", np.asarray(survivors, dtype=float))]


def plot_survival(
    model: RetentionPredictions,
    survivors: Survivors = None,
    periods: Optional[int] = None,
    ax: Optional[Axes] = None,
    covariates: object = None,
    **kwargs: Any,
) -> Axes:
    """Share of each cohort still active by period: observed (markers) against the model's
    S(t) (line, extended to ``periods``).

    Parameters
    ----------
    model : ShiftedBetaGeometric or BetaDiscreteWeibull
        Fitted.
    survivors : sequence, mapping or DataFrame, optional
        Survivor counts of one or more cohorts (as ``fit(survivors=...)`` takes them).
    periods : int, optional
        Last period of the model curve; default the longest cohort (at least 12).
    ax : matplotlib Axes, optional
    covariates : dict, one-row table or sequence, optional
        For a model fitted with covariates (required then): the one customer profile whose
        S(t) is drawn.

    Returns
    -------
    matplotlib Axes
    """
    ax = axes_or_current(ax)
    rows = _cohort_rows(survivors)
    horizon = periods or max([len(c) - 1 for _, c in rows] + [12])
    t = np.arange(horizon + 1, dtype=float)
    z = _profile_rows(model, covariates, len(t), "plot_survival")
    curve = model.survival_function(t) if z is None else model.survival_function(t, z)
    ax.plot(t, np.asarray(curve, dtype=float), color="black", label="model", **kwargs)
    for label, counts in rows:
        if len(counts) and counts[0] > 0:
            ax.plot(np.arange(len(counts)), counts / counts[0], "o", ms=4, label=label)
    ax.set_xlabel("periods since acquisition")
    ax.set_ylabel("share still active")
    ax.set_title("Customers still active by period: model and cohorts")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8)
    return ax


def plot_retention(
    model: RetentionPredictions,
    survivors: Survivors = None,
    periods: Optional[int] = None,
    ax: Optional[Axes] = None,
    covariates: object = None,
    **kwargs: Any,
) -> Axes:
    """Retention rate by period, r(t) = S(t) / S(t - 1): observed per cohort (markers)
    against the model's (line). Under heterogeneity it rises with tenure. A model fitted
    with covariates needs ``covariates=``: the one profile drawn (as in
    :func:`plot_survival`).

    Returns
    -------
    matplotlib Axes
    """
    ax = axes_or_current(ax)
    rows = _cohort_rows(survivors)
    horizon = periods or max([len(c) - 1 for _, c in rows] + [12])
    t = np.arange(1, horizon + 1, dtype=float)
    z = _profile_rows(model, covariates, len(t), "plot_retention")
    curve = model.retention_rate(t) if z is None else model.retention_rate(t, z)
    ax.plot(t, np.asarray(curve, dtype=float), color="black", label="model", **kwargs)
    for label, counts in rows:
        if len(counts) > 1:
            with np.errstate(divide="ignore", invalid="ignore"):
                rate = counts[1:] / counts[:-1]
            ax.plot(np.arange(1, len(counts)), rate, "o", ms=4, label=label)
    ax.set_xlabel("period")
    ax.set_ylabel("retention rate")
    ax.set_title("Retention rate by period: model and cohorts")
    ax.legend(fontsize=8)
    return ax
