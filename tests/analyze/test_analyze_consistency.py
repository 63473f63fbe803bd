"""A row of the customer table never contradicts itself: M and the ABC class rank the same
value, P(alive) and the stage agree, one-time buyers are not all 'alive'; horizons in months
and years; windows set by the caller."""

import warnings

import clmkit
import numpy as np
import pytest
from clmkit.analyze.durations import duration_days


@pytest.fixture(scope="module")
def analysis():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clmkit.ClmkitWarning)
        return clmkit.analyze(clmkit.datasets.load_cdnow_master(), "customer_id", "date", "amount")


def test_m_is_total_spend_including_one_time_buyers(analysis):
    t = analysis.table
    one_time = t["frequency"] == 0
    # one-time buyers get every M score, by what they spent
    assert set(t.loc[one_time, "m_score"]) == {1, 2, 3, 4, 5}
    big = one_time & (t["total_value"] >= t["total_value"].quantile(0.9))
    assert (t.loc[big, "m_score"] >= 4).all()
    # M and ABC rank the same value: never the bottom M score and class A
    assert not ((t["m_score"] == 1) & (t["abc_class"].astype(str) == "A")).any()
    assert not ((t["m_score"] == 5) & (t["abc_class"].astype(str) == "C")).any()


def test_default_model_gives_one_time_buyers_p_alive_below_one(analysis):
    t = analysis.table
    assert type(analysis.models["transactions"]).__name__ == "ModifiedBetaGeo"
    assert (t.loc[t["frequency"] == 0, "p_alive"] < 0.99).all()


def test_no_row_is_both_alive_and_churned(analysis):
    t = analysis.table
    both = (t["p_alive"] >= 0.99) & (t["stage"].astype(str) == "churned")
    assert not both.any()
    # and the stage follows P(alive): churned below churn_p, at risk below at_risk_p
    churned = t["stage"].astype(str) == "churned"
    assert (t.loc[churned, "p_alive"] < 0.1).all()
    assert t.loc[churned, "stage_reason"].str.startswith("churned").all()


def test_headline_mean_p_alive_is_over_every_customer(analysis):
    s = analysis.summary()
    t = analysis.table
    assert s["mean_p_alive"] == pytest.approx(t["p_alive"].mean())
    assert s["expected_active"] == pytest.approx(t["p_alive"].sum())


def test_bgnbd_keeps_its_definition_when_asked():
    log = clmkit.datasets.load_cdnow_sample()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clmkit.ClmkitWarning)
        a = clmkit.analyze(log, "customer_id", "date", "amount", models=("bgnbd", "gammagamma"))
    t = a.table
    # BG/NBD: one-time buyers are alive by assumption, so they are judged by inactivity
    assert (t.loc[t["frequency"] == 0, "p_alive"] == 1.0).all()


@pytest.mark.parametrize(
    "text, days",
    [("365D", 365.0), ("26W", 182.0), ("3M", 3 * 365.2425 / 12), ("1Y", 365.2425), ("12h", 0.5)],
)
def test_durations(text, days):
    assert duration_days(text, "horizon") == pytest.approx(days)


@pytest.mark.parametrize("bad", ["soon", "-3M", "0D", "3Q"])
def test_bad_durations_name_the_option(bad):
    with pytest.raises(ValueError, match="horizon"):
        duration_days(bad, "horizon")


@pytest.mark.filterwarnings("ignore::clmkit.ClmkitWarning")
def test_horizon_in_months_and_windows_in_days():
    log = clmkit.datasets.load_cdnow_sample()
    a = clmkit.analyze(
        log, "customer_id", "date", "amount", horizon="3M",
        stage_windows={"new_window": "30D", "maturity_window": "6M", "churn_window": "1Y"},
        interval_level=None,
    )  # fmt: skip
    assert "clv_3m" in a.table and "expected_purchases_3m" in a.table
    assert a.settings["horizon_units"] == pytest.approx(91.310625)
    w = a.settings["stage_windows_days"]
    assert (w["new_window"], w["churn_window"]) == (30.0, pytest.approx(365.2425))
    bg = a.models["transactions"]
    t = a.table
    np.testing.assert_allclose(
        t["expected_purchases_3m"],
        bg.conditional_expected_purchases(91.310625, t["frequency"], t["recency"], t["T"]),
    )
