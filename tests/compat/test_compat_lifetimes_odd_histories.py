"""Histories with no repeat purchase but recency > 0: the façade computes lifetimes' number.

References are lifetimes 0.11.3's closed forms written out here with scipy (BG/NBD and
MBG/NBD: Fader, Hardie & Lee 2005 eq. 10 and the P(alive) note; MBG/NBD: Batislam et al.
2007; Pareto/NBD: Fader & Hardie's 2005 derivation note, eq. 18-20 and 36-37).
"""

import clmkit
import numpy as np
import pandas as pd
import pytest
from clmkit.compat.lifetimes import BetaGeoFitter, ModifiedBetaGeoFitter, ParetoNBDFitter
from clmkit.compat.lifetimes.datasets import load_cdnow_summary
from scipy.special import hyp2f1

BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
MBG = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}
PNBD = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}


def with_params(cls, params):
    fitter = cls()
    fitter.params_ = pd.Series(params)
    return fitter


def mbg_p_alive(p, x, tx, T):
    return 1.0 / (
        1 + p["a"] / (p["b"] + x) * ((p["alpha"] + T) / (p["alpha"] + tx)) ** (p["r"] + x)
    )


def mbg_conditional_expected(p, t, x, tx, T):
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    hyp = hyp2f1(r + x, b + x + 1, a + b + x, t / (alpha + T + t))
    numerator = (a + b + x) / (a - 1) * (1 - hyp * ((alpha + T) / (alpha + t + T)) ** (r + x))
    return numerator * mbg_p_alive(p, x, tx, T)


def pnbd_log_a0(p, x, tx, T):
    r, alpha, s, beta = p["r"], p["alpha"], p["s"], p["beta"]
    m, gap = max(alpha, beta), abs(alpha - beta)
    b = r + x if alpha < beta else s + 1
    a = r + s + x
    first = hyp2f1(a, b, a + 1, gap / (m + tx)) / (m + tx) ** a
    second = hyp2f1(a, b, a + 1, gap / (m + T)) / (m + T) ** a
    return np.log(first - second)


def pnbd_p_alive(p, x, tx, T):
    r, alpha, s, beta = p["r"], p["alpha"], p["s"], p["beta"]
    log_ratio = (
        np.log(s)
        - np.log(r + s + x)
        + (r + x) * np.log(alpha + T)
        + s * np.log(beta + T)
        + pnbd_log_a0(p, x, tx, T)
    )
    return 1.0 / (1.0 + np.exp(log_ratio))


@pytest.mark.parametrize("tx, T", [(1.0, 1.0), (3.0, 10.0), (2.5, 10.0), (0.3, 7.7), (39.0, 39.0)])
def test_mbgnbd_p_alive_and_expectation_are_lifetimes_formulas(tx, T):
    mbg = with_params(ModifiedBetaGeoFitter, MBG)
    got = mbg.conditional_probability_alive(0, tx, T)
    np.testing.assert_allclose(got, mbg_p_alive(MBG, 0, tx, T), rtol=1e-12)
    expected = mbg.conditional_expected_number_of_purchases_up_to_time(5.0, 0, tx, T)
    np.testing.assert_allclose(expected, mbg_conditional_expected(MBG, 5.0, 0, tx, T), rtol=1e-9)


@pytest.mark.parametrize("tx, T", [(1.0, 2.0), (3.0, 10.0), (2.5, 10.0), (0.3, 7.7), (20.0, 39.0)])
def test_paretonbd_p_alive_is_lifetimes_formula(tx, T):
    pnbd = with_params(ParetoNBDFitter, PNBD)
    got = pnbd.conditional_probability_alive(0, tx, T)
    assert isinstance(got, float)
    np.testing.assert_allclose(got, pnbd_p_alive(PNBD, 0, tx, T), rtol=1e-10)


def test_bgnbd_recency_drops_out_when_frequency_is_zero():
    bg = with_params(BetaGeoFitter, BG)
    np.testing.assert_array_equal(bg.conditional_probability_alive(0, [1.0, 4.5], 10.0), [1, 1])
    moved = bg.conditional_expected_number_of_purchases_up_to_time(4.0, 0, 7.0, 10.0)
    native = clmkit.BetaGeo.from_params(BG).conditional_expected_purchases(4.0, 0, 0.0, 10.0)
    assert moved == native


def test_array_input_mixes_valid_and_odd_rows_keeping_the_index():
    mbg = with_params(ModifiedBetaGeoFitter, MBG)
    x = pd.Series([0.0, 2.0, 0.0, 0.0], index=list("abcd"))
    tx = pd.Series([3.0, 4.0, 0.0, 3.0], index=list("abcd"))
    T = pd.Series([9.0, 9.0, 9.0, 9.0], index=list("abcd"))
    got = mbg.conditional_expected_number_of_purchases_up_to_time(2.0, x, tx, T)
    assert list(got.index) == list("abcd")
    want = [mbg_conditional_expected(MBG, 2.0, *row) for row in zip(x, tx, T)]
    np.testing.assert_allclose(got.to_numpy(), want, rtol=1e-9)
    assert got["a"] == got["d"]


@pytest.mark.parametrize("fitter_class", [BetaGeoFitter, ModifiedBetaGeoFitter, ParetoNBDFitter])
def test_matrix_cells_equal_pointwise_calls_bit_for_bit(fitter_class):
    data = load_cdnow_summary(index_col=[0])
    fitter = fitter_class().fit(data["frequency"], data["recency"], data["T"])
    Z = fitter.conditional_probability_alive_matrix(max_frequency=6, max_recency=12)
    for tx in range(13):
        for x in range(7):
            assert Z[tx][x] == fitter.conditional_probability_alive(x, tx, 12)


def test_probability_of_n_at_odd_histories_is_a_distribution():
    pnbd = with_params(ParetoNBDFitter, PNBD)
    for tx, T, t in [(3.0, 8.0, 5.0), (1.5, 4.0, 2.0)]:
        probs = [
            pnbd.conditional_probability_of_n_purchases_up_to_time(n, t, 0, tx, T)
            for n in range(60)
        ]
        assert min(probs) >= 0.0
        assert abs(sum(probs) - 1.0) < 1e-8
        # Given alive, the future does not depend on recency: P(n > 0) scales with P(alive).
        valid = pnbd.conditional_probability_of_n_purchases_up_to_time(2, t, 0, 0.0, T)
        ratio = pnbd_p_alive(PNBD, 0, tx, T) / pnbd_p_alive(PNBD, 0, 0.0, T)
        np.testing.assert_allclose(probs[2], valid * ratio, rtol=1e-8)


def test_native_api_stays_strict_and_impossible_inputs_still_raise():
    with pytest.raises(ValueError, match="must be 0 when frequency is 0"):
        clmkit.ModifiedBetaGeo.from_params(MBG).p_alive(0, 3.0, 9.0)
    mbg = with_params(ModifiedBetaGeoFitter, MBG)
    with pytest.raises(ValueError, match="recency"):
        mbg.conditional_probability_alive(0, 12.0, 9.0)  # recency > T
    with pytest.raises(ValueError, match="frequency"):
        mbg.conditional_probability_alive(-1, 0.0, 9.0)
