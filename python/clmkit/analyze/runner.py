"""Runs :func:`clmkit.analyze`'s steps with timings and progress reports."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, Optional, TypeVar

from . import steps
from .result import Progress

__all__ = ["Pending", "StepRunner"]

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
        self.record(name, time.perf_counter() - start)
        return result

    def start(self, name: str, fn: Callable[[], T]) -> Pending[T]:
        """Runs ``fn`` in a thread while the caller goes on with other steps: worth it for a
        step that spends its time in Rust or Arrow with the GIL released. The caller must
        call :meth:`Pending.result` (or :meth:`Pending.wait` on error paths) before it
        returns, so no thread outlives the call that started it."""
        return Pending(self, name, fn)

    def record(self, name: str, seconds: float) -> None:
        self.timings[name] = seconds
        if self.progress is not None:
            self.progress(name, seconds)


class Pending(Generic[T]):
    """A step running in a thread of its own (see :meth:`StepRunner.start`)."""

    def __init__(self, runner: StepRunner, name: str, fn: Callable[[], T]) -> None:
        self._runner, self._name, self._fn = runner, name, fn
        self._value: Optional[T] = None
        self._error: Optional[BaseException] = None
        self._seconds = 0.0
        self._reported = False
        self._thread = threading.Thread(target=self._run, name=f"clmkit-{name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        start = time.perf_counter()
        try:
            self._value = self._fn()
        except BaseException as exc:  # re-raised in the caller's thread by result()
            self._error = exc
        self._seconds = time.perf_counter() - start

    def wait(self) -> None:
        """Waits for the thread (no result, no error): for ``finally`` blocks."""
        self._thread.join()

    def result(self) -> T:
        """Waits for the step, reports it as :meth:`StepRunner.step` does and returns its
        result, or raises its error here."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        if not self._reported:
            self._reported = True
            self._runner.record(self._name, self._seconds)
        return self._value  # type: ignore[return-value]  # set when no error was raised
