"""Runs :func:`clmkit.analyze`'s steps with timings and progress reports."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Optional, TypeVar

from . import steps
from .result import Progress

__all__ = ["StepRunner"]

T = TypeVar("T")


class StepRunner:
    """Runs steps with timings and progress reports."""

    def __init__(self, progress: Optional[Progress]) -> None:
        self.progress = progress
        self.timings: dict[str, float] = {}
        self.skipped: dict[str, str] = {}

    def skip(self, name: str, reason: str) -> None:
        self.skipped[name] = reason
        steps.warn_skipped(name, reason)

    def step(self, name: str, fn: Callable[[], T]) -> T:
        start = time.perf_counter()
        result = fn()
        self.timings[name] = time.perf_counter() - start
        if self.progress is not None:
            self.progress(name, self.timings[name])
        return result
