"""The one place that imports matplotlib, so a missing optional extra fails with one clear message."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from types import ModuleType

    import numpy.typing as npt
    import pandas as pd
    from matplotlib.axes import Axes

_HINT = (
    "clmkit.plotting needs matplotlib, an optional dependency: "
    "pip install 'clmkit[plot]' (or pip install matplotlib)"
)


def require_matplotlib() -> ModuleType:
    """Returns the matplotlib module or raises an ImportError saying how to install it."""
    try:
        import matplotlib
    except ImportError as exc:  # the extra is not installed
        raise ImportError(_HINT) from exc
    return matplotlib


def axes_or_current(ax: Optional[Axes]) -> Axes:
    """The caller's Axes, else pyplot's current one (as lifelines and lifetimes do)."""
    if ax is not None:
        return ax
    require_matplotlib()
    import matplotlib.pyplot as plt

    return plt.gca()


def annotate_cells(ax: Axes, values: npt.ArrayLike, fmt: str, threshold: float) -> None:
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
    ax: Axes,
    rows: pd.Index,
    columns: pd.Index,
    row_step: int = 1,
    column_step: int = 1,
    **xticklabel_kwargs: Any,  # matplotlib's Text properties, passed through
) -> None:
    """Labels a heat map's cells with a table's row and column labels (every ``*_step``-th)."""
    ax.set_xticks(range(0, len(columns), column_step))
    ax.set_xticklabels([words(c) for c in columns[::column_step]], **xticklabel_kwargs)
    ax.set_yticks(range(0, len(rows), row_step))
    ax.set_yticklabels([words(i) for i in rows[::row_step]])


#: Column names clmkit writes, in the words a figure shows (see :func:`words`).
COLUMN_WORDS = {
    "p_alive": "P(alive)",
    "monetary_value": "mean repeat spend",
    "total_value": "total spend",
    "frequency": "repeat purchases",
    "recency": "age at last purchase",
    "n_periods": "purchase periods",
    "inactivity": "time since last purchase",
    "r_score": "recency score",
    "f_score": "frequency score",
    "m_score": "monetary score",
    "rfm_score": "RFM score",
    "rfm_segment": "RFM segment",
    "abc_class": "ABC class",
    "stage": "lifecycle stage",
    "at_risk": "at risk",
    "expected_spend": "expected spend",
    "KM_estimate": "Kaplan-Meier estimate",
    "NA_estimate": "Nelson-Aalen estimate",
}


def words(name: object) -> str:
    """A column name as words for a title, label or legend: clmkit's own names by
    :data:`COLUMN_WORDS`, horizon columns such as ``clv_365d`` as "CLV (365d)", anything
    else with its underscores as spaces.

    Examples
    --------
    >>> words("p_alive"), words("clv_365d"), words("basket_size")
    ('P(alive)', 'CLV (365d)', 'basket size')
    """
    text = str(name)
    if text in COLUMN_WORDS:
        return COLUMN_WORDS[text]
    for prefix, human in (
        ("clv_", "CLV"),
        ("expected_purchases_", "expected purchases"),
        ("probability_no_purchase_", "P(no purchase)"),
    ):
        if text.startswith(prefix):
            return f"{human} ({text[len(prefix) :].replace('_', ' ')})"
    return text.replace("_", " ")
