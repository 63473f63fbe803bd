import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import clmkit
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from _fakes import ExpRegression, PoissonModel, StepKM
from clmkit import plotting
from clmkit.plotting.btyd import calibration_vs_holdout_table, expected_frequency_counts


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def ax():
    return plt.figure().add_subplot()


def _image(ax):
    return np.ma.getdata(ax.get_images()[0].get_array())


def test_missing_matplotlib_gives_install_hint():
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "try:\n import clmkit.plotting\nexcept ImportError as e:\n print(e)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'clmkit[plot]'" in out.stdout


def test_every_function_returns_axes(ax):
    model = PoissonModel()
    summary = pd.DataFrame(
        {"frequency": [0.0, 2.0, 5.0], "recency": [0.0, 10.0, 30.0], "T": [20.0, 30.0, 40.0]}
    )
    assert plotting.plot_probability_alive_matrix(model, summary=summary, ax=ax) is ax
    assert plotting.plot_frequency_recency_matrix(model, summary=summary) is plt.gca()


def test_alive_matrix_values_equal_model_on_grid(ax):
    model = PoissonModel()
    plotting.plot_probability_alive_matrix(model, max_frequency=4, max_recency=30, T=30, ax=ax)
    img = _image(ax)
    assert img.shape == (5, 31)
    f, r = 3, 12
    assert img[f, r] == pytest.approx(model.p_alive(f, r, 30.0))
    # frequency 0 means recency 0: the whole row is the recency-0 value
    np.testing.assert_allclose(img[0], model.p_alive(0, 0, 30.0))


def test_expected_purchases_matrix_uses_horizon(ax):
    model = PoissonModel()
    plotting.plot_frequency_recency_matrix(model, t=7, max_frequency=3, max_recency=10, ax=ax)
    assert _image(ax)[2, 5] == pytest.approx(model.conditional_expected_purchases(7, 2, 5, 10.0))


@pytest.mark.parametrize(
    "freq, multiplier, words",
    [("W", 1, "weeks"), ("D", 7, "7-day periods"), (None, None, "time units")],
)
def test_matrix_axes_name_the_model_time_unit(ax, freq, multiplier, words):
    model = PoissonModel()
    model.time_unit_ = None if freq is None else clmkit.summary.units.TimeUnit(freq, multiplier)
    plotting.plot_frequency_recency_matrix(model, t=4, max_frequency=2, max_recency=5, ax=ax)
    assert ax.get_title() == f"Expected purchases in the next 4 {words}"
    assert ax.get_xlabel() == f"customer's recency (age at last purchase, {words})"


def test_matrix_needs_limits_or_summary():
    with pytest.raises(ValueError, match="max_frequency"):
        plotting.plot_probability_alive_matrix(PoissonModel())


def test_calibration_vs_holdout_groups_and_pools(ax):
    rng = np.random.default_rng(0)
    n = 300
    f = rng.integers(0, 12, n).astype(float)
    r = np.where(f > 0, rng.uniform(1, 30, n), 0.0)
    ch = pd.DataFrame(
        {
            "frequency_cal": f,
            "recency_cal": r,
            "T_cal": np.full(n, 40.0),
            "frequency_holdout": rng.poisson(1.0, n).astype(float),
            "duration_holdout": np.full(n, 20.0),
        }
    )
    model = PoissonModel()
    table = calibration_vs_holdout_table(model, ch, n=7)
    assert list(table.index) == list(range(8))
    pooled = f >= 7
    assert table.loc[7, "actual"] == pytest.approx(ch.loc[pooled, "frequency_holdout"].mean())
    pred = model.conditional_expected_purchases(20.0, f, r, 40.0)
    assert table.loc[3, "predicted"] == pytest.approx(pred[f == 3].mean())
    out = plotting.plot_calibration_purchases_vs_holdout_purchases(model, ch, ax=ax)
    np.testing.assert_allclose(out.lines[0].get_ydata(), table["actual"])


def test_period_transactions_expected_counts_sum_to_customers(ax):
    summary = pd.DataFrame({"frequency": [0, 0, 1, 3, 9.0], "T": [10, 10, 50, 80, 80.0]})
    model = PoissonModel()
    expected = expected_frequency_counts(model, summary["T"], 7)
    assert expected.sum() == pytest.approx(len(summary))
    assert expected[1] == pytest.approx(
        2 * model.probability_of_n_purchases(10, 1)
        + model.probability_of_n_purchases(50, 1)
        + 2 * model.probability_of_n_purchases(80, 1)
    )
    plotting.plot_period_transactions(model, summary, ax=ax)
    heights = [p.get_height() for p in ax.patches]
    assert heights[:8] == [2, 1, 0, 1, 0, 0, 0, 1]  # actual, 9 pooled into 7+


def test_history_alive_recomputes_summary_each_day(ax):
    model = PoissonModel()
    log = pd.DataFrame(
        {"date": pd.to_datetime(["2020-01-01", "2020-01-05", "2020-01-05", "2020-01-20"])}
    )
    plotting.plot_history_alive(model, 30, log, "date", ax=ax)
    y = ax.lines[0].get_ydata()
    # day 10: purchases on days 0 and 4 -> frequency 1, recency 4, T 10
    assert y[10] == pytest.approx(model.p_alive(1, 4, 10))
    assert y[25] == pytest.approx(model.p_alive(2, 19, 25))


def test_rfm_heatmap_counts_equal_crosstab(ax):
    rng = np.random.default_rng(1)
    rfm = pd.DataFrame(
        {
            "r_score": rng.integers(1, 6, 500),
            "f_score": rng.integers(1, 6, 500),
            "m": rng.gamma(2, 10, 500),
        }
    )
    plotting.plot_rfm_heatmap(rfm, ax=ax)
    ref = pd.crosstab(rfm["f_score"], rfm["r_score"]).to_numpy(float)
    np.testing.assert_array_equal(_image(ax), ref)
    ax2 = plt.figure().add_subplot()
    plotting.plot_rfm_heatmap(rfm, value_col="m", ax=ax2)
    assert _image(ax2)[0, 0] == pytest.approx(
        rfm.loc[(rfm.f_score == 1) & (rfm.r_score == 1), "m"].mean()
    )


@pytest.mark.parametrize("dtype", ["int8", "int64", "float64"])
def test_rfm_heatmap_sparse_grid_has_gaps_where_no_customer(ax, dtype):
    # integer scores are counted by bincount, float ones by a groupby: one grid either way,
    # scores sorted, NaN (no colour) where no customer has the combination
    rng = np.random.default_rng(2)
    f = rng.choice([1, 2, 4, 5], 300)
    r = np.where(f == 5, 1, rng.choice([1, 3, 5], 300))
    rfm = pd.DataFrame({"r_score": r.astype(dtype), "f_score": f.astype(dtype)})
    plotting.plot_rfm_heatmap(rfm, ax=ax)
    ref = pd.crosstab(rfm["f_score"], rfm["r_score"]).to_numpy(float, copy=True)
    ref[ref == 0] = np.nan
    np.testing.assert_array_equal(_image(ax), ref)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [str(x) for x in np.array([1, 2, 4, 5], dtype=dtype)]


def test_segment_summary_shares(ax):
    table = pd.DataFrame({"seg": ["a", "a", "b", "c"], "v": [1.0, 1.0, 6.0, 2.0]})
    from clmkit.plotting.segments import segment_shares

    shares = segment_shares(table, "seg", "v")
    assert shares.loc["a", "customer_share"] == 0.5
    assert shares.loc["b", "value_share"] == pytest.approx(0.6)
    plotting.plot_segment_summary(table, "seg", "v", ax=ax)
    assert len(ax.patches) == 6


def test_stage_plots(ax):
    stages = pd.Categorical(["new", "mature", "new"], categories=["new", "growing", "mature"])
    plotting.plot_stage_distribution(stages, ax=ax)
    assert [p.get_height() for p in ax.patches] == [2, 0, 1]
    m = pd.DataFrame([[0.9, 0.1], [0.3, 0.7]], index=["a", "b"], columns=["a", "b"])
    ax2 = plotting.plot_stage_transitions(m, ax=plt.figure().add_subplot())
    np.testing.assert_allclose(_image(ax2), m.to_numpy())
    with pytest.raises(ValueError, match="square"):
        plotting.plot_stage_transitions(np.ones((2, 3)))


def test_cohort_retention_masks_missing(ax):
    ret = pd.DataFrame([[1.0, 0.5, 0.2], [1.0, 0.4, np.nan]], index=["2020-01", "2020-02"])
    plotting.plot_cohort_retention(ret, ax=ax)
    arr = ax.get_images()[0].get_array()
    assert arr.mask[1, 2] and not arr.mask[0, 2]


def test_clv_distribution_ignores_nan(ax):
    plotting.plot_clv_distribution([1.0, 2.0, np.nan, 100.0], bins=5, ax=ax)
    assert sum(p.get_height() for p in ax.patches) == 3


def test_survival_km_with_band(ax):
    plotting.plot_survival_function(StepKM(), ax=ax)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [1.0, 0.8, 0.5, 0.2])
    assert len(ax.collections) == 1  # the confidence band


def test_survival_regression_per_row(ax):
    X = pd.DataFrame({"x": [0.0, np.log(2.0)]})
    plotting.plot_survival_function(ExpRegression(), X=X, ax=ax)
    assert len(ax.lines) == 2
    t = ax.lines[1].get_xdata()
    np.testing.assert_allclose(ax.lines[1].get_ydata(), np.exp(-2.0 * t))
    with pytest.raises(ValueError, match="give X"):
        plotting.plot_survival_function(ExpRegression())


@pytest.mark.skipif(not hasattr(clmkit, "KaplanMeier"), reason="survival models not in this build")
def test_survival_real_kaplan_meier(ax):
    g3 = clmkit.datasets.load_g3()
    km = clmkit.KaplanMeier().fit(g3["time"], g3["event"].astype(float))
    plotting.plot_survival_function(km, ax=ax)
    assert ax.lines and ax.collections
