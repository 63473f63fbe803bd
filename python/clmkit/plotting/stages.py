"""Plots of lifecycle stages, their transitions and cohort retention."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np
import pandas as pd

from ._mpl import annotate_cells, axes_or_current, label_cells, words

if TYPE_CHECKING:
    import numpy.typing as npt
    from matplotlib.axes import Axes

__all__ = ["plot_stage_transitions", "plot_stage_distribution", "plot_cohort_retention"]


def plot_stage_transitions(
    matrix: Union[pd.DataFrame, np.ndarray], ax: Optional[Axes] = None, **kwargs: Any
) -> Axes:
    """Heat map of a stage transition matrix (rows: stage before, columns: stage after).

    Parameters
    ----------
    matrix : DataFrame or 2-d array
        As :func:`clmkit.transition_matrix` returns (row-stochastic or counts).
    ax : matplotlib Axes, optional
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
    >>> log = clmkit.datasets.load_cdnow_sample()
    >>> hist = clmkit.stage_history(log, ["1997-12-31", "1998-03-31", "1998-06-30"], "customer_id", "date")
    >>> ax = plotting.plot_stage_transitions(clmkit.transition_matrix(hist))
    >>> ax.get_ylabel()
    'stage at a snapshot'
    """
    frame = pd.DataFrame(matrix)
    values = frame.to_numpy(dtype=float)
    if values.ndim != 2 or values.shape[0] != values.shape[1]:
        raise ValueError(f"matrix must be square, got shape {values.shape}")
    stochastic = bool(np.allclose(np.nansum(values, axis=1)[np.nansum(values, axis=1) > 0], 1.0))
    ax = axes_or_current(ax)
    kwargs.setdefault("cmap", "Blues")
    if stochastic:
        kwargs.setdefault("vmin", 0.0)
        kwargs.setdefault("vmax", 1.0)
    image = ax.imshow(values, aspect="auto", **kwargs)
    annotate_cells(
        ax,
        values,
        ".2f" if stochastic else ".0f",
        0.6 if stochastic else float(np.nanmax(values)) * 0.6 if values.size else 0.0,
    )
    label_cells(ax, frame.index, frame.columns, rotation=45, ha="right")
    ax.set_xlabel("stage at the next snapshot")
    ax.set_ylabel("stage at a snapshot")
    ax.set_title("Stage transitions" + (" (row shares)" if stochastic else " (counts)"))
    ax.figure.colorbar(image, ax=ax)
    return ax


def plot_stage_distribution(stages: npt.ArrayLike, ax: Optional[Axes] = None) -> Axes:
    """Bar chart of customers per stage, in the stages' order when they are categorical.

    Parameters
    ----------
    stages : array-like, Series or Categorical
        One stage per customer (e.g. ``Analysis.table["stage"]``), or a Series of counts
        indexed by stage.
    ax : matplotlib Axes, optional

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
    >>> s = clmkit.summarize(clmkit.datasets.load_cdnow_sample(), "customer_id", "date")
    >>> plotting.plot_stage_distribution(clmkit.assign_stages(s)).get_title()
    'Customers by lifecycle stage'
    """
    s = pd.Series(stages)
    if (
        pd.api.types.is_numeric_dtype(s.dtype)
        and not isinstance(s.dtype, pd.CategoricalDtype)
        and not isinstance(s.index, pd.RangeIndex)
    ):
        counts = s
    else:
        counts = s.value_counts(sort=not isinstance(s.dtype, pd.CategoricalDtype))
        if isinstance(s.dtype, pd.CategoricalDtype):
            counts = counts.reindex(s.cat.categories, fill_value=0)
    ax = axes_or_current(ax)
    bars = ax.bar([words(i) for i in counts.index], counts.to_numpy(dtype=float), color="tab:green")
    ax.bar_label(bars, labels=[f"{int(c):,}" for c in counts.to_numpy()], fontsize=8)
    ax.set_ylabel("customers")
    ax.set_title("Customers by lifecycle stage")
    ax.tick_params(axis="x", rotation=30)
    return ax


def plot_cohort_retention(
    retention: pd.DataFrame, ax: Optional[Axes] = None, **kwargs: Any
) -> Axes:
    """Heat map of a cohort x period retention matrix (share of each cohort still active).

    Parameters
    ----------
    retention : DataFrame
        As :func:`clmkit.cohort_retention` returns: cohorts as rows, periods since acquisition
        as columns, shares in [0, 1] (NaN where a cohort is too young).
    ax : matplotlib Axes, optional
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
    >>> log = clmkit.datasets.load_cdnow_sample()
    >>> ret = clmkit.cohort_retention(log, "customer_id", "date")
    >>> plotting.plot_cohort_retention(ret).get_title()
    'Cohort retention'
    """
    frame = pd.DataFrame(retention)
    values = frame.to_numpy(dtype=float)
    ax = axes_or_current(ax)
    kwargs.setdefault("cmap", "magma_r")
    kwargs.setdefault("vmin", 0.0)
    kwargs.setdefault("vmax", 1.0)
    image = ax.imshow(np.ma.masked_invalid(values), aspect="auto", **kwargs)
    if values.size <= 400:
        annotate_cells(ax, values * 100, ".0f", 60.0)
    label_cells(
        ax,
        frame.index,
        frame.columns,
        row_step=max(1, len(frame.index) // 20),
        column_step=max(1, len(frame.columns) // 20),
    )
    ax.set_xlabel("periods since acquisition")
    ax.set_ylabel("cohort")
    ax.set_title("Cohort retention")
    ax.figure.colorbar(image, ax=ax, label="share active")
    return ax
