"""Exceptions and warnings raised by clmkit."""

from __future__ import annotations

from ._core import ConvergenceError

__all__ = ["ClmkitWarning", "ConvergenceError"]


class ClmkitWarning(UserWarning):
    """A warning about data or a model that deserves attention but is not an error."""
