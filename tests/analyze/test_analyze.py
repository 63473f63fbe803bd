import json
import warnings

import clmkit
import numpy as np
import pandas as pd
import pytest
from _fakes import PoissonModel
from clmkit.analyze import Analysis, steps
from clmkit.summary.units import TimeUnit

HAS_RFM = all(hasattr(clmkit, n) for n in ("rfm_scores", "rfm_segments", "abc_classes"))
HAS_BG = hasattr(clmkit, "BetaGeo")
HAS_CLV = HAS_BG and all(hasattr(clmkit, n) for n in ("GammaGamma", "customer_lifetime_value"))
HAS_STAGES = all(
    hasattr(clmkit, n)
    for n in ("assign_stages", "stage_history", "transition_matrix", "early_warning")
)


@pytest.fixture(scope="module")
def master():
    return clmkit.datasets.load_cdnow_master()


@pytest.fixture(scope="module")
def analysis(master):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clmkit.ClmkitWarning)
        return clmkit.analyze(master, "customer_id", "date", "amount", horizon="365D")


@pytest.fixture(scope="module")
def summary(master):
    return clmkit.summarize(master, "customer_id", "date", "amount")


def test_summary_columns_equal_summarize(analysis, summary):
    pd.testing.assert_frame_equal(analysis.table[summary.columns], summary)
    assert analysis.table.attrs["clmkit"] == summary.attrs["clmkit"]


def test_input_not_modified(master):
    copy = master.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clmkit.ClmkitWarning)
        clmkit.analyze(master, "customer_id", "date", "amount", models=())
    pd.testing.assert_frame_equal(master, copy)


def test_progress_reports_every_step_run():
    seen = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clmkit.ClmkitWarning)
        a = clmkit.analyze(
            clmkit.datasets.load_cdnow_sample(),
            "customer_id",
            "date",
            progress=lambda step, sec: seen.append((step, sec)),
        )
    assert [s for s, _ in seen] == list(a.timings)
    assert seen[0][0] == "summary" and all(sec >= 0 for _, sec in seen)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"horizon": "soon"}, ValueError, "horizon"),
        ({"horizon": -5}, ValueError, "horizon"),
        ({"horizon": "-30D"}, ValueError, "horizon"),
        ({"models": "bgnbd"}, TypeError, "sequence"),
        ({"models": ("bgnbd", "magic")}, ValueError, "models"),
        ({"discount_rate": -0.1}, ValueError, "discount_rate"),
        ({"snapshots": 0}, ValueError, "snapshots"),
        ({"freq": "Q"}, ValueError, "freq"),
    ],
)
def test_bad_options(kwargs, error, match):
    log = clmkit.datasets.load_cdnow_sample()
    with pytest.raises(error, match=match):
        clmkit.analyze(log, "customer_id", "date", "amount", **kwargs)


def test_bad_input_goes_through_summarize_validation():
    log = clmkit.datasets.load_cdnow_sample()
    with pytest.raises(ValueError, match="monetary_value_col='price' is not a column"):
        clmkit.analyze(log, "customer_id", "date", "price")
    bad = log.assign(amount=log["amount"].where(log.index != 5, np.nan))
    with pytest.raises(ValueError, match="row 5"):
        clmkit.analyze(bad, "customer_id", "date", "amount")


def test_horizon_labels():
    assert steps.horizon_label("365D") == "365d"
    assert steps.horizon_label("26 W") == "26w"
    assert steps.horizon_label(52.0) == "52"
    assert steps.clv_periods(365.0, "30D", TimeUnit("D")) == 12
    assert steps.clv_periods(52.0, "1W", TimeUnit("D", 7.0)) == 52


def test_next_purchase_bisection_against_closed_form():
    # PoissonModel: E[purchases in t] = p_alive * rate * t, so one purchase at 1 / (p_alive * rate)
    model = PoissonModel()
    f = np.array([0.0, 3.0, 10.0, 1.0])
    r = np.array([0.0, 80.0, 95.0, 2.0])
    T = np.array([10.0, 100.0, 100.0, 400.0])
    exact = 1.0 / (model.p_alive(f, r, T) * model.rate(f, T))
    got = steps.time_to_one_expected_purchase(model, f, r, T, horizon_units=365.0)
    reach = exact <= 365.0
    np.testing.assert_allclose(got[reach], exact[reach], rtol=1e-6)
    assert np.isnan(got[~reach]).all() and (~reach).any()


def test_btyd_columns_compose_model_calls():
    model = PoissonModel()
    table = pd.DataFrame(
        {"frequency": [0.0, 4.0], "recency": [0.0, 30.0], "T": [40.0, 50.0]},
        index=pd.Index([7, 9], name="id"),
    )
    end = pd.Timestamp("2020-06-30")
    out = steps.btyd_columns(model, table, 365.0, "365d", TimeUnit("D"), end)
    f, r, T = table["frequency"], table["recency"], table["T"]
    np.testing.assert_allclose(out["p_alive"], model.p_alive(f, r, T))
    np.testing.assert_allclose(
        out["expected_purchases_365d"], model.conditional_expected_purchases(365.0, f, r, T)
    )
    np.testing.assert_allclose(
        out["probability_no_purchase_365d"],
        model.conditional_probability_of_n_purchases(365.0, 0, f, r, T),
    )
    wait = 1.0 / (model.p_alive(4, 30, 50) * model.rate(4, 50))
    assert out.loc[9, "expected_next_purchase"] == (end + pd.Timedelta(days=wait)).round("D")


def test_summary_and_models_json():
    table = pd.DataFrame(
        {
            "frequency": [0.0, 2.0, 1.0],
            "total_value": [5.0, 10.0, 1.0],
            "clv_365d": [1.0, 2.0, 3.0],
            "clv_365d_low": [0.0, 0.0, 0.0],
            "stage": pd.Categorical(["new", "new", "lost"], categories=["new", "mature", "lost"]),
        }
    )
    a = Analysis(table=table, models={"transactions": PoissonModel()}, settings={"horizon": "365D"})
    s = a.summary()
    assert s["customers"] == 3 and s["repeat_customers"] == 2 and s["total_value"] == 16.0
    assert s["clv_365d"] == 6.0 and "clv_365d_low" not in s
    assert s["stages"].to_dict() == {"new": 2, "mature": 0, "lost": 1}
    doc = json.loads(a.models_json())
    assert doc["models"] == {"transactions": {"model": "PoissonModel"}}
    assert doc["settings"]["horizon"] == "365D"


def test_month_end_snapshots():
    dates = steps.month_end_snapshots(pd.Timestamp("1997-01-01"), pd.Timestamp("1998-06-30"), 4)
    assert dates == [
        pd.Timestamp("1998-03-31"),
        pd.Timestamp("1998-04-30"),
        pd.Timestamp("1998-05-31"),
        pd.Timestamp("1998-06-30"),
    ]
    assert steps.month_end_snapshots(pd.Timestamp("1998-06-01"), pd.Timestamp("1998-06-20"), 6) == [
        pd.Timestamp("1998-06-20")
    ]


# --- composition with the real models: analyze() equals the individual functions ------------


@pytest.mark.skipif(not HAS_RFM, reason="RFM not in this build")
def test_rfm_columns_equal_composition(analysis, summary):
    rfm = clmkit.rfm_scores(summary, monetary_col="total_value")
    for col in ("r_score", "f_score", "m_score", "rfm_code"):
        np.testing.assert_array_equal(analysis.table[col].to_numpy(), rfm[col].to_numpy())
    np.testing.assert_array_equal(
        analysis.table["rfm_segment"].astype(str).to_numpy(),
        np.asarray(clmkit.rfm_segments(rfm)).astype(str),
    )
    np.testing.assert_array_equal(
        analysis.table["abc_class"].astype(str).to_numpy(),
        np.asarray(clmkit.abc_classes(summary["total_value"].to_numpy(float))).astype(str),
    )


@pytest.mark.skipif(not HAS_BG, reason="BG/NBD not in this build")
def test_btyd_columns_equal_composition(analysis, summary):
    bg = clmkit.ModifiedBetaGeo().fit(summary)
    f, r, T = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    np.testing.assert_array_equal(analysis.table["p_alive"].to_numpy(), bg.p_alive(f, r, T))
    np.testing.assert_array_equal(
        analysis.table["expected_purchases_365d"].to_numpy(),
        bg.conditional_expected_purchases(365.0, f, r, T),
    )
    nxt = analysis.table["expected_next_purchase"]
    exp = analysis.table["expected_purchases_365d"]
    assert nxt[exp >= 1].notna().all() and nxt[exp < 1].isna().all()
    assert (nxt.dropna() >= pd.Timestamp("1998-06-30")).all()


@pytest.mark.skipif(not HAS_CLV, reason="Gamma-Gamma / CLV not in this build")
def test_value_columns_equal_composition(analysis, summary):
    bg = clmkit.ModifiedBetaGeo().fit(summary)
    gg = analysis.models["spend"]
    usable = (summary["frequency"] > 0) & (summary["monetary_value"] > 0)
    kwargs = dict(horizon=12, period="30D", discount_rate=0.01)
    cols = ["frequency", "recency", "T", "monetary_value"]
    clv = clmkit.customer_lifetime_value(bg, gg, summary.loc[usable, cols], **kwargs)
    np.testing.assert_allclose(
        analysis.table.loc[usable, "clv_365d"].to_numpy(), np.asarray(clv, float), rtol=1e-12
    )
    # no usable spend history (one-time buyers, zero-value repeat purchases): the model's mean
    rest = clmkit.customer_lifetime_value(
        bg, gg.expected_spend(), summary.loc[~usable, cols], **kwargs
    )
    np.testing.assert_allclose(
        analysis.table.loc[~usable, "clv_365d"].to_numpy(), np.asarray(rest, float), rtol=1e-12
    )
    np.testing.assert_allclose(analysis.table.loc[~usable, "expected_spend"], gg.expected_spend())


@pytest.mark.skipif(not HAS_STAGES, reason="stages not in this build")
def test_stage_column_equal_composition(analysis, summary):
    p = analysis.table["p_alive"].to_numpy()
    # MBG/NBD gives one-time buyers a P(alive) below 1, so they are judged by it too
    scheme = clmkit.StageScheme(p_alive_for_one_time=True)
    stage = clmkit.assign_stages(summary, p_alive=p, scheme=scheme)
    np.testing.assert_array_equal(
        analysis.table["stage"].astype(str).to_numpy(), np.asarray(stage).astype(str)
    )
    assert analysis.stage_history is not None and analysis.early_warning is not None


@pytest.mark.skipif(not HAS_BG, reason="BG/NBD not in this build")
def test_models_json_round_trip_restores_predictions(analysis):
    doc = json.loads(analysis.models_json())
    assert set(doc["models"]) == set(analysis.models)
    t = analysis.table
    for role, model in analysis.models.items():
        back = type(model).from_json(json.dumps(doc["models"][role]))
        if role == "transactions":
            np.testing.assert_array_equal(
                back.p_alive(t["frequency"], t["recency"], t["T"]), t["p_alive"].to_numpy()
            )


@pytest.mark.skipif(not hasattr(clmkit, "ParetoNBD"), reason="Pareto/NBD not in this build")
@pytest.mark.filterwarnings("ignore::clmkit.ClmkitWarning")
def test_paretonbd_model_choice_and_holdout():
    log = clmkit.datasets.load_cdnow_sample()
    a = clmkit.analyze(
        log,
        "customer_id",
        "date",
        "amount",
        models=("paretonbd",),
        calibration_period_end="1997-09-30",
        interval_level=None,
    )
    summary = clmkit.summarize(log, "customer_id", "date", "amount")
    pnbd = clmkit.ParetoNBD().fit(summary)
    np.testing.assert_array_equal(
        a.table["p_alive"].to_numpy(),
        pnbd.p_alive(summary["frequency"], summary["recency"], summary["T"]),
    )
    assert "clv_365d" not in a.table and "spend" not in a.models
    ev = clmkit.evaluate_holdout(a.models["calibration"], a.cal_holdout)
    assert a.holdout_evaluation.mae == ev.mae


@pytest.mark.filterwarnings("ignore::clmkit.ClmkitWarning")
def test_without_monetary_column_value_columns_are_left_out():
    log = clmkit.datasets.load_cdnow_sample()
    a = clmkit.analyze(log, "customer_id", "date", interval_level=None)
    for col in ("monetary_value", "total_value", "m_score", "expected_spend", "clv_365d"):
        assert col not in a.table
    if HAS_RFM:
        np.testing.assert_array_equal(
            a.table["abc_class"].astype(str).to_numpy(),
            np.asarray(clmkit.abc_classes(a.table["n_periods"])).astype(str),
        )


@pytest.mark.filterwarnings("ignore::clmkit.ClmkitWarning")
def test_polars_and_arrow_logs_give_the_same_table_in_their_library():
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    log = clmkit.datasets.load_cdnow_sample()
    ref = clmkit.analyze(log, "customer_id", "date", "amount", models=()).table
    for native, kind in (
        (pl.from_pandas(log), pl.DataFrame),
        (pa.Table.from_pandas(log), pa.Table),
    ):
        analysis = clmkit.analyze(native, "customer_id", "date", "amount", models=())
        assert isinstance(analysis.table, kind)
        got = analysis.to_pandas().table
        pd.testing.assert_frame_equal(got, ref, check_index_type=False, check_categorical=False)


def test_next_purchase_grid_is_fine_enough(summary):
    model = clmkit.ModifiedBetaGeo().fit(summary)
    f, r, T = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    coarse = steps.time_to_one_expected_purchase(model, f, r, T, 365.0)
    fine = steps.time_to_one_expected_purchase(model, f, r, T, 365.0, points=365)
    np.testing.assert_array_equal(np.isnan(coarse), np.isnan(fine))
    assert np.nanmax(np.abs(coarse - fine)) < 1.0  # days
