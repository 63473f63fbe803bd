"""Cox proportional hazards model (semi-parametric, Breslow baseline)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional, Union

import numpy as np
import pandas as pd

from .. import _core
from .._errors import ConvergenceError
from .._io import to_pandas
from .._validation import (
    as_float_array,
    check_choice,
    check_int,
    check_positive_float,
    check_rows,
    require_columns,
)
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
    step_lookup,
    summary_frame,
)

__all__ = ["CoxPH"]


def _strata_codes(df: pd.DataFrame, strata: Sequence[str]) -> tuple[np.ndarray, pd.Index]:
    keys = df[strata[0]] if len(strata) == 1 else pd.MultiIndex.from_frame(df[list(strata)])
    codes, uniques = pd.factorize(keys, sort=True)
    if (codes < 0).any():
        row = int(np.argmax(codes < 0))
        raise ValueError(f"strata: row {row} has a missing stratum value")
    return np.ascontiguousarray(codes, dtype=np.int64), pd.Index(uniques)


# A coefficient beyond this many log-units per standard deviation of its covariate (a hazard
# ratio of e^15 per SD) only arises when the likelihood keeps increasing towards infinity.
_DIVERGENT_STD_COEF = 15.0


def _check_finite_optimum(std_params: np.ndarray, covariates: Sequence[str]) -> None:
    bad = [c for c, b in zip(covariates, std_params) if abs(b) > _DIVERGENT_STD_COEF]
    if bad:
        raise ConvergenceError(
            f"the partial likelihood increases without bound along {bad} (monotone likelihood: "
            "these covariates separate early from late events perfectly); their coefficients "
            "are infinite. Fit with a penalizer (e.g. penalizer=0.01) or drop them"
        )


class CoxPH:
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

    def __repr__(self) -> str:
        return (
            f"CoxPH(ties={self.ties!r}, penalizer={self.penalizer!r}, "
            f"l1_ratio={self.l1_ratio!r}, alpha={self.alpha!r})"
        )

    def fit(
        self,
        df: Any,
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
        check_choice(self.ties, "ties", ["efron", "breslow"])
        penalizer = check_positive_float(self.penalizer, "penalizer", allow_zero=True)
        l1 = check_positive_float(self.l1_ratio, "l1_ratio", allow_zero=True)
        if l1 > 1:
            raise ValueError(f"l1_ratio must be in [0, 1], got {self.l1_ratio!r}")
        strata = [strata] if isinstance(strata, str) else list(strata or [])
        df = to_pandas(df)
        require_columns(
            list(df.columns),
            {
                "duration_col": duration_col,
                "event_col": event_col,
                "weights_col": weights_col,
                **{f"strata[{i}]": s for i, s in enumerate(strata)},
            },
        )
        d = frame_column(df, duration_col, "duration_col", nonnegative=True)
        e = np.ones_like(d) if event_col is None else frame_column(df, event_col, "event_col")
        check_rows((e != 0) & (e != 1), f"event_col {event_col!r}", e, "must be 0 or 1")
        w = (
            None
            if weights_col is None
            else optional_weights(df[weights_col], len(d), f"weights_col {weights_col!r}")
        )
        used = {duration_col, event_col, weights_col, *strata}
        covariates = [c for c in df.columns if c not in used]
        if not covariates:
            raise ValueError(
                "df has no covariate column besides the duration/event/weights/strata columns"
            )
        if not e.any():
            raise ValueError(
                f"event_col {event_col!r}: every row is censored; the Cox model has no information"
            )
        x = design_matrix(df, covariates)
        xs, mean, std = standardize(x, covariates, allow_collinear=penalizer > 0)
        codes, self._strata_values = (None, None) if not strata else _strata_codes(df, strata)
        raw = _core.cox_fit(
            xs,
            d,
            e,
            w,
            codes,
            self.ties,
            penalizer,
            l1,
            check_int(self.max_iter, "max_iter", low=1),
        )
        p = len(covariates)
        _check_finite_optimum(raw["params"], covariates)
        cov = covariance_from_information(raw["information"].reshape(p, p)) / np.outer(std, std)
        self.strata = strata or None
        self._set_fitted(
            covariates,
            raw["params"] / std,
            cov,
            float(raw["log_likelihood"]),
            int(raw["n_iter"]),
            mean,
            {k: raw[k] for k in ("baseline_stratum", "baseline_time", "baseline_hazard")},
        )
        self._train_log_hazard = xs @ raw["params"]
        self._concordance = None
        self.durations_, self.event_observed_ = d, e
        return self

    def _set_fitted(
        self,
        covariates: list,
        params: np.ndarray,
        cov: np.ndarray,
        loglik: float,
        n_iter: int,
        mean: np.ndarray,
        baseline: dict,
    ) -> None:
        names = pd.Index(covariates, name="covariate")
        self.covariates_ = covariates
        self.params_ = pd.Series(params, index=names, name="coef")
        self.hazard_ratios_ = pd.Series(np.exp(params), index=names, name="exp(coef)")
        self.variance_matrix_ = pd.DataFrame(cov, index=names, columns=names)
        self.standard_errors_ = pd.Series(np.sqrt(np.diag(cov)), index=names, name="se(coef)")
        self.log_likelihood_ = loglik
        self.n_iter_ = n_iter
        self.converged_ = True
        self._norm_mean = pd.Series(mean, index=names)
        self._set_baseline(baseline)

    def to_json(self) -> str:
        """The fitted model (coefficients, covariance, Breslow baseline, hyperparameters) as
        versioned JSON with exact floats; :meth:`from_json` restores it. The training data are
        not saved; the training concordance is, as a number."""
        state = {
            "covariates": self.covariates_,
            "strata": self.strata,
            "strata_values": None if self._strata_values is None else list(self._strata_values),
            "params": self.params_.to_numpy(),
            "cov": self.variance_matrix_.to_numpy(),
            "log_likelihood": self.log_likelihood_,
            "n_iter": self.n_iter_,
            "mean": self._norm_mean.to_numpy(),
            "baseline": self._baseline_raw,
            "concordance": self.concordance_index_,
        }
        return dump_model(self, state)

    @classmethod
    def from_json(cls, text: str) -> CoxPH:
        """Restores a model saved with :meth:`to_json`."""
        model, st = load_model(cls, text)
        model.strata = st["strata"]
        model._strata_values = (
            None if st["strata_values"] is None else pd.Index(st["strata_values"])
        )
        model._set_fitted(
            st["covariates"],
            st["params"],
            st["cov"],
            st["log_likelihood"],
            st["n_iter"],
            st["mean"],
            st["baseline"],
        )
        model._concordance = st["concordance"]
        return model

    @property
    def concordance_index_(self) -> float:
        """Harrell's C on the training data (computed on first access, as lifelines does)."""
        if self._concordance is None:
            c, t, pairs = _core.concordance_pairs(
                self.durations_, np.ascontiguousarray(-self._train_log_hazard), self.event_observed_
            )
            self._concordance = (c + 0.5 * t) / pairs if pairs else float("nan")
        return self._concordance

    def _set_baseline(self, raw: dict) -> None:
        self._baseline_raw = raw
        s, t, h = raw["baseline_stratum"], raw["baseline_time"], raw["baseline_hazard"]
        self._baseline = {}
        for code in np.unique(s):
            m = s == code
            self._baseline[int(code)] = (t[m], np.cumsum(h[m]))
        self._baseline_frames = None

    def _io(self) -> tuple:
        """The baseline tables, built on first access (pandas work fit need not pay)."""
        if self._baseline_frames is None:
            raw = self._baseline_raw
            s, t, h = raw["baseline_stratum"], raw["baseline_time"], raw["baseline_hazard"]
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
        return summary_frame(
            self.params_.index,
            self.params_.to_numpy(),
            self.standard_errors_.to_numpy(),
            self.alpha,
        )

    # --- prediction ---------------------------------------------------------------------------

    def _prepare(self, X: Any) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        """(frame, log partial hazard, stratum code) of the rows of X."""
        if not hasattr(self, "params_"):
            raise ValueError("this CoxPH is not fitted yet: call fit() first")
        frame = as_frame(X)
        if list(frame.columns) == list(range(frame.shape[1])) and frame.shape[1] == len(
            self.covariates_
        ):
            frame = frame.set_axis(self.covariates_, axis=1)
        require_columns(
            list(frame.columns), {f"X[{c!r}]": c for c in self.covariates_ + (self.strata or [])}
        )
        x = design_matrix(frame, self.covariates_)
        eta = (x - self._norm_mean.to_numpy()) @ self.params_.to_numpy()
        if self.strata is None:
            codes = np.zeros(len(frame), dtype=np.int64)
        else:
            keys = (
                frame[self.strata[0]]
                if len(self.strata) == 1
                else pd.MultiIndex.from_frame(frame[self.strata])
            )
            codes = self._strata_values.get_indexer(keys)
            if (codes < 0).any():
                row = int(np.argmax(codes < 0))
                raise ValueError(f"X: row {row} has a stratum not seen in fit: {keys[row]!r}")
        return frame, eta, codes

    def _cumulative_hazard_at(
        self, eta: np.ndarray, codes: np.ndarray, times: np.ndarray
    ) -> np.ndarray:
        """H(times | x) where times has one row per subject (shape (n,) or (n, m))."""
        out = np.empty(times.shape)
        for code in np.unique(codes):
            m = codes == code
            bt, bh = self._baseline[int(code)]
            out[m] = step_lookup(bt, bh, times[m], 0.0)
        scale = np.exp(eta).reshape((-1,) + (1,) * (times.ndim - 1))
        return out * scale

    def _survival_at(self, X: Any, times: Any) -> np.ndarray:
        """S(times | x) with one time (or row of times) per row of X."""
        _, eta, codes = self._prepare(X)
        return np.exp(-self._cumulative_hazard_at(eta, codes, per_row_times(times, len(eta))))

    def predict_log_partial_hazard(self, X: Any) -> pd.Series:
        """(x - mean)' beta per row of X."""
        frame, eta, _ = self._prepare(X)
        return pd.Series(eta, index=frame.index)

    def predict_partial_hazard(self, X: Any) -> pd.Series:
        """exp((x - mean)' beta) per row of X (lifelines' definition)."""
        return np.exp(self.predict_log_partial_hazard(X))

    def predict_cumulative_hazard(
        self, X: Any, times: Any = None, conditional_after: Any = None
    ) -> pd.DataFrame:
        """H(t | x): a DataFrame indexed by ``times`` with one column per row of X.

        With ``conditional_after`` (one age per row), returns H(c + t) - H(c): the hazard
        accumulated over the next ``t`` given survival to age c.
        """
        frame, eta, codes = self._prepare(X)
        grid = (
            np.unique(self._baseline_raw["baseline_time"])
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
        return pd.DataFrame(h.T, index=pd.Index(grid, name="timeline"), columns=frame.index)

    def predict_survival_function(
        self, X: Any, times: Any = None, conditional_after: Any = None
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
        return np.exp(-self.predict_cumulative_hazard(X, times, conditional_after))

    def predict_median(self, X: Any) -> pd.Series:
        """First training time with S(t | x) <= 0.5 per row (inf when never)."""
        frame, eta, codes = self._prepare(X)
        out = np.full(len(eta), np.inf)
        target = np.log(2.0) / np.exp(eta)
        for code in np.unique(codes):
            m = codes == code
            bt, bh = self._baseline[int(code)]
            k = np.searchsorted(bh, target[m], side="left")
            out[m] = np.where(k < len(bt), bt[np.clip(k, 0, len(bt) - 1)], np.inf)
        return pd.Series(out, index=frame.index, name="median")
