"""Subscription logs to censored tenures, cohort survivor tables and per-customer values.

The grouping and the checks of the log (end before start, duplicated or overlapping
subscriptions) run in Rust (``src/contractual/subscriptions.rs``); this module converts the
columns (any DataFrame library) and shapes the results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Optional, overload

import numpy as np
import pandas as pd

from .. import _core
from .._io import Output, Table, deliver, read, timestamp_ns, to_pandas
from .._io._columns import datetimes_ns
from .._keyed import CallerFrame
from .._typing import DateLike, NumpyTable
from .._validation import check_choice
from ..exceptions import InvalidValueError, with_row_label
from ._anniversary import anniversary_ordinals
from ._base import RetentionModelBase
from ._covariates import Covariates

if TYPE_CHECKING:
    import polars as pl

    from .._typing import PolarsFrame

__all__ = ["cohort_survivors", "customer_table", "summarize_subscriptions"]

PERIODS = ("D", "W", "M", "Q", "Y")
_OPEN = np.iinfo(np.int64).min


def _period_ordinals(ns: np.ndarray, period: str) -> np.ndarray:
    """pandas Period ordinals of instants (ns since the epoch, UTC)."""
    index = pd.DatetimeIndex(ns.view("datetime64[ns]"))
    return np.ascontiguousarray(index.to_period(period).asi8, dtype=np.int64)


def _end_column(table: Table, col: str) -> tuple[np.ndarray, np.ndarray]:
    """End instants with nulls (still running) marked open, and the null mask."""
    series = table.frame[col]
    values = series.to_pandas()
    missing = values.isna().to_numpy()
    if missing.any():
        values = (
            values.where(~values.isna(), pd.Timestamp(0))
            if values.dtype != object
            else (values.where(~values.isna(), "1970-01-01"))
        )
    ns, _ = datetimes_ns(values.reset_index(drop=True), f"end_col {col!r}")
    ns = np.array(ns, dtype=np.int64)
    ns[missing] = _OPEN
    return ns, missing


@overload
def summarize_subscriptions(
    log: pd.DataFrame,
    customer_id_col: str,
    start_col: str,
    end_col: Optional[str] = ...,
    observation_period_end: DateLike = ...,
    period: str = ...,
    output: Optional[Literal["pandas"]] = ...,
    renewal_dates: str = ...,
) -> pd.DataFrame: ...


@overload
def summarize_subscriptions(
    log: PolarsFrame,
    customer_id_col: str,
    start_col: str,
    end_col: Optional[str] = ...,
    observation_period_end: DateLike = ...,
    period: str = ...,
    output: Optional[Literal["polars"]] = ...,
    renewal_dates: str = ...,
) -> pl.DataFrame: ...


@overload
def summarize_subscriptions(
    log: object,
    customer_id_col: str,
    start_col: str,
    end_col: Optional[str] = ...,
    observation_period_end: DateLike = ...,
    period: str = ...,
    *,
    output: Literal["pandas"],
    renewal_dates: str = ...,
) -> pd.DataFrame: ...


@overload
def summarize_subscriptions(
    log: object,
    customer_id_col: str,
    start_col: str,
    end_col: Optional[str] = ...,
    observation_period_end: DateLike = ...,
    period: str = ...,
    *,
    output: Literal["polars"],
    renewal_dates: str = ...,
) -> pl.DataFrame: ...


@overload
def summarize_subscriptions(
    log: object,
    customer_id_col: str,
    start_col: str,
    end_col: Optional[str] = ...,
    observation_period_end: DateLike = ...,
    period: str = ...,
    *,
    output: Literal["numpy"],
    renewal_dates: str = ...,
) -> NumpyTable: ...


@overload
def summarize_subscriptions(
    log: object,
    customer_id_col: str,
    start_col: str,
    end_col: Optional[str] = ...,
    observation_period_end: DateLike = ...,
    period: str = ...,
    output: Optional[Output] = ...,
    renewal_dates: str = ...,
) -> CallerFrame: ...


def summarize_subscriptions(
    log: object,
    customer_id_col: str,
    start_col: str,
    end_col: Optional[str] = None,
    observation_period_end: DateLike = None,
    period: str = "M",
    output: Optional[Output] = None,
    renewal_dates: str = "calendar",
) -> CallerFrame:
    """One censored tenure per subscriber: cohort, renewals observed, churned or active.

    Periods are calendar periods (``period``): a customer is active in every period a
    subscription covers (from its start to the instant before its end). Subscriptions of a
    customer that follow each other with no empty period between them form one spell; the
    first spell is the tenure the retention models use (a customer who leaves and returns
    later is counted in ``reactivations`` but stays churned). ``renewals`` = last active
    period - cohort period; a customer still active in the observation period is censored
    (``churned`` False). Without ``end_col``, each row is one paid period (its start's).

    Parameters
    ----------
    log : DataFrame
        pandas, polars or pyarrow; one row per subscription (or per paid period).
    customer_id_col, start_col : str
        Customer id and subscription start (datetimes or date strings).
    end_col : str, optional
        Subscription end (exclusive instant); null = still running.
    observation_period_end : date-like, optional
        Default: the latest start or end in the log. Later subscriptions are ignored; ends
        after it are treated as still running.
    period : {"D", "W", "M", "Q", "Y"}
        The renewal period.
    output : {"pandas", "polars", "arrow", "numpy"}, optional
        Library of the result; by default that of ``log``.
    renewal_dates : {"calendar", "anniversary"}
        "calendar": periods are calendar periods (a customer is active in every period a
        subscription touches). "anniversary": periods run from each customer's first start
        (a monthly plan taken on 20 January renews on 20 February, ...), as the sBG/BdW
        assume; use it when starts are spread over the period, where calendar periods count
        one renewal too many for a subscriber who leaves at a renewal. Both agree when
        subscriptions start and end on period boundaries.

    Returns
    -------
    DataFrame
        Indexed by customer id: ``cohort`` (period of the first start), ``renewals``,
        ``tenure`` (= renewals + 1 periods active), ``churned``, ``start`` (first start),
        ``reactivations``. ``attrs["clmkit"]`` records the period and observation period.

    Raises
    ------
    InvalidValueError
        A missing start, an end not after its start, duplicated (same start) or overlapping
        subscriptions of one customer: naming the column, row label and value.

    Examples
    --------
    >>> import pandas as pd, clmkit
    >>> log = pd.DataFrame({"id": [1, 2, 2], "start": ["2024-01-10", "2024-02-01", "2024-04-01"],
    ...                     "end": ["2024-03-05", "2024-04-01", None]})
    >>> s = clmkit.summarize_subscriptions(log, "id", "start", "end",
    ...                                    observation_period_end="2024-06-30")
    >>> s[["renewals", "churned"]].to_dict("list")
    {'renewals': [2, 4], 'churned': [True, False]}
    """
    check_choice(period, "period", PERIODS)
    check_choice(renewal_dates, "renewal_dates", ("calendar", "anniversary"))
    table = read(
        log, {"customer_id_col": customer_id_col, "start_col": start_col, "end_col": end_col}
    )
    codes, uniques = table.ids(customer_id_col, "customer_id_col")
    start_ns, _ = table.datetimes_ns(start_col, "start_col")
    start_ns = np.ascontiguousarray(start_ns, dtype=np.int64)
    end_ns = last_period = last_ns = None
    if end_col is not None:
        end_ns, missing = _end_column(table, end_col)
        last_ns = np.where(missing, start_ns, end_ns - 1)
        last_period = _period_ordinals(last_ns, period)
    if observation_period_end is None:
        candidates = [start_ns.max(initial=0)]
        if end_ns is not None and (end_ns != _OPEN).any():
            candidates.append(end_ns[end_ns != _OPEN].max())
        obs_ns = int(max(candidates))
    else:
        ts = pd.Timestamp(observation_period_end)
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        obs_ns = timestamp_ns(ts)
    obs_period = int(_period_ordinals(np.array([obs_ns], dtype=np.int64), period)[0])
    codes = np.ascontiguousarray(codes, dtype=np.int64)
    start_period = _period_ordinals(start_ns, period)
    if renewal_dates == "anniversary":
        start_period, last_period = anniversary_ordinals(
            codes, start_ns, last_ns, obs_ns, obs_period, period
        )
    try:
        raw = _core.contractual_tenures(
            codes, start_ns, end_ns, start_period, last_period, obs_ns, obs_period
        )
    except InvalidValueError as err:
        col = {"start_col": start_col, "end_col": end_col}.get(err.arg, err.arg)
        err = InvalidValueError(f"{err.arg} {col!r}", err.row, _as_date(err.value), err.reason)
        raise with_row_label(err, table.index) from None
    first = raw["first_row"]
    index = pd.Index(uniques[raw["code"]], name=customer_id_col)
    result = pd.DataFrame(
        {
            # the calendar period of the first start (anniversary ordinals are per customer)
            "cohort": _periods(_period_ordinals(start_ns[first], period), period),
            "renewals": raw["renewals"],
            "tenure": raw["renewals"] + 1,
            "churned": raw["churned"].astype(bool),
            "start": pd.DatetimeIndex(start_ns[first].view("datetime64[ns]")),
            "reactivations": raw["reactivations"],
        },
        index=index,
    )
    result.attrs["clmkit"] = {
        "period": period,
        "observation_period": str(pd.Period(pd.Timestamp(obs_ns), freq=period)),
        "renewal_dates": renewal_dates,
    }
    return deliver(result, table.library, output)


def _as_date(value: str) -> str:
    try:
        return str(pd.Timestamp(int(value)))
    except (TypeError, ValueError):
        return value


def cohort_survivors(
    customers: object, observation_period_end: DateLike = None, period: Optional[str] = None
) -> pd.DataFrame:
    """Survivors by cohort and period since acquisition, from summarize_subscriptions.

    Row ``c``, column ``t``: customers of cohort ``c`` still active ``t`` periods after
    joining (renewals >= t). Periods after the observation end are NaN.

    Parameters
    ----------
    customers : DataFrame
        :func:`summarize_subscriptions`' result (any library).
    observation_period_end : date-like, optional
        Default: the one recorded by :func:`summarize_subscriptions` (pandas results), else
        each cohort's largest renewals.
    period : {"D", "W", "M", "Q", "Y"}, optional
        The renewal period, for polars / Arrow results whose cohorts are period starts
        (timestamps); default: the one recorded, else "M".

    Returns
    -------
    pandas.DataFrame
        Cohorts x periods 0, 1, ..., usable as ``fit(survivors=...)``.
    """
    frame = to_pandas(customers, ["cohort", "renewals", "churned"])
    meta = getattr(customers, "attrs", {}).get("clmkit", {}) if hasattr(customers, "attrs") else {}
    freq = period or meta.get("period", "M")
    check_choice(freq, "period", PERIODS)
    if isinstance(frame["cohort"].dtype, pd.PeriodDtype):
        cohort = pd.PeriodIndex(frame["cohort"].array)
        freq = cohort.freqstr if len(cohort) else freq
    else:  # polars / Arrow results carry the cohort's first instant
        cohort = pd.DatetimeIndex(frame["cohort"]).to_period(freq)
    end = (
        observation_period_end
        if observation_period_end is not None
        else meta.get("observation_period")
    )
    if isinstance(end, np.datetime64):  # pandas Periods are built from Timestamps
        end = pd.Timestamp(end)
    renewals = frame["renewals"].to_numpy(np.int64)
    rows = {}
    for c in sorted(set(cohort)):
        mine = renewals[np.asarray(cohort == c)]
        horizon = int(mine.max()) if end is None else int((pd.Period(end, freq=freq) - c).n)
        if end is not None and meta.get("renewal_dates") == "anniversary":
            # a customer's own grid may end one period before the calendar one: keep the
            # periods every customer of the cohort was observed for
            horizon = max(horizon - 1, 0)
        counts = np.bincount(np.minimum(mine, horizon), minlength=horizon + 1)
        rows[c] = counts[::-1].cumsum()[::-1].astype(float)
    width = max((len(v) for v in rows.values()), default=0)
    table: pd.DataFrame = pd.DataFrame(
        {c: np.pad(v, (0, width - len(v)), constant_values=np.nan) for c, v in rows.items()}
    ).T
    table.index.name = "cohort"
    table.columns.name = "period"
    return table


def customer_table(
    model: RetentionModelBase,
    customers: object,
    margin: float = 1.0,
    discount_rate: float = 0.01,
    covariates: Covariates = None,
) -> pd.DataFrame:
    """Per customer: tenure, P(active next period), expected residual lifetime, DERL and
    the DERL-based value, from a fitted contractual model.

    Parameters
    ----------
    model : ShiftedBetaGeometric or BetaDiscreteWeibull
        Fitted.
    customers : DataFrame
        :func:`summarize_subscriptions`' result (``renewals`` and ``churned``).
    margin : float
        Net cash flow per customer per period.
    discount_rate : float
        Per period, > 0.
    covariates : list of str or 2-D array-like, optional
        For a model fitted with covariates: each customer's covariates (column names of
        ``customers`` or an n x k array); by default the fitted column names, read from
        ``customers``.

    Returns
    -------
    pandas.DataFrame
        Same index: ``tenure``, ``churned``, ``p_active_next_period`` (retention at the next
        renewal; 0 for churned customers), ``expected_residual_lifetime`` (further renewals),
        ``derl`` and ``value`` = margin x DERL (0 for churned customers).
    """
    frame = to_pandas(customers, ["renewals", "churned"])
    r = frame["renewals"].to_numpy(np.float64)
    active = ~frame["churned"].to_numpy(bool)
    if covariates is None and getattr(model, "_cov", None) is not None:
        covariates = model.covariate_names_
    if covariates is not None:  # each customer at its own alpha_i, beta_i
        x, data = covariates, customers
        next_rate = np.asarray(
            model.retention_rate(r + 1.0, covariates=x, data=data), dtype=np.float64
        )
        derl = np.asarray(
            model.discounted_expected_residual_lifetime(r, discount_rate, covariates=x, data=data),
            dtype=np.float64,
        )
        erl = np.asarray(
            model.expected_residual_lifetime(r, covariates=x, data=data), dtype=np.float64
        )
    else:
        next_rate = np.asarray(model.retention_rate(r + 1.0), dtype=float)
        levels, inverse = np.unique(r, return_inverse=True)
        derl = np.asarray(model.discounted_expected_residual_lifetime(levels, discount_rate))
        erl = np.asarray(model.expected_residual_lifetime(levels))
        derl, erl = derl[inverse], erl[inverse]
    out: pd.DataFrame = pd.DataFrame(
        {
            "tenure": r + 1.0,
            "churned": ~active,
            "p_active_next_period": np.where(active, next_rate, 0.0),
            "expected_residual_lifetime": np.where(active, erl, 0.0),
            "derl": np.where(active, derl, 0.0),
            "value": np.where(active, float(margin) * derl, 0.0),
        },
        index=frame.index,
    )
    return out


def _periods(ordinals: object, freq: str) -> pd.PeriodIndex:
    """Periods from their ordinals: ``PeriodIndex.from_ordinals`` on pandas >= 2.2, the
    ``ordinal=`` constructor (removed in pandas 3) before it."""
    build = getattr(pd.PeriodIndex, "from_ordinals", None)
    if build is not None:
        return build(ordinals, freq=freq)  # type: ignore[no-any-return]
    return pd.PeriodIndex(ordinal=ordinals, freq=freq)  # type: ignore[call-arg,no-any-return]
