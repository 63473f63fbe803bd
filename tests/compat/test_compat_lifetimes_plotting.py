"""clmkit.compat.lifetimes.plotting draws lifetimes' figures from the façade's numbers."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from clmkit.compat.lifetimes import (
    BetaGeoFitter,
    plotting,
)
from clmkit.compat.lifetimes.datasets import load_cdnow_summary, load_transaction_data
from clmkit.compat.lifetimes.utils import (
    calibration_and_holdout_data,
    summary_data_from_transaction_data,
)


@pytest.fixture(scope="module")
def bgf():
    d = load_cdnow_summary(index_col=[0])
    return BetaGeoFitter().fit(d["frequency"], d["recency"], d["T"])


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_matrices_show_the_model_values(bgf):
    ax = plotting.plot_probability_alive_matrix(bgf, max_frequency=10, max_recency=20)
    np.testing.assert_array_equal(
        ax.get_images()[0].get_array(), bgf.conditional_probability_alive_matrix(10, 20)
    )
    plt.figure()
    ax = plotting.plot_frequency_recency_matrix(bgf, T=4, max_frequency=10, max_recency=20)
    shown = np.asarray(ax.get_images()[0].get_array())
    assert shown.shape == (21, 11)
    assert shown[20, 5] == pytest.approx(float(bgf.predict(4, 5, 20, 20)), rel=1e-12)
    assert ax.get_title().startswith("Expected Number of Future Purchases for 4 Units of Time")


def test_period_transactions_and_repeat_purchases(bgf):
    np.random.seed(0)
    ax = plotting.plot_period_transactions(bgf)
    assert len(ax.patches) == 14 and ax.get_title() == "Frequency of Repeat Transactions"
    plt.figure()
    ax = plotting.plot_expected_repeat_purchases(bgf, label="BG/NBD")
    x, y = ax.lines[0].get_data()
    np.testing.assert_array_equal(y, bgf.expected_number_of_purchases_up_to_time(x))


def test_heterogeneity(bgf):
    pytest.importorskip("scipy")
    ax = plotting.plot_transaction_rate_heterogeneity(bgf)
    assert ax.get_title().startswith("mean: 0.055")
    ax = plotting.plot_dropout_rate_heterogeneity(bgf)
    assert ax.get_title().startswith("mean: 0.246")


def test_tracking_and_history_plots():
    log = load_transaction_data()
    ch = calibration_and_holdout_data(log, "id", "date", "2014-09-01", "2014-12-31")
    cal = BetaGeoFitter().fit(ch["frequency_cal"], ch["recency_cal"], ch["T_cal"])
    ax = plotting.plot_calibration_purchases_vs_holdout_purchases(cal, ch)
    assert [line.get_label() for line in ax.lines] == ["frequency_holdout", "model_predictions"]
    plt.figure()
    ax = plotting.plot_cumulative_transactions(cal, log, "date", "id", 100, 60)
    assert len(ax.lines[0].get_ydata()) == 100
    plt.figure()
    ax = plotting.plot_incremental_transactions(cal, log, "date", "id", 100, 60)
    assert len(ax.lines[1].get_ydata()) == 100
    plt.figure()
    s = summary_data_from_transaction_data(log, "id", "date")
    one = log[log["id"] == s.index[0]]
    ax = plotting.plot_history_alive(cal, 200, one, "date")
    assert len(ax.lines[0].get_ydata()) >= 201
