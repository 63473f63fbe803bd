"""`clmkit report` never destroys what it did not write: the input, a stopped run's
temporary folder, Ctrl-C and SIGTERM (an Airflow timeout)."""

import os
import signal
import subprocess
import sys
import time

import clmkit
import pytest
from clmkit.cli import main

pytest.importorskip("matplotlib")
pytest.importorskip("jinja2")
pytest.importorskip("pyarrow")


def _args(path, out, *extra):
    cols = ["--customer-id-col", "customer_id", "--datetime-col", "date", "--monetary-col"]
    return ["report", str(path), *cols, "amount", "--out", str(out), "--quiet", *extra]


@pytest.fixture(scope="module")
def log():
    return clmkit.datasets.load_cdnow_sample()[["customer_id", "date", "amount"]]


@pytest.mark.parametrize("name", ["customers.csv", "customers.parquet"])
def test_input_inside_out_is_refused_and_kept(tmp_path, log, capsys, name):
    out = tmp_path / "out"
    out.mkdir()
    path = out / name
    if name.endswith(".csv"):
        log.to_csv(path, index=False)
    else:
        log.to_parquet(path)
    before = path.read_bytes()
    assert main(_args(path, out)) == 1
    err = capsys.readouterr().err
    assert "would be replaced by the output" in err and "--out" in err
    assert path.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == [name]


def test_input_inside_out_with_other_name_is_fine(tmp_path, log):
    out = tmp_path / "out"
    out.mkdir()
    path = out / "transactions.csv"
    log.to_csv(path, index=False)
    before = path.read_bytes()
    assert main(_args(path, out)) == 0
    assert path.read_bytes() == before and (out / "customers.csv").exists()


def _tmp_dirs(parent, out_name="out"):
    return [p for p in parent.iterdir() if p.name.startswith(f".{out_name}.tmp-")]


def _stop_while_saving(tmp_path, signum):
    """Starts `clmkit report --demo` and sends ``signum`` once its temporary folder exists
    (that is, while it writes its files); returns (returncode, stderr)."""
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "clmkit", "report", "--demo", "--out", str(out), "--quiet"],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not _tmp_dirs(tmp_path) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    assert proc.poll() is None, "the run ended before it could be stopped"
    os.kill(proc.pid, signum)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err, out


def test_sigterm_removes_the_temporary_folder(tmp_path):
    code, err, out = _stop_while_saving(tmp_path, signal.SIGTERM)
    assert code == 143, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == "clmkit: stopped by SIGTERM; no output written"
    assert _tmp_dirs(tmp_path) == [] and not out.exists()


def test_ctrl_c_one_line_exit_130(tmp_path):
    code, err, out = _stop_while_saving(tmp_path, signal.SIGINT)
    assert code == 130, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == "clmkit: interrupted (Ctrl-C); no output written"
    assert _tmp_dirs(tmp_path) == [] and not out.exists()


def test_stale_folder_of_a_killed_run_is_removed(tmp_path, log):
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".out.tmp-{dead.pid}-abc123"
    stale.mkdir()
    (stale / "customers.csv").write_text("half a file")
    running = tmp_path / f".out.tmp-{os.getpid()}-def456"  # a live run's folder is kept
    running.mkdir()
    other = tmp_path / ".other.tmp-1-x"  # another output's folder is not ours
    other.mkdir()
    assert main(_args(path, tmp_path / "out")) == 0
    assert not stale.exists() and running.exists() and other.exists()
