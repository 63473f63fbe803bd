"""The one estimator base: what every clmkit model shares.

scikit-learn's contract (hyperparameters are the ``__init__`` arguments, stored unchanged;
``get_params`` / ``set_params`` so :func:`sklearn.base.clone` works; fitted state ends in
``_``; no work in ``__init__``) and lifelines' habits (``summary``, ``plot``), plus one
versioned JSON persistence scheme whose loader checks the document before trusting it.

A model subclasses :class:`Estimator`, implements ``_fitted_state()`` (a JSON-ready dict)
and ``_restore(state)``, and calls ``self._check_fitted()`` at the top of every method that
needs a fit.
"""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import Mapping, Sequence
from typing import ClassVar, TypeVar, Union

from .exceptions import NotFittedError, bounded

__all__ = [
    "JSON_FORMAT",
    "Estimator",
    "JsonValue",
    "check_fitted",
    "finite_float",
    "float_list",
    "check_envelope",
    "load_document",
    "parse_document",
]

#: Version of the JSON documents written by ``to_json``; a loader refuses newer ones.
JSON_FORMAT = 1
#: The largest document a loader parses (a fitted model is a few kB; patterns are not saved).
MAX_DOCUMENT = 64 * 2**20
#: The deepest nesting a loader accepts (a model document is at most 4 levels deep).
MAX_DEPTH = 16

JsonValue = Union[None, bool, int, float, str, list["JsonValue"], dict[str, "JsonValue"]]
E = TypeVar("E", bound="Estimator")


class Estimator:
    """Base of every clmkit model (not used directly).

    Examples
    --------
    >>> class Toy(Estimator):
    ...     def __init__(self, penalizer=0.0):
    ...         self.penalizer = penalizer
    >>> toy = Toy(penalizer=0.01)
    >>> toy
    Toy(penalizer=0.01)
    >>> toy.get_params()
    {'penalizer': 0.01}
    >>> toy.set_params(penalizer=0.0).penalizer
    0.0
    >>> toy.params_
    Traceback (most recent call last):
    ...
    AttributeError: 'Toy' object has no attribute 'params_'
    >>> toy.to_json()
    Traceback (most recent call last):
    ...
    clmkit.exceptions.NotFittedError: This Toy is not fitted yet: call fit(...) first
    """

    #: Name written in (and checked on) JSON documents; the class name by default.
    _json_kind: ClassVar[str] = ""

    # ------------------------------------------------------------ hyperparameters
    @classmethod
    def _get_param_names(cls) -> list[str]:
        """The ``__init__`` arguments, which are the hyperparameters (scikit-learn rule)."""
        init = cls.__init__
        if init is object.__init__:
            return []
        names = []
        for p in inspect.signature(init).parameters.values():
            if p.name == "self" or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                continue
            names.append(p.name)
        return sorted(names)

    def get_params(self, deep: bool = True) -> dict[str, object]:
        """Hyperparameters as given to ``__init__`` (``deep`` is accepted for scikit-learn).

        Returns
        -------
        dict
            Argument name to value.
        """
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self: E, **params: object) -> E:
        """Sets hyperparameters by name and returns the estimator (scikit-learn contract).

        Raises
        ------
        ValueError
            For a name that is not a hyperparameter of this model.
        """
        valid = set(self._get_param_names())
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"{name!r} is not a parameter of {type(self).__name__}; "
                    f"valid parameters: {sorted(valid)}"
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={bounded(repr(v), 60)}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # ------------------------------------------------------------ fitted state
    def _is_fitted(self) -> bool:
        """True once ``fit`` has run; models override where state lives elsewhere."""
        return any(k.endswith("_") and not k.startswith("__") for k in vars(self))

    def _check_fitted(self) -> None:
        check_fitted(self)

    # ------------------------------------------------------------ persistence
    def _fitted_state(self) -> dict[str, JsonValue]:
        """The fitted state as a JSON-ready dict (models implement it)."""
        raise TypeError(f"{type(self).__name__} cannot be saved")

    def _restore(self, state: Mapping[str, JsonValue]) -> None:
        """Sets the fitted state from a checked document's ``state`` (models implement it)."""
        raise TypeError(f"{type(self).__name__} cannot be loaded")

    @classmethod
    def _kind(cls) -> str:
        return cls._json_kind or cls.__name__

    def to_json(self) -> str:
        """The fitted model as a versioned JSON document; :meth:`from_json` restores it.

        Raises
        ------
        NotFittedError
            Before ``fit``.
        """
        self._check_fitted()
        hyper = {k: _jsonable(k, v) for k, v in self.get_params().items()}
        doc = {
            "clmkit_format": JSON_FORMAT,
            "model": self._kind(),
            "hyperparameters": hyper,
            "state": self._fitted_state(),
        }
        return json.dumps(doc, allow_nan=True)

    @classmethod
    def from_json(cls: type[E], text: Union[str, bytes]) -> E:
        """A model restored from :meth:`to_json`'s document, after checking its schema.

        Raises
        ------
        ValueError
            When the document is not valid JSON, too large or deep, of another model or a
            newer format, or a field is missing or of the wrong kind (the message names it).
        """
        doc = load_document(text, cls._kind())
        hyper = doc["hyperparameters"]
        if not isinstance(hyper, dict):
            raise ValueError("model JSON: field 'hyperparameters' must be an object")
        names = set(cls._get_param_names())
        unknown = sorted(set(hyper) - names)
        if unknown:
            raise ValueError(f"model JSON: unknown hyperparameters {bounded(unknown, 200)}")
        model = cls(**hyper)
        state = doc["state"]
        if not isinstance(state, dict):
            raise ValueError("model JSON: field 'state' must be an object")
        model._restore(state)
        return model

    def __getstate__(self) -> dict[str, object]:
        return dict(vars(self))

    def __setstate__(self, state: dict[str, object]) -> None:
        vars(self).update(state)


def check_fitted(model: Estimator) -> None:
    """Raises :class:`NotFittedError` when ``model`` has not been fitted.

    Examples
    --------
    >>> class Toy(Estimator):
    ...     pass
    >>> check_fitted(Toy())
    Traceback (most recent call last):
    ...
    clmkit.exceptions.NotFittedError: This Toy is not fitted yet: call fit(...) first
    """
    if not model._is_fitted():
        raise NotFittedError(f"This {type(model).__name__} is not fitted yet: call fit(...) first")


def load_document(text: Union[str, bytes], kind: str) -> dict[str, JsonValue]:
    """Parses and checks the envelope of a model document (size, depth, format, kind)."""
    return check_envelope(parse_document(text), kind)


def parse_document(text: Union[str, bytes]) -> dict[str, JsonValue]:
    """Parses a model document, refusing it when too large, too deep or not an object."""
    if not isinstance(text, (str, bytes, bytearray)):
        raise TypeError(f"from_json takes a str, got {type(text).__name__}")
    if len(text) > MAX_DOCUMENT:
        raise ValueError(f"model JSON is {len(text)} bytes, more than {MAX_DOCUMENT}")
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise ValueError(f"model JSON could not be parsed: {bounded(err, 200)}") from None
    if _depth(doc) > MAX_DEPTH:
        raise ValueError(f"model JSON is nested deeper than {MAX_DEPTH} levels")
    if not isinstance(doc, dict):
        raise ValueError("model JSON must be an object")
    return doc


def check_envelope(doc: dict[str, JsonValue], kind: str) -> dict[str, JsonValue]:
    """Checks a parsed document's envelope: its fields, format version and model kind."""
    for field in ("clmkit_format", "model", "hyperparameters", "state"):
        if field not in doc:
            raise ValueError(f"model JSON: field {field!r} is missing")
    version = doc["clmkit_format"]
    if not isinstance(version, int) or isinstance(version, bool) or not version >= 1:
        raise ValueError(f"model JSON: field 'clmkit_format' is {bounded(repr(version), 40)}")
    if version > JSON_FORMAT:
        raise ValueError(
            f"model JSON has format {version}; this clmkit reads up to {JSON_FORMAT}: upgrade"
        )
    if doc["model"] != kind:
        raise ValueError(
            f"model JSON holds a {bounded(repr(doc['model']), 40)} model, not a {kind}"
        )
    return doc


def _depth(value: object, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _jsonable(name: str, value: object) -> JsonValue:
    """A hyperparameter as JSON (tuples become lists); anything else cannot be saved."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(name, v) for k, v in value.items()}
    if isinstance(value, Sequence):
        return [_jsonable(name, v) for v in value]
    if hasattr(value, "to_dict"):  # pandas Series (e.g. initial parameters by name)
        return _jsonable(name, value.to_dict())
    if hasattr(value, "tolist") and getattr(value, "ndim", 0) > 0:  # numpy arrays
        return _jsonable(name, value.tolist())
    if hasattr(value, "item"):  # numpy scalars
        item = value.item()
        if isinstance(item, (bool, int, float)):
            return item
    raise TypeError(f"hyperparameter {name}={bounded(repr(value), 60)} cannot be saved as JSON")


def finite_float(doc: Mapping[str, JsonValue], field: str, *, positive: bool = False) -> float:
    """A number field of a checked document (finite, and > 0 if ``positive``)."""
    value = doc.get(field)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"model JSON: field {field!r} must be a number")
    x = float(value)
    if not math.isfinite(x) or (positive and x <= 0):
        raise ValueError(
            f"model JSON: field {field!r} is {x}, must be finite{' and > 0' if positive else ''}"
        )
    return x


def float_list(doc: Mapping[str, JsonValue], field: str, *, allow_nan: bool = False) -> list[float]:
    """A list-of-numbers field of a checked document."""
    value = doc.get(field)
    if not isinstance(value, list) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
    ):
        raise ValueError(f"model JSON: field {field!r} must be a list of numbers")
    out = [float(v) for v in value]  # type: ignore[arg-type]
    if not allow_nan and not all(math.isfinite(v) for v in out):
        raise ValueError(f"model JSON: field {field!r} has a value that is not finite")
    return out
