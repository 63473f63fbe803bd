"""Kaplan-Meier estimator of the survival function."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Optional, Union

import numpy as np
import pandas as pd

from .._validation import check_choice

if TYPE_CHECKING:  # a type only: matplotlib is imported by clmkit.plotting, when drawing
    from ..plotting.axes import Axes
from ._curve import ArrayInput, CurveEstimator
from ._data import normal_quantile
from ._persist import FloatArray

__all__ = ["KaplanMeier"]


class KaplanMeier(CurveEstimator):
    """Kaplan-Meier (product-limit) estimator with Greenwood confidence bounds.

    Parameters
    ----------
    alpha : float
        1 - confidence level of the pointwise bounds (0.05 gives 95% bounds).
    ci_transform : {"log-log", "log", "plain"}
        Transform of the bounds. "log-log" (default) is lifelines' default and R's
        ``survfit(conf.type="log-log")``: bounds S^exp(+-z se / log S) that stay in [0, 1].
        "log" is R's own default ``conf.type``.

    Attributes
    ----------
    survival_function_ : pandas.DataFrame
        S(t) on the ``timeline`` (0 and every distinct duration / entry time).
    confidence_interval_ : pandas.DataFrame
        ``<label>_lower_<1-alpha>`` and ``<label>_upper_<1-alpha>`` columns.
    median_survival_time_ : float
        First time where S(t) <= 0.5 (lifelines' rule; R averages the ends of a flat at
        exactly 0.5). ``inf`` when S never falls to 0.5.
    event_table : pandas.DataFrame
        ``removed``, ``observed``, ``censored``, ``entrance`` and ``at_risk`` per time
        (weighted counts with ``weights``).

    Examples
    --------
    >>> import clmkit
    >>> g3 = clmkit.datasets.load_g3()
    >>> ctrl = g3[g3["group"] == "Control"]
    >>> km = clmkit.KaplanMeier().fit(ctrl["time"], ctrl["event"])
    >>> round(float(km.predict(19)), 3), km.median_survival_time_
    (0.667, 32.0)
    """

    _KERNEL = "km_fit"
    _ESTIMATE = "survival_function_"
    _VARIANCE = "variance_log_survival_"
    _DEFAULT_LABEL = "KM_estimate"
    _BEFORE = 1.0
    _ESTIMATE_HIGH = 1.0

    survival_function_: pd.DataFrame
    median_survival_time_: float

    def __init__(self, alpha: float = 0.05, ci_transform: str = "log-log") -> None:
        self.alpha = alpha
        self.ci_transform = ci_transform

    def _kernel_options(self) -> tuple[object, ...]:
        return (normal_quantile(self.alpha), self.ci_transform)

    def fit(
        self,
        durations: ArrayInput,
        event_observed: Optional[ArrayInput] = None,
        weights: Optional[ArrayInput] = None,
        entry: Optional[ArrayInput] = None,
        label: Optional[str] = None,
    ) -> KaplanMeier:
        """Fit the curve.

        Parameters
        ----------
        durations : array-like
            Time to event or censoring, >= 0.
        event_observed : array-like of {0, 1} or bool, optional
            1 when the event happened, 0 when censored. Default: all events.
        weights : array-like, optional
            Positive case weights (e.g. counts of identical rows).
        entry : array-like, optional
            Left-truncation times (age when the subject came under observation). A subject
            entering at t > 0 is at risk for events after t, not at t (R's
            ``Surv(entry, time, event)`` and lifelines' estimate), so it must leave later:
            0 < entry >= duration is an error, as in R and lifelines. The event table's
            ``at_risk`` column counts it at t, as lifelines' event table does.
        label : str, optional
            Column name of the estimate (default ``"KM_estimate"``).

        Returns
        -------
        KaplanMeier
            self.

        Raises
        ------
        ValueError
            Negative or NaN durations, events other than 0/1, non-positive weights, an entry
            at or after its row's exit, or mismatched lengths (naming the argument, the first
            bad row with its index label, and the value).
        """
        self._check_options()
        self._fit_curve(durations, event_observed, weights, entry, label)
        return self

    def _set_curve(self, label: str, c: Mapping[str, FloatArray]) -> None:
        super()._set_curve(label, c)
        below = np.flatnonzero(c["estimate"] <= 0.5)
        self.median_survival_time_ = float(c["times"][below[0]]) if len(below) else float("inf")

    def _check_options(self) -> None:
        check_choice(self.ci_transform, "ci_transform", ["log-log", "log", "plain"])

    def predict(self, times: ArrayInput) -> Union[float, FloatArray, pd.Series]:
        """S(t) at the given times (a step function, right-continuous).

        Parameters
        ----------
        times : float or array-like
            Times (S = 1 before 0; a NaN time is an error, not a probability).

        Returns
        -------
        float or numpy.ndarray (pandas.Series for a Series input)

        Raises
        ------
        NotFittedError
            Before ``fit``.
        ValueError
            For a NaN time (naming the row).
        """
        out = self._lookup(times)
        if np.ndim(times) == 0:
            return float(out[0])
        if isinstance(times, pd.Series):
            return pd.Series(out, index=times.index, name=self.label_)
        return out

    def _survival_at(self, X: object, times: FloatArray) -> FloatArray:
        """S at `times` elementwise (X ignored: the curve has no covariates)."""
        return self._lookup(times, any_shape=True)

    def plot(self, ax: Optional[Axes] = None, ci: bool = True, **kwargs: object) -> Axes:
        """Step plot of the curve (and bounds); see :func:`clmkit.plotting.survival.plot_curve`.

        Raises
        ------
        ImportError
            When the plotting extra is not installed (``pip install clmkit[plot]``).
        """
        self._check_fitted()
        from ..plotting.survival import plot_curve

        return plot_curve(
            self.survival_function_, self.confidence_interval_ if ci else None, ax, **kwargs
        )
