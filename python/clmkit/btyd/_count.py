"""Predictions shared by the purchase-count models (BG/NBD, MBG/NBD, Pareto/NBD, ...).

Each method validates its arguments' types and delegates to the fitted state
(``_core.BtydFit``), whose methods run the model's parallel Rust kernels, so a new count model
inherits all of them.
"""

from __future__ import annotations

from typing import Union, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._typing import (
    CovariateData,
    CustomerData,
    FloatArray,
    NumericArray,
    PandasCustomers,
    PolarsCustomers,
    PolarsPrediction,
    Prediction,
    Shaped,
    Weights,
)
from .._validation import as_float_array, check_horizon, check_int
from . import _covariates
from ._grids import GridModel
from ._rows import labelled_rows, new_customer, rows_like

__all__ = ["CountModel"]


class CountModel(GridModel):
    """Base of the purchase-count models: p_alive and expected purchases (not used directly)."""

    def _rows(
        self, frequency: CustomerData, recency: CustomerData, T: CustomerData
    ) -> tuple[list[FloatArray], object]:
        """The data columns, and what the result is shaped like (:func:`rows_like`)."""
        cols, _, _ = self._columns(frequency, (recency, T), self._data_names)
        return self._validate(cols), rows_like(frequency, cols[0], self._data_names)

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

    @overload
    def p_alive(
        self,
        frequency: PandasCustomers,
        recency: CustomerData = ...,
        T: CustomerData = ...,
        covariates: CovariateData = ...,
    ) -> pd.Series[float]: ...

    @overload
    def p_alive(
        self,
        frequency: PolarsCustomers,
        recency: CustomerData = ...,
        T: CustomerData = ...,
        covariates: CovariateData = ...,
    ) -> PolarsPrediction: ...

    @overload
    def p_alive(
        self,
        frequency: float,
        recency: float,
        T: float,
        covariates: CovariateData = ...,
    ) -> float: ...

    @overload
    def p_alive(
        self,
        frequency: NumericArray,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        covariates: CovariateData = ...,
    ) -> FloatArray: ...

    @overload
    def p_alive(
        self,
        frequency: CustomerData,
        recency: CustomerData = ...,
        T: CustomerData = ...,
        covariates: CovariateData = ...,
    ) -> Prediction: ...

    def p_alive(
        self,
        frequency: CustomerData,
        recency: CustomerData = None,
        T: CustomerData = None,
        covariates: CovariateData = None,
    ) -> Prediction:
        """Probability that each customer is still alive at the end of observation.

        Parameters
        ----------
        frequency, recency, T : array-like, or a summary table as ``frequency``
        covariates : list of str, 2-D array or DataFrame, optional
            Models fitted with covariates: each customer's covariates (default: the fitted
            columns of the table ``frequency``).

        Returns
        -------
        float, numpy.ndarray, pandas.Series, polars.Series or polars.DataFrame
            Values in [0, 1] named ``p_alive``, shaped like ``frequency``: a float for
            scalars; a pandas Series on a pandas input's index; for a polars table (a
            LazyFrame is collected) a DataFrame of its customer id (its first column, as
            :func:`clmkit.summarize` writes it, unless that is a data column) and
            ``p_alive`` in the table's row order, or a polars Series when the table (or the
            column given) has no id; else a numpy array.

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

    @overload
    def conditional_expected_purchases(
        self,
        t: float,
        frequency: PandasCustomers,
        recency: CustomerData = ...,
        T: CustomerData = ...,
        covariates: CovariateData = ...,
    ) -> pd.Series[float]: ...

    @overload
    def conditional_expected_purchases(
        self,
        t: float,
        frequency: PolarsCustomers,
        recency: CustomerData = ...,
        T: CustomerData = ...,
        covariates: CovariateData = ...,
    ) -> PolarsPrediction: ...

    @overload
    def conditional_expected_purchases(
        self,
        t: float,
        frequency: float,
        recency: float,
        T: float,
        covariates: CovariateData = ...,
    ) -> float: ...

    @overload
    def conditional_expected_purchases(
        self,
        t: float,
        frequency: NumericArray,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        covariates: CovariateData = ...,
    ) -> FloatArray: ...

    @overload
    def conditional_expected_purchases(
        self,
        t: float,
        frequency: CustomerData,
        recency: CustomerData = ...,
        T: CustomerData = ...,
        covariates: CovariateData = ...,
    ) -> Prediction: ...

    def conditional_expected_purchases(
        self,
        t: float,
        frequency: CustomerData,
        recency: CustomerData = None,
        T: CustomerData = None,
        covariates: CovariateData = None,
    ) -> Prediction:
        """Expected purchases of each customer in the next ``t`` time units.

        Parameters
        ----------
        t : float
            Horizon (>= 0) in the model's time unit.
        frequency, recency, T : array-like, or a summary table as ``frequency``

        Returns
        -------
        float, numpy.ndarray, pandas.Series, polars.Series or polars.DataFrame
            Named ``expected_purchases``, shaped like ``frequency`` as in :meth:`p_alive`.

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

    def expected_purchases(self, t: npt.ArrayLike, covariates: CovariateData = None) -> Shaped:
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
        return new_customer(out, t, "expected_purchases")

    def probability_of_n_purchases(
        self, t: npt.ArrayLike, n: npt.ArrayLike, covariates: CovariateData = None
    ) -> Union[float, FloatArray]:
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

    @overload
    def conditional_probability_of_n_purchases(
        self,
        t: float,
        n: int,
        frequency: PandasCustomers,
        recency: CustomerData = ...,
        T: CustomerData = ...,
        covariates: CovariateData = ...,
    ) -> pd.Series[float]: ...

    @overload
    def conditional_probability_of_n_purchases(
        self,
        t: float,
        n: int,
        frequency: PolarsCustomers,
        recency: CustomerData = ...,
        T: CustomerData = ...,
        covariates: CovariateData = ...,
    ) -> PolarsPrediction: ...

    @overload
    def conditional_probability_of_n_purchases(
        self,
        t: float,
        n: int,
        frequency: float,
        recency: float,
        T: float,
        covariates: CovariateData = ...,
    ) -> float: ...

    @overload
    def conditional_probability_of_n_purchases(
        self,
        t: float,
        n: int,
        frequency: NumericArray,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        covariates: CovariateData = ...,
    ) -> FloatArray: ...

    @overload
    def conditional_probability_of_n_purchases(
        self,
        t: float,
        n: int,
        frequency: CustomerData,
        recency: CustomerData = ...,
        T: CustomerData = ...,
        covariates: CovariateData = ...,
    ) -> Prediction: ...

    def conditional_probability_of_n_purchases(
        self,
        t: float,
        n: int,
        frequency: CustomerData,
        recency: CustomerData = None,
        T: CustomerData = None,
        covariates: CovariateData = None,
    ) -> Prediction:
        """P(each customer makes exactly ``n`` purchases in the next ``t`` time units),
        named ``probability`` and shaped like ``frequency`` as in :meth:`p_alive`.

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
