"""Cox PH: R's published Rossi fits, a brute-force partial likelihood (ties, strata,
weights, penalty), the Breslow baseline and predictions, bad input, thread determinism."""

import clmkit
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

COLS = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]


def brute_loglik(x, t, e, w, strata, beta, ties):
    """Partial log-likelihood from its definition (Efron 1977; Breslow 1974), O(n^2)."""
    eta = x @ beta
    ll = 0.0
    for s in np.unique(strata):
        for u in np.unique(t[(strata == s) & (e == 1)]):
            dead = (strata == s) & (t == u) & (e == 1)
            risk = (strata == s) & (t >= u)
            r_all, r_dead = (w * np.exp(eta))[risk].sum(), (w * np.exp(eta))[dead].sum()
            d, wd = dead.sum(), w[dead].sum()
            ll += (w * eta)[dead].sum()
            if ties == "breslow":
                ll -= wd * np.log(r_all)
            else:
                ll -= sum(wd / d * np.log(r_all - k / d * r_dead) for k in range(d))
    return ll


def small_data(seed=0, n=60, strata=False, weights=False):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.integers(0, 2, n).astype(float)})
    df["T"] = rng.integers(1, 12, n).astype(float)  # many ties
    df["E"] = rng.integers(0, 2, n)
    if strata:
        df["s"] = rng.integers(0, 3, n)
    if weights:
        df["w"] = rng.uniform(0.5, 2.0, n)
    return df


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_rossi_matches_r(published, ties):
    ref = published["coxph_rossi"]
    rossi = clmkit.datasets.load_rossi()
    cox = clmkit.CoxPH(ties=ties).fit(rossi, duration_col="week", event_col="arrest")
    for c in COLS:
        assert cox.params_[c] == pytest.approx(ref[f"coef_{ties}"][c], abs=1e-5)
        assert cox.hazard_ratios_[c] == pytest.approx(np.exp(ref[f"coef_{ties}"][c]), rel=1e-5)
    assert cox.log_likelihood_ == pytest.approx(ref["partial_log_likelihood"][ties], abs=1e-3)
    assert round(cox.concordance_index_, 2) == ref["concordance"]
    if ties == "efron":
        for c in COLS:
            assert cox.standard_errors_[c] == pytest.approx(ref["se_efron"][c], abs=1e-4)


def test_summary_columns_and_p_values():
    rossi = clmkit.datasets.load_rossi()
    s = clmkit.CoxPH().fit(rossi, "week", "arrest").summary
    assert list(s.columns[:5]) == [
        "coef",
        "exp(coef)",
        "se(coef)",
        "coef lower 95%",
        "coef upper 95%",
    ]
    from scipy.stats import norm

    z = s["coef"] / s["se(coef)"]
    np.testing.assert_allclose(s["p"], 2 * norm.sf(np.abs(z)), rtol=1e-10)
    np.testing.assert_allclose(
        s["coef lower 95%"], s["coef"] - norm.ppf(0.975) * s["se(coef)"], rtol=1e-10
    )


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize(
    "strata,weights", [(False, False), (True, False), (False, True), (True, True)]
)
def test_matches_brute_force_maximum(ties, strata, weights):
    df = small_data(3, strata=strata, weights=weights)
    cox = clmkit.CoxPH(ties=ties).fit(
        df, "T", "E", weights_col="w" if weights else None, strata="s" if strata else None
    )
    x = df[["a", "b"]].to_numpy()
    w = df["w"].to_numpy() if weights else np.ones(len(df))
    s = df["s"].to_numpy() if strata else np.zeros(len(df))
    t, e = df["T"].to_numpy(), df["E"].to_numpy()
    f = lambda b: -brute_loglik(x, t, e, w, s, b, ties)
    ref = minimize(f, np.zeros(2), method="BFGS", options={"gtol": 1e-10})
    np.testing.assert_allclose(cox.params_.to_numpy(), ref.x, atol=1e-5)
    assert cox.log_likelihood_ == pytest.approx(-f(cox.params_.to_numpy()), abs=1e-9)


def test_breslow_weights_equal_replicated_rows():
    # Exact for Breslow only: replicating rows adds tied deaths, which Efron treats differently.
    df = small_data(5)
    reps = np.random.default_rng(0).integers(1, 4, len(df))
    a = clmkit.CoxPH(ties="breslow").fit(df.assign(w=reps.astype(float)), "T", "E", weights_col="w")
    b = clmkit.CoxPH(ties="breslow").fit(
        df.loc[df.index.repeat(reps)].reset_index(drop=True), "T", "E"
    )
    np.testing.assert_allclose(a.params_, b.params_, atol=1e-10)


def test_l2_penalty_matches_direct_optimisation():
    df = small_data(8)
    pen = 0.05
    cox = clmkit.CoxPH(penalizer=pen).fit(df, "T", "E")
    x = df[["a", "b"]].to_numpy()
    mu, sd = x.mean(0), x.std(0, ddof=1)
    z = (x - mu) / sd
    n = len(df)
    f = lambda b: (
        -brute_loglik(
            z, df["T"].to_numpy(), df["E"].to_numpy(), np.ones(n), np.zeros(n), b, "efron"
        )
        + n * pen * 0.5 * (b**2).sum()
    )
    ref = minimize(f, np.zeros(2), method="BFGS", options={"gtol": 1e-10})
    np.testing.assert_allclose(cox.params_.to_numpy() * sd, ref.x, atol=1e-5)
    assert cox.log_likelihood_ == pytest.approx(-ref.fun, abs=1e-6)


def test_l1_penalty_shrinks_a_useless_covariate_to_zero():
    rng = np.random.default_rng(2)
    df = small_data(4, n=300)
    df["noise"] = rng.normal(size=len(df))
    cox = clmkit.CoxPH(penalizer=0.05, l1_ratio=1.0).fit(df, "T", "E")
    free = clmkit.CoxPH().fit(df, "T", "E")
    assert abs(cox.params_["noise"]) < 1e-2 < abs(free.params_["noise"]) + 1e-2
    assert (cox.params_.abs() <= free.params_.abs() + 1e-9).all()


def test_breslow_baseline_and_predictions():
    df = small_data(11, n=40)
    cox = clmkit.CoxPH().fit(df, "T", "E")
    x = df[["a", "b"]].to_numpy() - df[["a", "b"]].to_numpy().mean(0)
    r = np.exp(x @ cox.params_.to_numpy())
    t, e = df["T"].to_numpy(), df["E"].to_numpy()
    h0 = {u: e[t == u].sum() / r[t >= u].sum() for u in np.unique(t)}
    cum = np.cumsum([h0[u] for u in sorted(h0)])
    np.testing.assert_allclose(cox.baseline_cumulative_hazard_.iloc[:, 0], cum, rtol=1e-12)
    sf = cox.predict_survival_function(df.head(3), times=[2.5, 7])
    ph = cox.predict_partial_hazard(df.head(3)).to_numpy()
    h_at = np.interp([2, 7], sorted(h0), cum)
    np.testing.assert_allclose(sf.to_numpy(), np.exp(-np.outer(h_at, ph)), rtol=1e-12)
    cond = cox.predict_survival_function(df.head(3), times=[3], conditional_after=[2, 2, 2])
    full = cox.predict_survival_function(df.head(3), times=[2, 5])
    np.testing.assert_allclose(
        cond.to_numpy()[0], full.to_numpy()[1] / full.to_numpy()[0], rtol=1e-12
    )
    med = cox.predict_median(df.head(5))
    grid = cox.predict_survival_function(df.head(5))
    for j, m in enumerate(med):
        col = grid.iloc[:, j]
        expected = col.index[col <= 0.5][0] if (col <= 0.5).any() else np.inf
        assert m == expected


def test_strata_get_their_own_baseline_and_need_strata_to_predict():
    df = small_data(12, strata=True)
    cox = clmkit.CoxPH().fit(df, "T", "E", strata="s")
    assert list(cox.baseline_hazard_.columns) == [0, 1, 2]
    sf = cox.predict_survival_function(df.head(4), times=[5])
    assert sf.shape == (1, 4)
    with pytest.raises(ValueError, match="'s'"):
        cox.predict_survival_function(df.head(2).drop(columns="s"))
    with pytest.raises(ValueError, match="stratum not seen"):
        cox.predict_partial_hazard(df.head(1).assign(s=9))


def test_constant_and_collinear_covariates_are_named():
    df = small_data(1)
    with pytest.raises(ValueError, match="'c' is constant"):
        clmkit.CoxPH().fit(df.assign(c=2.0), "T", "E")
    with pytest.raises(
        ValueError, match=r"'ab' is a linear combination of \['a', 'b'\].*penalizer"
    ):
        clmkit.CoxPH().fit(df.assign(ab=df["a"] - 2 * df["b"]), "T", "E")
    fit = clmkit.CoxPH(penalizer=0.1).fit(df.assign(ab=df["a"] - 2 * df["b"]), "T", "E")
    assert np.isfinite(fit.params_).all()


def test_bad_input_names_column_and_row():
    df = small_data(1)
    with pytest.raises(ValueError, match=r"duration_col 'T'.*row 2.*-1"):
        clmkit.CoxPH().fit(df.assign(T=df["T"].where(df.index != 2, -1.0)), "T", "E")
    with pytest.raises(ValueError, match=r"event_col 'E': row \d+ has invalid value 2"):
        clmkit.CoxPH().fit(df.assign(E=df["E"] + 1), "T", "E")
    with pytest.raises(ValueError, match=r"covariate 'a'.*row 4"):
        clmkit.CoxPH().fit(df.assign(a=df["a"].where(df.index != 4)), "T", "E")
    with pytest.raises(TypeError, match="covariate 'g' must be numeric"):
        clmkit.CoxPH().fit(df.assign(g="x"), "T", "E")
    with pytest.raises(ValueError, match="censored"):
        clmkit.CoxPH().fit(df.assign(E=0), "T", "E")
    with pytest.raises(ValueError, match="duration_col='nope'"):
        clmkit.CoxPH().fit(df, "nope", "E")
    with pytest.raises(ValueError, match="ties"):
        clmkit.CoxPH(ties="exact").fit(df, "T", "E")


def test_perfect_separation_is_a_convergence_error_with_hint():
    t = np.arange(1.0, 21.0)
    # higher x = earlier failure, always: the partial likelihood has no maximum
    df = pd.DataFrame({"T": t, "E": 1, "x": -t})
    with pytest.raises(clmkit.ConvergenceError, match=r"'x'.*penalizer"):
        clmkit.CoxPH().fit(df, "T", "E")
    assert np.isfinite(clmkit.CoxPH(penalizer=0.1).fit(df, "T", "E").params_).all()


def test_thread_count_does_not_change_bits():
    rng = np.random.default_rng(3)
    n = 20_000
    df = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    df["T"] = rng.exponential(1, n).round(2)
    df["E"] = rng.integers(0, 2, n)
    try:
        clmkit.set_num_threads(1)
        a = clmkit.CoxPH().fit(df, "T", "E")
        clmkit.set_num_threads(2)
        b = clmkit.CoxPH().fit(df, "T", "E")
    finally:
        clmkit.set_num_threads(2)
    assert a.params_.to_numpy().tobytes() == b.params_.to_numpy().tobytes()
    assert (
        a.baseline_cumulative_hazard_.to_numpy().tobytes()
        == b.baseline_cumulative_hazard_.to_numpy().tobytes()
    )


def test_l2_penalty_and_strata_agree_with_lifelines():
    lifelines = pytest.importorskip("lifelines")
    rossi = clmkit.datasets.load_rossi()
    a = lifelines.CoxPHFitter(penalizer=0.1).fit(rossi, "week", "arrest")
    b = clmkit.CoxPH(penalizer=0.1).fit(rossi, "week", "arrest")
    np.testing.assert_allclose(b.params_, a.params_.loc[b.params_.index], atol=1e-4)
    assert b.log_likelihood_ == pytest.approx(a.log_likelihood_, abs=1e-6)
    a = lifelines.CoxPHFitter().fit(rossi, "week", "arrest", strata=["race"])
    b = clmkit.CoxPH().fit(rossi, "week", "arrest", strata="race")
    np.testing.assert_allclose(b.params_, a.params_.loc[b.params_.index], atol=1e-6)
    np.testing.assert_allclose(
        b.baseline_cumulative_hazard_.to_numpy(),
        a.baseline_cumulative_hazard_.to_numpy(),
        atol=1e-8,
    )


def test_newton_running_out_of_iterations_is_a_convergence_error():
    rossi = clmkit.datasets.load_rossi()
    with pytest.raises(clmkit.ConvergenceError, match="did not converge in 1 Newton.*penalizer"):
        clmkit.CoxPH(max_iter=1).fit(rossi, "week", "arrest")
    with pytest.raises(clmkit.ConvergenceError, match="penalizer"):
        clmkit.WeibullAFT(max_iter=1).fit(rossi, "week", "arrest")


@pytest.mark.parametrize("kwargs", [{}, {"strata": ["race", "mar"]}])
def test_json_round_trip_is_exact(kwargs):
    rossi = clmkit.datasets.load_rossi()
    cox = clmkit.CoxPH(penalizer=0.01).fit(rossi, "week", "arrest", **kwargs)
    back = clmkit.CoxPH.from_json(cox.to_json())
    assert repr(back) == repr(cox)
    pd.testing.assert_frame_equal(back.summary, cox.summary)
    pd.testing.assert_frame_equal(
        back.predict_survival_function(rossi.head(4), times=[3, 30]),
        cox.predict_survival_function(rossi.head(4), times=[3, 30]),
    )
    assert back.concordance_index_ == cox.concordance_index_
    with pytest.raises(ValueError, match="not a WeibullAFT"):
        clmkit.WeibullAFT.from_json(cox.to_json())
