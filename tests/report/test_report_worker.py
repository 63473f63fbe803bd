"""The report's figures drawn by a second process (what ``clmkit report`` does on large logs)
are the figures drawn in-process, byte for byte; a worker that fails costs nothing but time."""

import base64
import dataclasses
import importlib
import os
import warnings

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("jinja2")
pytest.importorskip("pyarrow")

import clmkit
from clmkit.report import worker as worker_module
from clmkit.report.figures import (
    EARLY_SECTIONS,
    SECTION_COLUMNS,
    figure_inputs,
    report_figures,
)
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
    assert set(inputs.table.columns) <= {*sum(SECTION_COLUMNS.values(), ()), "clv_365d"}
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


def test_early_sections_then_the_rest_equal_in_process(analysis, in_process):
    with FigureWorker() as worker:
        worker.submit(analysis, EARLY_SECTIONS)
        assert worker._requested == [EARLY_SECTIONS]
        figures = worker.figures(analysis)  # asks for the other sections, then collects
        assert worker._requested == [EARLY_SECTIONS, ("stages", "holdout")]
    assert list(figures) == list(in_process)  # page order
    assert _pngs(figures) == _pngs(in_process)


def test_analyze_hands_over_final_model_columns_before_the_stages():
    # what the hook gets is what the early figures need, already final: drawn from it they
    # equal those drawn from the finished analysis
    seen = {}

    class Progress:
        def __call__(self, step, seconds):
            seen.setdefault("steps", []).append(step)

        def models_ready(self, partial):
            seen["inputs"] = figure_inputs(partial, EARLY_SECTIONS)
            seen["steps_then"] = list(seen["steps"])
            seen["columns"] = list(partial.table.columns)

    log = clmkit.datasets.load_cdnow_sample()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clmkit.ClmkitWarning)
        final = clmkit.analyze(
            log, "customer_id", "date", "amount", progress=Progress(), output="pandas"
        )
    assert "stages" not in seen["steps_then"] and "stages" in seen["steps"]
    assert "stage" not in seen["columns"] and "p_alive" in seen["columns"]
    early = report_figures(seen["inputs"], EARLY_SECTIONS)
    assert list(early) == list(EARLY_SECTIONS)
    assert _pngs(early) == _pngs(report_figures(final, EARLY_SECTIONS))


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


def test_inputs_pickle_cannot_carry_mean_figures_drawn_here(analysis, in_process):
    class Local:  # a class defined in a function: pickle cannot name it
        pass

    odd = dataclasses.replace(analysis, settings={**analysis.settings, "extra": Local()})
    with FigureWorker() as worker:
        proc = worker._proc
        worker.submit(odd)
        assert not worker.alive and proc.returncode is not None
        assert _pngs(worker.figures(odd)) == _pngs(in_process)


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
    started, requests = [], []
    real, real_submit = FigureWorker.__init__, FigureWorker.submit

    def spy(self):
        real(self)
        started.append(self._proc)

    def spy_submit(self, analysis, sections=None):
        requests.append("stage" in analysis.table)
        real_submit(self, analysis, sections)

    monkeypatch.setattr(FigureWorker, "__init__", spy)
    monkeypatch.setattr(FigureWorker, "submit", spy_submit)
    monkeypatch.setattr(cli_main_module, "FIGURE_WORKER_MIN_TRANSACTIONS", 0)
    assert cli_main_module.main([*argv, "--out", str(tmp_path / "a")]) == 0
    assert len(started) == 1 and started[0].returncode is not None
    # before the stages (from analyze's hook), after them, and the call figures() makes
    assert requests[:2] == [False, True]
    monkeypatch.setattr(cli_main_module, "FIGURE_WORKER_MIN_TRANSACTIONS", 10**12)
    assert cli_main_module.main([*argv, "--out", str(tmp_path / "b")]) == 0
    assert len(started) == 1  # no worker for a small log

    def images(out):
        text = (out / "report.html").read_text(encoding="utf-8")
        return [part.split('"', 1)[0] for part in text.split('<img src="')[1:]]

    a, b = images(tmp_path / "a"), images(tmp_path / "b")
    assert len(a) == 8 and a == b  # no holdout figure without --calibration-end
    assert sorted(os.listdir(tmp_path / "a")) == ["customers.parquet", "models.json", "report.html"]


def test_with_a_worker_the_command_line_never_imports_matplotlib(tmp_path):
    # matplotlib's import and first figure cost the main process half a second: the worker
    # pays for them while the analysis runs
    import subprocess
    import sys

    log = clmkit.datasets.load_cdnow_sample()[["customer_id", "date", "amount"]]
    path = tmp_path / "log.parquet"
    log.to_parquet(path)
    code = (
        "import sys, importlib\n"
        "cli = importlib.import_module('clmkit.cli.main')\n"
        "cli.FIGURE_WORKER_MIN_TRANSACTIONS = 0\n"
        f"argv = ['report', {str(path)!r}, '--customer-id-col', 'customer_id', "
        f"'--datetime-col', 'date', '--monetary-col', 'amount', '--formats', 'parquet', "
        f"'--quiet', '--out', {str(tmp_path / 'out')!r}]\n"
        "assert cli.main(argv) == 0\n"
        "print('matplotlib' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
    assert (tmp_path / "out" / "report.html").read_text(encoding="utf-8").count("<img ") == 8
