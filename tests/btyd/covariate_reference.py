"""Independent scipy references for the covariate BTYD and spend models (issue 21).

Written from the papers, not from clmkit's code. Two tiers:

* closed forms at per-customer parameters (FHL 2005 for BG/NBD, Batislam et al. 2007 for
  MBG/NBD, Fader, Hardie & Shang 2010 for BG/BB, the Gamma-Gamma marginal of the mean spend
  with a per-customer scale), and
* brute force: the same likelihoods as integrals over the latent heterogeneity (the dropout
  probability, the dropout time, the spend rate nu) by ``scipy.integrate.quad``, which check
  the closed forms and stand in for them where the closed form is what clmkit computes in a
  new way (Pareto/NBD's hypergeometric form, the covariate Gamma-Gamma).

Covariates enter as in Fader & Hardie's note on time-invariant covariates (2007) with the
signs pymc-marketing uses: a parameter ``base`` of a process with coefficient vector ``g`` is
``base * exp(sign * z . g)`` for a customer with covariates ``z`` (see :data:`LINKS`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
from scipy import integrate
from scipy.special import betaln, gammaln

# parameter -> (coefficient block, sign of the link); the block's covariates are the
# ``purchase`` or ``dropout`` (or ``spend``) columns of the fit.
LINKS: dict[str, dict[str, tuple[str, float]]] = {
    "bgnbd": {"alpha": ("purchase", -1.0), "a": ("dropout_a", 1.0), "b": ("dropout_b", 1.0)},
    "mbgnbd": {"alpha": ("purchase", -1.0), "a": ("dropout_a", 1.0), "b": ("dropout_b", 1.0)},
    "paretonbd": {"alpha": ("purchase", -1.0), "beta": ("dropout", -1.0)},
    "bgbb": {
        "alpha": ("purchase_alpha", 1.0),
        "beta": ("purchase_beta", 1.0),
        "gamma": ("dropout_gamma", 1.0),
        "delta": ("dropout_delta", 1.0),
    },
    "gammagamma": {"v": ("spend", 1.0)},
}
PARAM_NAMES = {
    "bgnbd": ("r", "alpha", "a", "b"),
    "mbgnbd": ("r", "alpha", "a", "b"),
    "paretonbd": ("r", "alpha", "s", "beta"),
    "bgbb": ("alpha", "beta", "gamma", "delta"),
    "gammagamma": ("p", "q", "v"),
}


def process_of(block: str) -> str:
    """The covariate list a coefficient block draws from: ``dropout_a`` -> ``dropout``."""
    return block.split("_")[0]


def customer_params(
    model: str,
    base: Mapping[str, float],
    coefficients: Mapping[str, Mapping[str, float]],
    covariates: Mapping[str, np.ndarray],
    n: int,
) -> dict[str, np.ndarray]:
    """Per-customer parameters ``base_j * exp(sign_j * z_i . g_block(j))``.

    ``coefficients[block][column]`` is the coefficient of covariate ``column`` in ``block``;
    ``covariates[column]`` its values (length ``n``). Blocks absent from ``coefficients``
    leave their parameter at the base value.
    """
    out = {name: np.full(n, float(base[name])) for name in PARAM_NAMES[model]}
    for name, (block, sign) in LINKS[model].items():
        eta = np.zeros(n)
        for column, g in coefficients.get(block, {}).items():
            eta += float(g) * np.asarray(covariates[column], dtype=float)
        out[name] = out[name] * np.exp(sign * eta)
    return out


# --------------------------------------------------------------- closed forms (tier 1)
def _nbd_part(r, alpha, x):
    """log of Gamma(r + x) / Gamma(r) * alpha^r: the rate's gamma mixture (FHL 2005 eq. 3)."""
    return gammaln(r + x) - gammaln(r) + r * np.log(alpha)


def bgnbd_loglik(p, x, tx, T):
    """FHL 2005 eq. 6 at per-customer parameters ``p`` (a dict of arrays)."""
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    head = _nbd_part(r, alpha, x) + betaln(a, b + x) - betaln(a, b)
    stay = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        leave = np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx),
            -np.inf,
        )
    return head + np.logaddexp(stay, leave)


def mbgnbd_loglik(p, x, tx, T):
    """Batislam, Denizel & Filiztekin 2007 eq. 4 at per-customer parameters."""
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    head = _nbd_part(r, alpha, x) + betaln(a, b + x + 1) - betaln(a, b)
    return head + np.logaddexp(
        -(r + x) * np.log(alpha + T), np.log(a) - np.log(b + x) - (r + x) * np.log(alpha + tx)
    )


def bgbb_loglik(p, x, tx, n):
    """Fader, Hardie & Shang 2010 eq. 5 (a finite sum over the opportunity of death)."""
    al, be, ga, de = p["alpha"], p["beta"], p["gamma"], p["delta"]
    x, tx, n = (np.asarray(v, dtype=float) for v in (x, tx, n))
    out = np.empty(len(x))
    for i in range(len(x)):
        terms = [
            betaln(al[i] + x[i], be[i] + n[i] - x[i])
            + betaln(ga[i], de[i] + n[i])
            - betaln(ga[i], de[i])
        ]
        for j in range(int(n[i] - tx[i])):
            terms.append(
                betaln(al[i] + x[i], be[i] + tx[i] - x[i] + j)
                + betaln(ga[i] + 1, de[i] + tx[i] + j)
                - betaln(ga[i], de[i])
            )
        out[i] = np.logaddexp.reduce(terms) - betaln(al[i], be[i])
    return out


def gammagamma_loglik(p, x, m):
    """Log density of the mean ``m`` of ``x`` repeat transactions, nu integrated out.

    Each transaction is Gamma(p, nu) (shape p, rate nu), so their mean is Gamma(p x, x nu);
    nu ~ Gamma(q, v_i) with the covariate rate v_i = v exp(z . g) (docs/guide/covariates.md
    derives it): Gamma(px+q)/(Gamma(px) Gamma(q)) v^q x^(px) m^(px-1) / (v + x m)^(px+q).
    """
    pp, q, v = p["p"], p["q"], p["v"]
    px = pp * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(v)
        + px * np.log(x)
        + (px - 1) * np.log(m)
        - (px + q) * np.log(v + x * m)
    )


# --------------------------------------------------------------- brute force (tier 2)
def _quad(f, lo, hi, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        value, _ = integrate.quad(f, lo, hi, limit=200, epsabs=0.0, epsrel=1e-12, **kw)
    return value


def beta_moment(a, b, j, k):
    """E[p^j (1-p)^k] for p ~ Beta(a, b) by quadrature with the algebraic end-point weight
    (QAWS handles a, b < 1 exactly)."""
    scale = np.exp(-betaln(a, b))
    return scale * _quad(lambda p: p**j * (1 - p) ** k, 0.0, 1.0, weight="alg", wvar=(a - 1, b - 1))


def bgnbd_loglik_quad(p, x, tx, T, modified=False):
    """BG/NBD (MBG/NBD with ``modified``) with the dropout probability integrated by quad:
    given p, no dropout during the x purchases has probability (1-p)^x (MBG: (1-p)^(x+1)),
    dropout right after the last one p (1-p)^(x-1) (MBG: p (1-p)^x, also when x = 0); the
    rate's gamma mixture of lambda^x exp(-lambda t) is Gamma(r+x)/Gamma(r) alpha^r/(alpha+t)^(r+x)."""
    out = np.empty(len(x))
    for i in range(len(x)):
        r, al, a, b = p["r"][i], p["alpha"][i], p["a"][i], p["b"][i]
        xi = float(x[i])
        lam_T = np.exp(_nbd_part(r, al, xi) - (r + xi) * np.log(al + T[i]))
        lam_t = np.exp(_nbd_part(r, al, xi) - (r + xi) * np.log(al + tx[i]))
        if modified:
            val = beta_moment(a, b, 0, xi + 1) * lam_T + beta_moment(a, b, 1, xi) * lam_t
        else:
            val = beta_moment(a, b, 0, xi) * lam_T
            if xi > 0:
                val += beta_moment(a, b, 1, xi - 1) * lam_t
        out[i] = np.log(val)
    return out


def paretonbd_loglik_quad(p, x, tx, T):
    """Pareto/NBD by integration over the dropout time tau (Schmittlein et al. 1987).

    With mu ~ Gamma(s, beta) integrated out, tau is Lomax: S(t) = (beta/(beta+t))^s,
    f(t) = s/beta (beta/(beta+t))^(s+1). Given tau and the rate lambda, x purchases with the
    last at t_x have density lambda^x exp(-lambda min(tau, T)) (tau > t_x). Mixing lambda
    (closed form above) and integrating tau over (t_x, T) by quad gives the likelihood that
    the paper writes with Gauss's hypergeometric function.
    """
    out = np.empty(len(x))
    for i in range(len(x)):
        r, al, s, be = p["r"][i], p["alpha"][i], p["s"][i], p["beta"][i]
        xi, ti, Ti = float(x[i]), float(tx[i]), float(T[i])
        k = r + xi
        # scale by (alpha + t_x)^-(r+x) so every term is <= 1
        alive = np.exp(s * np.log(be / (be + Ti)) - k * np.log((al + Ti) / (al + ti)))

        def dead(t, r=r, al=al, s=s, be=be, ti=ti, k=k):
            lomax = s / be * np.exp((s + 1) * np.log(be / (be + t)))
            return lomax * np.exp(-k * np.log((al + t) / (al + ti)))

        between = _quad(dead, ti, Ti) if Ti > ti else 0.0
        out[i] = _nbd_part(r, al, xi) - k * np.log(al + ti) + np.log(alive + between)
    return out


def bgbb_loglik_quad(p, x, tx, n):
    """BG/BB with both beta mixtures integrated by quadrature and the opportunity of death
    summed by brute force: alive through n opportunities, or dead just before opportunity
    tx + j + 1 (j = 0 .. n - tx - 1) after surviving tx + j of them."""
    out = np.empty(len(x))
    for i in range(len(x)):
        al, be, ga, de = p["alpha"][i], p["beta"][i], p["gamma"][i], p["delta"][i]
        xi, ti, ni = float(x[i]), float(tx[i]), float(n[i])
        total = beta_moment(al, be, xi, ni - xi) * beta_moment(ga, de, 0, ni)
        for j in range(int(ni - ti)):
            total += beta_moment(al, be, xi, ti - xi + j) * beta_moment(ga, de, 1, ti + j)
        out[i] = np.log(total)
    return out


def gammagamma_loglik_quad(p, x, m):
    """Gamma-Gamma with covariates, nu integrated numerically: the mean of x Gamma(p, nu)
    transactions is Gamma(p x, x nu), mixed over nu ~ Gamma(q, v_i) (rate v_i)."""
    out = np.empty(len(x))
    for i in range(len(x)):
        pp, q, v = p["p"][i], p["q"][i], p["v"][i]
        xi, mi = float(x[i]), float(m[i])
        px = pp * xi

        def log_h(nu, px=px, q=q, v=v, xi=xi, mi=mi):
            mean_density = px * np.log(xi * nu) + (px - 1) * np.log(mi) - xi * nu * mi - gammaln(px)
            prior = q * np.log(v) + (q - 1) * np.log(nu) - v * nu - gammaln(q)
            return mean_density + prior

        mode = max(px + q - 1, 1e-3) / (xi * mi + v)
        width = np.sqrt(px + q) / (xi * mi + v)
        peak = log_h(mode)
        h = lambda nu, peak=peak, f=log_h: np.exp(f(nu) - peak) if nu > 0 else 0.0
        pieces = [0.0, mode, mode + 60 * width]
        total = sum(_quad(h, lo, hi) for lo, hi in zip(pieces[:-1], pieces[1:]))
        total += _quad(h, pieces[-1], np.inf)
        out[i] = peak + np.log(total)
    return out


CLOSED_FORMS = {
    "bgnbd": bgnbd_loglik,
    "mbgnbd": mbgnbd_loglik,
    "bgbb": bgbb_loglik,
    "gammagamma": gammagamma_loglik,
    "paretonbd": paretonbd_loglik_quad,
}


def loglik(
    model: str,
    base: Mapping[str, float],
    coefficients: Mapping[str, Mapping[str, float]],
    covariates: Mapping[str, np.ndarray],
    data: Sequence[np.ndarray],
) -> np.ndarray:
    """Per-customer log-likelihood of ``model`` with covariates (``data`` = the model's data
    columns: x, t_x, T; x, t_x, n for BG/BB; x, m for Gamma-Gamma)."""
    cols = [np.asarray(c, dtype=float) for c in data]
    params = customer_params(model, base, coefficients, covariates, len(cols[0]))
    return np.asarray(CLOSED_FORMS[model](params, *cols))


def fd_gradient(f, theta, rel=1e-5):
    """Central finite differences (step ``rel * max(|theta|, 1)``, Richardson-extrapolated
    once so the error is O(h^4))."""
    theta = np.asarray(theta, dtype=float)
    out = np.empty_like(theta)
    for j in range(len(theta)):
        h = rel * max(abs(theta[j]), 1.0)
        e = np.zeros_like(theta)
        e[j] = h
        d1 = (f(theta + e) - f(theta - e)) / (2 * h)
        d2 = (f(theta + 2 * e) - f(theta - 2 * e)) / (4 * h)
        out[j] = (4 * d1 - d2) / 3
    return out


def paretonbd_loglik_mpmath(p, x, tx, T, dps=30):
    """Pareto/NBD closed form (Fader & Hardie 2005, "A note on deriving the Pareto/NBD
    model and related expressions": the likelihood with the A0 term) with mpmath's hyp2f1 at ``dps`` digits: a third route to
    the same number, used to check the quadrature above."""
    import mpmath as mp

    out = np.empty(len(x))
    with mp.workdps(dps):
        for i in range(len(x)):
            r, al, s, be = (mp.mpf(float(p[k][i])) for k in ("r", "alpha", "s", "beta"))
            xi, ti, Ti = mp.mpf(float(x[i])), mp.mpf(float(tx[i])), mp.mpf(float(T[i]))
            rsx = r + s + xi
            if al >= be:
                big, b2 = al, s + 1
            else:
                big, b2 = be, r + xi
            diff = abs(al - be)
            a0 = (
                mp.hyp2f1(rsx, b2, rsx + 1, diff / (big + ti)) / (big + ti) ** rsx
                - mp.hyp2f1(rsx, b2, rsx + 1, diff / (big + Ti)) / (big + Ti) ** rsx
            )
            stay = 1 / ((al + Ti) ** (r + xi) * (be + Ti) ** s)
            lik = mp.gamma(r + xi) * al**r * be**s / mp.gamma(r) * (stay + s / rsx * a0)
            out[i] = float(mp.log(lik))
    return out


def paretonbd_loglik_hyp2f1(p, x, tx, T):
    """The same closed form vectorised with scipy's hyp2f1 in log space (fast enough for
    finite-difference gradients); the tests check it against the quadrature on every
    customer where they use it."""
    from scipy.special import hyp2f1

    r, al, s, be = p["r"], p["alpha"], p["s"], p["beta"]
    x, tx, T = (np.asarray(v, dtype=float) for v in (x, tx, T))
    rsx = r + s + x
    swap = al < be
    big = np.where(swap, be, al)
    b2 = np.where(swap, r + x, s + 1)
    diff = np.abs(al - be)
    stay = -(r + x) * np.log(al + T) - s * np.log(be + T)
    lead = np.log(s / rsx)
    at_tx = lead + np.log(hyp2f1(rsx, b2, rsx + 1, diff / (big + tx))) - rsx * np.log(big + tx)
    at_T = lead + np.log(hyp2f1(rsx, b2, rsx + 1, diff / (big + T))) - rsx * np.log(big + T)
    top = np.maximum(stay, at_tx)
    inner = np.exp(stay - top) + np.exp(at_tx - top) - np.exp(at_T - top)
    return _nbd_part(r, al, x) + s * np.log(be) + top + np.log(inner)
