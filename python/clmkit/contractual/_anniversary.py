"""Renewal periods counted from each customer's own start (``renewal_dates="anniversary"``).

A monthly subscription taken on 20 January renews on 20 February, 20 March, ...; counted in
calendar months it would cover January and February after one month already (one renewal
too many for a subscriber who leaves at the first renewal), which biases the sBG/BdW fit
whenever starts are spread over the period. Here period k of a customer is
[first start + k periods, first start + (k + 1) periods) (month ends clamped as
``pandas.DateOffset`` does). The ordinals are shifted per customer so that the observation
instant falls in the same ordinal for everyone, which lets the Rust spell logic
(``src/contractual/subscriptions.rs``) run unchanged: renewals = last covered k.
"""

from __future__ import annotations

import numpy as np

__all__ = ["anniversary_ordinals"]

_DAY = 86_400 * 10**9
_MONTHS = {"M": 1, "Q": 3, "Y": 12}


def _whole_periods(t: np.ndarray, s: np.ndarray, period: str) -> np.ndarray:
    """Number of whole periods from ``s`` to ``t`` (ns, t >= s or not), floor."""
    if period in ("D", "W"):
        step = _DAY * (7 if period == "W" else 1)
        whole: np.ndarray = np.floor_divide(t - s, step)
        return whole
    m = _MONTHS[period]
    ts, ss = t.view("datetime64[ns]"), s.view("datetime64[ns]")
    t_month, s_month = ts.astype("datetime64[M]"), ss.astype("datetime64[M]")
    k = np.floor_divide((t_month - s_month).astype(np.int64), m)
    # the k-th anniversary: same day and time in the month k * m months later, clamped to
    # that month's last day (31 January + 1 month = 28/29 February, as DateOffset does)
    target = s_month + (k * m).astype("timedelta64[M]")
    offset = ss - s_month.astype("datetime64[ns]")
    start = target.astype("datetime64[ns]")
    length = (target + np.timedelta64(1, "M")).astype("datetime64[ns]") - start
    day = np.timedelta64(_DAY, "ns")
    clamped = np.where(offset >= length, length - day + offset % day, offset)
    anniversary = start + clamped
    out: np.ndarray = np.where(ts < anniversary, k - 1, k).astype(np.int64)
    return out


def anniversary_ordinals(
    codes: np.ndarray,
    start_ns: np.ndarray,
    last_ns: np.ndarray | None,
    obs_ns: int,
    obs_ordinal: int,
    period: str,
) -> tuple[np.ndarray, np.ndarray | None]:
    """(start ordinals, last-covered ordinals) of each row on its customer's anniversary
    grid, shifted so that ``obs_ns`` is ``obs_ordinal`` for every customer.

    Examples
    --------
    >>> import numpy as np
    >>> ns = lambda *d: np.array(d, dtype="datetime64[ns]").view(np.int64)
    >>> s, last = anniversary_ordinals(np.array([0, 0]), ns("2024-01-20", "2024-03-20"),
    ...                                ns("2024-03-19T23:59", "2024-04-01"),
    ...                                int(ns("2024-06-30")[0]), 100, "M")
    >>> (s - s[0]).tolist(), (last - s[0]).tolist()  # renewals 1 then 2 periods later
    ([0, 2], [1, 2])
    """
    first = np.full(int(codes.max(initial=-1)) + 1, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, codes, start_ns)
    s = first[codes]
    obs = np.full_like(s, obs_ns)
    shift = obs_ordinal - _whole_periods(obs, s, period)
    start_ord = _whole_periods(start_ns, s, period) + shift
    last_ord = None if last_ns is None else _whole_periods(last_ns, s, period) + shift
    return np.ascontiguousarray(start_ord), last_ord
