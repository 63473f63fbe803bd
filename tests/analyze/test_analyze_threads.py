"""The work analyze() and Analysis.save() do in threads: the same results, errors raised in
the caller's thread, no thread left running, no file written after a failure, and no change
of the process umask (which another thread's new file would inherit)."""

from __future__ import annotations

import os
import threading
import time
import warnings

import clmkit
import pandas as pd
import pytest
from clmkit.analyze import model_steps


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    return clmkit.datasets.load_cdnow_master()


def _analyze(log: pd.DataFrame, **kwargs: object) -> clmkit.Analysis:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clmkit.ClmkitWarning)
        return clmkit.analyze(log, "customer_id", "date", "amount", **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def analysis(log: pd.DataFrame) -> clmkit.Analysis:
    return _analyze(log, horizon="365D")


def _clmkit_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("clmkit-") and t.is_alive()]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_background_history_equals_the_function(analysis: clmkit.Analysis, log: pd.DataFrame):
    s = analysis.settings
    dates = sorted(pd.to_datetime(analysis.stage_history["snapshot"].unique()))
    direct = clmkit.stage_history(
        log,
        dates,
        "customer_id",
        "date",
        scheme=clmkit.StageScheme.from_dict(analysis.stage_history.attrs["clmkit"]["scheme"]),
        model=analysis.models["transactions"],
        observation_period_end=s["observation_period_end"],
    )
    pd.testing.assert_frame_equal(analysis.stage_history, direct)
    pd.testing.assert_frame_equal(analysis.transitions, clmkit.transition_matrix(direct))


def test_every_step_is_reported_once(log: pd.DataFrame):
    seen: list[str] = []
    _analyze(log, progress=lambda step, seconds: seen.append(step))
    assert sorted(set(seen)) == sorted(seen)
    assert "stage history and transitions" in seen
    assert seen.index("stage history and transitions") < seen.index("early warning")


def test_error_in_the_background_step_is_raised_by_analyze(monkeypatch, log: pd.DataFrame):
    def broken(*args: object, **kwargs: object) -> pd.DataFrame:
        raise ValueError("snapshot trouble")

    monkeypatch.setattr(clmkit, "stage_history", broken)
    with pytest.raises(ValueError, match="snapshot trouble"):
        _analyze(log)
    assert _clmkit_threads() == []


def test_error_in_the_caller_waits_for_the_background_step(monkeypatch, log: pd.DataFrame):
    slow_done = threading.Event()
    real = clmkit.stage_history

    def slow(*args: object, **kwargs: object) -> pd.DataFrame:
        time.sleep(0.5)  # still running when the main thread fails
        out = real(*args, **kwargs)
        slow_done.set()
        return out

    def failing(*args: object, **kwargs: object) -> None:
        raise RuntimeError("model columns failed")

    monkeypatch.setattr(clmkit, "stage_history", slow)
    monkeypatch.setattr(model_steps, "model_columns", failing)
    with pytest.raises(RuntimeError, match="model columns failed"):
        _analyze(log)
    # analyze() returned only after its thread ended
    assert slow_done.is_set()
    assert _clmkit_threads() == []


def test_save_writes_every_file_with_the_usual_permissions(
    monkeypatch, tmp_path, analysis: clmkit.Analysis
):
    pytest.importorskip("pyarrow")
    pytest.importorskip("jinja2")
    pytest.importorskip("matplotlib")
    mask = _umask()

    def no_umask(value: int) -> int:
        raise AssertionError("os.umask() changes the mask for every thread")

    monkeypatch.setattr(os, "umask", no_umask)
    paths = analysis.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths.values())
    for path in paths.values():
        assert path.stat().st_mode & 0o777 == 0o666 & ~mask, path.name
    assert pd.read_parquet(paths["customers.parquet"]).shape[0] == len(analysis.table)
    assert "<html" in paths["report.html"].read_text(encoding="utf-8")[:200].lower()


def test_save_report_error_waits_for_the_files_and_leaves_no_temporaries(
    monkeypatch, tmp_path, analysis: clmkit.Analysis
):
    pytest.importorskip("pyarrow")

    def broken_report(self: clmkit.Analysis, path: object) -> None:
        raise RuntimeError("no report")

    monkeypatch.setattr(clmkit.Analysis, "report", broken_report)
    with pytest.raises(RuntimeError, match="no report"):
        analysis.save(tmp_path, formats=("parquet", "csv", "html"))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert not [n for n in names if ".tmp-" in n or n.startswith(".report-")]
    assert "report.html" not in names
    assert _clmkit_threads() == []


def test_save_progress_names_each_file_once(tmp_path, analysis: clmkit.Analysis):
    pytest.importorskip("pyarrow")
    pytest.importorskip("jinja2")
    pytest.importorskip("matplotlib")
    seen: list[str] = []
    analysis.save(tmp_path, progress=lambda step, seconds: seen.append(step))
    assert seen == [
        "write customers.parquet",
        "write customers.csv",
        "write models.json",
        "write report.html",
    ]


def test_every_table_writes_to_parquet(tmp_path, log: pd.DataFrame):
    pytest.importorskip("pyarrow")
    # pandas writes a table's attrs into the Parquet file as JSON: all must be JSON-ready
    a = _analyze(log, calibration_period_end="1997-09-30")
    for name in ("table", "stage_history", "transitions", "early_warning", "cal_holdout"):
        table = getattr(a, name)
        path = tmp_path / f"{name}.parquet"
        table.to_parquet(path)
        assert pd.read_parquet(path).shape == table.shape, name


def test_saved_tables_put_the_customer_id_first_and_round_trip(tmp_path, analysis: clmkit.Analysis):
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    paths = analysis.save(tmp_path, formats=("parquet", "csv"))
    with open(paths["customers.csv"], encoding="utf-8") as fh:
        header = fh.readline().strip().split(",")
    assert header[0] == '"customer_id"'
    assert pq.read_schema(paths["customers.parquet"]).names[0] == "customer_id"
    back = pd.read_parquet(paths["customers.parquet"])
    pd.testing.assert_frame_equal(back, analysis.table, check_categorical=False)
    csv = pd.read_csv(paths["customers.csv"], index_col="customer_id")
    assert list(csv.columns) == list(analysis.table.columns)
    assert csv.index.tolist() == analysis.table.index.tolist()


def test_csv_is_written_a_batch_at_a_time_with_one_schema(tmp_path, analysis: clmkit.Analysis):
    pytest.importorskip("pyarrow")
    from clmkit.analyze import result

    one = tmp_path / "one.csv"
    many = tmp_path / "many.csv"
    arrow = result._to_arrow(analysis.table)
    result._write_csv(arrow, one, batch_rows=len(arrow))
    result._write_csv(arrow, many, batch_rows=1000)  # 24 batches: the same bytes
    assert one.read_bytes() == many.read_bytes()
    first = one.read_text(encoding="utf-8").splitlines()[1].split(",")
    # whole-day timestamps as dates, categories as their text
    assert first[analysis.table.columns.get_loc("first_purchase") + 1].count("-") == 2
    assert ":" not in first[analysis.table.columns.get_loc("first_purchase") + 1]
