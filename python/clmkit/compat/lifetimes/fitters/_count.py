"""Predictions shared by lifetimes' continuous-time fitters (BG/NBD, MBG/NBD, Pareto/NBD),
under lifetimes' names and argument orders, delegated to the native clmkit model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable, Optional

import numpy as np
import pandas as pd

from ...._validation import as_float_array, check_int
from ._base import BaseFitter, _as_column, _max_iter, _unnamed

__all__ = ["CountFitter"]


def _series_index(*values: Any) -> Optional[pd.Index]:
    for v in values:
        if isinstance(v, pd.Series):
            return v.index
    return None


def aligned(*cols: Any) -> Sequence[Any]:
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


def per_horizon(fn: Callable[..., Any], t: Any, *cols: Any) -> Any:
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
    out = out.reshape(arrays[0].shape)
    index = _series_index(t, *cols)
    return pd.Series(out, index=index) if index is not None and len(index) == out.size else out


class CountFitter(BaseFitter):
    """Base of the lifetimes purchase-count fitters (not used directly)."""

    def _fit_count(
        self,
        frequency: Any,
        recency: Any,
        T: Any,
        weights: Any,
        initial_params: Any,
        verbose: bool,
        tol: float,
        index: Any,
        kwargs: dict[str, Any],
    ) -> CountFitter:
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
        self._after_load()
        self._after_fit(verbose)
        return self

    def _after_load(self) -> None:
        self.predict = self.conditional_expected_number_of_purchases_up_to_time

    def conditional_expected_number_of_purchases_up_to_time(
        self, t: Any, frequency: Any, recency: Any, T: Any
    ) -> Any:
        """Expected repeat purchases in the next ``t`` time units of customers with history
        (frequency, recency, T); ``t`` may be an array broadcast against the history."""
        model = self._fitted()
        return per_horizon(model.conditional_expected_purchases, t, frequency, recency, T)

    def expected_number_of_purchases_up_to_time(self, t: Any) -> Any:
        """Expected repeat purchases of a new customer in ``t`` time units (scalar or array)."""
        out = self._fitted().expected_purchases(t)
        return _unnamed(out)

    def probability_of_n_purchases_up_to_time(self, t: Any, n: Any) -> Any:
        """P(a new customer makes exactly ``n`` repeat purchases in ``t`` time units)."""
        return self._fitted().probability_of_n_purchases(t, n)

    def conditional_probability_of_n_purchases_up_to_time(
        self, n: int, t: float, frequency: Any, recency: Any, T: Any
    ) -> Any:
        """P(a customer with history (frequency, recency, T) makes exactly ``n`` purchases in
        the next ``t`` time units) — lifetimes' argument order: ``n`` first, then ``t``."""
        out = self._fitted().conditional_probability_of_n_purchases(
            t, n, *aligned(frequency, recency, T)
        )
        return _unnamed(out)

    def _p_alive(self, frequency: Any, recency: Any, T: Any) -> Any:
        out = self._fitted().p_alive(*aligned(frequency, recency, T))
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
        return grid.to_numpy()

    def _simulation_ages(self, size: Any) -> np.ndarray:
        size = check_int(size, "size", low=0)
        ages = as_float_array(self.data["T"], "T")
        if size > len(ages):
            raise ValueError(
                f"size must be <= {len(ages)} (the number of fitted customers, whose "
                f"ages T are simulated), got {size}"
            )
        return ages[:size]
