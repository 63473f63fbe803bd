"""Gamma-Gamma model of the value of a customer's transactions (Fader & Hardie 2013)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import _core
from .._errors import ClmkitWarning
from .._typing import CovariateData, CustomerData, Weights
from .._validation import (
    as_float_array,
    check_rows,
    check_same_length,
    index_of,
    invalid_value_error,
)
from . import _covariates
from ._base import BTYDFitter

__all__ = ["GammaGamma"]

_CORRELATION_LIMIT = 0.3


class GammaGamma(BTYDFitter):
    """Gamma-Gamma spend model (Fader & Hardie 2013 note 025; Colombo & Jiang 1999).

    Each transaction of a customer is Gamma(p, nu) with nu ~ Gamma(q, v) across customers;
    the model uses each repeat buyer's number of repeat purchases and their mean value, and
    assumes spend is independent of purchase frequency.

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty on p, q, v (lifetimes' ``penalizer_coef``).
    initial_params : dict or sequence, optional
        Starting values for p, q, v.
    tol : float, default 1e-8
    max_iter : int, default 1000

    Examples
    --------
    >>> import clmkit
    >>> data = clmkit.datasets.load_cdnow_summary(with_monetary_value=True)
    >>> gg = clmkit.GammaGamma().fit(data)
    >>> gg.params_.round(2).tolist()
    [6.25, 3.74, 15.45]
    >>> gg.conditional_expected_spend(data["frequency"], data["monetary_value"]).head(3).round(4).tolist()
    [24.6586, 18.9115, 35.171]
    """

    _model_kind = _core.ModelKind.GAMMA_GAMMA
    _param_names = ("p", "q", "v")
    _data_names = ("frequency", "monetary_value")

    def fit(
        self,
        frequency: CustomerData,
        monetary_value: CustomerData = None,
        weights: Weights = None,
        drop_nonpositive: bool = False,
        spend_covariates: CovariateData = None,
    ) -> GammaGamma:
        """Fits the model on the repeat buyers (rows with frequency > 0; others are skipped).

        Parameters
        ----------
        frequency : array-like or DataFrame
            Repeat purchases, or a summary table with ``frequency`` and ``monetary_value``.
        monetary_value : array-like, optional
            Mean value of each customer's repeat purchases.
        weights : array-like or str, optional
            Customers each row stands for (a column name with a table).
        drop_nonpositive : bool, default False
            Skip repeat buyers whose monetary value is <= 0 (with a warning stating how
            many) instead of raising.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            When repeat buyers have monetary_value <= 0 (count, first row and the filter to
            apply are given) or other bad input.

        Warns
        -----
        clmkit.ClmkitWarning
            When frequency and monetary value are correlated (|r| > 0.3) among repeat buyers,
            which breaks the model's independence assumption.
        """
        cols, weights, unit = self._columns(frequency, (monetary_value,), self._data_names, weights)
        index = index_of(cols[0])
        x = as_float_array(cols[0], "frequency", nonnegative=True, integer=True)
        m = as_float_array(cols[1], "monetary_value")
        check_same_length(frequency=x, monetary_value=m)
        keep = x > 0
        bad = keep & (m <= 0)
        if bad.any():
            if not drop_nonpositive:
                row = int(np.argmax(bad))
                err = invalid_value_error(
                    "monetary_value", row, m[row].item(), "must be > 0 for repeat buyers", index
                )
                raise ValueError(
                    f"{err}; {int(bad.sum())} repeat buyers (frequency > 0) have monetary_value <= 0. "
                    "The Gamma-Gamma model needs positive spend: filter them "
                    "(summary[summary['monetary_value'] > 0]) or pass drop_nonpositive=True"
                )
            warnings.warn(
                f"dropped {int(bad.sum())} repeat buyers with monetary_value <= 0",
                ClmkitWarning,
                stacklevel=2,
            )
            keep &= ~bad
        if weights is not None:
            weights = as_float_array(weights, "weights", nonnegative=True)
            if len(weights) != len(x):
                raise ValueError(f"weights has {len(weights)} rows but frequency has {len(x)}")
            weights = np.ascontiguousarray(weights[keep])
        xs, ms = np.ascontiguousarray(x[keep]), np.ascontiguousarray(m[keep])
        if len(xs) > 2 and np.std(xs) > 0 and np.std(ms) > 0:
            corr = float(np.corrcoef(xs, ms)[0, 1])
            if abs(corr) > _CORRELATION_LIMIT:
                warnings.warn(
                    f"frequency and monetary_value of repeat buyers are correlated (r = {corr:.2f}); "
                    "the Gamma-Gamma model assumes they are independent, so its spend estimates "
                    "may be biased",
                    ClmkitWarning,
                    stacklevel=2,
                )
        cov = _covariates.collect(frequency, {"spend": spend_covariates}, len(x))
        if cov is not None:
            cov = cov.take(keep)
        return self._fit_arrays([xs, ms], weights, unit, cov)

    def _validate(self, cols: list[Any]) -> list[np.ndarray]:
        index = index_of(cols[0])
        x = as_float_array(cols[0], "frequency", integer=True)
        m = as_float_array(cols[1], "monetary_value")
        check_same_length(frequency=x, monetary_value=m)
        check_rows(x <= 0, "frequency", x, "must be > 0 (the model describes repeat buyers)", index)
        check_rows(m <= 0, "monetary_value", m, "must be > 0", index)
        return [x, m]

    def conditional_expected_spend(
        self,
        frequency: CustomerData,
        monetary_value: CustomerData = None,
        covariates: CovariateData = None,
    ) -> Any:
        """Expected value of a customer's future transactions given their history
        (note 025 eq. 5); customers without repeat purchases get :meth:`expected_spend`.

        Parameters
        ----------
        frequency : array-like or DataFrame
            Repeat purchases, or a table with ``frequency`` and ``monetary_value``.
        monetary_value : array-like, optional
            Mean value of the repeat purchases (ignored where frequency is 0).

        Returns
        -------
        numpy.ndarray, pandas.Series or float
        """
        cols, _, _ = self._columns(frequency, (monetary_value,), self._data_names)
        x = as_float_array(cols[0], "frequency", nonnegative=True, integer=True)
        m = as_float_array(cols[1], "monetary_value")
        check_same_length(frequency=x, monetary_value=m)
        if self._has_covariates():
            z = _covariates.for_prediction(self, frequency, covariates, len(x))
            out = self._state.predict("conditional_expected_spend", [], [x, m], z)
            return self._output(out, cols[0], "expected_spend")
        out = self._fit_state().conditional_expected_spend(x, m)
        return self._output(out, cols[0], "expected_spend")

    def expected_spend(self, covariates: CovariateData = None) -> Any:
        """Mean transaction value of a new customer, p v / (q - 1) (inf when q <= 1); with a
        covariate fit, per row of ``covariates`` (v scaled by exp(g'z))."""
        if self._has_covariates():
            self._check_fitted()
            return _covariates.predict_new(self, "expected_spend", 0.0, None, covariates)
        p, q, v = self._params()
        return p * v / (q - 1.0) if q > 1.0 else float("inf")
