"""Simulators for the BTYD and spend models with time-invariant covariates (issue 21).

Each customer's model parameters follow Fader & Hardie's note on time-invariant covariates
(2007) with pymc-marketing's signs: a parameter ``base`` linked to a coefficient block ``g``
is ``base * exp(sign * z . g)`` for a customer with covariate values ``z``
(:data:`COVARIATE_LINKS`). A positive purchase coefficient therefore raises the purchase rate
(the gamma scale ``alpha`` shrinks), a positive ``dropout`` coefficient of the Pareto/NBD
raises the dropout rate, and a positive ``spend`` coefficient raises the mean spend.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Optional, Union

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._validation import check_int, check_per_customer

__all__ = ["COVARIATE_LINKS", "simulate_covariate_summary", "simulate_covariate_transactions"]

FloatArray = npt.NDArray[np.float64]
# frequency, recency, alive
Draws = tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]
Covariates = Union[pd.DataFrame, Mapping[str, npt.ArrayLike]]

#: model -> {parameter: (coefficient block, sign)}; blocks starting with ``purchase`` use the
#: purchase covariates, ``dropout`` ones the dropout covariates, ``spend`` the spend ones.
COVARIATE_LINKS: dict[str, dict[str, tuple[str, float]]] = {
    "bgnbd": {"alpha": ("purchase", -1.0), "a": ("dropout_a", 1.0), "b": ("dropout_b", 1.0)},
    "mbgnbd": {"alpha": ("purchase", -1.0), "a": ("dropout_a", 1.0), "b": ("dropout_b", 1.0)},
    "paretonbd": {"alpha": ("purchase", -1.0), "beta": ("dropout", -1.0)},
    "bgbb": {
        "alpha": ("purchase_alpha", 1.0),
        "beta": ("purchase_beta", 1.0),
        "gamma": ("dropout_gamma", 1.0),
        "delta": ("dropout_delta", 1.0),
    },
}
_SPEND_LINK = {"v": ("spend", 1.0)}
_PARAMS = {
    "bgnbd": ("r", "alpha", "a", "b"),
    "mbgnbd": ("r", "alpha", "a", "b"),
    "paretonbd": ("r", "alpha", "s", "beta"),
    "bgbb": ("alpha", "beta", "gamma", "delta"),
}
_SPEND_PARAMS = ("p", "q", "v")
_ALIASES = {
    "BetaGeo": "bgnbd",
    "ModifiedBetaGeo": "mbgnbd",
    "ParetoNBD": "paretonbd",
    "BetaGeoBetaBinom": "bgbb",
}
# BG/BB draws one Bernoulli per customer and opportunity: bound the matrix before allocating.
_MAX_BGBB_CELLS = 200_000_000


def _model_key(model: Union[str, type]) -> str:
    name = model if isinstance(model, str) else getattr(model, "__name__", repr(model))
    key = _ALIASES.get(name, name)
    if key not in _PARAMS:
        choices = sorted(set(_PARAMS) | set(_ALIASES))
        raise ValueError(f"model must be one of {choices}, got {name!r}")
    return key


def _covariate_columns(covariates: Optional[Covariates], n: int) -> dict[str, FloatArray]:
    if covariates is None:
        return {}
    if not isinstance(covariates, (pd.DataFrame, Mapping)):
        raise TypeError(
            f"covariates must be a DataFrame or a mapping of columns, got {type(covariates).__name__}"
        )
    out: dict[str, FloatArray] = {}
    frame = pd.DataFrame(covariates) if not isinstance(covariates, pd.DataFrame) else covariates
    for name in frame.columns:
        values = np.asarray(frame[name], dtype=float)
        if values.shape != (n,):
            raise ValueError(
                f"covariates[{name!r}] must have n_customers={n} values, got shape {values.shape}"
            )
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.argmax(bad))
            raise ValueError(f"covariates[{name!r}] must be finite: row {row} is {values[row]!r}")
        out[str(name)] = values
    return out


def customer_parameters(
    model: Union[str, type],
    params: Mapping[str, float],
    coefficients: Mapping[str, Mapping[str, float]],
    covariates: Optional[Covariates],
    n_customers: int,
) -> dict[str, FloatArray]:
    """Each customer's parameters under the covariate links (also the spend parameters
    ``p, q, v`` when ``params`` has them).

    Examples
    --------
    >>> from clmkit.datasets import customer_parameters
    >>> p = customer_parameters("bgnbd", {"r": 0.5, "alpha": 2.0, "a": 1.0, "b": 3.0},
    ...                         {"purchase": {"web": 0.5}}, {"web": [0.0, 1.0]}, 2)
    >>> p["alpha"].round(4).tolist()
    [2.0, 1.2131]
    """
    key = _model_key(model)
    n = check_int(n_customers, "n_customers", low=0)
    names: tuple[str, ...] = _PARAMS[key]
    links = dict(COVARIATE_LINKS[key])
    spend = [k for k in _SPEND_PARAMS if k in params]
    if spend:
        if len(spend) != len(_SPEND_PARAMS):
            raise ValueError(f"spend parameters need all of p, q, v; got {spend}")
        names += _SPEND_PARAMS
        links.update(_SPEND_LINK)
    missing = [k for k in names if k not in params]
    if missing:
        raise ValueError(f"params is missing {missing} (model {key!r} needs {list(names)})")
    unknown = [k for k in params if k not in names]
    if unknown:
        raise ValueError(f"params has unknown names {unknown}; expected {list(names)}")
    for k in names:
        value = float(params[k])
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"params[{k!r}] must be finite and > 0, got {value!r}")
    blocks = {block for block, _ in links.values()}
    stray = sorted(set(coefficients) - blocks)
    if stray:
        raise ValueError(
            f"coefficients has unknown blocks {stray}; model {key!r} has {sorted(blocks)}"
        )
    columns = _covariate_columns(covariates, n)
    out = {k: np.full(n, float(params[k])) for k in names}
    for name, (block, sign) in links.items():
        eta = np.zeros(n)
        for column, g in coefficients.get(block, {}).items():
            if column not in columns:
                raise ValueError(
                    f"coefficients[{block!r}] names covariate {column!r}, which is not among "
                    f"the covariates {sorted(columns)}"
                )
            eta += float(g) * columns[column]
        out[name] = out[name] * np.exp(sign * eta)
    return out


def _poisson_last(rng: np.random.Generator, count: np.ndarray, window: FloatArray) -> FloatArray:
    """Time of the last of ``count`` uniform arrivals in (0, window]: window * Beta(k, 1)."""
    k = np.maximum(count, 1).astype(float)
    return np.where(count > 0, window * rng.random(len(count)) ** (1.0 / k), 0.0)


def _bgnbd(
    rng: np.random.Generator, p: dict[str, FloatArray], T: FloatArray, modified: bool
) -> Draws:
    # FHL 2005: potential purchases N ~ Poisson(lambda T); the customer leaves after the G-th
    # repeat purchase, G ~ Geometric(p); MBG/NBD (Batislam et al. 2007) may also leave at 0.
    lam = rng.gamma(p["r"], 1.0 / p["alpha"])
    drop = rng.beta(p["a"], p["b"])
    potential = rng.poisson(lam * T)
    fatal = rng.geometric(drop)
    at_start = rng.random(len(T)) < drop if modified else np.zeros(len(T), dtype=bool)
    made = np.where(at_start, 0, np.minimum(potential, fatal))
    # the k-th of N uniform arrival times in (0, T] is T * Beta(k, N - k + 1)
    k = np.maximum(made, 1)
    last = rng.beta(k, np.maximum(potential - k + 1, 1))
    recency = np.where(made > 0, T * last, 0.0)
    return made.astype(float), recency, ~at_start & (potential < fatal)


def _paretonbd(rng: np.random.Generator, p: dict[str, FloatArray], T: FloatArray) -> Draws:
    # Schmittlein, Morrison & Colombo 1987: Poisson(lambda) purchases until an Exp(mu) death.
    lam = rng.gamma(p["r"], 1.0 / p["alpha"])
    mu = rng.gamma(p["s"], 1.0 / p["beta"])
    death = rng.exponential(1.0 / mu)
    window = np.minimum(death, T)
    made = rng.poisson(lam * window)
    return made.astype(float), _poisson_last(rng, made, window), death > T


def _bgbb(rng: np.random.Generator, p: dict[str, FloatArray], n_periods: FloatArray) -> Draws:
    # Fader, Hardie & Shang 2010: before each opportunity an alive customer dies w.p. theta;
    # at each opportunity alive it transacts w.p. p.
    n = len(n_periods)
    horizon = int(n_periods.max()) if n else 0
    if n * horizon > _MAX_BGBB_CELLS:
        raise ValueError(
            f"n_customers * max(T) = {n * horizon} opportunities exceeds {_MAX_BGBB_CELLS}"
        )
    buy = rng.beta(p["alpha"], p["beta"])
    die = rng.beta(p["gamma"], p["delta"])
    alive_for = np.minimum(rng.geometric(die) - 1, n_periods)
    t = np.arange(1, horizon + 1)
    bought = (rng.random((n, horizon)) < buy[:, None]) & (t[None, :] <= alive_for[:, None])
    frequency = bought.sum(axis=1).astype(float)
    recency = np.where(bought.any(axis=1), horizon - np.argmax(bought[:, ::-1], axis=1), 0)
    return frequency, recency.astype(float), alive_for >= n_periods


def simulate_covariate_summary(
    model: Union[str, type],
    n_customers: int,
    params: Mapping[str, float],
    coefficients: Mapping[str, Mapping[str, float]],
    covariates: Optional[Covariates] = None,
    T: Union[float, npt.ArrayLike] = 52.0,
    seed: Optional[int] = 0,
) -> pd.DataFrame:
    """Simulate a customer summary from a BTYD model whose parameters depend on covariates.

    Parameters
    ----------
    model : {"bgnbd", "mbgnbd", "paretonbd", "bgbb"} or the model class
        ``"BetaGeo"``, ``clmkit.ParetoNBD``, ... are accepted too.
    n_customers : int
        Number of customers (rows).
    params : mapping
        Base parameters (r, alpha, a, b / r, alpha, s, beta / alpha, beta, gamma, delta),
        optionally with the Gamma-Gamma spend parameters p, q, v, which adds
        ``monetary_value`` (the mean of each repeat buyer's repeat transactions).
    coefficients : mapping
        ``{block: {covariate: coefficient}}`` with the blocks of :data:`COVARIATE_LINKS`
        (``"purchase"``, ``"dropout_a"``, ``"dropout_b"`` for BG/NBD; ``"purchase"``,
        ``"dropout"`` for Pareto/NBD; ``"spend"`` with spend parameters). ``{}``: none.
    covariates : DataFrame or mapping of columns, optional
        ``n_customers`` values per covariate (finite); copied into the result.
    T : float or array-like
        Observation length(s) (BG/BB: the number of opportunities, an integer).
    seed : int, optional
        Seed of numpy's default generator; equal seeds give equal summaries.

    Returns
    -------
    pandas.DataFrame
        ``frequency``, ``recency``, ``T`` (``n_periods`` for BG/BB), ``monetary_value``
        (with spend parameters), the covariate columns and the latent ``alive`` flag.

    Raises
    ------
    ValueError
        Unknown model, block or parameter; missing, non-finite or mis-sized covariates;
        non-positive parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from clmkit.datasets import simulate_covariate_summary
    >>> web = np.repeat([0.0, 1.0], 500)
    >>> sim = simulate_covariate_summary(
    ...     "bgnbd", 1000, {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5},
    ...     {"purchase": {"web": 0.7}}, {"web": web}, T=52.0, seed=1)
    >>> list(sim.columns)
    ['frequency', 'recency', 'T', 'web', 'alive']
    >>> bool(sim.groupby("web")["frequency"].mean().diff().iloc[1] > 0)
    True
    """
    key = _model_key(model)
    p = customer_parameters(key, params, coefficients, covariates, n_customers)
    n = len(next(iter(p.values())))
    rng = np.random.default_rng(seed)
    length = check_per_customer(T, "T", n, integer=key == "bgbb")
    if key == "bgbb":
        frequency, recency, alive = _bgbb(rng, p, length)
    elif key == "paretonbd":
        frequency, recency, alive = _paretonbd(rng, p, length)
    else:
        frequency, recency, alive = _bgnbd(rng, p, length, modified=key == "mbgnbd")
    out = {
        "frequency": frequency,
        "recency": recency,
        "n_periods" if key == "bgbb" else "T": length,
    }
    if "p" in p:
        # the mean of x Gamma(p, nu) transactions is Gamma(p x, rate x nu) (FH 2013 note 025)
        nu = rng.gamma(p["q"], 1.0 / p["v"])
        x = np.maximum(frequency, 1.0)
        mean = rng.gamma(p["p"] * x, 1.0 / (x * nu))
        out["monetary_value"] = np.where(frequency > 0, mean, 0.0)
    index = covariates.index if isinstance(covariates, pd.DataFrame) else None
    frame: pd.DataFrame = pd.DataFrame(out, index=index)
    for name, values in _covariate_columns(covariates, n).items():
        frame[name] = values
    frame["alive"] = alive
    return frame


def simulate_covariate_transactions(
    n_customers: int,
    params: Mapping[str, float],
    coefficients: Mapping[str, Mapping[str, float]],
    covariates: Optional[Covariates] = None,
    seed: int = 0,
    *,
    first_amount: Optional[npt.ArrayLike] = None,
    start: str = "2020-01-01",
    acquisition_days: float = 365.0,
    observation_days: float = 730.0,
) -> pd.DataFrame:
    """Simulate a transaction log from BG/NBD with Gamma-Gamma spend, both with covariates.

    Each customer's r, alpha (per day), a, b, p, q, v follow :data:`COVARIATE_LINKS`
    (blocks ``purchase``, ``dropout_a``, ``dropout_b``, ``spend``); the log itself is drawn by
    :func:`clmkit.datasets.simulate_transactions` with those per-customer parameters.

    Parameters
    ----------
    n_customers, params, coefficients, covariates, seed
        As in :func:`simulate_covariate_summary`; ``params`` needs r, alpha, a, b, p, q, v.
    first_amount : array-like, optional
        The value of each customer's first purchase (e.g. a ``first_order_value``
        covariate); by default it is drawn like the repeat purchases.
    start, acquisition_days, observation_days
        As in :func:`clmkit.datasets.simulate_transactions`.

    Returns
    -------
    pandas.DataFrame
        ``customer_id`` (0 .. n_customers - 1, the row of ``covariates``), ``date``,
        ``amount``, sorted by date.

    Examples
    --------
    >>> from clmkit.datasets import simulate_covariate_transactions
    >>> params = {"r": 0.25, "alpha": 30.0, "a": 0.8, "b": 2.5, "p": 6.0, "q": 4.0, "v": 15.0}
    >>> log = simulate_covariate_transactions(200, params, {}, seed=3)
    >>> int(log["customer_id"].nunique())
    200
    """
    from . import simulate_transactions

    p = customer_parameters("bgnbd", params, coefficients, covariates, n_customers)
    if set(_SPEND_PARAMS) - set(p):
        raise ValueError("params needs the spend parameters p, q, v")
    log = simulate_transactions(
        n_customers,
        seed=seed,
        start=start,
        acquisition_days=acquisition_days,
        observation_days=observation_days,
        r=float(params["r"]),
        alpha=p["alpha"],
        a=p["a"],
        b=p["b"],
        p=float(params["p"]),
        q=float(params["q"]),
        v=p["v"],
    )
    if first_amount is not None:
        amounts = np.asarray(first_amount, dtype=float)
        if amounts.shape != (n_customers,):
            raise ValueError(
                f"first_amount must have n_customers={n_customers} values, got shape {amounts.shape}"
            )
        first = ~log["customer_id"].duplicated()
        log.loc[first, "amount"] = amounts[log.loc[first, "customer_id"].to_numpy()]
    out: pd.DataFrame = log
    return out
