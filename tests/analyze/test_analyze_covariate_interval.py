"""analyze(..., covariates=...) (issue 21) no longer skips the CLV interval nor the model
P(alive) of the stage-history snapshots: the interval carries the covariate fit's normal
approximation (base parameters and coefficients together) to each customer by the delta
method, checked against drawing (base parameters, coefficients) and evaluating every
customer at their own linked parameters per draw; the snapshots' P(alive) equal the model's
P(alive) of each snapshot's summary at each customer's covariates."""

import warnings

import clmkit
import numpy as np
import pandas as pd
import pytest
from clmkit.analyze.intervals import clv_interval, covariate_log_purchase_se, log_purchase_se

Z90 = 1.6448536269514722


@pytest.fixture(scope="module")
def log():
    return clmkit.datasets.load_cdnow_sample()


@pytest.fixture(scope="module")
def attributes(log):
    ids = np.sort(log["customer_id"].unique())
    rng = np.random.default_rng(11)
    return pd.DataFrame(
        {
            "channel": rng.choice(["email", "web"], len(ids)),
            "first_value": rng.gamma(2.0, 1.0, len(ids)),
        },
        index=pd.Index(ids, name="customer_id"),
    )


@pytest.fixture(scope="module")
def analysis(log, attributes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clmkit.ClmkitWarning)
        return clmkit.analyze(
            log, "customer_id", "date", "amount", models=("bgnbd", "gammagamma"),
            covariates=attributes, snapshots=3,
        )  # fmt: skip


def _z(attributes, index):
    return pd.DataFrame(
        {
            "channel=web": (attributes["channel"] == "web").astype(float),
            "first_value": attributes["first_value"],
        }
    ).reindex(index)


def test_nothing_is_skipped_and_the_interval_brackets_the_clv(analysis):
    assert "clv interval" not in analysis.skipped
    assert "stage history" not in " ".join(analysis.skipped)
    t = analysis.table
    clv, low, high = (t[c].to_numpy() for c in ("clv_365d", "clv_365d_low", "clv_365d_high"))
    positive = clv > 0
    assert positive.sum() > 1000
    assert (low[positive] < clv[positive]).all() and (clv[positive] < high[positive]).all()
    # bounds scale the CLV by exp(-+z se): the log-ratio is symmetric about the estimate
    np.testing.assert_allclose(
        np.log(high[positive] / clv[positive]), np.log(clv[positive] / low[positive]), rtol=1e-9
    )


def test_delta_method_matches_per_customer_parameter_draws(analysis, attributes):
    """Brute force: 4000 draws of (base parameters, coefficients) from the fit's normal
    approximation, each customer's expected purchases at their own linked parameters per
    draw (predict_interval), against the delta-method standard error."""
    t = analysis.table
    model = analysis.models["transactions"]
    rows = t.iloc[[0, 3, 10, 25, 60, 150, 400]]
    z = _z(attributes, rows.index).to_numpy()
    f, r, T = (rows[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    se = covariate_log_purchase_se(model, 365.0, f, r, T, z)
    iv = model.predict_interval(
        "conditional_expected_purchases", 365.0, f, r, T, covariates=z,
        level=0.9, n_boot=4000, seed=5, method="parametric",
    )  # fmt: skip
    drawn = np.log(iv["upper"] / iv["lower"]).to_numpy() / (2 * Z90)
    np.testing.assert_allclose(se, drawn, rtol=0.1)
    # and the analysis' bounds are the CLV scaled by exp(-+1.645 se)
    clv = rows["clv_365d"].to_numpy()
    np.testing.assert_allclose(rows["clv_365d_high"], clv * np.exp(Z90 * se), rtol=1e-6)
    np.testing.assert_allclose(rows["clv_365d_low"], clv * np.exp(-Z90 * se), rtol=1e-6)


def test_covariates_widen_the_interval_where_they_add_uncertainty(analysis, attributes):
    """Customers with larger covariate values carry more coefficient uncertainty: the
    gradient in a coefficient is proportional to the covariate."""
    model = analysis.models["transactions"]
    f, r, T = np.full(2, 3.0), np.full(2, 200.0), np.full(2, 500.0)
    z = np.array([[0.0, 0.0], [1.0, 6.0]])
    se = covariate_log_purchase_se(model, 365.0, f, r, T, z)
    assert se[1] > se[0] > 0


def test_zero_covariates_give_the_plain_interval(analysis):
    """At z = 0 the coefficients drop out: the interval is the plain model's (same base
    parameters, the base block of the covariance), to rounding of the differences."""
    model = analysis.models["transactions"]
    t = analysis.table.iloc[:300]
    k = len(model.params_)
    plain = clmkit.BetaGeo.from_params(model.params_.to_dict(), time_unit=model.time_unit_)
    plain.variance_matrix_ = model.variance_matrix_.iloc[:k, :k]
    clv = np.linspace(1.0, 40.0, len(t))
    zeros = pd.DataFrame(0.0, index=t.index, columns=["channel=web", "first_value"])
    got = clv_interval(model, clv, t, 365.0, 0.9, covariates=zeros)
    want = clv_interval(plain, clv, t, 365.0, 0.9)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-9)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-9)
    f, r, T = (t[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    np.testing.assert_allclose(
        covariate_log_purchase_se(model, 365.0, f, r, T, zeros.to_numpy()),
        log_purchase_se(plain, 365.0, f, r, T),
        rtol=1e-9,
    )
    with pytest.raises(ValueError, match="pass covariates="):
        clv_interval(model, clv, t, 365.0, 0.9)


def test_stage_history_p_alive_uses_each_customers_covariates(analysis, log, attributes):
    history = analysis.stage_history
    model = analysis.models["transactions"]
    assert "p_alive" in history.columns and history["p_alive"].notna().all()
    for snap in pd.to_datetime(history["snapshot"].unique()):
        seen = log[log["date"] <= snap]
        s = clmkit.summarize(seen, "customer_id", "date", observation_period_end=snap)
        want = model.p_alive(s, covariates=_z(attributes, s.index).to_numpy())
        got = history[history["snapshot"] == snap].set_index("customer_id")["p_alive"]
        np.testing.assert_allclose(got.reindex(s.index), want, rtol=1e-12)
    # the snapshots differ from the covariate-free P(alive): the covariates are used
    plain = clmkit.BetaGeo.from_params(model.params_.to_dict(), time_unit=model.time_unit_)
    last = history[history["snapshot"] == history["snapshot"].max()]
    s = clmkit.summarize(log, "customer_id", "date")
    assert (
        np.abs(last.set_index("customer_id")["p_alive"].reindex(s.index) - plain.p_alive(s)).max()
        > 1e-3
    )


def test_stage_history_with_a_covariate_fit_needs_covariates(analysis, log, attributes):
    model = analysis.models["transactions"]
    dates = ["1997-06-30", "1997-12-31"]
    with pytest.raises(ValueError, match="fitted with covariates"):
        clmkit.stage_history(log, dates, "customer_id", "date", model=model)
    z = _z(attributes, attributes.index)
    with pytest.raises(ValueError, match="lacks 2 customers of the log"):
        clmkit.stage_history(log, dates, "customer_id", "date", model=model, covariates=z.iloc[2:])
    with pytest.raises(TypeError, match="covariates must be a table"):
        clmkit.stage_history(log, dates, "customer_id", "date", model=model, covariates=[1.0])
    keyed = z.reset_index()  # keyed by a column instead of the index: the same history
    a = clmkit.stage_history(log, dates, "customer_id", "date", model=model, covariates=z)
    b = clmkit.stage_history(log, dates, "customer_id", "date", model=model, covariates=keyed)
    pd.testing.assert_frame_equal(a, b)
