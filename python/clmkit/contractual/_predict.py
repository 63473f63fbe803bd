"""Predictions of a fitted retention model (a mixin of the contractual models' base).

Periods are whole renewal periods: a customer acquired at period 0 who has made ``r``
renewals is alive at period ``r``; T is the period at which the customer churns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, Optional, Union, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import _core
from .._estimator import Estimator
from .._io import is_table, read
from .._validation import as_float_array
from ._covariates import Covariates

if TYPE_CHECKING:
    from ..plotting.axes import Axes
    from ..plotting.contractual import Survivors

__all__ = ["RetentionPredictions"]


FloatArray = npt.NDArray[np.float64]
#: A prediction shaped like its input: a float for a number, a Series on the same index for
#: a Series, else a float array; with ``covariates``, one value per customer (a Series on
#: the caller's index, or an array).
Shaped = Union[float, FloatArray, "pd.Series[float]"]
#: Times or renewals given as several values (not a Series): the result is an array.
Values = Union[Sequence[float], npt.NDArray[np.generic]]


def _shaped(values: FloatArray, like: npt.ArrayLike, name: str) -> Shaped:
    """A float for a scalar input, a Series for a Series (same index), else numpy."""
    if isinstance(like, pd.Series):
        return pd.Series(values, index=like.index, name=name)
    if np.ndim(like) == 0:
        return float(values[0])
    return values


def _times(t: object, name: str) -> np.ndarray:
    return np.ascontiguousarray(as_float_array(np.atleast_1d(np.asarray(t, dtype=float)), name))


class RetentionPredictions(Estimator):
    """survival_function, retention_rate, churn_pmf, conditional_survival, residual
    lifetimes, DERL and the residual value of a customer base."""

    _model: _core.RetentionModel

    def _per_customer(
        self,
        what: str,
        t: npt.ArrayLike,
        covariates: Covariates,
        data: object,
        name: str,
        rate: float = 0.0,
    ) -> tuple[Shaped, Shaped]:
        """``what`` per customer of a covariate fit (see ``CovariateMixin``)."""
        raise TypeError(f"{type(self).__name__}: covariates= needs a fit with covariates")

    @overload
    def survival_function(self, t: float, covariates: None = ..., data: object = ...) -> float: ...
    @overload
    def survival_function(
        self, t: pd.Series[Any], covariates: None = ..., data: object = ...
    ) -> pd.Series[float]: ...
    @overload
    def survival_function(
        self, t: Values, covariates: None = ..., data: object = ...
    ) -> FloatArray: ...
    @overload
    def survival_function(
        self, t: npt.ArrayLike, covariates: Covariates = ..., data: object = ...
    ) -> Shaped: ...

    def survival_function(
        self, t: npt.ArrayLike, covariates: Covariates = None, data: object = None
    ) -> Shaped:
        """S(t): the share of a new cohort still active after t periods.

        With ``covariates`` (a model fitted with them): S_i(t) of each customer at its own
        covariates (column names of ``data`` or an n x k array), as a Series on the
        caller's index or an array; ``t`` a scalar or one value per customer. Without, the
        baseline customer (x = 0).

        Examples
        --------
        >>> import clmkit
        >>> sbg = clmkit.ShiftedBetaGeometric().fit(
        ...     survivors=[1000, 869, 743, 653, 593, 551, 517, 491])
        >>> round(1000 * sbg.survival_function(12))
        378
        """
        self._check_fitted()
        if covariates is not None:
            return self._per_customer("survival", t, covariates, data, "survival")[0]
        return _shaped(self._model.survival(_times(t, "t")), t, "survival")

    @overload
    def retention_rate(self, t: float, covariates: None = ..., data: object = ...) -> float: ...
    @overload
    def retention_rate(
        self, t: pd.Series[Any], covariates: None = ..., data: object = ...
    ) -> pd.Series[float]: ...
    @overload
    def retention_rate(
        self, t: Values, covariates: None = ..., data: object = ...
    ) -> FloatArray: ...
    @overload
    def retention_rate(
        self, t: npt.ArrayLike, covariates: Covariates = ..., data: object = ...
    ) -> Shaped: ...

    def retention_rate(
        self, t: npt.ArrayLike, covariates: Covariates = None, data: object = None
    ) -> Shaped:
        """r(t) = S(t) / S(t - 1), the share of period t - 1's survivors renewing at t >= 1;
        (beta + t - 1) / (alpha + beta + t - 1) for the sBG: it rises with tenure. Per
        customer with ``covariates`` (see :meth:`survival_function`)."""
        self._check_fitted()
        if covariates is not None:
            return self._per_customer("retention_rate", t, covariates, data, "retention_rate")[0]
        return _shaped(self._model.retention_rate(_times(t, "t")), t, "retention_rate")

    @overload
    def churn_pmf(self, t: float) -> float: ...
    @overload
    def churn_pmf(self, t: pd.Series[Any]) -> pd.Series[float]: ...
    @overload
    def churn_pmf(self, t: Values) -> FloatArray: ...

    def churn_pmf(self, t: npt.ArrayLike) -> Shaped:
        """P(T = t): the share of a new cohort churning at period t >= 1."""
        self._check_fitted()
        return _shaped(self._model.churn_pmf(_times(t, "t")), t, "churn_probability")

    def conditional_survival(self, t: npt.ArrayLike, renewals: npt.ArrayLike) -> Shaped:
        """P(still active at period t | survived ``renewals`` renewals) = S(t) / S(renewals)."""
        self._check_fitted()
        tt, rr = np.broadcast_arrays(_times(t, "t"), _times(renewals, "renewals"))
        out = self._model.conditional_survival(np.ascontiguousarray(tt), np.ascontiguousarray(rr))
        return _shaped(out, t if np.ndim(renewals) == 0 else renewals, "conditional_survival")

    def _survival_at(self, X: npt.ArrayLike, times: npt.ArrayLike) -> np.ndarray:
        """S(times) for :func:`clmkit.churn_probability` (X is not used)."""
        return np.asarray(self.survival_function(np.asarray(times, dtype=float)), dtype=float)

    @overload
    def expected_residual_lifetime(
        self, renewals: float, covariates: None = ..., data: object = ...
    ) -> float: ...
    @overload
    def expected_residual_lifetime(
        self, renewals: pd.Series[Any], covariates: None = ..., data: object = ...
    ) -> pd.Series[float]: ...
    @overload
    def expected_residual_lifetime(
        self, renewals: Values, covariates: None = ..., data: object = ...
    ) -> FloatArray: ...
    @overload
    def expected_residual_lifetime(
        self, renewals: npt.ArrayLike, covariates: Covariates = ..., data: object = ...
    ) -> Shaped: ...

    def expected_residual_lifetime(
        self, renewals: npt.ArrayLike, covariates: Covariates = None, data: object = None
    ) -> Shaped:
        """Expected number of further renewals of a customer who has made ``renewals``;
        ``inf`` when the heterogeneity makes it infinite (alpha c <= 1: some customers
        almost never churn). Per customer with ``covariates``."""
        self._check_fitted()
        if covariates is not None:
            name = "residual_lifetime"
            return self._per_customer(name, renewals, covariates, data, name)[0]
        r = _times(renewals, "renewals")
        return _shaped(self._model.expected_residual_lifetime(r), renewals, "residual_lifetime")

    @overload
    def discounted_expected_residual_lifetime(
        self,
        renewals: float,
        discount_rate: float,
        return_error: Literal[False] = ...,
        covariates: None = ...,
        data: object = ...,
    ) -> float: ...
    @overload
    def discounted_expected_residual_lifetime(
        self,
        renewals: float,
        discount_rate: float,
        return_error: Literal[True],
        covariates: None = ...,
        data: object = ...,
    ) -> tuple[float, float]: ...
    @overload
    def discounted_expected_residual_lifetime(
        self,
        renewals: npt.ArrayLike,
        discount_rate: float,
        return_error: Literal[False] = ...,
        covariates: Covariates = ...,
        data: object = ...,
    ) -> Shaped: ...
    @overload
    def discounted_expected_residual_lifetime(
        self,
        renewals: npt.ArrayLike,
        discount_rate: float,
        return_error: Literal[True],
        covariates: Covariates = ...,
        data: object = ...,
    ) -> tuple[Shaped, Shaped]: ...
    @overload
    def discounted_expected_residual_lifetime(
        self,
        renewals: npt.ArrayLike,
        discount_rate: float,
        return_error: bool = ...,
        covariates: Covariates = ...,
        data: object = ...,
    ) -> Union[Shaped, tuple[Shaped, Shaped]]: ...

    def discounted_expected_residual_lifetime(
        self,
        renewals: npt.ArrayLike,
        discount_rate: float,
        return_error: bool = False,
        covariates: Covariates = None,
        data: object = None,
    ) -> Union[Shaped, tuple[Shaped, Shaped]]:
        """DERL (Fader & Hardie 2010, eq. 6): the expected discounted number of further
        payments of a customer who has made ``renewals`` renewals and faces the next one,
        sum_{k>=0} S(r + 1 + k) / S(r) / (1 + d)^k.

        The sBG uses the closed form with 2F1; the BdW sums the series until the bound on
        its remainder (S is non-increasing, so the rest after term K is at most
        term_K / d) is below 1e-13 of the sum. ``return_error=True`` also returns that bound.

        Parameters
        ----------
        renewals : int or array-like
            Renewals made so far (0 for a customer who just signed up).
        discount_rate : float
            Per period, > 0.
        covariates : list of str or 2-D array-like, optional
            With a covariate fit: each customer's DERL at its own covariates (column names
            of ``data`` or an n x k array); ``renewals`` a scalar or one per customer.

        Examples
        --------
        >>> import clmkit
        >>> sbg = clmkit.ShiftedBetaGeometric().fit(
        ...     survivors=[1000, 631, 468, 382, 326, 289, 262, 241])
        >>> round(sbg.discounted_expected_residual_lifetime(0, 0.1), 3)
        2.964
        """
        self._check_fitted()
        if covariates is not None:
            v, e = self._per_customer("derl", renewals, covariates, data, "derl", discount_rate)
            return (v, e) if return_error else v
        values, errors = self._model.derl(_times(renewals, "renewals"), float(discount_rate))
        out = _shaped(values, renewals, "derl")
        return (out, _shaped(errors, renewals, "derl_error")) if return_error else out

    def residual_value(
        self,
        customers: object,
        margin: float,
        discount_rate: float,
        weights: Optional[npt.ArrayLike] = None,
    ) -> float:
        """Residual value of the active base: margin x the sum of DERL over the active
        customers (Fader & Hardie 2010, eq. 7), payments at the next renewal undiscounted.

        Parameters
        ----------
        customers : DataFrame or array-like
            A table with ``renewals`` and ``churned`` (only ``churned == 0`` rows count, e.g.
            :func:`clmkit.summarize_subscriptions`), or the renewals of active customers.
        margin : float
            Net cash flow per customer per period.
        discount_rate : float
            Per period, > 0.
        weights : array-like, optional
            Number of customers per row (e.g. counts by tenure).
        """
        self._check_fitted()
        if is_table(customers):
            table = read(customers, {"renewals": "renewals", "churned": "churned"})
            active = table.numeric("churned", "churned") == 0
            r = table.numeric("renewals", "renewals")[active]
            w = None if weights is None else as_float_array(weights, "weights")[active]
        else:
            r = _times(customers, "customers")
            w = None if weights is None else as_float_array(weights, "weights")
        levels, inverse = np.unique(r, return_inverse=True)
        derl = self._model.derl(np.ascontiguousarray(levels, dtype=float), float(discount_rate))[0]
        per_row = derl[inverse]
        total = float(per_row.sum() if w is None else (per_row * w).sum())
        return float(margin) * total

    def expected_survivors(self, n0: float, periods: npt.ArrayLike) -> FloatArray:
        """n0 S(t): the projected survivors of a cohort of ``n0`` customers."""
        survival = np.asarray(self.survival_function(np.atleast_1d(periods)), dtype=np.float64)
        out: FloatArray = float(n0) * survival
        return out

    # ---------------------------------------------------------------- plots (views)
    def plot_survival(self, survivors: Survivors = None, **kwargs: Any) -> Axes:
        """Model survival curve against observed survivors; see
        :func:`clmkit.plotting.contractual.plot_survival`."""
        from ..plotting.contractual import plot_survival

        return plot_survival(self, survivors, **kwargs)

    def plot_retention(self, survivors: Survivors = None, **kwargs: Any) -> Axes:
        """Model retention rate by period against observed; see
        :func:`clmkit.plotting.contractual.plot_retention`."""
        from ..plotting.contractual import plot_retention

        return plot_retention(self, survivors, **kwargs)
