"""The survival models on the shared estimator base: clone, NotFittedError before fit, and one
checked JSON persistence scheme (issues 16 and 18)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import clmkit
import numpy as np
import pandas as pd
import pytest
from clmkit.exceptions import NotFittedError


@pytest.fixture(scope="module")
def rossi():
    return clmkit.datasets.load_rossi()


@pytest.fixture(scope="module")
def fitted(rossi):
    w = clmkit.datasets.load_waltons()
    return {
        "KaplanMeier": clmkit.KaplanMeier(alpha=0.1).fit(w["T"], w["E"]),
        "NelsonAalen": clmkit.NelsonAalen().fit(w["T"], w["E"]),
        "CoxPH": clmkit.CoxPH(penalizer=0.01).fit(rossi, "week", "arrest"),
        "WeibullAFT": clmkit.WeibullAFT().fit(rossi, "week", "arrest"),
    }


MODELS = [clmkit.KaplanMeier, clmkit.NelsonAalen, clmkit.CoxPH, clmkit.WeibullAFT]


@pytest.mark.parametrize("cls", MODELS)
def test_clone_contract_holds(cls):
    """What sklearn.base.clone does and checks: a new object from get_params() whose
    parameters are the very objects passed (no work or copies in __init__)."""
    model = cls(alpha=0.1)
    params = model.get_params()
    twin = type(model)(**params)
    assert all(twin.get_params()[k] is v for k, v in params.items())
    assert set(params) >= {"alpha"} and repr(twin) == repr(model)


@pytest.mark.parametrize("cls", MODELS)
def test_sklearn_clone_copies_the_hyperparameters(cls):
    base = pytest.importorskip("sklearn.base")
    model = cls(alpha=0.1)
    twin = base.clone(model)
    assert twin is not model and twin.get_params() == model.get_params()
    assert model.set_params(alpha=0.2).alpha == 0.2
    with pytest.raises(ValueError, match="not a parameter"):
        model.set_params(nope=1)


UNFITTED_CALLS = {
    clmkit.KaplanMeier: [
        lambda m: m.predict(1.0),
        lambda m: m.plot(),
        lambda m: m.to_json(),
        lambda m: m.survival_function_,
        lambda m: m.median_survival_time_,
        lambda m: m.confidence_interval_,
        lambda m: m.event_table,
        lambda m: m.event_observed_,
    ],
    clmkit.NelsonAalen: [
        lambda m: m.predict(1.0),
        lambda m: m.plot(),
        lambda m: m.to_json(),
        lambda m: m.cumulative_hazard_,
        lambda m: m.event_table,
    ],
    clmkit.CoxPH: [
        lambda m: m.summary,
        lambda m: m.to_json(),
        lambda m: m.params_,
        lambda m: m.concordance_index_,
        lambda m: m.baseline_survival_,
        lambda m: m.predict_survival_function(pd.DataFrame({"x": [1.0]})),
        lambda m: m.predict_median(pd.DataFrame({"x": [1.0]})),
    ],
    clmkit.WeibullAFT: [
        lambda m: m.summary,
        lambda m: m.to_json(),
        lambda m: m.params_,
        lambda m: m.rho_,
        lambda m: m.predict_survival_function(pd.DataFrame({"x": [1.0]})),
        lambda m: m.predict_expectation(pd.DataFrame({"x": [1.0]})),
    ],
}


@pytest.mark.parametrize(
    "cls, call",
    [(cls, call) for cls, calls in UNFITTED_CALLS.items() for call in calls],
)
def test_unfitted_models_raise_not_fitted_error(cls, call):
    with pytest.raises(NotFittedError, match="not fitted yet"):
        call(cls())


def test_not_fitted_error_keeps_hasattr_false_and_typos_plain():
    km = clmkit.KaplanMeier()
    assert not hasattr(km, "survival_function_")
    with pytest.raises(AttributeError) as err:
        clmkit.KaplanMeier().fit([1, 2], [1, 1]).no_such_thing_
    assert not isinstance(err.value, NotFittedError)


@pytest.mark.parametrize("name", ["KaplanMeier", "NelsonAalen", "CoxPH", "WeibullAFT"])
def test_documents_are_the_base_envelope_and_round_trip(fitted, name):
    model = fitted[name]
    doc = json.loads(model.to_json())
    assert doc["clmkit_format"] == 1 and doc["model"] == name
    back = type(model).from_json(model.to_json())
    assert back.to_json() == model.to_json()
    again = pickle.loads(pickle.dumps(model))
    assert again.to_json() == model.to_json()


def _edit(model, **state):
    doc = json.loads(model.to_json())
    doc["state"].update(state)
    return json.dumps(doc)


@pytest.mark.parametrize(
    "name, edit, field",
    [
        ("KaplanMeier", {"estimate": None}, "estimate"),
        ("KaplanMeier", {"estimate": "x"}, "estimate"),
        ("KaplanMeier", {"times": [1.0, 0.5]}, "times"),
        ("KaplanMeier", {"at_risk": [-1.0]}, "at_risk"),
        ("KaplanMeier", {"label": ["a"]}, "label"),
        ("NelsonAalen", {"estimate": [float("nan")]}, "estimate"),
        ("CoxPH", {"params": [float("nan")] * 7}, "params"),
        ("CoxPH", {"params": [0.1]}, "params"),
        ("CoxPH", {"baseline_hazard": [-1.0]}, "baseline_hazard"),
        ("CoxPH", {"n_iter": -3}, "n_iter"),
        ("CoxPH", {"covariates": [{"a": 1}]}, "covariates"),
        ("CoxPH", {"log_likelihood": float("inf")}, "log_likelihood"),
        ("WeibullAFT", {"params": [float("nan")] * 9}, "params"),
        ("WeibullAFT", {"timeline": [-1.0]}, "timeline"),
    ],
)
def test_bad_fields_are_named(fitted, name, edit, field):
    model = fitted[name]
    with pytest.raises(ValueError, match=f"'{field}'"):
        type(model).from_json(_edit(model, **edit))


def test_negative_estimate_and_bad_hyperparameters_are_refused(fitted):
    km = fitted["KaplanMeier"]
    n = len(km.survival_function_)
    with pytest.raises(ValueError, match=r"'estimate' has -0\.5"):
        clmkit.KaplanMeier.from_json(_edit(km, estimate=[-0.5] * n))
    for model, hyper in [
        (km, {"alpha": -1.0}),
        (km, {"alpha": float("nan")}),
        (km, {"ci_transform": "arcsin"}),
        (fitted["CoxPH"], {"penalizer": -2.0}),
        (fitted["CoxPH"], {"ties": "exact"}),
        (fitted["WeibullAFT"], {"alpha": 7}),
    ]:
        doc = json.loads(model.to_json())
        doc["hyperparameters"].update(hyper)
        with pytest.raises(ValueError, match=next(iter(hyper))):
            type(model).from_json(json.dumps(doc))


@pytest.mark.parametrize("cls", MODELS)
def test_truncated_deep_and_huge_documents_raise_short_value_errors(fitted, cls):
    text = fitted[cls.__name__].to_json()
    cases = [
        text[: len(text) // 2],
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 50_000 + "1" + "}" * 50_000,
        "x" * 50_000_000,
        json.dumps({"clmkit_format": 1, "model": "y" * 50_000_000}),
        "{}",
        "null",
    ]
    doc = json.loads(text)
    doc["state"]["label"] = "z" * 50_000_000
    cases.append(json.dumps(doc))
    for bad in cases:
        with pytest.raises(ValueError) as err:
            cls.from_json(bad)
        assert len(str(err.value)) < 1000
        assert not isinstance(err.value, (KeyError, AttributeError))


def test_loaded_models_predict_like_the_fitted_ones(fitted, rossi):
    cox = fitted["CoxPH"]
    back = clmkit.CoxPH.from_json(cox.to_json())
    pd.testing.assert_frame_equal(
        back.predict_survival_function(rossi.head(3), times=[10, 30]),
        cox.predict_survival_function(rossi.head(3), times=[10, 30]),
    )
    assert back.concordance_index_ == cox.concordance_index_
    wb = fitted["WeibullAFT"]
    np.testing.assert_array_equal(
        clmkit.WeibullAFT.from_json(wb.to_json()).predict_median(rossi.head(3)),
        wb.predict_median(rossi.head(3)),
    )


def test_plot_is_drawn_by_the_plotting_module():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import clmkit.survival.kaplan_meier as km_module
    import clmkit.survival.nelson_aalen as na_module

    for module in (km_module, na_module):
        assert "import matplotlib" not in Path(module.__file__).read_text()
    km = clmkit.KaplanMeier().fit([1, 2, 3, 4], [1, 0, 1, 1])
    ax = km.plot()
    assert ax.get_lines()[0].get_label() == "Kaplan-Meier estimate" and len(ax.collections) == 1
