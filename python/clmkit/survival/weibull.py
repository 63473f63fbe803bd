"""Weibull accelerated failure time model (lifelines' WeibullAFTFitter parameterisation)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Optional

import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import _core
from .._estimator import JsonValue, finite_float
from .._validation import as_float_array, check_int, check_rows
from ._data import covariance_from_information, design_matrix, per_row_times, summary_frame
from ._persist import (
    FloatArray,
    Label,
    SurvivalEstimator,
    array_field,
    floats,
    int_field,
    json_labels,
    labels_field,
)
from ._regression import Rows, Table, prediction_frame, training_data

__all__ = ["WeibullAFT"]


def _param_index(covariates: Sequence[Label]) -> pd.MultiIndex:
    result: pd.MultiIndex = pd.MultiIndex.from_tuples(
        [("lambda_", c) for c in covariates] + [("lambda_", "Intercept"), ("rho_", "Intercept")],
        names=["param", "covariate"],
    )
    return result


class WeibullAFT(SurvivalEstimator):
    """Weibull AFT model: S(t | x) = exp(-(t / lambda(x))^rho), log lambda(x) = x' beta + b0,
    log rho constant.

    The parameterisation is lifelines' (``lambda_`` and ``rho_`` blocks of ``params_``) and
    equals R's ``survreg(dist="weibull")`` with ``scale = 1 / rho``. The log-likelihood is the
    full one (densities of the event times), comparable with R and lifelines. Fitted by
    Newton-Raphson with step halving on the exact Hessian (covariates centred internally).

    Parameters
    ----------
    alpha : float
        1 - confidence level of the summary's bounds.
    max_iter : int
        Newton iterations before a ConvergenceError.

    Attributes
    ----------
    params_ : pandas.Series
        Indexed by (``param``, ``covariate``): ``("lambda_", <covariate>)``,
        ``("lambda_", "Intercept")`` and ``("rho_", "Intercept")``.
    standard_errors_ : pandas.Series
    variance_matrix_ : pandas.DataFrame
    log_likelihood_ : float
    lambda_, rho_ : pandas.Series
        The two coefficient blocks (log scale).

    Examples
    --------
    >>> import clmkit
    >>> rossi = clmkit.datasets.load_rossi()
    >>> wb = clmkit.WeibullAFT().fit(rossi, duration_col="week", event_col="arrest")
    >>> round(wb.log_likelihood_, 2)
    -679.92
    """

    _FITTED_NAMES = frozenset({"summary"})
    _STATE_FIELDS = frozenset(
        {"covariates", "params", "cov", "log_likelihood", "n_iter", "timeline"}
    )

    def __init__(self, alpha: float = 0.05, max_iter: int = 100) -> None:
        self.alpha = alpha
        self.max_iter = max_iter

    def fit(
        self,
        df: Table,
        duration_col: str,
        event_col: Optional[str] = None,
        weights_col: Optional[str] = None,
    ) -> WeibullAFT:
        """Fit the model; every other column of ``df`` is a numeric covariate.

        Returns
        -------
        WeibullAFT
            self.

        Raises
        ------
        ValueError
            Durations that are not > 0, events other than 0/1, NaN covariates, constant or
            collinear covariates (named), all rows censored.
        TypeError
            Non-numeric covariates.
        clmkit.ConvergenceError
            When Newton's method fails.
        """
        data = training_data(df, duration_col, event_col, weights_col, extra_parameters=2)
        d, e, w, covariates, x = data.durations, data.events, data.weights, data.covariates, data.x
        check_rows(d <= 0, f"duration_col {duration_col!r}", d, "must be > 0 for a Weibull model")
        if not e.any():
            raise ValueError(
                f"event_col {event_col!r}: every row is censored; the model is not identified"
            )
        mean = (
            _core.check_covariates(x, [repr(c) for c in covariates], False, "")
            if covariates
            else np.zeros(0)
        )
        design = np.ascontiguousarray(np.column_stack([x - mean, np.ones(len(d))]))
        k = len(covariates) + 1
        max_iter = check_int(self.max_iter, "max_iter", low=1)
        theta, information, loglik, n_iter = _core.weibull_fit(design, k - 1, d, e, w, max_iter)
        # Undo the centring: b0 = b0_c - mean' beta, a linear map A of (beta, b0_c, alpha).
        a = np.eye(k + 1)
        a[k - 1, : k - 1] = -mean
        params = a @ theta
        cov = a @ covariance_from_information(information.reshape(k + 1, k + 1)) @ a.T
        index = _param_index(covariates)
        self._set_fitted(
            covariates,
            pd.Series(params, index=index, name="coef"),
            cov,
            loglik,
            n_iter,
            np.unique(d),
        )
        self.durations_, self.event_observed_ = d, e
        return self

    def _set_fitted(
        self,
        covariates: list[Label],
        params: pd.Series,
        cov: FloatArray,
        loglik: float,
        n_iter: int,
        timeline: np.ndarray,
    ) -> None:
        self.covariates_ = covariates
        self.params_ = params
        self.variance_matrix_ = pd.DataFrame(cov, index=params.index, columns=params.index)
        self.standard_errors_ = pd.Series(
            np.sqrt(np.diag(cov)), index=params.index, name="se(coef)"
        )
        self.lambda_ = self.params_.loc["lambda_"]
        self.rho_ = self.params_.loc["rho_"]
        self.log_likelihood_ = loglik
        self.n_iter_ = n_iter
        self.converged_ = True
        self._timeline = timeline

    def _fitted_state(self) -> dict[str, JsonValue]:
        """Parameters, covariance and the training timeline (not the training data)."""
        return {
            "covariates": json_labels(self.covariates_),
            "params": floats(self.params_),
            "cov": floats(self.variance_matrix_),
            "log_likelihood": self.log_likelihood_,
            "n_iter": self.n_iter_,
            "timeline": floats(self._timeline),
        }

    def _restore(self, state: Mapping[str, JsonValue]) -> None:
        self._check_state_fields(state)
        self._check_hyper("alpha", 0.0, 1.0)
        try:
            check_int(self.max_iter, "max_iter", low=1)
        except (TypeError, ValueError) as err:
            raise ValueError(f"model JSON: field 'hyperparameters': {err}") from None
        covariates = labels_field(state, "covariates")
        k = len(covariates) + 2
        self._set_fitted(
            covariates,
            pd.Series(array_field(state, "params", k), index=_param_index(covariates), name="coef"),
            array_field(state, "cov", k * k, allow_nan=True).reshape(k, k),
            finite_float(state, "log_likelihood"),
            int_field(state, "n_iter"),
            array_field(state, "timeline", low=0.0),
        )

    @property
    def summary(self) -> pd.DataFrame:
        """coef, exp(coef), se(coef), bounds, z, p and -log2(p) per parameter."""
        self._check_fitted()
        return summary_frame(
            self.params_.index,
            self.params_.to_numpy(),
            self.standard_errors_.to_numpy(),
            self.alpha,
        )

    def _scale_shape(self, X: Rows) -> tuple[pd.Index, FloatArray, float]:
        self._check_fitted()
        frame = prediction_frame(X, self.covariates_)
        x = design_matrix(frame, self.covariates_)
        beta = self.lambda_.drop("Intercept").to_numpy()
        log_lambda = x @ beta + self.lambda_["Intercept"]
        return frame.index, np.exp(log_lambda), math.exp(self.rho_["Intercept"])

    def _survival_at(self, X: Rows, times: npt.ArrayLike) -> FloatArray:
        """S(times | x) with one time (or row of times) per row of X."""
        _, lam, rho = self._scale_shape(X)
        t = per_row_times(times, len(lam))
        s: FloatArray = np.exp(-((t / lam.reshape((-1,) + (1,) * (t.ndim - 1))) ** rho))
        return s

    def predict_cumulative_hazard(
        self,
        X: Rows,
        times: Optional[npt.ArrayLike] = None,
        conditional_after: Optional[npt.ArrayLike] = None,
    ) -> pd.DataFrame:
        """(t / lambda)^rho as a DataFrame indexed by ``times`` (default: the training
        durations), one column per row of X; with ``conditional_after`` c, H(c + t) - H(c)."""
        index, lam, rho = self._scale_shape(X)
        grid = self._timeline if times is None else as_float_array(times, "times", nonnegative=True)
        t = np.broadcast_to(grid, (len(lam), len(grid)))
        c = (
            np.zeros((len(lam), 1))
            if conditional_after is None
            else np.broadcast_to(
                as_float_array(conditional_after, "conditional_after", nonnegative=True),
                (len(lam),),
            )[:, None]
        )
        h = ((t + c) / lam[:, None]) ** rho - (c / lam[:, None]) ** rho
        result: pd.DataFrame = pd.DataFrame(
            h.T, index=pd.Index(grid, name="timeline"), columns=index
        )
        return result

    def predict_survival_function(
        self,
        X: Rows,
        times: Optional[npt.ArrayLike] = None,
        conditional_after: Optional[npt.ArrayLike] = None,
    ) -> pd.DataFrame:
        """S(t | x) = exp(-(t / lambda(x))^rho), indexed by ``times`` with one column per row
        of X; with ``conditional_after`` c, S(c + t | x) / S(c | x).

        Examples
        --------
        >>> import clmkit
        >>> rossi = clmkit.datasets.load_rossi()
        >>> wb = clmkit.WeibullAFT().fit(rossi, "week", "arrest")
        >>> bool((wb.predict_survival_function(rossi.head(3), times=[52]).to_numpy() < 1).all())
        True
        """
        h = self.predict_cumulative_hazard(X, times, conditional_after)
        result: pd.DataFrame = pd.DataFrame(np.exp(-h.to_numpy()), index=h.index, columns=h.columns)
        return result

    def predict_median(self, X: Rows) -> pd.Series:
        """lambda(x) (log 2)^(1 / rho) per row of X."""
        index, lam, rho = self._scale_shape(X)
        result: pd.Series = pd.Series(
            lam * math.log(2.0) ** (1.0 / rho), index=index, name="median"
        )
        return result

    def predict_expectation(self, X: Rows) -> pd.Series:
        """Mean survival time lambda(x) Gamma(1 + 1 / rho) per row of X."""
        index, lam, rho = self._scale_shape(X)
        return pd.Series(lam * math.gamma(1.0 + 1.0 / rho), index=index, name="expectation")
