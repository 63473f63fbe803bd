"""lifetimes' ``BetaGeoFitter`` (BG/NBD) over :class:`clmkit.BetaGeo`."""

from __future__ import annotations

from typing import Any, ClassVar, Optional

import numpy as np
import numpy.typing as npt
import pandas as pd

from ....btyd import BetaGeo, CountModel
from .. import generate_data
from ._count import CountFitter

__all__ = ["BetaGeoFitter"]


class BetaGeoFitter(CountFitter):
    """BG/NBD model (Fader, Hardie & Lee 2005) with lifetimes 0.11.3's interface.

    Parameters
    ----------
    penalizer_coef : float, default 0.0
        L2 penalty on the parameters (same objective as lifetimes: times rescaled so the
        largest T is 1).

    Attributes
    ----------
    params_ : pandas.Series
        r, alpha, a, b.
    data : pandas.DataFrame
        frequency, recency, T, weights as given to ``fit``.
    variance_matrix_, standard_errors_, confidence_intervals_, summary
        As in lifetimes (intervals params +- 1.96 se).

    Examples
    --------
    >>> from clmkit.compat.lifetimes import BetaGeoFitter
    >>> from clmkit.compat.lifetimes.datasets import load_cdnow_summary
    >>> data = load_cdnow_summary(index_col=[0])
    >>> bgf = BetaGeoFitter().fit(data["frequency"], data["recency"], data["T"])
    >>> bgf
    <lifetimes.BetaGeoFitter: fitted with 2357 subjects, a: 0.79, alpha: 4.41, b: 2.43, r: 0.24>
    >>> round(float(bgf.conditional_expected_number_of_purchases_up_to_time(39, 2, 30.43, 38.86)), 3)
    1.226
    """

    _native: ClassVar[type[CountModel]] = BetaGeo
    _param_names = ("r", "alpha", "a", "b")

    def __init__(self, penalizer_coef: float = 0.0) -> None:
        super().__init__(penalizer_coef)

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
    ) -> BetaGeoFitter:
        """Fits the model by maximum likelihood (clmkit's L-BFGS with analytic gradients).

        Parameters
        ----------
        frequency, recency, T : array-like
            Repeat purchases, age at the last purchase, age at the end of observation.
        weights : array-like, optional
            Customers per row.
        initial_params : array-like, optional
            Starting r, alpha, a, b on the natural scale (lifetimes took log-parameters
            of time-rescaled data).
        verbose : bool, default False
            Print the summary after fitting.
        tol : float, default 1e-7
            clmkit converges to the tighter of this and its own 1e-8 gradient tolerance.
        index : array-like, optional
            Index of ``data``.
        **kwargs
            ``maxiter`` is the iteration limit; other scipy options are ignored (warning).

        Returns
        -------
        BetaGeoFitter

        Raises
        ------
        ValueError
            Bad data, naming the argument, first bad row and value.
        clmkit.ConvergenceError
            When the fit does not converge.
        """
        return self._fit_count(
            frequency, recency, T, weights, initial_params, verbose, tol, index, kwargs
        )

    def conditional_probability_alive(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> np.ndarray:
        """P(alive) of customers with history (frequency, recency, T), as an array (at
        least 1-d, as lifetimes returns it)."""
        return np.atleast_1d(np.asarray(self._p_alive(frequency, recency, T), dtype=float))

    def generate_new_data(self, size: int = 1) -> pd.DataFrame:
        """Simulates ``size`` customers with the ages T of the fitted data."""
        r, alpha, a, b = self._unload_params("r", "alpha", "a", "b")
        return generate_data.beta_geometric_nbd_model(
            self._simulation_ages(size), r, alpha, a, b, size=size
        )
