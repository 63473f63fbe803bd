"""The steps of :func:`clmkit.analyze`: each composes public clmkit functions, adds columns to
the customer table and records what it fitted. No model math lives here."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Optional, Union

import numpy as np
import pandas as pd

from .._errors import ClmkitWarning
from ..summary.units import TimeUnit, to_units
from .patterns import Patterns, patterns_of

if TYPE_CHECKING:
    from ..btyd import CountModel, GammaGamma

# models= names -> clmkit class names of the transaction (BTYD) models.
TRANSACTION_MODELS = {"bgnbd": "BetaGeo", "mbgnbd": "ModifiedBetaGeo", "paretonbd": "ParetoNBD"}
SPEND_MODELS = {"gammagamma": "GammaGamma"}


def horizon_label(horizon: Union[str, float]) -> str:
    """Suffix of the horizon columns: "365D" -> "365d", 52 -> "52"."""
    text = str(horizon).strip().replace(" ", "").lower()
    return text[:-2] if text.endswith(".0") else text


def rfm_columns(table: pd.DataFrame, has_monetary: bool) -> pd.DataFrame:
    """r/f/m scores (M on total_value), code and segment (clmkit.rfm_scores / rfm_segments) and
    the ABC class of historic value (total_value, or purchase periods without a monetary
    column)."""
    import clmkit

    # M scores total spend (every purchase, the first included), as RFM practice does and as
    # the ABC class ranks customers; lifetimes' monetary_value (mean repeat spend, 0 for a
    # one-time buyer) would give a customer who spent 89 once M = 1 and class A.
    rfm = clmkit.rfm_scores(table, monetary_col="total_value" if has_monetary else None)
    out = rfm.reindex(
        columns=[
            c
            for c in ("r_score", "f_score", "m_score", "rfm_score", "rfm_code")
            if c in rfm.columns
        ]
    )
    if "rfm_code" in out:  # 125 distinct codes: categories, not a million strings
        out["rfm_code"] = out["rfm_code"].astype("category")
    out["rfm_segment"] = clmkit.rfm_segments(rfm)
    # refunds can make a customer's total negative: they brought no value (class C)
    value = table["total_value"].clip(lower=0.0) if has_monetary else table["n_periods"]
    out["abc_class"] = clmkit.abc_classes(value)
    result: pd.DataFrame = out
    return result


def fit_transaction_model(
    name: str, summary: pd.DataFrame, covariates: Optional[pd.DataFrame] = None
) -> CountModel:
    """The transaction model; with ``covariates`` (aligned with ``summary``) every column
    enters the purchase and the dropout process."""
    import clmkit

    model: CountModel = getattr(clmkit, TRANSACTION_MODELS[name])()
    if covariates is None:
        return model.fit(summary)
    return model.fit(summary, purchase_covariates=covariates, dropout_covariates=covariates)


def btyd_columns(
    model: CountModel,
    table: pd.DataFrame,
    horizon_units: float,
    label: str,
    unit: TimeUnit,
    observation_end: pd.Timestamp,
    pat: Optional[Patterns] = None,
) -> pd.DataFrame:
    """P(alive), expected purchases and P(no purchase) in the horizon, next purchase date
    (each distinct (frequency, recency, T) pattern evaluated once; ``pat``: the table's
    patterns when the caller has them)."""
    pat = patterns_of(table) if pat is None else pat
    f, r, T = pat.f, pat.r, pat.T
    out = pd.DataFrame(index=table.index)
    out["p_alive"] = pat.expand(model.p_alive(f, r, T))
    out[f"expected_purchases_{label}"] = pat.expand(
        model.conditional_expected_purchases(horizon_units, f, r, T)
    )
    out[f"probability_no_purchase_{label}"] = pat.expand(
        model.conditional_probability_of_n_purchases(horizon_units, 0, f, r, T)
    )
    wait = pat.expand(time_to_one_expected_purchase(model, f, r, T, horizon_units))
    out["expected_next_purchase"] = (
        pd.Timestamp(observation_end) + pd.to_timedelta(wait * unit.days, unit="D")
    ).round("D")
    result: pd.DataFrame = out
    return result


def time_to_one_expected_purchase(
    model: CountModel,
    f: np.ndarray,
    r: np.ndarray,
    T: np.ndarray,
    horizon_units: float,
    points: int = 24,
) -> np.ndarray:
    """Time t (model units) at which ``conditional_expected_purchases(t)`` reaches 1; NaN when
    fewer than one purchase is expected within the horizon (see
    :func:`clmkit.clv.time_to_expected_purchases`: one multi-horizon kernel call per customer).
    """
    from ..clv import time_to_expected_purchases

    return time_to_expected_purchases(model, f, r, T, horizon_units, 1.0, points)


def fit_spend_model(summary: pd.DataFrame, covariates: Optional[pd.DataFrame] = None) -> GammaGamma:
    """Gamma-Gamma on repeat buyers, dropping non-positive mean spends with a warning; with
    ``covariates`` (aligned with ``summary``) on the spend scale."""
    import clmkit

    repeat = (summary["frequency"] > 0).to_numpy()
    z = None if covariates is None else covariates.loc[repeat].reset_index(drop=True)
    return clmkit.GammaGamma().fit(
        summary["frequency"].to_numpy(float)[repeat],
        summary["monetary_value"].to_numpy(float)[repeat],
        drop_nonpositive=True,
        spend_covariates=z,
    )


def value_columns(
    transaction_model: CountModel,
    spend_model: GammaGamma,
    table: pd.DataFrame,
    label: str,
    horizon_units: float,
    clv_period: Union[str, float],
    discount_rate: float,
    unit: TimeUnit,
    covariates: Optional[pd.DataFrame] = None,
) -> pd.DataFrame:
    """Expected spend per purchase and discounted CLV over the horizon (each customer at
    their own parameters with ``covariates``, aligned with ``table``)."""
    import clmkit

    out = pd.DataFrame(index=table.index)
    f = table["frequency"].to_numpy(float)
    m = table["monetary_value"].to_numpy(float)
    # Repeat buyers whose mean spend is not positive (returns, free items) have no usable spend
    # history for Gamma-Gamma: they get the model's mean for a customer without one (x = 0).
    usable = (f > 0) & (m > 0)
    z = None if covariates is None else covariates.to_numpy(float)
    spend_z = z if getattr(spend_model, "_has_covariates", lambda: False)() else None
    spend_f, spend_m = np.where(usable, f, 0.0), np.where(usable, m, 0.0)
    out["expected_spend"] = np.asarray(
        spend_model.conditional_expected_spend(spend_f, spend_m, covariates=spend_z), dtype=float
    )
    periods = clv_periods(horizon_units, clv_period, unit)
    clv = clmkit.customer_lifetime_value(
        transaction_model,
        out["expected_spend"].to_numpy(),
        table[["frequency", "recency", "T"]],
        horizon=periods,
        period=clv_period,
        discount_rate=discount_rate,
        covariates=z if transaction_model._has_covariates() else None,
    )
    out[f"clv_{label}"] = np.asarray(clv, dtype=float)
    result: pd.DataFrame = out
    return result


def clv_periods(horizon_units: float, clv_period: Union[str, float], unit: TimeUnit) -> int:
    """Whole discounting periods in the horizon (365 days of 30-day periods -> 12)."""
    per = to_units(clv_period, unit, "clv_period")
    return max(1, round(horizon_units / per))


def month_end_snapshots(first: pd.Timestamp, last: pd.Timestamp, count: int) -> list[pd.Timestamp]:
    """The last ``count`` month ends strictly inside (first, last], ending with ``last``."""
    month_ends = pd.date_range(first, last, freq="ME" if _has_me() else "M", inclusive="neither")
    ends = [e for e in month_ends if e < last.normalize()]
    return list(ends[-(count - 1) :] if count > 1 else []) + [last]


def _has_me() -> bool:
    try:
        pd.tseries.frequencies.to_offset("ME")
        return True
    except ValueError:
        return False


def warn_skipped(step: str, reason: str) -> None:
    warnings.warn(f"analyze: step {step!r} skipped: {reason}", ClmkitWarning, stacklevel=3)
