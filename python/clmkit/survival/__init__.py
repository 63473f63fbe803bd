"""Survival models of churn: Kaplan-Meier, Nelson-Aalen, Cox PH and Weibull AFT, the
concordance index and Brier score, and churn data sets / probabilities."""

from .churn import churn_dataset, churn_probability
from .cox import CoxPH
from .kaplan_meier import KaplanMeier
from .metrics import brier_score, concordance_index
from .nelson_aalen import NelsonAalen
from .weibull import WeibullAFT

__all__ = [
    "KaplanMeier",
    "NelsonAalen",
    "CoxPH",
    "WeibullAFT",
    "concordance_index",
    "brier_score",
    "churn_dataset",
    "churn_probability",
]
