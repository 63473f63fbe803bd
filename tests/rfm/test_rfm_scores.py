"""RFM scores, segments and ABC classes against pandas/numpy references and brute force."""

import json

import clmkit
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
# Few distinct values, so ties are the rule, not the exception.
tied = st.sampled_from([0.0, -0.0, 1.0, 2.0, 2.5, 7.0, 1e6])
values_strategy = st.one_of(
    arrays(np.float64, st.integers(1, 300), elements=finite),
    arrays(np.float64, st.integers(1, 300), elements=tied),
)


@pytest.fixture(scope="module")
def summary():
    log = clmkit.datasets.load_cdnow_sample()
    return clmkit.summarize(log, "customer_id", "date", monetary_value_col="amount")


def pandas_rank_scores(x, bins):
    return (pd.qcut(pd.Series(x).rank(method="first"), bins, labels=False) + 1).to_numpy()


# --- method="rank": identical to pandas -------------------------------------------------


def test_rank_equals_pandas_qcut_on_all_small_sizes():
    rng = np.random.default_rng(0)
    for n in range(2, 130):
        x = rng.integers(0, 6, n).astype(float)  # heavy ties
        for bins in range(2, 11):
            got = clmkit.score_quantiles(x, bins, method="rank")
            np.testing.assert_array_equal(
                got, pandas_rank_scores(x, bins), err_msg=f"n={n} bins={bins}"
            )


@pytest.mark.parametrize("n", [997, 20_000, 100_003])
def test_rank_equals_pandas_qcut_on_random_data(n):
    rng = np.random.default_rng(n)
    x = np.round(rng.lognormal(2, 1, n), 1)  # continuous-looking with many ties
    for bins in (3, 5, 10):
        np.testing.assert_array_equal(
            clmkit.score_quantiles(x, bins, method="rank"), pandas_rank_scores(x, bins)
        )


@settings(max_examples=200, deadline=None)
@given(values_strategy, st.integers(2, 10))
def test_rank_property_vs_pandas(x, bins):
    if len(x) < 2:  # qcut raises on a single value (equal edges); clmkit gives score 1
        assert clmkit.score_quantiles(x, bins, method="rank").tolist() == [1] * len(x)
        return
    expected = pandas_rank_scores(x, bins)
    np.testing.assert_array_equal(clmkit.score_quantiles(x, bins, method="rank"), expected)
    np.testing.assert_array_equal(
        clmkit.score_quantiles(x, bins, method="rank", ascending=False), bins + 1 - expected
    )


# --- method="quantile": numpy edges, ties and monotonicity ---------------------------------


@settings(max_examples=200, deadline=None)
@given(values_strategy, st.integers(2, 10))
def test_quantile_edges_and_scores_match_numpy(x, bins):
    edges = (
        clmkit.RFMScorer(bins=bins)
        .fit(
            pd.DataFrame({"inactivity": np.abs(x), "frequency": np.abs(x)}).assign(monetary_value=x)
        )
        .edges_["monetary"]
    )
    np.testing.assert_array_equal(edges, np.quantile(x, np.arange(1, bins) / bins))
    scores = clmkit.score_quantiles(x, bins)
    np.testing.assert_array_equal(scores, 1 + np.searchsorted(edges, x, side="left"))


@settings(max_examples=200, deadline=None)
@given(values_strategy, st.integers(2, 10), st.booleans())
def test_quantile_scores_tie_and_monotone_properties(x, bins, ascending):
    scores = clmkit.score_quantiles(x, bins, ascending=ascending).astype(int)
    assert scores.dtype.kind == "i" and scores.min() >= 1 and scores.max() <= bins
    order = np.argsort(x, kind="stable")
    xs, ss = x[order], scores[order]
    same = xs[1:] == xs[:-1]
    assert (ss[1:][same] == ss[:-1][same]).all()  # equal values, equal scores
    step = np.diff(ss)
    assert (step >= 0).all() if ascending else (step <= 0).all()  # monotone
    # the lowest value always gets the lowest (ascending) / highest (descending) score
    assert scores[np.argmin(x)] == (1 if ascending else bins)


def test_heavy_ties_never_split_and_leave_scores_empty(summary):
    rfm = clmkit.rfm_scores(summary)
    zero = summary["frequency"] == 0
    assert (rfm.loc[zero, "f_score"] == 1).all() and (rfm.loc[~zero, "f_score"] > 1).all()
    assert 2 not in set(rfm["f_score"])  # documented: fewer than `bins` scores may appear


def test_fixed_edges_match_searchsorted():
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 3.0, 10.0])
    edges = [0.0, 1.0, 1.0, 3.0]
    got = clmkit.score_quantiles(x, 5, method="fixed", edges=edges)
    np.testing.assert_array_equal(got, 1 + np.searchsorted(edges, x, side="left"))
    s = pd.Series(x, index=list("abcdefg"), name="v")
    out = clmkit.score_quantiles(s, 5, method="fixed", edges=edges, ascending=False)
    assert out.index.equals(s.index) and out.tolist() == (6 - got).tolist()


# --- rfm_scores --------------------------------------------------------------------------


def test_rfm_scores_table(summary):
    rfm = clmkit.rfm_scores(summary, weights=(2, 1, 1))
    assert rfm.index.equals(summary.index)
    assert list(rfm.columns) == ["r_score", "f_score", "m_score", "rfm_score", "rfm_code"]
    assert [str(t) for t in rfm.dtypes[:4]] == ["int8", "int8", "int8", "float64"]
    r = clmkit.score_quantiles(summary["inactivity"], 5, ascending=False)
    f = clmkit.score_quantiles(summary["frequency"], 5)
    m = clmkit.score_quantiles(summary["monetary_value"], 5)
    np.testing.assert_array_equal(rfm["r_score"], r)
    np.testing.assert_allclose(rfm["rfm_score"], (2 * r + f + m) / 4, rtol=1e-15)
    codes = r.astype(str) + f.astype(str) + m.astype(str)
    assert (rfm["rfm_code"].astype(str) == codes).all()
    # the most recent buyers score 5 on R
    assert (rfm.loc[summary["inactivity"] == 0, "r_score"] == 5).all()


def test_rank_method_and_ten_bin_codes(summary):
    rfm = clmkit.rfm_scores(summary, method="rank", bins=10)
    expected_r = 11 - pandas_rank_scores(summary["inactivity"].to_numpy(), 10)
    np.testing.assert_array_equal(rfm["r_score"], expected_r)
    width = rfm["rfm_code"].astype(str).str.len()
    assert (width == 6).all()
    row = rfm.iloc[0]
    assert str(row["rfm_code"]) == "".join(
        f"{int(row[c]):02d}" for c in ["r_score", "f_score", "m_score"]
    )


def test_two_dimensions_and_lifetimes_style_summary(summary):
    lifetimes_like = summary[["frequency", "recency", "T"]]
    rfm = clmkit.rfm_scores(lifetimes_like, monetary_col=None)
    assert list(rfm.columns) == ["r_score", "f_score", "rfm_score", "rfm_code"]
    full = clmkit.rfm_scores(summary)
    np.testing.assert_array_equal(rfm["r_score"], full["r_score"])
    assert (rfm["rfm_code"].astype(str).str.len() == 2).all()
    with pytest.raises(
        ValueError, match="monetary_col='monetary_value' is not a column.*monetary_col=None"
    ):
        clmkit.rfm_scores(lifetimes_like)


def test_other_table_kinds(summary):
    pa = pytest.importorskip("pyarrow")
    table = pa.Table.from_pandas(
        summary[["inactivity", "frequency", "monetary_value"]], preserve_index=False
    )
    got = clmkit.rfm_scores(table)
    np.testing.assert_array_equal(got["m_score"], clmkit.rfm_scores(summary)["m_score"])


# --- RFMScorer -------------------------------------------------------------------------


def test_scorer_fit_transform_and_json_round_trip(summary):
    half = summary.iloc[: len(summary) // 2]
    scorer = clmkit.RFMScorer(bins=4, weights=(1, 2, 3)).fit(half)
    assert "bins=4" in repr(scorer)
    np.testing.assert_array_equal(
        scorer.edges_["frequency"], np.quantile(half["frequency"], [0.25, 0.5, 0.75])
    )
    new = summary.iloc[len(summary) // 2 :]
    scored = scorer.transform(new)
    np.testing.assert_array_equal(
        scored["f_score"], 1 + np.searchsorted(scorer.edges_["frequency"], new["frequency"], "left")
    )
    text = scorer.to_json()
    doc = json.loads(text)
    assert doc["model"] == "RFMScorer" and doc["clmkit_format"] == 1  # the shared envelope
    again = clmkit.RFMScorer.from_json(text)
    for name, edges in scorer.edges_.items():
        assert edges.tobytes() == again.edges_[name].tobytes()
    pd.testing.assert_frame_equal(again.transform(new), scored)
    pd.testing.assert_frame_equal(
        clmkit.RFMScorer().fit_transform(summary), clmkit.rfm_scores(summary)
    )


def test_scorer_fixed_and_rejections(summary):
    edges = {"recency": [30, 90, 180, 365], "frequency": [0, 1, 2, 5], "monetary": [10, 20, 40, 80]}
    scorer = clmkit.RFMScorer(method="fixed", edges=edges).fit(summary.iloc[:0])
    again = clmkit.RFMScorer.from_json(scorer.to_json())
    pd.testing.assert_frame_equal(again.transform(summary), scorer.transform(summary))
    pd.testing.assert_frame_equal(
        clmkit.rfm_scores(summary, method="fixed", edges=edges), scorer.transform(summary)
    )
    with pytest.raises(ValueError, match="missing \\['monetary'\\]"):
        clmkit.RFMScorer(
            method="fixed", edges={"recency": [1, 2, 3, 4], "frequency": [1, 2, 3, 4]}
        ).fit(summary)
    with pytest.raises(ValueError, match="non-decreasing"):
        clmkit.rfm_scores(summary, method="fixed", edges={**edges, "frequency": [0, 2, 1, 5]})
    with pytest.raises(ValueError, match="bins - 1 = 4"):
        clmkit.rfm_scores(summary, method="fixed", edges={**edges, "frequency": [0, 2]})
    with pytest.raises(ValueError, match="cannot be re-applied"):
        clmkit.RFMScorer(method="rank").fit(summary)
    with pytest.raises(ValueError, match="not fitted"):
        clmkit.RFMScorer().transform(summary)
    with pytest.raises(ValueError, match="empty"):
        clmkit.RFMScorer().fit(summary.iloc[:0])
    bad = json.loads(scorer.to_json())
    bad["clmkit_format"] = 99  # the shared, versioned estimator envelope
    with pytest.raises(ValueError, match="format 99"):
        clmkit.RFMScorer.from_json(json.dumps(bad))
    with pytest.raises(ValueError, match="model JSON could not be parsed"):
        clmkit.RFMScorer.from_json("{not json")


# --- bad input --------------------------------------------------------------------------


def _table(**overrides):
    data = {
        "inactivity": [1.0, 5.0, 3.0],
        "frequency": [0.0, 2.0, 1.0],
        "monetary_value": [0.0, 9.5, 3.0],
    }
    data.update(overrides)
    return pd.DataFrame(data, index=["a", "b", "c"])


@pytest.mark.parametrize(
    "column, value, message",
    [
        (
            "monetary_value",
            np.nan,
            r"monetary_value: row 1 \(index 'b'\) has invalid value nan \(must be finite\)",
        ),
        ("frequency", np.inf, r"frequency: row 1 \(index 'b'\) has invalid value inf"),
        (
            "frequency",
            -1.0,
            r"frequency: row 1 \(index 'b'\) has invalid value -1.0 \(must be >= 0\)",
        ),
        ("inactivity", -2.0, r"inactivity: row 1 \(index 'b'\) has invalid value -2.0"),
    ],
)
@pytest.mark.parametrize("method", ["quantile", "rank"])
def test_bad_values_name_column_and_row(column, value, message, method):
    bad = _table()
    bad.loc["b", column] = value
    with pytest.raises(ValueError, match=message):
        clmkit.rfm_scores(bad, method=method)


def test_lifetimes_recency_is_checked_too():
    bad = pd.DataFrame({"frequency": [1.0, 2.0], "recency": [3.0, -1.0], "T": [5.0, 5.0]})
    with pytest.raises(ValueError, match="recency: row 1 has invalid value -1.0"):
        clmkit.rfm_scores(bad, monetary_col=None)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"bins": 1}, ValueError, "bins must be between 2 and 10, got 1"),
        ({"bins": 11}, ValueError, "bins must be between 2 and 10, got 11"),
        ({"bins": 2.5}, TypeError, "bins must be an integer"),
        ({"weights": (1, 1)}, ValueError, "expected 3, got 2"),
        ({"weights": (1, 1, 1, 1)}, ValueError, "expected 3, got 4"),
        ({"weights": (0, 0, 0)}, ValueError, "must not all be zero"),
        ({"weights": (1, -1, 1)}, ValueError, r"weights: row 1 has invalid value -1.0"),
        ({"method": "qcut"}, ValueError, "method must be one of"),
        ({"edges": {"recency": [1, 2, 3, 4]}}, ValueError, "only used with method='fixed'"),
        (
            {"frequency_col": "freq"},
            ValueError,
            r"frequency_col='freq' is not a column; available columns",
        ),
    ],
)
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        clmkit.rfm_scores(_table(), **kwargs)
    if "weights" not in kwargs and "edges" not in kwargs and "frequency_col" not in kwargs:
        with pytest.raises(error, match=message):
            clmkit.score_quantiles([1.0, 2.0], **kwargs)


def test_weights_for_two_dimensions():
    two = _table().drop(columns="monetary_value")
    out = clmkit.rfm_scores(two, monetary_col=None, weights=(3, 1))
    np.testing.assert_allclose(out["rfm_score"], (3 * out["r_score"] + out["f_score"]) / 4)
    with pytest.raises(ValueError, match="must not all be zero"):
        clmkit.rfm_scores(two, monetary_col=None, weights=(0, 0, 5))


@pytest.mark.parametrize("method", ["quantile", "rank", "fixed"])
@pytest.mark.parametrize("monetary_col", ["monetary_value", None])
def test_empty_input_gives_empty_typed_result(method, monetary_col):
    edges = {"recency": [1, 2, 3, 4], "frequency": [1, 2, 3, 4], "monetary": [1, 2, 3, 4]}
    empty = _table().iloc[:0]
    out = clmkit.rfm_scores(
        empty, method=method, monetary_col=monetary_col, edges=edges if method == "fixed" else None
    )
    scores = ["r_score", "f_score"] + (["m_score"] if monetary_col else [])
    assert list(out.columns) == scores + ["rfm_score", "rfm_code"] and len(out) == 0
    assert all(str(out[c].dtype) == "int8" for c in scores)
    assert out["rfm_score"].dtype == np.float64 and isinstance(
        out["rfm_code"].dtype, pd.CategoricalDtype
    )
    assert len(clmkit.rfm_segments(out)) == 0
    assert (
        clmkit.score_quantiles(
            np.array([]), method=method if method != "fixed" else "quantile"
        ).dtype
        == np.int8
    )


def test_callers_arrays_are_not_modified(summary):
    before = summary.copy()
    x = np.array([3, 1, 2], dtype=np.int64)
    clmkit.rfm_scores(summary, method="rank")
    clmkit.score_quantiles(x, 2)
    clmkit.abc_classes(x)
    pd.testing.assert_frame_equal(summary, before)
    assert x.tolist() == [3, 1, 2]


# --- determinism --------------------------------------------------------------------------


def test_identical_results_for_any_thread_count():
    rng = np.random.default_rng(7)
    n = 300_000
    table = pd.DataFrame(
        {
            "inactivity": rng.integers(0, 400, n).astype(float),
            "frequency": rng.poisson(1.0, n).astype(float),
            "monetary_value": np.round(rng.gamma(2, 20, n), 2),
        }
    )
    threads = clmkit.get_num_threads()

    def run():
        q = clmkit.rfm_scores(table)
        r = clmkit.rfm_scores(table, method="rank", bins=7)
        return q, r, clmkit.rfm_segments(q), clmkit.abc_classes(table["monetary_value"])

    try:
        clmkit.set_num_threads(1)
        one = run()
        clmkit.set_num_threads(2)
        two = run()
    finally:
        clmkit.set_num_threads(threads)
    # bit-level comparison (pandas' asserters are slow on 300k categoricals)
    for a, b in zip(one, two):
        a, b = pd.DataFrame(a), pd.DataFrame(b)
        assert list(a.columns) == list(b.columns)
        for col in a.columns:
            x, y = a[col], b[col]
            if isinstance(x.dtype, pd.CategoricalDtype):
                assert list(x.cat.categories) == list(y.cat.categories)
                x, y = x.cat.codes, y.cat.codes
            assert x.dtype == y.dtype and x.to_numpy().tobytes() == y.to_numpy().tobytes()
    np.testing.assert_array_equal(
        one[1]["f_score"], pandas_rank_scores(table["frequency"].to_numpy(), 7)
    )
