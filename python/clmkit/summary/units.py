"""Time units of a customer summary and conversion of period strings into them.

A summary made by :func:`clmkit.summarize` records its unit in ``summary.attrs["clmkit"]``:
``freq`` (one of H, D, W, M, Y) and ``freq_multiplier``; one time unit is
``freq_multiplier`` x ``freq``. Models keep it as ``time_unit_`` so that arguments such as
``period="30D"`` convert without hidden assumptions.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Optional, Union

import numpy as np
import pandas as pd

# Lengths of one freq unit in days, as numpy's timedelta64(1, freq) defines them.
_FREQ_DAYS = {"H": 1 / 24, "D": 1.0, "W": 7.0, "M": 30.436875, "Y": 365.2425}
_FREQ_ALIASES = {"h": "H", "A": "Y"}
_FREQ_NAMES = {"H": "hour", "D": "day", "W": "week", "M": "month", "Y": "year"}


@dataclass(frozen=True)
class TimeUnit:
    """One time unit of a summary: ``multiplier`` x ``freq``."""

    freq: str = "D"
    multiplier: float = 1.0

    @property
    def days(self) -> float:
        """Length of one unit in days."""
        return _FREQ_DAYS[self.freq] * self.multiplier

    def __str__(self) -> str:
        m = self.multiplier
        return f"{int(m) if float(m).is_integer() else m}{self.freq}"

    def plural(self) -> str:
        """The unit in words for axis labels: ``"weeks"``, or ``"7-day periods"``."""
        name = _FREQ_NAMES[self.freq]
        if self.multiplier == 1:
            return f"{name}s"
        return f"{self.multiplier:g}-{name} periods"

    def to_dict(self) -> dict[str, Union[str, float]]:
        return {"freq": self.freq, "multiplier": self.multiplier}

    @classmethod
    def from_dict(cls, d: Optional[Mapping[str, Union[str, float]]]) -> Optional[TimeUnit]:
        return None if d is None else cls(normalize_freq(str(d["freq"])), float(d["multiplier"]))


def normalize_freq(freq: str) -> str:
    """Returns the canonical freq code, or raises a ValueError listing the accepted ones."""
    code = _FREQ_ALIASES.get(freq, freq)
    if code not in _FREQ_DAYS:
        raise ValueError(f"freq: unknown frequency {freq!r}; accepted: {sorted(_FREQ_DAYS)}")
    return code


def unit_words(unit: Optional[TimeUnit]) -> str:
    """Words for the time unit of a model or summary; "time units" when it is unknown."""
    return "time units" if unit is None else unit.plural()


def time_unit_of(summary: object) -> Optional[TimeUnit]:
    """The unit recorded on a clmkit summary, or None for other tables."""
    meta = getattr(summary, "attrs", {}).get("clmkit") if hasattr(summary, "attrs") else None
    if not meta or "freq" not in meta:
        return None
    return TimeUnit(meta["freq"], float(meta.get("freq_multiplier", 1.0)))


def to_units(period: object, unit: Optional[TimeUnit], name: str = "period") -> float:
    """Converts ``period`` (a number already in model units, or a string/Timedelta such as
    ``"30D"``) into a number of model time units.

    Raises
    ------
    ValueError
        When a string is given but the model's time unit is unknown, or it does not parse.
    """
    # numbers.Real also admits numpy scalars (np.int64 is not an int); np.timedelta64 is a
    # numpy integer too, but a duration
    if isinstance(period, numbers.Real) and not isinstance(period, (bool, np.timedelta64)):
        return float(period)
    if unit is None:
        raise ValueError(
            f"{name}={period!r} needs the model's time unit, which is unknown "
            "(fit on a clmkit summary or give a number in model time units)"
        )
    if not isinstance(period, (str, pd.Timedelta, timedelta, np.timedelta64)):
        raise ValueError(f"{name}: cannot read {period!r} as a duration such as '30D' or '1W'")
    try:
        days: float = pd.Timedelta(period).total_seconds() / 86400.0
    except (TypeError, ValueError):
        raise ValueError(
            f"{name}: cannot read {period!r} as a duration such as '30D' or '1W'"
        ) from None
    return days / unit.days
