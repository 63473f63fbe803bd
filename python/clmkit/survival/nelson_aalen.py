"""Nelson-Aalen estimator of the cumulative hazard."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
import pandas as pd

from .._validation import as_float_array
from ._curve import FittedOnDurations, fit_curve
from ._data import dump_model, load_model, normal_quantile, step_lookup
from .kaplan_meier import plot_step

__all__ = ["NelsonAalen"]


class NelsonAalen(FittedOnDurations):
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

    def __init__(self, alpha: float = 0.05) -> None:
        self.alpha = alpha

    def __repr__(self) -> str:
        return f"NelsonAalen(alpha={self.alpha!r})"

    def fit(
        self,
        durations: Any,
        event_observed: Any = None,
        weights: Any = None,
        entry: Any = None,
        label: Optional[str] = None,
    ) -> NelsonAalen:
        """Fit the cumulative hazard; arguments and errors as :meth:`KaplanMeier.fit`.

        Returns
        -------
        NelsonAalen
            self.
        """
        raw, table = fit_curve(
            self,
            "na_fit",
            durations,
            event_observed,
            weights,
            entry,
            (normal_quantile(self.alpha),),
        )
        label = label or "NA_estimate"
        timeline = pd.Index(raw["times"], name="timeline", copy=False)
        h = raw["cumulative_hazard"]
        self.cumulative_hazard_ = pd.DataFrame({label: h}, index=timeline, copy=False)
        level = f"{1 - self.alpha:g}"
        self.confidence_interval_ = pd.DataFrame(
            {
                f"{label}_lower_{level}": raw["lower"],
                f"{label}_upper_{level}": raw["upper"],
            },
            index=timeline,
            copy=False,
        )
        self.variance_ = pd.Series(raw["variance"], index=timeline, copy=False)
        self.event_table = table
        self.label_ = label
        self._times, self._h = raw["times"], h
        return self

    _STATE = ("label_", "cumulative_hazard_", "confidence_interval_", "variance_", "event_table")

    def to_json(self) -> str:
        """The fitted estimate as versioned JSON; :meth:`from_json` restores it."""
        return dump_model(self, {k: getattr(self, k) for k in self._STATE})

    @classmethod
    def from_json(cls, text: str) -> NelsonAalen:
        """Restores an estimate saved with :meth:`to_json`."""
        model, state = load_model(cls, text)
        for k, v in state.items():
            setattr(model, k, v)
        model._times = model.cumulative_hazard_.index.to_numpy(dtype=float)
        model._h = model.cumulative_hazard_.iloc[:, 0].to_numpy()
        return model

    def predict(self, times: Any) -> Any:
        """H(t) at the given times (float for a scalar, array otherwise)."""
        t = as_float_array(times, "times", finite=False)
        out = step_lookup(self._times, self._h, t, 0.0)
        return float(out[0]) if np.ndim(times) == 0 else out

    def _survival_at(self, X: Any, times: np.ndarray) -> np.ndarray:
        """exp(-H(t)) elementwise (Fleming-Harrington survival); X ignored."""
        return np.exp(-step_lookup(self._times, self._h, np.asarray(times, dtype=float), 0.0))

    def plot(self, ax: Any = None, ci: bool = True, **kwargs: Any) -> Any:
        """Step plot of H(t) with matplotlib (ImportError with a hint when it is missing)."""
        return plot_step(
            self.cumulative_hazard_, self.confidence_interval_ if ci else None, ax, **kwargs
        )
