"""Stage windows that scale with the data, polars in / polars out, bad and oversized input."""

import re

import clmkit
import numpy as np
import pandas as pd
import polars as pl
import pytest
from clmkit import StageScheme, assign_stages, stage_history
from clmkit.exceptions import InvalidValueError


@pytest.fixture(scope="module")
def cdnow_summary():
    log = clmkit.datasets.load_cdnow_sample()
    return clmkit.summarize(log, "customer_id", "date")


def test_negative_gap_before_last_is_rejected_with_argument_and_row_label():
    s = pd.DataFrame(
        {
            "frequency": [1.0, 2.0],
            "recency": [10.0, 20.0],
            "T": [30.0, 40.0],
            "gap_before_last": [10.0, -5.0],
        },
        index=pd.Index(["ann", "bob"], name="id"),
    )
    with pytest.raises(InvalidValueError) as info:
        assign_stages(s, scheme=StageScheme(median_ipt=10, new_window=10, maturity_window=30))
    err = info.value
    assert (err.arg, err.row, err.position) == ("gap_before_last", "bob", 1)
    assert "-5" in str(err)


def test_windows_scale_with_the_data_weekly_and_yearly_alike():
    """The same purchase pattern on a weekly and on a yearly clock gets the same stages."""
    rng = np.random.default_rng(7)
    n = 2000
    repeats = rng.integers(0, 12, n).astype(float)
    T = rng.uniform(1, 60, n)
    recency = np.where(repeats > 0, T * rng.uniform(0, 1, n), 0.0)
    gap = np.where(repeats > 0, recency * rng.uniform(0, 1, n), np.nan)
    weeks = pd.DataFrame({"frequency": repeats, "recency": recency, "T": T, "gap_before_last": gap})
    years = weeks.assign(**{c: weeks[c] * 52.0 for c in ("recency", "T", "gap_before_last")})
    a = assign_stages(weeks, return_reason=True)
    b = assign_stages(years, return_reason=True)
    pd.testing.assert_series_equal(a["stage"], b["stage"])
    assert StageScheme().resolve(years).median_ipt == pytest.approx(
        52 * StageScheme().resolve(weeks).median_ipt
    )
    assert a["stage"].nunique() >= 4  # a mix of stages, not everyone in one


def test_no_churned_customer_that_the_model_calls_alive(cdnow_summary):
    """On CDNOW (2,357 customers) the per-customer windows agree with MBG/NBD's P(alive):
    nobody called churned by inactivity has P(alive) above 0.5."""
    s = cdnow_summary
    f, r, T = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    model = clmkit.ModifiedBetaGeo().fit(f, r, T)
    p_alive = np.asarray(model.p_alive(f, r, T))
    stage = assign_stages(s)
    churned = (stage == "churned").to_numpy()
    assert churned.any()
    assert p_alive[churned].max() < 0.5
    # With the model's P(alive) given, nobody with P(alive) >= 0.99 is churned.
    with_p = assign_stages(s, p_alive=p_alive, scheme=StageScheme(p_alive_for_one_time=True))
    assert not ((with_p == "churned").to_numpy() & (p_alive >= 0.99)).any()


def test_customer_windows_are_exposed(cdnow_summary):
    scheme = StageScheme().resolve(cdnow_summary)
    w = scheme.customer_windows(cdnow_summary)
    g0 = scheme.median_ipt
    gap = (cdnow_summary["recency"] + g0) / (cdnow_summary["frequency"] + 1)
    np.testing.assert_allclose(w["expected_gap"], gap)
    np.testing.assert_allclose(w["churn_window"], np.maximum(np.log(100) * gap, 2 * g0))
    assert set(scheme.windows()) == {
        "typical_gap",
        "new_window",
        "maturity_window",
        "at_risk_window",
        "churn_window",
    }
    fixed = StageScheme(churn_window=100).resolve(cdnow_summary)
    assert (fixed.customer_windows(cdnow_summary)["churn_window"] == 100).all()


def test_polars_in_polars_out_keeps_the_customer_id(cdnow_summary):
    log = clmkit.datasets.load_cdnow_sample()
    summary_pl = clmkit.summarize(pl.from_pandas(log), "customer_id", "date")
    assert isinstance(summary_pl, pl.DataFrame)
    out = assign_stages(summary_pl, return_reason=True)
    assert isinstance(out, pl.DataFrame)
    assert out.columns == ["customer_id", "stage", "reason"]
    ref = assign_stages(cdnow_summary, return_reason=True)
    got = out.to_pandas().set_index("customer_id")
    assert got.index.tolist() == ref.index.tolist()
    assert got["stage"].astype(str).tolist() == ref["stage"].astype(str).tolist()
    # A polars summary carries no time unit (pandas keeps it in attrs): same text, no unit.
    no_unit = ref["reason"].astype(str).str.replace(" d", "", regex=False).tolist()
    assert got["reason"].astype(str).tolist() == no_unit
    stage_only = assign_stages(summary_pl)
    assert stage_only.columns == ["customer_id", "stage"]
    assert stage_only.schema["stage"] == pl.Enum(list(ref["stage"].cat.categories))


def test_minute_snapshots_times_customers_are_refused_before_allocating():
    log = clmkit.datasets.load_example_transactions()  # 5,000 customers over 2014
    snapshots = pd.date_range("2014-01-02", "2014-12-31", freq="min")  # 524,000 snapshots
    with pytest.raises(ValueError, match=r"^snapshots: 5\d{5} snapshots x 5000 customers give"):
        stage_history(log, snapshots, "id", "date")


def test_unparseable_snapshot_names_argument_and_row():
    log = clmkit.datasets.load_cdnow_sample()
    with pytest.raises(InvalidValueError, match=r"snapshots: row 1 has invalid value"):
        stage_history(log, ["1997-03-31", "not a date"], "customer_id", "date")


def test_history_reasons_with_numbers_match_assign_stages():
    log = clmkit.datasets.load_cdnow_sample()
    h = stage_history(log, ["1997-09-30"], "customer_id", "date", return_reason=True)
    s = clmkit.summarize(log, "customer_id", "date", observation_period_end="1997-09-30")
    scheme = StageScheme.from_dict(h.attrs["clmkit"]["scheme"])
    ref = assign_stages(s, scheme=scheme, return_reason=True)
    got = h.set_index("customer_id")
    assert got["reason"].astype(str).tolist() == ref["reason"].astype(str).tolist()


def test_early_warning_value_with_duplicate_ids_is_a_clear_error():
    log = clmkit.datasets.load_cdnow_sample()
    h = stage_history(log, ["1997-06-30", "1998-06-30"], "customer_id", "date")
    ids = h["customer_id"].unique()[:3]
    value = pd.Series([10.0, 20.0, 30.0, 40.0], index=[ids[0], ids[1], ids[2], ids[1]])
    dup = re.escape(f"value: customer id {ids[1].item()!r} appears more than once")
    with pytest.raises(ValueError, match=dup):
        clmkit.early_warning(h, value=value)
    ok = clmkit.early_warning(h, value=value.groupby(level=0).sum())
    assert (ok["value"] >= 0).all()
    with pytest.raises(TypeError, match="value must be"):
        clmkit.early_warning(h, value=[1.0, 2.0])
