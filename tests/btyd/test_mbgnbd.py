"""MBG/NBD against BTYDplus's CDNOW estimates and Batislam et al.'s closed forms."""

import clmkit
import numpy as np
import pytest
from btyd_reference import mbgnbd_conditional_expected_hyp2f1, mbgnbd_expected_hyp2f1, mbgnbd_loglik
from hypothesis import given, settings
from hypothesis import strategies as st


@pytest.fixture(scope="module")
def cdnow():
    return clmkit.datasets.load_cdnow_summary()


@pytest.fixture(scope="module")
def mbg(cdnow):
    return clmkit.ModifiedBetaGeo().fit(cdnow)


def test_published_parameters(mbg, published):
    for name, value in published["mbgnbd_cdnow"]["params"].items():
        assert round(mbg.params_[name], 3) == pytest.approx(value, abs=1e-9), name


def test_loglik_matches_reference(mbg, cdnow):
    data = [cdnow[k] for k in ("frequency", "recency", "T")]
    expected = mbgnbd_loglik(mbg.params_.to_numpy(), *data)
    assert np.allclose(mbg.individual_log_likelihood(cdnow), expected, rtol=1e-12)
    assert mbg.log_likelihood_ == pytest.approx(expected.sum(), abs=1e-8)


def test_predictions_match_closed_forms(mbg, cdnow):
    p = mbg.params_.to_numpy()
    x, tx, T = (cdnow[k].to_numpy() for k in ("frequency", "recency", "T"))
    r, alpha, a, b = p
    alive = 1 / (1 + a / (b + x) * ((alpha + T) / (alpha + tx)) ** (r + x))
    assert np.allclose(mbg.p_alive(x, tx, T), alive, rtol=1e-13)
    assert np.all(mbg.p_alive(x, tx, T) < 1)  # zero-repeat customers can be dead in MBG/NBD
    got = mbg.conditional_expected_purchases(39, x, tx, T)
    assert np.allclose(got, mbgnbd_conditional_expected_hyp2f1(p, 39, x, tx, T), rtol=1e-9)
    t = np.array([1.0, 10.0, 39.0, 78.0])
    assert np.allclose(mbg.expected_purchases(t), mbgnbd_expected_hyp2f1(p, t), rtol=1e-10)


def test_pmfs_sum_to_one_with_the_right_means(mbg):
    n = np.arange(500)
    probs = mbg.probability_of_n_purchases(39, n)
    assert probs.sum() == pytest.approx(1, abs=1e-10)
    assert (probs * n).sum() == pytest.approx(mbg.expected_purchases(39), rel=1e-9)
    for customer in [(0, 0, 38.0), (5, 30.0, 38.0)]:
        cond = np.array(
            [mbg.conditional_probability_of_n_purchases(39, k, *customer) for k in range(300)]
        )
        assert cond.sum() == pytest.approx(1, abs=1e-10)
        assert (cond * np.arange(300)).sum() == pytest.approx(
            mbg.conditional_expected_purchases(39, *customer), rel=1e-9
        )


@settings(max_examples=30, deadline=None)
@given(
    x=st.integers(0, 50),
    frac=st.floats(0.01, 1.0),
    T=st.floats(1.0, 300.0),
    t=st.floats(0.1, 150.0),
)
def test_property_conditional_expectation(mbg, x, frac, T, t):
    tx = 0.0 if x == 0 else frac * T
    ref = mbgnbd_conditional_expected_hyp2f1(mbg.params_.to_numpy(), t, x, tx, T)
    assert mbg.conditional_expected_purchases(t, x, tx, T) == pytest.approx(
        ref, rel=1e-8, abs=1e-14
    )


def test_extreme_customers(mbg):
    x, tx, T = np.array([10_000.0, 10_000.0]), np.array([1e5, 5.0]), np.array([1e5, 1e5])
    p = mbg.p_alive(x, tx, T)
    assert np.all(np.isfinite(p)) and np.all((p >= 0) & (p <= 1))
    assert np.all(np.isfinite(mbg.conditional_expected_purchases(100.0, x, tx, T)))


def test_generate_recovers_parameters():
    truth = {"r": 0.5, "alpha": 6.0, "a": 0.9, "b": 1.6}
    sim = clmkit.ModifiedBetaGeo.from_params(truth).generate(40_000, 39.0, seed=5)
    fit = clmkit.ModifiedBetaGeo().fit(sim)
    for name, value in truth.items():
        assert abs(fit.params_[name] - value) < 4 * fit.standard_errors_[name], name
    # Some zero-repeat customers are dead at time 0.
    assert (~sim["alive"] & (sim["frequency"] == 0)).any()


def test_bad_input(mbg):
    with pytest.raises(ValueError, match="recency: row 0"):
        mbg.p_alive([1], [5], [4])
    with pytest.raises(ValueError, match="frequency: row 0"):
        clmkit.ModifiedBetaGeo().fit([0.5], [0], [4])
