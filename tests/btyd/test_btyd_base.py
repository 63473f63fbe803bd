"""Shared BTYD machinery: fit inputs, weights, penalizer, standard errors, serialisation,
pickling, unfitted errors, validation and thread determinism (through BetaGeo/GammaGamma)."""

import json
import pickle

import clmkit
import numpy as np
import pandas as pd
import pytest
from btyd_reference import bgnbd_loglik, gammagamma_loglik, numerical_hessian
from scipy import optimize


@pytest.fixture(scope="module")
def cdnow():
    return clmkit.datasets.load_cdnow_summary()


@pytest.fixture(scope="module")
def bg(cdnow):
    return clmkit.BetaGeo().fit(cdnow)


def test_summary_and_arrays_give_the_same_fit(cdnow, bg):
    arrays = clmkit.BetaGeo().fit(
        cdnow["frequency"].to_numpy(), cdnow["recency"].to_numpy(), cdnow["T"].to_numpy()
    )
    assert np.array_equal(arrays.params_.to_numpy(), bg.params_.to_numpy())
    assert bg.time_unit_ is not None and bg.time_unit_.days == 7
    assert arrays.time_unit_ is None
    pa = pytest.importorskip("pyarrow")
    from_arrow = clmkit.BetaGeo().fit(pa.Table.from_pandas(cdnow))
    assert np.array_equal(from_arrow.params_.to_numpy(), bg.params_.to_numpy())


def test_int_dtypes_and_caller_arrays_untouched(cdnow):
    f = cdnow["frequency"].to_numpy().astype(np.int64)
    r, t = cdnow["recency"].to_numpy().copy(), cdnow["T"].to_numpy().copy()
    before = (f.copy(), r.copy(), t.copy())
    clmkit.BetaGeo().fit(f, r, t)
    for a, b in zip((f, r, t), before):
        assert np.array_equal(a, b)


def test_fitted_attributes_and_summary(bg):
    assert list(bg.params_.index) == ["r", "alpha", "a", "b"]
    assert bg.converged_ and bg.n_iter_ > 0 and bg.n_patterns_ < 2357
    s = bg.summary
    assert list(s.columns) == ["coef", "se", "lower 95%", "upper 95%"]
    assert (s["lower 95%"] < s["coef"]).all() and (s["coef"] < s["upper 95%"]).all()
    cov = bg.variance_matrix_.to_numpy()
    assert np.allclose(cov, cov.T) and np.allclose(np.sqrt(np.diag(cov)), bg.standard_errors_)
    text = repr(bg)
    assert text.startswith("BetaGeo(penalizer=0.0") and "alpha=4.41" in text


def test_standard_errors_match_numerical_hessian_of_reference_loglik(cdnow, bg):
    data = (cdnow["frequency"].to_numpy(), cdnow["recency"].to_numpy(), cdnow["T"].to_numpy())
    nll = lambda p: -bgnbd_loglik(p, *data).sum()
    cov = np.linalg.inv(numerical_hessian(nll, bg.params_.to_numpy()))
    assert np.allclose(bg.variance_matrix_.to_numpy(), cov, rtol=2e-3, atol=1e-8)
    assert bg.log_likelihood_ == pytest.approx(-nll(bg.params_.to_numpy()), abs=1e-8)


def test_weights_equal_repeated_rows(cdnow):
    sub = cdnow.iloc[:400]
    w = np.arange(400) % 3 + 1
    rep = sub.loc[sub.index.repeat(w)]
    a = clmkit.BetaGeo().fit(sub["frequency"], sub["recency"], sub["T"], weights=w)
    b = clmkit.BetaGeo().fit(rep["frequency"], rep["recency"], rep["T"])
    assert np.allclose(a.params_, b.params_, rtol=1e-6)
    assert a.log_likelihood_ == pytest.approx(b.log_likelihood_, abs=1e-6)
    table = sub.assign(w=w)
    c = clmkit.BetaGeo().fit(table, weights="w")
    assert np.array_equal(c.params_.to_numpy(), a.params_.to_numpy())


def test_penalizer_matches_lifetimes_objective_by_scipy(cdnow):
    """lifetimes 0.11.3: minimise -mean(ll) + c * sum(params**2) with times divided by max T."""
    c = 0.1
    x, tx, T = (cdnow[k].to_numpy() for k in ("frequency", "recency", "T"))
    scale = T.max()

    def objective(log_p):
        p = np.exp(log_p)
        return -bgnbd_loglik(p, x, tx / scale, T / scale).mean() + c * np.sum(p**2)

    ref = optimize.minimize(objective, np.zeros(4), method="BFGS", options={"gtol": 1e-10})
    expected = np.exp(ref.x) * np.array([1, scale, 1, 1])
    got = clmkit.BetaGeo(penalizer=c).fit(cdnow).params_.to_numpy()
    assert np.allclose(got, expected, rtol=1e-4)


def test_json_round_trip_and_pickle(bg, cdnow):
    text = bg.to_json()
    meta = json.loads(text)
    assert meta["clmkit_format"] == 1 and meta["model"] == "BetaGeo"
    assert meta["state"]["format_version"] == 1 and meta["state"]["model"] == "bgnbd"
    for restored in (
        clmkit.BetaGeo.from_json(text),
        clmkit.btyd.BTYDFitter.from_json(text),
        pickle.loads(pickle.dumps(bg)),
    ):
        assert isinstance(restored, clmkit.BetaGeo)
        assert np.array_equal(restored.params_.to_numpy(), bg.params_.to_numpy())
        assert restored.log_likelihood_ == bg.log_likelihood_
        assert restored.time_unit_ == bg.time_unit_
        assert np.array_equal(restored.p_alive(cdnow), bg.p_alive(cdnow))
    with pytest.raises(ValueError, match="not a GammaGamma"):
        clmkit.GammaGamma.from_json(text)
    with pytest.raises(ValueError, match="format version"):
        clmkit.BetaGeo.from_json(text.replace('"format_version": 1', '"format_version": 7'))
    with pytest.raises(ValueError):
        clmkit.BetaGeo.from_json("{not json")
    unfitted = pickle.loads(pickle.dumps(clmkit.BetaGeo(penalizer=0.5)))
    assert unfitted.penalizer == 0.5


def test_unfitted_model_raises_clear_error(cdnow):
    bg = clmkit.BetaGeo()
    calls = [
        lambda: bg.p_alive(cdnow),
        lambda: bg.expected_purchases(1.0),
        lambda: bg.summary,
        lambda: bg.to_json(),
        lambda: bg.conditional_expected_purchases(1, cdnow),
        lambda: bg.probability_of_n_purchases(1, 1),
        lambda: clmkit.GammaGamma().expected_spend(),
    ]
    for call in calls:
        with pytest.raises(clmkit.NotFittedError, match="not fitted yet"):
            call()


def test_convergence_error_carries_parameters_and_hint(cdnow):
    with pytest.raises(
        clmkit.ConvergenceError, match=r"last parameters .*gradient norm.*penalizer"
    ):
        clmkit.BetaGeo(max_iter=2).fit(cdnow)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"penalizer": -1.0}, "penalizer"),
        ({"tol": 0.0}, "tol"),
        ({"max_iter": 0}, "max_iter"),
        ({"initial_params": [1, 2]}, "initial_params"),
        ({"initial_params": [1, 1, -1, 1]}, "initial_params"),
        ({"initial_params": {"r": 1}}, "initial_params"),
    ],
)
def test_bad_hyperparameters(cdnow, kwargs, match):
    with pytest.raises(ValueError, match=match):
        clmkit.BetaGeo(**kwargs).fit(cdnow)


def test_initial_params_by_name_reach_the_same_optimum(cdnow, bg):
    other = clmkit.BetaGeo(initial_params={"r": 0.5, "alpha": 10.0, "a": 2.0, "b": 5.0}).fit(cdnow)
    assert np.allclose(other.params_, bg.params_, rtol=1e-4)


BAD = [
    (
        dict(frequency=[1, 2], recency=[3, 5], T=[4, 4]),
        r"recency: row 1 has invalid value 5(\.0)? .*<= T",
    ),
    (dict(frequency=[1, -2], recency=[3, 1], T=[4, 4]), "frequency: row 1 .*>= 0"),
    (dict(frequency=[1, 2.5], recency=[3, 1], T=[4, 4]), "frequency: row 1 .*whole number"),
    (
        dict(frequency=[0, 2], recency=[1, 1], T=[4, 4]),
        "recency: row 0 .*must be 0 when frequency is 0",
    ),
    (dict(frequency=[1, 2], recency=[np.nan, 1], T=[4, 4]), "recency: row 0 .*finite"),
    (dict(frequency=[1, 2], recency=[1, 1], T=[4, np.inf]), "T: row 1 .*finite"),
    (dict(frequency=[1, 2, 3], recency=[1, 1], T=[4, 4]), "recency has 2 rows but frequency has 3"),
]


@pytest.mark.parametrize("data, match", BAD)
def test_bad_input_in_fit_and_predictions(data, match, bg):
    with pytest.raises(ValueError, match=match):
        clmkit.BetaGeo().fit(data["frequency"], data["recency"], data["T"])
    with pytest.raises(ValueError, match=match):
        bg.p_alive(data["frequency"], data["recency"], data["T"])
    with pytest.raises(ValueError, match=match):
        bg.conditional_expected_purchases(1.0, data["frequency"], data["recency"], data["T"])


def test_bad_prediction_arguments(bg):
    with pytest.raises(ValueError, match="t must be"):
        bg.conditional_expected_purchases(-1, [1], [1], [2])
    with pytest.raises(ValueError, match="t: row 0"):
        bg.expected_purchases(-1)
    with pytest.raises(ValueError, match="n: row 0 .*whole"):
        bg.probability_of_n_purchases(1, 1.5)
    with pytest.raises(TypeError):
        bg.p_alive(["a"], [1], [2])
    with pytest.raises(ValueError, match="frequency: row 1 \\(index 'y'\\)"):
        bg.p_alive(pd.Series([1, -1], index=["x", "y"]), [1, 0], [2, 2])
    with pytest.raises(TypeError, match="T is required"):
        bg.p_alive([1], [1])


def test_results_identical_for_one_and_two_threads():
    sim = clmkit.BetaGeo.from_params({"r": 0.5, "alpha": 20.0, "a": 0.8, "b": 3.0}).generate(
        30_000, 365.0, seed=3
    )
    gg_x = np.maximum(sim["frequency"].to_numpy(), 1)
    gg_m = 10 + (np.arange(len(sim)) % 17)
    results = []
    for n in (1, 2):
        clmkit.set_num_threads(n)
        bg = clmkit.BetaGeo().fit(sim)
        gg = clmkit.GammaGamma().fit(gg_x, gg_m)
        results.append(
            (
                bg.params_.to_numpy(),
                bg.standard_errors_.to_numpy(),
                bg.log_likelihood_,
                bg.conditional_expected_purchases(30, sim),
                gg.params_.to_numpy(),
            )
        )
    clmkit.set_num_threads(2)
    for a, b in zip(*results):
        assert np.array_equal(np.asarray(a), np.asarray(b))


def test_gammagamma_standard_errors_match_reference_hessian():
    data = clmkit.datasets.load_cdnow_summary(with_monetary_value=True)
    rep = data[data["frequency"] > 0]
    gg = clmkit.GammaGamma().fit(data)
    nll = lambda p: (
        -gammagamma_loglik(p, rep["frequency"].to_numpy(), rep["monetary_value"].to_numpy()).sum()
    )
    cov = np.linalg.inv(numerical_hessian(nll, gg.params_.to_numpy()))
    assert np.allclose(gg.variance_matrix_.to_numpy(), cov, rtol=2e-3)


def test_the_core_checks_the_data_once_and_python_names_the_row_label(bg):
    """Validation lives in Rust (its wording: the bound is quoted, "<= T (4)"); every entry
    point taking customer columns relabels the row with the caller's pandas index."""
    f = pd.Series([1, 2], index=["a", "b"])
    calls = [
        lambda: clmkit.BetaGeo().fit(f, [3, 5], [4, 4]),
        lambda: bg.individual_log_likelihood(f, [3, 5], [4, 4]),
        lambda: bg.p_alive(f, [3, 5], [4, 4]),
        lambda: bg.conditional_probability_of_n_purchases(1.0, 0, f, [3, 5], [4, 4]),
        lambda: clmkit.ParetoNBD.from_params(
            [1, 1, 1, 1]
        ).discounted_expected_residual_transactions(f, [3, 5], [4, 4], discount_rate=0.01),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=r"recency: row 1 \(index 'b'\) .* <= T \(4\)"):
            call()
    bgbb = clmkit.BetaGeoBetaBinom.from_params([1.0, 1.0, 1.0, 1.0])
    for call in (
        lambda: bgbb.p_alive(f, [3, 5], [4, 4]),
        lambda: bgbb.conditional_expected_purchases(2, f, [3, 5], [4, 4]),
    ):
        with pytest.raises(ValueError, match=r"recency: row 1 \(index 'b'\) .* <= n_periods \(4\)"):
            call()
