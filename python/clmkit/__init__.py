"""clmkit: customer lifecycle analytics with a parallel Rust core.

Transaction summaries, RFM scoring, buy-till-you-die and survival models of churn,
lifecycle stages and customer lifetime value: numpy and pandas in, numpy and pandas out.
"""

from __future__ import annotations

from . import datasets
from ._core import __version__, get_num_threads, set_num_threads
from ._errors import ClmkitWarning, ConvergenceError
from .btyd import BetaGeo, GammaGamma, ModifiedBetaGeo, NotFittedError
from .btyd import BetaGeoBetaBinom, ParetoNBD
from .clv import HoldoutEvaluation, customer_lifetime_value, evaluate_holdout, expected_value
from .summary import calibration_and_holdout, summarize
from .summary_discrete import summarize_discrete

__all__ = [
    "__version__", "datasets", "set_num_threads", "get_num_threads",
    "ClmkitWarning", "ConvergenceError",
    "summarize", "calibration_and_holdout",
    "BetaGeo", "ModifiedBetaGeo", "GammaGamma", "NotFittedError",
    "ParetoNBD", "BetaGeoBetaBinom", "summarize_discrete",
    "customer_lifetime_value", "expected_value", "evaluate_holdout", "HoldoutEvaluation",
]
