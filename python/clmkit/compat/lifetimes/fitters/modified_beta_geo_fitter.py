"""lifetimes' ``ModifiedBetaGeoFitter`` (MBG/NBD) over :class:`clmkit.ModifiedBetaGeo`."""

from __future__ import annotations

from typing import Any, ClassVar, Optional

import numpy.typing as npt
import pandas as pd

from ....btyd import CountModel, ModifiedBetaGeo
from .. import generate_data
from .beta_geo_fitter import BetaGeoFitter

__all__ = ["ModifiedBetaGeoFitter"]


class ModifiedBetaGeoFitter(BetaGeoFitter):
    """MBG/NBD model (Batislam, Denizel & Filiztekin 2007) with lifetimes 0.11.3's interface
    (same methods and attributes as :class:`BetaGeoFitter`).

    Examples
    --------
    >>> from clmkit.compat.lifetimes import ModifiedBetaGeoFitter
    >>> from clmkit.compat.lifetimes.datasets import load_cdnow_summary
    >>> data = load_cdnow_summary(index_col=[0])
    >>> ModifiedBetaGeoFitter().fit(data["frequency"], data["recency"], data["T"])
    <lifetimes.ModifiedBetaGeoFitter: fitted with 2357 subjects, a: 0.89, alpha: 6.18, b: 1.61, r: 0.52>
    """

    _native: ClassVar[type[CountModel]] = ModifiedBetaGeo

    def fit(
        self,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        weights: Optional[npt.ArrayLike] = None,
        initial_params: Optional[npt.ArrayLike] = None,
        verbose: bool = False,
        tol: float = 1e-7,
        index: Optional[pd.Index] = None,
        **kwargs: Any,
    ) -> ModifiedBetaGeoFitter:
        """Fits the model by maximum likelihood; arguments as :meth:`BetaGeoFitter.fit`."""
        return self._fit_count(
            frequency, recency, T, weights, initial_params, verbose, tol, index, kwargs
        )

    def generate_new_data(self, size: int = 1) -> pd.DataFrame:
        """Simulates ``size`` customers with the ages T of the fitted data."""
        r, alpha, a, b = self._unload_params("r", "alpha", "a", "b")
        return generate_data.modified_beta_geometric_nbd_model(
            self._simulation_ages(size), r, alpha, a, b, size=size
        )
