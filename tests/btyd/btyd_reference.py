"""Independent numpy/scipy references for the BTYD tests (written from the papers, not from
clmkit's code): log-likelihoods, closed forms with scipy's hyp2f1, numerical integrals."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import integrate
from scipy.special import betaln, gammaln, hyp2f1


def bgnbd_loglik(params, x, tx, T):
    """FHL 2005 eq. 6, A1..A4 as in Fader & Hardie's spreadsheet, summed with logaddexp."""
    r, alpha, a, b = params
    x, tx, T = (np.asarray(v, dtype=float) for v in (x, tx, T))
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx),
            -np.inf,
        )
    return a1 + a2 + np.logaddexp(a3, a4)


def mbgnbd_loglik(params, x, tx, T):
    """Batislam et al. 2007 eq. 4."""
    r, alpha, a, b = params
    x, tx, T = (np.asarray(v, dtype=float) for v in (x, tx, T))
    base = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x + 1) - betaln(a, b)
    return base + np.logaddexp(
        -(r + x) * np.log(alpha + T), np.log(a) - np.log(b + x) - (r + x) * np.log(alpha + tx)
    )


def gammagamma_loglik(params, x, m):
    """Fader & Hardie note 025 eq. 3 (density of the mean of x transactions)."""
    p, q, v = params
    return (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(v + x * m)
    )


def bgnbd_p_alive(params, x, tx, T):
    r, alpha, a, b = params
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x)
        return np.where(x > 0, 1 / (1 + ratio), 1.0)


def bgnbd_conditional_expected_hyp2f1(params, t, x, tx, T):
    """FHL 2005 eq. 10 with scipy's hyp2f1 (valid when a != 1 and a + b + x - 1 > 0)."""
    r, alpha, a, b = params
    z = t / (alpha + T + t)
    bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(
        r + x, b + x, a + b + x - 1, z
    )
    return (a + b + x - 1) / (a - 1) * bracket * bgnbd_p_alive(params, x, tx, T)


def bgnbd_expected_hyp2f1(params, t):
    """FHL 2005 eq. 9."""
    r, alpha, a, b = params
    return (
        (a + b - 1)
        / (a - 1)
        * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))
    )


def mbgnbd_conditional_expected_hyp2f1(params, t, x, tx, T):
    """Batislam et al. 2007 conditional expectation (as in lifetimes' ModifiedBetaGeoFitter)."""
    r, alpha, a, b = params
    z = t / (alpha + T + t)
    bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(
        r + x, b + x + 1, a + b + x, z
    )
    alive = 1 / (1 + a / (b + x) * ((alpha + T) / (alpha + tx)) ** (r + x))
    return (a + b + x) / (a - 1) * bracket * alive


def mbgnbd_expected_hyp2f1(params, t):
    r, alpha, a, b = params
    return b / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b + 1, a + b, t / (alpha + t)))


def bgnbd_conditional_expected_quad(params, t, x, tx, T):
    """E[Y(t) | x, t_x, T] as the defining integral: P(alive) E_p[(1 - (A / (A + p t))^s) / p]
    with p ~ Beta(a, b + x), A = alpha + T, s = r + x (the rate integrated out)."""
    r, alpha, a, b = params
    s, big_a, bx = r + x, alpha + T, b + x

    def integrand(p):
        if p == 0:
            return 0.0
        log_dens = (a - 1) * np.log(p) + (bx - 1) * np.log1p(-p) - betaln(a, bx)
        return np.exp(log_dens) * -np.expm1(-s * np.log1p(p * t / big_a)) / p

    with warnings.catch_warnings():
        # quad may report that its extrapolation hit roundoff near 1e-13; the value is still
        # far more accurate than the 1e-8 the tests ask for.
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        value, _ = integrate.quad(integrand, 0, 1, limit=200, epsabs=1e-13, epsrel=1e-11)
    return float(bgnbd_p_alive(params, np.float64(x), tx, T)) * value


def numerical_hessian(f, x, rel=1e-4):
    """Central-difference Hessian of a scalar function."""
    x = np.asarray(x, dtype=float)
    n = len(x)
    h = rel * np.maximum(np.abs(x), 1e-3)
    H = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            e_i, e_j = np.eye(n)[i] * h[i], np.eye(n)[j] * h[j]
            H[i, j] = (
                f(x + e_i + e_j) - f(x + e_i - e_j) - f(x - e_i + e_j) + f(x - e_i - e_j)
            ) / (4 * h[i] * h[j])
    return (H + H.T) / 2
