"""Shared input handling of the survival models: duration/event arrays, design matrices
(numeric, finite, not constant, not collinear), step-function lookups and summary tables."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Optional

import numpy as np
import pandas as pd

from .. import _core
from .._io import to_pandas
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


def survival_arrays(
    durations: Any, event_observed: Any, name_d: str = "durations", name_e: str = "event_observed"
) -> tuple[np.ndarray, np.ndarray]:
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


def standardize(
    x: np.ndarray, columns: Sequence[str], allow_collinear: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x - mean) / std as a C-ordered matrix, with the means and standard deviations (ddof=1,
    as pandas and so lifelines, whose penalty acts on covariates scaled by it); computed in
    Rust in parallel.

    Raises a ValueError naming constant columns and (unless ``allow_collinear``, i.e. with a
    penalizer) perfectly collinear ones.
    """
    out = _core.standardize_columns(np.ascontiguousarray(x, dtype=float))
    mean, std = out["mean"], out["std"]
    for j, col in enumerate(columns):
        if not std[j] > 1e-12 * max(1.0, abs(mean[j])):
            raise ValueError(
                f"covariate {col!r} is constant (every row is {x[0, j]!r}); it is "
                "not identifiable next to the baseline / intercept: drop it"
            )
    if not allow_collinear and x.shape[1] > 1:
        _check_collinear(out["gram"].reshape(len(columns), len(columns)), columns)
    return out["z"], mean, std


def _check_collinear(gram: np.ndarray, columns: Sequence[str]) -> None:
    """Regresses each column on the previous ones (normal equations of the Gram matrix); an
    (almost) zero residual names the column and the ones it is a combination of."""
    for j in range(1, len(columns)):
        coef = np.linalg.lstsq(gram[:j, :j], gram[:j, j], rcond=None)[0]
        residual = (gram[j, j] - gram[:j, j] @ coef) / gram[j, j]
        if residual < 1e-10:
            names = [columns[i] for i in range(j) if abs(coef[i]) > 1e-8]
            raise ValueError(
                f"covariates are perfectly collinear: {columns[j]!r} is a linear combination of "
                f"{names}; drop one of them, or fit with a penalizer > 0 (e.g. penalizer=0.01)"
            )


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
    return pd.DataFrame(
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


def covariance_from_information(info: np.ndarray) -> np.ndarray:
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return np.full_like(info, np.nan)
    return 0.5 * (cov + cov.T)


# --- JSON round trip of fitted models ----------------------------------------------------------

_JSON_VERSION = 1


def _encode(v: Any) -> Any:
    """Python/numpy/pandas values as JSON-able trees (floats kept exactly: json writes repr)."""
    if isinstance(v, pd.DataFrame):
        return {
            "__frame__": {
                "index": _encode_index(v.index),
                "columns": _encode_index(v.columns),
                "values": v.to_numpy(dtype=float).tolist(),
            }
        }
    if isinstance(v, pd.Series):
        return {
            "__series__": {
                "index": _encode_index(v.index),
                "name": _encode(v.name),
                "values": v.to_numpy(dtype=float).tolist(),
            }
        }
    if isinstance(v, np.ndarray):
        return {"__array__": v.tolist(), "dtype": str(v.dtype)}
    if isinstance(v, tuple):
        return {"__tuple__": [_encode(x) for x in v]}
    if isinstance(v, list):
        return [_encode(x) for x in v]
    if isinstance(v, dict):
        return {"__dict__": [[_encode(k), _encode(x)] for k, x in v.items()]}
    if isinstance(v, np.generic):
        return v.item()
    return v


def _encode_index(index: pd.Index) -> Any:
    return {
        "names": [_encode(n) for n in index.names],
        "values": [_encode(x) for x in index.tolist()],
        "multi": isinstance(index, pd.MultiIndex),
    }


def _decode_index(d: dict) -> pd.Index:
    values = [_decode(x) for x in d["values"]]
    names = [_decode(n) for n in d["names"]]
    if d["multi"]:
        return pd.MultiIndex.from_tuples(values, names=names)
    return pd.Index(values, name=names[0])


def _decode(v: Any) -> Any:
    if isinstance(v, list):
        return [_decode(x) for x in v]
    if not isinstance(v, dict):
        return v
    if "__frame__" in v:
        f = v["__frame__"]
        return pd.DataFrame(
            np.array(f["values"], dtype=float).reshape(len(f["index"]["values"]), -1),
            index=_decode_index(f["index"]),
            columns=_decode_index(f["columns"]),
        )
    if "__series__" in v:
        s = v["__series__"]
        return pd.Series(
            np.array(s["values"], dtype=float),
            index=_decode_index(s["index"]),
            name=_decode(s["name"]),
        )
    if "__array__" in v:
        return np.array(v["__array__"], dtype=v["dtype"])
    if "__tuple__" in v:
        return tuple(_decode(x) for x in v["__tuple__"])
    if "__dict__" in v:
        return {_decode(k): _decode(x) for k, x in v["__dict__"]}
    return v


def dump_model(model: Any, state: dict) -> str:
    """Versioned JSON of a fitted model: class name, hyperparameters and fitted state."""
    import json

    hyper = {
        k: v
        for k, v in vars(model).items()
        if not k.startswith("_") and not k.endswith("_") and k not in state
    }
    return json.dumps(
        {
            "clmkit_model": type(model).__name__,
            "version": _JSON_VERSION,
            "hyperparameters": _encode(hyper),
            "state": _encode(state),
        }
    )


def load_model(cls: Any, text: str) -> tuple[Any, dict]:
    """A new unfitted ``cls`` with the saved hyperparameters, and the decoded state."""
    import json

    doc = json.loads(text)
    if doc.get("clmkit_model") != cls.__name__:
        raise ValueError(
            f"the JSON holds a {doc.get('clmkit_model')!r} model, not a {cls.__name__}"
        )
    if doc.get("version") != _JSON_VERSION:
        raise ValueError(f"unsupported model JSON version {doc.get('version')!r}")
    return cls(**_decode(doc["hyperparameters"])), _decode(doc["state"])
