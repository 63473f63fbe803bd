"""Per-customer summaries of a transaction log: continuous time (frequency, recency, T,
monetary value), discrete time (BG/BB histories) and the time units they record.

Modules
-------
continuous
    :func:`summarize` and :func:`calibration_and_holdout` (lifetimes' semantics).
discrete
    :func:`summarize_discrete`, the transaction-opportunity histories BG/BB is fitted on.
units
    :class:`~clmkit.summary.units.TimeUnit`: the unit a summary records and the conversion
    of period strings such as ``"30D"`` into it.
"""

from __future__ import annotations

from .continuous import summarize
from .discrete import summarize_discrete
from .holdout import calibration_and_holdout

__all__ = ["summarize", "calibration_and_holdout", "summarize_discrete"]
