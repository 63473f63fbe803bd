"""Numeric and bad-input fixes of the survival models (issue 18)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import clmkit
import numpy as np
import pandas as pd
import pytest
from clmkit.exceptions import InvalidValueError


@pytest.fixture(scope="module")
def rossi():
    return clmkit.datasets.load_rossi()


@pytest.mark.parametrize("unit", [1e160, 1e-13, 1e-200, 1e200])
def test_cox_is_invariant_to_the_units_of_a_covariate(rossi, unit):
    """A covariate in other units is the same model: its coefficient and SE scale by 1/unit,
    everything else (other coefficients, likelihood, baseline, predictions) is unchanged."""
    ref = clmkit.CoxPH().fit(rossi, "week", "arrest")
    scaled = rossi.assign(prio=rossi["prio"] * unit)
    fit = clmkit.CoxPH().fit(scaled, "week", "arrest")
    assert fit.params_["prio"] * unit == pytest.approx(ref.params_["prio"], rel=1e-9)
    assert fit.standard_errors_["prio"] * unit == pytest.approx(
        ref.standard_errors_["prio"], rel=1e-9
    )
    others = ref.params_.index.drop("prio")
    np.testing.assert_allclose(fit.params_[others], ref.params_[others], rtol=1e-9)
    np.testing.assert_allclose(
        fit.standard_errors_[others], ref.standard_errors_[others], rtol=1e-9
    )
    assert fit.log_likelihood_ == pytest.approx(ref.log_likelihood_, rel=1e-12)
    np.testing.assert_allclose(
        fit.baseline_cumulative_hazard_, ref.baseline_cumulative_hazard_, rtol=1e-9
    )
    np.testing.assert_allclose(
        fit.predict_survival_function(scaled.head(5), times=[10, 40]),
        ref.predict_survival_function(rossi.head(5), times=[10, 40]),
        rtol=1e-9,
    )
    assert fit.concordance_index_ == ref.concordance_index_


def test_cox_standardised_fit_matches_the_hand_scaled_one(rossi):
    """Independent reference for the back-transform: scale the column by hand to unit sd,
    fit, and divide by the sd."""
    sd = rossi["age"].std()
    ref = clmkit.CoxPH().fit(rossi.assign(age=rossi["age"] / sd), "week", "arrest")
    fit = clmkit.CoxPH().fit(rossi, "week", "arrest")
    assert fit.params_["age"] == pytest.approx(ref.params_["age"] / sd, rel=1e-10)
    assert fit.variance_matrix_.loc["age", "age"] == pytest.approx(
        ref.variance_matrix_.loc["age", "age"] / sd**2, rel=1e-9
    )


def test_constant_column_is_still_named(rossi):
    with pytest.raises(ValueError, match="'k' is constant"):
        clmkit.CoxPH().fit(rossi.assign(k=1e-13), "week", "arrest")


def test_twenty_thousand_one_hot_columns_raise_instead_of_aborting():
    code = textwrap.dedent(
        """
        import numpy as np, pandas as pd, clmkit
        n, p = 300, 20_000
        rng = np.random.default_rng(0)
        hot = np.zeros((n, p), dtype=np.uint8)
        hot[np.arange(n), rng.integers(0, p, n)] = 1
        df = pd.DataFrame(hot, columns=[f"c{j}" for j in range(p)])
        df["T"] = rng.exponential(5, n)
        df["E"] = 1
        for model in (clmkit.CoxPH(penalizer=0.1), clmkit.WeibullAFT()):
            try:
                model.fit(df, "T", "E")
            except ValueError as err:
                print("ValueError:", err)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    assert len(lines) == 2
    assert all(line.startswith("ValueError: df has 200") for line in lines), lines
    assert all("covariate columns" in line for line in lines)


def test_kaplan_meier_predict_nan_is_an_error_naming_times():
    km = clmkit.KaplanMeier().fit([1, 2, 3], [1, 1, 0])
    with pytest.raises(ValueError, match="times: row 0 has invalid value nan"):
        km.predict(float("nan"))
    with pytest.raises(ValueError, match=r"times: row 2 \(index 'c'\)"):
        km.predict(pd.Series([1.0, 2.0, np.nan], index=["a", "b", "c"]))
    with pytest.raises(ValueError, match="times: row 1"):
        clmkit.NelsonAalen().fit([1, 2, 3]).predict([1.0, np.nan])
    # infinite times are fine: S(inf) is the curve's last value
    assert km.predict(np.inf) == km.survival_function_.iloc[-1, 0]


@pytest.mark.parametrize("cls", [clmkit.KaplanMeier, clmkit.NelsonAalen])
def test_entry_at_or_after_the_exit_is_refused_naming_the_row_label(cls):
    t = pd.Series([5.0, 3.0, 8.0], index=["ann", "bob", "cy"])
    e = pd.Series([1, 0, 1], index=t.index)
    entry = pd.Series([0.0, 3.0, 1.0], index=t.index)
    with pytest.raises(InvalidValueError) as err:
        cls().fit(t, e, entry=entry)
    assert err.value.arg == "entry" and err.value.row == "bob" and err.value.value == "3.0"
    assert "(index 'bob')" in str(err.value)
    with pytest.raises(ValueError, match=r"entry: row 2 \(index 'cy'\) has invalid value 9\.0"):
        cls().fit(t, e, entry=entry.set_axis(t.index).replace(1.0, 9.0))


def test_kaplan_meier_with_entry_equal_duration_for_every_row_no_longer_gives_zero():
    # before: S = 0 everywhere, silently
    with pytest.raises(ValueError, match="entry"):
        clmkit.KaplanMeier().fit([2.0, 3.0, 4.0], [0, 0, 0], entry=[2.0, 3.0, 4.0])


def test_kernel_errors_carry_the_callers_labels_for_every_argument():
    t = pd.Series([1.0, 2.0, 3.0], index=[10, 20, 30])
    with pytest.raises(InvalidValueError, match=r"event_observed: row 2 \(index 30\)"):
        clmkit.KaplanMeier().fit(t, pd.Series([1.0, 0.0, 0.5], index=t.index))
    with pytest.raises(InvalidValueError, match=r"weights: row 1 \(index 20\).*must be > 0"):
        clmkit.KaplanMeier().fit(t, None, weights=pd.Series([1.0, -1.0, 2.0], index=t.index))


def test_churn_probability_names_age_and_horizon(rossi):
    cox = clmkit.CoxPH().fit(rossi, "week", "arrest")
    with pytest.raises(ValueError, match="age has 3 values but X has 5 rows"):
        clmkit.churn_probability(cox, rossi.head(5), age=[1, 2, 3], horizon=10)
    with pytest.raises(ValueError, match="horizon has 2 values but X has 5 rows"):
        clmkit.churn_probability(cox, rossi.head(5), age=1, horizon=[1, 2])
    with pytest.raises(ValueError, match="age must be 1-dimensional"):
        clmkit.churn_probability(cox, rossi.head(5), age=np.ones((5, 2)), horizon=10)
    km = clmkit.KaplanMeier().fit(rossi["week"], rossi["arrest"])
    with pytest.raises(ValueError, match="age has 3 values but the other has 4"):
        clmkit.churn_probability(km, None, age=[1, 2, 3], horizon=[1, 2, 3, 4])
    p = clmkit.churn_probability(km, None, age=[1, 2, 3], horizon=5)
    s = km.predict
    np.testing.assert_allclose(p, [1 - s(a + 5) / s(a) for a in (1, 2, 3)])
