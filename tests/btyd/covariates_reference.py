"""Independent references of the covariate tests: the links written out from Fader & Hardie's
2007 note (as pymc-marketing parameterises them) and simulated covariates."""

import numpy as np

# (process block, parameter index, sign) of each model's links, written out independently.
LINKS = {
    "bgnbd": [("purchase", 1, -1), ("dropout_a", 2, 1), ("dropout_b", 3, 1)],
    "mbgnbd": [("purchase", 1, -1), ("dropout_a", 2, 1), ("dropout_b", 3, 1)],
    "paretonbd": [("purchase", 1, -1), ("dropout", 3, -1)],
    "bgbb": [
        ("purchase_alpha", 0, 1),
        ("purchase_beta", 1, 1),
        ("dropout_gamma", 2, 1),
        ("dropout_delta", 3, 1),
    ],
    "gammagamma": [("spend", 2, 1)],
}


def with_covariates(frame, seed, zero=False):
    rng = np.random.default_rng(seed)
    out = frame.copy()
    n = len(out)
    out["web"] = 0.0 if zero else (rng.random(n) < 0.4).astype(float)
    out["age"] = 0.0 if zero else rng.normal(0.0, 1.0, n)
    return out


def customer_params(model, z):
    """Each customer's natural parameters from the fitted base and coefficients."""
    base = model.params_.to_numpy()
    out = np.tile(base, (len(z), 1))
    coefs = model.coefficients_
    names = list(model._state.covariates[0])
    for block, j, sign in LINKS[model._core_name]:
        if block not in coefs.index.get_level_values(0):
            continue
        g = coefs.loc[block]
        eta = sum(z[:, names.index(c)] * g[c] for c in g.index)
        out[:, j] = base[j] * np.exp(sign * eta)
    return out
