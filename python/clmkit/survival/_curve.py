"""What the Kaplan-Meier and Nelson-Aalen estimators share: inputs handed to the Rust kernel,
the event table, the step-function lookup and the JSON document.

Numpy arrays (and pandas Series over them) of the dtypes the kernel reads go to it as they are;
anything else is converted (types only). The kernel checks every value once, in the pass that
counts the events; its :class:`~clmkit.exceptions.InvalidValueError` gets the caller's index
label here (:func:`~clmkit.exceptions.with_row_label`), nothing is checked twice.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import ClassVar, Optional, Union

import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import _core
from .._estimator import JsonValue
from .._validation import as_float_array
from ..exceptions import ClmkitWarning, InvalidValueError, RowLabels, with_row_label
from ._data import step_lookup
from ._persist import FloatArray, SurvivalEstimator, array_field, floats, str_field

_FLOAT = (np.dtype(np.float64),)
_INTS = tuple(
    np.dtype(t)
    for t in (np.int64, np.int32, np.int16, np.int8, np.uint64, np.uint32, np.uint16, np.uint8)
)
# bool goes as its bytes (uint8; nonzero = event, numpy's own reading)
_EVENT_DTYPES = (np.dtype(np.float64), np.dtype(np.int64), np.dtype(np.int32), np.dtype(np.bool_))
_TABLE_COLUMNS = ("removed", "observed", "censored", "entrance", "at_risk")
_CURVE_COLUMNS = ("estimate", "variance", "lower", "upper")

ArrayInput = Union[npt.ArrayLike, pd.Series]


def _as_kernel_array(
    values: ArrayInput, dtypes: tuple[np.dtype[np.generic], ...]
) -> Optional[npt.NDArray[np.generic]]:
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


def _floats(values: ArrayInput, name: str) -> FloatArray:
    """float64 for the kernel; TypeError for non-numbers (values are the kernel's to check)."""
    return as_float_array(values, name, finite=False)


def _kernel_inputs(
    durations: ArrayInput,
    event_observed: Optional[ArrayInput],
    weights: Optional[ArrayInput],
    entry: Optional[ArrayInput],
) -> tuple[
    FloatArray, Optional[npt.NDArray[np.generic]], Optional[FloatArray], Optional[FloatArray]
]:
    d = _as_kernel_array(durations, _FLOAT)
    if d is None:
        ints = _as_kernel_array(durations, _INTS)
        d = ints.astype(np.float64) if ints is not None else _floats(durations, "durations")
    e = None
    if event_observed is not None:
        e = _as_kernel_array(event_observed, _EVENT_DTYPES)
        if e is None:
            e = _floats(event_observed, "event_observed")
    w = None if weights is None else _as_kernel_array(weights, _FLOAT)
    if weights is not None and w is None:
        w = _floats(weights, "weights")
    en = None if entry is None else _floats(entry, "entry")
    return d.astype(np.float64, copy=False), e, w, en  # type: ignore[return-value]


def _index_of(*values: object) -> dict[str, Optional[RowLabels]]:
    names = ("durations", "event_observed", "weights", "entry")
    return {n: v.index if isinstance(v, pd.Series) else None for n, v in zip(names, values)}


class CurveEstimator(SurvivalEstimator):
    """Base of KaplanMeier and NelsonAalen: one curve on the event table's times."""

    _KERNEL: ClassVar[str] = ""
    _ESTIMATE: ClassVar[str] = ""  # attribute holding the curve (survival_function_, ...)
    _VARIANCE: ClassVar[str] = ""
    _DEFAULT_LABEL: ClassVar[str] = ""
    _BEFORE: ClassVar[float] = 1.0  # value before the first time (S = 1, H = 0)
    _ESTIMATE_HIGH: ClassVar[float] = math.inf  # largest valid estimate (1 for S)
    _FITTED_NAMES = frozenset({"event_table"})
    _STATE_FIELDS = frozenset({"label", "times", *_TABLE_COLUMNS, *_CURVE_COLUMNS})

    alpha: float
    _times: FloatArray
    _values: FloatArray
    _event_flags: Optional[npt.NDArray[np.generic]]
    durations_: FloatArray
    label_: str
    confidence_interval_: pd.DataFrame
    event_table: pd.DataFrame

    def _kernel_options(self) -> tuple[object, ...]:
        raise TypeError(f"{type(self).__name__} has no kernel")

    def _fit_curve(
        self,
        durations: ArrayInput,
        event_observed: Optional[ArrayInput],
        weights: Optional[ArrayInput],
        entry: Optional[ArrayInput],
        label: Optional[str],
    ) -> None:
        d, e, w, en = _kernel_inputs(durations, event_observed, weights, entry)
        events = e if e is None or e.dtype != np.bool_ else e.view(np.uint8)
        try:
            fit = getattr(_core, self._KERNEL)(d, events, w, en, *self._kernel_options())
        except InvalidValueError as err:
            index = _index_of(durations, event_observed, weights, entry).get(err.arg)
            raise with_row_label(err, index) from None
        columns = {k: getattr(fit, k) for k in ("times", *_TABLE_COLUMNS, *_CURVE_COLUMNS)}
        self._set_curve(label or self._DEFAULT_LABEL, columns)
        if not columns["observed"].any():
            warnings.warn(
                "every observation is censored: the estimate stays at its initial value",
                ClmkitWarning,
                stacklevel=3,
            )
        self.durations_ = d
        self._event_flags = e
        self.__dict__.pop("_event_observed_f64", None)

    def _set_curve(self, label: str, c: Mapping[str, FloatArray]) -> None:
        """Fitted attributes from the kernel's columns (fit) or a checked document (load)."""
        timeline = pd.Index(c["times"], name="timeline", copy=False)
        level = f"{1 - self.alpha:g}"
        setattr(self, self._ESTIMATE, pd.DataFrame({label: c["estimate"]}, index=timeline))
        self.confidence_interval_ = pd.DataFrame(
            {f"{label}_lower_{level}": c["lower"], f"{label}_upper_{level}": c["upper"]},
            index=timeline,
            copy=False,
        )
        setattr(self, self._VARIANCE, pd.Series(c["variance"], index=timeline, copy=False))
        self.event_table = pd.DataFrame(
            {k: c[k] for k in _TABLE_COLUMNS},
            index=pd.Index(c["times"], name="event_at", copy=False),
            copy=False,
        )
        self.label_ = label
        self._times, self._values = c["times"], c["estimate"]
        self._columns = c

    def _lookup(self, times: ArrayInput, any_shape: bool = False) -> FloatArray:
        """The curve at `times` (1-d, or any shape for the internal callers); NaN refused."""
        self._check_fitted()
        t = np.asarray(times, dtype=np.float64) if any_shape else _floats(times, "times")
        if np.isnan(t).any():
            row = int(np.argmax(np.isnan(t).reshape(-1)))
            index = times.index if isinstance(times, pd.Series) else None
            raise with_row_label(
                InvalidValueError("times", row, "nan", "a time must be a number, not NaN"), index
            ) from None
        return step_lookup(self._times, self._values, t, self._BEFORE)

    @property
    def event_observed_(self) -> FloatArray:
        """0/1 flags as float64 (all 1 without events), converted on first access: nothing in
        a fit reads them, and the kernel reads the caller's dtype in place."""
        if "durations_" not in self.__dict__:
            raise AttributeError("event_observed_")
        cached = self.__dict__.get("_event_observed_f64")
        if cached is None:
            e = self._event_flags
            cached = (
                np.ones(len(self.durations_)) if e is None else e.astype(np.float64, copy=False)
            )
            self._event_observed_f64 = cached
        return cached

    # ------------------------------------------------------------ persistence
    def _fitted_state(self) -> dict[str, JsonValue]:
        return {"label": self.label_, **{k: floats(v) for k, v in self._columns.items()}}

    def _check_options(self) -> None:
        """Checks options other than alpha (fit and load)."""

    def _restore(self, state: Mapping[str, JsonValue]) -> None:
        self._check_state_fields(state)
        self._check_hyper("alpha", 0.0, 1.0)
        try:
            self._check_options()
        except (TypeError, ValueError) as err:
            raise ValueError(f"model JSON: field 'hyperparameters': {err}") from None
        times = array_field(state, "times", low=0.0)
        if (np.diff(times) <= 0).any():
            raise ValueError("model JSON: field 'times' must be strictly increasing")
        n = len(times)
        c = {"times": times}
        for k in _TABLE_COLUMNS:
            c[k] = array_field(state, k, n, low=0.0)
        c["estimate"] = array_field(state, "estimate", n, low=0.0, high=self._ESTIMATE_HIGH)
        c["variance"] = array_field(state, "variance", n, low=0.0, allow_nan=True)
        for k in ("lower", "upper"):
            c[k] = array_field(state, k, n, allow_nan=True)
        self._set_curve(str_field(state, "label"), c)
