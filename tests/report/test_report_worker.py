"""The report's figures drawn by a second process (what ``clmkit report`` does on large logs)
are the figures drawn in-process, byte for byte; a worker that fails costs nothing but time."""

import base64
import importlib
import os
import warnings

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("jinja2")
pytest.importorskip("pyarrow")

import clmkit
from clmkit.report import worker as worker_module
from clmkit.report.figures import FIGURE_COLUMNS, figure_inputs, report_figures
from clmkit.report.worker import FigureWorker

cli_main_module = importlib.import_module("clmkit.cli.main")


@pytest.fixture(scope="module")
def analysis():
    log = clmkit.datasets.load_cdnow_sample()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clmkit.ClmkitWarning)
        return clmkit.analyze(
            log,
            "customer_id",
            "date",
            "amount",
            calibration_period_end="1997-09-30",
            output="pandas",
        )


@pytest.fixture(scope="module")
def in_process(analysis):
    return report_figures(analysis)


def _pngs(figures):
    return {
        (section, title): base64.b64decode(uri.split(",", 1)[1])
        for section, items in figures.items()
        for title, uri in items
    }


def test_every_figure_of_a_full_run(in_process):
    # segments 2, stages 2, P(alive) model 3, holdout 1, CLV 1: all drawn, all PNG
    assert {k: len(v) for k, v in in_process.items()} == {
        "segments": 2,
        "stages": 2,
        "btyd": 3,
        "holdout": 1,
        "clv": 1,
    }
    assert all(png.startswith(b"\x89PNG\r\n\x1a\n") for png in _pngs(in_process).values())


def test_the_columns_the_worker_gets_draw_the_same_figures(analysis, in_process):
    inputs = figure_inputs(analysis)
    assert set(inputs.table.columns) <= {*FIGURE_COLUMNS, "clv_365d"}
    assert len(inputs.table.columns) < len(analysis.table.columns) / 2
    assert _pngs(report_figures(inputs)) == _pngs(in_process)


def test_worker_figures_equal_in_process_and_it_ends(analysis, in_process):
    with FigureWorker() as worker:
        assert worker.alive
        proc = worker._proc
        worker.submit(analysis)
        figures = worker.figures(analysis)
        assert proc.returncode is not None  # waited for: no zombie, no orphan
    assert list(figures) == list(in_process)
    assert _pngs(figures) == _pngs(in_process)


def test_a_dead_worker_means_figures_drawn_here(analysis, in_process):
    with FigureWorker() as worker:
        worker._proc.kill()
        worker._proc.wait()
        worker.submit(analysis)  # nothing sent to a dead process; no error
        assert _pngs(worker.figures(analysis)) == _pngs(in_process)


def test_a_worker_that_cannot_start_means_figures_drawn_here(analysis, in_process, monkeypatch):
    monkeypatch.setattr(worker_module.sys, "executable", "/nonexistent/python")
    with FigureWorker() as worker:
        assert not worker.alive
        worker.submit(analysis)
        assert _pngs(worker.figures(analysis)) == _pngs(in_process)


def test_a_worker_that_answers_garbage_means_figures_drawn_here(analysis, in_process, monkeypatch):
    monkeypatch.setattr(worker_module, "BOOT", "import sys; sys.stdout.write('not a pickle')")
    with FigureWorker() as worker:
        worker.submit(analysis)
        assert _pngs(worker.figures(analysis)) == _pngs(in_process)


def test_a_stuck_worker_is_bounded(analysis, in_process, monkeypatch):
    monkeypatch.setattr(worker_module, "BOOT", "import time; time.sleep(60)")
    monkeypatch.setattr(worker_module, "TIMEOUT_S", 0.5)
    with FigureWorker() as worker:
        proc = worker._proc
        worker.submit(analysis)
        assert _pngs(worker.figures(analysis)) == _pngs(in_process)
    assert proc.returncode is not None  # killed, not left sleeping


def test_cli_report_through_the_worker_equals_in_process(tmp_path, monkeypatch):
    log = clmkit.datasets.load_cdnow_sample()[["customer_id", "date", "amount"]]
    path = tmp_path / "log.parquet"
    log.to_parquet(path)
    argv = ["report", str(path), "--customer-id-col", "customer_id", "--datetime-col", "date"]
    argv += ["--monetary-col", "amount", "--formats", "parquet", "--quiet"]
    started = []
    real = FigureWorker.__init__

    def spy(self):
        real(self)
        started.append(self._proc)

    monkeypatch.setattr(FigureWorker, "__init__", spy)
    monkeypatch.setattr(cli_main_module, "FIGURE_WORKER_MIN_TRANSACTIONS", 0)
    assert cli_main_module.main([*argv, "--out", str(tmp_path / "a")]) == 0
    assert len(started) == 1 and started[0].returncode is not None
    monkeypatch.setattr(cli_main_module, "FIGURE_WORKER_MIN_TRANSACTIONS", 10**12)
    assert cli_main_module.main([*argv, "--out", str(tmp_path / "b")]) == 0
    assert len(started) == 1  # no worker for a small log

    def images(out):
        text = (out / "report.html").read_text(encoding="utf-8")
        return [part.split('"', 1)[0] for part in text.split('<img src="')[1:]]

    a, b = images(tmp_path / "a"), images(tmp_path / "b")
    assert len(a) == 8 and a == b  # no holdout figure without --calibration-end
    assert sorted(os.listdir(tmp_path / "a")) == ["customers.parquet", "models.json", "report.html"]
