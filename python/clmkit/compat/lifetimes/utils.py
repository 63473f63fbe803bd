"""lifetimes' ``utils`` module over clmkit's engine: same names, arguments and outputs."""

from __future__ import annotations

from typing import Any, Optional, Protocol, Union, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from ... import summary as _summary
from ..._errors import ConvergenceError  # noqa: F401  (lifetimes.utils.ConvergenceError)
from ..._typing import DateLike, Shaped
from ...summary.units import normalize_freq
from ._checks import _check_inputs, _scale_time  # noqa: F401  (lifetimes' private names)

__all__ = [
    "summary_data_from_transaction_data",
    "calibration_and_holdout_data",
    "find_first_transactions",
    "calculate_alive_path",
    "expected_cumulative_transactions",
    "customer_lifetime_value",
]

_PERIOD = {"H": "h", "D": "D", "W": "W", "M": "M", "Y": "Y"}

# lifetimes 0.11.3's message for an empty holdout period (its tests match it).
_NO_HOLDOUT = (
    "There is no data available. Check the `observation_period_end` and  "
    "`calibration_period_end` and confirm that values in `transactions` occur prior to those "
    "dates."
)


def _numeric_dates(values: pd.Series, datetime_format: Optional[str]) -> pd.Series:
    """lifetimes' ``pd.to_datetime(column, format=datetime_format)`` on a numeric column: with
    a format, the numbers are read as text in that format (e.g. 19970101 with "%Y%m%d");
    without one, as nanoseconds since the epoch (pandas' rule, which lifetimes inherited)."""
    if datetime_format is not None:
        text = (
            values.astype("int64").astype(str) if values.dtype.kind in "iu" else values.astype(str)
        )
        return pd.to_datetime(text, format=datetime_format)
    return pd.to_datetime(values)


def _with_dates(
    transactions: pd.DataFrame, datetime_col: str, datetime_format: Optional[str]
) -> pd.DataFrame:
    """``transactions`` with a numeric ``datetime_col`` converted as lifetimes converts it (a
    new frame; the caller's is not modified). Other columns pass through unchanged."""
    column = transactions[datetime_col] if isinstance(transactions, pd.DataFrame) else None
    if column is None or not (
        pd.api.types.is_integer_dtype(column.dtype) or pd.api.types.is_float_dtype(column.dtype)
    ):
        return transactions
    return cast(
        pd.DataFrame, transactions.assign(**{datetime_col: _numeric_dates(column, datetime_format)})
    )


def summary_data_from_transaction_data(
    transactions: pd.DataFrame,
    customer_id_col: str,
    datetime_col: str,
    monetary_value_col: Optional[str] = None,
    datetime_format: Optional[str] = None,
    observation_period_end: DateLike = None,
    freq: str = "D",
    freq_multiplier: float = 1,
    include_first_transaction: bool = False,
) -> pd.DataFrame:
    """lifetimes' summary: ``frequency, recency, T[, monetary_value]`` as floats.

    Computed by :func:`clmkit.summarize` (which adds more columns; this keeps lifetimes' four).

    Examples
    --------
    >>> from clmkit.compat.lifetimes.datasets import load_transaction_data
    >>> from clmkit.compat.lifetimes.utils import summary_data_from_transaction_data
    >>> s = summary_data_from_transaction_data(load_transaction_data(), "id", "date")
    >>> s.columns.tolist(), len(s)
    (['frequency', 'recency', 'T'], 5000)
    """
    full = _summary.summarize(
        _with_dates(transactions, datetime_col, datetime_format),
        customer_id_col,
        datetime_col,
        monetary_value_col,
        datetime_format,
        observation_period_end,
        freq,
        freq_multiplier,
        include_first_transaction,
    )
    cols = ["frequency", "recency", "T"] + (["monetary_value"] if monetary_value_col else [])
    out = full[cols].astype(float)
    out.attrs = dict(full.attrs)
    return cast(pd.DataFrame, out)


def calibration_and_holdout_data(
    transactions: pd.DataFrame,
    customer_id_col: str,
    datetime_col: str,
    calibration_period_end: DateLike,
    observation_period_end: DateLike = None,
    freq: str = "D",
    freq_multiplier: float = 1,
    datetime_format: Optional[str] = None,
    monetary_value_col: Optional[str] = None,
    include_first_transaction: bool = False,
) -> pd.DataFrame:
    """lifetimes' calibration/holdout split (computed by :func:`clmkit.calibration_and_holdout`).

    Examples
    --------
    >>> from clmkit.compat.lifetimes.datasets import load_transaction_data
    >>> from clmkit.compat.lifetimes.utils import calibration_and_holdout_data
    >>> ch = calibration_and_holdout_data(load_transaction_data(), "id", "date", "2014-09-01",
    ...                                   "2014-12-31")
    >>> ch.columns.tolist()
    ['frequency_cal', 'recency_cal', 'T_cal', 'frequency_holdout', 'duration_holdout']
    """
    try:
        return _summary.calibration_and_holdout(
            _with_dates(transactions, datetime_col, datetime_format),
            customer_id_col,
            datetime_col,
            calibration_period_end,
            observation_period_end,
            freq,
            freq_multiplier,
            datetime_format,
            monetary_value_col,
            include_first_transaction,
        )
    except ValueError as err:
        # lifetimes raised its sentence for an empty holdout (and, through it, for periods
        # before the first transaction); clmkit says which period is empty.
        if "no transaction" in str(err):
            raise ValueError(f"{_NO_HOLDOUT} ({err})") from None
        raise


def find_first_transactions(
    transactions: pd.DataFrame,
    customer_id_col: str,
    datetime_col: str,
    monetary_value_col: Optional[str] = None,
    datetime_format: Optional[str] = None,
    observation_period_end: DateLike = None,
    freq: str = "D",
) -> pd.DataFrame:
    """One row per customer and purchase period (values summed), ``first`` marking each
    customer's first period; periods after ``observation_period_end`` are dropped.

    Examples
    --------
    >>> import pandas as pd
    >>> from clmkit.compat.lifetimes.utils import find_first_transactions
    >>> log = pd.DataFrame({"id": [1, 1, 2], "date": ["2020-01-01", "2020-01-03", "2020-01-02"]})
    >>> find_first_transactions(log, "id", "date")["first"].tolist()
    [True, False, True]
    """
    period = _PERIOD[normalize_freq(freq)]
    cols = [customer_id_col, datetime_col] + ([monetary_value_col] if monetary_value_col else [])
    frame = _with_dates(transactions[cols], datetime_col, datetime_format).copy()
    frame[datetime_col] = pd.to_datetime(frame[datetime_col], format=datetime_format).dt.to_period(
        period
    )
    end = (
        frame[datetime_col].max()
        if observation_period_end is None
        else pd.Period(pd.to_datetime(observation_period_end, format=datetime_format), period)
    )
    frame = frame[frame[datetime_col] <= end]
    grouped = frame.groupby([customer_id_col, datetime_col], sort=True)
    out = (
        grouped[monetary_value_col].sum() if monetary_value_col else grouped.size()
    ).reset_index()
    out = out[
        [customer_id_col, datetime_col] + ([monetary_value_col] if monetary_value_col else [])
    ]
    out["first"] = ~out[customer_id_col].duplicated()
    # Column labels as a frame built from a list of names has them (str dtype on pandas 3).
    out.columns = pd.Index(list(out.columns))
    return cast(pd.DataFrame, out)


def calculate_alive_path(
    model: _AliveModel, transactions: pd.DataFrame, datetime_col: str, t: int, freq: str = "D"
) -> pd.Series:
    """P(alive) of one customer at each period from their first purchase, over
    ``max(t + 1, periods with history)`` periods as lifetimes gives, computed in one
    vectorised call (lifetimes evaluates it row by row).

    Parameters
    ----------
    model : fitted BTYD model
        Anything with ``conditional_probability_alive(frequency, recency, T)``.
    transactions : DataFrame
        The customer's transactions.
    """
    dates = pd.to_datetime(transactions[datetime_col])
    period = _PERIOD[normalize_freq(freq)]
    index = (dates.dt.to_period(period) - dates.min().to_period(period)).map(lambda d: d.n)
    bought = np.zeros(max(t + 1, int(index.max()) + 1), dtype=bool)
    bought[index.to_numpy()] = True
    T = np.arange(len(bought), dtype=float)
    frequency = np.cumsum(bought) - 1.0
    recency = np.maximum.accumulate(np.where(bought, T, 0.0))
    return cast(
        "pd.Series[float]",
        pd.Series(np.asarray(model.conditional_probability_alive(frequency, recency, T))),
    )


# lifetimes' customer_lifetime_value counts ``time`` in months and converts them into the data's
# unit with these fixed factors (a month is 30 days, 4.345 weeks or 720 hours).
_MONTH = {"W": 4.345, "M": 1.0, "D": 30, "H": 720}


class _AliveModel(Protocol):
    """A fitted lifetimes-style model with ``conditional_probability_alive``."""

    def conditional_probability_alive(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> Shaped: ...


def _native_model(model: Any) -> Any:  # a façade fitter's clmkit model, or a native one
    """The clmkit model behind a façade fitter (a native model passes through)."""
    return getattr(model, "_model", model)


def customer_lifetime_value(
    transaction_prediction_model: Any,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    monetary_value: npt.ArrayLike,
    time: int = 12,
    discount_rate: float = 0.01,
    freq: str = "D",
) -> pd.Series:
    """Discounted value of each customer's purchases over ``time`` months, lifetimes' way.

    Month k contributes ``monetary_value x (E[Y(k m)] - E[Y((k-1) m)]) / (1 + discount_rate)^k``
    with m the month in data units (30 days for ``freq="D"``, 4.345 weeks for ``"W"``, 720
    hours for ``"H"``, 1 for ``"M"``). Computed by :func:`clmkit.customer_lifetime_value`
    with ``horizon=time, period=m``; clmkit's own function takes the period explicitly.

    Parameters
    ----------
    transaction_prediction_model : fitted BetaGeoFitter, ParetoNBDFitter, ... (or a native model)
    frequency, recency, T : array-like
        Customer histories in ``freq`` units.
    monetary_value : array-like
        Value per future purchase (e.g. GammaGamma's conditional expected average profit).
    time : int, default 12
        Number of months.
    discount_rate : float, default 0.01
        Monthly discount rate.
    freq : {"D", "W", "M", "H"}, default "D"
        Unit of the data.

    Returns
    -------
    pandas.Series
        Named ``clv``, indexed like ``frequency`` (a RangeIndex for arrays).

    Examples
    --------
    >>> from clmkit.compat.lifetimes import BetaGeoFitter
    >>> from clmkit.compat.lifetimes.utils import customer_lifetime_value
    >>> bgf = BetaGeoFitter().fit([2, 0, 5], [30.0, 0.0, 35.0], [39.0, 39.0, 39.0])
    >>> customer_lifetime_value(bgf, [2, 0, 5], [30.0, 0.0, 35.0], [39.0, 39.0, 39.0],
    ...                         [20.0, 20.0, 20.0], freq="W").shape
    (3,)
    """
    from ... import clv as _clv
    from ..._validation import check_choice

    factor = _MONTH[check_choice(freq, "freq", tuple(_MONTH))]
    spend = np.asarray(monetary_value, dtype=float)
    out = _clv.customer_lifetime_value(
        _native_model(transaction_prediction_model),
        spend,
        (frequency, recency, T),
        horizon=time,
        period=factor,
        discount_rate=discount_rate,
    )
    index = frequency.index if isinstance(frequency, pd.Series) else None
    return cast(
        "pd.Series[float]", pd.Series(np.asarray(out, dtype=float), index=index, name="clv")
    )


def expected_cumulative_transactions(
    model: Any,
    transactions: pd.DataFrame,
    datetime_col: str,
    customer_id_col: str,
    t: int,
    datetime_format: Optional[str] = None,
    freq: str = "D",
    freq_multiplier: int = 1,
    set_index_date: bool = False,
) -> pd.DataFrame:
    """Actual vs model-expected cumulative repeat transactions of the whole population.

    At period i (every ``freq_multiplier`` periods of ``freq`` from the first purchase in
    the log) the prediction is the sum over customers who made their first purchase before
    i of ``model.expected_number_of_purchases_up_to_time(age)``; computed as one
    convolution of the first-purchase counts with the expected curve (lifetimes loops over
    periods and cohorts). ``actual`` counts repeat purchase periods (one per customer and
    period), cumulated.

    Parameters
    ----------
    model : fitted fitter
        With ``expected_number_of_purchases_up_to_time``, in ``freq x freq_multiplier`` units.
    transactions : DataFrame
        The transaction log.
    datetime_col, customer_id_col : str
        Its columns.
    t : int
        Number of ``freq`` periods to track.
    datetime_format : str, optional
    freq : str, default "D"
    freq_multiplier : int, default 1
    set_index_date : bool, default False
        Index by period instead of 0, 1, ...

    Returns
    -------
    pandas.DataFrame
        Columns ``actual`` and ``predicted``, ``t // freq_multiplier`` rows.

    Examples
    --------
    >>> from clmkit.compat.lifetimes import BetaGeoFitter
    >>> from clmkit.compat.lifetimes.datasets import load_transaction_data
    >>> from clmkit.compat.lifetimes.utils import summary_data_from_transaction_data
    >>> log = load_transaction_data()
    >>> s = summary_data_from_transaction_data(log, "id", "date")
    >>> bgf = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    >>> expected_cumulative_transactions(bgf, log, "date", "id", 30).shape
    (30, 2)
    """
    from ..._validation import check_int

    t = check_int(t, "t", low=1)
    freq_multiplier = check_int(freq_multiplier, "freq_multiplier", low=1)
    period_code = _PERIOD[normalize_freq(freq)]
    transactions = _with_dates(transactions, datetime_col, datetime_format)
    start_period = (
        pd.to_datetime(transactions[datetime_col], format=datetime_format)
        .min()
        .to_period(period_code)
    )
    end = (start_period + t).to_timestamp()
    periods = find_first_transactions(
        transactions,
        customer_id_col,
        datetime_col,
        datetime_format=datetime_format,
        observation_period_end=end,
        freq=freq,
    )
    offset = pd.PeriodIndex(periods[datetime_col]).asi8 - start_period.ordinal
    first = periods["first"].to_numpy()
    new_customers = np.bincount(offset[first], minlength=t + 1)[: t + 1].astype(float)
    repeats = np.bincount(offset[~first], minlength=t + 1)[: t + 1].astype(float)
    # predicted[i] = sum_{d < i} new_customers[d] * E[X((i - d) / m)]: a convolution of the
    # cohort sizes with the expected curve at lags 1..t.
    lags = np.arange(1, t + 1, dtype=float) / freq_multiplier
    curve = np.asarray(model.expected_number_of_purchases_up_to_time(lags), dtype=float)
    cumulative = np.convolve(new_customers[:t], curve)[:t]  # index i - 1 for period i
    steps = np.arange(1, t // freq_multiplier + 1) * freq_multiplier
    predicted = cumulative[steps - 1]
    actual = np.cumsum(repeats)[steps - 1].astype(np.int64)
    if set_index_date:
        index: Union[pd.Index, range] = pd.period_range(start_period, periods=t + 1)[
            freq_multiplier - 1 : -1 : freq_multiplier
        ]
    else:
        index = range(t // freq_multiplier)
    return cast(pd.DataFrame, pd.DataFrame({"actual": actual, "predicted": predicted}, index=index))


# lifetimes' private names, which user code imports too. (ConvergenceError, imported above,
# is clmkit's: a RuntimeError, where lifetimes' subclassed ValueError.)
_find_first_transactions = find_first_transactions
_customer_lifetime_value = customer_lifetime_value
