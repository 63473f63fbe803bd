"""lifetimes' private input helpers ``utils._check_inputs`` and ``utils._scale_time``, with
its semantics and messages (notebooks and lifetimes' tests call them)."""

from __future__ import annotations

from typing import Optional

import numpy as np
import numpy.typing as npt

__all__ = ["_check_inputs", "_scale_time"]


def _scale_time(age: npt.ArrayLike) -> float:
    """lifetimes' time scale: the factor that makes the largest age 1 (``1 / max(age)``).

    Examples
    --------
    >>> from clmkit.compat.lifetimes.utils import _scale_time
    >>> _scale_time([10.0, 40.0])
    0.025
    """
    return 1.0 / float(np.max(np.asarray(age, dtype=float)))


def _check_inputs(
    frequency: npt.ArrayLike,
    recency: Optional[npt.ArrayLike] = None,
    T: Optional[npt.ArrayLike] = None,
    monetary_value: Optional[npt.ArrayLike] = None,
) -> None:
    """lifetimes' input check: returns None, or raises ValueError with lifetimes' message.

    In lifetimes' order: recency > T; recency != 0 where frequency == 0; recency < 0; an
    empty vector; a non-integer frequency; monetary_value <= 0.

    Examples
    --------
    >>> from clmkit.compat.lifetimes.utils import _check_inputs
    >>> _check_inputs([0, 1], [0, 3], [5, 6]) is None
    True
    >>> _check_inputs([0, 1], [2, 3], [5, 6])
    Traceback (most recent call last):
    ...
    ValueError: There exist non-zero recency values when frequency is zero.
    """
    f = np.asarray(frequency, dtype=float)
    if recency is not None:
        r = np.asarray(recency, dtype=float)
        t = None if T is None else np.asarray(T, dtype=float)
        if t is not None and np.any(r > t):
            raise ValueError("Some values in recency vector are larger than T vector.")
        if np.any(r[f == 0] != 0):
            raise ValueError("There exist non-zero recency values when frequency is zero.")
        if np.any(r < 0):
            raise ValueError("There exist negative recency (ex: last order set before first order)")
        if any(np.shape(v)[:1] == (0,) for v in (r, f, t) if v is not None):
            raise ValueError("There exists a zero length vector in one of frequency, recency or T.")
    if np.sum((f - f.astype(int)) ** 2) != 0:
        raise ValueError("There exist non-integer values in the frequency vector.")
    if monetary_value is not None and np.any(np.asarray(monetary_value, dtype=float) <= 0):
        raise ValueError("There exist non-positive (<= 0) values in the monetary_value vector.")
