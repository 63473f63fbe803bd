"""The JSON state of a fitted CoxPH: what :meth:`CoxPH.to_json` writes and the checked
restore :meth:`CoxPH.from_json` runs (every field named in its error)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Optional, Protocol

import numpy as np
import pandas as pd

from .._estimator import JsonValue, finite_float
from ._persist import FloatArray, Label, array_field, floats, int_field, json_labels, labels_field
from ._regression import Baseline


class FittedCox(Protocol):
    """What the state functions read and set on a :class:`~clmkit.survival.CoxPH` (a protocol
    rather than the class, so this module stays below ``cox`` in the import graph)."""

    strata: Optional[list[str]]
    _strata_values: Optional[pd.Index]
    _concordance: Optional[float]

    @property
    def covariates_(self) -> list[Label]: ...
    @property
    def params_(self) -> pd.Series: ...
    @property
    def variance_matrix_(self) -> pd.DataFrame: ...
    @property
    def standard_errors_(self) -> pd.Series: ...
    @property
    def log_likelihood_(self) -> float: ...
    @property
    def n_iter_(self) -> int: ...
    @property
    def concordance_index_(self) -> float: ...
    @property
    def _norm_mean(self) -> FloatArray: ...
    @property
    def _baseline_raw(self) -> Baseline: ...

    def _set_fitted(
        self,
        covariates: list[Label],
        params: FloatArray,
        cov: FloatArray,
        se: FloatArray,
        loglik: float,
        n_iter: int,
        mean: FloatArray,
        baseline: Baseline,
    ) -> None: ...


STATE_FIELDS = frozenset(
    {
        "covariates",
        "strata",
        "strata_values",
        "params",
        "cov",
        "standard_errors",
        "log_likelihood",
        "n_iter",
        "mean",
        "baseline_stratum",
        "baseline_time",
        "baseline_hazard",
        "concordance",
    }
)


def cox_state(model: FittedCox) -> dict[str, JsonValue]:
    """Coefficients, covariance, Breslow baseline (not the training data; the training
    concordance as a number)."""
    values = model._strata_values
    return {
        "covariates": json_labels(model.covariates_),
        "strata": None if model.strata is None else json_labels(model.strata),
        "strata_values": None if values is None else json_labels(list(values)),
        "params": floats(model.params_),
        "cov": floats(model.variance_matrix_),
        "standard_errors": floats(model.standard_errors_),
        "log_likelihood": model.log_likelihood_,
        "n_iter": model.n_iter_,
        "mean": floats(model._norm_mean),
        "baseline_stratum": [int(v) for v in model._baseline_raw.stratum],
        "baseline_time": floats(model._baseline_raw.time),
        "baseline_hazard": floats(model._baseline_raw.hazard),
        "concordance": model.concordance_index_,
    }


def restore_cox(model: FittedCox, state: Mapping[str, JsonValue]) -> None:
    covariates = labels_field(state, "covariates")
    p = len(covariates)
    strata = None if state.get("strata") is None else labels_field(state, "strata")
    values = None if state.get("strata_values") is None else labels_field(state, "strata_values")
    if (strata is None) != (values is None):
        raise ValueError("model JSON: fields 'strata' and 'strata_values' must both be set")
    time = array_field(state, "baseline_time", low=0.0)
    n = len(time)
    last_code = len(values) - 1 if values is not None else 0
    codes = array_field(state, "baseline_stratum", n, low=0.0, high=last_code)
    model.strata = None if strata is None else [str(s) for s in strata]
    model._strata_values = None if values is None else pd.Index(values)
    model._set_fitted(
        covariates,
        array_field(state, "params", p),
        array_field(state, "cov", p * p, allow_nan=True).reshape(p, p),
        array_field(state, "standard_errors", p, low=0.0, allow_nan=True),
        finite_float(state, "log_likelihood"),
        int_field(state, "n_iter"),
        array_field(state, "mean", p),
        Baseline(codes.astype(np.int64), time, array_field(state, "baseline_hazard", n, low=0.0)),
    )
    c = state.get("concordance")
    # NaN (no comparable pair in training) is kept as NaN; any other value must be finite
    nan = isinstance(c, float) and math.isnan(c)
    model._concordance = math.nan if nan else finite_float(state, "concordance")
