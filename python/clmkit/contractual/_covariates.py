"""Covariates on the churn probability of the contractual models (a mixin of their base).

Fader & Hardie (2007, section 6) let the beta distribution of churn probabilities depend on
customer characteristics x through an exponential link:
alpha_i = alpha exp(x_i' gamma_alpha), beta_i = beta exp(x_i' gamma_beta) (c shared). The
fit and the per-customer predictions run in Rust (``src/contractual/covariates.rs``); this
module reads the covariates (column names of the fitted table or a 2-D array), labels the
coefficients and keeps them in the model's JSON.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, ClassVar, Optional, TypedDict, Union

import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import _core
from .._estimator import Estimator, JsonValue, float_list
from .._io import is_table, read
from .._validation import as_float_array
from ..exceptions import InvalidValueError, with_row_label

__all__ = ["CovariateMixin", "Covariates", "covariate_names", "design_matrix"]

#: Customer characteristics: column names of the fitted table (a str or a sequence of str),
#: or the covariates themselves (an n x k array-like, or a DataFrame of any library).
Covariates = object

#: One value per customer: a Series on the caller's index, else an array.
PerCustomer = Union[npt.NDArray[np.float64], "pd.Series[float]"]


class CovariateFit(TypedDict):
    """The covariate fit a model keeps: covariate names, theta (log baseline parameters then
    the coefficients) and its covariance (row-major)."""

    names: list[str]
    theta: list[float]
    covariance: list[float]


_Z95 = 1.959963984540054


def covariate_names(covariates: Covariates) -> Optional[list[str]]:
    """The column names when ``covariates`` names columns (a str or a sequence of str)."""
    if isinstance(covariates, str):
        return [covariates]
    if (
        isinstance(covariates, Sequence)
        and covariates
        and all(isinstance(c, str) for c in covariates)
    ):
        return list(covariates)
    return None


def design_matrix(
    covariates: Covariates, data: object = None, names: Optional[Sequence[str]] = None
) -> tuple[np.ndarray, list[str], Optional[pd.Index]]:
    """(x as a C-contiguous n x k float array, column names, pandas row index or None).

    ``covariates`` is a list of column names of ``data`` (any DataFrame library), a 2-D
    array-like or a DataFrame of the covariates themselves (names from its columns, else
    ``names`` or x0, x1, ...). Non-finite values raise InvalidValueError naming the row label.
    """
    cols = covariate_names(covariates)
    if cols is not None:
        if data is None or not is_table(data):
            raise TypeError(
                "covariates given as column names need a table (data=...); "
                "or pass a 2-D array of covariates"
            )
        table = read(data, {f"covariates[{i}]": c for i, c in enumerate(cols)})
        try:
            columns = [table.numeric(c, "covariates") for c in cols]
        except InvalidValueError as err:
            raise with_row_label(err, table.index) from None
        x = np.column_stack(columns) if columns else np.empty((len(table), 0))
        return np.ascontiguousarray(x, dtype=np.float64), cols, table.index
    if is_table(covariates):
        frame = covariates if isinstance(covariates, pd.DataFrame) else None
        table = read(covariates, {str(c): str(c) for c in _columns_of(covariates)})
        cols = list(table.columns)
        x = np.column_stack([table.numeric(c, "covariates") for c in cols])
        index = frame.index if frame is not None else None
        return np.ascontiguousarray(x, dtype=np.float64), cols, index
    values = np.asarray(covariates, dtype=float)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2:
        raise ValueError(f"covariates must be 2-D (customers x covariates), got {values.ndim}-D")
    k = int(values.shape[1])
    x = as_float_array(values.ravel(), "covariates").reshape(values.shape)
    labels = list(names) if names is not None and len(names) == k else [f"x{j}" for j in range(k)]
    return np.ascontiguousarray(x), labels, None


def _patterns(rows: np.ndarray) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """(distinct rows in order of first appearance, inverse) when there are at most half as
    many distinct rows as rows; None otherwise (compressing would not pay). Each column is
    factorised by hashing and the codes combined into one int64 key (no row sort)."""
    n = len(rows)
    if n < 64:
        return None
    key = np.zeros(n, dtype=np.int64)
    size = 1
    for j in range(rows.shape[1]):
        codes, uniques = pd.factorize(rows[:, j], use_na_sentinel=False)
        if 2 * len(uniques) > n or size * len(uniques) >= 2**62:
            return None  # a near-continuous column, or keys that would overflow
        key = key * len(uniques) + codes
        size *= len(uniques)
    inverse, distinct = pd.factorize(key)
    if 2 * len(distinct) > n:
        return None
    first = np.empty(len(distinct), dtype=np.int64)
    first[inverse[::-1]] = np.arange(n - 1, -1, -1)  # the first row of each pattern
    return rows[first], np.asarray(inverse, dtype=np.int64)


def _columns_of(table: object) -> list[Hashable]:
    columns = getattr(table, "columns", None)
    if columns is None:
        columns = getattr(table, "column_names", [])
    return list(columns)


class CovariateMixin(Estimator):
    """Fit, labels, predictions and persistence of the covariate coefficients."""

    _core_kind: ClassVar[str] = ""
    _param_names: ClassVar[tuple[str, ...]] = ()
    _model: _core.RetentionModel
    _cov: Optional[CovariateFit] = None

    def _fit_covariates(
        self,
        r: np.ndarray,
        e: np.ndarray,
        w: Optional[np.ndarray],
        x: np.ndarray,
        names: list[str],
        index: Optional[pd.Index],
        max_iter: int,
    ) -> dict[str, Any]:  # the baseline's fit info, as the door gives it (see _set_fit)
        """Runs the Rust fit; returns the ``info`` of the baseline for ``_set_fit``."""
        if x.shape[0] != len(r):
            raise ValueError(f"covariates has {x.shape[0]} rows but there are {len(r)} customers")
        if x.shape[1] == 0:
            raise ValueError("covariates: give at least one covariate")
        patterns = _patterns(np.column_stack([r, e, x]))
        if patterns is not None:
            # Customers sharing (renewals, churned, covariates) add the same term to the
            # likelihood: fit the distinct rows with summed weights (exact; categorical
            # covariates turn millions of rows into hundreds). Validate the rows first (the
            # plain fit names a bad row by the caller's label).
            try:
                _core.contractual_fit(self._core_kind, r, e, w, None, 1)
            except InvalidValueError as err:
                raise with_row_label(err, index) from None
            except ValueError:
                pass  # not identified etc.: the full fit below reports it
            rows, inverse = patterns
            counts = np.bincount(inverse, weights=w, minlength=len(rows)).astype(np.float64)
            r, e, w = rows[:, 0].copy(), rows[:, 1].copy(), counts
            x = np.ascontiguousarray(rows[:, 2:])
        try:
            out = _core.contractual_fit_covariates(
                self._core_kind, r, e, w, np.ascontiguousarray(x).ravel(), x.shape[1], max_iter
            )
        except InvalidValueError as err:
            raise with_row_label(err, index) from None
        return self._adopt(out, names)

    def _adopt(self, out: Mapping[str, Any], names: list[str]) -> dict[str, Any]:  # door dicts
        """Keeps theta and its covariance; the baseline info in natural parameters."""
        nb = len(self._param_names)
        theta = np.asarray(out["theta"], dtype=float)
        cov = np.asarray(out["covariance"], dtype=float).reshape(len(theta), len(theta))
        self._cov = {
            "names": list(names),
            "theta": theta.tolist(),
            "covariance": cov.ravel().tolist(),
        }
        base = np.exp(theta[:nb])
        base_cov = cov[:nb, :nb] * np.outer(base, base)  # delta method: d p = p d ln p
        return {
            "params": base.tolist(),
            "covariance": base_cov.ravel().tolist(),
            "standard_errors": np.sqrt(np.diag(base_cov)).tolist(),
            "log_likelihood": out["log_likelihood"],
            "n_iter": out["n_iter"],
            "converged": out["converged"],
            "on_boundary": False,
            "singular_information": out["singular_information"],
            "grad_norm": out["grad_norm"],
            "n_customers": out["n_customers"],
            "n_patterns": len(theta),
        }

    def _label_coefficients(self) -> None:
        """coefficients_ (a Series on a (process, covariate) MultiIndex) and the full
        variance_matrix_ (baseline natural parameters, then the coefficients)."""
        if self._cov is None:
            self.coefficients_ = None
            return
        nb, names = len(self._param_names), self._cov["names"]
        k = len(names)
        theta = np.asarray(self._cov["theta"], dtype=float)
        cov = np.asarray(self._cov["covariance"], dtype=float).reshape(len(theta), len(theta))
        index = pd.MultiIndex.from_tuples(
            [(p, c) for p in ("alpha", "beta") for c in names], names=["process", "covariate"]
        )
        self.coefficients_ = pd.Series(theta[nb:], index=index, name="coef")
        scale = np.concatenate([np.exp(theta[:nb]), np.ones(2 * k)])
        labels = [*self._param_names, *(f"{p}:{c}" for p, c in index)]
        self.variance_matrix_ = pd.DataFrame(
            cov * np.outer(scale, scale), index=labels, columns=labels
        )
        self.covariate_names_ = list(names)

    def _coefficient_rows(self) -> pd.DataFrame:
        """Summary rows of the coefficients: coef, se and a Wald 95% interval."""
        if self._cov is None or self.coefficients_ is None:
            empty: pd.DataFrame = pd.DataFrame(columns=["coef", "se", "lower 95%", "upper 95%"])
            return empty
        nb = len(self._param_names)
        theta = np.asarray(self._cov["theta"], dtype=float)
        cov = np.asarray(self._cov["covariance"], dtype=float).reshape(len(theta), len(theta))
        se = np.sqrt(np.diag(cov))[nb:]
        coef = self.coefficients_.to_numpy()
        labels = [f"{p}:{c}" for p, c in self.coefficients_.index]
        rows: pd.DataFrame = pd.DataFrame(
            {
                "coef": coef,
                "se": se,
                "lower 95%": coef - _Z95 * se,
                "upper 95%": coef + _Z95 * se,
            },
            index=labels,
        )
        return rows

    def individual_params(self, covariates: Covariates, data: object = None) -> pd.DataFrame:
        """Each customer's (alpha_i, beta_i[, c]) from its covariates.

        Parameters
        ----------
        covariates : list of str or 2-D array-like
            Column names of ``data`` or the covariates themselves, in the fitted order.
        data : DataFrame, optional
            The table holding the named columns.
        """
        x, index = self._design(covariates, data)
        theta = np.asarray(self._cov["theta"] if self._cov else [], dtype=float)
        nb, k = len(self._param_names), x.shape[1]
        alpha = np.exp(theta[0] + x @ theta[nb : nb + k])
        beta = np.exp(theta[1] + x @ theta[nb + k :])
        out = {"alpha": alpha, "beta": beta}
        if nb == 3:
            out["c"] = np.full(len(x), math.exp(theta[2]))
        frame: pd.DataFrame = pd.DataFrame(out, index=index)
        return frame

    def _design(
        self, covariates: Covariates, data: object = None
    ) -> tuple[np.ndarray, Optional[pd.Index]]:
        self._check_fitted()
        if self._cov is None:
            raise ValueError(
                f"this {type(self).__name__} was fitted without covariates: drop covariates="
            )
        names = self._cov["names"]
        x, got, index = design_matrix(covariates, data, names)
        if x.shape[1] != len(names):
            raise ValueError(
                f"covariates: the model was fitted on {len(names)} covariates {names}, "
                f"got {x.shape[1]}"
            )
        if covariate_names(covariates) is not None and got != names:
            raise ValueError(f"covariates: expected the columns {names} in that order, got {got}")
        return x, index

    def _rowwise(
        self,
        what: str,
        t: npt.ArrayLike,
        covariates: Covariates,
        data: object = None,
        discount_rate: float = 0.0,
    ) -> tuple[np.ndarray, np.ndarray, Optional[pd.Index]]:
        """(values, DERL truncation bounds, index) of ``what`` per customer at time ``t``
        (a scalar or one value per customer)."""
        x, index = self._design(covariates, data)
        times = np.broadcast_to(np.asarray(t, dtype=float), (x.shape[0],))
        times = np.ascontiguousarray(as_float_array(times, "t", finite=False))
        assert self._cov is not None  # _design checked it
        low = 1.0 if what == "retention_rate" else 0.0
        patterns = None
        if np.all(np.isfinite(times) & (times >= low)):  # else Rust names the bad row
            patterns = _patterns(np.column_stack([times, x]))
        rows_x, rows_t = x, times
        if patterns is not None:  # customers with the same (t, x) get the same value
            rows_t = np.ascontiguousarray(patterns[0][:, 0])
            rows_x = np.ascontiguousarray(patterns[0][:, 1:])
        try:
            v, err = _core.contractual_predict_covariates(
                self._core_kind,
                [float(v) for v in self._cov["theta"]],
                rows_x.ravel(),
                rows_x.shape[1],
                rows_t,
                what,
                float(discount_rate),
            )
        except InvalidValueError as exc:
            raise with_row_label(exc, index) from None
        if patterns is not None:
            v, err = v[patterns[1]], err[patterns[1]]
        return v, err, index

    def _per_customer(
        self,
        what: str,
        t: npt.ArrayLike,
        covariates: Covariates,
        data: object,
        name: str,
        rate: float = 0.0,
    ) -> tuple[PerCustomer, PerCustomer]:
        """(values, DERL truncation bounds): Series on the caller's index, else arrays."""
        v, err, index = self._rowwise(what, t, covariates, data, rate)
        if index is None:
            return v, err
        return pd.Series(v, index=index, name=name), pd.Series(
            err, index=index, name=f"{name}_error"
        )

    def _covariate_state(self) -> Optional[dict[str, JsonValue]]:
        if self._cov is None:
            return None
        cov: list[JsonValue] = [None if math.isnan(v) else v for v in self._cov["covariance"]]
        names: list[JsonValue] = list(self._cov["names"])
        theta: list[JsonValue] = list(self._cov["theta"])
        return {"names": names, "theta": theta, "covariance": cov}

    def _restore_covariates(self, state: JsonValue) -> None:
        if state is None:
            self._cov = None
            return
        listed = state.get("names") if isinstance(state, dict) else None
        if not isinstance(state, dict) or not isinstance(listed, list):
            raise ValueError("model JSON: field 'covariates' must hold names, theta, covariance")
        names = [str(n) for n in listed]
        theta = float_list(state, "theta")
        nb = len(self._param_names)
        if len(theta) != nb + 2 * len(names):
            raise ValueError("model JSON: field 'theta' does not match the covariate names")
        raw = state.get("covariance")
        if not isinstance(raw, list) or len(raw) != len(theta) ** 2:
            raise ValueError("model JSON: field 'covariance' of the covariates has the wrong size")
        cov = [math.nan if v is None else float(v) for v in raw]  # type: ignore[arg-type]
        self._cov = {"names": names, "theta": theta, "covariance": cov}
