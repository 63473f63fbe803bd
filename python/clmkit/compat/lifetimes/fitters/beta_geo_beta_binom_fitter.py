"""lifetimes' ``BetaGeoBetaBinomFitter`` (BG/BB) over :class:`clmkit.BetaGeoBetaBinom`."""

from __future__ import annotations

from typing import Any, ClassVar, Optional, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from ...._typing import Shaped
from ...._validation import as_float_array, check_int
from ....btyd import BetaGeoBetaBinom
from .. import generate_data
from ._base import BaseFitter, _as_column, _max_iter
from ._count import per_horizon
from ._errors import lifetimes_messages

__all__ = ["BetaGeoBetaBinomFitter"]


class BetaGeoBetaBinomFitter(BaseFitter):
    """BG/BB model of discrete opportunities (Fader, Hardie & Shang 2010) with lifetimes
    0.11.3's interface.

    Examples
    --------
    >>> from clmkit.compat.lifetimes import BetaGeoBetaBinomFitter
    >>> from clmkit.compat.lifetimes.datasets import load_donations
    >>> d = load_donations()
    >>> bbf = BetaGeoBetaBinomFitter().fit(d["frequency"], d["recency"], d["periods"], d["weights"])
    >>> bbf.params_.round(3).tolist()
    [1.204, 0.75, 0.657, 2.783]
    """

    _native: ClassVar[type[BetaGeoBetaBinom]] = BetaGeoBetaBinom
    _param_names = ("alpha", "beta", "gamma", "delta")

    def __init__(self, penalizer_coef: float = 0.0) -> None:
        super().__init__(penalizer_coef)

    def fit(
        self,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        n_periods: npt.ArrayLike,
        weights: Optional[npt.ArrayLike] = None,
        initial_params: Optional[npt.ArrayLike] = None,
        verbose: bool = False,
        tol: float = 1e-7,
        index: Optional[pd.Index] = None,
        **kwargs: Any,
    ) -> BetaGeoBetaBinomFitter:
        """Fits the model by maximum likelihood.

        Parameters
        ----------
        frequency, recency, n_periods : array-like
            Opportunities with a transaction, the last of them (0 without any), and
            opportunities observed (whole numbers).
        weights : array-like, optional
            Customers per row (the donations data are patterns with counts).
        initial_params, verbose, tol, index, **kwargs
            As :meth:`BetaGeoFitter.fit`.

        Returns
        -------
        BetaGeoBetaBinomFitter
        """
        with lifetimes_messages():
            model = self._fit_native(
                (frequency, recency, n_periods), weights, initial_params, tol, _max_iter(kwargs)
            )
        self._adopt(model)
        w = np.ones(len(_as_column(recency)), dtype=int) if weights is None else _as_column(weights)
        self.data = pd.DataFrame(
            {
                "frequency": _as_column(frequency).astype(int),
                "recency": _as_column(recency).astype(int),
                "n_periods": _as_column(n_periods).astype(int),
                "weights": w,
            },
            index=index,
        )
        self._negative_log_likelihood_ = self._negative_log_likelihood(
            np.log(self.params_[list(self._param_names)].to_numpy()),
            self.data["frequency"].to_numpy(dtype=float),
            self.data["recency"].to_numpy(dtype=float),
            self.data["n_periods"].to_numpy(dtype=float),
            self.data["weights"].to_numpy(dtype=float),
            float(self.penalizer_coef),
        )
        self._after_load()
        self._after_fit(verbose)
        return self

    @classmethod
    def _loglikelihood(
        cls, params: npt.ArrayLike, x: npt.ArrayLike, tx: npt.ArrayLike, T: npt.ArrayLike
    ) -> npt.NDArray[np.float64]:
        """Each pattern's log-likelihood at natural ``params`` (lifetimes' helper; Fader,
        Hardie & Shang 2010, eq. 5), from the core."""
        return cls._row_log_likelihood(params, (x, tx, T))

    @classmethod
    def _negative_log_likelihood(
        cls,
        log_params: npt.ArrayLike,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        n_periods: npt.ArrayLike,
        weights: Optional[npt.ArrayLike],
        penalizer_coef: float = 0,
    ) -> float:
        """lifetimes' objective (class- or instance-level): minus the weighted mean
        log-likelihood at ``exp(log_params)`` plus ``penalizer_coef * sum(params ** 2)``;
        each row's log-likelihood from the core (exact; lifetimes adds 1e-15 inside a log)."""
        params = np.exp(np.asarray(log_params, dtype=float))
        return cls._mean_negative_log_likelihood(
            params, (frequency, recency, n_periods), weights, penalizer_coef
        )

    def conditional_expected_number_of_purchases_up_to_time(
        self,
        m_periods_in_future: npt.ArrayLike,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        n_periods: npt.ArrayLike,
    ) -> Shaped:
        """Expected transactions in the next ``m_periods_in_future`` opportunities (FHS eq. 13)."""
        model = self._fitted()
        return per_horizon(
            lambda m, *c: model.conditional_expected_purchases(int(m), *c),
            m_periods_in_future,
            frequency,
            recency,
            n_periods,
        )

    def conditional_probability_alive(
        self,
        m_periods_in_future: npt.ArrayLike,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        n_periods: npt.ArrayLike,
    ) -> Shaped:
        """P(alive at opportunity ``n_periods + m_periods_in_future``) (FHS eq. 11)."""
        model = self._fitted()
        return per_horizon(
            lambda m, *c: model.p_alive(*c, periods_ahead=int(m)),
            m_periods_in_future,
            frequency,
            recency,
            n_periods,
        )

    def expected_number_of_transactions_in_first_n_periods(self, n: int) -> pd.DataFrame:
        """Expected number of customers (of the fitted population) with each observed number
        of transactions in their first ``n`` opportunities.

        Returns
        -------
        pandas.DataFrame
            Column ``model``, indexed by ``frequency`` (the distinct fitted frequencies).
        """
        model = self._fitted()
        n = check_int(n, "n", low=0)
        counts = self.data.groupby("frequency")["weights"].sum()
        x = np.asarray(counts.index, dtype=float)
        probability = np.asarray(
            model.probability_of_n_purchases(np.full(len(x), float(n)), x), dtype=float
        )
        return cast(
            pd.DataFrame,
            pd.DataFrame(
                probability * counts.sum(),
                index=pd.Index(counts.index, name="frequency"),
                columns=["model"],
            ),
        )

    def generate_new_data(self, size: int = 1) -> pd.DataFrame:
        """Simulates ``size`` customers with the numbers of opportunities of the fitted data
        (each pattern repeated by its weight)."""
        alpha, beta, gamma, delta = self._unload_params("alpha", "beta", "gamma", "delta")
        periods = np.repeat(
            as_float_array(self.data["n_periods"], "n_periods"),
            np.asarray(self.data["weights"], dtype=np.int64),
        )
        size = check_int(size, "size", low=0)
        if size > len(periods):
            raise ValueError(f"size must be <= {len(periods)} (the fitted customers), got {size}")
        return generate_data.beta_geometric_beta_binom_model(
            periods[:size], alpha, beta, gamma, delta, size=size
        )
