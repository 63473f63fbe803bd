"""lifetimes' fitters over clmkit's native models."""

from ._base import BaseFitter
from .beta_geo_beta_binom_fitter import BetaGeoBetaBinomFitter
from .beta_geo_fitter import BetaGeoFitter
from .gamma_gamma_fitter import GammaGammaFitter
from .modified_beta_geo_fitter import ModifiedBetaGeoFitter
from .pareto_nbd_fitter import ParetoNBDFitter

__all__ = [
    "BaseFitter",
    "BetaGeoFitter",
    "ParetoNBDFitter",
    "GammaGammaFitter",
    "ModifiedBetaGeoFitter",
    "BetaGeoBetaBinomFitter",
]
