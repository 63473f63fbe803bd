"""The values of a :class:`~clmkit.stages.StageScheme`: field checks, their short text
forms, and the two numbers derived from a summary (repeat purchases per customer and the
typical gap between purchases)."""

from __future__ import annotations

from typing import Union

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]

#: A window: a number in the summary's time unit, a duration such as "90D", or None
#: (derived from the data).
Window = Union[float, str, None]


def _float(value: Window) -> float:
    if not isinstance(value, float):
        raise ValueError(f"window {value!r} is not resolved to a number")
    return value


def _text(value: Window) -> str:
    """A window as a short number (units are the summary's)."""
    if not isinstance(value, float):
        return "derived from the data"
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.2g}"


def _check_number(value: object, name: str) -> float:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number, got bool")
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}") from None
    if not np.isfinite(x):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return x


def _function_name(rule: object) -> str:
    return f"{getattr(rule, '__module__', '?')}.{getattr(rule, '__qualname__', repr(rule))}"


def _check_window(value: Window, name: str) -> Window:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            if pd.Timedelta(value) <= pd.Timedelta(0):
                raise ValueError
        except ValueError:
            raise ValueError(
                f"{name}: {value!r} is not a positive duration such as '90D'"
            ) from None
        return value
    x = _check_number(value, name)
    if x <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return x


def _median_ipt(summary: pd.DataFrame) -> float:
    """Median over repeat buyers of recency / repeats (their mean inter-purchase time)."""
    repeats = repeats_of(summary)
    recency = summary["recency"].to_numpy(dtype=float)
    mask = repeats > 0
    if not mask.any():
        raise ValueError(
            "cannot derive default stage windows: the data have no repeat buyer; "
            "give StageScheme(new_window=..., maturity_window=..., "
            "churn_window=..., median_ipt=...)"
        )
    m = float(np.median(recency[mask] / repeats[mask]))
    if not m > 0:
        raise ValueError(f"cannot derive default stage windows: median inter-purchase time is {m}")
    return m


def repeats_of(summary: pd.DataFrame) -> FloatArray:
    """Purchase periods after the first: ``n_periods - 1`` when known, else ``frequency``."""
    if "n_periods" in summary.columns:
        return summary["n_periods"].to_numpy(dtype=float) - 1.0
    return summary["frequency"].to_numpy(dtype=float)
