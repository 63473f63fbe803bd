"""Plots of RFM scores, segments and customer value."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._validation import as_float_array, require_columns

if TYPE_CHECKING:
    from .axes import Axes
from ._mpl import annotate_cells, axes_or_current, label_cells, words

__all__ = ["plot_rfm_heatmap", "plot_segment_summary", "plot_clv_distribution"]


def plot_rfm_heatmap(
    rfm: pd.DataFrame,
    value_col: Optional[str] = None,
    agg: str = "mean",
    ax: Optional[Axes] = None,
    **kwargs: Any,
) -> Axes:
    """Heat map over (recency score, frequency score) cells.

    Parameters
    ----------
    rfm : DataFrame
        With ``r_score`` and ``f_score`` (as :func:`clmkit.rfm_scores` returns) and, when
        given, ``value_col``.
    value_col : str, optional
        Column aggregated per cell (e.g. ``"monetary_value"`` or ``"m_score"``); default: the
        number of customers in each cell.
    agg : str
        pandas aggregation of ``value_col`` ("mean", "sum", "median", ...).
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
    >>> s = clmkit.summarize(clmkit.datasets.load_cdnow_sample(), "customer_id", "date", "amount")
    >>> ax = plotting.plot_rfm_heatmap(clmkit.rfm_scores(s))
    >>> ax.get_xlabel()
    'recency score (5 = bought most recently)'
    """
    require_columns(
        list(rfm.columns), {"rfm": "r_score", "f_score": "f_score", "value_col": value_col}
    )
    cells = _cells(rfm["f_score"].to_numpy(), rfm["r_score"].to_numpy(), rfm, value_col, agg)
    values = cells.to_numpy(dtype=float)
    ax = axes_or_current(ax)
    kwargs.setdefault("cmap", "YlGnBu")
    image = ax.imshow(values, origin="lower", aspect="auto", **kwargs)
    finite = values[np.isfinite(values)]
    annotate_cells(
        ax,
        values,
        ".0f" if value_col is None else ".3g",
        float(np.nanmax(finite) * 0.6) if finite.size else 0.0,
    )
    label_cells(ax, cells.index, cells.columns)
    ax.set_xlabel("recency score (5 = bought most recently)")
    ax.set_ylabel("frequency score")
    label = "customers" if value_col is None else f"{agg} {words(value_col)}"
    ax.set_title(f"RFM grid: {label}")
    ax.figure.colorbar(image, ax=ax, label=label)
    return ax


def _cells(
    f: np.ndarray, r: np.ndarray, rfm: pd.DataFrame, value_col: Optional[str], agg: str
) -> pd.DataFrame:
    """The (frequency score x recency score) grid of customer counts or aggregated values,
    scores sorted; NaN where no customer has a combination."""
    if value_col is None and f.dtype.kind in "iu" and r.dtype.kind in "iu":
        # counts of integer scores by bincount: the groupby below takes ten times as long
        # and a hundred megabytes at a million customers
        f_values, f_at = np.unique(f, return_inverse=True)
        r_values, r_at = np.unique(r, return_inverse=True)
        counts = np.bincount(
            f_at.ravel() * len(r_values) + r_at.ravel(), minlength=len(f_values) * len(r_values)
        ).reshape(len(f_values), len(r_values))
        grid: pd.DataFrame = pd.DataFrame(
            np.where(counts > 0, counts, np.nan),
            index=pd.Index(f_values, name="f"),
            columns=pd.Index(r_values, name="r"),
        )
        return grid
    frame = pd.DataFrame(
        {"r": r, "f": f, "v": rfm[value_col].to_numpy(float) if value_col else 1.0}
    )
    grouped = frame.groupby(["f", "r"])["v"]
    cells = (grouped.size() if value_col is None else grouped.agg(agg)).unstack("r")
    ordered: pd.DataFrame = cells.sort_index().sort_index(axis=1)
    return ordered


def segment_shares(
    table: pd.DataFrame, segment_col: str, value_col: Optional[str] = None
) -> pd.DataFrame:
    """Share of customers (and of ``value_col``) per segment, largest segment first."""
    require_columns(list(table.columns), {"segment_col": segment_col, "value_col": value_col})
    # counted on integer codes (numbered in order of first appearance, the order a
    # value_counts(sort=False) of the labels gives): no million Python strings
    codes, uniques = pd.factorize(table[segment_col], use_na_sentinel=False)
    labels = np.array(["(none)" if pd.isna(u) else u for u in uniques], dtype=object)
    merged, names = pd.factorize(labels)  # a missing segment and one named "(none)" are one
    codes = merged[codes]
    k = len(names)
    index = pd.Index(names, name=segment_col)
    out = pd.DataFrame({"customers": np.bincount(codes, minlength=k)}, index=index)
    out["customer_share"] = out["customers"] / max(len(table), 1)
    if value_col is not None:
        value = pd.Series(as_float_array(table[value_col], value_col, finite=False))
        total = float(np.nansum(value.to_numpy()))
        # pandas' grouped sum (compensated, NaN skipped), keyed by the codes
        sums = value.groupby(codes).sum().reindex(range(k), fill_value=0.0).to_numpy()
        out["value_share"] = sums / total if total else 0.0
    ordered: pd.DataFrame = out.sort_values("customers", ascending=False)
    return ordered


def plot_segment_summary(
    table: pd.DataFrame,
    segment_col: str = "rfm_segment",
    value_col: Optional[str] = None,
    ax: Optional[Axes] = None,
) -> Axes:
    """Horizontal bars: each segment's share of customers (and of value when given).

    Parameters
    ----------
    table : DataFrame
        One row per customer (e.g. ``Analysis.table``) with ``segment_col``.
    segment_col : str
        Segment (or stage) labels.
    value_col : str, optional
        Value column (e.g. ``"total_value"`` or a CLV column) whose share is drawn beside.
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
    >>> s = clmkit.summarize(clmkit.datasets.load_cdnow_sample(), "customer_id", "date", "amount")
    >>> s["segment"] = clmkit.rfm_segments(clmkit.rfm_scores(s))
    >>> ax = plotting.plot_segment_summary(s, "segment", "total_value")
    >>> ax.get_xlabel()
    '% of all'
    """
    shares = segment_shares(table, segment_col, value_col).iloc[::-1]
    ax = axes_or_current(ax)
    y = np.arange(len(shares))
    height = 0.4 if value_col else 0.8
    ax.barh(
        y + (height / 2 if value_col else 0),
        shares["customer_share"] * 100,
        height=height,
        label="% of customers",
    )
    if value_col:
        ax.barh(
            y - height / 2,
            shares["value_share"] * 100,
            height=height,
            label=f"% of {words(value_col)}",
        )
    ax.set_yticks(y)
    ax.set_yticklabels([words(s) for s in shares.index])
    ax.set_xlabel("% of all")
    title = f"{words(segment_col)}: share of customers"
    ax.set_title(title + (f" and of {words(value_col)}" if value_col else ""))
    ax.legend(loc="lower right")
    return ax


def plot_clv_distribution(
    values: npt.ArrayLike,
    bins: int = 50,
    log: bool = True,
    ax: Optional[Axes] = None,
    label: str = "CLV",
) -> Axes:
    """Histogram of customer values (CLV) with the mean and median marked.

    Parameters
    ----------
    values : array-like
        One value per customer; NaN values are left out.
    bins : int
        Number of histogram bins.
    log : bool
        Logarithmic count axis (value distributions are heavily skewed).
    ax : matplotlib Axes, optional
    label : str
        Name of the value on the x axis.

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
    >>> s = clmkit.summarize(clmkit.datasets.load_cdnow_sample(), "customer_id", "date", "amount")
    >>> plotting.plot_clv_distribution(s["total_value"], label="historic value").get_title()
    'Distribution of historic value'
    """
    v = as_float_array(values, "values", finite=False)
    v = v[np.isfinite(v)]
    ax = axes_or_current(ax)
    ax.hist(v, bins=bins, log=log, color="tab:blue", alpha=0.8)
    if v.size:
        ax.axvline(float(np.mean(v)), color="red", linestyle="--", label=f"mean {np.mean(v):,.2f}")
        ax.axvline(
            float(np.median(v)), color="black", linestyle=":", label=f"median {np.median(v):,.2f}"
        )
        ax.legend()
    ax.set_xlabel(words(label))
    ax.set_ylabel("customers")
    ax.set_title(f"Distribution of {words(label)}")
    return ax
