"""clmkit: customer lifecycle analytics with a parallel Rust core.

Transaction summaries, RFM scoring, buy-till-you-die and survival models of churn,
lifecycle stages and customer lifetime value: numpy and pandas in, numpy and pandas out.
"""

from __future__ import annotations

from . import datasets, exceptions
from ._core import __version__, get_num_threads, set_num_threads
from ._io import TransactionLog
from .analyze import Analysis, analyze
from .btyd import BetaGeo, BetaGeoBetaBinom, GammaGamma, ModifiedBetaGeo, ParetoNBD
from .btyd._compare import LRTestResult, lr_test
from .clv import (
    HoldoutEvaluation,
    composite_value,
    customer_lifetime_value,
    evaluate_holdout,
    expected_value,
    ltv_to_cac,
    payback_period,
    purchase_value,
    retention_clv,
)
from .contractual import (
    BetaDiscreteWeibull,
    ShiftedBetaGeometric,
    cohort_survivors,
    summarize_subscriptions,
)
from .exceptions import ClmkitWarning, ConvergenceError, InvalidValueError, NotFittedError
from .rfm import (
    STANDARD_SCHEME,
    RFMScorer,
    abc_classes,
    rfm_scores,
    rfm_segments,
    score_quantiles,
    segment_summary,
)
from .stages import (
    StageScheme,
    assign_stages,
    cohort_retention,
    early_warning,
    forecast_stages,
    retention_rate,
    stage_history,
    steady_state,
    transition_matrix,
)
from .summary import calibration_and_holdout, summarize
from .summary_discrete import summarize_discrete
from .survival import (
    CoxPH,
    KaplanMeier,
    NelsonAalen,
    WeibullAFT,
    brier_score,
    churn_dataset,
    churn_probability,
    concordance_index,
)

__all__ = [
    "__version__",
    "datasets",
    "set_num_threads",
    "get_num_threads",
    "ClmkitWarning",
    "InvalidValueError",
    "exceptions",
    "ConvergenceError",
    "summarize",
    "TransactionLog",
    "calibration_and_holdout",
    "rfm_scores",
    "score_quantiles",
    "RFMScorer",
    "rfm_segments",
    "segment_summary",
    "abc_classes",
    "STANDARD_SCHEME",
    "KaplanMeier",
    "NelsonAalen",
    "CoxPH",
    "WeibullAFT",
    "concordance_index",
    "brier_score",
    "churn_dataset",
    "churn_probability",
    "StageScheme",
    "assign_stages",
    "stage_history",
    "transition_matrix",
    "forecast_stages",
    "steady_state",
    "early_warning",
    "cohort_retention",
    "retention_rate",
    "purchase_value",
    "composite_value",
    "retention_clv",
    "ltv_to_cac",
    "payback_period",
    "BetaGeo",
    "ModifiedBetaGeo",
    "GammaGamma",
    "NotFittedError",
    "customer_lifetime_value",
    "expected_value",
    "evaluate_holdout",
    "HoldoutEvaluation",
    "ParetoNBD",
    "BetaGeoBetaBinom",
    "lr_test",
    "LRTestResult",
    "summarize_discrete",
    "analyze",
    "Analysis",
    "summarize_subscriptions",
    "cohort_survivors",
    "ShiftedBetaGeometric",
    "BetaDiscreteWeibull",
]
