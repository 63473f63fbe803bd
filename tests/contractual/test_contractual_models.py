"""The contractual estimators: fitting paths, fitted state, persistence, warnings, errors."""

import pickle
import warnings

import clmkit
import numpy as np
import pandas as pd
import pytest
from clmkit import _core
from clmkit.exceptions import ClmkitWarning, InvalidValueError, NotFittedError

HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


def _customers(counts):
    """Individual (renewals, churned) rows equivalent to survivor counts."""
    counts = np.asarray(counts)
    renewals, churned = [], []
    for t in range(1, len(counts)):
        lost = counts[t - 1] - counts[t]
        renewals += [t - 1] * lost
        churned += [True] * lost
    renewals += [len(counts) - 1] * counts[-1]
    churned += [False] * counts[-1]
    return pd.DataFrame({"renewals": renewals, "churned": churned})


@pytest.mark.parametrize("cls", [clmkit.ShiftedBetaGeometric, clmkit.BetaDiscreteWeibull])
def test_individual_rows_weights_and_survivors_give_the_same_fit(cls):
    by_counts = cls().fit(survivors=HIGH_END)
    rows = _customers(HIGH_END)
    by_rows = cls().fit(rows)
    np.testing.assert_allclose(by_rows.params_, by_counts.params_, rtol=1e-9)
    assert by_rows.log_likelihood_ == pytest.approx(by_counts.log_likelihood_, rel=1e-12)
    patterns = rows.value_counts().reset_index(name="n")
    by_weights = cls().fit(patterns, weights="n")
    np.testing.assert_allclose(by_weights.params_, by_counts.params_, rtol=1e-9)
    arrays = cls().fit(renewals=rows["renewals"].to_numpy(), churned=rows["churned"].to_numpy())
    np.testing.assert_allclose(arrays.params_, by_counts.params_, rtol=1e-9)
    k = len(cls._param_names)
    assert by_counts.aic_ == pytest.approx(2 * k - 2 * by_counts.log_likelihood_)
    assert by_counts.bic_ == pytest.approx(k * np.log(1000) - 2 * by_counts.log_likelihood_)
    summary = by_counts.summary
    assert list(summary.columns) == ["coef", "se", "lower 95%", "upper 95%"]
    assert (summary["lower 95%"] < summary["coef"]).all() and (
        summary["coef"] < summary["upper 95%"]
    ).all()


def test_several_cohorts_shared_and_per_cohort():
    regular = [1000, 631, 468, 382, 326, 289, 262, 241]
    shared = clmkit.ShiftedBetaGeometric(per_cohort=True).fit(
        survivors={"regular": regular, "high_end": HIGH_END}
    )
    alone = clmkit.ShiftedBetaGeometric().fit(survivors=HIGH_END)
    assert shared.cohort_models_["high_end"].params_.equals(alone.params_)
    # The pooled likelihood is the sum of the cohorts' at the shared parameters, below the
    # sum of their separate maxima.
    separate = sum(m.log_likelihood_ for m in shared.cohort_models_.values())
    assert shared.log_likelihood_ < separate
    again = clmkit.ShiftedBetaGeometric.from_json(shared.to_json())
    assert again.cohort_models_["regular"].params_.equals(shared.cohort_models_["regular"].params_)


def test_not_fitted_persistence_pickle_and_clone():
    model = clmkit.BetaDiscreteWeibull()
    with pytest.raises(NotFittedError):
        model.survival_function(3)
    with pytest.raises(NotFittedError):
        model.to_json()
    model.fit(survivors=HIGH_END)
    again = clmkit.BetaDiscreteWeibull.from_json(model.to_json())
    assert again.params_.equals(model.params_)
    assert again.variance_matrix_.equals(model.variance_matrix_)
    assert again.discounted_expected_residual_lifetime(
        2, 0.1
    ) == model.discounted_expected_residual_lifetime(2, 0.1)
    pickled = pickle.loads(pickle.dumps(model))
    assert pickled.survival_function(7) == model.survival_function(7)
    with pytest.raises(ValueError, match="not a ShiftedBetaGeometric"):
        clmkit.ShiftedBetaGeometric.from_json(model.to_json())
    broken = model.to_json().replace('"params": [', '"params": [-1.0, ')
    with pytest.raises(ValueError, match="params"):
        clmkit.BetaDiscreteWeibull.from_json(broken)
    sklearn_base = pytest.importorskip("sklearn.base")
    clone = sklearn_base.clone(clmkit.ShiftedBetaGeometric(max_iter=7))
    assert clone.max_iter == 7


def test_boundary_fit_warns_and_no_churn_is_an_error():
    geometric = [1e6 * 0.7**t for t in range(12)]  # one churn probability for everyone
    with pytest.warns(ClmkitWarning, match="boundary|singular|converge"):
        clmkit.ShiftedBetaGeometric().fit(survivors=geometric)
    with pytest.raises(ValueError, match="no customer churned"):
        clmkit.ShiftedBetaGeometric().fit(survivors=[10, 10, 10])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ClmkitWarning)
        clmkit.ShiftedBetaGeometric().fit(survivors=HIGH_END)


def test_bad_rows_are_named_with_their_label():
    rows = pd.DataFrame({"renewals": [0, 2.5, 1], "churned": [1, 0, 1]}, index=["a", "b", "c"])
    with pytest.raises(
        InvalidValueError, match=r"renewals: row 1 \(index 'b'\) has invalid value 2.5"
    ):
        clmkit.ShiftedBetaGeometric().fit(rows)
    with pytest.raises(InvalidValueError, match="churned"):
        clmkit.ShiftedBetaGeometric().fit(renewals=[0, 1], churned=[1, 3])
    with pytest.raises(InvalidValueError, match="survivors: row 2"):
        clmkit.ShiftedBetaGeometric().fit(survivors=[10, 8, 9])
    with pytest.raises(ValueError, match="initial_params"):
        clmkit.ShiftedBetaGeometric(initial_params=[1.0]).fit(survivors=HIGH_END)
    with pytest.raises(ValueError, match="discount_rate"):
        clmkit.ShiftedBetaGeometric().fit(survivors=HIGH_END).discounted_expected_residual_lifetime(
            1, 0.0
        )


@pytest.mark.parametrize("kind,truth", [("sbg", [0.8, 2.5]), ("bdw", [1.2, 3.0, 0.7])])
def test_simulation_recovery_with_censoring(kind, truth):
    horizons = np.arange(300_000, dtype=float) % 36 + 1  # staggered entry: censored at 1..36
    renewals, churned = _core.contractual_simulate(kind, truth, horizons, 2026)
    assert 0.2 < churned.mean() < 0.9
    cls = clmkit.ShiftedBetaGeometric if kind == "sbg" else clmkit.BetaDiscreteWeibull
    model = cls().fit(renewals=renewals, churned=churned)
    z = (model.params_.to_numpy() - truth) / model.standard_errors_.to_numpy()
    assert np.all(np.abs(z) < 4), (model.params_, model.standard_errors_)


def test_predictions_shapes_and_churn_probability():
    model = clmkit.ShiftedBetaGeometric().fit(survivors=HIGH_END)
    t = pd.Series([1.0, 2.0], index=["x", "y"])
    assert list(model.survival_function(t).index) == ["x", "y"]
    assert isinstance(model.retention_rate(3), float)
    s = model.survival_function(np.arange(6))
    pmf = model.churn_pmf(np.arange(1, 6))
    np.testing.assert_allclose(s[:-1] - s[1:], pmf, rtol=1e-12)
    cond = model.conditional_survival(5, 2)
    assert cond == pytest.approx(s[5] / s[2])
    p = clmkit.churn_probability(model, age=[0, 4], horizon=1)
    np.testing.assert_allclose(p, 1 - model.retention_rate(np.array([1.0, 5.0])), rtol=1e-12)
    a, b = model.params_
    assert model.expected_residual_lifetime(3) == np.inf  # alpha < 1: heavy tail
    high = clmkit.ShiftedBetaGeometric().fit(survivors=[1000, 500, 300, 200, 140])
    if high.params_["alpha"] > 1:
        a, b = high.params_
        assert high.expected_residual_lifetime(2) == pytest.approx((b + 2) / (a - 1))


def test_plots_return_axes():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    model = clmkit.BetaDiscreteWeibull().fit(survivors=HIGH_END)
    fig, (left, right) = plt.subplots(1, 2)
    ax = model.plot_survival(survivors={"high end": HIGH_END}, ax=left)
    assert ax is left and ax.get_ylabel() == "share still active"
    ax2 = model.plot_retention(survivors=HIGH_END, periods=20, ax=right)
    assert len(ax2.lines) == 2  # model and actual
    np.testing.assert_allclose(ax2.lines[0].get_ydata(), model.retention_rate(np.arange(1.0, 21)))
    plt.close(fig)
