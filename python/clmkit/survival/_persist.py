"""The survival models' share of the estimator base: NotFittedError on fitted attributes, and
field checks for their JSON documents (every field named in the message, values bounded)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import ClassVar, Optional, Union

import numpy as np
import numpy.typing as npt

from .._estimator import Estimator, JsonValue, float_list
from ..exceptions import NotFittedError, bounded

FloatArray = npt.NDArray[np.float64]
#: A column or index label as JSON keeps it (tuples of a MultiIndex become lists).
Label = Union[str, int, float, bool, None, tuple["Label", ...]]


class SurvivalEstimator(Estimator):
    """Estimator base of the survival models: a fitted attribute read before ``fit`` (a name
    ending in ``_`` or listed in ``_FITTED_NAMES``) raises :class:`NotFittedError`, which is
    also an AttributeError, so ``hasattr`` stays False."""

    _FITTED_NAMES: ClassVar[frozenset[str]] = frozenset()
    #: The fields of the JSON document's ``state`` (others are refused).
    _STATE_FIELDS: ClassVar[frozenset[str]] = frozenset()

    def __getattr__(self, name: str) -> object:
        fitted_name = (name.endswith("_") and not name.startswith("__")) or name in type(
            self
        )._FITTED_NAMES
        if fitted_name and not name.startswith("_") and not self._is_fitted():
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet: call fit(...) before reading {name}"
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _check_state_fields(self, state: Mapping[str, JsonValue]) -> None:
        unknown = sorted(set(state) - self._STATE_FIELDS)
        if unknown:
            raise ValueError(f"model JSON: unknown fields in 'state': {bounded(unknown, 200)}")

    def _check_hyper(self, name: str, low: float, high: float) -> float:
        """A float hyperparameter of a loaded document, checked to lie in (low, high)."""
        value = getattr(self, name)
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok or not low < float(value) < high:
            raise ValueError(
                f"model JSON: field 'hyperparameters.{name}' is {bounded(repr(value), 40)}, "
                f"must be a number in ({low:g}, {high:g})"
            )
        return float(value)


def array_field(
    doc: Mapping[str, JsonValue],
    field: str,
    n: Optional[int] = None,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    allow_nan: bool = False,
) -> FloatArray:
    """A list-of-numbers field as float64, of length ``n`` (if given), within [low, high]."""
    out = np.array(float_list(doc, field, allow_nan=allow_nan), dtype=np.float64)
    if n is not None and len(out) != n:
        raise ValueError(f"model JSON: field {field!r} has {len(out)} values, expected {n}")
    bad = (out < low) | (out > high)
    if bad.any():
        row = int(np.argmax(bad))
        raise ValueError(
            f"model JSON: field {field!r} has {float(out[row])!r} at position {row}, "
            f"must be in [{low:g}, {high:g}]"
        )
    return out


def int_field(doc: Mapping[str, JsonValue], field: str, *, low: int = 0) -> int:
    value = doc.get(field)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(
            f"model JSON: field {field!r} is {bounded(repr(value), 40)}, must be an integer "
            f">= {low}"
        )
    return value


def str_field(doc: Mapping[str, JsonValue], field: str) -> str:
    value = doc.get(field)
    if not isinstance(value, str) or len(value) > 1000:
        raise ValueError(
            f"model JSON: field {field!r} is {bounded(repr(value), 40)}, must be a string "
            "of at most 1000 characters"
        )
    return value


def labels_field(doc: Mapping[str, JsonValue], field: str) -> list[Label]:
    """A list of column / index labels (scalars, or lists for tuples)."""
    value = doc.get(field)
    if not isinstance(value, list):
        raise ValueError(f"model JSON: field {field!r} must be a list of labels")
    return [_label(field, v) for v in value]


def _label(field: str, value: JsonValue) -> Label:
    if value is None or isinstance(value, (str, int, float, bool)):
        if isinstance(value, str) and len(value) > 1000:
            raise ValueError(f"model JSON: field {field!r} has a label over 1000 characters")
        return value
    if isinstance(value, list):
        return tuple(_label(field, v) for v in value)
    raise ValueError(f"model JSON: field {field!r} holds {bounded(repr(value), 40)}, not a label")


def json_labels(labels: Sequence[object]) -> list[JsonValue]:
    """Labels as JSON (numpy scalars as Python numbers, tuples as lists)."""
    return [_json_label(v) for v in labels]


def _json_label(value: object) -> JsonValue:
    if isinstance(value, tuple):
        return [_json_label(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"label {bounded(repr(value), 60)} cannot be saved as JSON")


def floats(values: npt.ArrayLike) -> list[JsonValue]:
    """A float array as a JSON list (exact: json writes repr)."""
    return [float(v) for v in np.asarray(values, dtype=np.float64).reshape(-1)]
