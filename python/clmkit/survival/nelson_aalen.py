"""Nelson-Aalen estimator of the cumulative hazard."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Union

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # a type only: matplotlib is imported by clmkit.plotting, when drawing
    from ..plotting.axes import Axes

from ._curve import ArrayInput, CurveEstimator
from ._data import normal_quantile
from ._persist import FloatArray

__all__ = ["NelsonAalen"]


class NelsonAalen(CurveEstimator):
    """Nelson-Aalen estimator H(t) = sum over event times t_j <= t of d_j / n_j.

    The variance is sum d_j (n_j - d_j) / n_j^3 (Klein 1991) and bounds are log-transformed,
    H exp(+-z sd / H): lifelines' ``NelsonAalenFitter(nelson_aalen_smoothing=False)``
    (lifelines' default smooths tied events as if they happened one after another).

    Parameters
    ----------
    alpha : float
        1 - confidence level of the pointwise bounds.

    Attributes
    ----------
    cumulative_hazard_ : pandas.DataFrame
        H(t) on the timeline (column ``NA_estimate``).
    confidence_interval_ : pandas.DataFrame
    event_table : pandas.DataFrame

    Examples
    --------
    >>> import clmkit
    >>> w = clmkit.datasets.load_waltons()
    >>> na = clmkit.NelsonAalen().fit(w["T"], w["E"])
    >>> bool(na.predict(50.0) > 0)
    True
    """

    _KERNEL = "na_fit"
    _ESTIMATE = "cumulative_hazard_"
    _VARIANCE = "variance_"
    _DEFAULT_LABEL = "NA_estimate"
    _BEFORE = 0.0

    cumulative_hazard_: pd.DataFrame

    def __init__(self, alpha: float = 0.05) -> None:
        self.alpha = alpha

    def _kernel_options(self) -> tuple[object, ...]:
        return (normal_quantile(self.alpha),)

    def fit(
        self,
        durations: ArrayInput,
        event_observed: Optional[ArrayInput] = None,
        weights: Optional[ArrayInput] = None,
        entry: Optional[ArrayInput] = None,
        label: Optional[str] = None,
    ) -> NelsonAalen:
        """Fit the cumulative hazard; arguments and errors as :meth:`KaplanMeier.fit`.

        Returns
        -------
        NelsonAalen
            self.
        """
        self._fit_curve(durations, event_observed, weights, entry, label)
        return self

    def predict(self, times: ArrayInput) -> Union[float, FloatArray]:
        """H(t) at the given times (float for a scalar, array otherwise; NaN is an error)."""
        out = self._lookup(times)
        return float(out[0]) if np.ndim(times) == 0 else out

    def _survival_at(self, X: object, times: FloatArray) -> FloatArray:
        """exp(-H(t)) elementwise (Fleming-Harrington survival); X ignored."""
        return np.exp(-self._lookup(times, any_shape=True))

    def plot(self, ax: Optional[Axes] = None, ci: bool = True, **kwargs: object) -> Axes:
        """Step plot of H(t); see :func:`clmkit.plotting.survival.plot_curve`."""
        self._check_fitted()
        from ..plotting.survival import plot_curve

        return plot_curve(
            self.cumulative_hazard_, self.confidence_interval_ if ci else None, ax, **kwargs
        )
