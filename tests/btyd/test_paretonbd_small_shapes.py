"""ParetoNBD P(alive) and log-likelihood in small-shape regimes against mpmath.

Regression for a hypothesis counterexample: at r = s = beta = 0.0625, alpha = 7, x = t_x = 0,
T = 1 P(alive) was 0.0405 instead of 0.8369, because the quadrature route of the tail
integral F(u) (taken when z = |alpha - beta| / (max + u) > 0.99) centred its rule far off
the peak. The reference is Fader & Hardie's note ("A Note on Deriving the Pareto/NBD Model
and Related Expressions", 2005, eq. 22 - 24): F(u) = 2F1(a, b; a+1; z) / (a (W+u)^a) with
a = r+s+x, W = max(alpha, beta), b = s+1 (alpha >= beta) or r+x (alpha < beta), evaluated
by mpmath at 40 digits, and cross-checked against a direct mpmath quadrature of F.
"""

import itertools

import mpmath as mp
import numpy as np
import pytest
from clmkit import ParetoNBD

mp.mp.dps = 40


def mp_tail(r, alpha, s, beta, x, u):
    """F(u) = ∫_u^∞ (alpha+τ)^-(r+x) (beta+τ)^-(s+1) dτ by the note's 2F1 closed form."""
    r, alpha, s, beta, x, u = (mp.mpf(v) for v in (r, alpha, s, beta, x, u))
    a = r + s + x
    if alpha >= beta:
        z = (alpha - beta) / (alpha + u)
        return mp.hyp2f1(a, s + 1, a + 1, z) / (a * (alpha + u) ** a)
    z = (beta - alpha) / (beta + u)
    return mp.hyp2f1(a, r + x, a + 1, z) / (a * (beta + u) ** a)


def mp_terms(r, alpha, s, beta, x, tx, T):
    """(alive at T, died in (t_x, T]) terms of the likelihood without the common factor."""
    mr, ma, ms, mb, mx, mT = (mp.mpf(v) for v in (r, alpha, s, beta, x, T))
    alive = (ma + mT) ** -(mr + mx) * (mb + mT) ** -ms
    dead = ms * (mp_tail(r, alpha, s, beta, x, tx) - mp_tail(r, alpha, s, beta, x, T))
    return alive, dead


def mp_p_alive(params, x, tx, T):
    alive, dead = mp_terms(*params, x, tx, T)
    return float(alive / (alive + dead))


def mp_loglik(params, x, tx, T):
    r, alpha, s, beta = (mp.mpf(v) for v in params)
    alive, dead = mp_terms(*params, x, tx, T)
    const = mp.loggamma(r + x) - mp.loggamma(r) + r * mp.log(alpha) + s * mp.log(beta)
    return float(const + mp.log(alive + dead))


HYPOTHESIS_CASE = (0.0625, 7.0, 0.0625, 0.0625)


def test_closed_form_reference_matches_direct_quadrature():
    # The 2F1 reference itself against ∫ by mpmath's tanh-sinh rule in y = ln(τ - u), where
    # the τ^-1.125 tail becomes an exponential one (split at the kinks and along the tail).
    r, alpha, s, beta = (mp.mpf(v) for v in HYPOTHESIS_CASE)
    for u in (0, 1):

        def f(y, u=u):
            t = mp.exp(y)
            return t * (alpha + u + t) ** -r * (beta + u + t) ** -(s + 1)

        cuts = [-mp.inf, mp.log(beta + u), mp.log(alpha + u), 20, 60, 150, 400, mp.inf]
        direct = mp.quad(f, cuts)
        assert mp.almosteq(direct, mp_tail(*HYPOTHESIS_CASE, 0, u), rel_eps=1e-20)


def test_hypothesis_counterexample():
    m = ParetoNBD.from_params(list(HYPOTHESIS_CASE))
    want = mp_p_alive(HYPOTHESIS_CASE, 0, 0.0, 1.0)
    assert want == pytest.approx(0.8369043759, rel=1e-9)
    assert m.p_alive(0, 0.0, 1.0) == pytest.approx(want, rel=1e-11)
    ll = m.individual_log_likelihood([0.0], [0.0], [1.0])
    assert float(np.asarray(ll)[0]) == pytest.approx(
        mp_loglik(HYPOTHESIS_CASE, 0, 0.0, 1.0), abs=1e-11
    )


# Small r, s, beta with alpha >> beta, and small r, s, alpha with beta >> alpha.
SMALL = (0.03, 0.0625, 0.12)
GRID = [(r, a, s, b) for r, s, b in itertools.product(SMALL, SMALL, SMALL) for a in (7.0, 70.0)]
GRID += [
    (r, a, s, b) for r, s, a in itertools.product(SMALL, SMALL, (0.0625,)) for b in (7.0, 70.0)
]
CUSTOMERS = [(0, 0.0, 1.0), (0, 0.0, 10.0), (1, 0.3, 1.0), (4, 2.0, 10.0), (30, 0.9, 1.0)]


@pytest.mark.parametrize("params", GRID, ids=lambda p: "r{}-a{}-s{}-b{}".format(*p))
def test_small_shape_grid_against_mpmath(params):
    m = ParetoNBD.from_params(list(params))
    x, tx, T = (np.array(v, dtype=float) for v in zip(*CUSTOMERS))
    want_alive = [mp_p_alive(params, *c) for c in CUSTOMERS]
    want_ll = [mp_loglik(params, *c) for c in CUSTOMERS]
    np.testing.assert_allclose(m.p_alive(x, tx, T), want_alive, rtol=1e-9, atol=1e-14)
    got_ll = np.asarray(m.individual_log_likelihood(x, tx, T), dtype=float)
    np.testing.assert_allclose(got_ll, want_ll, rtol=0, atol=1e-9)
