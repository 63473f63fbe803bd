"""predict_interval: coverage by simulation, determinism, every model, bad input."""

import clmkit
import numpy as np
import pytest
from clmkit import BetaGeo, BetaGeoBetaBinom, GammaGamma, ParetoNBD


def at(cls, params):
    return cls.from_params(params)


@pytest.fixture(scope="module")
def cdnow():
    return clmkit.datasets.load_cdnow_summary()


@pytest.fixture(scope="module")
def donations():
    return clmkit.datasets.load_donations()


def coverage(truth, make_data, fit, quantity, args, reps, method="parametric", n_boot=200):
    """Fraction of replications whose 90% interval covers the quantity at the true parameters."""
    target = getattr(truth, quantity)(*args)
    hits = 0
    for rep in range(reps):
        model = fit(make_data(rep))
        iv = model.predict_interval(
            quantity, *args, level=0.9, n_boot=n_boot, seed=rep, method=method
        )
        hits += bool(iv["lower"].iloc[0] <= target <= iv["upper"].iloc[0])
    return hits / reps


def test_bgbb_parametric_coverage():
    truth = at(BetaGeoBetaBinom, [1.2, 0.75, 0.66, 2.8])

    def data(rep):
        sim = truth.generate(2000, 6, seed=100 + rep)
        return (
            sim.groupby(["frequency", "recency", "n_periods"])
            .size()
            .rename("weights")
            .reset_index()
        )

    cov = coverage(
        truth,
        data,
        lambda d: BetaGeoBetaBinom().fit(d, weights="weights"),
        "expected_purchases",
        (6,),
        reps=80,
    )
    # 80 replications: the binomial sd of the coverage is 0.034.
    assert 0.78 <= cov <= 0.99, cov


def test_bgbb_resample_coverage():
    truth = at(BetaGeoBetaBinom, [1.2, 0.75, 0.66, 2.8])

    def data(rep):
        sim = truth.generate(2000, 6, seed=500 + rep)
        return (
            sim.groupby(["frequency", "recency", "n_periods"])
            .size()
            .rename("weights")
            .reset_index()
        )

    cov = coverage(
        truth,
        data,
        lambda d: BetaGeoBetaBinom().fit(d, weights="weights"),
        "p_alive",
        (2, 4, 6),
        reps=40,
        method="resample",
        n_boot=100,
    )
    assert 0.72 <= cov <= 1.0, cov


def test_paretonbd_parametric_coverage():
    truth = at(ParetoNBD, [0.6, 8.0, 0.7, 10.0])
    T = np.linspace(20.0, 40.0, 1500)
    cov = coverage(
        truth,
        lambda rep: truth.generate(1500, T, seed=900 + rep),
        lambda d: ParetoNBD().fit(d),
        "conditional_expected_purchases",
        (26, 2, 30, 39),
        reps=40,
    )
    assert 0.72 <= cov <= 1.0, cov


@pytest.mark.parametrize("method", ["parametric", "resample"])
def test_identical_for_any_thread_count_and_seeded(cdnow, method):
    model = ParetoNBD().fit(cdnow)
    sample = cdnow.iloc[:50]
    kwargs = dict(n_boot=30 if method == "resample" else 200, method=method)
    clmkit.set_num_threads(1)
    one = model.predict_interval("p_alive", sample, seed=7, **kwargs)
    clmkit.set_num_threads(2)
    two = model.predict_interval("p_alive", sample, seed=7, **kwargs)
    assert one.to_numpy().tobytes() == two.to_numpy().tobytes()
    other = model.predict_interval("p_alive", sample, seed=8, **kwargs)
    assert not np.array_equal(one["lower"], other["lower"])
    assert (one["lower"] <= one["estimate"] + 1e-12).all() and (
        one["estimate"] <= one["upper"] + 1e-12
    ).all()
    assert one.index.equals(sample.index)


def test_every_model(cdnow, donations):
    bg = BetaGeo().fit(cdnow)
    iv = bg.predict_interval("conditional_expected_purchases", 39, 2, 30.43, 38.86, seed=1)
    assert iv.shape == (1, 3) and iv["lower"][0] < 1.226 < iv["upper"][0]
    iv = bg.predict_interval("expected_purchases", [1, 39], seed=1, method="resample", n_boot=20)
    assert (iv["lower"] < iv["upper"]).all()
    spend = clmkit.datasets.load_cdnow_summary(with_monetary_value=True)
    buyers = spend[spend["frequency"] > 0]
    gg = GammaGamma().fit(buyers["frequency"], buyers["monetary_value"])
    iv = gg.predict_interval(
        "conditional_expected_spend",
        buyers["frequency"].iloc[:5],
        buyers["monetary_value"].iloc[:5],
        seed=2,
    )
    assert (iv["lower"] < iv["estimate"]).all() and (iv["estimate"] < iv["upper"]).all()
    bb = BetaGeoBetaBinom().fit(donations, weights="weights")
    iv = bb.predict_interval(
        "conditional_expected_purchases", 5, donations, seed=3, method="resample", n_boot=20
    )
    assert len(iv) == len(donations)
    pn = ParetoNBD().fit(cdnow)
    iv = pn.predict_interval(
        "discounted_expected_residual_transactions",
        2,
        30.43,
        38.86,
        discount_rate=0.0026,
        seed=4,
        n_boot=50,
    )
    assert iv["lower"][0] < iv["estimate"][0] < iv["upper"][0]


def test_wider_level_gives_wider_interval(donations):
    bb = BetaGeoBetaBinom().fit(donations, weights="weights")
    narrow = bb.predict_interval("expected_purchases", 11, seed=5, level=0.5)
    wide = bb.predict_interval("expected_purchases", 11, seed=5, level=0.99)
    assert wide["lower"][0] < narrow["lower"][0] < narrow["upper"][0] < wide["upper"][0]


def test_bad_input(cdnow):
    model = ParetoNBD().fit(cdnow)
    with pytest.raises(ValueError, match="quantity must be one of"):
        model.predict_interval("fit", cdnow)
    for not_a_prediction in ("from_params", "from_json", "generate", "summary"):
        with pytest.raises(ValueError, match="quantity must be one of"):
            model.predict_interval(not_a_prediction, cdnow)
    with pytest.raises(ValueError, match="level"):
        model.predict_interval("expected_purchases", 10, level=1.5)
    with pytest.raises(ValueError, match="n_boot"):
        model.predict_interval("expected_purchases", 10, n_boot=1)
    with pytest.raises(ValueError, match="method"):
        model.predict_interval("expected_purchases", 10, method="jackknife")
    with pytest.raises(ValueError, match="needs the data"):
        ParetoNBD.from_json(model.to_json()).predict_interval(
            "expected_purchases", 10, method="resample"
        )
    with pytest.raises(clmkit.NotFittedError):
        ParetoNBD().predict_interval("expected_purchases", 10)
    with pytest.raises(ValueError, match="recency"):
        model.predict_interval("p_alive", [1], [5], [3])
