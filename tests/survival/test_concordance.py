"""Concordance index: equal to the O(n^2) definition with ties (property test), lifelines'
sign convention, bad input, large-n determinism."""

import clmkit
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


def brute_force(t, s, e):
    num, pairs = 0.0, 0
    for i in range(len(t)):
        for j in range(len(t)):
            if i != j and e[i] == 1 and (t[i] < t[j] or (t[i] == t[j] and e[j] == 0)):
                pairs += 1
                num += 1.0 if s[i] < s[j] else 0.5 if s[i] == s[j] else 0.0
    return num / pairs if pairs else None


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.integers(-3, 3), st.booleans()), min_size=2, max_size=50
    )
)
def test_equals_quadratic_definition_with_ties(rows):
    t = np.array([r[0] for r in rows], float)
    s = np.array([r[1] for r in rows], float) * 0.5
    e = np.array([r[2] for r in rows], float)
    ref = brute_force(t, s, e)
    if ref is None:
        with pytest.raises(ValueError, match="no comparable pair"):
            clmkit.concordance_index(t, s, e)
    else:
        assert clmkit.concordance_index(t, s, e) == pytest.approx(ref, abs=1e-15)


def test_higher_score_means_longer_survival():
    t = np.array([1.0, 2, 3, 4, 5])
    assert clmkit.concordance_index(t, t) == 1.0
    assert clmkit.concordance_index(t, -t) == 0.0
    assert clmkit.concordance_index(t, np.zeros(5)) == 0.5


def test_matches_cox_training_concordance():
    rossi = clmkit.datasets.load_rossi()
    cox = clmkit.CoxPH().fit(rossi, "week", "arrest")
    c = clmkit.concordance_index(rossi["week"], -cox.predict_partial_hazard(rossi), rossi["arrest"])
    assert c == pytest.approx(cox.concordance_index_, abs=1e-15)


def test_bad_input():
    with pytest.raises(ValueError, match=r"predicted_scores: row 1"):
        clmkit.concordance_index([1, 2, 3], [0.1, np.nan, 0.3])
    with pytest.raises(ValueError, match="same length"):
        clmkit.concordance_index([1, 2, 3], [0.1, 0.3])
    with pytest.raises(ValueError, match=r"event_observed: row 2"):
        clmkit.concordance_index([1, 2, 3], [1, 2, 3], [1, 0, 3])
    with pytest.raises(TypeError):
        clmkit.concordance_index(["a", "b"], [1, 2])


def test_large_input_is_fast_and_thread_independent():
    rng = np.random.default_rng(0)
    n = 300_000
    t = rng.integers(0, 1000, n).astype(float)
    s = t + rng.normal(0, 300, n).round()
    e = rng.integers(0, 2, n)
    try:
        clmkit.set_num_threads(1)
        a = clmkit.concordance_index(t, s, e)
        clmkit.set_num_threads(2)
        b = clmkit.concordance_index(t, s, e)
    finally:
        clmkit.set_num_threads(2)
    assert a == b and 0.6 < a < 0.9
