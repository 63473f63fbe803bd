"""Bootstrap prediction intervals, shared by every BTYD model (mixed into BTYDFitter)."""

from __future__ import annotations

import inspect
import warnings
from typing import TYPE_CHECKING, Any, ClassVar, Optional

import numpy as np
import pandas as pd

from .. import _core
from .._errors import ClmkitWarning
from .._validation import check_choice, check_int, index_of
from ._covariate_resample import resample_draws

__all__ = ["IntervalMixin", "random_seed"]

# Methods that are not predictions of the fitted model.
_NOT_QUANTITIES = frozenset(
    {
        "fit",
        "generate",
        "predict_interval",
        "to_json",
        "from_json",
        "summary",
        "p_alive_matrix",
        "expected_purchases_matrix",
    }
)


def random_seed(seed: Optional[int]) -> int:
    """A 64-bit seed: the given one (an int >= 0), or fresh entropy when None."""
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint64)[0])
    return check_int(seed, "seed", low=0) % (1 << 64)


class IntervalMixin:
    """Adds :meth:`predict_interval` to the BTYD estimators."""

    # What the estimator this is mixed into (BTYDFitter) provides.
    _model_kind: ClassVar[_core.ModelKind]
    # BtydFit or BtydCovariateFit: the covariate modules pick by `_has_covariates()`.
    _state: Any
    params_: pd.Series
    variance_matrix_: pd.DataFrame
    _training_data_: tuple[list[np.ndarray], Optional[np.ndarray]]
    if TYPE_CHECKING:

        def _check_fitted(self) -> None: ...

    def _interval_quantity(self, quantity: object) -> str:
        cls = type(self)
        options = sorted(
            n
            for n in dir(cls)
            if not n.startswith("_")
            and n not in _NOT_QUANTITIES
            and inspect.isfunction(inspect.getattr_static(cls, n))
        )
        if not isinstance(quantity, str) or quantity not in options:
            raise ValueError(f"quantity must be one of {options}, got {quantity!r}")
        return quantity

    def _with_params(self, params: np.ndarray) -> IntervalMixin:
        """A shallow copy of the model predicting at other parameters."""
        replica = object.__new__(type(self))
        replica.__dict__.update(self.__dict__)
        # Predictions run on the state (base parameters and coefficients for covariate fits).
        replica._state = self._state.with_params([float(v) for v in params])
        if isinstance(replica._state, _core.BtydCovariateFit):
            return replica
        index = self.params_.index
        replica.__dict__["params_"] = pd.Series(params, index=index, name="coef", dtype=float)
        return replica

    def predict_interval(
        self,
        quantity: str,
        *args: Any,
        level: float = 0.9,
        n_boot: int = 200,
        seed: Optional[int] = None,
        method: str = "parametric",
        **kwargs: Any,
    ) -> pd.DataFrame:
        """Bootstrap prediction interval of any prediction of the fitted model.

        ``quantity`` names a prediction method (e.g. ``"p_alive"``,
        ``"conditional_expected_purchases"``); ``*args`` and ``**kwargs`` are passed to it.
        With ``method="parametric"`` the parameters of each replicate are drawn from the
        fit's normal approximation on the log scale (the scale the model is estimated on,
        so draws stay positive), N(log params, covariance of log params); with
        ``method="resample"`` customers are resampled with replacement and the model is
        refitted (slower; it needs the data of the fit in this session). The draws and
        refits run in parallel in Rust and depend only on ``seed`` — the same seed gives
        the same interval whatever the number of threads. Covariate fits draw base
        parameters and coefficients together; resampling keeps each customer's covariates
        and refits one replicate at a time.

        Parameters
        ----------
        quantity : str
            Name of the prediction method.
        *args, **kwargs
            Its arguments.
        level : float, default 0.9
            Coverage of the central interval.
        n_boot : int, default 200
            Number of bootstrap replicates.
        seed : int, optional
            Seed of the replicates (fresh entropy when None).
        method : {"parametric", "resample"}

        Returns
        -------
        pandas.DataFrame
            ``estimate`` (at the fitted parameters), ``lower`` and ``upper``; one row per
            output value, indexed like the input when it is a pandas object.

        Raises
        ------
        ValueError
            Unknown quantity or method, bad level / n_boot, no covariance matrix (use
            ``method="resample"``), or ``method="resample"`` without the fit's data.
        clmkit.ConvergenceError
            When a resampled refit fails.

        Examples
        --------
        >>> import clmkit
        >>> bg = clmkit.BetaGeo().fit(clmkit.datasets.load_cdnow_summary())
        >>> iv = bg.predict_interval("expected_purchases", 52, seed=1)
        >>> bool(iv["lower"].iloc[0] < iv["estimate"].iloc[0] < iv["upper"].iloc[0])
        True
        """
        self._check_fitted()
        name = self._interval_quantity(quantity)
        method = check_choice(method, "method", ("parametric", "resample"))
        n_boot = check_int(n_boot, "n_boot", low=2)
        if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
            raise ValueError(f"level must be a number in (0, 1), got {level!r}")
        seed = random_seed(seed)
        estimate = getattr(self, name)(*args, **kwargs)
        draws = self._bootstrap_params(method, n_boot, seed)
        if len(draws) < n_boot:
            warnings.warn(
                f"{n_boot - len(draws)} of {n_boot} bootstrap refits did not converge "
                "(likelihood maximised on the boundary of the parameter space) and "
                "were left out of the interval",
                ClmkitWarning,
                stacklevel=2,
            )
        point = np.atleast_1d(np.asarray(estimate, dtype=float)).ravel()
        try:
            values = np.empty((len(draws), point.size))
        except MemoryError:
            raise MemoryError(
                f"n_boot={n_boot} replicates x {point.size} predictions do not fit in memory: "
                "use a smaller n_boot or fewer customers per call"
            ) from None
        for b, params in enumerate(draws):
            out = getattr(self._with_params(params), name)(*args, **kwargs)
            values[b] = np.asarray(out, dtype=float).ravel()
        lower, upper = _core.btyd_intervals(values, float(level))
        index = index_of(estimate)
        table: pd.DataFrame = pd.DataFrame(
            {"estimate": point, "lower": lower, "upper": upper},
            index=index if index is not None and len(index) == point.size else None,
        )
        return table

    def _bootstrap_params(self, method: str, n_boot: int, seed: int) -> np.ndarray:
        params = self.params_.to_numpy(dtype=float)
        state = getattr(self, "_state", None)
        if isinstance(state, _core.BtydCovariateFit):
            if method == "parametric":
                return _covariate_draws(state, n_boot, seed)
            return resample_draws(self, n_boot, seed)  # type: ignore[arg-type]
        if method == "parametric":
            cov = self.variance_matrix_.to_numpy(dtype=float)
            return _core.btyd_bootstrap_parametric(
                params.tolist(), cov.ravel().tolist(), n_boot, seed
            )
        data = getattr(self, "_training_data_", None)
        if data is None:
            raise ValueError(
                'method="resample" refits the model to resampled customers and needs '
                "the data of the fit: fit the model in this session (a model loaded "
                'from JSON or a pickle only supports method="parametric")'
            )
        columns, weights = data
        return _core.btyd_bootstrap_resample(
            self._model_kind,
            columns,
            weights,
            params.tolist(),
            float(self._state.penalizer),
            float(self._state.tol),
            int(self._state.max_iter),
            n_boot,
            seed,
        )


def _covariate_draws(state: _core.BtydCovariateFit, n_boot: int, seed: int) -> np.ndarray:
    """Parametric draws of (base parameters, coefficients): N(estimate, covariance) with the
    base parameters on the log scale. The core draws every parameter on the log scale, so
    coefficients g go in as exp(g) (covariance by the delta method) and come out as logs."""
    values = np.asarray(state.all_params, dtype=float)
    k = len(state.param_names)
    scale = np.ones_like(values)
    scale[k:] = np.exp(values[k:])
    natural = np.where(np.arange(len(values)) < k, values, scale)
    cov = np.asarray(state.covariance, dtype=float).reshape(len(values), len(values))
    if not np.isfinite(cov).all():
        raise ValueError(
            "the fit has no covariance matrix (singular information or a boundary fit): "
            "no parametric interval"
        )
    draws = np.asarray(
        _core.btyd_bootstrap_parametric(
            natural.tolist(), (cov * np.outer(scale, scale)).ravel().tolist(), n_boot, seed
        ),
        dtype=float,
    )
    draws[:, k:] = np.log(draws[:, k:])
    return draws
