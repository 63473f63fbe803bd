"""The shared base of the contractual retention models (shifted-beta-geometric and
beta-discrete-Weibull) on the :class:`clmkit._estimator.Estimator` base.

The fit, the predictions and the DERL series run in the Rust core
(``src/contractual/``) with the GIL released; this module reads the caller's data, names
bad rows by their index label, and shapes results.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, ClassVar, Optional, TypeVar, Union

import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import _core
from .._estimator import JsonValue, finite_float, float_list
from .._io import is_table, read
from .._validation import as_float_array, check_initial_params
from ..exceptions import ClmkitWarning, InvalidValueError, with_row_label
from ._covariates import CovariateMixin, Covariates, covariate_names, design_matrix
from ._predict import RetentionPredictions

__all__ = ["RetentionModelBase"]

#: The model ``fit`` returns: the caller's own class (fit returns self).
_Model = TypeVar("_Model", bound="RetentionModelBase")

_Z95 = 1.959963984540054
Survivors = Union[Sequence[float], np.ndarray, Mapping[Hashable, Sequence[float]], pd.DataFrame]


def _survivor_arrays(survivors: Survivors) -> tuple[list[Hashable], list[np.ndarray]]:
    """Cohort labels and survivor count arrays: one sequence, a mapping of them, or the
    cohort x period table of :func:`cohort_survivors` (NaN beyond a cohort's horizon)."""
    if isinstance(survivors, pd.DataFrame):
        rows = [(label, row.dropna().to_numpy(np.float64)) for label, row in survivors.iterrows()]
    elif isinstance(survivors, Mapping):
        rows = [(k, as_float_array(v, f"survivors[{k!r}]")) for k, v in survivors.items()]
    else:
        rows = [(0, as_float_array(survivors, "survivors"))]
    return [r[0] for r in rows], [np.ascontiguousarray(r[1]) for r in rows]


class RetentionModelBase(CovariateMixin, RetentionPredictions):
    """Shared surface of the contractual models (not used directly)."""

    _core_kind: ClassVar[str] = ""
    _param_names: ClassVar[tuple[str, ...]] = ()
    #: per_cohort=True: a model per cohort label (set by fit)
    cohort_models_: dict[Hashable, RetentionModelBase]

    def __init__(
        self,
        initial_params: Optional[Sequence[float]] = None,
        max_iter: int = 100,
        per_cohort: bool = False,
    ) -> None:
        self.initial_params = initial_params
        self.max_iter = max_iter
        self.per_cohort = per_cohort

    # ------------------------------------------------------------------ fitting
    def fit(
        self: _Model,
        data: object = None,
        *,
        renewals: Optional[npt.ArrayLike] = None,
        churned: Optional[npt.ArrayLike] = None,
        weights: Union[str, npt.ArrayLike, None] = None,
        survivors: Optional[Survivors] = None,
        cohort_col: Optional[str] = "cohort",
        covariates: Covariates = None,
    ) -> _Model:
        """Maximum likelihood fit from individual censored tenures or cohort survivors.

        Parameters
        ----------
        data : DataFrame, optional
            A table with ``renewals`` and ``churned`` columns, e.g. from
            :func:`clmkit.summarize_subscriptions` (pandas, polars or pyarrow).
        renewals, churned : array-like, optional
            Instead of ``data``: renewals observed per customer (whole numbers) and whether
            the customer churned (1) or is still active (0, right-censored).
        weights : str or array-like, optional
            Customer weights (a column name of ``data`` or an array).
        survivors : sequence, mapping or DataFrame, optional
            Instead of customers: survivor counts n_0 >= n_1 >= ... of one cohort, a mapping
            cohort -> counts, or :func:`cohort_survivors`' table. Cohorts share parameters.
        cohort_col : str, optional
            With ``per_cohort=True``, the column of ``data`` holding the cohort.
        covariates : list of str or 2-D array-like, optional
            Customer characteristics that shift the churn probability (Fader & Hardie 2007,
            section 6): column names of ``data`` or an (n customers x k) array / DataFrame.
            alpha_i = alpha exp(x_i' gamma_alpha) and beta_i = beta exp(x_i' gamma_beta);
            ``params_`` are then those of a customer with x = 0 and ``coefficients_`` the
            gammas (a Series on a (process, covariate) MultiIndex, process "alpha" or
            "beta"). Individual customers only (not survivors, not ``per_cohort``).

        Returns
        -------
        self

        Raises
        ------
        InvalidValueError
            Renewals that are not whole numbers >= 0, churned not 0/1, negative weights or
            growing survivor counts (naming the row label).
        ValueError
            No data, or no customer churned (the model is not identified).
        """
        max_iter = int(self.max_iter)
        if max_iter < 1:
            raise ValueError(f"max_iter must be >= 1, got {self.max_iter!r}")
        initial = self._checked_initial()
        cohorts: Optional[np.ndarray] = None
        self._cov = None
        if covariates is not None:
            if survivors is not None or self.per_cohort:
                raise TypeError(
                    "covariates need individual customers (data or renewals/churned), "
                    "not survivors or per_cohort=True"
                )
            r, e, w, index, _ = self._customer_arrays(data, renewals, churned, weights, None)
            x, names, _ = design_matrix(covariates, data)
            if covariate_names(covariates) is None and isinstance(covariates, pd.DataFrame):
                index = covariates.index if index is None else index
            info = self._fit_covariates(r, e, w, x, names, index, max_iter)
            self._set_fit(_core.RetentionModel(self._core_kind, info["params"]), info)
            return self
        if survivors is not None:
            if data is not None or renewals is not None:
                raise TypeError("give survivors or customers (data / renewals), not both")
            labels, arrays = _survivor_arrays(survivors)
            model, info = _core.contractual_fit_survivors(
                self._core_kind, arrays, initial, max_iter
            )
            if self.per_cohort:
                self.cohort_models_ = {
                    lab: self._sub_fit(survivors=arr) for lab, arr in zip(labels, arrays)
                }
        else:
            r, e, w, index, cohorts = self._customer_arrays(
                data, renewals, churned, weights, cohort_col if self.per_cohort else None
            )
            try:
                model, info = _core.contractual_fit(self._core_kind, r, e, w, initial, max_iter)
            except InvalidValueError as err:
                raise with_row_label(err, index) from None
            if self.per_cohort:
                if cohorts is None:
                    raise ValueError("per_cohort=True needs a cohort column (cohort_col) in data")
                self.cohort_models_ = {
                    c: self._sub_fit(
                        renewals=r[cohorts == c],
                        churned=e[cohorts == c],
                        weights=None if w is None else w[cohorts == c],
                    )
                    for c in pd.unique(cohorts)
                }
        self._set_fit(model, info)
        return self

    def _sub_fit(
        self: _Model,
        *,
        survivors: Optional[Survivors] = None,
        renewals: Optional[npt.ArrayLike] = None,
        churned: Optional[npt.ArrayLike] = None,
        weights: Optional[npt.ArrayLike] = None,
    ) -> _Model:
        """One cohort's model, fitted with this model's settings."""
        sub = type(self)(initial_params=self.initial_params, max_iter=self.max_iter)
        return sub.fit(survivors=survivors, renewals=renewals, churned=churned, weights=weights)

    def _checked_initial(self) -> Optional[list[float]]:
        return check_initial_params(self.initial_params, self._param_names)

    @staticmethod
    def _customer_arrays(
        data: object,
        renewals: Optional[npt.ArrayLike],
        churned: Optional[npt.ArrayLike],
        weights: Union[str, npt.ArrayLike, None],
        cohort_col: Optional[str],
    ) -> tuple[
        np.ndarray, np.ndarray, Optional[np.ndarray], Optional[pd.Index], Optional[np.ndarray]
    ]:
        cohorts = None
        if data is not None:
            if not is_table(data):
                raise TypeError(
                    f"data must be a DataFrame with renewals and churned, got {type(data).__name__}"
                )
            if renewals is not None or churned is not None:
                raise TypeError("give either data or renewals/churned arrays, not both")
            need: dict[str, Optional[str]] = {"renewals": "renewals", "churned": "churned"}
            if isinstance(weights, str):
                need["weights"] = weights
            if cohort_col is not None:  # only with per_cohort=True; a missing column is named
                need["cohort_col"] = cohort_col
            table = read(data, need)
            index = table.index
            r = table.numeric("renewals", "renewals", finite=False)
            e = table.numeric("churned", "churned", finite=False)
            w = (
                None
                if weights is None
                else (
                    table.numeric(weights, "weights", finite=False)
                    if isinstance(weights, str)
                    else as_float_array(weights, "weights", finite=False)
                )
            )
            if cohort_col is not None:
                cohorts = table.frame[cohort_col].to_numpy()
            return r, e, w, index, cohorts
        if renewals is None or churned is None:
            raise TypeError("fit needs data, renewals and churned, or survivors")
        index = renewals.index if isinstance(renewals, pd.Series) else None
        r = as_float_array(renewals, "renewals", finite=False)
        e = as_float_array(np.asarray(churned, dtype=float), "churned", finite=False)
        w = None if weights is None else as_float_array(weights, "weights", finite=False)
        return r, e, w, index, cohorts

    def _set_fit(
        self,
        model: _core.RetentionModel,
        info: Mapping[str, Any],  # the door's fit info: numbers, flags and lists by name
    ) -> None:
        names = list(self._param_names)
        k = len(names)
        self._model = model
        self.params_ = pd.Series(info["params"], index=names, name="coef", dtype=float)
        self.standard_errors_ = pd.Series(info["standard_errors"], index=names, name="se")
        cov = np.asarray(info["covariance"], dtype=float).reshape(k, k)
        self.variance_matrix_ = pd.DataFrame(cov, index=names, columns=names)
        self.log_likelihood_ = float(info["log_likelihood"])
        self.n_iter_ = int(info["n_iter"])
        self.converged_ = bool(info["converged"])
        self.on_boundary_ = bool(info["on_boundary"])
        self.n_customers_ = float(info["n_customers"])
        self.aic_ = 2.0 * k - 2.0 * self.log_likelihood_
        self.bic_ = k * math.log(max(self.n_customers_, 1.0)) - 2.0 * self.log_likelihood_
        self._info = dict(info)
        self._label_coefficients()
        problems = []
        if not self.converged_:
            problems.append(f"Newton's method did not converge in {self.n_iter_} iterations")
        if self.on_boundary_:
            problems.append("a parameter ended on the boundary (> 1e6 or < 1e-6)")
        if info["singular_information"]:
            problems.append("the information matrix is singular (no standard errors)")
        if problems:
            warnings.warn(
                f"{type(self).__name__} fit: {'; '.join(problems)}. The likelihood is flat "
                f"towards the edge of the parameter space (e.g. customers who all share one "
                f"churn probability); estimates {self.params_.round(6).to_dict()} are not "
                "reliable.",
                ClmkitWarning,
                stacklevel=3,
            )

    @property
    def summary(self) -> pd.DataFrame:
        """coef, se and a 95% interval per parameter (log-scale Wald interval, so positive)."""
        self._check_fitted()
        spread = np.exp(_Z95 * self.standard_errors_ / self.params_)
        table: pd.DataFrame = pd.DataFrame(
            {
                "coef": self.params_,
                "se": self.standard_errors_,
                "lower 95%": self.params_ / spread,
                "upper 95%": self.params_ * spread,
            }
        )
        if self._cov is None:
            return table
        # coefficients (log-link, so coef +- 1.96 se) after the baseline parameters
        both: pd.DataFrame = pd.concat([table, self._coefficient_rows()])
        return both

    # ------------------------------------------------------------------ persistence
    def _is_fitted(self) -> bool:
        return getattr(self, "_model", None) is not None

    def _fitted_state(self) -> dict[str, JsonValue]:
        info: dict[str, JsonValue] = {
            k: v for k, v in self._info.items() if k not in ("covariance", "standard_errors")
        }
        info["covariance"] = [None if math.isnan(v) else v for v in self._info["covariance"]]
        covariates = self._covariate_state()
        if covariates is not None:
            info["covariates"] = covariates
        if getattr(self, "cohort_models_", None):
            info["cohorts"] = {str(k): m._fitted_state() for k, m in self.cohort_models_.items()}
        return info

    def _restore(self, state: Mapping[str, JsonValue]) -> None:
        params = float_list(state, "params")
        if len(params) != len(self._param_names) or min(params) <= 0:
            raise ValueError(
                f"model JSON: field 'params' must be {len(self._param_names)} values > 0"
            )
        cov_raw = state.get("covariance")
        if not isinstance(cov_raw, list) or len(cov_raw) != len(params) ** 2:
            raise ValueError("model JSON: field 'covariance' has the wrong size")
        cov = [math.nan if v is None else float(v) for v in cov_raw]  # type: ignore[arg-type]
        info: dict[str, Any] = {  # shaped as the door's fit info, for _set_fit
            "params": params,
            "covariance": cov,
            "standard_errors": [math.sqrt(cov[j * len(params) + j]) for j in range(len(params))],
            "log_likelihood": finite_float(state, "log_likelihood"),
            "n_iter": int(finite_float(state, "n_iter")),
            "n_customers": finite_float(state, "n_customers"),
            "n_patterns": int(finite_float(state, "n_patterns")),
            "grad_norm": float(state.get("grad_norm") or 0.0),  # type: ignore[arg-type]
        }
        for flag in ("converged", "on_boundary", "singular_information"):
            if not isinstance(state.get(flag), bool):
                raise ValueError(f"model JSON: field {flag!r} must be true or false")
            info[flag] = state[flag]
        self._restore_covariates(state.get("covariates"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ClmkitWarning)
            self._set_fit(_core.RetentionModel(self._core_kind, params), info)
        cohorts = state.get("cohorts")
        if isinstance(cohorts, dict):
            self.cohort_models_ = {}
            for label, sub in cohorts.items():
                if not isinstance(sub, dict):
                    raise ValueError("model JSON: field 'cohorts' must hold objects")
                model = type(self)(initial_params=self.initial_params, max_iter=self.max_iter)
                model._restore(sub)
                self.cohort_models_[label] = model
