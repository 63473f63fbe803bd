"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import _core
from .._typing import CovariateData, CustomerData
from .._validation import check_int, check_per_customer, check_positive_float
from . import _covariate_simulate, _covariates
from ._count import CountModel
from ._intervals import random_seed
from ._rows import labelled_rows

__all__ = ["ParetoNBD"]


class ParetoNBD(CountModel):
    """Pareto/NBD model of repeat purchases (Schmittlein, Morrison & Colombo 1987).

    While alive a customer buys at Poisson rate lambda ~ Gamma(r, alpha); lifetimes are
    exponential with rate mu ~ Gamma(s, beta). The likelihood (Fader & Hardie's note on the
    Pareto/NBD) needs the Gauss hypergeometric function 2F1, evaluated in Rust in log space
    (the argument is kept in [0, 1) by factoring out max(alpha, beta), large powers stay
    logarithms), so heavy buyers never overflow. Fitted on log-parameters with analytic
    gradients (derivatives of the 2F1 series in its parameters) by a quasi-Newton method
    started from the BHHH matrix (outer products of the per-customer scores) and the mean
    purchase rate, each 2F1 evaluated once per distinct (frequency, time) pair; L-BFGS if
    that fails, restarts from other points when a fit ends on the boundary. Standard errors
    come from the observed information.

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty on the parameters (lifetimes' ``penalizer_coef``).
    initial_params : dict or sequence, optional
        Starting values for r, alpha, s, beta (disables the restarts).
    tol : float, default 1e-8
        Gradient tolerance of the optimiser.
    max_iter : int, default 1000
        Iteration limit.

    Attributes
    ----------
    params_ : pandas.Series
        r, alpha, s, beta.
    log_likelihood_, standard_errors_, variance_matrix_, confidence_intervals_, n_iter_,
    converged_, time_unit_, summary
        See :class:`clmkit.btyd.BTYDFitter`.

    Examples
    --------
    >>> import clmkit
    >>> cdnow = clmkit.datasets.load_cdnow_summary()
    >>> pnbd = clmkit.ParetoNBD().fit(cdnow)
    >>> pnbd.params_.round(3).tolist()
    [0.553, 10.578, 0.606, 11.668]
    >>> pnbd.standard_errors_.round(3).tolist()
    [0.048, 0.843, 0.187, 6.211]
    >>> round(pnbd.p_alive(26, 30.86, 31), 4)
    0.9979
    """

    _model_kind = _core.ModelKind.PARETO_NBD
    _param_names = ("r", "alpha", "s", "beta")

    def discounted_expected_residual_transactions(
        self,
        frequency: CustomerData,
        recency: CustomerData = None,
        T: CustomerData = None,
        discount_rate: Optional[float] = None,
        horizon: Optional[float] = None,
        covariates: CovariateData = None,
    ) -> Any:
        """Discounted expected residual transactions (DERT) of each customer.

        The present value, at continuous discount rate ``discount_rate`` per time unit, of
        all future purchases (Fader, Hardie & Lee 2005, "RFM and CLV", eq. 2):
        P(alive) (r+x)/(alpha+T) (beta+T)^s delta^(s-1) U(s, s; delta (beta+T)), with
        Tricomi's confluent hypergeometric U. Multiplied by the expected spend per purchase
        it is the customer's residual lifetime value with an infinite horizon.

        Parameters
        ----------
        frequency, recency, T : array-like, or a summary table as ``frequency``
        discount_rate : float
            Continuous discount rate per model time unit (> 0). An annual rate d with weekly
            data is ``log(1 + d) / 52``.
        horizon : float, optional
            Only purchases in the next ``horizon`` time units count (closed form too:
            b^s delta^(s-1) [U(s, s; delta b) - e^(-delta H) U(s, s; delta (b + H))],
            b = beta + T). Default: all future purchases.

        Returns
        -------
        numpy.ndarray, pandas.Series or float

        Examples
        --------
        >>> import clmkit
        >>> pnbd = clmkit.ParetoNBD().fit(clmkit.datasets.load_cdnow_summary())
        >>> round(pnbd.discounted_expected_residual_transactions(2, 30.43, 38.86,
        ...                                                      discount_rate=0.0026), 2)
        6.63
        """
        if discount_rate is None:
            raise TypeError("discount_rate is required (continuous rate per model time unit)")
        delta = check_positive_float(discount_rate, "discount_rate")
        span = np.inf if horizon is None else check_positive_float(horizon, "horizon")
        if self._has_covariates():
            data = (frequency, (recency, T), covariates)
            return _covariates.predict(self, "dert", [delta, span], *data, "dert")
        rows, like = self._rows(frequency, recency, T)
        with labelled_rows(like):
            out = self._fit_state().dert(delta, span, *rows)
        return self._output(out, like, "dert")

    def generate(
        self,
        n: int,
        T: npt.ArrayLike,
        seed: Optional[int] = None,
        covariates: CovariateData = None,
    ) -> pd.DataFrame:
        """Simulates ``n`` customers from the fitted model, each observed for ``T``.

        Parameters
        ----------
        n : int
            Number of customers.
        T : float or array-like
            Observation length(s) in the model's time unit (scalar or ``n`` values).
        seed : int, optional
            Seed (same seed, same customers, whatever the number of threads).
        covariates : dict, sequence, table or 2-D array, optional
            Models fitted with covariates: one covariate profile for every customer, or one
            row per customer; each is simulated at their own parameters and the covariate
            columns are added to the result.

        Returns
        -------
        pandas.DataFrame
            ``frequency``, ``recency``, ``T`` and the latent ``lambda``, ``mu``, ``alive``.

        Examples
        --------
        >>> import clmkit
        >>> pnbd = clmkit.ParetoNBD().fit(clmkit.datasets.load_cdnow_summary())
        >>> sim = pnbd.generate(1000, T=39, seed=1)
        >>> list(sim.columns)
        ['frequency', 'recency', 'T', 'lambda', 'mu', 'alive']
        """
        if self._has_covariates() or covariates is not None:
            return _covariate_simulate.generate(self, n, T, seed, covariates, "T")
        n = check_int(n, "n", low=0)
        T_arr = check_per_customer(T, "T", n)
        seed = random_seed(seed)
        sims = self._fit_state().generate(T_arr, seed)
        frame: pd.DataFrame = pd.DataFrame(
            {
                "frequency": sims["frequency"],
                "recency": sims["recency"],
                "T": T_arr,
                "lambda": sims["lambda"],
                "mu": sims["mu"],
                "alive": sims["alive"].astype(bool),
            }
        )
        return frame
