"""Contractual churn: retention models of subscription customers.

Use these when customers leave at an observed moment (a subscription ends, a contract is not
renewed); use the buy-till-you-die models (:mod:`clmkit.btyd`) when churn is never observed.
"""

from .models import BetaDiscreteWeibull, ShiftedBetaGeometric
from .subscriptions import cohort_survivors, customer_table, summarize_subscriptions

__all__ = [
    "BetaDiscreteWeibull",
    "ShiftedBetaGeometric",
    "cohort_survivors",
    "customer_table",
    "summarize_subscriptions",
]
