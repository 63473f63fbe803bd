"""Customer covariates in :func:`clmkit.analyze`: the per-customer table read and aligned
with the summary, and the fitted coefficients as a table of effects in words.

A covariate table has one row per customer, keyed by the customer id (a pandas index, or
the ``customer_id_col`` column in any supported library), as lifelines takes a covariate
frame: numeric and boolean columns are used as they are, text and categorical columns are
one-hot encoded against their first level (``channel`` with levels email, web becomes
``channel=web``), as ``pandas.get_dummies(drop_first=True)`` does.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING, Optional

import numpy as np
import pandas as pd

from .._io import is_table as _is_table

if TYPE_CHECKING:
    from typing_extensions import TypeGuard

    from ..btyd import BTYDFitter, CountModel
    from ..summary.units import TimeUnit

__all__ = ["covariate_table", "effects_table"]

#: Most distinct covariate profiles for which the next purchase date is computed profile by
#: profile (one kernel call each); beyond that (continuous covariates) the column is left
#: empty (NaT) and ``Analysis.skipped`` says why.
MAX_PROFILES = 2000

_Z95 = 1.959963984540054


def covariate_table(covariates: object, index: pd.Index, customer_id_col: str) -> pd.DataFrame:
    """The covariates as float columns aligned with ``index`` (the summary's customer ids).

    Raises
    ------
    TypeError
        ``covariates`` is not a table.
    ValueError
        Duplicate or missing customer ids (a few named), missing values, or a column named
        like a summary column.
    """
    if not _is_table(covariates):
        raise TypeError(
            "covariates must be a table with one row per customer (pandas indexed by customer "
            f"id, or with a {customer_id_col!r} column), got {type(covariates).__name__}"
        )
    frame = _as_pandas(covariates)
    if customer_id_col in frame.columns:
        frame = frame.set_index(customer_id_col)
    if frame.index.has_duplicates:
        dup = frame.index[frame.index.duplicated()].unique()[:5].tolist()
        raise ValueError(f"covariates has several rows for customers {dup}")
    if frame.shape[1] == 0:
        raise ValueError("covariates has no columns besides the customer id")
    encoded = _encode(frame)
    missing = index.difference(encoded.index)
    if len(missing):
        raise ValueError(
            f"covariates lacks {len(missing)} customers of the log, e.g. "
            f"{missing[:5].tolist()}: give every customer a row"
        )
    aligned: pd.DataFrame = encoded.reindex(index)
    bad = ~np.isfinite(aligned.to_numpy(dtype=float))
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(
            f"covariates {aligned.columns[col]!r} is missing or not finite for customer "
            f"{_label(aligned.index[row])!r}"
        )
    return aligned


def _label(value: Hashable) -> object:
    """A customer id as the user wrote it (numpy scalars as Python values)."""
    return value.item() if isinstance(value, np.generic) else value


def _as_pandas(table: object) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame):
        return table
    import narwhals.stable.v1 as nw

    frame = nw.from_native(table, eager_only=True)
    out: pd.DataFrame = frame.to_pandas()
    return out


def _encode(frame: pd.DataFrame) -> pd.DataFrame:
    reserved = {"frequency", "recency", "T", "monetary_value", "n_periods", "total_value"}
    columns: dict[str, pd.Series] = {}
    for name in frame.columns:
        col = frame[name]
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            columns[str(name)] = col.astype(float)
            continue
        dummies = pd.get_dummies(col, prefix=str(name), prefix_sep="=", drop_first=True)
        if col.isna().any():
            first = _label(col.index[col.isna().to_numpy()][0])
            raise ValueError(f"covariates {name!r} is missing for customer {first!r}")
        for d in dummies.columns:
            columns[str(d)] = dummies[d].astype(float)
    clash = sorted(set(columns) & reserved)
    if clash:
        raise ValueError(f"covariates {clash} are named like summary columns: rename them")
    out: pd.DataFrame = pd.DataFrame(columns, index=frame.index)
    return out


# -- the effects table --------------------------------------------------------------------------

#: What each coefficient block moves, in words, by model.
_PROCESS_WORDS = {
    "purchase": "purchase rate",
    "dropout": "chance of leaving",
    "dropout_a": "chance of leaving",
    "dropout_b": "chance of leaving",
    "spend": "spend per purchase",
}


def effects_table(models: Mapping[str, object]) -> Optional[pd.DataFrame]:
    """One row per (process, covariate) of the fitted covariate models: the coefficient,
    its Wald 95% interval and the multiplicative effect of one unit more of the covariate on
    the process's population mean (purchase rate r/alpha, Pareto/NBD dropout rate s/beta,
    BG/NBD dropout probability a/(a+b), mean spend p v/(q-1)). None without covariates."""
    rows = []
    for role in ("transactions", "spend"):
        model = models.get(role)
        coefs = getattr(model, "coefficients_", None)
        if not _is_btyd(model) or coefs is None or len(coefs) == 0:
            continue
        se = model.coefficient_standard_errors_
        for (block, name), g in coefs.items():
            s = float(se[(block, name)])
            rows.append(
                {
                    "model": type(model).__name__,
                    "process": "dropout" if block.startswith("dropout") else block,
                    "block": block,
                    "covariate": name,
                    "coef": float(g),
                    "se": s,
                    "lower 95%": float(g) - _Z95 * s,
                    "upper 95%": float(g) + _Z95 * s,
                    "effect": _effect(model, block, name),
                    "moves": _PROCESS_WORDS.get(block, block),
                }
            )
    if not rows:
        return None
    table: pd.DataFrame = pd.DataFrame(rows)
    return table


def _is_btyd(model: object) -> TypeGuard[BTYDFitter]:
    """A fitted BTYD model (the transaction and spend roles hold one, or nothing)."""
    from ..btyd import BTYDFitter

    return isinstance(model, BTYDFitter)


def _effect(model: BTYDFitter, block: str, name: str) -> float:
    """Factor by which one unit more of ``name`` multiplies the process's mean."""
    coefs = model.coefficients_
    g = float(coefs[(block, name)])
    if block in ("dropout_a", "dropout_b"):
        # Dropout probability p ~ Beta(a, b) with a, b each scaled by exp(g'z): the mean
        # a / (a + b) moves with both coefficients of the covariate.
        a, b = float(model.params_["a"]), float(model.params_["b"])
        ga = float(coefs.get(("dropout_a", name), 0.0))
        gb = float(coefs.get(("dropout_b", name), 0.0))
        a1, b1 = a * math.exp(ga), b * math.exp(gb)
        return (a1 / (a1 + b1)) / (a / (a + b))
    # purchase: alpha exp(-g'z), mean rate r / alpha_i; Pareto/NBD dropout: beta exp(-g'z),
    # mean s / beta_i; spend: v exp(g'z), mean p v_i / (q - 1): all move by exp(g).
    return math.exp(g)


# -- per-customer columns with covariates ------------------------------------------------------


def btyd_columns(
    model: CountModel,
    table: pd.DataFrame,
    cov: pd.DataFrame,
    horizon_units: float,
    label: str,
    unit: TimeUnit,
    observation_end: pd.Timestamp,
) -> pd.DataFrame:
    """The columns of :func:`clmkit.analyze.steps.btyd_columns` for a covariate fit: every
    customer at their own parameters (no pattern compression: covariates differ)."""
    from .patterns import distinct_rows
    from .steps import time_to_one_expected_purchase

    f, r, T = (table[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    z = cov.to_numpy(float)
    out = pd.DataFrame(index=table.index)
    out["p_alive"] = np.asarray(model.p_alive(f, r, T, covariates=z), dtype=float)
    out[f"expected_purchases_{label}"] = np.asarray(
        model.conditional_expected_purchases(horizon_units, f, r, T, covariates=z), dtype=float
    )
    out[f"probability_no_purchase_{label}"] = np.asarray(
        model.conditional_probability_of_n_purchases(horizon_units, 0, f, r, T, covariates=z),
        dtype=float,
    )
    # The next-purchase kernel takes one parameter vector: run it per covariate profile, as
    # a plain model at that profile's parameters.
    first, which = distinct_rows(z)
    profiles = z[first]
    wait = np.full(len(f), np.nan)
    if len(profiles) <= MAX_PROFILES:
        params = np.asarray(model._state.customer_params(np.ascontiguousarray(profiles)))
        for j, p in enumerate(params):
            rows = which == j
            plain = type(model).from_params(dict(zip(model.params_.index, p)))
            wait[rows] = time_to_one_expected_purchase(
                plain, f[rows], r[rows], T[rows], horizon_units
            )
    out["expected_next_purchase"] = (
        pd.Timestamp(observation_end) + pd.to_timedelta(wait * unit.days, unit="D")
    ).round("D")
    result: pd.DataFrame = out
    return result
