"""Plots of fitted BTYD models (BG/NBD, Pareto/NBD, ...), duck-typed on their public methods.

A model here is anything with clmkit's BTYD surface: ``p_alive(frequency, recency, T)``,
``conditional_expected_purchases(t, frequency, recency, T)`` and
``probability_of_n_purchases(t, n)``; times are in the model's time unit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Optional, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._validation import as_float_array, check_int, require_columns
from ..summary.units import _FREQ_DAYS, normalize_freq, unit_words

if TYPE_CHECKING:
    from .axes import Axes
from ._btyd_tables import (
    CountModel,
    ExpectedPurchasesModel,
    calibration_vs_holdout_table,
    expected_frequency_counts,
)
from ._covariates import customer_covariates, profile_model
from ._mpl import axes_or_current

__all__ = [
    "calibration_vs_holdout_table",
    "expected_frequency_counts",
    "plot_frequency_recency_matrix",
    "plot_probability_alive_matrix",
    "plot_calibration_purchases_vs_holdout_purchases",
    "plot_period_transactions",
    "plot_history_alive",
]

_Floats = npt.NDArray[np.float64]
#: ``fn(frequency, recency, T)`` evaluated on a grid of histories.
_HistoryFunction = Callable[[_Floats, _Floats, _Floats], npt.ArrayLike]


class PAliveModel(Protocol):
    def p_alive(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike, /
    ) -> npt.ArrayLike: ...


def _grid_limits(
    summary: Optional[pd.DataFrame],
    max_frequency: Optional[int],
    max_recency: Optional[float],
    T: Optional[float],
) -> tuple[int, int, float]:
    if max_frequency is None or max_recency is None:
        if summary is None:
            raise ValueError("give max_frequency and max_recency, or a summary to take them from")
        if max_frequency is None:
            frequency = as_float_array(summary["frequency"], "summary['frequency']")
            max_frequency = int(np.max(frequency))
        if max_recency is None:
            max_recency = int(np.ceil(np.max(as_float_array(summary["T"], "summary['T']"))))
    max_frequency = check_int(int(max_frequency), "max_frequency", low=0)
    max_recency = check_int(int(max_recency), "max_recency", low=0)
    return max_frequency, max_recency, float(max_recency if T is None else T)


def _matrix(fn: _HistoryFunction, max_frequency: int, max_recency: int, T: float) -> _Floats:
    """Evaluates ``fn(frequency, recency, T)`` on the (frequency, recency) grid.

    A customer without repeat purchases has recency 0 by definition, so the frequency-0 row
    is the recency-0 value for every column rather than an impossible history.
    """
    freq, rec = np.meshgrid(
        np.arange(max_frequency + 1, dtype=float),
        np.arange(max_recency + 1, dtype=float),
        indexing="ij",
    )
    rec = np.where(freq == 0, 0.0, rec)
    values = np.asarray(fn(freq.ravel(), rec.ravel(), np.full(freq.size, T)), dtype=float)
    grid: _Floats = values.reshape(freq.shape)
    return grid


def _heatmap(
    ax: Axes,
    values: npt.NDArray[np.float64],
    title: str,
    label: str,
    units: str,
    **kwargs: Any,
) -> Axes:
    kwargs.setdefault("cmap", "viridis")
    image = ax.imshow(values, aspect="auto", origin="lower", interpolation="nearest", **kwargs)
    ax.set_title(title)
    ax.set_xlabel(f"customer's recency (age at last purchase, {units})")
    ax.set_ylabel("customer's frequency (repeat purchases)")
    ax.figure.colorbar(image, ax=ax, label=label)
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return ax


def plot_frequency_recency_matrix(
    model: ExpectedPurchasesModel,
    t: float = 1.0,
    max_frequency: Optional[int] = None,
    max_recency: Optional[int] = None,
    T: Optional[float] = None,
    summary: Optional[pd.DataFrame] = None,
    ax: Optional[Axes] = None,
    covariates: object = None,
    **kwargs: Any,
) -> Axes:
    """Heat map of the expected purchases in the next ``t`` time units by frequency and recency.

    Parameters
    ----------
    model : fitted BTYD model
        Anything with ``conditional_expected_purchases(t, frequency, recency, T)``.
    t : float
        Prediction horizon in the model's time unit.
    max_frequency, max_recency : int, optional
        Grid limits; default the largest frequency and ``T`` of ``summary``.
    T : float, optional
        Age of the customers of the grid; default ``max_recency``.
    summary : DataFrame, optional
        Customer summary supplying the default limits.
    ax : matplotlib Axes, optional
        Axes to draw on (default: the current Axes).
    covariates : dict, one-row table or sequence, optional
        For a model fitted with covariates (required then): the one customer profile the
        grid shows (the fitted columns; a sequence in their order).
    **kwargs
        Passed to ``Axes.imshow``.

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
    >>> s = clmkit.summarize(clmkit.datasets.load_cdnow_sample(), "customer_id", "date", freq="W")
    >>> bg = clmkit.BetaGeo().fit(s)
    >>> plotting.plot_frequency_recency_matrix(bg, t=4, summary=s).get_title()
    'Expected purchases in the next 4 weeks'
    """
    max_f, max_r, age = _grid_limits(summary, max_frequency, max_recency, T)
    at = profile_model(model, covariates, "plot_frequency_recency_matrix")
    values = _matrix(
        lambda f, r, a: at.conditional_expected_purchases(t, f, r, a), max_f, max_r, age
    )
    units = unit_words(getattr(model, "time_unit_", None))
    return _heatmap(
        axes_or_current(ax),
        values,
        f"Expected purchases in the next {t:g} {units}",
        "expected purchases",
        units,
        **kwargs,
    )


def plot_probability_alive_matrix(
    model: PAliveModel,
    max_frequency: Optional[int] = None,
    max_recency: Optional[int] = None,
    T: Optional[float] = None,
    summary: Optional[pd.DataFrame] = None,
    ax: Optional[Axes] = None,
    covariates: object = None,
    **kwargs: Any,
) -> Axes:
    """Heat map of P(alive) by frequency and recency for customers of age ``T``.

    Parameters are those of :func:`plot_frequency_recency_matrix` (without ``t``); the
    model needs ``p_alive(frequency, recency, T)``. A model fitted with covariates needs
    ``covariates=``: the one customer profile the grid shows.

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
    >>> s = clmkit.summarize(clmkit.datasets.load_cdnow_sample(), "customer_id", "date", freq="W")
    >>> bg = clmkit.BetaGeo().fit(s)
    >>> plotting.plot_probability_alive_matrix(bg, summary=s).get_title()
    'Probability a customer is alive'
    """
    max_f, max_r, age = _grid_limits(summary, max_frequency, max_recency, T)
    at = profile_model(model, covariates, "plot_probability_alive_matrix")
    values = _matrix(at.p_alive, max_f, max_r, age)
    kwargs.setdefault("vmin", 0.0)
    kwargs.setdefault("vmax", 1.0)
    return _heatmap(
        axes_or_current(ax),
        values,
        "Probability a customer is alive",
        "P(alive)",
        unit_words(getattr(model, "time_unit_", None)),
        **kwargs,
    )


def plot_calibration_purchases_vs_holdout_purchases(
    model: ExpectedPurchasesModel,
    cal_holdout: pd.DataFrame,
    n: int = 7,
    ax: Optional[Axes] = None,
    covariates: object = None,
) -> Axes:
    """Mean holdout purchases, actual vs predicted, by purchases in the calibration period.

    Parameters
    ----------
    model : fitted BTYD model
        Fitted on the calibration period (``conditional_expected_purchases`` is used).
    cal_holdout : DataFrame
        From :func:`clmkit.calibration_and_holdout` (``frequency_cal``, ``recency_cal``,
        ``T_cal``, ``frequency_holdout``, ``duration_holdout``).
    n : int
        Calibration frequencies ``>= n`` are pooled into the last group.
    ax : matplotlib Axes, optional
    covariates : table or 2-D array, optional
        For a model fitted with covariates: each customer's values of the fitted columns,
        one row per row of ``cal_holdout`` (default: those columns of ``cal_holdout``).

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
    >>> log = clmkit.datasets.load_cdnow_sample()
    >>> ch = clmkit.calibration_and_holdout(log, "customer_id", "date", "1997-09-30", freq="W")
    >>> cal = ch[["frequency_cal", "recency_cal", "T_cal"]].rename(columns=lambda c: c[:-4])
    >>> cal.attrs = ch.attrs
    >>> ax = plotting.plot_calibration_purchases_vs_holdout_purchases(clmkit.BetaGeo().fit(cal), ch)
    >>> len(ax.lines[0].get_ydata())
    8
    """
    table = calibration_vs_holdout_table(model, cal_holdout, n, covariates)
    ax = axes_or_current(ax)
    ax.plot(table.index, table["actual"], marker="o", label="actual")
    ax.plot(table.index, table["predicted"], marker="s", linestyle="--", label="model")
    ax.set_xticks(table.index)
    ax.set_xticklabels([f"{int(i)}+" if i == n else str(int(i)) for i in table.index])
    ax.set_xlabel("purchases in the calibration period")
    ax.set_ylabel("mean purchases in the holdout period")
    ax.set_title("Calibration vs holdout purchases")
    ax.legend()
    return ax


def plot_period_transactions(
    model: CountModel,
    summary: pd.DataFrame,
    max_frequency: int = 7,
    ax: Optional[Axes] = None,
    covariates: object = None,
) -> Axes:
    """Customers by number of repeat purchases: actual vs expected under the model.

    Parameters
    ----------
    model : fitted BTYD model
        With ``probability_of_n_purchases(t, n)``.
    summary : DataFrame
        The customer summary the model was fitted on (``frequency``, ``T``).
    max_frequency : int
        Frequencies ``>= max_frequency`` are pooled into the last bar.
    ax : matplotlib Axes, optional
    covariates : table or 2-D array, optional
        For a model fitted with covariates: each customer's values of the fitted columns,
        one row per row of ``summary`` (default: those columns of ``summary``); the
        expected counts then sum each customer's own probabilities.

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
    >>> s = clmkit.summarize(clmkit.datasets.load_cdnow_sample(), "customer_id", "date", freq="W")
    >>> bg = clmkit.BetaGeo().fit(s)
    >>> len(plotting.plot_period_transactions(bg, s).patches)
    16
    """
    max_frequency = check_int(max_frequency, "max_frequency", low=1)
    freq = as_float_array(summary["frequency"], "summary['frequency']", nonnegative=True)
    actual = np.bincount(
        np.minimum(freq, max_frequency).astype(np.int64), minlength=max_frequency + 1
    )
    z = customer_covariates(model, covariates, summary, len(summary), "plot_period_transactions")
    expected = expected_frequency_counts(model, summary["T"], max_frequency, z)
    ax = axes_or_current(ax)
    x = np.arange(max_frequency + 1)
    ax.bar(x - 0.2, actual, width=0.4, label="actual")
    ax.bar(x + 0.2, expected, width=0.4, label="model")
    ax.set_xticks(x)
    ax.set_xticklabels([str(i) for i in range(max_frequency)] + [f"{max_frequency}+"])
    ax.set_xlabel("number of repeat purchases")
    ax.set_ylabel("customers")
    ax.set_title("Frequency of repeat purchases")
    ax.legend()
    return ax


def plot_history_alive(
    model: PAliveModel,
    t: float,
    transactions: pd.DataFrame,
    datetime_col: str,
    freq: str = "D",
    ax: Optional[Axes] = None,
    covariates: object = None,
) -> Axes:
    """P(alive) of one customer over time, recomputed from the purchases made up to each day.

    Parameters
    ----------
    model : fitted BTYD model
        With ``p_alive(frequency, recency, T)``, in units of ``freq``.
    t : float
        Number of ``freq`` units to draw from the first purchase.
    transactions : DataFrame
        The customer's transactions.
    datetime_col : str
        Column of purchase datetimes.
    freq : {"H", "D", "W", "M", "Y"}
        The model's time unit; purchases in the same unit count once, as in the summary.
    ax : matplotlib Axes, optional
    covariates : dict, one-row table or sequence, optional
        For a model fitted with covariates (required then): the customer's values of the
        fitted columns.

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
    >>> s = clmkit.summarize(clmkit.datasets.load_cdnow_sample(), "customer_id", "date", freq="W")
    >>> bg = clmkit.BetaGeo().fit(s)
    >>> log = clmkit.datasets.load_cdnow_sample()
    >>> ax = plotting.plot_history_alive(bg, 52, log[log["customer_id"] == 3], "date", freq="W")
    >>> len(ax.lines[0].get_ydata())
    53
    """
    require_columns(list(transactions.columns), {"datetime_col": datetime_col})
    unit_days = _FREQ_DAYS[normalize_freq(freq)]
    times = pd.to_datetime(transactions[datetime_col]).sort_values()
    if times.empty:
        raise ValueError("transactions holds no purchase of the customer")
    first = times.iloc[0]
    periods = np.unique(
        np.floor((times - first).dt.total_seconds().to_numpy() / 86400.0 / unit_days)
    )
    grid = np.arange(0.0, float(t) + 1.0)
    made = np.searchsorted(periods, grid, side="right")
    frequency = made - 1.0
    recency = periods[made - 1]
    at = profile_model(model, covariates, "plot_history_alive")
    p = np.asarray(at.p_alive(frequency, recency, grid), dtype=float)
    ax = axes_or_current(ax)
    dates = first + pd.to_timedelta(grid * unit_days, unit="D")
    ax.plot(dates, p, label="P(alive)")
    for period in periods[periods <= t]:
        ax.axvline(
            first + pd.Timedelta(days=float(period) * unit_days),
            color="red",
            linestyle=":",
            alpha=0.6,
        )
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("P(alive)")
    ax.set_title("History of P(alive) (dotted: purchases)")
    return ax
