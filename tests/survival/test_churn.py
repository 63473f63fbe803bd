"""churn_dataset against a direct implementation of the documented rule, churn_probability
against survival-function ratios (and the duck-typed BTYD branch), brier_score against the
IPCW formula written out."""

import clmkit
import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def log():
    return clmkit.datasets.simulate_transactions(400, seed=3)


def brute_churn(log, k, end, freq="D"):
    """The documented rule, customer by customer, with pandas periods."""
    unit = {"D": 1.0, "W": 7.0}[freq]
    rows = {}
    end_period = pd.Timestamp(end).to_period(freq).start_time
    for cid, g in log[log["date"].dt.to_period(freq).dt.start_time <= end_period].groupby(
        "customer_id"
    ):
        periods = np.unique(g["date"].dt.to_period(freq).dt.start_time)
        ages = (periods - periods[0]) / pd.Timedelta(days=unit)
        ages = np.asarray(ages, float)
        T = (end_period - periods[0]) / pd.Timedelta(days=unit)
        duration, event = T, 0
        for i, u in enumerate(ages):
            nxt = ages[i + 1] if i + 1 < len(ages) else np.inf
            if nxt > u + k and u + k <= T:
                duration, event = u + k, 1
                break
        early = ages[ages < k]
        rows[cid] = (duration, event, len(early) - 1, early.max())
    return pd.DataFrame.from_dict(
        rows, orient="index", columns=["duration", "event", "frequency", "recency"]
    )


@pytest.mark.parametrize("freq,k", [("D", 60), ("W", 8)])
def test_churn_dataset_follows_the_rule(log, freq, k):
    end = "2021-06-30"
    out = clmkit.churn_dataset(log, "customer_id", "date", k, observation_period_end=end, freq=freq)
    ref = brute_churn(log, k, end, freq)
    out = out.loc[ref.index]
    np.testing.assert_allclose(out["duration"], ref["duration"], atol=1e-9)
    assert (out["event"].to_numpy() == ref["event"].to_numpy()).all()
    np.testing.assert_allclose(out["frequency"], ref["frequency"])
    np.testing.assert_allclose(out["recency"], ref["recency"], atol=1e-9)
    assert 0 < out["event"].mean() < 1


def test_churn_dataset_dates_values_and_units(log):
    out = clmkit.churn_dataset(log, "customer_id", "date", "60D", monetary_value_col="amount")
    assert {"monetary_value", "first_value"} <= set(out.columns)
    churned = out[out["event"] == 1]
    start = churned["first_purchase"].dt.normalize()
    # pandas 3 builds the expected sum at microsecond resolution: compare instants, not units
    pd.testing.assert_series_equal(
        churned["churn_date"],
        start + pd.to_timedelta(churned["duration"], unit="D"),
        check_names=False,
        check_dtype=False,
    )
    assert out.loc[out["event"] == 0, "churn_date"].isna().all()
    day = log["date"].dt.normalize()
    first_day = day.groupby(log["customer_id"]).transform("min")
    first = log.loc[day == first_day].groupby("customer_id")["amount"].sum()
    np.testing.assert_allclose(out["first_value"], first.loc[out.index], rtol=1e-12)
    assert out.attrs["clmkit"]["inactivity_threshold"] == 60.0


def test_churn_dataset_bad_input(log):
    with pytest.raises(ValueError, match="inactivity_threshold"):
        clmkit.churn_dataset(log, "customer_id", "date", 0)
    with pytest.raises(ValueError, match="covariates"):
        clmkit.churn_dataset(log, "customer_id", "date", 30, covariates=["tenure"])
    with pytest.raises(ValueError, match="needs monetary_value_col"):
        clmkit.churn_dataset(log, "customer_id", "date", 30, covariates=["first_value"])
    with pytest.raises(ValueError, match="customer_id_col='cust'"):
        clmkit.churn_dataset(log, "cust", "date", 30)
    bad = log.assign(date=log["date"].astype(str))
    bad.loc[5, "date"] = "not a date"
    with pytest.raises(ValueError, match=r"datetime_col 'date': row 5"):
        clmkit.churn_dataset(bad, "customer_id", "date", 30)


def test_churn_dataset_thread_independent(log):
    try:
        clmkit.set_num_threads(1)
        a = clmkit.churn_dataset(log, "customer_id", "date", 45, monetary_value_col="amount")
        clmkit.set_num_threads(2)
        b = clmkit.churn_dataset(log, "customer_id", "date", 45, monetary_value_col="amount")
    finally:
        clmkit.set_num_threads(2)
    pd.testing.assert_frame_equal(a, b)


def test_churn_probability_is_the_survival_ratio():
    rossi = clmkit.datasets.load_rossi()
    X = rossi.head(6)
    age = np.array([0, 5, 10, 20, 30, 40.0])
    for model in (
        clmkit.CoxPH().fit(rossi, "week", "arrest"),
        clmkit.WeibullAFT().fit(rossi, "week", "arrest"),
    ):
        p = clmkit.churn_probability(model, X, age=age, horizon=12)
        for i in range(6):
            sf = model.predict_survival_function(
                X.iloc[[i]], times=[age[i], age[i] + 12]
            ).to_numpy()[:, 0]
            assert p[i] == pytest.approx(1 - sf[1] / sf[0], abs=1e-12)
    km = clmkit.KaplanMeier().fit(rossi["week"], rossi["arrest"])
    p = clmkit.churn_probability(km, age=[10, 30], horizon=12)
    np.testing.assert_allclose(p, 1 - km.predict([22, 42]) / km.predict([10, 30]), atol=1e-15)


def test_churn_probability_when_already_certainly_gone():
    km = clmkit.KaplanMeier().fit([1, 2, 3], [1, 1, 1])
    assert clmkit.churn_probability(km, age=5, horizon=1)[0] == 1.0


class FakeBTYD:
    """Duck-typed BTYD model: p_alive and conditional probability of n purchases."""

    def p_alive(self, frequency, recency, T):
        return 1.0 / (1.0 + 0.1 * (T - recency) / (1.0 + frequency))

    def conditional_probability_of_n_purchases(self, t, n, frequency, recency, T):
        rate = 0.05 * (1.0 + frequency) * self.p_alive(frequency, recency, T)
        return np.exp(-rate * t) * (rate * t) ** n


def test_churn_probability_for_btyd_models_is_duck_typed():
    summary = pd.DataFrame(
        {"frequency": [0, 2, 5.0], "recency": [0, 10, 30.0], "T": [40, 40, 40.0]}
    )
    m = FakeBTYD()
    p = clmkit.churn_probability(m, summary)
    np.testing.assert_allclose(
        p,
        1
        - m.p_alive(
            summary["frequency"].to_numpy(), summary["recency"].to_numpy(), summary["T"].to_numpy()
        ),
    )
    q = clmkit.churn_probability(m, summary, horizon=30)
    np.testing.assert_allclose(
        q,
        m.conditional_probability_of_n_purchases(
            30.0,
            0,
            summary["frequency"].to_numpy(),
            summary["recency"].to_numpy(),
            summary["T"].to_numpy(),
        ),
    )
    np.testing.assert_allclose(
        clmkit.churn_probability(m, summary, horizon=30, method="p_alive"), p
    )
    with pytest.raises(ValueError, match="frequency, recency and T"):
        clmkit.churn_probability(m, summary.drop(columns="T"))


def test_churn_probability_bad_input():
    with pytest.raises(TypeError, match="neither"):
        clmkit.churn_probability(object(), None, age=1, horizon=1)
    km = clmkit.KaplanMeier().fit([1, 2, 3], [1, 1, 0])
    with pytest.raises(ValueError, match="age and horizon"):
        clmkit.churn_probability(km, horizon=3)
    with pytest.raises(ValueError, match=r"horizon: row 0"):
        clmkit.churn_probability(km, age=1, horizon=-3)


def brute_brier(S, t_eval, d, e):
    """Graf et al. (1999) with the censoring survival G from a hand-written product limit."""

    def G(u, left):
        g = 1.0
        for v in np.unique(d):
            if v < u or (v == u and not left):
                cens, at_risk = ((d == v) & (e == 0)).sum(), (d >= v).sum()
                g *= 1 - cens / at_risk
        return g

    out = []
    for k, t in enumerate(t_eval):
        total = 0.0
        for i in range(len(d)):
            if d[i] <= t and e[i] == 1:
                total += S[i, k] ** 2 / G(d[i], left=True)
            elif d[i] > t:
                total += (1 - S[i, k]) ** 2 / G(t, left=False)
        out.append(total / len(d))
    return np.array(out)


def test_brier_score_matches_the_ipcw_formula():
    rossi = clmkit.datasets.load_rossi()
    cox = clmkit.CoxPH().fit(rossi, "week", "arrest")
    times = np.array([10.0, 26, 45])
    d, e = rossi["week"].to_numpy(float), rossi["arrest"].to_numpy(float)
    S = cox.predict_survival_function(rossi, times=times).to_numpy().T
    np.testing.assert_allclose(
        clmkit.brier_score(cox, rossi, d, e, times), brute_brier(S, times, d, e), rtol=1e-12
    )
    km = clmkit.KaplanMeier().fit(d, e)
    bs_km = clmkit.brier_score(km, None, d, e, 26.0)
    S_km = np.tile(km.predict(times), (len(d), 1))
    assert bs_km == pytest.approx(brute_brier(S_km, times, d, e)[1], rel=1e-12)
    with pytest.raises(TypeError, match="not a fitted clmkit survival model"):
        clmkit.brier_score(object(), None, d, e, 10)


def test_churn_probability_with_a_real_btyd_model_when_available():
    if not hasattr(clmkit, "BetaGeo"):
        pytest.skip("BTYD models are not in this build")
    summary = (
        clmkit.load_cdnow_summary()
        if hasattr(clmkit, "load_cdnow_summary")
        else clmkit.datasets.load_cdnow_summary()
    )
    bg = clmkit.BetaGeo().fit(summary)
    head = summary.head(20)
    p = clmkit.churn_probability(bg, head)
    np.testing.assert_allclose(
        p, 1 - np.asarray(bg.p_alive(head["frequency"], head["recency"], head["T"])), atol=1e-14
    )
    q = clmkit.churn_probability(bg, head, horizon=10)
    np.testing.assert_allclose(
        q,
        np.asarray(
            bg.conditional_probability_of_n_purchases(
                10, 0, head["frequency"], head["recency"], head["T"]
            )
        ),
        atol=1e-14,
    )
