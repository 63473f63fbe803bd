"""lifetimes' tracking plots (cumulative and incremental transactions, actual vs model) and
the plots of the fitted heterogeneity distributions (re-exported by the package)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import numpy as np
import pandas as pd

from ..utils import expected_cumulative_transactions
from ._pyplot import plt

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..fitters._count import CountFitter


def _tracking_plot(
    frame: pd.DataFrame,
    t_cal: float,
    set_index_date: bool,
    title: str,
    xlabel: str,
    ylabel: str,
    ax: Optional[Axes],
    kwargs: dict[str, Any],
) -> Axes:
    if ax is None:
        ax = plt.subplot(111)
    ax = frame.plot(ax=ax, title=title, **kwargs)
    if set_index_date:
        x_vline: Any = frame.index[int(t_cal)]
        xlabel = "date"
    else:
        x_vline = t_cal
    ax.axvline(x=x_vline, color="r", linestyle="--")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def plot_cumulative_transactions(
    model: CountFitter,
    transactions: pd.DataFrame,
    datetime_col: str,
    customer_id_col: str,
    t: int,
    t_cal: float,
    datetime_format: Optional[str] = None,
    freq: str = "D",
    set_index_date: bool = False,
    title: str = "Tracking Cumulative Transactions",
    xlabel: str = "day",
    ylabel: str = "Cumulative Transactions",
    ax: Optional[Axes] = None,
    **kwargs: Any,
) -> Axes:
    """Actual vs predicted cumulative repeat transactions (:func:`expected_cumulative_transactions`),
    with the end of calibration ``t_cal`` marked.

    Parameters
    ----------
    model : fitted fitter (on the calibration period)
    transactions : DataFrame
        The transaction log.
    datetime_col, customer_id_col : str
    t : int
        Periods to track from the first purchase.
    t_cal : float
        End of the calibration period (periods from the first purchase).
    datetime_format, freq, set_index_date
        As :func:`expected_cumulative_transactions`.
    title, xlabel, ylabel : str
    ax : matplotlib Axes, optional
    **kwargs
        Passed to ``DataFrame.plot``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from clmkit.compat.lifetimes import BetaGeoFitter
    >>> from clmkit.compat.lifetimes.datasets import load_transaction_data
    >>> from clmkit.compat.lifetimes.utils import calibration_and_holdout_data
    >>> from clmkit.compat.lifetimes.plotting import plot_cumulative_transactions
    >>> log = load_transaction_data()
    >>> ch = calibration_and_holdout_data(log, "id", "date", "2014-09-01", "2014-12-31")
    >>> bgf = BetaGeoFitter().fit(ch["frequency_cal"], ch["recency_cal"], ch["T_cal"])
    >>> ax = plot_cumulative_transactions(bgf, log, "date", "id", 364, 243)
    >>> [line.get_label() for line in ax.lines[:2]]
    ['actual', 'predicted']
    """
    frame = expected_cumulative_transactions(
        model,
        transactions,
        datetime_col,
        customer_id_col,
        t,
        datetime_format=datetime_format,
        freq=freq,
        set_index_date=set_index_date,
    )
    return _tracking_plot(frame, t_cal, set_index_date, title, xlabel, ylabel, ax, kwargs)


def plot_incremental_transactions(
    model: CountFitter,
    transactions: pd.DataFrame,
    datetime_col: str,
    customer_id_col: str,
    t: int,
    t_cal: float,
    datetime_format: Optional[str] = None,
    freq: str = "D",
    set_index_date: bool = False,
    title: str = "Tracking Daily Transactions",
    xlabel: str = "day",
    ylabel: str = "Transactions",
    ax: Optional[Axes] = None,
    **kwargs: Any,
) -> Axes:
    """Actual vs predicted repeat transactions per period (differences of the cumulative ones)."""
    frame = expected_cumulative_transactions(
        model,
        transactions,
        datetime_col,
        customer_id_col,
        t,
        datetime_format=datetime_format,
        freq=freq,
        set_index_date=set_index_date,
    )
    return _tracking_plot(frame.diff(), t_cal, set_index_date, title, xlabel, ylabel, ax, kwargs)


def _scipy_stats() -> Any:
    try:
        from scipy import stats  # type: ignore[import-untyped,unused-ignore]
    except ImportError as exc:
        raise ImportError(
            "the heterogeneity plots need scipy (its gamma/beta densities and "
            "quantiles): pip install scipy"
        ) from exc
    return stats


def _density_plot(
    x: np.ndarray,
    density: np.ndarray,
    mean: float,
    var: float,
    suptitle: str,
    xlabel: str,
    ylabel: str,
    suptitle_fontsize: int,
    kwargs: dict[str, Any],
) -> Axes:
    fig, ax = plt.subplots(1)
    fig.suptitle(suptitle, fontsize=suptitle_fontsize, fontweight="bold")
    ax.set_title(f"mean: {mean:.3f}, var: {var:.3f}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    fig.tight_layout(rect=(0, 0.03, 1, 0.95))
    plt.plot(x, density, **kwargs)
    return ax


def plot_transaction_rate_heterogeneity(
    model: CountFitter,
    suptitle: str = "Heterogeneity in Transaction Rate",
    xlabel: str = "Transaction Rate",
    ylabel: str = "Density",
    suptitle_fontsize: int = 14,
    **kwargs: Any,
) -> Axes:
    """Density of the Gamma(r, alpha) purchase rate across customers, up to its 99% quantile."""
    stats = _scipy_stats()
    r, alpha = model._unload_params("r", "alpha")
    rv = stats.gamma(r, scale=1 / alpha)
    x = np.linspace(0, rv.ppf(0.99), 100)
    return _density_plot(
        x, rv.pdf(x), r / alpha, r / alpha**2, suptitle, xlabel, ylabel, suptitle_fontsize, kwargs
    )


def plot_dropout_rate_heterogeneity(
    model: CountFitter,
    suptitle: str = "Heterogeneity in Dropout Probability",
    xlabel: str = "Dropout Probability p",
    ylabel: str = "Density",
    suptitle_fontsize: int = 14,
    **kwargs: Any,
) -> Axes:
    """Density of the Beta(a, b) drop-out probability across customers, up to its 99% quantile."""
    stats = _scipy_stats()
    a, b = model._unload_params("a", "b")
    rv = stats.beta(a, b)
    x = np.linspace(0, rv.ppf(0.99), 100)
    return _density_plot(
        x,
        rv.pdf(x),
        a / (a + b),
        a * b / ((a + b) ** 2) / (a + b + 1),
        suptitle,
        xlabel,
        ylabel,
        suptitle_fontsize,
        kwargs,
    )
