"""Bundled datasets and the transaction simulator."""

import numpy as np
import pandas as pd
import pytest
from clmkit import datasets
from scipy.special import hyp2f1


def test_loaders_shapes_and_types():
    sample = datasets.load_cdnow_sample()
    assert sample.shape == (6919, 5) and sample["customer_id"].nunique() == 2357
    assert pd.api.types.is_datetime64_any_dtype(sample["date"])
    master = datasets.load_cdnow_master()
    assert master.shape == (69659, 4)
    assert datasets.load_cdnow_summary(with_monetary_value=True).shape == (2357, 4)
    assert datasets.load_donations()["weights"].sum() == 11104
    assert datasets.load_rossi().shape == (432, 9)
    assert datasets.load_g3().shape[0] == 17
    assert datasets.load_waltons().shape[1] == 3
    assert len(datasets.load_example_transactions()) == 15273


def test_published_reference_is_a_fresh_copy():
    ref = datasets.load_published_reference()
    ref["bgnbd_cdnow"]["params"]["r"] = -1
    assert datasets.load_published_reference()["bgnbd_cdnow"]["params"]["r"] == 0.243


def test_simulator_is_deterministic_for_a_seed():
    a = datasets.simulate_transactions(500, seed=7)
    b = datasets.simulate_transactions(500, seed=7)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(datasets.simulate_transactions(500, seed=8))
    assert list(a.columns) == ["customer_id", "date", "amount"]
    assert a["customer_id"].nunique() == 500
    assert a["date"].is_monotonic_increasing


def test_simulator_matches_bgnbd_expected_repeat_purchases():
    """Mean repeat transactions per customer vs FHL (2005) eq. 9, E[X(t)], averaged over each
    customer's own observation window; within 4 standard errors."""
    r, alpha, a, b = 0.243, 30.9, 0.793, 2.426
    n = 20_000
    log = datasets.simulate_transactions(
        n, seed=11, r=r, alpha=alpha, a=a, b=b, acquisition_days=365, observation_days=730
    )
    first = log.groupby("customer_id")["date"].min()
    window = (
        pd.Timestamp("2020-01-01") + pd.Timedelta(days=730) - first
    ).dt.total_seconds() / 86400
    t = window.to_numpy()
    expected = (
        (a + b - 1)
        / (a - 1)
        * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))
    )
    repeats = log.groupby("customer_id").size().to_numpy() - 1
    se = repeats.std() / np.sqrt(n)
    assert abs(repeats.mean() - expected.mean()) < 4 * se


def test_simulator_spend_mean_matches_gamma_gamma():
    p, q, v = 6.25, 3.74, 15.44
    log = datasets.simulate_transactions(20_000, seed=12, p=p, q=q, v=v)
    per_customer = log.groupby("customer_id")["amount"].mean()
    # E[z] = p v / (q - 1) for a customer's mean spend (Fader & Hardie 2013)
    expected = p * v / (q - 1)
    se = per_customer.std() / np.sqrt(len(per_customer))
    assert abs(per_customer.mean() - expected) < 4 * se


def test_simulator_rejects_negative_size():
    with pytest.raises(ValueError, match="n_customers"):
        datasets.simulate_transactions(-1)
