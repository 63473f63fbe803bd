"""RFM: recency, frequency and monetary scores, named segments and ABC classes.

- :mod:`.scores`: :func:`rfm_scores` and :func:`score_quantiles` (binning kernels in
  ``src/rfm/``);
- :mod:`.scorer`: :class:`RFMScorer`, edges fitted once and re-applied;
- :mod:`.segments`: :func:`rfm_segments`, :func:`segment_summary`, :data:`STANDARD_SCHEME`;
- :mod:`.abc`: :func:`abc_classes`.
"""

from __future__ import annotations

from .abc import abc_classes
from .scorer import RFMScorer
from .scores import rfm_scores, score_quantiles
from .segments import STANDARD_SCHEME, rfm_segments, segment_summary

__all__ = [
    "RFMScorer",
    "STANDARD_SCHEME",
    "abc_classes",
    "rfm_scores",
    "rfm_segments",
    "score_quantiles",
    "segment_summary",
]
