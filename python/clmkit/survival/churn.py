"""Churn as a time-to-event problem: a churn data set from a transaction log, and the
probability of churning within a horizon from any fitted survival or BTYD model."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, Optional, Protocol, Union, cast, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import _core
from .._io import (
    column_codes,
    column_ns,
    deliver,
    extract_columns,
    library_of,
    period_end_ns,
    timestamp_of,
)
from .._keyed import CallerFrame
from .._typing import NumpyTable, Output, PandasInput
from .._validation import as_float_array, check_choice
from ..summary.units import TimeUnit, normalize_freq, to_units
from ._data import as_frame
from ._persist import FloatArray
from ._regression import Rows, Table
from .metrics import SurvivalModel

#: A column of the log: its name, or the values themselves (with ``transactions=None``).
Column = Union[str, npt.ArrayLike]
#: A date: text, datetime, pandas Timestamp or numpy datetime64 (None: the last transaction).
DateLike = Union[str, _dt.datetime, _dt.date, pd.Timestamp, np.datetime64, None]


class BtydModel(Protocol):
    """What churn_probability needs of a fitted BTYD model."""

    def p_alive(
        self, frequency: FloatArray, recency: FloatArray, T: FloatArray
    ) -> npt.ArrayLike: ...


if TYPE_CHECKING:
    import polars as pl

    from .._typing import PolarsFrame

__all__ = ["churn_dataset", "churn_probability"]

_COVARIATES = ("frequency", "recency", "monetary_value", "first_value")


@overload
def churn_dataset(
    transactions: PandasInput,
    customer_id_col: Column,
    datetime_col: Column,
    inactivity_threshold: Union[float, str],
    observation_period_end: DateLike = ...,
    freq: str = ...,
    covariates: Union[str, Sequence[str], None] = ...,
    monetary_value_col: Optional[Column] = ...,
    covariate_window: Union[float, str, None] = ...,
    datetime_format: Optional[str] = ...,
    output: Optional[Literal["pandas"]] = ...,
) -> pd.DataFrame: ...


@overload
def churn_dataset(
    transactions: PolarsFrame,
    customer_id_col: Column,
    datetime_col: Column,
    inactivity_threshold: Union[float, str],
    observation_period_end: DateLike = ...,
    freq: str = ...,
    covariates: Union[str, Sequence[str], None] = ...,
    monetary_value_col: Optional[Column] = ...,
    covariate_window: Union[float, str, None] = ...,
    datetime_format: Optional[str] = ...,
    output: Optional[Literal["polars"]] = ...,
) -> pl.DataFrame: ...


@overload
def churn_dataset(
    transactions: object,
    customer_id_col: Column,
    datetime_col: Column,
    inactivity_threshold: Union[float, str],
    observation_period_end: DateLike = ...,
    freq: str = ...,
    covariates: Union[str, Sequence[str], None] = ...,
    monetary_value_col: Optional[Column] = ...,
    covariate_window: Union[float, str, None] = ...,
    datetime_format: Optional[str] = ...,
    *,
    output: Literal["pandas"],
) -> pd.DataFrame: ...


@overload
def churn_dataset(
    transactions: object,
    customer_id_col: Column,
    datetime_col: Column,
    inactivity_threshold: Union[float, str],
    observation_period_end: DateLike = ...,
    freq: str = ...,
    covariates: Union[str, Sequence[str], None] = ...,
    monetary_value_col: Optional[Column] = ...,
    covariate_window: Union[float, str, None] = ...,
    datetime_format: Optional[str] = ...,
    *,
    output: Literal["polars"],
) -> pl.DataFrame: ...


@overload
def churn_dataset(
    transactions: object,
    customer_id_col: Column,
    datetime_col: Column,
    inactivity_threshold: Union[float, str],
    observation_period_end: DateLike = ...,
    freq: str = ...,
    covariates: Union[str, Sequence[str], None] = ...,
    monetary_value_col: Optional[Column] = ...,
    covariate_window: Union[float, str, None] = ...,
    datetime_format: Optional[str] = ...,
    *,
    output: Literal["numpy"],
) -> NumpyTable: ...


@overload
def churn_dataset(
    transactions: object,
    customer_id_col: Column,
    datetime_col: Column,
    inactivity_threshold: Union[float, str],
    observation_period_end: DateLike = ...,
    freq: str = ...,
    covariates: Union[str, Sequence[str], None] = ...,
    monetary_value_col: Optional[Column] = ...,
    covariate_window: Union[float, str, None] = ...,
    datetime_format: Optional[str] = ...,
    output: Optional[Output] = ...,
) -> CallerFrame: ...


def churn_dataset(
    transactions: Optional[Table],
    customer_id_col: Column,
    datetime_col: Column,
    inactivity_threshold: Union[float, str],
    observation_period_end: DateLike = None,
    freq: str = "D",
    covariates: Union[str, Sequence[str], None] = "auto",
    monetary_value_col: Optional[Column] = None,
    covariate_window: Union[float, str, None] = None,
    datetime_format: Optional[str] = None,
    output: Optional[Output] = None,
) -> CallerFrame:
    """One row per customer with ``duration`` and ``event`` under an inactivity churn rule.

    **The rule.** Transactions are floored to their ``freq`` period; ages are counted in
    ``freq`` units from the customer's first purchase period. A customer churns at the FIRST
    purchase after which ``inactivity_threshold`` passes with no purchase, and the churn time
    is that purchase + ``inactivity_threshold``: with purchase ages u_0 = 0 < u_1 < ... and
    the observation end at age T, churn happens at u_i + k for the first i with no purchase
    in (u_i, u_i + k] and u_i + k <= T. A purchase exactly k after the previous one keeps the
    customer alive. Then ``duration = u_i + k`` and ``event = 1``; otherwise the customer is
    censored with ``duration = T`` (tenure at the observation end) and ``event = 0``. Only the
    first churn counts: a later return does not undo it. Transactions after
    ``observation_period_end`` are ignored. The kernel runs in Rust, in parallel.

    Parameters
    ----------
    transactions : DataFrame or None
        The log (pandas, polars or pyarrow); as :func:`clmkit.summarize`.
    customer_id_col, datetime_col : str or array-like
        Column names (or the columns themselves with ``transactions=None``).
    inactivity_threshold : float or str
        k, in ``freq`` units (e.g. 90 with freq="D") or a duration string such as ``"90D"``.
    observation_period_end : date-like, optional
        Default: the last transaction date.
    freq : {"H", "D", "W", "M", "Y"}
        Period and time unit, as in :func:`clmkit.summarize`.
    covariates : "auto", list of str or None
        Features of each customer's first ``covariate_window`` time units [0, window):
        ``frequency`` (repeat purchase periods), ``recency`` (age at the last purchase in the
        window), ``monetary_value`` (mean value of those repeat periods, 0 without one) and
        ``first_value`` (value of the first period). With the default window (= k) they are
        known before anyone can churn, so they do not leak the outcome. "auto" takes the first
        two, plus the monetary ones when ``monetary_value_col`` is given.
    monetary_value_col : str or array-like, optional
        Transaction values (needed for the monetary covariates).
    covariate_window : float or str, optional
        Default: ``inactivity_threshold``. Censored customers younger than the window have
        features from the part they were observed.
    datetime_format : str, optional
        ``strftime`` format of string dates.

    output : {"pandas", "polars", "arrow", "numpy"}, optional
        Library of the returned table; by default that of the input (pandas for arrays).

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id: ``duration``, ``event``, ``first_purchase``,
        ``last_purchase``, ``churn_date`` (NaT when censored) and the covariates;
        ``attrs["clmkit"]`` records the time unit.

    Raises
    ------
    ValueError
        Bad threshold/window, unknown covariates or columns, unparseable dates (naming the
        column and row), an observation end before the first transaction.

    Examples
    --------
    >>> import clmkit
    >>> log = clmkit.datasets.load_cdnow_sample()
    >>> churn = clmkit.churn_dataset(log, "customer_id", "date", inactivity_threshold=180,
    ...                              observation_period_end="1998-06-30")
    >>> sorted(churn.columns)[:3], int(churn["event"].sum()) > 0
    (['churn_date', 'duration', 'event'], True)
    """
    freq = normalize_freq(freq)
    unit = TimeUnit(freq, 1.0)
    k = to_units(inactivity_threshold, unit, "inactivity_threshold")
    window = k if covariate_window is None else to_units(covariate_window, unit, "covariate_window")
    for name, v in (("inactivity_threshold", k), ("covariate_window", window)):
        if not (np.isfinite(v) and v > 0):
            raise ValueError(f"{name} must be a positive duration, got {v!r}")
    ids, times, values, names = extract_columns(
        transactions, customer_id_col, datetime_col, monetary_value_col
    )
    if covariates == "auto":
        covariates = list(_COVARIATES if values is not None else _COVARIATES[:2])
    covariates = list(covariates or [])
    for c in covariates:
        check_choice(c, "covariates", _COVARIATES)
        if c in ("monetary_value", "first_value") and values is None:
            raise ValueError(f"covariate {c!r} needs monetary_value_col")
    times_ns, tz = column_ns(times, names["datetime"], datetime_format)
    end_ns = period_end_ns(observation_period_end, times_ns, datetime_format, tz)
    codes, uniques = column_codes(ids, names["customer_id"])
    raw = _core.churn_dataset_codes(
        codes, len(uniques), times_ns, values, freq, int(end_ns), float(k), float(window)
    )
    if len(times_ns) and not len(raw.customer):
        raise ValueError(
            f"observation_period_end ({timestamp_of(end_ns, tz)}) is before the first "
            f"transaction ({timestamp_of(int(times_ns.min()), tz)})"
        )
    first = pd.to_datetime(raw.first_purchase_ns.view("datetime64[ns]"))
    first_period = pd.PeriodIndex(first, freq=_PANDAS_PERIOD[freq]).start_time
    churn_date = first_period + pd.to_timedelta(raw.duration * unit.days, unit="D")
    out = pd.DataFrame(
        {
            "duration": raw.duration,
            "event": raw.event.astype(np.int64),
            "first_purchase": _localize(first, tz),
            "last_purchase": _localize(
                pd.to_datetime(raw.last_purchase_ns.view("datetime64[ns]")), tz
            ),
            "churn_date": _localize(pd.DatetimeIndex(churn_date.where(raw.event == 1)), tz),
            **{c: getattr(raw, c) for c in covariates},
        },
        index=pd.Index(uniques.take(raw.customer), name=names["customer_id"]),
    )
    out.attrs["clmkit"] = {
        **unit.to_dict(),
        "freq_multiplier": 1.0,
        "inactivity_threshold": k,
        "covariate_window": window,
        "observation_period_end": str(timestamp_of(end_ns, tz)),
    }
    result: CallerFrame = deliver(out, library_of(transactions), output)
    return result


_PANDAS_PERIOD = {"H": "h", "D": "D", "W": "W", "M": "M", "Y": "Y"}


def _localize(values: pd.DatetimeIndex, tz: Optional[Union[str, _dt.tzinfo]]) -> pd.DatetimeIndex:
    return values.tz_localize("UTC").tz_convert(tz) if tz is not None else values


def churn_probability(
    model: object,
    X: Optional[Rows] = None,
    age: Optional[npt.ArrayLike] = None,
    horizon: Optional[npt.ArrayLike] = None,
    method: str = "auto",
) -> FloatArray:
    """Probability that a customer of age ``age`` churns within the next ``horizon``.

    **Survival models** (KaplanMeier, NelsonAalen, CoxPH, WeibullAFT):
    ``1 - S(age + horizon | x) / S(age | x)``, the conditional probability of the event in
    (age, age + horizon] given survival to ``age``; 1 where S(age | x) is already 0. The
    Kaplan-Meier, Nelson-Aalen and Cox (Breslow) curves are flat after the last event time
    seen in training, so they give 0 beyond it: use WeibullAFT to extrapolate.

    **Contractual models** (:class:`clmkit.ShiftedBetaGeometric`,
    :class:`clmkit.BetaDiscreteWeibull`; X is not used): ``age`` is the renewals made, and the
    result is P(churn within ``horizon`` periods | survived ``age``) = 1 - S(age + h) / S(age).

    **BTYD models** (anything with ``p_alive(frequency, recency, T)``; X is a customer summary
    with those columns and ``age`` is not used, T being the age): with ``horizon=None`` or
    ``method="p_alive"``, ``1 - p_alive`` (the customer has already churned, unobserved);
    with a horizon and ``conditional_probability_of_n_purchases(t, n, frequency, recency, T)``
    available, the probability of NO purchase in the next ``horizon``.

    Parameters
    ----------
    model : fitted model
    X : DataFrame, optional
        Covariates (Cox / Weibull), or the customer summary (BTYD). None for KM / NA.
    age : float or array-like
        Current age (tenure) per customer, in the model's time unit.
    horizon : float or array-like
        Length of the window ahead.
    method : {"auto", "p_alive", "no_purchase"}
        Only for BTYD models.

    Returns
    -------
    numpy.ndarray
        One probability per customer (per age for KM / NA without X).

    Examples
    --------
    >>> import clmkit
    >>> rossi = clmkit.datasets.load_rossi()
    >>> cox = clmkit.CoxPH().fit(rossi, "week", "arrest")
    >>> p = clmkit.churn_probability(cox, rossi.head(3), age=10, horizon=20)
    >>> bool(((p > 0) & (p < 1)).all())
    True
    """
    if hasattr(model, "p_alive") and not hasattr(model, "_survival_at"):
        return _btyd_churn(cast(BtydModel, model), X, horizon, method)
    if not hasattr(model, "_survival_at"):
        raise TypeError(
            f"{type(model).__name__} is neither a fitted clmkit survival model nor a "
            "BTYD model with p_alive()"
        )
    survival = cast(SurvivalModel, model)
    if age is None or horizon is None:
        raise ValueError("churn_probability needs age and horizon for survival models")
    a = as_float_array(age, "age", nonnegative=True)
    h = as_float_array(horizon, "horizon", nonnegative=True)
    rows = len(as_frame(X)) if X is not None else None
    n = rows if rows is not None else max(len(a), len(h))
    for name, values in (("age", a), ("horizon", h)):
        if len(values) not in (1, n):
            against = f"X has {rows} rows" if rows is not None else f"the other has {n}"
            raise ValueError(
                f"{name} has {len(values)} values but {against}: give one value per customer "
                "or a single value for all"
            )
    a, h = np.broadcast_to(a, (n,)).copy(), np.broadcast_to(h, (n,)).copy()
    s_now = np.asarray(survival._survival_at(X, a), dtype=float)
    s_later = np.asarray(survival._survival_at(X, a + h), dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(s_now > 0, 1.0 - s_later / s_now, 1.0)


def _btyd_churn(
    model: BtydModel, X: Optional[Rows], horizon: Optional[npt.ArrayLike], method: str
) -> FloatArray:
    check_choice(method, "method", ["auto", "p_alive", "no_purchase"])
    if X is None:
        raise ValueError(
            "churn_probability for a BTYD model needs X: a summary with frequency, recency and T"
        )
    frame = as_frame(X)
    cols = {
        c: as_float_array(frame[c], f"X[{c!r}]", nonnegative=True)
        for c in ("frequency", "recency", "T")
        if c in frame.columns
    }
    if len(cols) < 3:
        raise ValueError(f"X needs columns frequency, recency and T; got {list(frame.columns)}")
    use_p_alive = method == "p_alive" or (method == "auto" and horizon is None)
    if use_p_alive:
        return 1.0 - np.asarray(
            model.p_alive(cols["frequency"], cols["recency"], cols["T"]), dtype=float
        )
    if horizon is None:
        raise ValueError("method='no_purchase' needs a horizon")
    if not hasattr(model, "conditional_probability_of_n_purchases"):
        raise TypeError(
            f"{type(model).__name__} has no conditional_probability_of_n_purchases(); "
            "use method='p_alive'"
        )
    t = to_units(horizon, getattr(model, "time_unit_", None), "horizon")
    return np.asarray(
        model.conditional_probability_of_n_purchases(
            t, 0, cols["frequency"], cols["recency"], cols["T"]
        ),
        dtype=float,
    )
