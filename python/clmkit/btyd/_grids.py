"""Heat-map grids of the purchase-count models: a prediction over every (frequency,
recency) history of customers of one age (``p_alive_matrix``, ``expected_purchases_matrix``),
each evaluated by one kernel call of the fitted state."""

from __future__ import annotations

from typing import Optional

import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import _core
from .._typing import CovariateProfile, FloatArray
from .._validation import check_choice, check_horizon, check_int
from . import _covariates
from ._base import BTYDFitter

__all__ = ["GridModel"]


class GridModel(BTYDFitter):
    """Base of the purchase-count models: their grids of histories (not used directly)."""

    def _grid(
        self, max_frequency: int, max_recency: Optional[float], T: Optional[float]
    ) -> tuple[FloatArray, FloatArray, float, npt.NDArray[np.bool_]]:
        max_frequency = check_int(max_frequency, "max_frequency", low=0)
        if max_recency is None:
            if T is None:
                raise ValueError("give max_recency or T (the age of the customers on the grid)")
            max_recency = T
        max_recency = int(np.ceil(check_horizon(max_recency, "max_recency")))
        T = float(max_recency) if T is None else check_horizon(T, "T")
        if max_recency > T:
            raise ValueError(f"max_recency ({max_recency}) must be <= T ({T})")
        rec, freq = np.meshgrid(
            np.arange(max_recency + 1, dtype=float),
            np.arange(max_frequency + 1, dtype=float),
            indexing="ij",
        )
        # Histories with repeat purchases but recency 0, or none but recency > 0, are kept
        # (recency 0 with purchases is possible within one period); only frequency 0 with
        # recency > 0 is impossible and is shown as NaN.
        valid = ~((freq == 0) & (rec > 0))
        return freq, rec, T, valid

    def _grid_state(self, covariates: CovariateProfile, what: str) -> _core.BtydFit:
        """The model of the grid's customers: one covariate profile's on covariate fits."""
        self._check_fitted()
        if self._has_covariates():
            params = _covariates.profile_params(self, covariates, what)
            return _core.BtydFit.from_params(self._model_kind, params)
        if covariates is not None:
            raise ValueError(f"covariates= is for models fitted with covariates ({what})")
        return self._fit_state()

    def _matrix(
        self, values: FloatArray, freq: FloatArray, valid: npt.NDArray[np.bool_], impossible: str
    ) -> pd.DataFrame:
        """The row-major grid values as a DataFrame; impossible cells are NaN unless
        ``impossible="evaluate"`` (then they hold the formula's value, as lifetimes shows)."""
        impossible = check_choice(impossible, "impossible", ("nan", "evaluate"))
        out = values.reshape(freq.shape)
        if impossible == "nan":
            out = np.where(valid, out, np.nan)
        matrix: pd.DataFrame = pd.DataFrame(
            out,
            index=pd.Index(range(freq.shape[0]), name="recency"),
            columns=pd.Index(range(freq.shape[1]), name="frequency"),
        )
        return matrix

    def p_alive_matrix(
        self,
        max_frequency: int,
        max_recency: Optional[float] = None,
        T: Optional[float] = None,
        impossible: str = "nan",
        covariates: CovariateProfile = None,
    ) -> pd.DataFrame:
        """P(alive) over a grid of histories, for the classic heat map.

        Parameters
        ----------
        max_frequency : int
            Frequencies 0..max_frequency (columns).
        max_recency : float, optional
            Recencies 0..max_recency (rows); defaults to T.
        T : float, optional
            Age of every customer on the grid; defaults to max_recency.
        impossible : {"nan", "evaluate"}, default "nan"
            Cells with frequency 0 and recency > 0 are no possible history: NaN, or the
            model's formula evaluated there anyway (what lifetimes' matrices contain).
        covariates : dict, sequence or one-row table, optional
            Required for models fitted with covariates: the covariate values of the kind of
            customer the grid shows (every cell uses that customer's own parameters).

        Returns
        -------
        pandas.DataFrame
            Rows ``recency``, columns ``frequency``; ``impossible`` cells as chosen.

        Examples
        --------
        >>> import clmkit
        >>> bg = clmkit.BetaGeo().fit(clmkit.datasets.load_cdnow_summary())
        >>> bg.p_alive_matrix(max_frequency=3, T=5).shape
        (6, 4)
        """
        freq, _rec, T, valid = self._grid(max_frequency, max_recency, T)
        state = self._grid_state(covariates, "p_alive_matrix")
        vals = state.p_alive_grid(freq.shape[1] - 1, freq.shape[0] - 1, T)
        return self._matrix(vals, freq, valid, impossible)

    def expected_purchases_matrix(
        self,
        t: float,
        max_frequency: int,
        max_recency: Optional[float] = None,
        T: Optional[float] = None,
        impossible: str = "nan",
        covariates: CovariateProfile = None,
    ) -> pd.DataFrame:
        """Conditional expected purchases in the next ``t`` units over the grid of
        :meth:`p_alive_matrix` (rows ``recency``, columns ``frequency``; ``impossible`` and
        ``covariates`` as there)."""
        t = check_horizon(t)
        freq, _rec, T, valid = self._grid(max_frequency, max_recency, T)
        state = self._grid_state(covariates, "expected_purchases_matrix")
        vals = state.conditional_expected_purchases_grid(t, freq.shape[1] - 1, freq.shape[0] - 1, T)
        return self._matrix(vals, freq, valid, impossible)
