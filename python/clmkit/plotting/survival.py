"""Survival curves of fitted survival models (Kaplan-Meier, Cox PH, Weibull AFT)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._mpl import axes_or_current, words

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_curve", "plot_survival_function"]


def _as_frame(
    values: object, index: Union[pd.Index, npt.NDArray[np.float64], None] = None
) -> pd.DataFrame:
    if isinstance(values, pd.DataFrame):
        return values
    if isinstance(values, pd.Series):
        return values.to_frame()
    arr = np.asarray(values, dtype=float)
    frame: pd.DataFrame = pd.DataFrame(arr.reshape(len(arr), -1), index=index)
    return frame


def plot_survival_function(
    model: Any,
    X: object = None,
    times: Optional[npt.ArrayLike] = None,
    ci: bool = True,
    ax: Optional[Axes] = None,
    label: Optional[str] = None,
) -> Axes:
    """Survival curve(s) of a fitted model, with confidence bands where the model has them.

    Non-parametric fits (anything with ``survival_function_``, e.g. Kaplan-Meier) are drawn
    as a step function with the band of ``confidence_interval_`` (lower, upper columns).
    Regression models (Cox PH, Weibull AFT) are drawn per row of ``X`` from
    ``predict_survival_function(X, times)``; when the model also offers
    ``predict_survival_function_interval(X, times)`` its band is drawn too.

    Parameters
    ----------
    model : fitted survival model
    X : DataFrame, optional
        Covariate rows (regression models only).
    times : array-like, optional
        Times to evaluate regression models at; default 100 points up to the largest
        duration the model saw (``durations_`` / ``timeline_`` when available).
    ci : bool
        Draw confidence bands.
    ax : matplotlib Axes, optional
    label : str, optional
        Legend label (default: the model's class name).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import clmkit
    >>> from clmkit import plotting
    >>> import matplotlib.pyplot as plt
    >>> _ = plt.figure()
    >>> g3 = clmkit.datasets.load_g3()
    >>> km = clmkit.KaplanMeier().fit(g3["time"], g3["event"])
    >>> ax = plotting.plot_survival_function(km)
    >>> len(ax.collections)  # the confidence band
    1
    """
    ax = axes_or_current(ax)
    name = label or type(model).__name__
    if hasattr(model, "survival_function_"):
        sf = _as_frame(model.survival_function_)
        line = ax.step(sf.index, sf.iloc[:, 0], where="post", label=name)[0]
        band = getattr(model, "confidence_interval_", None) if ci else None
        if band is not None:
            band = _as_frame(band, sf.index)
            ax.fill_between(
                band.index,
                band.iloc[:, 0],
                band.iloc[:, 1],
                step="post",
                alpha=0.25,
                color=line.get_color(),
            )
    else:
        if X is None:
            raise ValueError(
                f"{type(model).__name__} is a regression model: give X, the "
                "covariate rows to draw survival curves for"
            )
        if times is None:
            horizon = _max_time(model)
            times = np.linspace(0.0, horizon, 100)
        times = np.asarray(times, dtype=float)
        sf = _as_frame(model.predict_survival_function(X, times), times)
        sf.index = times
        lines = ax.plot(sf.index, sf.to_numpy(), label=None)
        bands = (
            model.predict_survival_function_interval(X, times)
            if ci and hasattr(model, "predict_survival_function_interval")
            else None
        )
        for k, line in enumerate(lines):
            line.set_label(f"{name}: {sf.columns[k]}" if len(lines) > 1 else name)
            if bands is not None:
                lower, upper = (np.asarray(b, dtype=float).reshape(len(times), -1) for b in bands)
                ax.fill_between(times, lower[:, k], upper[:, k], alpha=0.2, color=line.get_color())
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("time")
    ax.set_ylabel("survival probability")
    ax.set_title("Survival function")
    ax.legend()
    return ax


def _max_time(model: object) -> float:
    for attr in ("durations_", "timeline_", "durations"):
        values = getattr(model, attr, None)
        if values is not None and len(np.asarray(values)):
            return float(np.max(np.asarray(values, dtype=float)))
    raise ValueError("give times: the model does not record the durations it was fitted on")


def plot_curve(
    curve: pd.DataFrame,
    bounds: Optional[pd.DataFrame] = None,
    ax: Optional[Axes] = None,
    **kwargs: Any,
) -> Axes:
    """Step plot of a fitted curve (one column, e.g. ``KaplanMeier.survival_function_``)
    with the band between the two columns of ``bounds`` (what ``KaplanMeier.plot`` and
    ``NelsonAalen.plot`` draw).

    Parameters
    ----------
    curve : pandas.DataFrame
        The estimate, indexed by time.
    bounds : pandas.DataFrame, optional
        Lower and upper bound columns on the same index.
    ax : matplotlib Axes, optional
    **kwargs
        Passed to ``Axes.step``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import clmkit
    >>> km = clmkit.KaplanMeier().fit([1, 2, 3, 4], [1, 0, 1, 1])
    >>> ax = km.plot()
    >>> ax.get_xlabel(), ax.get_title()
    ('time', 'Kaplan-Meier estimate')
    """
    ax = axes_or_current(ax)
    x = curve.index.to_numpy()
    col = curve.columns[0]
    line = ax.step(x, curve[col].to_numpy(), where="post", label=words(col), **kwargs)[0]
    if bounds is not None:
        ax.fill_between(
            x,
            bounds.iloc[:, 0].to_numpy(),
            bounds.iloc[:, 1].to_numpy(),
            step="post",
            alpha=0.25,
            color=line.get_color(),
        )
    ax.set_xlabel("time")
    ax.set_title(words(col)[:1].upper() + words(col)[1:])
    ax.legend()
    return ax
