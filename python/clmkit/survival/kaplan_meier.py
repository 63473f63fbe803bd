"""Kaplan-Meier estimator of the survival function."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
import pandas as pd

from .._validation import as_float_array, check_choice
from ._curve import FittedOnDurations, fit_curve
from ._data import dump_model, load_model, normal_quantile, step_lookup

__all__ = ["KaplanMeier"]


class KaplanMeier(FittedOnDurations):
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

    def __init__(self, alpha: float = 0.05, ci_transform: str = "log-log") -> None:
        self.alpha = alpha
        self.ci_transform = ci_transform

    def __repr__(self) -> str:
        return f"KaplanMeier(alpha={self.alpha!r}, ci_transform={self.ci_transform!r})"

    def fit(
        self,
        durations: Any,
        event_observed: Any = None,
        weights: Any = None,
        entry: Any = None,
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
            Left-truncation times (age when the subject came under observation, <= duration).
            A subject entering at t > 0 is at risk for events after t, not at t (R's
            ``Surv(entry, time, event)`` and lifelines' estimate); the event table's
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
            Negative or NaN durations, events other than 0/1, non-positive weights, entry after
            the duration or mismatched lengths (naming the argument and first bad row).
        """
        check_choice(self.ci_transform, "ci_transform", ["log-log", "log", "plain"])
        z = normal_quantile(self.alpha)
        raw, table = fit_curve(
            self, "km_fit", durations, event_observed, weights, entry, (z, self.ci_transform)
        )
        label = label or "KM_estimate"
        timeline = pd.Index(raw["times"], name="timeline", copy=False)
        surv = raw["survival"]
        self.survival_function_ = pd.DataFrame({label: surv}, index=timeline, copy=False)
        level = f"{1 - self.alpha:g}"
        self.confidence_interval_ = pd.DataFrame(
            {
                f"{label}_lower_{level}": raw["lower"],
                f"{label}_upper_{level}": raw["upper"],
            },
            index=timeline,
            copy=False,
        )
        self.variance_log_survival_ = pd.Series(
            raw["greenwood"], index=timeline, name="greenwood", copy=False
        )
        self.event_table = table
        self.label_ = label
        below = np.flatnonzero(surv <= 0.5)
        self.median_survival_time_ = float(raw["times"][below[0]]) if len(below) else float("inf")
        self._times, self._surv = raw["times"], surv
        return self

    _STATE = (
        "label_",
        "median_survival_time_",
        "survival_function_",
        "confidence_interval_",
        "variance_log_survival_",
        "event_table",
    )

    def to_json(self) -> str:
        """The fitted curve as versioned JSON (exact floats); :meth:`from_json` restores it.
        The training arrays (``durations_``, ``event_observed_``) are not saved."""
        return dump_model(self, {k: getattr(self, k) for k in self._STATE})

    @classmethod
    def from_json(cls, text: str) -> KaplanMeier:
        """Restores a curve saved with :meth:`to_json`."""
        model, state = load_model(cls, text)
        for k, v in state.items():
            setattr(model, k, v)
        model.survival_function_.index.name = "timeline"
        model._times = model.survival_function_.index.to_numpy(dtype=float)
        model._surv = model.survival_function_.iloc[:, 0].to_numpy()
        return model

    def predict(self, times: Any) -> Any:
        """S(t) at the given times (a step function, right-continuous).

        Parameters
        ----------
        times : float or array-like
            Times >= 0.

        Returns
        -------
        float or numpy.ndarray (pandas.Series for a Series input)
        """
        t = as_float_array(times, "times", finite=False)
        out = step_lookup(self._times, self._surv, t, 1.0)
        if np.ndim(times) == 0:
            return float(out[0])
        if isinstance(times, pd.Series):
            return pd.Series(out, index=times.index, name=self.label_)
        return out

    def _survival_at(self, X: Any, times: np.ndarray) -> np.ndarray:
        """S at `times` elementwise (X ignored: the curve has no covariates)."""
        return step_lookup(self._times, self._surv, np.asarray(times, dtype=float), 1.0)

    def plot(self, ax: Any = None, ci: bool = True, **kwargs: Any) -> Any:
        """Step plot of the curve (and bounds) with matplotlib (optional dependency).

        Raises
        ------
        ImportError
            When matplotlib is not installed (``pip install clmkit[plot]``).
        """
        return plot_step(
            self.survival_function_, self.confidence_interval_ if ci else None, ax, **kwargs
        )


def plot_step(curve: pd.DataFrame, bounds: Optional[pd.DataFrame], ax: Any, **kwargs: Any) -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "plot() needs matplotlib: pip install matplotlib (or clmkit[plot])"
        ) from None
    if ax is None:
        ax = plt.gca()
    x = curve.index.to_numpy()
    col = curve.columns[0]
    line = ax.step(x, curve[col].to_numpy(), where="post", label=col, **kwargs)[0]
    if bounds is not None:
        ax.fill_between(
            x,
            bounds.iloc[:, 0].to_numpy(),
            bounds.iloc[:, 1].to_numpy(),
            step="post",
            alpha=0.25,
            color=line.get_color(),
        )
    ax.set_xlabel("timeline")
    ax.legend()
    return ax
