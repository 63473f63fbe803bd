"""clmkit: customer lifecycle analytics with a parallel Rust core.

Transaction summaries, RFM scoring, buy-till-you-die and survival models of churn,
lifecycle stages and customer lifetime value: numpy and pandas in, numpy and pandas out.
"""

from __future__ import annotations

from . import datasets
from ._core import __version__, get_num_threads, set_num_threads
from ._errors import ClmkitWarning, ConvergenceError
from .rfm import RFMScorer, rfm_scores, score_quantiles
from .segments import STANDARD_SCHEME, abc_classes, rfm_segments, segment_summary
from .summary import calibration_and_holdout, summarize

__all__ = [
    "__version__", "datasets", "set_num_threads", "get_num_threads",
    "ClmkitWarning", "ConvergenceError",
    "summarize", "calibration_and_holdout",
    "rfm_scores", "score_quantiles", "RFMScorer", "rfm_segments", "segment_summary",
    "abc_classes", "STANDARD_SCHEME",
]
