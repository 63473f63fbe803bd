"""Customer lifetime value and expected value from a purchase-count and a spend model.

No hidden units: horizons and periods are numbers of the transaction model's time unit, or
duration strings such as ``"30D"`` converted with the model's ``time_unit_``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Optional, Union

import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import _core
from .._io import is_table, read
from .._validation import as_float_array, check_int, check_same_length
from ..btyd._count import CountModel
from ..btyd._rows import PolarsRows, polars_shaped, rows_like
from ..btyd.gammagamma import GammaGamma
from ..exceptions import InvalidValueError, with_row_label
from ..summary.units import to_units
from . import _covariates as _cov

if TYPE_CHECKING:
    import polars as pl

__all__ = ["customer_lifetime_value", "expected_value"]

FloatArray = npt.NDArray[np.float64]
#: Customers as a summary table, a dict of columns or a (frequency, recency, T[, monetary])
#: tuple.
CustomerData = Union[object, Mapping[str, npt.ArrayLike], Sequence[npt.ArrayLike]]
#: A fitted GammaGamma, or the value per purchase (one number or one per customer).
SpendModel = Union[GammaGamma, float, npt.ArrayLike]
Period = Union[float, str, pd.Timedelta]
#: One value per customer: a pandas Series on a pandas table's index; for a polars table a
#: polars DataFrame of its customer id and the value (a polars Series without an id
#: column); else a numpy array.
CustomerValues = Union["pd.Series[float]", FloatArray, "pl.Series", "pl.DataFrame"]


def _customers(
    data: CustomerData, need_monetary: bool
) -> tuple[list[npt.ArrayLike], Optional[npt.ArrayLike], Optional[pd.Index]]:
    """(frequency, recency, T), monetary_value and the index from a table or a tuple/dict."""
    names = ["frequency", "recency", "T"] + (["monetary_value"] if need_monetary else [])
    if is_table(data):
        table = read(data, {n: n for n in names})
        cols = [table.values(n, n) for n in names]
        index = table.index if table.index is not None else pd.RangeIndex(len(table))
    elif isinstance(data, dict):
        missing = [n for n in names if n not in data]
        if missing:
            raise ValueError(f"data is missing {missing}")
        cols, index = [data[n] for n in names], None
    elif isinstance(data, (tuple, list)) and len(data) in (3, 4):
        if need_monetary and len(data) != 4:
            raise ValueError(
                "data must be (frequency, recency, T, monetary_value) with a GammaGamma spend model"
            )
        cols, index = list(data)[: len(names)], None
    else:
        raise TypeError(
            "data must be a summary table, a dict of columns or a tuple "
            "(frequency, recency, T[, monetary_value])"
        )
    monetary = cols[3] if need_monetary else None
    return cols[:3], monetary, index


def _result(
    values: FloatArray, data: CustomerData, index: Optional[pd.Index], name: str
) -> CustomerValues:
    """One value per customer in the caller's library (:data:`CustomerValues`)."""
    like = rows_like(data, None)
    if isinstance(like, PolarsRows):
        return polars_shaped(values, like, name)
    return pd.Series(values, index=index, name=name) if index is not None else values


def _usable_spend(
    frequency: FloatArray, monetary: npt.ArrayLike, index: Optional[pd.Index]
) -> tuple[FloatArray, FloatArray]:
    """(frequency, monetary) with customers lacking a usable spend history set to (0, 0), so
    Gamma-Gamma gives them its population mean p v / (q - 1) (note 025 eq. 5 with x = 0).

    A repeat buyer's mean spend must be a finite number; one <= 0 (refunds) cannot be a
    Gamma-Gamma spend, as in a model fitted with ``drop_nonpositive=True``.
    """
    m = as_float_array(monetary, "monetary_value", finite=False)
    check_same_length(frequency=frequency, monetary_value=m)
    bad = (frequency > 0) & ~np.isfinite(m)
    if bad.any():
        row = int(np.argmax(bad))
        err = InvalidValueError("monetary_value", row, m[row], "must be finite for repeat buyers")
        raise with_row_label(err, index) from None
    usable = (frequency > 0) & (m > 0)
    return np.where(usable, frequency, 0.0), np.where(usable, m, 0.0)


def _spend(
    spend_model: SpendModel,
    frequency: FloatArray,
    monetary: Optional[npt.ArrayLike],
    index: Optional[pd.Index],
) -> FloatArray:
    n = len(frequency)
    if isinstance(spend_model, GammaGamma):
        assert monetary is not None  # _customers reads it for a GammaGamma
        f, m = _usable_spend(frequency, monetary, index)
        spend = np.asarray(spend_model.conditional_expected_spend(f, m), dtype=float)
    else:
        spend = as_float_array(spend_model, "spend_model")
        spend = np.broadcast_to(spend, (n,)) if spend.shape == (1,) else spend
    if len(spend) != n:
        raise ValueError(f"spend_model gives {len(spend)} values for {n} customers")
    return np.ascontiguousarray(spend, dtype=float)


def _check_model(model: object) -> CountModel:
    if not isinstance(model, CountModel):
        raise TypeError(
            f"transaction_model must be a clmkit purchase-count model (e.g. BetaGeo), got {type(model).__name__}"
        )
    model._check_fitted()
    return model


def customer_lifetime_value(
    transaction_model: CountModel,
    spend_model: SpendModel,
    data: CustomerData,
    horizon: int = 12,
    period: Period = "30D",
    discount_rate: float = 0.01,
    continuous: bool = False,
    covariates: _cov.Covariates = None,
) -> CustomerValues:
    """Discounted value of each customer's purchases over ``horizon`` periods.

    CLV = spend x sum_{k=1..horizon} (E[Y(k P)] - E[Y((k-1) P)]) / (1 + discount_rate)^k,
    where E[Y(t)] is the model's conditional expected purchases in the next t units and P
    is ``period``. With data in days, ``period=30, horizon=12, discount_rate=0.01`` equals
    lifetimes' ``customer_lifetime_value(model, ..., time=12, discount_rate=0.01, freq="D")``
    (lifetimes' months are 30 days). ``continuous=True`` integrates dE[Y(u)] against the
    continuous discount factor (1 + discount_rate)^(-u/P) instead.

    Parameters
    ----------
    transaction_model : BetaGeo, ModifiedBetaGeo or another fitted count model
    spend_model : GammaGamma, float or array-like
        A fitted Gamma-Gamma model (its conditional expected spend is used), or the expected
        value per purchase (one number or one per customer). With a Gamma-Gamma model,
        customers without a usable spend history (one-time buyers, and repeat buyers whose
        mean spend is <= 0, e.g. after refunds, which a model fitted with
        ``drop_nonpositive=True`` left out) are valued at the model's population mean
        spend ``p v / (q - 1)``, as :func:`clmkit.analyze` does; so the table the model was
        fitted on can always be valued.
    data : DataFrame, dict or tuple
        ``frequency``, ``recency``, ``T`` (and ``monetary_value`` with a GammaGamma).
    horizon : int, default 12
        Number of discounting periods, 1 to 10,000.
    period : float or str, default "30D"
        Length of one period in the model's time unit, or a duration such as ``"30D"``
        converted with the model's ``time_unit_`` (lifetimes' month).
    discount_rate : float, default 0.01
        Discount rate per period (e.g. 0.01 per month).
    continuous : bool, default False
        Continuous instead of per-period discounting (also with covariate fits).
    covariates : table or 2-D array, optional
        Customers' covariates for models fitted with covariates (default: the fitted
        columns of ``data``); each customer is valued at their own parameters.

    Returns
    -------
    pandas.Series, polars.DataFrame, polars.Series or numpy.ndarray
        One value per customer named ``clv``: a pandas Series with a pandas table's index;
        for a polars table (a LazyFrame is collected) a DataFrame of its customer id (its
        first column, as :func:`clmkit.summarize` writes it) and ``clv`` in the table's row
        order, or a Series when the table has no id column; else a numpy array.

    Examples
    --------
    >>> import clmkit
    >>> data = clmkit.datasets.load_cdnow_summary(with_monetary_value=True)
    >>> bg = clmkit.BetaGeo().fit(data)
    >>> gg = clmkit.GammaGamma().fit(data)
    >>> clv = clmkit.customer_lifetime_value(bg, gg, data, horizon=12, period="30D", discount_rate=0.01)
    >>> round(float(clv.iloc[0]), 2) > 0
    True
    """
    model = _check_model(transaction_model)
    horizon = check_int(horizon, "horizon", low=1)  # the upper bound is checked in Rust
    period_units = to_units(period, model.time_unit_, "period")
    rate = float(discount_rate)
    if not (np.isfinite(rate) and rate > -1):
        raise ValueError(f"discount_rate must be a finite number > -1, got {discount_rate!r}")
    cols, monetary, index = _customers(data, isinstance(spend_model, GammaGamma))
    rows = model._validate(cols)
    if _cov.uses_covariates(model, spend_model):
        spend: _cov.Spend
        if isinstance(spend_model, GammaGamma) and spend_model._has_covariates():
            assert monetary is not None  # _customers reads it for a GammaGamma
            f, m = _usable_spend(rows[0], monetary, index)
            spend = (spend_model, f, m)
        else:
            spend = _spend(spend_model, rows[0], monetary, index)
        if model._has_covariates():
            args = (horizon, period_units, rate, bool(continuous), covariates)
            out = _cov.lifetime_value(model, spend, data, rows, *args)
            return _result(out, data, index, "clv")
        # Only the spend model has covariates: its per-customer spend, then the plain CLV.
        spend_model = _cov.spend_values(spend, data, covariates, len(rows[0]))
    if isinstance(spend_model, GammaGamma) and not (
        continuous and rate > 0 and hasattr(model, "discounted_expected_residual_transactions")
    ):
        # One Rust pass computes the Gamma-Gamma spend (population mean for customers without
        # a usable spend history) and the CLV, with no spend array between.
        values = as_float_array(monetary, "monetary_value", finite=False)
        check_same_length(frequency=rows[0], monetary_value=values)
        out = _clv_core(
            model._fit_state(),
            values,
            rows[0],
            rows[1],
            rows[2],
            horizon,
            period_units,
            rate,
            bool(continuous),
            spend_params=spend_model._params(),
            index=index,
        )
        return _result(out, data, index, "clv")
    spend = _spend(spend_model, rows[0], monetary, index)
    if continuous and rate > 0 and hasattr(model, "discounted_expected_residual_transactions"):
        # Pareto/NBD has a closed form (DERT over the horizon, with Tricomi's U).
        delta = float(np.log1p(rate)) / period_units
        dert = model.discounted_expected_residual_transactions(
            *rows, discount_rate=delta, horizon=horizon * period_units
        )
        value: FloatArray = spend * np.asarray(dert, dtype=np.float64)
        return _result(value, data, index, "clv")
    out = _clv_core(
        model._fit_state(),
        spend,
        rows[0],
        rows[1],
        rows[2],
        horizon,
        period_units,
        rate,
        bool(continuous),
        index=index,
    )
    return _result(out, data, index, "clv")


def _clv_core(
    model: _core.BtydFit,
    spend: FloatArray,
    frequency: FloatArray,
    recency: FloatArray,
    big_t: FloatArray,
    horizon: int,
    period: float,
    discount_rate: float,
    continuous: bool,
    spend_params: Optional[list[float]] = None,
    index: Optional[pd.Index] = None,
) -> FloatArray:
    try:
        return _core.clv_customer_lifetime_value(
            model,
            spend,
            frequency,
            recency,
            big_t,
            horizon,
            period,
            discount_rate,
            continuous,
            spend_params=spend_params,
        )
    except InvalidValueError as err:
        raise with_row_label(err, index) from None


def expected_value(
    transaction_model: CountModel,
    spend_model: SpendModel,
    data: CustomerData,
    t: Period,
    covariates: _cov.Covariates = None,
) -> CustomerValues:
    """Undiscounted expected value of each customer's purchases in the next ``t``
    (e.g. ``"365D"``): spend x E[Y(t)].

    Parameters
    ----------
    transaction_model, spend_model, data
        As in :func:`customer_lifetime_value`.
    t : float or str
        Horizon in model time units or as a duration string.
    covariates : table or 2-D array, optional
        As in :func:`customer_lifetime_value` (each customer at their own parameters).

    Returns
    -------
    pandas.Series, polars.DataFrame, polars.Series or numpy.ndarray
        Named ``expected_value``, in the caller's library as in
        :func:`customer_lifetime_value`.

    Examples
    --------
    >>> import clmkit
    >>> data = clmkit.datasets.load_cdnow_summary(with_monetary_value=True)
    >>> bg = clmkit.BetaGeo().fit(data)
    >>> v = clmkit.expected_value(bg, 20.0, data, "365D")
    >>> bool((v >= 0).all())
    True
    """
    model = _check_model(transaction_model)
    units = to_units(t, model.time_unit_, "t")
    cols, monetary, index = _customers(data, isinstance(spend_model, GammaGamma))
    rows = model._validate(cols)
    if isinstance(spend_model, GammaGamma) and spend_model._has_covariates():
        assert monetary is not None  # _customers reads it for a GammaGamma
        f, m = _usable_spend(rows[0], monetary, index)
        spend = _cov.spend_values((spend_model, f, m), data, covariates, len(rows[0]))
    else:
        spend = _spend(spend_model, rows[0], monetary, index)
    if model._has_covariates():
        z = _cov.for_prediction(model, data, covariates, len(rows[0]))
        purchases = model._state.predict("conditional_expected_purchases", [units], rows, z)
    else:
        purchases = model._fit_state().conditional_expected_purchases([float(units)], *rows)[0]
    out: FloatArray = spend * purchases
    return _result(out, data, index, "expected_value")
