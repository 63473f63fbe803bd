"""What the command line does besides running the report: it loads matplotlib and the
template in a thread while the log is read (joined before it returns), the output folder
gets the usual permissions without touching the umask, and the console script freezes the
import-time objects out of the garbage collector (only there, not for Python callers)."""

from __future__ import annotations

import gc
import importlib
import os
import threading

import clmkit
import pytest
from clmkit.cli import main

pytest.importorskip("matplotlib")
pytest.importorskip("jinja2")
pytest.importorskip("pyarrow")

cli = importlib.import_module("clmkit.cli.main")  # the module (clmkit.cli.main is the function)


def _args(path, out):
    cols = ["--customer-id-col", "customer_id", "--datetime-col", "date", "--monetary-col"]
    return ["report", str(path), *cols, "amount", "--out", str(out), "--quiet"]


@pytest.fixture
def log_file(tmp_path):
    path = tmp_path / "log.csv"
    clmkit.datasets.load_cdnow_sample()[["customer_id", "date", "amount"]].to_csv(path, index=False)
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_report_threads_end_with_the_run_and_modes_follow_the_umask(
    monkeypatch, tmp_path, log_file
):
    mask = _umask()
    started: list[str] = []
    real_start = threading.Thread.start

    def recording_start(self: threading.Thread) -> None:
        started.append(self.name)
        real_start(self)

    def no_umask(value: int) -> int:
        raise AssertionError("os.umask() changes the mask for every thread")

    monkeypatch.setattr(threading.Thread, "start", recording_start)
    monkeypatch.setattr(os, "umask", no_umask)
    out = tmp_path / "out"
    gc.unfreeze()
    assert main(_args(log_file, out)) == 0
    assert gc.get_freeze_count() == 0  # a Python caller's collector is left alone
    assert "clmkit-report-load" in started
    alive = [t.name for t in threading.enumerate() if t.name.startswith("clmkit-")]
    assert alive == []
    assert out.stat().st_mode & 0o777 == 0o777 & ~mask
    for path in out.iterdir():
        assert path.stat().st_mode & 0o777 == 0o666 & ~mask, path.name


def test_console_script_freezes_the_import_objects(monkeypatch):
    gc.unfreeze()
    monkeypatch.setattr(cli, "main", lambda argv=None: 0)
    try:
        assert cli.console_main() == 0
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0
