"""Input validation shared by every public entry point.

Messages name the argument, the first offending row and its value, so a user can find the
problem in their own data. Nothing here modifies the caller's objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import SupportsFloat, TypeVar, cast

import numpy as np
import pandas as pd

from .exceptions import InvalidValueError, with_row_label

C = TypeVar("C")


def _row_label(index: pd.Index | None, row: int) -> str:
    if index is None or isinstance(index, pd.RangeIndex):
        return f"row {row}"
    return f"row {row} (index {index[row]!r})"


def invalid_value_error(
    name: str, row: int, value: object, reason: str, index: pd.Index | None = None
) -> InvalidValueError:
    """Builds the standard 'argument, row, value' error (row labelled by ``index``)."""
    return with_row_label(InvalidValueError(name, row, repr(value), reason), index)


def as_float_array(
    values: object,  # anything the caller gave: checked here
    name: str,
    *,
    finite: bool = True,
    nonnegative: bool = False,
    integer: bool = False,
    ndim: int = 1,
) -> np.ndarray:
    """Returns `values` as a C-contiguous float64 array (a view when it already is one).

    Raises
    ------
    TypeError
        When the values are not real numbers (strings, objects, complex, datetimes).
    ValueError
        When a value is NaN/inf (``finite``), negative (``nonnegative``) or not a whole
        number (``integer``); the message names ``name``, the first bad row and its value.
    """
    index = values.index if isinstance(values, (pd.Series, pd.DataFrame)) else None
    # hasnans last: it is a pass over the column, and float columns are checked below anyway.
    if (
        isinstance(values, pd.Series)
        and not pd.api.types.is_float_dtype(values.dtype)
        and values.hasnans
    ):
        row = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise invalid_value_error(name, row, values.iloc[row], "missing value", index)
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.api.extensions.ExtensionDtype):
        if not (
            pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype)
        ):
            raise TypeError(f"{name} must be numeric, got dtype {values.dtype}")
        values = values.to_numpy(dtype=np.float64, na_value=np.nan)
    arr = np.asarray(values)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be an array of real numbers, got dtype {arr.dtype}")
    # Aligned too: buffers unpickled from other processes (e.g. Dask workers) can be
    # misaligned, which the Rust side's slices reject.
    arr = np.require(arr, dtype=np.float64, requirements=["C", "A"])
    if arr.ndim == 0 and ndim == 1:
        arr = arr.reshape(1)
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    flat = arr.reshape(-1)
    if finite:
        _first_bad(flat, ~np.isfinite(flat), name, "must be finite", index)
    if nonnegative:
        _first_bad(flat, flat < 0, name, "must be >= 0", index)
    if integer:
        _first_bad(flat, flat != np.floor(flat), name, "must be a whole number", index)
    return arr


def _first_bad(
    arr: np.ndarray, mask: np.ndarray, name: str, reason: str, index: pd.Index | None
) -> None:
    if mask.any():
        row = int(np.argmax(mask))
        raise invalid_value_error(name, row, arr[row].item(), reason, index)


def check_same_length(**arrays: np.ndarray) -> int:
    """Checks that all named arrays have one length and returns it."""
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ValueError(f"arrays must have the same length: {detail}")
    return next(iter(lengths.values()), 0)


def check_rows(
    mask: np.ndarray, name: str, values: np.ndarray, reason: str, index: pd.Index | None = None
) -> None:
    """Raises for the first row where `mask` is True."""
    _first_bad(np.asarray(values).reshape(-1), np.asarray(mask).reshape(-1), name, reason, index)


def check_int(value: object, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """Validates an integer option within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
    return int(value)


def check_positive_float(value: object, name: str, *, allow_zero: bool = False) -> float:
    """Validates a finite positive (or non-negative) scalar."""
    try:
        x = float(cast(SupportsFloat, value))  # anything the caller gave: float() decides
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}") from None
    ok = np.isfinite(x) and (x >= 0 if allow_zero else x > 0)
    if not ok:
        raise ValueError(
            f"{name} must be a finite number {'>=' if allow_zero else '>'} 0, got {value!r}"
        )
    return x


def check_per_customer(values: object, name: str, n: int, *, integer: bool = False) -> np.ndarray:
    """Validates one value (>= 0) for all ``n`` customers or one each, e.g. the observation
    length ``T`` of simulated customers.

    Returns
    -------
    numpy.ndarray
        ``n`` float64 values in a new C-contiguous array.

    Raises
    ------
    ValueError
        Naming ``name`` when a value is bad or the length is neither 1 nor ``n``.
    """
    arr = as_float_array(values, name, nonnegative=True, integer=integer)
    if arr.shape != (1,) and len(arr) != n:
        raise ValueError(f"{name} must be a scalar or have n={n} values, got {len(arr)}")
    return np.broadcast_to(arr, (n,)).astype(float)


def check_initial_params(init: object, names: Sequence[str]) -> list[float] | None:
    """Starting values of a fit's natural parameters (all > 0): None, a sequence in the
    order of ``names``, or a mapping / Series by name.

    >>> check_initial_params({"b": 2, "a": 1}, ["a", "b"])
    [1.0, 2.0]
    """
    if init is None:
        return None
    if isinstance(init, (dict, pd.Series)):
        missing = [k for k in names if k not in init]
        if missing:
            raise ValueError(f"initial_params is missing {missing}; expected keys {list(names)}")
        init = [init[k] for k in names]
    values = as_float_array(init, "initial_params")
    if len(values) != len(names):
        raise ValueError(
            f"initial_params must have {len(names)} values {list(names)}, got {len(values)}"
        )
    if np.any(values <= 0):
        raise ValueError(f"initial_params must be > 0, got {values.tolist()}")
    return [float(v) for v in values]


def check_choice(value: object, name: str, choices: Iterable[C]) -> C:
    """Validates that `value` is one of `choices`."""
    options = list(choices)
    if value not in options:
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value  # narrowed by the membership test: one of the choices


def require_columns(available: Sequence[str], needed: dict[str, str | None]) -> None:
    """Raises a ValueError naming the missing column and listing the available ones.

    `needed` maps argument names (e.g. ``customer_id_col``) to the column they name.
    """
    for arg, col in needed.items():
        if col is not None and col not in available:
            raise ValueError(f"{arg}={col!r} is not a column; available columns: {list(available)}")


def index_of(values: object) -> pd.Index | None:
    """The pandas index of a Series/DataFrame argument (for row labels in messages), else None."""
    return values.index if isinstance(values, (pd.Series, pd.DataFrame)) else None


def check_horizon(t: object, name: str = "t") -> float:
    """Validates a prediction horizon: a finite number >= 0."""
    return check_positive_float(t, name, allow_zero=True)
