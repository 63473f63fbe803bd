"""The report's figures, drawn off-screen with matplotlib and embedded as base64 PNG."""

from __future__ import annotations

import base64
import io
from collections.abc import Collection
from typing import TYPE_CHECKING, Any, Callable, Optional

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..analyze import Analysis

#: Draws one figure on the Axes it is given.
Draw = Callable[["Axes"], object]
#: ``{section: [(title, data_uri), ...]}``
Figures = dict[str, list[tuple[str, str]]]


def figure_png(draw: Draw, size: tuple[float, float] = (7.0, 4.2)) -> str:
    """Runs ``draw(ax)`` on a new off-screen figure; returns a ``data:image/png`` URI.

    Figures are built with ``matplotlib.figure.Figure`` (not pyplot), so nothing global
    changes and memory is released when the figure goes out of scope.
    """
    from ..plotting._mpl import require_matplotlib

    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    draw(ax)
    # labels written into cells (heat maps) stay readable when the page scales the image
    for text in ax.texts:
        text.set_fontsize(max(text.get_fontsize(), 9))
    # Margins fitted once to the labels: the same result as constrained layout for one Axes
    # (and its colour bar) at a third of its cost, which re-measures every label while drawing.
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def report_figures(analysis: Any, sections: Optional[Collection[str]] = None) -> Figures:
    """Figures by section: ``{section: [(title, data_uri), ...]}`` for what the analysis holds,
    of ``sections`` ("segments", "stages", "btyd", "holdout", "clv") only when given."""
    from .. import plotting as p
    from .words import horizon_words

    t, label = analysis.table, _label(analysis)
    model = analysis.models.get("transactions")
    if model is not None and len(getattr(model, "coefficients_", ())):
        # A covariate fit has no single P(alive) grid (each customer has their own
        # parameters): the section shows the drivers table instead.
        model = None
    out: Figures = {}

    def want(section: str) -> bool:
        return sections is None or section in sections

    def add(section: str, title: str, draw: Draw, size: tuple[float, float] = (7.0, 4.2)) -> None:
        out.setdefault(section, []).append((title, figure_png(_human(draw), size)))

    if want("segments") and "r_score" in t:
        add(
            "segments",
            "Customers per recency (R) and frequency (F) score: the top right are your best",
            lambda ax: p.plot_rfm_heatmap(t, ax=ax),
        )
        value = "total_value" if "total_value" in t else None
        add(
            "segments",
            "Each segment's share of customers and of revenue",
            lambda ax: p.plot_segment_summary(t, "rfm_segment", value, ax=ax),
            (7.0, 5.0),
        )
    if want("stages") and "stage" in t:
        add(
            "stages",
            "Customers per lifecycle stage",
            lambda ax: p.plot_stage_distribution(t["stage"], ax=ax),
        )
    if want("stages") and analysis.transitions is not None:
        add(
            "stages",
            "How customers moved between stages from one month end to the next (row: stage before)",
            lambda ax: p.plot_stage_transitions(analysis.transitions, ax=ax),
            (7.0, 5.5),
        )
    if want("btyd") and model is not None:
        limits = _matrix_limits(t)
        add(
            "btyd",
            "P(alive) by number of repeat purchases and age at the last purchase",
            lambda ax: p.plot_probability_alive_matrix(model, limits[0], limits[1], ax=ax),
        )
        h = float(analysis.settings.get("horizon_units", 1.0))
        add(
            "btyd",
            f"Expected purchases in the next {horizon_words(analysis.settings)} "
            "by number of repeat purchases and age at the last purchase",
            lambda ax: p.plot_frequency_recency_matrix(model, h, limits[0], limits[1], ax=ax),
        )
        add(
            "btyd",
            "Customers by number of repeat purchases: actual and as the model expects (a close match means a good fit)",
            lambda ax: p.plot_period_transactions(model, t, ax=ax),
        )
    if want("holdout") and analysis.cal_holdout is not None and "calibration" in analysis.models:
        add(
            "holdout",
            "Calibration vs holdout purchases: purchases after the calibration end, actual and forecast",
            lambda ax: p.plot_calibration_purchases_vs_holdout_purchases(
                analysis.models["calibration"], analysis.cal_holdout, ax=ax
            ),
        )
    currency = analysis.settings.get("currency")
    money = f"expected value ({currency})" if currency else "expected value"
    if want("clv") and f"clv_{label}" in t:
        add(
            "clv",
            f"How the expected value over the next {horizon_words(analysis.settings)} is "
            "spread over customers",
            lambda ax: p.plot_clv_distribution(t[f"clv_{label}"], ax=ax, label=money),
        )
    return out


#: Column names the plotting helpers print, in the report's words.
_WORDS = {
    "total_value": "revenue",
    "rfm_segment": "Segments",
    "at_risk": "at risk",
    "clv": "expected value",
    "Stage transitions (row shares)": "Share of each stage moving to each stage",
}


def _human(draw: Draw) -> Draw:
    """``draw`` followed by replacing column names in the title, legend and tick labels."""

    def words(text: str) -> str:
        for raw, human in _WORDS.items():
            text = text.replace(raw, human)
        return text

    def wrapped(ax: Axes) -> object:
        result = draw(ax)
        text_formatters = _text_formatters()
        ax.set_title(words(ax.get_title()))
        legend = ax.get_legend()
        for item in legend.get_texts() if legend is not None else []:
            item.set_text(words(item.get_text()))
        for axis in (ax.xaxis, ax.yaxis):
            # only text labels can hold column names; asking a numeric axis for its labels
            # computes and formats its ticks once more (half a second over the 8 figures)
            if not isinstance(axis.get_major_formatter(), text_formatters):
                continue
            labels = axis.get_ticklabels()
            if any("_" in lab.get_text() for lab in labels):
                axis.set_ticks(axis.get_ticklocs(), [words(lab.get_text()) for lab in labels])
        return result

    return wrapped


def _text_formatters() -> tuple[type, ...]:
    from matplotlib.category import StrCategoryFormatter
    from matplotlib.ticker import FixedFormatter

    return (FixedFormatter, StrCategoryFormatter)


def _label(analysis: Analysis) -> Optional[str]:
    cols = [
        c
        for c in analysis.table.columns
        if c.startswith("clv_") and not c.endswith(("_low", "_high"))
    ]
    return cols[0][4:] if cols else None


def _matrix_limits(t: pd.DataFrame) -> tuple[int, int]:
    """Grid limits covering 99% of customers: the matrices stay readable on long tails."""
    max_f = int(np.quantile(t["frequency"].to_numpy(float), 0.99)) if len(t) else 0
    max_r = int(np.ceil(t["T"].max())) if len(t) else 0
    return max(max_f, 1), max(max_r, 1)
