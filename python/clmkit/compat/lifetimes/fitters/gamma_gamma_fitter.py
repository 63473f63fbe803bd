"""lifetimes' ``GammaGammaFitter`` over :class:`clmkit.GammaGamma`."""

from __future__ import annotations

import warnings
from typing import Any, ClassVar, Optional

import numpy as np
import numpy.typing as npt
import pandas as pd

from ...._errors import ClmkitWarning
from ...._typing import Shaped
from ....btyd import GammaGamma
from .. import utils
from ._base import BaseFitter, _as_column, _max_iter, _unnamed
from ._count import aligned
from ._errors import lifetimes_messages

__all__ = ["GammaGammaFitter"]


class GammaGammaFitter(BaseFitter):
    """Gamma-Gamma spend model (Fader & Hardie 2013) with lifetimes 0.11.3's interface.

    Examples
    --------
    >>> from clmkit.compat.lifetimes import GammaGammaFitter
    >>> from clmkit.compat.lifetimes.datasets import load_cdnow_summary_data_with_monetary_value
    >>> s = load_cdnow_summary_data_with_monetary_value()
    >>> repeat = s[s["frequency"] > 0]
    >>> ggf = GammaGammaFitter(penalizer_coef=0.0).fit(repeat["frequency"], repeat["monetary_value"])
    >>> ggf
    <lifetimes.GammaGammaFitter: fitted with 946 subjects, p: 6.25, q: 3.74, v: 15.45>
    """

    _native: ClassVar[type[GammaGamma]] = GammaGamma
    _param_names = ("p", "q", "v")

    def __init__(self, penalizer_coef: float = 0.0) -> None:
        super().__init__(penalizer_coef)

    def fit(
        self,
        frequency: npt.ArrayLike,
        monetary_value: npt.ArrayLike,
        weights: Optional[npt.ArrayLike] = None,
        initial_params: Optional[npt.ArrayLike] = None,
        verbose: bool = False,
        tol: float = 1e-7,
        index: Optional[pd.Index] = None,
        q_constraint: bool = False,
        **kwargs: Any,
    ) -> GammaGammaFitter:
        """Fits the model on the repeat buyers (customers with frequency 0 are skipped).

        Parameters
        ----------
        frequency, monetary_value : array-like
            Repeat purchases and their mean value.
        weights, initial_params, verbose, tol, index, **kwargs
            As :meth:`BetaGeoFitter.fit`.
        q_constraint : bool, default False
            lifetimes bounded q >= 1 (a finite mean spend). clmkit's unconstrained MLE is
            the constrained one whenever q >= 1; when it is < 1 a warning says so.

        Returns
        -------
        GammaGammaFitter
        """
        with lifetimes_messages():
            model = self._fit_native(
                (frequency, monetary_value), weights, initial_params, tol, _max_iter(kwargs)
            )
        if q_constraint and model.params_["q"] < 1.0:
            warnings.warn(
                f"q = {model.params_['q']:.3g} < 1 at the maximum likelihood (infinite "
                "mean spend); clmkit does not fit the q >= 1 boundary solution lifetimes "
                "gave with q_constraint=True",
                ClmkitWarning,
                stacklevel=2,
            )
        self._adopt(model)
        m = _as_column(monetary_value).astype(float)
        self.data = pd.DataFrame(
            {
                "monetary_value": m,
                "frequency": _as_column(frequency).astype(float),
                "weights": np.ones(len(m), dtype=int) if weights is None else _as_column(weights),
            },
            index=index,
        )
        repeat = self.data[self.data["frequency"] > 0]
        self._negative_log_likelihood_ = self._negative_log_likelihood(
            np.log(self.params_[list(self._param_names)].to_numpy()),
            repeat["frequency"].to_numpy(dtype=float),
            repeat["monetary_value"].to_numpy(dtype=float),
            repeat["weights"].to_numpy(dtype=float),
            float(self.penalizer_coef),
        )
        self._after_fit(verbose)
        return self

    @classmethod
    def _negative_log_likelihood(
        cls,
        log_params: npt.ArrayLike,
        frequency: npt.ArrayLike,
        avg_monetary_value: npt.ArrayLike,
        weights: Optional[npt.ArrayLike],
        penalizer_coef: float,
    ) -> float:
        """lifetimes' objective (class- or instance-level): minus the weighted mean
        log-likelihood at ``exp(log_params)`` plus ``penalizer_coef * sum(params ** 2)``;
        each row's log-likelihood from the core."""
        params = np.exp(np.asarray(log_params, dtype=float))
        return cls._mean_negative_log_likelihood(
            params, (frequency, avg_monetary_value), weights, penalizer_coef
        )

    def conditional_expected_average_profit(
        self,
        frequency: Optional[npt.ArrayLike] = None,
        monetary_value: Optional[npt.ArrayLike] = None,
    ) -> Shaped:
        """Expected mean value of each customer's future transactions (the fitted data by
        default); customers without repeat purchases get the population mean."""
        model = self._fitted()
        frequency = self.data["frequency"] if frequency is None else frequency
        monetary_value = self.data["monetary_value"] if monetary_value is None else monetary_value
        out: Shaped = model.conditional_expected_spend(*aligned(frequency, monetary_value))
        return _unnamed(out)

    def customer_lifetime_value(
        self,
        transaction_prediction_model: Any,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        monetary_value: npt.ArrayLike,
        time: int = 12,
        discount_rate: float = 0.01,
        freq: str = "D",
    ) -> pd.Series:
        """Discounted CLV over ``time`` months with the expected spend of this model.

        lifetimes' convention: months of 30 days (``freq="D"``), 4.345 weeks (``"W"``) or
        720 hours (``"H"``); ``freq="M"`` means the data are in months. This is
        ``clmkit.customer_lifetime_value(model, spend_model, data, horizon=time,
        period=<month in data units>, discount_rate=discount_rate)`` — clmkit's version
        takes the period explicitly (e.g. ``period="30D"``).

        Returns
        -------
        pandas.Series
            Named ``clv``, with ``frequency``'s index.
        """
        adjusted = self.conditional_expected_average_profit(frequency, monetary_value)
        return utils.customer_lifetime_value(
            transaction_prediction_model,
            frequency,
            recency,
            T,
            adjusted,
            time=time,
            discount_rate=discount_rate,
            freq=freq,
        )
