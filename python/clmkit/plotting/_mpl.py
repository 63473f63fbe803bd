"""The one place that imports matplotlib, so a missing optional extra fails with one clear message."""

from __future__ import annotations

from typing import Any

_HINT = (
    "clmkit.plotting needs matplotlib, an optional dependency: "
    "pip install 'clmkit[plot]' (or pip install matplotlib)"
)


def require_matplotlib() -> Any:
    """Returns the matplotlib module or raises an ImportError saying how to install it."""
    try:
        import matplotlib
    except ImportError as exc:  # the extra is not installed
        raise ImportError(_HINT) from exc
    return matplotlib


def axes_or_current(ax: Any) -> Any:
    """The caller's Axes, else pyplot's current one (as lifelines and lifetimes do)."""
    if ax is not None:
        return ax
    require_matplotlib()
    import matplotlib.pyplot as plt

    return plt.gca()


def annotate_cells(ax: Any, values: Any, fmt: str, threshold: float) -> None:
    """Writes each finite cell value of a heat map, white on dark cells."""
    import numpy as np

    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(
                j,
                i,
                format(v, fmt),
                ha="center",
                va="center",
                fontsize=7,
                color="white" if v > threshold else "black",
            )


def label_cells(
    ax: Any,
    rows: Any,
    columns: Any,
    row_step: int = 1,
    column_step: int = 1,
    **xticklabel_kwargs: Any,
) -> None:
    """Labels a heat map's cells with a table's row and column labels (every ``*_step``-th)."""
    ax.set_xticks(range(0, len(columns), column_step))
    ax.set_xticklabels([str(c) for c in columns[::column_step]], **xticklabel_kwargs)
    ax.set_yticks(range(0, len(rows), row_step))
    ax.set_yticklabels([str(i) for i in rows[::row_step]])
