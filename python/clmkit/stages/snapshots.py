"""The snapshot dates of :func:`clmkit.stage_history`: parsed in one vectorised step where
possible, checked against the log, and turned back into the log's timestamps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._io import TimeZone, index_ns, period_end_ns, timestamp_of
from .._validation import invalid_value_error
from ..exceptions import bounded

__all__ = ["snapshot_ns", "snapshot_times"]


def snapshot_ns(
    snapshots: Sequence[object],
    times_ns: npt.NDArray[np.int64],
    datetime_format: Optional[str],
    tz: TimeZone,
    observation_period_end: object,
) -> npt.NDArray[np.int64]:
    """The snapshot dates as ns since the epoch (UTC), each checked: a date, strictly
    increasing, not before the first transaction's day, not after ``observation_period_end``
    (errors name the snapshot's position and value)."""
    if isinstance(snapshots, (str, pd.Timestamp)) or not hasattr(snapshots, "__len__"):
        raise TypeError("snapshots must be a sequence of dates, e.g. pd.date_range(...)")
    if len(snapshots) == 0:
        raise ValueError("snapshots: give at least one date")
    ns = _datetime_array_ns(snapshots)
    if ns is None:  # strings or mixed objects: one at a time, naming a bad one
        ns = np.empty(len(snapshots), dtype=np.int64)
        for row, snap in enumerate(snapshots):
            try:
                ns[row] = period_end_ns(snap, times_ns, datetime_format, tz)
            except (ValueError, TypeError, OverflowError) as err:
                raise invalid_value_error(
                    "snapshots", row, snap, f"not a date: {bounded(err, 120)}"
                ) from None
    first = int(times_ns.min())
    end = period_end_ns(observation_period_end, times_ns, datetime_format, tz)
    checks = [
        (np.r_[False, np.diff(ns) <= 0], "snapshots must be strictly increasing"),
        (
            ns < first - first % 86_400_000_000_000,
            f"before the first transaction ({timestamp_of(first, tz)})",
        ),
        (
            ns > end,
            f"after observation_period_end ({timestamp_of(end, tz)}); pass a later "
            "observation_period_end to look past the last transaction",
        ),
    ]
    for mask, reason in checks:
        if mask.any():
            row = int(np.argmax(mask))
            raise invalid_value_error("snapshots", row, list(snapshots)[row], reason)
    return ns


def _datetime_array_ns(snapshots: Sequence[object]) -> Optional[npt.NDArray[np.int64]]:
    """ns since the epoch (UTC) of a DatetimeIndex / datetime64 array in one vectorised step
    (minute-level ranges have hundreds of thousands of dates), else None."""
    if not isinstance(snapshots, (pd.DatetimeIndex, pd.Series, np.ndarray)):
        return None
    values = pd.Series(snapshots) if isinstance(snapshots, np.ndarray) else snapshots
    if not pd.api.types.is_datetime64_any_dtype(values.dtype):
        return None
    idx = pd.DatetimeIndex(values)
    if idx.hasnans:
        row = int(np.argmax(idx.isna()))
        raise invalid_value_error("snapshots", row, "NaT", "not a date")
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    return index_ns(idx)


def snapshot_times(ns: npt.NDArray[np.int64], tz: object) -> pd.DatetimeIndex:
    """The snapshots as timestamps in the log's time zone (naive when the log is)."""
    idx = pd.DatetimeIndex(ns.view("datetime64[ns]"))
    out: pd.DatetimeIndex = idx.tz_localize("UTC").tz_convert(tz) if tz is not None else idx
    return out
