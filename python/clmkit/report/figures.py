"""The report's figures, drawn off-screen with matplotlib and embedded as base64 PNG."""

from __future__ import annotations

import base64
import io
from typing import Any, Callable, Optional

import numpy as np

from ..plotting._mpl import require_matplotlib

Draw = Callable[[Any], Any]


def figure_png(draw: Draw, size: tuple = (7.0, 4.2)) -> str:
    """Runs ``draw(ax)`` on a new off-screen figure; returns a ``data:image/png`` URI.

    Figures are built with ``matplotlib.figure.Figure`` (not pyplot), so nothing global
    changes and memory is released when the figure goes out of scope.
    """
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=96, layout="constrained")
    FigureCanvasAgg(fig)
    draw(fig.add_subplot())
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def report_figures(analysis: Any) -> dict:
    """Figures by section: ``{section: [(title, data_uri), ...]}`` for what the analysis holds."""
    from .. import plotting as p

    t, label = analysis.table, _label(analysis)
    model = analysis.models.get("transactions")
    out: dict[str, list] = {}

    def add(section: str, title: str, draw: Draw, size: tuple = (7.0, 4.2)) -> None:
        out.setdefault(section, []).append((title, figure_png(draw, size)))

    if "r_score" in t:
        add(
            "segments",
            "RFM grid: customers per (R, F) cell",
            lambda ax: p.plot_rfm_heatmap(t, ax=ax),
        )
        value = "total_value" if "total_value" in t else None
        add(
            "segments",
            "Segments: share of customers and value",
            lambda ax: p.plot_segment_summary(t, "rfm_segment", value, ax=ax),
            (7.0, 5.0),
        )
    if "stage" in t:
        add(
            "stages",
            "Customers by lifecycle stage",
            lambda ax: p.plot_stage_distribution(t["stage"], ax=ax),
        )
    if analysis.transitions is not None:
        add(
            "stages",
            "Stage transitions between monthly snapshots",
            lambda ax: p.plot_stage_transitions(analysis.transitions, ax=ax),
            (7.0, 5.5),
        )
    if model is not None:
        limits = _matrix_limits(t)
        add(
            "btyd",
            "P(alive) by frequency and recency",
            lambda ax: p.plot_probability_alive_matrix(model, *limits, ax=ax),
        )
        h = float(analysis.settings.get("horizon_units", 1.0))
        add(
            "btyd",
            f"Expected purchases in the next {analysis.settings.get('horizon', h)} "
            "by frequency and recency",
            lambda ax: p.plot_frequency_recency_matrix(model, h, *limits, ax=ax),
        )
        add(
            "btyd",
            "Repeat purchases: actual vs model",
            lambda ax: p.plot_period_transactions(model, t, ax=ax),
        )
    if analysis.cal_holdout is not None and "calibration" in analysis.models:
        add(
            "holdout",
            "Calibration vs holdout purchases",
            lambda ax: p.plot_calibration_purchases_vs_holdout_purchases(
                analysis.models["calibration"], analysis.cal_holdout, ax=ax
            ),
        )
    if f"clv_{label}" in t:
        add(
            "clv",
            f"Distribution of clv_{label}",
            lambda ax: p.plot_clv_distribution(t[f"clv_{label}"], ax=ax, label=f"clv_{label}"),
        )
    return out


def _label(analysis: Any) -> Optional[str]:
    cols = [
        c
        for c in analysis.table.columns
        if c.startswith("clv_") and not c.endswith(("_low", "_high"))
    ]
    return cols[0][4:] if cols else None


def _matrix_limits(t: Any) -> tuple:
    """Grid limits covering 99% of customers: the matrices stay readable on long tails."""
    max_f = int(np.quantile(t["frequency"].to_numpy(float), 0.99)) if len(t) else 0
    max_r = int(np.ceil(t["T"].max())) if len(t) else 0
    return max(max_f, 1), max(max_r, 1)
