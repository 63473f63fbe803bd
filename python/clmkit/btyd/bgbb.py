"""BG/BB: the beta-geometric / beta-Bernoulli model (Fader, Hardie & Shang 2010)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import _core
from .._io import is_table as _is_table
from .._io import to_pandas
from .._typing import CovariateData, CustomerData, Weights
from .._validation import as_float_array, check_int, check_per_customer
from . import _covariate_simulate, _covariates
from ._base import BTYDFitter
from ._intervals import random_seed
from ._rows import labelled_rows

__all__ = ["BetaGeoBetaBinom"]


class BetaGeoBetaBinom(BTYDFitter):
    """BG/BB model of discrete transaction opportunities (Fader, Hardie & Shang 2010).

    At each opportunity (a year of donations, a monthly renewal) an alive customer transacts
    with probability p ~ Beta(alpha, beta), and before each opportunity dies with
    probability theta ~ Beta(gamma, delta). A history is (frequency = opportunities with a
    transaction, recency = the last of them, n_periods = opportunities observed); build it
    from a transaction log with :func:`clmkit.summarize_discrete`. The likelihood is summed
    by log-sum-exp in Rust and fitted by L-BFGS with analytic gradients.

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty on the parameters.
    initial_params : dict or sequence, optional
        Starting values for alpha, beta, gamma, delta.
    tol : float, default 1e-8
        Gradient tolerance of the optimiser.
    max_iter : int, default 1000
        Iteration limit.

    Attributes
    ----------
    params_ : pandas.Series
        alpha, beta, gamma, delta.
    log_likelihood_, standard_errors_, variance_matrix_, confidence_intervals_, n_iter_,
    converged_, summary
        See :class:`clmkit.btyd.BTYDFitter`.

    Examples
    --------
    >>> import clmkit
    >>> donations = clmkit.datasets.load_donations()
    >>> bgbb = clmkit.BetaGeoBetaBinom().fit(donations, weights="weights")
    >>> bgbb.params_.round(3).tolist()
    [1.204, 0.75, 0.657, 2.783]
    >>> round(bgbb.log_likelihood_, 2)
    -33225.58
    """

    _model_kind = _core.ModelKind.BG_BB
    _param_names = ("alpha", "beta", "gamma", "delta")
    _data_names = ("frequency", "recency", "n_periods")

    def _columns(self, data: Any, rest: Any, names: Any, weights: Weights = None) -> Any:
        # Tables may name the opportunities "periods" (as the published donations data do).
        if _is_table(data):
            frame = to_pandas(data)
            if "n_periods" not in frame.columns and "periods" in frame.columns:
                frame = frame.rename(columns={"periods": "n_periods"})
            data = frame
        return super()._columns(data, rest, names, weights)

    def _rows(
        self, frequency: CustomerData, recency: Any, n_periods: Any
    ) -> tuple[list[np.ndarray], Any]:
        cols, _, _ = self._columns(frequency, (recency, n_periods), self._data_names)
        return self._validate(cols), cols[0]

    def fit(
        self,
        frequency: CustomerData,
        recency: CustomerData = None,
        n_periods: CustomerData = None,
        weights: Weights = None,
        purchase_covariates: CovariateData = None,
        dropout_covariates: CovariateData = None,
    ) -> BetaGeoBetaBinom:
        """Fits the model by maximum likelihood.

        Parameters
        ----------
        frequency : array-like or DataFrame
            Opportunities with a transaction, or a table with ``frequency``, ``recency``
            and ``n_periods`` (or ``periods``) columns, such as the output of
            :func:`clmkit.summarize_discrete`.
        recency, n_periods : array-like, optional
            Opportunity of the last transaction (0 without any) and opportunities observed.
        weights : array-like or str, optional
            Customers per row (a column name with a table, e.g. ``"weights"``).
        purchase_covariates, dropout_covariates : list of str, 2-D array or DataFrame, optional
            Time-invariant covariates: each links alpha, beta (purchase) or gamma, delta
            (dropout) by exp(g'z), one coefficient vector per parameter.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            Non-integer values, recency > n_periods, frequency > recency, ... (naming the
            argument and first bad row).
        clmkit.ConvergenceError
            When the optimiser does not converge.
        """
        covariates = {"purchase": purchase_covariates, "dropout": dropout_covariates}
        return self._fit(frequency, (recency, n_periods), weights, covariates)

    def p_alive(
        self,
        frequency: CustomerData,
        recency: CustomerData = None,
        n_periods: CustomerData = None,
        periods_ahead: int = 0,
        covariates: CovariateData = None,
    ) -> Any:
        """Probability that each customer is alive at opportunity ``n_periods + periods_ahead``
        (``periods_ahead=1``: alive at the next opportunity, FHS 2010 eq. 11).

        Examples
        --------
        >>> import clmkit
        >>> bgbb = clmkit.BetaGeoBetaBinom().fit(clmkit.datasets.load_donations(), weights="weights")
        >>> round(bgbb.p_alive(2, 4, 6, periods_ahead=1), 2)
        0.59
        """
        ahead = check_int(periods_ahead, "periods_ahead", low=0)
        if self._has_covariates():
            data = (frequency, (recency, n_periods), covariates)
            return _covariates.predict(self, "p_alive", [float(ahead)], *data, "p_alive")
        rows, like = self._rows(frequency, recency, n_periods)
        with labelled_rows(like):
            x, tx, n = rows
            out = self._fit_state().p_alive(x, tx, n, periods_ahead=float(ahead))
        return self._output(out, like, "p_alive")

    def conditional_expected_purchases(
        self,
        m_periods: int,
        frequency: CustomerData,
        recency: CustomerData = None,
        n_periods: CustomerData = None,
        covariates: CovariateData = None,
    ) -> Any:
        """Expected transactions of each customer in the next ``m_periods`` opportunities
        (FHS 2010 eq. 13).

        Examples
        --------
        >>> import clmkit
        >>> don = clmkit.datasets.load_donations()
        >>> bgbb = clmkit.BetaGeoBetaBinom().fit(don, weights="weights")
        >>> e = bgbb.conditional_expected_purchases(5, don)
        >>> round(float((e * don["weights"]).sum()), 1)
        12884.2
        """
        m = check_int(m_periods, "m_periods", low=0)
        if self._has_covariates():
            quantity, data = (
                "conditional_expected_purchases",
                (frequency, (recency, n_periods), covariates),
            )
            return _covariates.predict(self, quantity, [float(m)], *data, "expected_purchases")
        rows, like = self._rows(frequency, recency, n_periods)
        with labelled_rows(like):
            out = self._fit_state().conditional_expected_purchases([float(m)], *rows)[0]
        return self._output(out, like, "expected_purchases")

    def expected_purchases(self, n_periods: npt.ArrayLike, covariates: CovariateData = None) -> Any:
        """Expected transactions of a new customer in the first ``n_periods`` opportunities
        (scalar or array of whole numbers).

        Examples
        --------
        >>> import clmkit
        >>> bgbb = clmkit.BetaGeoBetaBinom().fit(clmkit.datasets.load_donations(), weights="weights")
        >>> bgbb.expected_purchases([1, 2]).round(4).tolist()
        [0.4985, 0.9233]
        """
        self._check_fitted()
        if self._has_covariates():
            return _covariates.predict_new(self, "expected_purchases", n_periods, None, covariates)
        n = as_float_array(n_periods, "n_periods", nonnegative=True, integer=True)
        out = self._fit_state().expected_purchases(n)
        return self._output(out, n_periods, "expected_purchases")

    def probability_of_n_purchases(
        self, n_periods: npt.ArrayLike, n: npt.ArrayLike, covariates: CovariateData = None
    ) -> Any:
        """P(a new customer makes exactly ``n`` transactions in ``n_periods`` opportunities);
        ``n_periods`` and ``n`` broadcast against each other."""
        self._check_fitted()
        if self._has_covariates():
            quantity = "probability_of_n_purchases"
            return _covariates.predict_new(self, quantity, n_periods, n, covariates)
        periods = as_float_array(n_periods, "n_periods", nonnegative=True, integer=True)
        counts = as_float_array(n, "n", nonnegative=True, integer=True)
        p_b, n_b = np.broadcast_arrays(periods, counts)
        state = self._fit_state()
        out = state.probability_of_n_purchases(np.ascontiguousarray(p_b), np.ascontiguousarray(n_b))
        return float(out[0]) if np.ndim(n_periods) == 0 and np.ndim(n) == 0 else out

    def generate(
        self,
        n: int,
        n_periods: npt.ArrayLike,
        seed: Optional[int] = None,
        covariates: CovariateData = None,
    ) -> pd.DataFrame:
        """Simulates ``n`` customers with ``n_periods`` opportunities each (scalar or ``n``
        values); same seed, same customers whatever the number of threads. Models fitted
        with covariates need ``covariates`` (one profile, or one row per customer): each
        customer is simulated at their own parameters, and the columns are added.

        Returns
        -------
        pandas.DataFrame
            ``frequency``, ``recency``, ``n_periods`` and the latent ``p``, ``theta``, ``alive``.
        """
        if self._has_covariates() or covariates is not None:
            return _covariate_simulate.generate(self, n, n_periods, seed, covariates, "n_periods")
        n = check_int(n, "n", low=0)
        periods = check_per_customer(n_periods, "n_periods", n, integer=True)
        sims = self._fit_state().generate(periods, random_seed(seed))
        frame: pd.DataFrame = pd.DataFrame(
            {
                "frequency": sims["frequency"],
                "recency": sims["recency"],
                "n_periods": periods,
                "p": sims["p"],
                "theta": sims["theta"],
                "alive": sims["alive"].astype(bool),
            }
        )
        return frame
