"""lifetimes' plot functions (same names, arguments, titles and data), drawn with matplotlib.

Every number plotted comes from the façade fitters (hence clmkit's native models); this
module only lays out the figures lifetimes draws. matplotlib is optional and imported on the
first plot (as in lifetimes); without it a plot call raises an ImportError saying how to
install it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import numpy as np
import pandas as pd

from ...._typing import DateLike
from ..utils import _AliveModel, calculate_alive_path
from ._pyplot import plt
from ._tracking import (
    plot_cumulative_transactions,
    plot_dropout_rate_heterogeneity,
    plot_incremental_transactions,
    plot_transaction_rate_heterogeneity,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..fitters._count import CountFitter

__all__ = [
    "plot_period_transactions",
    "plot_calibration_purchases_vs_holdout_purchases",
    "plot_frequency_recency_matrix",
    "plot_probability_alive_matrix",
    "plot_expected_repeat_purchases",
    "plot_history_alive",
    "plot_cumulative_transactions",
    "plot_incremental_transactions",
    "plot_transaction_rate_heterogeneity",
    "plot_dropout_rate_heterogeneity",
]


def plot_period_transactions(
    model: CountFitter,
    max_frequency: int = 7,
    title: str = "Frequency of Repeat Transactions",
    xlabel: str = "Number of Calibration Period Transactions",
    ylabel: str = "Customers",
    **kwargs: Any,
) -> Axes:
    """Bar chart of customers by repeat transactions: the fitted data vs as many customers
    simulated from the model (``model.generate_new_data``)."""
    labels = kwargs.pop("label", ["Actual", "Model"])
    simulated = model.generate_new_data(size=model.data.shape[0])
    actual = model.data["frequency"].value_counts().sort_index().iloc[:max_frequency]
    modelled = simulated["frequency"].value_counts().sort_index().iloc[:max_frequency]
    combined = pd.concat([actual, modelled], axis=1).fillna(0)
    combined.columns = labels
    ax: Axes = combined.plot(kind="bar", **kwargs)
    plt.legend()
    plt.title(title)
    plt.ylabel(ylabel)
    plt.xlabel(xlabel)
    return ax


_X_LABELS = {
    "frequency_cal": "Purchases in calibration period",
    "recency_cal": "Age of customer at last purchase",
    "T_cal": "Age of customer at the end of calibration period",
    "time_since_last_purchase": "Time since user made last purchase",
}


def plot_calibration_purchases_vs_holdout_purchases(
    model: CountFitter,
    calibration_holdout_matrix: pd.DataFrame,
    kind: str = "frequency_cal",
    n: int = 7,
    **kwargs: Any,
) -> Axes:
    """Mean holdout purchases, actual and predicted, by ``kind`` (the first ``n`` groups)."""
    if kind not in _X_LABELS:
        raise ValueError(f"kind must be one of {list(_X_LABELS)}, got {kind!r}")
    summary = calibration_holdout_matrix.copy()
    duration = summary.iloc[0]["duration_holdout"]
    summary["model_predictions"] = model.conditional_expected_number_of_purchases_up_to_time(
        duration, summary["frequency_cal"], summary["recency_cal"], summary["T_cal"]
    )
    if kind == "time_since_last_purchase":
        summary["time_since_last_purchase"] = summary["T_cal"] - summary["recency_cal"]
    ax: Axes = (
        summary.groupby(kind)[["frequency_holdout", "model_predictions"]]
        .mean()
        .iloc[:n]
        .plot(**kwargs)
    )
    plt.title("Actual Purchases in Holdout Period vs Predicted Purchases")
    plt.xlabel(_X_LABELS[kind])
    plt.ylabel("Average of Purchases in Holdout Period")
    plt.legend()
    return ax


def _force_aspect(ax: Axes, aspect: float = 1) -> None:
    extent = ax.get_images()[0].get_extent()
    ax.set_aspect(abs((extent[1] - extent[0]) / (extent[3] - extent[2])) / aspect)


def _matrix_plot(
    z: np.ndarray, title: str, xlabel: str, ylabel: str, kwargs: dict[str, Any]
) -> Axes:
    interpolation = kwargs.pop("interpolation", "none")
    ax: Axes = plt.subplot(111)
    image = ax.imshow(z, interpolation=interpolation, **kwargs)
    plt.xlabel(xlabel)
    plt.ylabel(ylabel)
    plt.title(title)
    _force_aspect(ax)
    plt.colorbar(image, ax=ax)
    return ax


def plot_frequency_recency_matrix(
    model: CountFitter,
    T: float = 1,
    max_frequency: Optional[int] = None,
    max_recency: Optional[int] = None,
    title: Optional[str] = None,
    xlabel: str = "Customer's Historical Frequency",
    ylabel: str = "Customer's Recency",
    **kwargs: Any,
) -> Axes:
    """Heat map of the expected purchases in the next ``T`` units, rows recency 0..max_recency,
    columns frequency 0..max_frequency, for customers of age max_recency (lifetimes' layout,
    frequency-0 cells evaluated as lifetimes does)."""
    if max_frequency is None:
        max_frequency = int(model.data["frequency"].max())
    if max_recency is None:
        max_recency = int(model.data["T"].max())
    native = model._fitted()
    z = native.expected_purchases_matrix(
        T, max_frequency, max_recency, T=float(max_recency), impossible="evaluate"
    ).to_numpy()
    if title is None:
        title = (
            "Expected Number of Future Purchases for {} Unit{} of Time,".format(T, "s"[T == 1 :])
            + "\nby Frequency and Recency of a Customer"
        )
    return _matrix_plot(z, title, xlabel, ylabel, kwargs)


def plot_probability_alive_matrix(
    model: CountFitter,
    max_frequency: Optional[int] = None,
    max_recency: Optional[int] = None,
    title: str = "Probability Customer is Alive,\nby Frequency and Recency of a Customer",
    xlabel: str = "Customer's Historical Frequency",
    ylabel: str = "Customer's Recency",
    **kwargs: Any,
) -> Axes:
    """Heat map of ``model.conditional_probability_alive_matrix(max_frequency, max_recency)``.

    Parameters
    ----------
    model : fitted BetaGeoFitter, ModifiedBetaGeoFitter or ParetoNBDFitter
    max_frequency, max_recency : int, optional
        Grid limits (default: the largest frequency and T of the fitted data).
    title, xlabel, ylabel : str
    **kwargs
        Passed to ``imshow``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from clmkit.compat.lifetimes import BetaGeoFitter
    >>> from clmkit.compat.lifetimes.datasets import load_cdnow_summary
    >>> from clmkit.compat.lifetimes.plotting import plot_probability_alive_matrix
    >>> d = load_cdnow_summary(index_col=[0])
    >>> bgf = BetaGeoFitter().fit(d["frequency"], d["recency"], d["T"])
    >>> plot_probability_alive_matrix(bgf).get_images()[0].get_array().shape
    (39, 30)
    """
    z = model.conditional_probability_alive_matrix(max_frequency, max_recency)
    return _matrix_plot(z, title, xlabel, ylabel, kwargs)


def plot_expected_repeat_purchases(
    model: CountFitter,
    title: str = "Expected Number of Repeat Purchases per Customer",
    xlabel: str = "Time Since First Purchase",
    ax: Optional[Axes] = None,
    label: Optional[str] = None,
    **kwargs: Any,
) -> Axes:
    """Expected repeat purchases of a new customer up to the largest T (solid) and on to
    1.5 times it (dashed)."""
    if ax is None:
        ax = plt.subplot(111)
    color = kwargs.pop("c", None) or kwargs.pop("color", None)
    max_T = model.data["T"].max()
    times = np.linspace(0, max_T, 100)
    line = ax.plot(
        times,
        model.expected_number_of_purchases_up_to_time(times),
        color=color,
        label=label,
        **kwargs,
    )[0]
    times = np.linspace(max_T, 1.5 * max_T, 100)
    ax.plot(
        times,
        model.expected_number_of_purchases_up_to_time(times),
        color=line.get_color(),
        ls="--",
        **kwargs,
    )
    plt.title(title)
    plt.xlabel(xlabel)
    if label is not None:
        plt.legend(loc="lower right")
    return ax


def plot_history_alive(
    model: _AliveModel,
    t: int,
    transactions: pd.DataFrame,
    datetime_col: str,
    freq: str = "D",
    start_date: DateLike = None,
    ax: Optional[Axes] = None,
    **kwargs: Any,
) -> Axes:
    """P(alive) of one customer over ``t`` periods from their first purchase, with their
    purchases as dashed red lines."""
    dates = pd.to_datetime(transactions[datetime_col])
    if start_date is None:
        start_date = dates.min()
    if ax is None:
        ax = plt.subplot(111)
    path = calculate_alive_path(model, transactions, datetime_col, t, freq)
    path_dates = pd.date_range(start=dates.min(), periods=len(path), freq=freq)
    plt.plot(path_dates, path, "-", label="P_alive")
    bought = pd.Series(1, index=pd.DatetimeIndex(dates)).resample(freq).sum()
    plt.vlines(
        bought[bought >= 1].index.values,
        ymin=0,
        ymax=1,
        colors="r",
        linestyles="dashed",
        label="purchases",
    )
    plt.ylim(0, 1.0)
    plt.yticks(np.arange(0, 1.1, 0.1))
    plt.xlim(start_date, path_dates[-1])  # type: ignore[call-overload]  # dates: matplotlib units
    plt.legend(loc=3)
    plt.ylabel("P_alive")
    plt.title("History of P_alive")
    return ax
