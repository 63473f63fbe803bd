"""lifetimes' ``save_model`` / ``load_model`` as a checked JSON document (no dill).

lifetimes pickled the whole fitter with dill after swapping the attributes it was told to
drop (``data``, ``generate_new_data``) for placeholders (``values_to_save``). The document
here holds the same state: the native model's versioned JSON (parameters, covariance, time
unit), ``penalizer_coef``, ``params_`` (also when set by hand), lifetimes' ``_scale`` and
``_negative_log_likelihood_``, ``data`` with its dtypes, and the placeholders. The loader
checks every field before using it and raises ValueError naming the field.
"""

from __future__ import annotations

import json
import math
from typing import Any, Optional, Union

import numpy as np
import pandas as pd

from ...._estimator import MAX_DEPTH, MAX_DOCUMENT, finite_float

__all__ = ["FORMAT", "dump", "load"]

FORMAT = "clmkit.compat.lifetimes/2"
# Any below: JSON documents and the fitter's free-form state (values of mixed kinds, each
# checked by field before use; lifetimes lets a placeholder be any scalar).
_PLACEHOLDER_TYPES = (type(None), bool, int, float, str)


def _placeholders(
    save_data: bool, save_method: bool, values: Optional[list[Any]]
) -> dict[str, Any]:
    """lifetimes' rule: ``attr_list = ["data" * (not save_data), "generate_new_data" * (not
    save_generate_data_method)]`` zipped with ``values_to_save`` (default all None)."""
    attrs = ["data" * (not save_data), "generate_new_data" * (not save_method)]
    values = [None] * len(attrs) if values is None else list(values)
    out: dict[str, Any] = {}
    for attr, value in zip(attrs, values):
        if attr:
            if not isinstance(value, _PLACEHOLDER_TYPES):
                raise TypeError(
                    f"values_to_save: the placeholder for {attr!r} must be None, a bool, a "
                    f"number or a string (it is stored as JSON), got {type(value).__name__}"
                )
            out[attr] = value
    return out


def _json_values(values: Any) -> list[Any]:
    """A column or index as JSON values: Python numbers (exact round trip), None for NaN,
    text for anything else (timestamps, objects)."""
    out: list[Any] = []
    for v in values.tolist():
        if isinstance(v, float) and not math.isfinite(v):
            out.append(None)
        elif v is None or isinstance(v, (bool, int, float, str)):
            out.append(v)
        else:
            out.append(str(v))
    return out


def _frame_doc(data: Any) -> Any:
    if isinstance(data, pd.DataFrame):
        return {
            "columns": [str(c) for c in data.columns],
            "dtypes": [str(t) for t in data.dtypes],
            "values": [_json_values(data[c].to_numpy()) for c in data.columns],
            "index": _json_values(data.index.to_numpy()),
        }
    if isinstance(data, np.ndarray):
        return {"array": _json_values(data.reshape(-1))}
    return None


def dump(fitter: Any, path: str, save_data: bool, save_method: bool, values: Any) -> None:
    """Writes ``fitter``'s state to ``path`` (lifetimes' ``save_model`` arguments)."""
    placeholders = _placeholders(save_data, save_method, values)
    params = getattr(fitter, "params_", None)
    # params_ may have been assigned by hand after fitting: the native model follows them.
    model = None if getattr(fitter, "_model", None) is None else fitter._fitted()
    doc = {
        "format": FORMAT,
        "class": type(fitter).__name__,
        "penalizer_coef": float(getattr(fitter, "penalizer_coef", 0.0)),
        "model": None if model is None else json.loads(model.to_json()),
        "params": None if params is None else {str(k): float(v) for k, v in params.items()},
        "scale": _optional(getattr(fitter, "_scale", None)),
        "negative_log_likelihood": _optional(getattr(fitter, "_negative_log_likelihood_", None)),
        "data": None if "data" in placeholders else _frame_doc(getattr(fitter, "data", None)),
        "placeholders": placeholders,
    }
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, allow_nan=False)


def _optional(value: Any) -> Optional[float]:
    return None if value is None else float(value)


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _read(path: str) -> dict[str, Any]:
    with open(path, "rb") as fh:
        raw = fh.read(MAX_DOCUMENT + 1)
    if len(raw) > MAX_DOCUMENT:
        raise ValueError(f"{path} is larger than {MAX_DOCUMENT} bytes: not a saved model")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ValueError(
            f"{path} is not a model saved by clmkit.compat.lifetimes (it is truncated or "
            "not JSON; lifetimes' dill files cannot be read: refit and save again)"
        ) from None
    if _depth(doc) > MAX_DEPTH:
        raise ValueError(f"{path}: the document is nested deeper than {MAX_DEPTH} levels")
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: the document must be a JSON object")
    if doc.get("format") != FORMAT:
        raise ValueError(f"{path}: field 'format' must be {FORMAT!r}, got {doc.get('format')!r}")
    return doc


def _params(doc: dict[str, Any]) -> Optional[pd.Series]:
    params = doc.get("params")
    if params is None:
        return None
    if not isinstance(params, dict):
        raise ValueError("saved model: field 'params' must be an object of numbers")
    for name in params:
        finite_float(params, name)
    series: pd.Series = pd.Series({k: float(v) for k, v in params.items()}, dtype=float)
    return series


def _optional_float(doc: dict[str, Any], field: str, positive: bool) -> Optional[float]:
    if doc.get(field) is None:
        return None
    return finite_float(doc, field, positive=positive)


def _frame(doc: dict[str, Any]) -> Union[np.ndarray, pd.DataFrame, None]:
    data = doc.get("data")
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ValueError("saved model: field 'data' must be an object")
    if "array" in data:
        if not isinstance(data["array"], list):
            raise ValueError("saved model: field 'data.array' must be a list")
        return np.asarray(data["array"])
    columns, dtypes = data.get("columns"), data.get("dtypes")
    values, index = data.get("values"), data.get("index")
    if not (
        isinstance(columns, list)
        and isinstance(dtypes, list)
        and isinstance(values, list)
        and isinstance(index, list)
        and len(columns) == len(dtypes) == len(values)
        and all(isinstance(v, list) and len(v) == len(index) for v in values)
    ):
        raise ValueError(
            "saved model: field 'data' must hold 'columns', 'dtypes', 'values' (one list per "
            "column, as long as 'index') and 'index'"
        )
    try:
        frame: pd.DataFrame = pd.DataFrame(
            {
                str(c): pd.Series(v, dtype=float if t.startswith("float") else None).astype(t)
                for c, t, v in zip(columns, dtypes, values)
            },
        ).set_axis(pd.Index(index), axis=0)
    except (ValueError, TypeError, KeyError) as err:
        raise ValueError(f"saved model: field 'data' cannot be read ({err})") from None
    return frame


def load(fitter: Any, path: str, native: Any) -> None:
    """Restores a document written by :func:`dump` into ``fitter`` (same class)."""
    doc = _read(path)
    if doc.get("class") != type(fitter).__name__:
        raise ValueError(
            f"{path}: field 'class' is {doc.get('class')!r}, not {type(fitter).__name__!r}"
        )
    penalizer = finite_float(doc, "penalizer_coef")
    if penalizer < 0:
        raise ValueError(f"saved model: field 'penalizer_coef' is {penalizer}, must be >= 0")
    placeholders = doc.get("placeholders", {})
    if not isinstance(placeholders, dict) or not set(placeholders) <= {
        "data",
        "generate_new_data",
    }:
        raise ValueError("saved model: field 'placeholders' must map data/generate_new_data")
    if any(not isinstance(v, _PLACEHOLDER_TYPES) for v in placeholders.values()):
        raise ValueError("saved model: field 'placeholders' holds a value that is not a scalar")
    params = _params(doc)
    scale = _optional_float(doc, "scale", positive=True)
    nll = doc.get("negative_log_likelihood")
    if nll is not None and (
        isinstance(nll, bool) or not isinstance(nll, (int, float)) or math.isnan(nll)
    ):
        raise ValueError("saved model: field 'negative_log_likelihood' must be a number")
    model = doc.get("model")
    if model is not None and not isinstance(model, dict):
        raise ValueError("saved model: field 'model' must be an object")
    data = placeholders["data"] if "data" in placeholders else _frame(doc)
    fitted = None if model is None else native.from_json(json.dumps(model))
    # All fields checked: now change the fitter.
    fitter.penalizer_coef = penalizer
    if fitted is not None:
        fitter._adopt(fitted)
    elif params is not None:
        fitter.params_ = params
    if scale is not None:
        fitter._scale = scale
    if nll is not None:
        fitter._negative_log_likelihood_ = float(nll)
    fitter.data = data
    fitter._after_load()
    if "generate_new_data" in placeholders:
        fitter.generate_new_data = placeholders["generate_new_data"]
