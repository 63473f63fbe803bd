"""clmkit.compat.lifetimes fitters: published values, identity with the native API,
lifetimes 0.11.3's conventions, save/load, bad input."""

import json

import clmkit
import clmkit.compat.lifetimes as lifetimes
import numpy as np
import pandas as pd
import pytest
from clmkit.compat.lifetimes import (
    BetaGeoBetaBinomFitter,
    BetaGeoFitter,
    GammaGammaFitter,
    ModifiedBetaGeoFitter,
    ParetoNBDFitter,
)
from clmkit.compat.lifetimes.datasets import (
    load_cdnow_summary,
    load_cdnow_summary_data_with_monetary_value,
    load_donations,
)


@pytest.fixture(scope="module")
def cdnow():
    return load_cdnow_summary(index_col=[0])


@pytest.fixture(scope="module")
def bgf(cdnow):
    return BetaGeoFitter().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])


@pytest.fixture(scope="module")
def pnbd(cdnow):
    return ParetoNBDFitter().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])


@pytest.fixture(scope="module")
def mbgf(cdnow):
    return ModifiedBetaGeoFitter().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])


@pytest.fixture(scope="module")
def donations():
    return load_donations()


@pytest.fixture(scope="module")
def bbf(donations):
    d = donations
    return BetaGeoBetaBinomFitter().fit(d["frequency"], d["recency"], d["periods"], d["weights"])


@pytest.fixture(scope="module")
def spend():
    return load_cdnow_summary_data_with_monetary_value()


@pytest.fixture(scope="module")
def ggf(spend):
    repeat = spend[spend["frequency"] > 0]
    return GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])


def _native(cls, frame, cols, weights=None):
    return cls().fit(*[frame[c].to_numpy() for c in cols], weights=weights)


# ----------------------------------------------------------------------- published values
def test_bgnbd_published(bgf, published):
    ref = published["bgnbd_cdnow"]
    assert bgf.params_[list(ref["params"])].round(3).tolist() == list(ref["params"].values())
    c = ref["conditional_expected_purchases"]
    value = bgf.conditional_expected_number_of_purchases_up_to_time(
        c["t"], c["frequency"], c["recency"], c["T"]
    )
    assert round(float(value), 3) == c["value"]
    u = ref["unconditional_expected_purchases"]
    precise = BetaGeoFitter()
    precise.params_ = pd.Series(ref["params_precise"])  # lifetimes users set stored params so
    got = precise.expected_number_of_purchases_up_to_time(np.array(u["t"]))
    # t = 78: the published 1.8576 is 3.6e-4 below eq. 9 (see test_bgnbd.py), held to 5e-4.
    np.testing.assert_allclose(got[:5], u["value_at_precise_params"][:5], atol=5e-5)
    assert got[5] == pytest.approx(u["value_at_precise_params"][5], abs=5e-4)


def test_bgnbd_probability_of_n_published(published):
    ref = published["bgnbd_cdnow"]
    model = BetaGeoFitter()
    model.params_ = pd.Series(ref["params"])
    table = ref["probability_of_n_purchases_at_published_params"]
    assert model.probability_of_n_purchases_up_to_time(39, 0) == pytest.approx(
        table["t=39,n=0"], rel=1e-6
    )
    got = [model.probability_of_n_purchases_up_to_time(30, n) for n in range(11, 21)]
    np.testing.assert_allclose(got, table["t=30,n=11..20"], rtol=1e-6)


def test_paretonbd_published(pnbd, published):
    ref = published["paretonbd_cdnow"]
    np.testing.assert_allclose(
        pnbd.params_[list(ref["params"])], list(ref["params"].values()), rtol=2e-3
    )
    np.testing.assert_allclose(
        pnbd.standard_errors_[list(ref["standard_errors"])],
        list(ref["standard_errors"].values()),
        rtol=1e-2,
    )
    walk = ParetoNBDFitter()
    walk.params_ = pd.Series(ref["walkthrough_params"])
    a = ref["p_alive_at_walkthrough_params"]
    assert (
        round(walk.conditional_probability_alive(a["frequency"], a["recency"], a["T"]), 4)
        == a["value"]
    )
    # 25.46 is quoted at the unrounded estimates (see test_paretonbd.py).
    c = ref["conditional_expected_purchases_at_walkthrough_params"]
    precise = ParetoNBDFitter()
    precise.params_ = pd.Series(ref["params_precise"])
    value = precise.conditional_expected_number_of_purchases_up_to_time(
        c["t"], c["frequency"], c["recency"], c["T"]
    )
    assert round(float(value), 2) == c["value"]


def test_mbgnbd_published(mbgf, published):
    ref = published["mbgnbd_cdnow"]["params"]
    np.testing.assert_allclose(mbgf.params_[list(ref)], list(ref.values()), atol=1.5e-3)


def test_gammagamma_published(ggf, spend, published):
    ref = published["gammagamma_cdnow"]
    np.testing.assert_allclose(
        ggf.params_[list(ref["params"])], list(ref["params"].values()), atol=0.01
    )
    profit = ggf.conditional_expected_average_profit(spend["frequency"], spend["monetary_value"])
    np.testing.assert_allclose(
        profit.head(10), ref["conditional_expected_average_value_first_10_customers"], atol=0.01
    )  # published to 2 decimals, truncated


def test_bgbb_published(bbf, donations, published):
    ref = published["bgbb_donations"]
    assert bbf.params_[list(ref["params"])].round(3).tolist() == list(ref["params"].values())
    for case in ref["p_alive_next_period"]:
        p = bbf.conditional_probability_alive(1, case["frequency"], case["recency"], 6)
        assert round(float(p), 2) == case["value"]
    d = donations
    expected = bbf.conditional_expected_number_of_purchases_up_to_time(
        5, d["frequency"], d["recency"], d["periods"]
    )
    total = float((expected * d["weights"]).sum())
    assert round(total, 1) == ref["sum_conditional_expected_transactions_next_5_periods_all_donors"]


# ----------------------------------------------------------------------- same numbers as native
def test_count_fitters_equal_native(cdnow, bgf, pnbd, mbgf):
    f, r, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    for facade, cls in (
        (bgf, clmkit.BetaGeo),
        (pnbd, clmkit.ParetoNBD),
        (mbgf, clmkit.ModifiedBetaGeo),
    ):
        native = _native(cls, cdnow, ["frequency", "recency", "T"])
        assert facade.params_.tolist() == native.params_.tolist()
        assert facade.standard_errors_.tolist() == native.standard_errors_.tolist()
        np.testing.assert_array_equal(facade.variance_matrix_, native.variance_matrix_)
        np.testing.assert_array_equal(
            facade.conditional_expected_number_of_purchases_up_to_time(10, f, r, T),
            native.conditional_expected_purchases(10, f, r, T),
        )
        np.testing.assert_array_equal(
            facade.conditional_probability_alive(f, r, T), native.p_alive(f, r, T)
        )
        np.testing.assert_array_equal(
            facade.expected_number_of_purchases_up_to_time(np.arange(5.0)),
            native.expected_purchases(np.arange(5.0)),
        )
        assert facade.conditional_probability_of_n_purchases_up_to_time(
            2, 39, 2, 30.43, 38.86
        ) == native.conditional_probability_of_n_purchases(39, 2, 2, 30.43, 38.86)
        assert facade.probability_of_n_purchases_up_to_time(
            39, 2
        ) == native.probability_of_n_purchases(39, 2)
        grid = native.p_alive_matrix(10, 20, impossible="evaluate").to_numpy()
        np.testing.assert_array_equal(facade.conditional_probability_alive_matrix(10, 20), grid)


def test_bgbb_and_gammagamma_equal_native(donations, bbf, spend, ggf, bgf):
    d = donations
    native = _native(
        clmkit.BetaGeoBetaBinom, d, ["frequency", "recency", "periods"], d["weights"].to_numpy()
    )
    assert bbf.params_.tolist() == native.params_.tolist()
    np.testing.assert_array_equal(
        bbf.conditional_probability_alive(2, d["frequency"], d["recency"], d["periods"]),
        native.p_alive(d["frequency"], d["recency"], d["periods"], periods_ahead=2),
    )
    first = bbf.expected_number_of_transactions_in_first_n_periods(6)
    probs = native.probability_of_n_purchases(np.full(7, 6.0), np.arange(7.0))
    np.testing.assert_allclose(first["model"], probs * d["weights"].sum(), rtol=1e-14)
    repeat = spend[spend["frequency"] > 0]
    gg = clmkit.GammaGamma().fit(
        repeat["frequency"].to_numpy(), repeat["monetary_value"].to_numpy()
    )
    assert ggf.params_.tolist() == gg.params_.tolist()
    clv = ggf.customer_lifetime_value(
        bgf,
        spend["frequency"],
        spend["recency"],
        spend["T"],
        spend["monetary_value"],
        time=12,
        discount_rate=0.01,
        freq="W",
    )
    data = spend.assign(T=spend["T"])
    native_clv = clmkit.customer_lifetime_value(
        bgf._model, gg, data, horizon=12, period=4.345, discount_rate=0.01
    )
    np.testing.assert_array_equal(clv.to_numpy(), native_clv.to_numpy())
    assert clv.name == "clv" and clv.index.equals(spend.index)


def test_clv_matches_lifetimes_loop(bgf, ggf, spend):
    """lifetimes' definition written out: sum over months of value x purchases in the month,
    discounted per month (freq='W': a month is 4.345 weeks)."""
    s = spend.head(50)
    value = ggf.conditional_expected_average_profit(s["frequency"], s["monetary_value"])
    expected = np.zeros(len(s))
    for k in range(1, 13):
        step = bgf.predict(k * 4.345, s["frequency"], s["recency"], s["T"]) - bgf.predict(
            (k - 1) * 4.345, s["frequency"], s["recency"], s["T"]
        )
        expected += value.to_numpy() * step.to_numpy() / 1.01**k
    clv = ggf.customer_lifetime_value(
        bgf, s["frequency"], s["recency"], s["T"], s["monetary_value"], freq="W"
    )
    np.testing.assert_allclose(clv, expected, rtol=1e-12)


# ----------------------------------------------------------------------- lifetimes' conventions
def test_attributes_and_repr(bgf, cdnow):
    assert (
        repr(bgf)
        == "<lifetimes.BetaGeoFitter: fitted with 2357 subjects, a: 0.79, alpha: 4.41, b: 2.43, r: 0.24>"
    )
    assert repr(BetaGeoFitter()) == "<lifetimes.BetaGeoFitter>"
    assert list(bgf.params_.index) == ["r", "alpha", "a", "b"]
    assert list(bgf.summary.columns) == ["coef", "se(coef)", "lower 95% bound", "upper 95% bound"]
    assert list(bgf.data.columns) == ["frequency", "recency", "T", "weights"]
    assert bgf.data["frequency"].dtype.kind == "i" and len(bgf.data) == 2357
    ci = bgf.confidence_intervals_
    np.testing.assert_allclose(ci["upper 95% bound"], bgf.params_ + 1.96 * bgf.standard_errors_)
    assert bgf.predict == bgf.conditional_expected_number_of_purchases_up_to_time
    out = bgf.conditional_expected_number_of_purchases_up_to_time(
        10, cdnow["frequency"], cdnow["recency"], cdnow["T"]
    )
    assert isinstance(out, pd.Series) and out.index.equals(cdnow.index)
    alive = bgf.conditional_probability_alive(2, 30.43, 38.86)
    assert isinstance(alive, np.ndarray) and alive.shape == (1,)
    indexed = BetaGeoFitter().fit(
        cdnow["frequency"], cdnow["recency"], cdnow["T"], index=cdnow.index
    )
    assert indexed.data.index.equals(cdnow.index)


def test_horizon_arrays_broadcast(bgf):
    times = np.array([1.0, 10.0, 39.0])
    got = bgf.conditional_expected_number_of_purchases_up_to_time(times, 2, 30.43, 38.86)
    one_by_one = [
        float(bgf.conditional_expected_number_of_purchases_up_to_time(t, 2, 30.43, 38.86))
        for t in times
    ]
    assert got.shape == (3,)
    np.testing.assert_array_equal(got, one_by_one)


def test_alive_matrix_layout_and_defaults(bgf, pnbd, cdnow):
    z = bgf.conditional_probability_alive_matrix()
    assert z.shape == (int(cdnow["T"].max()) + 1, int(cdnow["frequency"].max()) + 1)
    # [recency, frequency] with T = max_recency; lifetimes' BG/NBD gives 1 for frequency 0.
    assert np.all(z[:, 0] == 1.0)
    assert z[20, 5] == bgf.conditional_probability_alive(5, 20, z.shape[0] - 1)[0]
    zp = pnbd.conditional_probability_alive_matrix(4, 10)
    assert zp.shape == (11, 5) and np.all(np.isfinite(zp)) and np.all((zp > 0) & (zp <= 1))


def test_generate_new_data(bgf, bbf, pnbd):
    np.random.seed(1)
    a = bgf.generate_new_data(size=50)
    np.random.seed(1)
    b = bgf.generate_new_data(size=50)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == ["frequency", "recency", "T", "lambda", "p", "alive"]
    assert a.index.name == "customer_id"
    np.testing.assert_array_equal(a["T"], bgf.data["T"].to_numpy()[:50])
    assert list(pnbd.generate_new_data(3).columns) == [
        "frequency",
        "recency",
        "T",
        "lambda",
        "mu",
        "alive",
    ]
    sim = bbf.generate_new_data(size=100)
    assert list(sim.columns) == [
        "frequency",
        "recency",
        "n_periods",
        "p",
        "theta",
        "alive",
        "customer_id",
    ]
    with pytest.raises(ValueError, match="size"):
        bgf.generate_new_data(size=10_000)


def test_save_load_round_trip(tmp_path, bgf, pnbd, mbgf, bbf, ggf, cdnow):
    for model in (bgf, pnbd, mbgf, bbf, ggf):
        path = tmp_path / f"{type(model).__name__}.json"
        model.save_model(str(path))
        loaded = type(model)()
        loaded.load_model(str(path))
        assert loaded.params_.tolist() == model.params_.tolist()
        pd.testing.assert_frame_equal(loaded.summary, model.summary)
        pd.testing.assert_frame_equal(loaded.data, model.data, check_dtype=False)
        assert repr(loaded) == repr(model)
        json.loads(path.read_text())  # plain JSON, no pickle
    path = tmp_path / "nodata.json"
    bgf.save_model(str(path), save_data=False)
    loaded = BetaGeoFitter()
    loaded.load_model(str(path))
    assert loaded.data is None
    f, r, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    np.testing.assert_array_equal(loaded.predict(5, f, r, T), bgf.predict(5, f, r, T))
    with pytest.raises(ValueError, match="BetaGeoFitter"):
        ParetoNBDFitter().load_model(str(path))
    bad = tmp_path / "dill.pkl"
    bad.write_bytes(b"\x80\x04not json")
    with pytest.raises(ValueError, match="not a model saved"):
        BetaGeoFitter().load_model(str(bad))


def test_thread_count_does_not_change_results(cdnow):
    f, r, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    clmkit.set_num_threads(1)
    one = BetaGeoFitter().fit(f, r, T).conditional_probability_alive_matrix(20, 30)
    clmkit.set_num_threads(2)
    two = BetaGeoFitter().fit(f, r, T).conditional_probability_alive_matrix(20, 30)
    assert one.tobytes() == two.tobytes()


# ----------------------------------------------------------------------- where lifetimes failed
def test_finite_where_lifetimes_gave_nan():
    # lifetimes 0.11.3 returns NaN for BG/NBD with a + b == 1 (x = 0) and with a == 1.
    for a, b in ((0.5, 0.5), (1.0, 0.5)):
        model = BetaGeoFitter()
        model.params_ = pd.Series({"r": 0.25, "alpha": 4.0, "a": a, "b": b})
        cond = model.conditional_expected_number_of_purchases_up_to_time(
            10, np.array([0.0, 1, 2]), np.array([0.0, 30, 35]), np.full(3, 39.0)
        )
        assert np.all(np.isfinite(cond)) and np.all(cond > 0)
        assert np.isfinite(model.expected_number_of_purchases_up_to_time(10.0))
        # continuity: the limit equals nearby parameter values
        near = BetaGeoFitter()
        near.params_ = pd.Series({"r": 0.25, "alpha": 4.0, "a": a + 1e-6, "b": b})
        np.testing.assert_allclose(
            cond,
            near.conditional_expected_number_of_purchases_up_to_time(
                10, np.array([0.0, 1, 2]), np.array([0.0, 30, 35]), np.full(3, 39.0)
            ),
            rtol=1e-4,
        )
    # Pareto/NBD heavy buyers with alpha < beta: lifetimes' 2F1 overflows to NaN.
    heavy = ParetoNBDFitter()
    heavy.params_ = pd.Series({"r": 0.55, "alpha": 1.0, "s": 0.61, "beta": 200.0})
    x, tx, T = np.array([200.0, 500, 2000]), np.array([5.0, 20, 38.9]), np.full(3, 39.0)
    alive = heavy.conditional_probability_alive(x, tx, T)
    assert np.all(np.isfinite(alive)) and alive[2] > 0.99
    assert np.all(
        np.isfinite(heavy.conditional_expected_number_of_purchases_up_to_time(10, x, tx, T))
    )


# ----------------------------------------------------------------------- bad input
def test_bad_input_raises_clear_errors(cdnow):
    f, r, T = cdnow["frequency"].to_numpy(float), cdnow["recency"].to_numpy(), cdnow["T"].to_numpy()
    with pytest.raises(ValueError, match="recency: row 0"):
        BetaGeoFitter().fit(f, r + 100, T)
    bad = f.copy()
    bad[3] = 1.5
    with pytest.raises(ValueError, match="frequency.*row 3"):
        BetaGeoFitter().fit(bad, r, T)
    with pytest.raises(ValueError, match="penalizer_coef"):
        BetaGeoFitter(penalizer_coef=-1).fit(f, r, T)
    with pytest.raises(ValueError, match="not been fit"):
        BetaGeoFitter().conditional_expected_number_of_purchases_up_to_time(1, 1, 1, 2)
    with pytest.raises(ValueError, match="iterative_fitting"):
        ParetoNBDFitter().fit(f, r, T, iterative_fitting=2, initial_params=[1, 1, 1, 1])
    with pytest.raises(ValueError, match="freq"):
        lifetimes.utils.customer_lifetime_value(None, f, r, T, f, freq="Q")
    with pytest.warns(clmkit.ClmkitWarning, match="ignored optimiser options"):
        BetaGeoFitter().fit(f[:200], r[:200], T[:200], gtol=1e-3)
    weights_bad = np.ones(len(f))
    weights_bad[5] = -1
    with pytest.raises(ValueError, match="weights"):
        BetaGeoFitter().fit(f, r, T, weights=weights_bad)


def test_input_not_modified(cdnow):
    f = cdnow["frequency"].to_numpy(float).copy()
    before = f.copy()
    BetaGeoFitter().fit(f, cdnow["recency"], cdnow["T"])
    np.testing.assert_array_equal(f, before)


def test_native_matrices_impossible_cells(cdnow):
    """The native grid kernels behind the lifetimes matrices: NaN on impossible cells by
    default, the closed form there with impossible="evaluate", identical elsewhere."""
    native = clmkit.ParetoNBD().fit(cdnow)
    nan = native.p_alive_matrix(6, 12)
    full = native.p_alive_matrix(6, 12, impossible="evaluate")
    impossible = np.zeros(nan.shape, dtype=bool)
    impossible[1:, 0] = True
    assert np.isnan(nan.to_numpy()[impossible]).all()
    np.testing.assert_array_equal(nan.to_numpy()[~impossible], full.to_numpy()[~impossible])
    assert np.isfinite(full.to_numpy()).all()
    rec, freq = np.nonzero(~impossible)
    np.testing.assert_array_equal(
        full.to_numpy()[~impossible],
        native.p_alive(freq.astype(float), rec.astype(float), np.full(len(rec), 12.0)),
    )
    expected = native.expected_purchases_matrix(4, 6, 12, impossible="evaluate").to_numpy()
    np.testing.assert_array_equal(
        expected[~impossible],
        native.conditional_expected_purchases(
            4, freq.astype(float), rec.astype(float), np.full(len(rec), 12.0)
        ),
    )
    with pytest.raises(ValueError, match="impossible"):
        native.p_alive_matrix(6, 12, impossible="zero")


def test_verbose_and_iteration_limit(cdnow, capsys):
    f, r, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    BetaGeoFitter().fit(f, r, T, verbose=True)
    assert "se(coef)" in capsys.readouterr().out
    with pytest.raises(clmkit.ConvergenceError):
        BetaGeoFitter().fit(f, r, T, maxiter=2)


def test_scalar_columns_broadcast_like_numpy(bgf, pnbd, ggf, cdnow):
    f, r = cdnow["frequency"], cdnow["recency"]
    T = float(cdnow["T"].max())
    full = np.full(len(f), T)
    for model in (bgf, pnbd):
        got = model.conditional_expected_number_of_purchases_up_to_time(5, f, r, T)
        assert isinstance(got, pd.Series) and got.index.equals(cdnow.index)
        np.testing.assert_array_equal(
            got, model.conditional_expected_number_of_purchases_up_to_time(5, f, r, full)
        )
        np.testing.assert_array_equal(
            model.conditional_probability_alive(f, r, T),
            model.conditional_probability_alive(f, r, full),
        )
    np.testing.assert_array_equal(
        ggf.conditional_expected_average_profit(f, 20.0),
        ggf.conditional_expected_average_profit(f, np.full(len(f), 20.0)),
    )


def test_convergence_error_name(cdnow):
    with pytest.raises(lifetimes.utils.ConvergenceError):
        BetaGeoFitter().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"], maxiter=2)


def test_pickle_round_trip(bgf):
    import pickle

    again = pickle.loads(pickle.dumps(bgf))
    assert repr(again) == repr(bgf)
    assert again.predict(10, 2, 30.43, 38.86) == bgf.predict(10, 2, 30.43, 38.86)
