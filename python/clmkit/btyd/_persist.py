"""Persistence of the BTYD models in the one estimator envelope (``clmkit._estimator``):
``{"clmkit_format", "model", "hyperparameters", "state"}`` whose ``state`` is the Rust
core's own versioned document (``src/btyd/saved.rs`` or the covariate fit's), checked field
by field there. Documents saved before the envelope (the bare state) still load."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Optional, TypeVar, Union

from .. import _core
from .._estimator import check_envelope, parse_document
from ..exceptions import bounded
from . import _covariates

if TYPE_CHECKING:
    from ._base import BTYDFitter

__all__ = ["restore", "state_document"]

F = TypeVar("F", bound="BTYDFitter")


def restore(
    cls: type[F],
    base: type[BTYDFitter],
    registry: Mapping[_core.ModelKind, type[BTYDFitter]],
    text: Union[str, bytes],
) -> F:
    """The model saved in ``text`` as an instance of ``cls`` (any registered BTYD class when
    ``cls`` is ``base``), after checking the envelope and the state field by field."""
    kinds = {c._kind() for c in registry.values()}
    payload, kind = state_document(text, kinds, base._get_param_names())
    state = _covariates.load(payload)
    target = registry.get(state.kind)
    if target is None or (cls is not base and not issubclass(target, cls)):
        raise ValueError(f"the JSON holds a {state.model!r} model, not a {cls.__name__}")
    if kind is not None and kind != target._kind():
        raise ValueError(
            f"model JSON: field 'model' is {bounded(repr(kind), 40)} but field 'state' "
            f"holds a {state.model!r} model ({target._kind()})"
        )
    model = target(
        penalizer=state.penalizer,
        initial_params=state.initial_params,
        tol=state.tol,
        max_iter=state.max_iter,
        **_covariates.hyperparameters(state),
    )
    if not isinstance(model, cls):  # issubclass(target, cls) was checked above
        raise TypeError(f"{target.__name__} is not a {cls.__name__}")
    model._set_state(state)
    return model


def state_document(
    text: Union[str, bytes], kinds: Collection[str], hyperparameters: Collection[str]
) -> tuple[str, Optional[str]]:
    """The Rust state's document inside a saved BTYD model and the envelope's model kind
    (one of ``kinds``, the class names), after checking the envelope; (the text, None) for
    a document saved before the envelope, which is the bare state."""
    doc = parse_document(text)
    if "clmkit_format" not in doc and "format" in doc:
        return text if isinstance(text, str) else bytes(text).decode("utf-8"), None
    kind = doc.get("model")
    if not isinstance(kind, str) or kind not in kinds:
        raise ValueError(
            f"model JSON: field 'model' is {bounded(repr(kind), 40)}, not one of {sorted(kinds)}"
        )
    check_envelope(doc, kind)
    hyper = doc["hyperparameters"]
    if not isinstance(hyper, dict):
        raise ValueError("model JSON: field 'hyperparameters' must be an object")
    unknown = sorted(set(hyper) - set(hyperparameters))
    if unknown:
        raise ValueError(f"model JSON: unknown hyperparameters {bounded(unknown, 200)}")
    state = doc["state"]
    if not isinstance(state, dict):
        raise ValueError("model JSON: field 'state' must be an object")
    return json.dumps(state, allow_nan=False), kind
