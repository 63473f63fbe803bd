"""summarize_discrete against a brute-force pandas Period computation."""

import clmkit
import numpy as np
import pandas as pd
import pytest
from clmkit import summarize_discrete

PANDAS_PERIOD = {"H": "h", "D": "D", "W": "W", "M": "M", "Y": "Y"}


def brute(log, period, end):
    """Per customer: birth period, opportunities after it up to the end period, the distinct
    later periods with a transaction and the last of them, by pandas Periods."""
    per = log["date"].dt.to_period(PANDAS_PERIOD[period])
    end_p = pd.Timestamp(end).to_period(PANDAS_PERIOD[period])
    rows = {}
    for cid, p in per[log["date"] <= pd.Timestamp(end) + pd.Timedelta(0)].groupby(log["id"]):
        p = p[p <= end_p]
        if p.empty:
            continue
        birth = p.min()
        later = sorted({(q - birth).n for q in p if q > birth})
        rows[cid] = (
            float(len(later)),
            float(later[-1]) if later else 0.0,
            float((end_p - birth).n),
        )
    return pd.DataFrame.from_dict(
        rows, orient="index", columns=["frequency", "recency", "n_periods"]
    )


@pytest.mark.parametrize("period", ["D", "W", "M", "Y"])
def test_matches_pandas_periods(period):
    rng = np.random.default_rng(4)
    n = 3000
    start = pd.Timestamp("1950-01-01").value
    span = {"D": 400, "W": 3000, "M": 20_000, "Y": 60_000}[period] * 86_400 * 10**9
    dates = pd.to_datetime(start + rng.integers(0, span, n))
    log = pd.DataFrame({"id": rng.integers(0, 300, n), "date": dates})
    end = log["date"].max().normalize() + pd.Timedelta(hours=23)
    got = summarize_discrete(
        log, "id", "date", period=period, observation_period_end=end, aggregate=False
    )
    want = brute(log, period, end)
    pd.testing.assert_frame_equal(
        got[["frequency", "recency", "n_periods"]], want, check_names=False, check_index_type=False
    )


def test_patterns_and_weights():
    log = pd.DataFrame(
        {
            "id": ["a", "a", "a", "b", "c", "c", "d"],
            "date": pd.to_datetime(
                [
                    "2001-03-01",
                    "2001-07-01",
                    "2003-02-01",
                    "2002-05-05",
                    "2001-01-01",
                    "2004-12-31",
                    "2001-09-09",
                ]
            ),
        }
    )
    pat = summarize_discrete(log, "id", "date", period="Y", observation_period_end="2004-12-31")
    # a: born 2001, buys 2003 -> (1, 2, 3); b: born 2002 -> (0, 0, 2);
    # c: born 2001, buys 2004 -> (1, 3, 3); d: born 2001 -> (0, 0, 3)
    want = pd.DataFrame(
        {
            "frequency": [0.0, 0.0, 1.0, 1.0],
            "recency": [0.0, 0.0, 2.0, 3.0],
            "n_periods": [2.0, 3.0, 3.0, 3.0],
            "weights": [1.0, 1.0, 1.0, 1.0],
        }
    )
    pd.testing.assert_frame_equal(pat, want)
    per = summarize_discrete(
        log, "id", "date", period="Y", observation_period_end="2004-12-31", aggregate=False
    )
    assert per.loc["a", "first_period"] == pd.Period("2001", "Y")
    assert pat.attrs["clmkit"]["period"] == "Y"
    # Transactions after the end are ignored; a customer born in the end period has 0 opportunities.
    short = summarize_discrete(
        log, "id", "date", period="Y", observation_period_end="2002-06-30", aggregate=False
    )
    assert short.loc["b"].tolist()[:3] == [0.0, 0.0, 0.0] and short.loc["a", "frequency"] == 0


def test_feeds_bgbb():
    log = clmkit.datasets.load_cdnow_sample()
    pat = summarize_discrete(
        log, "customer_id", "date", period="M", observation_period_end="1998-06-30"
    )
    model = clmkit.BetaGeoBetaBinom().fit(pat, weights="weights")
    assert model.converged_ and pat["weights"].sum() == log["customer_id"].nunique()


def test_bad_input():
    log = pd.DataFrame({"id": [1, 2], "date": ["2020-01-01", "2020-02-01"]})
    with pytest.raises(
        ValueError, match=r"unknown period 'Q'; accepted: \['D', 'H', 'M', 'W', 'Y'\]"
    ):
        summarize_discrete(log, "id", "date", period="Q")
    with pytest.raises(ValueError, match="customer"):
        summarize_discrete(log, "customer", "date")
    with pytest.raises(ValueError, match=r"row 1"):
        summarize_discrete(
            pd.DataFrame({"id": [1, 2], "date": ["2020-01-01", "garbage"]}), "id", "date"
        )
    with pytest.raises(ValueError, match="before the first transaction"):
        summarize_discrete(log, "id", "date", observation_period_end="2019-01-01")
