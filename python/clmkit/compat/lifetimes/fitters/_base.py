"""What every lifetimes fitter shares: fitted attributes in lifetimes' names and shapes,
``summary``, ``repr``, ``save_model``/``load_model`` and the argument plumbing.

A façade fitter owns one native clmkit model (``self._model``) and only translates names and
conventions; every number comes from the native model.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from typing import Any, ClassVar, Optional

import numpy as np
import pandas as pd

from ...._errors import ClmkitWarning
from ...._validation import check_int, check_positive_float
from ....btyd import BTYDFitter

__all__ = ["BaseFitter"]

# lifetimes' intervals are params +- 1.96 se on the natural scale (clmkit's native ones are
# built on the log scale); the façade keeps lifetimes' convention.
_Z = 1.96
_FORMAT = "clmkit.compat.lifetimes/1"
# scipy.optimize.minimize options lifetimes forwards from **kwargs; clmkit's optimiser has its
# own, so only the iteration limit carries over.
_ITERATION_KEYS = ("maxiter",)


def _native_tol(tol: Any) -> float:
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


def _unnamed(values: Any) -> Any:
    """lifetimes' pandas results carry no name (the native ones are named): drop it in place
    on the fresh Series the native model returned."""
    if isinstance(values, pd.Series):
        values.name = None
    return values


def _as_column(values: Any) -> np.ndarray:
    """A column as lifetimes stores it in ``data`` (the index is dropped, as np.asarray does)."""
    return np.asarray(values)


class BaseFitter:
    """Base class of the lifetimes-compatible fitters (not used directly)."""

    _native: ClassVar[type] = BTYDFitter
    _param_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, penalizer_coef: float = 0.0) -> None:
        self.penalizer_coef = penalizer_coef

    # ------------------------------------------------------------------ fitting
    def _fit_native(
        self, columns: Sequence[Any], weights: Any, initial_params: Any, tol: Any, max_iter: int
    ) -> BTYDFitter:
        model = self._native(
            penalizer=check_positive_float(self.penalizer_coef, "penalizer_coef", allow_zero=True),
            initial_params=None if initial_params is None else list(np.ravel(initial_params)),
            tol=_native_tol(tol),
            max_iter=max_iter,
        )
        model.fit(*columns, weights=weights)
        return model

    def _adopt(self, model: BTYDFitter) -> None:
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

    def _fitted(self) -> BTYDFitter:
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
        """The fitted parameters named ``args`` (lifetimes' helper, used by its plots)."""
        self._fitted()
        return [float(self.params_[name]) for name in args]

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
        return df

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
        values_to_save: Optional[list] = None,
    ) -> None:
        """Saves the fitted model to ``path`` as JSON (clmkit's versioned model JSON inside;
        no dill/pickle, so loading runs no code).

        Parameters
        ----------
        path : str
            File to write.
        save_data : bool, default True
            Whether to store ``data`` (else the loaded model's ``data`` is the first of
            ``values_to_save``, or None).
        save_generate_data_method : bool, default True
            Accepted for compatibility: ``generate_new_data`` is a method and always works
            after loading.
        values_to_save : list, optional
            Placeholders for the attributes not saved (``[data]``), as in lifetimes; they
            must be JSON-serialisable.
        """
        model = self._fitted()
        data = getattr(self, "data", None)
        placeholder = (values_to_save or [None])[0]
        doc = {
            "format": _FORMAT,
            "class": type(self).__name__,
            "penalizer_coef": self.penalizer_coef,
            "model": json.loads(model.to_json()),
            "data": data.to_json(orient="split") if save_data and data is not None else None,
            "data_placeholder": None if save_data else placeholder,
        }
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(doc, fh)

    def load_model(self, path: str) -> None:
        """Loads a model written by :meth:`save_model` into this fitter (same class).

        Raises
        ------
        ValueError
            When the file is not a saved clmkit lifetimes model of this class.
        """
        with open(path, "rb") as fh:
            try:
                doc = json.loads(fh.read().decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise ValueError(
                    f"{path} is not a model saved by clmkit.compat.lifetimes "
                    "(lifetimes' dill files cannot be read: refit and save again)"
                ) from exc
        if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
            raise ValueError(f"{path} is not a model saved by clmkit.compat.lifetimes")
        if doc.get("class") != type(self).__name__:
            raise ValueError(f"{path} holds a {doc.get('class')}, not a {type(self).__name__}")
        self.penalizer_coef = doc["penalizer_coef"]
        self._adopt(self._native.from_json(json.dumps(doc["model"])))
        if doc["data"] is not None:
            from io import StringIO

            self.data = pd.read_json(StringIO(doc["data"]), orient="split")
        else:
            self.data = doc.get("data_placeholder")
        self._after_load()

    def _after_load(self) -> None:
        """Hook for attributes derived from the fitted state (``predict``)."""

    def __repr__(self) -> str:
        classname = type(self).__name__
        data = getattr(self, "data", None)
        subjects = (
            f" fitted with {data.shape[0]:d} subjects," if isinstance(data, pd.DataFrame) else ""
        )
        if getattr(self, "_model", None) is None:
            return f"<lifetimes.{classname}>"
        params = ", ".join(f"{k}: {v:.2f}" for k, v in sorted(self.params_.items()))
        return f"<lifetimes.{classname}:{subjects} {params}>"
