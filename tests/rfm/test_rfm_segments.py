"""Named segments, segment summaries and ABC classes against brute force."""

import itertools

import clmkit
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

# The issue's table, written out cell by cell (independent of STANDARD_SCHEME's encoding).
ISSUE_TABLE = """
Champions: R5 F4-5 | Loyal Customers: R3-4 F4-5 | Potential Loyalists: R4-5 F2-3 |
New Customers: R5 F1 | Promising: R4 F1 | Need Attention: R3 F3 | About to Sleep: R3 F1-2 |
At Risk: R1-2 F3-4 | Can't Lose Them: R1-2 F5 | Hibernating: R2 F1-2 | Lost: R1 F1-2
"""


def _parse_issue_table():
    cells = {}
    for entry in ISSUE_TABLE.replace("\n", " ").split("|"):
        name, spec = entry.split(":")
        r, f = spec.split()
        rs = [int(v) for v in r[1:].split("-")]
        fs = [int(v) for v in f[1:].split("-")]
        for rr in range(rs[0], rs[-1] + 1):
            for ff in range(fs[0], fs[-1] + 1):
                cells.setdefault((rr, ff), []).append(name.strip())
    return cells


@pytest.fixture(scope="module")
def scored():
    log = clmkit.datasets.load_cdnow_sample()
    summary = clmkit.summarize(log, "customer_id", "date", monetary_value_col="amount")
    rfm = clmkit.rfm_scores(summary)
    rfm["rfm_segment"] = clmkit.rfm_segments(rfm)
    return rfm.join(summary[["total_value"]])


def test_every_standard_cell_maps_to_exactly_one_issue_segment():
    cells = _parse_issue_table()
    assert sorted(cells) == list(itertools.product(range(1, 6), range(1, 6)))
    assert all(len(names) == 1 for names in cells.values())
    grid = pd.DataFrame(list(cells), columns=["r_score", "f_score"])
    seg = clmkit.rfm_segments(grid)
    assert seg.tolist() == [cells[c][0] for c in cells]
    assert list(seg.cat.categories) == list(clmkit.STANDARD_SCHEME)


def test_segments_on_cdnow(scored):
    seg = scored["rfm_segment"]
    assert isinstance(seg.dtype, pd.CategoricalDtype) and not seg.isna().any()
    champions = seg == "Champions"
    assert ((scored.loc[champions, "r_score"] == 5) & (scored.loc[champions, "f_score"] >= 4)).all()


def test_custom_scheme_with_monetary_and_coverage_errors():
    rfm = pd.DataFrame({"r_score": [1, 2, 2, 1], "f_score": [1, 1, 2, 2], "m_score": [2, 2, 1, 1]})
    scheme = {"big": {"m": 2}, "small recent": {"m": 1, "r": 2}, "small old": {"m": 1, "r": (1, 1)}}
    seg = clmkit.rfm_segments(rfm, scheme, bins=2)
    assert seg.tolist() == ["big", "big", "small recent", "small old"]
    with pytest.raises(ValueError, match=r"1 cell\(s\) in no segment: R2M2"):
        clmkit.rfm_segments(rfm, {"a": {"m": 1}, "b": {"r": 1, "m": 2}}, bins=2)
    with pytest.raises(ValueError, match=r"in several segments: R1F1 \(a, b\)"):
        clmkit.rfm_segments(rfm, {"a": {"r": (1, 2)}, "b": {"r": 1, "f": 1}}, bins=2)
    with pytest.raises(ValueError, match="1 <= low <= high <= bins = 2"):
        clmkit.rfm_segments(rfm, {"a": {"r": (1, 3)}}, bins=2)
    with pytest.raises(ValueError, match="unknown score keys"):
        clmkit.rfm_segments(rfm, {"a": {"x": 1}}, bins=2)
    with pytest.raises(TypeError, match="pair of integers"):
        clmkit.rfm_segments(rfm, {"a": {"r": "1-2"}}, bins=2)


def test_segment_score_errors():
    with pytest.raises(
        ValueError,
        match=r"f_score: row 1 has invalid value 6 \(scores must be whole numbers from 1 to 5\)",
    ):
        clmkit.rfm_segments(pd.DataFrame({"r_score": [1, 2], "f_score": [1, 6]}))
    with pytest.raises(
        ValueError, match=r"r_score: row 0 \(index 'x'\) has invalid value (?i:nan)"
    ):
        clmkit.rfm_segments(pd.DataFrame({"r_score": [np.nan], "f_score": [1]}, index=["x"]))
    with pytest.raises(ValueError, match="no column 'f_score'"):
        clmkit.rfm_segments(pd.DataFrame({"r_score": [1]}))
    rfm4 = clmkit.rfm_scores(
        pd.DataFrame({"inactivity": [1.0, 2], "frequency": [0.0, 1]}), monetary_col=None, bins=4
    )
    with pytest.raises(ValueError, match="defined on 5 bins"):
        clmkit.rfm_segments(rfm4)


def test_segment_summary_matches_groupby(scored):
    table = clmkit.segment_summary(scored)
    assert list(table.index) == list(clmkit.STANDARD_SCHEME)
    counts = scored["rfm_segment"].value_counts()
    assert (table["customers"] == counts.reindex(table.index)).all()
    np.testing.assert_allclose(table["share_customers"].sum(), 1.0)
    for name, rows in scored.groupby("rfm_segment", observed=True):
        np.testing.assert_allclose(
            table.loc[name, "share_value"], rows["total_value"].sum() / scored["total_value"].sum()
        )
        np.testing.assert_allclose(table.loc[name, "mean_f"], rows["f_score"].mean())
    duplicated = scored.set_axis(np.zeros(len(scored), dtype=int))
    pd.testing.assert_frame_equal(clmkit.segment_summary(duplicated), table)
    no_value = clmkit.segment_summary(scored.drop(columns="total_value"))
    assert "share_value" not in no_value.columns and "mean_m" in no_value.columns


def brute_abc(x, a, b):
    """Sort, cumulate, and classify each value group by the share before it."""
    desc = np.sort(x)[::-1]
    cum = np.cumsum(desc)
    total = cum[-1] if len(x) else 0.0
    out = []
    for v in x:
        first = int(np.argmax(desc == v))
        before = cum[first - 1] if first > 0 else 0.0
        share = before / total if total > 0 else 1.0
        out.append("A" if share < a and v > 0 else "B" if share < b and v > 0 else "C")
    return out


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        arrays(np.float64, st.integers(0, 200), elements=st.floats(0, 1e6)),
        arrays(np.float64, st.integers(0, 200), elements=st.sampled_from([0.0, 1.0, 3.0, 10.0])),
    ),
    st.floats(0.05, 0.9),
)
def test_abc_matches_brute_force(x, a):
    b = min(1.0, a + 0.1)
    got = clmkit.abc_classes(x, cutoffs=(a, b))
    assert list(got) == brute_abc(x, a, b)


def test_abc_series_and_errors():
    s = pd.Series([5, 50, 10, 30, 5, 0], index=list("abcdef"))
    out = clmkit.abc_classes(s)
    assert out.name == "abc_class" and out.index.equals(s.index)
    assert out.cat.ordered and list(out.cat.categories) == ["A", "B", "C"]
    assert len(clmkit.abc_classes(np.array([]))) == 0
    with pytest.raises(ValueError, match="values: row 1 has invalid value -1(\\.0)?"):
        clmkit.abc_classes([1, -1])
    with pytest.raises(ValueError, match="0 < a < b <= 1"):
        clmkit.abc_classes([1, 2], cutoffs=(0.9, 0.8))
    with pytest.raises(ValueError, match="two shares"):
        clmkit.abc_classes([1, 2], cutoffs=(0.5,))
