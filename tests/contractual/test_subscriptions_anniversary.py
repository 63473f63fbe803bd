"""renewal_dates="anniversary": periods counted from each subscriber's own start, as the
sBG/BdW assume (a monthly plan taken on the 20th renews on the 20th). Calendar periods count
one renewal too many whenever a subscription starts inside a period."""

import warnings

import clmkit
import numpy as np
import pandas as pd
import pytest
from clmkit.cli import main

ALPHA, BETA = 1.2, 3.0


def _simulated_log(n, aligned, seed=0):
    """Starts anywhere in 2022 (or on the 1st of a month); each subscriber stays a geometric
    number of months with a Beta(ALPHA, BETA) churn probability (the sBG). Returns the log and
    the true months paid per subscriber."""
    rng = np.random.default_rng(seed)
    if aligned:
        start = pd.to_datetime([f"2022-{m:02d}-01" for m in rng.integers(1, 13, n)])
    else:
        start = (
            pd.Timestamp("2022-01-01")
            + pd.to_timedelta(rng.integers(0, 365, n), "D")
            + pd.to_timedelta(rng.integers(0, 86_400, n), "s")
        )
    life = rng.geometric(rng.beta(ALPHA, BETA, n))
    # a life past 60 months ends after the observation end anyway (censored below); capping
    # it keeps the dates inside pandas' nanosecond range (pandas < 2 cannot hold year 3000)
    end = pd.Series([s + pd.DateOffset(months=int(min(k, 60))) for s, k in zip(start, life)])
    end[end > pd.Timestamp("2023-12-31")] = pd.NaT
    return pd.DataFrame({"cid": np.arange(n), "start": start, "end": end}), life


def _summary(log, mode):
    return clmkit.summarize_subscriptions(
        log, "cid", "start", "end", observation_period_end="2023-12-31", renewal_dates=mode
    )


def test_anniversary_counts_the_renewals_paid_and_the_sbg_recovers_the_truth():
    log, life = _simulated_log(20_000, aligned=False)
    anniversary, calendar = _summary(log, "anniversary"), _summary(log, "calendar")
    gone = anniversary["churned"].to_numpy()
    # a subscriber who paid `life` months made life - 1 renewals
    np.testing.assert_array_equal(anniversary["renewals"].to_numpy()[gone], life[gone] - 1)
    # calendar months touched: one more for every subscription starting inside a month
    assert (calendar["renewals"].to_numpy()[gone] == life[gone]).all()
    sbg = clmkit.ShiftedBetaGeometric().fit(anniversary)
    se = sbg.standard_errors_
    assert abs(sbg.params_["alpha"] - ALPHA) < 4 * se["alpha"]
    assert abs(sbg.params_["beta"] - BETA) < 4 * se["beta"]
    biased = clmkit.ShiftedBetaGeometric().fit(calendar)
    assert abs(biased.params_["alpha"] - ALPHA) > 20 * se["alpha"]
    # the cohorts keep their calendar month; survivors only over fully observed periods
    assert str(anniversary["cohort"].iloc[0]) == str(calendar["cohort"].iloc[0])
    survivors = clmkit.cohort_survivors(anniversary)
    first = anniversary.loc[anniversary["cohort"].astype(str) == "2022-01", "renewals"]
    assert survivors.loc[pd.Period("2022-01", "M"), 1] == (first >= 1).sum()


def test_aligned_starts_give_the_same_summary_either_way():
    log, _ = _simulated_log(3000, aligned=True, seed=1)
    pd.testing.assert_frame_equal(
        _summary(log, "anniversary").drop(columns="start"),
        _summary(log, "calendar").drop(columns="start"),
    )


@pytest.mark.parametrize(
    ("start", "end", "renewals", "churned"),
    [
        ("2024-01-31", "2024-02-29", 0, True),  # month end: the anniversary is 29 February
        ("2024-01-31", "2024-03-31", 1, True),
        ("2024-01-20", None, 4, False),  # 20 Feb, Mar, Apr, May before 10 June
        ("2024-01-20 12:00", "2024-02-20 11:59", 0, True),
    ],
)
def test_anniversaries_by_hand(start, end, renewals, churned):
    log = pd.DataFrame(
        {"cid": [1], "start": [pd.Timestamp(start)], "end": [pd.Timestamp(end) if end else pd.NaT]}
    )
    s = clmkit.summarize_subscriptions(
        log, "cid", "start", "end", observation_period_end="2024-06-10", renewal_dates="anniversary"
    )
    assert s.loc[1, ["renewals", "churned"]].tolist() == [renewals, churned]


def test_back_to_back_rows_form_one_spell_and_the_cli_flag(tmp_path):
    pytest.importorskip("pyarrow")  # the CLI reads files with pyarrow
    rows = [
        "cid,start,end",
        "a,2024-01-20,2024-02-20",
        "a,2024-02-20,2024-04-20",
        "b,2024-03-15,2024-04-15",
        "c,2024-02-10,",
    ]
    path = tmp_path / "subs.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    argv = ["report", str(path), "--contractual", "--customer-id-col", "cid", "--start-col"]
    argv += ["start", "--end-col", "end", "--model", "sbg", "--observation-end", "2024-06-30"]
    argv += ["--renewal-dates", "anniversary", "--formats", "csv", "--out", str(out), "--quiet"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clmkit.ClmkitWarning)
        assert main(argv) == 0
    t = pd.read_csv(out / "subscribers.csv").set_index("cid")
    # a: paid Jan 20 - Apr 20 (3 months, 2 renewals); b: one month; c: Mar..Jun 10ths
    assert t.loc[["a", "b", "c"], "renewals"].tolist() == [2, 0, 4]
    assert t.loc[["a", "b", "c"], "churned"].tolist() == [True, True, False]
