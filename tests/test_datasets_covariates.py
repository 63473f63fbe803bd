"""clmkit.datasets.simulate_covariate_summary / _transactions: moments per covariate cell
against the plain models' own predictions at that cell's parameters, and bad input."""

from __future__ import annotations

import clmkit
import numpy as np
import pandas as pd
import pytest
from clmkit.datasets import (
    customer_parameters,
    simulate_covariate_summary,
    simulate_covariate_transactions,
)

N_CELL = 60_000  # customers per covariate cell
CELLS = np.repeat([0.0, 1.0], N_CELL)
BGNBD = {"r": 0.6, "alpha": 5.0, "a": 0.8, "b": 2.5}
PNBD = {"r": 0.6, "alpha": 5.0, "s": 0.7, "beta": 12.0}
BGBB = {"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.78}
SPEND = {"p": 6.0, "q": 4.0, "v": 15.0}
MODELS = {
    "bgnbd": (clmkit.BetaGeo, BGNBD, {"purchase": {"web": 0.6}, "dropout_a": {"web": -0.4}}),
    "mbgnbd": (
        clmkit.ModifiedBetaGeo,
        BGNBD,
        {"purchase": {"web": -0.5}, "dropout_b": {"web": 0.5}},
    ),
    "paretonbd": (clmkit.ParetoNBD, PNBD, {"purchase": {"web": 0.6}, "dropout": {"web": 0.8}}),
    "bgbb": (
        clmkit.BetaGeoBetaBinom,
        BGBB,
        {"purchase_alpha": {"web": 0.7}, "dropout_delta": {"web": 0.6}},
    ),
}


def cell_model(key: str, web: float):
    cls, base, coefs = MODELS[key]
    p = customer_parameters(key, base, coefs, {"web": np.array([web])}, 1)
    return cls.from_params({k: float(v[0]) for k, v in p.items()})


def within(sample: np.ndarray, expected: float, sigmas: float = 4.5) -> bool:
    se = sample.std(ddof=1) / np.sqrt(len(sample))
    return abs(sample.mean() - expected) < sigmas * se


@pytest.mark.parametrize("key", sorted(MODELS))
def test_mean_frequency_and_pmf_per_cell_match_the_plain_model(key):
    _, base, coefs = MODELS[key]
    horizon = 6 if key == "bgbb" else 30.0
    sim = simulate_covariate_summary(key, 2 * N_CELL, base, coefs, {"web": CELLS}, horizon, 5)
    means = []
    for web in (0.0, 1.0):
        model = cell_model(key, web)
        freq = sim.loc[sim["web"] == web, "frequency"].to_numpy()
        expected = float(model.expected_purchases(horizon))
        assert within(freq, expected), (key, web, freq.mean(), expected)
        for k in range(4):
            pmf = float(model.probability_of_n_purchases(horizon, k))
            share = np.mean(freq == k)
            assert abs(share - pmf) < 4.5 * np.sqrt(pmf * (1 - pmf) / len(freq)), (key, web, k)
        means.append(freq.mean())
    # the covariate moves the cells apart (the test would not pass with the links ignored)
    assert abs(means[1] - means[0]) > 0.05 * max(means)


@pytest.mark.parametrize("key", ["bgnbd", "paretonbd"])
def test_plain_fit_of_one_cell_recovers_that_cells_parameters(key):
    # The joint law of (frequency, recency): the plain MLE on one cell lands on the cell's
    # parameters within 4.5 standard errors.
    _, base, coefs = MODELS[key]
    sim = simulate_covariate_summary(key, 2 * N_CELL, base, coefs, {"web": CELLS}, 30.0, 11)
    truth = cell_model(key, 1.0).params_
    fit = type(cell_model(key, 1.0))().fit(sim[sim["web"] == 1.0])
    z = (fit.params_ - truth) / fit.standard_errors_
    assert (z.abs() < 4.5).all(), z


def test_spend_mean_per_cell_matches_gamma_gamma():
    params = {**BGNBD, **SPEND}
    coefs = {"purchase": {"web": 0.3}, "spend": {"web": 0.5, "age": -0.2}}
    age = np.zeros(2 * N_CELL)
    sim = simulate_covariate_summary("bgnbd", 2 * N_CELL, params, coefs, {"web": CELLS, "age": age})
    assert (sim.loc[sim["frequency"] == 0, "monetary_value"] == 0).all()
    for web in (0.0, 1.0):
        buyers = sim[(sim["web"] == web) & (sim["frequency"] > 0)]
        gg = clmkit.GammaGamma.from_params({**SPEND, "v": SPEND["v"] * np.exp(0.5 * web)})
        assert within(buyers["monetary_value"].to_numpy(), gg.expected_spend())


def test_transaction_log_follows_the_cell_parameters_and_first_amount():
    params = {"r": 0.5, "alpha": 20.0, "a": 0.8, "b": 2.5, **SPEND}
    coefs = {"purchase": {"web": 0.7}, "spend": {"web": 0.4}}
    n = 40_000
    web = np.tile([0.0, 1.0], n // 2)
    first = np.full(n, 12.5)
    log = simulate_covariate_transactions(
        n, params, coefs, {"web": web}, seed=2, first_amount=first
    )
    assert (log.groupby("customer_id")["amount"].first() == 12.5).all()
    summary = clmkit.summarize(log, customer_id_col="customer_id", datetime_col="date")
    summary = summary.assign(web=web[summary.index.to_numpy()])
    for cell in (0.0, 1.0):
        rows = summary[summary["web"] == cell]
        model = clmkit.BetaGeo.from_params(
            {"r": 0.5, "alpha": 20.0 * np.exp(-0.7 * cell), "a": 0.8, "b": 2.5}
        )
        expected = np.mean(model.expected_purchases(rows["T"].to_numpy()))
        assert within(rows["frequency"].to_numpy(), expected)


def test_same_seed_same_summary_and_caller_data_untouched():
    cov = pd.DataFrame({"web": CELLS[:1000], "x": np.linspace(-1, 1, 1000)}, index=range(5, 1005))
    before = cov.copy()
    a = simulate_covariate_summary("paretonbd", 1000, PNBD, {"dropout": {"x": 0.3}}, cov, 20.0, 9)
    b = simulate_covariate_summary("ParetoNBD", 1000, PNBD, {"dropout": {"x": 0.3}}, cov, 20.0, 9)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(cov, before)
    assert a.index.equals(cov.index)
    assert (a["recency"] <= a["T"]).all() and (a.loc[a["frequency"] == 0, "recency"] == 0).all()
    c = simulate_covariate_summary(clmkit.ParetoNBD, 1000, PNBD, {}, cov, 20.0, 10)
    assert not a["frequency"].equals(c["frequency"])


def test_bgbb_summary_is_a_valid_discrete_history():
    sim = simulate_covariate_summary("bgbb", 5000, BGBB, {}, None, 8, 3)
    assert list(sim.columns) == ["frequency", "recency", "n_periods", "alive"]
    assert (sim["frequency"] <= sim["recency"]).all() and (sim["recency"] <= 8).all()
    assert ((sim["frequency"] == 0) == (sim["recency"] == 0)).all()
    clmkit.BetaGeoBetaBinom().fit(sim)  # accepted by the model's own validation


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"model": "weibull"}, "model must be one of"),
        ({"coefficients": {"purchases": {"web": 1.0}}}, "unknown blocks"),
        ({"coefficients": {"purchase": {"age": 1.0}}}, "'age'"),
        ({"covariates": {"web": [0.0, np.nan, 1.0]}}, r"covariates\['web'\] must be finite: row 1"),
        ({"covariates": {"web": [0.0, 1.0]}}, "n_customers=3"),
        ({"params": {**BGNBD, "a": -1.0}}, r"params\['a'\] must be finite and > 0"),
        ({"params": {"r": 1.0, "alpha": 1.0, "a": 1.0}}, "missing"),
        ({"params": {**BGNBD, "p": 1.0}}, "p, q, v"),
        ({"T": [1.0, -1.0, 2.0]}, "T"),
    ],
)
def test_bad_input_names_the_argument(kwargs, match):
    args = {
        "model": "bgnbd",
        "n_customers": 3,
        "params": BGNBD,
        "coefficients": {"purchase": {"web": 0.5}},
        "covariates": {"web": [0.0, 1.0, 1.0]},
        "T": 10.0,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        simulate_covariate_summary(**args)


def test_covariates_of_the_wrong_type_raise_type_error():
    with pytest.raises(TypeError, match="covariates must be"):
        simulate_covariate_summary("bgnbd", 2, BGNBD, {}, [[0.0], [1.0]], 10.0)
