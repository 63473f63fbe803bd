"""Predictions shared by the purchase-count models (BG/NBD, MBG/NBD, Pareto/NBD, ...).

Each method validates its arguments' types and delegates to the fitted state
(``_core.BtydFit``), whose methods run the model's parallel Rust kernels, so a new count model
inherits all of them.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import _core
from .._typing import CovariateData, CustomerData, Weights
from .._validation import as_float_array, check_choice, check_horizon, check_int
from . import _covariates
from ._base import BTYDFitter
from ._rows import labelled_rows

__all__ = ["CountModel"]


class CountModel(BTYDFitter):
    """Base of the purchase-count models: p_alive and expected purchases (not used directly)."""

    def _rows(self, frequency: CustomerData, recency: Any, T: Any) -> tuple[list[np.ndarray], Any]:
        cols, _, _ = self._columns(frequency, (recency, T), self._data_names)
        return self._validate(cols), cols[0]

    def fit(
        self,
        frequency: CustomerData,
        recency: CustomerData = None,
        T: CustomerData = None,
        weights: Weights = None,
        purchase_covariates: CovariateData = None,
        dropout_covariates: CovariateData = None,
    ) -> CountModel:
        """Fits the model by maximum likelihood.

        Parameters
        ----------
        frequency : array-like or DataFrame
            Repeat purchases per customer, or a summary table (pandas, polars or pyarrow)
            with ``frequency``, ``recency`` and ``T`` columns (its time unit is kept as
            ``time_unit_`` when it comes from :func:`clmkit.summarize`).
        recency, T : array-like, optional
            Age at the last purchase and at the end of observation (same unit).
        weights : array-like or str, optional
            Number of customers each row stands for (a column name with a table).
        purchase_covariates, dropout_covariates : list of str, 2-D array or DataFrame, optional
            Time-invariant covariates of the purchase and dropout processes: column names of
            the summary table, or (with arrays) a customers x covariates array (columns
            ``x0``, ``x1``, ...) or DataFrame. The fit then reports ``coefficients_`` and
            predictions use each customer's covariates.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            Bad data (argument, first bad row and value are named) or hyperparameters.
        clmkit.ConvergenceError
            When the optimiser does not converge (try a small ``penalizer``).

        Examples
        --------
        >>> import clmkit
        >>> bg = clmkit.BetaGeo().fit(clmkit.datasets.load_cdnow_summary())
        >>> bg.params_.round(3).tolist()
        [0.243, 4.414, 0.793, 2.426]
        """
        covariates = {"purchase": purchase_covariates, "dropout": dropout_covariates}
        return self._fit(frequency, (recency, T), weights, covariates)

    def p_alive(
        self,
        frequency: CustomerData,
        recency: CustomerData = None,
        T: CustomerData = None,
        covariates: CovariateData = None,
    ) -> Any:
        """Probability that each customer is still alive at the end of observation.

        Parameters
        ----------
        frequency, recency, T : array-like, or a summary table as ``frequency``

        Returns
        -------
        numpy.ndarray, pandas.Series or float
            Values in [0, 1], shaped like ``frequency``.

        Examples
        --------
        >>> import clmkit
        >>> bg = clmkit.BetaGeo().fit(clmkit.datasets.load_cdnow_summary())
        >>> round(bg.p_alive(2, 30.43, 38.86), 4)
        0.7266
        """
        if self._has_covariates():
            data = (frequency, (recency, T), covariates)
            return _covariates.predict(self, "p_alive", [0.0], *data, "p_alive")
        rows, like = self._rows(frequency, recency, T)
        with labelled_rows(like):
            x, tx, big_t = rows
            out = self._fit_state().p_alive(x, tx, big_t)
        return self._output(out, like, "p_alive")

    def conditional_expected_purchases(
        self,
        t: float,
        frequency: CustomerData,
        recency: CustomerData = None,
        T: CustomerData = None,
        covariates: CovariateData = None,
    ) -> Any:
        """Expected purchases of each customer in the next ``t`` time units.

        Parameters
        ----------
        t : float
            Horizon (>= 0) in the model's time unit.
        frequency, recency, T : array-like, or a summary table as ``frequency``

        Returns
        -------
        numpy.ndarray, pandas.Series or float

        Raises
        ------
        ValueError
            When t < 0 or the customer data are invalid (argument and first bad row named).

        Examples
        --------
        >>> import clmkit
        >>> bg = clmkit.BetaGeo().fit(clmkit.datasets.load_cdnow_summary())
        >>> round(bg.conditional_expected_purchases(39, 2, 30.43, 38.86), 3)
        1.226
        """
        t = check_horizon(t)
        if self._has_covariates():
            quantity, data = "conditional_expected_purchases", (frequency, (recency, T), covariates)
            return _covariates.predict(self, quantity, [t], *data, "expected_purchases")
        rows, like = self._rows(frequency, recency, T)
        with labelled_rows(like):
            out = self._fit_state().conditional_expected_purchases([t], *rows)[0]
        return self._output(out, like, "expected_purchases")

    def expected_purchases(self, t: npt.ArrayLike, covariates: CovariateData = None) -> Any:
        """Expected purchases of a new customer in ``t`` time units (scalar or array).

        Examples
        --------
        >>> import clmkit
        >>> bg = clmkit.BetaGeo().fit(clmkit.datasets.load_cdnow_summary())
        >>> bg.expected_purchases([1, 39]).round(4).tolist()
        [0.0532, 1.195]
        """
        self._check_fitted()
        if self._has_covariates():
            return _covariates.predict_new(self, "expected_purchases", t, None, covariates)
        arr = as_float_array(t, "t", nonnegative=True)
        out = self._fit_state().expected_purchases(arr)
        return self._output(out, t, "expected_purchases")

    def probability_of_n_purchases(
        self, t: npt.ArrayLike, n: npt.ArrayLike, covariates: CovariateData = None
    ) -> Any:
        """P(a new customer makes exactly ``n`` purchases in ``t`` time units).

        ``t`` and ``n`` broadcast against each other (scalars or arrays).

        Examples
        --------
        >>> import clmkit
        >>> bg = clmkit.BetaGeo().fit(clmkit.datasets.load_cdnow_summary())
        >>> bg.probability_of_n_purchases(39, [0, 1, 2]).round(4).tolist()
        [0.5743, 0.1992, 0.0853]
        """
        self._check_fitted()
        if self._has_covariates():
            return _covariates.predict_new(self, "probability_of_n_purchases", t, n, covariates)
        t_arr = as_float_array(t, "t", nonnegative=True)
        n_arr = as_float_array(n, "n", nonnegative=True, integer=True)
        t_b, n_b = np.broadcast_arrays(t_arr, n_arr)
        state = self._fit_state()
        out = state.probability_of_n_purchases(np.ascontiguousarray(t_b), np.ascontiguousarray(n_b))
        scalar = np.ndim(t) == 0 and np.ndim(n) == 0
        return float(out[0]) if scalar else out

    def conditional_probability_of_n_purchases(
        self,
        t: float,
        n: int,
        frequency: CustomerData,
        recency: CustomerData = None,
        T: CustomerData = None,
        covariates: CovariateData = None,
    ) -> Any:
        """P(each customer makes exactly ``n`` purchases in the next ``t`` time units).

        Examples
        --------
        >>> import clmkit
        >>> bg = clmkit.BetaGeo().fit(clmkit.datasets.load_cdnow_summary())
        >>> round(bg.conditional_probability_of_n_purchases(39, 0, 2, 30.43, 38.86), 4)
        0.4454
        """
        t = check_horizon(t)
        n = check_int(n, "n", low=0)
        if self._has_covariates():
            quantity = "conditional_probability_of_n_purchases"
            data = (frequency, (recency, T), covariates)
            return _covariates.predict(self, quantity, [t, float(n)], *data, "probability")
        rows, like = self._rows(frequency, recency, T)
        with labelled_rows(like):
            out = self._fit_state().conditional_probability_of_n_purchases(t, float(n), *rows)
        return self._output(out, like, "probability")

    def _grid(
        self, max_frequency: int, max_recency: Optional[float], T: Optional[float]
    ) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
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

    def _grid_state(self, covariates: Any, what: str) -> _core.BtydFit:
        """The model of the grid's customers: one covariate profile's on covariate fits."""
        self._check_fitted()
        if self._has_covariates():
            params = _covariates.profile_params(self, covariates, what)
            return _core.BtydFit.from_params(self._model_kind, params)
        if covariates is not None:
            raise ValueError(f"covariates= is for models fitted with covariates ({what})")
        return self._fit_state()

    def _matrix(
        self, values: np.ndarray, freq: np.ndarray, valid: np.ndarray, impossible: str
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
        covariates: Any = None,
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
        covariates: Any = None,
    ) -> pd.DataFrame:
        """Conditional expected purchases in the next ``t`` units over the grid of
        :meth:`p_alive_matrix` (rows ``recency``, columns ``frequency``; ``impossible`` and
        ``covariates`` as there)."""
        t = check_horizon(t)
        freq, _rec, T, valid = self._grid(max_frequency, max_recency, T)
        state = self._grid_state(covariates, "expected_purchases_matrix")
        vals = state.conditional_expected_purchases_grid(t, freq.shape[1] - 1, freq.shape[0] - 1, T)
        return self._matrix(vals, freq, valid, impossible)
