"""lifetimes 0.11.3's public API over clmkit's engine: change one import line.

>>> import clmkit.compat.lifetimes as lifetimes          # was: import lifetimes
>>> from clmkit.compat.lifetimes import BetaGeoFitter     # was: from lifetimes import BetaGeoFitter

The fitters keep lifetimes' names, signatures, defaults, attributes and return types; every
number comes from clmkit's native models (``clmkit.BetaGeo``, ...). Where lifetimes returns
NaN, overflows or raises on valid data the façade returns the correct finite value; the
deliberate differences are listed in ``docs/migrating_from_lifetimes.md``. ``plotting`` needs
matplotlib and is imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import datasets, generate_data, utils
from .fitters import (
    BaseFitter,
    BetaGeoBetaBinomFitter,
    BetaGeoFitter,
    GammaGammaFitter,
    ModifiedBetaGeoFitter,
    ParetoNBDFitter,
)

__version__ = "0.11.3"

__all__ = (
    "__version__",
    "BetaGeoFitter",
    "ParetoNBDFitter",
    "GammaGammaFitter",
    "ModifiedBetaGeoFitter",
    "BetaGeoBetaBinomFitter",
    "BaseFitter",
    "utils",
    "datasets",
    "generate_data",
    "plotting",
)


def __getattr__(name: str) -> Any:
    # plotting imports matplotlib, an optional dependency: load it only when asked for.
    if name == "plotting":
        return importlib.import_module(".plotting", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
