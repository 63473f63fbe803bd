"""BetaGeoBetaBinom against the published donations results and brute force."""

import itertools
import pickle

import clmkit
import numpy as np
import pandas as pd
import pytest
from clmkit import BetaGeoBetaBinom
from scipy import special


@pytest.fixture(scope="module")
def donations():
    return clmkit.datasets.load_donations()


@pytest.fixture(scope="module")
def fitted(donations):
    return BetaGeoBetaBinom().fit(donations, weights="weights")


def brute_likelihood(params, x, tx, n):
    """Sum over every binary history with this (x, t_x) and every death time of the
    individual-level probability, integrated over p and theta on a Gauss-Legendre grid."""
    a, b, g, d = params
    nodes, w = np.polynomial.legendre.leggauss(40)
    u, wu = 0.5 * (nodes + 1), 0.5 * w
    P, TH = np.meshgrid(u, u, indexing="ij")
    dens = (
        (a - 1) * np.log(P)
        + (b - 1) * np.log1p(-P)
        - special.betaln(a, b)
        + (g - 1) * np.log(TH)
        + (d - 1) * np.log1p(-TH)
        - special.betaln(g, d)
    )
    total = np.zeros_like(P)
    for death in range(tx, n + 1):  # alive through opportunity `death`, then dead (n: alive)
        alive_p = (1 - TH) ** death * (TH if death < n else 1.0)
        total += P**x * (1 - P) ** (death - x) * alive_p
    return float(np.sum(total * np.exp(dens) * np.outer(wu, wu)))


def test_published_donations_fit(fitted, published):
    ref = published["bgbb_donations"]
    for name, value in ref["params"].items():
        assert abs(fitted.params_[name] - value) < 5e-4, name
    assert abs(fitted.log_likelihood_ - ref["log_likelihood"]) < 0.01
    assert fitted.n_customers_ == 11104


def test_published_predictions(fitted, donations, published):
    ref = published["bgbb_donations"]
    for case in ref["p_alive_next_period"]:
        got = fitted.p_alive(case["frequency"], case["recency"], 6, periods_ahead=1)
        assert round(got, 2) == case["value"]
    e = fitted.conditional_expected_purchases(5, donations)
    assert (
        round(float((e * donations["weights"]).sum()), 1)
        == ref["sum_conditional_expected_transactions_next_5_periods_all_donors"]
    )
    got = fitted.expected_purchases(np.arange(1, 12))
    np.testing.assert_array_equal(
        np.round(got, 4), ref["expected_transactions_new_donor_n_1_to_11"]
    )


def test_likelihood_matches_brute_force():
    # Whole-number parameters make the integrand a polynomial: Gauss-Legendre is exact.
    params = [3.0, 2.0, 2.0, 4.0]
    for x, tx, n in [(0, 0, 6), (2, 4, 6), (6, 6, 6), (1, 3, 5)]:
        got = BetaGeoBetaBinom.from_params(params).individual_log_likelihood([x], [tx], [n])[0]
        assert got == pytest.approx(np.log(brute_likelihood(params, x, tx, n)), abs=1e-9)


def test_probabilities_are_consistent(fitted):
    n = 6
    p = fitted.probability_of_n_purchases(n, np.arange(n + 1))
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    assert (np.arange(n + 1) * p).sum() == pytest.approx(fitted.expected_purchases(n), rel=1e-12)
    # P(X(n) = k) is the sum of the likelihoods of all histories with k transactions.
    x, tx = zip(*[(k, t) for t in range(1, n + 1) for k in range(1, t + 1)])
    ll = np.exp(
        fitted.individual_log_likelihood(
            np.array(x, float), np.array(tx, float), np.full(len(x), float(n))
        )
    )
    counts = special.comb(np.array(tx) - 1, np.array(x) - 1)
    for k in range(1, n + 1):
        mask = np.array(x) == k
        assert (counts[mask] * ll[mask]).sum() == pytest.approx(p[k], rel=1e-11)
    assert fitted.p_alive(6, 6, 6) == pytest.approx(1.0)
    assert fitted.p_alive(2, 4, 6, periods_ahead=3) < fitted.p_alive(2, 4, 6, periods_ahead=1)


def test_pipeline_from_a_transaction_log():
    truth = BetaGeoBetaBinom.from_params([1.2, 0.75, 0.66, 2.8])
    sim = truth.generate(6000, n_periods=6, seed=2)
    # Turn the simulated histories into a yearly log (birth year 2000) and summarise it back.
    rows = [(i, 2000) for i in range(len(sim))]
    rng = np.random.default_rng(0)
    for i, (x, tx) in enumerate(zip(sim["frequency"].astype(int), sim["recency"].astype(int))):
        if x:
            years = (
                sorted(rng.choice(np.arange(1, tx), size=x - 1, replace=False).tolist()) + [tx]
                if x > 1
                else [tx]
            )
            rows += [(i, 2000 + y) for y in years]
    log = pd.DataFrame(rows, columns=["id", "year"])
    log["date"] = pd.to_datetime(log["year"].astype(str) + "-06-15")
    patterns = clmkit.summarize_discrete(
        log, "id", "date", period="Y", observation_period_end="2006-12-31"
    )
    direct = sim.groupby(["frequency", "recency"]).size()
    via_log = patterns.set_index(["frequency", "recency"])["weights"]
    pd.testing.assert_series_equal(direct.astype(float), via_log, check_names=False)
    fit = BetaGeoBetaBinom().fit(patterns, weights="weights")
    for name in truth.params_.index:
        assert abs(fit.params_[name] - truth.params_[name]) < 4 * fit.standard_errors_[name], name


def test_bad_input(fitted):
    with pytest.raises(ValueError, match=r"recency: row 1 .*must be <= n_periods"):
        fitted.p_alive([0, 2], [0, 7], [6, 6])
    with pytest.raises(ValueError, match=r"frequency: row 0 .*must be <= recency"):
        BetaGeoBetaBinom().fit([3], [2], [6])
    with pytest.raises(ValueError, match=r"recency: row 1 .*whole number"):
        BetaGeoBetaBinom().fit([0, 1], [0, 1.5], [6, 6])
    with pytest.raises(ValueError, match=r"n_periods: row 0 .*whole number"):
        fitted.p_alive([1], [1], [6.5])
    with pytest.raises(ValueError, match="periods_ahead"):
        fitted.p_alive(1, 1, 6, periods_ahead=-1)
    with pytest.raises(ValueError, match="n_periods"):
        fitted.expected_purchases(2.5)
    with pytest.raises(clmkit.NotFittedError):
        BetaGeoBetaBinom().expected_purchases(3)


def test_thread_determinism_json_and_pickle(donations, fitted):
    clmkit.set_num_threads(1)
    one = BetaGeoBetaBinom().fit(donations, weights="weights")
    clmkit.set_num_threads(2)
    two = BetaGeoBetaBinom().fit(donations, weights="weights")
    assert one.params_.to_numpy().tobytes() == two.params_.to_numpy().tobytes()
    again = BetaGeoBetaBinom.from_json(fitted.to_json())
    np.testing.assert_array_equal(again.p_alive(donations), fitted.p_alive(donations))
    assert pickle.loads(pickle.dumps(fitted)).params_.equals(fitted.params_)
    sims = [fitted.generate(100, 6, seed=4) for _ in range(2)]
    pd.testing.assert_frame_equal(*sims)


def test_histories_enumerated_sum_to_one(fitted):
    n = 5
    hist = [(0, 0)] + [(x, t) for t in range(1, n + 1) for x in range(1, t + 1)]
    x, t = map(np.array, zip(*hist))
    ll = np.exp(
        fitted.individual_log_likelihood(
            x.astype(float), t.astype(float), np.full(len(x), float(n))
        )
    )
    weights = np.where(x == 0, 1.0, special.comb(np.maximum(t - 1, 0), np.maximum(x - 1, 0)))
    assert (weights * ll).sum() == pytest.approx(1.0, abs=1e-12)
    assert len(list(itertools.product([0, 1], repeat=n))) == weights.sum()


from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=40, deadline=None)
@given(params=st.lists(st.floats(0.05, 20.0), min_size=4, max_size=4), n=st.integers(0, 9))
def test_property_histories_are_a_distribution(params, n):
    model = BetaGeoBetaBinom.from_params(params)
    hist = [(0, 0)] + [(x, t) for t in range(1, n + 1) for x in range(1, t + 1)]
    x, t = (np.array(v, dtype=float) for v in zip(*hist))
    ll = np.exp(model.individual_log_likelihood(x, t, np.full(len(x), float(n))))
    ways = np.where(x == 0, 1.0, special.comb(np.maximum(t - 1, 0), np.maximum(x - 1, 0)))
    assert (ways * ll).sum() == pytest.approx(1.0, abs=1e-10)
    pa = model.p_alive(x, t, np.full(len(x), float(n)), periods_ahead=1)
    assert np.all((pa >= 0) & (pa <= 1))
