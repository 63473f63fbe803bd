import importlib.util
import subprocess
import sys
from pathlib import Path

import clmkit
import numpy as np
import pandas as pd
import pytest
from clmkit.cli import main

pytest.importorskip("matplotlib")
pytest.importorskip("jinja2")
pyarrow = pytest.importorskip("pyarrow")

OUTPUTS = {"customers.parquet", "customers.csv", "models.json", "report.html"}
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def log():
    return clmkit.datasets.load_cdnow_sample()[["customer_id", "date", "amount"]]


@pytest.fixture
def csv_file(tmp_path, log):
    path = tmp_path / "log.csv"
    log.assign(date=log["date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    return path


def _args(path, out, *extra):
    return [
        "report",
        str(path),
        "--customer-id-col",
        "customer_id",
        "--datetime-col",
        "date",
        "--monetary-col",
        "amount",
        "--out",
        str(out),
        "--quiet",
        *extra,
    ]


def _check_outputs(out, log):
    assert {p.name for p in out.iterdir()} == OUTPUTS
    table = pd.read_parquet(out / "customers.parquet")
    # ids are labels: compared as text, whatever the file format kept
    table.index = table.index.astype(str)
    expected = clmkit.summarize(log, "customer_id", "date", "amount")
    expected.index = expected.index.astype(str)
    expected = expected.loc[table.index]
    assert len(table) == log["customer_id"].nunique()
    np.testing.assert_array_equal(table["frequency"].to_numpy(), expected["frequency"].to_numpy())
    np.testing.assert_allclose(table["total_value"].to_numpy(), expected["total_value"].to_numpy())
    csv = pd.read_csv(out / "customers.csv", dtype={"customer_id": str}).set_index("customer_id")
    np.testing.assert_allclose(csv.loc[table.index, "T"].to_numpy(), expected["T"].to_numpy())
    assert "<html" in (out / "report.html").read_text()


def _no_leftovers(parent):
    return not [p for p in parent.iterdir() if ".tmp-" in p.name or p.name.startswith(".report-")]


@pytest.mark.filterwarnings("ignore::clmkit.ClmkitWarning")
def test_csv_end_to_end(tmp_path, csv_file, log, capsys):
    out = tmp_path / "out"
    assert main(_args(csv_file, out)[:-1]) == 0  # without --quiet: progress on stderr
    _check_outputs(out, log)
    err = capsys.readouterr().err
    assert "summary (" in err and "read " in err and "wrote 2,357 customers" in err
    assert _no_leftovers(tmp_path)


@pytest.mark.filterwarnings("ignore::clmkit.ClmkitWarning")
def test_parquet_end_to_end_with_extra_columns(tmp_path, log):
    path = tmp_path / "log.parquet"
    log.assign(unused=1).to_parquet(path)
    out = tmp_path / "out"
    assert main(_args(path, out)) == 0
    _check_outputs(out, log)


@pytest.mark.filterwarnings("ignore::clmkit.ClmkitWarning")
def test_existing_out_dir_keeps_other_files(tmp_path, csv_file, log):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    (out / "models.json").write_text("old")
    assert main(_args(csv_file, out)) == 0
    assert (out / "keep.txt").read_text() == "mine"
    assert (out / "models.json").read_text() != "old"


def _bad_cases(tmp_path, log):
    missing_col = tmp_path / "nocol.csv"
    log.drop(columns="amount").to_csv(missing_col, index=False)
    bad_dates = tmp_path / "dates.csv"
    log.assign(date=["not a date" if i == 3 else "2020-01-01" for i in range(len(log))]).to_csv(
        bad_dates, index=False
    )
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    other = tmp_path / "log.xlsx"
    other.write_text("x")
    bad_parquet = tmp_path / "broken.parquet"
    bad_parquet.write_bytes(b"not parquet at all")
    good = tmp_path / "good.csv"
    log.to_csv(good, index=False)
    return [
        (tmp_path / "nope.csv", [], "input file not found"),
        (missing_col, [], "--monetary-col 'amount' is not a column"),
        (bad_dates, [], "data row 4 (line 5) has invalid value 'not a date'"),
        (empty, [], "empty"),
        (other, [], "unknown file type"),
        (bad_parquet, [], "not a readable Parquet file"),
        (good, ["--horizon", "soon"], "horizon"),
        (good, ["--freq", "Q"], "unknown frequency 'Q'"),
        (good, ["--observation-end", "1990-01-01"], "before the first transaction"),
    ]


def test_each_bad_input_one_line_nonzero_no_output(tmp_path, log, capsys):
    for path, extra, message in _bad_cases(tmp_path, log):
        out = tmp_path / "out"
        assert main(_args(path, out, *extra)) == 1, message
        err = capsys.readouterr().err.strip()
        assert err.startswith("clmkit: error:") and message in err, (message, err)
        assert "\n" not in err and "Traceback" not in err
        assert not out.exists(), message
        assert _no_leftovers(tmp_path), message


@pytest.mark.filterwarnings("ignore::clmkit.ClmkitWarning")
def test_demo_quick_start_command(tmp_path):
    out = tmp_path / "demo_out"
    assert main(["report", "--demo", "--out", str(out), "--quiet"]) == 0
    _check_outputs(out, clmkit.datasets.load_cdnow_master()[["customer_id", "date", "amount"]])
    html = (out / "report.html").read_text()
    assert (
        "Calibration vs holdout purchases" in html and 'id="holdout"' in html
    )  # the demo splits at 1997-09-30


def test_out_that_is_a_file_is_refused(tmp_path, csv_file, capsys):
    out = tmp_path / "taken"
    out.write_text("not a directory")
    assert main(_args(csv_file, out)) == 1
    assert "is not a directory" in capsys.readouterr().err
    assert out.read_text() == "not a directory" and _no_leftovers(tmp_path)


def test_debug_shows_traceback(tmp_path, capsys):
    assert main(_args(tmp_path / "nope.csv", tmp_path / "o", "--debug")) == 1
    assert "Traceback" in capsys.readouterr().err


def test_usage_errors_exit_2(tmp_path):
    for argv in (
        ["report", "--out", str(tmp_path)],
        ["report", "x.csv", "--out", str(tmp_path)],
        ["report", "x.csv", "--demo", "--out", str(tmp_path)],
    ):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2


def test_report_subcommand_needs_argument_name():
    with pytest.raises(SystemExit):
        main(["report", "--help"])


def test_python_dash_m_and_console_script_parser():
    out = subprocess.run(
        [sys.executable, "-m", "clmkit", "report", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--customer-id-col" in out.stdout and "--demo" in out.stdout


def test_airflow_example_is_plain_airflow_3():
    text = (ROOT / "examples" / "airflow_dag.py").read_text()
    assert "from airflow.sdk import dag, task" in text
    assert "airflow.providers.standard.operators.bash import BashOperator" in text
    assert "except ImportError" not in text and "clmkit[report]" in text


def test_airflow_task_function(tmp_path, log):
    # the real run is `make airflow-check` (Airflow 3 in its own venv); here when installed
    pytest.importorskip("airflow.sdk")
    spec = importlib.util.spec_from_file_location(
        "airflow_dag", ROOT / "examples" / "airflow_dag.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path / "log.parquet"
    log.to_parquet(path)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clmkit.ClmkitWarning)
        headline = module.analyze_customers.function(str(path), str(tmp_path / "dag_out"))
    assert headline["customers"] == 2357
    assert {p.name for p in (tmp_path / "dag_out").iterdir()} == OUTPUTS


@pytest.mark.filterwarnings("ignore::clmkit.ClmkitWarning")
def test_horizon_in_months_windows_currency_and_model_flags(tmp_path, csv_file):
    out = tmp_path / "out"
    extra = ["--horizon", "3M", "--currency", "EUR", "--model", "paretonbd", "--formats", "parquet"]
    extra += ["--new-window", "30D", "--maturity-window", "6M", "--churn-window", "1Y"]
    assert main(_args(csv_file, out, *extra)) == 0
    assert {p.name for p in out.iterdir()} == {"customers.parquet", "models.json", "report.html"}
    table = pd.read_parquet(out / "customers.parquet")
    assert "clv_3m" in table and "expected_purchases_3m" in table
    html = (out / "report.html").read_text()
    assert " EUR" in html and "Pareto/NBD" in html and "3 months (91 days)" in html
    assert "first purchase within the last 30 days" in html


def test_errors_name_flags_and_count_rows_from_one():
    from clmkit.cli.messages import flag_message
    from clmkit.exceptions import InvalidValueError

    msg = flag_message(ValueError("customer_id_col='id' is not a column; available: ['a']"))
    assert msg.startswith("--customer-id-col 'id' is not a column") and "_col" not in msg
    msg = flag_message(InvalidValueError("datetime_col 'd'", 0, "'x'", "not a date"))
    assert "data row 1 (line 2)" in msg and msg.startswith("--datetime-col")
    msg = flag_message(ValueError("interval_level must be in (0, 1)"))
    assert msg.startswith("--interval-level")
    assert "resample" not in flag_message(
        ValueError("no covariance; pass method='resample' to refit")
    )


def test_interval_level_zero_on_a_tiny_log_is_not_confident_nonsense(tmp_path, capsys):
    path = tmp_path / "tiny.csv"
    path.write_text("id,d,v\na,2024-01-01,5\na,2024-03-01,5\nb,2024-02-01,3\nc,2024-03-01,9\n")
    out = tmp_path / "out"
    argv = ["report", str(path), "--customer-id-col", "id", "--datetime-col", "d"]
    assert main([*argv, "--monetary-col", "v", "--interval-level", "0", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "too little data" in err and "converged" not in err
    table = pd.read_parquet(out / "customers.parquet")
    assert "p_alive" not in table
    assert "too little data" in (out / "report.html").read_text()
