"""Shared input handling of the survival models: duration/event arrays, design matrices
(numeric, finite, not constant, not collinear), step-function lookups and summary tables."""

from __future__ import annotations

import math
from typing import Any, Optional, Sequence

import numpy as np
import pandas as pd

from .._frames import to_pandas
from .._validation import as_float_array, check_rows, check_same_length, require_columns

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


def survival_arrays(durations: Any, event_observed: Any, name_d: str = "durations",
                    name_e: str = "event_observed") -> tuple[np.ndarray, np.ndarray]:
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


def optional_weights(weights: Any, n: int, name: str = "weights") -> Optional[np.ndarray]:
    if weights is None:
        return None
    w = as_float_array(weights, name)
    check_same_length(durations=np.empty(n), **{name: w})
    check_rows(w <= 0, name, w, "must be > 0")
    return w


def frame_column(df: pd.DataFrame, col: str, arg: str, *, nonnegative: bool = False) -> np.ndarray:
    require_columns(list(df.columns), {arg: col})
    s = df[col]
    if not (pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)):
        raise TypeError(f"{arg} {col!r} must be numeric, got dtype {s.dtype}")
    return as_float_array(s, f"{arg} {col!r}", nonnegative=nonnegative)


def design_matrix(df: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Covariates as a C-ordered float64 matrix; TypeError for non-numeric columns,
    ValueError naming the column and first row with NaN/inf."""
    out = np.empty((len(df), len(columns)))
    for j, col in enumerate(columns):
        s = df[col]
        if not (pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)):
            raise TypeError(f"covariate {col!r} must be numeric, got dtype {s.dtype}; "
                            "encode categories as dummy columns (pandas.get_dummies)")
        out[:, j] = as_float_array(s, f"covariate {col!r}")
    return out


def check_identifiable(x: np.ndarray, columns: Sequence[str], allow_collinear: bool) -> tuple[np.ndarray, np.ndarray]:
    """Means and standard deviations of the columns; raises for constant columns and (unless
    ``allow_collinear``, i.e. with a penalizer) for perfectly collinear ones."""
    mean = x.mean(axis=0)
    # ddof=1 as pandas (and so lifelines, whose penalty acts on covariates scaled by it)
    std = x.std(axis=0, ddof=1 if len(x) > 1 else 0)
    for j, col in enumerate(columns):
        if not std[j] > 1e-12 * max(1.0, abs(mean[j])):
            raise ValueError(f"covariate {col!r} is constant (every row is {x[0, j]!r}); it is "
                             "not identifiable next to the baseline / intercept: drop it")
    if allow_collinear or x.shape[1] < 2:
        return mean, std
    z = (x - mean) / std
    corr = z.T @ z / len(z)
    for j in range(1, len(columns)):
        prev = corr[:j, :j]
        coef = np.linalg.lstsq(prev, corr[:j, j], rcond=None)[0]
        residual = (corr[j, j] - corr[:j, j] @ coef) / corr[j, j]
        if residual < 1e-10:
            names = [columns[i] for i in range(j) if abs(coef[i]) > 1e-8]
            raise ValueError(
                f"covariates are perfectly collinear: {columns[j]!r} is a linear combination of "
                f"{names}; drop one of them, or fit with a penalizer > 0 (e.g. penalizer=0.01)")
    return mean, std


def as_frame(X: Any, name: str = "X") -> pd.DataFrame:
    if isinstance(X, pd.Series):
        return X.to_frame().T
    if isinstance(X, pd.DataFrame):
        return X
    if isinstance(X, (np.ndarray, list, tuple)):
        arr = np.asarray(X)
        if arr.ndim == 1:
            arr = arr.reshape(1, -1)
        return pd.DataFrame(arr)
    return to_pandas(X)


def step_lookup(times: np.ndarray, values: np.ndarray, at: np.ndarray, before: float) -> np.ndarray:
    """Right-continuous step function: value at the last time <= `at` (`before` earlier)."""
    k = np.searchsorted(times, at, side="right") - 1
    return np.where(k >= 0, values[np.clip(k, 0, None)], before)


def per_row_times(times: Any, n: int, name: str = "times") -> np.ndarray:
    """Times as an (n,) or (n, m) float array: a scalar applies to every row."""
    t = np.array(times, dtype=float)
    if t.ndim == 0:
        return np.full(n, float(t))
    if t.shape[0] != n:
        raise ValueError(f"{name} has {t.shape[0]} rows but X has {n}")
    check_rows(~np.isfinite(t) | (t < 0), name, t, "must be finite and >= 0")
    return t


def summary_frame(index: Any, coef: np.ndarray, se: np.ndarray, alpha: float) -> pd.DataFrame:
    """lifelines' summary columns; p-values from the normal distribution via math.erfc."""
    z_crit = normal_quantile(alpha)
    pct = round(100 * (1 - alpha))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = coef / se
    p = np.array([math.erfc(abs(v) / math.sqrt(2.0)) if np.isfinite(v) else np.nan for v in z])
    lo, hi = coef - z_crit * se, coef + z_crit * se
    with np.errstate(divide="ignore"):
        log2p = -np.log2(p)
    return pd.DataFrame({
        "coef": coef, "exp(coef)": np.exp(coef), "se(coef)": se,
        f"coef lower {pct}%": lo, f"coef upper {pct}%": hi,
        f"exp(coef) lower {pct}%": np.exp(lo), f"exp(coef) upper {pct}%": np.exp(hi),
        "z": z, "p": p, "-log2(p)": log2p,
    }, index=index)


def covariance_from_information(info: np.ndarray) -> np.ndarray:
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return np.full_like(info, np.nan)
    return 0.5 * (cov + cov.T)
