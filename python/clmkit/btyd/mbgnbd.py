"""MBG/NBD: the modified BG/NBD model (Batislam, Denizel & Filiztekin 2007)."""

from __future__ import annotations

from functools import partial
from typing import Optional

import numpy.typing as npt
import pandas as pd

from .. import _core
from .._typing import CovariateData
from . import _covariate_simulate
from ._count import CountModel
from .bgnbd import _simulate

__all__ = ["ModifiedBetaGeo"]


class ModifiedBetaGeo(CountModel):
    """MBG/NBD model (Batislam, Denizel & Filiztekin 2007, IJRM 24(3)).

    As :class:`clmkit.BetaGeo`, but a customer may also drop out right after the first
    purchase, so customers without repeat purchases are not assumed alive.

    Parameters
    ----------
    penalizer : float, default 0.0
    initial_params : dict or sequence, optional
        Starting values for r, alpha, a, b.
    tol : float, default 1e-8
    max_iter : int, default 1000

    Examples
    --------
    >>> import clmkit
    >>> mbg = clmkit.ModifiedBetaGeo().fit(clmkit.datasets.load_cdnow_summary())
    >>> mbg.params_.round(3).tolist()
    [0.525, 6.183, 0.891, 1.614]
    """

    _model_kind = _core.ModelKind.MBG_NBD
    _param_names = ("r", "alpha", "a", "b")

    def generate(
        self,
        n: int,
        T: npt.ArrayLike,
        seed: Optional[int] = None,
        covariates: CovariateData = None,
    ) -> pd.DataFrame:
        """Simulates ``n`` customers observed for ``T`` (see :meth:`clmkit.BetaGeo.generate`,
        also for ``covariates``)."""
        if self._has_covariates() or covariates is not None:
            draw = partial(_simulate, initial_dropout=True)
            return _covariate_simulate.generate(self, n, T, seed, covariates, "T", draw)
        return _simulate(self._params(), n, T, seed, initial_dropout=True)
