"""Predictions shared by lifetimes' continuous-time fitters (BG/NBD, MBG/NBD, Pareto/NBD),
under lifetimes' names and argument orders, delegated to the native clmkit model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable, Optional, TypeVar, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from ...._typing import Shaped
from ...._validation import as_float_array, check_int
from ....exceptions import InvalidValueError
from .._checks import _scale_time
from . import _odd
from ._base import BaseFitter, _as_column, _max_iter, _unnamed
from ._errors import lifetimes_messages

__all__ = ["CountFitter"]


def _series_index(*values: npt.ArrayLike) -> Optional[pd.Index]:
    for v in values:
        if isinstance(v, pd.Series):
            return v.index
    return None


def aligned(*cols: npt.ArrayLike) -> Sequence[npt.ArrayLike]:
    """The customer columns, broadcast against each other when their sizes differ (lifetimes'
    numpy arithmetic lets e.g. ``T`` be one number for a Series of frequencies); the first
    column keeps the index of a Series argument."""
    if len({np.size(c) for c in cols}) <= 1:
        return cols
    arrays = [
        np.ascontiguousarray(a)
        for a in np.broadcast_arrays(*[np.asarray(c, dtype=float) for c in cols])
    ]
    index = _series_index(*cols)
    if index is not None and len(index) == arrays[0].size:
        return [pd.Series(arrays[0], index=index), *arrays[1:]]
    return arrays


def per_horizon(fn: Callable[..., Shaped], t: npt.ArrayLike, *cols: npt.ArrayLike) -> Shaped:
    """``fn(t, *cols)`` where lifetimes lets ``t`` be an array broadcast against the customer
    columns: the native kernels take one horizon, so they run once per distinct horizon."""
    t_arr = np.asarray(t, dtype=float)
    if t_arr.ndim == 0:
        return _unnamed(fn(float(t_arr), *aligned(*cols)))
    arrays = np.broadcast_arrays(t_arr, *[np.asarray(c, dtype=float) for c in cols])
    flat = [a.ravel() for a in arrays]
    out = np.empty(flat[0].shape)
    for horizon in np.unique(flat[0]):
        sel = flat[0] == horizon
        out[sel] = np.asarray(
            fn(float(horizon), *[np.ascontiguousarray(a[sel]) for a in flat[1:]]), dtype=float
        )
    shaped = out.reshape(arrays[0].shape)
    index = _series_index(t, *cols)
    return (
        pd.Series(shaped, index=index)
        if index is not None and len(index) == shaped.size
        else shaped
    )


def _is_odd_history_error(err: InvalidValueError) -> bool:
    return err.arg == "recency" and "frequency is 0" in err.reason


def _shaped(values: np.ndarray, *inputs: npt.ArrayLike) -> Shaped:
    """Output shaped as the native methods shape it: a Series for Series input, a float for
    scalars, else an array."""
    index = _series_index(*inputs)
    if index is not None and len(index) == values.size:
        series: pd.Series[float] = pd.Series(values, index=index)
        return series
    if all(np.ndim(v) == 0 for v in inputs):
        return float(values.reshape(-1)[0])
    return values


_Fitter = TypeVar("_Fitter", bound="CountFitter")


class CountFitter(BaseFitter):
    """Base of the lifetimes purchase-count fitters (not used directly)."""

    # Parameters measured in time units (lifetimes divides them by ``_scale`` after fitting).
    _time_params: tuple[str, ...] = ("alpha",)

    def _odd_aware(
        self,
        native: Callable[..., Any],
        kind: str,
        t: float,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
    ) -> Any:
        """``native(frequency, recency, T)``; histories with frequency 0 and recency > 0,
        which the core rejects, get lifetimes' value from :mod:`._odd`."""
        try:
            return native(*aligned(frequency, recency, T))
        except InvalidValueError as err:
            if not _is_odd_history_error(err):
                raise
        f, r, big_t = (
            np.ascontiguousarray(a, dtype=float).reshape(-1)
            for a in np.broadcast_arrays(
                *[np.asarray(c, dtype=float) for c in (frequency, recency, T)]
            )
        )
        odd = _odd.odd_rows(f, r, big_t)
        out = np.asarray(native(f, np.where(odd, 0.0, r), big_t), dtype=float).copy()
        model = self._fitted()
        if kind == "n":
            return out, odd, f, r, big_t
        out[odd] = _odd.evaluate(model, self._time_params, kind, r[odd], big_t[odd], t)
        return _shaped(out, frequency, recency, T)

    def _fit_count(
        self: _Fitter,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        weights: Optional[npt.ArrayLike],
        initial_params: Optional[npt.ArrayLike],
        verbose: bool,
        tol: float,
        index: Optional[pd.Index],
        kwargs: dict[str, Any],
    ) -> _Fitter:
        with lifetimes_messages():
            model = self._fit_native(
                (frequency, recency, T), weights, initial_params, tol, _max_iter(kwargs)
            )
        self._adopt(model)
        f = _as_column(frequency)
        self.data = pd.DataFrame(
            {
                "frequency": f.astype(int) if f.dtype.kind in "fiu" else f,
                "recency": _as_column(recency),
                "T": _as_column(T),
                "weights": np.ones(len(f), dtype=int) if weights is None else _as_column(weights),
            },
            index=index,
        )
        self._lifetimes_objective()
        self._after_load()
        self._after_fit(verbose)
        return self

    def _lifetimes_objective(self) -> None:
        """lifetimes' ``_scale`` (1 / largest T) and ``_negative_log_likelihood_`` (its
        objective at the fitted parameters, on data rescaled so that the largest T is 1)."""
        data = self.data
        self._scale = _scale_time(np.asarray(data["T"], dtype=float))
        scaled = self.params_.copy()
        for name in self._time_params:
            scaled[name] = scaled[name] * self._scale
        values = scaled[list(self._param_names)].to_numpy()
        self._negative_log_likelihood_ = self._negative_log_likelihood(
            values if type(self)._nll_natural else np.log(values),
            data["frequency"].to_numpy(dtype=float),
            data["recency"].to_numpy(dtype=float) * self._scale,
            data["T"].to_numpy(dtype=float) * self._scale,
            data["weights"].to_numpy(dtype=float),
            float(self.penalizer_coef),
        )

    # lifetimes' BG/NBD and MBG/NBD objectives take log-parameters; Pareto/NBD's natural ones.
    _nll_natural = False

    @classmethod
    def _negative_log_likelihood(
        cls,
        log_params: npt.ArrayLike,
        freq: npt.ArrayLike,
        rec: npt.ArrayLike,
        T: npt.ArrayLike,
        weights: Optional[npt.ArrayLike],
        penalizer_coef: float,
    ) -> float:
        """lifetimes' objective (class- or instance-level): mean negative log-likelihood of
        the rows at ``exp(log_params)`` (weighted, divided by the sum of the weights) plus
        ``penalizer_coef * sum(params ** 2)``; each row's log-likelihood from the core."""
        params = np.exp(np.asarray(log_params, dtype=float))
        return cls._mean_negative_log_likelihood(params, (freq, rec, T), weights, penalizer_coef)

    def _after_load(self) -> None:
        super()._after_load()
        self.predict = self.conditional_expected_number_of_purchases_up_to_time

    def conditional_expected_number_of_purchases_up_to_time(
        self, t: npt.ArrayLike, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> Shaped:
        """Expected repeat purchases in the next ``t`` time units of customers with history
        (frequency, recency, T); ``t`` may be an array broadcast against the history."""
        model = self._fitted()

        def one_horizon(
            h: float, f: npt.ArrayLike, r: npt.ArrayLike, big_t: npt.ArrayLike
        ) -> Shaped:
            out: Shaped = self._odd_aware(
                lambda *c: model.conditional_expected_purchases(h, *c), "expected", h, f, r, big_t
            )
            return out

        return per_horizon(one_horizon, t, frequency, recency, T)

    def expected_number_of_purchases_up_to_time(self, t: npt.ArrayLike) -> Shaped:
        """Expected repeat purchases of a new customer in ``t`` time units (scalar or array)."""
        out: Shaped = self._fitted().expected_purchases(t)
        return _unnamed(out)

    def probability_of_n_purchases_up_to_time(self, t: npt.ArrayLike, n: npt.ArrayLike) -> Shaped:
        """P(a new customer makes exactly ``n`` repeat purchases in ``t`` time units)."""
        out: Shaped = self._fitted().probability_of_n_purchases(t, n)
        return out

    def conditional_probability_of_n_purchases_up_to_time(
        self, n: int, t: float, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> Shaped:
        """P(a customer with history (frequency, recency, T) makes exactly ``n`` purchases in
        the next ``t`` time units) — lifetimes' argument order: ``n`` first, then ``t``."""
        model = self._fitted()
        try:
            out: Shaped = model.conditional_probability_of_n_purchases(
                t, n, *aligned(frequency, recency, T)
            )
            return _unnamed(out)
        except InvalidValueError as err:
            if not _is_odd_history_error(err):
                raise
        values, odd, f, r, big_t = self._odd_aware(
            lambda *c: model.conditional_probability_of_n_purchases(t, n, *c),
            "n",
            t,
            frequency,
            recency,
            T,
        )
        zeros = np.zeros(int(odd.sum()))
        p_valid = np.asarray(model.p_alive(f[odd], zeros, big_t[odd]), dtype=float)
        p_odd = _odd.evaluate(model, self._time_params, "p_alive", r[odd], big_t[odd])
        values[odd] = _odd.probability_of_n(values[odd], p_valid, p_odd, int(n))
        return _shaped(values, frequency, recency, T)

    def _p_alive(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> Shaped:
        model = self._fitted()
        out: Shaped = self._odd_aware(model.p_alive, "p_alive", 0.0, frequency, recency, T)
        return _unnamed(out)

    def conditional_probability_alive_matrix(
        self, max_frequency: Optional[int] = None, max_recency: Optional[int] = None
    ) -> np.ndarray:
        """P(alive) on the grid recency 0..max_recency (rows) x frequency 0..max_frequency
        (columns), for customers of age T = max_recency (lifetimes' [t_x, x] layout).

        Defaults (also for 0, as in lifetimes): the largest frequency and T of the fitted
        data. Cells with frequency 0 and recency > 0 (no possible history) hold the model's
        formula evaluated there, as lifetimes shows them.
        """
        model = self._fitted()
        max_frequency = max_frequency or int(self.data["frequency"].max())
        max_recency = max_recency or int(self.data["T"].max())
        max_frequency = check_int(max_frequency, "max_frequency", low=0)
        max_recency = check_int(max_recency, "max_recency", low=0)
        grid = model.p_alive_matrix(
            max_frequency, max_recency, T=float(max_recency), impossible="evaluate"
        )
        return cast(np.ndarray, grid.to_numpy())

    def _simulation_ages(self, size: object) -> np.ndarray:
        size = check_int(size, "size", low=0)
        ages = as_float_array(self.data["T"], "T")
        if size > len(ages):
            raise ValueError(
                f"size must be <= {len(ages)} (the number of fitted customers, whose "
                f"ages T are simulated), got {size}"
            )
        return ages[:size]
