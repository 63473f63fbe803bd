"""Cox proportional hazards model (semi-parametric, Breslow baseline)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Optional, Union

import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import _core
from .._estimator import JsonValue
from .._validation import as_float_array, check_choice, check_int, check_positive_float
from ._cox_state import STATE_FIELDS, cox_state, restore_cox
from ._data import design_matrix, normal_quantile, per_row_times, step_lookup, summary_frame
from ._persist import (
    FloatArray,
    Label,
    SurvivalEstimator,
)
from ._regression import Baseline, Rows, Table, prediction_frame, strata_codes, training_data

__all__ = ["CoxPH"]


class CoxPH(SurvivalEstimator):
    """Cox proportional hazards model, h(t | x) = h0(t) exp((x - mean)' beta), with lifelines'
    conventions.

    Fitted by Newton-Raphson with step halving on the partial likelihood; the risk-set sums run
    in Rust in O(n p^2) after one O(n log n) sort. Reproduces R's ``survival::coxph``
    coefficients, standard errors and partial log-likelihood (Efron or Breslow ties).

    Parameters
    ----------
    ties : {"efron", "breslow"}
        Handling of tied event times.
    penalizer : float
        Elastic-net strength (lifelines' definition): the objective subtracts
        ``n * penalizer * sum(l1_ratio * |b| + 0.5 * (1 - l1_ratio) * b**2)`` where b are the
        coefficients of the STANDARDISED covariates. |b| is smoothed as
        ``(log(1 + e^{-ab}) + log(1 + e^{ab})) / a`` with a = 1000, so coefficients the lasso
        would zero come out below ~1e-3 in standardised units rather than exactly 0. A small
        penalizer (e.g. 0.01) also makes collinear covariates fittable.
    l1_ratio : float
        Share of the L1 part, in [0, 1].
    alpha : float
        1 - confidence level of the summary's bounds.
    max_iter : int
        Newton iterations before a ConvergenceError.

    Attributes
    ----------
    params_, hazard_ratios_, standard_errors_ : pandas.Series
        Coefficients, exp(coefficients), standard errors (inverse observed information).
    variance_matrix_ : pandas.DataFrame
    log_likelihood_ : float
        Partial log-likelihood at the fit, minus the penalty (as lifelines reports it).
    concordance_index_ : float
        Harrell's C of the training data (higher partial hazard = shorter survival).
    baseline_hazard_, baseline_cumulative_hazard_, baseline_survival_ : pandas.DataFrame
        Breslow estimates at the mean covariates, one column per stratum.
    n_iter_ : int
    converged_ : bool

    Examples
    --------
    >>> import clmkit
    >>> rossi = clmkit.datasets.load_rossi()
    >>> cox = clmkit.CoxPH().fit(rossi, duration_col="week", event_col="arrest")
    >>> round(float(cox.params_["prio"]), 4), round(cox.concordance_index_, 2)
    (0.0915, 0.64)
    """

    _FITTED_NAMES = frozenset({"summary"})
    _STATE_FIELDS = STATE_FIELDS

    strata: Optional[list[str]]
    _strata_values: Optional[pd.Index]
    _concordance: Optional[float]
    params_: pd.Series
    standard_errors_: pd.Series
    variance_matrix_: pd.DataFrame
    covariates_: list[Label]

    def __init__(
        self,
        ties: str = "efron",
        penalizer: float = 0.0,
        l1_ratio: float = 0.0,
        alpha: float = 0.05,
        max_iter: int = 100,
    ) -> None:
        self.ties = ties
        self.penalizer = penalizer
        self.l1_ratio = l1_ratio
        self.alpha = alpha
        self.max_iter = max_iter

    def fit(
        self,
        df: Table,
        duration_col: str,
        event_col: Optional[str] = None,
        weights_col: Optional[str] = None,
        strata: Union[str, Sequence[str], None] = None,
    ) -> CoxPH:
        """Fit the model on a table with one row per subject.

        Parameters
        ----------
        df : DataFrame (pandas, polars or pyarrow)
            Every column other than the duration, event, weights and strata columns is a
            covariate and must be numeric.
        duration_col, event_col : str
            Durations (>= 0) and events (0/1; ``None`` = all events).
        weights_col : str, optional
            Positive case weights.
        strata : str or list of str, optional
            Columns whose combinations get separate baseline hazards.

        Returns
        -------
        CoxPH
            self.

        Raises
        ------
        ValueError
            Bad durations/events/weights, NaN covariates (column and row), constant or
            perfectly collinear covariates (named; a penalizer is the alternative), all rows
            censored, unknown columns.
        TypeError
            Non-numeric covariates.
        clmkit.ConvergenceError
            When Newton's method fails (the message gives the step and a penalizer hint).
        """
        penalizer, l1 = self._check_options()
        strata = [strata] if isinstance(strata, str) else list(strata or [])
        data = training_data(df, duration_col, event_col, weights_col, strata)
        if not data.covariates:
            raise ValueError(
                "df has no covariate column besides the duration/event/weights/strata columns"
            )
        if not data.events.any():
            raise ValueError(
                f"event_col {event_col!r}: every row is censored; the Cox model has no information"
            )
        codes, values = (None, None) if not strata else strata_codes(data.frame, strata)
        fit = _core.cox_fit(
            data.x,
            [repr(c) for c in data.covariates],
            data.durations,
            data.events,
            data.weights,
            codes,
            self.ties,
            penalizer,
            l1,
            check_int(self.max_iter, "max_iter", low=1),
        )
        p = len(data.covariates)
        self.strata, self._strata_values = strata or None, values
        self._set_fitted(
            data.covariates,
            fit.params,
            fit.covariance.reshape(p, p),
            fit.standard_errors,
            fit.log_likelihood,
            fit.n_iter,
            fit.mean,
            Baseline(fit.baseline_stratum, fit.baseline_time, fit.baseline_hazard),
        )
        self._train_log_hazard = fit.train_log_hazard
        self._concordance = None
        self.durations_, self.event_observed_ = data.durations, data.events
        return self

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
    ) -> None:
        names = pd.Index(covariates, name="covariate")
        self.covariates_ = covariates
        self.params_ = pd.Series(params, index=names, name="coef")
        with np.errstate(over="ignore"):  # a coefficient per tiny unit: exp is inf, honestly
            self.hazard_ratios_ = pd.Series(np.exp(params), index=names, name="exp(coef)")
        self.variance_matrix_ = pd.DataFrame(cov, index=names, columns=names)
        self.standard_errors_ = pd.Series(se, index=names, name="se(coef)")
        self.log_likelihood_ = loglik
        self.n_iter_ = n_iter
        self.converged_ = True
        self._norm_mean = mean
        self._baseline_raw = baseline
        self._baseline = baseline.cumulative()
        self._baseline_frames: Optional[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]] = None

    def _fitted_state(self) -> dict[str, JsonValue]:
        """Coefficients, covariance, Breslow baseline (not the training data; the training
        concordance as a number)."""
        return cox_state(self)

    def _restore(self, state: Mapping[str, JsonValue]) -> None:
        self._check_state_fields(state)
        try:
            self._check_options()
        except (TypeError, ValueError) as err:
            raise ValueError(f"model JSON: field 'hyperparameters': {err}") from None
        restore_cox(self, state)

    def _check_options(self) -> tuple[float, float]:
        check_choice(self.ties, "ties", ["efron", "breslow"])
        penalizer = check_positive_float(self.penalizer, "penalizer", allow_zero=True)
        l1 = check_positive_float(self.l1_ratio, "l1_ratio", allow_zero=True)
        if l1 > 1:
            raise ValueError(f"l1_ratio must be in [0, 1], got {self.l1_ratio!r}")
        normal_quantile(self.alpha)
        return penalizer, l1

    @property
    def concordance_index_(self) -> float:
        """Harrell's C on the training data (computed on first access, as lifelines does)."""
        self._check_fitted()
        if self._concordance is None:
            c, t, pairs = _core.concordance_pairs(
                self.durations_, np.ascontiguousarray(-self._train_log_hazard), self.event_observed_
            )
            self._concordance = (c + 0.5 * t) / pairs if pairs else float("nan")
        return self._concordance

    def _io(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """The baseline tables, built on first access (pandas work fit need not pay)."""
        self._check_fitted()
        if self._baseline_frames is None:
            s, t, h = self._baseline_raw
            labels = (
                ["baseline hazard"] if self._strata_values is None else list(self._strata_values)
            )
            codes = sorted(self._baseline)
            times = np.unique(t)
            idx = pd.Index(times, name="timeline")
            hazard = pd.DataFrame(
                {
                    lab: pd.Series(h[s == c], index=t[s == c]).reindex(times, fill_value=0.0)
                    for lab, c in zip(labels, codes)
                }
            ).set_axis(idx)
            cum = pd.DataFrame(
                {lab: step_lookup(*self._baseline[c], times, 0.0) for lab, c in zip(labels, codes)},
                index=idx,
            )
            self._baseline_frames = (hazard, cum, np.exp(-cum))
        return self._baseline_frames

    @property
    def baseline_hazard_(self) -> pd.DataFrame:
        """Breslow hazard increments at each training time (one column per stratum)."""
        return self._io()[0]

    @property
    def baseline_cumulative_hazard_(self) -> pd.DataFrame:
        """Breslow cumulative hazard H0(t) at the mean covariates (one column per stratum)."""
        return self._io()[1]

    @property
    def baseline_survival_(self) -> pd.DataFrame:
        """exp(-H0(t)) (one column per stratum)."""
        return self._io()[2]

    @property
    def summary(self) -> pd.DataFrame:
        """coef, exp(coef), se(coef), bounds, z, p and -log2(p) per covariate."""
        self._check_fitted()
        return summary_frame(
            self.params_.index,
            self.params_.to_numpy(),
            self.standard_errors_.to_numpy(),
            self.alpha,
        )

    # --- prediction ---------------------------------------------------------------------------

    def _prepare(self, X: Rows) -> tuple[pd.DataFrame, FloatArray, npt.NDArray[np.int64]]:
        """(frame, log partial hazard, stratum code) of the rows of X."""
        self._check_fitted()
        frame = prediction_frame(X, self.covariates_, self.strata or [])
        x = design_matrix(frame, self.covariates_)
        eta: FloatArray = (x - self._norm_mean) @ self.params_.to_numpy()
        if self.strata is None or self._strata_values is None:
            return frame, eta, np.zeros(len(frame), dtype=np.int64)
        keys = (
            frame[self.strata[0]]
            if len(self.strata) == 1
            else pd.MultiIndex.from_frame(frame[self.strata])
        )
        codes = self._strata_values.get_indexer(pd.Index(keys))
        if (codes < 0).any():
            row = int(np.argmax(codes < 0))
            raise ValueError(f"X: row {row} has a stratum not seen in fit: {keys[row]!r}")
        return frame, eta, codes.astype(np.int64)

    def _cumulative_hazard_at(
        self, eta: FloatArray, codes: npt.NDArray[np.int64], times: FloatArray
    ) -> FloatArray:
        """H(times | x) where times has one row per subject (shape (n,) or (n, m))."""
        out: FloatArray = np.empty(times.shape)
        for code in np.unique(codes):
            m = codes == code
            bt, bh = self._baseline[int(code)]
            out[m] = step_lookup(bt, bh, times[m], 0.0)
        scale = np.exp(eta).reshape((-1,) + (1,) * (times.ndim - 1))
        return np.asarray(out * scale, dtype=np.float64)

    def _survival_at(self, X: Rows, times: npt.ArrayLike) -> FloatArray:
        """S(times | x) with one time (or row of times) per row of X."""
        _, eta, codes = self._prepare(X)
        h = self._cumulative_hazard_at(eta, codes, per_row_times(times, len(eta)))
        return np.exp(-h)

    def predict_log_partial_hazard(self, X: Rows) -> pd.Series:
        """(x - mean)' beta per row of X."""
        frame, eta, _ = self._prepare(X)
        return pd.Series(eta, index=frame.index)

    def predict_partial_hazard(self, X: Rows) -> pd.Series:
        """exp((x - mean)' beta) per row of X (lifelines' definition)."""
        log_hazard = self.predict_log_partial_hazard(X)
        result: pd.Series = pd.Series(np.exp(log_hazard.to_numpy()), index=log_hazard.index)
        return result

    def predict_cumulative_hazard(
        self,
        X: Rows,
        times: Optional[npt.ArrayLike] = None,
        conditional_after: Optional[npt.ArrayLike] = None,
    ) -> pd.DataFrame:
        """H(t | x): a DataFrame indexed by ``times`` with one column per row of X.

        With ``conditional_after`` (one age per row), returns H(c + t) - H(c): the hazard
        accumulated over the next ``t`` given survival to age c.
        """
        frame, eta, codes = self._prepare(X)
        grid = (
            np.unique(self._baseline_raw.time)
            if times is None
            else as_float_array(times, "times", nonnegative=True)
        )
        tm = np.broadcast_to(grid, (len(eta), len(grid))).copy()
        if conditional_after is None:
            h = self._cumulative_hazard_at(eta, codes, tm)
        else:
            c = as_float_array(conditional_after, "conditional_after", nonnegative=True)
            c = np.broadcast_to(c, (len(eta),))[:, None]
            h = self._cumulative_hazard_at(eta, codes, tm + c) - self._cumulative_hazard_at(
                eta, codes, c
            )
        result: pd.DataFrame = pd.DataFrame(
            h.T, index=pd.Index(grid, name="timeline"), columns=frame.index
        )
        return result

    def predict_survival_function(
        self,
        X: Rows,
        times: Optional[npt.ArrayLike] = None,
        conditional_after: Optional[npt.ArrayLike] = None,
    ) -> pd.DataFrame:
        """S(t | x) = exp(-H0(t) exp((x - mean)' beta)): a DataFrame indexed by ``times``
        (default: the training times) with one column per row of X; with
        ``conditional_after`` c, S(c + t | x) / S(c | x).

        Examples
        --------
        >>> import clmkit
        >>> rossi = clmkit.datasets.load_rossi()
        >>> cox = clmkit.CoxPH().fit(rossi, "week", "arrest")
        >>> sf = cox.predict_survival_function(rossi.head(2), times=[10, 52])
        >>> sf.shape
        (2, 2)
        """
        h = self.predict_cumulative_hazard(X, times, conditional_after)
        result: pd.DataFrame = pd.DataFrame(np.exp(-h.to_numpy()), index=h.index, columns=h.columns)
        return result

    def predict_median(self, X: Rows) -> pd.Series:
        """First training time with S(t | x) <= 0.5 per row (inf when never)."""
        frame, eta, codes = self._prepare(X)
        out = np.full(len(eta), np.inf)
        target = np.log(2.0) / np.exp(eta)
        for code in np.unique(codes):
            m = codes == code
            bt, bh = self._baseline[int(code)]
            k = np.searchsorted(bh, target[m], side="left")
            out[m] = np.where(k < len(bt), bt[np.clip(k, 0, len(bt) - 1)], np.inf)
        result: pd.Series = pd.Series(out, index=frame.index, name="median")
        return result
