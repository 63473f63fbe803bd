"""lifetimes' private helpers that notebooks use: ``_negative_log_likelihood`` (class- and
instance-level), ``_scale``, ``_negative_log_likelihood_``, ``_log_A_0``, ``_unload_params``,
``utils._check_inputs`` and ``utils._scale_time``, against the published likelihoods
written out with scipy."""

import numpy as np
import pandas as pd
import pytest
from clmkit.compat.lifetimes import (
    BaseFitter,
    BetaGeoBetaBinomFitter,
    BetaGeoFitter,
    GammaGammaFitter,
    ModifiedBetaGeoFitter,
    ParetoNBDFitter,
    utils,
)
from clmkit.compat.lifetimes.datasets import load_cdnow_summary
from scipy.special import betaln, gammaln, hyp2f1

X = np.array([0.0, 1.0, 3.0, 7.0])
TX = np.array([0.0, 2.0, 2.0, 30.5])
T = np.array([5.0, 6.0, 9.0, 38.0])
W = np.array([1.0, 2.0, 1.0, 3.0])


def bgnbd_loglik(p, x, tx, T):
    """Fader, Hardie & Lee (2005), eq. 6 (log)."""
    r, alpha, a, b = p
    A1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    A2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    A3 = -(r + x) * np.log(alpha + T)
    A4 = np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(tx + alpha)
    return A1 + A2 + np.log(np.exp(A3) + (x > 0) * np.exp(A4))


def mbgnbd_loglik(p, x, tx, T):
    """Batislam, Denizel & Filiztekin (2007)."""
    r, alpha, a, b = p
    A1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    A2 = gammaln(a + b) + gammaln(b + x + 1) - gammaln(b) - gammaln(a + b + x + 1)
    A3 = -(r + x) * np.log(alpha + T)
    A4 = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
    return A1 + A2 + A3 + np.logaddexp(A4, 0)


def pnbd_loglik(p, x, tx, T):
    """Fader & Hardie's Pareto/NBD note (2005), eq. 18-20."""
    r, alpha, s, beta = p
    m, gap = max(alpha, beta), abs(alpha - beta)
    b = r + x if alpha < beta else s + 1
    a = r + s + x
    A0 = (
        hyp2f1(a, b, a + 1, gap / (m + tx)) / (m + tx) ** a
        - hyp2f1(a, b, a + 1, gap / (m + T)) / (m + T) ** a
    )
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    return head + np.log((alpha + T) ** -(r + x) * (beta + T) ** -s + s / a * A0)


def bgbb_loglik(p, x, tx, n):
    """Fader, Hardie & Shang (2010), eq. 5."""
    alpha, beta, gamma, delta = p
    out = np.exp(
        betaln(alpha + x, beta + n - x)
        - betaln(alpha, beta)
        + betaln(gamma, delta + n)
        - betaln(gamma, delta)
    )
    for i in range(int(np.max(n - tx))):
        term = np.exp(
            betaln(alpha + x, beta + tx - x + i)
            - betaln(alpha, beta)
            + betaln(gamma + 1, delta + tx + i)
            - betaln(gamma, delta)
        )
        out = out + np.where(i <= n - tx - 1, term, 0.0)
    return np.log(out)


@pytest.mark.parametrize(
    "cls, reference", [(BetaGeoFitter, bgnbd_loglik), (ModifiedBetaGeoFitter, mbgnbd_loglik)]
)
def test_bg_family_objective_is_lifetimes(cls, reference):
    p = np.array([0.3, 4.0, 0.8, 2.5])
    want = -(W * reference(p, X, TX, T)).sum() / W.sum() + 0.1 * (p**2).sum()
    for owner in (cls, cls()):
        got = owner._negative_log_likelihood(np.log(p), X, TX, T, W, 0.1)
        np.testing.assert_allclose(got, want, rtol=1e-12)
    # A scalar row and one-element arrays mix as in lifetimes' own test.
    one = cls._negative_log_likelihood(np.log(p), X[1], TX[1:2], T[1:2], W[1], 0)
    np.testing.assert_allclose(one, -reference(p, X[1], TX[1], T[1]), rtol=1e-12)


def test_paretonbd_objective_is_lifetimes_natural_parameters_per_mean_weight():
    p = np.array([0.55, 10.5, 0.6, 11.7])
    want = -(W * pnbd_loglik(p, X, TX, T)).sum() / W.mean()
    np.testing.assert_allclose(
        ParetoNBDFitter._negative_log_likelihood(p, X, TX, T, W, 0), want, rtol=1e-10
    )
    assert ParetoNBDFitter()._negative_log_likelihood([1, -1, 1, 1], X, TX, T, W, 0) == np.inf


def test_bgbb_and_gammagamma_objectives_are_lifetimes():
    p = np.array([1.2, 0.75, 0.66, 2.8])
    x, tx, n = np.array([0.0, 2, 6, 3]), np.array([0.0, 4, 6, 5]), np.full(4, 6.0)
    want = -(W * bgbb_loglik(p, x, tx, n)).sum() / W.sum()
    got = BetaGeoBetaBinomFitter._negative_log_likelihood(np.log(p), x, tx, n, W)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    q = np.array([6.25, 3.74, 15.44])
    f, m = np.array([1.0, 2.0, 5.0]), np.array([10.0, 35.5, 22.0])
    px = q[0] * f
    ll = (
        gammaln(px + q[1])
        - gammaln(px)
        - gammaln(q[1])
        + q[1] * np.log(q[2])
        + (px - 1) * np.log(m)
        + px * np.log(f)
        - (px + q[1]) * np.log(f * m + q[2])
    )
    got = GammaGammaFitter()._negative_log_likelihood(np.log(q), f, m, np.ones(3), 0.0)
    np.testing.assert_allclose(got, -ll.mean(), rtol=1e-12)


def test_log_a0_matches_the_note_and_survives_heavy_buyers():
    p = [0.55, 10.5, 0.6, 11.7]
    got = ParetoNBDFitter._log_A_0(p, X[1:], TX[1:], T[1:])
    r, alpha, s, beta = p
    m, a = beta, r + s + X[1:]
    want = np.log(
        hyp2f1(a, r + X[1:], a + 1, (beta - alpha) / (m + TX[1:])) / (m + TX[1:]) ** a
        - hyp2f1(a, r + X[1:], a + 1, (beta - alpha) / (m + T[1:])) / (m + T[1:]) ** a
    )
    np.testing.assert_allclose(got, want, rtol=1e-10)
    heavy = ParetoNBDFitter._log_A_0(
        [10.465, 7.98565181e-03, 3.0516, 2.820],
        np.array([400.0, 500, 500]),
        np.array([5.0, 1, 4]),
        np.array([6.0, 37, 37]),
    )
    assert np.all(np.isfinite(heavy)) and np.all(heavy < 0)


@pytest.mark.parametrize("cls", [BetaGeoFitter, ModifiedBetaGeoFitter, ParetoNBDFitter])
def test_scale_and_objective_at_the_fit(cls):
    d = load_cdnow_summary(index_col=[0])
    fitter = cls().fit(d["frequency"], d["recency"], d["T"])
    assert fitter._scale == 1.0 / d["T"].max()
    scaled = fitter.params_.copy()
    for name in ("alpha", "beta"):
        if name in scaled:
            scaled[name] *= fitter._scale
    p = scaled[list(cls._param_names)].to_numpy()
    x, tx, big_t = (d[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    args = (x, tx * fitter._scale, big_t * fitter._scale, np.ones(len(x)), 0.0)
    if cls is ParetoNBDFitter:
        want = -pnbd_loglik(p, *args[:3]).sum()
    else:
        ref = bgnbd_loglik if cls is BetaGeoFitter else mbgnbd_loglik
        want = -ref(p, *args[:3]).mean()
    np.testing.assert_allclose(fitter._negative_log_likelihood_, want, rtol=1e-9)


def test_unload_params_and_repr_work_on_hand_set_state():
    base = BaseFitter()
    assert repr(base) == "<lifetimes.BaseFitter>"
    with pytest.raises(ValueError, match="fit"):
        base._unload_params("x")
    base.params_ = pd.Series({"y": 42.0, "x": 12.3})
    base.data = np.array([1, 2, 3])
    assert base._unload_params("x", "y") == [12.3, 42.0]
    assert repr(base) == "<lifetimes.BaseFitter: fitted with 3 subjects, x: 12.30, y: 42.00>"
    base.data = None
    assert repr(base) == "<lifetimes.BaseFitter: x: 12.30, y: 42.00>"


def test_check_inputs_messages_in_lifetimes_order():
    f, r, t = np.array([0, 1, 2]), np.array([0, 1, 10]), np.array([5, 6, 15])
    assert utils._check_inputs(f, r, t, np.array([2.3, 490, 33.3])) is None
    cases = [
        ((f, t + 1, t), "larger than T"),
        ((f, np.array([1, 1, 10]), t), "non-zero recency values when frequency is zero"),
        ((f, np.array([0, -1, 10]), t), "negative recency"),
        ((np.array([0, 0.5, 2]), r, t), "non-integer values in the frequency"),
        ((f, r, t, np.array([0.0, 1, 1])), "non-positive"),
        ((np.array([]), np.array([]), np.array([])), "zero length"),
    ]
    for args, message in cases:
        with pytest.raises(ValueError, match=message):
            utils._check_inputs(*args)


def test_scale_time():
    assert utils._scale_time(np.arange(200.0)) == 1.0 / 199
    assert utils._scale_time(pd.Series([3.0, 12.0])) == 1.0 / 12


def test_per_row_log_likelihood_helpers():
    p = [0.55, 10.5, 0.6, 11.7]
    got = ParetoNBDFitter._conditional_log_likelihood(p, X, TX, T)
    np.testing.assert_allclose(got, pnbd_loglik(np.array(p), X, TX, T), rtol=1e-10)
    q = [1.2, 0.75, 0.66, 2.8]
    x, tx, n = np.array([0.0, 2, 6]), np.array([0.0, 4, 6]), np.full(3, 6.0)
    got = BetaGeoBetaBinomFitter()._loglikelihood(q, x, tx, n)
    np.testing.assert_allclose(got, bgbb_loglik(np.array(q), x, tx, n), rtol=1e-12)
