"""Lifecycle stage assignment: every rule, precedence, schemes, labels, bad input."""

import clmkit
import numpy as np
import pandas as pd
import pytest
from clmkit import StageScheme, assign_stages
from hypothesis import given, settings
from hypothesis import strategies as st

SCHEME = StageScheme(new_window=30, maturity_window=180, churn_window=120, median_ipt=20)


def make_summary(rows):
    """rows: (id, n_periods, recency, T, gap_before_last)."""
    df = pd.DataFrame(rows, columns=["id", "n_periods", "recency", "T", "gap_before_last"])
    df = df.set_index("id")
    df["frequency"] = df["n_periods"] - 1
    df["inactivity"] = df["T"] - df["recency"]
    return df


def stage_of(row, **kw):
    out = assign_stages(
        make_summary([("c",) + row]), scheme=kw.pop("scheme", SCHEME), return_reason=True, **kw
    )
    return out["stage"].iloc[0], out["reason"].iloc[0]


# Reasons carry the numbers that decided them (the summaries here have no time unit).
# SCHEME: typical gap g0 = 20, at-risk factor ln 10, so a one-time buyer is at risk after
# max(2.303 x 20, 20) = 46.05 and a repeat buyer after 2.303 x (recency + 20) / n_periods.


def test_new_within_window():
    assert stage_of((1, 0, 10, np.nan)) == ("new", "new: first purchase 10 ago <= new window 30")


def test_new_single_buyer_not_yet_overdue():
    assert stage_of((1, 0, 35, np.nan))[1] == "new: one purchase, 35 ago <= at-risk window 46"


def test_growing():
    assert stage_of((5, 100, 110, 25)) == ("growing", "growing: tenure 110 < maturity window 180")


def test_mature():
    assert stage_of((10, 190, 200, 20))[0] == "mature"


def test_at_risk_from_own_cadence():
    # expected gap (100 + 20) / 5 = 24, at-risk window 2.303 x 24 = 55.3 < inactivity 60
    assert stage_of((5, 100, 160, 25)) == (
        "at_risk",
        "at_risk: inactivity 60 > at-risk window 55 (2.3 x expected gap)",
    )


def test_at_risk_one_time_buyer_uses_typical_gap():
    assert stage_of((1, 0, 41, np.nan))[0] == "new"  # 41 < 46.05
    assert stage_of((1, 0, 50, np.nan))[1] == (
        "at_risk: one purchase, 50 ago > at-risk window 46 (typical gap 20)"
    )


def test_churned_from_inactivity():
    assert stage_of((5, 100, 230, 25)) == (
        "churned",
        "churned: inactivity 130 > churn window 120",
    )


def test_reactivated():
    assert stage_of((2, 150, 160, 150)) == (
        "reactivated",
        "reactivated: gap before last purchase 150 > churn window 120",
    )


def test_reasons_carry_the_summary_time_unit():
    log = clmkit.datasets.load_cdnow_sample()
    s = clmkit.summarize(log, "customer_id", "date")
    out = assign_stages(s, return_reason=True)
    churned = out[out["stage"] == "churned"]
    inactivity = (s["T"] - s["recency"]).loc[churned.index[0]]
    assert churned["reason"].iloc[0].startswith(f"churned: inactivity {inactivity:.0f} d > ")
    weekly = clmkit.summarize(log, "customer_id", "date", freq="W")
    assert " wk" in str(assign_stages(weekly, return_reason=True)["reason"].iloc[0])


def test_prospect_from_customers():
    s = make_summary([("a", 2, 10, 20, 10)])
    out = assign_stages(s, scheme=SCHEME, customers=["a", "z"])
    assert list(out.index) == ["a", "z"] and out["z"] == "prospect"
    assert out.index.name == "id" and out["a"] == "new"


def test_p_alive_rules():
    s = make_summary([(i, 4, 50, 60, 10) for i in range(3)] + [(3, 4, 50, 200, 10)])
    out = assign_stages(s, p_alive=[0.05, 0.3, 0.9, 0.05], scheme=SCHEME, return_reason=True)
    # Churned needs two witnesses: P(alive) < churn_p AND silence beyond the churn window.
    # Row 0: the model says gone but 10 d of silence is within the 120 d window: at risk.
    assert list(out["stage"]) == ["at_risk", "at_risk", "growing", "churned"]
    assert out["reason"].iloc[0] == (
        "at_risk: P(alive) 0.05 < 0.1 but inactivity 10 <= churn window 120"
    )
    assert out["reason"].iloc[1] == "at_risk: P(alive) 0.30 < 0.5"
    assert out["reason"].iloc[3] == "churned: P(alive) < 0.1 and inactivity 150 > churn window 120"


def test_one_time_buyers_ignore_p_alive_unless_asked():
    # BG/NBD gives P(alive) = 1 to one-period buyers; they are judged by inactivity.
    s = make_summary([("x", 1, 0, 300, np.nan)])
    assert assign_stages(s, p_alive=[1.0], scheme=SCHEME).iloc[0] == "churned"
    s2 = make_summary([("x", 1, 0, 10, np.nan)])
    opt = StageScheme(
        new_window=30,
        maturity_window=180,
        churn_window=120,
        median_ipt=20,
        p_alive_for_one_time=True,
    )
    # Judged by P(alive) when asked: 10 d after the only purchase, P(alive) 0.01 puts the
    # customer at risk (not churned: the silence is within the churn window)...
    assert assign_stages(s2, p_alive=[0.01], scheme=opt).iloc[0] == "at_risk"
    assert assign_stages(s2, p_alive=[0.01], scheme=SCHEME).iloc[0] == "new"  # ...or not
    s3 = make_summary([("x", 1, 0, 130, np.nan)])
    assert assign_stages(s3, p_alive=[0.01], scheme=opt).iloc[0] == "churned"
    assert assign_stages(s3, p_alive=[0.5], scheme=opt).iloc[0] == "new"


def test_precedence_churned_over_at_risk_over_reactivated():
    # Qualifies for churned (inactivity 130 > 120), at_risk and reactivated (gap 150).
    assert stage_of((2, 150, 280, 150))[0] == "churned"
    # Qualifies for at_risk (inactivity 90 > 2.3 x 31.7) and reactivated: at_risk wins.
    assert stage_of((3, 75, 165, 150))[0] == "at_risk"
    # Reactivated outranks new/growing: tenure 160 < 180 would be growing.
    assert stage_of((2, 150, 155, 150))[0] == "reactivated"
    # A P(alive) below churn_p without the silence to match is at risk, which outranks
    # reactivated (gap 150 > 120); with the silence (130 > 120) it is churned.
    s = make_summary([("a", 3, 100, 101, 150), ("b", 3, 100, 230, 150)])
    got = assign_stages(s, p_alive=[0.01, 0.01], scheme=SCHEME)
    assert got.astype(str).tolist() == ["at_risk", "churned"]


def test_categories_are_ordered_lifecycle():
    out = assign_stages(make_summary([("a", 2, 10, 20, 10)]), scheme=SCHEME)
    assert out.cat.ordered
    assert list(out.cat.categories) == [
        "prospect",
        "new",
        "growing",
        "mature",
        "at_risk",
        "churned",
        "reactivated",
    ]


def test_zh_labels():
    out = assign_stages(make_summary([("a", 5, 100, 230, 25)]), scheme="zh")
    assert list(out.cat.categories) == [
        "潜在客户",
        "新客户",
        "成长期",
        "成熟期",
        "衰退期/流失预警",
        "流失",
        "挽回",
    ]


def test_rename_merge_drop_and_add():
    s = make_summary(
        [
            ("a", 5, 100, 110, 25),
            ("b", 10, 190, 200, 20),
            ("c", 5, 100, 160, 25),
            ("d", 3, 50, 60, 25),
        ]
    )
    s["total_value"] = [10.0, 20.0, 5.0, 5000.0]
    scheme = StageScheme(
        new_window=30,
        maturity_window=180,
        churn_window=120,
        median_ipt=20,
        labels={"growing": "active", "mature": "active"},
        drop=["at_risk"],
        add=[("vip", "total_value > 1000")],
    )
    out = assign_stages(s, scheme=scheme, return_reason=True)
    assert list(out["stage"]) == ["active", "active", "active", "vip"]
    assert out["reason"].iloc[3] == "custom: vip: total_value > 1000"
    assert "at_risk" not in out["stage"].cat.categories
    # A callable rule sees the p_alive column.
    cb = StageScheme(
        new_window=30,
        maturity_window=180,
        churn_window=120,
        median_ipt=20,
        add=[("sure", lambda f: f["p_alive"].to_numpy() > 0.99)],
    )
    got = assign_stages(s, p_alive=[1.0, 0.6, 0.6, 0.6], scheme=cb)
    assert got.iloc[0] == "sure" and got.iloc[1] == "mature"


def test_dropping_every_fallback_leaves_missing():
    scheme = StageScheme(
        new_window=30,
        maturity_window=180,
        churn_window=120,
        median_ipt=20,
        drop=["growing", "mature"],
    )
    out = assign_stages(make_summary([("a", 5, 100, 110, 25)]), scheme=scheme, return_reason=True)
    assert pd.isna(out["stage"].iloc[0]) and out["reason"].iloc[0].startswith("unassigned")


def test_defaults_derived_from_median_inter_purchase_time():
    log = clmkit.datasets.load_cdnow_sample()
    s = clmkit.summarize(log, "customer_id", "date")
    rep = s[s.n_periods > 1]
    m = np.median(rep.recency / (rep.n_periods - 1))
    r = StageScheme().resolve(s)
    assert (r.new_window, r.maturity_window, r.median_ipt) == (m, 3 * m, m)
    assert r.churn_window is None  # per customer by default
    assert r.windows()["churn_window"].startswith("per customer: 4.61 x expected gap")
    assert StageScheme(churn_window="300D").resolve(s).churn_window == 300.0
    weekly = clmkit.summarize(log, "customer_id", "date", freq="W")
    assert StageScheme(churn_window="280D").resolve(weekly).churn_window == 40.0


def reference_rules(repeats, recency, T, gap, sc, p=None):
    """Independent np.select transcription of the documented precedence."""
    inact = T - recency
    g0 = sc.median_ipt
    expected_gap = (recency + g0) / (repeats + 1)  # own gaps shrunk by one prior gap g0
    risk_window = np.maximum(sc.at_risk_factor * expected_gap, g0)
    churn_window = (
        np.maximum(sc.churn_factor * expected_gap, 2 * g0)
        if sc.churn_window is None
        else sc.churn_window
    )
    use_p = p is not None
    pp = p if use_p else np.ones_like(T)
    has_p = use_p & (repeats > 0)
    # churned: two witnesses with a model (P(alive) and the silence), the silence without
    churn = np.where(has_p, pp < sc.churn_p, True) & (inact > churn_window)
    risk = np.where(has_p, pp < sc.at_risk_p, inact > risk_window)
    conds = [
        churn,
        risk,
        gap > churn_window,
        sc.new_window >= T,
        repeats == 0,
        sc.maturity_window > T,
    ]
    return np.select(
        conds, ["churned", "at_risk", "reactivated", "new", "new", "growing"], "mature"
    )


PER_CUSTOMER = StageScheme(new_window=30, maturity_window=180, median_ipt=20)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.booleans(), st.sampled_from([SCHEME, PER_CUSTOMER]))
def test_kernel_matches_np_select_reference(seed, with_p, scheme):
    rng = np.random.default_rng(seed)
    n = 300
    repeats = rng.integers(0, 6, n).astype(float)
    T = rng.uniform(0, 400, n).round(1)
    recency = np.where(repeats > 0, T * rng.uniform(0, 1, n), 0.0)
    gap = np.where(repeats > 0, recency * rng.uniform(0, 1, n), np.nan)
    p = rng.uniform(0, 1, n) if with_p else None
    s = pd.DataFrame(
        {
            "frequency": repeats,
            "recency": recency,
            "T": T,
            "n_periods": repeats + 1,
            "gap_before_last": gap,
        }
    )
    got = assign_stages(s, p_alive=p, scheme=scheme).astype(str).to_numpy()
    np.testing.assert_array_equal(got, reference_rules(repeats, recency, T, gap, scheme, p))


def test_thread_count_does_not_change_results():
    rng = np.random.default_rng(3)
    n = 50_000
    T = rng.uniform(0, 400, n)
    s = pd.DataFrame(
        {
            "frequency": rng.integers(0, 5, n).astype(float),
            "recency": T * rng.uniform(0, 1, n),
            "T": T,
            "gap_before_last": rng.uniform(0, 200, n),
        }
    )
    before = clmkit.get_num_threads()
    try:
        clmkit.set_num_threads(1)
        one = assign_stages(s, scheme=SCHEME, return_reason=True)
        clmkit.set_num_threads(2)
        two = assign_stages(s, scheme=SCHEME, return_reason=True)
    finally:
        clmkit.set_num_threads(before)
    pd.testing.assert_frame_equal(one, two)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"at_risk_p": 0.05}, "churn_p"),
        ({"churn_p": 0.0}, "churn_p"),
        ({"at_risk_p": 1.0}, "at_risk_p"),
        ({"new_window": 200, "maturity_window": 100}, "windows must increase"),
        ({"new_window": 120, "churn_window": 100}, "windows must increase"),
        ({"churn_window": -1}, "churn_window"),
        ({"churn_window": "soon"}, "churn_window"),
        ({"at_risk_factor": 0}, "at_risk_factor"),
        ({"at_risk_factor": 5, "churn_factor": 4}, "churn_factor"),
        ({"drop": ["sleepy"]}, "drop"),
        ({"add": [("new", "T > 1")]}, "add"),
        ({"labels": "fr"}, "labels"),
        ({"labels": {"nope": "x"}}, "labels"),
    ],
)
def test_bad_schemes(kwargs, match):
    with pytest.raises(ValueError, match=match):
        StageScheme(**kwargs)


def test_bad_inputs_name_argument_and_row():
    s = make_summary([("a", 2, 10, 20, 10), ("b", 2, 30, 20, 10)])
    with pytest.raises(ValueError, match=r"recency.*row 1"):
        assign_stages(s, scheme=SCHEME)
    good = make_summary([("a", 2, 10, 20, 10), ("b", 2, 10, 20, 10)])
    with pytest.raises(ValueError, match=r"p_alive.*row 1"):
        assign_stages(good, p_alive=[0.5, 1.5], scheme=SCHEME)
    with pytest.raises(ValueError, match="p_alive has 1 rows"):
        assign_stages(good, p_alive=[0.5], scheme=SCHEME)
    with pytest.raises(ValueError, match="'T'"):
        assign_stages(good.drop(columns="T"), scheme=SCHEME)
    with pytest.raises(ValueError, match="repeat buyer"):
        assign_stages(make_summary([("a", 1, 0, 20, np.nan)]))
    with pytest.raises(TypeError, match="scheme"):
        assign_stages(good, scheme=3)
    with pytest.raises(ValueError, match="vip"):
        assign_stages(
            good,
            scheme=StageScheme(
                new_window=1,
                maturity_window=2,
                churn_window=3,
                median_ipt=1,
                add=[("vip", "nosuchcol > 1")],
            ),
        )


def test_missing_gap_column_warns_and_caller_frame_untouched():
    s = make_summary([("a", 2, 150, 160, 150)]).drop(columns="gap_before_last")
    copy = s.copy()
    with pytest.warns(clmkit.ClmkitWarning, match="gap_before_last"):
        out = assign_stages(s, scheme=SCHEME)
    assert out.iloc[0] == "growing"
    pd.testing.assert_frame_equal(s, copy)
