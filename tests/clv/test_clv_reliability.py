"""CLV on the table Gamma-Gamma was fitted on, bounded horizons, the next-purchase kernel."""

import time

import clmkit
import numpy as np
import pandas as pd
import pytest
from clmkit.clv import time_to_expected_purchases
from clmkit.exceptions import InvalidValueError


@pytest.fixture(scope="module")
def cdnow_full():
    log = clmkit.datasets.load_cdnow_master()
    summary = clmkit.summarize(log, "customer_id", "date", monetary_value_col="amount", freq="W")
    bg = clmkit.BetaGeo().fit(summary)
    repeat = summary[summary["frequency"] > 0]
    with pytest.warns(clmkit.ClmkitWarning):
        gg = clmkit.GammaGamma().fit(
            repeat["frequency"], repeat["monetary_value"], drop_nonpositive=True
        )
    return summary, bg, gg


def test_clv_recipe_runs_on_the_table_gamma_gamma_was_fitted_on(cdnow_full):
    summary, bg, gg = cdnow_full
    unusable = (summary["frequency"] > 0) & (summary["monetary_value"] <= 0)
    assert unusable.any()  # full CDNOW has repeat buyers whose mean spend is 0
    clv = clmkit.customer_lifetime_value(bg, gg, summary)  # defaults: 12 x 30 days, 1 %
    assert clv.index.equals(summary.index) and np.isfinite(clv).all()
    # Reference: the population mean spend p v / (q - 1) from the fitted parameters, for
    # every customer without a usable spend history, the model's own expectation otherwise.
    p, q, v = gg.params_.to_numpy()
    f, m = summary["frequency"].to_numpy(float), summary["monetary_value"].to_numpy(float)
    usable = (f > 0) & (m > 0)
    spend = np.full(len(f), p * v / (q - 1))
    spend[usable] = gg.conditional_expected_spend(f[usable], m[usable])
    ref = clmkit.customer_lifetime_value(
        bg, spend, summary[["frequency", "recency", "T"]], 12, "30D", 0.01
    )
    np.testing.assert_allclose(clv.to_numpy(), np.asarray(ref), rtol=1e-12)
    ev = clmkit.expected_value(bg, gg, summary, "365D")
    assert np.isfinite(ev).all()


def test_missing_spend_of_a_repeat_buyer_is_an_error_naming_the_row(cdnow_full):
    summary, bg, gg = cdnow_full
    bad = summary.head(50).copy()
    row = int(np.flatnonzero(bad["frequency"].to_numpy() > 0)[0])
    bad.iloc[row, bad.columns.get_loc("monetary_value")] = np.nan
    with pytest.raises(InvalidValueError) as info:
        clmkit.customer_lifetime_value(bg, gg, bad)
    assert info.value.arg == "monetary_value" and info.value.row == bad.index[row]


def test_huge_horizon_is_refused_quickly(cdnow_full):
    summary, bg, gg = cdnow_full
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"horizon must be 1 to 10000 periods, got 10000000000"):
        clmkit.customer_lifetime_value(bg, gg, summary, horizon=10**10)
    assert time.perf_counter() - start < 5


def test_two_dimensional_and_mismatched_input_name_the_argument(cdnow_full):
    summary, bg, _ = cdnow_full
    f = summary["frequency"].to_numpy(float)[:10]
    r = summary["recency"].to_numpy(float)[:10]
    T = summary["T"].to_numpy(float)[:10]
    with pytest.raises(ValueError, match="spend_model"):
        clmkit.customer_lifetime_value(bg, np.ones((10, 2)), (f, r, T))
    with pytest.raises(ValueError, match="spend_model gives 3 values for 10 customers"):
        clmkit.customer_lifetime_value(bg, np.ones(3), (f, r, T))
    with pytest.raises(ValueError, match="frequency"):
        time_to_expected_purchases(bg, f, r[:5], T, 52.0)


def test_next_purchase_kernel_equals_one_horizon_at_a_time(cdnow_full):
    summary, bg, _ = cdnow_full
    sample = summary.sample(500, random_state=1)
    f, r, T = (sample[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    got = time_to_expected_purchases(bg, f, r, T, 52.0)

    class OneAtATime:  # hides the model's kernel: the generic path calls it per grid time
        def conditional_expected_purchases(self, t, *rows):
            return bg.conditional_expected_purchases(t, *rows)

    want = time_to_expected_purchases(OneAtATime(), f, r, T, 52.0)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    assert np.isnan(got).any() and np.isfinite(got).any()
    # At the interpolated time the expectation is close to one purchase.
    some = np.flatnonzero(np.isfinite(got))[:20]
    e = np.array(
        [bg.conditional_expected_purchases(got[i], f[i], r[i], T[i]) for i in some]
    ).ravel()
    np.testing.assert_allclose(e, 1.0, atol=0.05)
    with pytest.raises(ValueError, match="points"):
        time_to_expected_purchases(bg, f, r, T, 52.0, points=10**6)


def test_next_purchase_on_pandas_series_keeps_values():
    data = clmkit.datasets.load_cdnow_summary()
    bg = clmkit.BetaGeo().fit(data)
    got = time_to_expected_purchases(bg, data["frequency"], data["recency"], data["T"], 39.0)
    assert len(got) == len(data) and isinstance(got, np.ndarray)
    assert pd.notna(got).sum() > 0
