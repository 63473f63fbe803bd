"""Shared input handling of the survival models: duration/event arrays, design matrices
(numeric, finite, not constant, not collinear), step-function lookups and summary tables."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Optional

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._io import to_pandas
from .._validation import as_float_array, check_rows, check_same_length, require_columns
from ._persist import FloatArray, Label

Z95 = 1.959963984540054


def normal_quantile(alpha: float) -> float:
    """z with P(|N(0,1)| > z) = alpha, by bisection on erfc (no scipy at runtime)."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    lo, hi = 0.0, 40.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if math.erfc(mid / math.sqrt(2.0)) > alpha:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def survival_arrays(
    durations: npt.ArrayLike,
    event_observed: Optional[npt.ArrayLike],
    name_d: str = "durations",
    name_e: str = "event_observed",
) -> tuple[FloatArray, FloatArray]:
    """Validated float64 copies-or-views of durations (>= 0) and events (0/1; None = all 1)."""
    d = as_float_array(durations, name_d, nonnegative=True)
    if event_observed is None:
        e = np.ones_like(d)
    else:
        e = as_float_array(event_observed, name_e)
        check_same_length(**{name_d: d, name_e: e})
        check_rows((e != 0) & (e != 1), name_e, e, "must be 0 or 1 (or bool)")
    if len(d) == 0:
        raise ValueError(f"{name_d} is empty")
    return d, e


def optional_weights(
    weights: Optional[npt.ArrayLike], n: int, name: str = "weights"
) -> Optional[FloatArray]:
    if weights is None:
        return None
    w = as_float_array(weights, name)
    check_same_length(durations=np.empty(n), **{name: w})
    check_rows(w <= 0, name, w, "must be > 0")
    return w


def frame_column(df: pd.DataFrame, col: str, arg: str, *, nonnegative: bool = False) -> FloatArray:
    require_columns(list(df.columns), {arg: col})
    s = df[col]
    if not (pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)):
        raise TypeError(f"{arg} {col!r} must be numeric, got dtype {s.dtype}")
    return as_float_array(s, f"{arg} {col!r}", nonnegative=nonnegative)


def design_matrix(df: pd.DataFrame, columns: Sequence[Label]) -> FloatArray:
    """Covariates as a C-ordered float64 matrix; TypeError for non-numeric columns,
    ValueError naming the column and first row with NaN/inf."""
    for col in columns:
        dtype = df[col].dtype
        if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
            raise TypeError(
                f"covariate {col!r} must be numeric, got dtype {dtype}; "
                "encode categories as dummy columns (pandas.get_dummies)"
            )
    try:
        out = np.ascontiguousarray(df[list(columns)].to_numpy(dtype=np.float64, na_value=np.nan))
    except (TypeError, ValueError):
        out = np.column_stack([as_float_array(df[c], f"covariate {c!r}") for c in columns])
    bad = ~np.isfinite(out)
    if bad.any():
        j = int(np.argmax(bad.any(axis=0)))
        as_float_array(df[columns[j]], f"covariate {columns[j]!r}")  # raises naming the row
    return out.reshape(len(df), len(columns))


def as_frame(X: object, name: str = "X") -> pd.DataFrame:
    """Rows to predict for as a frame: a Series is one row, a 1-d array one row of values."""
    if isinstance(X, pd.Series):
        row: pd.DataFrame = X.to_frame().T
        return row
    if isinstance(X, pd.DataFrame):
        return X
    if isinstance(X, (np.ndarray, list, tuple)):
        arr = np.asarray(X)
        if arr.ndim == 1:
            arr = arr.reshape(1, -1)
        result: pd.DataFrame = pd.DataFrame(arr)
        return result
    frame: pd.DataFrame = to_pandas(X)
    return frame


def step_lookup(
    times: FloatArray, values: FloatArray, at: npt.ArrayLike, before: float
) -> FloatArray:
    """Right-continuous step function: value at the last time <= `at` (`before` earlier)."""
    k = np.searchsorted(times, at, side="right") - 1
    return np.where(k >= 0, values[np.clip(k, 0, None)], before).astype(np.float64, copy=False)


def per_row_times(times: npt.ArrayLike, n: int, name: str = "times") -> FloatArray:
    """Times as an (n,) or (n, m) float array: a scalar applies to every row."""
    t = np.array(times, dtype=float)
    if t.ndim == 0:
        return np.full(n, float(t))
    if t.shape[0] != n:
        raise ValueError(f"{name} has {t.shape[0]} rows but X has {n}")
    check_rows(~np.isfinite(t) | (t < 0), name, t, "must be finite and >= 0")
    return t


def summary_frame(index: pd.Index, coef: FloatArray, se: FloatArray, alpha: float) -> pd.DataFrame:
    """lifelines' summary columns; p-values from the normal distribution via math.erfc."""
    z_crit = normal_quantile(alpha)
    pct = round(100 * (1 - alpha))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = coef / se
    p = np.array([math.erfc(abs(v) / math.sqrt(2.0)) if np.isfinite(v) else np.nan for v in z])
    lo, hi = coef - z_crit * se, coef + z_crit * se
    with np.errstate(divide="ignore"):
        log2p = -np.log2(p)
    frame: pd.DataFrame = pd.DataFrame(
        {
            "coef": coef,
            "exp(coef)": np.exp(coef),
            "se(coef)": se,
            f"coef lower {pct}%": lo,
            f"coef upper {pct}%": hi,
            f"exp(coef) lower {pct}%": np.exp(lo),
            f"exp(coef) upper {pct}%": np.exp(hi),
            "z": z,
            "p": p,
            "-log2(p)": log2p,
        },
        index=index,
    )
    return frame


def covariance_from_information(info: FloatArray) -> FloatArray:
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return np.full_like(info, np.nan)
    return np.asarray(0.5 * (cov + cov.T), dtype=np.float64)
