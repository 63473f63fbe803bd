"""Kept for imports inside the package; the public module is :mod:`clmkit.exceptions`."""

from __future__ import annotations

from .exceptions import ClmkitWarning, ConvergenceError, InvalidValueError, NotFittedError

__all__ = ["ClmkitWarning", "ConvergenceError", "InvalidValueError", "NotFittedError"]
