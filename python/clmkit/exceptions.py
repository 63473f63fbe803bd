"""Exceptions and warnings raised by clmkit.

Every error clmkit raises on purpose is one of these, or a plain :class:`TypeError` for an
argument of the wrong type. The Rust core reports bad data with the argument, the row and
the value; the door (``src/python/mod.rs``) turns that into :class:`InvalidValueError`, and
the Python entry point that knows the caller's index replaces the row position by its label
(:func:`with_row_label`), so the message names the row as the caller sees it.

Examples
--------
>>> import numpy as np, clmkit
>>> from clmkit.exceptions import InvalidValueError
>>> try:
...     clmkit.BetaGeo().fit(np.array([1.0, -2.0]), np.array([1.0, 1.0]), np.array([3.0, 3.0]))
... except InvalidValueError as err:
...     print(err.arg, err.row, err.value)
frequency 1 -2
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional, Protocol, Union

__all__ = [
    "ClmkitWarning",
    "ConvergenceError",
    "InvalidValueError",
    "NotFittedError",
    "bounded",
    "with_row_label",
]

#: The longest message clmkit builds: a value quoted in an error is cut to fit, so a bad
#: 50 MB string gives a short message, not a 50 MB one.
MAX_MESSAGE = 500
RowLabel = Union[int, str, object]


class RowLabels(Protocol):
    """What an index offers here: a length and a label per position (a pandas Index)."""

    def __len__(self) -> int: ...
    def __getitem__(self, position: int, /) -> object: ...


def bounded(text: object, limit: int = 120) -> str:
    """``str(text)``, cut in the middle with an ellipsis when longer than ``limit``.

    Examples
    --------
    >>> bounded("x" * 1000, 20)
    'xxxxxxxxx…xxxxxxxxxx'
    """
    s = str(text)
    if len(s) <= limit:
        return s
    head = (limit - 1) // 2
    return s[:head] + "…" + s[len(s) - (limit - 1 - head) :]


class ClmkitWarning(UserWarning):
    """A warning about data or a model that deserves attention but is not an error."""


class NotFittedError(ValueError, AttributeError):
    """A prediction, fitted attribute, summary, plot or ``to_json`` used before ``fit``.

    Subclasses :class:`ValueError` and :class:`AttributeError`, as scikit-learn's does, so
    ``hasattr(model, "params_")`` is False on an unfitted model.
    """


class InvalidValueError(ValueError):
    """A value in the caller's data is out of its domain.

    Attributes
    ----------
    arg : str
        The argument (or column) holding the value.
    row : object
        The row: the caller's index label where it is known, else the position from 0.
    position : int or None
        The row's position from 0 when ``row`` is an index label, else None.
    value : str
        The value as text (bounded in length).
    reason : str
        What the value must be.
    """

    def __init__(
        self,
        arg: str,
        row: RowLabel,
        value: object,
        reason: str,
        position: Optional[int] = None,
    ) -> None:
        self.arg = bounded(arg, 80)
        self.row = row
        self.position = position
        self.value = bounded(value, 60)
        self.reason = bounded(reason, 300)
        super().__init__(self.arg, row, self.value, self.reason, position)

    def __str__(self) -> str:
        where = f"row {self.row}"
        if self.position is not None:
            where = f"row {self.position} (index {bounded(repr(self.row), 60)})"
        return bounded(
            f"{self.arg}: {where} has invalid value {self.value} ({self.reason})", MAX_MESSAGE
        )

    def __reduce__(
        self,
    ) -> tuple[type[InvalidValueError], tuple[str, RowLabel, str, str, Optional[int]]]:
        return (type(self), (self.arg, self.row, self.value, self.reason, self.position))


class ConvergenceError(RuntimeError):
    """A model fit that did not reach a maximum within its iteration budget.

    Attributes
    ----------
    params : list of float
        The parameters at the last iteration (natural scale).
    grad_norm : float
        The norm of the objective's gradient there.
    """

    def __init__(
        self, message: str, params: Sequence[float] = (), grad_norm: float = float("nan")
    ) -> None:
        self.params = [float(p) for p in params]
        self.grad_norm = float(grad_norm)
        super().__init__(bounded(message, MAX_MESSAGE))

    def __reduce__(self) -> tuple[type[ConvergenceError], tuple[str, list[float], float]]:
        return (type(self), (str(self), self.params, self.grad_norm))


def with_row_label(err: InvalidValueError, index: Optional[RowLabels]) -> InvalidValueError:
    """The same error with its row position replaced by the caller's index label.

    Parameters
    ----------
    err : InvalidValueError
        An error from the core, whose ``row`` is a position from 0.
    index : sequence, optional
        The caller's row labels (a pandas Index); None keeps the position.

    Returns
    -------
    InvalidValueError
        A new error (chain it with ``raise ... from None``).

    Examples
    --------
    >>> import pandas as pd
    >>> err = InvalidValueError("recency", 1, -2.0, "must be >= 0")
    >>> str(err)
    'recency: row 1 has invalid value -2.0 (must be >= 0)'
    >>> str(with_row_label(err, pd.Index(["a", "b"])))
    "recency: row 1 (index 'b') has invalid value -2.0 (must be >= 0)"
    """
    row = err.row
    if err.position is not None or index is None or not isinstance(row, int):
        return err
    if not 0 <= row < len(index) or _is_range(index):
        return err
    label = index[row]
    label = label.item() if hasattr(label, "item") else label
    return InvalidValueError(err.arg, label, err.value, err.reason, position=row)


def _is_range(index: object) -> bool:
    """A default 0..n index, whose labels are the positions (nothing to add)."""
    return (
        type(index).__name__ == "RangeIndex"
        and getattr(index, "start", 1) == 0
        and (getattr(index, "step", 0) == 1)
    )
