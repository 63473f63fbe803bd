"""Customer lifetime value: model-based CLV, holdout evaluation and CRM value formulas.

- :mod:`.value`: :func:`customer_lifetime_value`, :func:`expected_value` (kernels in
  ``src/clv/``);
- :mod:`.next_purchase`: :func:`time_to_expected_purchases` (one multi-horizon kernel call
  per customer);
- :mod:`.holdout`: :func:`evaluate_holdout`, :class:`HoldoutEvaluation`;
- :mod:`.formulas`: closed-form CRM formulas (:func:`retention_clv`, :func:`payback_period`, ...).
"""

from __future__ import annotations

from .formulas import composite_value, ltv_to_cac, payback_period, purchase_value, retention_clv
from .holdout import HoldoutEvaluation, evaluate_holdout
from .next_purchase import time_to_expected_purchases
from .value import customer_lifetime_value, expected_value

__all__ = [
    "HoldoutEvaluation",
    "composite_value",
    "customer_lifetime_value",
    "evaluate_holdout",
    "expected_value",
    "ltv_to_cac",
    "payback_period",
    "purchase_value",
    "retention_clv",
    "time_to_expected_purchases",
]
