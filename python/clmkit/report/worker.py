"""Draws the report's figures in a second Python process, in parallel with the command line.

``clmkit report`` spends most of its report time in matplotlib (importing it, loading the
fonts, laying out and encoding eight figures), one core's work while the other core is idle
for most of the run. :class:`FigureWorker` starts a fresh interpreter when the log has been
read; it imports matplotlib and draws a warm-up figure while the analysis runs, draws the
figures of the RFM scores and the models as soon as those are ready (while the lifecycle
stages are computed), and the stage figures while the command line writes the customer
table. Each request carries only the few columns its figures read.

The worker is a new interpreter (``sys.executable``), never a ``fork()``: the parent holds
Rust and Arrow thread pools, and a scheduler (Airflow) may run the command in a threaded
process. Both ends talk through the worker's stdin and stdout with pickles (the parent's
``sys.path``, then one request per group of sections; back: one answer per request, the
figures and any warnings). The figures are
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
from collections.abc import Collection
from types import TracebackType
from typing import IO, TYPE_CHECKING, Optional, Union

from .figures import (
    SECTION_COLUMNS,
    FigureInputs,
    Figures,
    figure_inputs,
    report_figures,
    warm_up,
)

if TYPE_CHECKING:
    from ..analyze import Analysis

__all__ = ["FigureWorker", "serve"]

#: Started as ``python -c BOOT``: adopts the parent's ``sys.path`` (an editable install, a
#: script's own path entries), then serves requests until the parent closes the pipe.
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
    ...     worker.submit(partial_analysis, EARLY_SECTIONS)  # returns at once
    ...     finish_analysis()
    ...     worker.submit(analysis)  # the other sections
    ...     write_other_files()
    ...     figures = worker.figures(analysis)
    """

    def __init__(self) -> None:
        self._proc: Optional[subprocess.Popen[bytes]] = None
        self._sender: Optional[threading.Thread] = None
        self._requested: list[tuple[str, ...]] = []  # the sections of each request sent
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

    def submit(self, analysis: Analysis, sections: Optional[Collection[str]] = None) -> None:
        """Sends the inputs of the figures of ``sections`` (default: all not yet asked for)
        to the worker and returns at once (a thread writes them while the worker may still
        be starting or drawing an earlier request)."""
        done = {s for r in self._requested for s in r}
        wanted = tuple(
            s for s in SECTION_COLUMNS if s not in done and (not sections or s in sections)
        )
        if not self.alive or not wanted:
            return
        # Pickle protocol 5 with out-of-band buffers: the columns' memory is written to the
        # pipe as it is and read by the worker into buffers the arrays then use, so neither
        # side holds a second copy of the data (the run's peak memory is at this point).
        buffers: list[pickle.PickleBuffer] = []
        try:
            request = (figure_inputs(analysis, wanted), wanted)
            header = pickle.dumps(request, protocol=5, buffer_callback=buffers.append)
        except Exception:  # e.g. a model of the caller's own that pickle cannot carry:
            self.close()  # figures() draws them all here (and shows any error of its own)
            return
        parts: list[Union[bytes, memoryview]] = [_size(len(buffers)), _size(len(header)), header]
        for buffer in buffers:
            raw = buffer.raw()
            parts += [_size(raw.nbytes), raw]
        if self._sender is not None:
            self._sender.join()  # one writer at a time on the pipe
        self._requested.append(wanted)
        self._sender = threading.Thread(target=self._send, args=parts, daemon=True)
        self._sender.start()

    def figures(self, analysis: Analysis) -> Figures:
        """Every figure of ``analysis`` (the final one: sections not yet asked for are asked
        for now): the worker's, or all drawn here when it could not draw them."""
        self.submit(analysis)
        answers = []
        if {s for r in self._requested for s in r} == set(SECTION_COLUMNS):
            deadline = time.monotonic() + TIMEOUT_S
            for _ in self._requested:
                answer = self._receive(deadline)
                if answer is None:
                    break
                answers.append(answer)
        self.close()
        if not answers or len(answers) != len(self._requested):
            # the worker ended before every section was asked for, or an answer is missing
            return report_figures(analysis)
        drawn: Figures = {}
        for figures, caught in answers:
            drawn.update(figures)
            for message, category in caught:
                warnings.warn(message, category, stacklevel=2)
        # in page order, as report_figures gives them
        return {s: drawn[s] for s in SECTION_COLUMNS if s in drawn}

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

    def _send(self, *parts: Union[bytes, memoryview]) -> None:
        proc = self._proc
        try:
            if proc is not None and proc.stdin is not None:
                for part in parts:
                    proc.stdin.write(part)
                proc.stdin.flush()
        except (OSError, ValueError):  # the worker ended; figures() draws in-process
            pass

    def _receive(
        self, deadline: float
    ) -> Optional[tuple[Figures, list[tuple[str, type[Warning]]]]]:
        """The worker's next answer, None when it ended without one or took too long."""
        proc = self._proc
        if proc is None or proc.stdout is None:
            return None
        try:
            fd = proc.stdout.fileno()
            size = int.from_bytes(_read_until(fd, 8, deadline), "little")
            answer = pickle.loads(_read_until(fd, size, deadline))
            if answer[0] != "ok":
                return None
            figures, caught = answer[1]
        except Exception:  # a worker that died or stalled mid-answer: draw in-process
            return None
        return figures, caught


def _read_until(fd: int, n: int, deadline: float) -> bytes:
    """``n`` bytes from the worker's stdout by ``deadline`` (a bounded wait: a stuck worker
    never hangs the run); TimeoutError or EOFError otherwise."""
    chunks: list[bytes] = []
    left_bytes = n
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while left_bytes > 0:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(timeout=left):
                raise TimeoutError("the figure worker did not answer in time")
            chunk = os.read(fd, min(left_bytes, 1 << 20))
            if not chunk:
                raise EOFError("the figure worker ended without an answer")
            chunks.append(chunk)
            left_bytes -= len(chunk)
    return b"".join(chunks)


def serve() -> None:
    """The worker's main: warm up, then answer each request on stdin (figure inputs and
    sections) with the figures on stdout, until stdin closes.

    Anything the figures' code prints goes to stderr: stdout carries only the answers.
    Ctrl-C reaches the whole process group; the parent handles it and kills the worker, so
    the worker ignores it (no traceback of its own on the user's terminal).
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    answer_fd = os.dup(1)
    os.dup2(2, 1)
    stdin = sys.stdin.buffer
    warm_up()
    with os.fdopen(answer_fd, "wb") as out:
        while True:
            try:
                n_buffers = _read_size(stdin)
                header = _read_exactly(stdin, _read_size(stdin))
                buffers = [_read_exactly(stdin, _read_size(stdin)) for _ in range(n_buffers)]
                inputs, sections = pickle.loads(header, buffers=buffers)
                del buffers, header  # now held by the arrays they became
            except (EOFError, OSError, pickle.UnpicklingError):  # the parent is done
                return
            answer = _draw(inputs, sections)
            del inputs
            _release_memory()
            try:
                out.write(_size(len(answer)) + answer)
                out.flush()
            except OSError:  # the parent is gone
                return


def _draw(inputs: FigureInputs, sections: tuple[str, ...]) -> bytes:
    """The pickled answer to one request: the figures and the warnings drawing them gave."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            figures = report_figures(inputs, sections)
        kept = [(str(w.message), _picklable_category(w.category)) for w in caught]
        return pickle.dumps(("ok", (figures, kept)), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return pickle.dumps(("error", traceback.format_exc()))


def _release_memory() -> None:
    """Frees the drawn figures (matplotlib's reference cycles) and hands the freed heap back
    to the system: the first request is drawn while the parent reaches its peak memory."""
    import gc

    gc.collect()
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def _size(n: int) -> bytes:
    return n.to_bytes(8, "little")


def _read_size(stream: IO[bytes]) -> int:
    return int.from_bytes(_read_exactly(stream, 8), "little")


def _read_exactly(stream: IO[bytes], n: int) -> bytearray:
    """``n`` bytes of ``stream`` in one buffer (no chunks joined: half the peak memory)."""
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        read = stream.readinto(view[got:])  # type: ignore[attr-defined]
        if not read:
            raise EOFError(f"the parent sent {got} of {n} bytes")
        got += read
    return buf


def _picklable_category(category: type[Warning]) -> type[Warning]:
    try:
        pickle.dumps(category)
    except Exception:
        return UserWarning
    return category
