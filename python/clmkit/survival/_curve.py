"""Input handling and event table shared by the Kaplan-Meier and Nelson-Aalen estimators.

Numpy arrays (and pandas Series over them) of the dtypes the Rust kernel reads go to it as
they are: the kernel checks every value in the same pass that counts the events, so nothing is
scanned or copied twice. Only when the kernel rejects the input are the Python checks run, to
raise their message (argument, first bad row and its pandas index label, value).
"""

from __future__ import annotations

import warnings
from typing import Any, Optional

import numpy as np
import pandas as pd

from .. import _core
from .._errors import ClmkitWarning
from .._validation import as_float_array
from ._data import optional_weights, survival_arrays

_FLOAT = (np.dtype(np.float64),)
_INTS = tuple(
    np.dtype(t)
    for t in (np.int64, np.int32, np.int16, np.int8, np.uint64, np.uint32, np.uint16, np.uint8)
)
# bool goes as its bytes (uint8; nonzero = event, numpy's own reading)
_EVENT_DTYPES = (np.dtype(np.float64), np.dtype(np.int64), np.dtype(np.int32), np.dtype(np.bool_))
_TABLE_COLUMNS = ("removed", "observed", "censored", "entrance", "at_risk")


def _as_kernel_array(values: Any, dtypes: tuple) -> Optional[np.ndarray]:
    """A 1-d numpy array or numpy-backed Series of one of `dtypes` as the kernel reads it:
    itself when C-contiguous and aligned (no copy, no scan), else a contiguous copy (a column
    of a 2-d block); None when it needs converting."""
    if isinstance(values, pd.Series):
        if isinstance(values.dtype, pd.api.extensions.ExtensionDtype):
            return None
        values = values.to_numpy()
    if isinstance(values, np.ndarray) and values.ndim == 1 and values.dtype in dtypes:
        return np.require(values, requirements=["C", "A"])
    return None


def _kernel_inputs(durations: Any, event_observed: Any, weights: Any, entry: Any) -> tuple:
    """(durations, events, weights, entry) for the kernel: arrays passed as they are where
    possible, otherwise converted by the Python validators (which check values as they go)."""
    d = _as_kernel_array(durations, _FLOAT)
    if d is None:
        ints = _as_kernel_array(durations, _INTS)
        # whole numbers are finite: the float copy needs no scan (the kernel checks signs)
        d = (
            ints.astype(np.float64)
            if ints is not None
            else as_float_array(durations, "durations", nonnegative=True)
        )
    e = None
    if event_observed is not None:
        e = _as_kernel_array(event_observed, _EVENT_DTYPES)
        if e is None:
            e = as_float_array(event_observed, "event_observed")
    w = None
    if weights is not None:
        w = _as_kernel_array(weights, _FLOAT)
        if w is None:
            w = as_float_array(weights, "weights")
    en = None if entry is None else as_float_array(entry, "entry", nonnegative=True)
    return d, e, w, en


def _raise_python_error(durations: Any, event_observed: Any, weights: Any, entry: Any) -> None:
    """Runs the Python checks in the order of the documented messages; they raise first
    for anything they cover (the kernel's own message stands for the rest)."""
    d, _ = survival_arrays(durations, event_observed)
    optional_weights(weights, len(d))
    if entry is not None:
        as_float_array(entry, "entry", nonnegative=True)


def fit_curve(
    fitter: Any,
    kernel: str,
    durations: Any,
    event_observed: Any,
    weights: Any,
    entry: Any,
    extra: tuple,
) -> tuple[dict, pd.DataFrame]:
    """Runs the Rust kernel on validated inputs; returns its dict (curves on the event table's
    times, lifelines' time-0 row included) and the event table."""
    d, e, w, en = _kernel_inputs(durations, event_observed, weights, entry)
    try:
        raw = getattr(_core, kernel)(
            d, e if e is None or e.dtype != np.bool_ else e.view(np.uint8), w, en, *extra
        )
    except ValueError:
        _raise_python_error(durations, event_observed, weights, entry)
        raise
    table = pd.DataFrame(
        {k: raw[k] for k in _TABLE_COLUMNS},
        index=pd.Index(raw["times"], name="event_at", copy=False),
        copy=False,
    )
    if not raw["observed"].any():
        warnings.warn(
            "every observation is censored: the estimate stays at its initial value",
            ClmkitWarning,
            stacklevel=3,
        )
    fitter.durations_ = d
    fitter._event_flags = e
    fitter.__dict__.pop("_event_observed_f64", None)
    return raw, table


class FittedOnDurations:
    """``event_observed_`` as float64 0/1 (all 1 without events), converted on first access:
    nothing in a fit reads it, and the kernel reads the caller's dtype in place."""

    _event_flags: Optional[np.ndarray]
    durations_: np.ndarray

    @property
    def event_observed_(self) -> np.ndarray:
        cached = self.__dict__.get("_event_observed_f64")
        if cached is None:
            if "durations_" not in self.__dict__:
                raise AttributeError("event_observed_ is set by fit()")
            e = self._event_flags
            cached = (
                np.ones(len(self.durations_)) if e is None else e.astype(np.float64, copy=False)
            )
            self._event_observed_f64 = cached
        return cached
