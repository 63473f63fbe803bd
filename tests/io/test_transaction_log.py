"""TransactionLog: a raw log read once and accepted by every raw-log entry point."""

import sys

import clmkit
import numpy as np
import pandas as pd
import pytest
from clmkit import TransactionLog
from clmkit._io import _read

pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")

DF = clmkit.datasets.load_cdnow_sample()[["customer_id", "date", "amount"]]
COLS = ("customer_id", "date", "amount")


@pytest.fixture
def reads(monkeypatch):
    """Counts table reads: every module of clmkit that bound the one reader is patched."""
    calls = []
    original = _read.read

    def counting(*args, **kwargs):
        calls.append(args[1])
        return original(*args, **kwargs)

    for name, module in list(sys.modules.items()):
        if name.startswith("clmkit") and getattr(module, "read", None) is original:
            monkeypatch.setattr(module, "read", counting)
    return calls


def test_summarize_on_a_log_reads_nothing_more(reads):
    log = TransactionLog.from_frame(DF, *COLS)
    assert len(reads) == 1
    got = clmkit.summarize(log, *COLS, observation_period_end="1997-09-30")
    cal = clmkit.calibration_and_holdout(
        log, calibration_period_end="1997-06-30", monetary_value_col="amount"
    )
    assert len(reads) == 1  # no second read
    pd.testing.assert_frame_equal(
        got, clmkit.summarize(DF, *COLS, observation_period_end="1997-09-30")
    )
    pd.testing.assert_frame_equal(
        cal,
        clmkit.calibration_and_holdout(
            DF, "customer_id", "date", "1997-06-30", monetary_value_col="amount"
        ),
    )
    assert len(reads) == 3  # the two DataFrame calls above read once each


@pytest.mark.parametrize(
    "call",
    [
        lambda t, **k: clmkit.summarize(t, "customer_id", "date", "amount", **k),
        lambda t, **k: clmkit.summarize(t, "customer_id", "date", freq="W", **k),
        lambda t, **k: clmkit.calibration_and_holdout(t, "customer_id", "date", "1997-06-30", **k),
        lambda t, **k: clmkit.summarize_discrete(t, "customer_id", "date", period="M", **k),
        lambda t, **k: clmkit.stage_history(
            t, ["1997-06-30", "1998-01-31"], "customer_id", "date", **k
        ),
        lambda t, **k: clmkit.cohort_retention(t, "customer_id", "date", **k),
        lambda t, **k: clmkit.churn_dataset(
            t, "customer_id", "date", 90, monetary_value_col="amount", **k
        ),
    ],
    ids=["summarize", "weekly", "calibration", "discrete", "stage_history", "cohorts", "churn"],
)
@pytest.mark.parametrize("kind", ["pandas", "polars", "arrow"])
def test_every_raw_log_entry_point_takes_a_log(call, kind, reads):
    table = {"pandas": DF, "polars": pl.from_pandas(DF), "arrow": pa.Table.from_pandas(DF)}[kind]
    log = TransactionLog.from_frame(table, *COLS)
    n = len(reads)
    got = call(log)
    assert len(reads) == n
    want = call(table)
    assert type(got) is type(want)  # results in the caller's library
    if kind == "pandas":
        pd.testing.assert_frame_equal(got, want)
    else:
        assert got.equals(want)


def test_log_holds_codes_sorted_ids_and_read_only_views():
    df = DF.copy()
    log = TransactionLog.from_frame(df, *COLS)
    assert len(log) == len(DF) and log.n_customers == DF["customer_id"].nunique()
    np.testing.assert_array_equal(log.uniques[log.codes], DF["customer_id"].to_numpy())
    assert log.uniques.is_monotonic_increasing
    np.testing.assert_array_equal(
        log.times_ns, DF["date"].to_numpy().astype("datetime64[ns]").view(np.int64)
    )
    for a in (log.codes, log.times_ns, log.values):
        assert not a.flags.writeable
    clmkit.summarize(log, *COLS)
    pd.testing.assert_frame_equal(df, DF)  # the caller's frame is untouched


def test_time_zone_and_string_dates_are_kept():
    tz = DF.assign(date=DF["date"].dt.tz_localize("Europe/Paris"))
    log = TransactionLog.from_frame(tz, *COLS)
    assert str(log.tz) == "Europe/Paris"
    got = clmkit.summarize(log, *COLS)
    pd.testing.assert_frame_equal(got, clmkit.summarize(tz, *COLS))
    text = DF.assign(date=DF["date"].dt.strftime("%d/%m/%Y"))
    parsed = TransactionLog.from_frame(text, *COLS, datetime_format="%d/%m/%Y")
    np.testing.assert_array_equal(
        parsed.times_ns, DF["date"].to_numpy().astype("datetime64[ns]").view(np.int64)
    )


def test_columns_must_match_the_log():
    log = TransactionLog.from_frame(DF, "customer_id", "date")
    with pytest.raises(ValueError, match="customer_id_col='id' does not match"):
        clmkit.summarize(log, "id", "date")
    with pytest.raises(ValueError, match="monetary_value_col='amount' does not match"):
        clmkit.summarize(log, monetary_value_col="amount")  # read without values
    with pytest.raises(ValueError, match="customer_id_col is required"):
        clmkit.summarize(DF)


def test_bad_data_is_reported_when_the_log_is_read():
    bad = DF.assign(amount=DF["amount"].where(DF.index != 5, np.inf))
    with pytest.raises(ValueError, match=r"monetary_value_col 'amount': row 5 has invalid value"):
        TransactionLog.from_frame(bad, *COLS)
    with pytest.raises(ValueError, match="'nope' is not a column"):
        TransactionLog.from_frame(DF, "nope", "date")
    with pytest.raises(TypeError, match="customer_id_col must be a column name"):
        TransactionLog.from_frame(DF, 3, "date")
