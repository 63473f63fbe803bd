"""Draws the report's figures in a second Python process, in parallel with the command line.

``clmkit report`` spends most of its report time in matplotlib (importing it, loading the
fonts, laying out and encoding eight figures), one core's work while the other core is idle
for most of the run. :class:`FigureWorker` starts a fresh interpreter when the log has been
read; it imports matplotlib and draws a warm-up figure while the analysis runs, receives the
few columns the figures read once the analysis is done, and draws them while the command line
writes the customer table.

The worker is a new interpreter (``sys.executable``), never a ``fork()``: the parent holds
Rust and Arrow thread pools, and a scheduler (Airflow) may run the command in a threaded
process. Both ends talk through the worker's stdin and stdout with pickles (the parent's
``sys.path``, then the figure inputs; back: the figures and any warnings). The figures are
drawn by the same :func:`clmkit.report.figures.report_figures` as in-process, so the report
is the same either way; when the worker cannot start, dies or answers garbage, the parent
draws them itself. The worker never outlives the parent: it is killed on exit, Ctrl-C and
SIGTERM, and ends by itself when the parent's end of the pipe closes.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import selectors
import subprocess
import sys
import threading
import time
import traceback
import warnings
from types import TracebackType
from typing import IO, TYPE_CHECKING, Optional

from .figures import Figures, figure_inputs, report_figures, warm_up

if TYPE_CHECKING:
    from ..analyze import Analysis

__all__ = ["FigureWorker", "serve"]

#: Started as ``python -c BOOT``: adopts the parent's ``sys.path`` (an editable install, a
#: script's own path entries), then serves one request.
BOOT = (
    "import pickle, sys; sys.path[:] = pickle.load(sys.stdin.buffer); "
    "from clmkit.report.worker import serve; serve()"
)

#: How long the parent waits for the figures before drawing them itself. The eight figures
#: take about a second whatever the number of customers (they draw aggregates).
TIMEOUT_S = 300.0


class FigureWorker:
    """A started worker process; use as a context manager so that it is always ended.

    >>> from clmkit.report.worker import FigureWorker
    >>> with FigureWorker() as worker:  # doctest: +SKIP
    ...     worker.submit(analysis)  # returns at once
    ...     write_other_files()
    ...     figures = worker.figures(analysis)
    """

    def __init__(self) -> None:
        self._proc: Optional[subprocess.Popen[bytes]] = None
        self._sender: Optional[threading.Thread] = None
        self._sent = False
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", BOOT],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                close_fds=True,
            )
            self._send(pickle.dumps(list(sys.path)))
        except (OSError, ValueError):  # no interpreter to start, or it ended at once
            self.close()

    def __enter__(self) -> FigureWorker:
        return self

    def __exit__(
        self,
        kind: Optional[type[BaseException]],
        value: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    @property
    def alive(self) -> bool:
        """Whether the worker process runs (it may still fail later: then the parent draws)."""
        return self._proc is not None and self._proc.poll() is None

    def submit(self, analysis: Analysis) -> None:
        """Sends the figures' inputs to the worker and returns at once (a thread writes them
        while the worker may still be starting)."""
        if not self.alive:
            return
        payload = pickle.dumps(figure_inputs(analysis), protocol=pickle.HIGHEST_PROTOCOL)
        self._sent = True
        self._sender = threading.Thread(target=self._send, args=(payload,), daemon=True)
        self._sender.start()

    def figures(self, analysis: Analysis) -> Figures:
        """The worker's figures, or the same figures drawn here when it could not draw them."""
        answer = self._receive() if self._sent else None
        self.close()
        if answer is None:
            return report_figures(analysis)
        figures, caught = answer
        for message, category in caught:
            warnings.warn(message, category, stacklevel=2)
        return figures

    def close(self) -> None:
        """Ends the worker (killed if still running) and releases its pipes."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        for pipe in (proc.stdin, proc.stdout):
            with contextlib.suppress(OSError):
                if pipe is not None:
                    pipe.close()
        if proc.poll() is None:
            proc.kill()
        proc.wait()

    def _send(self, payload: bytes) -> None:
        proc = self._proc
        try:
            if proc is not None and proc.stdin is not None:
                proc.stdin.write(payload)
                proc.stdin.flush()
        except (OSError, ValueError):  # the worker ended; figures() draws in-process
            pass

    def _receive(self) -> Optional[tuple[Figures, list[tuple[str, type[Warning]]]]]:
        """The worker's answer, None when it ended without one or took too long."""
        proc = self._proc
        if proc is None or proc.stdout is None:
            return None
        data = _read_all(proc.stdout, time.monotonic() + TIMEOUT_S)
        if not data:
            return None
        try:
            answer = pickle.loads(data)
            if answer[0] != "ok":
                return None
            figures, caught = answer[1]
        except Exception:  # a worker that died mid-answer; draw in-process instead
            return None
        return figures, caught


def _read_all(stream: IO[bytes], deadline: float) -> bytes:
    """Everything the worker writes until it closes its stdout, or what came by ``deadline``
    (a bounded wait: a stuck worker never hangs the run)."""
    chunks: list[bytes] = []
    fd = stream.fileno()
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(timeout=left):
                return b""
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def serve() -> None:
    """The worker's main: warm up, read one request from stdin, answer on stdout.

    Anything the figures' code prints goes to stderr: stdout carries only the answer.
    Ctrl-C reaches the whole process group; the parent handles it and kills the worker, so
    the worker ignores it (no traceback of its own on the user's terminal).
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    answer_fd = os.dup(1)
    os.dup2(2, 1)
    stdin = sys.stdin.buffer
    warm_up()
    try:
        inputs = pickle.load(stdin)
    except (EOFError, OSError, pickle.UnpicklingError):  # the parent drew them itself
        return
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            figures = report_figures(inputs)
        kept = [(str(w.message), _picklable_category(w.category)) for w in caught]
        answer = pickle.dumps(("ok", (figures, kept)), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        answer = pickle.dumps(("error", traceback.format_exc()))
    with os.fdopen(answer_fd, "wb") as out, contextlib.suppress(OSError):  # parent gone
        out.write(answer)


def _picklable_category(category: type[Warning]) -> type[Warning]:
    try:
        pickle.dumps(category)
    except Exception:
        return UserWarning
    return category
