"""The BTYD models on the shared estimator base (issue 16): scikit-learn's hyperparameter
contract, NotFittedError before fit, information criteria, and model documents checked
field by field at load time (issue 18)."""

import json
import math

import clmkit
import numpy as np
import pytest
from clmkit.exceptions import NotFittedError

COUNT_MODELS = [clmkit.BetaGeo, clmkit.ModifiedBetaGeo, clmkit.ParetoNBD]
ALL_MODELS = [*COUNT_MODELS, clmkit.BetaGeoBetaBinom, clmkit.GammaGamma]


@pytest.fixture(scope="module")
def cdnow():
    return clmkit.datasets.load_cdnow_summary()


@pytest.mark.parametrize("cls", ALL_MODELS)
def test_get_set_params_and_clone(cls):
    model = cls(penalizer=0.01, max_iter=50)
    params = model.get_params()
    assert params == {
        "initial_params": None,
        "max_iter": 50,
        "penalizer": 0.01,
        "tol": 1e-8,
        "covariate_penalizer": 0.0,
        "constrain_covariates": (),
    }
    again = type(model)(**params)
    assert again.get_params() == params
    assert model.set_params(tol=1e-6) is model and model.tol == 1e-6
    with pytest.raises(ValueError, match="not a parameter"):
        model.set_params(learning_rate=1)


@pytest.mark.parametrize("cls", ALL_MODELS)
def test_sklearn_clone(cls):
    sklearn_base = pytest.importorskip("sklearn.base")
    model = cls(penalizer=0.01)
    assert sklearn_base.clone(model).get_params() == model.get_params()


@pytest.mark.parametrize("cls", ALL_MODELS)
def test_not_fitted_error_before_fit(cls):
    model = cls()
    for call in (lambda: model.summary, model.to_json, lambda: model.params_):
        with pytest.raises((NotFittedError, AttributeError)):
            call()
    with pytest.raises(NotFittedError):
        model.to_json()
    with pytest.raises(NotFittedError):
        model.summary


@pytest.mark.parametrize("cls", COUNT_MODELS)
def test_not_fitted_error_from_predictions(cls):
    with pytest.raises(NotFittedError):
        cls().p_alive(1, 2, 3)
    with pytest.raises(NotFittedError):
        cls().conditional_expected_purchases(1, 1, 2, 3)


@pytest.mark.parametrize("cls", COUNT_MODELS)
def test_aic_and_bic_from_the_per_customer_likelihood(cls, cdnow):
    fit = cls().fit(cdnow)
    ll = float(np.sum(fit.individual_log_likelihood(cdnow)))
    k, n = len(fit.params_), len(cdnow)
    assert fit.aic_ == pytest.approx(2 * k - 2 * ll, rel=1e-9)
    assert fit.bic_ == pytest.approx(k * math.log(n) - 2 * ll, rel=1e-9)
    unfitted = cls.from_params(fit.params_.to_dict())
    assert math.isnan(unfitted.aic_)


def tamper(text, path, value):
    doc = json.loads(text)
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return json.dumps(doc)


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("state", "fit", "params", 1), -4.0, "fit.params"),
        (("state", "fit", "params", 0), None, "fit.params"),  # NaN is written as null
        (("state", "time_unit", "freq"), "fortnight", "time_unit.freq"),
        (("state", "time_unit", "multiplier"), 0.0, "time_unit.multiplier"),
        (("state", "options", "tol"), -1.0, "options.tol"),
        (("state", "fit", "time_scale"), -3.0, "fit.time_scale"),
    ],
)
def test_documents_are_checked_at_load_time(cdnow, path, value, field):
    text = clmkit.BetaGeo().fit(cdnow).to_json()
    assert json.loads(text)["state"]["time_unit"] is not None
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        clmkit.BetaGeo.from_json(tamper(text, path, value))
