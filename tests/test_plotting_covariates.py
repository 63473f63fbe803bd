"""The BTYD plots with covariate fits (issue 21): each helper takes ``covariates=`` (one
profile for the grids and the P(alive) history, one row per customer for the population
plots) and draws exactly the model method's values at those covariates; a covariate fit
without covariates is a ValueError saying what to pass."""

import matplotlib

matplotlib.use("Agg")

import clmkit
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from clmkit import plotting

NAMES = ["web", "age"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def ax():
    return plt.figure().add_subplot()


@pytest.fixture(scope="module")
def log():
    return clmkit.datasets.load_cdnow_sample()


def _with_covariates(frame, seed=2):
    rng = np.random.default_rng(seed)
    out = frame.copy()
    out["web"] = (rng.random(len(out)) < 0.45).astype(float)
    out["age"] = rng.normal(0.0, 1.0, len(out))
    return out


@pytest.fixture(scope="module")
def summary(log):
    s = clmkit.summarize(log, "customer_id", "date", freq="W")
    return _with_covariates(s)


@pytest.fixture(scope="module")
def model(summary):
    return clmkit.BetaGeo().fit(summary, purchase_covariates=NAMES, dropout_covariates=NAMES)


def _image(ax):
    return np.ma.getdata(ax.get_images()[0].get_array())


def _grid(max_f, max_r):
    f, r = np.meshgrid(np.arange(max_f + 1.0), np.arange(max_r + 1.0), indexing="ij")
    return f, np.where(f == 0, 0.0, r)


PROFILE = {"web": 1.0, "age": 0.7}


def test_probability_alive_matrix_at_one_profile(model, ax):
    plotting.plot_probability_alive_matrix(model, 6, 20, T=30, ax=ax, covariates=PROFILE)
    f, r = _grid(6, 20)
    z = np.tile([1.0, 0.7], (f.size, 1))
    want = model.p_alive(f.ravel(), r.ravel(), np.full(f.size, 30.0), covariates=z)
    np.testing.assert_allclose(_image(ax), want.reshape(f.shape), rtol=1e-12)
    # a different profile draws a different grid: the covariates are used
    plt.figure()
    other = plotting.plot_probability_alive_matrix(model, 6, 20, T=30, covariates=[0.0, -1.0])
    assert np.abs(_image(other) - _image(ax)).max() > 1e-3


def test_frequency_recency_matrix_at_one_profile(model, ax):
    profile = pd.DataFrame({"age": [0.7], "web": [1.0]})  # a one-row table, any order
    plotting.plot_frequency_recency_matrix(model, 8, 5, 15, T=20, ax=ax, covariates=profile)
    f, r = _grid(5, 15)
    z = np.tile([1.0, 0.7], (f.size, 1))
    want = model.conditional_expected_purchases(
        8, f.ravel(), r.ravel(), np.full(f.size, 20.0), covariates=z
    )
    np.testing.assert_allclose(_image(ax), want.reshape(f.shape), rtol=1e-12)


def test_history_alive_at_the_customers_covariates(model, log, ax):
    one = log[log["customer_id"] == 3]
    plotting.plot_history_alive(model, 40, one, "date", freq="W", ax=ax, covariates=PROFILE)
    drawn = ax.lines[0].get_ydata()
    plain = clmkit.BetaGeo.from_params(
        dict(zip(model.params_.index, model._state.customer_params(np.array([[1.0, 0.7]]))[0]))
    )
    plt.figure()
    reference = plotting.plot_history_alive(plain, 40, one, "date", freq="W")
    np.testing.assert_allclose(drawn, reference.lines[0].get_ydata(), rtol=1e-12)


def test_calibration_vs_holdout_with_each_customers_covariates(log, ax):
    ch = clmkit.calibration_and_holdout(log, "customer_id", "date", "1997-09-30", freq="W")
    ch = _with_covariates(ch, seed=5)
    cal = ch[["frequency_cal", "recency_cal", "T_cal", *NAMES]].rename(
        columns={"frequency_cal": "frequency", "recency_cal": "recency", "T_cal": "T"}
    )
    fit = clmkit.BetaGeo().fit(cal, purchase_covariates=NAMES, dropout_covariates=["web"])
    plotting.plot_calibration_purchases_vs_holdout_purchases(fit, ch, n=5, ax=ax)
    predicted = fit.conditional_expected_purchases(
        float(ch["duration_holdout"].iloc[0]),
        ch["frequency_cal"], ch["recency_cal"], ch["T_cal"], covariates=ch[NAMES].to_numpy(),
    )  # fmt: skip
    group = np.minimum(ch["frequency_cal"].to_numpy(), 5)
    want = pd.Series(np.asarray(predicted)).groupby(group).mean()
    np.testing.assert_allclose(ax.lines[1].get_ydata(), want.to_numpy(), rtol=1e-12)
    # covariates given explicitly (an array, one row per customer) draw the same
    plt.figure()
    again = plotting.plot_calibration_purchases_vs_holdout_purchases(
        fit, ch.drop(columns=NAMES), n=5, covariates=ch[NAMES].to_numpy()
    )
    np.testing.assert_allclose(again.lines[1].get_ydata(), want.to_numpy(), rtol=1e-12)


def test_period_transactions_sum_each_customers_probabilities(model, summary, ax):
    small = summary.iloc[:300]
    plotting.plot_period_transactions(model, small, max_frequency=4, ax=ax)
    bars = np.array([p.get_height() for p in ax.patches])
    expected = bars[5:]  # actual bars first, then the model's
    # brute force: every customer's own probabilities, one call each
    want = np.zeros(5)
    for _, row in small.iterrows():
        z = row[NAMES].to_numpy(float)
        p = [model.probability_of_n_purchases(row["T"], n, covariates=z) for n in range(4)]
        want[:4] += p
        want[4] += 1.0 - sum(p)
    np.testing.assert_allclose(expected, want, rtol=1e-10)


def test_covariate_fit_without_covariates_says_what_to_pass(model, summary, log):
    no_cov = summary.drop(columns=NAMES)
    for draw in (
        lambda: plotting.plot_probability_alive_matrix(model, 5, 10),
        lambda: plotting.plot_frequency_recency_matrix(model, 4, 5, 10),
        lambda: plotting.plot_history_alive(model, 10, log[log["customer_id"] == 3], "date"),
    ):
        with pytest.raises(
            ValueError, match=r"fitted with covariates \['web', 'age'\].*one profile"
        ):
            draw()
    with pytest.raises(ValueError, match=r"pass covariates= with one row per customer"):
        plotting.plot_period_transactions(model, no_cov)
    with pytest.raises(ValueError, match=r"have 3 rows but the data have"):
        plotting.plot_period_transactions(model, no_cov, covariates=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="takes one covariate row"):
        plotting.plot_probability_alive_matrix(model, 5, 10, covariates=np.zeros((2, 2)))
    plain = clmkit.BetaGeo().fit(no_cov)
    with pytest.raises(ValueError, match="covariates= is for models fitted with covariates"):
        plotting.plot_probability_alive_matrix(plain, 5, 10, covariates=PROFILE)
