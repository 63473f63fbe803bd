"""Process-level guarantees: clmkit survives fork(), bounds its thread count, and a
Ctrl-C stops a long Rust call promptly with KeyboardInterrupt.

Every case that could hang runs in a child process with a timeout, so a regression fails
the test instead of freezing the run.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import clmkit
import numpy as np
import pytest
from clmkit import _core

TIMEOUT = 60


def _summary_rows(_: object = None) -> int:
    log = clmkit.datasets.load_cdnow_sample()
    return len(clmkit.summarize(log, "customer_id", "date"))


def _python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={**os.environ, **(env or {})},
        check=False,
    )


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_after_parent_used_the_pool_does_not_hang() -> None:
    # The parent runs a parallel kernel first, so its pool threads exist; the child
    # inherits the pool object but not the threads.
    result = _python(
        """
        import os, clmkit
        log = clmkit.datasets.load_cdnow_sample()
        n = len(clmkit.summarize(log, "customer_id", "date"))
        pid = os.fork()
        if pid == 0:
            ok = len(clmkit.summarize(log, "customer_id", "date")) == n
            os._exit(0 if ok else 3)
        _, status = os.waitpid(pid, 0)
        print("child", os.waitstatus_to_exitcode(status))
        """
    )
    assert result.returncode == 0, result.stderr
    assert "child 0" in result.stdout


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_multiprocessing_pool_after_parent_used_the_pool(method: str) -> None:
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"{method} is not available here")
    expected = _summary_rows()
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(2) as pool:
        got = pool.map_async(_summary_rows, range(4)).get(timeout=TIMEOUT)
    assert got == [expected] * 4


def test_thread_counts_are_validated() -> None:
    n = clmkit.get_num_threads()
    try:
        for bad in (0, -1, 10**6, 10**30):
            with pytest.raises(ValueError, match=r"n must be from 1 to 1024"):
                clmkit.set_num_threads(bad)
        for wrong in (2.0, "2", True):
            with pytest.raises(TypeError, match="n must be an int"):
                clmkit.set_num_threads(wrong)
        assert clmkit.get_num_threads() == n
    finally:
        clmkit.set_num_threads(n)


@pytest.mark.parametrize("value", ["1000000", "0", "-3", "lots"])
def test_bad_thread_env_var_is_a_clear_error_not_a_hang(value: str) -> None:
    result = _python(
        """
        import clmkit
        try:
            clmkit.summarize(clmkit.datasets.load_cdnow_sample(), "customer_id", "date")
        except ValueError as err:
            print("ValueError:", err)
        """,
        env={"CLMKIT_NUM_THREADS": value},
    )
    assert result.returncode == 0, result.stderr
    assert "ValueError: CLMKIT_NUM_THREADS=" in result.stdout
    assert "1 to 1024" in result.stdout


def _interrupt_after(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    return timer


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_stops_a_long_rust_call_within_a_second() -> None:
    timer = _interrupt_after(0.3)
    start = time.perf_counter()
    try:
        with pytest.raises(KeyboardInterrupt):
            _core._busy_for_test(30.0)
    finally:
        timer.cancel()
    elapsed = time.perf_counter() - start
    assert elapsed < 1.3, elapsed
    # the next call is not affected by the earlier interrupt
    _core._busy_for_test(0.05)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_stops_a_bootstrap_of_many_refits() -> None:
    rng = np.random.default_rng(1)
    n = 20_000
    T = rng.uniform(20, 40, n)
    recency = T * rng.uniform(0, 1, n)
    frequency = np.where(recency > 0, rng.poisson(3, n) + 1, 0).astype(float)
    bg = clmkit.BetaGeo().fit(frequency, recency, T)
    timer = _interrupt_after(0.5)
    start = time.perf_counter()
    try:
        with pytest.raises(KeyboardInterrupt):
            bg.predict_interval("p_alive", frequency, recency, T, n_boot=20_000, method="resample")
    finally:
        timer.cancel()
    assert time.perf_counter() - start < 2.5
