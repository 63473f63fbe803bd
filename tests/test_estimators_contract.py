"""The estimator contract of issue 16, over every public estimator at once.

The estimators are discovered from ``clmkit.__all__``, so a model added later is covered
without editing this file: every public class with a ``fit`` method is on the one base
(:class:`clmkit._estimator.Estimator`), survives ``sklearn.base.clone``, and raises
:class:`clmkit.exceptions.NotFittedError` from every public method and property that needs a
fit (predictions, ``to_json``, ``plot``, ``summary``, fitted attributes) when called before
``fit``, given arguments that are otherwise valid.
"""

from __future__ import annotations

import inspect
from typing import Callable

import clmkit
import numpy as np
import pandas as pd
import pytest
from clmkit._estimator import Estimator
from clmkit.exceptions import NotFittedError

sklearn_base = pytest.importorskip("sklearn.base")

PUBLIC_CLASSES = [
    getattr(clmkit, name) for name in clmkit.__all__ if inspect.isclass(getattr(clmkit, name))
]
ESTIMATORS = [cls for cls in PUBLIC_CLASSES if hasattr(cls, "fit")]

# Methods that work on an unfitted estimator by design: fitting itself and the parameter
# plumbing sklearn relies on (classmethods such as ``from_json`` are skipped by kind).
NEEDS_NO_FIT = {"fit", "fit_transform", "get_params", "set_params"}

_ARRAY = np.array([1.0, 2.0, 3.0])
_TABLE = pd.DataFrame(
    {
        "frequency": [1.0, 2.0, 1.0],
        "recency": [3.0, 4.0, 1.0],
        "T": [5.0, 6.0, 7.0],
        "monetary_value": [10.0, 20.0, 5.0],
        "n_periods": [6, 6, 6],
        "duration": [1.0, 2.0, 3.0],
        "event": [1, 0, 1],
    }
)
# Valid arguments by parameter name, so that a method reaches its fitted-state check
# instead of stopping at an argument error.
_BY_NAME: dict[str, object] = {
    "frequency": _ARRAY,
    "recency": _ARRAY,
    "T": _ARRAY + 5,
    "monetary_value": _ARRAY * 10,
    "n_periods": _ARRAY + 5,
    "X": _TABLE,
    "data": _TABLE,
    "table": _TABLE,
    "df": _TABLE,
    "customers": _TABLE,
    "duration_col": "duration",
    "quantity": "p_alive",
    "n0": 100.0,
    "t": 2.0,
    "max_recency": 5.0,
    "discount_rate": 0.01,
    "margin": 1.0,
}


def _argument(param: inspect.Parameter) -> object:
    """A valid value for ``param``: by its scalar annotation first (a grid's ``T`` is a
    number, a customer's ``T`` an array), then by its name, else an array."""
    annotation = str(param.annotation)
    if annotation in ("int", "Optional[int]"):
        return 3
    if annotation in ("float", "Optional[float]"):
        return 5.0
    return _BY_NAME.get(param.name, _ARRAY)


def _fitted_members(cls: type) -> list[tuple[str, Callable[[Estimator], object]]]:
    """Each public method and property of ``cls`` that needs a fit, as a call on an instance."""
    calls: list[tuple[str, Callable[[Estimator], object]]] = []
    for name in sorted(dir(cls)):
        if name.startswith("_") or name in NEEDS_NO_FIT:
            continue
        static = inspect.getattr_static(cls, name)
        if isinstance(static, property):
            calls.append((name, lambda est, n=name: getattr(est, n)))
        elif inspect.isfunction(static):
            params = list(inspect.signature(static).parameters.values())[1:]
            kwargs = {
                p.name: _argument(p)
                for p in params
                if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                and (p.default is p.empty or p.name in _BY_NAME)
            }
            calls.append((name, lambda est, n=name, kw=kwargs: getattr(est, n)(**kw)))
    return calls


def test_the_estimators_are_discovered() -> None:
    # the discovery must see the models of every domain, or the tests below prove little
    names = {cls.__name__ for cls in ESTIMATORS}
    assert {"BetaGeo", "GammaGamma", "CoxPH", "WeibullAFT", "KaplanMeier", "RFMScorer"} <= names
    assert {"ShiftedBetaGeometric", "BetaDiscreteWeibull"} <= names


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_every_estimator_is_on_the_one_base(cls: type) -> None:
    assert issubclass(cls, Estimator)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_clone_gives_an_unfitted_copy_with_the_same_params(cls: type) -> None:
    est = cls()
    copy = sklearn_base.clone(est)
    assert type(copy) is cls and copy is not est
    assert copy.get_params() == est.get_params()
    assert set(copy.get_params()) == set(inspect.signature(cls.__init__).parameters) - {"self"}
    with pytest.raises(NotFittedError):
        copy.to_json()


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_every_fitted_member_raises_not_fitted_before_fit(cls: type) -> None:
    calls = _fitted_members(cls)
    assert "to_json" in dict(calls)
    leaks = {}
    for name, call in calls:
        try:
            call(cls())
        except NotFittedError:
            continue
        except Exception as err:  # anything else is a leak; the assertion names it
            leaks[name] = f"{type(err).__name__}: {err}"[:120]
        else:
            leaks[name] = "returned without an error"
    assert leaks == {}
