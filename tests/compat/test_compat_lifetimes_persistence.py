"""lifetimes' ``save_model`` / ``load_model`` semantics in a checked JSON document."""

import json

import numpy as np
import pandas as pd
import pytest
from clmkit.compat.lifetimes import (
    BaseFitter,
    BetaGeoBetaBinomFitter,
    BetaGeoFitter,
    GammaGammaFitter,
    ParetoNBDFitter,
)
from clmkit.compat.lifetimes.datasets import load_cdnow_summary, load_donations


@pytest.fixture(scope="module")
def bgf():
    d = load_cdnow_summary(index_col=[0])
    return BetaGeoFitter(penalizer_coef=0.01).fit(d["frequency"], d["recency"], d["T"])


def test_round_trip_with_data(bgf, tmp_path):
    path = tmp_path / "bgf.json"
    bgf.save_model(str(path))
    new = BetaGeoFitter()
    new.load_model(str(path))
    for key in ("penalizer_coef", "_scale", "_negative_log_likelihood_"):
        assert new.__dict__[key] == bgf.__dict__[key]
    assert new.params_.equals(bgf.params_)
    pd.testing.assert_frame_equal(new.data, bgf.data)
    assert new.__dict__["predict"](1, 1, 2, 5) == bgf.predict(1, 1, 2, 5)
    assert repr(new) == repr(bgf)
    pd.testing.assert_frame_equal(new.variance_matrix_, bgf.variance_matrix_)
    assert len(new.__dict__["generate_new_data"](size=3)) == 3


def test_hand_set_parameters_are_saved(bgf, tmp_path):
    path = str(tmp_path / "m.json")
    mine = BetaGeoFitter().fit(bgf.data["frequency"], bgf.data["recency"], bgf.data["T"])
    mine.params_ = pd.Series({"r": 0.3, "alpha": 4.0, "a": 0.8, "b": 2.5})
    mine.save_model(path)
    new = BetaGeoFitter()
    new.load_model(path)
    assert new.params_.to_dict() == {"r": 0.3, "alpha": 4.0, "a": 0.8, "b": 2.5}
    assert new.predict(2, 1, 3, 9) == mine.predict(2, 1, 3, 9)


def test_placeholders_follow_lifetimes(bgf, tmp_path):
    path = str(tmp_path / "m.json")
    bgf.save_model(path, save_data=False)
    new = BetaGeoFitter()
    new.load_model(path)
    assert new.data is None and callable(new.generate_new_data)
    bgf.save_model(path, save_data=False, values_to_save=[""])
    new.load_model(path)
    assert new.data == ""
    bgf.save_model(path, save_generate_data_method=False)
    new.load_model(path)
    assert new.__dict__["generate_new_data"] is None
    assert isinstance(new.data, pd.DataFrame)
    assert new.expected_number_of_purchases_up_to_time(
        1
    ) == bgf.expected_number_of_purchases_up_to_time(1)
    with pytest.raises(TypeError, match="values_to_save"):
        bgf.save_model(path, save_data=False, values_to_save=[object()])


def test_other_fitters_and_unfitted_base(tmp_path):
    path = str(tmp_path / "m.json")
    base = BaseFitter()
    base.save_model(path)
    again = BaseFitter()
    again.load_model(path)
    assert repr(again) == repr(base) == "<lifetimes.BaseFitter>"
    d = load_donations()
    bb = BetaGeoBetaBinomFitter().fit(d["frequency"], d["recency"], d["periods"], d["weights"])
    bb.save_model(path)
    bb2 = BetaGeoBetaBinomFitter()
    bb2.load_model(path)
    assert (
        bb2.params_.equals(bb.params_)
        and bb2._negative_log_likelihood_ == bb._negative_log_likelihood_
    )
    gg = GammaGammaFitter()
    gg.params_ = pd.Series({"p": 6.25, "q": 3.74, "v": 15.44})
    gg.save_model(path)
    gg2 = GammaGammaFitter()
    gg2.load_model(path)
    assert gg2.params_.equals(gg.params_)
    with pytest.raises(ValueError, match="'class'"):
        ParetoNBDFitter().load_model(path)


def _corrupt(bgf, tmp_path, change):
    path = tmp_path / "bad.json"
    bgf.save_model(str(path))
    doc = json.loads(path.read_text())
    text = change(doc)
    path.write_text(text if isinstance(text, str) else json.dumps(doc))
    return str(path)


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda d: json.dumps(d)[:200], "truncated"),
        (lambda d: d.update(penalizer_coef=-1.0), "penalizer_coef"),
        (lambda d: d["params"].update(r="NaN"), "'r'"),
        (lambda d: d.update(scale=0.0), "'scale'"),
        (lambda d: d.update(data=[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]), "nested"),
        (
            lambda d: d.update(
                data={"columns": ["a"], "dtypes": ["float64"], "values": [[1.0]], "index": []}
            ),
            "'data'",
        ),
        (lambda d: d.update(format="lifetimes/0"), "'format'"),
        (lambda d: d.update(placeholders={"params_": None}), "'placeholders'"),
    ],
)
def test_loader_names_the_bad_field(bgf, tmp_path, change, field):
    path = _corrupt(bgf, tmp_path, change)
    fresh = BetaGeoFitter()
    with pytest.raises(ValueError, match=field):
        fresh.load_model(path)
    assert not hasattr(fresh, "params_")  # nothing changed on failure


def test_dill_file_is_refused(tmp_path):
    path = tmp_path / "old.pkl"
    path.write_bytes(b"\x80\x04\x95" + bytes(range(40)))
    with pytest.raises(ValueError, match="dill"):
        BetaGeoFitter().load_model(str(path))
    assert np.isfinite(0.0)
