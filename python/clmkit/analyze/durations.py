"""Durations written as text (``"365D"``, ``"26W"``, ``"3M"``, ``"1Y"``) in days.

Months and years have no fixed length in days; clmkit uses their mean lengths in the
Gregorian calendar, as numpy's ``timedelta64`` does: one month is 365.2425 / 12 =
30.436875 days and one year 365.2425 days. So ``"3M"`` is 91.31 days and ``"1Y"`` is
365.2425 days (a ``"365D"`` horizon is 0.24 days shorter).
"""

from __future__ import annotations

import math
import re
from typing import Union

import pandas as pd

#: Days per unit letter (H hours, D days, W weeks, M months, Y years).
UNIT_DAYS = {"H": 1 / 24, "D": 1.0, "W": 7.0, "M": 365.2425 / 12, "Y": 365.2425}
DURATION_HELP = (
    "A duration is a number and a unit: H hours, D days, W weeks, M months (30.436875 days, "
    "the mean Gregorian month) or Y years (365.2425 days), e.g. 90D, 26W, 3M, 1Y."
)
_TEXT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([HDWMY])\s*$", re.IGNORECASE)


def duration_days(value: Union[str, float, pd.Timedelta], name: str) -> float:
    """Days in ``value``: ``"3M"`` -> 91.310625; a pandas duration ("12h", Timedelta) too.

    Raises
    ------
    ValueError
        Not a duration, or not positive (the message names ``name``).

    Examples
    --------
    >>> duration_days("1Y", "horizon")
    365.2425
    >>> round(duration_days("3M", "horizon"), 6)
    91.310625
    """
    days = math.nan
    if isinstance(value, str) and (m := _TEXT.match(value)):
        days = float(m.group(1)) * UNIT_DAYS[m.group(2).upper()]
    else:
        try:
            days = pd.Timedelta(value).total_seconds() / 86400.0
        except (TypeError, ValueError):
            raise ValueError(
                f"{name}: cannot read {value!r} as a duration. {DURATION_HELP}"
            ) from None
    if not days > 0:
        raise ValueError(f"{name} must be a positive duration, got {value!r}")
    return days
