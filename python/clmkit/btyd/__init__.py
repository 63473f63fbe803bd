"""Buy-till-you-die models: who is still a customer, how much will they buy.

All models share :class:`BTYDFitter` (fit, fitted attributes, summary, JSON and pickling);
the purchase-count models share :class:`CountModel` (p_alive, expected purchases, ...).
"""

from __future__ import annotations

from ._base import BTYDFitter, NotFittedError
from ._compare import LRTestResult, lr_test
from ._count import CountModel
from .bgbb import BetaGeoBetaBinom
from .bgnbd import BetaGeo
from .gammagamma import GammaGamma
from .mbgnbd import ModifiedBetaGeo
from .paretonbd import ParetoNBD

__all__ = [
    "BTYDFitter",
    "CountModel",
    "NotFittedError",
    "BetaGeo",
    "ModifiedBetaGeo",
    "GammaGamma",
    "ParetoNBD",
    "BetaGeoBetaBinom",
    "lr_test",
    "LRTestResult",
]
