"""The typed door of the BTYD models (issue 16): fitted models cross as ``_core.BtydFit``
objects whose methods predict, not as model-name strings plus parameter vectors; and BTYD
models save in the one estimator envelope, still loading documents saved before it."""

from __future__ import annotations

import ast
import json
import pickle
from pathlib import Path

import clmkit
import numpy as np
import pytest
from clmkit import _core

STUB = Path(clmkit.__file__).with_name("_core.pyi")
SAVED = Path(__file__).with_name("data") / "saved_before_envelope.json"
#: Door functions that take a model (a ``_core.ModelKind``, or its name parsed once at the
#: door): fitting and its evaluation hooks (the model is being built there, so there is no
#: fitted object yet). Predictions are never among them.
FIT_TIME = {
    "btyd_fit",
    "btyd_bootstrap_resample",
    "btyd_loglik_grad",
    "btyd_check_data",
    "btyd_model_layout",
    "btyd_covariate_fit",
    # the distributed (Dask) covariate fit: log-likelihood, gradient and Hessian at theta
    "btyd_covariate_second",
}
PREDICTION_WORDS = (
    "p_alive",
    "expected_purchases",
    "probability_of_n",
    "expected_spend",
    "dert",
    "generate",
    "loglik",
    "lifetime_value",
)


def _stub_functions() -> dict[str, list[str]]:
    tree = ast.parse(STUB.read_text())
    return {
        node.name: [a.arg for a in node.args.args]
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    }


def test_no_core_function_takes_a_model_name_to_predict():
    functions = _stub_functions()
    named = {name for name, args in functions.items() if "model" in args}
    assert named <= FIT_TIME, f"model-name functions outside fitting: {named - FIT_TIME}"
    compiled = {n for n in dir(_core) if callable(getattr(_core, n)) and not n[0].isupper()}
    for name in compiled:
        if any(word in name for word in PREDICTION_WORDS) and name not in FIT_TIME:
            args = functions.get(name, [])
            # The remaining free prediction functions take a fitted object, not a name.
            assert "model" not in args and "params" not in args, (name, args)
    for method in (
        "p_alive",
        "conditional_expected_purchases",
        "conditional_probability_of_n_purchases",
        "expected_purchases",
        "probability_of_n_purchases",
        "p_alive_grid",
        "conditional_expected_purchases_grid",
        "loglik_rows",
        "conditional_expected_spend",
        "dert",
        "generate",
        "with_params",
    ):
        assert callable(getattr(_core.BtydFit, method)), method


MODEL_CLASSES = {
    "bgnbd": clmkit.BetaGeo,
    "mbgnbd": clmkit.ModifiedBetaGeo,
    "paretonbd": clmkit.ParetoNBD,
    "bgbb": clmkit.BetaGeoBetaBinom,
    "gammagamma": clmkit.GammaGamma,
}
#: The papers' parameter names (FHL 2005, BDF 2007, SMC 1987, FHS 2010, note 025).
PARAM_NAMES = {
    "bgnbd": ["r", "alpha", "a", "b"],
    "mbgnbd": ["r", "alpha", "a", "b"],
    "paretonbd": ["r", "alpha", "s", "beta"],
    "bgbb": ["alpha", "beta", "gamma", "delta"],
    "gammagamma": ["p", "q", "v"],
}


def test_model_kind_round_trips_through_its_name_and_refuses_unknown_names():
    kinds = _core.ModelKind.all()
    attributes = [a for a in dir(_core.ModelKind) if a.isupper()]
    # The class attributes are exactly the kinds, each once.
    assert sorted(getattr(_core.ModelKind, a).name for a in attributes) == sorted(
        k.name for k in kinds
    )
    assert sorted(k.name for k in kinds) == sorted(MODEL_CLASSES)
    for kind in kinds:
        back = _core.ModelKind.from_name(kind.name)
        assert back == kind and hash(back) == hash(kind) and str(kind) == kind.name
        assert eval(repr(kind), {"ModelKind": _core.ModelKind}) == kind
        assert pickle.loads(pickle.dumps(kind)) == kind
        assert kind.param_names == PARAM_NAMES[kind.name]
        assert all(other != kind for other in kinds if other.name != kind.name)
    for bad in ["BetaGeo", "bg_nbd", ""]:
        with pytest.raises(ValueError, match="unknown model") as err:
            _core.ModelKind.from_name(bad)
        assert all(name in str(err.value) for name in MODEL_CLASSES), err.value


def test_every_model_class_holds_its_kind_and_its_fits_carry_it(cdnow):
    for name, cls in MODEL_CLASSES.items():
        assert cls._model_kind == _core.ModelKind.from_name(name) and cls._core_name == name
    bg = clmkit.BetaGeo().fit(cdnow)
    assert bg._fit_state().kind == _core.ModelKind.BG_NBD and bg._fit_state().model == "bgnbd"
    loaded = _core.BtydFit.from_json(bg._fit_state().to_json())
    assert loaded.kind == _core.ModelKind.BG_NBD


def test_the_door_takes_a_kind_or_a_name_parsed_once_with_the_same_bits(cdnow):
    cols = [cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T")]
    by_kind = _core.btyd_fit(_core.ModelKind.PARETO_NBD, cols, None, 0.0, None, 1e-8, 1000, None)
    by_name = _core.btyd_fit("paretonbd", cols, None, 0.0, None, 1e-8, 1000, None)
    assert by_kind.kind == by_name.kind == _core.ModelKind.PARETO_NBD
    assert np.array_equal(by_kind.params, by_name.params)
    assert np.array_equal(by_kind.params, clmkit.ParetoNBD().fit(cdnow).params_.to_numpy())
    assert _core.btyd_model_layout(_core.ModelKind.BG_NBD) == _core.btyd_model_layout("bgnbd")
    with pytest.raises(ValueError, match='unknown model "pareto"; expected one of .*"paretonbd"'):
        _core.btyd_fit("pareto", cols, None, 0.0, None, 1e-8, 1000, None)
    with pytest.raises(TypeError, match="ModelKind or a model name, got int"):
        _core.btyd_model_layout(3)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def cdnow():
    return clmkit.datasets.load_cdnow_summary(with_monetary_value=True)


@pytest.mark.parametrize("cls", [clmkit.BetaGeo, clmkit.ModifiedBetaGeo, clmkit.ParetoNBD])
def test_multi_horizon_call_equals_one_horizon_calls_bit_for_bit(cls, cdnow):
    model = cls().fit(cdnow)
    cols = [cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T")]
    horizons = [0.0, 1.0, 13.0, 39.0, 52.0, 104.0]
    both = model._fit_state().conditional_expected_purchases(horizons, *cols)
    assert both.shape == (len(horizons), len(cdnow))
    for row, t in zip(both, horizons):
        one = model.conditional_expected_purchases(t, *cols)
        assert np.array_equal(row, one), t
    assert np.all(both[0] == 0.0) and np.all(np.diff(both, axis=0) >= 0)


def test_bgbb_multi_horizon_and_periods_ahead():
    don = clmkit.datasets.load_donations()
    bb = clmkit.BetaGeoBetaBinom().fit(
        don["frequency"], don["recency"], don["periods"], weights=don["weights"]
    )
    cols = [don[c].to_numpy(float) for c in ("frequency", "recency", "periods")]
    both = bb._fit_state().conditional_expected_purchases([1.0, 5.0], *cols)
    for row, m in zip(both, (1, 5)):
        assert np.array_equal(row, bb.conditional_expected_purchases(m, *cols))
    ahead = bb._fit_state().p_alive(*cols, periods_ahead=1.0)
    assert np.array_equal(ahead, bb.p_alive(*cols, periods_ahead=1))


def test_with_params_predicts_as_a_model_set_to_those_params(cdnow):
    bg = clmkit.BetaGeo().fit(cdnow)
    other = [0.3, 5.0, 0.7, 2.0]
    replica = bg._fit_state().with_params(other)
    reference = clmkit.BetaGeo.from_params(dict(zip(bg.params_.index, other)))
    cols = [cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T")]
    assert np.array_equal(replica.p_alive(*cols), reference.p_alive(*cols))
    assert replica.params == other and bg._fit_state().params == bg.params_.tolist()
    with pytest.raises(ValueError, match="alpha must be finite and > 0"):
        bg._fit_state().with_params([0.3, -5.0, 0.7, 2.0])


def test_a_prediction_the_model_does_not_make_is_refused_by_name(cdnow):
    rep = cdnow[cdnow["frequency"] > 0]
    gg = clmkit.GammaGamma().fit(rep["frequency"], rep["monetary_value"])
    x = np.array([1.0])
    with pytest.raises(ValueError, match="p_alive is not a prediction of the gammagamma model"):
        gg._fit_state().p_alive(x, x, x)
    bg = clmkit.BetaGeo().fit(cdnow)
    with pytest.raises(ValueError, match="generate is not a prediction of the bgnbd model"):
        bg._fit_state().generate(x, 1)
    with pytest.raises(ValueError, match="purchase-count model in continuous time"):
        _core.clv_time_to_expected_purchases(gg._fit_state(), x, x, x, 1.0, 10.0, 4)


def test_documents_are_enveloped_and_round_trip(cdnow):
    bg = clmkit.BetaGeo(penalizer=0.001).fit(cdnow)
    doc = json.loads(bg.to_json())
    assert doc["clmkit_format"] == 1 and doc["model"] == "BetaGeo"
    assert doc["hyperparameters"]["penalizer"] == 0.001
    assert doc["state"]["format"] == "clmkit.btyd" and doc["state"]["model"] == "bgnbd"
    back = clmkit.btyd.BTYDFitter.from_json(bg.to_json())
    assert isinstance(back, clmkit.BetaGeo) and back.to_json() == bg.to_json()
    # Schema errors name the field.
    for edit, field in [
        (lambda d: d.update(model="Nope"), "'model'"),
        (lambda d: d.update(model="ParetoNBD"), "'model'"),
        (lambda d: d.update(clmkit_format=99), "format 99"),
        (lambda d: d.pop("state"), "'state'"),
        (lambda d: d.update(state=[1]), "'state'"),
        (lambda d: d.update(hyperparameters={"bogus": 1}), "bogus"),
        (lambda d: d["state"].update(model="bgbb"), "saved bgbb model has parameters"),
    ]:
        bad = json.loads(bg.to_json())
        edit(bad)
        with pytest.raises(ValueError, match=field):
            clmkit.BetaGeo.from_json(json.dumps(bad))
    # Hyperparameters given as numpy arrays or Series are saved as JSON lists / objects.
    init = clmkit.BetaGeo(initial_params=np.array([0.2, 4.0, 0.8, 2.4])).fit(cdnow)
    assert json.loads(init.to_json())["hyperparameters"]["initial_params"] == [0.2, 4.0, 0.8, 2.4]


@pytest.mark.parametrize(
    "name", ["BetaGeo", "ParetoNBD", "BetaGeoBetaBinom", "GammaGamma", "BetaGeo with covariates"]
)
def test_documents_saved_before_the_envelope_still_load(name, cdnow):
    saved = json.loads(SAVED.read_text())[name]
    model = getattr(clmkit, name.split()[0]).from_json(saved["document"])
    assert isinstance(clmkit.btyd.BTYDFitter.from_json(saved["document"]), type(model))
    head = cdnow.head(5)
    f, r, T = (head[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    if name == "BetaGeo with covariates":
        z = np.array(saved["covariates"], dtype=float).reshape(-1, 1)
        got = model.p_alive(f, r, T, covariates=z)
    elif name == "BetaGeo":
        got = model.conditional_expected_purchases(39, f, r, T)
    elif name == "ParetoNBD":
        got = model.p_alive(f, r, T)
    elif name == "BetaGeoBetaBinom":
        d = clmkit.datasets.load_donations().head(5)
        cols = [d[c].to_numpy(float) for c in ("frequency", "recency", "periods")]
        got = model.conditional_expected_purchases(5, *cols)
    else:
        got = model.conditional_expected_spend(f, head["monetary_value"].to_numpy(float))
    assert np.array_equal(got, saved["expected"])
    # Re-saved, it is in the envelope with the same state.
    doc = json.loads(model.to_json())
    assert doc["model"] == name.split()[0] and doc["state"] == json.loads(saved["document"])
