"""clmkit.compat.lifetimes module surface: signatures equal to lifetimes 0.11.3's, utils,
generate_data and plotting."""

import inspect

import clmkit
import clmkit.compat.lifetimes as lifetimes
import numpy as np
import pandas as pd
import pytest
from clmkit.compat.lifetimes import generate_data, utils
from clmkit.compat.lifetimes.datasets import load_cdnow_summary, load_transaction_data

# lifetimes 0.11.3's signatures (parameter names and defaults), written out from its source.
LIFETIMES_SIGNATURES = {
    "BetaGeoFitter.conditional_expected_number_of_purchases_up_to_time": [
        "t",
        "frequency",
        "recency",
        "T",
    ],
    "BetaGeoFitter.conditional_probability_alive": ["frequency", "recency", "T"],
    "BetaGeoFitter.conditional_probability_alive_matrix": [
        "max_frequency=None",
        "max_recency=None",
    ],
    "BetaGeoFitter.expected_number_of_purchases_up_to_time": ["t"],
    "BetaGeoFitter.fit": [
        "frequency",
        "recency",
        "T",
        "weights=None",
        "initial_params=None",
        "verbose=False",
        "tol=1e-07",
        "index=None",
        "**kwargs",
    ],
    "BetaGeoFitter.load_model": ["path"],
    "BetaGeoFitter.probability_of_n_purchases_up_to_time": ["t", "n"],
    "BetaGeoFitter.save_model": [
        "path",
        "save_data=True",
        "save_generate_data_method=True",
        "values_to_save=None",
    ],
    "BetaGeoFitter.__init__": ["penalizer_coef=0.0"],
    "ParetoNBDFitter.conditional_expected_number_of_purchases_up_to_time": [
        "t",
        "frequency",
        "recency",
        "T",
    ],
    "ParetoNBDFitter.conditional_probability_alive": ["frequency", "recency", "T"],
    "ParetoNBDFitter.conditional_probability_alive_matrix": [
        "max_frequency=None",
        "max_recency=None",
    ],
    "ParetoNBDFitter.conditional_probability_of_n_purchases_up_to_time": [
        "n",
        "t",
        "frequency",
        "recency",
        "T",
    ],
    "ParetoNBDFitter.expected_number_of_purchases_up_to_time": ["t"],
    "ParetoNBDFitter.fit": [
        "frequency",
        "recency",
        "T",
        "weights=None",
        "iterative_fitting=1",
        "initial_params=None",
        "verbose=False",
        "tol=0.0001",
        "index=None",
        "fit_method='Nelder-Mead'",
        "maxiter=2000",
        "**kwargs",
    ],
    "ParetoNBDFitter.load_model": ["path"],
    "ParetoNBDFitter.save_model": [
        "path",
        "save_data=True",
        "save_generate_data_method=True",
        "values_to_save=None",
    ],
    "ParetoNBDFitter.__init__": ["penalizer_coef=0.0"],
    "ModifiedBetaGeoFitter.conditional_expected_number_of_purchases_up_to_time": [
        "t",
        "frequency",
        "recency",
        "T",
    ],
    "ModifiedBetaGeoFitter.conditional_probability_alive": ["frequency", "recency", "T"],
    "ModifiedBetaGeoFitter.conditional_probability_alive_matrix": [
        "max_frequency=None",
        "max_recency=None",
    ],
    "ModifiedBetaGeoFitter.expected_number_of_purchases_up_to_time": ["t"],
    "ModifiedBetaGeoFitter.fit": [
        "frequency",
        "recency",
        "T",
        "weights=None",
        "initial_params=None",
        "verbose=False",
        "tol=1e-07",
        "index=None",
        "**kwargs",
    ],
    "ModifiedBetaGeoFitter.load_model": ["path"],
    "ModifiedBetaGeoFitter.probability_of_n_purchases_up_to_time": ["t", "n"],
    "ModifiedBetaGeoFitter.save_model": [
        "path",
        "save_data=True",
        "save_generate_data_method=True",
        "values_to_save=None",
    ],
    "ModifiedBetaGeoFitter.__init__": ["penalizer_coef=0.0"],
    "BetaGeoBetaBinomFitter.conditional_expected_number_of_purchases_up_to_time": [
        "m_periods_in_future",
        "frequency",
        "recency",
        "n_periods",
    ],
    "BetaGeoBetaBinomFitter.conditional_probability_alive": [
        "m_periods_in_future",
        "frequency",
        "recency",
        "n_periods",
    ],
    "BetaGeoBetaBinomFitter.expected_number_of_transactions_in_first_n_periods": ["n"],
    "BetaGeoBetaBinomFitter.fit": [
        "frequency",
        "recency",
        "n_periods",
        "weights=None",
        "initial_params=None",
        "verbose=False",
        "tol=1e-07",
        "index=None",
        "**kwargs",
    ],
    "BetaGeoBetaBinomFitter.load_model": ["path"],
    "BetaGeoBetaBinomFitter.save_model": [
        "path",
        "save_data=True",
        "save_generate_data_method=True",
        "values_to_save=None",
    ],
    "BetaGeoBetaBinomFitter.__init__": ["penalizer_coef=0.0"],
    "GammaGammaFitter.conditional_expected_average_profit": [
        "frequency=None",
        "monetary_value=None",
    ],
    "GammaGammaFitter.customer_lifetime_value": [
        "transaction_prediction_model",
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "time=12",
        "discount_rate=0.01",
        "freq='D'",
    ],
    "GammaGammaFitter.fit": [
        "frequency",
        "monetary_value",
        "weights=None",
        "initial_params=None",
        "verbose=False",
        "tol=1e-07",
        "index=None",
        "q_constraint=False",
        "**kwargs",
    ],
    "GammaGammaFitter.load_model": ["path"],
    "GammaGammaFitter.save_model": [
        "path",
        "save_data=True",
        "save_generate_data_method=True",
        "values_to_save=None",
    ],
    "GammaGammaFitter.__init__": ["penalizer_coef=0.0"],
    "utils.summary_data_from_transaction_data": [
        "transactions",
        "customer_id_col",
        "datetime_col",
        "monetary_value_col=None",
        "datetime_format=None",
        "observation_period_end=None",
        "freq='D'",
        "freq_multiplier=1",
        "include_first_transaction=False",
    ],
    "utils.calibration_and_holdout_data": [
        "transactions",
        "customer_id_col",
        "datetime_col",
        "calibration_period_end",
        "observation_period_end=None",
        "freq='D'",
        "freq_multiplier=1",
        "datetime_format=None",
        "monetary_value_col=None",
        "include_first_transaction=False",
    ],
    "utils.calculate_alive_path": ["model", "transactions", "datetime_col", "t", "freq='D'"],
    "utils.expected_cumulative_transactions": [
        "model",
        "transactions",
        "datetime_col",
        "customer_id_col",
        "t",
        "datetime_format=None",
        "freq='D'",
        "freq_multiplier=1",
        "set_index_date=False",
    ],
    "utils._find_first_transactions": [
        "transactions",
        "customer_id_col",
        "datetime_col",
        "monetary_value_col=None",
        "datetime_format=None",
        "observation_period_end=None",
        "freq='D'",
    ],
    "utils._customer_lifetime_value": [
        "transaction_prediction_model",
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "time=12",
        "discount_rate=0.01",
        "freq='D'",
    ],
    "generate_data.beta_geometric_nbd_model": ["T", "r", "alpha", "a", "b", "size=1"],
    "generate_data.beta_geometric_nbd_model_transactional_data": [
        "T",
        "r",
        "alpha",
        "a",
        "b",
        "observation_period_end='2019-1-1'",
        "freq='D'",
        "size=1",
    ],
    "generate_data.pareto_nbd_model": ["T", "r", "alpha", "s", "beta", "size=1"],
    "generate_data.modified_beta_geometric_nbd_model": ["T", "r", "alpha", "a", "b", "size=1"],
    "generate_data.beta_geometric_beta_binom_model": [
        "N",
        "alpha",
        "beta",
        "gamma",
        "delta",
        "size=1",
    ],
    "plotting.plot_period_transactions": [
        "model",
        "max_frequency=7",
        "title='Frequency of Repeat Transactions'",
        "xlabel='Number of Calibration Period Transactions'",
        "ylabel='Customers'",
        "**kwargs",
    ],
    "plotting.plot_calibration_purchases_vs_holdout_purchases": [
        "model",
        "calibration_holdout_matrix",
        "kind='frequency_cal'",
        "n=7",
        "**kwargs",
    ],
    "plotting.plot_frequency_recency_matrix": [
        "model",
        "T=1",
        "max_frequency=None",
        "max_recency=None",
        "title=None",
        'xlabel="Customer\'s Historical Frequency"',
        'ylabel="Customer\'s Recency"',
        "**kwargs",
    ],
    "plotting.plot_probability_alive_matrix": [
        "model",
        "max_frequency=None",
        "max_recency=None",
        "title='Probability Customer is Alive,\\nby Frequency and Recency of a Customer'",
        'xlabel="Customer\'s Historical Frequency"',
        'ylabel="Customer\'s Recency"',
        "**kwargs",
    ],
    "plotting.plot_expected_repeat_purchases": [
        "model",
        "title='Expected Number of Repeat Purchases per Customer'",
        "xlabel='Time Since First Purchase'",
        "ax=None",
        "label=None",
        "**kwargs",
    ],
    "plotting.plot_history_alive": [
        "model",
        "t",
        "transactions",
        "datetime_col",
        "freq='D'",
        "start_date=None",
        "ax=None",
        "**kwargs",
    ],
    "plotting.plot_cumulative_transactions": [
        "model",
        "transactions",
        "datetime_col",
        "customer_id_col",
        "t",
        "t_cal",
        "datetime_format=None",
        "freq='D'",
        "set_index_date=False",
        "title='Tracking Cumulative Transactions'",
        "xlabel='day'",
        "ylabel='Cumulative Transactions'",
        "ax=None",
        "**kwargs",
    ],
    "plotting.plot_incremental_transactions": [
        "model",
        "transactions",
        "datetime_col",
        "customer_id_col",
        "t",
        "t_cal",
        "datetime_format=None",
        "freq='D'",
        "set_index_date=False",
        "title='Tracking Daily Transactions'",
        "xlabel='day'",
        "ylabel='Transactions'",
        "ax=None",
        "**kwargs",
    ],
    "plotting.plot_transaction_rate_heterogeneity": [
        "model",
        "suptitle='Heterogeneity in Transaction Rate'",
        "xlabel='Transaction Rate'",
        "ylabel='Density'",
        "suptitle_fontsize=14",
        "**kwargs",
    ],
    "plotting.plot_dropout_rate_heterogeneity": [
        "model",
        "suptitle='Heterogeneity in Dropout Probability'",
        "xlabel='Dropout Probability p'",
        "ylabel='Density'",
        "suptitle_fontsize=14",
        "**kwargs",
    ],
}


def _signature(obj):
    out = []
    for p in inspect.signature(obj).parameters.values():
        if p.name == "self":
            continue
        if p.kind == p.VAR_KEYWORD:
            out.append("**" + p.name)
        elif p.default is inspect.Parameter.empty:
            out.append(p.name)
        else:
            out.append(f"{p.name}={p.default!r}")
    return out


def _resolve(name):
    owner, attr = name.split(".")
    module = {"utils": utils, "generate_data": generate_data}.get(owner)
    if owner == "plotting":
        module = pytest.importorskip("clmkit.compat.lifetimes.plotting")
    return getattr(module if module is not None else getattr(lifetimes, owner), attr)


@pytest.mark.parametrize("name", sorted(LIFETIMES_SIGNATURES))
def test_signature_equals_lifetimes(name):
    assert _signature(_resolve(name)) == LIFETIMES_SIGNATURES[name]


def test_public_names():
    for name in (
        "BetaGeoFitter",
        "ParetoNBDFitter",
        "ModifiedBetaGeoFitter",
        "BetaGeoBetaBinomFitter",
        "GammaGammaFitter",
        "utils",
        "datasets",
        "generate_data",
    ):
        assert hasattr(lifetimes, name)
    for name in utils.__all__:
        assert callable(getattr(utils, name))


@pytest.fixture(scope="module")
def log():
    return load_transaction_data()


@pytest.fixture(scope="module")
def fitted(log):
    s = utils.summary_data_from_transaction_data(log, "id", "date")
    return lifetimes.BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])


def _cumulative_by_loops(model, log, t, m):
    """lifetimes' definition written out with loops (the reference for the vectorised one)."""
    periods = utils.find_first_transactions(
        log,
        "id",
        "date",
        observation_period_end=(
            pd.to_datetime(log["date"]).min().to_period("D") + t
        ).to_timestamp(),
    )
    start = pd.to_datetime(log["date"]).min().to_period("D")
    offset = np.array([(p - start).n for p in periods["date"]])
    first = periods["first"].to_numpy()
    actual, predicted = [], []
    for i in range(1, t + 1):
        if i % m:
            continue
        ages = (i - offset[first & (offset < i)]) / m
        predicted.append(
            float(np.sum(model.expected_number_of_purchases_up_to_time(ages))) if len(ages) else 0.0
        )
        actual.append(int(np.sum(~first & (offset < i))))
    return actual, predicted


@pytest.mark.parametrize("m", [1, 7])
def test_expected_cumulative_transactions_matches_loops(fitted, log, m):
    t = 60
    got = utils.expected_cumulative_transactions(fitted, log, "date", "id", t, freq_multiplier=m)
    actual, predicted = _cumulative_by_loops(fitted, log, t, m)
    assert list(got.columns) == ["actual", "predicted"] and len(got) == t // m
    assert got["actual"].tolist() == actual
    np.testing.assert_allclose(got["predicted"], predicted, rtol=1e-12)
    dated = utils.expected_cumulative_transactions(
        fitted, log, "date", "id", t, freq_multiplier=m, set_index_date=True
    )
    assert isinstance(dated.index, pd.PeriodIndex) and len(dated) == t // m


def test_calculate_alive_path_matches_row_by_row(fitted, log):
    one = log[log["id"] == log["id"].iloc[0]]
    path = utils.calculate_alive_path(fitted, one, "date", 120)
    dates = pd.to_datetime(one["date"])
    days = sorted({(d - dates.min()).days for d in dates})
    expected = []
    for day in range(len(path)):
        seen = [d for d in days if d <= day]
        expected.append(
            float(fitted.conditional_probability_alive(len(seen) - 1, seen[-1], day)[0])
        )
    np.testing.assert_allclose(path, expected, rtol=1e-14)


def test_customer_lifetime_value_util_equals_native(fitted):
    d = load_cdnow_summary(index_col=[0])
    bgf = lifetimes.BetaGeoFitter().fit(d["frequency"], d["recency"], d["T"])
    s = d.head(100)
    clv = utils.customer_lifetime_value(
        bgf,
        s["frequency"],
        s["recency"],
        s["T"],
        np.full(100, 20.0),
        time=6,
        discount_rate=0.02,
        freq="W",
    )
    native = clmkit.customer_lifetime_value(
        bgf._model, 20.0, s, horizon=6, period=4.345, discount_rate=0.02
    )
    np.testing.assert_array_equal(clv.to_numpy(), native.to_numpy())
    assert clv.index.equals(s.index) and clv.name == "clv"


@pytest.mark.parametrize(
    "fn, params, columns",
    [
        (
            generate_data.beta_geometric_nbd_model,
            (0.24, 4.41, 0.79, 2.43),
            ["frequency", "recency", "T", "lambda", "p", "alive"],
        ),
        (
            generate_data.modified_beta_geometric_nbd_model,
            (0.52, 6.18, 0.89, 1.61),
            ["frequency", "recency", "T", "lambda", "p", "alive"],
        ),
        (
            generate_data.pareto_nbd_model,
            (0.55, 10.58, 0.61, 11.67),
            ["frequency", "recency", "T", "lambda", "mu", "alive"],
        ),
    ],
)
def test_generate_data_continuous(fn, params, columns):
    np.random.seed(3)
    a = fn(39.0, *params, size=2000)
    np.random.seed(3)
    b = fn(39.0, *params, size=2000)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == columns and a.index.name == "customer_id"
    assert (a["recency"] <= a["T"]).all() and ((a["frequency"] == 0) == (a["recency"] == 0)).all()
    ages = np.linspace(10, 50, 20)
    assert fn(ages, *params, size=20)["T"].tolist() == ages.tolist()


def test_generate_data_matches_model_expectation():
    """Simulated mean frequency agrees with the model's E[X(T)] (the simulator is the native one)."""
    np.random.seed(5)
    sim = generate_data.beta_geometric_nbd_model(39.0, 0.24, 4.41, 0.79, 2.43, size=20000)
    expected = clmkit.BetaGeo.from_params([0.24, 4.41, 0.79, 2.43]).expected_purchases(39.0)
    se = sim["frequency"].std() / np.sqrt(len(sim))
    assert abs(sim["frequency"].mean() - expected) < 4 * se


def test_generate_data_bgbb_and_transactional():
    np.random.seed(7)
    sim = generate_data.beta_geometric_beta_binom_model(6, 1.2, 0.75, 0.66, 2.78, size=500)
    assert list(sim.columns) == [
        "frequency",
        "recency",
        "n_periods",
        "p",
        "theta",
        "alive",
        "customer_id",
    ]
    assert (sim["frequency"] <= sim["recency"]).all() and (sim["recency"] <= 6).all()
    log = generate_data.beta_geometric_nbd_model_transactional_data(
        30, 0.24, 4.41, 0.79, 2.43, size=200
    )
    assert list(log.columns) == ["customer_id", "date"] and log["customer_id"].nunique() == 200
    assert log["date"].max() <= pd.Timestamp("2019-01-01")


def test_bad_input():
    with pytest.raises(ValueError, match="size"):
        generate_data.beta_geometric_nbd_model(np.ones(3), 0.24, 4.41, 0.79, 2.43, size=5)
    with pytest.raises(ValueError, match="T"):
        generate_data.pareto_nbd_model(-1.0, 0.55, 10.58, 0.61, 11.67, size=5)
    with pytest.raises(ValueError, match="t"):
        utils.expected_cumulative_transactions(None, load_transaction_data(), "date", "id", 0)


def test_plotting_without_matplotlib_is_a_clear_import_error():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['matplotlib'] = None; sys.modules['matplotlib.pyplot'] = None\n"
        "import clmkit.compat.lifetimes as lifetimes\n"
        "assert lifetimes.BetaGeoFitter\n"
        "from clmkit.compat.lifetimes import plotting\n"
        "try:\n    plotting.plot_expected_repeat_purchases(None)\nexcept ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "needs matplotlib" in out.stdout and "pip install" in out.stdout, out.stderr
