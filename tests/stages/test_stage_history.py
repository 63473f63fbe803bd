"""Stage history vs per-snapshot recomputation; transition matrices, forecasts, early warning."""

import clmkit
import numpy as np
import pandas as pd
import pytest
from clmkit import StageScheme, assign_stages, stage_history
from clmkit.summary.units import TimeUnit
from hypothesis import given, settings
from hypothesis import strategies as st


def random_log(seed, n_customers=30, n=250):
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2020-01-01")
    dates = start + pd.to_timedelta(rng.integers(0, 700 * 24, n), unit="h")
    return pd.DataFrame({"id": rng.integers(0, n_customers, n), "date": dates})


def snapshots_for(log, seed, k=5):
    rng = np.random.default_rng(seed + 1)
    lo, hi = log.date.min().normalize() + pd.Timedelta("1D"), log.date.max()
    days = np.sort(rng.choice(np.arange((hi - lo).days), size=k, replace=False))
    return list(lo + pd.to_timedelta(days, unit="D"))


class FakeModel:
    """Duck-typed BTYD model: P(alive) decays with inactivity."""

    def __init__(self, scale=40.0, unit=None):
        self.scale = scale
        if unit is not None:
            self.time_unit_ = unit

    def p_alive(self, frequency, recency, T):
        return np.exp(-(np.asarray(T) - np.asarray(recency)) / self.scale) * (
            np.asarray(frequency) >= 0
        )


@settings(max_examples=16, deadline=None)
@given(
    st.integers(0, 10**6),
    st.sampled_from([("D", 1.0), ("W", 1.0), ("M", 1.0), ("D", 7.0)]),
    st.booleans(),
    st.booleans(),
)
def test_history_equals_per_snapshot_recomputation(seed, unit, with_model, with_rule):
    # Without model and custom rules the fused Rust pass runs; otherwise summaries + rules.
    freq, mult = unit
    log = random_log(seed)
    snaps = snapshots_for(log, seed)
    model = FakeModel(scale=60.0 / mult) if with_model else None
    scheme = StageScheme(add=[("loyal", "frequency >= 6")]) if with_rule else None
    h = stage_history(
        log,
        snaps,
        "id",
        "date",
        freq=freq,
        freq_multiplier=mult,
        model=model,
        scheme=scheme,
        return_reason=True,
    )
    scheme = StageScheme.from_dict(h.attrs["clmkit"]["scheme"])
    assert scheme.is_resolved
    for snap in snaps:
        s = clmkit.summarize(
            log, "id", "date", observation_period_end=snap, freq=freq, freq_multiplier=mult
        )
        pa = None if model is None else model.p_alive(s["frequency"], s["recency"], s["T"])
        want = assign_stages(s, p_alive=pa, scheme=scheme, return_reason=True)
        got = h[h.snapshot == snap].set_index("id")
        assert list(got.index) == list(want.index)
        assert got["stage"].astype(str).tolist() == want["stage"].astype(str).tolist()
        assert got["reason"].astype(str).tolist() == want["reason"].astype(str).tolist()
        if model is not None:
            np.testing.assert_allclose(got["p_alive"].to_numpy(), np.asarray(pa), rtol=0, atol=0)


def test_default_scheme_is_derived_at_last_snapshot():
    log = random_log(5)
    snaps = snapshots_for(log, 5)
    h = stage_history(log, snaps, "id", "date")
    last = clmkit.summarize(log, "id", "date", observation_period_end=snaps[-1])
    assert StageScheme.from_dict(h.attrs["clmkit"]["scheme"]) == StageScheme().resolve(last)


def test_prospects_before_first_purchase():
    log = pd.DataFrame(
        {"id": ["a", "a", "b"], "date": pd.to_datetime(["2021-01-05", "2021-02-01", "2021-03-10"])}
    )
    scheme = StageScheme(new_window=30, maturity_window=90, churn_window=60, median_ipt=20)
    h = stage_history(
        log,
        ["2021-01-31", "2021-02-28", "2021-03-31"],
        "id",
        "date",
        scheme=scheme,
        customers=["a", "b", "z"],
        observation_period_end="2021-03-31",
    )
    by = {k: g["stage"].astype(str).tolist() for k, g in h.groupby("id")}
    assert by["b"] == ["prospect", "prospect", "new"]
    assert by["z"] == ["prospect"] * 3
    assert by["a"][0] == "new"
    assert h["id"].tolist()[-3:] == ["z"] * 3


def test_thread_count_does_not_change_history():
    log = random_log(11, n_customers=3000, n=20000)
    snaps = snapshots_for(log, 11, k=6)
    before = clmkit.get_num_threads()
    try:
        clmkit.set_num_threads(1)
        one = stage_history(log, snaps, "id", "date", model=FakeModel())
        clmkit.set_num_threads(2)
        two = stage_history(log, snaps, "id", "date", model=FakeModel())
    finally:
        clmkit.set_num_threads(before)
    pd.testing.assert_frame_equal(one, two)


def test_bad_snapshots_and_models():
    log = random_log(1)
    with pytest.raises(ValueError, match="strictly increasing"):
        stage_history(log, ["2020-06-01", "2020-05-01"], "id", "date")
    with pytest.raises(ValueError, match="before the first transaction"):
        stage_history(log, ["2019-06-01"], "id", "date")
    with pytest.raises(ValueError, match="after observation_period_end"):
        stage_history(log, ["2020-06-01", "2030-01-01"], "id", "date")
    with pytest.raises(ValueError, match="at least one"):
        stage_history(log, [], "id", "date")
    with pytest.raises(TypeError, match="p_alive"):
        stage_history(log, ["2020-06-01"], "id", "date", model=object())
    with pytest.raises(ValueError, match="time unit"):
        stage_history(log, ["2020-06-01"], "id", "date", model=FakeModel(unit=TimeUnit("W", 1.0)))

    class Broken(FakeModel):
        def p_alive(self, frequency, recency, T):
            return np.full(len(T), 2.0)

    with pytest.raises(ValueError, match="must be in"):
        stage_history(log, ["2020-06-01"], "id", "date", model=Broken())


# --- transition matrices and Markov projections ---


def history_fixture():
    log = random_log(42, n_customers=200, n=2500)
    return stage_history(log, snapshots_for(log, 42, k=8), "id", "date")


def test_transition_counts_match_pandas_crosstab_and_rows_sum_to_one():
    h = history_fixture()
    counts = clmkit.transition_matrix(h, normalize=False)
    wide = h.pivot(index="id", columns="snapshot", values="stage").astype(object)
    pairs = []
    for a, b in zip(wide.columns[:-1], wide.columns[1:]):
        ok = wide[a].notna() & wide[b].notna()
        pairs.append(
            pd.DataFrame({"from": wide.loc[ok, a].to_numpy(), "to": wide.loc[ok, b].to_numpy()})
        )
    both = pd.concat(pairs, ignore_index=True)
    ref = pd.crosstab(both["from"], both["to"])
    ref = ref.reindex(index=counts.index, columns=counts.columns, fill_value=0)
    np.testing.assert_array_equal(counts.to_numpy(), ref.to_numpy())
    P = clmkit.transition_matrix(h)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-12)


def test_forecast_with_identity_is_constant():
    x0 = np.array([5.0, 7.0, 0.0, 3.0])
    f = clmkit.forecast_stages(np.eye(4), x0, 6)
    np.testing.assert_array_equal(f.to_numpy(), np.tile(x0, (7, 1)))


def test_two_state_chain_matches_closed_form():
    a, b = 0.2, 0.05
    P = pd.DataFrame(
        [[1 - a, a], [b, 1 - b]], index=["active", "churned"], columns=["active", "churned"]
    )
    x0 = pd.Series({"active": 1000.0})
    f = clmkit.forecast_stages(P, x0, 25)
    n = 1000.0
    limit = n * np.array([b, a]) / (a + b)
    k = np.arange(26)[:, None]
    closed = limit + (1 - a - b) ** k * (np.array([n, 0.0]) - limit)
    np.testing.assert_allclose(f.to_numpy(), closed, rtol=1e-12)
    np.testing.assert_allclose(
        clmkit.steady_state(P).to_numpy(), [b / (a + b), a / (a + b)], rtol=1e-12
    )


def test_steady_state_is_stationary_for_random_chains():
    rng = np.random.default_rng(0)
    for _ in range(5):
        P = rng.uniform(0.01, 1, (6, 6))
        P /= P.sum(axis=1, keepdims=True)
        pi = clmkit.steady_state(P).to_numpy()
        np.testing.assert_allclose(pi @ P, pi, atol=1e-12)
        assert abs(pi.sum() - 1) < 1e-12


def test_markov_bad_input():
    with pytest.raises(ValueError, match="square"):
        clmkit.steady_state(np.ones((2, 3)) / 3)
    with pytest.raises(ValueError, match="row 1 sums to"):
        clmkit.forecast_stages(np.array([[1.0, 0.0], [0.5, 0.6]]), [1, 1], 2)
    with pytest.raises(ValueError, match="negative"):
        clmkit.steady_state(np.array([[1.5, -0.5], [0.5, 0.5]]))
    with pytest.raises(ValueError, match="not unique"):
        clmkit.steady_state(np.eye(2))
    with pytest.raises(ValueError, match="current_counts has 3"):
        clmkit.forecast_stages(np.eye(2), [1, 2, 3], 1)
    with pytest.raises(ValueError, match="unknown state"):
        clmkit.forecast_stages(
            pd.DataFrame(np.eye(2), index=["a", "b"], columns=["a", "b"]), {"c": 1}, 1
        )
    with pytest.raises(ValueError, match="steps"):
        clmkit.forecast_stages(np.eye(2), [1, 2], -1)


# --- early warning ---


def test_early_warning_matches_pandas_reference():
    log = random_log(7, n_customers=300, n=3000)
    h = stage_history(log, snapshots_for(log, 7, k=6), "id", "date", model=FakeModel(scale=25.0))
    value = pd.Series(np.arange(300, dtype=float) + 1.0, index=np.arange(300))
    ew = clmkit.early_warning(h, value=value)
    snaps = sorted(h.snapshot.unique())
    last = h[h.snapshot == snaps[-1]].set_index("id")
    prev = h[h.snapshot < snaps[-1]].sort_values("snapshot").groupby("id")["stage"].last()
    prev_stage = prev.reindex(last.index).astype(object)
    moved = last["stage"].isin(["at_risk", "churned"]) & (
        prev_stage != last["stage"].astype(object)
    )
    ref = last[moved].assign(v=lambda d: value.reindex(d.index).to_numpy() * (1 - d.p_alive))
    ref = ref.sort_values("v", ascending=False, kind="stable")
    assert len(ew) > 0
    assert list(ew.index) == list(ref.index)
    np.testing.assert_allclose(ew["value_at_stake"].to_numpy(), ref["v"].to_numpy())
    assert len(clmkit.early_warning(h, value=value, top=3)) == min(3, len(ew))
    with pytest.raises(ValueError, match="not a column"):
        clmkit.early_warning(h, value="clv")


def test_history_writes_to_parquet_with_its_metadata(tmp_path):
    pytest.importorskip("pyarrow")
    # pandas writes attrs into the Parquet file as JSON: the scheme must be JSON-ready
    log = clmkit.datasets.load_cdnow_sample()
    h = stage_history(log, ["1997-06-30", "1997-09-30"], "customer_id", "date")
    path = tmp_path / "history.parquet"
    h.to_parquet(path)
    back = pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, h, check_categorical=False)
    scheme = StageScheme.from_dict(back.attrs["clmkit"]["scheme"])
    assert scheme == StageScheme.from_dict(h.attrs["clmkit"]["scheme"])
    assert scheme.is_resolved


def _big_spender(frame):
    return frame["frequency"] >= 5


def test_scheme_dict_keeps_a_function_rule_by_name():
    s = StageScheme(churn_window=60, labels={"new": "fresh"}, add=[("vip", _big_spender)])
    d = s.to_dict()
    assert d["add"] == [["vip", {"function": f"{__name__}._big_spender"}]]
    with pytest.raises(ValueError, match=r"functions=\{'vip'"):
        StageScheme.from_dict(d)
    assert StageScheme.from_dict(d, functions={"vip": _big_spender}) == s
    with pytest.raises(ValueError, match="unknown StageScheme field"):
        StageScheme.from_dict({**d, "colour": "red"})


class _AnyPAlive:
    """A model known only by its p_alive method: stage_history takes the general path."""

    def __init__(self, model):
        self.model = model
        self.time_unit_ = model.time_unit_

    def p_alive(self, frequency, recency, T):
        return self.model.p_alive(frequency, recency, T)


@pytest.mark.parametrize("kind", [clmkit.BetaGeo, clmkit.ModifiedBetaGeo, clmkit.ParetoNBD])
def test_fused_model_pass_equals_the_general_path(kind):
    # a clmkit count model's P(alive) runs inside the snapshot pass; any other object with
    # p_alive gets the summaries first: both give the same stages and P(alive), bit for bit
    log = clmkit.datasets.load_cdnow_master()
    model = kind().fit(clmkit.summarize(log, "customer_id", "date"))
    snaps = ["1997-03-31", "1997-06-30", "1997-09-30", "1998-03-31", "1998-06-30"]
    scheme = StageScheme(p_alive_for_one_time=kind is not clmkit.BetaGeo)
    fused = stage_history(log, snaps, "customer_id", "date", scheme=scheme, model=model)
    general = stage_history(
        log, snaps, "customer_id", "date", scheme=scheme, model=_AnyPAlive(model)
    )
    pd.testing.assert_frame_equal(fused, general)
    decided_by_p = general["p_alive"].lt(0.5) & general["stage"].isin(["at_risk", "churned"])
    assert decided_by_p.any()


def test_fused_model_pass_checks_the_time_unit():
    log = clmkit.datasets.load_cdnow_sample()
    weekly = clmkit.BetaGeo().fit(clmkit.summarize(log, "customer_id", "date", freq="W"))
    with pytest.raises(ValueError, match="time unit"):
        stage_history(log, ["1997-06-30"], "customer_id", "date", model=weekly)
