"""RFM edge cases: overflowing totals, schemes without constraints, polars round trips,
RFMScorer on the shared estimator base."""

import json
import pickle
from fractions import Fraction

import clmkit
import numpy as np
import pandas as pd
import polars as pl
import pytest
from clmkit.exceptions import InvalidValueError, NotFittedError
from hypothesis import assume, given, settings
from hypothesis import strategies as st


def exact_abc(values, a, b):
    """ABC classes with exact rational shares (no floating-point total at all)."""
    exact = [Fraction(v) for v in values]
    total = sum(exact)
    out = []
    for v in exact:
        before = sum(d for d in exact if d > v)
        share = before / total if total > 0 else Fraction(1)
        out.append("A" if v > 0 and share < a else "B" if v > 0 and share < b else "C")
    return out


def test_abc_total_beyond_float_max():
    # 4 + 4 + 2 + 1 + 1 times 2^1021: the float total overflows to inf, which made every
    # share 0 and every customer class A.
    values = np.array([4.0, 4.0, 2.0, 1.0, 1.0]) * 2.0**1021
    with np.errstate(over="ignore"):
        assert np.isinf(values.sum())
    got = clmkit.abc_classes(values).tolist()
    assert got == exact_abc(values.tolist(), Fraction(4, 5), Fraction(19, 20))
    assert got == ["A", "A", "A", "B", "B"]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.floats(1e300, 1.7e308), min_size=1, max_size=40),
    st.floats(0.05, 0.85),
)
def test_abc_huge_values_match_exact_rationals(values, a):
    b = min(1.0, a + 0.1)
    fa, fb = Fraction(a), Fraction(b)
    exact = [Fraction(v) for v in values]
    total = sum(exact)
    # Skip draws whose exact share lies within 1e-12 of a cut (float rounding may decide).
    for v in exact:
        share = sum(d for d in exact if d > v) / total
        assume(abs(share - fa) > Fraction(1, 10**12) and abs(share - fb) > Fraction(1, 10**12))
    assert clmkit.abc_classes(values, cutoffs=(a, b)).tolist() == exact_abc(values, fa, fb)


def test_abc_bad_input_names_argument_row_and_label():
    with pytest.raises(ValueError, match="values must be 1-dimensional"):
        clmkit.abc_classes(np.ones((2, 2)))
    with pytest.raises(InvalidValueError) as info:
        clmkit.abc_classes(pd.Series([1.0, -2.0], index=["x", "y"]))
    assert (info.value.arg, info.value.row) == ("values", "y")


def test_a_rule_without_constraints_matches_everyone():
    rfm = pd.DataFrame({"r_score": [1, 5, 3], "f_score": [2, 2, 5]}, index=list("abc"))
    seg = clmkit.rfm_segments(rfm, {"Everyone": {}})
    assert seg.tolist() == ["Everyone"] * 3 and seg.index.tolist() == list("abc")
    # Constraining no score needs no score column at all.
    assert clmkit.rfm_segments(rfm[[]], {"Everyone": {}}).tolist() == ["Everyone"] * 3


@pytest.fixture(scope="module")
def summaries():
    log = clmkit.datasets.load_cdnow_sample()
    pandas = clmkit.summarize(log, "customer_id", "date", monetary_value_col="amount")
    polars = clmkit.summarize(
        pl.from_pandas(log), "customer_id", "date", monetary_value_col="amount"
    )
    return pandas, polars


def test_polars_summary_keeps_customer_id_through_scores_and_segments(summaries):
    pandas, polars = summaries
    rfm = clmkit.rfm_scores(polars)
    assert isinstance(rfm, pl.DataFrame)
    assert rfm.columns[0] == "customer_id"
    ref = clmkit.rfm_scores(pandas)
    got = rfm.to_pandas().set_index("customer_id")
    assert got.index.tolist() == ref.index.tolist()
    for col in ("r_score", "f_score", "m_score", "rfm_score"):
        np.testing.assert_array_equal(got[col].to_numpy(), ref[col].to_numpy())
    seg = clmkit.rfm_segments(rfm)
    assert isinstance(seg, pl.DataFrame) and seg.columns == ["customer_id", "rfm_segment"]
    ref_seg = clmkit.rfm_segments(ref)
    assert seg["customer_id"].to_list() == ref_seg.index.tolist()
    assert seg["rfm_segment"].cast(pl.String).to_list() == ref_seg.astype(str).tolist()
    # Shuffled rows stay with their customer.
    shuffled = polars.sample(fraction=1.0, shuffle=True, seed=3)
    again = clmkit.rfm_segments(clmkit.rfm_scores(shuffled)).to_pandas()
    mapping = dict(zip(ref_seg.index, ref_seg.astype(str)))
    assert all(mapping[i] == s for i, s in zip(again["customer_id"], again["rfm_segment"]))
    # An explicit id column works for pandas too.
    flat = pandas.reset_index()
    by_col = clmkit.rfm_scores(flat, customer_id_col="customer_id")
    assert by_col.index.name == "customer_id" and by_col.index.tolist() == ref.index.tolist()


def test_scorer_is_a_clmkit_estimator(summaries):
    pandas, _ = summaries

    def clone(est):  # what sklearn.base.clone does for an estimator without nested ones
        return type(est)(**est.get_params(deep=False))

    scorer = clmkit.RFMScorer(bins=4, weights=(2, 1, 1))
    with pytest.raises(NotFittedError):
        scorer.transform(pandas)
    with pytest.raises(NotFittedError):
        scorer.to_json()
    assert not hasattr(scorer, "edges_")
    twin = clone(scorer)
    assert twin.get_params() == scorer.get_params() and twin is not scorer
    scorer.fit(pandas)
    text = scorer.to_json()
    doc = json.loads(text)
    assert doc["model"] == "RFMScorer" and doc["clmkit_format"] == 1
    again = clmkit.RFMScorer.from_json(text)
    pd.testing.assert_frame_equal(again.transform(pandas), scorer.transform(pandas))
    pickled = pickle.loads(pickle.dumps(scorer))
    pd.testing.assert_frame_equal(pickled.transform(pandas), scorer.transform(pandas))
    doc["state"]["edges"]["frequency"] = [3.0, 1.0, 2.0]
    with pytest.raises(ValueError, match="frequency"):
        clmkit.RFMScorer.from_json(json.dumps(doc))
    del doc["state"]["edges"]
    with pytest.raises(ValueError, match="edges"):
        clmkit.RFMScorer.from_json(json.dumps(doc))
    assert "bins=4" in repr(scorer)


def test_scorer_reads_documents_of_the_earlier_format(summaries):
    pandas, _ = summaries
    scorer = clmkit.RFMScorer().fit(pandas)
    legacy = clmkit._core.rfm_scorer_to_json(
        5,
        "quantile",
        [1.0, 1.0, 1.0],
        [
            clmkit._core.RfmDimension(name, col, asc, [float(e) for e in scorer.edges_[name]])
            for name, col, asc in (
                ("recency", "inactivity", False),
                ("frequency", "frequency", True),
                ("monetary", "monetary_value", True),
            )
        ],
    )
    assert '"format":"clmkit.RFMScorer"' in legacy
    old = clmkit.RFMScorer.from_json(legacy)
    pd.testing.assert_frame_equal(old.transform(pandas), scorer.transform(pandas))
