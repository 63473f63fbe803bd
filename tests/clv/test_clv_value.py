"""Customer lifetime value, expected value and holdout evaluation."""

import clmkit
import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def daily():
    log = clmkit.datasets.load_cdnow_sample()
    summary = clmkit.summarize(
        log,
        "customer_id",
        "date",
        monetary_value_col="amount",
        observation_period_end="1997-09-30",
        freq="D",
    )
    bg = clmkit.BetaGeo().fit(summary)
    gg = clmkit.GammaGamma().fit(summary, drop_nonpositive=True)
    return summary, bg, gg


def lifetimes_clv_loop(bg, gg, summary, time=12, discount_rate=0.01, freq="D"):
    """lifetimes 0.11.3 utils._customer_lifetime_value, reimplemented over clmkit's
    conditional expectations (lifetimes itself needs numpy < 2)."""
    f, r, T, m = (summary[k] for k in ("frequency", "recency", "T", "monetary_value"))
    spend = gg.conditional_expected_spend(f, m).to_numpy()
    factor = {"W": 4.345, "M": 1.0, "D": 30, "H": 30 * 24}[freq]
    clv = np.zeros(len(summary))
    for i in np.arange(1, time + 1) * factor:
        purchases = (
            bg.conditional_expected_purchases(i, f, r, T).to_numpy()
            - bg.conditional_expected_purchases(i - factor, f, r, T).to_numpy()
        )
        clv += spend * purchases / (1 + discount_rate) ** (i / factor)
    return clv


def test_reproduces_lifetimes_customer_lifetime_value(daily):
    summary, bg, gg = daily
    expected = lifetimes_clv_loop(bg, gg, summary)
    for period in (30, "30D"):
        clv = clmkit.customer_lifetime_value(
            bg, gg, summary, horizon=12, period=period, discount_rate=0.01
        )
        assert isinstance(clv, pd.Series) and clv.index.equals(summary.index) and clv.name == "clv"
        assert np.allclose(clv.to_numpy(), expected, rtol=1e-10, atol=1e-10)
    assert (expected > 0).all()


def test_period_strings_use_the_model_time_unit(published):
    weekly = clmkit.datasets.load_cdnow_summary(with_monetary_value=True)
    bg, gg = clmkit.BetaGeo().fit(weekly), clmkit.GammaGamma().fit(weekly)
    a = clmkit.customer_lifetime_value(bg, gg, weekly, horizon=6, period="30D", discount_rate=0.01)
    b = clmkit.customer_lifetime_value(bg, gg, weekly, horizon=6, period=30 / 7, discount_rate=0.01)
    assert np.allclose(a, b, rtol=1e-14)
    arrays = clmkit.BetaGeo().fit(weekly["frequency"], weekly["recency"], weekly["T"])
    with pytest.raises(ValueError, match="time unit"):
        clmkit.customer_lifetime_value(
            arrays, gg, weekly, horizon=6, period="30D", discount_rate=0.01
        )


def test_continuous_discounting(daily):
    summary, bg, gg = daily
    sub = summary.iloc[:200]
    cont = clmkit.customer_lifetime_value(
        bg, gg, sub, horizon=12, period=30, discount_rate=0.01, continuous=True
    )
    # Daily periods at the equivalent daily rate approach continuous discounting.
    fine = clmkit.customer_lifetime_value(
        bg, gg, sub, horizon=360, period=1, discount_rate=1.01 ** (1 / 30) - 1
    )
    assert np.allclose(cont, fine, rtol=2e-3)
    flat = clmkit.customer_lifetime_value(
        bg, gg, sub, horizon=12, period=30, discount_rate=0.0, continuous=True
    )
    spend = gg.conditional_expected_spend(sub["frequency"], sub["monetary_value"])
    e360 = bg.conditional_expected_purchases(360, sub)
    assert np.allclose(flat, spend * e360, rtol=1e-12)


def test_spend_as_number_or_array_and_tuple_data(daily):
    summary, bg, _ = daily
    cols = (summary["frequency"].to_numpy(), summary["recency"].to_numpy(), summary["T"].to_numpy())
    a = clmkit.customer_lifetime_value(bg, 25.0, cols, horizon=3, period=30, discount_rate=0.02)
    b = clmkit.customer_lifetime_value(
        bg, np.full(len(summary), 25.0), summary, horizon=3, period=30, discount_rate=0.02
    )
    assert isinstance(a, np.ndarray) and np.allclose(a, b.to_numpy(), rtol=1e-14)


def test_expected_value(daily):
    summary, bg, gg = daily
    v = clmkit.expected_value(bg, gg, summary, "365D")
    spend = gg.conditional_expected_spend(summary["frequency"], summary["monetary_value"])
    assert np.allclose(v, spend * bg.conditional_expected_purchases(365, summary), rtol=1e-14)


def test_evaluate_holdout():
    log = clmkit.datasets.load_cdnow_sample()
    ch = clmkit.calibration_and_holdout(
        log, "customer_id", "date", "1997-09-30", observation_period_end="1998-06-30", freq="W"
    )
    bg = clmkit.BetaGeo().fit(ch["frequency_cal"], ch["recency_cal"], ch["T_cal"])
    ev = clmkit.evaluate_holdout(bg, ch)
    d = float(ch["duration_holdout"].iloc[0])
    predicted = bg.conditional_expected_purchases(
        d, ch["frequency_cal"], ch["recency_cal"], ch["T_cal"]
    )
    assert np.allclose(ev.per_customer["predicted"], predicted, rtol=1e-14)
    err = predicted.to_numpy() - ch["frequency_holdout"].to_numpy()
    assert ev.mae == pytest.approx(np.abs(err).mean()) and ev.rmse == pytest.approx(
        np.sqrt((err**2).mean())
    )
    assert ev.total_actual == ch["frequency_holdout"].sum()
    # FHL 2005 fig. 3: the model tracks the aggregate holdout purchases closely.
    assert abs(ev.aggregate_error) < 0.1
    assert list(ev.by_frequency.index) == list(range(8)) and list(ev.by_frequency.columns) == [
        "actual",
        "predicted",
    ]


def test_bad_arguments(daily):
    summary, bg, gg = daily
    with pytest.raises(ValueError, match="horizon"):
        clmkit.customer_lifetime_value(bg, gg, summary, horizon=0, period=30, discount_rate=0.01)
    with pytest.raises(ValueError, match="period"):
        clmkit.customer_lifetime_value(
            bg, gg, summary, horizon=2, period="thirty", discount_rate=0.01
        )
    with pytest.raises(ValueError, match="period must be finite and > 0"):
        clmkit.customer_lifetime_value(bg, gg, summary, horizon=2, period=-30, discount_rate=0.01)
    with pytest.raises(ValueError, match="discount_rate"):
        clmkit.customer_lifetime_value(bg, gg, summary, horizon=2, period=30, discount_rate=-1)
    with pytest.raises(TypeError, match="purchase-count model"):
        clmkit.customer_lifetime_value(gg, gg, summary, horizon=2, period=30, discount_rate=0.01)
    with pytest.raises(clmkit.NotFittedError):
        clmkit.customer_lifetime_value(
            clmkit.BetaGeo(), gg, summary, horizon=2, period=30, discount_rate=0.01
        )
    with pytest.raises(ValueError, match="spend_model gives 2 values"):
        clmkit.customer_lifetime_value(
            bg, [1.0, 2.0], summary, horizon=2, period=30, discount_rate=0.01
        )
    with pytest.raises(ValueError, match="monetary_value"):
        clmkit.customer_lifetime_value(
            bg, gg, summary.drop(columns="monetary_value"), horizon=2, period=30, discount_rate=0.01
        )


def test_gamma_gamma_spend_in_the_clv_pass_equals_the_spend_array(daily):
    """The one-pass Gamma-Gamma CLV (grouped by (frequency, T)) gives the bits of the CLV
    from a precomputed spend array, for every count model."""
    summary, bg, gg = daily
    spend = gg.conditional_expected_spend(
        summary["frequency"], summary["monetary_value"]
    ).to_numpy()
    mbg = clmkit.ModifiedBetaGeo().fit(summary)
    pnbd = clmkit.ParetoNBD().fit(summary)
    for model in (bg, mbg, pnbd):
        for continuous in (False, True):
            one_pass = clmkit.customer_lifetime_value(
                model, gg, summary, horizon=12, period=30, discount_rate=0.01, continuous=continuous
            )
            given = clmkit.customer_lifetime_value(
                model,
                spend,
                summary,
                horizon=12,
                period=30,
                discount_rate=0.01,
                continuous=continuous,
            )
            assert np.array_equal(one_pass.to_numpy(), given.to_numpy())


def test_gamma_gamma_clv_rejects_bad_monetary_values(daily):
    summary, bg, gg = daily
    bad = summary.copy()
    row = int(np.flatnonzero(bad["frequency"].to_numpy() > 0)[3])
    # A mean spend <= 0 is "no usable spend history" (population mean); NaN is an error.
    bad.iloc[row, bad.columns.get_loc("monetary_value")] = np.nan
    with pytest.raises(ValueError, match=f"monetary_value.*row {row}"):
        clmkit.customer_lifetime_value(bg, gg, bad, horizon=12, period=30, discount_rate=0.01)
    with pytest.raises(ValueError, match="monetary_value"):
        clmkit.customer_lifetime_value(
            bg,
            gg,
            (bad["frequency"], bad["recency"], bad["T"], [1.0, 2.0]),
            horizon=12,
            period=30,
            discount_rate=0.01,
        )
