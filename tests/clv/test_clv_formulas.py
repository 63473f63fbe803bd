"""CRM value formulas vs direct evaluation of their definitions."""

import clmkit
import numpy as np
import pandas as pd
import pytest


def test_purchase_value_vectorised():
    cap = np.array([100, 50, 0])
    got = clmkit.purchase_value(cap, pd.Series([0.25, 1.0, 0.5]), 4.0)
    np.testing.assert_allclose(got, [100.0, 200.0, 0.0])
    assert clmkit.purchase_value(10, 0.5, 2) == 10.0


def test_composite_value_weights():
    got = clmkit.composite_value(
        purchase=[100.0, 10.0],
        word_of_mouth=20.0,
        information=1.0,
        knowledge=2.0,
        transaction=3.0,
        weights=[1, 0.5, 2, 0, 1],
    )
    np.testing.assert_allclose(got, [100 + 10 + 2 + 0 + 3, 10 + 10 + 2 + 0 + 3])
    assert clmkit.composite_value(purchase=1, transaction=2) == 3.0


def direct_sum(m, r, d, horizon):
    t = np.arange(1, horizon + 1)
    return float(np.sum(m * (r / (1 + d)) ** t))


@pytest.mark.parametrize(
    "m, r, d", [(100, 0.8, 0.1), (40, 0.95, 0.01), (5, 0.0, 0.2), (7, 1.0, 0.05)]
)
def test_retention_clv_matches_direct_sums(m, r, d):
    assert clmkit.retention_clv(m, r, d) == pytest.approx(direct_sum(m, r, d, 20000), rel=1e-10)
    for h in (0, 1, 7, 60):
        assert clmkit.retention_clv(m, r, d, horizon=h) == pytest.approx(
            direct_sum(m, r, d, h), rel=1e-12, abs=1e-12
        )


def test_retention_clv_unit_ratio_and_arrays():
    assert clmkit.retention_clv(10, 1.0, 0.0, horizon=12) == pytest.approx(120.0)
    got = clmkit.retention_clv(np.array([100.0, 50.0]), np.array([0.8, 0.5]), 0.1)
    np.testing.assert_allclose(got, [100 * 0.8 / 0.3, 50 * 0.5 / 0.6])


def test_ltv_to_cac_and_payback():
    np.testing.assert_allclose(clmkit.ltv_to_cac([300.0, 150.0], 100.0), [3.0, 1.5])
    assert clmkit.payback_period(300, 25) == 12.0
    n = clmkit.payback_period(100, 30, retention_rate=0.9, discount_rate=0.01)
    q = 0.9 / 1.01
    cum = lambda x: 30 * q * (1 - q**x) / (1 - q)
    assert cum(n) == pytest.approx(100, rel=1e-12)
    assert cum(np.floor(n)) < 100 <= cum(np.ceil(n))
    assert clmkit.payback_period(1000, 10, retention_rate=0.5) == np.inf
    assert clmkit.payback_period(0, 10) == 0.0


@pytest.mark.parametrize(
    "call, match",
    [
        (
            lambda: clmkit.retention_clv(10, 1.0, 0.0),
            r"retention_rate: row 0 .* 1 \+ discount_rate",
        ),
        (lambda: clmkit.retention_clv(10, [0.5, 1.2], 0.1), "retention_rate: row 1"),
        (lambda: clmkit.retention_clv(10, 0.5, -1.0), "discount_rate"),
        (lambda: clmkit.retention_clv(10, 0.5, 0.1, horizon=-1), "horizon"),
        (lambda: clmkit.purchase_value(10, 1.5, 1), "share_of_wallet"),
        (lambda: clmkit.purchase_value(-1, 0.5, 1), "capacity"),
        (lambda: clmkit.purchase_value([1, 2], [0.1, 0.2, 0.3], 1), "broadcast"),
        (lambda: clmkit.ltv_to_cac(100, 0), "cac"),
        (lambda: clmkit.payback_period(-5, 1), "cac"),
        (lambda: clmkit.composite_value(purchase=1, weights={"loyalty": 1}), "weights"),
        (lambda: clmkit.composite_value(purchase=1, weights=[1, 2]), "weights"),
        (lambda: clmkit.retention_clv(np.nan, 0.5, 0.1), "margin"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_type_errors_and_inputs_untouched():
    with pytest.raises(TypeError, match="margin"):
        clmkit.retention_clv(["a"], 0.5, 0.1)
    m = np.array([1.0, 2.0])
    clmkit.retention_clv(m, 0.5, 0.1)
    np.testing.assert_array_equal(m, [1.0, 2.0])
