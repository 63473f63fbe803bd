"""analyze() reads the raw log once (issues 16 and 19): one TransactionLog, built from the
table, is handed to every step; the results equal those of the individual functions called
on the DataFrame."""

import sys
import warnings

import clmkit
import pandas as pd
import pytest
from clmkit import TransactionLog
from clmkit._io import _columns, _read
from clmkit.analyze import model_steps
from clmkit.summary.units import TimeUnit

CALIBRATION_END = "1997-09-30"


@pytest.fixture(scope="module")
def cdnow():
    return clmkit.datasets.load_cdnow_master()


def _count_calls(monkeypatch, module, name, counts=lambda *args: True):
    """Replaces every binding of ``module.name`` in the loaded clmkit modules (``from x import
    name`` copies the reference) by a wrapper that counts the calls ``counts`` accepts."""
    original = getattr(module, name)
    calls = []

    def counted(*args, **kwargs):
        if counts(*args):
            calls.append(name)
        return original(*args, **kwargs)

    for mod_name, mod in list(sys.modules.items()):
        if mod_name.startswith("clmkit") and getattr(mod, name, None) is original:
            monkeypatch.setattr(mod, name, counted)
    return calls


def _raw_log(data, columns):
    """A read of a transaction log (summary tables are read through the same door)."""
    return "datetime_col" in columns


def _analyze(log, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clmkit.ClmkitWarning)
        return clmkit.analyze(
            log, "customer_id", "date", "amount", calibration_period_end=CALIBRATION_END, **kwargs
        )


def test_analyze_reads_the_log_once(cdnow, monkeypatch):
    # every step that takes the raw log runs: summary, stage history, calibration/holdout
    reads = _count_calls(monkeypatch, _read, "read", _raw_log)
    ids = _count_calls(monkeypatch, _columns, "factorize_ids")
    dates = _count_calls(monkeypatch, _columns, "datetimes_ns")
    built = []
    from_frame = TransactionLog.from_frame.__func__

    def counted_from_frame(cls, *args, **kwargs):
        built.append(1)
        return from_frame(cls, *args, **kwargs)

    monkeypatch.setattr(TransactionLog, "from_frame", classmethod(counted_from_frame))
    for expected in (1, 2):
        a = _analyze(cdnow)
        assert a.stage_history is not None and a.cal_holdout is not None
        assert (len(built), len(reads), len(ids), len(dates)) == (expected,) * 4


def test_a_transaction_log_is_not_read_again(cdnow, monkeypatch):
    log = TransactionLog.from_frame(cdnow, "customer_id", "date", "amount")
    reads = _count_calls(monkeypatch, _read, "read", _raw_log)
    ids = _count_calls(monkeypatch, _columns, "factorize_ids")
    a = _analyze(log)
    assert (reads, ids) == ([], [])
    b = _analyze(cdnow)
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)


def test_every_column_equals_the_dataframe_path(cdnow):
    a = _analyze(cdnow)
    t = a.table
    summary = clmkit.summarize(cdnow, "customer_id", "date", "amount", output="pandas")
    assert t.index.equals(summary.index)
    for col in summary.columns:
        pd.testing.assert_series_equal(t[col], summary[col], check_exact=True)
    obs_end = a.settings["observation_period_end"]
    cal = clmkit.calibration_and_holdout(
        cdnow, "customer_id", "date", CALIBRATION_END, obs_end, output="pandas"
    )
    pd.testing.assert_frame_equal(a.cal_holdout, cal, check_exact=True)
    unit = TimeUnit("D")
    model = a.models["transactions"]
    scheme = model_steps.stage_scheme_for(None, {}, model, unit).resolve(t, unit)
    dates = sorted(a.stage_history["snapshot"].unique())
    assert len(dates) == 6
    history = clmkit.stage_history(
        cdnow,
        dates,
        "customer_id",
        "date",
        scheme=scheme,
        model=model,
        observation_period_end=obs_end,
        output="pandas",
    )
    pd.testing.assert_frame_equal(a.stage_history, history, check_exact=True)


def test_column_names_may_be_left_out_for_a_log_only(cdnow):
    log = TransactionLog.from_frame(cdnow.head(500), "customer_id", "date", "amount")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clmkit.ClmkitWarning)
        a = clmkit.analyze(log, models=())
    assert "m_score" not in a.table  # the values are used only when monetary_value_col asks
    with pytest.raises(ValueError, match="datetime_col='day' does not match"):
        clmkit.analyze(log, "customer_id", "day", models=())
    with pytest.raises(ValueError, match="customer_id_col is required"):
        clmkit.analyze(cdnow, models=())
