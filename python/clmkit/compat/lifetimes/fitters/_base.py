"""What every lifetimes fitter shares: fitted attributes in lifetimes' names and shapes,
``summary``, ``repr``, ``save_model``/``load_model`` and the argument plumbing.

A façade fitter owns one native clmkit model (``self._model``) and only translates names and
conventions; every number comes from the native model.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, ClassVar, Optional, TypeVar, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from ...._errors import ClmkitWarning
from ...._validation import check_int, check_positive_float
from ....btyd import BTYDFitter
from . import _persist

__all__ = ["BaseFitter"]

V = TypeVar("V")

# A fitted native clmkit model (clmkit.BetaGeo, ...). Typed loosely: the native classes share
# no typed protocol yet (issue 16 gives the BTYD models a typed door).
NativeModel = Any

# lifetimes' intervals are params +- 1.96 se on the natural scale (clmkit's native ones are
# built on the log scale); the façade keeps lifetimes' convention.
_Z = 1.96
# scipy.optimize.minimize options lifetimes forwards from **kwargs; clmkit's optimiser has its
# own, so only the iteration limit carries over.
_ITERATION_KEYS = ("maxiter",)


def _native_tol(tol: float) -> float:
    """clmkit's gradient tolerance for a lifetimes ``tol``: never looser than clmkit's 1e-8
    (lifetimes' tol is scipy's, on another scale; clmkit always converges to the MLE)."""
    return min(check_positive_float(tol, "tol"), 1e-8)


def _max_iter(kwargs: dict[str, Any], default: int = 1000) -> int:
    """The iteration limit from lifetimes' scipy options; other options are ignored with a warning."""
    limit = default
    for key in list(kwargs):
        if key in _ITERATION_KEYS:
            limit = check_int(kwargs.pop(key), key, low=1)
    if kwargs:
        warnings.warn(
            f"ignored optimiser options {sorted(kwargs)}: clmkit fits with its own "
            "L-BFGS (analytic gradients), not scipy.optimize.minimize",
            ClmkitWarning,
            stacklevel=3,
        )
    return limit


def _unnamed(values: V) -> V:
    """lifetimes' pandas results carry no name (the native ones are named): drop it in place
    on the fresh Series the native model returned."""
    if isinstance(values, pd.Series):
        values.name = None
    return values


def _as_column(values: npt.ArrayLike) -> np.ndarray:
    """A column as lifetimes stores it in ``data`` (the index is dropped, as np.asarray does)."""
    return np.asarray(values)


class BaseFitter:
    """Base class of the lifetimes-compatible fitters (not used directly)."""

    _native: ClassVar[Any] = BTYDFitter
    _param_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, penalizer_coef: float = 0.0) -> None:
        self.penalizer_coef = penalizer_coef

    # ------------------------------------------------------------------ fitting
    def _fit_native(
        self,
        columns: Sequence[npt.ArrayLike],
        weights: Optional[npt.ArrayLike],
        initial_params: Optional[npt.ArrayLike],
        tol: float,
        max_iter: int,
    ) -> NativeModel:
        model = self._native(
            penalizer=check_positive_float(self.penalizer_coef, "penalizer_coef", allow_zero=True),
            initial_params=None if initial_params is None else list(np.ravel(initial_params)),
            tol=_native_tol(tol),
            max_iter=max_iter,
        )
        model.fit(*columns, weights=weights)
        return model

    def _adopt(self, model: NativeModel) -> None:
        """Copies the native model's fitted state into lifetimes' attribute names."""
        self._model = model
        self.params_ = pd.Series(
            model.params_.to_numpy(dtype=float), index=list(model.params_.index)
        )
        self.standard_errors_ = pd.Series(
            model.standard_errors_.to_numpy(dtype=float), index=self.params_.index
        )
        self.variance_matrix_ = model.variance_matrix_.copy()
        self.confidence_intervals_ = pd.DataFrame(
            {
                "lower 95% bound": self.params_ - _Z * self.standard_errors_,
                "upper 95% bound": self.params_ + _Z * self.standard_errors_,
            },
            index=self.params_.index,
        )

    def _fitted(self) -> NativeModel:
        """The native model predicting with ``params_``. lifetimes users may assign
        ``params_`` by hand (e.g. stored parameters); the native model follows it."""
        model = getattr(self, "_model", None)
        params = getattr(self, "params_", None)
        if params is None:
            raise ValueError("Model has not been fit yet. Please call the .fit method first.")
        if (
            model is None
            or not np.array_equal(
                np.asarray(params, dtype=float), model.params_.to_numpy(dtype=float)
            )
            or list(params.index) != list(model.params_.index)
        ):
            if not isinstance(params, pd.Series):
                raise TypeError(
                    f"params_ must be a pandas Series indexed by {list(self._param_names)}"
                )
            model = self._native.from_params({k: params[k] for k in self._param_names})
            self._model = model
        return model

    def _unload_params(self, *args: str) -> list[float]:
        """The parameters named ``args`` (lifetimes' helper, used by its plots and tests);
        works on ``params_`` set by hand too."""
        params = getattr(self, "params_", None)
        if params is None:
            raise ValueError("Model has not been fit yet. Please call the .fit method first.")
        return [float(params[name]) for name in args]

    @classmethod
    def _row_log_likelihood(
        cls, params: npt.ArrayLike, columns: Sequence[npt.ArrayLike]
    ) -> np.ndarray:
        """Each row's log-likelihood at natural ``params``, from the core (the native model's
        ``individual_log_likelihood``), shaped like the broadcast columns."""
        arrays = np.broadcast_arrays(*[np.asarray(c, dtype=float) for c in columns])
        model = cls._native.from_params([float(p) for p in np.ravel(params)])
        flat = [np.ascontiguousarray(a.reshape(-1)) for a in arrays]
        out = np.asarray(model.individual_log_likelihood(*flat), dtype=float)
        return out.reshape(arrays[0].shape)

    @classmethod
    def _mean_negative_log_likelihood(
        cls,
        params: np.ndarray,
        columns: Sequence[npt.ArrayLike],
        weights: Optional[npt.ArrayLike],
        penalizer_coef: float,
        per: str = "sum",
    ) -> float:
        """lifetimes' objective: minus the weighted log-likelihood of the rows (each from
        the core, ``individual_log_likelihood`` at natural ``params``) divided by the sum
        (``per="sum"``) or mean (``"mean"``) of the weights, plus ``penalizer_coef`` times the
        sum of squared parameters. Scalars broadcast against arrays, as in lifetimes."""
        params = np.asarray(params, dtype=float).reshape(-1)
        loglik = cls._row_log_likelihood(params, columns).reshape(-1)
        w = np.broadcast_to(np.asarray(weights, dtype=float).reshape(-1), loglik.shape)
        divisor = w.sum() if per == "sum" else w.mean()
        return float(-(w * loglik).sum() / divisor + penalizer_coef * sum(params**2))

    def _after_load(self) -> None:
        """Attributes lifetimes keeps in the instance ``__dict__`` (``predict``,
        ``generate_new_data``), set after fitting and loading."""
        method = getattr(type(self), "generate_new_data", None)
        if method is not None:
            self.generate_new_data = method.__get__(self)

    def _after_fit(self, verbose: bool) -> None:
        if verbose:
            print(self.summary)

    @property
    def summary(self) -> pd.DataFrame:
        """``coef``, ``se(coef)``, ``lower 95% bound``, ``upper 95% bound`` per parameter."""
        self._fitted()
        df = pd.DataFrame(index=self.params_.index)
        df["coef"] = self.params_
        df["se(coef)"] = self.standard_errors_
        df["lower 95% bound"] = self.confidence_intervals_["lower 95% bound"]
        df["upper 95% bound"] = self.confidence_intervals_["upper 95% bound"]
        return cast(pd.DataFrame, df)

    def _random_seed(self) -> int:
        """A seed drawn from numpy's global generator, so ``np.random.seed(s)`` before a
        simulation makes it reproducible, as it does in lifetimes."""
        return int(np.random.randint(0, 2**62))

    # ------------------------------------------------------------------ persistence
    def save_model(
        self,
        path: str,
        save_data: bool = True,
        save_generate_data_method: bool = True,
        values_to_save: Optional[list[object]] = None,
    ) -> None:
        """Saves the model to ``path`` as JSON (clmkit's versioned model JSON inside; no
        dill/pickle, so loading runs no code). Works on unfitted fitters too.

        Parameters
        ----------
        path : str
            File to write.
        save_data : bool, default True
            Whether to store ``data``.
        save_generate_data_method : bool, default True
            Whether the loaded fitter has ``generate_new_data`` (else it holds the
            placeholder, as in lifetimes).
        values_to_save : list, optional
            Placeholders for the attributes not saved, in lifetimes' order (``data``, then
            ``generate_new_data``); None by default. They must be JSON scalars.
        """
        _persist.dump(self, path, save_data, save_generate_data_method, values_to_save)

    def load_model(self, path: str) -> None:
        """Loads a model written by :meth:`save_model` into this fitter (same class).

        Raises
        ------
        ValueError
            When the file is not a saved clmkit lifetimes model of this class, or a field
            is missing, nested, negative or not finite (the field is named).
        """
        _persist.load(self, path, self._native)

    def __repr__(self) -> str:
        # lifetimes' rule: subjects when ``data`` has a shape, parameters when ``params_``
        # exists (both may be set by hand).
        classname = type(self).__name__
        shape = getattr(getattr(self, "data", None), "shape", None)
        subjects = f" fitted with {shape[0]:d} subjects," if shape else ""
        params = getattr(self, "params_", None)
        if params is None:
            return f"<lifetimes.{classname}>"
        text = ", ".join(f"{k}: {v:.2f}" for k, v in sorted(params.items()))
        return f"<lifetimes.{classname}:{subjects} {text}>"
