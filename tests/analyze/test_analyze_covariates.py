"""analyze(..., covariates=...) (issue 21): the covariate table reaches the transaction and
Gamma-Gamma fits, and every model column equals the individual functions called with each
customer's covariates."""

import warnings

import clmkit
import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def log():
    return clmkit.datasets.load_cdnow_sample()


@pytest.fixture(scope="module")
def attributes(log):
    ids = np.sort(log["customer_id"].unique())
    rng = np.random.default_rng(7)
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
            covariates=attributes, snapshots=2,
        )  # fmt: skip


def test_columns_equal_the_covariate_fits(analysis, attributes):
    t = analysis.table
    summary = t[["frequency", "recency", "T", "monetary_value"]]
    z = pd.DataFrame(
        {
            "channel=web": (attributes["channel"] == "web").astype(float),
            "first_value": attributes["first_value"],
        }
    ).reindex(t.index)
    data = summary.join(z)
    names = list(z.columns)
    bg = clmkit.BetaGeo().fit(data, purchase_covariates=names, dropout_covariates=names)
    tx = analysis.models["transactions"]
    np.testing.assert_allclose(tx.coefficients_, bg.coefficients_, rtol=1e-9)
    np.testing.assert_allclose(t["p_alive"], bg.p_alive(data), rtol=1e-9)
    np.testing.assert_allclose(
        t["expected_purchases_365d"], bg.conditional_expected_purchases(365, data), rtol=1e-9
    )
    buyers = data[data["frequency"] > 0]
    gg = clmkit.GammaGamma().fit(buyers, spend_covariates=names, drop_nonpositive=True)
    np.testing.assert_allclose(analysis.models["spend"].coefficients_, gg.coefficients_, rtol=1e-9)
    f = data["frequency"].to_numpy()
    m = np.where(f > 0, data["monetary_value"], 0.0)
    spend = gg.conditional_expected_spend(f, m, covariates=z.to_numpy())
    np.testing.assert_allclose(t["expected_spend"], spend, rtol=1e-9)
    clv = clmkit.customer_lifetime_value(bg, spend, data, horizon=12, period=30.0)
    np.testing.assert_allclose(t["clv_365d"], clv, rtol=1e-9)
    assert analysis.settings["covariates"] == names
    assert "clv interval" not in analysis.skipped and "clv_365d_low" in t


def test_next_purchase_date_per_covariate_profile(log, attributes):
    from clmkit.clv import time_to_expected_purchases

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clmkit.ClmkitWarning)
        a = clmkit.analyze(
            log, "customer_id", "date", models=("bgnbd",), covariates=attributes[["channel"]],
            snapshots=2, interval_level=None,
        )  # fmt: skip
    t = a.table
    tx = a.models["transactions"]
    web = (attributes["channel"] == "web").reindex(t.index).to_numpy()
    f, r, T = (t[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    g = tx.coefficients_
    base = tx.params_
    wait = np.full(len(t), np.nan)
    for flag in (False, True):
        p = base.copy()
        p["alpha"] *= np.exp(-g[("purchase", "channel=web")] * flag)
        p["a"] *= np.exp(g[("dropout_a", "channel=web")] * flag)
        p["b"] *= np.exp(g[("dropout_b", "channel=web")] * flag)
        plain = clmkit.BetaGeo.from_params(p.to_dict())
        rows = web == flag
        wait[rows] = time_to_expected_purchases(plain, f[rows], r[rows], T[rows], 365.0, 1.0, 24)
    end = pd.Timestamp(a.settings["observation_period_end"])
    want = (end + pd.to_timedelta(wait, unit="D")).round("D")
    assert np.isfinite(wait).any()
    pd.testing.assert_series_equal(
        t["expected_next_purchase"], pd.Series(want, index=t.index), check_names=False
    )


def test_continuous_covariates_leave_the_date_out_and_say_so(analysis):
    assert analysis.table["expected_next_purchase"].isna().all()
    assert "distinct covariate profiles" in analysis.skipped["expected_next_purchase"]


def test_effects_table(analysis):
    eff = analysis.covariate_effects
    tx = analysis.models["transactions"]
    rows = eff[eff["model"] == "BetaGeo"]
    assert len(rows) == len(tx.coefficients_)
    purchase = rows[rows["block"] == "purchase"].set_index("covariate")
    for name, g in tx.coefficients_.loc["purchase"].items():
        assert purchase.loc[name, "effect"] == pytest.approx(np.exp(g))
    a, b = tx.params_["a"], tx.params_["b"]
    ga = tx.coefficients_.loc[("dropout_a", "first_value")]
    gb = tx.coefficients_.loc[("dropout_b", "first_value")]
    p0, p1 = a / (a + b), a * np.exp(ga) / (a * np.exp(ga) + b * np.exp(gb))
    row = rows[(rows["block"] == "dropout_a") & (rows["covariate"] == "first_value")]
    assert row["effect"].iloc[0] == pytest.approx(p1 / p0)
    assert set(eff["model"]) == {"BetaGeo", "GammaGamma"}


def test_polars_table_keyed_by_a_column(log, attributes, analysis):
    pl = pytest.importorskip("polars")
    frame = pl.from_pandas(attributes.reset_index())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clmkit.ClmkitWarning)
        again = clmkit.analyze(
            log, "customer_id", "date", "amount", models=("bgnbd",), covariates=frame,
            snapshots=2, interval_level=None,
        )  # fmt: skip
    np.testing.assert_allclose(
        again.to_pandas().table["p_alive"], analysis.table["p_alive"], rtol=1e-9
    )


def test_missing_customers_are_named(log, attributes):
    short = attributes.iloc[3:]
    with pytest.raises(ValueError, match=r"lacks 3 customers of the log, e\.g\. \[1, 2, 3\]"):
        clmkit.analyze(log, "customer_id", "date", "amount", models=("bgnbd",), covariates=short)
    with pytest.raises(TypeError, match="covariates must be a table"):
        clmkit.analyze(log, "customer_id", "date", "amount", models=("bgnbd",), covariates=[1])
    bad = attributes.assign(first_value=np.where(attributes.index == 5, np.nan, 1.0))
    with pytest.raises(ValueError, match="'first_value' is missing or not finite for customer 5"):
        clmkit.analyze(log, "customer_id", "date", "amount", models=("bgnbd",), covariates=bad)


def test_report_has_the_drivers_table(analysis):
    pytest.importorskip("jinja2")
    from clmkit.report.render import render_report

    page = render_report(analysis)
    assert "What drives purchasing and churn" in page
    assert "channel is web" in page and "chance of leaving" in page
    eff = analysis.covariate_effects
    web = eff[(eff["block"] == "purchase") & (eff["covariate"] == "channel=web")]
    factor = float(web["effect"].iloc[0])
    words = f"raises it by {factor - 1:.0%}" if factor >= 1 else f"lowers it by {1 - factor:.0%}"
    assert words in page
