"""Weibull accelerated failure time model (lifelines' WeibullAFTFitter parameterisation)."""

from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np
import pandas as pd

from .. import _core
from .._io import to_pandas
from .._validation import as_float_array, check_int, check_rows, require_columns
from ._data import (
    as_frame,
    covariance_from_information,
    design_matrix,
    dump_model,
    frame_column,
    load_model,
    optional_weights,
    per_row_times,
    standardize,
    summary_frame,
)

__all__ = ["WeibullAFT"]


class WeibullAFT:
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

    def __init__(self, alpha: float = 0.05, max_iter: int = 100) -> None:
        self.alpha = alpha
        self.max_iter = max_iter

    def __repr__(self) -> str:
        return f"WeibullAFT(alpha={self.alpha!r}, max_iter={self.max_iter!r})"

    def fit(
        self,
        df: Any,
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
        df = to_pandas(df)
        require_columns(
            list(df.columns),
            {"duration_col": duration_col, "event_col": event_col, "weights_col": weights_col},
        )
        d = frame_column(df, duration_col, "duration_col", nonnegative=True)
        check_rows(d <= 0, f"duration_col {duration_col!r}", d, "must be > 0 for a Weibull model")
        e = np.ones_like(d) if event_col is None else frame_column(df, event_col, "event_col")
        check_rows((e != 0) & (e != 1), f"event_col {event_col!r}", e, "must be 0 or 1")
        if not e.any():
            raise ValueError(
                f"event_col {event_col!r}: every row is censored; the model is not identified"
            )
        w = (
            None
            if weights_col is None
            else optional_weights(df[weights_col], len(d), f"weights_col {weights_col!r}")
        )
        covariates = [c for c in df.columns if c not in {duration_col, event_col, weights_col}]
        x = design_matrix(df, covariates)
        _, mean, _ = (
            standardize(x, covariates, allow_collinear=False)
            if covariates
            else (None, np.zeros(0), None)
        )
        design = np.ascontiguousarray(np.column_stack([x - mean, np.ones(len(d))]))
        k = len(covariates) + 1
        raw = _core.weibull_fit(design, k - 1, d, e, w, check_int(self.max_iter, "max_iter", low=1))
        # Undo the centring: b0 = b0_c - mean' beta, a linear map A of (beta, b0_c, alpha).
        a = np.eye(k + 1)
        a[k - 1, : k - 1] = -mean
        params = a @ raw["params"]
        cov = a @ covariance_from_information(raw["information"].reshape(k + 1, k + 1)) @ a.T
        index = pd.MultiIndex.from_tuples(
            [("lambda_", c) for c in covariates]
            + [("lambda_", "Intercept"), ("rho_", "Intercept")],
            names=["param", "covariate"],
        )
        self._set_fitted(
            covariates,
            pd.Series(params, index=index, name="coef"),
            cov,
            float(raw["log_likelihood"]),
            int(raw["n_iter"]),
            np.unique(d),
        )
        self.durations_, self.event_observed_ = d, e
        return self

    def _set_fitted(
        self,
        covariates: list,
        params: pd.Series,
        cov: np.ndarray,
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

    def to_json(self) -> str:
        """The fitted model as versioned JSON with exact floats; :meth:`from_json` restores it."""
        return dump_model(
            self,
            {
                "covariates": self.covariates_,
                "params": self.params_,
                "cov": self.variance_matrix_.to_numpy(),
                "log_likelihood": self.log_likelihood_,
                "n_iter": self.n_iter_,
                "timeline": self._timeline,
            },
        )

    @classmethod
    def from_json(cls, text: str) -> WeibullAFT:
        """Restores a model saved with :meth:`to_json`."""
        model, st = load_model(cls, text)
        model._set_fitted(
            st["covariates"],
            st["params"],
            st["cov"],
            st["log_likelihood"],
            st["n_iter"],
            st["timeline"],
        )
        return model

    @property
    def summary(self) -> pd.DataFrame:
        """coef, exp(coef), se(coef), bounds, z, p and -log2(p) per parameter."""
        return summary_frame(
            self.params_.index,
            self.params_.to_numpy(),
            self.standard_errors_.to_numpy(),
            self.alpha,
        )

    def _scale_shape(self, X: Any) -> tuple[pd.Index, np.ndarray, float]:
        if not hasattr(self, "params_"):
            raise ValueError("this WeibullAFT is not fitted yet: call fit() first")
        frame = as_frame(X)
        if list(frame.columns) == list(range(frame.shape[1])) and frame.shape[1] == len(
            self.covariates_
        ):
            frame = frame.set_axis(self.covariates_, axis=1)
        require_columns(list(frame.columns), {f"X[{c!r}]": c for c in self.covariates_})
        x = design_matrix(frame, self.covariates_)
        beta = self.lambda_.drop("Intercept").to_numpy()
        log_lambda = x @ beta + self.lambda_["Intercept"]
        return frame.index, np.exp(log_lambda), math.exp(self.rho_["Intercept"])

    def _survival_at(self, X: Any, times: Any) -> np.ndarray:
        """S(times | x) with one time (or row of times) per row of X."""
        _, lam, rho = self._scale_shape(X)
        t = per_row_times(times, len(lam))
        return np.exp(-((t / lam.reshape((-1,) + (1,) * (t.ndim - 1))) ** rho))

    def predict_cumulative_hazard(
        self, X: Any, times: Any = None, conditional_after: Any = None
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
        return pd.DataFrame(h.T, index=pd.Index(grid, name="timeline"), columns=index)

    def predict_survival_function(
        self, X: Any, times: Any = None, conditional_after: Any = None
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
        return np.exp(-self.predict_cumulative_hazard(X, times, conditional_after))

    def predict_median(self, X: Any) -> pd.Series:
        """lambda(x) (log 2)^(1 / rho) per row of X."""
        index, lam, rho = self._scale_shape(X)
        return pd.Series(lam * math.log(2.0) ** (1.0 / rho), index=index, name="median")

    def predict_expectation(self, X: Any) -> pd.Series:
        """Mean survival time lambda(x) Gamma(1 + 1 / rho) per row of X."""
        index, lam, rho = self._scale_shape(X)
        return pd.Series(lam * math.gamma(1.0 + 1.0 / rho), index=index, name="expectation")
