"""Shared estimator machinery of the buy-till-you-die models.

A model class only declares its core name, parameter names and data columns (and adds its
own predictions); fitting, fitted attributes, summaries, serialisation and pickling live
here. The numerical work (pattern compression, time rescaling, L-BFGS on log-parameters,
standard errors) is in the Rust core (``src/btyd/mod.rs``).
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Optional, TypeVar, Union

import numpy as np
import pandas as pd

from .. import _core
from .._estimator import Estimator, JsonValue
from .._io import is_table as _is_table
from .._io import read
from .._typing import CovariateData, CustomerData, ParamValues, Weights
from .._validation import (
    as_float_array,
    check_initial_params,
    check_int,
    check_positive_float,
    index_of,
)
from ..exceptions import (
    ClmkitWarning,
    NotFittedError,
)
from ..summary.units import TimeUnit, time_unit_of
from . import _covariates
from ._intervals import IntervalMixin
from ._persist import restore
from ._rows import labelled_rows, shaped

__all__ = ["BTYDFitter", "NotFittedError"]

_Z95 = 1.959963984540054
_REGISTRY: dict[_core.ModelKind, type[BTYDFitter]] = {}
#: The model class itself, so fit / from_json / from_params return the caller's class.
F = TypeVar("F", bound="BTYDFitter")


class BTYDFitter(IntervalMixin, Estimator):
    """Base class of clmkit's BTYD estimators (not used directly).

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty on the natural parameters, as lifetimes' ``penalizer_coef``: the
        objective is the mean negative log-likelihood plus ``penalizer * sum(params**2)``,
        with times rescaled so that the largest T is 1.
    initial_params : dict or sequence of float, optional
        Starting values (natural scale, data time units); the model's default when None.
    tol : float, default 1e-8
        Convergence tolerance on the largest gradient component of the mean negative
        log-likelihood with respect to the log-parameters.
    max_iter : int, default 1000
        Maximum L-BFGS iterations; a fit that does not converge raises
        :class:`clmkit.ConvergenceError`.
    covariate_penalizer : float or dict, default 0.0
        L2 penalty on the covariate coefficients (added to the mean negative
        log-likelihood), one value or per process: ``{"purchase": .., "dropout": ..,
        "spend": ..}``.
    constrain_covariates : sequence of str, default ()
        Covariates whose coefficient is one parameter shared by the purchase and dropout
        processes (as CLVTools' ``reg.lambdas``/``names.cov.constr``).
    """

    #: The model's identity at the door (``_core.ModelKind.BG_NBD``, ...), set by each model
    #: class: every door call passes it, so no call looks a name up.
    _model_kind: ClassVar[_core.ModelKind]
    #: The kind's name, derived from ``_model_kind`` (for callers that pass names).
    _core_name: ClassVar[str] = ""
    _param_names: ClassVar[tuple[str, ...]] = ()
    _data_names: ClassVar[tuple[str, ...]] = ("frequency", "recency", "T")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        kind = getattr(cls, "_model_kind", None)
        if isinstance(kind, _core.ModelKind):
            cls._core_name = kind.name
            _REGISTRY[kind] = cls

    def __init__(
        self,
        penalizer: float = 0.0,
        initial_params: Optional[ParamValues] = None,
        tol: float = 1e-8,
        max_iter: int = 1000,
        covariate_penalizer: Union[float, Mapping[str, float]] = 0.0,
        constrain_covariates: Sequence[str] = (),
    ) -> None:
        self.penalizer = penalizer
        self.initial_params = initial_params
        self.tol = tol
        self.max_iter = max_iter
        self.covariate_penalizer = covariate_penalizer
        self.constrain_covariates = constrain_covariates

    # ----------------------------------------------------------------- input handling
    def _hyperparameters(self) -> dict[str, Any]:
        return {
            "penalizer": self.penalizer,
            "initial_params": self.initial_params,
            "tol": self.tol,
            "max_iter": self.max_iter,
            "covariate_penalizer": self.covariate_penalizer,
            "constrain_covariates": self.constrain_covariates,
        }

    def _checked_initial(self) -> Optional[list[float]]:
        return check_initial_params(self.initial_params, self._param_names)

    def _columns(
        self, data: Any, rest: Sequence[Any], names: Sequence[str], weights: Weights = None
    ) -> tuple[list[Any], Any, Optional[TimeUnit]]:
        """Splits ``fit(summary)`` / ``fit(col1, col2, ...)`` into the raw columns, the
        weights (a column name or array) and the summary's time unit."""
        if _is_table(data):
            if any(r is not None for r in rest):
                raise TypeError(
                    f"give either a summary table or the arrays {list(names)}, not both"
                )
            need: dict[str, Optional[str]] = {n: n for n in names}
            if isinstance(weights, str):
                need["weights"] = weights
            table = read(data, need)  # only these columns; null-checked as in every entry point
            cols = [table.values(n, n) for n in names]
            if isinstance(weights, str):
                weights = table.values(weights, "weights")
            return cols, weights, time_unit_of(table)
        cols = [data, *rest]
        for name, col in zip(names, cols):
            if col is None:
                raise TypeError(
                    f"{name} is required (or pass a summary table as the first argument)"
                )
        return cols, weights, None

    def _validate(self, cols: list[Any]) -> list[np.ndarray]:
        """The data columns as float64 arrays, checked for type only: the domain rules (whole
        frequencies >= 0, recency <= T, ...) are checked once, in Rust, by every kernel that
        takes the columns; calls run inside :func:`labelled_rows` to name the caller's row."""
        return [as_float_array(c, n, finite=False) for c, n in zip(cols, self._data_names)]

    # ----------------------------------------------------------------- fitting
    def _fit(
        self: F,
        data: CustomerData,
        rest: Sequence[CustomerData],
        weights: Weights,
        covariates: Optional[Mapping[str, CovariateData]] = None,
    ) -> F:
        cols, weights, unit = self._columns(data, rest, self._data_names, weights)
        arrays = self._validate(cols)
        cov = _covariates.collect(data, covariates or {}, len(arrays[0]))
        return self._fit_arrays(arrays, weights, unit, cov, index_of(cols[0]))

    def _fit_arrays(
        self: F,
        arrays: list[np.ndarray],
        weights: Any,
        unit: Optional[TimeUnit],
        covariates: Optional[_covariates.Covariates] = None,
        index: Optional[pd.Index] = None,
    ) -> F:
        penalizer = check_positive_float(self.penalizer, "penalizer", allow_zero=True)
        tol = check_positive_float(self.tol, "tol")
        max_iter = check_int(self.max_iter, "max_iter", low=1)
        w = None
        if weights is not None:
            w = as_float_array(weights, "weights", nonnegative=True)
            if len(w) != len(arrays[0]):
                raise ValueError(
                    f"weights has {len(w)} rows but {self._data_names[0]} has {len(arrays[0])}"
                )
        unit_arg = None if unit is None else (unit.freq, float(unit.multiplier))
        if covariates is not None:
            options = (penalizer, self._checked_initial(), tol, max_iter)
            state = _covariates.core_fit(self, arrays, w, options, unit_arg, covariates, index)
        else:
            initial = self._checked_initial()
            with labelled_rows(index):
                state = _core.btyd_fit(
                    self._model_kind, arrays, w, penalizer, initial, tol, max_iter, unit_arg
                )
        self._set_state(state)
        for message in state.warnings:
            warnings.warn(f"{type(self).__name__}: {message}", ClmkitWarning, stacklevel=3)
        # Kept (not pickled: the name ends in "_") for predict_interval(method="resample").
        self._training_data_ = ([a.copy() for a in arrays], None if w is None else w.copy())
        self._training_covariates_ = covariates
        return self

    def _set_state(self, state: Union[_core.BtydFit, _core.BtydCovariateFit]) -> None:
        if isinstance(state, _core.BtydCovariateFit):
            _covariates.set_state(self, state)
            return
        names = list(state.param_names)
        k = len(names)
        self._state = state
        self.n_params_ = k
        self.coefficients_ = pd.Series(
            [],
            index=pd.MultiIndex.from_tuples([], names=["process", "covariate"]),
            name="coef",
            dtype=float,
        )
        self.coefficient_standard_errors_ = self.coefficients_.rename("se")
        self.params_ = pd.Series(state.params, index=names, name="coef", dtype=float)
        self.log_likelihood_ = float(state.log_likelihood)
        self.standard_errors_ = pd.Series(
            state.standard_errors, index=names, name="se", dtype=float
        )
        cov = np.asarray(state.covariance, dtype=float).reshape(k, k)
        self.variance_matrix_ = pd.DataFrame(cov, index=names, columns=names)
        # Intervals on the log scale (the scale the model is fitted on), mapped back, so they
        # stay positive: p exp(+-1.96 se / p).
        with np.errstate(over="ignore", invalid="ignore"):
            spread = np.exp(_Z95 * self.standard_errors_ / self.params_)
        self.confidence_intervals_ = pd.DataFrame(
            {"lower 95%": self.params_ / spread, "upper 95%": self.params_ * spread}
        )
        self.n_iter_ = int(state.n_iter)
        self.converged_ = bool(state.converged)
        self.n_customers_ = float(state.n_customers)
        # Information criteria (Akaike 1974; Schwarz 1978) with n = customers: what lr_test
        # and covariate selection compare. NaN for models whose parameters were set.
        ll, n = self.log_likelihood_, self.n_customers_
        self.aic_ = 2.0 * k - 2.0 * ll
        self.bic_ = k * math.log(n) - 2.0 * ll if n > 0 else math.nan
        self.n_patterns_ = int(state.n_patterns)
        unit = state.time_unit
        self.time_unit_ = None if unit is None else TimeUnit(unit[0], float(unit[1]))

    def _is_fitted(self) -> bool:
        return getattr(self, "_state", None) is not None

    @property
    def summary(self) -> pd.DataFrame:
        """Parameter table: ``coef``, ``se``, ``lower 95%``, ``upper 95%``."""
        self._check_fitted()
        parts = [self.params_, self.standard_errors_, self.confidence_intervals_]
        table: pd.DataFrame = pd.concat(parts, axis=1)
        if self._has_covariates():
            table = pd.concat([table, _covariates.coefficient_rows(self)])
        return table

    def _has_covariates(self) -> bool:
        return isinstance(getattr(self, "_state", None), _core.BtydCovariateFit)

    # ----------------------------------------------------------------- persistence
    def _fitted_state(self) -> dict[str, JsonValue]:
        """The Rust state's own versioned document (``clmkit.btyd`` or
        ``clmkit.btyd_covariates``) as the payload of the estimator envelope."""
        payload: dict[str, JsonValue] = json.loads(self._state.to_json())
        return payload

    def to_json(self) -> str:
        """Serialises the fitted model (parameters, covariance, hyperparameters, time unit)
        as versioned JSON in clmkit's estimator envelope; :meth:`from_json` restores it.

        Examples
        --------
        >>> import clmkit
        >>> bg = clmkit.BetaGeo().fit(clmkit.datasets.load_cdnow_summary())
        >>> text = bg.to_json()
        >>> import json; sorted(json.loads(text))
        ['clmkit_format', 'hyperparameters', 'model', 'state']
        >>> again = clmkit.BetaGeo.from_json(text)
        >>> again.params_.equals(bg.params_)
        True
        """
        return super().to_json()

    @classmethod
    def from_json(cls: type[F], text: Union[str, bytes]) -> F:
        """Restores a model saved with :meth:`to_json` (any BTYD class when called on the
        base class, else only this class's models). Documents saved before the envelope
        (the bare Rust state) load too.

        Raises
        ------
        ValueError
            When the document is not valid JSON, of another model or a newer format, or a
            field is missing or out of range (the message names it).
        """
        return restore(cls, BTYDFitter, _REGISTRY, text)

    @classmethod
    def from_params(
        cls: type[F],
        params: Union[Mapping[str, float], Sequence[float]],
        time_unit: Optional[TimeUnit] = None,
    ) -> F:
        """A model with given parameters (e.g. published ones), ready to predict.

        Parameters
        ----------
        params : dict or sequence of float
            Natural parameters by name (or in the order of ``params_``).
        time_unit : clmkit TimeUnit, optional
            Unit of time the parameters are in (needed for duration strings like "30D").

        Returns
        -------
        BTYDFitter
            A model whose ``params_`` are ``params``; likelihood and standard errors are NaN
            and ``converged_`` is False since nothing was fitted.

        Examples
        --------
        >>> import clmkit
        >>> bg = clmkit.BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> round(bg.probability_of_n_purchases(39, 0), 4)
        0.5738
        """
        if cls is BTYDFitter or not cls._core_name:
            raise TypeError("call from_params on a model class, e.g. clmkit.BetaGeo.from_params")
        model = cls(initial_params=params)
        values = model._checked_initial()
        if values is None:
            raise ValueError("params is required")
        model.initial_params = None
        unit = None if time_unit is None else (time_unit.freq, float(time_unit.multiplier))
        model._set_state(_core.BtydFit.from_params(cls._model_kind, values, unit))
        return model

    def individual_log_likelihood(self, data: Any, *rest: Any, covariates: Any = None) -> Any:
        """Log-likelihood of each customer's data at the fitted parameters (the terms
        whose weighted sum is ``log_likelihood_``); same arguments as ``fit``. Covariate
        fits evaluate each customer at their own parameters (``covariates`` as in
        ``p_alive``; default: the fitted columns of the table ``data``)."""
        if self._has_covariates():
            return _covariates.individual_loglik(self, data, rest, covariates)
        cols, _, _ = self._columns(
            data, rest or (None,) * (len(self._data_names) - 1), self._data_names
        )
        arrays = self._validate(cols)
        with labelled_rows(cols[0]):
            out = self._fit_state().loglik_rows(arrays)
        return self._output(out, cols[0], "log_likelihood")

    def __getstate__(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if not k.endswith("_") and k != "_state"}
        state["_json"] = None if getattr(self, "_state", None) is None else self._state.to_json()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        text = state.pop("_json", None)
        self.__dict__.update(state)
        if text is not None:
            self._set_state(_covariates.load(text))

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={v!r}" for k, v in self._hyperparameters().items())
        text = f"{type(self).__name__}({hyper})"
        if getattr(self, "_state", None) is not None:
            fitted = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
            how = (
                f"fitted on {self.n_customers_:g} customers"
                if self.n_customers_ > 0
                else "parameters set"
            )
            text += f"  # {how}: {fitted}"
        return text

    # ----------------------------------------------------------------- helpers for subclasses
    def _params(self) -> list[float]:
        self._check_fitted()
        if self._has_covariates():
            name = type(self).__name__
            raise ValueError(
                f"{name} was fitted with covariates, so its customers have different "
                "parameters and there is no single parameter set: pass covariates= (each "
                "customer's row, or one profile for new customers) to the prediction, or "
                f"build the plain model of one profile with {name}.from_params("
                "model._state.customer_params(z)[0])"
            )
        return [float(v) for v in self.params_]

    def _fit_state(self) -> _core.BtydFit:
        """The fitted state, whose methods make every prediction at the fitted parameters
        (the model was resolved once, in Rust, when the state was built or loaded)."""
        self._params()  # NotFittedError before fit; the covariate-fit message after one
        state = self._state
        if not isinstance(state, _core.BtydFit):
            raise TypeError(f"{type(self).__name__} holds no plain fitted state")
        return state

    @staticmethod
    def _output(values: np.ndarray, like: Any, name: str) -> Any:
        """numpy out, a Series when the input was a Series (same index), a float for scalars."""
        return shaped(values, like, name)
