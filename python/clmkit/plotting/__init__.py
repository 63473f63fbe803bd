"""Plots for customer summaries, BTYD and survival models, RFM segments and lifecycle stages.

matplotlib is an optional extra: ``pip install 'clmkit[plot]'``. Every function takes plain
arrays / DataFrames or a fitted clmkit model, draws on ``ax`` (default: the current Axes) and
returns the matplotlib Axes, so plots compose into figures and reports.
"""

from __future__ import annotations

from ._mpl import require_matplotlib

require_matplotlib()

from .btyd import (  # noqa: E402  (matplotlib is checked first for a clear message)
    plot_calibration_purchases_vs_holdout_purchases,
    plot_frequency_recency_matrix,
    plot_history_alive,
    plot_period_transactions,
    plot_probability_alive_matrix,
)
from .contractual import plot_retention, plot_survival  # noqa: E402
from .segments import plot_clv_distribution, plot_rfm_heatmap, plot_segment_summary  # noqa: E402
from .stages import (  # noqa: E402
    plot_cohort_retention,
    plot_stage_distribution,
    plot_stage_transitions,
)
from .survival import plot_survival_function  # noqa: E402

__all__ = [
    "plot_frequency_recency_matrix",
    "plot_probability_alive_matrix",
    "plot_calibration_purchases_vs_holdout_purchases",
    "plot_period_transactions",
    "plot_history_alive",
    "plot_survival_function",
    "plot_rfm_heatmap",
    "plot_segment_summary",
    "plot_clv_distribution",
    "plot_stage_transitions",
    "plot_stage_distribution",
    "plot_cohort_retention",
    "plot_survival",
    "plot_retention",
]
